r"""Field-oriented control of the externally excited synchronous motor: dq loops, a field-current loop, decoupling.

The d axis and the field winding are magnetically coupled (:mod:`gem.physical_systems.eesm`)::

    l_d di_sd/dt + l_m di_e/dt       = u_sd - r_s i_sd + ω_el l_q i_sq
    1.5 l_m di_sd/dt + l_e di_e/dt   = u_e - r_e i_e

Three PI loops are tuned as R-L circuits (``σ l_d, r_s``; ``l_q, r_s``; ``l_e, r_e``): the d and
field loops ask for ``l_d di_sd/dt = v_d - r_s i_sd`` and ``l_e di_e/dt = v_e - r_e i_e``. The
voltages that produce exactly these rates in the coupled windings add each other's rate
(**decoupling**)::

    u_sd = v_d + (l_m / l_e) (v_e - r_e i_e) - ω_el l_q i_sq
    u_e  = v_e + 1.5 (l_m / l_d) (v_d - r_s i_sd)
    u_sq = v_q + ω_el (l_d i_sd + l_m i_e)

(the field's share in ``u_sd`` uses ``v_e`` limited to the field converter's range). While the field
voltage saturates (the field loop is slow: ``l_e / r_e = 56 ms`` and little voltage to spare) the d
axis sees the field as a short circuit, an inductance ``σ l_d``; the d loop is tuned for that worst
case (``σ = 1 - 1.5 l_m² / (l_d l_e)``), which leaves it ``1/σ`` slower than the technical optimum
where the decoupling holds. The stator
voltage is limited like the PMSM's (:class:`~gem.controllers.foc.DqCurrentController`), the field
voltage to ``± u_sup``.

**Torque → currents** (:class:`EesmOperatingPoint`): the field current is the set-point
``i_e* = min(i_e,nom, 0.8 u_sup / r_e)`` (80 % of the field converter's voltage holds it, the rest
moves it), lowered by field weakening to ``k_fw (u_sup/√3) / (|ω_el| l_m)``; ``i_sd = 0``; ``i_sq``
from ``T = 1.5 p (l_m i_e + (l_d - l_q) i_sd) i_sq`` with the *measured* field current.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gem.controllers.foc import DqCurrentController, SynchronousPlant
from gem.controllers.operating_point import SQRT3
from gem.controllers.pi import PIController, clip
from gem.controllers.signals import Signals
from gem.controllers.tuning import PIGains

FIELD_SHARE = 0.8
"""Share of the field converter's voltage that holds the field current set-point."""


class EesmPlant(SynchronousPlant):
    """The EESM's rotor-frame plant: the PMSM's with the field flux ``l_m i_e`` and the field's share in ``u_sd``."""

    def __init__(self, motor: Any):
        super().__init__(motor)
        self.l_m = motor.l_m
        self.coupling: np.ndarray | float = 0.0
        """``(l_m / l_e)(v_e - r_e i_e)``, set by :class:`EesmCurrentController` each step (V)."""

    def feedforward(self, sig: Signals, i_sd: np.ndarray, i_sq: np.ndarray, omega_frame: np.ndarray) -> np.ndarray:
        """Rotational terms with the field flux, plus the field's share on the d axis (V)."""
        return np.stack([-omega_frame * self.l_q * i_sq + self.coupling,
                         omega_frame * (self.l_d * i_sd + self.l_m * sig["i_e"])], axis=1)


