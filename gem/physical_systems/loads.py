"""Mechanical loads: torque-driven (speed is an ODE state) or prescribed-speed.

A *dynamic* load (``prescribed = False``) adds ``omega`` to the ODE:
``domega/dt = (T - T_L(omega)) / (j_rotor + j_load)``.
A *prescribed-speed* load sets ``omega`` itself; the speed is given at the start and end of every
control period and varies linearly in between (exact for a constant speed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from gem.physical_systems.params import check_positive, validated_fields


def speed_derivative(torque, load_torque, j_total):
    """``domega/dt = (T - T_L) / J_total`` in rad/s² of a torque-driven load (column form)."""
    return (torque - load_torque) / j_total


def interpolated_speed(omega_start, omega_end, s, tau):
    """Prescribed speed (rad/s) at time ``s`` into a period of length ``tau``: linear from start to end."""
    return omega_start + (omega_end - omega_start) * (s / tau)


@dataclass(frozen=True, kw_only=True)
class MechanicalLoad:
    """Base of all loads.

    Attributes:
        j_load: Load inertia in kg m² (added to the rotor's).
    """

    j_load: float = 0.0
    prescribed: ClassVar[bool] = False
    random: ClassVar[bool] = False

    def __post_init__(self) -> None:
        params = validated_fields(self)
        check_positive(type(self).__name__, params, self._nonnegative(), strict=False)

    def _nonnegative(self) -> tuple[str, ...]:
        return ("j_load",)

    def load_torque(self, omega: np.ndarray, j_total: np.ndarray | float) -> np.ndarray:
        """Load torque T_L(omega) in N·m (dynamic loads)."""
        raise NotImplementedError

    def initial_speed(self, num_envs: int) -> np.ndarray:
        """Speed at reset when the user names none (rad/s)."""
        return np.zeros(num_envs)

    def next_speed(self, t_end: np.ndarray, omega: np.ndarray, tau: float,
                   noise: np.ndarray | None) -> np.ndarray:
        """Prescribed speed at the end of the period ``[t_end - tau, t_end]`` (rad/s)."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class PolynomialStaticLoad(MechanicalLoad):
    r"""Static load torque polynomial in the speed, with a smooth static-friction region.

    ``T_L(omega) = sign(omega) c omega² + b omega + T_a(omega)`` with the static (Coulomb) part
    ``T_a = clip(omega J_total / tau_decay, -a, a)``: a viscous slope that reaches ``±a`` at
    ``|omega| = a tau_decay / J_total`` (GEM's model, which keeps the ODE smooth at zero speed).

    ========== ======== ======== =========================================
    parameter  default  unit     meaning
    ========== ======== ======== =========================================
    a          0        N m      constant (Coulomb) friction torque
    b          0        N m s    viscous friction coefficient
    c          0        N m s²   quadratic (fan) coefficient
    j_load     1e-5     kg m²    load inertia
    tau_decay  1e-3     s        time constant of the static-friction region
    ========== ======== ======== =========================================
    """

    a: float = 0.0
    b: float = 0.0
    c: float = 0.0
    j_load: float = 1e-5
    tau_decay: float = 1e-3

    def _nonnegative(self) -> tuple[str, ...]:
        return ("a", "b", "c", "j_load")

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive(type(self).__name__, {"tau_decay": self.tau_decay}, ("tau_decay",))

    def load_torque(self, omega: np.ndarray, j_total: np.ndarray | float) -> np.ndarray:
        """T_L(omega) in N·m."""
        static = np.minimum(np.maximum(omega * (j_total / self.tau_decay), -self.a), self.a)
        return np.sign(omega) * self.c * omega**2 + self.b * omega + static


@dataclass(frozen=True, kw_only=True)
class ConstantSpeedLoad(MechanicalLoad):
    """The speed is held at ``omega_fixed`` (rad/s), e.g. by a stiff dynamometer."""

    omega_fixed: float = 0.0
    prescribed: ClassVar[bool] = True

    def initial_speed(self, num_envs: int) -> np.ndarray:
        """``omega_fixed``."""
        return np.full(num_envs, self.omega_fixed) if np.ndim(self.omega_fixed) == 0 else \
            np.array(np.broadcast_to(self.omega_fixed, (num_envs,)), dtype=float)

    def next_speed(self, t_end, omega, tau, noise):
        """``omega_fixed`` (the speed array is reused: it never changes)."""
        return omega


@dataclass(frozen=True, kw_only=True)
class ExternalSpeedLoad(MechanicalLoad):
    """The speed follows a user profile ``omega = profile(t)`` (t in s since reset).

    The profile is called with a ``(num_envs,)`` array of times in the NumPy step and with one
    time (a float) per environment in the compiled step, so write it as arithmetic that works on
    both (``np.sin``, ``np.where``, ...): the compiled step compiles it with numba. A profile that
    numba cannot compile runs on the NumPy step (with a ``PerformanceWarning``). A non-finite
    speed from the profile is a ``ValueError`` naming the load and the environments, on both steps
    (:meth:`~gem.physical_systems.DriveSystem.check_speed`), and at reset.

    Attributes:
        profile: Function mapping times (s) to speeds (rad/s).
    """

    profile: Callable[[np.ndarray], np.ndarray] | None = None
    prescribed: ClassVar[bool] = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if not callable(self.profile):
            raise ValueError("ExternalSpeedLoad needs a callable profile(t) -> omega")

    def _eval(self, t: np.ndarray) -> np.ndarray:
        omega = np.broadcast_to(np.asarray(self.profile(t), float), t.shape).copy()
        if not np.all(np.isfinite(omega)):
            raise ValueError("ExternalSpeedLoad: profile returned a non-finite speed")
        return omega

    def initial_speed(self, num_envs: int) -> np.ndarray:
        """``profile(0)``."""
        return self._eval(np.zeros(num_envs))

    def next_speed(self, t_end, omega, tau, noise):
        """``profile(t_end)`` (column form: the compiled step calls the profile per environment)."""
        return self.profile(t_end)


@dataclass(frozen=True, kw_only=True)
class OrnsteinUhlenbeckLoad(MechanicalLoad):
    r"""Stochastic prescribed speed: an Ornstein–Uhlenbeck process, seeded by the environment.

    ``d omega = theta (mu - omega) dt + sigma dW``, sampled exactly at the control instants
    (``omega_{k+1} = mu + (omega_k - mu) e^{-theta tau} + sigma sqrt((1 - e^{-2 theta tau}) / (2 theta)) N(0,1)``)
    and clipped to ``omega_range``. Starts at ``mu``.

    ========== ======== ======== =========================================
    parameter  default  unit     meaning
    ========== ======== ======== =========================================
    mu         0        rad/s    long-run mean speed
    sigma      10       rad/s/√s diffusion
    theta      1        1/s      mean-reversion rate
    omega_min  -200     rad/s    lower clip
    omega_max  200      rad/s    upper clip
    ========== ======== ======== =========================================
    """

    mu: float = 0.0
    sigma: float = 10.0
    theta: float = 1.0
    omega_min: float = -200.0
    omega_max: float = 200.0
    prescribed: ClassVar[bool] = True
    random: ClassVar[bool] = True

    def _nonnegative(self) -> tuple[str, ...]:
        return ("j_load", "sigma")

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive("OrnsteinUhlenbeckLoad", {"theta": self.theta}, ("theta",))
        if np.any(np.asarray(self.omega_min) >= np.asarray(self.omega_max)):
            raise ValueError("OrnsteinUhlenbeckLoad: omega_min must be < omega_max")

    def initial_speed(self, num_envs: int) -> np.ndarray:
        """``mu`` (clipped to the range)."""
        mu = np.clip(self.mu, self.omega_min, self.omega_max)
        return np.broadcast_to(np.asarray(mu, float), (num_envs,)).copy()

    def next_speed(self, t_end, omega, tau, noise):
        """One exact OU transition driven by the standard-normal ``noise``."""
        decay = np.exp(-self.theta * tau)
        spread = self.sigma * np.sqrt((1.0 - decay**2) / (2.0 * self.theta))
        nxt = self.mu + (omega - self.mu) * decay + spread * noise
        return np.minimum(np.maximum(nxt, self.omega_min), self.omega_max)
