r"""Field-oriented current control of three-phase synchronous motors (PMSM, SynRM) on a B6 bridge.

Rotor-frame model (``ω_el = p ω``)::

    l_d di_sd/dt = u_sd - r_s i_sd + ω_el l_q i_sq
    l_q di_sq/dt = u_sq - r_s i_sq - ω_el (l_d i_sd + psi_p)

Two PI loops (d and q, tuned like R-L windings with ``l_d`` resp. ``l_q`` and ``r_s``) with the
**decoupling feed-forward** ``u_sd,ff = -ω_el l_q i_sq``, ``u_sq,ff = ω_el (l_d i_sd + psi_p)``
(measured currents), which leaves two independent R-L plants.

**Voltage limitation.** The B6 bridge with leg voltages ``±u_sup/2`` reaches the hexagon with
vertices ``2/3 u_sup``; with min-max zero-sequence injection the whole inscribed circle
``|u_dq| <= u_sup / √3`` is reachable with linear modulation. ``"circle"`` limits to that circle
giving priority to the *steady-state* part of the command, ``s = feed-forward + integral`` (what
holds the present currents against the back-EMF): the proportional part ``p = kp e`` is scaled by
the largest ``λ ∈ [0, 1]`` with ``|s + λ p| <= u_sup/√3`` (``s`` alone is shortened if it does not
fit). This keeps both axes supplied at high speed, where a plain d- or q-priority limit would
starve the other axis of the voltage it needs to hold its current. ``"hexagon"`` scales the whole
vector back into the hexagon (line-to-line voltage ``<= u_sup``). The PI integrators use the
limited voltage for anti-windup.

**Rotation during the period.** The converter holds the stator-frame voltage for one period while
the rotor turns by ``Δε = ω_el τ``, so the rotor frame sees the voltage rotate. The command is
transformed with the mid-period angle ``ε + Δε/2`` and divided by ``sinc(Δε/2)``, so that the
*period average* of the rotor-frame voltage equals the command.

Leg voltages: ``u_abc = T32 Q(ε + Δε/2) u_dq - (max + min)/2`` (zero-sequence injection), then the
modulator maps them to the action (``a_x = u_x / (u_sup/2)``) or to switching states.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gem.controllers.operating_point import SQRT3, SynchronousOperatingPoint
from gem.controllers.pi import PIController, clip
from gem.controllers.signals import Signals
from gem.controllers.tuning import PIGains, current_loop
from gem.physical_systems.transforms import (
    abc_to_alphabeta,
    abc_to_dq,
    alphabeta_to_abc,
    alphabeta_to_dq,
    dq_to_alphabeta,
)

VOLTAGE_LIMITS = ("circle", "hexagon")


def dq_currents(sig: Signals) -> tuple[np.ndarray, np.ndarray]:
    """``i_sd, i_sq`` from the observation, or from ``i_a, i_b, i_c`` and ``epsilon``."""
    if "i_sd" in sig and "i_sq" in sig:
        return sig["i_sd"], sig["i_sq"]
    i_dq = abc_to_dq(np.stack([sig["i_a"], sig["i_b"], sig["i_c"]], axis=1), sig["epsilon"])
    return i_dq[:, 0], i_dq[:, 1]


class DqCurrentController:
    """d/q PI current control with decoupling, voltage limitation and dq → abc.

    Args:
        motor: PMSM or SynRM (``p, r_s, l_d, l_q, psi_p``).
        gains: Gains with columns ``(d, q)``.
        tau: Control period (s).
        voltage_limit: ``"circle"`` or ``"hexagon"`` (module docstring).
        anti_windup: See :class:`~gem.controllers.pi.PIController`.
        residual: ``batch → (batch, 3)`` leg voltages the switching modulator has withheld so far
            (per unit of ``u_sup``, in periods), or ``None``. Their flux ``u_sup tau · residual``,
            in the rotor frame and divided by ``l_d``/``l_q``, corrects the measured currents to
            the period-average currents the loops control.
        band: Integration band in A (see :class:`~gem.controllers.pi.PIController`).
    """

    def __init__(self, motor: Any, gains: PIGains, tau: float, voltage_limit: str = "circle",
                 anti_windup: str = "clamping", residual: Any = None, band: Any = None):
        if voltage_limit not in VOLTAGE_LIMITS:
            raise ValueError(f"voltage_limit must be one of {VOLTAGE_LIMITS}, got {voltage_limit!r}")
        self.motor = motor
        self.psi_p = getattr(motor, "psi_p", 0.0)
        self.gains = gains
        self.tau = tau
        self.voltage_limit = voltage_limit
        self.residual = residual
        self.pi = PIController(gains.kp, gains.ki, tau, anti_windup=anti_windup,
                               band=None if band is None else np.reshape(band, (-1, 1)))
        self.torque_saturation: np.ndarray | None = None
        """Per environment: sign of the q-current error where the voltage limit was active in the
        last step (the torque cannot follow in that direction), else 0."""

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Clears the integrators where ``mask`` is true (all if ``None``)."""
        self.pi.reset(mask)
        if self.torque_saturation is not None:
            self.torque_saturation[slice(None) if mask is None else np.asarray(mask, bool)] = 0.0

    def _limit(self, u: np.ndarray, steady: np.ndarray, u_sup: np.ndarray, angle: np.ndarray) -> np.ndarray:
        if self.voltage_limit == "circle":
            radius = u_sup / SQRT3
            s = steady * np.minimum(1.0, radius / np.maximum(np.hypot(steady[:, 0], steady[:, 1]), 1e-12))[:, None]
            p = u - steady
            pp, sp, ss = np.sum(p * p, axis=1), np.sum(s * p, axis=1), np.sum(s * s, axis=1)
            root = np.sqrt(np.maximum(sp**2 - pp * (ss - radius**2), 0.0))
            lam = clip((root - sp) / np.maximum(pp, 1e-12), 0.0, 1.0)
            return s + lam[:, None] * p
        abc = alphabeta_to_abc(dq_to_alphabeta(u, angle))
        spread = np.max(abc, axis=1) - np.min(abc, axis=1)
        return u * np.minimum(1.0, u_sup / np.maximum(spread, 1e-12))[:, None]

    def __call__(self, sig: Signals) -> None:
        """Sets ``u_cmd`` (the three leg-to-midpoint voltages, V) and ``u_dq_cmd``."""
        m = self.motor
        i_sd, i_sq = dq_currents(sig)
        omega_el = m.p * sig["omega"]
        eps = sig["epsilon"]
        withheld = None if self.residual is None else self.residual(eps.shape[0])
        if withheld is not None:
            flux = alphabeta_to_dq(abc_to_alphabeta(withheld), eps) * (sig["u_sup"] * self.tau)[:, None]
            i_sd, i_sq = i_sd + flux[:, 0] / m.l_d, i_sq + flux[:, 1] / m.l_q
        ref = np.stack([sig["i_sd_ref"], sig["i_sq_ref"]], axis=1)
        err = ref - np.stack([i_sd, i_sq], axis=1)
        ff = np.stack([-omega_el * m.l_q * i_sq, omega_el * (m.l_d * i_sd + self.psi_p)], axis=1)
        half_turn = 0.5 * omega_el * self.tau
        angle = eps + half_turn
        u = self.pi.output(err, ff)
        u_sat = self._limit(u, u - self.pi.kp * err, sig["u_sup"], angle)
        self.pi.update(err, u, u_sat)
        limited = np.sum((u - u_sat) ** 2, axis=1) > 1e-12 * np.sum(u**2, axis=1)
        self.torque_saturation = np.where(limited, np.sign(err[:, 1]), 0.0)
        u_hold = u_sat / np.sinc(half_turn / np.pi)[:, None]
        u_abc = alphabeta_to_abc(dq_to_alphabeta(u_hold, angle))
        u_abc -= 0.5 * (np.max(u_abc, axis=1) + np.min(u_abc, axis=1))[:, None]
        sig["u_dq_cmd"] = u_hold                   # rotor-frame voltage to hold (V)
        sig["u_cmd"] = u_abc


