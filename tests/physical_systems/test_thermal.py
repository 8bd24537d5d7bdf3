"""The thermal option of the PMSM: network, losses, temperature laws, states, constraints, compiled = NumPy."""

import os

import gymnasium as gym
import numpy as np
import pytest
from scipy.linalg import expm
from thermal_baseline import CASES, trajectory

import gem
from gem.envs import ConstReference
from gem.physical_systems import PMSM, ConstantSpeedLoad
from gem.physical_systems.thermal import THERMAL_NODES, WallscheidLPTN, lptn_derivative
from gem.physical_systems.thermal_pmsm import ThermalPMSM

BASELINE = os.path.join(os.path.dirname(__file__), "..", "data", "thermal_off_baseline.npz")
CAPS = ("c_pm", "c_sy", "c_st", "c_sw")


def conductance_matrix(net: WallscheidLPTN, omega: float) -> tuple[np.ndarray, np.ndarray]:
    """``(G, b)`` of the network written from the published topology: ``C dθ/dt = -G θ + b + P``."""
    n = abs(omega) * 30.0 / np.pi / 6000.0
    g = {("pm", "st"): 1.0 / (net.m_st_pm * np.exp(-n / net.b_st_pm) + net.a_st_pm),
         ("pm", "sw"): 1.0 / (net.m_sw_pm * np.exp(-n / net.b_sw_pm) + net.a_sw_pm),
         ("sy", "sw"): 1.0 / net.r_sy_sw, ("sy", "st"): 1.0 / net.r_sy_st, ("sw", "st"): 1.0 / net.r_sw_st}
    to_ambient = {"pm": 1.0 / (net.m_pm_a * np.exp(-n / net.b_pm_a) + net.a_pm_a)}
    r_pm_c = net.r_pm_c0 + net.r_pm_c_n * n + (net.r_pm_c_t + net.r_pm_c_nt * n) * net.theta_coolant / 100.0
    to_coolant = {"pm": 1.0 / r_pm_c, "sy": 1.0 / (net.r_c_sy * (1.0 + net.alpha_c_sy * (net.theta_coolant - 20)))}
    nodes = ["pm", "sy", "st", "sw"]
    G, b = np.zeros((4, 4)), np.zeros(4)
    for (a, c), gac in g.items():
        i, j = nodes.index(a), nodes.index(c)
        G[i, i] += gac
        G[j, j] += gac
        G[i, j] -= gac
        G[j, i] -= gac
    for k, node in enumerate(nodes):
        G[k, k] += to_ambient.get(node, 0.0) + to_coolant.get(node, 0.0)
        b[k] = to_ambient.get(node, 0.0) * net.theta_ambient + to_coolant.get(node, 0.0) * net.theta_coolant
    return G, b


def iron_split(net: WallscheidLPTN, p_fe: float, omega: float, i_abs: float) -> np.ndarray:
    """Wallscheid's split of the iron loss between magnet, yoke and teeth (none to the winding)."""
    n = abs(omega) * 30.0 / np.pi / 6000.0
    k1 = np.clip(net.k1_0 + net.k1_n * n + (net.k1_i + net.k1_ni * n) * i_abs / net.i_ref, 0.0, 1.0)
    return p_fe * np.array([1.0 - k1, net.k2 * k1, (1.0 - net.k2) * k1, 0.0])


