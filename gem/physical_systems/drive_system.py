"""The drive: supply → converter → motor → mechanical load, integrated over one control period.

:class:`DriveSystem` is the only place that maps state names to columns. Its mutable state is a
:class:`DriveState` of arrays owned by the environment; :meth:`DriveSystem.step` is a function of
that state and the action.

The physical state (GEM order) is ``omega, torque, <currents>, <voltages>, [epsilon], u_sup,
[<extras>], [<other ODE states>]``; the last are the motor's ODE states that are neither currents
nor the angle, e.g. a winding temperature (:attr:`~gem.physical_systems.motor.Motor.ode_extra_names`).
After a step the voltages are the ones applied (period-averaged) during that step.

The ODE state is ``[omega]`` (dynamic loads), the motor's states, then the supply's (a supply with
states, e.g. :class:`~gem.physical_systems.supplies.RCVoltageSupply`, whose first state is ``u_sup``;
see :mod:`gem.physical_systems.supplies` for how it is coupled to the converter).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

import numpy as np

from gem.physical_systems.batch_check import check_batch_methods
from gem.physical_systems.converters import Converter
from gem.physical_systems.loads import MechanicalLoad, interpolated_speed, speed_derivative
from gem.physical_systems.motor import Motor
from gem.physical_systems.params import as_param
from gem.physical_systems.rectifier import ThreePhaseRectifierSupply
from gem.physical_systems.solvers import get_solver
from gem.physical_systems.supplies import IdealVoltageSupply, RCVoltageSupply

Supply = IdealVoltageSupply | RCVoltageSupply | ThreePhaseRectifierSupply
"""The DC supplies (a user supply with the same methods works as well)."""


@dataclass
class DriveState:
    """Mutable per-environment arrays of a drive.

    Attributes:
        x: ``(num_envs, n_ode)`` ODE state: ``[omega]`` (dynamic loads only), the motor's states, the supply's.
        omega: ``(num_envs,)`` mechanical speed (rad/s).
        t: ``(num_envs,)`` time since reset (s).
        switch: ``(num_envs, n_legs)`` converter leg states of the last period.
        physical: ``(num_envs, n_states)`` physical state in GEM order (SI).
    """

    x: np.ndarray
    omega: np.ndarray
    t: np.ndarray
    switch: np.ndarray
    physical: np.ndarray

    def copy(self) -> DriveState:
        """A copy with copies of every array."""
        return DriveState(self.x.copy(), self.omega.copy(), self.t.copy(), self.switch.copy(), self.physical.copy())


def stack_columns(cols, n: int) -> np.ndarray:
    """``(n, len(cols))`` array from columns that are ``(n,)`` arrays or scalars."""
    out = np.empty((n, len(cols)))
    for j, c in enumerate(cols):
        out[:, j] = c
    return out


def wrap_angle(angle: np.ndarray) -> np.ndarray:
    """Wraps an angle to [-π, π] (π itself maps to -π).

    Written with ``floor`` rather than ``%`` so that the compiled kernel's loop over environments
    stays vectorisable (``%`` on floats is a call to ``fmod``).
    """
    return angle - (2.0 * np.pi) * np.floor((angle + np.pi) / (2.0 * np.pi))


def total_inertia(j_rotor, j_load):
    """The drive's total inertia in kg m²: rotor plus load."""
    return j_rotor + j_load


