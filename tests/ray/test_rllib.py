"""gem ids train with RLlib (new API stack), and gem's evaluation scores the RLlib policy beside the PI cascade."""

import math

import numpy as np
import pytest

pytest.importorskip("ray.rllib")

import gem.controllers  # noqa: E402
from gem.evaluation import evaluate, resolve  # noqa: E402
from gem.rllib import RLlibPolicy, native_vector_env_supported, rllib_config  # noqa: E402


@pytest.fixture(scope="module")
def ppo():
    config = (rllib_config("gem/Cont-CC-SeriesDc-v0", "PPO", num_envs_per_env_runner=2, seed=1)
              .training(train_batch_size_per_learner=256, minibatch_size=64, num_epochs=1))
    algo = config.build_algo()
    yield algo
    algo.stop()


def test_one_ppo_iteration_and_evaluation_against_pi(ppo):
    result = ppo.train()
    assert result["env_runners"]["num_env_steps_sampled_lifetime"] >= 256
    policy = RLlibPolicy(ppo)
    spec = resolve("gem/Cont-CC-SeriesDc-v0")
    metrics, rollouts = evaluate({"PPO": policy, "PI cascade": gem.controllers.make}, spec, n_episodes=2,
                                 steps=200, latency_steps=0)
    assert all(math.isfinite(m.rmse) for m in metrics)
    # the same seeded episodes for both: identical references
    np.testing.assert_array_equal(rollouts["PPO"].references, rollouts["PI cascade"].references)
    obs = np.zeros((3, *spec.task().observation_space().shape), np.float32)
    actions, _ = policy.predict(obs)
    assert actions.shape == (3, 1) and np.all(np.abs(actions) <= 1.0)
    assert policy.predict(obs[0])[0].shape == (1,)


def test_sac_needs_continuous_actions_and_algorithms_are_named():
    with pytest.raises(ValueError, match="SAC needs continuous actions"):
        rllib_config("gem/Finite-CC-SeriesDc-v0", "SAC")
    with pytest.raises(ValueError, match="algo must be one of"):
        rllib_config("gem/Cont-CC-SeriesDc-v0", "DQN")



def test_gem_vector_env_only_where_rllib_handles_same_step_autoreset():
    import gymnasium as gym

    venv = gym.make_vec("gem/Cont-CC-SeriesDc-v0", num_envs=2, vectorization_mode="vector_entry_point")
    assert venv.metadata["autoreset_mode"] == gym.vector.AutoresetMode.SAME_STEP
    config = rllib_config("gem/Cont-CC-SeriesDc-v0", "PPO", num_envs_per_env_runner=4)
    expected = "vector_entry_point" if native_vector_env_supported() else "sync"
    assert config.gym_env_vectorize_mode == expected and config.num_envs_per_env_runner == 4
