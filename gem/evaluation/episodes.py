"""Which environment an evaluation or a training run uses: a registered id plus keyword overrides.

:func:`resolve` turns ``("gem/Cont-CC-SeriesDc-v0", {"gamma": 0.5})`` into an :class:`EnvSpec`
that builds the task, batched environments for training and the evaluation environment in which
every policy sees the same seeded reference episodes.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import gymnasium as gym

from gem.envs.registration import make_task
from gem.envs.task import DriveTask
from gem.envs.vector_env import GemVectorEnv

GEM_ENTRY_POINT = "gem.envs.registration:make_env"

UNITS = {"omega": "rad/s", "torque": "N·m", "epsilon": "rad"}
"""SI unit by state name; currents (``i*``) are in A and voltages (``u*``) in V."""


def unit_of(state: str) -> str:
    """SI unit of a gem state name."""
    if state in UNITS:
        return UNITS[state]
    return {"i": "A", "u": "V"}.get(state[:1], "")


@dataclass(frozen=True)
class EnvSpec:
    """A registered gem id with keyword overrides (the arguments of :func:`gem.make_task`).

    Attributes:
        env_id: Registered id, e.g. ``"gem/Cont-CC-SeriesDc-v0"``.
        kwargs: Task keyword arguments: the id's own, updated by the user's.
        max_episode_steps: Episode length of the registered id (or the override).
    """

    env_id: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    max_episode_steps: int | None = None

    def task(self) -> DriveTask:
        """Builds the task."""
        return make_task(**self.kwargs)

    @property
    def task_kind(self) -> str:
        """``"CC"``, ``"TC"`` or ``"SC"``."""
        return str(self.kwargs.get("task", "SC"))

    def with_kwargs(self, **kwargs: Any) -> EnvSpec:
        """Copy with more task keyword arguments."""
        return replace(self, kwargs={**self.kwargs, **kwargs})

    def vector_env(self, num_envs: int, max_episode_steps: int | None = None) -> GemVectorEnv:
        """Batched training environment (limits enforced, same-step autoreset).

        Args:
            num_envs: Batch size.
            max_episode_steps: Truncation horizon (``None``: the spec's episode length).
        """
        return GemVectorEnv(self.task(), num_envs=num_envs,
                            max_episode_steps=max_episode_steps or self.max_episode_steps)

    def evaluation_env(self, num_envs: int) -> tuple[GemVectorEnv, DriveTask]:
        """Batched environment for evaluation and the task whose limits it monitors.

        The environment never terminates or truncates (limit constraints are removed from the
        task; the caller counts violations with the returned task's constraints), so every
        policy runs exactly the same reference episodes to full length.
        """
        task = self.task()
        return GemVectorEnv(replace(task, constraints=()), num_envs=num_envs, max_episode_steps=None), task


def parse_env_kwargs(text: str | None) -> dict[str, Any]:
    """Task keyword arguments from a command line's JSON text (``None`` or empty: none).

    Raises:
        ValueError: The text is not valid JSON or not a JSON object.
    """
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ValueError(f"must be a JSON object, got {text!r}")
    return value


def resolve(env_id: str, env_kwargs: Mapping[str, Any] | None = None) -> EnvSpec:
    """Looks up a gem id and merges keyword overrides.

    Args:
        env_id: Registered gem id (``gem/{Cont,Finite}-{CC,TC,SC}-{Motor}-v0``).
        env_kwargs: Overrides for :func:`gem.make_task`; ``max_episode_steps`` sets the episode length.

    Raises:
        ValueError: Unknown id (with close matches), or an id that is not a gem environment.
    """
    import gem  # noqa: F401  (registers the ids)

    if env_id not in gym.registry:
        known = [k for k in gym.registry if k.startswith("gem/")]
        close = difflib.get_close_matches(env_id, known, n=3, cutoff=0.5)
        hint = f"; did you mean {close}?" if close else f"; known gem ids: {sorted(known)}"
        raise ValueError(f"unknown environment id {env_id!r}{hint}")
    spec = gym.spec(env_id)
    if spec.entry_point != GEM_ENTRY_POINT:
        raise ValueError(f"{env_id!r} is not a gem environment (entry point {spec.entry_point!r})")
    kwargs = {**spec.kwargs, **dict(env_kwargs or {})}
    steps = kwargs.pop("max_episode_steps", spec.max_episode_steps)
    kwargs.pop("render_mode", None)
    if steps is not None and (int(steps) != steps or steps < 1):
        raise ValueError(f"max_episode_steps must be an integer >= 1, got {steps!r}")
    return EnvSpec(env_id, kwargs, None if steps is None else int(steps))
