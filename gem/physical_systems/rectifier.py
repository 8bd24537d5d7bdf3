"""A three-phase grid feeding the DC link through a diode bridge (B6 rectifier) and line impedance.

The grid's phase voltages (``U_LL`` line-to-line RMS, frequency ``f``, angle ``φ`` at the
episode start, time ``t`` since the episode start)::

    e_k(t) = √(2/3) U_LL sin(2π f t + φ - k 2π/3),    k = 0, 1, 2

A diode bridge conducts from the highest to the lowest phase, so the bridge's open-circuit
output is ``u_r(t) = max_k e_k - min_k e_k`` (six pulses per grid period between
``√(3/2)·√2 U_LL`` and ``√2 U_LL``, mean ``3√2/π U_LL ≈ 1.35 U_LL``). The current ``i_rect``
flows through two lines, each with resistance ``r_line`` and inductance ``l_line``, into the
DC-link capacitor ``c``, which the converter drains by its supply current ``i_sup``::

    2 l_line di_rect/dt = u_r(t) - 2 r_line i_rect - u_sup     while i_rect > 0 (or the right side > 0)
    c du_sup/dt         = i_rect - i_sup

The diodes block a negative current: at ``i_rect <= 0`` a negative slope is set to zero, so the
current stays at (or, after a solver step that overshoots, just below) zero until ``u_r`` exceeds
``u_sup`` again; a current at or below zero charges nothing. (Where the bridge voltage touches
the link voltage without crossing it, e.g. at no load with the link at the peak, whether the
diodes conduct within a step is decided by rounding: the compiled step's polynomial ``sin`` and
NumPy's may then differ by milliamperes.) Both states are integrated by the
drive's solver, coupled to the motor (:mod:`gem.physical_systems.supplies`); the grid voltage is
resolved within the period (the solver's stages see ``e_k`` at their own times), not averaged.

Assumptions: ideal diodes (no forward voltage, no reverse recovery); a symmetrical sinusoidal grid;
the commutation from one phase pair to the next is instantaneous (with line inductance a real
bridge has an overlap during which three lines conduct, lowering the mean voltage by
``3 ω l_line i_rect / π``; here ``l_line`` acts on the DC side only, so in continuous conduction the
mean link voltage is exactly ``3√2/π U_LL - 2 r_line · mean(i_sup)``). The line inductance is
required (> 0): without it the charging current would be an algebraic, stiff function of the
voltages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from gem.physical_systems.params import check_positive, validated_fields
from gem.physical_systems.supplies import check_step

SQRT_TWO_THIRDS = float(np.sqrt(2.0 / 3.0))
THIRD_TURN = 2.0 * np.pi / 3.0


def bridge_voltage(u_ll, frequency, phase, t):
    """Open-circuit output ``max_k e_k - min_k e_k`` (V) of a diode bridge on the grid at time ``t`` (s)."""
    angle = 2.0 * np.pi * frequency * t + phase
    amp = SQRT_TWO_THIRDS * u_ll
    e0, e1, e2 = amp * np.sin(angle), amp * np.sin(angle - THIRD_TURN), amp * np.sin(angle + THIRD_TURN)
    return np.maximum(np.maximum(e0, e1), e2) - np.minimum(np.minimum(e0, e1), e2)


@dataclass(frozen=True, kw_only=True)
class ThreePhaseRectifierSupply:
    r"""Three-phase grid, line impedance and diode bridge charging the DC-link capacitor (see the module docstring).

    ========== ======== ====== ==========================================================
    parameter  default  unit   meaning
    ========== ======== ====== ==========================================================
    u_nominal  400      V      grid line-to-line RMS voltage ``U_LL`` (GEM AC3PhaseSupply)
    frequency  50       Hz     grid frequency (GEM ``supply_parameter["frequency"]``)
    phase      0        rad    grid angle ``φ`` at the episode start
    r_line     0.1      Ω      resistance of each line (> = 0)
    l_line     1e-4     H      inductance of each line (> 0)
    c          1e-3     F      DC-link capacitance
    ========== ======== ====== ==========================================================

    States: ``u_sup`` (capacitor voltage, V) and ``i_rect`` (bridge output current, A; internal:
    not a reported state). The episode starts with the capacitor charged to the grid's peak
    line-to-line voltage ``√2 U_LL`` (the no-load voltage) and no current; that peak is the
    normaliser of ``u_sup`` and of the terminal voltages.

    GEM's ``AC3PhaseSupply`` only returns the three phase voltages (it feeds no DC link, and draws
    its phase from the global NumPy generator at every reset); gem's grid angle is the parameter
    ``phase``.
    """

    u_nominal: float = 400.0
    frequency: float = 50.0
    phase: float = 0.0
    r_line: float = 0.1
    l_line: float = 1e-4
    c: float = 1e-3

    state_names: ClassVar[tuple[str, ...]] = ("u_sup", "i_rect")

    def __post_init__(self) -> None:
        params = validated_fields(self)
        owner = "ThreePhaseRectifierSupply"
        check_positive(owner, params, ("u_nominal", "frequency", "l_line", "c"))
        check_positive(owner, params, ("r_line",), strict=False)

    def voltage(self, num_envs: int) -> np.ndarray:
        """The normaliser of ``u_sup`` and the voltages: the peak line-to-line voltage ``√2 U_LL``, ``(num_envs,)``."""
        return np.broadcast_to(np.sqrt(2.0) * np.asarray(self.u_nominal, float), (num_envs,))

    def mean_voltage(self) -> float | np.ndarray:
        """The bridge's mean open-circuit output ``3√2/π U_LL`` in V."""
        return 3.0 * np.sqrt(2.0) / np.pi * self.u_nominal

    def initial_state(self, num_envs: int) -> np.ndarray:
        """``(num_envs, 2)``: the capacitor at ``√2 U_LL``, no current."""
        return np.stack([self.voltage(num_envs), np.zeros(num_envs)], axis=1)

    def derivative(self, xs, i_sup, t):
        """``(du_sup/dt, di_rect/dt)`` for the states ``xs = (u_sup, i_rect)``.

        ``i_sup``: the converter's supply current (A); ``t``: time since the episode start (s).
        """
        u_sup, i_rect = xs[0], xs[1]
        u_r = bridge_voltage(self.u_nominal, self.frequency, self.phase, t)
        di = (u_r - 2.0 * self.r_line * i_rect - u_sup) / (2.0 * self.l_line)
        di = np.where(i_rect > 0.0, di, np.maximum(di, 0.0))
        return (np.maximum(i_rect, 0.0) - i_sup) / self.c, di

    def check_step(self, step: float) -> None:
        """Raises a ValueError if the solver step exceeds ``√(2 l_line c)`` (the LC's 1/ω₀) or ``l_line / r_line``."""
        lc = float(np.min(np.sqrt(2.0 * self.l_line * self.c)))
        check_step("ThreePhaseRectifierSupply", step, lc, "sqrt(2*l_line*c)")
        if np.any(np.asarray(self.r_line) > 0):
            rl = np.asarray(self.l_line) / np.maximum(self.r_line, 1e-300)
            check_step("ThreePhaseRectifierSupply", step, float(np.min(rl)), "l_line/r_line")
