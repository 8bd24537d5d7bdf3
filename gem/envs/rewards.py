"""GEM's weighted sum of errors, with a violation reward that never makes crashing pay.

A reward computes in its column method ``reward_columns(self, states, references, violated)``,
which the NumPy step calls on arrays and the compiled kernel per environment (``self`` becomes
a named tuple of the reward's numbers); a user reward written the same way compiles too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


def error_power(err, power):
    """``err ** power``; exact and without a call to ``pow`` for the usual powers 1 and 2.

    Scalars or arrays (the compiled step calls it per environment).
    """
    if power == 1.0:
        return err
    if power == 2.0:
        return err * err
    return err ** power


@dataclass(frozen=True)
class WeightedSumOfErrors:
    r"""``r = -sum_i w_i (|s_i - s*_i| / l_i)^n_i`` on normalised values, in ``[-sum(w), 0]``.

    ``l_i`` is the width of the reference range the state can take: 2 for a signed state
    (normalised range [-1, 1]), 1 for a non-negative one ([0, 1]), as in GEM. The per-step value
    is clipped to ``[-sum(w), 0]`` so a state beyond its limit cannot produce a larger penalty than
    the stated range.

    On a limit violation the episode ends (``terminated``) and the reward is ``violation_reward``.
    Its default, ``-sum(w) / (1 - gamma)``, is the return of the worst possible never-ending
    episode for the discount factor ``gamma`` the agent trains with, so ending an episode by a
    violation never pays (GEM fixes gamma = 0.9 inside the reward, which made early crashes
    attractive for agents trained with gamma = 0.99).

    Attributes:
        weights: Reward weight per referenced state, in reference order.
        widths: ``l_i`` per referenced state.
        power: Exponent ``n`` (1: absolute error, 2: squared error).
        gamma: Discount factor the agent uses (0 <= gamma < 1).
        violation_reward: Reward of the violating step; ``None`` for the default above.
    """

    weights: tuple[float, ...]
    widths: tuple[float, ...]
    power: float = 1.0
    gamma: float = 0.99
    violation_reward: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.gamma < 1.0:
            raise ValueError(f"gamma must be in [0, 1), got {self.gamma!r}")
        if np.any(np.asarray(self.weights) < 0):
            raise ValueError(f"reward weights must be >= 0, got {self.weights!r}")
        if self.power <= 0:
            raise ValueError(f"reward power must be > 0, got {self.power!r}")
        if self.violation_reward is not None and not np.isfinite(self.violation_reward):
            raise ValueError("violation_reward must be finite")
        object.__setattr__(self, "weights", tuple(float(w) for w in np.ravel(self.weights)))
        object.__setattr__(self, "widths", tuple(float(w) for w in np.ravel(self.widths)))
        if len(self.widths) != len(self.weights):
            raise ValueError(f"reward: {len(self.weights)} weights but {len(self.widths)} widths")

    @classmethod
    def for_references(cls, names: Sequence[str], signed: Sequence[bool],
                       weights: Mapping[str, float] | None = None, **kwargs) -> WeightedSumOfErrors:
        """Builds the reward for referenced ``names`` (equal weights summing to 1 by default)."""
        if weights is None:
            w = np.full(len(names), 1.0 / max(len(names), 1))
        else:
            unknown = set(weights) - set(names)
            if unknown:
                raise ValueError(f"reward_weights name unreferenced state(s) {sorted(unknown)}; "
                                 f"referenced: {list(names)}")
            w = np.array([float(weights.get(n, 0.0)) for n in names])
        widths = np.where(np.asarray(signed, bool), 2.0, 1.0)
        return cls(weights=w, widths=widths, **kwargs)

    @property
    def reward_range(self) -> tuple[float, float]:
        """Range of the per-step reward outside violations."""
        return (-self.total_weight, 0.0)

    @property
    def total_weight(self) -> float:
        """``sum(w)``: the largest per-step penalty outside violations."""
        return float(np.sum(self.weights))

    @property
    def penalty(self) -> float:
        """The reward of a violating step."""
        if self.violation_reward is not None:
            return float(self.violation_reward)
        return self.reward_range[0] / (1.0 - self.gamma)

    def reward_columns(self, states, references, violated):
        """The reward from normalised referenced states and references (column form).

        ``states`` and ``references`` are tuples with one column per referenced state (arrays in
        the NumPy step, floats in the compiled kernel, where ``self`` becomes a named tuple of the
        reward's numbers); ``violated`` a column of flags.
        """
        total = 0.0
        for k in range(len(self.weights)):
            err = np.abs(states[k] - references[k]) / self.widths[k]
            total = total + self.weights[k] * error_power(err, self.power)
        return np.where(violated, self.penalty, np.maximum(-total, -self.total_weight))

    def __call__(self, state: np.ndarray, reference: np.ndarray, violated: np.ndarray) -> np.ndarray:
        """Per-environment reward from normalised referenced states and references, ``(num_envs,)``."""
        r = self.reward_columns(tuple(state.T), tuple(reference.T), violated)
        return np.broadcast_to(r, violated.shape).astype(float)
