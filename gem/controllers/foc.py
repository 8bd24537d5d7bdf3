r"""Field-oriented current control of AC motors on B6 bridges: PMSM and SynRM, and the frame plants of the others.

Rotor-frame model of the synchronous motors (``ω_el = p ω``)::

    l_d di_sd/dt = u_sd - r_s i_sd + ω_el l_q i_sq
    l_q di_sq/dt = u_sq - r_s i_sq - ω_el (l_d i_sd + psi_p)

Two PI loops (d and q, tuned like R-L windings with ``l_d`` resp. ``l_q`` and ``r_s``) with the
**decoupling feed-forward** ``u_sd,ff = -ω_el l_q i_sq``, ``u_sq,ff = ω_el (l_d i_sd + psi_p)``
(measured currents), which leaves two independent R-L plants. :class:`DqCurrentController` runs
these loops for any *plant* that names its frame (angle and speed), its currents in that frame and
the feed-forward: :class:`SynchronousPlant` here, the induction motors' rotor-flux frame in
:mod:`gem.controllers.induction`, the EESM's in :mod:`gem.controllers.eesm`.

**Voltage limitation.** The B6 bridge with leg voltages ``±u_sup/2`` reaches the hexagon with
vertices ``2/3 u_sup``; with min-max zero-sequence injection the whole inscribed circle
``|u_dq| <= u_sup / √3`` is reachable with linear modulation. ``"circle"`` limits to that circle
giving priority to the *steady-state* part of the command, ``s = feed-forward + integral`` (what
holds the present currents against the back-EMF): the proportional part ``p = kp e`` is scaled by
the largest ``λ ∈ [0, 1]`` with ``|s + λ p| <= u_sup/√3`` (``s`` alone is shortened if it does not
fit; :func:`limit_to_circle`). This keeps both axes supplied at high speed, where a plain d- or
q-priority limit would starve the other axis of the voltage it needs to hold its current.
``"hexagon"`` scales the whole vector back into the hexagon (line-to-line voltage ``<= u_sup``).
The induction motors' flux frame gives the d axis priority within the circle instead
(:func:`limit_d_first`): their field weakening lowers the flux through ``i_sd``, which needs d-axis
voltage while the back-EMF fills the q axis. The PI integrators use the limited voltage for anti-windup.

**Rotation during the period.** The converter holds the stator-frame voltage for one period while
the frame turns by ``Δε = ω τ``, so the frame sees the voltage rotate. The command is
transformed with the mid-period angle ``ε + Δε/2`` and divided by ``sinc(Δε/2)``, so that the
*period average* of the frame voltage equals the command (:func:`hold_in_frame`).

Leg voltages: ``u_abc = T32 Q(ε + Δε/2) u_dq - (max + min)/2`` (zero-sequence injection), then the
modulator maps them to the action (``a_x = u_x / (u_sup/2)``) or to switching states.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gem.controllers.pi import PIController, clip
from gem.controllers.signals import Signals
from gem.controllers.tuning import PIGains
from gem.physical_systems.transforms import (
    SQRT3,
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


def limit_to_circle(u: np.ndarray, steady: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """``u`` ``(batch, 2)`` limited to ``|u| <= radius`` with priority for its ``steady`` part (module docstring)."""
    s = steady * np.minimum(1.0, radius / np.maximum(np.hypot(steady[:, 0], steady[:, 1]), 1e-12))[:, None]
    p = u - steady
    pp, sp, ss = np.sum(p * p, axis=1), np.sum(s * p, axis=1), np.sum(s * s, axis=1)
    root = np.sqrt(np.maximum(sp**2 - pp * (ss - radius**2), 0.0))
    lam = clip((root - sp) / np.maximum(pp, 1e-12), 0.0, 1.0)
    return s + lam[:, None] * p


def limit_d_first(u: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """``u`` ``(batch, 2)`` limited to ``|u| <= radius`` giving the d axis priority (the q axis gets what is left)."""
    u_d = clip(u[:, 0], -radius, radius)
    room = np.sqrt(np.maximum(radius**2 - u_d**2, 0.0))
    return np.stack([u_d, clip(u[:, 1], -room, room)], axis=1)


def hold_in_frame(u: np.ndarray, angle: np.ndarray, half_turn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The frame voltage ``(batch, 2)`` to hold over a period whose average is ``u``, and the mid-period angle."""
    return u / np.sinc(half_turn / np.pi)[:, None], angle + half_turn


