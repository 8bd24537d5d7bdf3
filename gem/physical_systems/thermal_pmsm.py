r"""The PMSM with temperatures: the thermal option of the PMSM ids (``thermal=...``).

:class:`ThermalPMSM` is gem's :class:`~gem.physical_systems.synchronous.PMSM` whose ODE states also hold
the four temperatures of the thermal network of :mod:`gem.physical_systems.thermal`. The winding's
temperature sets the stator resistance, the magnet's the permanent-magnet flux; the copper and iron
losses of the currents heat the network. The temperatures are reported after ``u_sup`` like every
further ODE state of a motor (:attr:`~gem.physical_systems.motor.Motor.ode_extra_names`), observed,
referenceable and constrained like the currents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from gem.physical_systems.motor import Column, Columns
from gem.physical_systems.synchronous import PMSM, SynchronousMotor, dq_derivative, dq_torque
from gem.physical_systems.thermal import THERMAL_NODES, WallscheidLPTN, at_temperature, iron_loss, lptn_derivative

_TWO_PI = 2.0 * np.pi


@dataclass(frozen=True, kw_only=True)
class ThermalPMSM(SynchronousMotor):
    r"""PMSM with the magnet, stator-yoke, stator-teeth and winding temperatures as states (°C).

    Equations (:class:`~gem.physical_systems.synchronous.SynchronousMotor` with ``r_s`` and ``psi_p``
    at the present temperatures; the network, losses and laws: :mod:`gem.physical_systems.thermal`)::

        r = r_s (1 + alpha_cu (θ_sw - theta_ref))          ψ = psi_p (1 + alpha_pm (θ_pm - theta_ref))
        di_sd/dt = (u_sd - r i_sd + p omega l_q i_sq) / l_d
        di_sq/dt = (u_sq - r i_sq - p omega (l_d i_sd + ψ)) / l_q
        C dθ/dt  = network(θ, P_cu = 1.5 r (i_sd² + i_sq²), P_fe(p omega / 2π, |ψ_s|²), omega, |i_dq|)
        T        = 1.5 p (ψ + (l_d - l_q) i_sd) i_sq

    Parameters: the PMSM's (same names, units and defaults; ``r_s`` and ``psi_p`` at ``theta_ref``)
    and ``thermal``, a :class:`~gem.physical_systems.thermal.WallscheidLPTN`.

    ODE states ``i_sd, i_sq, theta_pm, theta_sy, theta_st, theta_sw, epsilon``; the temperatures start
    at ``thermal.theta_initial`` (default the coolant temperature) unless ``reset`` names them.
    Limits: magnet 150 °C (the working limit of SH-grade NdFeB), stator nodes 180 °C (insulation
    class H); nominal values 120 °C and 155 °C (class F). Over a limit the default constraint of the
    thermal option ends the episode. Torque limit and nominal torque: the PMSM's (cold magnet).
    """

    p: int = PMSM.p
    l_d: float = PMSM.l_d
    l_q: float = PMSM.l_q
    j_rotor: float = PMSM.j_rotor
    r_s: float = PMSM.r_s
    psi_p: float = PMSM.psi_p
    thermal: WallscheidLPTN = field(default_factory=WallscheidLPTN)

    ode_names: ClassVar = ("i_sd", "i_sq", *THERMAL_NODES, "epsilon")
    nonnegative_params: ClassVar = PMSM.nonnegative_params
    nonnegative_states: ClassVar = THERMAL_NODES
    torque_limit_current: ClassVar[str] = PMSM.torque_limit_current
    default_nominal: ClassVar = {**PMSM.default_nominal, "theta_pm": 120.0,
                                 **dict.fromkeys(THERMAL_NODES[1:], 155.0)}
    default_limits: ClassVar = {**PMSM.default_limits, "theta_pm": 150.0, **dict.fromkeys(THERMAL_NODES[1:], 180.0)}
    thermal_nodes: ClassVar = THERMAL_NODES
    """The temperatures, limited by the default constraints of the thermal option."""
    thermal_model: ClassVar = WallscheidLPTN
    """The parameters of ``thermal=`` (a dict of them or an instance)."""

    def __post_init__(self) -> None:
        """Validates the parameters; ``thermal`` must be a ``WallscheidLPTN``."""
        if not isinstance(self.thermal, WallscheidLPTN):
            raise ValueError(f"ThermalPMSM: thermal must be a WallscheidLPTN, got {self.thermal!r}")
        super().__post_init__()

    @classmethod
    def parameter_names(cls) -> tuple[str, ...]:
        """The PMSM's parameters (``thermal`` is a component, not a number)."""
        return tuple(n for n in super().parameter_names() if n != "thermal")

    @property
    def lptn(self) -> tuple[float, ...]:
        """The network's numbers (:attr:`WallscheidLPTN.columns`), read by the compiled step."""
        return self.thermal.columns

    @property
    def laws(self) -> tuple[float, float, float, float, float]:
        """``(alpha_cu, alpha_pm, theta_ref, k_hy, k_ed)`` of :attr:`thermal`, read by the compiled step."""
        t = self.thermal
        return t.alpha_cu, t.alpha_pm, t.theta_ref, t.k_hy, t.k_ed

    # ----------------------------------------------------------------- physics (compiled)
    def derivative(self, x: Columns, u: Columns, omega: Column) -> tuple[Column, ...]:
        """``(di_sd, di_sq, dθ_pm, dθ_sy, dθ_st, dθ_sw, dε)/dt``."""
        alpha_cu, alpha_pm, theta_ref, k_hy, k_ed = self.laws
        i_sd, i_sq, theta_pm, theta_sw = x[0], x[1], x[2], x[5]
        r_s = at_temperature(self.r_s, alpha_cu, theta_sw, theta_ref)
        psi_p = at_temperature(self.psi_p, alpha_pm, theta_pm, theta_ref)
        di_sd, di_sq, omega_el = dq_derivative(i_sd, i_sq, x[-1], u, omega, self.p, r_s, self.l_d, self.l_q, psi_p)
        i_sq2 = i_sd * i_sd + i_sq * i_sq
        psi_d = self.l_d * i_sd + psi_p
        psi_q = self.l_q * i_sq
        p_fe = iron_loss(k_hy, k_ed, omega_el / _TWO_PI, psi_d * psi_d + psi_q * psi_q)
        d_pm, d_sy, d_st, d_sw = lptn_derivative(self.lptn, theta_pm, x[3], x[4], theta_sw, 1.5 * r_s * i_sq2, p_fe,
                                                 omega, np.sqrt(i_sq2))
        return di_sd, di_sq, d_pm, d_sy, d_st, d_sw, omega_el

    def torque(self, x: Columns) -> Column:
        """T = 1.5 p (ψ(θ_pm) + (l_d - l_q) i_sd) i_sq."""
        alpha_cu, alpha_pm, theta_ref, k_hy, k_ed = self.laws
        psi_p = at_temperature(self.psi_p, alpha_pm, x[2], theta_ref)
        return dq_torque(x[0], x[1], self.p, self.l_d, self.l_q, psi_p)

    # ----------------------------------------------------------------- NumPy only
    def initial_ode_state(self, num_envs: int, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """Zero currents and angle, the temperatures at ``thermal.initial``; overridden by ``values``."""
        x = super().initial_ode_state(num_envs, values)
        for j, name in enumerate(THERMAL_NODES, start=self.ode_names.index(THERMAL_NODES[0])):
            if name not in values:
                x[:, j] = self.thermal.initial
        return x
