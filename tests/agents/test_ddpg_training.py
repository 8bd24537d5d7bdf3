"""DDPG presets and a smoke run with tiny budgets."""

import json

import numpy as np
import pytest
import torch

from gem.agents import AgentPreset, load_ddpg, preset_for, train_ddpg
from gem.evaluation import ConstantPolicy

TINY = AgentPreset(timesteps=240, num_envs=4, train_episode_steps=50, gamma=0.5, net_arch=(16, 16),
                   sb3={"buffer_size": 1_000, "batch_size": 32, "learning_starts": 80, "gradient_steps": 2},
                   eval_freq=120, eval_episodes=2)
SHORT = {"max_episode_steps": 40}  # short validation episodes


def _params(model) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in model.policy.parameters()]


def test_presets():
    cc = preset_for("gem/Cont-CC-SeriesDc-v0")
    assert cc.gamma < 0.9 and cc.timesteps > 0
    assert preset_for("gem/Cont-SC-SeriesDc-v0").timesteps > cc.timesteps
    with pytest.raises(ValueError, match="continuous action"):
        preset_for("gem/Finite-CC-SeriesDc-v0")
    with pytest.raises(ValueError, match="cannot derive"):
        preset_for("gem/whatever")
    assert cc.with_overrides(timesteps=5, num_envs=None).timesteps == 5
    with pytest.raises(ValueError, match="noise"):
        AgentPreset(timesteps=1, noise="pink")
    with pytest.raises(ValueError, match="no action noise"):
        AgentPreset(timesteps=1, algo="SAC")
    assert preset_for("gem/Finite-CC-PMSM-v0", "DQN").algo == "DQN"
    with pytest.raises(ValueError, match="needs discrete actions"):
        preset_for("gem/Cont-CC-PMSM-v0", "DQN")
    with pytest.raises(ValueError, match="unknown algorithm"):
        preset_for("gem/Cont-CC-PMSM-v0", "A2C")


def test_speed_preset_of_the_series_motor_observes_the_error_integral():
    from gem.agents.training import training_spec

    preset = preset_for("gem/Cont-SC-SeriesDc-v0")
    task = training_spec("gem/Cont-SC-SeriesDc-v0", preset).task()
    assert task.observation_names[-1] == "omega_error_integral" and task.reward.power == 0.5
    assert "error_integral" not in preset_for("gem/Cont-SC-PMSM-v0").env_kwargs     # measured on the series motor


def test_smoke_run_writes_checkpoints_and_is_reproducible(tmp_path):
    torch.use_deterministic_algorithms(True)
    runs = []
    for name in ("a", "b"):
        res = train_ddpg("gem/Cont-CC-SeriesDc-v0", tmp_path / name, preset=TINY, seed=3, env_kwargs=SHORT,
                         progress_bar=False, baseline=ConstantPolicy([0.0]))
        runs.append(res)
    res = runs[0]
    assert res.timesteps == 240 and not res.interrupted
    for f in ("model.zip", "best_model.zip", "last_model.zip", "last_replay_buffer.pkl", "monitor.csv",
              "validations.jsonl", "progress.csv"):
        assert (tmp_path / "a" / f).exists(), f
    rows = [json.loads(x) for x in (tmp_path / "a" / "validations.jsonl").read_text().splitlines()]
    assert [r["timesteps"] for r in rows] == [120, 240]
    assert all(r["baseline_name"] == "PI cascade" and r["baseline_rmse"] > 0 for r in rows)
    assert all(r["episode_rmse"] > 0 and r["rmse"] > 0 and r["train_seconds"] >= 0 for r in rows)
    assert res.validation_seconds > 0
    assert res.best_rmse == min(r["rmse"] for r in rows)
    # same seed -> same networks
    for p, q in zip(_params(runs[0].model), _params(runs[1].model), strict=True):
        np.testing.assert_array_equal(p, q)
    model = load_ddpg(res.best_model_path)
    action, _ = model.predict(np.zeros((3, 6), np.float32), deterministic=True)
    assert action.shape == (3, 1) and np.all(np.abs(action) <= 1)


def test_training_errors(tmp_path):
    with pytest.raises(ValueError, match="timesteps"):
        train_ddpg("gem/Cont-CC-SeriesDc-v0", tmp_path, preset=TINY, timesteps=0, progress_bar=False)
    with pytest.raises(ValueError, match="unknown environment id"):
        train_ddpg("gem/Cont-CC-NoMotor-v0", tmp_path, preset=TINY, progress_bar=False)
    with pytest.raises(FileNotFoundError, match="no saved model"):
        load_ddpg(tmp_path / "missing.zip")
