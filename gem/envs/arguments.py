"""Checks of the keyword arguments users type, with errors that name the keyword as they typed it.

``gym.make(id, **kwargs)`` hands the keywords to :func:`gem.make_env` / :func:`gem.make_vec_env`
and on to :func:`gem.make_task`; the components they build check their own parameters under their
own names (``IdealVoltageSupply.u_nominal``), so the factory checks what the user wrote first
(``u_sup``). :func:`check_keywords` turns an unknown keyword into an error that lists the valid
ones and suggests the closest; :func:`supply` builds the drive's supply from ``supply=`` and ``u_sup=``.
:func:`check_normalised` and :func:`check_range` check the numbers
of the reference generators (:mod:`gem.envs.references`), whose values are normalised.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from gem.physical_systems.rectifier import ThreePhaseRectifierSupply
from gem.physical_systems.supplies import IdealVoltageSupply, RCVoltageSupply

VECTOR_ONLY = ("num_envs", "threaded", "max_episode_steps")
"""Keywords of vector environments (``gym.make_vec`` / ``gem.make_vec_env``) only."""


def keyword_names(*functions: Callable) -> tuple[str, ...]:
    """The keyword parameters of ``functions`` (without ``**kwargs``), sorted."""
    names = {p.name for fn in functions for p in inspect.signature(fn).parameters.values()
             if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return tuple(sorted(names))


def check_keywords(given: Iterable[str], valid: Iterable[str], vector: bool) -> None:
    """Raises a TypeError naming every keyword of ``given`` that is not ``valid``, and listing the valid ones.

    Args:
        given: The keywords the user passed.
        valid: The keywords the entry point accepts.
        vector: Whether the entry point makes a vector environment (for the hint on vector-only keywords).
    """
    valid = tuple(valid)
    unknown = [k for k in given if k not in valid]
    if not unknown:
        return
    hints = []
    for k in unknown:
        close = difflib.get_close_matches(k, valid, n=2, cutoff=0.6)     # e.g. u_supply: supply or u_sup
        if k in VECTOR_ONLY and not vector:
            hints.append(f"{k!r} is an option of vector environments (gym.make_vec / gem.make_vec_env)")
        elif close:
            hints.append(f"did you mean {' or '.join(map(repr, close))} instead of {k!r}?")
    raise TypeError(f"unknown keyword argument(s) {unknown}" + (f" ({'; '.join(hints)})" if hints else "")
                    + f"; valid keywords: {', '.join(valid)}")


def number(keyword: str, value: Any, rule: str = "", per_env: bool = True) -> float | np.ndarray:
    """``value`` as a float (or a ``(num_envs,)`` float array), checked finite and against ``rule``.

    Args:
        keyword: The keyword, for the message.
        value: What the user passed.
        rule: ``""``, ``"> 0"`` or ``">= 0"``.
        per_env: Allow one value per environment (a 1-D array).

    Raises:
        ValueError: Naming ``keyword`` and saying what it must be.
    """
    what = "a finite number" + (f" {rule}" if rule else "") + (" (or one per environment)" if per_env else "")
    if isinstance(value, (str, bytes, bool)) or value is None:
        raise ValueError(f"{keyword} must be {what}, got {value!r}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{keyword} must be {what}, got {value!r}") from None
    bad = arr.ndim > (1 if per_env else 0) or not np.all(np.isfinite(arr))
    bad = bad or (rule == "> 0" and np.any(arr <= 0)) or (rule == ">= 0" and np.any(arr < 0))
    if bad:
        raise ValueError(f"{keyword} must be {what}, got {value!r}")
    return float(arr) if arr.ndim == 0 else arr


def names(keyword: str, value: Any) -> tuple[str, ...] | None:
    """A sequence of state names (a single name is a sequence of one); ``None`` stays ``None``."""
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    try:
        return tuple(value)
    except TypeError:
        raise ValueError(f"{keyword} must be a sequence of state names, got {value!r}") from None


def mapping(keyword: str, value: Any) -> Mapping | None:
    """``value`` if it is a mapping or ``None``, else a ValueError naming ``keyword``."""
    if value is not None and not isinstance(value, Mapping):
        raise ValueError(f"{keyword} must be a dict, got {value!r}")
    return value


def flag(keyword: str, value: Any, allow_none: bool = False) -> bool | None:
    """``value`` as a bool (``True``/``False``/``0``/``1``; ``None`` if allowed), else a ValueError naming it."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, (int, np.integer)) and value in (0, 1)):
        return bool(value)
    raise ValueError(f"{keyword} must be True or False, got {value!r}")


