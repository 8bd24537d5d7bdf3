"""Every registered id: Gymnasium and SB3 checkers, make_vec, determinism, autoreset semantics."""

import re
import warnings
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import pytest
from env_ids import ENV_IDS, EPISODE_END_IDS, ID_PARAMS
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env

import gem

ID_PATTERN = re.compile(r"^gem/(Cont|Finite)-(CC|TC|SC)-(\w+)-v0$")


def zero_action(space):
    if isinstance(space, spaces.Box):
        return np.clip(np.zeros(space.shape, space.dtype), space.low, space.high)
    return np.zeros(space.shape, space.dtype) if space.shape else 0


@dataclass(frozen=True)
class AboveAQuarter(gem.envs.LimitConstraint):
    """Violated when a named state is above a quarter of its limit (a user constraint: it compiles too).

    One-sided: a current that a zero action drives negative from zero (the back-EMF of a permanently
    excited motor) does not violate it.
    """

    def violated_columns(self, cols):
        """``True`` where any ``s / limit > 0.25``."""
        out = False
        for c in cols:
            out = np.logical_or(out, c > 0.25)
        return out


def violating_start(env):
    """``(constraints, name, value)`` that end an episode at its first step, or None.

    A start beyond a limit is an error while constraints are on, so the start is inside the limits,
    at 0.9 of the limit of a constrained, settable current, and the constraint is
    :class:`AboveAQuarter` (a step with a zero action leaves the current above it).
    """
    u = env.unwrapped
    settable = u.drive.settable_names
    for c in u.task.constraints:
        for name in c.names:
            if name in settable and name != "omega":
                limit = float(np.atleast_2d(u.limits)[0, u.drive.index[name]])
                return (AboveAQuarter((name,)),), name, 0.9 * limit
            if name in ("i_sd", "i_sq") and "i_salpha" in settable:     # induction motors: not ODE states
                limit = float(np.atleast_2d(u.limits)[0, u.drive.index[name]])
                return (AboveAQuarter((name,)),), "i_salpha", 0.9 * limit
    return None


# ------------------------------------------------------------------------------ the id table
def test_id_table():
    assert len(ENV_IDS) >= 24 and len(set(ENV_IDS)) == len(ENV_IDS)
    motors = {ID_PATTERN.match(i).group(3) for i in ENV_IDS}
    assert {"PermExDc", "ExtExDc", "SeriesDc", "ShuntDc"} <= motors
    for env_id in ENV_IDS:
        assert ID_PATTERN.match(env_id), env_id
        spec = gym.spec(env_id)
        assert spec.vector_entry_point is not None
        assert spec.max_episode_steps and spec.max_episode_steps > 0
    for motor in motors:
        for a in ("Cont", "Finite"):
            for t in ("CC", "TC", "SC"):
                assert f"gem/{a}-{t}-{motor}-v0" in ENV_IDS
    gem.register_all()                               # idempotent
    assert gem.env_ids() == ENV_IDS


# ------------------------------------------------------------------------------ checkers
@pytest.mark.parametrize("env_id", ID_PARAMS)
def test_gymnasium_check_env(env_id):
    env = gym.make(env_id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped, skip_render_check=True)   # rendering: tests/visualization
    # Only the checker's own findings count (gymnasium's logger prefixes them with "WARN").
    found = [str(w.message) for w in caught if "WARN" in str(w.message) and "render" not in str(w.message).lower()]
    assert not found, found


@pytest.mark.parametrize("env_id", ID_PARAMS)
def test_sb3_check_env(env_id):
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")              # SB3 may warn (e.g. about discrete spaces); errors fail
        sb3_check_env(gym.make(env_id), warn=True)


