r"""Three-phase coordinate transforms: abc ↔ αβ (Clarke) ↔ dq (Park), batched.

Amplitude-invariant, as in GEM: a balanced three-phase set of amplitude ``A`` becomes a space
vector of length ``A``, and the zero-sequence (common-mode) part of abc is dropped::

    T23 = 2/3 [[1, -1/2,   -1/2  ],        [α, β]ᵀ = T23 [a, b, c]ᵀ
               [0, √3/2, -√3/2 ]]

    T32 = [[ 1,     0   ],                 [a, b, c]ᵀ = T32 [α, β]ᵀ     (T23 T32 = I₂)
           [-1/2,  √3/2 ],
           [-1/2, -√3/2 ]]

    Q(ε) = [[cos ε, -sin ε],               [d, q]ᵀ = Q(-ε) [α, β]ᵀ,   [α, β]ᵀ = Q(ε) [d, q]ᵀ
            [sin ε,  cos ε]]

so ``dq = Q(-ε) T23 abc`` and ``abc = T32 Q(ε) dq``, with ``ε`` the electrical rotor angle (rad).
``T32 T23`` projects onto the zero-sum plane: ``alphabeta_to_abc(abc_to_alphabeta(x))`` returns
``x`` minus its mean.

The column functions (:func:`clarke`, :func:`inverse_clarke`, :func:`park`, :func:`inverse_park`,
:func:`frame_average`) take and return the components separately (arrays or scalars), the form motor equations use.
The array functions work on arrays whose *last* axis holds the components (3 for abc, 2 for
αβ/dq); the leading axes (usually ``(num_envs,)``) are kept. Angles have the leading shape.
"""

from __future__ import annotations

import numpy as np

SQRT3 = float(np.sqrt(3.0))
T23 = (2.0 / 3.0) * np.array([[1.0, -0.5, -0.5], [0.0, SQRT3 / 2, -SQRT3 / 2]])
"""Clarke matrix ``(2, 3)``: αβ from abc (amplitude invariant)."""
T32 = np.array([[1.0, 0.0], [-0.5, SQRT3 / 2], [-0.5, -SQRT3 / 2]])
"""Inverse Clarke matrix ``(3, 2)``: abc (zero sum) from αβ."""


def clarke(a, b, c):
    """Column form of ``T23``: ``(alpha, beta)`` from the phase quantities ``a, b, c``."""
    return (2.0 * a - b - c) * (1.0 / 3.0), (b - c) * (1.0 / SQRT3)


def inverse_clarke(alpha, beta):
    """Column form of ``T32``: ``(a, b, c)`` (zero sum) from ``alpha, beta``."""
    half_beta = (0.5 * SQRT3) * beta
    return alpha, -0.5 * alpha + half_beta, -0.5 * alpha - half_beta


def park(alpha, beta, epsilon):
    """Column form of ``Q(-ε)``: ``(d, q)`` from ``alpha, beta`` at the electrical angle ``epsilon``."""
    cos, sin = np.cos(epsilon), np.sin(epsilon)
    return cos * alpha + sin * beta, cos * beta - sin * alpha


def inverse_park(d, q, epsilon):
    """Column form of ``Q(ε)``: ``(alpha, beta)`` from ``d, q`` at the electrical angle ``epsilon``."""
    cos, sin = np.cos(epsilon), np.sin(epsilon)
    return cos * d - sin * q, sin * d + cos * q


def frame_average(alpha, beta, angle0, d_angle):
    """Period average of a stator-frame vector held constant, seen from a frame that turns uniformly.

    Column form. The frame turns from ``angle0`` by ``d_angle`` (rad, ``|d_angle| < π``) during the
    period; the average of ``Q(-angle) (alpha, beta)`` over the arc is the vector at the mid-period
    angle, shortened by the averaging::

        sinc(d_angle / 2) · Q(-(angle0 + d_angle/2)) · (alpha, beta)       sinc(x) = sin(x) / x

    For ``d_angle → 0`` this is the plain Park transform at ``angle0``.
    """
    half = 0.5 * d_angle
    d, q = park(alpha, beta, angle0 + half)
    shrink = np.sinc(half * (1.0 / np.pi))          # np.sinc(x) = sin(πx)/(πx)
    return d * shrink, q * shrink


def _columns(x: np.ndarray, n: int) -> tuple:
    x = np.asarray(x, dtype=float)
    if x.shape[-1] != n:
        raise ValueError(f"expected {n} components on the last axis, got shape {x.shape}")
    return tuple(x[..., k] for k in range(n))


def abc_to_alphabeta(abc: np.ndarray) -> np.ndarray:
    """Clarke transform ``T23 · abc`` on the last axis: ``(..., 3)`` → ``(..., 2)``; zero sequence dropped."""
    return np.stack(clarke(*_columns(abc, 3)), axis=-1)


def alphabeta_to_abc(alphabeta: np.ndarray) -> np.ndarray:
    """Inverse Clarke transform ``T32 · αβ``: ``(..., 2)`` → ``(..., 3)`` with zero sum."""
    return np.stack(inverse_clarke(*_columns(alphabeta, 2)), axis=-1)


def alphabeta_to_dq(alphabeta: np.ndarray, epsilon: np.ndarray) -> np.ndarray:
    """Park transform ``Q(-ε) · αβ`` (stator to rotor frame); ``epsilon`` electrical, shape ``(...)``."""
    return np.stack(park(*_columns(alphabeta, 2), np.asarray(epsilon, dtype=float)), axis=-1)


def dq_to_alphabeta(dq: np.ndarray, epsilon: np.ndarray) -> np.ndarray:
    """Inverse Park transform ``Q(ε) · dq`` (rotor to stator frame)."""
    return np.stack(inverse_park(*_columns(dq, 2), np.asarray(epsilon, dtype=float)), axis=-1)


def abc_to_dq(abc: np.ndarray, epsilon: np.ndarray) -> np.ndarray:
    """``Q(-ε) · T23 · abc``: ``(..., 3)`` → ``(..., 2)``."""
    return alphabeta_to_dq(abc_to_alphabeta(abc), epsilon)


def dq_to_abc(dq: np.ndarray, epsilon: np.ndarray) -> np.ndarray:
    """``T32 · Q(ε) · dq``: ``(..., 2)`` → ``(..., 3)`` with zero sum."""
    return alphabeta_to_abc(dq_to_alphabeta(dq, epsilon))
