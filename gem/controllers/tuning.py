r"""PI tuning rules from component parameters: technical and symmetrical optimum.

Both rules are written for a plant ``K / ((1 + s T_1) (1 + s T_sigma))`` (or an integrator
``1 / (s T_I)`` in place of the first factor), where ``T_sigma`` lumps the small delays. In a
drive sampled with period ``tau`` the converter output is held for one period and the next
measurement is taken one period later, so ``T_sigma = tau`` (``t_sigma_factor`` scales it).

**Technical optimum** (TO, German *Betragsoptimum*) for the current loop, plant ``R-L``
(``K = 1/R``, ``T_1 = L/R``): the PI zero cancels the electrical pole::

    T_n = L / R          kp = L / (a T_sigma)          ki = kp / T_n = R / (a T_sigma)

``a = 2`` is the classical TO (overshoot about 4 %). The closed loop behaves like a first-order
lag with ``T_e = a T_sigma``.

**Symmetrical optimum** (SO) for an integrating plant ``1 / (s T_I)`` with lag ``T_sigma``::

    kp = T_I / (a T_sigma)          T_n = a² T_sigma          ki = kp / T_n

with design parameter ``a > 1`` (phase margin ``arcsin((a² - 1) / (a² + 1))``; ``a = 2`` gives
37°, ``a = 4`` gives 62°). For a current loop ``T_I = L`` (resistance neglected); for the speed
loop, torque → speed is ``1 / (s J)``, so ``T_I = J`` in N·m per rad/s² and the lag is the
closed current loop, ``T_sigma = T_e``. The closed SO loop responds roughly like a lag of
``a T_sigma``.

**Prefilter and torque precontrol.** The PI's zero ``1 + s T_n`` appears in the closed loop's
reference response and makes it overshoot a step by 43 % at ``a = 2`` and 17 % at ``a = 4``
(continuous-time loop). The symmetrical optimum's reference prefilter ``1 / (1 + s T_n)``
cancels it (8 % at ``a = 2``, none at ``a = 4``), but a ramp is then followed with the lag
``T_n = a² T_sigma``. A drive adds torque precontrol: the torque ``J dω_f/dt`` that accelerates
the inertia along the filtered reference ``ω_f`` is fed forward, and the PI only corrects what it
misses. With precontrol, a prefilter of ``T_f = a T_sigma`` already leaves no overshoot (0.06 % at
``a = 4``, continuous time), and a ramp is followed with the lag ``T_f``. The sampled loop needs a
little more: :func:`gem.controllers.make` uses ``T_f = 2 a T_e`` (``prefilter=2.0``; 1.6 ms for an
averaged converter with ``tau = 1e-4`` s, against ``T_n`` = 3.2 ms); with it a speed step of 8 rad/s
from rest overshoots by 0.7 % (``Cont-SC-ExtExDc-v0``) and 0.0 % (``Cont-SC-PMSM-v0``), against
5.2 % and 7.1 % without prefilter (measured in the sampled loop).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RULES = ("TO", "SO")


@dataclass(frozen=True)
class PIGains:
    """PI gains and the closed-loop time constant they give.

    Attributes:
        kp: Proportional gain.
        ki: Integral gain (``kp / T_n``).
        t_e: Equivalent first-order time constant of the closed loop (s).
    """

    kp: np.ndarray | float
    ki: np.ndarray | float
    t_e: np.ndarray | float

    @property
    def t_n(self) -> np.ndarray | float:
        """Integral (reset) time ``kp / ki`` in s."""
        return self.kp / self.ki


def _check_a(a: float) -> float:
    if not a > 1.0:
        raise ValueError(f"design parameter a must be > 1, got {a!r}")
    return float(a)


def technical_optimum(inductance, resistance, t_sigma: float, a: float = 2.0) -> PIGains:
    """Technical optimum for an R-L plant with small lag ``t_sigma``.

    Args:
        inductance: L in H (scalar or per-environment array).
        resistance: R in Ω.
        t_sigma: Sum of the small time constants (s), usually the control period.
        a: Design parameter (2: classical technical optimum; larger: slower, less overshoot).
    """
    a = _check_a(a)
    kp = np.asarray(inductance, float) / (a * t_sigma)
    ki = np.asarray(resistance, float) / (a * t_sigma)
    return PIGains(kp, ki, a * t_sigma)


def symmetrical_optimum(t_i, t_sigma, a: float = 4.0) -> PIGains:
    """Symmetrical optimum for an integrating plant ``1 / (s t_i)`` with lag ``t_sigma``.

    Args:
        t_i: Integration constant of the plant (L for a current loop, J for a speed loop).
        t_sigma: Lag of the plant in s (the closed inner loop's ``t_e`` for a cascade).
        a: Design parameter (> 1).
    """
    a = _check_a(a)
    t_sigma = np.asarray(t_sigma, float)
    kp = np.asarray(t_i, float) / (a * t_sigma)
    return PIGains(kp, kp / (a**2 * t_sigma), a * t_sigma)


def current_loop(inductance, resistance, t_sigma: float, a: float = 2.0, rule: str = "TO") -> PIGains:
    """Current-loop gains for an R-L winding by ``rule`` (``"TO"`` or ``"SO"``)."""
    if rule == "TO":
        return technical_optimum(inductance, resistance, t_sigma, a)
    if rule == "SO":
        return symmetrical_optimum(inductance, t_sigma, a)
    raise ValueError(f"unknown tuning rule {rule!r}; choose from {RULES}")


def speed_loop(j_total, t_e_current, a: float = 4.0) -> PIGains:
    """Speed-loop gains (torque output, N·m per rad/s) by the symmetrical optimum.

    Args:
        j_total: Total inertia of rotor and load (kg m²).
        t_e_current: Equivalent time constant of the closed current (torque) loop (s).
        a: Design parameter (> 1).
    """
    return symmetrical_optimum(j_total, t_e_current, a)


def stack_gains(gains: list[PIGains]) -> PIGains:
    """Gains of several loops as one with a column per loop: ``(n_loops,)`` or ``(num_envs, n_loops)``."""
    def col(name):
        return np.stack(np.broadcast_arrays(*[np.asarray(getattr(g, name), float) for g in gains]), axis=-1)
    return PIGains(col("kp"), col("ki"), col("t_e"))
