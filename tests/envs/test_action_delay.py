"""``action_delay=k``: the converter applies the action given k control periods earlier (compiled and NumPy)."""

import gymnasium as gym
import numpy as np
import pytest

import gem  # noqa: F401


def run(env_id, actions, num_envs, compiled, **kwargs):
    env = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", compiled=compiled,
                       **kwargs)
    env.reset(seed=3)
    assert env.unwrapped.compiled == compiled
    states, ended = [], False
    for a in actions:
        _, _, term, trunc, _ = env.step(a)
        ended |= bool(np.any(term | trunc))
        states.append(env.unwrapped.physical_state.copy())
    assert not ended, "an episode ended: the shifted runs would differ after its reset"
    return np.array(states)


@pytest.mark.parametrize(("env_id", "num_envs", "compiled"), [
    ("gem/Cont-CC-SeriesDc-v0", 64, True),          # vectorised kernel
    ("gem/Cont-CC-SeriesDc-v0", 3, False),          # NumPy step
    ("gem/Finite-CC-PMSM-v0", 3, True),             # switching states; zero = state 0
])
def test_a_delay_of_k_shifts_the_response_by_exactly_k_periods(env_id, num_envs, compiled):
    k, steps = 3, 30
    space = gym.make(env_id).action_space
    rng = np.random.default_rng(0)
    if isinstance(space, gym.spaces.Box):
        given = rng.uniform(0.3, 0.6, (steps, num_envs, *space.shape))
        zero = np.zeros((k, num_envs, *space.shape))
    else:
        given = rng.integers(0, space.n, (steps, num_envs))
        zero = np.zeros((k, num_envs), np.int64)
    delayed = run(env_id, given, num_envs, compiled, action_delay=k)
    shifted = run(env_id, np.concatenate([zero, given[:-k]]), num_envs, compiled)
    np.testing.assert_allclose(delayed, shifted, rtol=0, atol=1e-12)
    assert not np.allclose(delayed, run(env_id, given, num_envs, compiled))     # the delay matters


def test_every_episode_starts_with_zero_voltage_for_k_periods():
    k = 2
    env = gym.make_vec("gem/Cont-CC-SeriesDc-v0", num_envs=2, vectorization_mode="vector_entry_point", action_delay=k)
    u = env.unwrapped.state_names.index("u")
    for _ in range(2):                                 # a reset clears what was queued before it
        env.reset(seed=0)
        voltages = []
        for _ in range(k + 2):
            env.step(np.full((2, 1), 0.9))
            voltages.append(env.unwrapped.physical_state[:, u].copy())
        assert np.all(np.array(voltages[:k]) == 0.0) and np.all(np.array(voltages[k:]) > 0.0)


def test_dq_actions_with_a_delay_compiled_equals_numpy():
    rng = np.random.default_rng(1)
    actions = rng.uniform(-0.3, 0.3, (25, 64, 2))
    args = dict(action_frame="dq", action_delay=2)
    np.testing.assert_allclose(run("gem/Cont-CC-PMSM-v0", actions, 64, True, **args),
                               run("gem/Cont-CC-PMSM-v0", actions, 64, False, **args), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_bad_delays_are_rejected_by_name(bad):
    with pytest.raises(ValueError, match="action_delay"):
        gem.make_task("SeriesDc", "CC", action_delay=bad)
