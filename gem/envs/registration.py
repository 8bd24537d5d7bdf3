"""Environment factory and the table that generates every ``gem/...`` id.

An id is ``gem/{Cont,Finite}-{CC,TC,SC}-{Motor}-v0``: a row of :data:`MOTORS` combined with an
action type and a control task. :func:`make_task` builds the :class:`DriveTask` for any
combination, including user-defined motors passed as instances.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import gymnasium as gym
import numpy as np

from gem.envs import arguments as arg
from gem.envs.constraints import LimitConstraint, SquaredConstraint, parse_constraints
from gem.envs.randomization import centres, parse_randomize
from gem.envs.references import ReferenceGenerator, WienerReference, bind_reference
from gem.envs.rewards import WeightedSumOfErrors
from gem.envs.scurve import SCurveReference, with_drive_bounds
from gem.envs.single_env import GemEnv
from gem.envs.task import DriveTask
from gem.envs.vector_env import GemVectorEnv
from gem.physical_systems import converters as cv
from gem.physical_systems.bldc import BLDC
from gem.physical_systems.dc_motors import ExtExDc, PermExDc, SeriesDc, ShuntDc
from gem.physical_systems.drive_system import DriveSystem
from gem.physical_systems.eesm import EESM
from gem.physical_systems.flux_models import with_saturation
from gem.physical_systems.induction import DFIM, SCIM
from gem.physical_systems.loads import ConstantSpeedLoad, MechanicalLoad, PolynomialStaticLoad
from gem.physical_systems.motor import Motor
from gem.physical_systems.noise import GaussianNoise
from gem.physical_systems.rectifier import ThreePhaseRectifierSupply
from gem.physical_systems.six_phase import SIXPMSM
from gem.physical_systems.srm import SRM
from gem.physical_systems.supplies import IdealVoltageSupply, RCVoltageSupply
from gem.physical_systems.synchronous import PMSM, SynRM
from gem.physical_systems.thermal import thermal_option
from gem.physical_systems.thermal_dc import ThermalPermExDc
from gem.physical_systems.thermal_pmsm import ThermalPMSM

ACTION_TYPES = ("Cont", "Finite")
TASKS = ("CC", "TC", "SC")
TAU = {"Cont": 1e-4, "Finite": 1e-5}
"""Default control period per action type (s), as GEM."""
EPISODE_SECONDS = {"CC": 0.2, "TC": 0.2, "SC": 1.0}
"""Default episode duration per task (s); ``max_episode_steps = seconds / tau``."""
CONSTANT_SPEED = 100.0
"""Speed (rad/s) held by the load in current and torque control, as GEM."""


@dataclass(frozen=True)
class MotorEntry:
    """Defaults of one motor family in the id table.

    Attributes:
        motor: Motor class.
        u_sup: Default DC-link voltage (V).
        sc_load: Load of the speed-control task (current/torque control hold a constant speed).
        constraints: Default constraints; ``None``: a limit on every reported current.
        angle_features: Observe ``cos(epsilon), sin(epsilon)`` in place of the angle ``epsilon``
            (else every physical state is observed, as GEM does).
        last_action: Append the previous action to observations by default.
        tc_speed: Speed (rad/s) held by the load in torque control.
        ref_ranges: Default normalised reference range per referenced state, where the generic
            ``± nominal / limit`` asks for what the machine cannot do.
        converter: Default converter topology (``None``: by the number of the motor's inputs,
            :data:`CONVERTER_TOPOLOGIES`).
    """

    motor: type[Motor]
    u_sup: float
    sc_load: Callable[[], MechanicalLoad]
    constraints: tuple | None = None
    angle_features: bool = False
    last_action: bool = False
    tc_speed: float = CONSTANT_SPEED
    ref_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    converter: cv.Topology | None = None


MOTORS: dict[str, MotorEntry] = {
    "PermExDc": MotorEntry(PermExDc, 60.0, lambda: PolynomialStaticLoad(a=0.0, b=0.0, c=0.0, j_load=1e-4)),
    "ExtExDc": MotorEntry(ExtExDc, 60.0, lambda: PolynomialStaticLoad(a=0.0, b=0.0, c=0.0, j_load=1e-4)),
    "SeriesDc": MotorEntry(SeriesDc, 60.0, lambda: PolynomialStaticLoad(a=0.01, b=0.05, c=0.0, j_load=1e-4)),
    # A shunt motor's torque at a held speed is l_e' u² (1 - l_e' omega / r_e) / (r_a r_e) >= 0 and
    # needs omega near its no-load speed r_e / l_e' (235 rad/s) to reach useful values (GEM holds
    # 230 rad/s); its speed cannot exceed that no-load speed.
    "ShuntDc": MotorEntry(ShuntDc, 60.0, lambda: PolynomialStaticLoad(a=0.05, b=0.01, c=0.0, j_load=1e-4),
                          tc_speed=230.0, ref_ranges={"torque": (0.0, 0.5), "omega": (0.0, 0.55)}),
}
_AC_SC_LOAD = lambda: PolynomialStaticLoad(a=0.01, b=0.01, c=0.0, j_load=1e-5)  # noqa: E731


def _ac(motor: type[Motor], u_sup: float, *constraints: Any, **kwargs: Any) -> MotorEntry:
    """A three-phase (or six-phase) motor's row: GEM's speed-control load, cos/sin of the angle, last action."""
    return MotorEntry(motor, u_sup, _AC_SC_LOAD, constraints=constraints, angle_features=True, last_action=True,
                      **kwargs)


_DQ = SquaredConstraint(("i_sd", "i_sq"))
MOTORS.update({
    "PMSM": _ac(PMSM, 300.0, _DQ),
    "SynRM": _ac(SynRM, 420.0, _DQ),
    "SCIM": _ac(SCIM, 420.0, _DQ),
    # GEM supplies the DFIM (rated for a 720 V DC link) from 420 V: at the 100 rad/s of the current task the
    # voltage holds a flux of about 0.7 Wb, i_sd = 2.3 A (0.26 of the limit); above about half the speed limit
    # the weakened flux leaves too little torque for the S-curve's acceleration (PI speed RMSE 0.13 of the limit in
    # the second half of the episodes with speeds up to 0.88 of it, 0.014 within +-0.5)
    "DFIM": _ac(DFIM, 420.0, _DQ, ref_ranges={"i_sd": (0.0, 0.25), "omega": (-0.5, 0.5)}),
    # the field holds at most u_sup / r_e = 12.8 A at 200 V (0.4 of the 25 A limit leaves room to move it), and
    # with that field the torque reaches about 0.3 of the rating (computed for the rated 25 A); the heavy rotor
    # (0.39 kg m²) accelerates at some 70 rad/s²: speed references near base speed that move slowly
    "EESM": _ac(EESM, 200.0, _DQ, LimitConstraint(("i_e",)),
                ref_ranges={"i_sd": (-0.5, 0.5), "i_sq": (-0.6, 0.6), "i_e": (0.0, 0.4), "torque": (-0.3, 0.3),
                            "omega": (-0.1, 0.1)}),
    "SIXPMSM": _ac(SIXPMSM, 300.0, SquaredConstraint(("i_sd", "i_sq", "i_sx", "i_sy"))),
    # the phase currents are limited (block currents flow in two phases at a time); speed references up to the
    # nominal 1000 rpm, where the line-to-line back-EMF (185 V) leaves room for the current on 300 V
    "BLDC": _ac(BLDC, 300.0, LimitConstraint(("i_a", "i_b", "i_c"))),
    # one asymmetric half bridge per phase; the speed task's references stay within the nominal 1000 rpm, where
    # a phase's motional voltage at 8 A (2 p_r omega i dL/dε = 151 V) leaves room on 300 V
    "SRM": MotorEntry(SRM, 300.0, lambda: PolynomialStaticLoad(a=0.5, b=0.01, c=0.0, j_load=1e-3),
                      angle_features=True, last_action=True,
                      converter=cv.combine(*[cv.ASYMMETRIC_HALF_BRIDGE] * 4)),
})
"""Motor families with registered ids. Three-phase motors observe ``cos(epsilon), sin(epsilon)``
instead of the raw angle and the last action by default (what GEM users add with wrappers)."""


def default_observed(state_names: Sequence[str], angle_features: bool) -> tuple[str, ...]:
    """Every state, with ``epsilon`` replaced by ``cos(epsilon), sin(epsilon)`` if ``angle_features``."""
    out: list[str] = []
    for name in state_names:
        out += ["cos(epsilon)", "sin(epsilon)"] if (name == "epsilon" and angle_features) else [name]
    return tuple(out)


CONVERTER_TOPOLOGIES = {1: cv.FOUR_QUADRANT, 2: cv.combine(cv.FOUR_QUADRANT, cv.FOUR_QUADRANT), 3: cv.B6_BRIDGE,
                        4: cv.combine(cv.B6_BRIDGE, cv.FOUR_QUADRANT), 6: cv.combine(cv.B6_BRIDGE, cv.B6_BRIDGE)}
"""Default converter by the motor's number of inputs, as GEM's: a 4QC (DC), two 4QCs (armature and field), a
B6 bridge (three phases), a B6 bridge and a 4QC (EESM: stator and field), two B6 bridges (DFIM: stator and
rotor; six-phase PMSM: both sets)."""


def default_converter(motor: Motor, action_type: str, interlocking_time: float = 0.0, switch_drop: float = 0.0,
                      diode_drop: float = 0.0) -> cv.Converter:
    """The motor's converter of :data:`MOTORS`, else that of :data:`CONVERTER_TOPOLOGIES` for its inputs."""
    entry = MOTORS.get(type(motor).__name__)
    n = len(motor.input_names)
    topology = entry.converter if entry is not None and entry.converter is not None else CONVERTER_TOPOLOGIES.get(n)
    if topology is None:
        raise ValueError(f"no default converter for a motor with {n} inputs; pass converter=")
    kind = cv.ContinuousConverter if action_type == "Cont" else cv.FiniteConverter
    return kind(topology, interlocking_time, switch_drop, diode_drop)


