r"""The permanently excited DC motor with a winding temperature: the thermal option of the PermExDc ids.

One thermal node, the armature winding, tied to the ambient air by a thermal resistance::

    c_th dθ_w/dt = r(θ_w) i² - (θ_w - theta_ambient) / r_th        r(θ_w) = r_a (1 + alpha_cu (θ_w - theta_ref))

The steady state is ``θ_w = theta_ambient + r_th P`` for a constant loss ``P`` (``alpha_cu = 0``),
reached with the time constant ``r_th c_th``. The magnet flux stays constant (the node is the winding).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from gem.physical_systems.dc_motors import PermExDc, permex_current_derivative
from gem.physical_systems.motor import Column, Columns, Motor
from gem.physical_systems.params import check_positive
from gem.physical_systems.thermal import at_temperature, node_derivative, scalar_fields


@dataclass(frozen=True, kw_only=True)
class WindingNode:
    r"""Parameters of a one-node thermal model of a winding (the DC motors' thermal option).

    ============= ======= ==== ======================================================================
    parameter     default unit meaning (source)
    ============= ======= ==== ======================================================================
    c_th          400     J/K  heat capacity of the winding (assumed: about 1 kg of copper)
    r_th          0.5     K/W  winding–ambient (assumed: 75 K rise at the nominal 97 A of the PermExDc)
    theta_ambient 25      °C   ambient temperature
    theta_initial None    °C   winding temperature at reset (``None``: ``theta_ambient``)
    alpha_cu      0.00393 1/K  resistance coefficient of copper at 20 °C
    theta_ref     20      °C   temperature of the motor's resistance
    ============= ======= ==== ======================================================================

    GEM publishes no thermal data of its DC motors; ``c_th`` and ``r_th`` are assumptions giving a
    time constant of 200 s. Every value is one number (not per environment).
    """

    c_th: float = 400.0
    r_th: float = 0.5
    theta_ambient: float = 25.0
    theta_initial: float | None = None
    alpha_cu: float = 0.00393
    theta_ref: float = 20.0

    def __post_init__(self) -> None:
        scalar_fields(self)
        check_positive("WindingNode", {"c_th": self.c_th, "r_th": self.r_th}, ("c_th", "r_th"))

    @property
    def initial(self) -> float:
        """The winding temperature at reset (°C)."""
        return self.theta_ambient if self.theta_initial is None else self.theta_initial


@dataclass(frozen=True, kw_only=True)
class ThermalPermExDc(Motor):
    r"""Permanently excited DC motor with the winding temperature ``theta_w`` (°C) as a state.

    Equations (:class:`~gem.physical_systems.dc_motors.PermExDc` with ``r_a`` at the winding temperature;
    the node: the module docstring)::

        di/dt = (u - r(θ_w) i - psi_e omega) / l_a
        T     = psi_e i

    Parameters: the PermExDc's (same names, units and defaults; ``r_a`` at ``theta_ref``) and
    ``thermal``, a :class:`WindingNode`. Limit of ``theta_w`` 180 °C (insulation class H), nominal 155 °C.
    """

    r_a: float = PermExDc.r_a
    l_a: float = PermExDc.l_a
    psi_e: float = PermExDc.psi_e
    j_rotor: float = PermExDc.j_rotor
    thermal: WindingNode = field(default_factory=WindingNode)

    ode_names: ClassVar = ("i", "theta_w")
    current_names: ClassVar = PermExDc.current_names
    voltage_names: ClassVar = PermExDc.voltage_names
    input_names: ClassVar = PermExDc.input_names
    nonnegative_states: ClassVar = ("theta_w",)
    positive_params: ClassVar = PermExDc.positive_params
    nonnegative_params: ClassVar = PermExDc.nonnegative_params
    default_nominal: ClassVar = {**PermExDc.default_nominal, "theta_w": 155.0}
    default_limits: ClassVar = {**PermExDc.default_limits, "theta_w": 180.0}
    thermal_nodes: ClassVar = ("theta_w",)
    """The temperatures, limited by the default constraints of the thermal option."""
    thermal_model: ClassVar = WindingNode
    """The parameters of ``thermal=`` (a dict of them or an instance)."""

    def __post_init__(self) -> None:
        """Validates the parameters; ``thermal`` must be a ``WindingNode``."""
        if not isinstance(self.thermal, WindingNode):
            raise ValueError(f"ThermalPermExDc: thermal must be a WindingNode, got {self.thermal!r}")
        super().__post_init__()

    @classmethod
    def parameter_names(cls) -> tuple[str, ...]:
        """The PermExDc's parameters (``thermal`` is a component, not a number)."""
        return tuple(n for n in super().parameter_names() if n != "thermal")

    @property
    def node(self) -> tuple[float, float, float, float, float]:
        """``(c_th, r_th, theta_ambient, alpha_cu, theta_ref)`` of :attr:`thermal`, read by the compiled step."""
        t = self.thermal
        return t.c_th, t.r_th, t.theta_ambient, t.alpha_cu, t.theta_ref

    def derivative(self, x: Columns, u: Columns, omega: Column) -> tuple[Column, Column]:
        """(di/dt, dθ_w/dt)."""
        c_th, r_th, theta_a, alpha_cu, theta_ref = self.node
        i, theta = x[0], x[1]
        r = at_temperature(self.r_a, alpha_cu, theta, theta_ref)
        return (permex_current_derivative(i, u[0], omega, r, self.l_a, self.psi_e),
                node_derivative(theta, r * i * i, theta_a, r_th, c_th))

    def torque(self, x: Columns) -> Column:
        """T = psi_e i."""
        return self.psi_e * x[0]

    def initial_ode_state(self, num_envs: int, values: dict) -> np.ndarray:
        """Zero current, the winding at ``thermal.initial``; overridden by ``values``."""
        x = super().initial_ode_state(num_envs, values)
        if "theta_w" not in values:
            x[:, 1] = self.thermal.initial
        return x
