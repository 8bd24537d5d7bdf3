"""BLDC: back-EMF flat tops, torque constant, Hall sequence, locked-rotor current, power balance, solve_ivp."""

import gymnasium as gym
import numpy as np
import pytest
from machine_helpers import random_point, terminal_power
from scipy.integrate import solve_ivp

from gem.physical_systems import BLDC, ConstantSpeedLoad
from gem.physical_systems.bldc import block_pattern, hall_signals

DEG = np.pi / 180.0


def reference_shape(theta):
    """The documented trapezoid, written independently: 0 at 0°, -1 over 30°…150°, +1 over 210°…330°."""
    return np.interp(np.mod(theta, 2 * np.pi), np.radians([0, 30, 150, 210, 330, 360]), [0, -1, -1, 1, 1, 0])


def phase_emfs(m, eps, omega):
    """Back-EMFs e_a, e_b, e_c (V) of the documented model."""
    return np.stack([m.p * omega * m.psi_p * reference_shape(eps - k * 2 * np.pi / 3) for k in range(3)])


def test_defaults_names_and_ratings():
    m = BLDC()
    assert (m.p, m.r_s, m.l_s, m.psi_p, m.j_rotor) == (4, 0.02, 2.45e-3, 0.2205, 0.0027)
    assert m.ode_names == ("i_a", "i_b", "epsilon")
    assert m.extra_names == ("hall_a", "hall_b", "hall_c", "i_eq")
    assert m.limits["torque"] == pytest.approx(2 * 4 * 0.2205 * 30.0)
    assert m.nominal["torque"] == pytest.approx(2 * 4 * 0.2205 * 20.0)
    assert BLDC(limit_values={"i": 40.0}).limits["i_eq"] == 40.0


@pytest.mark.parametrize(("params", "culprit"), [({"l_s": 0.0}, "'l_s'"), ({"psi_p": -0.1}, "'psi_p'"),
                                                 ({"p": 1.5}, "'p'"), ({"l_d": 1e-3}, "'l_d'")])
def test_bad_parameters_raise_naming_the_culprit(params, culprit):
    with pytest.raises(ValueError, match=culprit):
        BLDC.from_params(params)


def test_back_emf_has_flat_tops_of_120_degrees_at_constant_speed():
    """Open terminals are not possible on the bridge; at i = 0, u = 0 the model gives l_s di_k/dt = mean(e) - e_k."""
    m, omega = BLDC(), 80.0
    eps = np.linspace(-np.pi, np.pi, 3601)[:-1]
    zero = np.zeros_like(eps)
    di_a, di_b, d_eps = m.derivative((zero, zero, eps), (zero, zero, zero), omega)
    e = phase_emfs(m, eps, omega)
    observed = -m.l_s * np.stack([di_a, di_b, -di_a - di_b])
    np.testing.assert_allclose(observed, e - e.mean(axis=0), atol=1e-9)
    np.testing.assert_allclose(d_eps, m.p * omega)
    # the shape itself: flat at ±ω_el psi_p over 120° each, phases 120° apart
    flat = m.p * omega * m.psi_p
    for k in range(3):
        top = np.isclose(e[k], flat)
        bottom = np.isclose(e[k], -flat)
        assert top.mean() == pytest.approx(1 / 3, abs=2e-3) and bottom.mean() == pytest.approx(1 / 3, abs=2e-3)
    # the line-to-line EMF seen at the terminals: flat at 2 ω_el psi_p for 60° per half turn
    e_ab = e[0] - e[1]
    assert np.isclose(e_ab, 2 * flat).mean() == pytest.approx(1 / 6, abs=2e-3)


