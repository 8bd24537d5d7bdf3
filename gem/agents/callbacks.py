"""Training callbacks: periodic validation with best-model checkpoints, and a progress bar.

Validation runs the current policy deterministically on fixed seeded episodes (not the test
episodes of the final comparison) and keeps the best checkpoint by tracking RMSE, so a DDPG run
that degrades late in training (DDPG is not monotone) still yields its best policy. Each
validation also overwrites ``last_model.zip`` (and the replay buffer), so an interrupted run can
be evaluated or resumed.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from gem.evaluation.episodes import EnvSpec
from gem.evaluation.metrics import score
from gem.evaluation.policies import PolicyLike
from gem.evaluation.rollout import rollout

VALIDATION_SEED = 20_000
"""Seed of the validation episodes (distinct from :data:`gem.evaluation.EVAL_SEED`)."""


class ValidationCallback(BaseCallback):
    """Validates every ``eval_freq`` transitions; saves ``best_model.zip`` and ``last_model.zip``.

    The best checkpoint is the one with the lowest steady-tracking RMSE (normalised, after the
    initial transient: :mod:`gem.evaluation.transient`) on the validation episodes. Writes one
    JSON line per validation to ``validations.jsonl``: timesteps, ``rmse`` (the steady-tracking
    RMSE that selects checkpoints), ``episode_rmse`` (over whole episodes), mean episode reward,
    violating episodes, ``seconds`` (of this validation), ``train_seconds`` (wall time since
    training started, validations excluded) and the baseline's two RMSEs if given.

    Args:
        spec: Environment of the validation episodes (the training task).
        out: Output folder.
        eval_freq: Transitions (all environments) between validations.
        n_episodes: Validation episodes.
        seed: Seed of the first validation episode.
        baseline: Optional policy (or factory) validated once, for reference in the log and plot.
        baseline_name: Its name.
        save_replay_buffer: Also save the replay buffer with ``last_model.zip``.
        name: Name of the trained policy in the log.
        on_validation: Called with each validation's log row (a dict, as written to
            ``validations.jsonl``), e.g. to report progress to a hyper-parameter search.
    """

    def __init__(self, spec: EnvSpec, out: str | Path, eval_freq: int, n_episodes: int = 4,
                 seed: int = VALIDATION_SEED, baseline: PolicyLike | None = None,
                 baseline_name: str = "PI cascade", save_replay_buffer: bool = True, name: str = "DDPG",
                 on_validation: Callable[[dict[str, Any]], None] | None = None):
        super().__init__()
        self.on_validation = on_validation
        self.spec, self.out = spec, Path(out)
        self.eval_freq, self.n_episodes, self.seed = int(eval_freq), int(n_episodes), int(seed)
        self.baseline, self.baseline_name = baseline, baseline_name
        self.save_replay_buffer, self.name = save_replay_buffer, name
        self.best_rmse = float("inf")
        self.best_timesteps: int | None = None
        self.baseline_rmse: float | None = None
        self.baseline_episode_rmse: float | None = None
        self.last_rmse: float | None = None
        self.seconds = 0.0
        """Wall time spent validating (s)."""
        self._start = time.perf_counter()
        self._next = self.eval_freq
        self._validated_at = -1

    @property
    def best_path(self) -> Path:
        """Where the best checkpoint is saved."""
        return self.out / "best_model.zip"

    @property
    def last_path(self) -> Path:
        """Where the latest checkpoint is saved."""
        return self.out / "last_model.zip"

    @property
    def log_path(self) -> Path:
        """The validation log."""
        return self.out / "validations.jsonl"

    def _init_callback(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self.log_path.write_text("")
        if self.baseline is not None:
            ro = rollout(self.baseline, self.spec, self.n_episodes, self.seed)
            m = score(ro, self.baseline_name, self.spec.env_id)
            self.baseline_rmse, self.baseline_episode_rmse = m.steady_rmse, m.rmse
        self._start = time.perf_counter()

    def _on_step(self) -> bool:
        if self.num_timesteps >= self._next:
            self._next += self.eval_freq
            self.validate()
        return True

    def _on_training_end(self) -> None:
        if self.num_timesteps != self._validated_at:
            self.validate()

    def validate(self) -> float:
        """Scores the current policy, logs it and updates the checkpoints; returns its RMSE."""
        tic = time.perf_counter()
        self._validated_at = int(self.num_timesteps)
        ro = rollout(self.model, self.spec, self.n_episodes, self.seed)
        m = score(ro, self.name, self.spec.env_id)
        rmse = m.steady_rmse if np.isfinite(m.steady_rmse) else float("inf")
        self.last_rmse = rmse
        self.model.save(self.last_path)
        if self.save_replay_buffer and getattr(self.model, "replay_buffer", None) is not None:
            self.model.save_replay_buffer(self.out / "last_replay_buffer.pkl")
        if rmse < self.best_rmse:
            self.best_rmse, self.best_timesteps = rmse, int(self.num_timesteps)
            self.model.save(self.best_path)
        spent = time.perf_counter() - tic
        row: dict[str, Any] = {"timesteps": int(self.num_timesteps), "rmse": rmse, "episode_rmse": m.rmse,
                               "mean_episode_reward": m.mean_episode_reward,
                               "violation_episodes": m.violation_episodes, "seconds": round(spent, 3),
                               "train_seconds": round(tic - self._start - self.seconds, 3)}
        self.seconds += spent
        if self.baseline_rmse is not None:
            row.update(baseline_rmse=self.baseline_rmse, baseline_episode_rmse=self.baseline_episode_rmse,
                       baseline_name=self.baseline_name)
        row["best_rmse"] = self.best_rmse
        with self.log_path.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
        if self.on_validation is not None:
            self.on_validation(row)
        self.logger.record("validation/rmse", rmse)
        self.logger.record("validation/best_rmse", self.best_rmse)
        return rmse


class ProgressCallback(BaseCallback):
    """A rich progress bar showing the mean return of recent training episodes and validation RMSE.

    Args:
        total: Total transitions of this run.
        validation: The run's validation callback (for the RMSE shown), if any.
        window: Episodes averaged for the displayed return.
        name: Label of the bar (the algorithm).
    """

    def __init__(self, total: int, validation: ValidationCallback | None = None, window: int = 20,
                 name: str = "DDPG"):
        super().__init__()
        self.name = name
        self.total, self.validation = int(total), validation
        self.returns: deque[float] = deque(maxlen=window)
        self.pbar: Any = None

    def _on_training_start(self) -> None:
        import warnings

        from tqdm import TqdmExperimentalWarning
        from tqdm.rich import tqdm

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TqdmExperimentalWarning)
            self.pbar = tqdm(total=self.total, desc=self.name, unit="step")

    def _on_step(self) -> bool:
        for info in self.locals.get("infos", []):
            if "episode" in info:
                self.returns.append(float(info["episode"]["r"]))
        self.pbar.update(self.training_env.num_envs)
        if self.n_calls % 50 == 0:
            post = {}
            if self.returns:
                post["ep_return"] = f"{np.mean(self.returns):.3g}"
            if self.validation is not None and np.isfinite(self.validation.best_rmse):
                post["best_val_rmse"] = f"{self.validation.best_rmse:.4g}"
            self.pbar.set_postfix(post, refresh=False)
        return True

    def _on_training_end(self) -> None:
        if self.pbar is not None:
            self.pbar.refresh()
            self.pbar.close()
