"""Reference generators, batched and seeded.

Values are **normalised** (state / limit) and stay inside ``[low, high]``, a sub-range of the
referenced state's normalised range (GEM's "limit margin"; by default ``± nominal / limit``).
A generator is a frozen configuration; its per-environment arrays (``memory``) live in the
environment. Time-based parameters are in seconds, so the reference dynamics do not depend on
the control period ``tau``.

Timing: the reference shown in an observation is the target for the *next* state; the reward
of a step compares the new state with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import ClassVar

import numpy as np

from gem.envs.random import EnvRandom

Memory = dict[str, np.ndarray]


@dataclass(frozen=True, kw_only=True)
class ReferenceGenerator:
    """Base: the referenced state and the value range.

    Attributes:
        state: Referenced state name (filled in by the environment when left ``None``).
        low: Lower bound of the normalised reference (``None``: task default).
        high: Upper bound of the normalised reference (``None``: task default).
    """

    state: str | None = None
    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        if self.low is not None and self.high is not None and not self.low <= self.high:
            raise ValueError(f"{type(self).__name__}: low ({self.low}) must be <= high ({self.high})")

    rows: ClassVar[tuple[str, ...]] = ("value", "t")
    """Names of the per-environment arrays: rows of one ``(len(rows), num_envs)`` block."""

    def memory(self, num_envs: int, block: np.ndarray | None = None) -> Memory:
        """Per-environment arrays of this generator: views of the rows of ``block``.

        Args:
            num_envs: Batch size.
            block: ``(>= len(rows), num_envs)`` array to use (the environment passes a slice of
                one array shared by all its references); a new one by default.
        """
        block = np.zeros((len(self.rows), num_envs)) if block is None else block
        return {name: block[j] for j, name in enumerate(self.rows)}

    def reset(self, mem: Memory, idx: np.ndarray, rnd: EnvRandom) -> None:
        """Starts new episodes for the environments ``idx``."""
        mem["t"][idx] = 0.0
        mem["value"][idx] = rnd.uniform(idx, self.low, self.high)

    def advance(self, mem: Memory, rnd: EnvRandom, tau: float) -> np.ndarray:
        """Moves every environment one period ``tau`` ahead and returns the new values."""
        mem["t"] += tau
        mem["value"][:] = np.minimum(np.maximum(self._value(mem, rnd, tau), self.low), self.high)
        return mem["value"]

    def _value(self, mem: Memory, rnd: EnvRandom, tau: float) -> np.ndarray:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class ConstReference(ReferenceGenerator):
    """Constant reference ``value`` (normalised)."""

    value: float = 0.5

    def reset(self, mem, idx, rnd):
        """Sets the constant."""
        mem["t"][idx] = 0.0
        mem["value"][idx] = np.clip(self.value, self.low, self.high)

    def _value(self, mem, rnd, tau):
        return mem["value"]


@dataclass(frozen=True, kw_only=True)
class WienerReference(ReferenceGenerator):
    """Random walk (Wiener process) clipped to ``[low, high]``.

    ``r_{k+1} = clip(r_k + sigma sqrt(tau) N(0, 1))``, with ``sigma`` (1/√s, normalised units)
    drawn log-uniformly from ``sigma_range`` per episode; the start value is uniform in the range.
    """

    sigma_range: tuple[float, float] = (0.1, 1.0)
    rows = ("value", "t", "sigma")

    def __post_init__(self) -> None:
        super().__post_init__()
        lo, hi = self.sigma_range
        if not 0 < lo <= hi:
            raise ValueError(f"WienerReference: sigma_range must satisfy 0 < low <= high, got {self.sigma_range}")

    def reset(self, mem, idx, rnd):
        """Random start value and sigma."""
        mem["t"][idx] = 0.0
        u_value = rnd.uniform(idx)
        mem["value"][idx], mem["sigma"][idx] = wiener_start(u_value, rnd.uniform(idx), self.low, self.high,
                                                            *self.sigma_range)

    def _value(self, mem, rnd, tau):
        return mem["value"] + mem["sigma"] * np.sqrt(tau) * rnd.normal(1)[:, 0]


def wiener_start(u_value, u_sigma, low, high, sigma_low, sigma_high):
    """Start value and σ of a random-walk episode from two uniform draws in [0, 1].

    The value is uniform in ``[low, high]``, σ log-uniform in ``[sigma_low, sigma_high]``.
    Scalars or arrays (the compiled step calls it per environment).
    """
    log_low = np.log(sigma_low)
    value = low + (high - low) * u_value
    sigma = np.exp(log_low + (np.log(sigma_high) - log_low) * u_sigma)
    return value, sigma


def periodic_start(u_amp, u_freq, u_off, low, high, amp_low, amp_high, freq_low, freq_high):
    """Amplitude, frequency (Hz) and offset of a periodic episode from three uniform draws.

    The amplitude is a fraction in ``[amp_low, amp_high]`` of the half-width of ``[low, high]``,
    the offset uniform in the range that keeps the signal inside ``[low, high]``.
    """
    amp = 0.5 * (high - low) * (amp_low + (amp_high - amp_low) * u_amp)
    freq = freq_low + (freq_high - freq_low) * u_freq
    offset = (low + amp) + ((high - amp) - (low + amp)) * u_off
    return amp, freq, offset


def _sine(phase: np.ndarray) -> np.ndarray:
    return np.sin(2 * np.pi * phase)


def _square(phase: np.ndarray) -> np.ndarray:
    return np.where(phase % 1.0 < 0.5, 1.0, -1.0)


def _triangle(phase: np.ndarray) -> np.ndarray:
    return 1.0 - 4.0 * np.abs((phase + 0.25) % 1.0 - 0.5)


def _sawtooth(phase: np.ndarray) -> np.ndarray:
    return 2.0 * (phase % 1.0) - 1.0


@dataclass(frozen=True, kw_only=True)
class PeriodicReference(ReferenceGenerator):
    """Periodic reference ``offset + amplitude * shape(f t + phi)``, parameters drawn per episode.

    The amplitude is drawn uniformly from ``amplitude_range`` (a fraction of the half-width of
    ``[low, high]``), the frequency (Hz) from ``frequency_range``, the phase uniformly, and the
    offset so that the whole signal stays inside ``[low, high]``.

    Attributes:
        shape: ``"sine"``, ``"step"`` (square wave), ``"triangle"`` or ``"sawtooth"``.
    """

    shape: str = "sine"
    amplitude_range: tuple[float, float] = (0.2, 1.0)
    frequency_range: tuple[float, float] = (1.0, 10.0)

    SHAPES: ClassVar = {"sine": _sine, "step": _square, "triangle": _triangle, "sawtooth": _sawtooth}
    rows = ("value", "t", "amp", "freq", "phase", "offset")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.shape not in self.SHAPES:
            raise ValueError(f"PeriodicReference: unknown shape {self.shape!r}; choose from {sorted(self.SHAPES)}")
        if not 0 <= self.amplitude_range[0] <= self.amplitude_range[1] <= 1:
            raise ValueError("PeriodicReference: amplitude_range must lie in [0, 1]")
        if not 0 < self.frequency_range[0] <= self.frequency_range[1]:
            raise ValueError("PeriodicReference: frequency_range must be positive")

    def reset(self, mem, idx, rnd):
        """Draws the episode's amplitude, frequency, phase and offset."""
        u_amp, u_freq, u_phase, u_off = (rnd.uniform(idx) for _ in range(4))
        mem["amp"][idx], mem["freq"][idx], mem["offset"][idx] = periodic_start(
            u_amp, u_freq, u_off, self.low, self.high, *self.amplitude_range, *self.frequency_range)
        mem["phase"][idx] = u_phase
        mem["t"][idx] = 0.0
        mem["value"][idx] = self._at(mem, idx)

    def _at(self, mem, idx):
        phase = mem["freq"][idx] * mem["t"][idx] + mem["phase"][idx]
        return mem["offset"][idx] + mem["amp"][idx] * self.SHAPES[self.shape](phase)

    def _value(self, mem, rnd, tau):
        return self._at(mem, slice(None))


