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

Every function works on arrays whose *last* axis holds the components (3 for abc, 2 for αβ/dq);
the leading axes (usually ``(num_envs,)``) are kept. Angles have the leading shape.
"""

from __future__ import annotations

import numpy as np

SQRT3 = float(np.sqrt(3.0))
T23 = (2.0 / 3.0) * np.array([[1.0, -0.5, -0.5], [0.0, SQRT3 / 2, -SQRT3 / 2]])
"""Clarke matrix ``(2, 3)``: αβ from abc (amplitude invariant)."""
T32 = np.array([[1.0, 0.0], [-0.5, SQRT3 / 2], [-0.5, -SQRT3 / 2]])
"""Inverse Clarke matrix ``(3, 2)``: abc (zero sum) from αβ."""


def abc_to_alphabeta(abc: np.ndarray) -> np.ndarray:
    """Clarke transform ``T23 · abc``.

    Args:
        abc: ``(..., 3)`` phase quantities.

    Returns:
        ``(..., 2)`` αβ components; the zero-sequence part of ``abc`` is dropped.
    """
    abc = np.asarray(abc, dtype=float)
    a, b, c = abc[..., 0], abc[..., 1], abc[..., 2]
    return np.stack(((2.0 * a - b - c) / 3.0, (b - c) / SQRT3), axis=-1)


def alphabeta_to_abc(alphabeta: np.ndarray) -> np.ndarray:
    """Inverse Clarke transform ``T32 · αβ``.

    Args:
        alphabeta: ``(..., 2)`` αβ components.

    Returns:
        ``(..., 3)`` phase quantities with zero sum.
    """
    alphabeta = np.asarray(alphabeta, dtype=float)
    alpha, beta = alphabeta[..., 0], alphabeta[..., 1]
    half_beta = 0.5 * SQRT3 * beta
    return np.stack((alpha, -0.5 * alpha + half_beta, -0.5 * alpha - half_beta), axis=-1)


def _rotate(xy: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """``Q(angle) · xy`` on the last axis."""
    xy = np.asarray(xy, dtype=float)
    cos, sin = np.cos(angle), np.sin(angle)
    x, y = xy[..., 0], xy[..., 1]
    return np.stack((cos * x - sin * y, sin * x + cos * y), axis=-1)


def alphabeta_to_dq(alphabeta: np.ndarray, epsilon: np.ndarray) -> np.ndarray:
    """Park transform ``Q(-ε) · αβ``: stator frame to the rotor frame.

    Args:
        alphabeta: ``(..., 2)`` αβ components.
        epsilon: Electrical rotor angle in rad, shape ``(...)`` (or broadcastable).

    Returns:
        ``(..., 2)`` dq components.
    """
    return _rotate(alphabeta, -np.asarray(epsilon, dtype=float))


def dq_to_alphabeta(dq: np.ndarray, epsilon: np.ndarray) -> np.ndarray:
    """Inverse Park transform ``Q(ε) · dq``: rotor frame to the stator frame.

    Args:
        dq: ``(..., 2)`` dq components.
        epsilon: Electrical rotor angle in rad, shape ``(...)`` (or broadcastable).

    Returns:
        ``(..., 2)`` αβ components.
    """
    return _rotate(dq, np.asarray(epsilon, dtype=float))


def abc_to_dq(abc: np.ndarray, epsilon: np.ndarray) -> np.ndarray:
    """``Q(-ε) · T23 · abc``.

    Args:
        abc: ``(..., 3)`` phase quantities.
        epsilon: Electrical rotor angle in rad, shape ``(...)``.

    Returns:
        ``(..., 2)`` dq components.
    """
    return alphabeta_to_dq(abc_to_alphabeta(abc), epsilon)


def dq_to_abc(dq: np.ndarray, epsilon: np.ndarray) -> np.ndarray:
    """``T32 · Q(ε) · dq``.

    Args:
        dq: ``(..., 2)`` dq components.
        epsilon: Electrical rotor angle in rad, shape ``(...)``.

    Returns:
        ``(..., 3)`` phase quantities with zero sum.
    """
    return alphabeta_to_abc(dq_to_alphabeta(dq, epsilon))
