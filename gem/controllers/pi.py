"""Batched discrete PI controller with output limits and anti-windup.

The controller works on arrays ``(batch, m)``: ``batch`` environments, ``m`` independent channels
(e.g. the d and q current loops). Gains and limits broadcast against that shape, so they may be
scalars, ``(m,)`` or ``(num_envs, m)`` arrays. The integrator state is the only mutable part and
lives in the controller object; :meth:`PIController.reset` clears it where an episode starts.

Discrete law (forward Euler, sample time ``tau``)::

    u_k       = kp e_k + x_k + feedforward_k            (unsaturated output)
    u_sat,k   = saturate(u_k)                           (box limits, or a caller's vector limit)
    x_{k+1}   = x_k + ki tau e_k                        conditional integration, skipped per channel
                                                        where (u_k - u_sat,k) e_k > 0
    x_{k+1}   = x_k + ki tau e_k + (tau / t_t)(u_sat,k - u_k)      back-calculation

optionally with an integration band: the integrated error is clipped to ``±band``, which bounds
how fast the integrator may move.

Conditional integration freezes the integrator on channels whose error would drive the output
further into saturation; back-calculation bleeds the excess back into the integrator with the
tracking time constant ``t_t`` (default: the integral time ``kp / ki``). In a cascade, the outer
loop's integrator is also held while the inner loop is saturated in the direction the outer error
asks for (``hold``): a speed integrator must not wind up while the current loop is voltage-limited.
"""

from __future__ import annotations

import numpy as np

ANTI_WINDUP = ("clamping", "back_calculation", "none")


def clip(x, low, high):
    """``min(max(x, low), high)`` elementwise (``np.clip`` without its per-call overhead)."""
    return np.minimum(np.maximum(x, low), high)


class PIController:
    """Batched PI controller with output limits and anti-windup.

    Args:
        kp: Proportional gain(s), broadcastable to ``(batch, m)``.
        ki: Integral gain(s) (``kp / T_n``), same broadcasting.
        tau: Sample time in s.
        low: Default lower output limit(s).
        high: Default upper output limit(s).
        anti_windup: ``"clamping"`` (conditional integration), ``"back_calculation"`` or ``"none"``.
        t_t: Tracking time constant of back-calculation in s (default ``kp / ki``).
        band: Integration band: with anti-windup, the integrated error is clipped to ``±band``
            (broadcastable like the gains; ``None``: no band). The integrator then settles the
            small residual errors it exists for at full speed, but cannot charge up while a large
            step is being followed, which would otherwise overshoot once the step is reached.
    """

    def __init__(self, kp, ki, tau: float, low=-np.inf, high=np.inf, anti_windup: str = "clamping",
                 t_t=None, band=None):
        if anti_windup not in ANTI_WINDUP:
            raise ValueError(f"anti_windup must be one of {ANTI_WINDUP}, got {anti_windup!r}")
        if not tau > 0:
            raise ValueError(f"tau must be > 0, got {tau!r}")
        self.kp = np.atleast_1d(np.asarray(kp, dtype=float))
        self.ki = np.atleast_1d(np.asarray(ki, dtype=float))
        if np.any(self.kp < 0) or np.any(self.ki < 0):
            raise ValueError("PI gains must be >= 0")
        self.tau = float(tau)
        self.low = np.asarray(low, dtype=float)
        self.high = np.asarray(high, dtype=float)
        self.anti_windup = anti_windup
        if t_t is None:
            t_t = np.divide(self.kp, self.ki, out=np.full(np.broadcast(self.kp, self.ki).shape, np.inf),
                            where=self.ki > 0)
        self.track = np.minimum(self.tau / np.asarray(t_t, dtype=float), 1.0)
        self.band = None if band is None else np.asarray(band, dtype=float)
        self.integral: np.ndarray | None = None

    @property
    def channels(self) -> int:
        """Number of channels ``m``."""
        return int(np.broadcast(self.kp, self.ki).shape[-1])

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Clears the integrator of every environment (``mask=None``) or of those where ``mask`` is true."""
        if self.integral is None:
            return
        if mask is None:
            self.integral[:] = 0.0
        else:
            self.integral[np.asarray(mask, dtype=bool)] = 0.0

    def _state(self, batch: int) -> np.ndarray:
        if self.integral is None or self.integral.shape[0] != batch:
            self.integral = np.zeros((batch, self.channels))
        return self.integral

    def output(self, error: np.ndarray, feedforward: np.ndarray | float = 0.0) -> np.ndarray:
        """Unsaturated output ``kp e + integral + feedforward`` for ``error`` of shape ``(batch, m)``."""
        return self.kp * error + self._state(error.shape[0]) + feedforward

    def update(self, error: np.ndarray, u: np.ndarray, u_sat: np.ndarray, hold: np.ndarray | None = None) -> None:
        """Advances the integrator after the caller saturated ``u`` to ``u_sat``.

        Args:
            error: ``(batch, m)`` control error of this step.
            u: Unsaturated output returned by :meth:`output`.
            u_sat: The output actually applied.
            hold: ``(batch, m)`` signs (+1, -1, 0) of a saturation further down the cascade (an
                inner loop that cannot follow upwards / downwards). With anti-windup the integrator
                does not integrate an error of that sign.
        """
        x = self._state(error.shape[0])
        integrated = error if self.band is None or self.anti_windup == "none" else clip(error, -self.band, self.band)
        step = self.ki * self.tau * integrated
        if hold is not None and self.anti_windup != "none":
            step = np.where(hold * error > 0.0, 0.0, step)
        if self.anti_windup == "clamping":
            step = np.where((u - u_sat) * error > 0.0, 0.0, step)
        elif self.anti_windup == "back_calculation":
            step = step + self.track * (u_sat - u)
        x += step

    def __call__(self, error: np.ndarray, feedforward: np.ndarray | float = 0.0,
                 low: np.ndarray | float | None = None, high: np.ndarray | float | None = None,
                 hold: np.ndarray | None = None) -> np.ndarray:
        """One step with box limits: returns the saturated output and advances the integrator.

        Args:
            error: ``(batch, m)`` reference minus measurement.
            feedforward: Added to the output before saturation.
            low: Lower limit for this step (default: the constructor's).
            high: Upper limit for this step (default: the constructor's).
            hold: Saturation signs of an inner loop (see :meth:`update`).
        """
        error = np.asarray(error, dtype=float)
        u = self.output(error, feedforward)
        u_sat = clip(u, self.low if low is None else low, self.high if high is None else high)
        self.update(error, u, u_sat, hold)
        return u_sat
