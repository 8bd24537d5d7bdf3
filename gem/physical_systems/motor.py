"""Base class of all motor models.

A motor is a frozen dataclass whose fields are its physical parameters (GEM names, SI units).
It declares its names and implements a batched ODE. Everything that maps names to columns of the
full drive state lives in :class:`~gem.physical_systems.drive_system.DriveSystem`, not here.

Column convention: the physics methods take the states as a sequence of *columns* in
``ode_names`` order and return tuples of columns, so equations read like the textbook::

    def derivative(self, x, u, omega):
        i_a, i_e = x                      # ODE states, each (num_envs,)
        u_a, u_e = u                      # terminal voltages from the converter (V)
        ...
        return di_a, di_e

A column is a ``(num_envs,)`` array (the drive passes ``x.T``) or, in a compiled per-environment
kernel, a scalar. Equations are plain arithmetic (no Python ``if`` on values; use ``np.where``),
so the same code runs batched in NumPy and per environment when compiled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from gem.physical_systems.params import as_param, check_known_keys, check_positive, validated_fields

Column = Any
"""A ``(num_envs,)`` array, or a float inside a compiled per-environment kernel."""
Columns = Sequence[Column]


def with_aliases(defaults: Mapping[str, float], given: Mapping[str, float],
                 aliases: Mapping[str, tuple[str, ...]]) -> dict[str, float]:
    """``defaults`` updated by ``given``; a given group entry applies to its states not named themselves.

    ``aliases`` maps a group entry (GEM's ``"i"``) to the states it stands for.
    """
    out = {**defaults, **given}
    for group, names in aliases.items():
        if group in given:
            out.update({name: given[group] for name in names if name not in given})
    return out


def check_pole_pairs(motor: Motor) -> None:
    """Raises a ValueError unless ``motor.p`` is an integer; a scalar ``p`` becomes a Python ``int``."""
    p = np.asarray(motor.p)
    if np.any(p != np.round(p)):
        raise ValueError(f"{type(motor).__name__}: parameter 'p' (pole pairs) must be a positive integer, "
                         f"got {motor.p!r}")
    if p.ndim == 0:
        object.__setattr__(motor, "p", int(p))


def voltage_ratings(u: float, voltage_names: tuple[str, ...]) -> dict[str, float]:
    """GEM's voltage entries of a three-phase motor (``u`` and the phase voltages ``u/2``) and ``epsilon``.

    They are accepted in ``limit_values``/``nominal_values`` so GEM's dicts work unchanged, but
    only rate the machine: gem normalises voltages by what the converter can apply.
    """
    return {"u": u, **dict.fromkeys(voltage_names, u / 2), "epsilon": np.pi}


@dataclass(frozen=True, kw_only=True)
class Motor:
    """Base motor: names, parameter validation, limits and nominal values.

    Subclasses set the class variables below and implement :meth:`derivative`, :meth:`torque`
    and, where the reported currents are not simply the ODE states, :meth:`currents`.

    Attributes:
        nominal_values: Overrides of the nominal values by state name (SI).
        limit_values: Overrides of the limits by state name (SI). Limits normalise observations
            and define the limit constraints.
    """

    ode_names: ClassVar[tuple[str, ...]] = ()
    """Names of the motor's ODE states (e.g. ``("i",)``, ``("i_sd", "i_sq", "epsilon")``)."""
    current_names: ClassVar[tuple[str, ...]] = ()
    """Currents reported in the drive state, in GEM order."""
    voltage_names: ClassVar[tuple[str, ...]] = ()
    """Voltages reported in the drive state, in GEM order."""
    input_names: ClassVar[tuple[str, ...]] = ()
    """Terminal voltages the motor takes from the converter, one per converter output."""
    extra_names: ClassVar[tuple[str, ...]] = ()
    """Further states computed by :meth:`extras`, appended after ``u_sup`` (GEM's ShuntDc ``i_sum``).
    ODE states that are neither currents nor the angle need no entry here: they follow by
    themselves (:attr:`ode_extra_names`)."""
    controlled_currents: ClassVar[tuple[str, ...]] = ()
    """Currents referenced in current control (empty: all ``current_names``)."""
    nonnegative_states: ClassVar[tuple[str, ...]] = ()
    """States that are non-negative in normal operation (their references lie in [0, 1])."""
    has_angle: ClassVar[bool] = False
    """True when the last ODE state is the electrical angle ``epsilon``."""
    pole_pairs_param: ClassVar[str | None] = None
    positive_params: ClassVar[tuple[str, ...]] = ()
    """Parameters that must be strictly positive."""
    nonnegative_params: ClassVar[tuple[str, ...]] = ()
    """Parameters that must be >= 0."""
    default_nominal: ClassVar[dict[str, float]] = {}
    default_limits: ClassVar[dict[str, float]] = {}
    rating_aliases: ClassVar[dict[str, tuple[str, ...]]] = {}
    """Group entries of ``limit_values``/``nominal_values`` (GEM's ``"i"``) and the states they apply
    to unless those are named themselves."""
    torque_limit_current: ClassVar[str | None] = None
    """``None``: the torque limit is the table's. ``"nominal"`` or ``"limit"``: unless given, the
    torque limit is :meth:`max_torque` at the nominal or limit currents, and the nominal torque
    :meth:`max_torque` at the nominal currents (at most the limit)."""

    dq_action_names: ClassVar[tuple[str, ...]] = ()
    """The voltages an ``action_frame="dq"`` action holds, normalised like those states (empty: the motor
    has no such action); :meth:`dq_action` turns them into converter actions."""
    option_names: ClassVar[tuple[str, ...]] = ()
    """Boolean fields that switch a feature on (not physical parameters, e.g. ``flux_observer``)."""
    model_options: ClassVar[tuple[str, ...]] = ()
    """Fields holding a model object that switches a feature on (``None``: off; the synchronous motors'
    ``saturation``). Not physical parameters; the object checks its own values."""
    internal_ode_names: ClassVar[tuple[str, ...]] = ()
    """ODE states that the drive state shows in another form and does not report as they are (the
    induction motors' stator-frame currents and rotor fluxes: as ``i_sd, i_sq`` and, with the flux
    observer, ``psi_abs, psi_angle``)."""

    nominal_values: Mapping[str, float] | None = field(default=None, repr=False)
    limit_values: Mapping[str, float] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        name = type(self).__name__
        check_names(self)
        for option in self.option_names:
            if not isinstance(getattr(self, option), (bool, np.bool_)):
                raise ValueError(f"{name}: option {option!r} must be True or False, got {getattr(self, option)!r}")
        params = validated_fields(self, skip=("nominal_values", "limit_values", *self.option_names,
                                              *self.model_options))
        check_positive(name, params, self.positive_params)
        check_positive(name, params, self.nonnegative_params, strict=False)
        for label, keyword, given in (("nominal value", "nominal_values", self.nominal_values),
                                      ("limit", "limit_values", self.limit_values)):
            if given:
                if not isinstance(given, Mapping):
                    raise ValueError(f"{name}: {keyword} must be a dict {{state name: value (SI)}}, got {given!r}")
                check_known_keys(name, given, {**dict.fromkeys(self.default_limits), **dict.fromkeys(
                    self.limited_names)}, label)
                given = {k: as_param(v, f"{keyword}[{k!r}]") for k, v in given.items()}
                for k, v in given.items():
                    if np.ndim(v):
                        raise ValueError(f"{name}: {keyword}[{k!r}] must be one number, got {v!r}")
                check_positive(name, given, given)
                object.__setattr__(self, keyword, given)
        check_limits(self)

    # ----------------------------------------------------------------- construction helpers
    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Motor:
        """Builds the motor from a GEM-style parameter dict (unknown names raise).

        Args:
            params: GEM ``motor_parameter`` dict, e.g. ``{"r_a": 16e-3, "l_a": 19e-6}``.
            **kwargs: Further fields (``nominal_values``, ``limit_values``, options).
        """
        params = dict(params or {})
        check_known_keys(cls.__name__, params, cls.parameter_names())
        return cls(**params, **kwargs)

    @classmethod
    def parameter_names(cls) -> tuple[str, ...]:
        """Names of the physical parameters (the dataclass fields but limits and nominal values)."""
        return tuple(f.name for f in fields(cls)
                     if f.name not in ("nominal_values", "limit_values", *cls.option_names, *cls.model_options))

    @property
    def parameters(self) -> dict[str, Any]:
        """The physical parameters by GEM name."""
        return {k: getattr(self, k) for k in self.parameter_names()}

    @property
    def ode_extra_names(self) -> tuple[str, ...]:
        """ODE states reported after ``u_sup`` and the :attr:`extra_names`, as they are.

        Every ODE state is part of the drive's state: the currents among ``current_names``, the
        angle as ``epsilon``, those shown otherwise (:attr:`internal_ode_names`), and any other (a
        winding temperature, a flux) here, in ``ode_names`` order. Each needs a limit
        (``default_limits`` or ``limit_values``).
        """
        reported = set(self.current_names) | set(self.extra_names) | set(self.internal_ode_names) \
            | ({"epsilon"} if self.has_angle else set())
        return tuple(n for n in self.ode_names if n not in reported)

    @property
    def limited_names(self) -> tuple[str, ...]:
        """The states normalised by a limit of this motor: ``omega``, ``torque``, currents and extras."""
        return ("omega", "torque", *self.current_names, *self.extra_names, *self.ode_extra_names)

    @property
    def limits(self) -> dict[str, float]:
        """Limits by state name (SI): defaults updated by ``limit_values``.

        See ``rating_aliases`` and ``torque_limit_current``.
        """
        return self._ratings()[0]

    @property
    def nominal(self) -> dict[str, float]:
        """Nominal values by state name (SI): defaults updated by ``nominal_values`` (as :attr:`limits`)."""
        return self._ratings()[1]

    def _ratings(self) -> tuple[dict[str, float], dict[str, float]]:
        given_lim, given_nom = dict(self.limit_values or {}), dict(self.nominal_values or {})
        limits = with_aliases(self.default_limits, given_lim, self.rating_aliases)
        nominal = with_aliases(self.default_nominal, given_nom, self.rating_aliases)
        if self.torque_limit_current is not None:
            if "torque" not in given_lim:
                limits["torque"] = self.max_torque(nominal if self.torque_limit_current == "nominal" else limits)
            if "torque" not in given_nom:
                nominal["torque"] = np.minimum(self.max_torque(nominal), limits["torque"])
        return limits, nominal

    def max_torque(self, ratings: Mapping[str, float]) -> float | np.ndarray:
        """Largest steady-state torque (N·m) with the currents of ``ratings`` (limits or nominal values).

        Needed where ``torque_limit_current`` is set.
        """
        raise NotImplementedError

    # ----------------------------------------------------------------- physics interface
    def derivative(self, x: Columns, u: Columns, omega: Column) -> tuple[Column, ...]:
        """Time derivatives of the ODE states (one column per ``ode_names`` entry).

        Args:
            x: ODE state columns in ``ode_names`` order.
            u: Terminal voltage columns in ``input_names`` order (V), held over the period.
            omega: Mechanical speed (rad/s).
        """
        raise NotImplementedError

    def torque(self, x: Columns) -> Column:
        """Electrical torque in N·m."""
        raise NotImplementedError

    def column_function(self, name: str) -> Any:
        """The function the compiled step calls for the column method ``name`` (``self`` its first argument).

        The class's method by default; a motor whose method picks between equations by a model
        option (the synchronous motors' ``saturation``) returns the chosen one, which the compiled
        step then calls directly.
        """
        return getattr(type(self), name)

    def currents(self, x: Columns) -> tuple[Column, ...]:
        """Reported currents (``current_names`` order). The default returns the leading ODE states."""
        return tuple(x[j] for j in range(len(self.current_names)))

    def terminal_currents(self, x: Columns) -> tuple[Column, ...]:
        """Currents flowing out of the converter terminals, one per ``input_names`` entry."""
        return tuple(x[j] for j in range(len(self.input_names)))

    def voltages(self, u: Columns, x_start: Columns, x_end: Columns, tau: float) -> tuple[Column, ...]:
        """Reported voltages (``voltage_names`` order) from the period-averaged terminal voltages ``u``.

        ``x_start``/``x_end`` are the ODE states at the start and end of the period, for motors
        whose reported voltages are in a rotating frame. The default reports ``u`` itself.
        """
        return tuple(u)

    def voltage_limits(self, u_max: np.ndarray) -> dict[str, np.ndarray]:
        """Normaliser of each reported voltage, given the converter's largest output voltage.

        Args:
            u_max: ``(num_envs, len(input_names))`` largest ``|voltage|`` per converter output (V).

        Returns:
            ``{voltage_name: (num_envs,) array}``. The default maps ``voltage_names`` one-to-one
            onto the converter outputs.
        """
        return dict(zip(self.voltage_names, u_max.T, strict=True))

    def dq_action(self, a: Columns, x: Columns, omega: Column, advance: float, u_sup: Column) -> tuple[Column, ...]:
        """Continuous converter actions that apply the normalised rotor-frame voltages ``a`` over the next period.

        Args:
            a: One column per ``dq_action_names`` entry, in [-1, 1] (clipped).
            x: ODE state columns at the start of the period.
            omega: Mechanical speed (rad/s).
            advance: Time (s) from the state ``x`` to the middle of the period the voltages are applied
                in: ``tau/2``, or ``(k + 1/2) tau`` with a computation delay of ``k`` periods; the
                frame's angle is advanced by it at the present speed.
            u_sup: Supply voltage (V).

        Returns:
            One column per entry of the converter's continuous action.
        """
        raise NotImplementedError

    def extras(self, x: Columns) -> tuple[Column, ...]:
        """Values of ``extra_names`` (none by default)."""
        return ()

    def initial_ode_state(self, num_envs: int, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """ODE state at reset: zeros, overridden by ``values`` (name -> (num_envs,) array).

        Motors whose ODE states are not the reported currents override this to accept the
        reported names. The drive wraps the angle ``epsilon`` afterwards.
        """
        x = np.zeros((num_envs, len(self.ode_names)))
        for j, name in enumerate(self.ode_names):
            if name in values:
                x[:, j] = values[name]
        return x

    @property
    def settable_state_names(self) -> tuple[str, ...]:
        """State names accepted in ``reset(options={"initial_state": ...})``."""
        return self.ode_names


NAME_SETS = ("ode_names", "current_names", "voltage_names", "input_names", "extra_names", "controlled_currents",
             "nonnegative_states", "internal_ode_names")
"""The class variables of a motor that hold state names."""
DRIVE_NAMES = ("omega", "torque", "u_sup")
"""States the drive itself reports (the load's speed, the torque, the supply voltage): not motor ODE states."""


def check_names(motor: Motor) -> None:
    """Checks the name class variables of a motor (its class), with errors that say what to write.

    Raises:
        ValueError: If a name set is a string instead of a tuple, an ODE state takes one of the
            drive's names, the currents are not the leading ODE states while :meth:`Motor.currents`
            keeps its default, the converter's currents are not currents while
            :meth:`Motor.terminal_currents` keeps its default, ``epsilon`` is not the last ODE state
            of a motor with an angle, or ``extra_names`` has no :meth:`Motor.extras`.
    """
    cls = type(motor)
    name = cls.__name__
    for attr in NAME_SETS:
        value = getattr(motor, attr)      # the instance's: a name set may depend on an option (flux_observer)
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{name}.{attr} must be a tuple of state names, e.g. ({value!r},) (mind the comma), "
                             f"got {value!r}")
    clash = [n for n in cls.ode_names if n in DRIVE_NAMES]
    if clash:
        raise ValueError(f"{name}.ode_names contains {clash}: {list(DRIVE_NAMES)} are the drive's own states "
                         "(the load owns the speed); give the motor's ODE states other names")
    if len(set(cls.ode_names)) != len(cls.ode_names):
        raise ValueError(f"{name}.ode_names repeats a name: {cls.ode_names}")
    n_cur, n_in = len(cls.current_names), len(cls.input_names)
    if cls.currents is Motor.currents and tuple(cls.ode_names[:n_cur]) != tuple(cls.current_names):
        raise ValueError(f"{name}: the currents {cls.current_names} must be the first ODE states (ode_names = "
                         f"{cls.ode_names}); put them first, or override currents(x) to compute them")
    if cls.terminal_currents is Motor.terminal_currents and not set(cls.ode_names[:n_in]) <= set(cls.current_names):
        raise ValueError(f"{name}: the converter's currents are taken from the first {n_in} ODE state(s) "
                         f"{cls.ode_names[:n_in]}, which are not all currents; put the currents first, or "
                         "override terminal_currents(x)")
    if cls.has_angle and (not cls.ode_names or cls.ode_names[-1] != "epsilon"):
        raise ValueError(f"{name}: a motor with has_angle = True keeps 'epsilon' as its last ODE state, got "
                         f"ode_names = {cls.ode_names}")
    if not set(cls.internal_ode_names) <= set(cls.ode_names):
        raise ValueError(f"{name}.internal_ode_names {cls.internal_ode_names} must be ODE states ({cls.ode_names})")
    if motor.extra_names and cls.extras is Motor.extras:
        raise ValueError(f"{name}: extra_names {motor.extra_names} needs an extras(x) method that computes them "
                         "(ODE states need no entry in extra_names: they are reported by themselves)")


def check_limits(motor: Motor) -> None:
    """Every state normalised by a motor limit has a positive one, and no nominal value exceeds its limit.

    Raises:
        ValueError: Naming the state, with what to add or change.
    """
    name = type(motor).__name__
    limits, nominal = motor.limits, motor.nominal
    missing = [n for n in motor.limited_names if n not in limits]
    if missing:
        raise ValueError(
            f"{name}: no limit for the state(s) {missing}. Every state of the drive is divided by its limit in "
            f"the observation (and limit constraints end episodes there): add {missing[0]!r} (SI units) to "
            f"{name}.default_limits, or construct the motor with limit_values={{{missing[0]!r}: ...}}")
    check_positive(name, limits, motor.limited_names)
    given = (*(motor.nominal_values or {}), *(motor.limit_values or {}))     # the names the user typed first
    for n in dict.fromkeys((*given, *motor.limited_names)):
        if n in nominal and n in limits and np.any(np.abs(nominal[n]) > limits[n]):
            raise ValueError(
                f"{name}: the nominal value of {n!r} ({nominal[n]!r}) exceeds its limit ({limits[n]!r}). Nominal "
                f"values set the reference range (± nominal / limit) and must lie within the limit: lower "
                f"nominal_values[{n!r}] or raise limit_values[{n!r}] too")
