"""The cascade as a Stable-Baselines3-style policy.

:class:`CascadePolicy` chains stages (speed → torque → current → modulation) on the signals read
from the observation and answers ``predict(obs, state, episode_start, deterministic)`` on single or
batched observations. It is assembled from an environment's components by
:func:`gem.controllers.make`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces

from gem.controllers.signals import ObservationReader, Signals


class CascadePolicy:
    """A cascade of control stages behind the Stable-Baselines3 ``predict`` interface.

    Args:
        reader: Observation → signals.
        stages: Callables on the signals, run in order, each with ``reset(mask)``; the last one
            sets ``u_cmd``.
        modulator: ``Signals → action`` (from ``u_cmd``, ``u_sup``, ...) with ``reset(mask)``.
        action_space: The single environment's action space.
        num_envs: Batch size the parameters were read for (1 for a single environment).
        info: Description of the cascade (task, gains, ...) for users and reports.
    """

    def __init__(self, reader: ObservationReader, stages: Sequence[Any], modulator: Any,
                 action_space: spaces.Space, num_envs: int = 1, info: dict | None = None):
        self.reader = reader
        self.stages = list(stages)
        self.modulator = modulator
        self.action_space = action_space
        self.num_envs = int(num_envs)
        self.info = dict(info or {})
        self.last_signals: Signals | None = None

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Clears integrators and modulator states (of the environments where ``mask`` is true)."""
        for stage in (*self.stages, self.modulator):
            stage.reset(mask)

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        """Batched action for a ``(batch, n_obs)`` observation (no reset handling)."""
        sig = self.reader.read(obs)
        for stage in self.stages:
            stage(sig)
        self.last_signals = sig
        return self.modulator(sig)

    def predict(self, observation: np.ndarray, state: Any = None, episode_start: np.ndarray | None = None,
                deterministic: bool = True) -> tuple[np.ndarray, Any]:
        """Action(s) for observation(s), like Stable-Baselines3's ``predict``.

        Args:
            observation: ``(n_obs,)`` for a single environment or ``(batch, n_obs)``.
            state: Unused (the controller keeps its state itself); returned unchanged.
            episode_start: ``(batch,)`` booleans; integrators and modulators of those environments
                are reset before acting. Pass ``True`` with the first observation after ``reset``.
            deterministic: Unused (the cascade is deterministic).

        Returns:
            ``(action, state)`` with actions shaped and typed like ``action_space`` samples
            (batched along the first axis for batched observations).
        """
        obs = np.asarray(observation, dtype=np.float64)
        single = obs.ndim == 1
        obs = np.atleast_2d(obs)
        batch = obs.shape[0]
        if self.num_envs not in (1, batch):
            raise ValueError(f"the policy was made for {self.num_envs} environments, got a batch of {batch}")
        if episode_start is not None:
            mask = np.broadcast_to(np.asarray(episode_start, dtype=bool).reshape(-1), (batch,))
            if np.any(mask):
                self.reset(mask)
        action = self(obs)
        if isinstance(self.action_space, spaces.Discrete):
            action = action[:, 0]
        return (action[0] if single else action), state
