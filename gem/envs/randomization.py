r"""Domain randomisation: motor and load parameters drawn anew for every episode of every environment.

Pass ``randomize={name: distribution}`` to :func:`gem.make_task` (and so to ``gym.make`` and
``gym.make_vec``) with motor or load parameter names (GEM names)::

    venv = gym.make_vec("gem/Cont-CC-PMSM-v0", num_envs=256, vectorization_mode="vector_entry_point",
                        randomize={"r_s": gem.envs.Uniform(0.015, 0.025),
                                   "l_q": gem.envs.LogUniform(1.0e-3, 1.5e-3)})

At every episode start (``reset`` and autoreset) each environment draws each randomised parameter
from its own random stream, before the references' draws; the values hold for the episode.
Environment ``i`` of a batch seeded ``s`` draws what a single environment seeded ``s + i`` draws,
and the compiled step draws the same numbers as the NumPy step. The drawn values are the
per-environment arrays of the environment's motor and load (``env.drive.motor.r_s`` is a
``(num_envs,)`` array).

Limits and nominal values, which normalise observations and define the constraints, are those
of the distributions' centres (:attr:`Uniform.centre`) and do not change between episodes, so an
observation means the same physical value in every episode. Parameters fixed per environment
but not redrawn are plain ``(num_envs,)`` arrays in ``motor_params``.

A distribution turns one standard-normal draw ``z`` into a value in its column method
``sample_columns(self, z)`` (a float; the compiled step calls it with ``self`` a named tuple of the
distribution's numbers); a user distribution written the same way compiles too.

============= ===================================== ==========================================
distribution  value                                 parameters
============= ===================================== ==========================================
Uniform       ``low + (high - low) Φ(z)``           ``low < high``
LogUniform    ``exp(ln low + ln(high / low) Φ(z))`` ``0 < low < high``
Normal        ``clip(mean + std z, low, high)``     ``std >= 0``, ``low < high`` (default ±inf)
============= ===================================== ==========================================

``Φ`` is the standard normal distribution function (:func:`gem.envs.random.normal_to_uniform`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from gem.envs.random import normal_to_uniform

INERTIAS = ("j_rotor", "j_load")
"""Parameters whose sum, the drive's total inertia, the environment keeps per environment."""


@dataclass(frozen=True)
class Uniform:
    """Uniform on ``[low, high]``."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not (np.isfinite(self.low) and np.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"Uniform: need finite low < high, got low={self.low!r}, high={self.high!r}")

    @property
    def centre(self) -> float:
        """The middle of the range (sets the limits)."""
        return 0.5 * (self.low + self.high)

    def sample_columns(self, z):
        """The value for the standard-normal draw ``z``."""
        return self.low + (self.high - self.low) * normal_to_uniform(z)


@dataclass(frozen=True)
class LogUniform:
    """Log-uniform on ``[low, high]`` (uniform in the logarithm), for scale parameters."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not (np.isfinite(self.high) and 0 < self.low < self.high):
            raise ValueError(f"LogUniform: need 0 < low < high, got low={self.low!r}, high={self.high!r}")

    @property
    def centre(self) -> float:
        """The geometric mean of the range (sets the limits)."""
        return float(np.sqrt(self.low * self.high))

    def sample_columns(self, z):
        """The value for the standard-normal draw ``z``."""
        log_low = np.log(self.low)
        return np.exp(log_low + (np.log(self.high) - log_low) * normal_to_uniform(z))


@dataclass(frozen=True)
class Normal:
    """Normal with ``mean`` and ``std``, clipped to ``[low, high]``."""

    mean: float
    std: float
    low: float = -np.inf
    high: float = np.inf

    def __post_init__(self) -> None:
        if not (np.isfinite(self.mean) and np.isfinite(self.std) and self.std >= 0 and self.low < self.high
                and self.low <= self.mean <= self.high):
            raise ValueError(f"Normal: need finite mean in [low, high] and std >= 0, got {self!r}")

    @property
    def centre(self) -> float:
        """The mean (sets the limits)."""
        return float(self.mean)

    def sample_columns(self, z):
        """The value for the standard-normal draw ``z``."""
        return np.minimum(np.maximum(self.mean + self.std * z, self.low), self.high)


@dataclass(frozen=True)
class RandomParameter:
    """One randomised parameter: ``part`` (``"motor"`` or ``"load"``), its ``name``, its ``distribution``."""

    part: str
    name: str
    distribution: Any

    def sample(self, z: np.ndarray) -> np.ndarray:
        """Values for the standard-normal draws ``z`` (the column method called per draw)."""
        return np.array([self.distribution.sample_columns(v) for v in np.asarray(z, float).tolist()])


def parse_randomize(randomize: Mapping[str, Any] | None, motor: Any, load: Any) -> tuple[RandomParameter, ...]:
    """Checks ``{name: distribution}`` against the motor's and load's parameters (motor names first).

    Raises:
        ValueError: For an unknown name (the message lists the known ones) or an object without
            ``sample_columns`` and ``centre``.
    """
    if not randomize:
        return ()
    motor_names = tuple(motor.parameter_names())
    load_names = tuple(f.name for f in fields(load) if isinstance(getattr(load, f.name), (int, float, np.ndarray)))
    out = []
    for name, dist in randomize.items():
        if not (hasattr(dist, "sample_columns") and hasattr(dist, "centre")):
            raise ValueError(f"randomize[{name!r}] = {dist!r} is not a distribution (Uniform, LogUniform, Normal "
                             "or an object with sample_columns(z) and centre)")
        if name in motor_names:
            out.append(RandomParameter("motor", name, dist))
            positive, nonnegative = motor.positive_params, motor.nonnegative_params
        elif name in load_names:
            out.append(RandomParameter("load", name, dist))
            positive, nonnegative = (), load._nonnegative()
        else:
            raise ValueError(f"randomize names unknown parameter {name!r}; motor: {list(motor_names)}, "
                             f"load: {list(load_names)}")
        low = getattr(dist, "low", None)
        if low is not None and (name in positive and low <= 0 or name in nonnegative and low < 0):
            rule = "> 0" if name in positive else ">= 0"
            raise ValueError(f"randomize[{name!r}] = {dist!r} can draw values down to {low}, but {name} must be "
                             f"{rule}: give the distribution a low bound (Normal(mean, std, low=...)), or use "
                             "LogUniform")
    return tuple(out)


def centres(params: tuple[RandomParameter, ...], part: str) -> dict[str, float]:
    """Centre values of the randomised parameters of ``part`` (``"motor"`` or ``"load"``)."""
    return {p.name: float(p.distribution.centre) for p in params if p.part == part}
