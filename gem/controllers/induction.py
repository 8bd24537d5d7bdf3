r"""Rotor-flux oriented control of the induction motors (SCIM, DFIM): flux observer, flux loop, torque → currents.

**Flux observer** (:class:`RotorFluxObserver`, the current model GEM's ``FluxObserver`` uses). The
rotor flux is estimated from the measured stator currents and speed with the rotor equation
(stator frame, complex, ``a = r_r / l_r``)::

    dψ_r/dt = -(a - j ω_el) ψ_r + a l_m i_s          (rotor bridge at zero voltage)

integrated exactly over each control period for a current that changes linearly between the two
measurements (the mean current drives the period; the rotation ``exp(j ω_el τ)`` is exact). With
exact parameters it reproduces the simulated flux. It starts every episode from zero flux (the
motors' default initial state), or, where the environment observes its flux (``flux_observer=True``:
``psi_abs, psi_angle``), from the observed flux; it never reads the flux afterwards.
The DFIM is controlled with its rotor bridge at zero voltage (a short-circuited rotor: it runs as
a squirrel-cage machine), so the same observer applies.

**Current loops.** In the flux frame (angle θ of ψ_r, speed ``ω_s = ω_el + a l_m i_sq / |ψ_r|``)::

    σ l_s di_sd/dt = u_sd - R' i_sd + ω_s σ l_s i_sq + a (l_m / l_r) |ψ_r|
    σ l_s di_sq/dt = u_sq - R' i_sq - ω_s σ l_s i_sd - ω_el (l_m / l_r) |ψ_r|       R' = r_s + a l_m² / l_r

two R-L loops (``σ l_s``, ``R'``) with the bracketed terms fed forward
(:class:`~gem.controllers.foc.DqCurrentController` with :class:`InductionPlant`).

**Flux loop and torque.** ``|ψ_r|`` follows ``i_sd`` with the rotor time constant
``τ_r = l_r / r_r``: ``τ_r d|ψ_r|/dt = l_m i_sd - |ψ_r|``. A PI (technical optimum on that lag with
the small time constant :data:`FLUX_LAG` ``τ_r``) sets ``i_sd`` for the flux reference
``ψ*``, ``ψ_nom = l_m i_nom / √2``
(the flux of GEM's torque rating); above base speed ``ψ*`` leaves the stator voltage room for the
largest ``i_sq`` (:meth:`InductionOperatingPoint.flux_reference`). The torque
``T = 1.5 p (l_m / l_r) |ψ_r| i_sq`` gives ``i_sq``
from the estimated flux, within the current circle after ``i_sd``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gem.controllers.operating_point import SQRT3
from gem.controllers.pi import PIController, clip
from gem.controllers.signals import Signals
from gem.controllers.tuning import technical_optimum
from gem.physical_systems.transforms import clarke, park

FLUX_LAG = 0.1
"""The flux loop is tuned for a small time constant of this share of the rotor time constant (a closed
loop of about ``τ_r / 5``): faster would only ask for ``i_sd`` swings the current circle and the
voltage cannot provide."""
FLUX_FLOOR = 0.05
"""Below this share of the nominal flux, the slip and torque computations use the share (the flux
direction is still the observer's)."""


class RotorFluxObserver:
    """Current-model rotor-flux estimate of an induction motor (module docstring); a cascade stage.

    Sets ``psi_r`` (``|ψ_r|``, Wb), ``psi_r_angle`` (θ, rad), ``omega_frame`` (ω_s, rad/s),
    ``i_sd_frame``, ``i_sq_frame`` (stator current in the estimated flux frame, A).

    Args:
        motor: The induction motor (``p, l_m, l_sigr, r_r``).
        tau: Control period (s).
        psi_nominal: Nominal flux (Wb), for :data:`FLUX_FLOOR`.
    """

    def __init__(self, motor: Any, tau: float, psi_nominal: np.ndarray | float):
        self.p, self.l_m, self.tau = motor.p, motor.l_m, float(tau)
        self.l_r = motor.l_m + motor.l_sigr
        self.a = motor.r_r / self.l_r
        self.psi_floor = FLUX_FLOOR * np.asarray(psi_nominal, float)
        self.psi: np.ndarray | None = None          # (batch,) complex, stator frame
        self.last: tuple[np.ndarray, np.ndarray] | None = None

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Zero flux (the motor's default initial state) and no previous measurement where ``mask``."""
        if self.psi is None:
            return
        rows = slice(None) if mask is None else np.asarray(mask, bool)
        self.psi[rows] = 0.0
        self.fresh[rows] = True

    def __call__(self, sig: Signals) -> None:
        """Advances the estimate to this measurement and sets the flux signals."""
        i_alpha, i_beta = clarke(sig["i_sa"], sig["i_sb"], sig["i_sc"])
        i_s = i_alpha + 1j * i_beta
        omega_el = self.p * sig["omega"]
        if self.psi is None or self.psi.shape[0] != i_s.shape[0]:
            self.psi = np.zeros(i_s.shape[0], complex)
            self.fresh = np.ones(i_s.shape[0], bool)
            self.last = (i_s, omega_el)
        if "psi_abs" in sig and "psi_angle" in sig:       # the environment's flux observer: start from it
            self.psi = np.where(self.fresh, sig["psi_abs"] * np.exp(1j * sig["psi_angle"]), self.psi)
        i_prev, w_prev = self.last
        i_prev = np.where(self.fresh, i_s, i_prev)
        w_mean = np.where(self.fresh, omega_el, 0.5 * (omega_el + w_prev))
        pole = -self.a + 1j * w_mean
        decay = np.exp(pole * self.tau)
        gain = (decay - 1.0) / pole                                  # ∫_0^τ exp(pole s) ds
        moved = decay * self.psi + gain * self.a * self.l_m * 0.5 * (i_prev + i_s)
        self.psi = np.where(self.fresh, self.psi, moved)
        self.fresh[:] = False
        self.last = (i_s, omega_el)
        magnitude, angle = np.abs(self.psi), np.angle(self.psi)
        i_sd, i_sq = park(i_s.real, i_s.imag, angle)
        slip = self.a * self.l_m * i_sq / np.maximum(magnitude, self.psi_floor)
        sig.update(psi_r=magnitude, psi_r_angle=angle, omega_frame=omega_el + slip, i_sd_frame=i_sd,
                   i_sq_frame=i_sq)


class InductionPlant:
    """The flux-frame current plant of :class:`~gem.controllers.foc.DqCurrentController` (module docstring).

    Args:
        motor: SCIM or DFIM.
    """

    def __init__(self, motor: Any):
        self.p, self.l_m = motor.p, motor.l_m
        l_s, l_r = motor.l_m + motor.l_sigs, motor.l_m + motor.l_sigr
        self.ratio, self.a = motor.l_m / l_r, motor.r_r / l_r
        self.sigma_ls = l_s - motor.l_m * self.ratio
        self.inductances = (self.sigma_ls, self.sigma_ls)
        self.resistance = motor.r_s + self.a * motor.l_m * self.ratio

    def frame(self, sig: Signals) -> tuple[np.ndarray, np.ndarray]:
        """The estimated flux angle and its speed (rad, rad/s)."""
        return sig["psi_r_angle"], sig["omega_frame"]

    def currents(self, sig: Signals, angle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The stator current in the estimated flux frame (A)."""
        return sig["i_sd_frame"], sig["i_sq_frame"]

    def feedforward(self, sig: Signals, i_sd: np.ndarray, i_sq: np.ndarray, omega_frame: np.ndarray) -> np.ndarray:
        """Rotational and flux terms of the flux-frame equations, ``(batch, 2)`` (V)."""
        psi = sig["psi_r"]
        return np.stack([-omega_frame * self.sigma_ls * i_sq - self.a * self.ratio * psi,
                         omega_frame * self.sigma_ls * i_sd + self.p * sig["omega"] * self.ratio * psi], axis=1)


class InductionOperatingPoint:
    """Torque → ``i_sd`` (flux loop) and ``i_sq``; the flux PI is reset like a stage (module docstring).

    Args:
        motor: SCIM or DFIM.
        i_max: Largest current amplitude (A).
        t_e: Time constant of the closed current loop (s), the least small time constant of the flux loop.
        tau: Control period (s).
        i_nominal: Nominal current (A), for the nominal flux.
        k_fw: Share of the voltage limit the flux may use in field weakening.
        anti_windup: See :class:`~gem.controllers.pi.PIController`.
    """

    def __init__(self, motor: Any, i_max: Any, t_e: Any, tau: float, i_nominal: Any, k_fw: float = 0.85,
                 anti_windup: str = "clamping"):
        self.p, self.l_m, self.r_s = motor.p, motor.l_m, motor.r_s
        l_r, l_s = motor.l_m + motor.l_sigr, motor.l_m + motor.l_sigs
        self.ratio = motor.l_m / l_r
        self.k_t = 1.5 * motor.p * self.ratio
        self.sigma_ls = l_s - motor.l_m * self.ratio
        self.resistance = motor.r_s + motor.r_r * self.ratio**2          # R' of the flux-frame loops
        self.stator_ratio = l_s / motor.l_m                    # |ψ_s,d| = (l_s / l_m) |ψ_r| in steady state
        self.i_max = np.asarray(i_max, float)
        self.psi_nominal = motor.l_m * np.asarray(i_nominal, float) / np.sqrt(2.0)
        self.k_fw = k_fw
        t_r = l_r / motor.r_r                              # flux plant l_m / (1 + s t_r)
        gains = technical_optimum(t_r / motor.l_m, 1.0 / motor.l_m, np.maximum(t_e, FLUX_LAG * t_r))
        self.flux_pi = PIController(np.reshape(gains.kp, (-1, 1)), np.reshape(gains.ki, (-1, 1)), tau,
                                    anti_windup=anti_windup)

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Clears the flux integrator where ``mask`` is true (all if ``None``)."""
        self.flux_pi.reset(mask)

    def voltage(self, sig: Signals) -> tuple[np.ndarray, np.ndarray]:
        """``(k_fw u_sup / √3, |ω_s|)``: the voltage the flux-frame equations may use, and the frame speed."""
        return self.k_fw * sig["u_sup"] / SQRT3, np.maximum(np.abs(sig["omega_frame"]), 1e-9)

    def flux_reference(self, sig: Signals) -> np.ndarray:
        """``ψ*`` (Wb): the nominal flux, or less where the steady state at full current would need more voltage.

        In steady state ``u_s = r_s i_s + j ω_s ψ_s`` with ``ψ_s = ((l_s / l_m) |ψ_r|, σ l_s i_sq)`` in the
        flux frame; with ``i_sq = i_max`` and ``|u_s| <= k_fw u_sup / √3`` this bounds ``|ψ_r|``.
        """
        u_max, omega_s = self.voltage(sig)
        d_axis = omega_s * self.sigma_ls * self.i_max
        room = np.sqrt(np.maximum(u_max**2 - d_axis**2, 0.0)) - self.r_s * self.i_max
        return np.minimum(self.psi_nominal, np.maximum(room, 0.0) / (omega_s * self.stator_ratio))

    def current_references(self, sig: Signals, torque: np.ndarray) -> dict[str, np.ndarray]:
        """``{"i_sd", "i_sq"}`` (A): the flux loop's ``i_sd``, then ``i_sq`` for ``torque`` in what is left.

        ``i_sd`` also stays below what leaves the q axis its voltage while the flux changes,
        ``R' |i_sq| + |ω_s| σ l_s i_sd + |ω_el| (l_m / l_r) |ψ_r| <= k_fw u_sup / √3``, and inside the
        current circle with the *present* ``i_sq`` (which follows its own reference only as fast as
        the voltage allows).
        """
        psi_ref = self.flux_reference(sig)
        u_max, omega_s = self.voltage(sig)
        q_room = u_max - self.resistance * np.abs(sig["i_sq_frame"]) \
            - np.abs(self.p * sig["omega"]) * self.ratio * sig["psi_r"]
        i_max = np.broadcast_to(self.i_max, psi_ref.shape)
        i_sd_circle = np.sqrt(np.maximum(i_max**2 - sig["i_sq_frame"] ** 2, 0.0))       # with the present i_sq
        i_sd_high = clip(q_room / (omega_s * self.sigma_ls), 0.0, i_sd_circle)
        err = (psi_ref - sig["psi_r"])[:, None]
        i_sd = self.flux_pi(err, (psi_ref / self.l_m)[:, None], 0.0, i_sd_high[:, None])[:, 0]
        i_sq_max = np.sqrt(np.maximum(i_max**2 - i_sd**2, 0.0))
        psi = np.maximum(sig["psi_r"], FLUX_FLOOR * self.psi_nominal)
        return {"i_sd": i_sd, "i_sq": clip(torque / (self.k_t * psi), -i_sq_max, i_sq_max)}

    def torque_range(self, sig: Signals) -> tuple[np.ndarray, np.ndarray]:
        """``± T`` with the present flux and the current left after the flux's ``i_sd``."""
        psi = np.minimum(sig["psi_r"], self.flux_reference(sig))
        t = self.k_t * psi * np.sqrt(np.maximum(self.i_max**2 - (psi / self.l_m) ** 2, 0.0))
        return -t, t
