r"""Random set-points reached by jerk- and acceleration-limited moves: the default speed reference.

A drive engineer tests a speed loop with set-point changes passed through a ramp-function generator
with rounding: the speed reference accelerates at a bounded rate and changes its acceleration at a
bounded rate (an *S-curve*), so that the torque it asks for is bounded and changes no faster than
the current loop can follow. :class:`SCurveReference` draws such set-points at random.

A move of distance ``d`` from rest to rest is the shortest one with ``|r'| <= A`` and
``|r''| <= J``: the rate of change rises at ``J`` for ``t_r`` to its peak ``v_p``, stays there for
``t_c`` and falls at ``J`` for ``t_r``; the move lasts ``2 t_r + t_c``::

    t_r = min(A / J, sqrt(d / J))        v_p = J t_r <= A        t_c = d / v_p - t_r
    distance after s:   J s² / 2                      (s < t_r)
                        v_p (s - t_r / 2)             (s < t_r + t_c)
                        d - J (2 t_r + t_c - s)² / 2  (until the end)

For a speed reference, ``r'`` is the angular acceleration and ``r''`` the jerk, the torque slope
over the inertia: the torque a move asks for is a trapezoid, continuous, with bounded slope. A
drive that cannot brake electrically only coasts down, as fast as its load brakes it: a move
towards a lower set-point ``r`` then uses at most the deceleration ``b0 + b1 r + b2 r²`` the load
gives at that set-point (``braking``; the load brakes harder at every speed above it).

Default bounds of a speed reference (:func:`speed_bounds`): the acceleration the nominal torque
gives the total inertia, ``A = T_n / J_total`` (for a motor that cannot brake electrically, at most
what the load's torque gives, averaged over the speed range, and the load's braking per move), and
the torque slope ``J_total · J = T_n / t_rise`` with ``t_rise =`` :data:`TORQUE_RISE_TIME`, which the
current loops follow (see its docstring).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from gem.envs.references import ReferenceGenerator, clip
from gem.physical_systems.loads import PolynomialStaticLoad

NO_BRAKING_LIMIT = (np.inf, 0.0, 0.0)
"""``braking`` of a drive that brakes as fast as it accelerates."""
TORQUE_RISE_TIME = 0.02
"""Shortest time (s) in which a default speed reference asks for the nominal torque from zero.

