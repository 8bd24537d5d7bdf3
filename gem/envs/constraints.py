"""Limit constraints: a violation ends the episode (``terminated``).

A constraint names the states it watches (``names``) and decides from their normalised values
in its column method ``violated_columns(self, cols)``: ``cols`` is a tuple with one column per
name (``(num_envs,)`` arrays in the NumPy step, floats in the compiled kernel, where ``self``
becomes a named tuple of the constraint's numeric attributes). A user constraint written the
same way compiles like these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LimitConstraint:
    """Violated when any named state exceeds its limit: ``|s / limit| > 1``."""

    names: tuple[str, ...]

    def violated_columns(self, cols):
        """``True`` where any ``|s / limit| > 1`` (column form)."""
        out = False
        for c in cols:
            out = np.logical_or(out, np.abs(c) > 1.0)
        return out

    def violated(self, norm: np.ndarray, index: dict[str, int]) -> np.ndarray:
        """Per-environment violation flags from the normalised state ``(num_envs, n_states)``."""
        return violated(self, norm, index)


@dataclass(frozen=True)
class SquaredConstraint:
    """Violated when the named states' normalised vector leaves the unit circle: ``sum (s/limit)² > 1``.

    For a three-phase motor ``SquaredConstraint(("i_sd", "i_sq"))`` bounds the current amplitude.
    """

    names: tuple[str, ...]

    def violated_columns(self, cols):
        """``True`` where ``sum (s / limit)² > 1`` (column form)."""
        total = 0.0
        for c in cols:
            total = total + c * c
        return total > 1.0

    def violated(self, norm: np.ndarray, index: dict[str, int]) -> np.ndarray:
        """Per-environment violation flags."""
        return violated(self, norm, index)


def violated(constraint: LimitConstraint | SquaredConstraint, norm: np.ndarray, index: dict[str, int]) -> np.ndarray:
    """A constraint's violation flags ``(num_envs,)`` from the normalised state, by its column method."""
    flags = constraint.violated_columns(tuple(norm[:, index[n]] for n in constraint.names))
    return np.broadcast_to(flags, norm.shape[:1])


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
