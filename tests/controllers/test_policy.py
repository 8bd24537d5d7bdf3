"""The ``predict`` interface of ``gem.controllers.make`` on single, wrapped and vector environments."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.wrappers import RecordEpisodeStatistics

import gem
import gem.controllers
from gem.envs import ConstReference

IDS = ["gem/Cont-CC-PermExDc-v0", "gem/Finite-CC-PermExDc-v0", "gem/Finite-SC-ExtExDc-v0", "gem/Cont-TC-ShuntDc-v0",
       "gem/Cont-SC-PMSM-v0", "gem/Finite-TC-SynRM-v0", "gem/Finite-CC-PMSM-v0"]


@pytest.mark.parametrize("env_id", IDS)
def test_single_env_actions_match_the_action_space(env_id):
    env = RecordEpisodeStatistics(gym.make(env_id, compiled=False))
    policy = gem.controllers.make(env)
    obs, _ = env.reset(seed=0)
    for k in range(20):
        action, state = policy.predict(obs, episode_start=(k == 0))
        assert state is None
        assert env.action_space.contains(action), action
        obs, *_ = env.step(action)


@pytest.mark.parametrize("env_id", IDS)
def test_vector_env_actions_match_the_batched_action_space(env_id):
    venv = gym.make_vec(env_id, compiled=False, num_envs=3, vectorization_mode="vector_entry_point")
    policy = gem.controllers.make(venv)
    obs, _ = venv.reset(seed=0)
    action, _ = policy.predict(obs, episode_start=np.ones(3, bool))
    assert venv.action_space.contains(action)
    venv.step(action)


def test_episode_start_resets_integrators_and_modulators():
    env = gym.make("gem/Finite-SC-PermExDc-v0", compiled=False)
    policy = gem.controllers.make(env)
    obs0, _ = env.reset(seed=1)
    first, _ = policy.predict(obs0, episode_start=True)
    obs = obs0
    for _ in range(50):
        action, _ = policy.predict(obs)
        obs, *_ = env.step(action)
    current_pi, modulator = policy.stages[-1].pi, policy.modulator
    assert np.any(current_pi.integral != 0.0) and np.any(modulator.acc[0] != 0.0)
    again, _ = policy.predict(obs0, episode_start=True)
    assert again == first
    policy.reset()
    assert np.all(current_pi.integral == 0.0) and np.all(modulator.acc[0] == 0.0)


def test_masked_episode_start_in_a_batch():
    venv = gym.make_vec("gem/Cont-CC-PermExDc-v0", compiled=False, num_envs=2, vectorization_mode="vector_entry_point")
    policy = gem.controllers.make(venv)
    obs, _ = venv.reset(seed=0)
    for _ in range(30):
        action, _ = policy.predict(obs)
        obs, *_ = venv.step(action)
    pi = policy.stages[0].pi
    kept = pi.integral[1, 0]
    assert kept != 0.0
    policy.predict(obs, episode_start=np.array([True, False]))
    sig = policy.last_signals
    err = sig["i_ref"] - sig["i"]
    assert pi.integral[0, 0] == pytest.approx(pi.ki[0] * venv.unwrapped.tau * err[0])     # restarted
    assert pi.integral[1, 0] == pytest.approx(kept + pi.ki[0] * venv.unwrapped.tau * err[1])  # continued


def test_batch_size_must_match():
    venv = gym.make_vec("gem/Cont-CC-PermExDc-v0", compiled=False, num_envs=3, vectorization_mode="vector_entry_point")
    policy = gem.controllers.make(venv)
    obs, _ = venv.reset(seed=0)
    with pytest.raises(ValueError, match="3 environments"):
        policy.predict(obs[:2])


def test_single_env_policy_serves_a_batch():
    env = gym.make("gem/Cont-CC-SeriesDc-v0", compiled=False)
    policy = gem.controllers.make(env)
    obs, _ = env.reset(seed=0)
    action, _ = policy.predict(np.stack([obs, obs]))
    assert action.shape == (2, 1)
    np.testing.assert_array_equal(action[0], action[1])


def test_missing_observation_is_named():
    env = gym.make("gem/Cont-SC-PermExDc-v0", compiled=False, observed_states=("torque", "i", "u", "u_sup"))
    policy = gem.controllers.make(env)
    obs, _ = env.reset(seed=0)
    with pytest.raises(KeyError, match="'omega'"):
        policy.predict(obs)


def test_dq_action_frame():
    env = gym.make("gem/Cont-CC-PMSM-v0", compiled=False, action_frame="dq", reference=[ConstReference(value=-0.1),
                                                                         ConstReference(value=0.3)])
    policy = gem.controllers.make(env)
    obs, _ = env.reset(seed=0)
    for k in range(300):
        action, _ = policy.predict(obs, episode_start=(k == 0))
        assert action.shape == (2,)
        obs, _, terminated, _, _ = env.step(action)
        assert not terminated
    base = env.unwrapped
    i_sq = base.physical_state[base.drive.index["i_sq"]]
    assert i_sq == pytest.approx(0.3 * base.limits[base.drive.index["i_sq"]], rel=0.02)


@pytest.mark.parametrize(("env_id", "kwargs"), [
    ("gem/Cont-CC-PermExDc-v0", {"motor_params": {"l_a": [19e-6, 40e-6], "r_a": [0.016, 0.03]}, "u_sup": [50.0, 70.0]}),
    ("gem/Finite-SC-PMSM-v0", {"motor_params": {"l_q": [1.2e-3, 1.4e-3]}, "u_sup": [300.0, 350.0]}),
])
def test_per_environment_parameters(env_id, kwargs):
    venv = gym.make_vec(env_id, compiled=False, num_envs=2, vectorization_mode="vector_entry_point", **kwargs)
    policy = gem.controllers.make(venv)
    assert np.shape(policy.info["current_gains"].kp)[0] == 2                # one set of gains per environment
    obs, _ = venv.reset(seed=0)
    start = np.ones(2, bool)
    for _ in range(300):
        action, _ = policy.predict(obs, episode_start=start)
        obs, _, terminated, truncated, _ = venv.step(action)
        assert not terminated.any()
        start = terminated | truncated


def test_unsupported_motor_is_named():
    from dataclasses import dataclass
    from typing import ClassVar

    from gem.physical_systems import Motor

    @dataclass(frozen=True, kw_only=True)
    class Toy(Motor):
        r: float = 0.1
        ind: float = 1e-3
        j_rotor: float = 0.01
        ode_names: ClassVar = ("i",)
        current_names: ClassVar = ("i",)
        voltage_names: ClassVar = ("u",)
        input_names: ClassVar = ("u",)
        default_nominal: ClassVar = {"omega": 100.0, "torque": 1.0, "i": 10.0}
        default_limits: ClassVar = {"omega": 200.0, "torque": 2.0, "i": 20.0}

        def derivative(self, x, u, omega):
            return ((u[0] - self.r * x[0]) / self.ind,)

        def torque(self, x):
            return 0.1 * x[0]

    env = gem.make_env(motor=Toy(), task="CC", action_type="Cont")
    with pytest.raises(NotImplementedError, match="Toy"):
        gem.controllers.make(env)


def test_tuning_is_exposed():
    env = gym.make("gem/Cont-SC-PermExDc-v0", compiled=False)
    slow = gem.controllers.make(env, a_current=4.0, a_speed=8.0, current_rule="SO", anti_windup="back_calculation")
    fast = gem.controllers.make(env)
    assert slow.info["current_gains"].kp[0] < fast.info["current_gains"].kp[0]
    assert slow.info["speed_gains"].kp < fast.info["speed_gains"].kp
    motor = env.unwrapped.drive.motor
    assert fast.info["current_gains"].kp[0] == pytest.approx(motor.l_a / (2 * env.unwrapped.tau))
    with pytest.raises(TypeError):
        gem.controllers.make(env, a_curent=3.0)
    with pytest.raises(ValueError, match="current_margin"):
        gem.controllers.make(env, current_margin=1.5)