@pytest.mark.parametrize("omega", [0.0, 150.0, 400.0])
def test_network_steady_state_is_the_conductance_solve(omega):
    """At θ = G⁻¹(b + P) every node's derivative vanishes; elsewhere C dθ/dt = b + P - G θ."""
    net = WallscheidLPTN(theta_ambient=30.0, theta_coolant=60.0)
    G, b = conductance_matrix(net, omega)
    p_cu, p_fe, i_abs = 1500.0, 700.0, 180.0
    P = iron_split(net, p_fe, omega, i_abs) + np.array([0.0, 0.0, 0.0, p_cu])
    theta_ss = np.linalg.solve(G, b + P)
    d = np.array(lptn_derivative(net.columns, *theta_ss, p_cu, p_fe, omega, i_abs))
    np.testing.assert_allclose(d, 0.0, atol=1e-12)
    assert theta_ss[3] > theta_ss[2] > net.theta_coolant      # the winding is the hottest node
    theta = np.array([40.0, 70.0, 90.0, 120.0])
    c = np.array([getattr(net, k) for k in CAPS])
    d = np.array(lptn_derivative(net.columns, *theta, p_cu, p_fe, omega, i_abs))
    np.testing.assert_allclose(c * d, b + P - G @ theta, rtol=1e-12, atol=1e-9)


def test_motor_heats_the_network_with_its_copper_and_iron_loss():
    """At equal node and boundary temperatures the heat flow is the losses: 1.5 r(θ) |i|² and P_fe (ψ at θ)."""
    net = WallscheidLPTN(theta_ambient=90.0, theta_coolant=90.0, theta_initial=90.0)
    m = ThermalPMSM(thermal=net)
    omega, i_sd, i_sq = 200.0, -80.0, 150.0
    x = (i_sd, i_sq, 90.0, 90.0, 90.0, 90.0, 0.3)
    d = np.array(m.derivative(x, (0.0, 0.0, 0.0), omega)[2:6])
    r = m.r_s * (1.0 + 0.00393 * 70.0)
    psi = m.psi_p * (1.0 - 0.001 * 70.0)
    f_el = m.p * omega / (2 * np.pi)
    p_fe = (net.k_hy * f_el + net.k_ed * f_el**2) * ((m.l_d * i_sd + psi) ** 2 + (m.l_q * i_sq) ** 2)
    expected = iron_split(net, p_fe, omega, np.hypot(i_sd, i_sq)) + np.array([0, 0, 0, 1.5 * r * (i_sd**2 + i_sq**2)])
    np.testing.assert_allclose(d * np.array([getattr(net, k) for k in CAPS]), expected, rtol=1e-12)
    np.testing.assert_allclose(m.torque(x), 1.5 * m.p * (psi + (m.l_d - m.l_q) * i_sd) * i_sq, rtol=1e-14)


def _vec(num_envs=1, thermal=True, compiled=True, **kwargs):
    kwargs = {"motor": "PMSM", "task": "CC", "action_frame": "dq", **kwargs}
    return gem.make_vec_env(num_envs=num_envs, max_episode_steps=100_000, thermal=thermal, compiled=compiled,
                            **kwargs)


def _hold(venv, action, steps):
    a = np.broadcast_to(np.asarray(action, np.float32), venv.action_space.shape)
    for _ in range(steps):
        _, _, term, _, _ = venv.step(a)
        assert not term.any()
    return venv.physical_state


def test_temperature_rise_and_time_constants_follow_the_network():
    """Constant copper loss (held current at standstill, alpha_cu = 0): θ(t) = θ_ss + e^{-C⁻¹G t}(θ₀ - θ_ss).

    The capacities are scaled by 1e-4 so that the time constants (2 ms to 0.4 s) fit a short run.
    """
    net = WallscheidLPTN(**{k: getattr(WallscheidLPTN, k) * 1e-4 for k in CAPS}, alpha_cu=0.0,
                         theta_ambient=25.0, theta_coolant=40.0, theta_initial=30.0)
    venv = _vec(thermal=net, load=ConstantSpeedLoad(omega_fixed=0.0))
    a = np.float32(0.0216)                       # u_sd = a 2/3 u_sup = 4.32 V: 240 A
    i_sd = float(a) * 200.0 / PMSM.r_s
    venv.reset(seed=0, options={"initial_state": {"i_sd": i_sd}})
    G, b = conductance_matrix(net, 0.0)
    P = np.array([0.0, 0.0, 0.0, 1.5 * PMSM.r_s * i_sd**2])
    theta_ss = np.linalg.solve(G, b + P)
    A = -G / np.array([getattr(net, k) for k in CAPS])[:, None]
    rates = np.sort(-np.linalg.eigvals(A).real)
    assert 1.0 / rates[-1] > 10 * venv.tau and 1.0 / rates[0] < 0.5      # resolved and reached in 3 s
    cols = [venv.drive.index[n] for n in THERMAL_NODES]
    t = 0.0
    for steps in (50, 450, 2000, 27_500):
        state = _hold(venv, (a, 0.0), steps)
        t += steps * venv.tau
        expected = theta_ss + expm(A * t) @ (30.0 - theta_ss)
        np.testing.assert_allclose(state[0, cols], expected, rtol=0, atol=1e-6)
        np.testing.assert_allclose(state[0, venv.drive.index["i_sd"]], i_sd, rtol=1e-12)
    np.testing.assert_allclose(state[0, cols], theta_ss, atol=1e-5)        # the steady-state rise


