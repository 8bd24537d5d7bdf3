"""Compile component methods with numba without rewriting them.

A component's equations are ordinary methods written in the column form (see
:mod:`gem.physical_systems.motor`). :func:`jit_method` compiles such a method as it is: ``self``
becomes a named tuple of the component's numeric attributes, and every plain Python function the
method calls (for example the Park transform) is compiled the same way, recursively. The NumPy
path keeps calling the original methods, so the equations exist once.

A method can be compiled when it only does arithmetic and NumPy calls that numba supports on
scalars, reads numeric attributes of ``self``, and calls module-level functions (not other
methods of ``self``). When that fails, the environment keeps the NumPy path.
"""

from __future__ import annotations

import dis
import types
from collections import namedtuple
from numbers import Number
from typing import Any

import numpy as np

try:  # numba is a dependency, but gem must still work (more slowly) where it cannot be imported
    import numba

    from gem.envs import kernel_numpy
except ImportError:  # pragma: no cover
    numba = kernel_numpy = None


class NotCompilable(Exception):
    """The task uses something the compiled step does not support (the NumPy path is used)."""


_JITTED: dict[Any, Any] = {}
_TUPLES: dict[tuple, type] = {}


def _python_functions(fn: types.FunctionType) -> dict[str, types.FunctionType]:
    """Plain Python functions named in ``fn``'s globals (candidates for recursive compilation)."""
    out = {}
    for name in fn.__code__.co_names:
        obj = fn.__globals__.get(name)
        if isinstance(obj, types.FunctionType) and not obj.__module__.startswith(("numpy", "numba")):
            out[name] = obj
    return out


def jit_function(fn: types.FunctionType, inline: bool = False) -> Any:
    """numba-compiled copy of ``fn`` whose called Python functions are compiled too (cached).

    The copy sees :mod:`gem.envs.kernel_numpy` as its ``np`` when ``fn``'s module imports NumPy
    under that name, so its ``np.sin``, ``np.cos``, ``np.sinc`` and ``np.log`` compile to small polynomials
    that LLVM inlines and vectorises (``math.sin`` and other spellings stay the C library's).

    Args:
        fn: A plain Python function (a component method takes its parameters tuple as ``self``).
        inline: Inline the copy into its callers in numba's IR (``inline="always"``) so that loops
            calling it can be vectorised; LLVM alone does not inline large functions. The functions
            ``fn`` calls are inlined too, unless ``fn`` calls something with ``*args``, which numba
            cannot inline.
    """
    if numba is None:
        raise NotCompilable("numba is not installed")
    if (fn, inline) in _JITTED:
        return _JITTED[fn, inline]
    scope = dict(fn.__globals__)
    if scope.get("np") is np:
        scope["np"] = kernel_numpy
    star = any(ins.opname == "CALL_FUNCTION_EX" for ins in dis.get_instructions(fn))
    for name, callee in _python_functions(fn).items():
        scope[name] = jit_function(callee, inline and not star)
    copy = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
    # error_model="numpy": x / 0 gives inf or nan, as in NumPy
    _JITTED[fn, inline] = numba.njit(copy, error_model="numpy", inline="always" if inline else "never")
    return _JITTED[fn, inline]


def fingerprint(functions: list[types.FunctionType]) -> str:
    """Text that changes whenever the bytecode of ``functions`` or of anything they call changes."""
    seen: dict[Any, None] = {}
    todo = list(functions)
    while todo:
        fn = todo.pop()
        if fn not in seen:
            seen[fn] = None
            todo.extend(_python_functions(fn).values())
    parts = sorted(f"{f.__module__}.{f.__qualname__}:{_code_text(f)}" for f in seen)
    if kernel_numpy is not None:        # the functions that stand in for NumPy's
        parts += [f"kernel_numpy.{f.__name__}:{_code_text(f.py_func)}" for f in kernel_numpy.FUNCTIONS]
    return "\n".join(parts)


def _code_text(fn: types.FunctionType) -> str:
    """Bytecode, constants and the values of the numeric module globals ``fn`` reads.

    numba freezes those globals into the machine code, so a changed one must change the fingerprint.
    """
    numbers = {name: fn.__globals__[name] for name in fn.__code__.co_names
               if isinstance(fn.__globals__.get(name), (Number, np.number))}
    return f"{fn.__code__.co_code.hex()}:{fn.__code__.co_consts!r}:{sorted(numbers.items())!r}"


def _attribute_names(fn: types.FunctionType, seen: set | None = None) -> set[str]:
    """Names that ``fn`` and the functions it calls may read from ``self``."""
    seen = set() if seen is None else seen
    if fn in seen:
        return set()
    seen.add(fn)
    names = set(fn.__code__.co_names)
    for callee in _python_functions(fn).values():
        names |= _attribute_names(callee, seen)
    return names


def params_tuple(obj: Any, methods: list[types.FunctionType]) -> tuple:
    """Named tuple of the numeric attributes of ``obj`` that ``methods`` may read.

    Raises:
        NotCompilable: If such an attribute is a per-environment array.
    """
    names = sorted(set().union(*(_attribute_names(m) for m in methods)))
    values = {}
    for name in names:
        try:
            value = getattr(obj, name)
        except AttributeError:
            continue
        if isinstance(value, (bool, np.bool_)):
            continue
        if isinstance(value, (Number, np.number)):
            values[name] = float(value) if isinstance(value, (float, np.floating)) else int(value)
        elif isinstance(value, np.ndarray) and value.ndim > 0 and value.dtype.kind in "fi":
            raise NotCompilable(f"{type(obj).__name__}.{name} is a per-environment array")
    key = (type(obj).__name__, tuple(values))
    if key not in _TUPLES:
        # A module-level class with a stable name, so numba's on-disk cache recognises the type.
        name = f"{type(obj).__name__}Params__" + "__".join(values)
        cls = globals().get(name) or namedtuple(name, list(values), module=__name__)
        globals()[name] = cls
        _TUPLES[key] = cls
    return _TUPLES[key](**values)


def own_method(obj: Any, name: str, base: type) -> types.FunctionType | None:
    """The function behind ``obj.name`` if the class overrides ``base``'s, else ``None``."""
    fn = getattr(type(obj), name)
    return None if fn is getattr(base, name, None) else fn
