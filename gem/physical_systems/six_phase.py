r"""Six-phase (asymmetric 2 × 3-phase) permanent-magnet synchronous motor on two B6 bridges.

**Winding and vector-space decomposition (VSD).** Two three-phase sets with isolated star points,
set 1 ``a1, b1, c1`` on the axes 0°, 120°, 240° and set 2 ``a2, b2, c2`` on 30°, 150°, 270°
(electrical). The amplitude-invariant VSD (GEM's) maps the six phase quantities ``v_k`` to the
torque-producing ``αβ`` plane and the loss-only ``xy`` plane::

    α = 1/3 Σ cos θ_k v_k      β = 1/3 Σ sin θ_k v_k      x = 1/3 Σ cos 5θ_k v_k      y = 1/3 Σ sin 5θ_k v_k
    v_k = cos θ_k α + sin θ_k β + cos 5θ_k x + sin 5θ_k y        (inverse, zero sequence of each set 0)

then ``dq = Q(-ε) αβ`` (rotor frame) and ``xy' = Q(ε) xy`` (turning the other way). Each set's
common mode drops out (its star point floats).

**Model** (``ω_el = p omega``)::

    l_d di_sd/dt = u_sd - r_s i_sd + ω_el l_q i_sq
    l_q di_sq/dt = u_sq - r_s i_sq - ω_el (l_d i_sd + psi_PM)
    l_x di_sx/dt = u_sx - r_s i_sx - ω_el l_y i_sy
    l_y di_sy/dt = u_sy - r_s i_sy + ω_el l_x i_sx
    dε/dt        = ω_el
    T            = 3 p (psi_PM + (l_d - l_q) i_sd) i_sq

Six phases in the 1/3-scaled VSD carry the power ``Σ u_k i_k = 3 (u_α i_α + u_β i_β + u_x i_x +
u_y i_y)``, so the torque factor is ``3 p`` (a three-phase machine's is 1.5 p). **GEM 3.0.3 is wrong
here**: its torque is ``1.5 p (...)`` (half) and its rotational voltages use the mechanical
``omega`` instead of ``p omega`` (a back-EMF 5× too small with the defaults).

Conventions as for the PMSM (:mod:`gem.physical_systems.synchronous`): the leg voltages are held
over a period and transformed at the current angle; ``u_sd, u_sq, u_sx, u_sy`` are reported as
their period average in their turning frames, the leg voltages as applied. Phase voltages are
normalised by ``u_sup/2``, the VSD voltages by ``2/3 u_sup`` (the largest vector both bridges
together produce). ``"i"`` in ``limit_values``/``nominal_values`` applies to every current.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from gem.physical_systems.drive_system import wrap_angle
from gem.physical_systems.modulation import b6_actions
from gem.physical_systems.motor import Column, Columns, Motor, check_pole_pairs, voltage_ratings
from gem.physical_systems.synchronous import dq_torque, mtpa_currents
from gem.physical_systems.transforms import clarke, frame_average, inverse_park, park

_RPM = np.pi / 30.0
_S3 = float(np.sqrt(3.0)) / 2.0
_PHASE_CURRENTS = ("i_a1", "i_b1", "i_c1", "i_a2", "i_b2", "i_c2")
_CURRENTS = (*_PHASE_CURRENTS, "i_sd", "i_sq", "i_sx", "i_sy")
_VOLTAGES = ("u_a1", "u_b1", "u_c1", "u_a2", "u_b2", "u_c2", "u_sd", "u_sq", "u_sx", "u_sy")
COS1 = (1.0, -0.5, -0.5, _S3, -_S3, 0.0)
"""``cos θ_k`` of the phases ``a1, b1, c1, a2, b2, c2`` (θ = 0°, 120°, 240°, 30°, 150°, 270°)."""
SIN1 = (0.0, _S3, -_S3, 0.5, 0.5, -1.0)
"""``sin θ_k``."""
COS5 = (1.0, -0.5, -0.5, -_S3, _S3, 0.0)
"""``cos 5θ_k``."""
SIN5 = (0.0, -_S3, _S3, 0.5, 0.5, -1.0)
"""``sin 5θ_k``."""


def vsd(v1, v2, v3, v4, v5, v6):
    """Column form of the VSD: ``(α, β, x, y)`` from the phase quantities ``a1, b1, c1, a2, b2, c2``."""
    third = 1.0 / 3.0
    return ((COS1[0] * v1 + COS1[1] * v2 + COS1[2] * v3 + COS1[3] * v4 + COS1[4] * v5 + COS1[5] * v6) * third,
            (SIN1[0] * v1 + SIN1[1] * v2 + SIN1[2] * v3 + SIN1[3] * v4 + SIN1[4] * v5 + SIN1[5] * v6) * third,
            (COS5[0] * v1 + COS5[1] * v2 + COS5[2] * v3 + COS5[3] * v4 + COS5[4] * v5 + COS5[5] * v6) * third,
            (SIN5[0] * v1 + SIN5[1] * v2 + SIN5[2] * v3 + SIN5[3] * v4 + SIN5[4] * v5 + SIN5[5] * v6) * third)


def inverse_vsd(alpha, beta, x, y):
    """Column form of the inverse VSD: the six phase quantities (zero sequence of each set 0)."""
    return (COS1[0] * alpha + SIN1[0] * beta + COS5[0] * x + SIN5[0] * y,
            COS1[1] * alpha + SIN1[1] * beta + COS5[1] * x + SIN5[1] * y,
            COS1[2] * alpha + SIN1[2] * beta + COS5[2] * x + SIN5[2] * y,
            COS1[3] * alpha + SIN1[3] * beta + COS5[3] * x + SIN5[3] * y,
            COS1[4] * alpha + SIN1[4] * beta + COS5[4] * x + SIN5[4] * y,
            COS1[5] * alpha + SIN1[5] * beta + COS5[5] * x + SIN5[5] * y)


def six_phase_currents(i_sd, i_sq, i_sx, i_sy, epsilon):
    """The six phase currents from the rotor-frame ``dq`` and counter-rotating ``xy`` currents."""
    i_alpha, i_beta = inverse_park(i_sd, i_sq, epsilon)
    i_x, i_y = inverse_park(i_sx, i_sy, -epsilon)
    return inverse_vsd(i_alpha, i_beta, i_x, i_y)


@dataclass(frozen=True, kw_only=True)
class SIXPMSM(Motor):
    r"""Six-phase PMSM (equations: the module docstring; GEM 3.0.3 defaults).

    ========== ============ ======= ================================
    parameter  default      unit    meaning
    ========== ============ ======= ================================
    p          5            1       pole-pair number (integer)
    l_d        125e-6       H       d-axis inductance
    l_q        126e-6       H       q-axis inductance
    l_x        39e-6        H       x-axis inductance
    l_y        35e-6        H       y-axis inductance
    r_s        64.3e-3      Ω       stator resistance (per phase)
    psi_PM     4.7e-3       Wb      permanent-magnet flux linkage
    j_rotor    0.011        kg m²   rotor inertia
    ========== ============ ======= ================================

    Defaults from Broghammer et al., EDPC 2023 (DOI 10.1109/EDPC60603.2023.10372153), as GEM 3.0.3.
    States: ``omega, torque, i_a1, i_b1, i_c1, i_a2, i_b2, i_c2, i_sd, i_sq, i_sx, i_sy, u_a1, u_b1,
    u_c1, u_a2, u_b2, u_c2, u_sd, u_sq, u_sx, u_sy, epsilon, u_sup``; ODE states ``i_sd, i_sq, i_sx,
    i_sy, epsilon``. Inputs: bridge 1 ``u_a1, u_b1, u_c1``, then bridge 2 ``u_a2, u_b2, u_c2``.
    Nominal: ω 314.16 rad/s (3000 rpm), i 240 A, T 16.9 N·m. Limits: ω 418.88 rad/s (4000 rpm),
    i 400 A, T 16.9 N·m (MTPA torque at the nominal current; GEM fixes 10 N·m).
    """

    p: int = 5
    l_d: float = 125e-6
    l_q: float = 126e-6
    l_x: float = 39e-6
    l_y: float = 35e-6
    r_s: float = 64.3e-3
    psi_PM: float = 4.7e-3  # noqa: N815 - GEM's parameter name
    j_rotor: float = 0.011

    ode_names: ClassVar = ("i_sd", "i_sq", "i_sx", "i_sy", "epsilon")
    current_names: ClassVar = _CURRENTS
    voltage_names: ClassVar = _VOLTAGES
    input_names: ClassVar = ("u_a1", "u_b1", "u_c1", "u_a2", "u_b2", "u_c2")
    controlled_currents: ClassVar = ("i_sd", "i_sq", "i_sx", "i_sy")
    dq_action_names: ClassVar = ("u_sd", "u_sq", "u_sx", "u_sy")
    has_angle: ClassVar[bool] = True
    pole_pairs_param: ClassVar[str | None] = "p"
    positive_params: ClassVar = ("p", "l_d", "l_q", "l_x", "l_y", "r_s", "j_rotor")
    nonnegative_params: ClassVar = ("psi_PM",)
    rating_aliases: ClassVar = {"i": _CURRENTS}
    torque_limit_current: ClassVar[str | None] = "nominal"
    default_nominal: ClassVar = {"omega": 3000 * _RPM, "torque": 16.9, "i": 240.0, **dict.fromkeys(_CURRENTS, 240.0),
                                 **voltage_ratings(300.0, _VOLTAGES)}
    default_limits: ClassVar = {"omega": 4000 * _RPM, "torque": 16.9, "i": 400.0, **dict.fromkeys(_CURRENTS, 400.0),
                                **voltage_ratings(300.0, _VOLTAGES)}

    def __post_init__(self) -> None:
        """Validates the parameters; ``p`` must be an integer."""
        super().__post_init__()
        check_pole_pairs(self)

    def derivative(self, x: Columns, u: Columns, omega: Column) -> tuple[Column, ...]:
        """``(di_sd, di_sq, di_sx, di_sy, dε)/dt`` from the six held leg voltages."""
        i_sd, i_sq, i_sx, i_sy, eps = x[0], x[1], x[2], x[3], x[4]
        u_alpha, u_beta, u_x, u_y = vsd(u[0], u[1], u[2], u[3], u[4], u[5])
        u_sd, u_sq = park(u_alpha, u_beta, eps)
        u_sx, u_sy = park(u_x, u_y, -eps)
        omega_el = self.p * omega
        di_sd = (u_sd - self.r_s * i_sd + omega_el * self.l_q * i_sq) / self.l_d
        di_sq = (u_sq - self.r_s * i_sq - omega_el * (self.l_d * i_sd + self.psi_PM)) / self.l_q
        di_sx = (u_sx - self.r_s * i_sx - omega_el * self.l_y * i_sy) / self.l_x
        di_sy = (u_sy - self.r_s * i_sy + omega_el * self.l_x * i_sx) / self.l_y
        return di_sd, di_sq, di_sx, di_sy, omega_el

    def dq_action(self, a: Columns, x: Columns, omega: Column, advance: float, u_sup: Column) -> tuple[Column, ...]:
        """Actions of both bridges for ``(u_sd, u_sq, u_sx, u_sy) / (2/3 u_sup)`` at the mid-period angle.

        The rotor-frame voltages are turned into the six phase voltages (inverse VSD) and each bridge
        modulates its set (:func:`~gem.physical_systems.modulation.b6_actions`: min-max zero sequence,
        shortened to its hexagon).
        """
        scale = (2.0 / 3.0) * u_sup
        angle = x[4] + advance * self.p * omega
        u_sd, u_sq = np.minimum(np.maximum(a[0], -1.0), 1.0) * scale, np.minimum(np.maximum(a[1], -1.0), 1.0) * scale
        u_sx, u_sy = np.minimum(np.maximum(a[2], -1.0), 1.0) * scale, np.minimum(np.maximum(a[3], -1.0), 1.0) * scale
        u_alpha, u_beta = inverse_park(u_sd, u_sq, angle)
        u_x, u_y = inverse_park(u_sx, u_sy, -angle)
        v1, v2, v3, v4, v5, v6 = inverse_vsd(u_alpha, u_beta, u_x, u_y)
        s1_alpha, s1_beta = clarke(v1, v2, v3)
        s2_alpha, s2_beta = clarke(v4, v5, v6)                 # in set 2's own axes
        b1 = b6_actions(s1_alpha, s1_beta, u_sup)
        b2 = b6_actions(s2_alpha, s2_beta, u_sup)
        return b1[0], b1[1], b1[2], b2[0], b2[1], b2[2]

    def torque(self, x: Columns) -> Column:
        """T = 3 p (psi_PM + (l_d - l_q) i_sd) i_sq."""
        return 3.0 * self.p * (self.psi_PM + (self.l_d - self.l_q) * x[0]) * x[1]

    def currents(self, x: Columns) -> tuple[Column, ...]:
        """The six phase currents, then ``i_sd, i_sq, i_sx, i_sy``."""
        return (*six_phase_currents(x[0], x[1], x[2], x[3], x[4]), x[0], x[1], x[2], x[3])

    def terminal_currents(self, x: Columns) -> tuple[Column, ...]:
        """The six phase currents (bridge 1, then bridge 2)."""
        return six_phase_currents(x[0], x[1], x[2], x[3], x[4])

    def voltages(self, u: Columns, x_start: Columns, x_end: Columns, tau: float) -> tuple[Column, ...]:
        """Leg voltages as applied; ``u_sd, u_sq`` and ``u_sx, u_sy`` averaged in their turning frames."""
        eps0 = x_start[4]
        d_eps = wrap_angle(x_end[4] - eps0)
        u_alpha, u_beta, u_x, u_y = vsd(u[0], u[1], u[2], u[3], u[4], u[5])
        u_sd, u_sq = frame_average(u_alpha, u_beta, eps0, d_eps)
        u_sx, u_sy = frame_average(u_x, u_y, -eps0, -d_eps)
        return u[0], u[1], u[2], u[3], u[4], u[5], u_sd, u_sq, u_sx, u_sy

    def voltage_limits(self, u_max: np.ndarray) -> dict[str, np.ndarray]:
        """Leg voltages by their range ``u_sup/2``; the VSD voltages by ``4/3`` of it (``2/3 u_sup``)."""
        out = {name: u_max[:, k] for k, name in enumerate(_VOLTAGES[:6])}
        u_vec = (4.0 / 3.0) * np.max(u_max, axis=1)
        out.update(dict.fromkeys(_VOLTAGES[6:], u_vec))
        return out

    def max_torque(self, ratings: Mapping[str, float]) -> float | np.ndarray:
        """MTPA torque ``3 p (psi_PM + (l_d - l_q) i_sd) i_sq`` at the current amplitude ``ratings["i"]``."""
        return 2.0 * dq_torque(*mtpa_currents(ratings["i"], self.l_d, self.l_q, self.psi_PM),
                               self.p, self.l_d, self.l_q, self.psi_PM)
