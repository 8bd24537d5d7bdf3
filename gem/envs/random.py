"""Per-environment random streams that make batched runs equal to single runs.

Every environment ``i`` of a batch owns its own :class:`numpy.random.Generator`. All draws
(reference increments and episode starts, measurement noise, stochastic loads) are taken from
per-environment buffers of standard normals that are refilled from that environment's generator,
so environment ``i`` of a batch seeded with ``seed + i`` sees exactly the numbers a single
environment seeded with ``seed + i`` sees, while the batch is served with array operations (or
by the compiled step, which reads the same buffers). Uniform draws are standard normals mapped
through the normal distribution function (:func:`normal_to_uniform`), so they come from the same
buffers and the compiled step can draw them without calling back into Python.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

_SQRT_HALF = math.sqrt(0.5)
_WORKERS = min(os.cpu_count() or 1, 8)
_THREADED_FROM = 512
"""Refills of at least this many buffers are shared among ``_WORKERS`` threads."""
_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(_WORKERS, thread_name_prefix="gem-random")
    return _POOL


def normal_to_uniform(z: float) -> float:
    """``Φ(z)``: a standard-normal draw mapped to a uniform draw in [0, 1]."""
    return 0.5 * math.erfc(-z * _SQRT_HALF)


class EnvRandom:
    """Per-environment generators plus buffered standard-normal draws.

    Args:
        num_envs: Batch size.
        block: Number of normals buffered per environment and refill.
        used: ``False`` for a stream nothing draws from (measurement noise switched off): no
            generators and a one-column buffer, so it costs no memory and no time.
    """

    def __init__(self, num_envs: int, block: int = 512, used: bool = True):
        self.num_envs = num_envs
        self.used = used
        self.block = block if used else 1
        # created by seed(), which every environment's first reset calls
        self.generators: list[np.random.Generator | None] = [None] * num_envs
        self._buf = np.zeros((num_envs, self.block))
        self._cursor = np.full(num_envs, block)
        self._headroom = -1     # lower bound of the unreserved draws left in every buffer (-1: unknown)

    def seed(self, seeds: Sequence[int | None], idx: np.ndarray) -> None:
        """Re-seeds the environments ``idx`` (``None`` draws fresh OS entropy) and drops their buffers."""
        if self.used:
            for i, s in zip(idx, seeds, strict=True):
                self.generators[i] = np.random.default_rng(s)
        self._cursor[idx] = self.block
        self._headroom = -1

    def ensure(self, k: int) -> None:
        """Refills the buffers of environments with fewer than ``k`` normals left.

        Called once at the start of every step with the step's largest number of draws, so that
        the draws of a step never straddle a refill, whichever code path (NumPy or compiled)
        consumes them. The ``k`` draws are reserved: a cheap Python counter skips the look at the
        cursors while earlier checks guarantee enough draws for every environment.
        """
        if k == 0:
            return
        if self._headroom >= k:
            self._headroom -= k
            return
        stale = np.flatnonzero(self._cursor + k > self.block)
        self._refill(stale.tolist())
        self._cursor[stale] = 0
        self._headroom = self.block - int(self._cursor.max()) - k

    def _refill(self, rows: list[int]) -> None:
        """New buffers for the environments ``rows``, each from its own generator.

        Large batches are filled by a few threads (NumPy releases the GIL while it fills; each
        generator is used by one thread, so the numbers do not change): 46 → 27 ms for 8192
        environments on two cores.
        """
        if len(rows) < _THREADED_FROM or _WORKERS < 2:
            self._fill(rows)
        else:
            list(_pool().map(self._fill, [rows[c::_WORKERS] for c in range(_WORKERS)]))

    def _fill(self, rows: list[int]) -> None:
        for i in rows:
            self.generators[i].standard_normal(out=self._buf[i])

    def normal(self, k: int = 1, idx: np.ndarray | None = None) -> np.ndarray:
        """Next ``k`` standard normals of every environment (or of those in ``idx``).

        Returns:
            ``(num_envs, k)`` or ``(len(idx), k)`` draws; only the environments asked for advance.
        """
        if k > self.block:
            raise ValueError(f"at most {self.block} normals per call")
        rows = np.arange(self.num_envs) if idx is None else np.asarray(idx)
        cursor = self._cursor[rows]
        stale = cursor + k > self.block
        self._refill(rows[stale].tolist())
        cursor[stale] = 0
        c0 = cursor[0] if cursor.size else 0
        if idx is None and np.all(cursor == c0):
            out = self._buf[:, c0:c0 + k]
        else:
            out = self._buf[rows[:, None], cursor[:, None] + np.arange(k)]
        self._cursor[rows] = cursor + k
        self._headroom -= k
        return out

    def uniform(self, idx: np.ndarray, low: np.ndarray | float = 0.0, high: np.ndarray | float = 1.0) -> np.ndarray:
        """One uniform draw per environment in ``idx`` (used at resets), shape ``(len(idx),)``."""
        z = self.normal(1, idx)[:, 0]
        u = np.array([normal_to_uniform(v) for v in z.tolist()])
        return low + (high - low) * u

    def integers(self, idx: np.ndarray, n: int) -> np.ndarray:
        """One integer in ``[0, n)`` per environment in ``idx``."""
        return np.minimum((self.uniform(idx) * n).astype(np.int64), n - 1)
