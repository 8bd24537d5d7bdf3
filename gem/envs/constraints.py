"""Limit constraints: a violation ends the episode (``terminated``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LimitConstraint:
    """Violated when any named state exceeds its limit: ``|s / limit| > 1``."""

    names: tuple[str, ...]

    def violated(self, norm: np.ndarray, index: dict[str, int]) -> np.ndarray:
        """Per-environment violation flags from the normalised state ``(num_envs, n_states)``."""
        cols = [index[n] for n in self.names]
        return (np.abs(norm[:, cols]) > 1.0).any(axis=1)


@dataclass(frozen=True)
class SquaredConstraint:
    """Violated when the named states' normalised vector leaves the unit circle: ``sum (s/limit)² > 1``.

    For a three-phase motor ``SquaredConstraint(("i_sd", "i_sq"))`` bounds the current amplitude.
    """

    names: tuple[str, ...]

    def violated(self, norm: np.ndarray, index: dict[str, int]) -> np.ndarray:
        """Per-environment violation flags."""
        cols = [index[n] for n in self.names]
        return (norm[:, cols] ** 2).sum(axis=1) > 1.0


Constraint = LimitConstraint | SquaredConstraint


def parse_constraints(spec: Sequence[str | Constraint], state_names: Sequence[str]) -> tuple[Constraint, ...]:
    """Turns ``("i", SquaredConstraint(...), ...)`` into constraint objects; names are checked.

    Plain state names are bundled into one :class:`LimitConstraint`.
    """
    names = [s for s in spec if isinstance(s, str)]
    objs = [s for s in spec if not isinstance(s, str)]
    for c in objs:
        if not hasattr(c, "violated"):
            raise ValueError(f"constraint {c!r} is neither a state name nor a constraint object")
    out = tuple(objs) + ((LimitConstraint(tuple(names)),) if names else ())
    for c in out:
        unknown = set(c.names) - set(state_names)
        if unknown:
            raise ValueError(f"constraint names unknown state(s) {sorted(unknown)}; states: {list(state_names)}")
    return out
