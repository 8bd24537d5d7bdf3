"""Magnetic saturation and cross-coupling (flux maps) of the PMSM and SynRM: the map, the motor, the environment."""

import os
import warnings

import gymnasium as gym
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.interpolate import RegularGridInterpolator
from scipy.optimize import fsolve

import gem
import gem.controllers
from gem.envs import ConstReference, Uniform
from gem.physical_systems import PMSM, AlgebraicSaturationModel, FluxMap, SynRM, scaled_flux_map

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "saturation")
L_D, L_Q, PSI_P = 0.37e-3, 1.2e-3, 66e-3          # GEM's PMSM


def smooth_map(n_d=9, n_q=11):
    """A saturating, cross-coupled table on an uneven-sized grid (not from gem's model)."""
    i_d, i_q = np.linspace(-200.0, 100.0, n_d), np.linspace(-150.0, 150.0, n_q)
    d, q = np.meshgrid(i_d, i_q, indexing="ij")
    psi_d = PSI_P + 60.0 * L_D * np.tanh(d / 60.0) - 1e-9 * q**2 * (1.0 + d / 400.0)
    psi_q = 100.0 * L_Q * np.tanh(q / 100.0) * (1.0 - 3e-4 * np.abs(d) / 2.0)
    return FluxMap(i_d, i_q, psi_d, psi_q, source="test")


def linear_map(points=21, half=500.0):
    g = np.linspace(-half, half, points)
    d, q = np.meshgrid(g, g, indexing="ij")
    return FluxMap(g, g, PSI_P + L_D * d, L_Q * q, source="linear")