THERMAL_VARIANTS: dict[type[Motor], type[Motor]] = {PMSM: ThermalPMSM, PermExDc: ThermalPermExDc}
"""Motor classes with a thermal option (``thermal=``) and the class that adds the temperatures."""


def _build_motor(motor: str | Motor, motor_params, nominal_values, limit_values,
                 flux_observer: bool, thermal: Any = None) -> tuple[Motor, MotorEntry | None]:
    options = {"flux_observer": True} if flux_observer else {}
    cls = type(motor) if isinstance(motor, Motor) else MOTORS[motor].motor if motor in MOTORS else None
    if options and cls is not None and "flux_observer" not in cls.option_names:
        raise ValueError(f"flux_observer=True: {cls.__name__} has no rotor-flux observer (the induction motors "
                         f"SCIM and DFIM have)")
    plain = next((k for k, v in THERMAL_VARIANTS.items() if v is cls), cls)
    if thermal is not None and thermal is not False:
        if plain not in THERMAL_VARIANTS:
            raise ValueError(f"thermal: {getattr(cls, '__name__', motor)} has no thermal model "
                             f"({' and '.join(k.__name__ for k in THERMAL_VARIANTS)} have)")
        cls = THERMAL_VARIANTS[plain]
        options["thermal"] = thermal_option(thermal, cls.thermal_model)
    if isinstance(motor, Motor):
        if motor_params or nominal_values or limit_values:
            raise ValueError("motor_params/nominal_values/limit_values go with a motor name, not a Motor instance")
        entry = MOTORS.get(getattr(plain, "__name__", ""))
        if cls is not type(motor):      # a plain motor gets its temperatures
            return cls(**motor.parameters, nominal_values=motor.nominal_values, limit_values=motor.limit_values,
                       **options), entry
        return (replace(motor, **options) if options else motor), entry
    if cls is None:
        raise ValueError(f"unknown motor {motor!r}; known: {sorted(MOTORS)} (or pass a Motor instance)")
    entry = MOTORS[motor]
    m = cls.from_params(motor_params, nominal_values=nominal_values, limit_values=limit_values, **options)
    return m, entry


