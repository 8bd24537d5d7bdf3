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

from gem.envs.arguments import check_normalised, check_range
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
        for name in ("low", "high"):
            check_normalised(self, name)
        if self.low is not None and self.high is not None and not self.low <= self.high:
            raise ValueError(f"{type(self).__name__}: low ({self.low}) must be <= high ({self.high})")

    rows: ClassVar[tuple[str, ...]] = ("value", "t")
    """Names of the per-environment arrays: rows of one ``(len(rows), num_envs)`` block. The first
    is the reference value, the second the time since the episode start (s)."""
    start_draws: ClassVar[int] = 1
    """Uniform draws in [0, 1] that :meth:`start_columns` takes per episode start."""
    step_draws: ClassVar[int] = 0
    """Standard-normal draws that :meth:`advance_columns` takes per step."""

    def memory(self, num_envs: int, block: np.ndarray | None = None) -> Memory:
        """Per-environment arrays of this generator: views of the rows of ``block``.

        Args:
            num_envs: Batch size.
            block: ``(>= len(rows), num_envs)`` array to use (the environment passes a slice of
                one array shared by all its references); a new one by default.
        """
        block = np.zeros((len(self.rows), num_envs)) if block is None else block
        return {name: block[j] for j, name in enumerate(self.rows)}

    # ------------------------------------------------------------------ column methods
    def start_columns(self, uniforms):
        """The rows at an episode start from ``start_draws`` uniform draws (column form).

        The default: a value uniform in ``[low, high]``, held.
        """
        return self.low + (self.high - self.low) * uniforms[0], 0.0

    def advance_columns(self, rows, normals, tau):
        """The rows one period ``tau`` later, from ``step_draws`` standard normals (column form)."""
        return rows[0], rows[1] + tau

    # ------------------------------------------------------------------ NumPy step
    def reset(self, mem: Memory, idx: np.ndarray, rnd: EnvRandom) -> None:
        """Starts new episodes for the environments ``idx``."""
        uniforms = tuple(rnd.uniform(idx) for _ in range(self.start_draws))
        for name, value in zip(self.rows, self.start_columns(uniforms), strict=True):
            mem[name][idx] = value

    def finish_step(self, mem: Memory, rnd: EnvRandom) -> np.ndarray:
        """After every reference has advanced: draws for events of this step (none here); the values."""
        return mem["value"]

    def advance(self, mem: Memory, rnd: EnvRandom, tau: float) -> np.ndarray:
        """Moves every environment one period ``tau`` ahead and returns the new values."""
        normals = tuple(rnd.normal(self.step_draws).T) if self.step_draws else ()
        rows = self.advance_columns(tuple(mem[name] for name in self.rows), normals, tau)
        for name, value in zip(self.rows, rows, strict=True):
            mem[name][:] = value
        return mem["value"]


def elapsed(t, tau):
    """The time ``t`` one period ``tau`` later (s)."""
    return t + tau


def clip(value, low, high):
    """``value`` clipped to ``[low, high]`` (column form)."""
    return np.minimum(np.maximum(value, low), high)


@dataclass(frozen=True, kw_only=True)
class ConstReference(ReferenceGenerator):
    """Constant reference ``value`` (normalised: state / limit, in [-1, 1]), used as given.

    A value outside [-1, 1], or outside ``[low, high]`` when those are given, is an error. Left to
    the task, ``low``/``high`` become the task's default range widened to include ``value`` (the
    range sets the reward's error scale: see :class:`~gem.envs.rewards.WeightedSumOfErrors`).
    """

    value: float = 0.5
    start_draws: ClassVar[int] = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.value is None:
            raise ValueError("ConstReference: value must be a number in [-1, 1], got None")
        check_normalised(self, "value")
        lo = -1.0 if self.low is None else self.low
        hi = 1.0 if self.high is None else self.high
        if not lo <= self.value <= hi:
            raise ValueError(f"ConstReference: value={self.value!r} is outside the range [low, high] = "
                             f"[{self.low}, {self.high}] you gave")

    def start_columns(self, uniforms):
        """The constant (inside the range, checked when the task is built)."""
        return clip(self.value, self.low, self.high), 0.0


@dataclass(frozen=True, kw_only=True)
class WienerReference(ReferenceGenerator):
    """Random walk (Wiener process) clipped to ``[low, high]``.

    ``r_{k+1} = clip(r_k + sigma sqrt(tau) N(0, 1))``, with ``sigma`` (1/√s, normalised units)
    drawn log-uniformly from ``sigma_range`` per episode; the start value is uniform in the range.
    """

    sigma_range: tuple[float, float] = (0.1, 1.0)
    rows = ("value", "t", "sigma")
    start_draws: ClassVar[int] = 2
    step_draws: ClassVar[int] = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        check_range(self, "sigma_range")

    def start_columns(self, uniforms):
        """Random start value and σ (:func:`wiener_start`)."""
        value, sigma = wiener_start(uniforms[0], uniforms[1], self.low, self.high,
                                    self.sigma_range[0], self.sigma_range[1])
        return value, 0.0, sigma

    def advance_columns(self, rows, normals, tau):
        """One random-walk step, clipped to the range."""
        value, t, sigma = rows[0], rows[1], rows[2]
        return clip(value + sigma * np.sqrt(tau) * normals[0], self.low, self.high), t + tau, sigma


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


