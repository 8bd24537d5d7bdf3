"""The toolchain: component methods compiled with numba as written, and the kernel source compiled and cached.

Components. A component's equations are ordinary methods written in the column form (see
:mod:`gem.physical_systems.motor`). :func:`jit_method` compiles such a method as it is: ``self``
becomes a named tuple of the component's numeric attributes, and every plain Python function the
method calls (for example the Park transform) is compiled the same way, recursively. The NumPy
path keeps calling the original methods, so the equations exist once.

A method can be compiled when it only does arithmetic and NumPy calls that numba supports on
scalars, reads numeric attributes of ``self``, and calls module-level functions (not other
methods of ``self``). When that fails, the environment keeps the NumPy path.

Kernels. :func:`compile_source` executes the generated source of a kernel as a module and compiles
its functions, cached on disk (numba ``cache=True``) in ``GEM_CACHE_DIR`` (default
``~/.cache/gem``) under a name that fingerprints the source and the bytecode of every component
function it calls (:func:`fingerprint`). A kernel that is not in that cache is announced before it
compiles (:func:`announce_compile`): once per process on the ``gem`` logger at WARNING level (one
line on stderr when logging is not configured), later ones at INFO level.
"""

from __future__ import annotations

import contextlib
import dis
import glob
import hashlib
import logging
import os
import sys
import tempfile
import types
from collections import namedtuple
from collections.abc import Iterator
from numbers import Number
from typing import Any

import numpy as np

try:  # numba is a dependency, but gem must still work (more slowly) where it cannot be imported
    import numba

    from gem.envs.kernel import kernel_numpy
except ImportError:  # pragma: no cover
    numba = kernel_numpy = None


_log = logging.getLogger(__name__)


class NotCompilable(Exception):
    """The task uses something the compiled step does not support (the NumPy path is used).

    Attributes:
        user: ``True`` when a user component is the reason (the environment warns with a
            ``PerformanceWarning``); ``False`` for a documented limit of gem's own components
            (logged at INFO level).
    """

    def __init__(self, reason: str, user: bool = False):
        super().__init__(reason)
        self.user = user


def _owner(cls: type, name: str) -> type | None:
    """The class in ``cls``'s MRO that defines ``name``."""
    return next((k for k in cls.__mro__ if name in vars(k)), None)


def check_columns(obj: Any, pairs: dict[str, tuple[str, ...]]) -> None:
    """Checks that ``obj`` provides the column methods the kernel calls for its NumPy methods.

    A component is compiled because it provides its column methods (a protocol), not because the
    kernel knows its class. A class whose ``kernel_unsupported`` names a reason is not compiled.

    Args:
        obj: The component.
        pairs: ``{numpy_method: (column_method, ...)}``: the column methods that compute what the
            NumPy method computes.

    Raises:
        NotCompilable: If the class says it is not supported, lacks a column method, or overrides a
            NumPy method without overriding its column methods (the kernel would silently compute
            the parent's arithmetic).
    """
    cls = type(obj)
    user = not cls.__module__.startswith("gem.")
    reason = getattr(cls, "kernel_unsupported", None)
    if reason:
        raise NotCompilable(f"{cls.__name__}: {reason}", user=user)
    for numpy_name, columns in pairs.items():
        for column in columns:
            if not hasattr(cls, column):
                raise NotCompilable(f"{cls.__name__} has no column method {column!r}", user=True)
            numpy_owner, column_owner = _owner(cls, numpy_name), _owner(cls, column)
            if numpy_owner is not None and column_owner is not None and numpy_owner is not column_owner \
                    and issubclass(numpy_owner, column_owner):
                raise NotCompilable(f"{cls.__name__} overrides {numpy_name!r} but not the column method "
                                    f"{column!r} the compiled step calls", user=True)


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

    The copy sees :mod:`gem.envs.kernel.kernel_numpy` as its ``np`` when ``fn``'s module imports NumPy
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

    Numbers become ``int`` or ``float`` fields, tuples of numbers tuples of floats, plain Python
    functions (e.g. a speed profile) stay functions (the kernel holds them compiled),
    per-environment parameters (``(num_envs,)`` arrays) stay arrays: the kernel reads them per
    environment, and arrays of two or more dimensions are tables shared by all environments (a flux
    map), read as arrays (:class:`gem.envs.kernel.layout.Constants`).
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
        elif isinstance(value, types.FunctionType):
            values[name] = value            # a function the methods call (compiled, a global of the kernel)
        elif isinstance(value, tuple) and value and all(isinstance(v, (Number, np.number)) for v in value):
            values[name] = tuple(float(v) for v in value)       # a small fixed-size vector (e.g. weights)
        elif isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "fi":
            values[name] = np.ascontiguousarray(value, dtype=np.float64)    # one value per environment
        elif isinstance(value, np.ndarray) and value.ndim > 1 and value.dtype.kind in "fi":
            values[name] = np.ascontiguousarray(value, dtype=np.float64)    # a table shared by all environments
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


COMPILE_OPTIONS = "error_model=numpy"
"""Part of the cache key: kernels compiled with other options are not reused."""


