r"""Switched reluctance motor: 8/6 (four-phase), angle-dependent phase inductance, on asymmetric half bridges.

**Geometry and angles.** Eight stator poles (four phases ``a, b, c, d``, ``p_s = 4`` stator pole
pairs) and six rotor poles (``p_r = 3`` rotor pole pairs). The electrical angle ``ε = 2 p_r θ``
(``θ`` mechanical) turns once per rotor pole pitch (60° mechanical); ``ε = 0`` where a rotor pole is
aligned with phase ``a``. Phase ``k`` (``k = 0, 1, 2, 3``) sees the angle ``ε_k = ε - k π/2`` from its
own aligned position, so with the rotor turning forwards the phases align in the order ``a, b, c, d``,
one stroke (15° mechanical, 90° electrical) apart.

**Inductance profile** (magnetically linear; mechanical angle ``φ = |wrap(ε_k)| / (2 p_r)`` from
alignment, ``α_s, α_r`` the stator and rotor pole arcs)::

    L(φ) = l_q + (l_d - l_q) · min(max(((α_s + α_r)/2 - φ) / min(α_s, α_r), 0), 1)

flat at the aligned ``l_d`` for ``φ <= |α_r - α_s|/2`` (the wider pole still covers the narrower),
falling linearly over ``min(α_s, α_r)`` to the unaligned ``l_q``, flat at ``l_q`` up to half the pole
pitch (GEM's ``SRM_feature`` branch profile).

**Flux linkage and co-energy** of phase ``k`` with current ``i >= 0`` (``saturated=False``)::

    ψ(i, ε_k)  = L(ε_k) i                       W'(i, ε_k) = ½ L(ε_k) i²

and with ``saturated=True`` the part of the inductance that the rotor pole adds saturates with the
current scale ``i_sat`` (the unaligned, air-gap dominated part stays linear)::

    ψ(i, ε_k)  = l_q i + (L(ε_k) - l_q) i_sat tanh(i / i_sat)
    W'(i, ε_k) = ½ l_q i² + (L(ε_k) - l_q) i_sat² ln cosh(i / i_sat)

which is the linear model for ``i << i_sat``.

**Model** (``ω_el = 2 p_r omega``; ``u_k`` the phase voltage of its asymmetric half bridge)::

    (∂ψ/∂i) di_k/dt = u_k - r_s i_k - ω_el ∂ψ/∂ε_k        (phase voltage: u = r_s i + dψ/dt)
    dε/dt = ω_el
    T     = Σ_k ∂W'/∂θ = 2 p_r Σ_k ∂W'(i_k, ε_k)/∂ε_k       (torque from the co-energy)

so ``T_k = ½ i_k² dL/dθ`` (linear): positive while the rotor approaches alignment (``ε_k < 0``),
negative after it.

**The current never reverses.** The bridge's diodes carry only positive current: a phase without
current stays without current under a negative voltage (its winding is open; with ``i = 0`` it has
no motional voltage either). The equations apply ``u_k`` where ``i_k > 0`` and ``max(u_k, 0)`` where
``i_k <= 0``, and every current that leaves the motor (reported, torque, converter) is
``max(i_k, 0)``. Within the period in which a current reaches zero, the integrator's state may end
slightly below zero (with RK4 at most about ``τ u_sup / (2 l_q)``); it is reported as 0, held, and
the next positive voltage first brings it back to zero (at most half a period late).

**Fixed-step accuracy.** ``dL/dε`` jumps at the profile's corners, so a control period in which a
phase crosses a corner is integrated to first order only: with RK4 and one sub-step such a period
can be off by a few per cent of the current (2.5 % of the limit at 14 A and 40 rad/s in the solve_ivp
test); ``substeps`` (or ``solver="scipy"``) shrinks it in proportion.

**Reported states.** ``omega, torque, i_a, i_b, i_c, i_d, u_a, u_b, u_c, u_d, epsilon, u_sup``;
``u_k`` are the period-averaged phase voltages (normalised by ``u_sup``). ``"i"`` and ``"u"`` in
``limit_values``/``nominal_values`` apply to every phase.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from gem.physical_systems.drive_system import wrap_angle
from gem.physical_systems.motor import Column, Columns, Motor
from gem.physical_systems.params import check_positive, validated_fields

_RPM = np.pi / 30.0
_QUARTER = 0.5 * np.pi
_CURRENTS = ("i_a", "i_b", "i_c", "i_d")
_VOLTAGES = ("u_a", "u_b", "u_c", "u_d")


def inductance(eps_k, p_r, l_d, l_q, alpha_s, alpha_r):
    """``(L, dL/dε)`` of one phase at its electrical angle ``ε_k`` from alignment (H, H/rad electrical)."""
    e = wrap_angle(eps_k)
    phi = np.abs(e) / (2.0 * p_r)
    width = np.minimum(alpha_s, alpha_r)
    share = ((alpha_s + alpha_r) * 0.5 - phi) / width
    on_slope = np.logical_and(share > 0.0, share < 1.0)
    level = l_q + (l_d - l_q) * np.minimum(np.maximum(share, 0.0), 1.0)
    slope = np.where(on_slope, -(l_d - l_q) / width / (2.0 * p_r), 0.0) * np.sign(e)
    return level, slope


def flux_terms(i, level, l_q, i_sat, saturated):
    """``(∂ψ/∂i, ∂ψ/∂L, ∂W'/∂L)`` of the flux map at the current ``i >= 0`` and the inductance ``level``.

    ``ψ`` depends on the angle only through ``L``: ``∂ψ/∂ε = ∂ψ/∂L · dL/dε`` and ``∂W'/∂ε = ∂W'/∂L · dL/dε``.
    ``saturated`` is 1.0 (saturating map) or 0.0 (linear).
    """
    x = i / i_sat
    t = np.tanh(x)
    lncosh = np.abs(x) + np.log(0.5 + 0.5 * np.exp(-2.0 * np.abs(x)))       # ln cosh x without overflow
    sat = saturated > 0.5
    d_i = np.where(sat, l_q + (level - l_q) * (1.0 - t * t), level)
    d_level = np.where(sat, i_sat * t, i)
    coenergy = np.where(sat, i_sat * i_sat * lncosh, 0.5 * i * i)
    return d_i, d_level, coenergy


def phase_rate(x_k, u_k, eps_k, omega_el, p_r, l_d, l_q, alpha_s, alpha_r, r_s, i_sat, saturated):
    """``di_k/dt`` of one phase; ``x_k`` its ODE state (a current <= 0 takes no negative voltage)."""
    i = np.maximum(x_k, 0.0)
    level, slope = inductance(eps_k, p_r, l_d, l_q, alpha_s, alpha_r)
    d_i, d_level, _ = flux_terms(i, level, l_q, i_sat, saturated)
    u = np.where(x_k > 0.0, u_k, np.maximum(u_k, 0.0))
    return (u - r_s * i - omega_el * d_level * slope) / d_i


def phase_torque(x_k, eps_k, p_r, l_d, l_q, alpha_s, alpha_r, i_sat, saturated):
    """Torque of one phase, ``2 p_r ∂W'/∂L · dL/dε_k`` (N·m)."""
    level, slope = inductance(eps_k, p_r, l_d, l_q, alpha_s, alpha_r)
    _, _, coenergy = flux_terms(np.maximum(x_k, 0.0), level, l_q, i_sat, saturated)
    return 2.0 * p_r * coenergy * slope


@dataclass(frozen=True, kw_only=True)
class SRM(Motor):
    r"""8/6 switched reluctance motor (equations, conventions: the module docstring).

    ========== ============ ======= ==============================================================
    parameter  default      unit    meaning
    ========== ============ ======= ==============================================================
    p_r        3            1       rotor pole pairs (6 rotor poles; 4 phases, 8 stator poles fixed)
    l_d        72e-3        H       aligned phase inductance
    l_q        9e-3         H       unaligned phase inductance
    alpha_s    0.34907      rad     stator pole arc (20°)
    alpha_r    0.43633      rad     rotor pole arc (25°)
    r_s        0.01         Ω       phase resistance
    j_rotor    0.057        kg m²   rotor inertia
    i_sat      4.0          A       saturation current scale (``saturated=True`` only)
    ========== ============ ======= ==============================================================

    Defaults ``p_r, l_d, l_q, alpha_s, alpha_r, r_s, j_rotor`` and the limits (11 A, 300 V, 3000 rpm)
    are those of GEM's unreleased ``SRM_feature`` branch (commit 814b002, 2020; its code, not its
    docstring, which contradicts it). ``i_sat`` is gem's illustrative choice (no published flux map
    came with that machine): the aligned flux linkage at 11 A is then 0.35 Wb instead of the linear
    0.79 Wb. Nominal values (gem's choice): ω 104.72 rad/s (1000 rpm), i 8 A. Torque limit and
    nominal torque: :meth:`max_torque` at 11 A and 8 A (14.56 and 7.70 N·m, linear).

    Option ``saturated`` (default ``False``): the saturating flux map of the module docstring.
    """

    p_r: int = 3
    l_d: float = 72e-3
    l_q: float = 9e-3
    alpha_s: float = float(np.radians(20.0))
    alpha_r: float = float(np.radians(25.0))
    r_s: float = 0.01
    j_rotor: float = 0.057
    i_sat: float = 4.0
    saturated: bool = False

    ode_names: ClassVar = (*_CURRENTS, "epsilon")
    current_names: ClassVar = _CURRENTS
    voltage_names: ClassVar = _VOLTAGES
    input_names: ClassVar = _VOLTAGES
    nonnegative_states: ClassVar = _CURRENTS
    has_angle: ClassVar[bool] = True
    pole_pairs_param: ClassVar[str | None] = "p_r"
    option_names: ClassVar = ("saturated",)
    positive_params: ClassVar = ("p_r", "l_d", "l_q", "alpha_s", "alpha_r", "r_s", "j_rotor", "i_sat")
    rating_aliases: ClassVar = {"i": _CURRENTS, "u": _VOLTAGES}
    torque_limit_current: ClassVar[str | None] = "limit"
    default_nominal: ClassVar = {"omega": 1000 * _RPM, "i": 8.0, **dict.fromkeys(_CURRENTS, 8.0), "u": 300.0,
                                 **dict.fromkeys(_VOLTAGES, 300.0), "epsilon": np.pi}
    default_limits: ClassVar = {"omega": 3000 * _RPM, "i": 11.0, **dict.fromkeys(_CURRENTS, 11.0), "u": 300.0,
                                **dict.fromkeys(_VOLTAGES, 300.0), "epsilon": np.pi}

    def __post_init__(self) -> None:
        """Validates the parameters; ``p_r`` must be an integer, ``l_d > l_q``, the pole arcs shorter than the pitch.

        These are checked first: a profile without a slope would show as a non-positive torque limit.
        """
        validated_fields(self, skip=("nominal_values", "limit_values", *self.option_names))
        check_positive("SRM", self.parameters, self.positive_params)
        if np.any(np.asarray(self.p_r) != np.round(self.p_r)):
            raise ValueError(f"SRM: parameter 'p_r' (rotor pole pairs) must be a positive integer, got {self.p_r!r}")
        if np.any(np.asarray(self.l_d) <= self.l_q):
            raise ValueError(f"SRM: the aligned inductance 'l_d' ({self.l_d!r}) must exceed the unaligned 'l_q' "
                             f"({self.l_q!r})")
        if np.any(np.asarray(self.alpha_s) + self.alpha_r >= 2.0 * np.pi / (2 * self.p_r)):
            raise ValueError(f"SRM: the pole arcs alpha_s + alpha_r ({self.alpha_s!r} + {self.alpha_r!r} rad) must be "
                             f"shorter than the rotor pole pitch 2π / (2 p_r) = {np.pi / self.p_r!r} rad")
        super().__post_init__()

    @property
    def saturation(self) -> float:
        """1.0 with the saturating flux map, else 0.0 (the number the equations read)."""
        return 1.0 if self.saturated else 0.0

    def derivative(self, x: Columns, u: Columns, omega: Column) -> tuple[Column, ...]:
        """``(di_a, di_b, di_c, di_d, dε)/dt``; a phase without current takes no negative voltage."""
        w = 2.0 * self.p_r * omega
        eps = x[4]
        par = (self.p_r, self.l_d, self.l_q, self.alpha_s, self.alpha_r, self.r_s, self.i_sat, self.saturation)
        return (phase_rate(x[0], u[0], eps, w, *par), phase_rate(x[1], u[1], eps - _QUARTER, w, *par),
                phase_rate(x[2], u[2], eps - 2.0 * _QUARTER, w, *par),
                phase_rate(x[3], u[3], eps - 3.0 * _QUARTER, w, *par), w)

    def torque(self, x: Columns) -> Column:
        """``T = 2 p_r Σ_k ∂W'/∂L · dL/dε_k`` (co-energy)."""
        eps = x[4]
        par = (self.p_r, self.l_d, self.l_q, self.alpha_s, self.alpha_r, self.i_sat, self.saturation)
        return (phase_torque(x[0], eps, *par) + phase_torque(x[1], eps - _QUARTER, *par)
                + phase_torque(x[2], eps - 2.0 * _QUARTER, *par) + phase_torque(x[3], eps - 3.0 * _QUARTER, *par))

    def currents(self, x: Columns) -> tuple[Column, ...]:
        """``max(i_k, 0)``: the bridge's diodes let no negative current through (module docstring)."""
        return np.maximum(x[0], 0.0), np.maximum(x[1], 0.0), np.maximum(x[2], 0.0), np.maximum(x[3], 0.0)

    def terminal_currents(self, x: Columns) -> tuple[Column, ...]:
        """The phase currents, as :meth:`currents`."""
        return np.maximum(x[0], 0.0), np.maximum(x[1], 0.0), np.maximum(x[2], 0.0), np.maximum(x[3], 0.0)

    def flux_linkage(self, i: np.ndarray, eps_k: np.ndarray) -> np.ndarray:
        """``ψ(i, ε_k)`` of one phase (Wb), NumPy only (for tests and plots)."""
        level, _ = inductance(eps_k, self.p_r, self.l_d, self.l_q, self.alpha_s, self.alpha_r)
        if not self.saturated:
            return level * i
        return self.l_q * i + (level - self.l_q) * self.i_sat * np.tanh(i / self.i_sat)

    def voltage_limits(self, u_max: np.ndarray) -> dict[str, np.ndarray]:
        """Each phase voltage by the bridge's ``u_sup``."""
        return dict(zip(self.voltage_names, u_max.T, strict=True))

    def max_torque(self, ratings: Mapping[str, float]) -> float | np.ndarray:
        """Mean torque over a stroke with the current ``ratings["i"]`` in every phase on its rising slope (N·m).

        Each phase gives ``∂W'/∂L · (l_d - l_q) / min(α_s, α_r)`` over its slope, and the slopes cover
        ``min(α_s, α_r) / stroke`` phases on average (stroke ``π / (4 p_r)``): ``∂W'/∂L (l_d - l_q) 4 p_r / π``
        (14.56 N·m at 11 A with the defaults; two overlapping phases reach 21.8 N·m for a moment).
        """
        _, _, coenergy = flux_terms(ratings["i"], self.l_d, self.l_q, self.i_sat, self.saturation)
        return coenergy * (self.l_d - self.l_q) * 4.0 * self.p_r / np.pi
