import inspect
import json
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from gem.physical_systems.converters import ContB6BridgeConverter, FiniteB6BridgeConverter
from gem.physical_systems.drive_system import DriveSystem
from gem.physical_systems.loads import ConstantSpeedLoad, PolynomialStaticLoad
from gem.physical_systems.motor import Motor
from gem.physical_systems.solvers import rk4_step
from gem.physical_systems.supplies import IdealVoltageSupply
from gem.physical_systems.synchronous import PMSM, SynchronousMotor, SynRM, dq_torque, mtpa_currents
from gem.physical_systems.transforms import abc_to_alphabeta, abc_to_dq, alphabeta_to_dq, dq_to_abc

DATA = Path(__file__).parents[1] / "data" / "gem"
MOTORS = [PMSM(), SynRM()]


def drive(motor, load, u_sup=300.0, tau=1e-4, converter=None, solver="rk4"):
    return DriveSystem(motor, converter or ContB6BridgeConverter(), load,
                       IdealVoltageSupply(u_nominal=u_sup), tau=tau, solver=solver)


# ------------------------------------------------------------------ parameters, names, limits
def test_gem_defaults_names_and_limits():
    m = PMSM()
    assert m.parameters["p"] == 3 and isinstance(m.p, int)
    assert (m.l_d, m.l_q, m.j_rotor, m.r_s, m.psi_p) == (0.37e-3, 1.2e-3, 0.03883, 18e-3, 66e-3)
    assert m.ode_names == ("i_sd", "i_sq", "epsilon") and m.has_angle
    assert m.settable_state_names == ("i_sd", "i_sq", "epsilon")
    assert m.current_names == ("i_a", "i_b", "i_c", "i_sd", "i_sq")
    assert m.voltage_names == ("u_a", "u_b", "u_c", "u_sd", "u_sq")
    assert m.input_names == ("u_a", "u_b", "u_c")
    assert m.limits["omega"] == pytest.approx(418.88, abs=0.01)
    assert m.nominal["omega"] == pytest.approx(314.16, abs=0.01)
    assert m.limits["i_sq"] == 400 and m.nominal["i_a"] == 240
    assert m.limits["torque"] == pytest.approx(160.61, abs=0.005)
    assert m.nominal["torque"] == m.limits["torque"]
    s = SynRM()
    assert (s.p, s.l_d, s.l_q, s.j_rotor, s.r_s, s.psi_p) == (4, 10.1e-3, 4.1e-3, 0.8e-3, 0.57, 0.0)
    assert s.limits["omega"] == pytest.approx(450.29, abs=0.01) and s.limits["i_sd"] == 18
    assert s.nominal["i_sq"] == 10
    i = 18 / np.sqrt(2)
    assert s.limits["torque"] == pytest.approx(dq_torque(i, i, 4, 10.1e-3, 4.1e-3, 0.0), rel=1e-12)
    assert s.limits["torque"] == pytest.approx(5.832, rel=1e-9)


def test_torque_limit_follows_parameters_and_overrides():
    m = PMSM(psi_p=0.1, nominal_values={"i": 100.0})
    i_sd, i_sq = mtpa_currents(100.0, m.l_d, m.l_q, 0.1)
    assert m.limits["torque"] == pytest.approx(dq_torque(i_sd, i_sq, 3, m.l_d, m.l_q, 0.1))
    m = PMSM(limit_values={"i": 300.0, "i_sd": 250.0, "torque": 99.0})
    assert m.limits["i_a"] == 300 and m.limits["i_sq"] == 300 and m.limits["i_sd"] == 250
    assert m.limits["torque"] == 99.0 and m.nominal["torque"] == 99.0


def test_gem_parameter_dict_works_unchanged():
    params = {"p": 3, "l_d": 0.00037, "l_q": 0.0012, "j_rotor": 0.03883, "r_s": 0.018, "psi_p": 0.066}
    assert PMSM.from_params(params).parameters["psi_p"] == 0.066
    assert SynRM.from_params({"p": 2, "r_s": 1.0}).p == 2


