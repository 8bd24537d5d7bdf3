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


def b6_actions(u_alpha, u_beta, u_sup):
    """Continuous B6 actions ``(a_a, a_b, a_c)`` in [-1, 1] for a stator-frame voltage vector.

    Column form (arrays or scalars): leg voltage ``a_x u_sup / 2``.

    Args:
        u_alpha: Voltage α component (V).
        u_beta: Voltage β component (V).
        u_sup: DC-link voltage (V).
    """
    u_a, u_b, u_c = inverse_clarke(u_alpha, u_beta)
    hi = np.maximum(np.maximum(u_a, u_b), u_c)
    lo = np.minimum(np.minimum(u_a, u_b), u_c)
    shift = 0.5 * (hi + lo)                       # min-max zero-sequence injection
    half = 0.5 * u_sup
    peak = 0.5 * (hi - lo)                        # largest |leg voltage| after the shift
    scale = half / np.maximum(peak, half)         # <= 1: shorten vectors outside the hexagon
    gain = scale / half
    return (u_a - shift) * gain, (u_b - shift) * gain, (u_c - shift) * gain


def dq_action_to_b6(a_d, a_q, epsilon, omega, pole_pairs, advance, scale, u_sup):
    """Continuous B6 actions ``(a_a, a_b, a_c)`` for a normalised rotor-frame action ``(a_d, a_q)``.

    Column form (the ``action_frame="dq"`` option): the action, clipped to [-1, 1] and scaled by
    ``scale`` (V), is rotated into the stator frame at the angle
    ``epsilon + advance · pole_pairs · omega`` (rad) and modulated onto the bridge (:func:`b6_actions`).
    ``advance`` (s) is the time from the measured angle to the middle of the period the voltage is
    applied in: ``tau/2``, or ``(k + 1/2) tau`` with a computation delay of ``k`` periods.
    """
    angle = epsilon + advance * pole_pairs * omega
    u_d = np.minimum(np.maximum(a_d, -1.0), 1.0) * scale
    u_q = np.minimum(np.maximum(a_q, -1.0), 1.0) * scale
    return b6_actions(*inverse_park(u_d, u_q, angle), u_sup)