class SynchronousPlant:
    """The rotor-frame plant of a PMSM or SynRM (module docstring): angle ``epsilon``, magnet flux ``psi_p``.

    Args:
        motor: PMSM or SynRM (``p, r_s, l_d, l_q, psi_p``).
    """

    def __init__(self, motor: Any):
        self.p, self.l_d, self.l_q = motor.p, motor.l_d, motor.l_q
        self.psi_p = getattr(motor, "psi_p", 0.0)
        self.inductances = (motor.l_d, motor.l_q)
        self.resistance = motor.r_s

    def frame(self, sig: Signals) -> tuple[np.ndarray, np.ndarray]:
        """The rotor angle and electrical speed (rad, rad/s)."""
        return sig["epsilon"], self.p * sig["omega"]

    def currents(self, sig: Signals, angle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``i_sd, i_sq`` (A)."""
        return dq_currents(sig)

    def feedforward(self, sig: Signals, i_sd: np.ndarray, i_sq: np.ndarray, omega_frame: np.ndarray) -> np.ndarray:
        """``(-ω_el l_q i_sq, ω_el (l_d i_sd + psi_p))``, ``(batch, 2)`` (V)."""
        return np.stack([-omega_frame * self.l_q * i_sq, omega_frame * (self.l_d * i_sd + self.psi_p)], axis=1)


class DqCurrentController:
    """d/q PI current control with decoupling, voltage limitation and dq → abc, on a plant's frame.

    Args:
        plant: The frame and its feed-forward (:class:`SynchronousPlant`,
            :class:`~gem.controllers.induction.InductionPlant`, ...).
        gains: Gains with columns ``(d, q)``.
        tau: Control period (s).
        n_out: Converter outputs; the bridge is the first three (the others get 0 V unless a
            wrapping stage sets them).
        n_frame: Entries of ``u_frame_cmd`` (the motor's ``dq_action_names``); ``u_sd, u_sq`` first,
            the others 0 unless a wrapping stage sets them.
        voltage_limit: ``"circle"`` or ``"hexagon"`` (module docstring).
        d_priority: Within the circle, give the d axis priority (the induction motors) instead of the
            steady-state part of the command.
        i_max: Largest current amplitude in A: a longer ``(i_sd_ref, i_sq_ref)`` is shortened to it
            (``None``: references are used as given).
        anti_windup: See :class:`~gem.controllers.pi.PIController`.
        residual: ``batch → (batch, n_out)`` voltages the switching modulator has withheld so far
            (per unit of ``u_sup``, in periods), or ``None``. Their flux ``u_sup tau · residual``,
            in the frame and divided by the plant's inductances, corrects the measured currents to
            the period-average currents the loops control.
        band: Integration band in A (see :class:`~gem.controllers.pi.PIController`).
    """

    def __init__(self, plant: Any, gains: PIGains, tau: float, n_out: int = 3, n_frame: int = 2,
                 voltage_limit: str = "circle", anti_windup: str = "clamping", residual: Any = None, band: Any = None,
                 d_priority: bool = False, i_max: Any = None):
        if voltage_limit not in VOLTAGE_LIMITS:
            raise ValueError(f"voltage_limit must be one of {VOLTAGE_LIMITS}, got {voltage_limit!r}")
        self.plant = plant
        self.gains = gains
        self.tau = tau
        self.n_out, self.n_frame = n_out, n_frame
        self.voltage_limit = voltage_limit
        self.d_priority = d_priority
        self.i_max = None if i_max is None else np.asarray(i_max, float)
        self.residual = residual
        self.pi = PIController(gains.kp, gains.ki, tau, anti_windup=anti_windup,
                               band=None if band is None else np.reshape(band, (-1, 1)))
        self.torque_saturation: np.ndarray | None = None
        """Per environment: sign of the q-current error where the voltage limit was active in the
        last step (the torque cannot follow in that direction), else 0."""
        self.last_pi: np.ndarray | None = None
        """The PI part ``kp e + integral`` of the last command (V), ``(batch, 2)``."""
        self.last_currents: np.ndarray | None = None
        """The controlled ``(i_sd, i_sq)`` of the last step (A)."""

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Clears the integrators where ``mask`` is true (all if ``None``)."""
        self.pi.reset(mask)
        if self.torque_saturation is not None:
            self.torque_saturation[slice(None) if mask is None else np.asarray(mask, bool)] = 0.0

    def _limit(self, u: np.ndarray, steady: np.ndarray, u_sup: np.ndarray, angle: np.ndarray) -> np.ndarray:
        if self.voltage_limit == "circle":
            return limit_d_first(u, u_sup / SQRT3) if self.d_priority else limit_to_circle(u, steady, u_sup / SQRT3)
        abc = alphabeta_to_abc(dq_to_alphabeta(u, angle))
        spread = np.max(abc, axis=1) - np.min(abc, axis=1)
        return u * np.minimum(1.0, u_sup / np.maximum(spread, 1e-12))[:, None]

    def __call__(self, sig: Signals) -> None:
        """Sets ``u_cmd`` (``(batch, n_out)``, leg voltages in V) and ``u_frame_cmd`` (frame voltages to hold)."""
        plant = self.plant
        angle0, omega_frame = plant.frame(sig)
        i_sd, i_sq = plant.currents(sig, angle0)
        withheld = None if self.residual is None else self.residual(angle0.shape[0])
        if withheld is not None:
            flux = alphabeta_to_dq(abc_to_alphabeta(withheld[:, :3]), angle0) * (sig["u_sup"] * self.tau)[:, None]
            i_sd, i_sq = i_sd + flux[:, 0] / plant.inductances[0], i_sq + flux[:, 1] / plant.inductances[1]
        ref = np.stack([sig["i_sd_ref"], sig["i_sq_ref"]], axis=1)
        if self.i_max is not None:
            ref = ref * np.minimum(1.0, self.i_max / np.maximum(np.hypot(ref[:, 0], ref[:, 1]), 1e-12))[:, None]
        err = ref - np.stack([i_sd, i_sq], axis=1)
        ff = plant.feedforward(sig, i_sd, i_sq, omega_frame)
        half_turn = 0.5 * omega_frame * self.tau
        u = self.pi.output(err, ff)
        self.last_pi, self.last_currents = u - ff, np.stack([i_sd, i_sq], axis=1)
        u_sat = self._limit(u, u - self.pi.kp * err, sig["u_sup"], angle0 + half_turn)
        self.pi.update(err, u, u_sat)
        limited = np.sum((u - u_sat) ** 2, axis=1) > 1e-12 * np.sum(u**2, axis=1)
        self.torque_saturation = np.where(limited, np.sign(err[:, 1]), 0.0)
        u_hold, angle = hold_in_frame(u_sat, angle0, half_turn)
        u_abc = alphabeta_to_abc(dq_to_alphabeta(u_hold, angle))
        u_abc -= 0.5 * (np.max(u_abc, axis=1) + np.min(u_abc, axis=1))[:, None]
        u_cmd = np.zeros((u_abc.shape[0], self.n_out))
        u_cmd[:, :3] = u_abc
        frame = np.zeros((u_abc.shape[0], self.n_frame))
        frame[:, :2] = u_hold
        sig["u_frame_cmd"] = frame                 # frame voltages to hold (V)
        sig["u_cmd"] = u_cmd


class DqFrameOutput:
    """Output stage of ``action_frame="dq"`` environments: ``u_frame_cmd`` divided by the action's normalisers.

    Args:
        scales: Normaliser of each action entry per unit of ``u_sup`` (2/3 for dq voltages, 1 for a
            4QC's field voltage). The environment itself turns the action into the stator frame.
    """

    def __init__(self, scales: np.ndarray):
        self.scales = np.asarray(scales, float)

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Stateless."""

    def __call__(self, sig: Signals) -> np.ndarray:
        """``(batch, n)`` float32 action in [-1, 1]."""
        a = sig["u_frame_cmd"] / (self.scales * sig["u_sup"][:, None])
        return clip(a, -1.0, 1.0).astype(np.float32)
