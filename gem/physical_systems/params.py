"""Parameter handling shared by all components: validation with clear errors.

Component parameters are floats or ``(num_envs,)`` arrays (one value per environment).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass
from typing import Any

import numpy as np

ArrayLike = float | np.ndarray


def as_param(value: Any, name: str) -> float | np.ndarray:
    """Converts a parameter to a float or a 1-D float64 array and checks it is finite.

    Args:
        value: A number or a sequence of numbers (one per environment).
        name: Parameter name used in error messages.

    Returns:
        A Python float, or a 1-D float64 array for per-environment values.

    Raises:
        ValueError: If the value is not numeric, not finite, or has more than one dimension.
    """
    if isinstance(value, (str, bytes)):
        raise ValueError(f"parameter {name!r} must be a number, got the string {value!r}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"parameter {name!r} must be a number, got {value!r}") from exc
    if arr.ndim > 1:
        raise ValueError(f"parameter {name!r} must be a scalar or a (num_envs,) array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"parameter {name!r} must be finite, got {value!r}")
    return float(arr) if arr.ndim == 0 else arr


def check_positive(owner: str, params: Mapping[str, Any], names: Iterable[str], *, strict: bool = True) -> None:
    """Raises a ValueError naming the first parameter that is not (strictly) positive.

    Args:
        owner: Component name for the message, e.g. ``"SeriesDc"``.
        params: Mapping from parameter name to value.
        names: Names that must be positive.
        strict: ``True`` requires ``> 0``, ``False`` allows zero.
    """
    for name in names:
        value = np.asarray(params[name])
        bad = value <= 0 if strict else value < 0
        if np.any(bad):
            rule = "> 0" if strict else ">= 0"
            raise ValueError(f"{owner}: parameter {name!r} must be {rule} (physical), got {params[name]!r}")


def validated_fields(obj: Any, skip: Iterable[str] = ()) -> dict[str, Any]:
    """Converts every numeric dataclass field of ``obj`` in place and returns them by name.

    Works on frozen dataclasses (uses ``object.__setattr__``).
    """
    skip = set(skip)
    out = {}
    for f in fields(obj):
        if f.name in skip or not f.init:
            continue
        value = getattr(obj, f.name)
        if isinstance(value, Mapping) or value is None or callable(value) or is_dataclass(value):
            continue  # not a number: a sub-component (e.g. a thermal network) checks its own
        converted = as_param(value, f"{type(obj).__name__}.{f.name}")
        object.__setattr__(obj, f.name, converted)
        out[f.name] = converted
    return out


def check_known_keys(owner: str, given: Mapping[str, Any], known: Iterable[str], what: str = "parameter") -> None:
    """Raises a ValueError naming unknown keys (and listing the known ones)."""
    known = tuple(known)
    unknown = [k for k in given if k not in known]
    if unknown:
        raise ValueError(f"{owner}: unknown {what}(s) {unknown}; known: {list(known)}")