@pytest.mark.parametrize("theta", [20.0, 120.0])
def test_winding_and_magnet_temperatures_set_resistance_and_flux(theta):
    """Steady-state currents at a held voltage: i_sd = u_sd / r(θ) at standstill; the short-circuit
    currents at speed solve the dq equations with r(θ) and ψ(θ) (huge capacities hold θ)."""
    net = WallscheidLPTN(**dict.fromkeys(CAPS, 1e12), theta_ambient=theta, theta_coolant=theta, theta_initial=theta)
    r = PMSM.r_s * (1.0 + 0.00393 * (theta - 20.0))
    psi = PMSM.psi_p * (1.0 - 0.001 * (theta - 20.0))
    venv = _vec(thermal=net, load=ConstantSpeedLoad(omega_fixed=0.0))
    venv.reset(seed=0)
    a = np.float32(0.01)
    state = _hold(venv, (a, 0.0), 6000)                      # 0.6 s: 29 time constants l_d / r
    np.testing.assert_allclose(state[0, venv.drive.index["i_sd"]], float(a) * 200.0 / r, rtol=1e-9)

    omega_el = 3 * 100.0
    venv = _vec(thermal=net, action_frame="abc", load=ConstantSpeedLoad(omega_fixed=100.0))
    venv.reset(seed=0)
    state = _hold(venv, (0.0, 0.0, 0.0), 15_000)                # zero voltage: a short circuit
    M = np.array([[r, -omega_el * PMSM.l_q], [omega_el * PMSM.l_d, r]])
    i_sd, i_sq = np.linalg.solve(M, [0.0, -omega_el * psi])
    idx = venv.drive.index
    np.testing.assert_allclose(state[0, [idx["i_sd"], idx["i_sq"]]], [i_sd, i_sq], rtol=1e-7)
    torque = 1.5 * 3 * (psi + (PMSM.l_d - PMSM.l_q) * i_sd) * i_sq
    np.testing.assert_allclose(state[0, idx["torque"]], torque, rtol=1e-7)


def test_temperatures_are_observed_referenced_and_constrained():
    """The states follow u_sup, observed as θ / limit; a reference on θ_sw; over-temperature ends the episode."""
    hot = {"theta_initial": 179.99, "theta_ambient": 179.99, "theta_coolant": 179.99}    # a hot environment
    env = gym.make("gem/Cont-CC-PMSM-v0", thermal=hot, limit_values={"theta_pm": 200.0}, action_frame="dq",
                   load=ConstantSpeedLoad(omega_fixed=0.0), reference=ConstReference(state="theta_sw", value=0.9))
    base = env.unwrapped
    assert base.state_names[-5:] == ("u_sup", *THERMAL_NODES)
    assert "theta_sw_ref" in base.observation_names
    obs, _ = env.reset(seed=0)
    j = base.observation_names.index("theta_sw")
    np.testing.assert_allclose(obs[j], 179.99 / 180.0, rtol=1e-6)
    np.testing.assert_allclose(obs[base.observation_names.index("theta_sw_ref")], 0.9, rtol=1e-6)
    heat = np.array([0.018, 0.0], np.float32)                # 123 A (hot) heat the winding by about 0.2 K/s
    k = next((k for k in range(5000) if env.step(heat)[2]), None)
    assert k is not None and k > 10
    assert base.physical_state[base.drive.index["theta_sw"]] > 180.0
    # without the temperature constraint the same run goes on
    env = gym.make("gem/Cont-CC-PMSM-v0", thermal=hot, limit_values={"theta_pm": 200.0}, action_frame="dq",
                   constraints=(), load=ConstantSpeedLoad(omega_fixed=0.0))
    env.reset(seed=0)
    for _ in range(k + 10):
        assert not env.step(heat)[2]


