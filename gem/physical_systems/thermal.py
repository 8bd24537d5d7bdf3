r"""Temperature: a lumped-parameter thermal network (LPTN) of a PMSM, its losses and the temperature laws.

The network is Wallscheid's four-node LPTN of a permanent-magnet synchronous motor [W17]: the
permanent magnet (``pm``), stator yoke (``sy``), stator teeth (``st``) and stator winding (``sw``),
each a heat capacity ``C``, joined by thermal resistances ``R`` and tied to two boundaries held
at fixed temperatures, the ambient air ``θ_a`` and the coolant ``θ_c``::

    C_k dθ_k/dt = Σ_j (θ_j - θ_k) / R_kj + P_k          (j: the neighbours and boundaries of node k)

    pm ↔ st, sw, ambient, coolant      sy ↔ sw, st, coolant      st ↔ sy, sw, pm      sw ↔ sy, st, pm

Temperatures are in °C (differences in K), as in the source and in motor data sheets. Some
resistances depend on the speed ``n = |ω| · 30/π / 6000`` (the mechanical speed in units of 6000 rpm)
and on the coolant temperature, as published::

    R_c,sy = r_c_sy (1 + alpha_c_sy (θ_c - 20 °C))
    R_st,pm, R_sw,pm, R_pm,a = m exp(-n / b) + a                 (one (m, b, a) per resistance)
    R_pm,c = max(r_pm_c0 + r_pm_c_n n + (r_pm_c_t + r_pm_c_nt n) θ_c / 100 °C, 1e-6 K/W)

**Losses.** The copper loss heats the winding node: ``P_sw = 1.5 r_s(θ_sw) (i_sd² + i_sq²)`` (the
amplitude-invariant dq currents, i.e. ``3 R I_rms²``). The iron loss is a Steinmetz-type law with
the exponent of the flux set to 2, a hysteresis term proportional to the electrical frequency and
a classical eddy-current term proportional to its square (the loss separation of Bertotti [B88],
without the excess term), with the stator flux linkage ``|ψ_s|`` standing for the flux density::

    P_fe = (k_hy |f_el| + k_ed f_el²) |ψ_s|²            f_el = p ω / (2π),  |ψ_s|² = ψ_d² + ψ_q²

split between the nodes as in [W17]: ``P_pm = (1 - k₁) P_fe``, ``P_sy = k₂ k₁ P_fe``,
``P_st = (1 - k₂) k₁ P_fe`` with ``k₁ = clip(k1_0 + k1_n n + k1_i i_n + k1_ni n i_n, 0, 1)``,
``i_n = |i_dq| / i_ref``. Wallscheid's iron losses come from a measured loss map that is not
public; ``k_hy`` and ``k_ed`` here are an assumption (see the table), not his.

**Temperature laws.** The stator resistance and the magnet flux are given at ``theta_ref``::

    r_s(θ_sw) = r_s (1 + alpha_cu (θ_sw - theta_ref))      copper: alpha_cu = 0.00393 1/K
    ψ_p(θ_pm) = ψ_p (1 + alpha_pm (θ_pm - theta_ref))      NdFeB: alpha_pm ≈ -0.1 %/K

Sources:

* [W17] O. Wallscheid, "Ein Beitrag zur thermischen Ausnutzung permanenterregter Synchronmotoren in
  automobilen Traktionsanwendungen", dissertation, Paderborn University, 2017; the parameter values
  as published with W. Kirchgässner's thermal-nn (``WallscheidLPTNCell``, github.com/wkirgsn/thermal-nn).
* [B88] G. Bertotti, "General properties of power losses in soft ferromagnetic materials",
  IEEE Trans. Magn. 24(1), 1988.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np

from gem.physical_systems.params import as_param, check_positive

THERMAL_NODES = ("theta_pm", "theta_sy", "theta_st", "theta_sw")
"""The network's temperatures (°C): magnet, stator yoke, stator teeth, stator winding."""
_RPM_UNIT = 30.0 / np.pi / 6000.0
"""rad/s → the speed unit of the published resistances (6000 rpm)."""


def at_temperature(value_ref, alpha, theta, theta_ref):
    """A parameter linear in the temperature: ``value_ref (1 + alpha (theta - theta_ref))``."""
    return value_ref * (1.0 + alpha * (theta - theta_ref))


