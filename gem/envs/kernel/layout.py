"""Where the kernel's numbers live: packed constants, parameter tuples, scratch rows, blocks.

* **Constants** (parameters, limits of actions, weights, the topology) reach the kernel packed in
  one float and one integer array (``CF``, ``CI``), whose layout depends only on the task's
  structure: one argument each instead of thirty, which is most of the cost of calling the kernel
  for a single environment. :class:`Constants` packs them and writes the source lines that name
  them inside the kernel.
* **Parameter tuples**: each component's column methods read its numbers through ``self``, a
  named tuple (:func:`gem.envs.kernel.toolchain.params_tuple`). Their values are packed with the
  constants and the tuples are rebuilt per block (:meth:`Constants.unpack_params`).
* **Scratch rows**: the vectorised loops work on structure-of-arrays rows, one row per quantity
  and one column per environment (:class:`Rows`, :func:`padded_row`).
* **Blocks**: the batch is cut into blocks of at most :data:`BLOCK` environments.
"""

from __future__ import annotations

import re
from types import FunctionType
from typing import Any

import numpy as np

BLOCK = 512
"""Environments per block (at most): the loops of the kernel run over one block at a time (its
scratch rows stay in the L2 cache), and threads take whole blocks. Measured on the AMD benchmark
machine (Cont-CC-PMSM-v0, 8192 environments, kernel alone): 256 → 512 gives 65 → 60 ns per
env-step on two threads and 120 ns on one; 64 is slower (97 ns), 4096 too (72 ns). Since the
scratch rows are padded (:func:`padded_row`) 256 to 2048 are within 5 % (43–44 ns, 85–90 ns)."""


