r"""Three-phase synchronous motors in the rotor (dq) frame: PMSM and SynRM.

Both motors share everything but the magnet: the SynRM is the PMSM with ``psi_p = 0``. The shared
equations and behaviour are written once, in their base class :class:`SynchronousMotor`; the
concrete classes add their parameter defaults, ratings and ``psi_p``.

Conventions shared by both motors:

* **Inputs.** The motor takes the three leg-to-DC-midpoint voltages ``u_a, u_b, u_c`` of the B6
  bridge (±u_sup/2), held over each control period, and transforms them into the rotor frame with
  the *current* angle inside :meth:`~SynchronousMotor.derivative`. The solver therefore integrates
  the rotation of the voltage vector in the rotor frame during the period (the physical averaged
  bridge). GEM instead freezes ``u_dq`` at the angle of the start of the period, which differs by
  the order of ``omega_el tau`` (about 1 % on the currents at ``tau = 1e-4`` s, ``omega = 60``
  rad/s, ``p = 3``). The zero-sequence (common-mode) part of ``u_abc`` has no effect: the star
  point floats.
* **Reported voltages.** ``u_a, u_b, u_c`` are the period-averaged leg voltages. ``u_sd, u_sq`` are
  the period average of the rotor-frame voltage, assuming the angle moves linearly from ``ε₀`` to
  ``ε₁ = ε₀ + Δε`` (Δε the unwrapped increment, ``|Δε| < π``)::

      u_dq = sinc(Δε / 2) · Q(-(ε₀ + Δε/2)) · T23 · u_abc          sinc(x) = sin(x) / x

  i.e. the rotation at the mid-period angle, shortened by the averaging over the arc. For
  ``Δε → 0`` this is the plain Park transform. With interlocking or a varying speed this is the
  same formula applied to the period-averaged ``u_abc`` (an approximation).
* **Voltage normalisation.** ``u_a, u_b, u_c`` are divided by ``u_max = u_sup/2`` (the leg range),
  so a normalised phase voltage equals the B6 continuous action. ``u_sd, u_sq`` are divided by
  ``4/3 · u_max = 2/3 · u_sup``, the amplitude of the six active B6 voltage vectors and the largest
  voltage vector a B6 bridge can produce, so normalised ``u_sd, u_sq`` always lie in [-1, 1]
  (GEM divides by the phase limit, which gave ranges of ±1.33 and beyond).
* **Currents.** ``i_a, i_b, i_c = T32 · Q(ε) · i_dq`` at the end of the period. A ``limit_values``
  or ``nominal_values`` entry ``"i"`` applies to every current (GEM's convention), unless the
  current is named itself.
* **Torque limit and nominal torque.** Unless given, the torque limit is GEM's: the
  maximum-torque-per-ampere torque at the nominal current (PMSM) or at the current limit (SynRM,
  equal to GEM's ``torque(i/√2, i/√2)``): 160.61 N·m and 5.832 N·m with the defaults. The nominal
  torque is the MTPA torque at the nominal current, at most the limit (PMSM 160.61 N·m; SynRM 1.80 N·m, where GEM
  uses the limit torque, which the SynRM reaches only at its current limit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from gem.physical_systems.drive_system import wrap_angle
from gem.physical_systems.modulation import dq_action_to_b6
from gem.physical_systems.motor import Column, Columns, Motor, check_pole_pairs, voltage_ratings
from gem.physical_systems.saturation import FluxMap, saturated_derivative, saturated_torque
from gem.physical_systems.transforms import clarke, frame_average, inverse_clarke, inverse_park, park

_CURRENTS = ("i_a", "i_b", "i_c", "i_sd", "i_sq")
_VOLTAGES = ("u_a", "u_b", "u_c", "u_sd", "u_sq")
_RPM = np.pi / 30.0


def mtpa_currents(current: np.ndarray | float, l_d: np.ndarray | float, l_q: np.ndarray | float,
                  psi_p: np.ndarray | float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    r"""Maximum-torque-per-ampere operating point for a current amplitude ``|i_dq| = current``.

    Maximising ``(psi_p + (l_d - l_q) i_sd) i_sq`` on the circle ``i_sd² + i_sq² = I²`` gives
    ``2 Δ i_sd² + psi_p i_sd - Δ I² = 0`` with ``Δ = l_d - l_q``, whose torque-maximising root is
    ``i_sd = 2 Δ I² / (psi_p + sqrt(psi_p² + 8 Δ² I²))`` (negative for a PMSM with l_d < l_q,
    ``I/√2`` for a SynRM with l_d > l_q, 0 when l_d = l_q).

    Args:
        current: Current amplitude in A (>= 0), scalar or ``(num_envs,)``.
        l_d: d-axis inductance in H.
        l_q: q-axis inductance in H.
        psi_p: Permanent-magnet flux linkage in Wb.

    Returns:
        ``(i_sd, i_sq)`` in A with ``i_sq >= 0`` (positive torque); negate ``i_sq`` for negative torque.
    """
    current = np.asarray(current, dtype=float)
    delta = np.asarray(l_d, dtype=float) - l_q
    denom = psi_p + np.sqrt(np.asarray(psi_p, dtype=float) ** 2 + 8.0 * (delta * current) ** 2)
    num = np.broadcast_to(2.0 * delta * current**2, np.broadcast(denom, current).shape)
    i_sd = np.divide(num, denom, out=np.zeros(num.shape), where=denom > 0)
    i_sq = np.sqrt(np.maximum(current**2 - i_sd**2, 0.0))
    return i_sd, i_sq


def dq_torque(i_sd: np.ndarray, i_sq: np.ndarray, p: np.ndarray | float, l_d: np.ndarray | float,
              l_q: np.ndarray | float, psi_p: np.ndarray | float) -> np.ndarray:
    """Electrical torque ``T = 1.5 p (psi_p + (l_d - l_q) i_sd) i_sq`` in N·m."""
    return 1.5 * p * (psi_p + (l_d - l_q) * i_sd) * i_sq


def dq_derivative(i_sd: Column, i_sq: Column, eps: Column, u: Columns, omega: Column, p: int, r_s: Column,
                  l_d: Column, l_q: Column, psi_p: Column) -> tuple[Column, Column, Column]:
    """``(di_sd/dt, di_sq/dt, dε/dt)`` of :class:`SynchronousMotor` (a function: the thermal PMSM calls it too)."""
    u_alpha, u_beta = clarke(u[0], u[1], u[2])
    u_sd, u_sq = park(u_alpha, u_beta, eps)
    omega_el = p * omega
    di_sd = (u_sd - r_s * i_sd + omega_el * l_q * i_sq) / l_d
    di_sq = (u_sq - r_s * i_sq - omega_el * (l_d * i_sd + psi_p)) / l_q
    return di_sd, di_sq, omega_el


def phase_currents(i_sd: Column, i_sq: Column, epsilon: Column) -> tuple[Column, Column, Column]:
    """``i_a, i_b, i_c = T32 Q(ε) i_dq`` (a function, not a method: the compiled kernel calls it)."""
    i_alpha, i_beta = inverse_park(i_sd, i_sq, epsilon)
    return inverse_clarke(i_alpha, i_beta)


def linear_derivative(self: Any, x: Columns, u: Columns, omega: Column) -> tuple[Column, Column, Column]:
    """(di_sd/dt, di_sq/dt, dε/dt) of the linear model (:class:`SynchronousMotor`) from the held ABC voltages ``u``.

    ``u`` is transformed into the rotor frame with the angle in ``x``, so the solver sees the
    voltage vector rotate during the period.
    """
    return dq_derivative(x[0], x[1], x[-1], u, omega, self.p, self.r_s, self.l_d, self.l_q, self.psi_p)


def linear_torque(self: Any, x: Columns) -> Column:
    """T = 1.5 p (psi_p + (l_d - l_q) i_sd) i_sq."""
    return dq_torque(x[0], x[1], self.p, self.l_d, self.l_q, self.psi_p)


_EQUATIONS = {"derivative": (linear_derivative, saturated_derivative), "torque": (linear_torque, saturated_torque)}
"""The column functions of the synchronous motors: (linear, with a flux map)."""


@dataclass(frozen=True, kw_only=True)
class SynchronousMotor(Motor):
    r"""Three-phase synchronous motor in the rotor frame: the model shared by PMSM and SynRM.

    Equations (``omega`` mechanical speed, ``ε`` electrical angle, ``u_dq = Q(-ε) T23 u_abc``)::

        di_sd/dt = (u_sd - r_s i_sd + p omega l_q i_sq) / l_d
        di_sq/dt = (u_sq - r_s i_sq - p omega l_d i_sd - p omega psi_p) / l_q
        dε/dt    = p omega
        T        = 1.5 p (psi_p + (l_d - l_q) i_sd) i_sq

    Parameters ``p, l_d, l_q, j_rotor, r_s`` (fields) and the permanent-magnet flux ``psi_p``
    (``psi_p = 0`` for the SynRM); the concrete classes give their units and GEM defaults.

    Names: ODE states ``i_sd, i_sq, epsilon``; currents ``i_a, i_b, i_c, i_sd, i_sq``; voltages
    ``u_a, u_b, u_c, u_sd, u_sq``; inputs ``u_a, u_b, u_c``; pole pairs ``p``. Inputs, reported
    voltages, their normalisation and the torque limit: see the module docstring.

    **Saturation** (option ``saturation``, default ``None``: off): a
    :class:`~gem.physical_systems.saturation.FluxMap` replaces the linear flux linkages
    (``di/dt = L_inc(i)⁻¹ (u_dq - r_s i - ω_el J ψ(i))``, ``T = 1.5 p (ψ_d i_sq - ψ_q i_sd)``, see
    :mod:`gem.physical_systems.saturation`); ``l_d, l_q, psi_p`` are then the map's incremental
    inductances and ``ψ_d`` at zero current (build it with :meth:`with_saturation`): they tune the
    controllers and rate the machine, the equations use the map.

    A subclass sets the parameter defaults, ``default_nominal``, ``default_limits`` and
    ``torque_limit_current`` (which ``"i"``, ``"nominal"`` or ``"limit"``, the default torque limit
    is the MTPA torque of), and provides ``psi_p`` (a field or a property).
    """

    p: int
    l_d: float
    l_q: float
    j_rotor: float
    r_s: float
    saturation: FluxMap | None = None

    ode_names: ClassVar = ("i_sd", "i_sq", "epsilon")
    current_names: ClassVar = _CURRENTS
    voltage_names: ClassVar = _VOLTAGES
    input_names: ClassVar = ("u_a", "u_b", "u_c")
    controlled_currents: ClassVar = ("i_sd", "i_sq")
    dq_action_names: ClassVar = ("u_sd", "u_sq")
    has_angle: ClassVar[bool] = True
    pole_pairs_param: ClassVar[str | None] = "p"
    positive_params: ClassVar = ("p", "r_s", "l_d", "l_q", "j_rotor")
    rating_aliases: ClassVar = {"i": _CURRENTS}
    model_options: ClassVar = ("saturation",)

    if TYPE_CHECKING:  # provided by the subclass: a field (PMSM) or a property (SynRM)
        @property
        def psi_p(self) -> float:
            """Permanent-magnet flux linkage in Wb."""

    def __post_init__(self) -> None:
        """Validates the parameters; the pole-pair number ``p`` must be an integer (a Python ``int`` if scalar)."""
        super().__post_init__()
        check_pole_pairs(self)
        if self.saturation is not None:
            self._check_saturation()

    def _check_saturation(self) -> None:
        name, flux_map = type(self).__name__, self.saturation
        own = [m for m in _EQUATIONS if getattr(type(self), m) is not getattr(SynchronousMotor, m)]
        if own:     # a subclass with its own equations (ThermalPMSM) would ignore the map
            raise ValueError(f"{name} has its own {' and '.join(own)} and no flux-map version of them: saturation "
                             f"is available for PMSM and SynRM only (thermal= and saturation= together are not "
                             f"supported yet)")
        if not isinstance(flux_map, FluxMap):
            raise ValueError(f"{name}: saturation must be a gem.physical_systems.FluxMap (or None), got {flux_map!r}")
        zero = flux_map.zero_current()
        expected = {"l_d": zero["l_d"], "l_q": zero["l_q"], "psi_p": zero["psi_p"]}
        for key, value in expected.items():
            if np.ndim(getattr(self, key)) or not np.isclose(getattr(self, key), value, rtol=1e-9, atol=1e-12):
                raise ValueError(f"{name}: with saturation, {key} must be the flux map's value at zero current "
                                 f"({value!r}), got {getattr(self, key)!r}; build the motor with "
                                 f"motor.with_saturation(flux_map) (or pass saturation= to gym.make)")
        if abs(zero["psi_q0"]) > 1e-12:
            raise ValueError(f"{name}: the flux map's psi_q at zero current must be 0, got {zero['psi_q0']!r} Wb")

    def with_saturation(self, flux_map: FluxMap | None) -> SynchronousMotor:
        """This motor with ``flux_map`` (``None``: linear); ``l_d, l_q`` (and ``psi_p``) from it at zero current."""
        if flux_map is None:
            return replace(self, saturation=None)
        if not isinstance(flux_map, FluxMap):
            raise ValueError(f"saturation must be a gem.physical_systems.FluxMap, got {flux_map!r}")
        zero = flux_map.zero_current()
        own = {f.name for f in fields(self)}
        return replace(self, saturation=flux_map, **{k: zero[k] for k in ("l_d", "l_q", "psi_p") if k in own})

    @property
    def sat_grid(self) -> tuple[float, ...]:
        """The flux map's grid, as the compiled lookup reads it (:attr:`FluxMap.grid`)."""
        return self.saturation.grid

    @property
    def sat_table(self) -> np.ndarray:
        """The flux map's ``(2, n_d, n_q)`` table (:attr:`FluxMap.table`)."""
        return self.saturation.table

    def column_function(self, name: str) -> Any:
        """The linear or the saturated equations (:data:`_EQUATIONS`) unless a subclass overrides the method."""
        fn = getattr(type(self), name)
        if name in _EQUATIONS and fn is getattr(SynchronousMotor, name):
            return _EQUATIONS[name][self.saturation is not None]
        return fn

    # ----------------------------------------------------------------- physics (compiled: no self.<method>() calls)
    def derivative(self, x: Columns, u: Columns, omega: Column) -> tuple[Column, Column, Column]:
        """(di_sd/dt, di_sq/dt, dε/dt): :func:`linear_derivative`, or with a flux map ``saturated_derivative``.

        The compiled step calls the chosen function directly (:meth:`column_function`).
        """
        return _EQUATIONS["derivative"][self.saturation is not None](self, x, u, omega)

    def dq_action(self, a: Columns, x: Columns, omega: Column, advance: float, u_sup: Column) -> tuple[Column, ...]:
        """B6 actions for ``(u_sd, u_sq) / (2/3 u_sup)`` (:func:`~gem.physical_systems.modulation.dq_action_to_b6`)."""
        return dq_action_to_b6(a[0], a[1], x[-1], omega, self.p, advance, (2.0 / 3.0) * u_sup, u_sup)

    def torque(self, x: Columns) -> Column:
        """T = 1.5 p (psi_p + (l_d - l_q) i_sd) i_sq, or with a flux map 1.5 p (ψ_d i_sq - ψ_q i_sd)."""
        return _EQUATIONS["torque"][self.saturation is not None](self, x)

    def currents(self, x: Columns) -> tuple[Column, ...]:
        """``i_a, i_b, i_c, i_sd, i_sq``."""
        return (*phase_currents(x[0], x[1], x[-1]), x[0], x[1])

    def terminal_currents(self, x: Columns) -> tuple[Column, Column, Column]:
        """Phase currents ``i_a, i_b, i_c = T32 Q(ε) i_dq``."""
        return phase_currents(x[0], x[1], x[-1])

    def voltages(self, u: Columns, x_start: Columns, x_end: Columns, tau: float) -> tuple[Column, ...]:
        """``u_a, u_b, u_c`` as applied and the period-averaged ``u_sd, u_sq`` (module docstring)."""
        eps0 = x_start[-1]
        u_alpha, u_beta = clarke(u[0], u[1], u[2])
        u_sd, u_sq = frame_average(u_alpha, u_beta, eps0, wrap_angle(x_end[-1] - eps0))
        return u[0], u[1], u[2], u_sd, u_sq

    # ----------------------------------------------------------------- NumPy only
    def voltage_limits(self, u_max: np.ndarray) -> dict[str, np.ndarray]:
        """``u_max`` (= u_sup/2) for the phases, ``4/3 u_max`` (= 2/3 u_sup) for ``u_sd, u_sq``."""
        u_vec = (4.0 / 3.0) * np.max(u_max, axis=1)
        return {"u_a": u_max[:, 0], "u_b": u_max[:, 1], "u_c": u_max[:, 2], "u_sd": u_vec, "u_sq": u_vec}

    def max_torque(self, ratings: Mapping[str, float]) -> float | np.ndarray:
        """Maximum-torque-per-ampere torque at the current ``ratings["i"]`` (the module docstring)."""
        return dq_torque(*mtpa_currents(ratings["i"], self.l_d, self.l_q, self.psi_p),
                         self.p, self.l_d, self.l_q, self.psi_p)

    def max_torque_per_ampere(self, torque: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Smallest-current ``(i_sd, i_sq)`` producing ``torque`` (N·m), batched.

        Bisection on the current amplitude along the MTPA trajectory (:func:`mtpa_currents`), whose
        torque grows monotonically with the amplitude. Accurate to ~1e-12 relative.
        """
        target = np.abs(np.asarray(torque, dtype=float))

        def mtpa_torque(amplitude: np.ndarray) -> np.ndarray:
            return dq_torque(*mtpa_currents(amplitude, self.l_d, self.l_q, self.psi_p),
                             self.p, self.l_d, self.l_q, self.psi_p)

        hi = np.broadcast_to(np.asarray(self.limits["i"], dtype=float), target.shape).copy()
        for _ in range(64):
            short = mtpa_torque(hi) < target
            if not np.any(short):
                break
            hi = np.where(short, 2.0 * hi, hi)
        lo = np.zeros_like(hi)
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            short = mtpa_torque(mid) < target
            lo, hi = np.where(short, mid, lo), np.where(short, hi, mid)
        i_sd, i_sq = mtpa_currents(0.5 * (lo + hi), self.l_d, self.l_q, self.psi_p)
        return i_sd, np.where(np.asarray(torque) < 0, -i_sq, i_sq)


@dataclass(frozen=True, kw_only=True)
class PMSM(SynchronousMotor):
    r"""Permanent-magnet synchronous motor (rotor-frame model, GEM defaults).

    Equations: :class:`SynchronousMotor`.

    ========== ============ ======= ================================
    parameter  default      unit    meaning
    ========== ============ ======= ================================
    p          3            1       pole-pair number (integer)
    l_d        0.37e-3      H       d-axis inductance
    l_q        1.2e-3       H       q-axis inductance
    j_rotor    0.03883      kg m²   rotor inertia
    r_s        18e-3        Ω       stator resistance
    psi_p      66e-3        Wb      permanent-magnet flux linkage
    ========== ============ ======= ================================

    Nominal: ω 314.16 rad/s (3000 rpm), i 240 A, T 160.61 N·m.
    Limits: ω 418.88 rad/s (4000 rpm), i 400 A, T 160.61 N·m (MTPA torque at the nominal current).
    Inputs, reported voltages and their normalisation: see the module docstring.
    """

    p: int = 3
    l_d: float = 0.37e-3
    l_q: float = 1.2e-3
    j_rotor: float = 0.03883
    r_s: float = 18e-3
    psi_p: float = 66e-3

    nonnegative_params: ClassVar = ("psi_p",)
    torque_limit_current: ClassVar[str] = "nominal"
    default_nominal: ClassVar = {"omega": 3000 * _RPM, "torque": 160.61, "i": 240.0,
                                 **dict.fromkeys(_CURRENTS, 240.0), **voltage_ratings(300.0, _VOLTAGES)}
    default_limits: ClassVar = {"omega": 4000 * _RPM, "torque": 160.61, "i": 400.0,
                                **dict.fromkeys(_CURRENTS, 400.0), **voltage_ratings(300.0, _VOLTAGES)}


@dataclass(frozen=True, kw_only=True)
class SynRM(SynchronousMotor):
    r"""Synchronous reluctance motor: the PMSM equations with ``psi_p = 0`` (GEM defaults).

    Equations: :class:`SynchronousMotor` with ``psi_p = 0`` (no magnet; only the reluctance torque).

    ========== ============ ======= ================================
    parameter  default      unit    meaning
    ========== ============ ======= ================================
    p          4            1       pole-pair number (integer)
    l_d        10.1e-3      H       d-axis inductance
    l_q        4.1e-3       H       q-axis inductance
    j_rotor    0.8e-3       kg m²   rotor inertia
    r_s        0.57         Ω       stator resistance
    ========== ============ ======= ================================

    Nominal: ω 314.16 rad/s (3000 rpm), i 10 A, T 1.80 N·m (MTPA torque at the nominal current).
    Limits: ω 450.29 rad/s (4300 rpm), i 18 A, T 5.832 N·m (``T(i_sd = i_sq = 18/√2)``, the MTPA
    torque at the current limit). Inputs, reported voltages and their normalisation: see the
    module docstring.
    """

    p: int = 4
    l_d: float = 10.1e-3
    l_q: float = 4.1e-3
    j_rotor: float = 0.8e-3
    r_s: float = 0.57

    torque_limit_current: ClassVar[str] = "limit"
    default_nominal: ClassVar = {"omega": 3000 * _RPM, "torque": 5.832, "i": 10.0,
                                 **dict.fromkeys(_CURRENTS, 10.0), **voltage_ratings(80.0, _VOLTAGES)}
    default_limits: ClassVar = {"omega": 4300 * _RPM, "torque": 5.832, "i": 18.0,
                                **dict.fromkeys(_CURRENTS, 18.0), **voltage_ratings(80.0, _VOLTAGES)}

    @property
    def psi_p(self) -> float:
        """No permanent magnet: 0 Wb."""
        return 0.0
