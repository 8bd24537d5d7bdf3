"""Closed-loop behaviour of the tuned cascades on every motor."""

import gymnasium as gym
import numpy as np
import pytest
from controller_helpers import MOTORS, STEP_VALUES, rollout, step_metrics, step_response, switching_quantum

import gem
import gem.controllers

KINDS = [("Cont", "CC", 400), ("Finite", "CC", 2000), ("Cont", "SC", 3000)]
STEP_KINDS = [*KINDS, ("Cont", "TC", 600)]


@pytest.mark.parametrize("motor", MOTORS)
@pytest.mark.parametrize(("action_type", "task", "steps"), STEP_KINDS)
def test_reference_step_is_tracked(motor, action_type, task, steps):
    values = STEP_VALUES[task][motor]
    base, states, terminated = step_response(f"gem/{action_type}-{task}-{motor}-v0", values, steps)
    assert not terminated
    assert len(states) == steps + 1
    ripple = switching_quantum(base) if action_type == "Finite" else 0.0     # one period at full voltage
    for name, ref, ss_error, overshoot in step_metrics(base, states, values):
        assert ss_error < 0.02, f"{name}: steady-state error {ss_error:.2%} of nominal (ref {ref:.3g})"
        assert overshoot < 0.10 + ripple / abs(ref), f"{name}: overshoot {overshoot:.1%} (ref {ref:.3g})"


@pytest.mark.parametrize("motor", ["ExtExDc", "PMSM"])
def test_speed_prefilter_removes_the_overshoot(motor):
    """A small speed step (no torque saturation): the symmetrical optimum overshoots, with the prefilter
    and the torque precontrol it does not."""
    overshoot = {}
    for prefilter in (None, 2.0):
        base, states, _ = step_response(f"gem/Cont-SC-{motor}-v0", [0.02], 300, prefilter=prefilter)
        (_, _, ss_error, overshoot[prefilter]), = step_metrics(base, states, [0.02])
        assert ss_error < 1e-3
    assert overshoot[None] > 0.03 and overshoot[2.0] < 0.01


@pytest.mark.parametrize("motor", MOTORS)
@pytest.mark.parametrize(("action_type", "task", "steps"), KINDS)
def test_default_references_without_violation(motor, action_type, task, steps):
    """A short stretch of seeded default (random-walk) references on 3 environments (NumPy step)."""
    venv = gym.make_vec(f"gem/{action_type}-{task}-{motor}-v0", num_envs=3, vectorization_mode="vector_entry_point",
                        compiled=False)
    policy = gem.controllers.make(venv)
    _, obs, terminated = rollout(venv, policy, 1500, seed=11)
    assert not terminated.any()
    names = list(venv.unwrapped.observation_names)
    for ref in venv.unwrapped.reference_names:
        err = obs[1:, :, names.index(ref)] - obs[:-1, :, names.index(f"{ref}_ref")]
        assert np.sqrt(np.mean(err[len(err) // 2:] ** 2)) < 0.35          # it tracks (loose: see the scorecard)


@pytest.mark.slow
@pytest.mark.parametrize("env_id", gem.env_ids())
def test_several_default_episodes_without_violation(env_id):
    venv = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point")
    policy = gem.controllers.make(venv)
    steps = 2 * gym.spec(env_id).max_episode_steps
    if "SC" in env_id and "Finite" in env_id:
        steps //= 4                                                         # 0.5 s of 1e-5 s periods
    _, _, terminated = rollout(venv, policy, steps, seed=5)
    assert not terminated.any()


@pytest.mark.parametrize("env_id", ["gem/Cont-SC-SeriesDc-v0", "gem/Finite-CC-ExtExDc-v0", "gem/Cont-TC-PMSM-v0",
                                    "gem/Finite-SC-SynRM-v0", "gem/Cont-TC-ShuntDc-v0"])
def test_vector_env_equals_single_runs(env_id):
    seeds, steps = [4, 9, 23], 200
    venv = gym.make_vec(env_id, num_envs=len(seeds), vectorization_mode="vector_entry_point", compiled=False)
    policy = gem.controllers.make(venv)
    obs, _ = venv.reset(seed=seeds)
    batched = []
    for k in range(steps):
        action, _ = policy.predict(obs, episode_start=np.full(len(seeds), k == 0))
        batched.append(action)
        obs, *_ = venv.step(action)
    batched = np.array(batched)
    refs = venv.unwrapped.references
    assert not np.allclose(refs, refs[0])                                 # the environments differ
    for i, seed in enumerate(seeds):
        env = gym.make(env_id, compiled=False)        # the policy is under test: the NumPy step saves compiling
        single_policy = gem.controllers.make(env)
        obs, _ = env.reset(seed=seed)
        for k in range(steps):
            action, _ = single_policy.predict(obs, episode_start=(k == 0))
            np.testing.assert_allclose(np.asarray(action, dtype=float), np.asarray(batched[k, i], dtype=float),
                                       atol=1e-5, err_msg=f"env {i}, step {k}")
            obs, *_ = env.step(action)
