r"""What a controller needs to know about each DC motor: current loops, torque → current, torque range.

Every winding fed by a converter output is one R-L current loop with a back-EMF that the
controller feeds forward from measurements::

    motor     loop (current ← voltage)   L            R            EMF fed forward
    PermExDc  i   ← u                    l_a          r_a          psi_e ω
    SeriesDc  i   ← u                    l_a + l_e    r_a + r_e    l_e' ω i
    ExtExDc   i_a ← u_a                  l_a          r_a          l_e' ω i_e
              i_e ← u_e                  l_e          r_e          0
    ShuntDc   i_a ← u                    l_a          r_a          l_e' ω i_e     (i_e = u / r_e follows u)

Torque → current (current references are clipped to ``± (1 - margin) · limit``)::

    PermExDc  i   = T / psi_e
    SeriesDc  i   = sqrt(max(T, 0) / l_e')        (a series motor cannot brake: T = l_e' i² >= 0;
                                                    linear near T = 0, see SeriesControl)
    ExtExDc   i_e = min(i_e_set, k_fw u_sup / (l_e' |ω|))   (field weakening keeps the EMF below
                                                              k_fw u_sup; i_e_set = nominal i_e)
              i_a = T / (l_e' i_e,measured)
    ShuntDc   i_a = T / (l_e' max(i_e,measured, i_e,min))   (the field current is set by the voltage)

:data:`FAMILIES` maps motor classes to their control knowledge; a user-defined motor that behaves
like one of these (same parameter names) is controlled by registering it, e.g.
``FAMILIES[MySeriesMotor] = SeriesControl``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from gem.controllers.pi import clip
from gem.controllers.signals import Signals
from gem.physical_systems.dc_motors import ExtExDc, PermExDc, SeriesDc, ShuntDc
from gem.physical_systems.motor import Motor
from gem.physical_systems.thermal_dc import ThermalPermExDc


@dataclass(frozen=True)
class CurrentLoop:
    """One R-L current loop.

    Attributes:
        current: Controlled current's state name.
        voltage: Converter input (motor ``input_names`` entry) that drives it.
        inductance: L in H.
        resistance: R in Ω.
        emf: Back-EMF in V from the measured signals (fed forward).
    """

    current: str
    voltage: str
    inductance: np.ndarray | float
    resistance: np.ndarray | float
    emf: Callable[[Signals], np.ndarray]


def _zero_emf(sig: Signals) -> np.ndarray:
    return np.zeros(sig.batch)


class DcControl:
    """Base: the motor's loops, its current limits and its torque conversion.

    Args:
        motor: The DC motor.
        current_max: ``(current name, inductance) → largest current reference (A)``.
        nominal: Nominal values by state name (SI).
        field_current: Field current set-point for ExtExDc (A; default nominal ``i_e``).
        k_fw: Share of the supply voltage the EMF may use before the field is weakened.
    """

    def __init__(self, motor: Motor, current_max: Callable[[str, np.ndarray | float], np.ndarray],
                 nominal: Mapping[str, np.ndarray], field_current: float | None = None, k_fw: float = 0.85):
        self.motor = motor
        self.nominal = dict(nominal)
        self.field_current = field_current
        self.k_fw = k_fw
        self.loops = self._loops(motor)
        self.i_max = {lp.current: current_max(lp.current, lp.inductance) for lp in self.loops}

    def _loops(self, motor: Motor) -> tuple[CurrentLoop, ...]:
        raise NotImplementedError

    def default_references(self, sig: Signals) -> dict[str, np.ndarray]:
        """References for loops the task does not reference (e.g. ExtExDc's field in CC)."""
        return {}

    def current_references(self, sig: Signals, torque: np.ndarray) -> dict[str, np.ndarray]:
        """Current references (A) producing ``torque`` (N·m), within the current limits."""
        raise NotImplementedError

    def torque_range(self, sig: Signals) -> tuple[np.ndarray, np.ndarray]:
        """Smallest and largest torque (N·m) reachable now within the current limits."""
        raise NotImplementedError


class PermExControl(DcControl):
    """Permanently excited DC motor."""

    def _loops(self, m: PermExDc):
        return (CurrentLoop("i", "u", m.l_a, m.r_a, lambda s: m.psi_e * s["omega"]),)

    def current_references(self, sig, torque):
        """``i = T / psi_e``."""
        i_max = self.i_max["i"]
        return {"i": clip(torque / self.motor.psi_e, -i_max, i_max)}

    def torque_range(self, sig):
        """``± psi_e i_max``."""
        t = np.broadcast_to(self.motor.psi_e * self.i_max["i"], (sig.batch,))
        return -t, t


class SeriesControl(DcControl):
    """Series-wound DC motor."""

    def _loops(self, m: SeriesDc):
        return (CurrentLoop("i", "u", m.l_a + m.l_e, m.r_a + m.r_e, lambda s: m.l_e_prime * s["omega"] * s["i"]),)

    def current_references(self, sig, torque):
        """``i = sqrt(max(T, 0) / l_e')``, linear below ``i_0 = i_nominal / 20``.

        ``sqrt`` has an infinite slope at zero torque, where it would turn the speed controller's
        smallest corrections into current steps; below ``T_0 = l_e' i_0²`` the map continues as the
        line ``i = T / (l_e' i_0)`` (a torque error below ``T_0`` ≈ 0.04 N·m with the defaults).
        """
        torque = np.maximum(torque, 0.0)
        l_e, i_0 = self.motor.l_e_prime, 0.05 * self.nominal["i"]
        i = np.where(torque < l_e * i_0**2, torque / (l_e * i_0), np.sqrt(torque / l_e))
        return {"i": np.minimum(i, self.i_max["i"])}

    def torque_range(self, sig):
        """``[0, l_e' i_max²]``."""
        t = np.broadcast_to(self.motor.l_e_prime * self.i_max["i"] ** 2, (sig.batch,))
        return np.zeros(sig.batch), t


class ExtExControl(DcControl):
    """Externally excited DC motor: armature and field loops, field weakening at high speed."""

    def _loops(self, m: ExtExDc):
        return (CurrentLoop("i_a", "u_a", m.l_a, m.r_a, lambda s: m.l_e_prime * s["omega"] * s["i_e"]),
                CurrentLoop("i_e", "u_e", m.l_e, m.r_e, _zero_emf))

    @property
    def i_e_set(self) -> np.ndarray | float:
        """Field current set-point (A)."""
        return self.nominal["i_e"] if self.field_current is None else self.field_current

    def _field(self, sig: Signals) -> np.ndarray:
        lim = self.k_fw * sig["u_sup"] / np.maximum(self.motor.l_e_prime * np.abs(sig["omega"]), 1e-12)
        return np.minimum(np.minimum(self.i_e_set, lim), self.i_max["i_e"])

    def default_references(self, sig):
        """The field set-point (nominal ``i_e``, weakened at high speed)."""
        return {"i_e": self._field(sig)}

    def current_references(self, sig, torque):
        """Field set-point and ``i_a = T / (l_e' i_e)`` with the measured field current."""
        i_a = torque / (self.motor.l_e_prime * np.maximum(sig["i_e"], 0.01 * self.i_e_set))
        return {"i_a": clip(i_a, -self.i_max["i_a"], self.i_max["i_a"]), "i_e": self._field(sig)}

    def torque_range(self, sig):
        """``± l_e' i_a,max i_e``."""
        t = self.motor.l_e_prime * self.i_max["i_a"] * np.maximum(sig["i_e"], 0.0)
        return -t, t


class ShuntControl(DcControl):
    """Shunt-wound DC motor: the armature loop; the field current follows the voltage.

    The field is kept positive: ``i_a = T / (l_e' max(i_e, i_e,min))``. In steady state
    ``i_e = r_a i_a / (r_e - l_e' ω)`` has the sign of ``i_a`` below the no-load speed
    ``r_e / l_e'``, so a shunt motor only brakes transiently, while its field is still up; the
    reachable torque is ``[-l_e' i_a,max max(i_e, 0), l_e' i_a,max max(i_e, i_e,min)]`` with the
    floor ``i_e,min = i_e,nominal / 100`` that lets a de-energised motor start (the field builds up
    only once the armature voltage rises).
    """

    def _loops(self, m: ShuntDc):
        return (CurrentLoop("i_a", "u", m.l_a, m.r_a, lambda s: m.l_e_prime * s["omega"] * s["i_e"]),)

    @property
    def i_e_min(self) -> np.ndarray | float:
        """Field-current floor of the torque conversion (A)."""
        return 0.01 * self.nominal["i_e"]

    def current_references(self, sig, torque):
        """``i_a = T / (l_e' max(i_e, i_e,min))`` with the measured field current, ``T`` within reach.

        Clipping ``T`` to the reachable range first matters for braking: with the field gone a
        negative armature current would drive the field negative too and produce *positive*
        torque, so the best the motor can do is no torque.
        """
        low, high = self.torque_range(sig)
        torque = np.minimum(np.maximum(torque, low), high)
        i_a = torque / (self.motor.l_e_prime * np.maximum(sig["i_e"], self.i_e_min))
        return {"i_a": clip(i_a, -self.i_max["i_a"], self.i_max["i_a"])}

    def torque_range(self, sig):
        """See the class docstring."""
        k = self.motor.l_e_prime * self.i_max["i_a"]
        return -k * np.maximum(sig["i_e"], 0.0), k * np.maximum(sig["i_e"], self.i_e_min)


FAMILIES: dict[type, type[DcControl]] = {PermExDc: PermExControl, SeriesDc: SeriesControl,
                                         ExtExDc: ExtExControl, ShuntDc: ShuntControl,
                                         ThermalPermExDc: PermExControl}
"""DC motor class → its control knowledge."""
