"""Every script in ``examples/`` runs (small budgets), and the custom-motor example works in single and vector mode.

Each example runs as a subprocess, as a user would start it, in a temporary folder (files it writes
to relative paths land there, and must be below ``runs/``, which git ignores), with the arguments in
``SMALL_BUDGET`` (none by default) and ``GEM_SMALL_BUDGET=1`` in its environment, which an example
may read to shrink its budget instead of taking arguments. A new example is picked up automatically; give it an entry in
``SMALL_BUDGET`` if its default run takes more than a few seconds.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import gem
import gem.controllers
from gem.physical_systems import SeriesDc

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
SMALL_BUDGET: dict[str, list[str]] = {
    "custom_motor.py": ["--steps", "300", "--num-envs", "8"],
    "custom_components.py": ["--steps", "200", "--num-envs", "8"],
    "pi_control.py": ["--seconds", "0.05"],
    "ddpg_vs_pi.py": ["--timesteps", "300", "--eval-episodes", "1"],
}
TIMEOUT_S = 600


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script: Path, tmp_path: Path):
    # the gem of this checkout, whichever one the interpreter has installed
    path = os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))
    env = {**os.environ, "MPLBACKEND": "Agg", "GEM_SMALL_BUDGET": "1", "PYTHONPATH": path}
    proc = subprocess.run([sys.executable, str(script), *SMALL_BUDGET.get(script.name, [])], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 0, f"{script.name} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    assert proc.stdout.strip(), f"{script.name} printed nothing"
    stray = sorted(p.name for p in tmp_path.iterdir() if p.name != "runs")
    assert not stray, f"{script.name} wrote {stray} into the current folder (outputs go below runs/, ignored by git)"


# ------------------------------------------------------------------ the custom motor of the tutorial
@pytest.fixture(scope="module")
def custom():
    spec = importlib.util.spec_from_file_location("custom_motor", ROOT / "examples" / "custom_motor.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["custom_motor"] = module             # as after ``import custom_motor`` (numba looks it up)
    spec.loader.exec_module(module)
    return module


def run(env, actions):
    env.reset(seed=5)
    states = [env.physical_state.copy()]
    for a in actions:
        env.step(a)
        states.append(env.physical_state.copy())
    return np.array(states)


def test_custom_motor_without_saturation_is_the_series_motor(custom):
    actions = np.random.default_rng(0).uniform(-0.3, 0.3, size=(200, 1)).astype(np.float32)
    linear = run(gem.make_env(motor=custom.SaturatedSeriesDc(i_sat=1e9), task="CC"), actions)
    series = run(gem.make_env(motor=SeriesDc(), task="CC"), actions)
    np.testing.assert_allclose(linear, series, rtol=1e-9, atol=1e-9)


def test_custom_motor_saturates(custom):
    motor = custom.SaturatedSeriesDc()
    i = np.array([10.0, 100.0, 200.0])
    torque = motor.torque([i])
    np.testing.assert_allclose(torque, motor.l_e_prime * motor.i_sat * np.tanh(i / motor.i_sat) * i)
    assert torque[0] == pytest.approx(motor.l_e_prime * 100.0, rel=1e-2)       # linear at small currents
    assert torque[2] < 0.8 * motor.l_e_prime * 200.0**2                          # well below it when saturated
    with pytest.raises(ValueError, match="i_sat"):
        custom.SaturatedSeriesDc(i_sat=0.0)


@pytest.mark.parametrize("task", ["CC", "TC", "SC"])
@pytest.mark.parametrize("action_type", ["Cont", "Finite"])
def test_custom_motor_single_env(custom, task, action_type):
    env = gem.make_env(motor=custom.SaturatedSeriesDc(), task=task, action_type=action_type)
    check_env(env, skip_render_check=True)
    assert env.state_names == ("omega", "torque", "i", "u", "u_sup")


def test_custom_motor_vector_env_equals_single_envs(custom):
    motor = custom.SaturatedSeriesDc()
    venv = gem.make_vec_env(num_envs=3, motor=motor, task="CC")
    actions = np.random.default_rng(1).uniform(-0.2, 0.2, size=(50, 3, 1)).astype(np.float32)
    obs, _ = venv.reset(seed=7)
    batched = [obs]
    for a in actions:
        batched.append(venv.step(a)[0])
    for k in range(3):
        env = gem.make_env(motor=motor, task="CC")
        single = [env.reset(seed=7 + k)[0]] + [env.step(a[k])[0] for a in actions]
        np.testing.assert_allclose(np.array(batched)[:, k], np.array(single), rtol=1e-6, atol=1e-6)


def test_custom_motor_through_gym_make_and_make_vec(custom):
    env_id = "test/Cont-CC-SaturatedSeriesDc-v0"
    if env_id not in gym.registry:
        gym.register(id=env_id, entry_point="gem.envs.registration:make_env",
                     vector_entry_point="gem.envs.registration:make_vec_env", max_episode_steps=20,
                     kwargs={"motor": custom.SaturatedSeriesDc(), "task": "CC", "action_type": "Cont"})
    env = gym.make(env_id)
    env.reset(seed=0)
    truncated = False
    for _ in range(20):
        _, _, terminated, truncated, _ = env.step(np.zeros(1, dtype=np.float32))
        assert not terminated
    assert truncated
    venv = gym.make_vec(env_id, num_envs=4, vectorization_mode="vector_entry_point")
    assert venv.reset(seed=0)[0].shape == (4, 6)


def test_custom_motor_under_pi_control(custom):
    motor = custom.SaturatedSeriesDc()
    env = gem.make_env(motor=motor, task="CC")
    policy = gem.controllers.make(env)
    obs, _ = env.reset(seed=0)
    errors = []
    for k in range(600):
        action, _ = policy.predict(obs, episode_start=(k == 0))
        obs, _, terminated, _, _ = env.step(action)
        assert not terminated
        errors.append(env.physical_state[2] - env.references[0])
    assert np.sqrt(np.mean(np.square(errors[300:]))) < 0.05 * env.limits[2]

    venv = gem.make_vec_env(num_envs=8, motor=motor, task="SC", max_episode_steps=2000)
    policy = gem.controllers.make(venv)
    obs, _ = venv.reset(seed=0)
    for k in range(300):
        action, _ = policy.predict(obs, episode_start=np.full(8, k == 0))
        obs, _, terminated, _, _ = venv.step(action)
        assert not terminated.any()
