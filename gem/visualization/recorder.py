"""A fixed-size history of one environment's trajectory, kept only while something renders it.

The environment feeds :class:`TrajectoryRecorder` once per step with the physical state (SI), the
references (SI) and the action of its environment 0. Nothing is recorded when ``render_mode`` is
``None``: the environment then holds no recorder at all.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Trajectory(NamedTuple):
    """The recorded samples in chronological order (copies).

    Attributes:
        time: ``(n,)`` time in s since the recorder was cleared (NaN on episode breaks).
        states: ``(n, n_states)`` physical states (SI).
        references: ``(n, n_refs)`` references (SI) shown with the states (targets of the next step).
        actions: ``(n, n_actions)`` actions applied during the period that ended at ``time``.
        episode_ends: Times (s) at which an episode ended inside the window.
    """

    time: np.ndarray
    states: np.ndarray
    references: np.ndarray
    actions: np.ndarray
    episode_ends: np.ndarray


class TrajectoryRecorder:
    """Ring buffer of the last ``window`` samples of one environment.

    A sample ``k`` holds what the observation at time ``t_k`` contained, in SI units: the state
    ``s_k`` and the references shown with it (the targets of the next step), plus the action
    applied during ``[t_k - tau, t_k]``. An episode end inserts a break (a NaN sample), so lines are not
    drawn across episodes, and is remembered for a marker.

    Args:
        n_states: Length of a state sample.
        n_references: Length of a reference sample.
        n_actions: Length of an action sample.
        tau: Control period in s (the time step between samples).
        window: Number of samples kept (>= 2).
    """

    def __init__(self, n_states: int, n_references: int, n_actions: int, tau: float, window: int = 1000):
        if int(window) != window or window < 2:
            raise ValueError(f"window must be an integer >= 2, got {window!r}")
        self.tau = float(tau)
        self.window = int(window)
        self._time = np.empty(self.window)
        self._states = np.empty((self.window, n_states))
        self._refs = np.empty((self.window, n_references))
        self._actions = np.empty((self.window, n_actions))
        self._ends: list[float] = []
        self.clear()

    @property
    def size(self) -> int:
        """Number of samples currently held (breaks included)."""
        return min(self._count, self.window)

    @property
    def now(self) -> float:
        """Time of the latest sample in s (0 before the first one)."""
        return self._now

    def clear(self) -> None:
        """Forgets every sample; the time restarts at 0."""
        for buf in (self._time, self._states, self._refs, self._actions):
            buf.fill(np.nan)
        self._count = 0
        self._now = 0.0
        self._ends.clear()

    def start(self, state: np.ndarray, reference: np.ndarray) -> None:
        """Clears the history and records the initial state of a new episode (no action yet)."""
        self.clear()
        self._write(0.0, state, reference, np.nan)

    def append(self, state: np.ndarray, reference: np.ndarray, action: np.ndarray, done: bool = False) -> None:
        """Records the state after one more period ``tau``.

        Args:
            state: Physical state (SI) at the end of the period.
            reference: References (SI) shown with that state (the targets of the next step).
            action: Action applied during the period.
            done: The episode ended with this step (a break follows; the next sample continues
                the time axis).
        """
        self._now += self.tau
        self._write(self._now, state, reference, action)
        if done:
            self._ends.append(self._now)
            self._write(np.nan, np.nan, np.nan, np.nan)

    def _write(self, t: float, state, reference, action) -> None:
        k = self._count % self.window
        self._time[k] = t
        self._states[k] = state
        self._refs[k] = reference
        self._actions[k] = action
        self._count += 1

    def trajectory(self) -> Trajectory:
        """The samples in chronological order (oldest first)."""
        n = self.size
        order = (np.arange(n) + (self._count - n)) % self.window
        t = self._time[order]
        first = np.nanmin(t) if np.any(np.isfinite(t)) else 0.0
        self._ends[:] = [e for e in self._ends if e >= first]
        return Trajectory(t, self._states[order], self._refs[order], self._actions[order],
                          np.array(self._ends, dtype=float))
