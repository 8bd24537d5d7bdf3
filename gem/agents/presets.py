"""DDPG hyper-parameters per task, chosen so that the agent learns within the stated budget.

Why these numbers (measured on ``gem/Cont-CC-SeriesDc-v0`` on a 2-core CPU; see the README):

- **Discount.** In current and torque control an action shows its effect on the *next* state,
  which the reward compares with the reference, so tracking is nearly a greedy problem.
  ``gamma = 0.5`` makes the critic's target almost the immediate reward, which it fits quickly
  and precisely. With ``gamma = 0.99`` the same budget left a 2-3x larger error after the
  start-up transient and training was less stable; ``gamma = 0.9`` was in between.
  Speed control integrates torque over hundreds of steps and needs a longer horizon.
  The discount is passed to the environment too (``gamma=``), so the violation reward
  ``-sum(w) / (1 - gamma)`` still makes crashing the worst outcome.
- **Vectorised collection.** 8 environments stepped together with 4 gradient steps per vector
  step (0.5 updates per transition). Gradient steps dominate the wall time (about 3 ms each on
  one CPU thread); 4 environments with one update per transition took twice as long and did
  not learn better.
- **Episodes** are shorter in training than in evaluation, so the start-up transient from zero
  current, the largest errors of an episode, is seen more often.
- **Exploration.** Gaussian noise with sigma = 0.1 of the action range (SB3's usual choice; not tuned).
- **Checkpoints.** DDPG does not improve monotonically; the validation callback keeps the best
  checkpoint, and the comparison evaluates that one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from gem.envs import arguments as arg


@dataclass(frozen=True)
class DDPGPreset:
    """Everything needed to train DDPG on one task.

    Attributes:
        timesteps: Default training budget (transitions, all environments together).
        num_envs: Environments collecting in parallel.
        train_episode_steps: Truncation horizon during training (``None``: the id's).
        gamma: Discount factor (also passed to the environment for the violation reward).
        learning_rate: Adam learning rate of actor and critic.
        net_arch: Hidden layer sizes of actor and critic.
        buffer_size: Replay buffer capacity.
        batch_size: Minibatch size.
        learning_starts: Transitions collected with random actions before learning.
        train_freq: Vector steps between updates.
        gradient_steps: Gradient steps per update.
        noise: ``"normal"`` or ``"ou"`` (Ornstein-Uhlenbeck) exploration noise.
        noise_sigma: Standard deviation of the exploration noise (action units).
        tau: Polyak coefficient of the target networks.
        env_kwargs: Extra task arguments for training and evaluation (e.g. ``last_action``).
        eval_freq: Transitions between validations of the current policy (best model kept).
        eval_episodes: Validation episodes.
        note: What to expect from this budget.
    """

    timesteps: int
    num_envs: int = 8
    train_episode_steps: int | None = None
    gamma: float = 0.99
    learning_rate: float = 1e-3
    net_arch: tuple[int, ...] = (64, 64)
    buffer_size: int = 200_000
    batch_size: int = 256
    learning_starts: int = 1_000
    train_freq: int = 1
    gradient_steps: int = 4
    noise: str = "normal"
    noise_sigma: float = 0.1
    tau: float = 0.005
    env_kwargs: Mapping[str, Any] = field(default_factory=dict)
    eval_freq: int = 5_000
    eval_episodes: int = 4
    note: str = ""

    def __post_init__(self) -> None:
        if self.noise not in ("normal", "ou"):
            raise ValueError(f"noise must be 'normal' or 'ou', got {self.noise!r}")
        if not 0.0 <= self.gamma < 1.0:
            raise ValueError(f"gamma must be in [0, 1), got {self.gamma!r}")
        for name in ("num_envs", "batch_size", "buffer_size", "train_freq", "eval_freq", "eval_episodes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.timesteps < 0:
            raise ValueError(f"timesteps must be >= 0, got {self.timesteps!r}")

    def with_overrides(self, **kwargs: Any) -> DDPGPreset:
        """Copy with fields replaced (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in kwargs.items() if v is not None})


_INTEGERS = ("timesteps", "num_envs", "train_episode_steps", "buffer_size", "batch_size", "learning_starts",
             "train_freq", "gradient_steps", "eval_freq", "eval_episodes")
