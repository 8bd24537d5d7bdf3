"""Tracking errors after the initial transient: the metrics that separate controllers.

Every evaluation episode starts with the drive at its initial state and the reference somewhere
else, so every controller first drives the state towards the reference at full voltage. Those
first milliseconds dominate an RMSE over the whole episode and are nearly the same for every
controller that saturates its actuator, which hides differences in how well the reference is
tracked afterwards. This module splits each episode in two:

* **Initial transient**: per episode and controlled state, from the first step to the *reach
  step*, the first step after which the state is within ``reach_band`` (default 0.02, i.e. 2 % of
  the state's limit) of the reference, or has crossed it (the tracking error changed sign
  relative to the first step's error). Its duration is reported as ``reach_time`` (s), so a
  controller that is slow to reach the reference shows it there.
* **Steady tracking**: every step from the reach step to the end of the episode. The steady-
  tracking RMSE and MAE pool these steps over all episodes.

The reach step is found separately for each policy (a policy is scored on its own transient). An
episode in which the state never reaches the reference is counted in ``unreached`` and all of
its steps count as steady tracking, so never reaching it is not rewarded.

Errors compare the state after step ``k`` with the reference shown before it, like the reward
(see :mod:`gem.evaluation.rollout`). Normalised values are in units of the state's limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gem.evaluation.rollout import Rollout

REACH_BAND = 0.02
"""Default distance to the reference (fraction of the state's limit) at which it counts as reached."""


def reach_steps(error: np.ndarray, valid: np.ndarray, band: float = REACH_BAND) -> np.ndarray:
    """Index of the first step at which each episode's state has reached its reference.

    Args:
        error: ``(T, n)`` normalised tracking error (state minus reference, / limit).
        valid: ``(T, n)`` steps that belong to the episode.
        band: Reached when ``|error| <= band`` or the error's sign differs from the first step's.

    Returns:
        ``(n,)`` reach step per episode; ``T`` where the reference was never reached.
    """
    if not band > 0:
        raise ValueError(f"reach band must be > 0, got {band!r}")
    e = np.where(valid, error, np.nan)
    crossed = np.sign(e) * np.sign(e[:1]) < 0
    reached = (np.abs(e) <= band) | crossed
    return np.where(reached.any(axis=0), np.argmax(reached, axis=0), error.shape[0])


@dataclass(frozen=True)
class SteadyTracking:
    """Tracking errors after the initial transient, per controlled state.

    Attributes:
        rmse_norm: Steady-tracking RMSE (normalised by the state's limit).
        mae_norm: Steady-tracking MAE (normalised).
        rmse_si: Steady-tracking RMSE in the state's SI unit.
        mae_si: Steady-tracking MAE in SI units.
        reach_time: Mean duration of the initial transient over the episodes that reached the
            reference (s; NaN if none did).
        unreached: Episodes in which the state never reached the reference.
        reach_band: The band used (fraction of the limit).
    """

    rmse_norm: dict[str, float]
    mae_norm: dict[str, float]
    rmse_si: dict[str, float]
    mae_si: dict[str, float]
    reach_time: dict[str, float]
    unreached: dict[str, int]
    reach_band: float

    @property
    def rmse(self) -> float:
        """Steady-tracking RMSE averaged over the controlled states (normalised): the headline."""
        return float(np.mean(list(self.rmse_norm.values())))

    @property
    def mae(self) -> float:
        """Steady-tracking MAE averaged over the controlled states (normalised)."""
        return float(np.mean(list(self.mae_norm.values())))


def _rms_mae(x: np.ndarray) -> tuple[float, float]:
    if x.size == 0:
        return float("nan"), float("nan")
    return float(np.sqrt(np.mean(x ** 2))), float(np.mean(np.abs(x)))


def steady_tracking(ro: Rollout, reach_band: float = REACH_BAND) -> SteadyTracking:
    """Steady-tracking errors and transient durations of a rollout (see the module docstring).

    Args:
        ro: The recorded rollout.
        reach_band: Distance to the reference (fraction of the limit) that counts as reached.
    """
    err_si = ro.states - ro.references
    ok = ro.valid[..., None] & np.isfinite(err_si)
    steps = np.arange(ro.steps)[:, None]
    out: dict[str, dict] = {k: {} for k in ("rmse_norm", "mae_norm", "rmse_si", "mae_si", "reach_time", "unreached")}
    for j, name in enumerate(ro.reference_names):
        e_norm = err_si[..., j] / ro.limits[None, :, j]
        reach = reach_steps(e_norm, ok[..., j], reach_band)
        reached = reach < ro.steps
        start = np.where(reached, reach, 0)
        steady = ok[..., j] & (steps >= start[None])
        out["rmse_norm"][name], out["mae_norm"][name] = _rms_mae(e_norm[steady])
        out["rmse_si"][name], out["mae_si"][name] = _rms_mae(err_si[..., j][steady])
        out["reach_time"][name] = float(ro.tau * np.mean(reach[reached] + 1)) if reached.any() else float("nan")
        out["unreached"][name] = int(np.sum(~reached))
    return SteadyTracking(**out, reach_band=float(reach_band))
