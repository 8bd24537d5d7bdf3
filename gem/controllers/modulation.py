r"""Output stages: from commanded terminal voltages (V) to converter actions.

Both stages read the converter's :class:`~gem.physical_systems.converters.Topology`, so they
work for every converter built from legs (1QC, 2QC, 4QC, B6 and their combinations):

* :class:`ContinuousModulator` inverts the duty-cycle map: each output voltage is affine in one
  action entry, ``u / u_sup = slope · a + intercept``.
* :class:`DeltaSigmaModulator` turns the voltage command of a switching converter into one
  switching state per period by first-order delta-sigma modulation: the per-unit command is added
  to an error accumulator, the switching state whose output vector lies nearest to the
  accumulator is applied, and its vector is subtracted. Over a few periods the applied voltage
  averages to the command (the accumulator stays bounded), with the quantisation error pushed to
  high frequencies. For a three-phase bridge the accumulator lives in the αβ plane (the common
  mode of the leg voltages does not reach a star-connected winding), so the eight B6 states are
  used as six active vectors and two zero vectors; ties (the two zero vectors, or 4QC's two zero
  states) go to the state that switches the fewest legs. The accumulator is also the volt-seconds
  the switching has withheld so far (:meth:`DeltaSigmaModulator.residual`); the current
  controllers add the corresponding current to the measured one, so that they control the
  period-average current and do not chase the switching ripple.
"""

from __future__ import annotations

import numpy as np

from gem.controllers.pi import clip
from gem.controllers.signals import Signals
from gem.physical_systems.converters import UPPER, Topology
from gem.physical_systems.transforms import T23, T32