@dataclass(frozen=True, kw_only=True)
class SwitchedReference(ReferenceGenerator):
    """Switches at random between sub-generators (all on the same state).

    Each environment follows one sub-generator for a duration drawn uniformly from
    ``duration_range`` (s), then draws the next one with probabilities ``p`` (uniform by default)
    and restarts it (a new episode of that sub-generator).
    """

    generators: Sequence[ReferenceGenerator] = field(default_factory=tuple)
    p: Sequence[float] | None = None
    duration_range: tuple[float, float] = (0.05, 0.5)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.generators:
            raise ValueError("SwitchedReference needs at least one sub-generator")
        if self.p is not None and (len(self.p) != len(self.generators) or not np.isclose(sum(self.p), 1)):
            raise ValueError("SwitchedReference: p must have one probability per generator and sum to 1")

    def bound(self, state: str, low: float, high: float) -> SwitchedReference:
        """Copy whose sub-generators reference ``state`` in ``[low, high]`` where not set."""
        subs = tuple(bind_reference(g, state, low, high) for g in self.generators)
        return type(self)(state=state, low=low, high=high, generators=subs, p=self.p,
                          duration_range=self.duration_range)

    def memory(self, num_envs, block=None):
        """Own arrays plus those of every sub-generator."""
        mem = {**super().memory(num_envs, block), "active": np.zeros(num_envs, np.int64),
               "switch_at": np.zeros(num_envs)}
        for k, g in enumerate(self.generators):
            mem.update({f"{k}:{key}": v for key, v in g.memory(num_envs).items()})
        return mem

    def _sub(self, mem, k):
        return {key.split(":", 1)[1]: v for key, v in mem.items() if key.startswith(f"{k}:")}

    def reset(self, mem, idx, rnd):
        """Picks a sub-generator for each environment in ``idx``."""
        mem["t"][idx] = 0.0
        self._switch(mem, idx, rnd)
        mem["value"][idx] = self._gather(mem)[idx]

    def _switch(self, mem, idx, rnd):
        n = len(self.generators)
        if self.p is None:
            choice = rnd.integers(idx, n)
        else:
            choice = np.searchsorted(np.cumsum(self.p), rnd.uniform(idx), side="right").clip(0, n - 1)
        mem["active"][idx] = choice
        mem["switch_at"][idx] = mem["t"][idx] + rnd.uniform(idx, *self.duration_range)
        for k, g in enumerate(self.generators):
            g.reset(self._sub(mem, k), idx[choice == k], rnd)

    def _gather(self, mem):
        values = np.stack([mem[f"{k}:value"] for k in range(len(self.generators))], axis=1)
        return np.take_along_axis(values, mem["active"][:, None], axis=1)[:, 0]

    def _value(self, mem, rnd, tau):
        for k, g in enumerate(self.generators):
            g.advance(self._sub(mem, k), rnd, tau)
        due = np.flatnonzero(mem["t"] >= mem["switch_at"])
        if due.size:
            self._switch(mem, due, rnd)
        return self._gather(mem)


def bind_reference(gen: ReferenceGenerator, state: str, low: float, high: float) -> ReferenceGenerator:
    """Fills ``state``, ``low`` and ``high`` of a generator where the user left them ``None``."""
    if isinstance(gen, SwitchedReference):
        return gen.bound(gen.state or state, low if gen.low is None else gen.low,
                         high if gen.high is None else gen.high)
    kwargs = {f.name: getattr(gen, f.name) for f in fields(gen)}
    kwargs.update(state=gen.state or state, low=low if gen.low is None else gen.low,
                  high=high if gen.high is None else gen.high)
    return type(gen)(**kwargs)



def default_mix() -> SwitchedReference:
    """A switched mix of random walk, steps, sine, triangle and sawtooth references."""
    return SwitchedReference(generators=(
        WienerReference(), PeriodicReference(shape="step", frequency_range=(1.0, 5.0)),
        PeriodicReference(shape="sine"), PeriodicReference(shape="triangle"),
        PeriodicReference(shape="sawtooth", frequency_range=(1.0, 5.0)),
    ))