@pytest.mark.parametrize(("cls", "params", "culprit"), [
    (PMSM, {"r_s": -0.1}, "'r_s'"),
    (PMSM, {"l_d": 0.0}, "'l_d'"),
    (PMSM, {"l_q": -1e-3}, "'l_q'"),
    (PMSM, {"j_rotor": 0.0}, "'j_rotor'"),
    (PMSM, {"psi_p": -0.01}, "'psi_p'"),
    (PMSM, {"p": 2.5}, "'p'"),
    (PMSM, {"p": 0}, "'p'"),
    (PMSM, {"p": -3}, "'p'"),
    (PMSM, {"r_s": float("nan")}, "r_s"),
    (PMSM, {"R_s": 0.1}, "'R_s'"),
    (SynRM, {"psi_p": 0.1}, "'psi_p'"),
    (SynRM, {"l_q": 0.0}, "'l_q'"),
    (SynRM, {"p": 1.5}, "'p'"),
])
def test_bad_parameters_raise_naming_the_parameter(cls, params, culprit):
    with pytest.raises(ValueError, match=culprit):
        cls.from_params(params)


def test_unknown_limit_name_raises():
    with pytest.raises(ValueError, match="'i_x'"):
        PMSM(limit_values={"i_x": 1.0})


# ------------------------------------------------------------------ class structure
SHARED = ("__post_init__", "derivative", "torque", "currents", "terminal_currents", "voltages", "voltage_limits",
          "max_torque", "max_torque_per_ampere")


@pytest.mark.parametrize("cls", [PMSM, SynRM])
def test_shared_members_are_written_in_the_base_class_body(cls):
    assert cls.__mro__ == (cls, SynchronousMotor, Motor, object)
    base_source = inspect.getsource(SynchronousMotor)
    for name in SHARED:
        member = vars(SynchronousMotor)[name]
        assert name not in vars(cls), name
        assert getattr(cls, name) is member, name       # inherited, not assigned to the class
        fn = member.fget if isinstance(member, property) else member
        assert fn.__qualname__ == f"SynchronousMotor.{name}", fn.__qualname__
        assert inspect.getsource(fn) in base_source, name
        assert fn.__doc__, name
    names = ("ode_names", "current_names", "voltage_names", "input_names", "controlled_currents", "has_angle",
             "pole_pairs_param", "positive_params", "rating_aliases")
    assert set(names) <= set(vars(SynchronousMotor)) and not set(names) & set(vars(cls))
    assert cls.has_angle and cls.pole_pairs_param == "p"
    assert [f.name for f in fields(cls)] == ["nominal_values", "limit_values", "p", "l_d", "l_q", "j_rotor", "r_s",
                                             "saturation", *(["psi_p"] if cls is PMSM else [])]


def test_synrm_psi_p_is_a_property_the_compiled_kernel_reads_as_zero():
    from gem.envs.kernel import toolchain as jit

    assert isinstance(vars(SynRM)["psi_p"], property)
    assert "def psi_p(" in inspect.getsource(SynRM)
    for motor in MOTORS:
        methods = [motor.column_function("derivative"), motor.column_function("torque")]
        assert jit.params_tuple(motor, methods).psi_p == motor.psi_p
        for name in ("currents", "terminal_currents", "voltages"):
            assert jit.own_method(motor, name, Motor) is vars(SynchronousMotor)[name]
    assert jit.params_tuple(SynRM(), [SynRM().column_function("derivative")]).psi_p == 0.0