def _output_action_map(topo: Topology) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per output: the action entry driving it, and slope/intercept of ``u/u_sup`` in that entry."""
    m = topo.matrix
    act, slope, icpt = [], [], []
    for o in range(topo.n_out):
        legs = np.flatnonzero(m[o] != 0.0)
        entries = set(topo.leg_action[legs].tolist())
        if len(entries) != 1:
            raise NotImplementedError(f"converter {topo.name}: output {o} is driven by action entries "
                                      f"{sorted(entries)}; one entry per output is supported")
        act.append(entries.pop())
        slope.append(float(m[o, legs] @ topo.duty_gain[legs]))
        icpt.append(float(m[o, legs] @ topo.duty_bias[legs] + topo.offset[o]))
    return np.array(act), np.array(slope), np.array(icpt)


class ContinuousModulator:
    """Duty-cycle (continuous) converter: voltages → ``Box`` action.

    Args:
        topology: The converter topology.
    """

    def __init__(self, topology: Topology):
        self.topology = topology
        self.act, self.slope, self.icpt = _output_action_map(topology)
        ends = np.stack([topology.action_low[self.act], topology.action_high[self.act]]) * self.slope + self.icpt
        self.pu_low, self.pu_high = ends.min(axis=0), ends.max(axis=0)

    def voltage_range(self, u_sup: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lowest and highest output voltages ``(batch, n_out)`` in V."""
        return u_sup[:, None] * self.pu_low, u_sup[:, None] * self.pu_high

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Stateless."""

    def residual(self, batch: int) -> None:
        """No modulation error: the averaged converter applies the command exactly."""
        return None

    def __call__(self, sig: Signals) -> np.ndarray:
        """Action for the command ``u_cmd`` (V) at the supply voltage ``u_sup``."""
        return self.modulate(sig["u_cmd"], sig["u_sup"])

    def modulate(self, u: np.ndarray, u_sup: np.ndarray) -> np.ndarray:
        """Action ``(batch, n_act)`` float32 realising the output voltages ``u`` (V) on average."""
        topo = self.topology
        a = np.zeros((u.shape[0], len(topo.action_low)))
        a[:, self.act] = (u / u_sup[:, None] - self.icpt) / self.slope
        return clip(a, topo.action_low, topo.action_high).astype(np.float32)


class _Part:
    """One finite sub-converter: its outputs, candidate output vectors and tie-break costs."""

    def __init__(self, topo: Topology, table: np.ndarray, legs: np.ndarray):
        self.outputs = np.flatnonzero(np.any(topo.matrix[:, legs] != 0.0, axis=1))
        v = (table == UPPER).astype(float)                        # OFF legs taken at the lower rail
        vectors = v @ topo.matrix[np.ix_(self.outputs, legs)].T + topo.offset[self.outputs]
        self.proj = T23 if len(self.outputs) == 3 else np.eye(len(self.outputs))
        self.lift = T32 if len(self.outputs) == 3 else np.eye(len(self.outputs))     # proj @ lift = I
        self.points = vectors @ self.proj.T                       # (n_choices, dim)
        self.pu_low, self.pu_high = vectors.min(axis=0), vectors.max(axis=0)
        changes = (table[:, None, :] != table[None, :, :]).sum(axis=2)
        self.tie_cost = 1e-9 * changes                            # (previous, candidate)


class DeltaSigmaModulator:
    """Switching converter: voltages → ``Discrete``/``MultiDiscrete`` action by delta-sigma modulation.

    Args:
        topology: The converter topology (one switching table per action entry).
        bound: Largest accumulator norm (per unit of ``u_sup``); keeps a command outside the
            converter's range from winding up the accumulator.
    """

    def __init__(self, topology: Topology, bound: float = 1.0):
        self.topology = topology
        self.bound = float(bound)
        widths = [t.shape[1] for t in topology.tables]
        starts = np.cumsum([0, *widths[:-1]])
        self.parts = [_Part(topology, t, np.arange(s, s + w)) for t, s, w in zip(topology.tables, starts, widths,
                                                                                 strict=True)]
        self.pu_low = np.zeros(topology.n_out)
        self.pu_high = np.zeros(topology.n_out)
        for p in self.parts:
            self.pu_low[p.outputs], self.pu_high[p.outputs] = p.pu_low, p.pu_high
        self.acc: list[np.ndarray] | None = None
        self.previous: np.ndarray | None = None

    def voltage_range(self, u_sup: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lowest and highest output voltages ``(batch, n_out)`` in V."""
        return u_sup[:, None] * self.pu_low, u_sup[:, None] * self.pu_high

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Clears the accumulators (and the remembered switching state) where ``mask`` is true."""
        if self.acc is None:
            return
        rows = slice(None) if mask is None else np.asarray(mask, dtype=bool)
        for acc in self.acc:
            acc[rows] = 0.0
        self.previous[rows] = 0

    def residual(self, batch: int) -> np.ndarray:
        """Voltage commanded but not yet applied, per output, in control periods × ``u_sup``.

        ``(batch, n_out)``: the accumulators in output coordinates (αβ lifted to zero-sum abc for
        a bridge). Integrated by a winding of inductance ``L``, it is the current the switching has
        so far withheld: ``i_average = i_measured + residual · u_sup · tau / L``. A current
        controller that feeds back this average does not react to the switching ripple (the
        analogue of sampling in the middle of a PWM period).
        """
        self._ensure(batch)
        out = np.zeros((batch, self.topology.n_out))
        for part, acc in zip(self.parts, self.acc, strict=True):
            out[:, part.outputs] = acc @ part.lift.T
        return out

    def _ensure(self, batch: int) -> None:
        if self.acc is None or self.previous.shape[0] != batch:
            self.acc = [np.zeros((batch, p.points.shape[1])) for p in self.parts]
            self.previous = np.zeros((batch, len(self.parts)), dtype=np.int64)

    def __call__(self, sig: Signals) -> np.ndarray:
        """Switching action for the command ``u_cmd`` (V) at the supply voltage ``u_sup``."""
        return self.modulate(sig["u_cmd"], sig["u_sup"])

    def modulate(self, u: np.ndarray, u_sup: np.ndarray) -> np.ndarray:
        """Switching action ``(batch, n_parts)`` int64 whose average output follows ``u`` (V)."""
        batch = u.shape[0]
        self._ensure(batch)
        action = np.empty((batch, len(self.parts)), dtype=np.int64)
        for k, (part, acc) in enumerate(zip(self.parts, self.acc, strict=True)):
            acc += (u[:, part.outputs] / u_sup[:, None]) @ part.proj.T
            dist = np.sum((acc[:, None, :] - part.points[None]) ** 2, axis=2)
            choice = np.argmin(dist + part.tie_cost[self.previous[:, k]], axis=1)
            acc -= part.points[choice]
            norm = np.sqrt(np.sum(acc**2, axis=1, keepdims=True))
            acc *= np.minimum(1.0, self.bound / np.maximum(norm, 1e-12))
            action[:, k] = choice
            self.previous[:, k] = choice
        return action
