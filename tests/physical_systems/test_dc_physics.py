"""DC drive physics against closed forms: exponentials, steady states, torque, converters, solvers."""

import numpy as np
import pytest
from scipy.optimize import brentq

from gem.physical_systems import (
    ConstantSpeedLoad,
    ContFourQuadrantConverter,
    ContMultiConverter,
    ContOneQuadrantConverter,
    ContTwoQuadrantConverter,
    DriveSystem,
    ExternalSpeedLoad,
    ExtExDc,
    FiniteFourQuadrantConverter,
    FiniteMultiConverter,
    FiniteOneQuadrantConverter,
    FiniteTwoQuadrantConverter,
    IdealVoltageSupply,
    PermExDc,
    PolynomialStaticLoad,
    SeriesDc,
    ShuntDc,
)
from gem.physical_systems.converters import ContB6BridgeConverter, FiniteB6BridgeConverter

U_SUP = 60.0


def cont_converter(motor, interlocking_time=0.0):
    if len(motor.input_names) == 2:
        return ContMultiConverter(ContFourQuadrantConverter(), ContFourQuadrantConverter(),
                                  interlocking_time=interlocking_time)
    return ContFourQuadrantConverter(interlocking_time=interlocking_time)


def make_drive(motor, load, converter=None, u_sup=U_SUP, tau=1e-4, solver="rk4", substeps=1):
    conv = converter if converter is not None else cont_converter(motor)
    return DriveSystem(motor, conv, load, IdealVoltageSupply(u_nominal=u_sup), tau=tau,
                       solver=solver, substeps=substeps)


def run(drive, actions, initial=None, num_envs=1):
    """Physical states ``(len(actions) + 1, num_envs, n_states)``; row 0 is the reset state."""
    state = drive.reset(num_envs, initial)
    rows = [state.physical.copy()]
    for a in actions:
        a = np.asarray(a)
        state = drive.step(state, np.broadcast_to(a, (num_envs, a.size)).copy())
        rows.append(state.physical.copy())
    return np.array(rows)


def col(drive, traj, name):
    return traj[:, :, drive.index[name]]


def first_order(t, i0, u, r, ind):
    """Solution of L di/dt = u - R i with i(0) = i0."""
    i_inf = u / r
    return i_inf + (i0 - i_inf) * np.exp(-t * r / ind)


# ---------------------------------------------------------------------------------------- closed forms
LOCKED = [
    pytest.param(PermExDc(), [0.3], lambda m, u: {"i": (u[0], m.r_a, m.l_a)}, id="PermExDc"),
    pytest.param(PermExDc(r_a=0.5, l_a=2e-3, psi_e=0.3), [-0.7],
                 lambda m, u: {"i": (u[0], m.r_a, m.l_a)}, id="PermExDc-custom"),
    pytest.param(SeriesDc(), [0.4], lambda m, u: {"i": (u[0], m.r_a + m.r_e, m.l_a + m.l_e)}, id="SeriesDc"),
    pytest.param(SeriesDc(r_a=0.2, r_e=0.3, l_a=1e-3, l_e=4e-3), [0.9],
                 lambda m, u: {"i": (u[0], m.r_a + m.r_e, m.l_a + m.l_e)}, id="SeriesDc-custom"),
    pytest.param(ExtExDc(), [0.2, 0.6],
                 lambda m, u: {"i_a": (u[0], m.r_a, m.l_a), "i_e": (u[1], m.r_e, m.l_e)}, id="ExtExDc"),
    pytest.param(ShuntDc(), [0.25],
                 lambda m, u: {"i_a": (u[0], m.r_a, m.l_a), "i_e": (u[0], m.r_e, m.l_e)}, id="ShuntDc"),
]