def test_torque_constant_and_equivalent_current_on_the_flat_tops():
    m = BLDC()
    eps = np.radians(np.linspace(-149.0, -91.0, 30))     # phase a on its positive, b on its negative flat top
    current = 12.5
    x = (np.full_like(eps, current), np.full_like(eps, -current), eps)
    np.testing.assert_allclose(m.torque(x), 2 * m.p * m.psi_p * current)
    np.testing.assert_allclose(m.extras(x)[3], current)
    # everywhere: T omega = sum e_k i_k (the documented power), with i_eq = T / (2 p psi_p)
    rng = np.random.default_rng(3)
    x, _, omega = random_point(rng, m, n=64)
    i = np.stack(m.currents(x.T))
    e = phase_emfs(m, x[:, 2], omega)
    np.testing.assert_allclose(m.torque(x.T) * omega, np.sum(e * i, axis=0), rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(m.extras(x.T)[3], m.torque(x.T) / (2 * m.p * m.psi_p), rtol=1e-12, atol=1e-12)


def test_power_balance():
    """Power in = copper loss + magnetic energy change + mechanical power, for any state and voltages."""
    m = BLDC()
    x, u, omega = random_point(np.random.default_rng(5), m, n=32)
    dx = np.stack(m.derivative(x.T, u.T, omega), axis=1)
    i = np.stack(m.currents(x.T), axis=1)
    di = np.stack([dx[:, 0], dx[:, 1], -dx[:, 0] - dx[:, 1]], axis=1)
    stored = m.l_s * np.sum(i * di, axis=1)
    np.testing.assert_allclose(terminal_power(m, x, u), m.r_s * np.sum(i**2, axis=1) + stored + m.torque(x.T) * omega,
                               rtol=1e-9, atol=1e-6)


def test_hall_sequence_and_block_pattern():
    eps = np.radians(np.arange(-150.0, 210.0, 60.0) + 30.0)      # the middles of the six sectors, turning forwards
    halls = np.stack(hall_signals(eps), axis=1).astype(int)
    assert ["".join(map(str, h)) for h in halls] == ["101", "100", "110", "010", "011", "001"]
    # edges every 60°: the state is constant within a sector and changes at its ends
    fine = np.radians(-149.95 + 0.1 * np.arange(3600))
    h = np.stack(hall_signals(fine), axis=1)
    edges = np.flatnonzero(np.any(np.diff(h, axis=0) != 0, axis=1))
    np.testing.assert_allclose(np.degrees(fine[edges + 1]), np.arange(-90.0, 210.0, 60.0), atol=0.11)
    # the block pattern is the sign of each phase's flat top, 0 for the phase on its slope (whose EMF crosses 0)
    pattern = np.stack(block_pattern(*halls.T.astype(float)), axis=1)
    shapes = np.stack([reference_shape(eps - k * 2 * np.pi / 3) for k in range(3)], axis=1)
    np.testing.assert_allclose(pattern, np.round(shapes), atol=0)
    np.testing.assert_allclose(shapes[pattern == 0], 0.0, atol=1e-12)
    assert np.all(np.abs(shapes[pattern != 0]) == 1.0)


def test_locked_rotor_current_follows_the_rl_step_response():
    """Rotor held (omega = 0), +d on leg a, -d on leg b: i_a = u/r_s (1 - exp(-t r_s / l_s)), i_c = 0."""
    env = gym.make("gem/Cont-CC-BLDC-v0", load=ConstantSpeedLoad(omega_fixed=0.0), constraints=())
    u = env.unwrapped
    env.reset(seed=0)
    m, d, u_sup, tau = u.drive.motor, 2e-3, 300.0, u.drive.tau
    index = u.drive.index
    t, i_a, i_c, torque, eps = [], [], [], [], None
    for k in range(400):
        env.step(np.array([d, -d, 0.0], np.float32))
        phys = u.physical_state
        t.append((k + 1) * tau)
        i_a.append(phys[index["i_a"]])
        i_c.append(phys[index["i_c"]])
        torque.append(phys[index["torque"]])
        eps = phys[index["epsilon"]]
    t = np.array(t)
    v = float(np.float32(d)) * u_sup / 2
    np.testing.assert_allclose(i_a, v / m.r_s * (1 - np.exp(-t * m.r_s / m.l_s)), rtol=1e-6)
    np.testing.assert_allclose(i_c, 0.0, atol=1e-9)
    shapes = [reference_shape(eps - k * 2 * np.pi / 3) for k in range(2)]
    np.testing.assert_allclose(torque, m.p * m.psi_p * (shapes[0] - shapes[1]) * np.array(i_a), rtol=1e-9, atol=1e-12)


def test_env_trajectory_matches_solve_ivp_of_the_documented_equations():
    """Constant speed, constant leg voltages: the registered id against an independent solve_ivp."""
    omega, action = 90.0, np.array([0.4, -0.3, 0.1], np.float32)
    env = gym.make("gem/Cont-CC-BLDC-v0", load=ConstantSpeedLoad(omega_fixed=omega), constraints=())
    u = env.unwrapped
    env.reset(seed=1, options={"initial_state": {"i_a": 2.0, "i_b": -1.0, "epsilon": 0.3}})
    m, index = u.drive.motor, u.drive.index
    legs = action.astype(float) * 150.0

    def rhs(_, y):
        i = np.array([y[0], y[1], -y[0] - y[1]])
        e = phase_emfs(m, y[2], omega)
        u_n = (legs.sum() - e.sum()) / 3
        di = (legs - u_n - m.r_s * i - e) / m.l_s
        return [di[0], di[1], m.p * omega]

    n = 300
    sol = solve_ivp(rhs, (0, n * u.drive.tau), [2.0, -1.0, 0.3], t_eval=np.arange(1, n + 1) * u.drive.tau,
                    rtol=1e-10, atol=1e-10, max_step=5e-6)
    got = []
    for _ in range(n):
        env.step(action)
        got.append(u.physical_state[[index["i_a"], index["i_b"]]])
    np.testing.assert_allclose(np.array(got), sol.y[:2].T, atol=2e-3 * 30)
