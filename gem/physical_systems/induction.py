r"""Induction motors in the stator frame: squirrel-cage (SCIM) and doubly fed (DFIM).

Both are GEM's T-equivalent-circuit model, integrated in the stator-fixed αβ frame with the stator
current and the rotor flux linkage as states (space vectors, amplitude invariant; ``omega`` the
mechanical speed, ``ω_el = p omega``, ``J`` the 90° rotation ``(a, b) → (-b, a)``)::

    l_s = l_m + l_sigs        l_r = l_m + l_sigr        σ = 1 - l_m² / (l_s l_r)    (0 < σ < 1)
    ψ_s = l_s i_s + l_m i_r                    ψ_r = l_m i_s + l_r i_r
    i_r = (ψ_r - l_m i_s) / l_r
    dψ_r/dt        = u_r - r_r i_r + ω_el J ψ_r                       (u_r = 0 for the SCIM)
    σ l_s di_s/dt  = u_s - r_s i_s - (l_m / l_r) dψ_r/dt             (from dψ_s/dt = u_s - r_s i_s)
    dε/dt          = ω_el
    T              = 1.5 p (l_m / l_r) (ψ_rα i_sβ - ψ_rβ i_sα)

Term by term this is GEM's ``InductionMotor`` ODE. Conventions shared by both motors:

* **ODE states** ``i_salpha, i_sbeta, psi_ralpha, psi_rbeta, epsilon`` (GEM's, settable at reset).
  ``epsilon`` is the electrical angle of the rotor (of its phase a axis), not of the flux.
* **Inputs.** The stator B6 bridge's leg-to-midpoint voltages ``u_sa, u_sb, u_sc`` (the star
  point floats: the common mode has no effect), held over each control period; in the stator
  frame holding them is holding ``u_sαβ``.
* **Rotor-flux frame.** ``dq`` quantities are oriented on the rotor flux: the angle
  ``θ = atan2(ψ_rβ, ψ_rα)`` (0 while the flux is zero), at the same instant as the quantity
  (GEM reports the currents of a step with the flux angle of the step's start).
  ``i_sd, i_sq = Q(-θ) i_sαβ`` at the end of the period.
* **Reported voltages.** ``u_sa, u_sb, u_sc`` are the applied leg voltages; ``u_sd, u_sq`` the
  period average of the stator voltage in the flux frame, assuming θ turns uniformly over the
  period (:func:`~gem.physical_systems.transforms.frame_average`). Normalisation as for the
  synchronous motors: phase voltages by ``u_sup/2``, dq voltages by ``2/3 u_sup``.
* **Ratings.** ``limit_values``/``nominal_values`` entry ``"i"`` applies to every current not named
  itself; voltage entries (``"u"``, phase voltages) are accepted but only rate the machine. The
  default torque limit is GEM's, ``1.5 p l_m²/l_r · i_sd,lim i_sq,lim / 2`` (the largest
  steady-state torque at the current limit with the flux ``l_m i_sd``); the nominal torque is the
  same at the nominal current.
* **Flux observer** (option ``flux_observer=True``, GEM's ``FluxObserver`` wrapper): appends the
  states ``psi_abs = |ψ_r|`` (Wb, normalised by ``l_m i_sd,lim``) and ``psi_angle = θ`` (rad,
  normalised by π) after ``u_sup``. A current-model observer with exact parameters integrates the
  same equation as the rotor flux, so these are the simulated flux itself; GEM's observer
  integrates it with one Euler step per period (and ignores the DFIM rotor voltage).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from gem.physical_systems.drive_system import wrap_angle
from gem.physical_systems.modulation import dq_action_to_b6
from gem.physical_systems.motor import Column, Columns, Motor, check_pole_pairs, voltage_ratings
from gem.physical_systems.transforms import clarke, frame_average, inverse_clarke, inverse_park, park

_RPM = np.pi / 30.0
_SCIM_CURRENTS = ("i_sa", "i_sb", "i_sc", "i_sd", "i_sq")
_SCIM_VOLTAGES = ("u_sa", "u_sb", "u_sc", "u_sd", "u_sq")
_DFIM_CURRENTS = _SCIM_CURRENTS + ("i_ra", "i_rb", "i_rc", "i_rd", "i_rq")
_DFIM_VOLTAGES = _SCIM_VOLTAGES + ("u_ra", "u_rb", "u_rc", "u_rd", "u_rq")


def induction_derivative(i_alpha, i_beta, psi_alpha, psi_beta, u_alpha, u_beta, ur_alpha, ur_beta, omega_el,
                         l_m, l_sigs, l_sigr, r_s, r_r):
    """``(di_sα, di_sβ, dψ_rα, dψ_rβ)`` of the model in the module docstring (column form, stator frame)."""
    l_r = l_m + l_sigr
    ratio = l_m / l_r
    sigma_ls = l_m + l_sigs - l_m * ratio                 # σ l_s = l_s - l_m² / l_r
    ir_alpha, ir_beta = (psi_alpha - l_m * i_alpha) / l_r, (psi_beta - l_m * i_beta) / l_r
    dpsi_alpha = ur_alpha - r_r * ir_alpha - omega_el * psi_beta
    dpsi_beta = ur_beta - r_r * ir_beta + omega_el * psi_alpha
    di_alpha = (u_alpha - r_s * i_alpha - ratio * dpsi_alpha) / sigma_ls
    di_beta = (u_beta - r_s * i_beta - ratio * dpsi_beta) / sigma_ls
    return di_alpha, di_beta, dpsi_alpha, dpsi_beta


def flux_angle(psi_alpha, psi_beta):
    """Rotor-flux angle ``θ = atan2(ψ_rβ, ψ_rα)`` in rad (0 for a zero flux)."""
    return np.arctan2(psi_beta, psi_alpha)


def flux_frame_speed(i_alpha, i_beta, psi_alpha, psi_beta, omega_el, ur_q, l_m, l_sigr, r_r):
    """Electrical angular speed of the rotor flux (rad/s): ``ω_el + (r_r l_m / l_r · i_sq + u_rq) / |ψ_r|``.

    From ``dθ/dt = (ψ_r × dψ_r/dt) / |ψ_r|²`` with the rotor equation: the flux turns with the rotor
    plus the slip that the torque-producing current ``i_sq`` (and a rotor voltage ``u_rq`` in the flux
    frame, referred to the stator) drive. ``ω_el`` while the flux is (nearly) zero.
    """
    norm = np.sqrt(psi_alpha * psi_alpha + psi_beta * psi_beta)
    inv = 1.0 / np.maximum(norm, 1e-12)
    cross = psi_alpha * i_beta - psi_beta * i_alpha                      # |ψ_r| i_sq
    slip = (r_r * l_m / (l_m + l_sigr) * cross * inv + ur_q) * inv
    return omega_el + np.where(norm > 1e-12, slip, 0.0)


def rotor_current(i_alpha, i_beta, psi_alpha, psi_beta, l_m, l_sigr):
    """Rotor current ``i_r = (ψ_r - l_m i_s) / l_r`` (stator frame, referred to the stator)."""
    l_r = l_m + l_sigr
    return (psi_alpha - l_m * i_alpha) / l_r, (psi_beta - l_m * i_beta) / l_r


@dataclass(frozen=True, kw_only=True)
class InductionMotor(Motor):
    r"""Induction motor in the stator frame: names, parameters, ratings shared by SCIM and DFIM.

    Equations and conventions: the module docstring. Parameters ``p, l_m, l_sigs, l_sigr, j_rotor,
    r_s, r_r`` (fields; the concrete classes give their units and GEM defaults). The leakage
    inductances may be zero on one side (``σ > 0`` is checked).

    A subclass sets the parameter defaults, the names, ``default_nominal``, ``default_limits`` and
    implements the column methods.
    """

    p: int
    l_m: float
    l_sigs: float
    l_sigr: float
    j_rotor: float
    r_s: float
    r_r: float
    flux_observer: bool = False

    ode_names: ClassVar = ("i_salpha", "i_sbeta", "psi_ralpha", "psi_rbeta", "epsilon")
    internal_ode_names: ClassVar = ("i_salpha", "i_sbeta", "psi_ralpha", "psi_rbeta")
    controlled_currents: ClassVar = ("i_sd", "i_sq")
    nonnegative_states: ClassVar = ("i_sd",)
    """In rotor-flux orientation the steady-state ``i_sd = |ψ_r| / l_m`` is never negative (references in [0, 1])."""
    has_angle: ClassVar[bool] = True
    pole_pairs_param: ClassVar[str | None] = "p"
    positive_params: ClassVar = ("p", "l_m", "r_s", "r_r", "j_rotor")
    nonnegative_params: ClassVar = ("l_sigs", "l_sigr")
    option_names: ClassVar = ("flux_observer",)
    torque_limit_current: ClassVar[str | None] = "limit"

    def __post_init__(self) -> None:
        """Validates the parameters: integer pole pairs, a leakage factor ``0 < σ``."""
        super().__post_init__()
        check_pole_pairs(self)
        l_s, l_r = np.asarray(self.l_m + self.l_sigs), np.asarray(self.l_m + self.l_sigr)
        sigma = 1.0 - np.asarray(self.l_m) ** 2 / (l_s * l_r)
        if np.any(sigma <= 0.0):
            raise ValueError(f"{type(self).__name__}: leakage factor sigma = 1 - l_m²/(l_s l_r) must be > 0, "
                             f"got {sigma!r} from l_sigs={self.l_sigs!r}, l_sigr={self.l_sigr!r} (both zero?)")

    @property
    def extra_names(self) -> tuple[str, ...]:
        """``psi_abs, psi_angle`` with the flux observer, else none."""
        return ("psi_abs", "psi_angle") if self.flux_observer else ()

    def extras(self, x: Columns) -> tuple[Column, Column]:
        """``psi_abs = |ψ_r|`` (Wb) and ``psi_angle = θ`` (rad)."""
        return np.sqrt(x[2] * x[2] + x[3] * x[3]), flux_angle(x[2], x[3])

    def torque(self, x: Columns) -> Column:
        """T = 1.5 p (l_m / l_r) (ψ_rα i_sβ - ψ_rβ i_sα)."""
        return 1.5 * self.p * self.l_m / (self.l_m + self.l_sigr) * (x[2] * x[1] - x[3] * x[0])

    def max_torque(self, ratings: Mapping[str, float]) -> float | np.ndarray:
        """GEM's torque rating ``1.5 p l_m²/l_r · i_sd i_sq / 2`` at the currents of ``ratings``."""
        return 1.5 * self.p * self.l_m**2 / (self.l_m + self.l_sigr) * ratings["i_sd"] * ratings["i_sq"] / 2.0

    def _ratings(self) -> tuple[dict[str, float], dict[str, float]]:
        limits, nominal = super()._ratings()
        limits["psi_abs"], nominal["psi_abs"] = self.l_m * limits["i_sd"], self.l_m * nominal["i_sd"]
        return limits, nominal

    def voltage_limits(self, u_max: np.ndarray) -> dict[str, np.ndarray]:
        """Phase voltages by their leg range ``u_max``, dq voltages by ``4/3`` of it, per bridge."""
        out = {}
        names = self.voltage_names
        for bridge in range(len(self.input_names) // 3):
            phases, dq = names[5 * bridge: 5 * bridge + 3], names[5 * bridge + 3: 5 * bridge + 5]
            out.update({n: u_max[:, 3 * bridge + k] for k, n in enumerate(phases)})
            u_vec = (4.0 / 3.0) * np.max(u_max[:, 3 * bridge: 3 * bridge + 3], axis=1)
            out.update(dict.fromkeys(dq, u_vec))
        return out


def _stator_dq(x: Columns) -> tuple[Column, Column, Column]:
    """``(θ, i_sd, i_sq)``: the flux angle and the stator current in the flux frame."""
    theta = flux_angle(x[2], x[3])
    i_sd, i_sq = park(x[0], x[1], theta)
    return theta, i_sd, i_sq


@dataclass(frozen=True, kw_only=True)
class SCIM(InductionMotor):
    r"""Squirrel-cage induction motor (GEM defaults): the model of the module docstring with ``u_r = 0``.

    ========== ============ ======= ================================
    parameter  default      unit    meaning
    ========== ============ ======= ================================
    p          2            1       pole-pair number (integer)
    l_m        143.75e-3    H       main (magnetising) inductance
    l_sigs     5.87e-3      H       stator leakage inductance
    l_sigr     5.87e-3      H       rotor leakage inductance (referred to the stator)
    j_rotor    1.1e-3       kg m²   rotor inertia
    r_s        2.9338       Ω       stator resistance
    r_r        1.355        Ω       rotor resistance (referred to the stator)
    ========== ============ ======= ================================

    Option ``flux_observer`` (default False): the ``psi_abs, psi_angle`` states.

    States: ``omega, torque, i_sa, i_sb, i_sc, i_sd, i_sq, u_sa, u_sb, u_sc, u_sd, u_sq, epsilon,
    u_sup``. Inputs ``u_sa, u_sb, u_sc`` (one B6 bridge).
    Nominal: ω 314.16 rad/s (3000 rpm), i 3.9 A, T 3.15 N·m. Limits: ω 418.88 rad/s (4000 rpm),
    i 5.5 A, T 6.267 N·m.
    """

    p: int = 2
    l_m: float = 143.75e-3
    l_sigs: float = 5.87e-3
    l_sigr: float = 5.87e-3
    j_rotor: float = 1.1e-3
    r_s: float = 2.9338
    r_r: float = 1.355

    current_names: ClassVar = _SCIM_CURRENTS
    voltage_names: ClassVar = _SCIM_VOLTAGES
    dq_action_names: ClassVar = ("u_sd", "u_sq")
    input_names: ClassVar = ("u_sa", "u_sb", "u_sc")
    rating_aliases: ClassVar = {"i": _SCIM_CURRENTS}
    default_nominal: ClassVar = {"omega": 3000 * _RPM, "torque": 3.15, "i": 3.9, **dict.fromkeys(_SCIM_CURRENTS, 3.9),
                                 "psi_angle": np.pi, **voltage_ratings(560.0, _SCIM_VOLTAGES)}
    default_limits: ClassVar = {"omega": 4000 * _RPM, "torque": 6.267, "i": 5.5, **dict.fromkeys(_SCIM_CURRENTS, 5.5),
                                "psi_angle": np.pi, **voltage_ratings(560.0, _SCIM_VOLTAGES)}

    def derivative(self, x: Columns, u: Columns, omega: Column) -> tuple[Column, ...]:
        """``(di_sα, di_sβ, dψ_rα, dψ_rβ, dε)/dt`` from the held stator leg voltages."""
        u_alpha, u_beta = clarke(u[0], u[1], u[2])
        omega_el = self.p * omega
        d = induction_derivative(x[0], x[1], x[2], x[3], u_alpha, u_beta, 0.0, 0.0, omega_el,
                                 self.l_m, self.l_sigs, self.l_sigr, self.r_s, self.r_r)
        return d[0], d[1], d[2], d[3], omega_el

    def dq_action(self, a: Columns, x: Columns, omega: Column, advance: float, u_sup: Column) -> tuple[Column, ...]:
        """B6 actions for ``(u_sd, u_sq) / (2/3 u_sup)`` in the rotor-flux frame at its mid-period angle."""
        speed = flux_frame_speed(x[0], x[1], x[2], x[3], self.p * omega, 0.0, self.l_m, self.l_sigr, self.r_r)
        return dq_action_to_b6(a[0], a[1], flux_angle(x[2], x[3]), speed, 1.0, advance, (2.0 / 3.0) * u_sup, u_sup)

    def currents(self, x: Columns) -> tuple[Column, ...]:
        """``i_sa, i_sb, i_sc, i_sd, i_sq`` (dq in the rotor-flux frame)."""
        _, i_sd, i_sq = _stator_dq(x)
        return (*inverse_clarke(x[0], x[1]), i_sd, i_sq)

    def terminal_currents(self, x: Columns) -> tuple[Column, Column, Column]:
        """Stator phase currents ``i_sa, i_sb, i_sc``."""
        return inverse_clarke(x[0], x[1])

    def voltages(self, u: Columns, x_start: Columns, x_end: Columns, tau: float) -> tuple[Column, ...]:
        """``u_sa, u_sb, u_sc`` as applied and ``u_sd, u_sq`` averaged in the turning flux frame."""
        theta0 = flux_angle(x_start[2], x_start[3])
        d_theta = wrap_angle(flux_angle(x_end[2], x_end[3]) - theta0)
        u_alpha, u_beta = clarke(u[0], u[1], u[2])
        u_sd, u_sq = frame_average(u_alpha, u_beta, theta0, d_theta)
        return u[0], u[1], u[2], u_sd, u_sq


@dataclass(frozen=True, kw_only=True)
class DFIM(InductionMotor):
    r"""Doubly fed induction motor (GEM defaults): stator and rotor each fed by a B6 bridge.

    Equations: the module docstring, with the rotor voltage of the rotor bridge. The rotor bridge
    turns with the rotor: its leg voltages ``u_ra, u_rb, u_rc`` are held in the rotor frame over a
    period, so in the stator frame ``u_r(t) = k Q(ε(t)) T23 u_r,abc`` turns with the rotor during
    the period (GEM freezes it at the angle of the period's start). ``k`` is the turns ratio
    ``N_s / N_r``: ``r_r``, ``l_sigr`` and the equations are referred to the stator (as GEM's), the
    rotor bridge's voltages and the reported rotor currents and voltages are the rotor winding's
    own (``u_r' = k u_r``, ``i_r' = i_r / k``; ``k = 1``: GEM, which has no turns ratio).

    ========== ============ ======= ================================
    parameter  default      unit    meaning
    ========== ============ ======= ================================
    p          2            1       pole-pair number (integer)
    l_m        297.5e-3     H       main (magnetising) inductance
    l_sigs     25.71e-3     H       stator leakage inductance
    l_sigr     25.71e-3     H       rotor leakage inductance (referred to the stator)
    j_rotor    13.695e-3    kg m²   rotor inertia
    r_s        4.42         Ω       stator resistance
    r_r        3.51         Ω       rotor resistance (referred to the stator)
    k          1.0          1       turns ratio stator / rotor (not in GEM)
    ========== ============ ======= ================================

    Option ``flux_observer`` (default False): the ``psi_abs, psi_angle`` states.

    States: ``omega, torque, i_sa, i_sb, i_sc, i_sd, i_sq, i_ra, i_rb, i_rc, i_rd, i_rq, u_sa, u_sb,
    u_sc, u_sd, u_sq, u_ra, u_rb, u_rc, u_rd, u_rq, epsilon, u_sup``. ``i_ra..i_rc``, ``u_ra..u_rc``
    are rotor phase quantities in the rotor frame (angle ε); ``i_rd, i_rq`` the rotor current and
    ``u_rd, u_rq`` the period-averaged rotor voltage in the rotor-flux frame. Inputs: the stator
    bridge ``u_sa, u_sb, u_sc``, then the rotor bridge ``u_ra, u_rb, u_rc``.
    Nominal: ω 172.79 rad/s (1650 rpm), i 7.5 A, T 23.10 N·m. Limits: ω 188.50 rad/s (1800 rpm),
    i 9 A, T 33.27 N·m.
    """

    p: int = 2
    l_m: float = 297.5e-3
    l_sigs: float = 25.71e-3
    l_sigr: float = 25.71e-3
    j_rotor: float = 13.695e-3
    r_s: float = 4.42
    r_r: float = 3.51
    k: float = 1.0

    current_names: ClassVar = _DFIM_CURRENTS
    voltage_names: ClassVar = _DFIM_VOLTAGES
    dq_action_names: ClassVar = ("u_sd", "u_sq", "u_rd", "u_rq")
    input_names: ClassVar = ("u_sa", "u_sb", "u_sc", "u_ra", "u_rb", "u_rc")
    positive_params: ClassVar = ("p", "l_m", "r_s", "r_r", "j_rotor", "k")
    rating_aliases: ClassVar = {"i": _DFIM_CURRENTS}
    default_nominal: ClassVar = {"omega": 1650 * _RPM, "torque": 23.10, "i": 7.5,
                                 **dict.fromkeys(_DFIM_CURRENTS, 7.5), "psi_angle": np.pi,
                                 **voltage_ratings(720.0, _DFIM_VOLTAGES)}
    default_limits: ClassVar = {"omega": 1800 * _RPM, "torque": 33.27, "i": 9.0,
                                **dict.fromkeys(_DFIM_CURRENTS, 9.0), "psi_angle": np.pi,
                                **voltage_ratings(720.0, _DFIM_VOLTAGES)}

    def derivative(self, x: Columns, u: Columns, omega: Column) -> tuple[Column, ...]:
        """``(di_sα, di_sβ, dψ_rα, dψ_rβ, dε)/dt``; the rotor voltage turns with the rotor angle in ``x``."""
        u_alpha, u_beta = clarke(u[0], u[1], u[2])
        ur_d, ur_q = clarke(u[3], u[4], u[5])                 # rotor frame
        ur_alpha, ur_beta = inverse_park(self.k * ur_d, self.k * ur_q, x[4])
        omega_el = self.p * omega
        d = induction_derivative(x[0], x[1], x[2], x[3], u_alpha, u_beta, ur_alpha, ur_beta, omega_el,
                                 self.l_m, self.l_sigs, self.l_sigr, self.r_s, self.r_r)
        return d[0], d[1], d[2], d[3], omega_el

    def dq_action(self, a: Columns, x: Columns, omega: Column, advance: float, u_sup: Column) -> tuple[Column, ...]:
        """Actions of both bridges for ``(u_sd, u_sq, u_rd, u_rq) / (2/3 u_sup)`` in the rotor-flux frame.

        The stator bridge turns the stator voltage at the flux's mid-period angle θ, the rotor bridge
        the rotor voltage at the mid-period angle θ - ε of the flux seen from the rotor.
        """
        scale = (2.0 / 3.0) * u_sup
        omega_el = self.p * omega
        ur_q = np.minimum(np.maximum(a[3], -1.0), 1.0) * scale
        speed = flux_frame_speed(x[0], x[1], x[2], x[3], omega_el, self.k * ur_q, self.l_m, self.l_sigr, self.r_r)
        theta = flux_angle(x[2], x[3])
        s = dq_action_to_b6(a[0], a[1], theta, speed, 1.0, advance, scale, u_sup)
        r = dq_action_to_b6(a[2], a[3], theta - x[4], speed - omega_el, 1.0, advance, scale, u_sup)
        return s[0], s[1], s[2], r[0], r[1], r[2]

    def currents(self, x: Columns) -> tuple[Column, ...]:
        """Stator ``i_sa..i_sq`` and rotor ``i_ra, i_rb, i_rc`` (rotor frame), ``i_rd, i_rq`` (flux frame)."""
        theta, i_sd, i_sq = _stator_dq(x)
        ir_alpha, ir_beta = rotor_current(x[0], x[1], x[2], x[3], self.l_m, self.l_sigr)
        ir_alpha, ir_beta = self.k * ir_alpha, self.k * ir_beta
        i_rd, i_rq = park(ir_alpha, ir_beta, theta)
        ir_d, ir_q = park(ir_alpha, ir_beta, x[4])            # rotor frame
        ir_a, ir_b, ir_c = inverse_clarke(ir_d, ir_q)
        return (*inverse_clarke(x[0], x[1]), i_sd, i_sq, ir_a, ir_b, ir_c, i_rd, i_rq)

    def terminal_currents(self, x: Columns) -> tuple[Column, ...]:
        """Stator phase currents, then the rotor phase currents in the rotor frame."""
        ir_alpha, ir_beta = rotor_current(x[0], x[1], x[2], x[3], self.l_m, self.l_sigr)
        ir_d, ir_q = park(self.k * ir_alpha, self.k * ir_beta, x[4])
        ir_a, ir_b, ir_c = inverse_clarke(ir_d, ir_q)
        return (*inverse_clarke(x[0], x[1]), ir_a, ir_b, ir_c)

    def voltages(self, u: Columns, x_start: Columns, x_end: Columns, tau: float) -> tuple[Column, ...]:
        """Applied leg voltages; stator and rotor voltage averaged in the turning flux frame."""
        theta0 = flux_angle(x_start[2], x_start[3])
        d_theta = wrap_angle(flux_angle(x_end[2], x_end[3]) - theta0)
        u_alpha, u_beta = clarke(u[0], u[1], u[2])
        u_sd, u_sq = frame_average(u_alpha, u_beta, theta0, d_theta)
        # the rotor voltage is held in the rotor frame, from which the flux frame is at θ - ε
        ur_d, ur_q = clarke(u[3], u[4], u[5])
        d_slip = wrap_angle(d_theta - (x_end[4] - x_start[4]))
        u_rd, u_rq = frame_average(ur_d, ur_q, theta0 - x_start[4], d_slip)
        return u[0], u[1], u[2], u_sd, u_sq, u[3], u[4], u[5], u_rd, u_rq