class DqFrameOutput:
    """Output stage of ``action_frame="dq"`` environments: ``u_dq_cmd / (2/3 u_sup)`` as the action.

    The environment itself rotates the action with the mid-period angle and modulates it.
    """

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Stateless."""

    def __call__(self, sig: Signals) -> np.ndarray:
        """``(batch, 2)`` float32 action in [-1, 1]."""
        a = sig["u_dq_cmd"] / (2.0 / 3.0 * sig["u_sup"])[:, None]
        return clip(a, -1.0, 1.0).astype(np.float32)


def make_field_oriented(drive: Any, current_max: Any, t_sigma: float, cfg: Any, residual: Any = None):
    """Operating-point selection and dq current control for a synchronous motor.

    Args:
        drive: The :class:`~gem.physical_systems.DriveSystem` (motor with ``l_d, l_q``; B6 bridge).
        current_max: ``(current name, inductance) → largest current reference (A)``.
        t_sigma: Small time constant of the current loops (s).
        cfg: The :class:`~gem.controllers.factory.Tuning`.
        residual: The modulator's withheld voltage (see :class:`DqCurrentController`).

    Returns:
        ``(operating_point, current_stage, t_e)`` with ``t_e`` the closed current loop's time constant.
    """
    motor = drive.motor
    if not all(hasattr(motor, k) for k in ("p", "r_s", "l_d", "l_q")) or drive.converter.n_out != 3:
        raise NotImplementedError(f"no controller for {type(motor).__name__} on {drive.converter.name}: "
                                  "DC motors (PermExDc, ExtExDc, SeriesDc, ShuntDc, and motors registered in "
                                  "gem.controllers.dc.FAMILIES) and PMSM/SynRM on a B6 bridge are supported")
    i_max = np.minimum(current_max("i_sd", motor.l_d), current_max("i_sq", motor.l_q))
    gd = current_loop(motor.l_d, motor.r_s, t_sigma, cfg.a_current, cfg.current_rule)
    gq = current_loop(motor.l_q, motor.r_s, t_sigma, cfg.a_current, cfg.current_rule)
    gains = PIGains(*(np.stack(np.broadcast_arrays(np.asarray(getattr(gd, k), float),
                                                   np.asarray(getattr(gq, k), float)), axis=-1)
                      for k in ("kp", "ki", "t_e")))
    band = None if cfg.integration_band is None else cfg.integration_band * i_max
    stage = DqCurrentController(motor, gains, drive.tau, cfg.voltage_limit, cfg.anti_windup, residual, band)
    return SynchronousOperatingPoint(motor, i_max, cfg.k_fw), stage, np.asarray(gd.t_e)