def iron_loss(k_hy, k_ed, f_el, psi_sq):
    """``P_fe = (k_hy |f_el| + k_ed f_el²) |ψ_s|²`` in W (``f_el`` in Hz, ``psi_sq`` in Wb²)."""
    return (k_hy * np.abs(f_el) + k_ed * f_el * f_el) * psi_sq


def decaying(m, b, a, n):
    """A speed-dependent resistance ``m exp(-n / b) + a`` (K/W)."""
    return m * np.exp(-n / b) + a


def node_derivative(theta, p_loss, theta_a, r_th, c_th):
    """``dθ/dt`` (K/s) of one node tied to a boundary at ``theta_a``: ``C dθ/dt = P - (θ - θ_a) / R``."""
    return (p_loss - (theta - theta_a) / r_th) / c_th


def lptn_derivative(lptn, theta_pm, theta_sy, theta_st, theta_sw, p_cu, p_fe, omega, i_abs):
    """``dθ/dt`` (K/s) of the four nodes (pm, sy, st, sw) for a copper loss ``p_cu`` and an iron loss ``p_fe`` (W).

    Args:
        lptn: The numbers of :class:`WallscheidLPTN` in :data:`LPTN_PARAMS` order (its ``columns``).
        theta_pm: Magnet temperature (°C).
        theta_sy: Stator-yoke temperature (°C).
        theta_st: Stator-teeth temperature (°C).
        theta_sw: Winding temperature (°C).
        p_cu: Copper loss (W), into the winding.
        p_fe: Iron loss (W), split between magnet, yoke and teeth.
        omega: Mechanical speed (rad/s).
        i_abs: Current amplitude ``|i_dq|`` (A), for the split of the iron loss.
    """
    (c_pm, c_sy, c_st, c_sw, r_sy_sw, r_sy_st, r_sw_st, r_c_sy, alpha_c_sy, m_st_pm, b_st_pm, a_st_pm,
     m_sw_pm, b_sw_pm, a_sw_pm, m_pm_a, b_pm_a, a_pm_a, r_pm_c0, r_pm_c_n, r_pm_c_t, r_pm_c_nt,
     theta_a, theta_c, k1_0, k1_n, k1_i, k1_ni, i_ref, k2) = lptn
    n = np.abs(omega) * _RPM_UNIT
    g_c_sy = 1.0 / (r_c_sy * (1.0 + alpha_c_sy * (theta_c - 20.0)))
    g_st_pm = 1.0 / decaying(m_st_pm, b_st_pm, a_st_pm, n)
    g_sw_pm = 1.0 / decaying(m_sw_pm, b_sw_pm, a_sw_pm, n)
    g_pm_a = 1.0 / decaying(m_pm_a, b_pm_a, a_pm_a, n)
    g_pm_c = 1.0 / np.maximum(r_pm_c0 + r_pm_c_n * n + (r_pm_c_t + r_pm_c_nt * n) * theta_c / 100.0, 1e-6)
    i_n = i_abs / i_ref
    k1 = np.minimum(np.maximum(k1_0 + k1_n * n + k1_i * i_n + k1_ni * n * i_n, 0.0), 1.0)
    q_pm = (theta_st - theta_pm) * g_st_pm + (theta_sw - theta_pm) * g_sw_pm \
        + (theta_a - theta_pm) * g_pm_a + (theta_c - theta_pm) * g_pm_c + (1.0 - k1) * p_fe
    q_sy = (theta_sw - theta_sy) / r_sy_sw + (theta_st - theta_sy) / r_sy_st + (theta_c - theta_sy) * g_c_sy \
        + k2 * k1 * p_fe
    q_st = (theta_sy - theta_st) / r_sy_st + (theta_sw - theta_st) / r_sw_st + (theta_pm - theta_st) * g_st_pm \
        + (1.0 - k2) * k1 * p_fe
    q_sw = (theta_sy - theta_sw) / r_sy_sw + (theta_st - theta_sw) / r_sw_st + (theta_pm - theta_sw) * g_sw_pm \
        + p_cu
    return q_pm / c_pm, q_sy / c_sy, q_st / c_st, q_sw / c_sw


