"""Stable-Baselines3 ``VecEnv`` view of gem's native batched environment.

SB3 and Gymnasium's vector API disagree on three points, which this adapter translates:

- ``step`` returns ``dones = terminated | truncated`` and a *list* of per-environment info dicts;
  ``info["TimeLimit.truncated"]`` is ``truncated and not terminated`` so SB3 bootstraps from the
  last observation of time-limited episodes, and ``info["terminal_observation"]`` holds that
  observation (the returned observation is already the first of the next episode, because
  :class:`~gem.envs.GemVectorEnv` resets in the same step).
- Seeds are given by ``seed(seed)`` and used at the *next* ``reset()``; environment ``i`` gets
  ``seed + i``, exactly as SB3's ``DummyVecEnv`` seeds single environments, so both produce the
  same episodes.
- ``get_attr``/``env_method`` address environments by index, while gem has one batched object:
  shared attributes are repeated per index, per-environment arrays are split by row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvStepReturn

from gem.envs.vector_env import GemVectorEnv

PER_ENV_ATTRS = frozenset({"physical_state", "limits", "references"})
"""Attributes of :class:`GemVectorEnv` with one row per environment; ``get_attr`` returns row ``i``."""

SINGLE_SPACES = {"observation_space": "single_observation_space", "action_space": "single_action_space"}


class SB3VecEnv(VecEnv):
    """Adapts a :class:`~gem.envs.GemVectorEnv` (same-step autoreset) to SB3's ``VecEnv``.

    Args:
        venv: The native vector environment. It must autoreset (the default).

    Example:
        >>> venv = SB3VecEnv(gem.make_vec_env(num_envs=4, max_episode_steps=500, task="CC"))
        >>> model = DDPG("MlpPolicy", venv)

    Threads: gem steps on one thread by default and leaves PyTorch's settings alone. When the
    learner shares a few cores with the environment and other work, PyTorch's intra-op threads
    can cost more than they give: PPO on 256 environments beside a busy process trained at 29,000
    timesteps/s with torch's two default threads and at 150,000 after ``torch.set_num_threads(1)``
    (2-vCPU Intel Xeon VM, 2026-11-30, ``benchmarks/contention.py``; on the idle machine 190,000
    and 150,000). Set it in your training script if that is your situation.
    """

    def __init__(self, venv: GemVectorEnv):
        if not getattr(venv, "autoreset", False):
            raise ValueError("SB3VecEnv needs a GemVectorEnv with autoreset=True")
        self.venv = venv
        self.render_mode = venv.render_mode
        super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)
        self._actions: np.ndarray | None = None

    # ------------------------------------------------------------------ core API
    def reset(self) -> np.ndarray:
        """Resets every environment with the seeds/options set since the last reset.

        Without a pending ``seed()`` the environments' random streams continue. If only some
        environments have a pending seed, the others are re-seeded from fresh entropy.
        """
        seeds = self._seeds
        seed = None if all(s is None for s in seeds) else [None if s is None else int(s) for s in seeds]
        obs, info = self.venv.reset(seed=seed, options=_merge_options(self._options, self.num_envs))
        self.reset_infos = [_row(info, i, self.num_envs) for i in range(self.num_envs)]
        self._reset_seeds()
        self._reset_options()
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        """Stores the actions of the next :meth:`step_wait`."""
        self._actions = np.asarray(actions)

    def step_wait(self) -> VecEnvStepReturn:
        """Steps all environments; finished ones are already reset (see the module docstring)."""
        if self._actions is None:
            raise RuntimeError("step_async() must be called before step_wait()")
        actions, self._actions = self._actions, None
        if isinstance(self.action_space, gym.spaces.Box) and actions.ndim == 1 and self.action_space.shape == (1,):
            actions = actions[:, None]
        obs, reward, terminated, truncated, info = self.venv.step(actions)
        dones = terminated | truncated
        final = info.get("final_obs")
        infos: list[dict[str, Any]] = []
        for i in range(self.num_envs):
            row = _row(info, i, self.num_envs)
            row["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
            if dones[i]:
                row["terminal_observation"] = final[i].copy()
            infos.append(row)
        return obs, reward.astype(np.float32), dones, infos

    def close(self) -> None:
        """Closes the native environment."""
        self.venv.close()

    # ------------------------------------------------------------------ attribute access
    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """Attribute of each indexed environment; per-environment arrays are split by row."""
        idx = self._indices(indices)
        value = getattr(self.venv, SINGLE_SPACES.get(attr_name, attr_name))
        if attr_name in PER_ENV_ATTRS:
            return [np.array(value[i]) for i in idx]
        return [value for _ in idx]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Sets an attribute of the batched environment (all environments share it)."""
        self._require_all(indices, "set_attr")
        setattr(self.venv, attr_name, value)

    def env_method(self, method_name: str, *method_args: Any, indices: VecEnvIndices = None,
                   **method_kwargs: Any) -> list[Any]:
        """Calls a method of the batched environment once; its result is repeated per index."""
        self._require_all(indices, "env_method")
        result = getattr(self.venv, method_name)(*method_args, **method_kwargs)
        return [result for _ in self._indices(indices)]

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        """Always ``False``: the native environment has no per-environment Gymnasium wrappers."""
        return [False for _ in self._indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        """No images: gem renders through its own dashboard."""
        return [None for _ in range(self.num_envs)]

    # ------------------------------------------------------------------ helpers
    def _indices(self, indices: VecEnvIndices) -> list[int]:
        if indices is None:
            return list(range(self.num_envs))
        if isinstance(indices, (int, np.integer)):
            return [int(indices)]
        return [int(i) for i in indices]

    def _require_all(self, indices: VecEnvIndices, what: str) -> None:
        if indices is not None and sorted(self._indices(indices)) != list(range(self.num_envs)):
            raise NotImplementedError(f"{what} on a subset of environments: gem's environments are one batched "
                                      "object, so attributes and methods apply to all of them")


def _row(info: dict[str, Any], i: int, n: int) -> dict[str, Any]:
    """Row ``i`` of a Gymnasium vector info dict (masks ``_key`` and autoreset entries dropped)."""
    out: dict[str, Any] = {}
    for key, value in info.items():
        if key.startswith("_") or key in ("final_obs", "final_info"):
            continue
        mask = info.get(f"_{key}")
        if mask is not None and not mask[i]:
            continue
        out[key] = value[i] if isinstance(value, np.ndarray) and value.shape[:1] == (n,) else value
    return out


def _merge_options(options: Iterable[dict[str, Any]], n: int) -> dict[str, Any] | None:
    """Turns SB3's per-environment reset options into one batched options dict."""
    options = list(options)
    if not any(options):
        return None
    if any(set(o) - {"initial_state"} for o in options):
        unknown = sorted(set().union(*options) - {"initial_state"})
        raise ValueError(f"unknown reset option(s) {unknown}; supported: ['initial_state']")
    states = [o.get("initial_state") or {} for o in options]
    names = set(states[0])
    if any(set(s) != names for s in states):
        raise ValueError("set_options: every environment must name the same initial states")
    return {"initial_state": {k: np.array([float(s[k]) for s in states]) for k in names}}
