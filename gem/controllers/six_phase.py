r"""Current control of the six-phase PMSM: four loops (d, q in the rotor frame; x, y turning the other way).

Model (:mod:`gem.physical_systems.six_phase`, ``ω_el = p omega``)::

    l_d di_sd/dt = u_sd - r_s i_sd + ω_el l_q i_sq          l_x di_sx/dt = u_sx - r_s i_sx - ω_el l_y i_sy
    l_q di_sq/dt = u_sq - r_s i_sq - ω_el (l_d i_sd + psi_PM) l_y di_sy/dt = u_sy - r_s i_sy + ω_el l_x i_sx

Four R-L loops with the rotational terms fed forward. x and y produce no torque: the torque and
speed tasks hold them at 0. The reference vector ``(i_sd, i_sq, i_sx, i_sy)`` is shortened to the
current limit's circle (with its margin): four references within their ranges can together exceed it.

**Voltage limitation.** Each bridge's three-phase voltage vector is the ``αβ`` vector plus the
(mirrored) ``xy`` vector, so ``|u_dq| + |u_xy| <= u_sup / √3`` keeps both within their inscribed
circles (linear modulation with min-max zero sequence per bridge). The x-y voltage is shortened to
half of that radius at most, the d-q voltage gets the rest, with the steady-state priority of
:func:`~gem.controllers.foc.limit_to_circle`. The commands are divided by ``sinc(Δε/2)`` and turned at
the mid-period angle, as for the PMSM.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gem.controllers.foc import hold_in_frame, limit_to_circle
from gem.controllers.operating_point import SQRT3
from gem.controllers.pi import PIController
from gem.controllers.signals import Signals
from gem.controllers.tuning import PIGains
from gem.physical_systems.six_phase import inverse_vsd, vsd
from gem.physical_systems.transforms import inverse_park, park

CURRENTS = ("i_sd", "i_sq", "i_sx", "i_sy")


class SixPhaseCurrentController:
    """d, q, x, y current loops of the six-phase PMSM on two B6 bridges (module docstring).

    Args:
        motor: The six-phase PMSM.
        gains: Gains with columns ``(d, q, x, y)``.
        tau: Control period (s).
        i_max: Largest amplitude of the current vector ``(i_sd, i_sq, i_sx, i_sy)`` in A: longer
            references are shortened to it (four references each within ± nominal/limit can reach
            1.2 × the limit together).
        anti_windup: See :class:`~gem.controllers.pi.PIController`.
        residual: The switching modulator's withheld voltage (``(batch, 6)``), or ``None``.
        band: Integration bands in A, or ``None``.
    """

    def __init__(self, motor: Any, gains: PIGains, tau: float, i_max: Any, anti_windup: str = "clamping",
                 residual: Any = None, band: Any = None):
        self.motor, self.gains, self.tau, self.residual = motor, gains, tau, residual
        self.i_max = np.asarray(i_max, float)
        self.pi = PIController(gains.kp, gains.ki, tau, anti_windup=anti_windup,
                               band=None if band is None else np.reshape(band, (-1, 1)))
        self.torque_saturation: np.ndarray | None = None

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Clears the integrators where ``mask`` is true (all if ``None``)."""
        self.pi.reset(mask)

    def __call__(self, sig: Signals) -> None:
        """Sets ``u_cmd`` (six leg voltages, V) and ``u_frame_cmd`` (``u_sd, u_sq, u_sx, u_sy`` to hold)."""
        m = self.motor
        eps, u_sup = sig["epsilon"], sig["u_sup"]
        omega_el = m.p * sig["omega"]
        i = np.stack([sig[n] for n in CURRENTS], axis=1)
        withheld = None if self.residual is None else self.residual(eps.shape[0])
        if withheld is not None:
            alpha, beta, x, y = vsd(*withheld.T)
            flux = np.stack([*park(alpha, beta, eps), *park(x, y, -eps)], axis=1) * (u_sup * self.tau)[:, None]
            i = i + flux / np.stack(np.broadcast_arrays(m.l_d, m.l_q, m.l_x, m.l_y), axis=-1)
        ref = np.stack([sig.get(f"{n}_ref", np.zeros_like(eps)) for n in CURRENTS], axis=1)
        length = np.sqrt(np.sum(ref**2, axis=1))
        ref = ref * np.minimum(1.0, self.i_max / np.maximum(length, 1e-12))[:, None]
        err = ref - i
        ff = np.stack([-omega_el * m.l_q * i[:, 1], omega_el * (m.l_d * i[:, 0] + m.psi_PM),
                       omega_el * m.l_y * i[:, 3], -omega_el * m.l_x * i[:, 2]], axis=1)
        u = self.pi.output(err, ff)
        steady = u - self.pi.kp * err
        radius = u_sup / SQRT3
        u_xy = limit_to_circle(u[:, 2:], steady[:, 2:], 0.5 * radius)
        u_dq = limit_to_circle(u[:, :2], steady[:, :2], radius - np.hypot(u_xy[:, 0], u_xy[:, 1]))
        u_sat = np.concatenate([u_dq, u_xy], axis=1)
        self.pi.update(err, u, u_sat)
        limited = np.sum((u[:, :2] - u_dq) ** 2, axis=1) > 1e-12 * np.sum(u[:, :2] ** 2, axis=1)
        self.torque_saturation = np.where(limited, np.sign(err[:, 1]), 0.0)
        half_turn = 0.5 * omega_el * self.tau
        dq_hold, angle = hold_in_frame(u_dq, eps, half_turn)
        xy_hold, _ = hold_in_frame(u_xy, -eps, -half_turn)
        legs = np.stack(inverse_vsd(*inverse_park(dq_hold[:, 0], dq_hold[:, 1], angle),
                                    *inverse_park(xy_hold[:, 0], xy_hold[:, 1], -angle)), axis=1)
        for bridge in (slice(0, 3), slice(3, 6)):             # min-max zero sequence per bridge
            legs[:, bridge] -= 0.5 * (legs[:, bridge].max(axis=1) + legs[:, bridge].min(axis=1))[:, None]
        sig["u_cmd"] = legs
        sig["u_frame_cmd"] = np.concatenate([dq_hold, xy_hold], axis=1)
