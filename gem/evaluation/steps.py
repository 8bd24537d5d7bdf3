"""Step-response figures: rise time, overshoot and settling time of one step.

:func:`step_response` measures one recorded step; :func:`rollout_steps` finds the steps of the
references in evaluation episodes (e.g. a square-wave reference) and measures each of them.

Definitions, for a step from the initial value ``y0 = response[0]`` at ``time[0]`` to the final
reference ``r`` (step size ``r - y0``), with the response expressed as the fraction of the step
it has covered, ``z(t) = (y(t) - y0) / (r - y0)`` (so the same rules hold for steps up and down):

* **rise time**: from the first time ``z`` reaches 0.1 to the first time it reaches 0.9;
* **overshoot**: ``max(z) - 1``, the largest excursion beyond the final reference as a fraction
  of the step size, 0 if the response never passes it;
* **settling time**: from ``time[0]`` to the last time the response is outside
  ``r ± band * |r - y0|``; 0 if it never is.

Crossing times are interpolated linearly between samples, so they do not depend on the sampling
more than the signal itself does. A response that never reaches 90 % has no rise time, and one
whose last sample is outside the band has not settled: both are reported as NaN (not measured),
never as the length of the record.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gem.evaluation.rollout import Rollout

RISE_LOW, RISE_HIGH = 0.1, 0.9
"""Rise time runs from 10 % to 90 % of the step."""


def _check(time: np.ndarray, response: np.ndarray, reference: np.ndarray, band: float) -> None:
    if time.ndim != 1 or response.ndim != 1 or time.shape != response.shape:
        raise ValueError(f"time and response must be 1-d arrays of equal length, got shapes {time.shape} "
                         f"and {response.shape}")
    if time.size < 2:
        raise ValueError(f"a step response needs at least 2 samples, got {time.size}")
    if reference.ndim > 1 or (reference.ndim == 1 and reference.shape != time.shape):
        raise ValueError(f"reference must be a scalar or have the shape of time {time.shape}, "
                         f"got {reference.shape}")
    for name, arr in (("time", time), ("response", response), ("reference", reference)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} has non-finite values")
    if not np.all(np.diff(time) > 0):
        raise ValueError("time must be strictly increasing")
    if not 0.0 < band < 1.0:
        raise ValueError(f"band must be in (0, 1), got {band!r}")


def _first_crossing(time: np.ndarray, z: np.ndarray, level: float) -> float:
    """First time ``z`` reaches ``level`` (from below), interpolated; NaN if never."""
    above = np.flatnonzero(z >= level)
    if above.size == 0:
        return float("nan")
    i = int(above[0])
    if i == 0:
        return float(time[0])
    frac = (level - z[i - 1]) / (z[i] - z[i - 1])
    return float(time[i - 1] + frac * (time[i] - time[i - 1]))


def step_response(time: np.ndarray, response: np.ndarray, reference: float | np.ndarray,
                  band: float = 0.02) -> dict[str, float]:
    """Rise time, overshoot and settling time of one step starting at ``time[0]``.

    Args:
        time: ``(T,)`` strictly increasing sample times (s).
        response: ``(T,)`` the controlled quantity; ``response[0]`` is the value before the step.
        reference: The final reference (a scalar), or the reference trajectory ``(T,)`` whose
            last value is the final reference.
        band: Settling band as a fraction of the step size (0.02: ±2 %).

    Returns:
        ``{"rise_time": s, "overshoot": fraction of the step, "settling_time": s}``; ``rise_time``
        is NaN if the response never reaches 90 % of the step, ``settling_time`` is NaN if the
        last sample is outside the band (see the module docstring).

    Raises:
        ValueError: Shapes that do not match, fewer than two samples, non-finite values, time not
            increasing, a band outside (0, 1), or a step of size zero.
    """
    t = np.asarray(time, float)
    y = np.asarray(response, float)
    ref = np.asarray(reference, float)
    _check(t, y, ref, float(band))
    final = float(ref if ref.ndim == 0 else ref[-1])
    step = final - y[0]
    if step == 0.0:
        raise ValueError(f"the final reference ({final}) equals the initial response: there is no step")
    z = (y - y[0]) / step
    rise = _first_crossing(t, z, RISE_HIGH) - _first_crossing(t, z, RISE_LOW)
    overshoot = max(0.0, float(np.max(z)) - 1.0)
    dev = z - 1.0
    outside = np.flatnonzero(np.abs(dev) > band)
    if outside.size == 0:
        settling = 0.0
    elif outside[-1] == t.size - 1:
        settling = float("nan")
    else:
        k = int(outside[-1])
        edge = band if dev[k] > 0 else -band  # the side of the band the response enters from
        frac = (dev[k] - edge) / (dev[k] - dev[k + 1])
        settling = float(t[k] + frac * (t[k + 1] - t[k]) - t[0])
    return {"rise_time": float(rise), "overshoot": overshoot, "settling_time": settling}


@dataclass(frozen=True)
class StepFigures:
    """Step-response figures of the reference steps in a rollout (one entry per step).

    Attributes:
        state: The stepped state.
        episode: Episode of each step.
        start: Step index at which each new reference was first shown.
        size: Step size in units of the state's limit (signed).
        rise_time: Rise time of each step (s; NaN: not reached).
        overshoot: Overshoot of each step (fraction of the step).
        settling_time: Settling time of each step (s; NaN: not settled before the next step).
    """

    state: str
    episode: np.ndarray
    start: np.ndarray
    size: np.ndarray
    rise_time: np.ndarray
    overshoot: np.ndarray
    settling_time: np.ndarray

    def summary(self) -> dict[str, float]:
        """Means over the steps (NaN entries excluded) and how many steps did not rise or settle."""
        def mean(x: np.ndarray) -> float:
            ok = np.isfinite(x)
            return float(np.mean(x[ok])) if ok.any() else float("nan")
        return {"steps": int(self.size.size), "rise_time": mean(self.rise_time), "overshoot": mean(self.overshoot),
                "settling_time": mean(self.settling_time),
                "not_risen": int(np.sum(~np.isfinite(self.rise_time))),
                "not_settled": int(np.sum(~np.isfinite(self.settling_time)))}


def rollout_steps(ro: Rollout, state: str, band: float = 0.02, min_size: float = 0.05) -> StepFigures:
    """Measures every step of the reference of ``state`` inside the episodes of a rollout.

    A step at index ``k`` (the reference shown before step ``k`` differs from the one before it by
    at least ``min_size`` of the state's limit) is measured from the state reached at ``k - 1`` (the
    value when the new reference appears) until the step before the next jump or the episode's
    end. The start of an episode is not a step (its initial state is not recorded). Steps during
    which the state is not valid (a numerical failure) are skipped.

    Args:
        ro: A rollout whose reference of ``state`` is piecewise constant (e.g. a square wave).
        state: A referenced state name.
        band: Settling band (fraction of each step).
        min_size: Smallest reference change that counts as a step (normalised).

    Raises:
        ValueError: ``state`` is not referenced in the rollout.
    """
    if state not in ro.reference_names:
        raise ValueError(f"state {state!r} is not referenced in the rollout; referenced: {list(ro.reference_names)}")
    j = ro.reference_names.index(state)
    t = ro.time
    rows: list[tuple[int, int, float, dict[str, float]]] = []
    for n in range(ro.episodes):
        ref, y, lim = ro.references[:, n, j], ro.states[:, n, j], ro.limits[n, j]
        jumps = np.flatnonzero(np.abs(np.diff(ref)) >= min_size * lim) + 1
        ends = np.append(jumps[1:], ro.steps)[:jumps.size]
        for k, end in zip(jumps, ends, strict=True):
            seg = slice(k - 1, end)
            if not ro.valid[seg, n].all() or not np.all(np.isfinite(y[seg])) or y[k - 1] == ref[k]:
                continue
            rows.append((n, int(k), float((ref[k] - ref[k - 1]) / lim), step_response(t[seg], y[seg], ref[k], band)))
    col = {key: np.array([r[3][key] for r in rows], float) for key in ("rise_time", "overshoot", "settling_time")}
    return StepFigures(state, np.array([r[0] for r in rows], int), np.array([r[1] for r in rows], int),
                       np.array([r[2] for r in rows], float), **col)