class DriveSystem:
    """Composes supply, converter, motor and load and integrates them with a fixed-step solver.

    Args:
        motor: Motor model.
        converter: Power converter whose outputs feed ``motor.input_names`` in order.
        load: Mechanical load.
        supply: DC supply: :class:`~gem.physical_systems.supplies.IdealVoltageSupply`, or one with
            states (:class:`~gem.physical_systems.supplies.RCVoltageSupply`,
            :class:`~gem.physical_systems.rectifier.ThreePhaseRectifierSupply`).
        tau: Control period in s (> 0).
        solver: ``"euler"``, ``"rk4"`` or ``"scipy"``.
        substeps: Solver sub-steps per control period (fixed-step solvers).
    """

    def __init__(self, motor: Motor, converter: Converter, load: MechanicalLoad,
                 supply: Supply, tau: float, solver: str = "rk4", substeps: int = 1):
        tau = as_param(tau, "tau")
        if not (np.ndim(tau) == 0 and tau > 0):
            raise ValueError(f"tau must be a finite number > 0 (seconds), got {tau!r}")
        if isinstance(substeps, bool) or not isinstance(substeps, (int, float, np.number)) \
                or int(substeps) != substeps or substeps < 1:
            raise ValueError(f"substeps must be an integer >= 1, got {substeps!r}")
        if converter.n_out != len(motor.input_names):
            raise ValueError(f"{converter.name} has {converter.n_out} outputs but {type(motor).__name__} "
                             f"takes {len(motor.input_names)} voltages {motor.input_names}")
        t_il = float(np.max(converter.interlocking_time))
        if t_il >= tau:
            raise ValueError(f"interlocking_time ({t_il} s) must be shorter than tau ({tau} s), the control period")
        check_batch_methods(motor, load, supply, float(tau))
        self.n_supply = len(supply.state_names)
        if self.n_supply:
            supply.check_step(float(tau) / int(substeps))
        self.motor, self.converter, self.load, self.supply = motor, converter, load, supply
        self.tau, self.substeps = float(tau), int(substeps)
        self.solver_name = solver
        self._solve = get_solver(solver)
        self.dynamic = not load.prescribed
        first = int(self.dynamic)
        self.motor_columns = slice(first, first + len(motor.ode_names))
        """Columns of the motor's states in the ODE state."""
        self.supply_column = first + len(motor.ode_names)
        """Column of the supply's first state (``u_sup``) in the ODE state, if the supply has states."""
        self.j_total = total_inertia(motor.j_rotor, load.j_load)
        self.state_names: tuple[str, ...] = (
            ("omega", "torque") + motor.current_names + motor.voltage_names
            + (("epsilon",) if motor.has_angle else ()) + ("u_sup",) + motor.extra_names + motor.ode_extra_names
        )
        self.index = {name: j for j, name in enumerate(self.state_names)}
        self._u_sup = np.empty(0)

    def per_environment(self, num_envs: int, motor_names: tuple[str, ...] = (),
                        load_names: tuple[str, ...] = ()) -> DriveSystem:
        """A copy whose named motor and load parameters are ``(num_envs,)`` arrays (filled with today's values).

        The arrays belong to the copy (domain randomisation writes new values into them at
        episode starts); the total inertia is then per environment too.
        """
        def arrays(part, names):
            return {n: np.array(np.broadcast_to(np.asarray(getattr(part, n), float), (num_envs,))) for n in names}

        motor = replace(self.motor, **arrays(self.motor, motor_names))
        load = replace(self.load, **arrays(self.load, load_names))
        return DriveSystem(motor, self.converter, load, self.supply, self.tau, self.solver_name, self.substeps)

    def check_batch(self, num_envs: int) -> None:
        """Raises a ValueError naming any per-environment parameter whose length is not ``num_envs``."""
        for part in (self.motor, self.load, self.supply, self.converter):
            for f in fields(part):
                value = getattr(part, f.name, None)
                if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind == "f" \
                        and value.shape[0] != num_envs:
                    raise ValueError(f"{type(part).__name__}.{f.name} has {value.shape[0]} values (one per "
                                     f"environment) but num_envs is {num_envs}")

    # ------------------------------------------------------------------ limits
    def limits(self, num_envs: int) -> np.ndarray:
        """State normalisers ``(num_envs, n_states)``: motor limits, converter voltage range, π, u_sup.

        Voltages are normalised by the largest voltage the converter can apply on that terminal,
        so a normalised voltage equals the (continuous) action that produces it.
        """
        u_sup = self.supply.voltage(num_envs)
        u_max = u_sup[:, None] * self.converter.topology.max_output
        volt = self.motor.voltage_limits(u_max)
        lim = self.motor.limits
        cols = []
        for name in self.state_names:
            if name in volt:
                cols.append(volt[name])
            elif name == "epsilon":
                cols.append(np.full(num_envs, np.pi))
            elif name == "u_sup":
                cols.append(u_sup)
            else:
                cols.append(np.full(num_envs, lim[name]))
        return np.stack(np.broadcast_arrays(*cols), axis=1).astype(float)

    def nominal(self, num_envs: int) -> np.ndarray:
        """Nominal values ``(num_envs, n_states)`` (voltages and ``u_sup`` as in :meth:`limits`)."""
        out = self.limits(num_envs)
        nom = self.motor.nominal
        for name, j in self.index.items():
            if name in nom and name not in self.motor.voltage_names:
                out[:, j] = nom[name]
        return out

    # ------------------------------------------------------------------ reset
    @property
    def settable_names(self) -> tuple[str, ...]:
        """Names accepted as initial values."""
        return ("omega",) + self.motor.settable_state_names + (("u_sup",) if self.n_supply else ())

    def reset(self, num_envs: int, initial: Mapping[str, np.ndarray] | None = None) -> DriveState:
        """Initial drive state: zeros, the load's speed, overridden by ``initial`` (name → SI array)."""
        initial = dict(initial or {})
        unknown = set(initial) - set(self.settable_names)
        if unknown:
            raise ValueError(f"unknown initial state name(s) {sorted(unknown)}; settable: {list(self.settable_names)}")
        omega = self.load.initial_speed(num_envs)
        if "omega" in initial:
            given = np.broadcast_to(np.asarray(initial["omega"], float), (num_envs,))
            if self.load.prescribed and not np.allclose(given, omega):
                raise ValueError(f"initial omega {given} disagrees with the speed {omega} prescribed by "
                                 f"{type(self.load).__name__}")
            omega = given.copy()
        xm = self.motor.initial_ode_state(num_envs, initial)
        if self.motor.has_angle:
            xm[:, -1] = wrap_angle(xm[:, -1])
        parts = ([omega[:, None]] if self.dynamic else []) + [xm]
        if self.n_supply:
            xs = np.array(self.supply.initial_state(num_envs), float)
            if "u_sup" in initial:
                xs[:, 0] = np.broadcast_to(np.asarray(initial["u_sup"], float), (num_envs,))
            parts.append(xs)
        x = np.concatenate(parts, axis=1)
        state = DriveState(x=x, omega=omega, t=np.zeros(num_envs),
                           switch=self.converter.initial_switch_state(num_envs),
                           physical=np.zeros((num_envs, len(self.state_names))))
        u0 = np.zeros((num_envs, self.converter.n_out))
        state.physical = self.physical_state(x, x, omega, u0, self.link_voltage(state))
        return state

    # ------------------------------------------------------------------ step
    def _motor_part(self, x: np.ndarray) -> np.ndarray:
        return x[:, self.motor_columns]

    def link_voltage(self, state: DriveState) -> np.ndarray:
        """The DC-link voltage ``(num_envs,)`` in V now: the supply's state, or its constant voltage."""
        if self.n_supply:
            return state.x[:, self.supply_column]
        return self.supply_voltage(state.x.shape[0])

    def step(self, state: DriveState, action: np.ndarray, load_noise: np.ndarray | None = None) -> DriveState:
        """Advances every environment by one control period ``tau``.

        Args:
            state: Current drive state (not modified).
            action: ``(num_envs, n_act)`` validated action.
            load_noise: Standard-normal draws for a stochastic load, ``(num_envs,)``.

        Returns:
            The new drive state.
        """
        motor, tau = self.motor, self.tau
        u_sup = self.link_voltage(state)
        xm0 = self._motor_part(state.x)
        i_out = stack_columns(motor.terminal_currents(xm0.T), xm0.shape[0])
        out = self.converter.output(action, i_out, state.switch, u_sup, tau)
        w0 = state.omega
        w1 = w0 if self.dynamic else np.asarray(self.load.next_speed(state.t + tau, w0, tau, load_noise), float)
        if w1.shape != w0.shape:        # a profile that returns one speed for all environments
            w1 = np.full(w0.shape, w1)
        self.check_speed(w1, state.t + tau)
        x, s0 = state.x, 0.0
        legs = out.legs if self.n_supply else [None] * len(out.segments)
        if legs is None:
            raise ValueError(f"{type(self.converter).__name__}.output does not report its legs' shares "
                             f"(ConverterOutput.legs), which {type(self.supply).__name__} needs for its supply current")
        for (dt, u), v in zip(out.segments, legs, strict=True):
            x = self._solve(self._derivative(u, w0, w1, v, state.t), x, s0, dt, self.substeps)
            s0 += dt
        if motor.has_angle:
            x = x.copy()
            angle = self.motor_columns.stop - 1
            x[:, angle] = wrap_angle(x[:, angle])
        omega = x[:, 0] if self.dynamic else w1
        u_end = x[:, self.supply_column] if self.n_supply else u_sup
        physical = self.physical_state(state.x, x, omega, out.u_mean, u_end)
        return replace(state, x=x, omega=omega, t=state.t + tau, switch=out.switch_state, physical=physical)

    def check_speed(self, omega: np.ndarray, t: np.ndarray) -> None:
        """Raises a ValueError naming the load if a prescribed speed is not finite."""
        if not self.load.prescribed or np.isfinite(omega).all():
            return
        idx = np.flatnonzero(~np.isfinite(omega))
        raise ValueError(f"{type(self.load).__name__}: the prescribed speed is non-finite in environment(s) "
                         f"{idx.tolist()} at t = {np.asarray(t)[idx].tolist()} s")

    def supply_voltage(self, num_envs: int) -> np.ndarray:
        """Supply voltage ``(num_envs,)`` in V (one array, reused by every step)."""
        if self._u_sup.shape[0] != num_envs:
            self._u_sup = np.array(self.supply.voltage(num_envs), dtype=float)
        return self._u_sup

    def _derivative(self, u: np.ndarray, w0: np.ndarray, w1: np.ndarray, legs: tuple | None = None,
                    t0: np.ndarray | None = None):
        """``f(s, x)`` for the solver: the motor's (and the supply's) column equations on the batch, ``u`` held.

        ``legs``: the legs' shares of the segment on the + rail and ``t0`` the time of the period start
        (supplies with states only): the supply current at stage ``s`` is
        ``Σ legs · i_leg(x(s)) + Σ offset · i_out(x(s))`` (:class:`~gem.physical_systems.converters.Converter`).
        """
        motor, load, tau, j_total, supply = self.motor, self.load, self.tau, self.j_total, self.supply
        u_cols, cm, n_sup = u.T, self.motor_columns, self.n_supply
        leg_currents, dot_ = self.converter.leg_current_columns, self.converter.column_functions["dot"]
        offset = self.converter.topology.offset

        def f(s: float, x: np.ndarray) -> np.ndarray:
            cols = x.T
            xm = cols[cm]
            omega = cols[0] if self.dynamic else interpolated_speed(w0, w1, s, tau)
            out = [] if not self.dynamic else \
                [speed_derivative(motor.torque(xm), load.load_torque(omega, j_total), j_total)]
            out += motor.derivative(xm, u_cols, omega)
            if n_sup:
                i_out = motor.terminal_currents(xm)
                i_sup = dot_(legs, leg_currents(i_out)) + dot_(offset, i_out)
                out += supply.derivative(cols[cm.stop:], i_sup, t0 + s)
            return stack_columns(out, x.shape[0])
        return f

    def physical_state(self, x_start: np.ndarray, x_end: np.ndarray, omega: np.ndarray,
                       u_mean: np.ndarray, u_sup: np.ndarray) -> np.ndarray:
        """Assembles the GEM-ordered physical state from ODE states and applied voltages."""
        motor = self.motor
        xm0, xm1 = self._motor_part(x_start).T, self._motor_part(x_end).T
        cols = [omega, motor.torque(xm1), *motor.currents(xm1), *motor.voltages(u_mean.T, xm0, xm1, self.tau)]
        if motor.has_angle:
            cols.append(xm1[-1])
        cols += [u_sup, *(motor.extras(xm1) if motor.extra_names else ())]
        cols += [xm1[motor.ode_names.index(n)] for n in motor.ode_extra_names]
        return stack_columns(cols, omega.shape[0])

    def dq_to_converter(self, state: DriveState, action: np.ndarray, advance: float) -> np.ndarray:
        """Converter actions ``(num_envs, n_act)`` for normalised rotor-frame voltages (``motor.dq_action``).

        ``advance`` (s): from ``state`` to the middle of the period the voltages are applied in.
        """
        xm = self._motor_part(state.x)
        u_sup = self.link_voltage(state)
        cols = self.motor.dq_action(tuple(action.T), tuple(xm.T), state.omega, advance, u_sup)
        return stack_columns(cols, xm.shape[0])

    def supply_current(self, state: DriveState, action: np.ndarray) -> np.ndarray:
        """Period-averaged supply current (A) the converter would draw for ``action`` now."""
        xm = self._motor_part(state.x)
        u_sup = self.link_voltage(state)
        i_out = stack_columns(self.motor.terminal_currents(xm.T), xm.shape[0])
        return self.converter.output(action, i_out, state.switch, u_sup, self.tau).i_sup
