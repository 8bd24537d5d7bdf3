"""Per-environment random streams that make batched runs equal to single runs.

Every environment ``i`` of a batch owns a counter-based stream: draw number ``c`` of the stream
with key ``k`` is the pure function :func:`standard_normal` of ``(k, c)``, and the environment
keeps only its key and how many draws it has taken. So environment ``i`` of a batch seeded with
``seed + i`` sees exactly the numbers a single environment seeded with ``seed + i`` sees, the
NumPy step draws them with array operations, and the compiled step computes the same numbers in
its own vectorised loop, with no buffers to refill from Python. Uniform draws are standard normals
mapped through the normal distribution function (:func:`normal_to_uniform`), so every draw of a
stream is of one kind and advances its counter by one.

The generator: SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators",
OOPSLA 2014), whose ``n``-th output is a bijective 64-bit mix of ``key + n γ`` (γ the odd Weyl
increment ``0x9E3779B97F4A7C15``); draw ``c`` is the Box–Muller transform of outputs ``2c + 1``
and ``2c + 2`` taken as 53-bit uniforms. SplitMix64 passes the BigCrush battery; the keys come
from :class:`numpy.random.SeedSequence`, so the streams of different seeds start at unrelated
points of the 2**64 cycle (all streams are windows on that one cycle: two of 8192 environments
taking 10**7 draws each overlap with a probability of about 3e-4). ``tests/envs/test_random.py``
checks the distribution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

_SQRT_HALF = math.sqrt(0.5)
_GAMMA = np.uint64(0x9E3779B97F4A7C15)      # SplitMix64's Weyl increment (2**64 / golden ratio, odd)
_M1 = np.uint64(0xBF58476D1CE4E5B9)         # its mixing multipliers
_M2 = np.uint64(0x94D049BB133111EB)
_S11, _S27, _S30, _S31 = (np.uint64(s) for s in (11, 27, 30, 31))
_TWO_GAMMA = np.uint64(2 * int(_GAMMA) % 2**64)
_ULP53 = 2.0 ** -53


def normal_to_uniform(z: float) -> float:
    """``Φ(z)``: a standard-normal draw mapped to a uniform draw in [0, 1]."""
    return 0.5 * math.erfc(-z * _SQRT_HALF)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's output function (a bijection of the 64-bit integers)."""
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


def standard_normal(key: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """Draw number ``counter`` of the stream ``key`` (``uint64``, broadcast).

    Written once for both steps: on arrays in NumPy (pass arrays: NumPy warns about the intended
    wrap-around of ``uint64`` scalars), and compiled per environment for the kernel, where
    ``np.log`` and ``np.cos`` are the polynomials of :mod:`gem.envs.kernel.kernel_numpy`. The two agree
    to about 1e-15 (NumPy's own ``log``/``cos`` may differ in the last bit between CPUs, so the
    NumPy step's draws are reproducible to rounding, not bit for bit, across machines).
    """
    base = key + counter * _TWO_GAMMA
    # in (0, 1] (1 with probability 2**-53, where m + 0.5 rounds up): log(u1) is finite
    u1 = (np.float64(_mix(base + _GAMMA) >> _S11) + 0.5) * _ULP53
    u2 = np.float64(_mix(base + _TWO_GAMMA) >> _S11) * _ULP53
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def stream_key(seed: int | Sequence[int] | None) -> np.uint64:
    """The 64-bit key of the stream seeded with ``seed`` (``None``: fresh entropy from the OS)."""
    return np.random.SeedSequence(seed).generate_state(1, np.uint64)[0]


def _rows(idx: Sequence[int] | np.ndarray) -> np.ndarray:
    """``idx`` as a 1-d integer array of distinct environment indices."""
    rows = np.asarray(idx, dtype=np.intp).reshape(-1)
    if rows.size > 1 and np.unique(rows).size != rows.size:
        raise ValueError(f"environment indices repeat: {rows.tolist()}")
    return rows


class EnvRandom:
    """The random streams of a batch: one key and one draw counter per environment.

    Args:
        num_envs: Batch size.
        used: ``False`` for a stream nothing draws from (measurement noise switched off): seeding
            it costs nothing and drawing from it is an error.
    """

    def __init__(self, num_envs: int, used: bool = True):
        self.num_envs = num_envs
        self.used = used
        self.key = np.zeros(num_envs, np.uint64)
        """Stream key of every environment (set by :meth:`seed`, which every first reset calls)."""
        self.counter = np.zeros(num_envs, np.uint64)
        """Draws taken so far by every environment since it was seeded."""

    def seed(self, seeds: Sequence[int | Sequence[int] | None], idx: np.ndarray) -> None:
        """Restarts the streams of the environments ``idx`` from ``seeds`` (``None``: OS entropy)."""
        idx = _rows(idx)
        if len(seeds) != len(idx):
            raise ValueError(f"got {len(seeds)} seeds for {len(idx)} environments")
        if self.used:
            self.key[idx] = [stream_key(s) for s in seeds]
        self.counter[idx] = 0

    def normal(self, k: int = 1, idx: np.ndarray | None = None) -> np.ndarray:
        """Next ``k`` standard normals of every environment (or of those in ``idx``, distinct).

        Returns:
            ``(num_envs, k)`` or ``(len(idx), k)`` draws; only the environments asked for advance.
        """
        if not self.used:
            raise RuntimeError("this random stream was created unused (used=False)")
        rows = slice(None) if idx is None else _rows(idx)
        counters = self.counter[rows, None] + np.arange(k, dtype=np.uint64)
        out = standard_normal(self.key[rows, None], counters)
        self.counter[rows] += np.uint64(k)
        return out

    def uniform(self, idx: np.ndarray, low: np.ndarray | float = 0.0, high: np.ndarray | float = 1.0) -> np.ndarray:
        """One uniform draw per environment in ``idx`` (used at resets), shape ``(len(idx),)``."""
        z = self.normal(1, idx)[:, 0]
        u = np.array([normal_to_uniform(v) for v in z.tolist()])
        return low + (high - low) * u
