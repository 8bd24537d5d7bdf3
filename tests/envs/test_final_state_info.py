"""The vector env reports the physical state a finished episode ended in."""

import numpy as np

import gem


def test_final_physical_state_is_the_state_before_the_autoreset():
    venv = gem.make_vec_env(num_envs=3, motor="SeriesDc", task="CC", max_episode_steps=5)
    venv.reset(seed=[0, 1, 2])
    action = np.full((3, 1), 0.2, np.float32)
    for _ in range(4):
        venv.step(action)
    before = venv.physical_state
    obs, _, _, truncated, info = venv.step(action)
    assert truncated.all()
    assert info["_final_obs"].all()
    final = info["final_physical_state"]
    assert final.shape == before.shape
    # the final state evolved one step from `before` (same speed, moved current), then the env reset
    np.testing.assert_array_equal(final[:, 0], before[:, 0])
    assert np.all(final[:, 2] != before[:, 2])
    np.testing.assert_array_equal(venv.physical_state[:, 2], 0.0)
    i = venv.drive.index["i"]
    np.testing.assert_allclose(info["final_obs"][:, i], final[:, i] / venv.limits[:, i], rtol=1e-6)