def test_off_by_default_is_bit_identical():
    """The plain PMSM and SynRM ids give exactly the trajectories of gem before the thermal option."""
    baseline = np.load(BASELINE)
    for name, case in CASES.items():
        np.testing.assert_array_equal(trajectory(*case), baseline[name], err_msg=name)
    assert type(gem.make_task("PMSM", "CC").drive.motor) is PMSM
    assert type(gem.make_task("PMSM", "CC", thermal=False).drive.motor) is PMSM


def test_compiled_equals_numpy_and_batch_invariance():
    """Random actions, fast network: the compiled step equals the NumPy step; env i of a batch equals a single env."""
    net = {**{k: getattr(WallscheidLPTN, k) * 1e-4 for k in CAPS}, "theta_initial": 60.0}
    kw = {"motor": "PMSM", "thermal": net, "task": "SC", "max_episode_steps": 100}
    fast = gem.make_vec_env(num_envs=3, **kw)
    slow = gem.make_vec_env(num_envs=3, compiled=False, **kw)
    singles = [gem.make_vec_env(num_envs=1, **kw) for _ in range(3)]
    fast.reset(seed=[5, 6, 7])
    slow.reset(seed=[5, 6, 7])
    assert fast.compiled and not slow.compiled
    for k, s in enumerate(singles):
        s.reset(seed=5 + k)
    rng = np.random.default_rng(0)
    cols = [fast.drive.index[n] for n in THERMAL_NODES]
    moved = 0.0
    for _ in range(150):
        a = rng.uniform(-1, 1, size=(3, 3)).astype(np.float32)
        fast.step(a)
        slow.step(a)
        np.testing.assert_allclose(fast.physical_state, slow.physical_state, rtol=1e-9, atol=1e-9)
        for k, s in enumerate(singles):
            s.step(a[k:k + 1])
            np.testing.assert_array_equal(s.physical_state[0], fast.physical_state[k])
        moved = max(moved, np.max(np.abs(fast.physical_state[:, cols] - 60.0)))
    assert moved > 0.1                                              # the temperatures moved


@pytest.mark.parametrize(("thermal", "message"), [
    ("hot", "'hot'"), ({"c_pm": -1.0}, "'c_pm'"), ({"c_bogus": 1.0}, "c_bogus"), ({"k2": 1.5}, "'k2'"),
    ({"theta_ambient": [20.0, 30.0]}, "'theta_ambient'"), ({"alpha_cu": float("nan")}, "alpha_cu"),
])
def test_bad_thermal_parameters_are_named(thermal, message):
    with pytest.raises(ValueError, match=message):
        gem.make_task("PMSM", "CC", thermal=thermal)


def test_thermal_option_needs_a_motor_with_a_model():
    """SynRM: no thermal model (PMSM and PermExDc have); a PMSM object gets its temperatures."""
    with pytest.raises(ValueError, match="SynRM has no thermal model"):
        gem.make_task("SynRM", "CC", thermal=True)
    m = gem.make_task(PMSM(r_s=0.02), "CC", thermal=True).drive.motor     # an instance gets its temperatures
    assert isinstance(m, ThermalPMSM) and m.r_s == 0.02