# ------------------------------------------------------------------ equations
@pytest.mark.parametrize("motor", MOTORS, ids=lambda m: type(m).__name__)
def test_derivative_and_torque_match_the_dq_equations(motor):
    rng = np.random.default_rng(1)
    n = 32
    x = np.column_stack([rng.normal(scale=10, size=(n, 2)), rng.uniform(-np.pi, np.pi, n)])
    u_dq = rng.normal(scale=100, size=(n, 2))
    omega = rng.normal(scale=200, size=n)
    dx = np.stack(motor.derivative(x.T, dq_to_abc(u_dq, x[:, 2]).T, omega), axis=1)
    p, r, ld, lq, psi = motor.p, motor.r_s, motor.l_d, motor.l_q, motor.psi_p
    i_d, i_q, w = x[:, 0], x[:, 1], p * omega
    np.testing.assert_allclose(dx[:, 0], (u_dq[:, 0] - r * i_d + w * lq * i_q) / ld, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(dx[:, 1], (u_dq[:, 1] - r * i_q - w * ld * i_d - w * psi) / lq,
                               rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(dx[:, 2], w)
    np.testing.assert_allclose(motor.torque(x.T), 1.5 * p * (psi + (ld - lq) * i_d) * i_q, rtol=1e-12)


def test_pmsm_torque_values():
    x = np.array([[0.0, 100.0, 0.3], [-50.0, 100.0, 0.0], [20.0, -10.0, 1.0]])
    expected = 1.5 * 3 * np.array([0.066 * 100, (0.066 + 0.00083 * 50) * 100, (0.066 - 0.00083 * 20) * -10])
    np.testing.assert_allclose(PMSM().torque(x.T), expected, rtol=1e-12)


def test_currents_are_consistent():
    rng = np.random.default_rng(2)
    x = np.column_stack([rng.normal(scale=10, size=(8, 2)), rng.uniform(-np.pi, np.pi, 8)])
    cur = np.stack(PMSM().currents(x.T), axis=1)
    np.testing.assert_allclose(cur[:, 3:], x[:, :2])
    np.testing.assert_allclose(cur[:, :3].sum(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(abc_to_dq(cur[:, :3], x[:, 2]), x[:, :2], atol=1e-12)
    np.testing.assert_allclose(np.stack(PMSM().terminal_currents(x.T), axis=1), cur[:, :3])


@pytest.mark.parametrize("motor", MOTORS, ids=lambda m: type(m).__name__)
def test_steady_state_at_constant_speed_and_dq_voltage(motor):
    omega = np.array([0.0, 50.0, -120.0, 200.0])
    u_dq = np.array([[5.0, 10.0], [-20.0, 60.0], [10.0, -80.0], [-60.0, 40.0]])
    p, r, ld, lq, psi = motor.p, motor.r_s, motor.l_d, motor.l_q, motor.psi_p
    expected = []
    for w, (u_d, u_q) in zip(p * omega, u_dq, strict=True):
        a = np.array([[r, -w * lq], [w * ld, r]])
        expected.append(np.linalg.solve(a, [u_d, u_q - w * psi]))

    def f(s, x):   # abc voltages that rotate with the rotor: constant u_dq
        return np.stack(motor.derivative(x.T, dq_to_abc(u_dq, x[:, 2]).T, omega), axis=1)

    x = np.zeros((4, 3))
    slowest = r / max(ld, lq)        # slowest decay rate of the current (at standstill)
    for _ in range(int(np.ceil(20.0 / slowest / 2e-4))):
        x = rk4_step(f, x, 0.0, 2e-4)
    np.testing.assert_allclose(x[:, :2], np.array(expected), rtol=1e-6, atol=1e-6 * np.abs(expected).max())


@pytest.mark.parametrize("motor", MOTORS, ids=lambda m: type(m).__name__)
def test_zero_sequence_voltage_has_no_effect(motor):
    rng = np.random.default_rng(3)
    x = np.column_stack([rng.normal(size=(8, 2)), rng.uniform(-np.pi, np.pi, 8)])
    u = rng.normal(scale=50, size=(8, 3))
    omega = rng.normal(scale=100, size=8)
    shifted = (u + rng.normal(scale=80, size=(8, 1))).T
    np.testing.assert_allclose(np.stack(motor.derivative(x.T, shifted, omega), axis=1),
                               np.stack(motor.derivative(x.T, u.T, omega), axis=1), rtol=1e-11, atol=1e-8)
    # The same through the drive: adding a common offset to the three duty cycles.
    ds = drive(motor, ConstantSpeedLoad(omega_fixed=80.0))
    a = rng.uniform(-0.5, 0.5, size=(40, 3))
    s1, s2 = ds.reset(1), ds.reset(1)
    for k in range(40):
        s1, s2 = ds.step(s1, a[k : k + 1]), ds.step(s2, a[k : k + 1] + 0.3)
    keep = [ds.index[n] for n in ("torque", "i_a", "i_b", "i_c", "i_sd", "i_sq", "u_sd", "u_sq", "epsilon")]
    np.testing.assert_allclose(s1.physical[:, keep], s2.physical[:, keep], rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------ voltages
def test_b6_switching_states_give_the_six_vectors_and_two_zeros():
    u_sup, n = 300.0, 8
    conv = FiniteB6BridgeConverter()
    out = conv.output(np.arange(n)[:, None], np.zeros((n, 3)), conv.initial_switch_state(n),
                      np.full(n, u_sup), 1e-5)
    ab = abc_to_alphabeta(out.u_mean)
    amplitude, angle = np.hypot(ab[:, 0], ab[:, 1]), np.degrees(np.arctan2(ab[:, 1], ab[:, 0]))
    np.testing.assert_allclose(amplitude[[0, 7]], 0.0, atol=1e-12)
    for action, k in {4: 0, 6: 1, 2: 2, 3: 3, 1: 4, 5: 5}.items():   # a = 4 s_a + 2 s_b + s_c
        assert amplitude[action] == pytest.approx(2 / 3 * u_sup, rel=1e-12)
        assert np.cos(np.radians(angle[action] - 60 * k)) == pytest.approx(1.0, abs=1e-12)
    # Reported and normalised like the drive does: |u_dq| / limit is exactly 1 for active vectors.
    motor, x = PMSM(), np.zeros((n, 3))
    volt = np.stack(motor.voltages(out.u_mean.T, x.T, x.T, 1e-5), axis=1)
    lim = motor.voltage_limits(np.full((n, 3), u_sup / 2))
    np.testing.assert_allclose(volt[:, :3] / lim["u_a"][:, None], 2 * (np.arange(n)[:, None] >> [2, 1, 0] & 1) - 1)
    u_norm = np.hypot(volt[:, 3] / lim["u_sd"], volt[:, 4] / lim["u_sq"])
    np.testing.assert_allclose(u_norm, [0, 1, 1, 1, 1, 1, 1, 0], atol=1e-12)


def test_voltage_limits_of_the_drive():
    ds = drive(PMSM(), ConstantSpeedLoad(omega_fixed=100.0), u_sup=420.0)
    lim = ds.limits(2)
    for name, value in {"u_a": 210.0, "u_c": 210.0, "u_sd": 280.0, "u_sq": 280.0, "epsilon": np.pi,
                        "i_sd": 400.0, "omega": 4000 * np.pi / 30}.items():
        np.testing.assert_allclose(lim[:, ds.index[name]], value)
    # Any continuous action keeps the normalised u_sd, u_sq inside [-1, 1].
    rng = np.random.default_rng(4)
    a = np.concatenate([rng.choice([-1.0, 1.0], size=(200, 3)), rng.uniform(-1, 1, size=(200, 3))])
    state = ds.reset(400, {"epsilon": rng.uniform(-np.pi, np.pi, 400)})
    state = ds.step(state, a)
    norm = state.physical / ds.limits(400)
    assert np.all(np.abs(norm[:, [ds.index[k] for k in ("u_a", "u_b", "u_c", "u_sd", "u_sq")]]) <= 1 + 1e-12)


@pytest.mark.parametrize(("eps0", "d_eps"), [(0.3, 0.2), (3.1, 0.3), (-3.0, -0.4), (1.0, 0.0), (2.0, 1e-9)])
def test_reported_dq_voltage_is_the_period_average(eps0, d_eps):
    u = np.array([[100.0, -30.0, -50.0]])
    x0 = np.array([[0.0, 0.0, eps0]])
    x1 = np.array([[0.0, 0.0, (eps0 + d_eps + np.pi) % (2 * np.pi) - np.pi]])   # wrapped, as the drive does
    reported = np.stack(PMSM().voltages(u.T, x0.T, x1.T, 1e-4), axis=1)
    np.testing.assert_allclose(reported[:, :3], u)
    eps = eps0 + d_eps * (np.arange(20000) + 0.5) / 20000                      # midpoint rule
    average = alphabeta_to_dq(np.repeat(abc_to_alphabeta(u), eps.size, axis=0), eps).mean(axis=0)
    np.testing.assert_allclose(reported[0, 3:], average, rtol=1e-8, atol=1e-8)


# ------------------------------------------------------------------ MTPA
@pytest.mark.parametrize("motor", MOTORS, ids=lambda m: type(m).__name__)
def test_mtpa_maximises_torque_on_the_current_circle(motor):
    current = 0.8 * motor.limits["i"]
    i_sd, i_sq = mtpa_currents(current, motor.l_d, motor.l_q, motor.psi_p)
    assert np.hypot(i_sd, i_sq) == pytest.approx(current)
    beta = np.linspace(0, np.pi, 200001)
    grid = dq_torque(current * np.cos(beta), current * np.sin(beta), motor.p, motor.l_d, motor.l_q, motor.psi_p)
    assert dq_torque(i_sd, i_sq, motor.p, motor.l_d, motor.l_q, motor.psi_p) >= grid.max() - 1e-9
    assert (i_sd < 0) == (motor.l_d < motor.l_q)


@pytest.mark.parametrize("motor", MOTORS, ids=lambda m: type(m).__name__)
def test_max_torque_per_ampere_inverts_the_torque(motor):
    torque = np.array([-1.2, -0.3, 0.0, 0.5, 1.0]) * motor.limits["torque"]
    i_sd, i_sq = motor.max_torque_per_ampere(torque)
    x = np.column_stack([i_sd, i_sq, np.zeros(5)])
    np.testing.assert_allclose(motor.torque(x.T), torque, rtol=1e-10, atol=1e-12)
    amp = np.hypot(i_sd, i_sq)
    ref_d, ref_q = mtpa_currents(amp, motor.l_d, motor.l_q, motor.psi_p)
    np.testing.assert_allclose(i_sd, ref_d, atol=1e-9)
    np.testing.assert_allclose(i_sq, np.sign(torque) * ref_q, atol=1e-9)
    assert amp[-1] == pytest.approx(motor.nominal["i"] if isinstance(motor, PMSM) else motor.limits["i"])


# ------------------------------------------------------------------ reset, replays, batches
def test_reset_accepts_dq_currents_and_angle():
    ds = drive(PMSM(), ConstantSpeedLoad(omega_fixed=100.0))
    state = ds.reset(2, {"i_sd": np.array([5.0, -5.0]), "i_sq": 3.0, "epsilon": np.array([1.0, 4.0])})
    phys = state.physical
    np.testing.assert_allclose(phys[:, ds.index["epsilon"]], [1.0, 4.0 - 2 * np.pi])
    np.testing.assert_allclose(phys[:, ds.index["i_sq"]], 3.0)
    abc = phys[:, [ds.index[k] for k in ("i_a", "i_b", "i_c")]]
    np.testing.assert_allclose(abc, dq_to_abc(np.array([[5.0, 3.0], [-5.0, 3.0]]), np.array([1.0, 4.0])))
    np.testing.assert_allclose(phys[:, [ds.index[k] for k in ("u_a", "u_sd", "u_sq")]], 0.0)


def replay(name):
    rec = np.load(DATA / f"{name}.npz")
    load = json.loads(str(rec["load"]))
    motor = PMSM.from_params(json.loads(str(rec["motor_params"])))
    ds = drive(motor, ConstantSpeedLoad(omega_fixed=load["omega_fixed"]), u_sup=float(rec["u_sup"]),
               tau=float(rec["tau"]))
    assert ds.state_names == tuple(rec["state_names"])
    initial = {k: np.array([v]) for k, v in json.loads(str(rec["initial_state"])).items()}
    state = ds.reset(1, initial)
    rows = [state.physical[0]]
    for action in rec["actions"]:
        state = ds.step(state, action[None, :])
        rows.append(state.physical[0])
    ours, ref = np.array(rows), rec["states"]
    err = ours - ref
    eps = ds.index["epsilon"]
    err[:, eps] = (err[:, eps] + np.pi) % (2 * np.pi) - np.pi
    scale = np.max(np.abs(np.nan_to_num(ref)), axis=0)
    scale[scale == 0] = 1.0
    rel = np.max(np.abs(err[1:]), axis=0) / scale      # row 0 holds GEM's reset voltages
    return dict(zip(ds.state_names, rel, strict=True))


def test_replay_of_the_abc_held_truth():
    rel = replay("pmsm_cc_const_speed_truth")
    voltages = {"u_a", "u_b", "u_c", "u_sd", "u_sq"}
    for name, value in rel.items():
        if name in voltages:
            assert np.isnan(value)          # the truth has no voltages (see its README)
        else:
            assert value < 5e-3, (name, value)
    assert max(v for k, v in rel.items() if k not in voltages) < 1e-6   # RK4 at tau = 1e-4 is far better


def test_gem_recording_differs_by_the_frozen_dq_voltage():
    rel = replay("pmsm_cc_const_speed")
    for name in ("u_a", "u_b", "u_c", "omega", "u_sup", "epsilon"):
        assert rel[name] < 1e-9, name
    for name in ("torque", "i_a", "i_b", "i_c", "i_sd", "i_sq", "u_sd", "u_sq"):
        assert 1e-4 < rel[name] < 3e-2, (name, rel[name])


@pytest.mark.parametrize(("motor", "load"), [
    (PMSM(r_s=np.array([0.018, 0.03, 0.018, 0.05])),
     ConstantSpeedLoad(omega_fixed=np.array([60.0, -100.0, 0.0, 300.0]))),
    (SynRM(p=np.array([4, 2, 4, 3])), PolynomialStaticLoad(a=0.01, b=0.01, j_load=1e-3)),
], ids=["PMSM-const-speed", "SynRM-poly-load"])
def test_batch_equals_single_runs(motor, load):
    rng = np.random.default_rng(5)
    actions = rng.uniform(-1, 1, size=(60, 4, 3))
    ds = drive(motor, load)
    state = ds.reset(4, {"epsilon": np.array([0.0, 1.0, -2.0, 3.0])})
    for a in actions:
        state = ds.step(state, a)

    def single(component, k):
        values = {f.name: getattr(component, f.name) for f in fields(component)
                  if f.name not in ("nominal_values", "limit_values")}
        return type(component)(**{n: v[k] if np.ndim(v) else v for n, v in values.items()})

    for k in range(4):
        single_motor, single_load = single(motor, k), single(load, k)
        ds1 = drive(single_motor, single_load)
        s1 = ds1.reset(1, {"epsilon": np.array([[0.0, 1.0, -2.0, 3.0][k]])})
        for a in actions:
            s1 = ds1.step(s1, a[k : k + 1])
        np.testing.assert_allclose(s1.physical[0], state.physical[k], rtol=1e-12, atol=1e-12)


def test_a_nominal_current_above_the_limit_names_what_the_user_typed():
    with pytest.raises(ValueError, match=r"nominal value of 'i' \(500.0\) exceeds its limit \(400.0\)"):
        PMSM(nominal_values={"i": 500.0})
    with pytest.raises(ValueError, match=r"nominal value of 'i' \(240.0\) exceeds its limit \(200.0\)"):
        PMSM(limit_values={"i": 200.0})
    PMSM(nominal_values={"i": 150.0}, limit_values={"i": 200.0})