SHAPES = ("sine", "step", "triangle", "sawtooth")
"""The periodic shapes, in the order of their codes (:func:`periodic_shape`)."""


def periodic_shape(code, phase):
    """One period-1 waveform in [-1, 1] at ``phase`` (cycles); ``code`` indexes :data:`SHAPES`."""
    if code == 0:
        return np.sin(2 * np.pi * phase)
    if code == 1:
        return np.where(phase % 1.0 < 0.5, 1.0, -1.0)
    if code == 2:
        return 1.0 - 4.0 * np.abs((phase + 0.25) % 1.0 - 0.5)
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

    rows = ("value", "t", "amp", "freq", "phase", "offset")
    start_draws: ClassVar[int] = 4

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.shape not in SHAPES:
            raise ValueError(f"PeriodicReference: unknown shape {self.shape!r}; choose from {sorted(SHAPES)}")
        check_range(self, "amplitude_range", strict=False, highest=1.0)
        check_range(self, "frequency_range")

    @property
    def shape_code(self) -> int:
        """Index of :attr:`shape` in :data:`SHAPES`."""
        return SHAPES.index(self.shape)

    def start_columns(self, uniforms):
        """The episode's amplitude, frequency, phase and offset, and the start value."""
        amp, freq, offset = periodic_start(uniforms[0], uniforms[1], uniforms[3], self.low, self.high,
                                           self.amplitude_range[0], self.amplitude_range[1],
                                           self.frequency_range[0], self.frequency_range[1])
        phase = uniforms[2]
        return offset + amp * periodic_shape(self.shape_code, freq * 0.0 + phase), 0.0, amp, freq, phase, offset

    def advance_columns(self, rows, normals, tau):
        """The waveform one period later, clipped to the range."""
        t = rows[1] + tau
        amp, freq, phase, offset = rows[2], rows[3], rows[4], rows[5]
        value = clip(offset + amp * periodic_shape(self.shape_code, freq * t + phase), self.low, self.high)
        return value, t, amp, freq, phase, offset


def switch_choice(u, cumulative):
    """The index of the sub-generator a uniform draw ``u`` picks: how many cumulative probabilities it passes.

    ``cumulative`` holds the running sums of the probabilities (the last one, 1, is not used).
    """
    k = 0.0
    for j in range(len(cumulative) - 1):
        k = k + np.where(u >= cumulative[j], 1.0, 0.0)
    return k


def switch_time(t, u, low, high):
    """When the next switch is due (s): ``t`` plus a duration uniform in ``[low, high]`` from the draw ``u``."""
    return t + (low + (high - low) * u)


