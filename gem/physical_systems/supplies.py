"""DC supplies: an ideal source, and an RC source whose DC-link voltage is an ODE state.

A supply with states (``state_names`` not empty) is integrated together with the motor: its
states follow the motor's in the drive's ODE state, its first state is the DC-link voltage
``u_sup`` (the state every drive reports), and its column method
``derivative(xs, i_sup, t)`` takes the converter's supply current ``i_sup`` at the same solver
stage (``i_sup = Σ_legs v_leg i_leg``: the legs' shares of the period on the + rail times the
currents the motor's state at that stage gives them) and the time since the episode start.

**Sampled link voltage.** The converter applies the DC-link voltage of the *start* of the control
period for the whole period (its terminal voltages are ``u_sup(t_k) · (M v + offset)``), the value
a controller measures at the period start; the link's own ODE sees the supply current at every
solver stage. Over one period the link voltage moves by ``|i_sup| τ / C``, a fraction
``|i_sup| τ / (C u_sup)`` of itself (RC defaults and 10 A: 0.25 V of 60 V per 100 µs); the test
``tests/physical_systems/test_dc_link.py`` bounds the difference to the continuously coupled model.
The rectifier supply is in :mod:`gem.physical_systems.rectifier`.

A supply of your own with the same members (``state_names``, ``voltage(num_envs)`` the normaliser,
``initial_state(num_envs)``, the column method ``derivative(xs, i_sup, t)`` in plain arithmetic,
``check_step(step)``) works as ``supply=`` too, compiled like these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from gem.physical_systems.params import check_known_keys, check_positive, validated_fields


@dataclass(frozen=True, kw_only=True)
class IdealVoltageSupply:
    """Ideal DC-link voltage source: ``u_sup = u_nominal`` whatever the current.

    Attributes:
        u_nominal: DC-link voltage in V (> 0); a float or one value per environment.
    """

    u_nominal: float = 60.0

    state_names: ClassVar[tuple[str, ...]] = ()
    """No states of its own: ``u_sup`` is the constant ``u_nominal``."""

    def __post_init__(self) -> None:
        check_positive("IdealVoltageSupply", validated_fields(self), ("u_nominal",))

    def voltage(self, num_envs: int) -> np.ndarray:
        """Supply voltage per environment, ``(num_envs,)``."""
        return np.broadcast_to(np.asarray(self.u_nominal, float), (num_envs,))


def check_step(owner: str, step: float, time_constant: float, what: str) -> None:
    """Raises a ValueError if the solver step is longer than a supply's fastest time constant.

    Args:
        owner: Class name for the message.
        step: Solver step ``tau / substeps`` in s.
        time_constant: The supply's fastest time constant in s.
        what: How that time constant is made, for the message.
    """
    if step > time_constant:
        need = int(np.ceil(step / time_constant))
        raise ValueError(f"{owner}: the solver step tau/substeps = {step:.3g} s is longer than the supply's fastest "
                         f"time constant {what} = {time_constant:.3g} s; the explicit solver would be inaccurate or "
                         f"unstable: pass substeps >= {need} (or a shorter tau, or slower supply parameters)")


@dataclass(frozen=True, kw_only=True)
class RCVoltageSupply:
    r"""A DC source ``u_nominal`` behind a resistance ``r`` charging the link capacitor ``c`` (GEM's RCVoltageSupply).

    The converter draws the supply current ``i_sup`` from the capacitor::

        c du_sup/dt = (u_nominal - u_sup) / r - i_sup

    For a constant draw ``I`` from ``u_sup(0) = u_nominal`` the link droops as
    ``u_sup(t) = u_nominal - r I (1 - exp(-t / (r c)))``, and recovers as
    ``u_nominal - (u_nominal - u_sup(t_1)) exp(-(t - t_1) / (r c))`` once the draw stops.
    The episode starts with the capacitor charged to ``u_nominal`` (or ``initial_state={"u_sup": ...}``).
    Voltages and ``u_sup`` are normalised by ``u_nominal``; a regenerating drive charges the link above it.

    ========== ======== ====== ================================================================
    parameter  default  unit   meaning
    ========== ======== ====== ================================================================
    u_nominal  (u_sup)  V      source voltage (``None``: the environment's ``u_sup``)
    r          1        Ω      source resistance (GEM ``supply_parameter["R"]``)
    c          4e-3     F      DC-link capacitance (GEM ``supply_parameter["C"]``)
    ========== ======== ====== ================================================================

    GEM's form ``RCVoltageSupply(u_nominal=300, supply_parameter={"R": 1, "C": 4e-3})`` works too
    (the dict's entries set ``r`` and ``c``).

    Source: GEM ``RCVoltageSupply`` (same equation and defaults); GEM integrates the link with its
    own Euler step per control period from the period's supply current, gem with the drive's solver
    at every stage (see the module docstring).
    """

    u_nominal: float | None = None
    r: float = 1.0
    c: float = 4e-3
    supply_parameter: Mapping[str, float] | None = None

    state_names: ClassVar[tuple[str, ...]] = ("u_sup",)

    def __post_init__(self) -> None:
        given = dict(self.supply_parameter or {})
        check_known_keys("RCVoltageSupply", given, ("R", "C"), "supply_parameter key")
        for key, value in given.items():
            object.__setattr__(self, key.lower(), value)
        params = validated_fields(self)
        check_positive("RCVoltageSupply", params, [n for n in ("u_nominal", "r", "c") if n in params])

    def voltage(self, num_envs: int) -> np.ndarray:
        """The normaliser of ``u_sup`` and the voltages: ``u_nominal`` per environment, ``(num_envs,)``."""
        if self.u_nominal is None:
            raise ValueError("RCVoltageSupply: u_nominal is None; give the source voltage (make_task fills in u_sup)")
        return np.broadcast_to(np.asarray(self.u_nominal, float), (num_envs,))

    def initial_state(self, num_envs: int) -> np.ndarray:
        """``(num_envs, 1)``: the capacitor charged to ``u_nominal``."""
        return np.array(self.voltage(num_envs), float)[:, None]

    def derivative(self, xs, i_sup, t):
        """``(du_sup/dt,)`` in V/s for the link voltage ``xs[0]`` and the supply current ``i_sup`` (A)."""
        return ((self.u_nominal - xs[0]) / self.r - i_sup) / self.c,

    def check_step(self, step: float) -> None:
        """Raises a ValueError if the solver step exceeds ``r c``."""
        check_step("RCVoltageSupply", step, float(np.min(self.r * self.c)), "r*c")
