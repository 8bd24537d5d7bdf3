r"""Torque → dq current references of a synchronous motor (PMSM, SynRM): MTPA with field weakening.

**Maximum torque per ampere.** For each current amplitude ``I`` the torque
``T = 1.5 p (psi_p + (l_d - l_q) i_sd) i_sq`` is largest at the MTPA point
(:func:`gem.physical_systems.synchronous.mtpa_currents`); the torque grows monotonically with
``I`` along that trajectory, so a table of ``(T, i_sd, i_sq)`` over ``I ∈ [0, I_max]`` inverted by
linear interpolation gives the smallest current for a torque.

**Field weakening.** In steady state, neglecting ``r_s``, the voltage is
``ω_el |ψ|`` with the flux linkage ``ψ = (l_d i_sd + psi_p, l_q i_sq)``. With the voltage limit
``U`` (the B6 bridge's inscribed circle ``u_sup / √3``, of which ``k_fw`` is used) the flux must
satisfy ``|ψ| <= ψ_max = k_fw U / ω_el``, which bounds the d-axis flux by
``ψ_d,max = sqrt(ψ_max² - (l_q i_sq)²)`` and therefore ``i_sd <= (ψ_d,max - psi_p) / l_d``.
Where the MTPA point violates it, ``i_sd`` is lowered to the bound and ``i_sq`` recomputed for
the torque (two fixed-point passes), then the pair is clipped to the current circle
``|i_dq| <= I_max`` and ``|i_sq| <= ψ_max / l_q``.
"""

from __future__ import annotations

import numpy as np

from gem.controllers.pi import clip
from gem.controllers.signals import Signals
from gem.physical_systems.synchronous import dq_torque, mtpa_currents

SQRT3 = float(np.sqrt(3.0))


def _column(value) -> np.ndarray:
    """Scalar or ``(num_envs,)`` parameter as a ``(1 or num_envs, 1)`` column."""
    return np.reshape(np.asarray(value, dtype=float), (-1, 1))


def batched_interp(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """Row-wise linear interpolation (``np.interp`` per row), clamped at the table ends.

    Args:
        x: ``(batch,)`` query points.
        xp: ``(1 or batch, G)`` increasing sample points.
        fp: ``(1 or batch, G)`` sample values.
    """
    if xp.shape[0] == 1 and fp.shape[0] == 1:                      # one table for the whole batch
        return np.interp(x, xp[0], fp[0])
    xp, fp = np.broadcast_to(xp, (x.shape[0], xp.shape[1])), np.broadcast_to(fp, (x.shape[0], fp.shape[1]))
    k = clip(np.sum(xp < x[:, None], axis=1), 1, xp.shape[1] - 1)
    rows = np.arange(x.shape[0])
    x0, x1, f0, f1 = xp[rows, k - 1], xp[rows, k], fp[rows, k - 1], fp[rows, k]
    w = clip((x - x0) / np.maximum(x1 - x0, 1e-300), 0.0, 1.0)
    return f0 + w * (f1 - f0)


class SynchronousOperatingPoint:
    """MTPA torque → current conversion with field weakening (see the module docstring).

    Args:
        motor: PMSM or SynRM (``p, l_d, l_q, psi_p``), or a motor with the same dq equations.
        i_max: Largest current amplitude in A (scalar or ``(num_envs,)``).
        k_fw: Share of the voltage limit the steady-state voltage may use.
        grid: Number of table points.
        psi_p: Permanent-magnet flux (Wb); ``None``: the motor's ``psi_p`` (0 without one).
        torque_scale: Torque per ``1.5 p (psi_p + (l_d - l_q) i_sd) i_sq``: 1 for three phases, 2 for
            the six-phase PMSM (``3 p``).
    """

    def __init__(self, motor, i_max, k_fw: float = 0.85, grid: int = 201, psi_p: float | None = None,
                 torque_scale: float = 1.0):
        self.p, self.l_d, self.l_q = motor.p, motor.l_d, motor.l_q
        self.psi_p = getattr(motor, "psi_p", 0.0) if psi_p is None else psi_p
        self.torque_scale = torque_scale
        self.k_fw = k_fw
        self.i_max = np.reshape(np.asarray(i_max, dtype=float), (-1,))
        amp = _column(i_max) * np.linspace(0.0, 1.0, grid)
        i_sd, i_sq = mtpa_currents(amp, _column(self.l_d), _column(self.l_q), _column(self.psi_p))
        self.table_torque = torque_scale * dq_torque(i_sd, i_sq, _column(self.p), _column(self.l_d),
                                                     _column(self.l_q), _column(self.psi_p))
        self.table_i_sd, self.table_i_sq = i_sd, i_sq

    def _flux_limit(self, sig: Signals) -> np.ndarray:
        omega_el = np.abs(self.p * sig["omega"])
        return self.k_fw * sig["u_sup"] / SQRT3 / np.maximum(omega_el, 1e-9)

    def _weaken(self, sig: Signals, t_abs: np.ndarray, i_sd: np.ndarray, i_sq: np.ndarray):
        """Field weakening of the MTPA point ``(i_sd, i_sq >= 0)`` for the torque ``t_abs`` (module docstring)."""
        i_max = np.broadcast_to(self.i_max, t_abs.shape)
        psi_max = self._flux_limit(sig)
        for _ in range(2):
            psi_d = np.sqrt(np.maximum(psi_max**2 - (self.l_q * i_sq) ** 2, 0.0))
            i_sd = clip(np.minimum(i_sd, (psi_d - self.psi_p) / self.l_d), -i_max, i_max)
            k_t = 1.5 * self.torque_scale * self.p * (self.psi_p + (self.l_d - self.l_q) * i_sd)
            i_sq = t_abs / np.maximum(k_t, 1e-9)
            i_sq = np.minimum(i_sq, np.sqrt(np.maximum(i_max**2 - i_sd**2, 0.0)))
        return i_sd, np.minimum(i_sq, psi_max / self.l_q)

    def current_references(self, sig: Signals, torque: np.ndarray) -> dict[str, np.ndarray]:
        """``{"i_sd": ..., "i_sq": ...}`` (A) for ``torque`` (N·m) at the present speed."""
        t_abs = np.minimum(np.abs(torque), self.table_torque[:, -1])
        i_sd = batched_interp(t_abs, self.table_torque, self.table_i_sd)
        i_sq = batched_interp(t_abs, self.table_torque, self.table_i_sq)
        i_sd, i_sq = self._weaken(sig, t_abs, i_sd, i_sq)
        return {"i_sd": i_sd, "i_sq": np.where(torque < 0.0, -i_sq, i_sq)}

    def torque_range(self, sig: Signals) -> tuple[np.ndarray, np.ndarray]:
        """``± T`` of the references for the largest torque at the present speed."""
        shape = (sig.batch,)
        t_max = np.broadcast_to(self.table_torque[:, -1], shape)
        i_sd, i_sq = self._weaken(sig, t_max, np.broadcast_to(self.table_i_sd[:, -1], shape),
                                  np.broadcast_to(self.table_i_sq[:, -1], shape))
        t = self.torque_scale * dq_torque(i_sd, i_sq, self.p, self.l_d, self.l_q, self.psi_p)
        return -t, t