def _default_references(drive: DriveSystem, task: str, entry: MotorEntry | None) -> list[ReferenceGenerator]:
    """Random walks for currents and torque; S-curve set-points for the speed (bounds from the drive)."""
    motor = drive.motor
    names = {"CC": motor.controlled_currents or motor.current_names, "TC": ("torque",), "SC": ("omega",)}[task]
    ranges = entry.ref_ranges if entry else {}
    kind = SCurveReference if task == "SC" else WienerReference
    return [kind(state=n, low=ranges.get(n, (None, None))[0], high=ranges.get(n, (None, None))[1]) for n in names]


def _bind_all(refs: Sequence[ReferenceGenerator], drive: DriveSystem) -> tuple[ReferenceGenerator, ...]:
    """Fills state names, the default range and the bounds of S-curve speed references.

    The range is ``± nominal / limit`` (``[0, ·]`` if non-negative); states without a motor limit
    (voltages, ``u_sup``, ``epsilon``) get the full range. The default range widens to include the
    constant values the user gives (:class:`ConstReference`, also as sub-generators): they are used
    as given. The S-curve bounds come from the drive (:func:`~gem.envs.scurve.with_drive_bounds`).
    """
    lim, nom, idx = drive.motor.limits, drive.motor.nominal, drive.index
    out = []
    for g in refs:
        if g.state not in idx:
            raise ValueError(f"reference on unknown state {g.state!r}; states: {list(drive.state_names)}")
        hi = min(abs(nom[g.state] / lim[g.state]), 1.0) if g.state in lim and g.state in nom else 1.0
        hi = float(np.min(hi))
        lo = 0.0 if g.state in drive.motor.nonnegative_states else -hi
        subs = getattr(g, "generators", None) or (g,)
        values = [v for sub in subs if (v := getattr(sub, "value", None)) is not None]
        lo, hi = min([lo, *values]), max([hi, *values])
        name = type(g).__name__
        if g.low is not None and g.high is None and g.low > hi:
            raise ValueError(f"{name}: low={g.low!r} is above the task's default high {hi:.4g} for {g.state!r} "
                             "(nominal / limit): give high= too")
        if g.high is not None and g.low is None and g.high < lo:
            raise ValueError(f"{name}: high={g.high!r} is below the task's default low {lo:.4g} for {g.state!r}: "
                             "give low= too")
        out.append(with_drive_bounds(bind_reference(g, g.state, lo, hi), drive))
    names = [g.state for g in out]
    if len(set(names)) != len(names):
        raise ValueError(f"each referenced state may appear once, got {names}")
    return tuple(out)