_RULES = {"learning_rate": "> 0", "tau": "> 0", "noise_sigma": ">= 0"}
"""Bounds of the real-valued hyper-parameters (checked by :func:`gem.envs.arguments.number`)."""
HYPERPARAMETERS = tuple(f.name for f in fields(DDPGPreset) if f.name not in ("env_kwargs", "note"))
"""The preset fields a user (or a hyper-parameter search) may override by name."""


def with_hyperparameters(preset: DDPGPreset, values: Mapping[str, Any]) -> DDPGPreset:
    """``preset`` with the fields named in ``values`` replaced, each checked.

    Integers may come as floats with an integral value (as search libraries sample them);
    ``net_arch`` as a list of positive integers.

    Raises:
        ValueError: For an unknown name (the message lists the valid ones), a value out of range, or
            a real-valued one that is not a finite number.
        TypeError: For an integer, layer list or noise kind of the wrong type.
    """
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in HYPERPARAMETERS:
            raise ValueError(f"unknown hyper-parameter {name!r}; valid: {', '.join(HYPERPARAMETERS)}")
        if name == "net_arch":
            if isinstance(value, (int, float)) or not all(_is_integral(v) and v >= 1 for v in value):
                raise TypeError(f"net_arch must be a list of positive layer sizes, got {value!r}")
            value = tuple(int(v) for v in value)
        elif name == "noise":
            if not isinstance(value, str):
                raise TypeError(f"noise must be 'normal' or 'ou', got {value!r}")
        elif name in _INTEGERS:
            if value is None and name == "train_episode_steps":
                pass
            elif not _is_integral(value):
                raise TypeError(f"{name} must be an integer, got {value!r}")
            else:
                value = int(value)
        else:
            value = arg.number(name, value, _RULES.get(name, ""), per_env=False)
        out[name] = value
    return replace(preset, **out)


def _is_integral(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) \
        and float(value) == int(value)


FAST_LOOP = DDPGPreset(
    timesteps=60_000, num_envs=8, train_episode_steps=500, gamma=0.5, learning_rate=1e-3,
    eval_freq=6_000, eval_episodes=4,
    note="current/torque control: about 1.5 min on one CPU core; the best checkpoint typically tracks "
         "within a few percent of the PI cascade",
)
"""Current and torque control: fast electrical loop, nearly greedy tracking."""

SPEED_LOOP = DDPGPreset(
    timesteps=300_000, num_envs=8, train_episode_steps=2_000, gamma=0.99, learning_rate=1e-3,
    buffer_size=1_000_000, learning_starts=5_000, gradient_steps=4, eval_freq=25_000, eval_episodes=2,
    note="speed control (the paper's experiment): a longer budget, about 6.5 min on one CPU core; "
         "gamma 0.99 (0.95 learned more erratically)",
)
"""Speed control: the mechanical loop integrates torque over hundreds of steps."""

BY_TASK: dict[str, DDPGPreset] = {"CC": FAST_LOOP, "TC": FAST_LOOP, "SC": SPEED_LOOP}
BY_ID: dict[str, DDPGPreset] = {}
"""Per-id overrides of :data:`BY_TASK` (ids not listed use their task's preset)."""


def preset_for(env_id: str) -> DDPGPreset:
    """The DDPG preset of a gem id.

    Args:
        env_id: ``gem/Cont-{CC,TC,SC}-{Motor}-v0``.

    Raises:
        ValueError: For switching (``Finite``) ids, whose discrete actions DDPG cannot produce,
            or ids that do not follow gem's naming.
    """
    if env_id in BY_ID:
        return BY_ID[env_id]
    parts = env_id.removeprefix("gem/").split("-")
    if len(parts) != 4 or parts[1] not in BY_TASK:
        raise ValueError(f"cannot derive a DDPG preset from {env_id!r}; expected gem/Cont-{{CC,TC,SC}}-<Motor>-v0")
    if parts[0] != "Cont":
        raise ValueError(f"{env_id!r} has discrete (switching) actions; DDPG needs a continuous action space: "
                         f"use gem/Cont-{parts[1]}-{parts[2]}-v0")
    return BY_TASK[parts[1]]