def compile_source(source: str, scope: dict[str, Any], used: list[types.FunctionType], tag: str,
                   loops: tuple[str, ...], parallel: bool, cacheable: bool = True) -> Any:
    """Compiles the generated kernel ``source`` with the names in ``scope``; returns its ``kernel``.

    Args:
        source: Python source defining ``kernel`` and the functions named in ``loops``.
        scope: The names the source reads (compiled component functions, parameter tuple types).
        used: Every component function the source calls (their code is part of the cache key).
        tag: Further text for the cache key (e.g. the parameter tuple types and the variant).
        loops: Names of the helper functions to compile (each its own numba function).
        parallel: Compile ``kernel`` with numba's ``parallel=True`` (``prange`` over blocks).
        cacheable: Keep the machine code on disk; ``False`` where the kernel holds compiled user
            functions as globals (numba cannot cache those; they compile in every process).
    """
    allow_overlap_checks()
    digest = hashlib.sha1((source + fingerprint(used) + tag + COMPILE_OPTIONS).encode())
    name = f"kernel_{digest.hexdigest()[:16]}_{int(parallel)}"
    filename, cache = _cache_file(f"{name}.py", source)
    cache = cache and cacheable
    if not (cache and in_disk_cache(filename)):
        announce_compile(os.path.dirname(filename) if cache else None)
    module = types.ModuleType(f"gem._kernels.{name}")   # importable by name: numba's cache reloads it
    module.__file__ = filename
    module.__dict__.update(scope)
    sys.modules[module.__name__] = module
    namespace = module.__dict__
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - generated from the task structure
    for loop in loops:
        if loop in namespace:
            namespace[loop] = numba.njit(cache=cache, error_model="numpy")(namespace[loop])
    return numba.njit(parallel=parallel, cache=cache, error_model="numpy")(namespace["kernel"])


def in_disk_cache(filename: str) -> bool:
    """Whether numba's cache beside the kernel source ``filename`` holds machine code of its ``kernel``."""
    stem = os.path.splitext(os.path.basename(filename))[0]
    return bool(glob.glob(os.path.join(os.path.dirname(filename), "__pycache__", f"{glob.escape(stem)}.kernel-*.nbi")))


_ANNOUNCED = False


def announce_compile(folder: str | None) -> None:
    """Says that a kernel compiles now and whether later processes will find it in the disk cache.

    The first time in a process at WARNING level on the ``gem.envs.kernel.toolchain`` logger (without
    a logging configuration Python prints it as one line on stderr), later times at INFO level.
    Silence it with ``logging.getLogger("gem").setLevel(logging.ERROR)``.

    Args:
        folder: The cache folder, or ``None`` if this kernel cannot be cached.
    """
    global _ANNOUNCED
    level = logging.INFO if _ANNOUNCED else logging.WARNING
    _ANNOUNCED = True
    later = (f"cached in {folder}: later processes load it in under a second" if folder else
             "it holds a compiled user function, so it compiles again in every process")
    _log.log(level, "gem: compiling the step for this environment's structure (typically 5-15 s, once; %s). "
             "Silence this: logging.getLogger('gem').setLevel(logging.ERROR)", later)


@contextlib.contextmanager
def loop_vectoriser(enabled: bool) -> Iterator[None]:
    """Numba's LLVM loop vectoriser on or off for what compiles inside the block (a global setting)."""
    config = numba.core.config
    before = config.LOOP_VECTORIZE
    config.LOOP_VECTORIZE = bool(enabled) and before
    try:
        yield
    finally:
        config.LOOP_VECTORIZE = before


_OVERLAP_CHECKS_SET = False


def allow_overlap_checks() -> None:
    """Lets LLVM's loop vectoriser emit as many run-time array-overlap checks as a kernel loop needs.

    The physical-state loop reads and writes about thirty rows of five arrays; LLVM's default limit
    on the checks that prove they do not overlap (128) leaves it scalar (65 instead of 12 ns per
    environment for the PMSM). The option is process-wide and only widens what the vectoriser may
    do (the checks keep every loop correct); set once, before gem's first kernel compiles.
    """
    global _OVERLAP_CHECKS_SET
    if not _OVERLAP_CHECKS_SET:
        import llvmlite.binding

        llvmlite.binding.set_option("gem", "-vectorize-memory-check-threshold=1024")
        _OVERLAP_CHECKS_SET = True


def _cache_file(name: str, source: str) -> tuple[str, bool]:
    """Writes the kernel source where numba can cache its machine code.

    The folder is ``GEM_CACHE_DIR`` (default ``~/.cache/gem``). Returns the file name and whether
    caching is possible.
    """
    home = os.path.expanduser("~")
    default = os.path.join(home, ".cache", "gem") if home != "~" else os.path.join(tempfile.gettempdir(), "gem-cache")
    folder = os.environ.get("GEM_CACHE_DIR") or default
    path = os.path.join(folder, name)
    try:
        os.makedirs(folder, exist_ok=True)
        if not os.path.exists(path):
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "w") as f:
                f.write(source)
            os.replace(tmp, path)
        return path, True
    except OSError:
        return f"<gem-{name}>", False
