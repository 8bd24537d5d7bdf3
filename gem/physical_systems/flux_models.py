"""Models that generate flux maps, and the ``saturation=`` keyword (:mod:`gem.physical_systems.saturation`).

:class:`AlgebraicSaturationModel` is the algebraic current map ``i(ψ)`` of Hinkkanen et al. (2017);
:meth:`~gem.physical_systems.saturation.FluxMap.from_model` inverts it on a grid (Newton's method,
NumPy, once). :func:`scaled_flux_map` builds the map ``saturation=True`` uses: that model with the
published coefficients of a 6.7 kW SynRM scaled to the motor's own ``l_d, l_q, psi_p`` and nominal
current (docs/components/saturation.rst states the numbers and their provenance).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from gem.physical_systems.saturation import FluxMap

HINKKANEN_6K7W = dict(a_d0=17.4, a_dd=373.0, S=5.0, a_q0=52.1, a_qq=658.0, T=1.0, a_dq=1120.0, U=1.0, V=0.0)
"""Coefficients (SI: A/Vs, A/(Vs)^(S+1), ...) of the 6.7 kW SynRM of Hinkkanen et al. (2017), as in
motulator's examples (``SaturationModelSyRM``); nominal 370 V, 15.5 A (rms), 105.8 Hz, 2 pole pairs."""
HINKKANEN_6K7W_CURRENT = float(np.sqrt(2.0) * 15.5)
"""Nominal current amplitude of that machine (A): the current base of :func:`scaled_flux_map`."""


