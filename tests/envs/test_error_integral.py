"""The tracking-error integral features (``error_integral=``): values, episode starts, bounds, both steps."""

import numpy as np
import pytest

import gem

T_I = 0.01          # s; tau = 1e-4 s on Cont ids, so the gain is 0.01 per period


def _run(compiled: bool, error_integral: float = T_I, steps: int = 400, max_steps: int = 150):
    env = gem.make_vec_env(num_envs=3, motor="SeriesDc", task="SC", error_integral=error_integral,
                           max_episode_steps=max_steps, compiled=compiled)
    obs, _ = env.reset(seed=5)
    rng = np.random.default_rng(1)
    out, ends = [obs], []
    for _ in range(steps):
        obs, _, term, trunc, info = env.step(rng.uniform(-1, 1, (3, 1)))
        out.append(obs)
        ends.append(term | trunc)
    return env, np.array(out), np.array(ends)


def test_names_and_space():
    env, obs, _ = _run(False, steps=5)
    names = env.task.observation_names
    assert names[-2:] == ("omega_ref", "omega_error_integral")
    assert all(env.single_observation_space.contains(o) for o in obs[-1])


def test_feature_integrates_the_normalised_error_and_restarts_with_each_episode():
    env, obs, ends = _run(False)
    names = env.task.observation_names
    x, ref, z = (names.index(n) for n in ("omega", "omega_ref", "omega_error_integral"))
    gain = env.task.drive.tau / T_I
    assert np.all(obs[0, :, z] == 0.0)
    checked = 0
    for k in range(1, len(obs)):
        restarted = ends[k - 1]
        # the reward of step k compares the state reached with the reference observed before it
        want = np.clip(obs[k - 1, :, z] + gain * (obs[k - 1, :, ref] - obs[k, :, x]), -1.0, 1.0)
        np.testing.assert_allclose(obs[k, ~restarted, z], want[~restarted], rtol=0, atol=1e-6)   # float32 obs
        assert np.all(obs[k, restarted, z] == 0.0)
        checked += int((~restarted).sum())
    assert ends.any() and checked > 1000
    assert np.abs(obs[..., z]).max() > 0.05         # the feature moved


def test_feature_is_bounded_by_one():
    env, obs, _ = _run(False, error_integral=1e-4, steps=100, max_steps=1000)
    z = obs[..., env.task.observation_names.index("omega_error_integral")]
    assert np.abs(z).max() == 1.0


def test_compiled_step_equals_numpy_step():
    _, a, _ = _run(False)
    env, b, _ = _run(True)
    assert env.compiled
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [0.0, -0.01, float("inf"), "0.01", True])
def test_bad_integration_time_names_the_keyword(bad):
    with pytest.raises(ValueError, match="error_integral"):
        gem.make_task("SeriesDc", "SC", error_integral=bad)
