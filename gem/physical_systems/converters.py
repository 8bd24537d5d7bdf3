"""Power converters: duty-cycle averaged (continuous) and switching (finite), with interlocking.

A converter is a set of half-bridge *legs* and a topology matrix ``M`` that maps the leg
voltages to the output terminals::

    u_out = u_sup * (M @ v_leg + offset)          v_leg in [0, 1]: share of time on the + rail
    i_leg = M.T @ i_out                            current flowing out of each leg
    i_sup = sum(v_leg * i_leg) + sum(offset * i_out)     lossless: u_sup * i_sup = sum(u_out * i_out)

========================== =================== ============ ================================
topology                   outputs (u/u_sup)   legs         continuous action / finite action
========================== =================== ============ ================================
one-quadrant (1QC)         u in [0, 1]         1 (upper)    Box[0, 1] / Discrete(2)
two-quadrant (2QC)         u in [0, 1]         1            Box[0, 1] / Discrete(3)
four-quadrant (4QC)        u in [-1, 1]        2, u=v1-v2   Box[-1, 1] / Discrete(4)
B6 bridge                  u_x = v_x - 1/2     3            Box[-1, 1]^3 / Discrete(8)
asymmetric half bridge     u = v_1 + w - 1     2 (one-      Box[-1, 1] / Discrete(4)
(AHB, per SRM phase)       u in [-1, 1]        quadrant)
multi (e.g. 4QC + 4QC)     concatenated        concatenated concatenated / MultiDiscrete
========================== =================== ============ ================================

Finite actions follow GEM: 1QC ``0`` off, ``1`` on; 2QC ``0`` both off, ``1`` upper on,
``2`` lower on; 4QC ``0`` → 0, ``1`` → +u_sup, ``2`` → −u_sup, ``3`` → 0; B6 ``a = 4 s_a + 2 s_b + s_c``
with ``s_x = 1`` the upper switch of leg x on; AHB as the 4QC: ``0`` → 0 (lower switch on, free-wheeling),
``1`` → +u_sup (both on), ``2`` → −u_sup (both off: the current returns through both diodes), ``3`` → 0
(upper switch on).

**Asymmetric half bridge** (one per phase of a switched reluctance motor). The upper switch connects
the winding's top terminal to the + rail, the lower switch its bottom terminal to the − rail; the
diodes return a positive current from the − rail to the top and from the bottom to the + rail.
The phase current cannot reverse. Described as legs, the top terminal is a one-quadrant leg ``v_1``
(switch on: + rail; off: its diode, the − rail), and the bottom terminal, seen from the − rail, a
second one-quadrant leg ``w`` (1: lower switch on, the bottom on the − rail; 0: off, the bottom on the
+ rail through its diode). Its voltage is ``u = u_sup (v_1 + w - 1)``: ``M = [1, 1]``, offset −1. Both
legs carry the phase current out (``i_leg = M.T i``). With both switches off and no current, the
diodes do not conduct and the winding is open: the converter still reports −u_sup, and the motor's
equations hold its current at zero (the switched reluctance motor applies only what a diode lets
through: see :mod:`gem.physical_systems.srm`).

**Interlocking** (``interlocking_time`` t_il, s): when a leg changes over between its upper and
lower switch, both are off for t_il and the leg voltage is set by the sign of its current (the
free-wheeling diode): ``i_leg > 0`` → lower rail (0), ``i_leg < 0`` → upper rail (u_sup).

* Finite converters model this exactly: the period is integrated in two pieces, the first t_il
  with the diode voltage on the legs that switched, then the commanded voltage. Only legs that
  changed state are affected, and only in the period in which they changed.
* Continuous (averaged) converters shift each switching leg's duty cycle by
  ``-sign(i_leg) t_il / tau``: the average leg voltage error is ``∓ t_il / tau · u_sup``. A
  four-quadrant bridge has two legs carrying opposite currents, so its terminal error is
  ``-2 sign(i) t_il / tau · u_sup`` (the errors add; they do not cancel as in GEM's Cont4QC).
  Legs held at duty 0 or 1 do not switch and see no error.

A leg that is off (finite 2QC action 0, or a one-quadrant leg's switch off) follows its current
during the whole period. Discontinuous conduction (a current that would reverse through a
blocking diode) is not modelled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from gymnasium import spaces
from scipy.linalg import block_diag

from gem.physical_systems.params import as_param

OFF, LOWER, UPPER = -1, 0, 1


@dataclass(frozen=True, eq=False)
class Topology:
    """Legs and their wiring to the output terminals (see the module docstring).

    Attributes:
        name: Short name, e.g. ``"4QC"``.
        matrix: ``(n_out, n_legs)`` map from leg voltages to output voltages (per unit of u_sup).
        offset: ``(n_out,)`` constant added to the outputs (per unit of u_sup).
        full_leg: ``(n_legs,)`` True for a leg with two switches, False for a one-quadrant leg.
        max_output: ``(n_out,)`` largest ``|u_out|`` / u_sup: the voltage normaliser.
        action_low: ``(n_act,)`` lower bound of the continuous action.
        action_high: ``(n_act,)`` upper bound of the continuous action.
        leg_action: ``(n_legs,)`` index of the action entry that drives each leg.
        duty_gain: ``(n_legs,)`` duty = gain * action + bias.
        duty_bias: ``(n_legs,)``.
        tables: one ``(n_choices, n_legs_of_part)`` switch table per finite action entry.
    """

    name: str
    matrix: np.ndarray
    offset: np.ndarray
    full_leg: np.ndarray
    max_output: np.ndarray
    action_low: np.ndarray
    action_high: np.ndarray
    leg_action: np.ndarray
    duty_gain: np.ndarray
    duty_bias: np.ndarray
    tables: tuple[np.ndarray, ...]

    @property
    def n_out(self) -> int:
        """Number of output terminals."""
        return self.matrix.shape[0]

    @property
    def n_legs(self) -> int:
        """Number of half-bridge legs."""
        return self.matrix.shape[1]


def _topology(name, matrix, offset, full_leg, max_output, low, high, gain, bias, tables) -> Topology:
    n_legs = np.asarray(matrix).shape[1]
    n_act = len(low)
    return Topology(
        name=name, matrix=np.asarray(matrix, float), offset=np.asarray(offset, float),
        full_leg=np.asarray(full_leg, bool), max_output=np.asarray(max_output, float),
        action_low=np.asarray(low, float), action_high=np.asarray(high, float),
        leg_action=np.arange(n_legs) if n_act == n_legs else np.zeros(n_legs, int),
        duty_gain=np.asarray(gain, float), duty_bias=np.asarray(bias, float),
        tables=tuple(np.asarray(t, np.int8) for t in tables),
    )


ONE_QUADRANT = _topology("1QC", [[1.0]], [0.0], [False], [1.0], [0.0], [1.0], [1.0], [0.0],
                         [[[OFF], [UPPER]]])
TWO_QUADRANT = _topology("2QC", [[1.0]], [0.0], [True], [1.0], [0.0], [1.0], [1.0], [0.0],
                         [[[OFF], [UPPER], [LOWER]]])
FOUR_QUADRANT = _topology("4QC", [[1.0, -1.0]], [0.0], [True, True], [1.0], [-1.0], [1.0],
                          [0.5, -0.5], [0.5, 0.5],
                          [[[UPPER, UPPER], [UPPER, LOWER], [LOWER, UPPER], [LOWER, LOWER]]])
ASYMMETRIC_HALF_BRIDGE = _topology("AHB", [[1.0, 1.0]], [-1.0], [False, False], [1.0], [-1.0], [1.0],
                                   [0.5, 0.5], [0.5, 0.5],
                                   [[[OFF, UPPER], [UPPER, UPPER], [OFF, OFF], [UPPER, OFF]]])
B6_BRIDGE = _topology("B6C", np.eye(3), [-0.5] * 3, [True] * 3, [0.5] * 3, [-1.0] * 3, [1.0] * 3,
                      [0.5] * 3, [0.5] * 3,
                      [[[(a >> 2) & 1, (a >> 1) & 1, a & 1] for a in range(8)]])


def combine(*parts: Topology) -> Topology:
    """Topology of independent sub-converters side by side (GEM's Multi converter)."""
    act_offsets = np.cumsum([0] + [len(p.action_low) for p in parts[:-1]])
    return Topology(
        name="+".join(p.name for p in parts),
        matrix=block_diag(*[p.matrix for p in parts]),
        offset=np.concatenate([p.offset for p in parts]),
        full_leg=np.concatenate([p.full_leg for p in parts]),
        max_output=np.concatenate([p.max_output for p in parts]),
        action_low=np.concatenate([p.action_low for p in parts]),
        action_high=np.concatenate([p.action_high for p in parts]),
        leg_action=np.concatenate([p.leg_action + o for p, o in zip(parts, act_offsets, strict=True)]),
        duty_gain=np.concatenate([p.duty_gain for p in parts]),
        duty_bias=np.concatenate([p.duty_bias for p in parts]),
        tables=sum((p.tables for p in parts), ()),
    ) if len(parts) > 1 else parts[0]


def dot(coefficients, values):
    """``sum_k coefficients[k] * values[k]``: one row of a topology product.

    Column form: ``values`` is a tuple of columns (arrays in the NumPy step, floats in the
    kernel); ``coefficients`` a row of the topology matrix.
    """
    acc = 0.0
    for k in range(len(values)):
        acc = acc + coefficients[k] * values[k]
    return acc


def terminal_voltage(u_sup, row, offset, legs):
    """Output voltage ``u_sup (M[o] · v_leg + offset[o])`` in V of one terminal ``o``."""
    return u_sup * (offset + dot(row, legs))


def duty_cycle(action, low, high, gain, bias):
    """Duty cycle of one leg, in [0, 1], from its action entry clipped to ``[low, high]``."""
    return np.minimum(np.maximum(action, low), high) * gain + bias


def continuous_leg(duty, i_leg, full, shift):
    """Period-averaged voltage of one leg (share of the period on the + rail, in [0, 1]).

    Args:
        duty: Commanded duty cycle in [0, 1].
        i_leg: Current out of the leg at the start of the period (A).
        full: ``True`` for a leg with two switches, ``False`` for a one-quadrant leg.
        shift: Interlocking time over the period, ``t_il / tau`` (0: none).

    A switching full leg (``0 < duty < 1``) loses ``sign(i_leg) t_il / tau`` of its duty cycle to
    the interlocking time; a one-quadrant leg carrying a negative current sits on the + rail
    through its diode.
    """
    switching = np.logical_and(np.logical_and(duty > 0.0, duty < 1.0), full)
    shifted = np.minimum(np.maximum(duty - np.sign(i_leg) * shift, 0.0), 1.0)
    v = np.where(switching, shifted, duty)
    return np.where(np.logical_and(np.logical_not(full), i_leg < 0.0), 1.0, v)


def forward_drop(v, i_leg, u_switch, u_diode, u_sup):
    """A leg's share of the period on the + rail, less its semiconductors' forward voltages.

    Args:
        v: Share of the period on the + rail (from :func:`continuous_leg` or :func:`finite_leg`).
        i_leg: Current out of the leg (A).
        u_switch: Forward voltage of a conducting switch (V).
        u_diode: Forward voltage of a conducting diode (V).
        u_sup: Supply voltage (V).

    A current out of the leg flows through the upper switch for ``v`` of the period and the lower
    diode for the rest: the leg's mean voltage drops by ``v u_switch + (1 - v) u_diode``. A current
    into the leg flows through the upper diode and the lower switch: the voltage rises by
    ``v u_diode + (1 - v) u_switch``. Without current there is no drop. The result is in units of
    ``u_sup``, like ``v``.
    """
    out = v * u_switch + (1.0 - v) * u_diode
    back = v * u_diode + (1.0 - v) * u_switch
    return v - np.where(i_leg > 0.0, out, np.where(i_leg < 0.0, -back, 0.0)) / u_sup


def finite_leg(state, previous, i_leg, full, interlocking):
    """Leg voltages ``(v_il, v_on)`` of a switching leg during and after the interlocking time.

    Args:
        state: Commanded switch state (``UPPER``, ``LOWER`` or ``OFF``).
        previous: Switch state of the previous period.
        i_leg: Current out of the leg at the start of the period (A).
        full: ``True`` for a leg with two switches.
        interlocking: ``True`` if the converter has an interlocking time.

    An open leg, and a one-quadrant leg carrying a negative current, follow the current through
    the diodes. A full leg that changes over between its switches sits on the diode set by the
    sign of its current for the interlocking time (the previous state if the current is zero).
    """
    negative = np.where(i_leg < 0.0, 1.0, 0.0)
    on = np.where(state == OFF, negative, state * 1.0)
    on = np.where(np.logical_and(np.logical_not(full), i_leg < 0.0), 1.0, on)
    diode = np.where(i_leg > 0.0, 0.0, np.maximum(previous, 0) * 1.0)
    diode = np.where(i_leg < 0.0, 1.0, diode)
    changed = np.logical_and(np.logical_and(state != previous, state != OFF),
                             np.logical_and(previous != OFF, np.logical_and(full, interlocking)))
    return np.where(changed, diode, on), on


def segment_mean(u_first, u_second, share):
    """Period average of a voltage held at ``u_first`` for ``share`` of the period, then ``u_second``."""
    return share * u_first + (1.0 - share) * u_second


class ConverterOutput(NamedTuple):
    """What a converter applies during one control period.

    Attributes:
        segments: ``(duration_s, u_out)`` pieces that cover the period; ``u_out`` is
            ``(num_envs, n_out)`` in V and held constant within its piece.
        u_mean: Period-averaged output voltages, ``(num_envs, n_out)``.
        i_sup: Period-averaged current drawn from the supply, ``(num_envs,)`` (A).
        switch_state: Leg switch states after the period (finite converters), ``(num_envs, n_legs)``.
        legs: Per segment, each leg's share of it on the + rail (one column per leg, before the
            forward voltages): the supply current at any instant of the segment is
            ``Σ_legs share · i_leg`` (what a supply with states needs; ``None``: not reported).
    """

    segments: list[tuple[float, np.ndarray]]
    u_mean: np.ndarray
    i_sup: np.ndarray
    switch_state: np.ndarray
    legs: list[tuple[np.ndarray, ...]] | None = None


@dataclass(frozen=True, eq=False)
class Converter:
    """Base of both converter kinds: topology, interlocking time and the leg arithmetic.

    Attributes:
        topology: Legs and wiring, e.g. :data:`FOUR_QUADRANT`.
        interlocking_time: Interlocking (dead) time per switching event in s (>= 0).
        switch_drop: Forward voltage of a conducting switch (transistor) in V (>= 0; 0: ideal).
        diode_drop: Forward voltage of a conducting diode in V (>= 0; 0: ideal).
    """

    topology: Topology
    interlocking_time: float = 0.0
    switch_drop: float = 0.0
    diode_drop: float = 0.0

    finite = False

    def __post_init__(self) -> None:
        t_il = as_param(self.interlocking_time, f"{self.name}.interlocking_time")
        if np.any(np.asarray(t_il) < 0):
            raise ValueError(f"{self.name}: interlocking_time must be >= 0, got {t_il!r}")
        object.__setattr__(self, "interlocking_time", t_il)
        object.__setattr__(self, "_interlocking", bool(np.any(np.asarray(t_il) > 0)))
        for name in ("switch_drop", "diode_drop"):     # numbers and finite as every parameter (as_param)
            value = getattr(self, name)
            drop = None if isinstance(value, bool) else as_param(value, f"{self.name}.{name}")
            if drop is None or np.ndim(drop) or drop < 0:
                raise ValueError(f"{self.name}: {name} must be a forward voltage >= 0 V (one for every "
                                 f"environment), got {value!r}")
            object.__setattr__(self, name, drop)

    @property
    def has_drops(self) -> bool:
        """Whether the semiconductors have forward voltages (the legs then apply :func:`forward_drop`)."""
        return self.switch_drop > 0.0 or self.diode_drop > 0.0

    def _with_drops(self, v: tuple[np.ndarray, ...], i_leg: tuple[np.ndarray, ...],
                    u_sup: np.ndarray) -> tuple[np.ndarray, ...]:
        if not self.has_drops:
            return v
        drop = self.column_functions["drop"]
        return tuple(drop(vj, ij, self.switch_drop, self.diode_drop, u_sup) for vj, ij in zip(v, i_leg, strict=True))

    @property
    def name(self) -> str:
        """Display name, e.g. ``Cont-4QC``."""
        return f"{'Finite' if self.finite else 'Cont'}-{self.topology.name}"

    @property
    def n_out(self) -> int:
        """Number of output terminals."""
        return self.topology.n_out

    def initial_switch_state(self, num_envs: int) -> np.ndarray:
        """All legs off at reset (so the first period has no interlocking)."""
        return np.full((num_envs, self.topology.n_legs), OFF, np.int8)

    column_functions: ClassVar[dict[str, Callable]] = {"terminal": terminal_voltage, "dot": dot,
                                                       "drop": forward_drop}
    """The converter's column arithmetic by role, called by the NumPy step and the compiled kernel.

    ``"dot"`` leg currents from terminal currents, ``"terminal"`` terminal voltages from leg
    voltages, ``"drop"`` the semiconductors' forward voltages; the concrete kinds add ``"duty"``
    and ``"leg"`` (continuous) or ``"leg"`` and ``"mean"`` (finite). A subclass replaces an entry to
    change that piece of arithmetic in both steps; a subclass that overrides :meth:`output` instead
    runs on the NumPy step.
    """

    def leg_currents(self, i_out: np.ndarray) -> tuple[np.ndarray, ...]:
        """Current out of each leg (A) from the output currents ``(num_envs, n_out)``, one column per leg."""
        return self.leg_current_columns(tuple(i_out.T))

    def leg_current_columns(self, i_out: tuple) -> tuple:
        """Current out of each leg (A) from the output currents given as columns, one column per leg."""
        m, dot_ = self.topology.matrix, self.column_functions["dot"]
        return tuple(dot_(m[:, j], i_out) for j in range(self.topology.n_legs))

    def _supply_current(self, v: tuple[np.ndarray, ...], i_leg: tuple[np.ndarray, ...],
                        i_out: np.ndarray) -> np.ndarray:
        """``sum(v_leg i_leg) + sum(offset i_out)``: the supply current of lossless legs (module docstring)."""
        dot_ = self.column_functions["dot"]
        return dot_(v, i_leg) + dot_(self.topology.offset, tuple(i_out.T))

    def _outputs(self, legs: tuple[np.ndarray, ...], u_sup: np.ndarray) -> np.ndarray:
        topo, terminal = self.topology, self.column_functions["terminal"]
        return np.stack([terminal(u_sup, topo.matrix[o], topo.offset[o], legs) for o in range(topo.n_out)], axis=1)

    def output(self, action: np.ndarray, i_out: np.ndarray, switch_state: np.ndarray,
               u_sup: np.ndarray, tau: float) -> ConverterOutput:
        """Voltages applied in the coming period.

        Args:
            action: ``(num_envs, n_act)`` validated action (float for continuous, int for finite).
            i_out: ``(num_envs, n_out)`` terminal currents at the start of the period (A).
            switch_state: ``(num_envs, n_legs)`` leg states of the previous period.
            u_sup: ``(num_envs,)`` supply voltage (V).
            tau: Control period (s).
        """
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class ContinuousConverter(Converter):
    """Duty-cycle averaged converter with a ``Box`` action; out-of-range actions are clipped.

    Column functions (shared by the NumPy step and the compiled kernel): :func:`duty_cycle`,
    :func:`continuous_leg`, :func:`terminal_voltage`.
    """

    column_functions: ClassVar[dict[str, Callable]] = {
        "duty": duty_cycle, "leg": continuous_leg, "terminal": terminal_voltage, "dot": dot, "drop": forward_drop}

    @property
    def action_space(self) -> spaces.Box:
        """Single-environment action space (float32)."""
        t = self.topology
        return spaces.Box(t.action_low.astype(np.float32), t.action_high.astype(np.float32),
                          dtype=np.float32)

    def duty_cycles(self, action: np.ndarray) -> tuple[np.ndarray, ...]:
        """Leg duty cycles in [0, 1] from the (clipped) action, one column per leg."""
        t, duty = self.topology, self.column_functions["duty"]
        return tuple(duty(action[:, k], t.action_low[k], t.action_high[k], t.duty_gain[j], t.duty_bias[j])
                     for j, k in enumerate(t.leg_action))

    def output(self, action, i_out, switch_state, u_sup, tau) -> ConverterOutput:
        """Averaged leg voltages, with the interlocking duty error; one segment."""
        i_leg = self.leg_currents(i_out)
        shift = np.asarray(self.interlocking_time, float) / tau
        full, leg = self.topology.full_leg, self.column_functions["leg"]
        duty = self.duty_cycles(action)
        v = tuple(leg(d, i, full[j], shift) for j, (d, i) in enumerate(zip(duty, i_leg, strict=True)))
        u = self._outputs(self._with_drops(v, i_leg, u_sup), u_sup)
        return ConverterOutput([(tau, u)], u, self._supply_current(v, i_leg, i_out), switch_state, [v])


@dataclass(frozen=True, eq=False)
class FiniteConverter(Converter):
    """Switching converter with a ``Discrete`` (one part) or ``MultiDiscrete`` action.

    Column functions (shared by the NumPy step and the compiled kernel): :func:`finite_leg`,
    :func:`terminal_voltage`, :func:`segment_mean`.
    """

    finite = True
    column_functions: ClassVar[dict[str, Callable]] = {
        "leg": finite_leg, "terminal": terminal_voltage, "mean": segment_mean, "dot": dot, "drop": forward_drop}

    def __post_init__(self) -> None:
        super().__post_init__()
        if np.ndim(self.interlocking_time) and np.ptp(self.interlocking_time) > 0:
            raise ValueError(f"{self.name}: interlocking_time must be the same for every environment")

    @property
    def action_space(self) -> spaces.Discrete | spaces.MultiDiscrete:
        """Single-environment action space."""
        sizes = [len(t) for t in self.topology.tables]
        return spaces.Discrete(sizes[0]) if len(sizes) == 1 else spaces.MultiDiscrete(sizes)

    def switch_states(self, action: np.ndarray) -> np.ndarray:
        """Leg switch states (``UPPER``/``LOWER``/``OFF``) for an integer action ``(num_envs, n_parts)``."""
        return np.concatenate([t[action[:, k]] for k, t in enumerate(self.topology.tables)], axis=1)

    def output(self, action, i_out, switch_state, u_sup, tau) -> ConverterOutput:
        """Two segments when interlocking is on: the dead time first, then the commanded state."""
        s = self.switch_states(action)
        i_leg = self.leg_currents(i_out)
        t_il = float(np.max(self.interlocking_time))
        if self._interlocking and t_il >= tau:
            raise ValueError(f"{self.name}: interlocking_time ({t_il}) must be shorter than tau ({tau})")
        full, f = self.topology.full_leg, self.column_functions
        legs = [f["leg"](s[:, j], switch_state[:, j], i, full[j], self._interlocking) for j, i in enumerate(i_leg)]
        v_il, v_on = tuple(leg[0] for leg in legs), tuple(leg[1] for leg in legs)
        u_on = self._outputs(self._with_drops(v_on, i_leg, u_sup), u_sup)
        if not self._interlocking:
            return ConverterOutput([(tau, u_on)], u_on, self._supply_current(v_on, i_leg, i_out), s, [v_on])
        u_il = self._outputs(self._with_drops(v_il, i_leg, u_sup), u_sup)
        share = t_il / tau
        i_sup = f["mean"](self._supply_current(v_il, i_leg, i_out), self._supply_current(v_on, i_leg, i_out), share)
        return ConverterOutput([(t_il, u_il), (tau - t_il, u_on)], f["mean"](u_il, u_on, share), i_sup, s,
                               [v_il, v_on])


def _make(kind: type[Converter], topology: Topology):
    def factory(interlocking_time: float = 0.0, switch_drop: float = 0.0, diode_drop: float = 0.0) -> Converter:
        return kind(topology, interlocking_time, switch_drop, diode_drop)
    factory.__doc__ = f"{kind.__name__} on the {topology.name} topology (GEM name)."
    return factory


ContOneQuadrantConverter = _make(ContinuousConverter, ONE_QUADRANT)
ContTwoQuadrantConverter = _make(ContinuousConverter, TWO_QUADRANT)
ContFourQuadrantConverter = _make(ContinuousConverter, FOUR_QUADRANT)
ContB6BridgeConverter = _make(ContinuousConverter, B6_BRIDGE)
FiniteOneQuadrantConverter = _make(FiniteConverter, ONE_QUADRANT)
FiniteTwoQuadrantConverter = _make(FiniteConverter, TWO_QUADRANT)
FiniteFourQuadrantConverter = _make(FiniteConverter, FOUR_QUADRANT)
FiniteB6BridgeConverter = _make(FiniteConverter, B6_BRIDGE)
ContAsymmetricHalfBridgeConverter = _make(ContinuousConverter, ASYMMETRIC_HALF_BRIDGE)
FiniteAsymmetricHalfBridgeConverter = _make(FiniteConverter, ASYMMETRIC_HALF_BRIDGE)


def _common(parts: tuple[Converter, ...], name: str, given: float | None) -> float:
    """``given``, else the value of the parts' field ``name`` (an error if they differ)."""
    if given is not None:
        return given
    values = {float(np.max(getattr(p, name))) for p in parts}
    if len(values) > 1:
        raise ValueError(f"the converters have different {name} values {sorted(values)}; "
                         f"pass {name}= to the multi converter")
    return values.pop() if values else 0.0


def _settings(parts: tuple[Converter, ...], *given: float | None) -> tuple[float, float, float]:
    """Interlocking time and forward voltages of a multi converter (given, else the parts' common ones)."""
    names = ("interlocking_time", "switch_drop", "diode_drop")
    return tuple(_common(parts, name, value) for name, value in zip(names, given, strict=True))  # type: ignore[return-value]


def ContMultiConverter(*parts: Converter, interlocking_time: float | None = None,  # noqa: N802
                       switch_drop: float | None = None, diode_drop: float | None = None) -> ContinuousConverter:
    """Continuous converters side by side (e.g. armature and field of ``ExtExDc``).

    ``interlocking_time``, ``switch_drop`` and ``diode_drop`` default to the parts' common values.
    """
    return ContinuousConverter(combine(*[p.topology for p in parts]), *_settings(parts, interlocking_time, switch_drop,
                                                                                diode_drop))


def FiniteMultiConverter(*parts: Converter, interlocking_time: float | None = None,  # noqa: N802
                         switch_drop: float | None = None, diode_drop: float | None = None) -> FiniteConverter:
    """Finite converters side by side; the action is ``MultiDiscrete``.

    ``interlocking_time``, ``switch_drop`` and ``diode_drop`` default to the parts' common values.
    """
    return FiniteConverter(combine(*[p.topology for p in parts]), *_settings(parts, interlocking_time, switch_drop,
                                                                            diode_drop))