def instance(keyword: str, value: Any, kind: type, examples: str) -> Any:
    """``value`` if it is ``None`` or a ``kind``, else a ValueError naming ``keyword`` and ``examples``."""
    if value is not None and not isinstance(value, kind):
        raise ValueError(f"{keyword} must be {examples}, got {value!r}")
    return value


def check_normalised(obj: Any, name: str) -> None:
    """Raises a ValueError unless the attribute ``name`` of the reference ``obj`` is ``None`` or a number in [-1, 1].

    References are normalised (state / limit): ±1 is the referenced state's limit.
    """
    owner, value = type(obj).__name__, getattr(obj, name)
    if value is None:
        return
    if isinstance(value, (bool, str)) or not isinstance(value, (int, float, np.number)) or not np.isfinite(value):
        raise ValueError(f"{owner}: {name} must be a finite number, got {value!r}")
    if not -1.0 <= value <= 1.0:
        raise ValueError(f"{owner}: {name}={value!r} is outside [-1, 1]. Reference values are normalised (state / "
                         "limit), so ±1 is the referenced state's limit and the observation holds references in "
                         "[-1, 1]; to reference a state beyond its default limit, raise the limit (limit_values=...)")


def check_range(obj: Any, name: str, strict: bool = True, highest: float = np.inf) -> None:
    """Raises a ValueError unless the attribute ``name`` of ``obj`` is a pair of finite numbers ``0 < low <= high``.

    Args:
        obj: The object (its class names it in the message).
        name: Attribute name (a ``(low, high)`` pair).
        strict: Require ``low > 0``; ``False`` allows ``low = 0``.
        highest: Largest allowed ``high``.
    """
    owner, value = type(obj).__name__, getattr(obj, name)
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}: {name} must be a pair (low, high) of numbers, got {value!r}") from None
    rule = f"{'0 <' if strict else '0 <='} low <= high" + ("" if highest == np.inf else f" <= {highest:g}")
    if not (np.isfinite(lo) and np.isfinite(hi)) or not (0 < lo if strict else 0 <= lo) or not lo <= hi <= highest:
        raise ValueError(f"{owner}: {name} must be finite numbers with {rule}, got {value!r}")


SUPPLIES = (IdealVoltageSupply, RCVoltageSupply, ThreePhaseRectifierSupply)


def supply(supply: Any, u_sup: float | None, default: float) -> Any:
    """The drive's supply from ``supply=`` and ``u_sup=``: the ideal ``u_sup`` (or ``default``), or ``supply``.

    ``supply`` may be a supply object (an RC supply without ``u_nominal`` takes ``u_sup``) or GEM's
    ``dict(u_nominal=...)`` of the ideal supply.

    Raises:
        ValueError: Naming what is wrong: not a supply, a number, unknown dict keys, or both
            ``u_sup`` and a supply with its own voltage.
    """
    if supply is None:
        return IdealVoltageSupply(u_nominal=default if u_sup is None else u_sup)
    if isinstance(supply, Mapping):         # GEM's form: the ideal supply's keyword arguments
        known = ("u_nominal",)
        if set(supply) - set(known):
            raise ValueError(f"supply={dict(supply)!r}: a dict gives the ideal supply's arguments {list(known)}; "
                             "pass RCVoltageSupply(...) or ThreePhaseRectifierSupply(...) for the others")
        supply = IdealVoltageSupply(u_nominal=number("supply['u_nominal']", supply.get("u_nominal", default), "> 0"))
    if isinstance(supply, (int, float)) and not isinstance(supply, bool):
        raise ValueError(f"supply={supply!r} is a number: give the DC-link voltage as u_sup={supply!r}")
    if isinstance(supply, type) or not (isinstance(supply, SUPPLIES) or all(
            hasattr(supply, a) for a in ("state_names", "voltage"))):
        hint = f" (an instance: {supply.__name__}(...))" if isinstance(supply, type) else ""
        raise ValueError(f"supply must be a supply of gem.physical_systems (IdealVoltageSupply, RCVoltageSupply, "
                         f"ThreePhaseRectifierSupply), got {supply!r}{hint}")
    if isinstance(supply, RCVoltageSupply) and supply.u_nominal is None:
        return replace(supply, u_nominal=default if u_sup is None else u_sup)
    if u_sup is not None:
        raise ValueError(f"u_sup={u_sup!r} and supply={supply!r} both set the DC-link voltage: give it once, "
                         "as the supply's u_nominal")
    return supply
