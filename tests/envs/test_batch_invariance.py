"""N batched environments equal N single environments with the same seeds and actions."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import gem  # noqa: F401  (registers the gem/ ids)
from gem.envs import SCurveReference, default_mix
from gem.physical_systems import OrnsteinUhlenbeckLoad

SEEDS = [3, 17, 101, 7]
N_STEPS = 60
HORIZON = 9


def actions_for(space, n_envs, n_steps, rng):
    """Per-env action sequences ``(n_steps, n_envs, ...)``, biased towards large actions (terminations)."""
    if isinstance(space, spaces.Box):
        return rng.uniform(space.low, space.high, size=(n_steps, n_envs, *space.shape)).astype(np.float32)
    if isinstance(space, spaces.Discrete):
        return rng.integers(0, space.n, size=(n_steps, n_envs))
    return rng.integers(0, space.nvec, size=(n_steps, n_envs, len(space.nvec)))


def run_single(env_id, seed, actions, kwargs):
    env = gym.make(env_id, max_episode_steps=HORIZON, **kwargs)
    obs, _ = env.reset(seed=seed)
    out = {"obs": [obs], "reward": [], "terminated": [], "truncated": [], "state": [env.unwrapped.physical_state],
           "final_obs": []}
    for a in actions:
        obs, r, term, trunc, _ = env.step(a)
        out["reward"].append(r)
        out["terminated"].append(term)
        out["truncated"].append(trunc)
        out["final_obs"].append(obs if (term or trunc) else None)
        if term or trunc:
            obs, _ = env.reset()
        out["obs"].append(obs)
        out["state"].append(env.unwrapped.physical_state)
    return out


def run_vector(env_id, seeds, actions, kwargs, **extra):
    venv = gym.make_vec(env_id, num_envs=len(seeds), vectorization_mode="vector_entry_point",
                        max_episode_steps=HORIZON, **kwargs, **extra)
    obs, _ = venv.reset(seed=list(seeds))
    out = {"obs": [obs], "reward": [], "terminated": [], "truncated": [], "state": [venv.unwrapped.physical_state],
           "final_obs": []}
    for a in actions:
        obs, r, term, trunc, info = venv.step(a)
        out["reward"].append(r)
        out["terminated"].append(term)
        out["truncated"].append(trunc)
        out["final_obs"].append((info.get("_final_obs"), info.get("final_obs")))
        out["obs"].append(obs)
        out["state"].append(venv.unwrapped.physical_state)
    venv.close()
    return out


CASES = [
    ("gem/Cont-CC-PermExDc-v0", {}),
    ("gem/Finite-TC-ExtExDc-v0", {}),
    ("gem/Cont-SC-SeriesDc-v0", {}),
    ("gem/Cont-SC-PMSM-v0", {"reference": SCurveReference(acceleration=30.0, jerk=3e4, hold_mean=1e-3, start=None)}),
    ("gem/Finite-CC-ShuntDc-v0", {}),
    ("gem/Cont-CC-SeriesDc-v0", {"noise": 0.01}),
    ("gem/Cont-TC-ShuntDc-v0", {"noise": 0.01, "reference": default_mix()}),
    ("gem/Cont-CC-PermExDc-v0", {"load": OrnsteinUhlenbeckLoad(mu=50.0, sigma=500.0, theta=10.0)}),
    ("gem/Finite-CC-PermExDc-v0", {"interlocking_time": 2e-6}),
    ("gem/Finite-CC-SeriesDc-v0", {"noise": 0.01,
                                   "load": OrnsteinUhlenbeckLoad(mu=50.0, sigma=500.0, theta=10.0)}),
    ("gem/Cont-CC-PMSM-v0", {}),
    ("gem/Cont-SC-PMSM-v0", {"noise": 0.01}),
    ("gem/Cont-TC-SynRM-v0", {"action_frame": "dq"}),
    ("gem/Finite-CC-SynRM-v0", {"interlocking_time": 1e-6}),
    ("gem/Cont-SC-BLDC-v0", {}),
    ("gem/Finite-TC-SRM-v0", {}),
]


@pytest.mark.parametrize(("env_id", "kwargs"), CASES,
                         ids=[f"{i.split('/')[1]}{'-' + '-'.join(k) if k else ''}" for i, k in CASES])
def test_batch_equals_singles(env_id, kwargs):
    space = gym.make(env_id, **kwargs).action_space
    actions = actions_for(space, len(SEEDS), N_STEPS, np.random.default_rng(0))
    vec = run_vector(env_id, SEEDS, actions, kwargs)
    resets = 0
    for i, seed in enumerate(SEEDS):
        single = run_single(env_id, seed, actions[:, i], kwargs)
        np.testing.assert_array_equal(np.array(vec["obs"])[:, i], np.array(single["obs"]), err_msg=f"obs env {i}")
        np.testing.assert_allclose(np.array(vec["reward"])[:, i], single["reward"], rtol=0, atol=0)
        np.testing.assert_array_equal(np.array(vec["terminated"])[:, i], single["terminated"])
        np.testing.assert_array_equal(np.array(vec["truncated"])[:, i], single["truncated"])
        np.testing.assert_array_equal(np.array(vec["state"])[:, i], np.array(single["state"]))
        for k, fin in enumerate(single["final_obs"]):
            mask, final = vec["final_obs"][k]
            if fin is None:
                assert mask is None or not mask[i]
            else:
                assert mask[i]
                np.testing.assert_array_equal(final[i], fin)
                resets += 1
    assert resets >= 2 * len(SEEDS)                      # autoresets really happened in every env


@pytest.mark.parametrize(("env_id", "kwargs"), CASES,
                         ids=[f"{i.split('/')[1]}{'-' + '-'.join(k) if k else ''}" for i, k in CASES])
def test_default_step_equals_numpy_step(env_id, kwargs):
    """The default (possibly compiled) step and the NumPy step give the same episodes."""
    space = gym.make(env_id, **kwargs).action_space
    actions = actions_for(space, len(SEEDS), N_STEPS, np.random.default_rng(1))
    fast = run_vector(env_id, SEEDS, actions, kwargs)
    ref = run_vector(env_id, SEEDS, actions, kwargs, compiled=False)
    for key in ("terminated", "truncated"):
        np.testing.assert_array_equal(np.array(fast[key]), np.array(ref[key]), err_msg=key)
    np.testing.assert_allclose(np.array(fast["state"]), np.array(ref["state"]), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(np.array(fast["obs"]), np.array(ref["obs"]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.array(fast["reward"]), np.array(ref["reward"]), rtol=1e-9, atol=1e-12)


def test_integer_seed_seeds_env_i_with_seed_plus_i():
    env_id = "gem/Cont-SC-PermExDc-v0"
    venv = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point")
    obs, _ = venv.reset(seed=10)
    for i in range(3):
        single, _ = gym.make(env_id).reset(seed=10 + i)
        np.testing.assert_array_equal(obs[i], single)
    assert not np.array_equal(obs[0], obs[1])


def test_batch_of_one_equals_single_env():
    env_id = "gem/Cont-TC-SeriesDc-v0"
    rng = np.random.default_rng(1)
    space = gym.make(env_id).action_space
    actions = actions_for(space, 1, 40, rng)
    vec = run_vector(env_id, [5], actions, {})
    single = run_single(env_id, 5, actions[:, 0], {})
    np.testing.assert_array_equal(np.array(vec["obs"])[:, 0], np.array(single["obs"]))
    np.testing.assert_array_equal(np.array(vec["state"])[:, 0], np.array(single["state"]))