@dataclass(frozen=True, kw_only=True)
class WallscheidLPTN:
    r"""Parameters of the thermal option of the PMSM: the four-node network, the losses, the temperature laws.

    Equations: :mod:`gem.physical_systems.thermal`. Every value is one number (not per environment).
    Sources: [W17] for the network and the loss split, the resistivity coefficient of copper and
    NdFeB data sheets for the temperature laws; the iron-loss coefficients are an assumption.

    ========================= ====================== =========== =======================================================
    parameter                 default                unit        meaning (source)
    ========================= ====================== =========== =======================================================
    c_pm, c_sy                10666, 6509.3          J/K         heat capacities: magnet, stator yoke [W17]
    c_st, c_sw                437.127, 3510.5        J/K         heat capacities: stator teeth, winding [W17]
    r_sy_sw                   0.0375                 K/W         yoke–winding [W17]
    r_sy_st                   0.0707                 K/W         yoke–teeth [W17]
    r_sw_st                   0.0899                 K/W         winding–teeth [W17]
    r_c_sy                    0.018                  K/W         coolant–yoke at θ_c = 20 °C [W17]
    alpha_c_sy                -0.0054                1/K         its coolant-temperature coefficient [W17]
    m_st_pm, b_st_pm, a_st_pm 1.7275, 0.1573, 0.3039 K/W, 1, K/W teeth–magnet ``m exp(-n/b) + a`` [W17]
    m_sw_pm, b_sw_pm, a_sw_pm 0.8486, 0.1428, 0.2319 K/W, 1, K/W winding–magnet [W17]
    m_pm_a, b_pm_a, a_pm_a    0.6349, 0.1184, 0.1205 K/W, 1, K/W magnet–ambient [W17]
    r_pm_c0, r_pm_c_n         0.3528, -0.2484        K/W         magnet–coolant polynomial [W17]
    r_pm_c_t, r_pm_c_nt       0.0276, 0.3331         K/W         its coolant terms (θ_c in units of 100 °C) [W17]
    theta_ambient             25                     °C          ambient temperature
    theta_coolant             25                     °C          coolant temperature
    theta_initial             None                   °C          every node at reset (``None``: ``theta_coolant``)
    k1_0, k1_n                0.5441, 0.0078         1           stator share of the iron loss [W17]
    k1_i, k1_ni               0.0352, -0.7438        1           its current terms [W17]
    i_ref                     256                    A           current unit of ``k₁`` [W17]
    k2                        0.8655                 1           yoke's part of the stator iron loss [W17]
    k_hy                      66                     W/(Hz Wb²)  hysteresis coefficient (assumed, see below)
    k_ed                      0.55                   W/(Hz² Wb²) eddy-current coefficient (assumed, see below)
    alpha_cu                  0.00393                1/K         resistance coefficient of copper at 20 °C
    alpha_pm                  -0.001                 1/K         NdFeB flux coefficient (remanence: -0.09 ... -0.12 %/K)
    theta_ref                 20                     °C          temperature of the motor's ``r_s`` and ``psi_p``
    ========================= ====================== =========== =======================================================

    ``k_hy`` and ``k_ed`` are chosen so that gem's default PMSM loses about 800 W in its iron at
    2400 rpm and the nominal 240 A (MTPA, ``|ψ_s|`` = 0.224 Wb, f_el = 120 Hz; half hysteresis, half
    eddy currents; 2 % of the 40 kW it delivers there, near its base speed at 300 V), an
    assumption: Wallscheid's measured loss map is not public. The network was identified on an
    automotive traction PMSM (the test-bench motor of the Kaggle "Electric Motor Temperature" data,
    ``R_dc`` 14.6 mΩ), of the size of gem's default PMSM (``r_s`` 18 mΩ, 240 A nominal).
    Its time constants are minutes to hours; over a 0.2 s episode the temperatures barely move.
    """

    c_pm: float = 10666.0
    c_sy: float = 6509.3
    c_st: float = 437.127
    c_sw: float = 3510.5
    r_sy_sw: float = 0.0375
    r_sy_st: float = 0.0707
    r_sw_st: float = 0.0899
    r_c_sy: float = 0.018
    alpha_c_sy: float = -0.0054
    m_st_pm: float = 1.7275
    b_st_pm: float = 0.1573
    a_st_pm: float = 0.3039
    m_sw_pm: float = 0.8486
    b_sw_pm: float = 0.1428
    a_sw_pm: float = 0.2319
    m_pm_a: float = 0.6349
    b_pm_a: float = 0.1184
    a_pm_a: float = 0.1205
    r_pm_c0: float = 0.3528
    r_pm_c_n: float = -0.2484
    r_pm_c_t: float = 0.0276
    r_pm_c_nt: float = 0.3331
    theta_ambient: float = 25.0
    theta_coolant: float = 25.0
    k1_0: float = 0.5441
    k1_n: float = 0.0078
    k1_i: float = 0.0352
    k1_ni: float = -0.7438
    i_ref: float = 256.0
    k2: float = 0.8655
    k_hy: float = 66.0
    k_ed: float = 0.55
    alpha_cu: float = 0.00393
    alpha_pm: float = -0.001
    theta_ref: float = 20.0
    theta_initial: float | None = None

    positive: ClassVar[tuple[str, ...]] = ("c_pm", "c_sy", "c_st", "c_sw", "r_sy_sw", "r_sy_st", "r_sw_st", "r_c_sy",
                                 "b_st_pm", "b_sw_pm", "b_pm_a", "i_ref")
    """Parameters that must be > 0 (the others may be of any sign, ``k_hy``, ``k_ed``, the ``m``, ``a`` >= 0)."""

    def __post_init__(self) -> None:
        scalar_fields(self, " (the thermal network is the same in every environment)")
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        check_positive("WallscheidLPTN", values, self.positive)
        check_positive("WallscheidLPTN", values, ("m_st_pm", "a_st_pm", "m_sw_pm", "a_sw_pm", "m_pm_a", "a_pm_a",
                                                  "k_hy", "k_ed", "k2"), strict=False)
        if values["k2"] > 1.0:
            raise ValueError(f"WallscheidLPTN: parameter 'k2' (the yoke's share of the stator iron loss) must be "
                             f"in [0, 1], got {values['k2']!r}")
        if 1.0 + values["alpha_c_sy"] * (values["theta_coolant"] - 20.0) <= 0.0:
            raise ValueError(f"WallscheidLPTN: theta_coolant={values['theta_coolant']!r} makes the coolant-yoke "
                             f"resistance non-positive with alpha_c_sy={values['alpha_c_sy']!r}")

    @property
    def columns(self) -> tuple[float, ...]:
        """The numbers :func:`lptn_derivative` takes, in :data:`LPTN_PARAMS` order."""
        return tuple(float(getattr(self, name)) for name in LPTN_PARAMS)

    @property
    def initial(self) -> float:
        """Every node's temperature at reset (°C)."""
        return self.theta_coolant if self.theta_initial is None else self.theta_initial