@pytest.mark.parametrize("env_id", ID_PARAMS)
def test_spaces_and_observation_contract(env_id):
    action_type, task = ID_PATTERN.match(env_id).group(1, 2)
    env = gym.make(env_id)
    u = env.unwrapped
    obs, info = env.reset(seed=11)
    assert isinstance(info, dict)
    assert isinstance(env.observation_space, spaces.Box) and env.observation_space.dtype == np.float32
    assert obs.dtype == np.float32 and obs.shape == env.observation_space.shape
    assert len(u.observation_names) == obs.shape[0]
    if action_type == "Cont":
        assert isinstance(env.action_space, spaces.Box) and env.action_space.dtype == np.float32
        assert np.all(env.action_space.low >= -1) and np.all(env.action_space.high <= 1)
    else:
        assert isinstance(env.action_space, (spaces.Discrete, spaces.MultiDiscrete))
    refs = {"CC": None, "TC": ("torque",), "SC": ("omega",)}[task]
    if refs is not None:
        assert u.reference_names == refs
    assert u.observation_names[-len(u.reference_names):] == tuple(f"{r}_ref" for r in u.reference_names) \
        or getattr(u.task, "last_action", False)
    for _ in range(3):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert env.observation_space.contains(obs)
        assert isinstance(reward, float) and isinstance(terminated, bool) and isinstance(truncated, bool)
        phys, lim = u.physical_state, u.limits
        assert phys.shape == (len(u.state_names),) == lim.shape
        # Observed states are normalised by their limits, references follow (noise is off by default).
        for k, name in enumerate(u.observation_names):
            if name in u.state_names:
                j = u.state_names.index(name)
                assert obs[k] == pytest.approx(np.clip(phys[j] / lim[j], -2, 2), rel=1e-5, abs=1e-6), name
        ref_obs = [obs[u.observation_names.index(f"{r}_ref")] for r in u.reference_names]
        ref_lim = [lim[u.state_names.index(r)] for r in u.reference_names]
        np.testing.assert_allclose(np.array(ref_obs) * ref_lim, u.references, rtol=1e-5, atol=1e-6 * max(ref_lim))
        if terminated:
            break


@pytest.mark.parametrize("env_id", ID_PARAMS)
def test_make_vec(env_id):
    single = gym.make(env_id)
    venv = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point")
    assert venv.num_envs == 3
    assert venv.unwrapped.max_episode_steps == gym.spec(env_id).max_episode_steps    # same horizon as gym.make
    assert venv.single_observation_space == single.observation_space
    assert venv.single_action_space == single.action_space
    assert venv.observation_space.shape == (3, *single.observation_space.shape)
    obs, info = venv.reset(seed=5)
    assert obs.shape == (3, *single.observation_space.shape) and obs.dtype == np.float32
    assert venv.observation_space.contains(obs)
    assert venv.unwrapped.physical_state.shape == (3, len(venv.unwrapped.state_names))
    venv.action_space.seed(0)
    for _ in range(5):
        obs, reward, terminated, truncated, info = venv.step(venv.action_space.sample())
        assert obs.shape == (3, *single.observation_space.shape) and obs.dtype == np.float32
        assert venv.observation_space.contains(obs)
        assert reward.shape == (3,) and np.issubdtype(reward.dtype, np.floating)
        assert terminated.shape == truncated.shape == (3,)
        assert terminated.dtype == truncated.dtype == np.bool_
        assert isinstance(info, dict)
    venv.close()


# ------------------------------------------------------------------------------ determinism
def rollout_single(env_id, seed, n=50, max_episode_steps=15):
    env = gym.make(env_id, max_episode_steps=max_episode_steps)
    env.action_space.seed(123)
    obs, _ = env.reset(seed=seed)
    observations, rewards, starts = [obs], [], [obs]
    for _ in range(n):
        obs, r, terminated, truncated, _ = env.step(env.action_space.sample())
        observations.append(obs)
        rewards.append(r)
        if terminated or truncated:
            obs, _ = env.reset()                 # no seed: continue the seeded stream
            observations.append(obs)
            starts.append(obs)
    return np.array(observations), np.array(rewards), starts


@pytest.mark.parametrize("env_id", ID_PARAMS)
def test_determinism_across_resets(env_id):
    obs_a, rew_a, starts = rollout_single(env_id, seed=42)
    obs_b, rew_b, _ = rollout_single(env_id, seed=42)
    obs_c, rew_c, _ = rollout_single(env_id, seed=43)
    assert len(starts) >= 4                       # at least three complete episodes
    np.testing.assert_array_equal(obs_a, obs_b)
    np.testing.assert_array_equal(rew_a, rew_b)
    assert obs_a.shape != obs_c.shape or not np.array_equal(obs_a, obs_c)
    # Later episodes are not copies of the first: reset() without seed continues the stream.
    assert not all(np.array_equal(starts[0], s) for s in starts[1:])


