r"""Brushless DC motor: three-phase permanent-magnet motor with trapezoidal back-EMF, in phase variables.

A trapezoidal back-EMF is not decoupled by the dq transform (its harmonics turn up as angle-dependent
terms in every frame), so the model stays in the phases. The winding is star-connected with a
floating star point: ``i_a + i_b + i_c = 0``, and the ODE states are ``i_a, i_b`` and the
electrical angle ``ε``.

**Model** (``ω_el = p omega``, ``k = 0, 1, 2`` for ``a, b, c``)::

    ε_k    = ε - k 2π/3
    e_k    = ω_el psi_p E(ε_k)                      back-EMF (V)
    u_n    = (u_a + u_b + u_c - e_a - e_b - e_c) / 3       star-point voltage (Σ i = 0, Σ di/dt = 0)
    l_s di_k/dt = u_k - u_n - r_s i_k - e_k         k = a, b;   i_c = -i_a - i_b
    dε/dt  = ω_el
    T      = (Σ e_k i_k) / omega = p psi_p Σ E(ε_k) i_k

``E`` is the unit trapezoid in phase with ``-sin``: 0 at ``θ = 0``, falling linearly to -1 at
``θ = 30°``, flat at -1 for 120° (``30°…150°``), rising through 0 at 180° to +1 at 210°, flat at +1
up to 330°::

    E(θ) = -min(max(3 (1 - (2/π) |wrap(θ - π/2)|), -1), 1)

With a sinusoidal ``-sin`` in place of ``E`` this is the PMSM of :mod:`gem.physical_systems.synchronous`
(phase ``a`` carries the flux ``psi_p cos ε``): ``ε`` is the same rotor angle, 0 where the magnet's
north pole faces phase ``a``.

``l_s = L - M`` is the phase's self inductance less the mutual inductance to another phase (the
inductance a phase shows when the currents sum to zero); a surface-magnet BLDC has no saliency.

**Hall signals.** Three sensors 120° apart, each high for 180° electrical: ``hall_k = 1`` where
``E(ε_k - π/6) > 0``, i.e. ``hall_a = 1`` for ``ε`` in ``[-150°, 30°)``. Their edges are the commutation
instants of 120° block commutation: with ``c_k = hall_k - hall_{k+1}`` (``c_c = hall_c - hall_a``),
the phase with ``c_k = +1`` is on its positive flat top, ``c_k = -1`` on its negative one, and
``c_k = 0`` marks the phase on its slope (:func:`block_pattern`). Turning forwards, the Hall states
``(hall_a, hall_b, hall_c)`` run through ``101, 100, 110, 010, 011, 001``.

**Torque-equivalent current.** ``i_eq = T / (2 p psi_p) = ½ Σ E(ε_k) i_k``: on the flat tops with
block currents ``±I`` in two phases and 0 in the third, ``i_eq = I``, the current a DC motor with
the torque constant ``k_t = 2 p psi_p`` would carry. It is the controlled current of the current
task.

**Reported states.** ``omega, torque, i_a, i_b, i_c, u_a, u_b, u_c, epsilon, u_sup, hall_a, hall_b,
hall_c, i_eq``. ``u_a, u_b, u_c`` are the period-averaged leg voltages (to the DC-link midpoint, as
for the PMSM), normalised by ``u_sup/2``. ``"i"`` in ``limit_values``/``nominal_values`` applies to
every current (and ``i_eq``). Torque ripple at commutation is part of the model: the current of the
outgoing phase decays and the incoming one rises in finite time through ``l_s``, while the torque
follows ``Σ E i``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from gem.physical_systems.drive_system import wrap_angle
from gem.physical_systems.motor import Column, Columns, Motor, check_pole_pairs, voltage_ratings

_RPM = np.pi / 30.0
_THIRD_TURN = 2.0 * np.pi / 3.0
_CURRENTS = ("i_a", "i_b", "i_c")
_VOLTAGES = ("u_a", "u_b", "u_c")
_HALLS = ("hall_a", "hall_b", "hall_c")


def trapezoid(theta: Column) -> Column:
    """Unit back-EMF shape ``E(θ)``: trapezoid in phase with ``-sin θ``, flat at ±1 for 120° (module docstring)."""
    rising = 3.0 * (1.0 - (2.0 / np.pi) * np.abs(wrap_angle(theta - 0.5 * np.pi)))
    return -np.minimum(np.maximum(rising, -1.0), 1.0)


def emf_shapes(epsilon: Column) -> tuple[Column, Column, Column]:
    """``E(ε_a), E(ε_b), E(ε_c)`` with ``ε_k = ε - k 2π/3``."""
    return trapezoid(epsilon), trapezoid(epsilon - _THIRD_TURN), trapezoid(epsilon + _THIRD_TURN)


def hall_signals(epsilon: Column) -> tuple[Column, Column, Column]:
    """``hall_a, hall_b, hall_c`` in {0, 1}: ``hall_k = 1`` where ``E(ε_k - π/6) > 0``."""
    s_a, s_b, s_c = emf_shapes(epsilon - np.pi / 6.0)
    return np.where(s_a > 0.0, 1.0, 0.0), np.where(s_b > 0.0, 1.0, 0.0), np.where(s_c > 0.0, 1.0, 0.0)


def block_pattern(hall_a, hall_b, hall_c):
    """120° block pattern ``(c_a, c_b, c_c)`` in {-1, 0, 1} from the Hall signals: ``c_k = hall_k - hall_{k+1}``.

    ``c_k`` is the sign of phase ``k``'s back-EMF flat top in the present 60° sector (0: the phase on
    its slope, which carries no current in block commutation).
    """
    return hall_a - hall_b, hall_b - hall_c, hall_c - hall_a


@dataclass(frozen=True, kw_only=True)
class BLDC(Motor):
    r"""Brushless DC motor with trapezoidal back-EMF (equations, conventions: the module docstring).

    ========== ============ ======= ==============================================================
    parameter  default      unit    meaning
    ========== ============ ======= ==============================================================
    p          4            1       pole-pair number (integer)
    r_s        0.02         Ω       phase (stator) resistance
    l_s        2.45e-3      H       phase inductance ``L - M`` (mean of the source's L_d, L_q)
    psi_p      0.2205       Wb      permanent-magnet flux linkage: flat-top back-EMF ``ω_el psi_p``
    j_rotor    0.0027       kg m²   rotor inertia
    ========== ============ ======= ==============================================================

    Source: the defaults of the MathWorks Motor Control Blockset "BLDC" block (documentation page
    ``mcb/ref/bldc.html``, "BLDC Configuration"): ``P = 4`` pole pairs, ``R_s = 0.02 Ω``,
    ``λ = 0.2205 Wb``, ``J = 0.0027 kg m²``. That block is slightly salient (``L_d = 1.7 mH``,
    ``L_q = 3.2 mH``); this model has no saliency and takes their mean, 2.45 mH. Its friction
    (``F = 4.924e-4 N·m·s``) belongs to the load here. The ratings below are gem's choice for a
    300 V DC link (the source gives none): nominal ω 104.72 rad/s (1000 rpm; line-to-line
    back-EMF 185 V), i 20 A (T = ``2 p psi_p i`` = 35.28 N·m); limits ω 157.08 rad/s (1500 rpm),
    i 30 A, T 52.92 N·m. Torque constant ``k_t = 2 p psi_p`` = 1.764 N·m/A.
    """

    p: int = 4
    r_s: float = 0.02
    l_s: float = 2.45e-3
    psi_p: float = 0.2205
    j_rotor: float = 0.0027

    ode_names: ClassVar = ("i_a", "i_b", "epsilon")
    current_names: ClassVar = _CURRENTS
    voltage_names: ClassVar = _VOLTAGES
    input_names: ClassVar = ("u_a", "u_b", "u_c")
    extra_names: ClassVar = (*_HALLS, "i_eq")
    controlled_currents: ClassVar = ("i_eq",)
    nonnegative_states: ClassVar = _HALLS
    has_angle: ClassVar[bool] = True
    pole_pairs_param: ClassVar[str | None] = "p"
    positive_params: ClassVar = ("p", "r_s", "l_s", "psi_p", "j_rotor")
    rating_aliases: ClassVar = {"i": (*_CURRENTS, "i_eq")}
    torque_limit_current: ClassVar[str | None] = "limit"
    default_nominal: ClassVar = {"omega": 1000 * _RPM, "torque": 35.28, "i": 20.0,
                                 **dict.fromkeys((*_CURRENTS, "i_eq"), 20.0), **dict.fromkeys(_HALLS, 1.0),
                                 **voltage_ratings(300.0, _VOLTAGES)}
    default_limits: ClassVar = {"omega": 1500 * _RPM, "torque": 52.92, "i": 30.0,
                                **dict.fromkeys((*_CURRENTS, "i_eq"), 30.0), **dict.fromkeys(_HALLS, 1.0),
                                **voltage_ratings(300.0, _VOLTAGES)}

    def __post_init__(self) -> None:
        """Validates the parameters; ``p`` must be an integer."""
        super().__post_init__()
        check_pole_pairs(self)

    def derivative(self, x: Columns, u: Columns, omega: Column) -> tuple[Column, ...]:
        """``(di_a, di_b, dε)/dt`` from the held leg voltages (star point floating)."""
        i_a, i_b, eps = x[0], x[1], x[2]
        omega_el = self.p * omega
        s_a, s_b, s_c = emf_shapes(eps)
        e_a, e_b, e_c = omega_el * self.psi_p * s_a, omega_el * self.psi_p * s_b, omega_el * self.psi_p * s_c
        u_n = (u[0] + u[1] + u[2] - e_a - e_b - e_c) / 3.0
        di_a = (u[0] - u_n - self.r_s * i_a - e_a) / self.l_s
        di_b = (u[1] - u_n - self.r_s * i_b - e_b) / self.l_s
        return di_a, di_b, omega_el

    def torque(self, x: Columns) -> Column:
        """``T = p psi_p Σ E(ε_k) i_k``."""
        s_a, s_b, s_c = emf_shapes(x[2])
        return self.p * self.psi_p * (s_a * x[0] + s_b * x[1] - s_c * (x[0] + x[1]))

    def currents(self, x: Columns) -> tuple[Column, ...]:
        """``i_a, i_b, i_c = -i_a - i_b``."""
        return x[0], x[1], -x[0] - x[1]

    def terminal_currents(self, x: Columns) -> tuple[Column, ...]:
        """The phase currents (the bridge's legs ``a, b, c``)."""
        return x[0], x[1], -x[0] - x[1]

    def extras(self, x: Columns) -> tuple[Column, ...]:
        """``hall_a, hall_b, hall_c`` and ``i_eq = ½ Σ E(ε_k) i_k``."""
        h_a, h_b, h_c = hall_signals(x[2])
        s_a, s_b, s_c = emf_shapes(x[2])
        return h_a, h_b, h_c, 0.5 * (s_a * x[0] + s_b * x[1] - s_c * (x[0] + x[1]))

    def max_torque(self, ratings: Mapping[str, float]) -> float | np.ndarray:
        """Flat-top torque ``2 p psi_p i`` at the current ``ratings["i"]``."""
        return 2.0 * self.p * self.psi_p * ratings["i"]
