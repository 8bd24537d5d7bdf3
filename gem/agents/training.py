"""Train a Stable-Baselines3 agent on a gem task with a preset, checkpoints and a progress bar.

Algorithms: DDPG, TD3, SAC, PPO and DQN (:data:`ALGORITHM_CLASSES`).

Everything a run produces goes to its output folder:

- ``model.zip``: the final model (also written when the run is interrupted with Ctrl-C),
- ``best_model.zip``: the best checkpoint by validation RMSE (see :class:`ValidationCallback`),
- ``last_model.zip`` / ``last_replay_buffer.pkl``: the latest checkpoint, to resume from,
- ``monitor.csv``: return and length of every training episode,
- ``validations.jsonl`` and ``progress.csv``: validation and SB3 training logs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from stable_baselines3 import DDPG, DQN, PPO, SAC, TD3
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.logger import configure
from stable_baselines3.common.noise import NormalActionNoise, OrnsteinUhlenbeckActionNoise
from stable_baselines3.common.vec_env import VecEnv, VecMonitor

from gem.agents.callbacks import ProgressCallback, ValidationCallback
from gem.agents.presets import AgentPreset, preset_for
from gem.agents.vec_env import SB3VecEnv
from gem.evaluation.episodes import EnvSpec, resolve
from gem.evaluation.policies import PolicyLike

ALGORITHM_CLASSES: dict[str, type[BaseAlgorithm]] = {"DDPG": DDPG, "TD3": TD3, "SAC": SAC, "PPO": PPO, "DQN": DQN}
"""The Stable-Baselines3 class of each algorithm name."""


@dataclass
class TrainingResult:
    """Outcome of :func:`train_agent`.

    Attributes:
        model: The model at the end of training.
        preset: The preset used (with overrides applied).
        spec: The task trained on (its id's episode length; training truncates earlier).
        out: Output folder.
        timesteps: Transitions actually collected.
        seconds: Wall time of training (including validations).
        validation_seconds: Part of ``seconds`` spent validating.
        interrupted: Training was stopped by Ctrl-C.
        best_rmse: Best validation RMSE (normalised).
        best_timesteps: When the best checkpoint was taken.
    """

    model: BaseAlgorithm
    preset: AgentPreset
    spec: EnvSpec
    out: Path
    timesteps: int
    seconds: float
    validation_seconds: float
    interrupted: bool
    best_rmse: float
    best_timesteps: int | None

    @property
    def model_path(self) -> Path:
        """The final model."""
        return self.out / "model.zip"

    @property
    def best_model_path(self) -> Path:
        """The best checkpoint (falls back to the final model if no validation ran)."""
        best = self.out / "best_model.zip"
        return best if best.exists() else self.model_path


def training_spec(env_id: str, preset: AgentPreset, env_kwargs: Mapping[str, Any] | None = None) -> EnvSpec:
    """The task an agent trains and is evaluated on: the id with the preset's and the user's arguments.

    The preset's ``gamma`` is passed to the task so its violation reward matches the agent's discount.
    """
    return resolve(env_id, {**preset.env_kwargs, "gamma": preset.gamma, **dict(env_kwargs or {})})


def make_training_env(spec: EnvSpec, preset: AgentPreset, monitor_file: str | Path | None = None) -> VecEnv:
    """``preset.num_envs`` batched environments as an SB3 ``VecEnv`` with episode monitoring."""
    venv = SB3VecEnv(spec.vector_env(preset.num_envs, preset.train_episode_steps))
    return VecMonitor(venv, filename=None if monitor_file is None else str(monitor_file))


def build_model(preset: AgentPreset, env: VecEnv, seed: int = 0, verbose: int = 0) -> BaseAlgorithm:
    """An untrained SB3 model of ``preset.algo`` configured by ``preset`` (CPU).

    Raises:
        ValueError: The algorithm cannot act in ``env``'s action space (e.g. DQN on ``MultiDiscrete``).
    """
    cls = ALGORITHM_CLASSES[preset.algo]
    kwargs: dict[str, Any] = {}
    if preset.noise is not None:
        n_act = int(np.prod(env.action_space.shape))
        mean, sigma = np.zeros(n_act), np.full(n_act, preset.noise_sigma)
        kwargs["action_noise"] = (NormalActionNoise(mean, sigma) if preset.noise == "normal"
                                  else OrnsteinUhlenbeckActionNoise(mean, sigma))
    try:
        return cls("MlpPolicy", env, learning_rate=preset.learning_rate, gamma=preset.gamma,
                   policy_kwargs={"net_arch": list(preset.net_arch)}, seed=seed, verbose=verbose, device="cpu",
                   **kwargs, **dict(preset.sb3))
    except AssertionError as exc:  # SB3 checks the action space with assert
        raise ValueError(f"{preset.algo} cannot act in the action space {env.action_space}: {exc}") from exc


def build_ddpg(preset: AgentPreset, env: VecEnv, seed: int = 0, verbose: int = 0) -> DDPG:
    """An untrained SB3 DDPG configured by ``preset`` (CPU); ``preset.algo`` must be ``"DDPG"``."""
    if preset.algo != "DDPG":
        raise ValueError(f"build_ddpg got a {preset.algo} preset; use build_model")
    return build_model(preset, env, seed, verbose)  # type: ignore[return-value]


def train_agent(env_id: str, out: str | Path, *, algo: str = "DDPG", timesteps: int | None = None, seed: int = 0,
                num_envs: int | None = None, preset: AgentPreset | None = None,
                env_kwargs: Mapping[str, Any] | None = None, progress_bar: bool = True,
                baseline: PolicyLike | None = None, save_replay_buffer: bool = True,
                torch_threads: int | None = 1,
                on_validation: Callable[[dict[str, Any]], None] | None = None) -> TrainingResult:
    """Trains an SB3 agent on ``env_id`` and saves models and logs to ``out``.

    Args:
        env_id: A gem id, e.g. ``"gem/Cont-CC-SeriesDc-v0"``.
        out: Output folder (created).
        algo: ``"DDPG"``, ``"TD3"``, ``"SAC"``, ``"PPO"`` or ``"DQN"`` (ignored when ``preset`` is given).
        timesteps: Training transitions (default: the preset's budget).
        seed: Seed of networks, exploration and training environments (``seed + i``).
        num_envs: Environments collecting in parallel (default: the preset's).
        preset: Hyper-parameters (default: :func:`preset_for` the id and ``algo``).
        env_kwargs: Extra task arguments (see :func:`gem.make_task`).
        progress_bar: Show a progress bar with the recent episode return.
        baseline: Policy or factory validated once for reference (e.g. ``gem.controllers.make``).
        save_replay_buffer: Save the replay buffer (off-policy algorithms) with every checkpoint.
        torch_threads: Torch CPU threads (``None``: leave as is). One thread is fastest for
            these small networks and keeps runs reproducible.
        on_validation: Called with each validation's log row (see :class:`ValidationCallback`).
        on_validation: Called with each validation's log row (see :class:`ValidationCallback`).

    Returns:
        The :class:`TrainingResult`; the best checkpoint is ``result.best_model_path``.
    """
    preset = (preset or preset_for(env_id, algo)).with_overrides(timesteps=timesteps, num_envs=num_envs)
    if preset.timesteps < 1:
        raise ValueError(f"timesteps must be >= 1 to train, got {preset.timesteps}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if torch_threads is not None:
        torch.set_num_threads(int(torch_threads))
    spec = training_spec(env_id, preset, env_kwargs)
    env = make_training_env(spec, preset, out / "monitor.csv")
    model = build_model(preset, env, seed)
    model.set_logger(configure(str(out), ["csv"]))
    validation = ValidationCallback(spec, out, preset.eval_freq, preset.eval_episodes, baseline=baseline,
                                    save_replay_buffer=save_replay_buffer, name=preset.algo,
                                    on_validation=on_validation)
    callbacks: list = [validation]
    if progress_bar:
        callbacks.append(ProgressCallback(preset.timesteps, validation, name=preset.algo))
    interrupted = False
    tic = time.perf_counter()
    try:
        model.learn(total_timesteps=preset.timesteps, callback=callbacks, log_interval=10)
    except KeyboardInterrupt:
        interrupted = True
        print(f"\ninterrupted at {model.num_timesteps} timesteps: saving the model to {out}")
    seconds = time.perf_counter() - tic
    model.save(out / "model.zip")
    env.close()
    return TrainingResult(model, preset, spec, out, int(model.num_timesteps), seconds, validation.seconds,
                          interrupted, validation.best_rmse, validation.best_timesteps)


def train_ddpg(env_id: str, out: str | Path, **kwargs: Any) -> TrainingResult:
    """:func:`train_agent` with ``algo="DDPG"`` (the comparison's agent); same keyword arguments."""
    return train_agent(env_id, out, algo="DDPG", **kwargs)


def load_agent(path: str | Path, algo: str = "DDPG") -> BaseAlgorithm:
    """Loads a saved model of ``algo`` for evaluation (CPU).

    Raises:
        FileNotFoundError: With the path, if it does not exist.
        ValueError: Unknown algorithm.
    """
    if algo not in ALGORITHM_CLASSES:
        raise ValueError(f"unknown algorithm {algo!r}; choose from {list(ALGORITHM_CLASSES)}")
    p = Path(path)
    if not p.exists() and not p.with_suffix(".zip").exists():
        raise FileNotFoundError(f"no saved model at {p}")
    return ALGORITHM_CLASSES[algo].load(str(p), device="cpu")


def load_ddpg(path: str | Path) -> DDPG:
    """Loads a saved DDPG model for evaluation (CPU); see :func:`load_agent`."""
    return load_agent(path, "DDPG")  # type: ignore[return-value]
