"""NumPy as the compiled kernels see it: ``sin``, ``cos``, ``sinc``, ``log`` as branch-free polynomials.

(And ``where`` as a scalar select, so that component code written with ``np.where`` for arrays
computes a float per environment in the kernel.)

:func:`gem.envs.kernel.toolchain.jit_function` compiles component methods with this module in place of
``numpy`` (their ``np``), so ``np.sin(eps)`` in a motor's equations calls :func:`sin` below inside
the kernel while the NumPy step keeps calling NumPy's. Everything else is NumPy's own (module
``__getattr__``).

Why: the C library's ``sin``/``cos`` are opaque calls that keep LLVM from vectorising a loop over
environments (the PyPI build of llvmlite has no vector math library). These versions are plain
arithmetic, small enough for LLVM to inline, so the kernel's loops run 4 environments per AVX2
instruction. (They are not inlined in numba's IR: that made every kernel compile 1–2 s longer.)
Measured on the benchmark machine (PMSM RK4 over 8192 environments, one core): 114 M env-steps/s
with these, 17 M with the C library's.

Accuracy: Cody–Waite reduction by π/2 with a three-part constant (exact quadrant for
``|x| < 1.6e6``) and the Cephes minimax polynomials on [-π/4, π/4]. Measured against NumPy on
200,000 random arguments per range: at most 2.2e-16 absolute (2 units in the last place) for
``|x| < 1e6``; at ``|x| ≈ 1e9`` the error has grown to about 6e-8. ``inf`` and ``nan`` give
``nan``, as in NumPy. ``log`` (used by the random draws of :mod:`gem.envs.random`) follows fdlibm's ``__ieee754_log``:
the exponent and mantissa are read from the bits, the mantissa reduced to [√½, √2), and
``log(1 + f)`` evaluated with fdlibm's degree-14 polynomial in ``s = f / (2 + f)``; within 1 unit in
the last place of NumPy's over the whole double range (subnormals included), ``-inf`` at 0, ``nan``
below 0 and for ``nan``, ``inf`` at ``inf``. ``tests/envs/test_kernel_numpy.py`` checks these bounds.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

_TWO_OVER_PI = 0.6366197723675814
# π/2 = _P1 + _P2 + _P3 (33 + 33 + 53 significant bits): q * _P1 and q * _P2 are exact for |q| < 2**20.
_P1 = 1.5707963267341256        # 0x1.921fb54400000p+0
_P2 = 6.077100506303966e-11     # 0x1.0b4611a600000p-34
_P3 = 2.0222662487959506e-21    # 0x1.3198a2e037073p-69


@numba.njit(error_model="numpy")
def sincos(x: float) -> tuple[float, float]:
    """``(sin x, cos x)`` without branches or calls (see the module docstring for the accuracy)."""
    q = numpy.floor(x * _TWO_OVER_PI + 0.5)             # x = q π/2 + r, |r| <= π/4
    r = ((x - q * _P1) - q * _P2) - q * _P3
    z = r * r
    s = r + r * z * (-1.66666666666666307295e-1 + z * (8.33333333332211858878e-3 + z * (
        -1.98412698295895385996e-4 + z * (2.75573136213857245213e-6 + z * (
            -2.50507477628578072866e-8 + z * 1.58962301576546568060e-10)))))
    c = 1.0 - 0.5 * z + z * z * (4.16666666666665929218e-2 + z * (-1.38888888888730564116e-3 + z * (
        2.48015872888517045348e-5 + z * (-2.75573141792967388112e-7 + z * (
            2.08757008419747316778e-9 - z * 1.13585365213876817300e-11)))))
    k = q - 4.0 * numpy.floor(q * 0.25)                 # quadrant 0..3
    odd = k == 1.0 or k == 3.0
    sin_ = c if odd else s
    cos_ = s if odd else c
    return (-sin_ if k >= 2.0 else sin_), (-cos_ if k == 1.0 or k == 2.0 else cos_)


@numba.njit(error_model="numpy")
def sin(x: float) -> float:
    """``sin x`` (:func:`sincos`)."""
    return sincos(x)[0]


@numba.njit(error_model="numpy")
def cos(x: float) -> float:
    """``cos x`` (:func:`sincos`)."""
    return sincos(x)[1]


@numba.njit(error_model="numpy")
def sinc(x: float) -> float:
    """NumPy's normalised ``sinc x = sin(πx) / (πx)``, 1 at 0."""
    y = numpy.pi * x
    return 1.0 if y == 0.0 else sincos(y)[0] / y


@intrinsic
def _bits(typingctx: Any, x: Any) -> Any:
    """The IEEE-754 bits of the double ``x`` as an ``int64`` (a bit cast; LLVM vectorises it)."""
    if not isinstance(x, types.Float):
        return None
    return types.int64(types.float64), lambda context, builder, sig, args: builder.bitcast(args[0], ir.IntType(64))


@intrinsic
def _double(typingctx: Any, b: Any) -> Any:
    """The double whose IEEE-754 bits are the ``int64`` ``b`` (inverse of :func:`_bits`)."""
    if not isinstance(b, types.Integer):
        return None
    return types.float64(types.int64), lambda context, builder, sig, args: builder.bitcast(args[0], ir.DoubleType())


_LN2_HI = 6.93147180369123816490e-01      # ln 2 = _LN2_HI + _LN2_LO, _LN2_HI with 32 significant bits
_LN2_LO = 1.90821492927058770002e-10
_SMALLEST_NORMAL = 2.2250738585072014e-308
_SQRT_HALF_HI = 0x3FE6A09E00000000         # high word of √½ (fdlibm's reduction threshold)


@numba.njit(error_model="numpy")
def log(x: float) -> float:
    """Natural logarithm without branches or calls (see the module docstring for the accuracy)."""
    sub = x < _SMALLEST_NORMAL
    bits = _bits(x * 18014398509481984.0 if sub else x)          # subnormals scaled by 2**54
    # mantissa m in [√½, √2) and exponent e with x = m 2**e: shift the exponent field so that
    # mantissas from √½ up carry into the next binade, then rebuild m around √½'s high word
    shifted = bits + (0x3FF0000000000000 - _SQRT_HALF_HI)
    e = float((shifted >> 52) - 1023 - (54 if sub else 0))
    f = _double((shifted & 0x000FFFFFFFFFFFFF) + _SQRT_HALF_HI) - 1.0
    half_f2 = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    r = z * (6.666666666666735130e-01 + w * (2.857142874366239149e-01 + w * (
        1.818357216161805012e-01 + w * 1.479819860511658591e-01))) + \
        w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01))
    y = e * _LN2_HI - ((half_f2 - (s * (half_f2 + r) + e * _LN2_LO)) - f)
    y = -numpy.inf if x == 0.0 else y
    y = x if x == numpy.inf else y
    return numpy.nan if (x < 0.0 or x != x) else y


@numba.njit(error_model="numpy")
def where(condition: bool, x: float, y: float) -> float:
    """``x if condition else y`` for scalars: NumPy's ``np.where`` as a select (not a 0-d array)."""
    return x if condition else y


FUNCTIONS = (sincos, sin, cos, sinc, log, where)
"""The functions standing in for NumPy's (their code is part of a kernel's fingerprint)."""


def __getattr__(name: str) -> Any:
    return getattr(numpy, name)