@pytest.mark.parametrize(("motor", "action", "closed_form"), LOCKED)
def test_locked_rotor_current_is_first_order_exponential(motor, action, closed_form):
    tau, n = 1e-4, 600
    drive = make_drive(motor, ConstantSpeedLoad(omega_fixed=0.0), tau=tau)
    traj = run(drive, [action] * n)
    t = np.arange(n + 1) * tau
    u = np.asarray(action) * U_SUP
    for name, (u_k, r, ind) in closed_form(motor, u).items():
        expected = first_order(t, 0.0, u_k, r, ind)
        np.testing.assert_allclose(col(drive, traj, name)[:, 0], expected, rtol=0, atol=2e-7 * abs(u_k / r),
                                   err_msg=name)
    np.testing.assert_array_equal(col(drive, traj, "omega"), 0.0)
    for name, u_k in zip(motor.voltage_names, u, strict=False):
        np.testing.assert_allclose(col(drive, traj, name)[1:, 0], u_k, rtol=1e-12)
    np.testing.assert_array_equal(col(drive, traj, "u_sup"), U_SUP)


def test_locked_rotor_with_initial_current_decays_to_the_new_steady_state():
    motor = SeriesDc()
    drive = make_drive(motor, ConstantSpeedLoad(omega_fixed=0.0), tau=1e-4)
    traj = run(drive, [[-0.2]] * 300, initial={"i": 150.0})
    t = np.arange(301) * 1e-4
    expected = first_order(t, 150.0, -0.2 * U_SUP, motor.r_a + motor.r_e, motor.l_a + motor.l_e)
    np.testing.assert_allclose(col(drive, traj, "i")[:, 0], expected, rtol=1e-9, atol=1e-9)


def test_current_at_constant_speed_includes_back_emf():
    motor = PermExDc()
    omega = 80.0
    drive = make_drive(motor, ConstantSpeedLoad(omega_fixed=omega), tau=1e-4)
    traj = run(drive, [[0.5]] * 200, initial={"i": 10.0})
    t = np.arange(201) * 1e-4
    expected = first_order(t, 10.0, 0.5 * U_SUP - motor.psi_e * omega, motor.r_a, motor.l_a)
    np.testing.assert_allclose(col(drive, traj, "i")[:, 0], expected, rtol=1e-6)
    np.testing.assert_array_equal(col(drive, traj, "omega"), omega)


