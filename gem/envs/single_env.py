"""The single environment: a ``num_envs = 1`` view of :class:`GemVectorEnv` (no second physics path)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from gem.envs.task import DriveTask
from gem.envs.vector_env import GemVectorEnv
from gem.visualization import RENDER_FPS, RENDER_MODES


class GemEnv(gym.Env):
    """One drive as a Gymnasium environment.

    Episodes end on a limit violation (``terminated``); the time limit is applied by Gymnasium's
    ``TimeLimit`` wrapper when made through ``gym.make`` (``truncated``). Stepping a finished
    episode raises until :meth:`reset` is called.

    Args:
        task: The task definition (see :func:`gem.make_task`).
        render_mode: ``None``, ``"rgb_array"`` or ``"human"`` (see :mod:`gem.visualization`).
        compiled: Use the compiled step where possible (see :class:`GemVectorEnv`).
    """

    metadata = {"render_modes": list(RENDER_MODES), "render_fps": RENDER_FPS}

    def __init__(self, task: DriveTask, render_mode: str | None = None, compiled: bool = True):
        self.vector = GemVectorEnv(task, num_envs=1, autoreset=False, render_mode=render_mode, compiled=compiled)
        self.task = task
        self.action_space = self.vector.single_action_space
        self.observation_space = self.vector.single_observation_space
        self.render_mode = render_mode

    @property
    def state_names(self) -> tuple[str, ...]:
        """Physical state names in GEM order."""
        return self.vector.state_names

    @property
    def observation_names(self) -> tuple[str, ...]:
        """What each observation entry is."""
        return self.vector.observation_names

    @property
    def reference_names(self) -> tuple[str, ...]:
        """Referenced state names."""
        return self.vector.reference_names

    @property
    def physical_state(self) -> np.ndarray:
        """Physical state in SI units, ``(n_states,)``."""
        return self.vector.physical_state[0]

    @property
    def limits(self) -> np.ndarray:
        """State normalisers (SI), ``(n_states,)``."""
        return self.vector.limits[0]

    @property
    def references(self) -> np.ndarray:
        """Current references in SI units, ``(n_refs,)``."""
        return self.vector.references[0]

    @property
    def compiled(self) -> bool:
        """Whether steps run as one compiled kernel (known after the first reset)."""
        return self.vector.compiled

    @property
    def tau(self) -> float:
        """Control period in s."""
        return self.vector.tau

    @property
    def drive(self):
        """The :class:`~gem.physical_systems.DriveSystem`."""
        return self.vector.drive

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        """Starts an episode. A seed makes this and all later episodes reproducible.

        Args:
            seed: Seed of the environment's random generator (``None`` continues the stream).
            options: ``{"initial_state": {name: SI value}}``.
        """
        super().reset(seed=seed)
        obs, info = self.vector.reset(seed=None if seed is None else [seed], options=options)
        return obs[0], info

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        """Applies ``action`` for one control period."""
        space = self.action_space
        want = () if isinstance(space, spaces.Discrete) else space.shape
        if np.shape(action) != want:
            raise ValueError(f"action shape {np.shape(action)} does not match action_space shape {want} ({space})")
        vector = self.vector
        kernel = vector._kernel
        if kernel is None:
            obs, reward, terminated, truncated, info = vector.step(np.asarray(action)[None])
        else:    # the same compiled step without the batch's copies (this is the hot path of gym.make)
            info = vector._step_compiled(action, single=True)
            obs, reward, terminated, truncated = kernel.obs, kernel.rew, kernel.term, kernel.trunc
        if info:
            info = {k: (v[0] if isinstance(v, np.ndarray) and v.shape[:1] == (1,) else v) for k, v in info.items()}
        return obs[0].copy(), float(reward[0]), bool(terminated[0]), bool(truncated[0]), info

    def render(self) -> np.ndarray | None:
        """The dashboard: an ``(H, W, 3)`` uint8 frame (``"rgb_array"``) or a live plot (``"human"``)."""
        return self.vector.render()

    def close(self) -> None:
        """Closes the dashboard's figure, if any."""
        self.vector.close()