class EesmCurrentController:
    """d, q and field current loops with decoupling (module docstring).

    Args:
        motor: The EESM.
        gains: Gains with columns ``(d, q, field)``.
        tau: Control period (s).
        voltage_limit: Stator voltage limit, see :class:`~gem.controllers.foc.DqCurrentController`.
        anti_windup: See :class:`~gem.controllers.pi.PIController`.
        residual: The switching modulator's withheld voltage (``(batch, 4)``), or ``None``.
        band: Integration band of the d and q loops in A (per environment), or ``None``.
        field_band: Integration band of the field loop in A, or ``None``.
        i_max: Largest stator current amplitude in A (longer references are shortened), or ``None``.
    """

    def __init__(self, motor: Any, gains: PIGains, tau: float, voltage_limit: str = "circle",
                 anti_windup: str = "clamping", residual: Any = None, band: Any = None, field_band: Any = None,
                 i_max: Any = None):
        self.motor, self.tau, self.residual = motor, tau, residual
        self.gains = gains
        self.plant = EesmPlant(motor)
        dq = PIGains(*(np.asarray(getattr(gains, k))[..., :2] for k in ("kp", "ki", "t_e")))
        self.stator = DqCurrentController(self.plant, dq, tau, n_out=4, n_frame=3, voltage_limit=voltage_limit,
                                          anti_windup=anti_windup, residual=residual, band=band, i_max=i_max)
        self.field = PIController(np.asarray(gains.kp)[..., 2:], np.asarray(gains.ki)[..., 2:], tau,
                                  anti_windup=anti_windup,
                                  band=None if field_band is None else np.reshape(field_band, (-1, 1)))

    @property
    def torque_saturation(self) -> np.ndarray | None:
        """The q loop's voltage saturation (see :class:`~gem.controllers.foc.DqCurrentController`)."""
        return self.stator.torque_saturation

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Clears the integrators where ``mask`` is true (all if ``None``)."""
        self.stator.reset(mask)
        self.field.reset(mask)

    def __call__(self, sig: Signals) -> None:
        """Sets ``u_cmd`` (three leg voltages and the field voltage, V) and ``u_frame_cmd``."""
        m, u_sup = self.motor, sig["u_sup"]
        i_e = sig["i_e"]
        withheld = None if self.residual is None else self.residual(i_e.shape[0])
        if withheld is not None:
            i_e = i_e + withheld[:, 3] * u_sup * self.tau / m.l_e
        err = (sig["i_e_ref"] - i_e)[:, None]
        v_e = self.field.output(err)[:, 0]
        self.plant.coupling = m.l_m / m.l_e * (clip(v_e, -u_sup, u_sup) - m.r_e * i_e)
        self.stator(sig)
        v_d = self.stator.last_pi[:, 0]
        u_e = v_e + 1.5 * m.l_m / m.l_d * (v_d - m.r_s * self.stator.last_currents[:, 0])
        u_e_sat = clip(u_e, -u_sup, u_sup)
        self.field.update(err, u_e[:, None], u_e_sat[:, None])
        sig["u_cmd"][:, 3] = u_e_sat
        sig["u_frame_cmd"][:, 2] = u_e_sat


class EesmOperatingPoint:
    """Torque → ``i_sd, i_sq, i_e`` with a field-current set-point and field weakening (module docstring).

    Args:
        motor: The EESM.
        i_max: Largest stator current amplitude (A).
        i_e_max: Largest field current reference (A).
        k_fw: Share of the voltage limit the field flux may use.
    """

    def __init__(self, motor: Any, i_max: Any, i_e_max: Any, k_fw: float = 0.85):
        self.p, self.l_d, self.l_q, self.l_m, self.r_e = motor.p, motor.l_d, motor.l_q, motor.l_m, motor.r_e
        self.i_max, self.i_e_max, self.k_fw = np.asarray(i_max, float), np.asarray(i_e_max, float), k_fw

    def field_current(self, sig: Signals) -> np.ndarray:
        """The field current set-point with field weakening (A)."""
        weak = self.k_fw * sig["u_sup"] / SQRT3 / (np.maximum(np.abs(self.p * sig["omega"]), 1e-9) * self.l_m)
        return np.minimum(np.minimum(self.i_e_max, FIELD_SHARE * sig["u_sup"] / self.r_e), weak)

    def current_references(self, sig: Signals, torque: np.ndarray) -> dict[str, np.ndarray]:
        """``{"i_sd": 0, "i_sq", "i_e"}`` (A) for ``torque`` (N·m) at the present speed and field current."""
        k_t = 1.5 * self.p * self.l_m * np.maximum(sig["i_e"], 1e-3 * self.i_e_max)
        i_max = np.broadcast_to(self.i_max, torque.shape)
        return {"i_sd": np.zeros_like(torque), "i_sq": clip(torque / k_t, -i_max, i_max),
                "i_e": self.field_current(sig)}

    def torque_range(self, sig: Signals) -> tuple[np.ndarray, np.ndarray]:
        """``± T`` at the largest q current with the measured field current."""
        t = 1.5 * self.p * self.l_m * np.maximum(sig["i_e"], 0.0) * self.i_max
        return -t, t