def test_prescribed_speed_ramp_is_interpolated_linearly_within_a_period():
    """ExternalSpeedLoad: omega = w0 + alpha t; the PermExDc current has a closed form for a ramp."""
    motor = PermExDc(r_a=0.05, l_a=1e-3)
    w0, alpha = 20.0, 3000.0
    drive = make_drive(motor, ExternalSpeedLoad(profile=lambda t: w0 + alpha * t), tau=1e-4)
    traj = run(drive, [[0.4]] * 100)
    t = np.arange(101) * 1e-4
    u, r, ind, psi = 0.4 * U_SUP, motor.r_a, motor.l_a, motor.psi_e
    # Particular solution A + B t of L i' = u - R i - psi (w0 + alpha t).
    b = -psi * alpha / r
    a = (u - psi * w0 - ind * b) / r
    expected = a + b * t + (0.0 - a) * np.exp(-t * r / ind)
    np.testing.assert_allclose(col(drive, traj, "i")[:, 0], expected, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(col(drive, traj, "omega")[:, 0], w0 + alpha * t, rtol=1e-12)


def test_permex_steady_state_speed_against_polynomial_load():
    motor = PermExDc()
    a, b, c = 0.5, 0.1, 1e-4
    load = PolynomialStaticLoad(a=a, b=b, c=c, j_load=0.01)
    drive = make_drive(motor, load, tau=5e-4)      # a fixed point of RK4 is the exact steady state
    duty = 0.5
    traj = run(drive, [[duty]] * 2000)
    u, r, psi = duty * U_SUP, motor.r_a, motor.psi_e
    # psi (u - psi w) / r = a + b w + c w^2  (omega > 0, beyond the static-friction region)
    coeffs = [c, b + psi**2 / r, a - psi * u / r]
    omega = max(np.roots(coeffs).real)
    i = (u - psi * omega) / r
    final = traj[-1, 0]
    assert final[drive.index["omega"]] == pytest.approx(omega, rel=1e-6)
    assert final[drive.index["i"]] == pytest.approx(i, rel=1e-5)
    assert final[drive.index["torque"]] == pytest.approx(a + b * omega + c * omega**2, rel=1e-5)
    # Settled: the last periods do not move any more.
    np.testing.assert_allclose(traj[-1], traj[-10], rtol=1e-8)


def test_series_steady_state_speed_against_viscous_load():
    motor = SeriesDc()
    b = 0.05
    drive = make_drive(motor, PolynomialStaticLoad(b=b, j_load=1e-4), tau=5e-4)
    duty = 0.5
    traj = run(drive, [[duty]] * 2000)
    u, r, lp = duty * U_SUP, motor.r_a + motor.r_e, motor.l_e_prime

    def torque_balance(w):
        i = u / (r + lp * w)
        return lp * i**2 - b * w

    omega = brentq(torque_balance, 1.0, 1000.0, xtol=1e-12)
    final = traj[-1, 0]
    assert final[drive.index["omega"]] == pytest.approx(omega, rel=1e-6)
    assert final[drive.index["i"]] == pytest.approx(u / (r + lp * omega), rel=1e-6)


# ---------------------------------------------------------------------------------------- torque
TORQUE = [
    (PermExDc(psi_e=0.2), {"i": 37.0}, lambda m, s: m.psi_e * s["i"]),
    (PermExDc(psi_e=0.2), {"i": -12.0}, lambda m, s: m.psi_e * s["i"]),
    (ExtExDc(l_e_prime=2e-3), {"i_a": 50.0, "i_e": 13.0}, lambda m, s: m.l_e_prime * s["i_a"] * s["i_e"]),
    (ExtExDc(l_e_prime=2e-3), {"i_a": -50.0, "i_e": 13.0}, lambda m, s: m.l_e_prime * s["i_a"] * s["i_e"]),
    (SeriesDc(l_e_prime=3e-3), {"i": 40.0}, lambda m, s: m.l_e_prime * s["i"] ** 2),
    (SeriesDc(l_e_prime=3e-3), {"i": -40.0}, lambda m, s: m.l_e_prime * s["i"] ** 2),
    (ShuntDc(l_e_prime=1e-3), {"i_a": 60.0, "i_e": 9.0}, lambda m, s: m.l_e_prime * s["i_a"] * s["i_e"]),
]


@pytest.mark.parametrize(("motor", "currents", "formula"), TORQUE,
                         ids=[f"{type(m).__name__}-{i}" for i, (m, _, _) in enumerate(TORQUE)])
def test_torque_formula(motor, currents, formula):
    drive = make_drive(motor, ConstantSpeedLoad(omega_fixed=50.0))
    state = drive.reset(1, currents)
    phys = dict(zip(drive.state_names, state.physical[0], strict=True))
    for name, value in currents.items():
        assert phys[name] == value
    assert phys["torque"] == pytest.approx(formula(motor, currents), rel=1e-12)
    # After a step the torque is computed from the currents at the end of the period.
    n_act = len(motor.input_names)
    state = drive.step(state, np.full((1, n_act), 0.3))
    phys = dict(zip(drive.state_names, state.physical[0], strict=True))
    now = {k: phys[k] for k in currents}
    assert phys["torque"] == pytest.approx(formula(motor, now), rel=1e-12)
    if isinstance(motor, ShuntDc):
        assert phys["i_sum"] == pytest.approx(phys["i_a"] + phys["i_e"], rel=1e-12)


def test_state_names_follow_gem_order():
    def names(m):
        return make_drive(m, ConstantSpeedLoad()).state_names

    assert names(PermExDc()) == ("omega", "torque", "i", "u", "u_sup")
    assert names(SeriesDc()) == ("omega", "torque", "i", "u", "u_sup")
    assert names(ExtExDc()) == ("omega", "torque", "i_a", "i_e", "u_a", "u_e", "u_sup")
    assert names(ShuntDc()) == ("omega", "torque", "i_a", "i_e", "u", "u_sup", "i_sum")


def test_mechanical_equation_accelerates_with_torque_over_total_inertia():
    """Zero voltage, one short step from a given current: d omega/dt = (T - T_L) / (j_rotor + j_load)."""
    motor = PermExDc(l_a=1.0)               # huge inductance: the current barely moves in one period
    load = PolynomialStaticLoad(b=0.0, j_load=0.075)
    drive = make_drive(motor, load, tau=1e-6)
    state = drive.reset(1, {"i": 100.0, "omega": 0.0})
    state = drive.step(state, np.array([[0.0]]))
    domega = state.physical[0, drive.index["omega"]] / 1e-6
    assert domega == pytest.approx(motor.psi_e * 100.0 / (motor.j_rotor + 0.075), rel=1e-5)


# ---------------------------------------------------------------------------------------- converters
def _random_case(conv, rng, n, balanced=False):
    n_out = conv.n_out
    i_out = rng.uniform(-100, 100, size=(n, n_out))
    if balanced:                            # three-phase star point: currents sum to zero
        i_out -= i_out.mean(axis=1, keepdims=True)
    space = conv.action_space
    space.seed(int(rng.integers(1 << 31)))
    if conv.finite:
        prev = np.array([np.atleast_1d(space.sample()) for _ in range(n)])
        action = np.array([np.atleast_1d(space.sample()) for _ in range(n)])
        switch = conv.switch_states(prev)
    else:
        action = rng.uniform(space.low, space.high, size=(n, *space.shape))
        action[: n // 4] = np.sign(action[: n // 4])        # some legs held at duty 0 or 1
        switch = conv.initial_switch_state(n)
    return action, i_out, switch


CONVERTERS = [
    ("Cont-1QC", lambda t: ContOneQuadrantConverter(interlocking_time=t), False),
    ("Cont-2QC", lambda t: ContTwoQuadrantConverter(interlocking_time=t), False),
    ("Cont-4QC", lambda t: ContFourQuadrantConverter(interlocking_time=t), False),
    ("Cont-Multi", lambda t: ContMultiConverter(ContFourQuadrantConverter(), ContTwoQuadrantConverter(),
                                                ContOneQuadrantConverter(), interlocking_time=t), False),
    ("Cont-B6", lambda t: ContB6BridgeConverter(interlocking_time=t), True),
    ("Finite-1QC", lambda t: FiniteOneQuadrantConverter(interlocking_time=t), False),
    ("Finite-2QC", lambda t: FiniteTwoQuadrantConverter(interlocking_time=t), False),
    ("Finite-4QC", lambda t: FiniteFourQuadrantConverter(interlocking_time=t), False),
    ("Finite-Multi", lambda t: FiniteMultiConverter(FiniteFourQuadrantConverter(), FiniteTwoQuadrantConverter(),
                                                    FiniteOneQuadrantConverter(), interlocking_time=t), False),
    ("Finite-B6", lambda t: FiniteB6BridgeConverter(interlocking_time=t), True),
]


@pytest.mark.parametrize("t_il", [0.0, 2e-6], ids=["ideal", "interlocking"])
@pytest.mark.parametrize(("name", "factory", "balanced"), CONVERTERS, ids=[c[0] for c in CONVERTERS])
def test_converter_power_balance(name, factory, balanced, t_il):
    conv = factory(t_il)
    rng = np.random.default_rng(7)
    n, tau = 64, 1e-5
    u_sup = rng.uniform(20, 400, size=n)
    action, i_out, switch = _random_case(conv, rng, n, balanced)
    out = conv.output(action, i_out, switch, u_sup, tau)
    p_sup = u_sup * out.i_sup
    p_out = np.sum(out.u_mean * i_out, axis=1)
    np.testing.assert_allclose(p_sup, p_out, rtol=1e-10, atol=1e-9)
    # The segments cover the period and u_mean is their time average.
    durations = np.array([dt for dt, _ in out.segments])
    assert durations.sum() == pytest.approx(tau, rel=1e-12)
    assert np.all(durations > 0)
    avg = sum(dt * u for dt, u in out.segments) / tau
    np.testing.assert_allclose(out.u_mean, avg, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("motor", [PermExDc(), SeriesDc(), ExtExDc(), ShuntDc()], ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("kind", ["Cont", "Finite"])
def test_drive_supply_current_balances_motor_power(motor, kind):
    """u_sup * i_sup equals the power into the motor terminals (voltage of the step x start current)."""
    n_in = len(motor.input_names)
    if kind == "Cont":
        conv = cont_converter(motor, interlocking_time=1e-6)
        actions = np.array([[0.3, -0.6][:n_in], [-0.8, 0.5][:n_in], [1.0, 1.0][:n_in]])
    else:
        conv = (FiniteMultiConverter(FiniteFourQuadrantConverter(), FiniteFourQuadrantConverter(),
                                     interlocking_time=1e-6) if n_in == 2
                else FiniteFourQuadrantConverter(interlocking_time=1e-6))
        actions = np.array([[1, 2][:n_in], [2, 1][:n_in], [0, 3][:n_in]])
    drive = make_drive(motor, ConstantSpeedLoad(omega_fixed=30.0), converter=conv, tau=1e-5)
    initial = {name: v for name, v in zip(motor.ode_names, (40.0, -15.0), strict=False)}
    state = drive.reset(3, initial)
    for _ in range(3):
        i_sup = drive.supply_current(state, actions)
        start = {name: state.physical[:, drive.index[name]] for name in motor.current_names}
        state = drive.step(state, actions)
        volts = {name: state.physical[:, drive.index[name]] for name in motor.voltage_names}
        if isinstance(motor, ShuntDc):
            p_motor = volts["u"] * (start["i_a"] + start["i_e"])
        else:
            p_motor = sum(volts[v] * start[i] for v, i in zip(motor.voltage_names, motor.current_names, strict=True))
        np.testing.assert_allclose(U_SUP * i_sup, p_motor, rtol=1e-10, atol=1e-8)
        actions = actions[::-1].copy()


# ---------------------------------------------------------------------------------------- interlocking
@pytest.mark.parametrize("i", [35.0, -35.0])
@pytest.mark.parametrize(("factory", "action", "legs_switching"), [
    (ContTwoQuadrantConverter, 0.3, 1),
    (ContTwoQuadrantConverter, 1.0, 0),        # duty 1: the leg does not switch
    (ContTwoQuadrantConverter, 0.0, 0),        # duty 0
    (ContFourQuadrantConverter, 0.4, 2),       # both legs switch; their errors add
    (ContFourQuadrantConverter, -0.9, 2),
    (ContFourQuadrantConverter, 1.0, 0),       # legs held at duty 1 and 0
    (ContFourQuadrantConverter, -1.0, 0),
])
def test_continuous_interlocking_error(factory, action, legs_switching, i):
    tau, t_il = 1e-4, 3e-6
    conv = factory(interlocking_time=t_il)
    ideal = factory()
    args = (np.array([[action]]), np.array([[i]]), conv.initial_switch_state(1), np.array([U_SUP]), tau)
    u = conv.output(*args).u_mean[0, 0]
    u_ideal = ideal.output(*args).u_mean[0, 0]
    assert u_ideal == pytest.approx(action * U_SUP, rel=1e-12)
    # Each switching leg loses or gains t_il/tau of the supply, against the current direction.
    assert u - u_ideal == pytest.approx(-np.sign(i) * legs_switching * t_il / tau * U_SUP, rel=1e-9, abs=1e-12)


def test_continuous_interlocking_zero_current_and_one_quadrant_have_no_error():
    tau, t_il = 1e-4, 3e-6
    for factory, action, i in [(ContFourQuadrantConverter, 0.4, 0.0), (ContTwoQuadrantConverter, 0.4, 0.0),
                               (ContOneQuadrantConverter, 0.4, 20.0)]:
        conv = factory(interlocking_time=t_il)
        out = conv.output(np.array([[action]]), np.array([[i]]), conv.initial_switch_state(1),
                          np.array([U_SUP]), tau)
        assert out.u_mean[0, 0] == pytest.approx(action * U_SUP, rel=1e-12)


def test_continuous_multi_interlocking_acts_per_part():
    tau, t_il = 1e-4, 2e-6
    conv = ContMultiConverter(ContFourQuadrantConverter(), ContTwoQuadrantConverter(), interlocking_time=t_il)
    out = conv.output(np.array([[0.5, 0.5]]), np.array([[10.0, -10.0]]), conv.initial_switch_state(1),
                      np.array([U_SUP]), tau)
    s = t_il / tau
    np.testing.assert_allclose(out.u_mean[0], [(0.5 - 2 * s) * U_SUP, (0.5 + s) * U_SUP], rtol=1e-12)


def test_multi_converter_keeps_interlocking_time_of_its_parts():
    tau, t_il = 1e-4, 2e-6
    conv = ContMultiConverter(ContFourQuadrantConverter(interlocking_time=t_il),
                              ContFourQuadrantConverter(interlocking_time=t_il))
    out = conv.output(np.array([[0.5, 0.5]]), np.array([[10.0, 10.0]]), conv.initial_switch_state(1),
                      np.array([U_SUP]), tau)
    np.testing.assert_allclose(out.u_mean[0], (0.5 - 2 * t_il / tau) * U_SUP, rtol=1e-12)


# (prev action, new action, sign of current) -> u_mean / u_sup, with s = t_il / tau
FINITE_2QC = [
    (2, 1, +1, lambda s: 1 - s),   # lower -> upper, current out of the leg: diode holds the lower rail
    (2, 1, -1, lambda s: 1.0),     # ... current into the leg: the upper diode conducts, no error
    (1, 2, +1, lambda s: 0.0),
    (1, 2, -1, lambda s: s),
    (1, 1, +1, lambda s: 1.0),     # no change: no interlocking
    (2, 2, -1, lambda s: 0.0),
    (0, 1, +1, lambda s: 1.0),     # from both-off: no changeover between the switches
    (1, 0, +1, lambda s: 0.0),     # both off: the leg follows its current all period
    (1, 0, -1, lambda s: 1.0),
]
FINITE_4QC = [
    (2, 1, +1, lambda s: 1 - 2 * s),   # -u -> +u: both legs change, both diodes give -u_sup for t_il
    (2, 1, -1, lambda s: 1.0),
    (1, 2, +1, lambda s: -1.0),
    (1, 2, -1, lambda s: -1 + 2 * s),
    (1, 0, +1, lambda s: 0.0),         # only leg 2 changes; its diode gives the commanded voltage
    (1, 0, -1, lambda s: s),           # only leg 2 changes; its diode gives +u_sup for t_il
    (1, 3, -1, lambda s: s),           # only leg 1 changes
    (1, 3, +1, lambda s: 0.0),
    (0, 3, +1, lambda s: -s),
    (0, 3, -1, lambda s: s),
    (0, 0, +1, lambda s: 0.0),
    (1, 1, -1, lambda s: 1.0),
]


@pytest.mark.parametrize(("factory", "prev", "new", "sign", "expected"),
                         [(FiniteTwoQuadrantConverter, *c) for c in FINITE_2QC]
                         + [(FiniteFourQuadrantConverter, *c) for c in FINITE_4QC],
                         ids=[f"2QC-{p}to{n}-i{'+' if s > 0 else '-'}" for p, n, s, _ in FINITE_2QC]
                         + [f"4QC-{p}to{n}-i{'+' if s > 0 else '-'}" for p, n, s, _ in FINITE_4QC])
def test_finite_interlocking_voltage(factory, prev, new, sign, expected):
    tau, t_il = 1e-5, 2e-6
    conv = factory(interlocking_time=t_il)
    switch = conv.switch_states(np.array([[prev]]))
    out = conv.output(np.array([[new]]), np.array([[sign * 20.0]]), switch, np.array([U_SUP]), tau)
    assert out.u_mean[0, 0] == pytest.approx(expected(t_il / tau) * U_SUP, abs=1e-9)
    avg = sum(dt * u for dt, u in out.segments) / tau
    assert avg[0, 0] == pytest.approx(out.u_mean[0, 0], abs=1e-9)
    # The interlocking segment is exactly t_il long, then the commanded voltage holds.
    assert out.segments[0][0] == pytest.approx(t_il)
    assert out.segments[-1][0] == pytest.approx(tau - t_il)
    ideal = factory().output(np.array([[new]]), np.array([[sign * 20.0]]), switch, np.array([U_SUP]), tau)
    assert out.segments[-1][1][0, 0] == pytest.approx(ideal.u_mean[0, 0])


def test_finite_multi_interlocking_acts_per_part():
    tau, t_il = 1e-5, 2e-6
    s = t_il / tau
    conv = FiniteMultiConverter(FiniteFourQuadrantConverter(), FiniteTwoQuadrantConverter(), interlocking_time=t_il)
    switch = conv.switch_states(np.array([[2, 1]]))
    out = conv.output(np.array([[1, 1]]), np.array([[20.0, 20.0]]), switch, np.array([U_SUP]), tau)
    # 4QC part changes -u -> +u (error -2s); 2QC part does not change (no error).
    np.testing.assert_allclose(out.u_mean[0], [(1 - 2 * s) * U_SUP, U_SUP], atol=1e-9)


def test_first_period_after_reset_has_no_interlocking():
    tau, t_il = 1e-5, 2e-6
    conv = FiniteFourQuadrantConverter(interlocking_time=t_il)
    out = conv.output(np.array([[1]]), np.array([[20.0]]), conv.initial_switch_state(1), np.array([U_SUP]), tau)
    assert out.u_mean[0, 0] == pytest.approx(U_SUP)


@pytest.mark.parametrize("sign", [1, -1])
def test_finite_interlocking_is_integrated_piecewise(sign):
    """Locked rotor, finite 4QC with interlocking: the current is a piecewise exponential."""
    motor = PermExDc()
    tau, t_il = 1e-5, 2e-6
    conv = FiniteFourQuadrantConverter(interlocking_time=t_il)
    drive = make_drive(motor, ConstantSpeedLoad(omega_fixed=0.0), converter=conv, tau=tau)
    pos, neg = (1, 2) if sign > 0 else (2, 1)
    actions = [pos, neg, pos, 0, 3]
    u = sign * U_SUP
    # Expected (duration, voltage) pieces of every period (the current keeps its sign throughout).
    pieces = [[(tau, u)], [(tau, -u)], [(t_il, -u), (tau - t_il, u)], [(tau, 0.0)], [(t_il, -u), (tau - t_il, 0.0)]]
    traj = run(drive, [[a] for a in actions], initial={"i": sign * 50.0})
    i = sign * 50.0
    for k, period in enumerate(pieces):
        for dt, v in period:
            i = first_order(dt, i, v, motor.r_a, motor.l_a)
        assert np.sign(i) == sign
        assert traj[k + 1, 0, drive.index["i"]] == pytest.approx(i, rel=1e-7)
        u_mean = sum(dt * v for dt, v in period) / tau
        assert traj[k + 1, 0, drive.index["u"]] == pytest.approx(u_mean, abs=1e-9)


def test_continuous_interlocking_in_the_drive():
    motor = PermExDc()
    tau, t_il = 1e-4, 1e-6
    drive = make_drive(motor, ConstantSpeedLoad(omega_fixed=0.0), converter=cont_converter(motor, t_il), tau=tau)
    traj = run(drive, [[0.5]], initial={"i": 50.0})
    u = (0.5 - 2 * t_il / tau) * U_SUP
    assert traj[1, 0, drive.index["u"]] == pytest.approx(u, rel=1e-12)
    assert traj[1, 0, drive.index["i"]] == pytest.approx(first_order(tau, 50.0, u, motor.r_a, motor.l_a), rel=1e-6)


# ---------------------------------------------------------------------------------------- solvers
def _final_current_error(solver, tau, substeps, t_end):
    motor, omega, duty, i0 = PermExDc(), 50.0, 0.5, 20.0
    drive = make_drive(motor, ConstantSpeedLoad(omega_fixed=omega), tau=tau, solver=solver, substeps=substeps)
    n = int(round(t_end / tau))
    traj = run(drive, [[duty]] * n, initial={"i": i0})
    exact = first_order(n * tau, i0, duty * U_SUP - motor.psi_e * omega, motor.r_a, motor.l_a)
    return abs(traj[-1, 0, drive.index["i"]] - exact)


def _slope(h, err):
    return np.polyfit(np.log(h), np.log(err), 1)[0]


@pytest.mark.parametrize(("solver", "order", "substeps"), [
    ("rk4", 4, (4, 8, 16, 32)),
    ("euler", 1, (16, 32, 64, 128)),
])
def test_solver_order_in_substeps(solver, order, substeps):
    tau = 1e-3                                       # about the electrical time constant (1.19 ms)
    errs = np.array([_final_current_error(solver, tau, s, 2e-3) for s in substeps])
    assert np.all(np.diff(np.log(errs)) < 0)
    assert _slope(tau / np.array(substeps), errs) == pytest.approx(order, abs=0.5)


@pytest.mark.parametrize(("solver", "order"), [("rk4", 4), ("euler", 1)])
def test_solver_order_in_tau(solver, order):
    taus = np.array([4e-4, 2e-4, 1e-4, 5e-5]) if solver == "rk4" else np.array([1e-4, 5e-5, 2.5e-5, 1.25e-5])
    errs = np.array([_final_current_error(solver, tau, 1, 1.6e-3) for tau in taus])
    assert _slope(taus, errs) == pytest.approx(order, abs=0.5)


def test_scipy_solver_agrees_with_closed_form():
    motor = PermExDc()
    drive = make_drive(motor, ConstantSpeedLoad(omega_fixed=40.0), tau=1e-4, solver="scipy")
    traj = run(drive, [[0.6]] * 20, initial={"i": -30.0})
    t = np.arange(21) * 1e-4
    expected = first_order(t, -30.0, 0.6 * U_SUP - motor.psi_e * 40.0, motor.r_a, motor.l_a)
    np.testing.assert_allclose(traj[:, 0, drive.index["i"]], expected, rtol=1e-8, atol=1e-8)


def test_scipy_and_rk4_agree_on_a_dynamic_load():
    motor = SeriesDc()
    load = PolynomialStaticLoad(b=0.05, c=1e-3, j_load=1e-4)   # no static-friction kink
    actions = [[0.5]] * 30
    ref = run(make_drive(motor, load, tau=1e-4, solver="scipy"), actions)
    rk4 = run(make_drive(motor, load, tau=1e-4, solver="rk4", substeps=4), actions)
    np.testing.assert_allclose(rk4, ref, rtol=1e-7, atol=1e-9)
    assert ref[-1, 0, 0] > 0                         # it really accelerated


def test_substeps_do_not_change_a_converged_result():
    motor = SeriesDc()
    load = PolynomialStaticLoad(b=0.05, j_load=1e-4)
    a = run(make_drive(motor, load, tau=1e-4, substeps=1), [[0.4]] * 50)
    b = run(make_drive(motor, load, tau=1e-4, substeps=8), [[0.4]] * 50)
    np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