def make_task(motor: str | Motor = "SeriesDc", task: str = "SC", action_type: str = "Cont", *,
              tau: float | None = None, u_sup: float | None = None,
              supply: IdealVoltageSupply | RCVoltageSupply | ThreePhaseRectifierSupply | None = None,
              motor_params: Mapping[str, Any] | None = None, nominal_values: Mapping[str, float] | None = None,
              limit_values: Mapping[str, float] | None = None, load: MechanicalLoad | None = None,
              converter: cv.Converter | None = None, interlocking_time: float = 0.0,
              switch_drop: float = 0.0, diode_drop: float = 0.0,
              solver: str = "rk4", substeps: int = 1, constraints: Sequence | None = None,
              noise: GaussianNoise | float | None = None,
              reference: ReferenceGenerator | Sequence[ReferenceGenerator] | None = None,
              reward_weights: Mapping[str, float] | None = None, reward_power: float = 1.0,
              gamma: float = 0.99, violation_reward: float | None = None,
              reward: type[WeightedSumOfErrors] | WeightedSumOfErrors | None = None,
              randomize: Mapping[str, Any] | None = None,
              observed_states: Sequence[str] | None = None, last_action: bool | None = None,
              action_frame: str = "abc", action_delay: int = 0, flux_observer: bool = False,
              thermal: Any = None, saturation: Any = None, error_integral: float | None = None) -> DriveTask:
    """Builds a drive-control task; every argument has the default of the registered id.

    Args:
        motor: Registered motor name or a :class:`~gem.physical_systems.Motor` instance.
        task: ``"CC"`` (current), ``"TC"`` (torque) or ``"SC"`` (speed control).
        action_type: ``"Cont"`` (duty cycles, ``Box``) or ``"Finite"`` (switching states).
        tau: Control period (s); default 1e-4 (Cont) or 1e-5 (Finite).
        u_sup: DC-link voltage (V).
        supply: The DC supply instead of the ideal ``u_sup`` (off by default): an
            :class:`~gem.physical_systems.RCVoltageSupply` (its ``u_nominal`` defaults to ``u_sup``) or a
            :class:`~gem.physical_systems.ThreePhaseRectifierSupply`, whose link voltage is a state
            integrated with the motor and reported as ``u_sup``; GEM's ``dict(u_nominal=...)`` is the
            ideal supply.
        motor_params: GEM parameter dict of the named motor.
        nominal_values: Nominal value overrides by state name (SI).
        limit_values: Limit overrides by state name (SI).
        load: Mechanical load; default constant 100 rad/s (CC, TC) or the motor's polynomial load (SC).
        converter: Power converter; default from the motor's number of inputs and ``action_type``.
        interlocking_time: Interlocking time of the default converter (s).
        switch_drop: Forward voltage of the default converter's conducting switches (V).
        diode_drop: Forward voltage of the default converter's conducting diodes (V).
        solver: ``"rk4"`` (default), ``"euler"`` or ``"scipy"``.
        substeps: Solver sub-steps per period.
        constraints: State names (limit constraint) and/or constraint objects; ``()`` disables them.
        noise: Measurement noise on observations: a ``GaussianNoise`` or its ``sigma`` (one number, or
            ``{state name: sigma}``), as a fraction of each state's limit.
        reference: One generator or a list. Generators whose ``state`` is ``None`` take the task's
            referenced states that no other generator names, in order, one each (a value outside
            [-1, 1] or a mismatch in number is an error); ``ConstReference`` values are used as given.
        reward_weights: Weight per referenced state (default equal, summing to 1).
        reward_power: Exponent of the error in the reward.
        gamma: Discount factor of the agent; sets the default violation reward ``-sum(w)/(1-gamma)``.
        violation_reward: Reward of a violating step (overrides the default).
        reward: A reward class (built for the task's references with the four arguments above,
            e.g. a subclass of :class:`~gem.envs.rewards.WeightedSumOfErrors` with its own
            ``reward_columns``) or a reward object with one weight per referenced state.
        randomize: ``{parameter name: distribution}``: motor or load parameters drawn anew for
            every episode of every environment (:mod:`gem.envs.randomization`; limits follow the
            distributions' centres).
        observed_states: Observed quantities (default: every state; cos/sin of the angle for AC).
        last_action: Append the previous action to observations.
        action_frame: ``"abc"`` (converter action) or ``"dq"`` (the motor's rotor-frame voltages, rotor-flux
            frame for induction motors; continuous AC ids only, see :class:`~gem.envs.task.DriveTask`).
        action_delay: Computation delay in control periods (GEM's ``DeadTimeProcessor``): the
            converter applies the action given that many steps earlier (see
            :class:`~gem.envs.task.DriveTask`).
        flux_observer: Induction motors: append the rotor-flux states ``psi_abs, psi_angle`` (GEM's
            ``FluxObserver``; see :mod:`gem.physical_systems.induction`).
        thermal: PMSM and PermExDc: temperatures as states (after ``u_sup``, in °C), with the
            resistance (and the PMSM's magnet flux) following them. ``True`` (default parameters), a
            dict of parameters or a parameter object: for the PMSM a four-node network
            (``theta_pm, theta_sy, theta_st, theta_sw``;
            :class:`~gem.physical_systems.thermal.WallscheidLPTN`), for the PermExDc one winding node
            (``theta_w``; :class:`~gem.physical_systems.thermal_dc.WindingNode`). ``None`` (default) or
            ``False``: off. The default constraints then include the temperature limits.
        saturation: PMSM and SynRM: magnetic saturation and cross-coupling from a flux-linkage map
            (``None``: off; ``True``: gem's map scaled to the motor; a
            :class:`~gem.physical_systems.FluxMap` or
            :class:`~gem.physical_systems.AlgebraicSaturationModel`; see
            :mod:`gem.physical_systems.saturation`).
        error_integral: Integration time (s) of the tracking-error integral observed after the
            references and the last action, one feature per referenced state (``None``: off; see
            :class:`~gem.envs.task.DriveTask`). Integral action for memoryless RL policies.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose from {TASKS}")
    if action_type not in ACTION_TYPES:
        raise ValueError(f"unknown action_type {action_type!r}; choose from {ACTION_TYPES}")
    tau = TAU[action_type] if tau is None else arg.number("tau", tau, "> 0", per_env=False)
    u_sup = None if u_sup is None else arg.number("u_sup", u_sup, "> 0")
    interlocking_time = arg.number("interlocking_time", interlocking_time, ">= 0")
    m, entry = _build_motor(motor, arg.mapping("motor_params", motor_params),
                            arg.mapping("nominal_values", nominal_values), arg.mapping("limit_values", limit_values),
                            arg.flag("flux_observer", flux_observer), thermal)
    supply = arg.supply(supply, u_sup, entry.u_sup if entry else 60.0)
    arg.instance("load", load, MechanicalLoad, "a load of gem.physical_systems (ConstantSpeedLoad, "
                 "PolynomialStaticLoad, ...)")
    arg.instance("converter", converter, cv.Converter, "a converter of gem.physical_systems")
    if load is None:
        if task == "SC":
            load = entry.sc_load() if entry else PolynomialStaticLoad(j_load=1e-4)
        else:
            load = ConstantSpeedLoad(omega_fixed=entry.tc_speed if (entry and task == "TC") else CONSTANT_SPEED)
    randomized = parse_randomize(arg.mapping("randomize", randomize), m, load)
    if randomized:      # the drive holds the centres: limits and nominal values follow them
        m, load = replace(m, **centres(randomized, "motor")), replace(load, **centres(randomized, "load"))
    m = with_saturation(m, saturation, motor_params, [r.name for r in randomized if r.part == "motor"])
    conv = converter if converter is not None else default_converter(m, action_type, interlocking_time, switch_drop,
                                                                      diode_drop)
    drive = DriveSystem(m, conv, load, supply, tau=tau, solver=solver, substeps=substeps)
    refs = _bind_all(_user_references(reference, drive, task, entry), drive)
    signed = [g.low < 0 for g in refs]
    if reward is None or isinstance(reward, type):
        weights = arg.mapping("reward_weights", reward_weights)
        for name, w in (weights or {}).items():
            arg.number(f"reward_weights[{name!r}]", w, ">= 0", per_env=False)
        if violation_reward is not None:
            violation_reward = arg.number("violation_reward", violation_reward, per_env=False)
        reward = (reward or WeightedSumOfErrors).for_references(
            [g.state for g in refs], signed, weights, gamma=arg.number("gamma", gamma, per_env=False),
            power=arg.number("reward_power", reward_power, "> 0", per_env=False), violation_reward=violation_reward)
    elif len(getattr(reward, "weights", ())) != len(refs):
        raise ValueError(f"reward {reward!r} has {len(getattr(reward, 'weights', ()))} weights for "
                         f"{len(refs)} referenced state(s) {[g.state for g in refs]}")
    constraints = arg.names("constraints", constraints)
    if constraints is None:
        constraints = entry.constraints if entry and entry.constraints is not None else \
            (LimitConstraint(m.current_names),)
        if type(m) in THERMAL_VARIANTS.values():
            constraints = (*constraints, LimitConstraint(m.thermal_nodes))
    observed = arg.names("observed_states", observed_states)
    if observed is None:
        observed = default_observed(drive.state_names, bool(entry and entry.angle_features))
    if isinstance(noise, Mapping):
        noise = GaussianNoise(dict(noise))
    elif noise is not None and not isinstance(noise, GaussianNoise):
        noise = GaussianNoise(arg.number("noise", noise, ">= 0", per_env=False))
    last_action = arg.flag("last_action", last_action, allow_none=True)
    return DriveTask(drive=drive, references=refs, reward=reward,
                     constraints=parse_constraints(constraints, drive.state_names), observed=observed,
                     last_action=bool(entry.last_action if (last_action is None and entry) else last_action),
                     noise=noise, task=task, action_frame=action_frame, randomized=randomized,
                     action_delay=action_delay, error_integral=error_integral)


def _user_references(reference: Any, drive: DriveSystem, task: str,
                     entry: MotorEntry | None) -> list[ReferenceGenerator]:
    """The generators of ``reference=``; those without a state take the task's referenced states in order.

    Raises:
        ValueError: If ``reference`` holds something else than generators, or the generators without a
            state are not exactly one per referenced state that no other generator names.
    """
    if reference is None:
        return _default_references(drive, task, entry)
    single = isinstance(reference, ReferenceGenerator) or not isinstance(reference, (list, tuple))
    refs = [reference] if single else list(reference)
    bad = [g for g in refs if not isinstance(g, ReferenceGenerator)]
    if bad:
        hint = f" (an instance: {bad[0].__name__}())" if isinstance(bad[0], type) else ""
        raise ValueError(f"reference must be a reference generator (WienerReference(), PeriodicReference(), "
                         f"ConstReference(value=...), SwitchedReference(...)) or a list of them, got {bad[0]!r}{hint}")
    named = {g.state for g in refs if g.state}
    free = [d.state for d in _default_references(drive, task, None) if d.state not in named]
    unnamed = [g for g in refs if not g.state]
    if unnamed and len(unnamed) != len(free):
        raise ValueError(f"reference: {len(unnamed)} generator(s) without a state for the {len(free)} referenced "
                         f"state(s) {free} of this task: give one per state, in that order, or name the state of "
                         f"each (state={free[0] if free else 'name'!r})")
    states = iter(free)
    return [g if g.state else bind_reference(g, next(states), g.low, g.high) for g in refs]


def default_episode_steps(task: str, action_type: str, tau: float | None = None) -> int:
    """Default ``max_episode_steps``: :data:`EPISODE_SECONDS` of the task divided by ``tau``."""
    return int(round(EPISODE_SECONDS[task] / (tau or TAU[action_type])))


def make_env(render_mode: str | None = None, compiled: bool = True, **kwargs: Any) -> GemEnv:
    """Single-environment entry point (``gym.make``).

    ``compiled`` as :func:`make_vec_env`; the other arguments as :func:`make_task`.
    """
    arg.check_keywords(kwargs, arg.keyword_names(make_task, make_env), vector=False)
    return GemEnv(make_task(**kwargs), render_mode=render_mode, compiled=arg.flag("compiled", compiled))


def make_vec_env(num_envs: int = 1, max_episode_steps: int | None = None, render_mode: str | None = None,
                 compiled: bool = True, threaded: bool = False, **kwargs: Any) -> GemVectorEnv:
    """Vector entry point (``gym.make_vec(..., vectorization_mode="vector_entry_point")``).

    Args:
        num_envs: Batch size.
        max_episode_steps: Truncation horizon (the registered default through ``make_vec``).
        render_mode: Rendering mode.
        compiled: Use the compiled step where the task allows it (see :mod:`gem.envs.kernel`).
        threaded: Run the compiled step on numba's threads (off by default; see
            :class:`~gem.envs.vector_env.GemVectorEnv`).
        **kwargs: Task arguments, as :func:`make_task`.
    """
    arg.check_keywords(kwargs, arg.keyword_names(make_task, make_vec_env), vector=True)
    return GemVectorEnv(make_task(**kwargs), num_envs=num_envs, max_episode_steps=max_episode_steps,
                        render_mode=render_mode, compiled=arg.flag("compiled", compiled),
                        threaded=arg.flag("threaded", threaded))


def env_ids() -> list[str]:
    """Every id the table generates."""
    return [f"gem/{a}-{t}-{m}-v0" for m in MOTORS for a in ACTION_TYPES for t in TASKS]


def register_all() -> None:
    """Registers every id of the table with Gymnasium (idempotent)."""
    for motor in MOTORS:
        for a in ACTION_TYPES:
            for t in TASKS:
                env_id = f"gem/{a}-{t}-{motor}-v0"
                if env_id in gym.registry:
                    continue
                gym.register(
                    id=env_id, entry_point="gem.envs.registration:make_env",
                    vector_entry_point="gem.envs.registration:make_vec_env",
                    max_episode_steps=default_episode_steps(t, a),
                    kwargs={"motor": motor, "task": t, "action_type": a},
                )


__all__ = ["MOTORS", "MotorEntry", "SquaredConstraint", "default_converter", "env_ids", "make_env",
           "make_task", "make_vec_env", "register_all"]
