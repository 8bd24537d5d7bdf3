r"""Externally excited synchronous motor (EESM): a B6-fed stator and a field winding on its own converter.

Rotor (dq) frame, ``ω_el = p omega``; ``i_e, u_e, l_e, r_e`` are the field winding's own
quantities and ``l_m`` the stator d-axis flux linkage per field ampere (H)::

    ψ_d = l_d i_sd + l_m i_e         ψ_q = l_q i_sq         ψ_e = 1.5 l_m i_sd + l_e i_e
    u_sd = r_s i_sd + dψ_d/dt - ω_el ψ_q
    u_sq = r_s i_sq + dψ_q/dt + ω_el ψ_d
    u_e  = r_e i_e  + dψ_e/dt
    T    = 1.5 p (l_m i_e + (l_d - l_q) i_sd) i_sq
    σ    = 1 - 1.5 l_m² / (l_d l_e)       (leakage factor of the d-axis/field pair, 0 < σ < 1)

The factor 1.5 in ``ψ_e`` is the amplitude-invariant dq transform: the stator's d-axis current
``i_sd`` stands for a three-phase current whose flux linkage with the field winding is
``1.5 l_m i_sd``; the stored magnetic energy ``1.5 (ψ_d i_sd + ψ_q i_sq)/2 + ψ_e i_e/2`` is then a
quadratic form with the symmetric, positive definite inductance matrix that ``σ > 0`` requires.

**Referring the field to the stator (GEM's parameters).** GEM's parameter ``k`` (turns ratio
``N_s / N_e``) refers the field winding to the stator: ``r_E = 1.5 k² r_e``, ``l_M = 1.5 k l_m``,
``l_E = 1.5 k² l_e``, ``i_E = 2/(3k) i_e``, ``u_E = k u_e``, ``σ = 1 - l_M² / (l_d l_E)``. ``k``
cancels out of the physics (``l_M i_E = l_m i_e``, ``ψ_E = k ψ_e``), so it only matters for
converting stator-referred values: :meth:`EESM.from_params` accepts ``l_M, l_E, r_E`` (GEM's
keys for stator-referred values, as on its branch ``EESM_transformations``) instead of
``l_m, l_e, r_e`` and refers them back to the field winding *once*, with ``k``. GEM 3.0.3 refers
its default parameters a second time although they are already stator-referred, which gives
``σ = -0.311`` (the field current runs against its voltage and the model diverges); passed as
``l_M=1.589e-3, l_E=1.74e-3, r_E=7.2e-3, k=65.21`` they give ``σ = 0.126``. gem's defaults are the
physical set of GEM's fix (``σ = 0.270``, a 200 V machine).

Conventions as for the PMSM (:mod:`gem.physical_systems.synchronous`): the B6 leg voltages are held
over a period and turned into the rotor frame at the current angle; ``u_sd, u_sq`` are reported as
their period average in the rotor frame, ``u_a, u_b, u_c`` as applied; phase voltages are
normalised by ``u_sup/2``, ``u_sd, u_sq`` by ``2/3 u_sup``, ``u_e`` by the field converter's
``u_sup``. ``"i"`` in ``limit_values``/``nominal_values`` applies to the stator currents, ``i_e``
is rated separately.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from gem.physical_systems.drive_system import wrap_angle
from gem.physical_systems.modulation import dq_action_to_b6
from gem.physical_systems.motor import Column, Columns, Motor, check_pole_pairs, voltage_ratings
from gem.physical_systems.params import check_known_keys
from gem.physical_systems.synchronous import dq_torque, mtpa_currents, phase_currents
from gem.physical_systems.transforms import clarke, frame_average, park

_RPM = np.pi / 30.0
_STATOR = ("i_a", "i_b", "i_c", "i_sd", "i_sq")
_VOLTAGES = ("u_a", "u_b", "u_c", "u_sd", "u_sq", "u_e")
_FIELD = ("l_m", "l_e", "r_e")
_FIELD_STATOR = ("l_M", "l_E", "r_E")


def field_from_stator(l_big_m, l_big_e, r_big_e, k):
    """Field-winding ``(l_m, l_e, r_e)`` from the stator-referred ``(l_M, l_E, r_E)`` and turns ratio ``k``."""
    return 2.0 / 3.0 * l_big_m / k, 2.0 / 3.0 * l_big_e / k**2, 2.0 / 3.0 * r_big_e / k**2


@dataclass(frozen=True, kw_only=True)
class EESM(Motor):
    r"""Externally excited synchronous motor (equations: the module docstring).

    ========== ============ ======= ==============================================
    parameter  default      unit    meaning
    ========== ============ ======= ==============================================
    p          2            1       pole-pair number (integer)
    l_d        3.78e-3      H       d-axis inductance
    l_q        1.21e-3      H       q-axis inductance
    l_m        40e-3        H       stator d-axis flux linkage per field ampere
    l_e        0.87         H       field-winding inductance
    j_rotor    0.3883       kg m²   rotor inertia
    r_s        0.123        Ω       stator resistance
    r_e        15.6         Ω       field-winding resistance
    k          0.057        1       turns ratio N_s / N_e (for stator-referred input)
    ========== ============ ======= ==============================================

    Defaults: GEM's branch ``EESM_transformations`` (from DOI 10.1109/ICPE.2015.7168165), σ = 0.270.
    States: ``omega, torque, i_a, i_b, i_c, i_sd, i_sq, i_e, u_a, u_b, u_c, u_sd, u_sq, u_e,
    epsilon, u_sup``; ODE states ``i_sd, i_sq, i_e, epsilon``. Inputs: the B6 bridge ``u_a, u_b,
    u_c``, then the field converter ``u_e``.
    Nominal: ω 450.29 rad/s (4300 rpm), i = i_e 25 A, T 75.15 N·m. Limits: ω 1256.6 rad/s
    (12000 rpm), i = i_e 25 A, T 75.15 N·m (MTPA torque at the nominal stator current with the
    field current at its nominal value).
    """

    p: int = 2
    l_d: float = 3.78e-3
    l_q: float = 1.21e-3
    l_m: float = 40e-3
    l_e: float = 0.87
    j_rotor: float = 0.3883
    r_s: float = 0.123
    r_e: float = 15.6
    k: float = 0.057

    ode_names: ClassVar = ("i_sd", "i_sq", "i_e", "epsilon")
    current_names: ClassVar = (*_STATOR, "i_e")
    voltage_names: ClassVar = _VOLTAGES
    input_names: ClassVar = ("u_a", "u_b", "u_c", "u_e")
    controlled_currents: ClassVar = ("i_sd", "i_sq", "i_e")
    dq_action_names: ClassVar = ("u_sd", "u_sq", "u_e")
    nonnegative_states: ClassVar = ("i_e",)
    has_angle: ClassVar[bool] = True
    pole_pairs_param: ClassVar[str | None] = "p"
    positive_params: ClassVar = ("p", "l_d", "l_q", "l_m", "l_e", "j_rotor", "r_s", "r_e", "k")
    rating_aliases: ClassVar = {"i": _STATOR}
    torque_limit_current: ClassVar[str | None] = "nominal"
    default_nominal: ClassVar = {"omega": 4300 * _RPM, "torque": 75.15, "i": 25.0, **dict.fromkeys(_STATOR, 25.0),
                                 "i_e": 25.0, **voltage_ratings(200.0, _VOLTAGES), "u_e": 200.0}
    default_limits: ClassVar = {"omega": 12000 * _RPM, "torque": 75.15, "i": 25.0, **dict.fromkeys(_STATOR, 25.0),
                                "i_e": 25.0, **voltage_ratings(200.0, _VOLTAGES), "u_e": 200.0}

    def __post_init__(self) -> None:
        """Validates the parameters: integer pole pairs, leakage factor ``σ > 0``."""
        super().__post_init__()
        check_pole_pairs(self)
        sigma = 1.0 - 1.5 * np.asarray(self.l_m) ** 2 / (np.asarray(self.l_d) * self.l_e)
        if np.any(sigma <= 0.0):
            raise ValueError(
                f"EESM: leakage factor sigma = 1 - 1.5 l_m²/(l_d l_e) must be > 0, got {sigma!r} from "
                f"l_m={self.l_m!r}, l_d={self.l_d!r}, l_e={self.l_e!r}; l_m, l_e, r_e are the field winding's own "
                "values (GEM 3.0.3's defaults are stator-referred: pass them as l_M, l_E, r_E with k)")

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None = None, **kwargs: Any) -> EESM:
        """Builds the EESM from a GEM parameter dict, field values either as the winding's or stator-referred.

        Args:
            params: GEM names; the field either as ``l_m, l_e, r_e`` (the field winding's own
                values) or as ``l_M, l_E, r_E`` (referred to the stator with ``k``, converted once
                by :func:`field_from_stator`), not mixed.
            **kwargs: Further fields (``nominal_values``, ``limit_values``).
        """
        params = dict(params or {})
        stator = [n for n in _FIELD_STATOR if n in params]
        if stator:
            check_known_keys(cls.__name__, params, (*cls.parameter_names(), *_FIELD_STATOR))
            mixed = [n for n in _FIELD if n in params]
            if mixed or len(stator) < 3:
                raise ValueError(f"EESM: give the field either as {list(_FIELD)} or as {list(_FIELD_STATOR)} "
                                 f"(stator-referred), all three of one kind; got {stator + mixed}")
            k = params.get("k", cls.k)
            values = field_from_stator(*(params.pop(n) for n in _FIELD_STATOR), k)
            params.update(zip(_FIELD, values, strict=True))
        return super().from_params(params, **kwargs)

    def derivative(self, x: Columns, u: Columns, omega: Column) -> tuple[Column, ...]:
        """``(di_sd, di_sq, di_e, dε)/dt`` from the held leg voltages and the field voltage."""
        i_sd, i_sq, i_e, eps = x[0], x[1], x[2], x[3]
        u_alpha, u_beta = clarke(u[0], u[1], u[2])
        u_sd, u_sq = park(u_alpha, u_beta, eps)
        omega_el = self.p * omega
        a = u_sd - self.r_s * i_sd + omega_el * self.l_q * i_sq        # l_d di_sd + l_m di_e
        b = u[3] - self.r_e * i_e                                       # 1.5 l_m di_sd + l_e di_e
        det = self.l_d * self.l_e - 1.5 * self.l_m * self.l_m           # σ l_d l_e
        di_sd = (self.l_e * a - self.l_m * b) / det
        di_e = (self.l_d * b - 1.5 * self.l_m * a) / det
        di_sq = (u_sq - self.r_s * i_sq - omega_el * (self.l_d * i_sd + self.l_m * i_e)) / self.l_q
        return di_sd, di_sq, di_e, omega_el

    def dq_action(self, a: Columns, x: Columns, omega: Column, advance: float, u_sup: Column) -> tuple[Column, ...]:
        """B6 actions for ``(u_sd, u_sq) / (2/3 u_sup)`` (rotor frame), then the field action ``u_e / u_sup``."""
        legs = dq_action_to_b6(a[0], a[1], x[3], omega, self.p, advance, (2.0 / 3.0) * u_sup, u_sup)
        return legs[0], legs[1], legs[2], np.minimum(np.maximum(a[2], -1.0), 1.0)

    def torque(self, x: Columns) -> Column:
        """T = 1.5 p (l_m i_e + (l_d - l_q) i_sd) i_sq."""
        return 1.5 * self.p * (self.l_m * x[2] + (self.l_d - self.l_q) * x[0]) * x[1]

    def currents(self, x: Columns) -> tuple[Column, ...]:
        """``i_a, i_b, i_c, i_sd, i_sq, i_e``."""
        return (*phase_currents(x[0], x[1], x[3]), x[0], x[1], x[2])

    def terminal_currents(self, x: Columns) -> tuple[Column, ...]:
        """Phase currents of the bridge, then the field current."""
        return (*phase_currents(x[0], x[1], x[3]), x[2])

    def voltages(self, u: Columns, x_start: Columns, x_end: Columns, tau: float) -> tuple[Column, ...]:
        """``u_a, u_b, u_c`` as applied, ``u_sd, u_sq`` averaged over the period, ``u_e``."""
        eps0 = x_start[3]
        u_alpha, u_beta = clarke(u[0], u[1], u[2])
        u_sd, u_sq = frame_average(u_alpha, u_beta, eps0, wrap_angle(x_end[3] - eps0))
        return u[0], u[1], u[2], u_sd, u_sq, u[3]

    def voltage_limits(self, u_max: np.ndarray) -> dict[str, np.ndarray]:
        """Phase voltages by ``u_sup/2``, ``u_sd, u_sq`` by ``2/3 u_sup``, ``u_e`` by the field converter's range."""
        u_vec = (4.0 / 3.0) * np.max(u_max[:, :3], axis=1)
        return {"u_a": u_max[:, 0], "u_b": u_max[:, 1], "u_c": u_max[:, 2], "u_sd": u_vec, "u_sq": u_vec,
                "u_e": u_max[:, 3]}

    def max_torque(self, ratings: Mapping[str, float]) -> float | np.ndarray:
        """MTPA torque at the stator current ``ratings["i"]`` with the field current ``ratings["i_e"]``."""
        psi_f = self.l_m * ratings["i_e"]
        return dq_torque(*mtpa_currents(ratings["i"], self.l_d, self.l_q, psi_f), self.p, self.l_d, self.l_q, psi_f)