The closed current loop of the PI cascade lags by ``2 tau`` (technical optimum; 0.2 ms for the
averaged converters, at most 0.04 ms for the switching ones), so a torque ramp of ``T_n`` per
20 ms is followed with a lag of at most 1 % of the nominal torque; the voltage the inductance of the
torque-producing winding needs for this current slope (``L · ΔI_n / 20 ms``) is at most a quarter of
the supply on every registered motor (SeriesDc: ``5.4 mH · 97 A / 2 / 20 ms ≈ 13 V`` of 60 V).
"""


@dataclass(frozen=True, kw_only=True)
class SCurveReference(ReferenceGenerator):
    """Random set-points in ``[low, high]`` reached by S-curve moves (module docstring).

    Each episode starts at rest, at ``start`` or at a value uniform in the range. At rest, a move
    to a new set-point (uniform in the range) starts with probability ``tau / hold_mean`` per step,
    so the rests last ``hold_mean`` on average (exponentially distributed); a move runs to its end
    before the next one is drawn. The value stays inside the range, its rate of change within ``acceleration`` and
    the change of that rate within ``jerk``, in discrete time as well.

    Draws: one uniform per episode start; two standard normals per step, combined into one
    uniform ``exp(-(z1² + z2²) / 2)`` that decides both whether a move starts and (rescaled) where
    it goes.

    Attributes:
        acceleration: Largest ``|dr/dt|`` of the normalised reference (1/s; for a speed reference
            the angular acceleration over the speed limit). ``None``: the task fills in the
            drive's bound (:func:`speed_bounds`; speed references only).
        jerk: Largest ``|d²r/dt²|`` (1/s²; for speed, the jerk over the speed limit, i.e. the
            torque slope over ``J_total`` and the limit). ``None``: filled in like ``acceleration``.
        hold_mean: Mean time at rest between moves (s).
        start: Normalised value of every episode start, clipped to the range (``None``: uniform
            in the range, like the other generators). ``0.0`` starts a speed reference where the
            drive starts by default (every episode then begins alike, at rest).
        braking: ``(b0, b1, b2)``: a move down to the set-point ``r`` decelerates at most at
            ``b0 + b1 |r| + b2 r²`` (1/s², normalised); :data:`NO_BRAKING_LIMIT` by default. The task
            fills in the load's for a motor that cannot brake (:func:`braking_limit`).
    """

    acceleration: float | None = None
    jerk: float | None = None
    hold_mean: float = 0.1
    start: float | None = None
    braking: tuple[float, float, float] = NO_BRAKING_LIMIT

    rows = ("value", "t", "origin", "target", "since", "t_ramp", "t_const")
    start_draws: ClassVar[int] = 1
    step_draws: ClassVar[int] = 2

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.start is not None and not (isinstance(self.start, (int, float, np.number)) and np.isfinite(self.start)):
            raise ValueError(f"SCurveReference: start must be a finite number or None, got {self.start!r}")
        braking = tuple(self.braking)
        if len(braking) != 3 or not all(isinstance(b, (int, float, np.number)) and b >= 0 for b in braking):
            raise ValueError(f"SCurveReference: braking must be three numbers >= 0, got {self.braking!r}")
        object.__setattr__(self, "braking", tuple(float(b) for b in braking))
        for name in ("acceleration", "jerk", "hold_mean"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float, np.number)) and np.isfinite(value)
                                          and value > 0):
                raise ValueError(f"SCurveReference: {name} must be a finite number > 0, got {value!r}")

    # ------------------------------------------------------------------ column methods
    @property
    def start_value(self) -> float:
        """:attr:`start`, NaN for ``None`` (the column methods read numbers only)."""
        return np.nan if self.start is None else float(self.start)

    def start_columns(self, uniforms):
        """At rest at :attr:`start` (clipped to the range) or at a value uniform in the range."""
        value = np.where(np.isnan(self.start_value), self.low + (self.high - self.low) * uniforms[0],
                         clip(self.start_value, self.low, self.high))
        return value, 0.0, value, value, 0.0, 0.0, 0.0

    def advance_columns(self, rows, normals, tau):
        """One period later: maybe a new move (from a rest), then the value on the current move."""
        value, t, origin, target, since, t_ramp, t_const = rows
        since = since + tau
        u = np.exp(-0.5 * (normals[0] * normals[0] + normals[1] * normals[1]))     # uniform in (0, 1]
        p = np.minimum(tau / self.hold_mean, 1.0)
        start = (since >= 2.0 * t_ramp + t_const) & (u < p)
        new = self.low + (self.high - self.low) * (u / p)
        braking = self.braking[0] + self.braking[1] * np.abs(new) + self.braking[2] * new * new
        rate = np.where(new < target, np.minimum(self.acceleration, braking), self.acceleration)
        new_ramp, new_const = scurve_timing(np.abs(new - target), rate, self.jerk)
        origin = np.where(start, target, origin)
        target = np.where(start, new, target)
        since = np.where(start, 0.0, since)
        t_ramp = np.where(start, new_ramp, t_ramp)
        t_const = np.where(start, new_const, t_const)
        moved = np.sign(target - origin) * scurve_distance(since, t_ramp, t_const, self.jerk)
        value = np.where(since >= 2.0 * t_ramp + t_const, target, origin + moved)
        return value, t + tau, origin, target, since, t_ramp, t_const


def scurve_timing(distance, acceleration, jerk):
    """``(t_r, t_c)`` of the shortest rest-to-rest move of ``distance`` with the rate at most ``acceleration``."""
    t_ramp = np.minimum(acceleration / jerk, np.sqrt(distance / jerk))
    t_const = np.maximum(distance / np.maximum(jerk * t_ramp, 1e-300) - t_ramp, 0.0)
    return t_ramp, t_const


def scurve_distance(s, t_ramp, t_const, jerk):
    """Distance travelled ``s`` seconds into the move ``(t_r, t_c)`` (its full length after the end)."""
    end = 2.0 * t_ramp + t_const
    s = np.minimum(np.maximum(s, 0.0), end)
    rate = jerk * t_ramp
    left = end - s
    return np.where(s < t_ramp, 0.5 * jerk * s * s,
                    np.where(s < t_ramp + t_const, rate * (s - 0.5 * t_ramp),
                             rate * (t_ramp + t_const) - 0.5 * jerk * left * left))


def speed_bounds(drive: Any, low: float, high: float, rise_time: float = TORQUE_RISE_TIME) -> tuple[float, float]:
    """Normalised acceleration and jerk bounds of a speed reference in ``[low, high]`` the drive can follow.

    ``A = T / (J_total ω_limit)`` with ``T`` the nominal torque, or, for a motor that cannot brake
    electrically (torque among its ``nonnegative_states``: the series and shunt motors), the
    smaller of that and the load torque averaged over the speed range (only the load brakes
    such a drive; a load without torque leaves the nominal torque, and the reference then
    decelerates faster than the drive can); ``J = A / rise_time``. With per-environment
    parameters, the smallest bounds.

    Args:
        drive: The :class:`~gem.physical_systems.DriveSystem`.
        low: Lower end of the normalised speed range.
        high: Upper end of the normalised speed range.
        rise_time: Shortest time (s) in which the reference asks for the torque ``T`` from zero.
    """
    motor, load = drive.motor, drive.load
    limit = np.asarray(motor.limits["omega"], float)
    torque = np.asarray(motor.nominal["torque"], float)
    if "torque" in motor.nonnegative_states and not load.prescribed:
        speeds = np.linspace(low, high, 33)[:, None] * limit
        braking = np.mean(np.abs(load.load_torque(speeds, drive.j_total)), axis=0)
        torque = np.where(braking > 0, np.minimum(torque, braking), torque)
    acceleration = float(np.min(torque / (np.asarray(drive.j_total, float) * limit)))
    return acceleration, acceleration / rise_time


def braking_limit(drive: Any) -> tuple[float, float, float]:
    """``braking`` of a speed reference for ``drive``: its load's, if its motor cannot brake.

    For a motor whose torque is among its ``nonnegative_states`` on a
    :class:`~gem.physical_systems.PolynomialStaticLoad` ``T_L = a + b ω + c ω²`` (``ω > 0``), the
    deceleration ``T_L / J_total`` in normalised units; otherwise :data:`NO_BRAKING_LIMIT`.
    With per-environment parameters, the smallest coefficients.
    """
    motor, load = drive.motor, drive.load
    if "torque" not in motor.nonnegative_states or not isinstance(load, PolynomialStaticLoad):
        return NO_BRAKING_LIMIT
    limit, inertia = np.asarray(motor.limits["omega"], float), np.asarray(drive.j_total, float)
    coefficients = (load.a / (inertia * limit), load.b / inertia, load.c * limit / inertia)
    return tuple(float(np.min(c)) for c in coefficients)


def with_drive_bounds(gen: ReferenceGenerator, drive: Any) -> ReferenceGenerator:
    """``gen`` with the drive's bounds filled into every :class:`SCurveReference` that leaves them ``None``.

    The bounds are :func:`speed_bounds` and, unless ``braking`` is set, :func:`braking_limit`.

    Raises:
        ValueError: For an S-curve reference without bounds on a state other than the speed.
    """
    subs = getattr(gen, "generators", None)
    if subs:
        return replace(gen, generators=tuple(with_drive_bounds(g, drive) for g in subs))
    if not isinstance(gen, SCurveReference) or (gen.acceleration is not None and gen.jerk is not None):
        return gen
    if gen.state != "omega":
        raise ValueError(f"SCurveReference on {gen.state!r} needs acceleration= and jerk= (the drive gives "
                         "bounds for speed references only)")
    acceleration, jerk = speed_bounds(drive, gen.low, gen.high)
    braking = braking_limit(drive) if gen.braking == NO_BRAKING_LIMIT else gen.braking
    return replace(gen, acceleration=gen.acceleration or acceleration, jerk=gen.jerk or jerk, braking=braking)
