r"""Control of the brushless DC motor: 120° block commutation from the Hall signals, PI phase-current loops.

Model and conventions: :mod:`gem.physical_systems.bldc`.

**Block commutation.** The Hall state gives the 60° sector and the block pattern
``c_k = hall_k - hall_{k+1}`` (:func:`~gem.physical_systems.bldc.block_pattern`): the phase on its
positive flat top carries ``+I``, the one on its negative flat top ``-I``, the third none. The
torque is then ``2 p psi_p I`` (``k_t = 2 p psi_p``), so a torque reference ``T`` asks for
``I = T / (2 p psi_p)`` (:class:`BldcOperatingPoint`) and the current task's reference ``i_eq`` is
``I`` itself. A negative ``I`` brakes.

**Current loops.** One PI loop per phase current (gains of an R-L winding with ``l_s``, ``r_s``),
references ``c_k I``; the outputs are phase-to-star-point voltages, shifted by a common mode to
leg voltages (min-max centring) and shortened together to the bridge's range. The loop of the
phase without current holds it at zero while that phase's back-EMF runs down its slope.

**Back-EMF feed-forward from the Hall signals.** The Hall edges give the angle at six points a
turn; between them the controller interpolates with the measured speed (the usual Hall
interpolation): after an edge the angle is the sector's entry edge plus ``ω_el t``, held within the
sector; before the first edge of an episode it is the sector's middle. The feed-forward is the
model's back-EMF at that angle, ``ω_el psi_p E(ε̂_k)``, half a period ahead. The commutation itself
uses the Hall state only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gem.controllers.pi import PIController
from gem.controllers.signals import Signals
from gem.controllers.tuning import PIGains
from gem.physical_systems.bldc import block_pattern, emf_shapes

SECTOR_MIDDLE = np.radians([0.0, 180.0, 60.0, 120.0, -60.0, -120.0, 0.0, 0.0])
"""Angle of each sector's middle by the Hall code ``4 hall_a + 2 hall_b + hall_c`` (0 and 7 do not occur)."""
HALLS = ("hall_a", "hall_b", "hall_c")
PHASES = ("i_a", "i_b", "i_c")


class BldcOperatingPoint:
    """Torque → block current ``I = T / (2 p psi_p)``, within ``± i_max``.

    Args:
        motor: The BLDC.
        i_max: Largest block current in A (scalar or ``(num_envs,)``).
    """

    def __init__(self, motor: Any, i_max: Any):
        self.k_t = 2.0 * motor.p * motor.psi_p
        self.i_max = np.asarray(i_max, float)

    def current_references(self, sig: Signals, torque: np.ndarray) -> dict[str, np.ndarray]:
        """``{"i_eq": I}`` (A) for ``torque`` (N·m)."""
        return {"i_eq": np.clip(torque / self.k_t, -self.i_max, self.i_max)}

    def torque_range(self, sig: Signals) -> tuple[np.ndarray, np.ndarray]:
        """``± k_t i_max``."""
        t = np.broadcast_to(self.k_t * self.i_max, (sig.batch,))
        return -t, t


class HallAngle:
    """Rotor angle estimated from the Hall edges and the speed (module docstring).

    Args:
        pole_pairs: ``p``.
        tau: Control period (s).
    """

    def __init__(self, pole_pairs: Any, tau: float):
        self.p, self.tau = np.asarray(pole_pairs, float), tau
        self.code: np.ndarray | None = None
        self.since: np.ndarray | None = None

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Forgets the last edge where ``mask`` is true (all if ``None``)."""
        if self.code is not None:
            rows = slice(None) if mask is None else np.asarray(mask, bool)
            self.code[rows] = -1
            self.since[rows] = np.nan

    def __call__(self, sig: Signals) -> np.ndarray:
        """The estimated electrical angle half a period ahead (rad)."""
        code = np.rint(4 * sig["hall_a"] + 2 * sig["hall_b"] + sig["hall_c"]).astype(np.int64)
        code = np.clip(code, 0, 7)
        if self.code is None or self.code.shape != code.shape:
            self.code, self.since = np.full(code.shape, -1), np.full(code.shape, np.nan)
        edge = np.logical_and(self.code >= 0, code != self.code)
        self.since = np.where(edge, 0.5 * self.tau, self.since + self.tau)
        self.code = code
        omega_el = self.p * sig["omega"]
        middle = SECTOR_MIDDLE[code]
        sixth = np.pi / 6.0
        travelled = -np.sign(omega_el) * sixth + omega_el * (self.since + 0.5 * self.tau)
        offset = np.where(np.isnan(self.since), 0.0, np.clip(np.nan_to_num(travelled), -sixth, sixth))
        return middle + offset


class BldcCurrentController:
    """Per-phase PI current loops on 120° block references (module docstring).

    Args:
        motor: The BLDC.
        gains: Gains of one phase loop (applied to all three).
        tau: Control period (s).
        i_max: Largest block current in A.
        anti_windup: See :class:`~gem.controllers.pi.PIController`.
        residual: The switching modulator's withheld voltage (``(batch, 3)``), or ``None``.
        band: Integration band in A, or ``None``.
    """

    def __init__(self, motor: Any, gains: PIGains, tau: float, i_max: Any, anti_windup: str = "clamping",
                 residual: Any = None, band: Any = None):
        self.motor, self.tau, self.residual = motor, tau, residual
        self.i_max = np.asarray(i_max, float)
        kp, ki = (np.repeat(np.reshape(g, (-1, 1)), 3, axis=1) for g in (gains.kp, gains.ki))
        self.gains = gains
        self.pi = PIController(kp, ki, tau, anti_windup=anti_windup,
                               band=None if band is None else np.reshape(band, (-1, 1)))
        self.angle = HallAngle(motor.p, tau)
        self.torque_saturation: np.ndarray | None = None

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Clears the integrators and the Hall interpolation where ``mask`` is true (all if ``None``)."""
        self.pi.reset(mask)
        self.angle.reset(mask)

    def __call__(self, sig: Signals) -> None:
        """Sets ``u_cmd`` (three leg voltages, V, to the DC-link midpoint)."""
        m = self.motor
        u_sup = sig["u_sup"]
        pattern = np.stack(block_pattern(*(sig[h] for h in HALLS)), axis=1)
        block = np.clip(sig.get("i_eq_ref", np.zeros_like(u_sup)), -self.i_max, self.i_max)
        i = np.stack([sig[n] for n in PHASES], axis=1)
        withheld = None if self.residual is None else self.residual(i.shape[0])
        if withheld is not None:
            i = i + withheld * (u_sup * self.tau / np.asarray(m.l_s, float))[:, None]
        err = pattern * block[:, None] - i
        emf = (m.p * sig["omega"] * m.psi_p)[:, None] * np.stack(emf_shapes(self.angle(sig)), axis=1)
        v = self.pi.output(err, emf)
        legs = v - 0.5 * (v.max(axis=1) + v.min(axis=1))[:, None]
        span = v.max(axis=1) - v.min(axis=1)
        scale = np.minimum(1.0, u_sup / np.maximum(span, 1e-12))
        legs = legs * scale[:, None]
        v_sat = v - (1.0 - scale)[:, None] * (v - v.mean(axis=1, keepdims=True))
        self.pi.update(err, v, v_sat)
        torque_err = np.sum(pattern * err, axis=1)
        self.torque_saturation = np.where(scale < 1.0, np.sign(torque_err), 0.0)
        sig["u_cmd"] = legs
