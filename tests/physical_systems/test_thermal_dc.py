"""The thermal option of the PermExDc: one winding node, r_a(θ), compiled = NumPy, batch invariance."""

import numpy as np
import pytest

import gem
from gem.physical_systems import ConstantSpeedLoad, PermExDc, ThermalPermExDc, WindingNode


def _vec(thermal, num_envs=1, compiled=True):
    return gem.make_vec_env(num_envs=num_envs, motor="PermExDc", task="CC", thermal=thermal, compiled=compiled,
                            load=ConstantSpeedLoad(omega_fixed=0.0), max_episode_steps=100_000)


def _hold(venv, a, steps):
    for _ in range(steps):
        assert not venv.step(np.full((venv.num_envs, 1), a, np.float32))[2].any()
    return venv.physical_state[0]


def test_constant_loss_gives_the_first_order_rise():
    """Held current at standstill (alpha_cu = 0), τ = r_th c_th:

    θ(t) = θ_a + P r_th (1 - e^{-t/τ}) + (θ₀ - θ_a) e^{-t/τ}.
    """
    node = WindingNode(c_th=0.25, r_th=0.5, theta_ambient=30.0, theta_initial=40.0, alpha_cu=0.0)
    venv = _vec(node)
    a = np.float32(0.025867)                    # u = a u_sup = 1.552 V: 97 A
    i = float(a) * 60.0 / PermExDc.r_a
    venv.reset(seed=0, options={"initial_state": {"i": i}})
    p, tau_th = PermExDc.r_a * i * i, 0.5 * 0.25
    j, t = venv.drive.index["theta_w"], 0.0
    for steps in (500, 1500, 23_000):                        # to 2.5 s = 20 τ
        state = _hold(venv, a, steps)
        t += steps * venv.tau
        expected = 30.0 + p * 0.5 * (1.0 - np.exp(-t / tau_th)) + 10.0 * np.exp(-t / tau_th)
        np.testing.assert_allclose(state[j], expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(state[j], 30.0 + p * 0.5, atol=1e-6)           # the steady-state rise


@pytest.mark.parametrize("theta", [20.0, 120.0])
def test_winding_temperature_sets_the_resistance(theta):
    """Steady-state current at a held voltage: i = u / (r_a (1 + 0.00393 (θ - 20 °C))) (a huge capacity holds θ)."""
    venv = _vec(WindingNode(c_th=1e12, theta_initial=theta))
    venv.reset(seed=0)
    a = np.float32(0.02)
    state = _hold(venv, a, 1000)                              # 0.1 s: 84 time constants l_a / r
    r = PermExDc.r_a * (1 + 0.00393 * (theta - 20))
    np.testing.assert_allclose(state[venv.drive.index["i"]], float(a) * 60.0 / r, rtol=1e-9)


def test_compiled_equals_numpy_and_batch_invariance():
    kw = {"motor": "PermExDc", "task": "SC", "thermal": {"c_th": 0.05, "theta_initial": 60.0}, "max_episode_steps": 80}
    fast, slow = gem.make_vec_env(num_envs=3, **kw), gem.make_vec_env(num_envs=3, compiled=False, **kw)
    single = gem.make_vec_env(num_envs=1, **kw)
    fast.reset(seed=[4, 5, 6])
    slow.reset(seed=[4, 5, 6])
    single.reset(seed=5)
    assert fast.compiled and not slow.compiled
    rng = np.random.default_rng(1)
    j, moved = fast.drive.index["theta_w"], 0.0
    for _ in range(200):
        a = rng.uniform(-1, 1, size=(3, 1)).astype(np.float32)
        fast.step(a)
        slow.step(a)
        single.step(a[1:2])
        np.testing.assert_allclose(fast.physical_state, slow.physical_state, rtol=1e-9, atol=1e-9)
        np.testing.assert_array_equal(single.physical_state[0], fast.physical_state[1])
        moved = max(moved, np.max(np.abs(fast.physical_state[:, j] - 60.0)))
    assert moved > 0.1


def test_bad_winding_parameters_are_named():
    with pytest.raises(ValueError, match="'r_th'"):
        gem.make_task("PermExDc", "CC", thermal={"r_th": 0.0})
    with pytest.raises(ValueError, match="c_pm"):                 # a PMSM network parameter
        gem.make_task("PermExDc", "CC", thermal={"c_pm": 1.0})
    m = gem.make_task("PermExDc", "CC", thermal=True, motor_params={"r_a": 0.02}).drive.motor
    assert isinstance(m, ThermalPermExDc) and m.r_a == 0.02
