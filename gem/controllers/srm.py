r"""Control of the switched reluctance motor: conduction windows (turn-on/turn-off angles), PI phase currents.

Model and conventions: :mod:`gem.physical_systems.srm` (phase ``k`` aligned at ``ε_k = 0``, the
inductance rising over ``ε_k`` from ``-(α_s + α_r) p_r`` to ``-|α_r - α_s| p_r``, electrical angles).

**Conduction windows.** A phase produces positive torque while its inductance rises (``ε_k < 0``)
and negative torque while it falls. Turning forwards, for motoring (``T >= 0``) phase ``k`` carries
the block current ``I`` while ``ε_k`` is in ``[θ_on, θ_off] = [-135°, -45°]`` electrical (for the
8/6 defaults: from the start of the rising slope for one stroke, 90°, so that one phase conducts
at a time and each turns off half a stroke before alignment, leaving its current time to decay
before the falling slope); the window moves earlier by the time the current takes to rise in the
unaligned phase, ``l_q I / u_sup``, times the electrical speed (the turn-on advance). For braking
(``T < 0``) the window is the whole falling slope, ``[15°, 135°]``, without advance: the motional
voltage helps the current up, and what is left when the phase turns off decays where the
inductance no longer changes. Turning backwards, everything is mirrored (``ε_k → -ε_k``, ``T → -T``).

**Block current.** With one phase on its slope at a time, ``T(I) = ∂W'/∂L(I) (l_d - l_q) /
min(α_s, α_r)``: ``½ I² (l_d - l_q) / min(α_s, α_r)`` for the linear flux map. :class:`SrmOperatingPoint`
inverts it (a table over ``[0, i_max]``, so the saturating map works alike); the speed loop's
integrator takes up the ripple's mean.

**Current loops.** One PI loop per phase with the gain scheduled on the phase's incremental
inductance ``∂ψ/∂i`` (the technical optimum of an R-L winding of that inductance: the inductance
changes eightfold between the unaligned and the aligned position), with the phase's resistive and
motional voltage ``r_s i + ω_el ∂ψ/∂ε`` fed forward, limited to the bridge's ``±u_sup``. A phase
outside its window has the reference 0: its loop demagnetises it at ``-u_sup``; the current
stops at zero (the diodes).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gem.controllers.operating_point import batched_interp
from gem.controllers.pi import PIController, clip
from gem.controllers.signals import Signals
from gem.physical_systems.srm import flux_terms, inductance

PHASES = ("i_a", "i_b", "i_c", "i_d")
WINDOW = (np.radians(-135.0), np.radians(-45.0))
"""Motoring: turn-on and turn-off angles ``ε_k`` (electrical, rad, turning forwards), before the advance."""
BRAKE = (np.radians(15.0), np.radians(135.0))
"""Braking: turn-on and turn-off angles ``ε_k`` (electrical, rad, turning forwards)."""


class SrmOperatingPoint:
    """Torque → block current and the phases' conduction windows (module docstring).

    Args:
        motor: The SRM.
        i_max: Largest block current in A (scalar or ``(num_envs,)``).
        tau: Control period (s).
        grid: Number of table points.
    """

    def __init__(self, motor: Any, i_max: Any, tau: float, grid: int = 201):
        self.motor, self.tau = motor, tau
        self.i_max = np.reshape(np.asarray(i_max, float), (-1,))
        current = self.i_max[:, None] * np.linspace(0.0, 1.0, grid)
        _, _, coenergy = flux_terms(current, motor.l_d, motor.l_q, motor.i_sat, motor.saturation)
        self.table_i = current
        self.table_torque = coenergy * (motor.l_d - motor.l_q) / np.minimum(motor.alpha_s, motor.alpha_r)

    def block_current(self, torque: np.ndarray) -> np.ndarray:
        """``I >= 0`` (A) whose one-phase slope torque is ``|torque|`` (at most ``i_max``)."""
        t_abs = np.minimum(np.abs(torque), self.table_torque[:, -1])
        return batched_interp(t_abs, self.table_torque, self.table_i)

    def windows(self, sig: Signals, current: np.ndarray, torque: np.ndarray) -> np.ndarray:
        """``(batch, 4)`` 1.0 for the phases inside their conduction window half a period ahead, else 0.0."""
        m = self.motor
        omega_el = 2.0 * m.p_r * sig["omega"]
        direction = np.where(omega_el >= 0.0, 1.0, -1.0)
        motoring = torque * direction >= 0.0
        low = np.where(motoring, WINDOW[0], BRAKE[0])[:, None]
        high = np.where(motoring, WINDOW[1], BRAKE[1])[:, None]
        ahead = sig["epsilon"] + omega_el * (0.5 * self.tau + np.where(motoring, m.l_q * current / sig["u_sup"], 0.0))
        eps_k = np.stack([ahead - k * 0.5 * np.pi for k in range(4)], axis=1)
        eps_k = direction[:, None] * (eps_k - 2.0 * np.pi * np.floor((eps_k + np.pi) / (2.0 * np.pi)))
        return np.where(np.logical_and(eps_k >= low, eps_k < high), 1.0, 0.0)

    def current_references(self, sig: Signals, torque: np.ndarray) -> dict[str, np.ndarray]:
        """``{"i_a": ..., "i_d": ...}`` (A): the block current in the phases inside their window."""
        current = self.block_current(torque)
        on = self.windows(sig, current, torque)
        return {name: on[:, k] * current for k, name in enumerate(PHASES)}

    def torque_range(self, sig: Signals) -> tuple[np.ndarray, np.ndarray]:
        """``± T(i_max)``."""
        t = np.broadcast_to(self.table_torque[:, -1], (sig.batch,))
        return -t, t


class SrmCurrentController:
    """Per-phase PI current loops with gains scheduled on the incremental inductance (module docstring).

    Args:
        motor: The SRM.
        tau: Control period (s).
        i_max: Largest phase-current reference in A.
        a: Design parameter of the technical optimum (2: classical).
        t_sigma: Small time constant of the loops (s).
        anti_windup: See :class:`~gem.controllers.pi.PIController`.
        residual: The switching modulator's withheld voltage (``(batch, 4)``), or ``None``.
    """

    def __init__(self, motor: Any, tau: float, i_max: Any, a: float = 2.0, t_sigma: float | None = None,
                 anti_windup: str = "clamping", residual: Any = None):
        self.motor, self.tau, self.residual = motor, tau, residual
        self.i_max = np.asarray(i_max, float)
        t_sigma = tau if t_sigma is None else t_sigma
        # gains per henry of incremental inductance; the error is scaled by it before the PI
        ki = np.reshape(np.asarray(motor.r_s, float) / motor.l_q / (a * t_sigma), (-1, 1))
        self.pi = PIController(np.full(4, 1.0 / (a * t_sigma)), ki * np.ones(4), tau, anti_windup=anti_windup)
        self.torque_saturation: np.ndarray | None = None

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Clears the integrators where ``mask`` is true (all if ``None``)."""
        self.pi.reset(mask)

    def __call__(self, sig: Signals) -> None:
        """Sets ``u_cmd`` (four phase voltages, V)."""
        m = self.motor
        u_sup = sig["u_sup"]
        omega_el = 2.0 * m.p_r * sig["omega"]
        eps = sig["epsilon"] + omega_el * 0.5 * self.tau
        i = np.maximum(np.stack([sig[n] for n in PHASES], axis=1), 0.0)
        eps_k = np.stack([eps - k * 0.5 * np.pi for k in range(4)], axis=1)
        level, slope = inductance(eps_k, m.p_r, m.l_d, m.l_q, m.alpha_s, m.alpha_r)
        d_i, d_level, _ = flux_terms(i, level, m.l_q, m.i_sat, m.saturation)
        withheld = None if self.residual is None else self.residual(i.shape[0])
        if withheld is not None:
            i = i + withheld * (u_sup * self.tau)[:, None] / d_i
        ref = clip(np.stack([sig.get(f"{n}_ref", np.zeros_like(u_sup)) for n in PHASES], axis=1), 0.0,
                   self.i_max[..., None] if self.i_max.ndim else self.i_max)
        err = ref - i
        scaled = err * d_i
        feedforward = m.r_s * i + omega_el[:, None] * d_level * slope
        u = self.pi.output(scaled, feedforward)
        u_sat = clip(u, -u_sup[:, None], u_sup[:, None])
        self.pi.update(scaled, u, u_sat)
        limited = np.any(np.logical_and(u > u_sat, ref > 0.0), axis=1)
        self.torque_saturation = np.where(limited, np.sign(sig.get("torque_ref", np.zeros_like(u_sup))), 0.0)
        sig["u_cmd"] = u_sat