@pytest.mark.parametrize("env_id", ID_PARAMS)
def test_vector_determinism(env_id):
    def run(seed):
        venv = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point", max_episode_steps=7)
        venv.action_space.seed(9)
        out = [venv.reset(seed=seed)[0]]
        for _ in range(20):
            obs, r, term, trunc, info = venv.step(venv.action_space.sample())
            out += [obs, r[:, None].astype(np.float32), info.get("final_obs", np.zeros_like(obs))]
        return np.concatenate(out, axis=1)

    a, b, c = run(3), run(3), run(4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


# ------------------------------------------------------------------------------ autoreset / episode ends
def normalised_references(venv):
    u = venv.unwrapped
    cols = [u.state_names.index(r) for r in u.reference_names]
    return u.references / u.limits[:, cols]


@pytest.mark.parametrize("env_id", ID_PARAMS)
def test_vector_autoreset_on_truncation(env_id):
    # constraints=() is a second task structure per id; the NumPy step avoids compiling a kernel for it
    # (autoreset itself is NumPy code either way; the compiled step is compared with it elsewhere).
    kw = dict(num_envs=3, vectorization_mode="vector_entry_point", constraints=(), compiled=False)
    venv = gym.make_vec(env_id, max_episode_steps=5, **kw)
    free = gym.make_vec(env_id, max_episode_steps=None, **kw)        # same run without the time limit
    fresh = gym.make_vec(env_id, max_episode_steps=None, **kw)
    venv.reset(seed=1)
    free.reset(seed=1)
    fresh_obs, _ = fresh.reset(seed=99)
    n_ref = len(venv.unwrapped.reference_names)
    n_state = len(venv.unwrapped.task.observed)
    a = np.stack([zero_action(venv.single_action_space)] * 3)
    for k in range(1, 11):
        obs, reward, terminated, truncated, info = venv.step(a)
        f_obs = free.step(a)[0]
        assert not terminated.any()
        if k % 5:
            assert not truncated.any() and "final_obs" not in info, k
            if k < 5:
                np.testing.assert_array_equal(obs, f_obs)
            continue
        assert truncated.all(), k
        assert info["_final_obs"].all()
        assert info["final_obs"].shape == obs.shape and info["final_obs"].dtype == np.float32
        assert "final_info" in info
        if k == 5:
            np.testing.assert_array_equal(info["final_obs"], f_obs)    # the last obs of the episode
        # The returned observation is the first of the next episode: the default initial state...
        np.testing.assert_array_equal(obs[:, :n_state], fresh_obs[:, :n_state])
        np.testing.assert_array_equal(venv.unwrapped.physical_state, fresh.unwrapped.physical_state)
        # ... with newly drawn references that the observation shows.
        np.testing.assert_allclose(obs[:, n_state:n_state + n_ref], normalised_references(venv),
                                   rtol=1e-6, atol=1e-7)
    venv.close()


@pytest.mark.parametrize("env_id", EPISODE_END_IDS)
def test_vector_autoreset_on_termination(env_id):
    spec = violating_start(gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point"))
    if spec is None:
        pytest.skip("no settable constrained current")
    constraints, name, value = spec
    venv = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point", constraints=constraints)
    default = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point")
    default.reset(seed=0)
    venv.reset(seed=0, options={"initial_state": {name: [value, 0.0, 0.0]}})
    a = np.stack([zero_action(venv.single_action_space)] * 3)
    obs, reward, terminated, truncated, info = venv.step(a)
    np.testing.assert_array_equal(terminated, [True, False, False])
    assert not truncated.any()
    np.testing.assert_array_equal(info["_final_obs"], [True, False, False])
    penalty = venv.unwrapped.task.reward.penalty
    assert reward[0] == penalty and np.all(reward[1:] > penalty)
    final = info["final_physical_state"][:1] / venv.unwrapped.limits[:1]
    assert constraints[0].violated(final, venv.unwrapped.drive.index)[0]       # the violating state
    assert not np.array_equal(obs[0], info["final_obs"][0])
    # Env 0 restarted from the default initial state (reset options are not replayed).
    np.testing.assert_array_equal(venv.unwrapped.physical_state[0], default.unwrapped.physical_state[0])
    # The environments keep running: the next step is fine for all of them.
    _, _, terminated, _, _ = venv.step(a)
    assert not terminated.any()


@pytest.mark.parametrize("env_id", EPISODE_END_IDS)
def test_single_env_episode_ends(env_id):
    env = gym.make(env_id, max_episode_steps=5, constraints=(), compiled=False)
    env.reset(seed=0)
    a = zero_action(env.action_space)
    flags = [env.step(a)[3] for _ in range(5)]
    assert flags == [False] * 4 + [True]

    spec = violating_start(gym.make(env_id))
    if spec is None:
        pytest.skip("no settable constrained current")
    constraints, name, value = spec
    env = gym.make(env_id, constraints=constraints)
    env.reset(seed=0, options={"initial_state": {name: value}})
    _, reward, terminated, truncated, _ = env.step(a)
    assert terminated and not truncated
    assert reward == env.unwrapped.task.reward.penalty
    with pytest.raises(RuntimeError, match="reset"):
        env.step(a)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(a)
    env.reset()
    _, _, terminated, _, _ = env.step(a)
    assert not terminated