def padded_row(n: int) -> int:
    """Row length (≥ ``n``) of the kernel's scratch arrays: an odd number of 64-byte cache lines.

    Rows whose starts are a multiple of 4 KiB apart (``n`` a power of two ≥ 512) fall into the
    same set of the L1 cache, which holds only 8 or 12 lines per set; the loops read and write 15 to
    30 rows per environment, so every access missed. Padded, the rows spread over the sets:
    Cont-CC-PMSM-v0 at 8192 environments, kernel alone, 105 → 86 ns per env-step on one core,
    62 → 43 ns on two (AMD benchmark machine).
    """
    lines = -(-n // 8)
    return 8 * (lines + 1 - lines % 2)


def block_size(num_envs: int, threads: int) -> int:
    """:data:`BLOCK`, smaller for batches too small to give every thread two blocks (at least 64)."""
    return int(min(BLOCK, max(64, -(-num_envs // (2 * threads)))))


class Rows:
    """Allocates named rows of the scratch array ``S`` (one row per quantity, a column per environment)."""

    def __init__(self) -> None:
        self.first: dict[str, int] = {}
        self.count = 0

    def __call__(self, name: str, size: int = 1) -> int:
        """First row of ``name`` (``size`` rows), allocated on first use."""
        if name not in self.first:
            self.first[name] = self.count
            self.count += size
        return self.first[name]


def function_name(params: str, field: str) -> str:
    """Name in the kernel's source of the compiled function held in field ``field`` of parameter tuple ``params``."""
    return f"F_{params}_{field}"


def _flat(value: Any) -> list[float]:
    if isinstance(value, np.ndarray):
        return value.reshape(-1).tolist()
    return [float(v) for v in value] if isinstance(value, tuple) else [float(value)]


def is_per_env(field: Any) -> bool:
    """Whether a parameter-tuple field holds one value per environment (a 1-D array).

    Arrays of more dimensions are tables shared by all environments.
    """
    return isinstance(field, np.ndarray) and field.ndim == 1


class Constants:
    """The kernel's constants by name, packed in one float64 (``CF``) and one int64 (``CI``) array.

    Args:
        values: Name → number or array; float arrays go to ``CF``, integer ones to ``CI``.
        params: Name → parameter named tuple of a component (packed into ``CF`` as ``{name}V``,
            tables too; its per-environment fields go to ``PE``).
        per_env_values: Name → ``(num_envs,)`` array read per environment as ``PE[k][i]``.
    """

    def __init__(self, values: dict[str, Any], params: dict[str, tuple],
                 per_env_values: dict[str, np.ndarray] | None = None):
        self.params = params
        self.per_env: list[np.ndarray] = list((per_env_values or {}).values())
        """Per-environment parameter arrays, in the order the kernel's ``PE`` tuple holds them."""
        self.per_env_names = {name: k for k, name in enumerate(per_env_values or {})}
        """Names of per-environment values that are not parameter-tuple fields (e.g. ``JT``) → index in ``PE``."""
        values = dict(values)
        for name, p in params.items():
            for field in p:
                if is_per_env(field):
                    self.per_env.append(field)
            packed = [field for field in p if not (is_per_env(field) or isinstance(field, FunctionType))]
            values[f"{name}V"] = np.array([v for field in packed for v in _flat(field)] or [0.0])
        self.layout: dict[str, tuple[str, int, tuple[int, ...]]] = {}
        ends = {"CF": 0, "CI": 0}
        for name, value in values.items():
            v = np.asarray(value)
            packed = "CF" if v.dtype.kind == "f" else "CI"
            self.layout[name] = (packed, ends[packed], v.shape)
            ends[packed] += v.size
        self.cf, self.ci = np.zeros(max(ends["CF"], 1)), np.zeros(max(ends["CI"], 1), np.int64)
        for name, (packed, off, _shape) in self.layout.items():
            v = np.asarray(values[name])
            (self.cf if packed == "CF" else self.ci)[off:off + v.size] = v.reshape(-1)

    def names(self, used: str | None = None) -> list[str]:
        """Source lines naming the constants (those that ``used``, a source text, mentions)."""
        lines = []
        for name, (packed, off, shape) in self.layout.items():
            if used is not None and not re.search(rf"\b{name}\b", used):
                continue
            size = int(np.prod(shape))
            if shape == ():
                lines.append(f"{name} = {packed}[{off}]")
            elif len(shape) == 1:
                lines.append(f"{name} = {packed}[{off}:{off + size}]")
            else:
                lines.append(f"{name} = {packed}[{off}:{off + size}].reshape({shape})")
        return lines

    def varies(self, name: str) -> bool:
        """Whether the parameter tuple ``name`` has a per-environment field (it is built per environment)."""
        return any(is_per_env(field) for field in self.params[name])

    def per_env_index(self, array: np.ndarray) -> int:
        """Index of a per-environment array in ``PE``."""
        return next(k for k, a in enumerate(self.per_env) if a is array)

    def unpack_params(self, name: str) -> str:
        """Source expression rebuilding the parameter tuple ``name`` from its packed values.

        Per-environment fields read ``PE[k][i]`` (the expression is then valid inside a loop over ``i``).
        """
        parts, k = [], 0
        params = self.params[name]
        for field_name, field in zip(params._fields, params, strict=True):
            if isinstance(field, FunctionType):
                parts.append(function_name(name, field_name))
            elif is_per_env(field):
                parts.append(f"PE[{self.per_env_index(field)}][i]")
            elif isinstance(field, np.ndarray):        # a table: a view of the packed values
                parts.append(f"{name}V[{k}:{k + field.size}].reshape({field.shape})")
                k += field.size
            elif isinstance(field, tuple):
                parts.append("(" + "".join(f"{name}V[{k + j}], " for j in range(len(field))) + ")")
                k += len(field)
            else:
                parts.append(f"int({name}V[{k}])" if isinstance(field, int) else f"{name}V[{k}]")
                k += 1
        return f"{name}T({', '.join(parts)})"


def pad_tables(tables: tuple[np.ndarray, ...]) -> np.ndarray:
    """Switch tables of the converter parts as one ``(parts, choices, legs)`` int64 array."""
    out = np.zeros((len(tables), max(len(t) for t in tables), max(t.shape[1] for t in tables)), np.int64)
    for k, t in enumerate(tables):
        out[k, : len(t), : t.shape[1]] = t
    return out
