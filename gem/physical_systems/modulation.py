"""Voltage-vector modulation for the B6 bridge: from a stator-frame voltage vector to leg duty cycles.

Used by the ``action_frame="dq"`` option of the three-phase environments and by the field-oriented
controllers. The reference vector ``(u_alpha, u_beta)`` (V) is turned into leg-to-midpoint voltages
with min–max zero-sequence injection (equivalent to space-vector modulation), which reaches the
whole hexagon of the bridge; a vector outside the hexagon is shortened, keeping its direction, to
the hexagon boundary. The largest vector in every direction is ``u_sup / √3`` (inscribed circle)
and ``2/3 u_sup`` in the six switching directions.
"""

from __future__ import annotations

import numpy as np

from gem.physical_systems.transforms import inverse_clarke, inverse_park


def b6_leg_actions(u_alpha: np.ndarray, u_beta: np.ndarray, u_sup: np.ndarray) -> np.ndarray:
    """Continuous B6 actions ``a_x in [-1, 1]`` (leg voltage ``a_x u_sup / 2``) for a voltage vector.

    Args:
        u_alpha: Stator-frame voltage α component (V), ``(num_envs,)``.
        u_beta: Stator-frame voltage β component (V), ``(num_envs,)``.
        u_sup: DC-link voltage (V), ``(num_envs,)``.

    Returns:
        ``(num_envs, 3)`` leg actions.
    """
    phases = np.stack(inverse_clarke(u_alpha, u_beta), axis=-1)
    legs = phases - 0.5 * (phases.max(axis=-1, keepdims=True) + phases.min(axis=-1, keepdims=True))
    half = 0.5 * np.asarray(u_sup, dtype=float)[..., None]
    peak = np.abs(legs).max(axis=-1, keepdims=True)
    scale = np.minimum(1.0, np.divide(half, peak, out=np.ones_like(peak), where=peak > 0))
    return legs * scale / half


def dq_to_b6_actions(u_sd: np.ndarray, u_sq: np.ndarray, epsilon: np.ndarray,
                     u_sup: np.ndarray) -> np.ndarray:
    """Continuous B6 actions for a rotor-frame voltage ``(u_sd, u_sq)`` (V) at the angle ``epsilon``."""
    return b6_leg_actions(*inverse_park(u_sd, u_sq, epsilon), u_sup)
