"""DC motors: permanently excited, externally excited, series and shunt.

All four share GEM's parameter names, defaults, nominal values and limits. ``omega`` is the
mechanical speed (rad/s); voltages in V, currents in A, torque in N·m.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from gem.physical_systems.motor import Column, Columns, Motor

_DC_NOMINAL = {"omega": 300.0, "torque": 16.0, "i": 97.0, "i_a": 97.0, "i_e": 97.0,
               "u": 60.0, "u_a": 60.0, "u_e": 60.0}
_DC_LIMITS = {"omega": 400.0, "torque": 38.0, "i": 210.0, "i_a": 210.0, "i_e": 210.0,
              "u": 60.0, "u_a": 60.0, "u_e": 60.0}


def permex_current_derivative(i: Column, u: Column, omega: Column, r_a: Column, l_a: Column,
                              psi_e: Column) -> Column:
    """``di/dt = (u - r_a i - psi_e omega) / l_a`` of :class:`PermExDc` (a function: the heated one calls it too)."""
    return (u - r_a * i - psi_e * omega) / l_a


@dataclass(frozen=True, kw_only=True)
class PermExDc(Motor):
    r"""Permanently excited DC motor.

    Equations::

        di/dt = (u - r_a i - psi_e omega) / l_a
        T     = psi_e i

    ========== ============ ======= ================================
    parameter  default      unit    meaning
    ========== ============ ======= ================================
    r_a        16e-3        Ω       armature resistance
    l_a        19e-6        H       armature inductance
    psi_e      0.165        Wb      permanent-magnet flux linkage
    j_rotor    0.025        kg m²   rotor inertia
    ========== ============ ======= ================================

    Nominal: ω 300 rad/s, T 16 N·m, i 97 A, u 60 V. Limits: ω 400 rad/s, T 38 N·m, i 210 A, u 60 V.
    """

    r_a: float = 16e-3
    l_a: float = 19e-6
    psi_e: float = 0.165
    j_rotor: float = 0.025

    ode_names: ClassVar = ("i",)
    current_names: ClassVar = ("i",)
    voltage_names: ClassVar = ("u",)
    input_names: ClassVar = ("u",)
    positive_params: ClassVar = ("r_a", "l_a", "j_rotor")
    nonnegative_params: ClassVar = ("psi_e",)
    default_nominal: ClassVar = {k: _DC_NOMINAL[k] for k in ("omega", "torque", "i", "u")}
    default_limits: ClassVar = {k: _DC_LIMITS[k] for k in ("omega", "torque", "i", "u")}

    def derivative(self, x: Columns, u: Columns, omega: Column) -> tuple[Column]:
        """di/dt."""
        return (permex_current_derivative(x[0], u[0], omega, self.r_a, self.l_a, self.psi_e),)

    def torque(self, x: Columns) -> Column:
        """T = psi_e i."""
        return self.psi_e * x[0]


@dataclass(frozen=True, kw_only=True)
class ExtExDc(Motor):
    r"""Externally excited DC motor (armature and field fed by separate converters).

    Equations::

        di_a/dt = (u_a - r_a i_a - l_e_prime omega i_e) / l_a
        di_e/dt = (u_e - r_e i_e) / l_e
        T       = l_e_prime i_a i_e

    ========== ============ ======= ================================
    parameter  default      unit    meaning
    ========== ============ ======= ================================
    r_a        16e-3        Ω       armature resistance
    r_e        0.16         Ω       field resistance
    l_a        19e-6        H       armature inductance
    l_e        5.4e-3       H       field inductance
    l_e_prime  1.7e-3       H       mutual (torque) inductance
    j_rotor    0.0025       kg m²   rotor inertia
    ========== ============ ======= ================================

    Nominal: ω 300 rad/s, T 16 N·m, i_a = i_e 97 A, u_a = u_e 60 V.
    Limits: ω 400 rad/s, T 38 N·m, i_a = i_e 210 A, u_a = u_e 60 V.
    """

    r_a: float = 16e-3
    r_e: float = 0.16
    l_a: float = 19e-6
    l_e: float = 5.4e-3
    l_e_prime: float = 1.7e-3
    j_rotor: float = 0.0025

    ode_names: ClassVar = ("i_a", "i_e")
    current_names: ClassVar = ("i_a", "i_e")
    voltage_names: ClassVar = ("u_a", "u_e")
    input_names: ClassVar = ("u_a", "u_e")
    positive_params: ClassVar = ("r_a", "r_e", "l_a", "l_e", "j_rotor")
    nonnegative_params: ClassVar = ("l_e_prime",)
    default_nominal: ClassVar = {k: _DC_NOMINAL[k] for k in ("omega", "torque", "i_a", "i_e", "u_a", "u_e")}
    default_limits: ClassVar = {k: _DC_LIMITS[k] for k in ("omega", "torque", "i_a", "i_e", "u_a", "u_e")}

    def derivative(self, x: Columns, u: Columns, omega: Column) -> tuple[Column, Column]:
        """(di_a/dt, di_e/dt)."""
        i_a, i_e = x[0], x[1]
        u_a, u_e = u[0], u[1]
        di_a = (u_a - self.r_a * i_a - self.l_e_prime * omega * i_e) / self.l_a
        di_e = (u_e - self.r_e * i_e) / self.l_e
        return di_a, di_e

    def torque(self, x: Columns) -> Column:
        """T = l_e_prime i_a i_e."""
        return self.l_e_prime * x[0] * x[1]


@dataclass(frozen=True, kw_only=True)
class SeriesDc(Motor):
    r"""Series-wound DC motor (armature and field in series, one current).

    Equations::

        di/dt = (u - (r_a + r_e) i - l_e_prime omega i) / (l_a + l_e)
        T     = l_e_prime i²

    ========== ============ ======= ================================
    parameter  default      unit    meaning
    ========== ============ ======= ================================
    r_a        16e-3        Ω       armature resistance
    r_e        48e-3        Ω       field resistance
    l_a        19e-6        H       armature inductance
    l_e        5.4e-3       H       field inductance
    l_e_prime  1.7e-3       H       mutual (torque) inductance
    j_rotor    0.0025       kg m²   rotor inertia
    ========== ============ ======= ================================

    Nominal: ω 300 rad/s, T 16 N·m, i 97 A, u 60 V. Limits: ω 400 rad/s, T 38 N·m, i 210 A, u 60 V.
    """

    r_a: float = 16e-3
    r_e: float = 48e-3
    l_a: float = 19e-6
    l_e: float = 5.4e-3
    l_e_prime: float = 1.7e-3
    j_rotor: float = 0.0025

    ode_names: ClassVar = ("i",)
    current_names: ClassVar = ("i",)
    voltage_names: ClassVar = ("u",)
    nonnegative_states: ClassVar = ("omega", "torque")
    input_names: ClassVar = ("u",)
    positive_params: ClassVar = ("r_a", "r_e", "l_a", "l_e", "j_rotor")
    nonnegative_params: ClassVar = ("l_e_prime",)
    default_nominal: ClassVar = {k: _DC_NOMINAL[k] for k in ("omega", "torque", "i", "u")}
    default_limits: ClassVar = {k: _DC_LIMITS[k] for k in ("omega", "torque", "i", "u")}

    def derivative(self, x: Columns, u: Columns, omega: Column) -> tuple[Column]:
        """di/dt."""
        i, v = x[0], u[0]
        return ((v - (self.r_a + self.r_e + self.l_e_prime * omega) * i) / (self.l_a + self.l_e),)

    def torque(self, x: Columns) -> Column:
        """T = l_e_prime i²."""
        return self.l_e_prime * x[0] * x[0]


@dataclass(frozen=True, kw_only=True)
class ShuntDc(Motor):
    r"""Shunt-wound DC motor (armature and field in parallel on one voltage).

    Equations::

        di_a/dt = (u - r_a i_a - l_e_prime omega i_e) / l_a
        di_e/dt = (u - r_e i_e) / l_e
        T       = l_e_prime i_a i_e
        i_sum   = i_a + i_e          (the converter current; GEM's ``i_sum`` state)

    ========== ============ ======= ================================
    parameter  default      unit    meaning
    ========== ============ ======= ================================
    r_a        16e-3        Ω       armature resistance
    r_e        0.4          Ω       field resistance
    l_a        19e-6        H       armature inductance
    l_e        5.4e-3       H       field inductance
    l_e_prime  1.7e-3       H       mutual (torque) inductance
    j_rotor    0.0025       kg m²   rotor inertia
    ========== ============ ======= ================================

    Nominal: ω 300 rad/s, T 16 N·m, i_a = i_e 97 A, u 60 V.
    Limits: ω 400 rad/s, T 38 N·m, i_a = i_e = i_sum 210 A, u 60 V.
    """

    r_a: float = 16e-3
    r_e: float = 0.4
    l_a: float = 19e-6
    l_e: float = 5.4e-3
    l_e_prime: float = 1.7e-3
    j_rotor: float = 0.0025

    ode_names: ClassVar = ("i_a", "i_e")
    current_names: ClassVar = ("i_a", "i_e")
    voltage_names: ClassVar = ("u",)
    controlled_currents: ClassVar = ("i_a",)
    nonnegative_states: ClassVar = ("omega", "torque")      # it brakes only transiently (see gem.controllers.dc)
    input_names: ClassVar = ("u",)
    extra_names: ClassVar = ("i_sum",)
    positive_params: ClassVar = ("r_a", "r_e", "l_a", "l_e", "j_rotor")
    nonnegative_params: ClassVar = ("l_e_prime",)
    default_nominal: ClassVar = {**{k: _DC_NOMINAL[k] for k in ("omega", "torque", "i_a", "i_e", "u")},
                                 "i_sum": 97.0}
    default_limits: ClassVar = {**{k: _DC_LIMITS[k] for k in ("omega", "torque", "i_a", "i_e", "u")},
                                "i_sum": 210.0}

    def derivative(self, x: Columns, u: Columns, omega: Column) -> tuple[Column, Column]:
        """(di_a/dt, di_e/dt)."""
        i_a, i_e, v = x[0], x[1], u[0]
        di_a = (v - self.r_a * i_a - self.l_e_prime * omega * i_e) / self.l_a
        di_e = (v - self.r_e * i_e) / self.l_e
        return di_a, di_e

    def torque(self, x: Columns) -> Column:
        """T = l_e_prime i_a i_e."""
        return self.l_e_prime * x[0] * x[1]

    def terminal_currents(self, x: Columns) -> tuple[Column]:
        """The converter feeds armature and field together: i_a + i_e."""
        return (x[0] + x[1],)

    def extras(self, x: Columns) -> tuple[Column]:
        """``i_sum = i_a + i_e``."""
        return (x[0] + x[1],)
