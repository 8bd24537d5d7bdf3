"""Hyper-parameters of Stable-Baselines3 agents per algorithm and task, and how they were chosen.

Algorithms: DDPG, TD3, SAC and PPO on continuous-action (``Cont``) ids, DQN and PPO on
switching (``Finite``) ids. :func:`preset_for` picks the preset of an algorithm for an id.

Why the DDPG numbers (measured on ``gem/Cont-CC-SeriesDc-v0`` on a 2-core CPU; see the README):

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
- **Checkpoints.** Agents do not improve monotonically; the validation callback keeps the best
  checkpoint, and the comparison evaluates that one.

PMSM current control (``gem/Cont-CC-PMSM-v0``) needs a longer budget than the series DC motor:
with the 60,000-transition default, and still at 150,000, DDPG's best checkpoint tracked 3.4x
worse than PI after the initial transient; between 200,000 and 300,000 transitions it, and TD3,
reach PI's level (:data:`BY_ID`). Rotor-frame actions (``action_frame="dq"``) did not help at 150,000
(4.0x, with unstable bursts once per electrical period), so the preset keeps the converter's actions.

Series DC speed control (``gem/Cont-SC-SeriesDc-v0``, the paper's experiment) with the S-curve speed
references: the plain speed preset left DDPG resting a few rad/s off the reference for whole
episodes (no integral action: the offset changes sign from episode to episode). Observing the
integral of the speed error (``error_integral=0.01``, :class:`gem.envs.task.DriveTask`), a reward on
the square root of the error (``reward_power=0.5``, steeper near zero) and a learning rate of 3e-4
together brought the steady-tracking RMSE from 5.26 ± 2.42 to 3.84 ± 2.06 times PI's on seeds 0-2
(seed 0: 4.75 → 1.93; seed 1: 2.58 → 2.91; seed 2: 8.44 → 6.69), still far from PI; each change alone
did not help on seed 0 (:data:`BY_ID`, docs/rl_benchmark.rst).

PPO trains on 16 environments at about 10,000 transitions per second of training here, so its budget
is counted in millions: on ``gem/Cont-CC-PMSM-v0`` (seed 0) 300,000 transitions left 12.6x PI's
steady-tracking RMSE with the validation error still falling steeply; 2,000,000 gave 1.66x (flat
near 1.6-1.8x from 1,000,000 on). The current/torque preset now has 2,000,000.

The TD3, SAC, PPO and DQN presets carry the same task-dependent choices (discount, training
episode length, batch of environments) over from DDPG, with the algorithms' usual settings
otherwise; how far each got is in the benchmark page of the docs (``docs/rl_benchmark.rst``),
which also says which algorithm × id was not run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from gem.envs import arguments as arg

CONTINUOUS_ALGOS = ("DDPG", "TD3", "SAC", "PPO")
"""Algorithms for ``Cont`` ids (``Box`` actions)."""
FINITE_ALGOS = ("DQN", "PPO")
"""Algorithms for ``Finite`` ids (``Discrete``/``MultiDiscrete`` actions; SB3's DQN takes ``Discrete`` only)."""
ALGOS = ("DDPG", "TD3", "SAC", "PPO", "DQN")


@dataclass(frozen=True)
class AgentPreset:
    """Everything needed to train one Stable-Baselines3 algorithm on one task.

    Attributes:
        timesteps: Default training budget (transitions, all environments together).
        algo: ``"DDPG"``, ``"TD3"``, ``"SAC"``, ``"PPO"`` or ``"DQN"``.
        num_envs: Environments collecting in parallel.
        train_episode_steps: Truncation horizon during training (``None``: the id's).
        gamma: Discount factor (also passed to the environment for the violation reward).
        learning_rate: Adam learning rate.
        net_arch: Hidden layer sizes of the networks.
        noise: Exploration noise of DDPG and TD3: ``"normal"`` or ``"ou"`` (Ornstein-Uhlenbeck);
            ``None`` for the other algorithms.
        noise_sigma: Standard deviation of that noise (action units).
        sb3: Further keyword arguments of the SB3 class (e.g. ``buffer_size``, ``n_steps``).
        env_kwargs: Extra task arguments for training and evaluation (e.g. ``last_action``).
        eval_freq: Transitions between validations of the current policy (best model kept).
        eval_episodes: Validation episodes.
        note: What to expect from this budget.
    """

    timesteps: int
    algo: str = "DDPG"
    num_envs: int = 8
    train_episode_steps: int | None = None
    gamma: float = 0.99
    learning_rate: float = 1e-3
    net_arch: tuple[int, ...] = (64, 64)
    noise: str | None = "normal"
    noise_sigma: float = 0.1
    sb3: Mapping[str, Any] = field(default_factory=dict)
    env_kwargs: Mapping[str, Any] = field(default_factory=dict)
    eval_freq: int = 5_000
    eval_episodes: int = 4
    note: str = ""

    def __post_init__(self) -> None:
        if self.algo not in ALGOS:
            raise ValueError(f"algo must be one of {list(ALGOS)}, got {self.algo!r}")
        if self.algo in ("DDPG", "TD3") and self.noise not in ("normal", "ou"):
            raise ValueError(f"{self.algo}: noise must be 'normal' or 'ou', got {self.noise!r}")
        if self.algo not in ("DDPG", "TD3") and self.noise is not None:
            raise ValueError(f"{self.algo} takes no action noise (noise={self.noise!r}); pass noise=None")
        if not 0.0 <= self.gamma < 1.0:
            raise ValueError(f"gamma must be in [0, 1), got {self.gamma!r}")
        for name in ("num_envs", "eval_freq", "eval_episodes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.timesteps < 0:
            raise ValueError(f"timesteps must be >= 0, got {self.timesteps!r}")

    def with_overrides(self, **kwargs: Any) -> AgentPreset:
        """Copy with fields replaced (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in kwargs.items() if v is not None})


_PRESET_FIELDS = ("timesteps", "num_envs", "train_episode_steps", "gamma", "learning_rate", "net_arch", "noise",
                  "noise_sigma", "eval_freq", "eval_episodes")
SB3_HYPERPARAMETERS = {
    "DDPG": ("buffer_size", "batch_size", "learning_starts", "train_freq", "gradient_steps", "tau"),
    "TD3": ("buffer_size", "batch_size", "learning_starts", "train_freq", "gradient_steps", "tau",
            "policy_delay", "target_policy_noise", "target_noise_clip"),
    "SAC": ("buffer_size", "batch_size", "learning_starts", "train_freq", "gradient_steps", "tau",
            "target_update_interval"),
    "PPO": ("n_steps", "batch_size", "n_epochs", "gae_lambda", "clip_range", "ent_coef", "vf_coef",
            "max_grad_norm"),
    "DQN": ("buffer_size", "batch_size", "learning_starts", "train_freq", "gradient_steps", "tau",
            "target_update_interval", "exploration_fraction", "exploration_initial_eps", "exploration_final_eps",
            "max_grad_norm"),
}
"""Stable-Baselines3 keyword arguments a user (or a search) may set by name, per algorithm (in ``sb3``)."""
HYPERPARAMETERS = tuple(dict.fromkeys(_PRESET_FIELDS + tuple(n for v in SB3_HYPERPARAMETERS.values() for n in v)))
"""Every name :func:`with_hyperparameters` knows: the preset's fields and the SB3 arguments of any algorithm."""
_INTEGERS = ("timesteps", "num_envs", "train_episode_steps", "eval_freq", "eval_episodes", "buffer_size",
             "batch_size", "learning_starts", "train_freq", "gradient_steps", "n_steps", "n_epochs",
             "target_update_interval", "policy_delay")
_INTEGER_MIN = {"timesteps": 0, "learning_starts": 0}
"""Smallest value of an integer hyper-parameter where it is not 1."""
_RULES = {"learning_rate": "> 0", "tau": "> 0", "noise_sigma": ">= 0", "gamma": ">= 0", "gae_lambda": ">= 0",
          "clip_range": "> 0", "ent_coef": ">= 0", "vf_coef": ">= 0", "max_grad_norm": "> 0",
          "target_policy_noise": ">= 0", "target_noise_clip": ">= 0", "exploration_fraction": ">= 0",
          "exploration_initial_eps": ">= 0", "exploration_final_eps": ">= 0"}
"""Bounds of the real-valued hyper-parameters (checked by :func:`gem.envs.arguments.number`)."""


def with_hyperparameters(preset: AgentPreset, values: Mapping[str, Any]) -> AgentPreset:
    """``preset`` with the hyper-parameters named in ``values`` replaced, each checked.

    A name is a field of the preset (``learning_rate``, ``gamma``, ``net_arch``, ...) or a
    Stable-Baselines3 argument of the preset's algorithm (:data:`SB3_HYPERPARAMETERS`, e.g.
    ``batch_size``, ``n_steps``), which goes into ``preset.sb3``. Integers may come as floats
    with an integral value (as search libraries sample them); ``net_arch`` as a list of positive
    integers.

    Raises:
        ValueError: For a name that is not a hyper-parameter of this algorithm (the message lists
            the valid ones), a value out of range, or a real-valued one that is not a finite number.
        TypeError: For an integer, layer list or noise kind of the wrong type.
    """
    valid = _PRESET_FIELDS + SB3_HYPERPARAMETERS[preset.algo]
    own: dict[str, Any] = {}
    sb3 = dict(preset.sb3)
    for name, value in values.items():
        if name not in valid:
            raise ValueError(f"unknown hyper-parameter {name!r} for {preset.algo}; valid: {', '.join(valid)}")
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
            elif value < _INTEGER_MIN.get(name, 1):
                raise ValueError(f"{name} must be >= {_INTEGER_MIN.get(name, 1)}, got {value!r}")
            else:
                value = int(value)
        else:
            value = arg.number(name, value, _RULES.get(name, ""), per_env=False)
        (own if name in _PRESET_FIELDS else sb3)[name] = value
    return replace(preset, **own, sb3=sb3)


def _is_integral(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) \
        and float(value) == int(value)


OFF_POLICY = {"buffer_size": 200_000, "batch_size": 256, "learning_starts": 1_000, "train_freq": 1,
              "gradient_steps": 4, "tau": 0.005}
"""Replay settings shared by DDPG, TD3 and SAC (4 gradient steps per vector step of 8 environments)."""
SPEED_OFF_POLICY = {**OFF_POLICY, "buffer_size": 1_000_000, "learning_starts": 5_000}

FAST_LOOP = AgentPreset(
    timesteps=60_000, num_envs=8, train_episode_steps=500, gamma=0.5, learning_rate=1e-3, sb3=OFF_POLICY,
    eval_freq=6_000, eval_episodes=4,
    note="current/torque control: about 2 min on one CPU core",
)
"""DDPG, current and torque control: fast electrical loop, nearly greedy tracking."""

SPEED_LOOP = AgentPreset(
    timesteps=300_000, num_envs=8, train_episode_steps=2_000, gamma=0.99, learning_rate=1e-3, sb3=SPEED_OFF_POLICY,
    eval_freq=25_000, eval_episodes=2,
    note="speed control (the paper's experiment): a longer budget, about 8 min on one CPU core; "
         "gamma 0.99 (0.95 learned more erratically)",
)
"""DDPG, speed control: the mechanical loop integrates torque over hundreds of steps."""

PPO_FAST = AgentPreset(
    timesteps=2_000_000, algo="PPO", num_envs=16, train_episode_steps=500, gamma=0.5, learning_rate=3e-4,
    noise=None, sb3={"n_steps": 256, "batch_size": 512, "n_epochs": 10, "gae_lambda": 0.9},
    eval_freq=20_000, note="PPO, current/torque control: on-policy, many cheap transitions (2,000,000 in about "
                           "3.5 min on one core: 1.66x PI on Cont-CC-PMSM, seed 0, against 12.6x after 300,000)",
)
PPO_SPEED = replace(PPO_FAST, timesteps=1_000_000, train_episode_steps=2_000, gamma=0.99,
                    sb3={"n_steps": 1_024, "batch_size": 1_024, "n_epochs": 10, "gae_lambda": 0.95},
                    eval_freq=50_000, eval_episodes=2, note="PPO, speed control")
DQN_FAST = AgentPreset(
    timesteps=200_000, algo="DQN", num_envs=8, train_episode_steps=1_000, gamma=0.5, learning_rate=5e-4,
    noise=None, sb3={"buffer_size": 200_000, "batch_size": 256, "learning_starts": 1_000, "train_freq": 1,
                     "gradient_steps": 2, "target_update_interval": 1_000, "exploration_fraction": 0.2,
                     "exploration_final_eps": 0.02},
    eval_freq=20_000, eval_episodes=2, note="DQN, switching converter (tau = 10 µs): one switching state per period",
)
DQN_SPEED = replace(DQN_FAST, timesteps=1_000_000, train_episode_steps=20_000, gamma=0.999, eval_freq=100_000,
                    note="DQN, speed control at tau = 10 µs: 100,000 steps per second of drive time")

PRESETS: dict[tuple[str, str, str], AgentPreset] = {}
"""``(algo, converter kind "Cont"/"Finite", task "CC"/"TC"/"SC") -> preset``."""
for _task in ("CC", "TC", "SC"):
    _fast = _task != "SC"
    _ddpg = FAST_LOOP if _fast else SPEED_LOOP
    PRESETS["DDPG", "Cont", _task] = _ddpg
    PRESETS["TD3", "Cont", _task] = replace(_ddpg, algo="TD3", note=f"TD3 with the DDPG settings ({_ddpg.note})")
    PRESETS["SAC", "Cont", _task] = replace(_ddpg, algo="SAC", noise=None,
                                            note=f"SAC with the DDPG settings ({_ddpg.note})")
    PRESETS["PPO", "Cont", _task] = PPO_FAST if _fast else PPO_SPEED
    PRESETS["PPO", "Finite", _task] = replace(PPO_FAST if _fast else PPO_SPEED,
                                              train_episode_steps=1_000 if _fast else 20_000)
    PRESETS["DQN", "Finite", _task] = DQN_FAST if _fast else DQN_SPEED

BY_ID: dict[tuple[str, str], AgentPreset] = {
    ("DDPG", "gem/Cont-CC-PMSM-v0"): replace(
        FAST_LOOP, timesteps=300_000,
        note="PMSM current control: 300,000 transitions (at 150,000 the best checkpoint's steady-tracking RMSE "
             "was 3.4x PI's; at 300,000 0.47-1.15x on seeds 0-2, see docs/rl_benchmark.rst)"),
    ("TD3", "gem/Cont-CC-PMSM-v0"): replace(
        PRESETS["TD3", "Cont", "CC"], timesteps=300_000,
        note="PMSM current control: 300,000 transitions (0.42-0.50x PI's steady-tracking RMSE on seeds 0-2)"),
    ("DDPG", "gem/Cont-SC-SeriesDc-v0"): replace(
        SPEED_LOOP, learning_rate=3e-4, env_kwargs={"error_integral": 0.01, "reward_power": 0.5},
        note="series DC speed control: the tracking-error integral observed (T_i = 10 ms), reward on the square root "
             "of the error, learning rate 3e-4; steady-tracking RMSE 1.9-6.7x PI's on seeds 0-2 in 300,000 "
             "transitions against 2.6-8.4x with the plain speed preset (docs/rl_benchmark.rst)"),
}
"""Per-``(algo, id)`` overrides of :data:`PRESETS`."""


def preset_for(env_id: str, algo: str = "DDPG") -> AgentPreset:
    """The preset of ``algo`` for a gem id.

    Args:
        env_id: ``gem/{Cont,Finite}-{CC,TC,SC}-{Motor}-v0``.
        algo: One of :data:`ALGOS`.

    Raises:
        ValueError: Unknown algorithm, an id that does not follow gem's naming, or an algorithm
            that cannot produce the id's actions (DDPG/TD3/SAC on ``Finite``, DQN on ``Cont``).
    """
    if algo not in ALGOS:
        raise ValueError(f"unknown algorithm {algo!r}; choose from {list(ALGOS)}")
    if (algo, env_id) in BY_ID:
        return BY_ID[algo, env_id]
    parts = env_id.removeprefix("gem/").split("-")
    if len(parts) != 4 or parts[0] not in ("Cont", "Finite") or parts[1] not in ("CC", "TC", "SC"):
        raise ValueError(f"cannot derive a preset from {env_id!r}; "
                         "expected gem/{Cont,Finite}-{CC,TC,SC}-<Motor>-v0")
    kind, task, motor = parts[:3]
    if (algo, kind, task) not in PRESETS:
        if kind == "Finite":
            raise ValueError(f"{env_id!r} has discrete (switching) actions; {algo} needs a continuous action "
                             f"space: use gem/Cont-{task}-{motor}-v0, or {' / '.join(FINITE_ALGOS)}")
        raise ValueError(f"{algo} needs discrete actions; {env_id!r} has continuous actions: "
                         f"use gem/Finite-{task}-{motor}-v0, or {' / '.join(CONTINUOUS_ALGOS)}")
    return PRESETS[algo, kind, task]
