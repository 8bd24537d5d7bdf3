"""What a policy asks of the drive's torque-producing current: its ripple and its RMS value.

A controller that chatters drives its current up and down from one control period to the next
while the mean current, the one that makes the torque, hardly changes. The ripple measures that:
the RMS of the current minus its centred moving average over :data:`RIPPLE_WINDOW`, after the first
:data:`RIPPLE_SETTLE` of the episode, as a share of the current's limit. A drive engineer accepts a
few percent (the switching converters' own ripple included). :func:`current_rms` is the RMS of
the same current over the whole episode as a share of its limit: the copper losses grow with its
square. (The control effort in voltage, and the switching frequency, are in
:mod:`gem.evaluation.effort`.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RIPPLE_WINDOW = 5e-3
"""Length of the centred moving average the ripple is measured against (s)."""
RIPPLE_SETTLE = 0.2
"""Start of an episode left out of the ripple (s); at most a fifth of the episode."""


def torque_current(state_names: Sequence[str], controlled: Sequence[str] = ()) -> str:
    """The current that makes the torque.

    ``i_sq`` where there is one, else the first controlled current, else the first current (``i`` or
    ``i_a`` of the DC motors).
    """
    if "i_sq" in state_names:
        return "i_sq"
    currents = [n for n in state_names if n.startswith("i")]
    return (list(controlled) or currents)[0]


def current_ripple(current: np.ndarray, limit: np.ndarray, tau: float, settle: float = RIPPLE_SETTLE,
                   window: float = RIPPLE_WINDOW) -> np.ndarray:
    """Ripple of each episode as a share of the limit (module docstring).

    Args:
        current: ``(T, n)`` current of ``n`` episodes (A; NaN after a numerical failure).
        limit: ``(n,)`` or scalar current limit (A).
        tau: Control period (s).
        settle: Start of the episode left out (s; at most ``T / 5`` steps).
        window: Length of the moving average (s); the average runs over ``2 h + 1`` steps with
            ``h = round(window / (2 tau))`` (at least 1), centred on the step it is compared with.

    Returns:
        ``(n,)`` ripple per episode (NaN for an episode with a non-finite current or too short).
    """
    current = np.asarray(current, float)
    steps = current.shape[0]
    h = max(int(round(window / (2.0 * tau))), 1)
    first = max(min(int(round(settle / tau)), steps // 5), h)
    if steps - h <= first:
        return np.full(current.shape[1], np.nan)
    sums = np.cumsum(np.vstack([np.zeros((1, current.shape[1])), current]), axis=0)
    mean = (sums[2 * h + 1:] - sums[:-2 * h - 1]) / (2 * h + 1)      # centred on steps h .. steps - h - 1
    deviation = current[first:steps - h] - mean[first - h:]
    return np.sqrt(np.mean(deviation ** 2, axis=0)) / np.asarray(limit, float)


def current_rms(current: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """RMS current of each episode as a share of the limit: ``(T, n)`` A, ``(n,)`` A → ``(n,)``."""
    return np.sqrt(np.mean(np.asarray(current, float) ** 2, axis=0)) / np.asarray(limit, float)