# ----------------------------------------------------------------------------- the map
def test_map_reproduces_the_table_at_grid_points_and_is_continuous_between_them():
    m = smooth_map()
    d, q = np.meshgrid(m.i_d, m.i_q, indexing="ij")
    psi_d, psi_q, *_ = m(d, q)
    np.testing.assert_allclose(psi_d, m.psi_d, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(psi_q, m.psi_q, rtol=1e-13, atol=1e-15)
    # across every cell border in both directions: the jump shrinks with the distance (continuity)
    eps = 1e-7
    borders = ((m.i_d[1:-1], np.linspace(-149.0, 149.0, 13), 0), (m.i_q[1:-1], np.linspace(-199.0, 99.0, 13), 1))
    for border, other, axis in borders:
        b, o = np.meshgrid(border, other, indexing="ij")
        pts = (b, o) if axis == 0 else (o, b)
        lo = m(*(p - eps if k == axis else p for k, p in enumerate(pts)))
        hi = m(*(p + eps if k == axis else p for k, p in enumerate(pts)))
        for k in (0, 1):
            assert np.max(np.abs(hi[k] - lo[k])) < 10 * eps * max(L_D, L_Q)
    # between grid points the map is the bilinear interpolant (scipy's, an independent implementation)
    rng = np.random.default_rng(0)
    d, q = rng.uniform(-200, 100, 200), rng.uniform(-150, 150, 200)
    for k, table in ((0, m.psi_d), (1, m.psi_q)):
        ref = RegularGridInterpolator((m.i_d, m.i_q), table, method="linear")(np.stack([d, q], axis=1))
        np.testing.assert_allclose(m(d, q)[k], ref, rtol=1e-12, atol=1e-15)


def test_incremental_inductance_equals_the_linear_one_where_the_map_is_linear():
    rng = np.random.default_rng(1)
    d, q = rng.uniform(-700.0, 700.0, 300), rng.uniform(-700.0, 700.0, 300)   # outside the table too
    _, _, l_dd, l_dq, l_qd, l_qq = linear_map()(d, q)
    np.testing.assert_allclose(l_dd, L_D, rtol=1e-12)
    np.testing.assert_allclose(l_qq, L_Q, rtol=1e-12)
    np.testing.assert_allclose(np.hstack([l_dq, l_qd]), 0.0, atol=1e-15)
    # gem's PMSM map: the d axis has no self-saturation, so along i_q = 0 it is linear with GEM's l_d
    pm = scaled_flux_map(L_D, L_Q, PSI_P, 240.0, 400.0)
    i_d = np.linspace(-450.0, 450.0, 37)
    psi_d, psi_q, l_dd, _, _, l_qq = pm(i_d, 0.0 * i_d)
    np.testing.assert_allclose(l_dd, L_D, rtol=1e-9)
    np.testing.assert_allclose(psi_d, PSI_P + L_D * i_d, rtol=1e-9)
    assert pm(0.0, 240.0)[5] < 0.5 * L_Q                       # and the q axis saturates at the nominal current


def test_linear_map_motor_equals_the_linear_motor():
    rng = np.random.default_rng(2)
    linear, mapped = PMSM(), PMSM().with_saturation(linear_map())
    x = np.stack([rng.uniform(-400, 400, 50), rng.uniform(-400, 400, 50), rng.uniform(-np.pi, np.pi, 50)])
    u, omega = rng.normal(scale=100.0, size=(3, 50)), rng.normal(scale=200.0, size=50)
    for a, b in zip(mapped.derivative(x, u, omega), linear.derivative(x, u, omega), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(mapped.torque(x), linear.torque(x), rtol=1e-9, atol=1e-9)


def test_generated_map_inverts_the_published_model():
    """The table of saturation=True holds ψ with i(ψ) = the grid currents (Hinkkanen et al.'s model)."""
    ref = AlgebraicSaturationModel(a_d0=17.4, a_dd=373.0, S=5.0, a_q0=52.1, a_qq=658.0, T=1.0, a_dq=1120.0, U=1.0,
                                   V=0.0)
    i = np.linspace(-30.0, 30.0, 7)
    m = FluxMap.from_model(ref, i, i)
    d, q = np.meshgrid(i, i, indexing="ij")
    i_d, i_q = ref.currents(m.psi_d, m.psi_q)
    np.testing.assert_allclose(i_d, d, atol=1e-9)
    np.testing.assert_allclose(i_q, q, atol=1e-9)
    h = 1e-6                                # reciprocity of the model: ∂i_d/∂ψ_q = ∂i_q/∂ψ_d
    psi = (0.4, -0.2)
    did_dq = (ref.currents(psi[0], psi[1] + h)[0] - ref.currents(psi[0], psi[1] - h)[0]) / (2 * h)
    diq_dd = (ref.currents(psi[0] + h, psi[1])[1] - ref.currents(psi[0] - h, psi[1])[1]) / (2 * h)
    assert did_dq == pytest.approx(diq_dd, rel=1e-6)


def test_an_analytic_model_is_tabulated_for_the_motor():
    """saturation=AlgebraicSaturationModel: a SynRM whose map is the model inverted on ±1.25 × the limit."""
    model = AlgebraicSaturationModel(a_d0=99.0, a_dd=1.166e6, S=5.0, a_q0=243.9, a_qq=9868.0, T=1.0, a_dq=2.31e5,
                                     U=1.0, V=0.0)
    motor = gem.make_task(motor="SynRM", task="CC", saturation=model).drive.motor
    fm = motor.saturation
    assert fm.i_d[-1] == pytest.approx(1.25 * 18.0) and fm.i_d.size == 41
    assert motor.l_d == pytest.approx(1.0 / 99.0, rel=1e-3)            # the model's zero-flux inductance
    i_d, i_q = model.currents(fm.psi_d, fm.psi_q)
    np.testing.assert_allclose(i_d, np.broadcast_to(fm.i_d[:, None], i_d.shape), atol=1e-9)


# ----------------------------------------------------------------------------- the environment
def _record(compiled, **kwargs):
    env = gem.make_vec_env(num_envs=3, max_episode_steps=40, compiled=compiled, **kwargs)
    env.reset(seed=[3, 4, 5])
    env.action_space.seed(7)
    states, rewards = [env.physical_state], []
    for _ in range(60):
        _, reward, *_ = env.step((0.5 * env.action_space.sample()).astype(np.float32))
        states.append(env.physical_state)
        rewards.append(reward)
    return np.array(states), np.array(rewards)


@pytest.mark.parametrize(("name", "kwargs"), [("pmsm_cc", dict(motor="PMSM", task="CC")),
                                              ("synrm_sc", dict(motor="SynRM", task="SC", saturation=None))])
@pytest.mark.parametrize("compiled", [True, False])
def test_saturation_off_is_bit_identical(name, kwargs, compiled):
    """Recorded with the tree before saturation existed (tests/data/saturation/record_linear.py)."""
    ref = np.load(os.path.join(DATA, "linear_reference.npz"))
    states, rewards = _record(compiled, **kwargs)
    np.testing.assert_array_equal(states, ref[f"{name}_{int(compiled)}_states"])
    np.testing.assert_array_equal(rewards, ref[f"{name}_{int(compiled)}_rewards"])


def _dq_action(eps, u_d, u_q, omega_el, tau, u_sup):
    """B6 duty cycles applying the rotor-frame voltage (u_d, u_q) at the middle of the period."""
    e = eps + omega_el * tau / 2
    u_a, u_b = u_d * np.cos(e) - u_q * np.sin(e), u_d * np.sin(e) + u_q * np.cos(e)
    return np.array([u_a, -u_a / 2 + np.sqrt(3) / 2 * u_b, -u_a / 2 - np.sqrt(3) / 2 * u_b]) / (u_sup / 2)


def test_saturated_pmsm_matches_an_independent_flux_state_solution():
    """Env (current states, RK4) against solve_ivp on the flux linkages with scipy's interpolant inverted.

    Sub-steps: the incremental inductances jump at the table's cell borders, where a fixed RK4 step
    loses its order (without sub-steps the currents differ by up to 0.7 A of 210 A).
    """
    env = gym.make("gem/Cont-CC-PMSM-v0", saturation=True, constraints=(), substeps=8)
    base = env.unwrapped
    m, idx, tau = base.drive.motor, base.drive.index, base.tau
    u_sup, omega, p = base.limits[idx["u_sup"]], 100.0, m.p
    env.reset(seed=0, options={"initial_state": {"i_sd": 0.0, "i_sq": 0.0, "epsilon": 0.3}})
    fm = m.saturation
    psi_of = [RegularGridInterpolator((fm.i_d, fm.i_q), t, method="linear") for t in (fm.psi_d, fm.psi_q)]

    def currents(psi, guess):
        with warnings.catch_warnings():     # "not making good progress": at a kink of the interpolant, converged
            warnings.simplefilter("ignore", RuntimeWarning)
            return fsolve(lambda i: [psi_of[0](i)[0] - psi[0], psi_of[1](i)[0] - psi[1]], guess, xtol=1e-12)

    def rhs(t, y, u_al, u_be, guess):
        e = eps0 + p * omega * t
        u_d, u_q = u_al * np.cos(e) + u_be * np.sin(e), -u_al * np.sin(e) + u_be * np.cos(e)
        i = currents(y, guess)
        return [u_d - m.r_s * i[0] + p * omega * y[1], u_q - m.r_s * i[1] - p * omega * y[0]]

    psi = np.array([psi_of[0]([0.0, 0.0])[0], 0.0])
    i_guess, eps0 = np.zeros(2), 0.3
    env_i, ref_i = [], []
    for k in range(50):
        eps = base.physical_state[idx["epsilon"]]
        a = _dq_action(eps, -45.0, 50.0, p * omega, tau, u_sup)
        env.step(a.astype(np.float32))
        u = np.float32(a).astype(float) * u_sup / 2
        u_al, u_be = (2 * u[0] - u[1] - u[2]) / 3, (u[1] - u[2]) / np.sqrt(3)

        sol = solve_ivp(rhs, (k * tau, (k + 1) * tau), psi, rtol=1e-11, atol=1e-12, args=(u_al, u_be, i_guess))
        psi = sol.y[:, -1]
        i_guess = currents(psi, i_guess)
        env_i.append(base.physical_state[[idx["i_sd"], idx["i_sq"]]])
        ref_i.append(i_guess)
    env_i, ref_i = np.array(env_i), np.array(ref_i)
    assert np.max(np.hypot(*env_i.T)) > 300.0                      # deep in saturation (nominal 240 A) ...
    assert not fm.outside(env_i[:, 0], env_i[:, 1]).any()           # ... and inside the table
    np.testing.assert_allclose(env_i, ref_i, atol=0.15)             # A, of up to ~370 A
    lin = gym.make("gem/Cont-CC-PMSM-v0", constraints=())            # the linear model is far off: the test sees it
    lin.reset(seed=0, options={"initial_state": {"i_sd": 0.0, "i_sq": 0.0, "epsilon": 0.3}})
    for _ in range(50):
        e = lin.unwrapped.physical_state[idx["epsilon"]]
        lin.step(_dq_action(e, -45.0, 50.0, p * omega, tau, u_sup).astype(np.float32))
    assert np.max(np.abs(lin.unwrapped.physical_state[[idx["i_sd"], idx["i_sq"]]] - ref_i[-1])) > 20.0


def test_batch_equals_single_runs():
    seeds = [2, 8, 13]
    venv = gem.make_vec_env(num_envs=3, motor="PMSM", task="SC", saturation=True)
    venv.reset(seed=seeds)
    venv.action_space.seed(1)
    actions = [venv.action_space.sample() for _ in range(50)]
    for a in actions:
        venv.step(a)
    for k, seed in enumerate(seeds):
        env = gem.make_env(motor="PMSM", task="SC", saturation=True)
        env.reset(seed=seed)
        for a in actions:
            env.step(a[k])
        np.testing.assert_allclose(env.unwrapped.physical_state, venv.physical_state[k], rtol=1e-12, atol=1e-12)


def test_clamp_warns_once_per_environment_and_episode():
    venv = gem.make_vec_env(num_envs=2, motor="PMSM", task="CC", saturation=True, constraints=(), compiled=False)
    fast = gem.make_vec_env(num_envs=2, motor="PMSM", task="CC", saturation=True, constraints=())
    action = np.array([[1.0, -1.0, -1.0], [0.0, 0.0, 0.0]], np.float32)        # env 0 drives its current far out
    fm, idx = venv.drive.motor.saturation, venv.drive.index
    for episode in range(2):
        venv.reset(seed=0)
        fast.reset(seed=0)
        outside = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(300):
                venv.step(action)
                fast.step(action)           # the compiled step clamps alike
                np.testing.assert_allclose(fast.physical_state, venv.physical_state, rtol=1e-9, atol=1e-9)
                outside.append(fm.outside(venv.physical_state[:, idx["i_sd"]], venv.physical_state[:, idx["i_sq"]]))
                assert np.isfinite(venv.physical_state).all()
        messages = [str(w.message) for w in caught if "flux map" in str(w.message)]
        assert len(messages) == 2 and messages[0] == messages[1], (episode, messages)     # NumPy's and compiled
        assert messages[0].startswith("environment(s) [0]:") and "clamped" in messages[0]
        assert np.sum(outside, axis=0).tolist()[1] == 0 and np.sum(outside, axis=0)[0] > 10    # outside, warned once


def test_clamp_warns_once_per_episode_in_the_compiled_single_env():
    env = gym.make("gem/Cont-CC-PMSM-v0", saturation=True, constraints=())
    counts = []
    for _ in range(2):
        env.reset(seed=0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(300):
                obs, *_ = env.step(np.array([1.0, -1.0, -1.0], np.float32))
        counts.append(sum("left the flux map's table" in str(w.message) for w in caught))
        assert np.isfinite(obs).all()
    assert counts == [1, 1] and env.unwrapped.compiled


def test_pi_current_control_reaches_a_step_on_the_saturated_pmsm():
    """The cascade tuned with the map's inductances at zero current: a step to 220 A (L_q,inc ≈ 0.4 L_q)."""
    values = [-0.3, 0.55]
    env = gym.make("gem/Cont-CC-PMSM-v0", saturation=True, reference=[ConstReference(value=v) for v in values])
    base = env.unwrapped
    policy = gem.controllers.make(env)
    obs, _ = env.reset(seed=0)
    states = []
    for k in range(600):
        action, _ = policy.predict(obs, episode_start=(k == 0))
        obs, _, terminated, truncated, _ = env.step(action)
        assert not terminated
        states.append(base.physical_state)
    states = np.array(states)
    for name, v in zip(("i_sd", "i_sq"), values, strict=True):
        y, ref = states[:, base.drive.index[name]], v * 400.0
        assert abs(y[-100:].mean() - ref) < 0.02 * 240.0                   # within 2 % of nominal
        assert np.max(y * np.sign(ref)) - abs(ref) < 0.1 * abs(ref)        # overshoot < 10 %
    assert base.drive.motor.saturation(*states[-1, [5, 6]])[5] < 0.5 * L_Q       # where the map has saturated


# ----------------------------------------------------------------------------- bad input
def _table(n_d=5, n_q=5):
    g_d, g_q = np.linspace(-100.0, 100.0, n_d), np.linspace(-100.0, 100.0, n_q)
    d, q = np.meshgrid(g_d, g_q, indexing="ij")
    return g_d, g_q, PSI_P + L_D * d, L_Q * q


@pytest.mark.parametrize(("change", "match"), [
    (lambda t: (t[0][::-1], *t[1:]), "i_d must be strictly increasing"),
    (lambda t: (np.array([-100.0, -60.0, 0.0, 50.0, 100.0]), *t[1:]), "evenly spaced"),
    (lambda t: (t[0], np.linspace(10.0, 50.0, 5), *t[2:]), "i_q grid must contain zero"),
    (lambda t: (t[0], t[1], np.where(np.eye(5) > 0, np.nan, t[2]), t[3]), "psi_d has 5 non-finite"),
    (lambda t: (t[0], t[1], t[2], t[3][:, :4]), r"psi_q must have shape \(len\(i_d\), len\(i_q\)\) = \(5, 5\)"),
    (lambda t: (t[0][:, None], *t[1:]), "i_d must be a 1-D grid"),
    (lambda t: (t[0], t[1], -t[2], t[3]), "not positive definite"),
])
def test_bad_tables_raise_naming_the_culprit(change, match):
    with pytest.raises(ValueError, match=match):
        FluxMap(*change(_table()))


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(motor="PMSM", saturation="yes"), "saturation must be None, True, a FluxMap"),
    (dict(motor="SeriesDc", saturation=True), "SeriesDc has no flux-map model"),
    (dict(motor="PMSM", saturation=FluxMap(*_table()), motor_params={"l_q": 1e-3}), r"motor_params \['l_q'\]"),
    (dict(motor="PMSM", saturation=True, randomize={"l_d": Uniform(3e-4, 4e-4)}), r"randomize=\['l_d'\]"),
    (dict(motor="PMSM", saturation=True, motor_params={"psi_p": [0.06, 0.07]}), r"randomize=\['psi_p'\]"),
])
def test_bad_saturation_keywords_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gem.make_task(task="CC", **kwargs)


def test_a_map_that_disagrees_with_the_motor_parameters_raises():
    with pytest.raises(ValueError, match="with saturation, l_q must be the flux map's value at zero current"):
        PMSM(saturation=FluxMap(*_table()), l_q=2e-3)
    with pytest.raises(ValueError, match="psi_p must be the flux map's value"):
        SynRM(saturation=FluxMap(*_table()), l_d=L_D, l_q=L_Q)      # a magnet flux on a SynRM
    synrm = SynRM().with_saturation(scaled_flux_map(10.1e-3, 4.1e-3, 0.0, 10.0, 18.0))
    assert synrm.l_d == pytest.approx(10.1e-3, rel=1e-4)


def test_thermal_and_saturation_together_are_refused():
    """The thermal PMSM has its own equations: a flux map would be ignored, so it is an error."""
    with pytest.raises(ValueError, match="thermal= and saturation= together"):
        gem.make_task("PMSM", "CC", thermal=True, saturation=True)
