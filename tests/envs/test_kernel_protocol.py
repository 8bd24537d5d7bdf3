"""User components compile through their column functions; ones that only override NumPy methods warn.

The compiled kernel calls each component's column functions (the protocol), never a copy of gem's
arithmetic: a user converter, reward or constraint written with column functions runs compiled
and equals the NumPy step; a subclass that overrides only the NumPy method runs on the NumPy step
with a ``PerformanceWarning`` that names the reason, never silently with the parent's arithmetic.
"""

import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import gem
from gem.envs.kernel import PerformanceWarning
from gem.envs.rewards import WeightedSumOfErrors
from gem.physical_systems.converters import FOUR_QUADRANT, ContinuousConverter

_SPEC = importlib.util.spec_from_file_location("custom_components", Path(__file__).parents[2] / "examples" /
                                               "custom_components.py")
custom = sys.modules.setdefault("custom_components", importlib.util.module_from_spec(_SPEC))
_SPEC.loader.exec_module(custom)      # the user components of the docs' example: written once, tested here


@dataclass(frozen=True, eq=False)
class NumpyOnlyConverter(ContinuousConverter):
    """Overrides ``output`` (NumPy) without column functions: must not be compiled."""

    def output(self, action, i_out, switch_state, u_sup, tau):
        return super().output(0.5 * action, i_out, switch_state, u_sup, tau)


@dataclass(frozen=True)
class NumpyOnlyReward(WeightedSumOfErrors):
    def __call__(self, state, reference, violated):
        return 2.0 * super().__call__(state, reference, violated)


def _run_pair(steps: int = 60, **kwargs):
    fast = gem.make_vec_env(num_envs=3, max_episode_steps=30, **kwargs)
    slow = gem.make_vec_env(num_envs=3, max_episode_steps=30, compiled=False, **kwargs)
    o1, _ = fast.reset(seed=7)
    o2, _ = slow.reset(seed=7)
    np.testing.assert_allclose(o1, o2, rtol=1e-6, atol=1e-6)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        a = rng.uniform(-1, 1, fast.action_space.shape).astype(np.float32)
        r1, r2 = fast.step(a), slow.step(a)
        for k in (0, 1):
            np.testing.assert_allclose(r1[k], r2[k], rtol=1e-6, atol=1e-9)
        np.testing.assert_array_equal(r1[2], r2[2])
        np.testing.assert_allclose(fast.physical_state, slow.physical_state, rtol=1e-9, atol=1e-9)
    return fast


def test_user_converter_reward_and_constraint_run_compiled_and_equal_numpy():
    env = _run_pair(motor="PermExDc", task="CC", converter=custom.MinPulseConverter(FOUR_QUADRANT),
                    reward=custom.SquaredError, constraints=(custom.Band(("i",), band=0.9),))
    assert env.compiled
    assert isinstance(env.task.reward, custom.SquaredError)
    # the user's arithmetic is what ran: duty cycles never below 5 %, so the voltage never reaches -u_sup
    u = env.physical_state[:, env.drive.index["u"]] / env.limits[:, env.drive.index["u"]]
    assert np.all(np.abs(u) <= 0.9 + 1e-12)


@pytest.mark.parametrize(("kwargs", "culprit"), [
    (dict(converter=NumpyOnlyConverter(FOUR_QUADRANT)), "NumpyOnlyConverter overrides 'output'"),
    (dict(reward=NumpyOnlyReward), "NumpyOnlyReward overrides '__call__'"),
])
def test_numpy_only_override_warns_and_runs_its_own_arithmetic(kwargs, culprit):
    env = gem.make_vec_env(num_envs=2, motor="PermExDc", task="CC", **kwargs)
    with pytest.warns(PerformanceWarning, match=culprit):
        env.reset(seed=0)
    assert not env.compiled
    env.step(np.full((2, 1), 0.3, np.float32))


def test_documented_numpy_only_components_are_logged_not_warned(recwarn):
    env = gem.make_vec_env(num_envs=2, motor="SeriesDc", task="CC", solver="scipy")
    env.reset(seed=0)
    assert not env.compiled
    assert not [w for w in recwarn if issubclass(w.category, PerformanceWarning)]


def test_reward_object_with_wrong_number_of_weights_is_rejected():
    reward = WeightedSumOfErrors(weights=(1.0, 1.0), widths=(2.0, 2.0))
    with pytest.raises(ValueError, match="2 weights for 1 referenced"):
        gem.make_vec_env(num_envs=1, motor="PermExDc", task="CC", reward=reward)


def test_default_kernel_leaves_the_process_threads_alone(tmp_path):
    """A large default batch runs the serial kernel: a learner's torch keeps its one thread."""
    pytest.importorskip("torch")
    script = (
        "import torch; torch.set_num_threads(1)\n"
        "import numpy as np, gymnasium as gym, gem\n"
        "env = gym.make_vec('gem/Cont-CC-SeriesDc-v0', num_envs=512, vectorization_mode='vector_entry_point')\n"
        "env.reset(seed=0)\n"
        "for _ in range(5): env.step(env.action_space.sample())\n"
        "assert env.unwrapped.compiled\n"
        "print(torch.get_num_threads())\n")
    env = {**os.environ, "GEM_CACHE_DIR": os.environ.get("GEM_CACHE_DIR", str(tmp_path))}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "1"


@pytest.mark.parametrize("compiled", [True, False])
def test_non_finite_speed_profile_is_an_error_on_both_steps(compiled):
    load = gem.physical_systems.ExternalSpeedLoad(profile=lambda t: np.where(t > 2.5e-4, np.nan, 50.0))
    env = gem.make_vec_env(num_envs=2, motor="PermExDc", task="CC", load=load, compiled=compiled)
    env.reset(seed=0)
    assert env.compiled == compiled
    with pytest.raises(ValueError, match="ExternalSpeedLoad: the prescribed speed is non-finite"):
        for _ in range(5):
            env.step(np.zeros((2, 1), np.float32))
