"""The SB3 adapter behaves like SB3's DummyVecEnv over single gem environments."""

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3.common.vec_env import DummyVecEnv, VecCheckNan, VecMonitor, VecNormalize

import gem
from gem.agents import SB3VecEnv

ENV_ID = "gem/Cont-CC-SeriesDc-v0"
HORIZON = 450  # env 0 (full voltage) violates the current limit before this, env 1 is truncated


def _adapter(n: int = 2, horizon: int = HORIZON) -> SB3VecEnv:
    return SB3VecEnv(gem.make_vec_env(num_envs=n, max_episode_steps=horizon, motor="SeriesDc", task="CC"))


def _dummy(n: int = 2, horizon: int = HORIZON) -> DummyVecEnv:
    return DummyVecEnv([lambda: gym.make(ENV_ID, max_episode_steps=horizon) for _ in range(n)])


def _actions(steps: int, n: int) -> np.ndarray:
    acts = np.random.default_rng(0).uniform(-1, 1, size=(steps, n, 1)).astype(np.float32)
    acts[:, 0] = 1.0  # full voltage: the current exceeds its limit after ~390 steps
    return acts


def test_matches_dummy_vec_env_through_terminations_and_truncations():
    ours, ref = _adapter(), _dummy()
    ours.seed(7)
    ref.seed(7)
    np.testing.assert_array_equal(ours.reset(), ref.reset())
    seen_term = seen_trunc = False
    for a in _actions(1000, 2):
        o1, r1, d1, i1 = ours.step(a)
        o2, r2, d2, i2 = ref.step(a)
        np.testing.assert_allclose(o1, o2, rtol=0, atol=1e-6)
        np.testing.assert_allclose(r1, r2, rtol=1e-6, atol=1e-7)
        assert r1.dtype == r2.dtype == np.float32
        np.testing.assert_array_equal(d1, d2)
        for a_info, b_info in zip(i1, i2, strict=True):
            assert a_info["TimeLimit.truncated"] == b_info["TimeLimit.truncated"]
            assert ("terminal_observation" in a_info) == ("terminal_observation" in b_info)
            if "terminal_observation" in a_info:
                np.testing.assert_allclose(a_info["terminal_observation"], b_info["terminal_observation"], atol=1e-6)
                seen_trunc |= a_info["TimeLimit.truncated"]
                seen_term |= not a_info["TimeLimit.truncated"]
    assert seen_term and seen_trunc


def test_returned_observation_is_the_reset_observation():
    venv = _adapter(n=1, horizon=5)
    venv.seed(0)
    first = venv.reset()
    for _ in range(4):
        _, _, dones, _ = venv.step(np.zeros((1, 1), np.float32))
        assert not dones[0]
    obs, _, dones, infos = venv.step(np.zeros((1, 1), np.float32))
    assert dones[0] and infos[0]["TimeLimit.truncated"]
    assert not np.array_equal(obs[0], infos[0]["terminal_observation"])
    assert obs[0][2] == 0.0 == first[0][2]  # the current starts from zero again


def test_seed_then_reset_matches_native_seeding_and_is_used_once():
    venv = _adapter(n=3)
    native = gem.make_vec_env(num_envs=3, max_episode_steps=HORIZON, motor="SeriesDc", task="CC")
    venv.seed(11)
    np.testing.assert_array_equal(venv.reset(), native.reset(seed=11)[0])
    venv.seed(11)
    again = venv.reset()
    later = venv.reset()  # no new seed: the streams continue
    np.testing.assert_array_equal(again, native.reset(seed=11)[0])
    assert not np.array_equal(again, later)


def test_set_options_initial_state_per_environment():
    venv = SB3VecEnv(gem.make_vec_env(num_envs=2, max_episode_steps=10, motor="SeriesDc", task="CC"))
    venv.set_options([{"initial_state": {"i": 10.0}}, {"initial_state": {"i": -20.0}}])
    obs = venv.reset()
    np.testing.assert_allclose(obs[:, 2] * 210.0, [10.0, -20.0], rtol=1e-6)
    venv.set_options([{"initial_state": {"i": 1.0}}, {}])
    with pytest.raises(ValueError, match="same initial states"):
        venv.reset()


def test_attribute_access():
    venv = _adapter(n=2)
    venv.reset()
    assert venv.get_attr("render_mode") == [None, None]
    assert venv.get_attr("observation_space")[0] == venv.observation_space
    rows = venv.get_attr("physical_state")
    assert len(rows) == 2 and rows[0].shape == (5,)
    assert venv.get_attr("state_names", indices=1) == [("omega", "torque", "i", "u", "u_sup")]
    assert venv.env_is_wrapped(gym.Wrapper) == [False, False]
    assert venv.has_attr("tau") and not venv.has_attr("no_such_attribute")
    venv.set_attr("render_mode", None)
    with pytest.raises(NotImplementedError, match="subset"):
        venv.set_attr("render_mode", None, indices=[0])
    results = venv.env_method("reset", seed=3)
    assert len(results) == 2
    with pytest.raises(RuntimeError, match="step_async"):
        venv.step_wait()


def test_flat_actions_and_sb3_wrappers():
    venv = VecCheckNan(VecNormalize(VecMonitor(_adapter(n=2, horizon=20))), raise_exception=True)
    venv.seed(0)
    venv.reset()
    episodes = 0
    for _ in range(45):
        _, _, dones, infos = venv.step(np.zeros(2, np.float32))  # (n,) for a (1,) Box is accepted
        episodes += sum("episode" in info for info in infos)
        assert all(("episode" in info) == d for info, d in zip(infos, dones, strict=True))
    assert episodes == 4
    venv.close()


def test_rejects_env_without_autoreset():
    from gem.envs import GemVectorEnv

    task = gem.make_task("SeriesDc", "CC")
    with pytest.raises(ValueError, match="autoreset"):
        SB3VecEnv(GemVectorEnv(task, num_envs=1, autoreset=False))
