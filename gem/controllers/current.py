"""Current control of DC windings, and the speed and torque stages shared by all motors.

Each stage is a callable on :class:`~gem.controllers.signals.Signals` that adds its output
signals, with ``reset(mask)`` for its integrators:

* :class:`SpeedController`: ``omega_ref`` → ``torque_ref`` (PI, limited to the reachable torque).
* :class:`TorqueToCurrent`: ``torque_ref`` → ``<current>_ref`` (the motor family's conversion).
* :class:`CurrentController`: ``<current>_ref`` → ``u_cmd`` (one PI per R-L loop, EMF feed-forward,
  limited to the converter's voltage range).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from gem.controllers.dc import CurrentLoop
from gem.controllers.pi import PIController, clip
from gem.controllers.signals import Signals
from gem.controllers.tuning import PIGains


class CurrentController:
    """PI current loops with back-EMF feed-forward, one per converter output: ``u = kp e + integral + EMF``.

    Args:
        loops: The R-L loops, e.g. from :class:`~gem.controllers.dc.DcControl`.
        gains: Gains with one column per loop (``(n_loops,)`` or ``(num_envs, n_loops)``).
        tau: Control period (s).
        outputs: Converter output index of each loop.
        n_out: Number of converter outputs.
        voltage_range: ``u_sup (batch,) → (low, high)`` output voltages ``(batch, n_out)``.
        defaults: ``Signals → {current: reference}`` for loops without a reference signal.
        anti_windup: See :class:`~gem.controllers.pi.PIController`.
        residual: ``batch → (batch, n_out)`` voltage the modulator has withheld so far (per unit of
            ``u_sup``, in periods; see :meth:`~gem.controllers.modulation.DeltaSigmaModulator.residual`)
            or ``None``; the loops feed back the current corrected by it.
        band: Integration band per loop in A (see :class:`~gem.controllers.pi.PIController`).
    """

    def __init__(self, loops: Sequence[CurrentLoop], gains: PIGains, tau: float, outputs: Sequence[int],
                 n_out: int, voltage_range: Callable, defaults: Callable[[Signals], dict] | None = None,
                 anti_windup: str = "clamping", residual: Callable[[int], np.ndarray | None] | None = None,
                 band: np.ndarray | None = None):
        self.loops = tuple(loops)
        self.tau = tau
        self.residual = residual
        self.inductance = np.stack(np.broadcast_arrays(*[np.asarray(lp.inductance, float) for lp in loops]), axis=-1)
        self.gains = gains
        self.pi = PIController(gains.kp, gains.ki, tau, anti_windup=anti_windup, band=band)
        self.outputs = np.asarray(outputs, dtype=np.int64)
        self.n_out = n_out
        self.voltage_range = voltage_range
        self.defaults = defaults
        self.torque_saturation: np.ndarray | None = None
        """Per environment: +1 (-1) where the torque-producing loop (the first) was voltage-limited
        upwards (downwards) in the last step, else 0; read by the speed controller's anti-windup."""

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Clears the integrators where ``mask`` is true (all if ``None``)."""
        self.pi.reset(mask)

    def __call__(self, sig: Signals) -> None:
        """Sets ``u_cmd`` ``(batch, n_out)`` in V."""
        missing = [lp.current for lp in self.loops if f"{lp.current}_ref" not in sig]
        if missing and self.defaults is not None:
            fill = self.defaults(sig)
            sig.update({f"{name}_ref": fill[name] for name in missing if name in fill})
        ref = np.stack([sig[f"{lp.current}_ref"] for lp in self.loops], axis=1)
        meas = np.stack([sig[lp.current] for lp in self.loops], axis=1)
        withheld = None if self.residual is None else self.residual(meas.shape[0])
        if withheld is not None:
            meas = meas + withheld[:, self.outputs] * (sig["u_sup"] * self.tau)[:, None] / self.inductance
        emf = np.stack([lp.emf(sig) for lp in self.loops], axis=1)
        low, high = self.voltage_range(sig["u_sup"])
        err = ref - meas
        u_free = self.pi.output(err, emf)
        u = clip(u_free, low[:, self.outputs], high[:, self.outputs])
        self.pi.update(err, u_free, u)
        self.torque_saturation = np.sign(u_free[:, 0] - u[:, 0])
        u_cmd = np.zeros((u.shape[0], self.n_out))
        u_cmd[:, self.outputs] = u
        sig["u_cmd"] = u_cmd


class SpeedController:
    """PI speed controller: ``omega_ref`` → ``torque_ref`` within the reachable torque.

    With ``prefilter``, the reference first passes a first-order lag with that time constant, and
    with ``inertia`` the torque that accelerates the inertia along the filtered reference,
    ``J dω_f/dt``, is fed forward (torque precontrol); the PI then only corrects what the
    precontrol misses (load torque, the current loop's lag). See :mod:`~gem.controllers.tuning`
    for the choice of the time constant. At an episode start the lag starts from the measured
    speed, so a reference away from the start speed is approached, not stepped to.

    Args:
        gains: Speed-loop gains (N·m per rad/s).
        tau: Control period (s).
        torque_range: ``Signals → (low, high)`` reachable torque now (N·m), for the output limits.
        anti_windup: See :class:`~gem.controllers.pi.PIController`.
        inner: The current stage; its ``torque_saturation`` (the torque cannot follow upwards or
            downwards because the voltage is at its limit) holds the speed integrator.
        prefilter: Time constant of the reference prefilter in s (scalar or per environment;
            ``None``: no prefilter).
        inertia: Total inertia in kg m² for the torque precontrol (scalar or per environment;
            ``None``: none). Needs ``prefilter``: the slope of an unfiltered random-walk reference
            would be noise.
    """

    def __init__(self, gains: PIGains, tau: float, torque_range: Callable, anti_windup: str = "clamping",
                 inner: object | None = None, prefilter: np.ndarray | float | None = None,
                 inertia: np.ndarray | float | None = None):
        if inertia is not None and prefilter is None:
            raise ValueError("the torque precontrol (inertia=) needs a prefilter time constant (prefilter=)")
        self.pi = PIController(np.reshape(gains.kp, (-1, 1)), np.reshape(gains.ki, (-1, 1)), tau,
                               anti_windup=anti_windup)
        self.tau = tau
        self.torque_range = torque_range
        self.inner = inner
        self.share = None if prefilter is None else -np.expm1(-tau / np.asarray(prefilter, dtype=float))
        """Share of the reference change the prefilter passes per period, ``1 - exp(-tau / T_f)``."""
        self.inertia = None if inertia is None else np.asarray(inertia, dtype=float)
        self.filtered: np.ndarray | None = None
        self.fresh: np.ndarray | None = None

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Clears the integrator and restarts the prefilter where ``mask`` is true (all if ``None``)."""
        self.pi.reset(mask)
        if self.fresh is not None:
            self.fresh[slice(None) if mask is None else np.asarray(mask, bool)] = True

    def reference(self, sig: Signals) -> tuple[np.ndarray, np.ndarray]:
        """The speed reference after the prefilter and its change in this period (rad/s).

        The prefilter advances one period; without a prefilter the change is 0.
        """
        if self.share is None:
            return sig["omega_ref"], np.zeros(sig.batch)
        omega = sig["omega"]
        if self.filtered is None or self.filtered.shape != omega.shape:
            self.filtered, self.fresh = omega.copy(), np.zeros(omega.shape, bool)
        start = np.where(self.fresh, omega, self.filtered)
        self.fresh[:] = False
        change = self.share * (sig["omega_ref"] - start)
        self.filtered = start + change
        return self.filtered, change

    def __call__(self, sig: Signals) -> None:
        """Sets ``omega_ref_filtered`` (rad/s), ``torque_precontrol`` and ``torque_ref`` (N·m)."""
        low, high = self.torque_range(sig)
        sig["omega_ref_filtered"], change = self.reference(sig)
        sig["torque_precontrol"] = np.zeros(sig.batch) if self.inertia is None else self.inertia * change / self.tau
        err = (sig["omega_ref_filtered"] - sig["omega"])[:, None]
        hold = getattr(self.inner, "torque_saturation", None)
        if hold is not None and hold.shape[0] != err.shape[0]:
            hold = None
        hold = None if hold is None else hold[:, None]
        sig["torque_ref"] = self.pi(err, sig["torque_precontrol"][:, None], low[:, None], high[:, None], hold)[:, 0]


class TorqueToCurrent:
    """Stateless stage: ``torque_ref`` → current references by the motor family's rule.

    Args:
        convert: ``(Signals, torque) → {current: reference}``.
        on_reset: ``reset(mask)`` of a conversion with a state (the induction motors' flux loop), or ``None``.
    """

    def __init__(self, convert: Callable[[Signals, np.ndarray], dict],
                 on_reset: Callable[[np.ndarray | None], None] | None = None):
        self.convert = convert
        self.on_reset = on_reset

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Resets the conversion's state, if it has one."""
        if self.on_reset is not None:
            self.on_reset(mask)

    def __call__(self, sig: Signals) -> None:
        """Sets ``<current>_ref`` for every current the conversion returns."""
        refs = self.convert(sig, sig["torque_ref"])
        sig.update({f"{name}_ref": value for name, value in refs.items()})