LPTN_PARAMS = ("c_pm", "c_sy", "c_st", "c_sw", "r_sy_sw", "r_sy_st", "r_sw_st", "r_c_sy", "alpha_c_sy",
               "m_st_pm", "b_st_pm", "a_st_pm", "m_sw_pm", "b_sw_pm", "a_sw_pm", "m_pm_a", "b_pm_a", "a_pm_a",
               "r_pm_c0", "r_pm_c_n", "r_pm_c_t", "r_pm_c_nt", "theta_ambient", "theta_coolant",
               "k1_0", "k1_n", "k1_i", "k1_ni", "i_ref", "k2")
"""The network's numbers in the order :func:`lptn_derivative` unpacks them."""


def scalar_fields(params: object, why: str = "") -> None:
    """Checks every field of a frozen thermal-parameter dataclass and stores it as one number.

    ``theta_initial`` may be ``None`` (the model's own start). ``why`` ends the message of a field given
    per environment.

    Raises:
        ValueError: Naming the class and field, for a value that is not a finite number or is an array.
    """
    owner = type(params).__name__
    for f in fields(params):
        value = getattr(params, f.name)
        if f.name == "theta_initial" and value is None:
            continue
        checked = as_param(value, f"{owner}.{f.name}")
        if np.ndim(checked):
            raise ValueError(f"{owner}: parameter {f.name!r} must be one number{why}, got {value!r}")
        object.__setattr__(params, f.name, checked)


def thermal_option(value: object, model: type) -> object | None:
    """The ``thermal=`` keyword: ``None``/``False`` (off), ``True`` (defaults), a dict of parameters or a ``model``.

    Args:
        value: What the user gave.
        model: The parameter class of the motor's thermal model (:class:`WallscheidLPTN`, ...).

    Raises:
        ValueError: Naming the value when it is none of these, or a dict names an unknown parameter.
    """
    if value is None or value is False:
        return None
    if value is True:
        return model()
    if isinstance(value, model):
        return value
    if isinstance(value, Mapping):
        known = [f.name for f in fields(model)]
        unknown = [k for k in value if k not in known]
        if unknown:
            raise ValueError(f"thermal: unknown parameter(s) {unknown} of {model.__name__}; known: {known}")
        return model(**value)
    raise ValueError(f"thermal must be None, True, a dict of {model.__name__} parameters or a {model.__name__}, "
                     f"got {value!r}")