@dataclass(frozen=True, kw_only=True)
class SwitchedReference(ReferenceGenerator):
    """Switches at random between sub-generators (all on the same state).

    Each environment follows one sub-generator for a duration drawn uniformly from
    ``duration_range`` (s), then draws the next one with probabilities ``p`` (uniform by default)
    and restarts it (a new episode of that sub-generator). Only the active sub-generator advances.

    Draws: every step takes the sub-generators' step draws (standard normals, for all of them,
    so that every step takes the same number); a switch, at an episode start or when it is due,
    takes two uniforms (which sub-generator, how long) and then the chosen sub-generator's start
    draws, after every reference's step draws.

    Rows: ``value, t, active, switch_at``, then every sub-generator's rows (named ``"k:row"``).
    Column methods: :meth:`choose_columns`, :meth:`due_columns`, :meth:`value_columns`; the
    sub-generators' own.
    """

    generators: Sequence[ReferenceGenerator] = field(default_factory=tuple)
    p: Sequence[float] | None = None
    duration_range: tuple[float, float] = (0.05, 0.5)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.generators:
            raise ValueError("SwitchedReference needs at least one sub-generator")
        for k, g in enumerate(self.generators):
            if not isinstance(g, ReferenceGenerator):
                raise ValueError(f"SwitchedReference: sub-generator {k} is not a reference generator: {g!r}")
            if self.state is not None and g.state not in (None, self.state):
                raise ValueError(f"SwitchedReference: sub-generator {k} references {g.state!r}, the switched "
                                 f"reference {self.state!r}; all sub-generators reference the same state")
            given = [v for v in (g.low, g.high, getattr(g, "value", None)) if v is not None]
            outside = [v for v in given if (self.low is not None and v < self.low)
                       or (self.high is not None and v > self.high)]
            if outside:
                raise ValueError(f"SwitchedReference: sub-generator {k} ({type(g).__name__}) asks for {outside[0]!r}, "
                                 f"outside the switched reference's range [{self.low}, {self.high}]; widen that "
                                 "range (low=, high=) or the sub-generator's")
        if self.p is not None:
            p = np.asarray(self.p, dtype=float)
            if p.shape != (len(self.generators),) or not np.all(np.isfinite(p)) or np.any(p < 0) \
                    or not np.isclose(p.sum(), 1):
                raise ValueError(f"SwitchedReference: p must have one probability (>= 0) per generator and sum to 1, "
                                 f"got {self.p!r}")
        check_range(self, "duration_range")
        if any(isinstance(g, SwitchedReference) for g in self.generators):
            raise ValueError("SwitchedReference: sub-generators cannot be switched references themselves")
        object.__setattr__(self, "generators", tuple(self.generators))

    @property
    def rows(self) -> tuple[str, ...]:          # type: ignore[override]
        """Own rows, then each sub-generator's rows as ``"k:row"``."""
        return ("value", "t", "active", "switch_at") + tuple(
            f"{k}:{name}" for k, g in enumerate(self.generators) for name in g.rows)

    @property
    def start_draws(self) -> int:               # type: ignore[override]
        """The two draws of a switch (the chosen sub-generator's start draws follow, as many as it takes)."""
        return 2

    @property
    def step_draws(self) -> int:                # type: ignore[override]
        """The sub-generators' step draws (standard normals)."""
        return sum(g.step_draws for g in self.generators)

    @property
    def cumulative(self) -> tuple[float, ...]:
        """Running sums of the probabilities."""
        p = np.full(len(self.generators), 1.0 / len(self.generators)) if self.p is None else np.asarray(self.p, float)
        return tuple(float(c) for c in np.cumsum(p))

    def sub_rows(self, k: int) -> range:
        """Positions of sub-generator ``k``'s rows in :attr:`rows`."""
        first = 4 + sum(len(g.rows) for g in self.generators[:k])
        return range(first, first + len(self.generators[k].rows))

    def bound(self, state: str, low: float, high: float) -> SwitchedReference:
        """Copy whose sub-generators reference ``state`` in ``[low, high]`` where not set."""
        subs = tuple(bind_reference(g, state, low, high) for g in self.generators)
        return type(self)(state=state, low=low, high=high, generators=subs, p=self.p,
                          duration_range=self.duration_range)

    # ------------------------------------------------------------------ column methods
    def choose_columns(self, u_choice, u_duration, t):
        """``(active, switch_at)`` of a switch at time ``t`` from two uniform draws."""
        return (switch_choice(u_choice, self.cumulative),
                switch_time(t, u_duration, self.duration_range[0], self.duration_range[1]))

    def due_columns(self, t, switch_at):
        """Whether the switch is due at time ``t``."""
        return t >= switch_at

    def value_columns(self, value):
        """The reference value from the active sub-generator's, clipped to the range."""
        return clip(value, self.low, self.high)

    # ------------------------------------------------------------------ NumPy step
    def _sub(self, mem, k):
        return {key.split(":", 1)[1]: v for key, v in mem.items() if key.startswith(f"{k}:")}

    def reset(self, mem, idx, rnd):
        """Picks and starts a sub-generator for each environment in ``idx``."""
        mem["t"][idx] = 0.0
        self._switch(mem, idx, rnd)

    def _switch(self, mem, idx, rnd):
        """The environments ``idx`` pick a sub-generator and restart it (drawing its start draws)."""
        u_choice, u_duration = rnd.uniform(idx), rnd.uniform(idx)
        mem["active"][idx], mem["switch_at"][idx] = self.choose_columns(u_choice, u_duration, mem["t"][idx])
        for k, g in enumerate(self.generators):
            chosen = idx[mem["active"][idx] == k]
            sub = self._sub(mem, k)
            uniforms = tuple(rnd.uniform(chosen) for _ in range(g.start_draws))
            for name, value in zip(g.rows, g.start_columns(uniforms), strict=True):
                sub[name][chosen] = value
            mem["value"][chosen] = sub["value"][chosen]

    def advance(self, mem, rnd, tau):
        """Advances the active sub-generators where no switch is due (the switches follow in :meth:`finish_step`)."""
        z = rnd.normal(self.step_draws)
        mem["t"][:] = elapsed(mem["t"], tau)
        due = self.due_columns(mem["t"], mem["switch_at"])
        off = 0
        for k, g in enumerate(self.generators):
            idx = np.flatnonzero((mem["active"] == k) & ~due)
            sub = self._sub(mem, k)
            rows = g.advance_columns(tuple(sub[name][idx] for name in g.rows),
                                     tuple(z[idx, off + j] for j in range(g.step_draws)), tau)
            for name, value in zip(g.rows, rows, strict=True):
                sub[name][idx] = value
            mem["value"][idx] = sub["value"][idx]
            off += g.step_draws
        return mem["value"]

    def finish_step(self, mem, rnd):
        """Switches where due (drawing after every reference's step draws); the clipped values."""
        due = np.flatnonzero(self.due_columns(mem["t"], mem["switch_at"]))
        if due.size:
            self._switch(mem, due, rnd)
        mem["value"][:] = self.value_columns(mem["value"])
        return mem["value"]


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
