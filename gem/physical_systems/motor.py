"""Base class of all motor models.

A motor is a frozen dataclass whose fields are its physical parameters (GEM names, SI units).
It declares its names and implements a batched ODE. Everything that maps names to columns of the
full drive state lives in :class:`~gem.physical_systems.drive_system.DriveSystem`, not here.

Array convention: ``x`` is ``(num_envs, len(ode_names))``, ``u`` is ``(num_envs, len(input_names))``
(terminal voltages in V, from the converter), ``omega`` is ``(num_envs,)`` mechanical speed in rad/s.
Equations are plain array arithmetic (no Python ``if`` on values), so they batch and can be compiled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from gem.physical_systems.params import check_known_keys, check_positive, validated_fields


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
    """Further states appended after ``u_sup`` (GEM's ShuntDc ``i_sum``)."""
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

    nominal_values: Mapping[str, float] | None = field(default=None, repr=False)
    limit_values: Mapping[str, float] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        name = type(self).__name__
        params = validated_fields(self, skip=("nominal_values", "limit_values"))
        check_positive(name, params, self.positive_params)
        check_positive(name, params, self.nonnegative_params, strict=False)
        for label, given in (("nominal value", self.nominal_values), ("limit", self.limit_values)):
            if given:
                check_known_keys(name, given, self.default_limits, label)
                check_positive(name, given, given)

    # ----------------------------------------------------------------- construction helpers
    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Motor:
        """Builds the motor from a GEM-style parameter dict (unknown names raise).

        Args:
            params: GEM ``motor_parameter`` dict, e.g. ``{"r_a": 16e-3, "l_a": 19e-6}``.
            **kwargs: Further fields (``nominal_values``, ``limit_values``).
        """
        params = dict(params or {})
        known = [f for f in cls.__dataclass_fields__ if f not in ("nominal_values", "limit_values")]
        check_known_keys(cls.__name__, params, known)
        return cls(**params, **kwargs)

    @property
    def parameters(self) -> dict[str, Any]:
        """The physical parameters by GEM name."""
        skip = ("nominal_values", "limit_values")
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in skip}

    @property
    def limits(self) -> dict[str, float]:
        """Limits by state name (SI): defaults updated by ``limit_values``."""
        return {**self.default_limits, **(self.limit_values or {})}

    @property
    def nominal(self) -> dict[str, float]:
        """Nominal values by state name (SI): defaults updated by ``nominal_values``."""
        return {**self.default_nominal, **(self.nominal_values or {})}

    # ----------------------------------------------------------------- physics interface
    def derivative(self, x: np.ndarray, u: np.ndarray, omega: np.ndarray) -> np.ndarray:
        """Time derivative of the ODE states, shape like ``x``."""
        raise NotImplementedError

    def torque(self, x: np.ndarray) -> np.ndarray:
        """Electrical torque in N·m, shape ``(num_envs,)``."""
        raise NotImplementedError

    def currents(self, x: np.ndarray) -> np.ndarray:
        """Reported currents (``current_names``), shape ``(num_envs, len(current_names))``.

        The default returns the leading ODE states.
        """
        return x[:, : len(self.current_names)]

    def terminal_currents(self, x: np.ndarray) -> np.ndarray:
        """Currents flowing out of the converter terminals, one per ``input_names`` entry."""
        return x[:, : len(self.input_names)]

    def voltages(self, u: np.ndarray, x_start: np.ndarray, x_end: np.ndarray, tau: float) -> np.ndarray:
        """Reported voltages (``voltage_names``) from the period-averaged terminal voltages ``u``.

        ``x_start``/``x_end`` are the ODE states at the start and end of the period, for motors
        whose reported voltages are in a rotating frame. The default reports ``u`` itself.
        """
        return u

    def voltage_limits(self, u_max: np.ndarray) -> dict[str, np.ndarray]:
        """Normaliser of each reported voltage, given the converter's largest output voltage.

        Args:
            u_max: ``(num_envs, len(input_names))`` largest |voltage| per converter output (V).

        Returns:
            ``{voltage_name: (num_envs,) array}``. The default maps ``voltage_names`` one-to-one
            onto the converter outputs.
        """
        return dict(zip(self.voltage_names, u_max.T, strict=True))

    def extras(self, x: np.ndarray) -> np.ndarray:
        """Values of ``extra_names``, shape ``(num_envs, len(extra_names))``."""
        return np.zeros((x.shape[0], 0))

    def initial_ode_state(self, num_envs: int, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """ODE state at reset: zeros, overridden by ``values`` (name -> (num_envs,) array).

        Motors whose ODE states are not the reported currents override this to accept the
        reported names.
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