@dataclass(frozen=True)
class AlgebraicSaturationModel:
    r"""Algebraic saturation model of Hinkkanen et al. (2017), currents as functions of flux linkages.

    With ``x = ψ_d - psi_f`` (``psi_f``: permanent-magnet flux, 0 for a SynRM) and ``y = ψ_q``::

        i_d = (a_d0 + a_dd |x|^S + a_dq / (V + 2) |x|^U |y|^(V + 2)) x
        i_q = (a_q0 + a_qq |y|^T + a_dq / (U + 2) |x|^(U + 2) |y|^V) y

    Both follow from one magnetic energy, so the map is reciprocal (``∂i_d/∂ψ_q = ∂i_q/∂ψ_d``). The
    ``psi_f`` offset (the magnet as a constant flux on the d axis) is gem's addition for PMSMs.

    Source: A. Hinkkanen, P. Pescetto, E. Mölsä, S. E. Saarakkala, G. Pellegrino, R. Bojoi,
    "Sensorless self-commissioning of synchronous reluctance motors at standstill without rotor
    locking", IEEE Trans. Ind. Appl. 53(3), 2017 (the model as implemented in motulator's
    ``SaturationModelSyRM``; no code taken).
    """

    a_d0: float
    a_dd: float
    S: float
    a_q0: float
    a_qq: float
    T: float
    a_dq: float
    U: float
    V: float
    psi_f: float = 0.0
    source: str = "Hinkkanen et al. 2017 algebraic model"

    def __post_init__(self) -> None:
        for name in ("a_d0", "a_dd", "S", "a_q0", "a_qq", "T", "a_dq", "U", "V", "psi_f"):
            value = getattr(self, name)
            if isinstance(value, bool) or not np.isfinite(np.asarray(value, float)) or np.ndim(value):
                raise ValueError(f"AlgebraicSaturationModel: {name} must be one finite number, got {value!r}")
            if name != "psi_f" and value < 0 or name in ("a_d0", "a_q0") and value <= 0:
                rule = "> 0" if name in ("a_d0", "a_q0") else ">= 0"
                raise ValueError(f"AlgebraicSaturationModel: {name} must be {rule}, got {value!r}")

    def currents(self, psi_d: np.ndarray, psi_q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(i_d, i_q)`` in A from the flux linkages (Wb)."""
        x, y = np.abs(psi_d - self.psi_f), np.abs(psi_q)
        g_d = self.a_d0 + self.a_dd * x**self.S + self.a_dq / (self.V + 2.0) * x**self.U * y ** (self.V + 2.0)
        g_q = self.a_q0 + self.a_qq * y**self.T + self.a_dq / (self.U + 2.0) * x ** (self.U + 2.0) * y**self.V
        return g_d * (psi_d - self.psi_f), g_q * psi_q

    def fluxes(self, i_d: np.ndarray, i_q: np.ndarray, tol: float = 1e-13) -> tuple[np.ndarray, np.ndarray]:
        """``(ψ_d, ψ_q)`` for the currents: :meth:`currents` inverted by damped Newton iterations.

        Raises:
            ValueError: If an iteration does not converge (relative current residual ``tol``).
        """
        i_d, i_q = np.broadcast_arrays(np.asarray(i_d, float), np.asarray(i_q, float))
        psi_d, psi_q = self.psi_f + i_d / self.a_d0, i_q / self.a_q0         # linear guess: above the solution
        scale = np.maximum(np.hypot(i_d, i_q), 1.0)
        for _ in range(200):
            r_d, r_q = self.currents(psi_d, psi_q)
            r_d, r_q = r_d - i_d, r_q - i_q
            if np.max(np.hypot(r_d, r_q) / scale) < tol:
                return psi_d, psi_q
            h = 1e-7 * np.maximum(np.abs(psi_d - self.psi_f) + np.abs(psi_q), 1e-3)
            jdd, jqd = (np.subtract(self.currents(psi_d + h, psi_q), (r_d + i_d, r_q + i_q))) / h
            jdq, jqq = (np.subtract(self.currents(psi_d, psi_q + h), (r_d + i_d, r_q + i_q))) / h
            det = jdd * jqq - jdq * jqd
            step_d, step_q = (jqq * r_d - jdq * r_q) / det, (jdd * r_q - jqd * r_d) / det
            psi_d, psi_q = psi_d - step_d, psi_q - step_q
        raise ValueError(f"{self.source}: inverting i(psi) did not converge on this current grid")

    def scaled(self, current: float, flux_d: float, flux_q: float, swap_axes: bool = False,
               psi_f: float = 0.0, source: str = "") -> AlgebraicSaturationModel:
        """The same model for another machine: magnetic energy ``W'(ψ) = current · W(ψ_d / flux_d, ψ_q / flux_q)``.

        Currents scale by ``current``, d and q fluxes by ``flux_d``, ``flux_q`` (the model keeps its
        form; its coefficients change). ``swap_axes``: the model's d axis becomes the q axis (a
        PMSM's iron axis is q, a SynRM's d). ``psi_f``: the magnet flux of the new model.
        """
        c = dict(a_d0=self.a_d0, a_dd=self.a_dd, S=self.S, a_q0=self.a_q0, a_qq=self.a_qq, T=self.T, a_dq=self.a_dq,
                 U=self.U, V=self.V)
        if swap_axes:
            c = dict(a_d0=c["a_q0"], a_dd=c["a_qq"], S=c["T"], a_q0=c["a_d0"], a_qq=c["a_dd"], T=c["S"], a_dq=c["a_dq"],
                     U=c["V"], V=c["U"])
        kd, kq = flux_d, flux_q
        c.update(a_d0=current * c["a_d0"] / kd**2, a_dd=current * c["a_dd"] / kd ** (c["S"] + 2),
                 a_q0=current * c["a_q0"] / kq**2, a_qq=current * c["a_qq"] / kq ** (c["T"] + 2),
                 a_dq=current * c["a_dq"] / (kd ** (c["U"] + 2) * kq ** (c["V"] + 2)))
        return replace(self, **c, psi_f=psi_f, source=source or self.source)


REFERENCE_MODEL = AlgebraicSaturationModel(**HINKKANEN_6K7W, source="Hinkkanen et al. 2017, 6.7 kW SynRM")


def scaled_flux_map(l_d: float, l_q: float, psi_p: float, i_nominal: float, i_limit: float,
                    points: int = 41, span: float = 1.25) -> FluxMap:
    """The flux map of ``saturation=True``: the 6.7 kW SynRM model scaled to a machine (module docstring).

    Currents scale by ``i_nominal / 21.92 A`` (nominal current amplitudes), the fluxes so that the
    model's inductances at zero current are ``l_d, l_q``. A machine with ``l_q > l_d`` (a PMSM) takes
    the reference's d-axis law on its q axis (``swap_axes``) and the magnet flux ``psi_p`` on d.

    Args:
        l_d: d-axis inductance at zero current (H).
        l_q: q-axis inductance at zero current (H).
        psi_p: Permanent-magnet flux (Wb), 0 for a SynRM.
        i_nominal: Nominal current amplitude (A).
        i_limit: Current limit (A); the grid spans ``± span · i_limit`` on both axes.
        points: Grid points per axis (odd, so that zero current is a grid point).
        span: Grid half-width relative to the limit.
    """
    if points < 3 or points % 2 == 0:
        raise ValueError(f"points must be an odd number >= 3 (zero current on the grid), got {points!r}")
    c = i_nominal / HINKKANEN_6K7W_CURRENT
    swap = l_q > l_d
    ref = REFERENCE_MODEL
    a_d0, a_q0 = (ref.a_q0, ref.a_d0) if swap else (ref.a_d0, ref.a_q0)
    model = ref.scaled(c, np.sqrt(c * a_d0 * l_d), np.sqrt(c * a_q0 * l_q), swap, psi_p,
                       source=f"Hinkkanen et al. 2017 6.7 kW SynRM model scaled to l_d={l_d:g} H, l_q={l_q:g} H, "
                              f"psi_p={psi_p:g} Wb, i_n={i_nominal:g} A"
                              + (" (axes swapped, a_dd = 0)" if swap else ""))
    if swap:
        model = replace(model, a_dd=0.0)
    grid = np.linspace(-span * i_limit, span * i_limit, points)
    return FluxMap.from_model(model, grid, grid)


# ----------------------------------------------------------------------------- the keyword
def with_saturation(motor: Any, saturation: Any, motor_params: Mapping[str, Any] | None = None,
                    randomized_names: Sequence[str] = ()) -> Any:
    """``motor`` with the flux map ``saturation=`` asks for (``make_task``'s keyword).

    Args:
        motor: The task's motor; a map needs a synchronous motor (``with_saturation``: PMSM, SynRM).
        saturation: ``None``/``False`` (off), ``True`` (:func:`scaled_flux_map` for the motor's
            ``l_d, l_q, psi_p`` and nominal and limit currents), a :class:`FluxMap`, or an
            :class:`AlgebraicSaturationModel` (tabulated like ``True``'s map: 41 × 41 points over
            ± 1.25 times the current limit).
        motor_params: The user's motor parameters: ``l_d, l_q, psi_p`` come from a given map or model
            and may not be given too.
        randomized_names: Motor parameters drawn per episode; ``l_d, l_q, psi_p`` may not be (the map
            does not change with them).

    Raises:
        ValueError: Naming what does not fit.
    """
    if saturation is None or saturation is False:
        return motor
    if not hasattr(motor, "with_saturation"):
        raise ValueError(f"saturation=: {type(motor).__name__} has no flux-map model (PMSM and SynRM have)")
    fixed = [k for k in ("l_d", "l_q", "psi_p") if k in randomized_names or np.ndim(getattr(motor, k))]
    if fixed:
        raise ValueError(f"saturation= with per-environment or randomize={fixed}: the flux map sets l_d, l_q, psi_p "
                         "(one map for all environments); vary other parameters")
    limit, nominal = float(np.max(motor.limits["i"])), float(np.max(motor.nominal["i"]))
    if saturation is True:
        flux_map = scaled_flux_map(motor.l_d, motor.l_q, motor.psi_p, nominal, limit)
    elif isinstance(saturation, (FluxMap, AlgebraicSaturationModel)):
        given = [k for k in ("l_d", "l_q", "psi_p") if k in (motor_params or {})]
        if given:
            raise ValueError(f"saturation= with motor_params {given}: a given flux map or model sets l_d, l_q and "
                             "psi_p (its values at zero current); leave them out, or use saturation=True to scale "
                             "gem's map to them")
        grid = np.linspace(-1.25 * limit, 1.25 * limit, 41)
        flux_map = saturation if isinstance(saturation, FluxMap) else FluxMap.from_model(saturation, grid, grid)
    else:
        raise ValueError(f"saturation must be None, True, a FluxMap or an AlgebraicSaturationModel, got {saturation!r}")
    return motor.with_saturation(flux_map)
