r"""Magnetic saturation and cross-coupling of the synchronous motors: flux-linkage maps.

A :class:`FluxMap` tabulates ``ψ_d(i_d, i_q)`` and ``ψ_q(i_d, i_q)`` (Wb) on an evenly spaced
current grid. With ``saturation=`` a PMSM or SynRM integrates its **currents** (the reported states
``i_sd, i_sq`` stay the ODE states) with the incremental inductances of the map::

    L_inc(i) = [[∂ψ_d/∂i_d, ∂ψ_d/∂i_q],        di/dt = L_inc(i)⁻¹ (u_dq - r_s i - ω_el J ψ(i)),
                [∂ψ_q/∂i_d, ∂ψ_q/∂i_q]]        J ψ = (-ψ_q, ψ_d),  T = 1.5 p (ψ_d i_q - ψ_q i_d)

**Interpolation.** ``ψ`` is the bilinear interpolant of the table; ``L_inc`` is that interpolant's
own derivative (piecewise linear in one current, constant in the other inside a cell). So
``dψ/dt = L_inc di/dt`` holds exactly along every trajectory: the flux-linkage ODE
``dψ/dt = u - r_s i - ω_el J ψ`` of the map is solved, not an approximation of it. The map is
continuous; ``L_inc`` jumps at cell borders. Inside a cell ``L_dd, L_qq`` are linear and
``det L_inc`` is bilinear in the local coordinates, so the signs the table's validation checks at
the cell corners hold everywhere: ``L_inc`` is invertible wherever the motor can be.

**Outside the table** the currents are clamped to the grid for the lookup, and the flux linkage is
continued with the incremental inductances of the clamped point, ``ψ(i) = ψ(i_c) + L_inc(i_c)(i -
i_c)`` (continuous, finite, never NaN). The environment warns once per environment and episode when
a step ends with a current outside the table (:class:`TableWatch`).

**Why currents, not fluxes, as states.** Constraints, references, observations and the controllers
are written in currents; measured and FEM flux maps (SyR-e, test benches) are given as
``ψ(i_d, i_q)``; no inverse map is needed. The cost is a 2×2 solve per derivative.

**Models** (:mod:`gem.physical_systems.flux_models`): the algebraic current map ``i(ψ)`` of
Hinkkanen et al. (2017), which :meth:`FluxMap.from_model` inverts on a grid, and the map
``saturation=True`` uses, built from it (docs/components/saturation.rst states the numbers and
their provenance).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from gem.physical_systems.motor import Column, Columns
from gem.physical_systems.transforms import clarke, park


# ----------------------------------------------------------------------------- the compiled arithmetic
def bilinear(table: np.ndarray, m: int, j: Column, k: Column, t: Column, s: Column, hd: float,
             hq: float) -> tuple[Column, Column, Column]:
    """Map ``m`` of ``table`` in cell ``(j, k)`` at the local coordinates ``(t, s)`` in [0, 1], and its two slopes."""
    f00 = table[m, j, k]
    f10 = table[m, j + 1, k] - f00
    f01 = table[m, j, k + 1] - f00
    f11 = table[m, j + 1, k + 1] - f00 - f10 - f01
    return f00 + t * f10 + s * f01 + t * s * f11, (f10 + s * f11) / hd, (f01 + t * f11) / hq


def flux_linkages(grid: tuple, table: np.ndarray, i_d: Column, i_q: Column) -> tuple[Column, ...]:
    """``ψ_d, ψ_q`` (Wb) and ``L_dd, L_dq, L_qd, L_qq`` (H) of the map at ``(i_d, i_q)``, bilinear.

    Args:
        grid: ``(i_d first, i_d spacing, n_d - 1, i_q first, i_q spacing, n_q - 1)``.
        table: ``(2, n_d, n_q)``: ``ψ_d`` then ``ψ_q`` at the grid points.
        i_d: d-axis current (A), a column.
        i_q: q-axis current (A), a column.
    """
    d0, hd, md, q0, hq, mq = grid
    c_d = np.minimum(np.maximum(i_d, d0), d0 + md * hd)
    c_q = np.minimum(np.maximum(i_q, q0), q0 + mq * hq)
    u = (c_d - d0) / hd
    v = (c_q - q0) / hq
    fj = np.minimum(np.floor(u), md - 1.0)
    fk = np.minimum(np.floor(v), mq - 1.0)
    t = u - fj
    s = v - fk
    j = np.int64(fj)
    k = np.int64(fk)
    psi_d, l_dd, l_dq = bilinear(table, 0, j, k, t, s, hd, hq)
    psi_q, l_qd, l_qq = bilinear(table, 1, j, k, t, s, hd, hq)
    e_d = i_d - c_d
    e_q = i_q - c_q
    return psi_d + l_dd * e_d + l_dq * e_q, psi_q + l_qd * e_d + l_qq * e_q, l_dd, l_dq, l_qd, l_qq


def saturated_derivative(self: Any, x: Columns, u: Columns, omega: Column) -> tuple[Column, Column, Column]:
    """(di_sd/dt, di_sq/dt, dε/dt) of a synchronous motor with a flux map (``self.sat_grid``, ``self.sat_table``)."""
    i_sd, i_sq, eps = x[0], x[1], x[2]
    u_alpha, u_beta = clarke(u[0], u[1], u[2])
    u_sd, u_sq = park(u_alpha, u_beta, eps)
    omega_el = self.p * omega
    psi_d, psi_q, l_dd, l_dq, l_qd, l_qq = flux_linkages(self.sat_grid, self.sat_table, i_sd, i_sq)
    a = u_sd - self.r_s * i_sd + omega_el * psi_q
    b = u_sq - self.r_s * i_sq - omega_el * psi_d
    det = l_dd * l_qq - l_dq * l_qd
    return (l_qq * a - l_dq * b) / det, (l_dd * b - l_qd * a) / det, omega_el


def saturated_torque(self: Any, x: Columns) -> Column:
    """T = 1.5 p (ψ_d i_sq - ψ_q i_sd) with the fluxes of the map."""
    psi_d, psi_q, _, _, _, _ = flux_linkages(self.sat_grid, self.sat_table, x[0], x[1])
    return 1.5 * self.p * (psi_d * x[1] - psi_q * x[0])


# ----------------------------------------------------------------------------- the table
def _grid(name: str, values: np.ndarray) -> np.ndarray:
    g = np.asarray(values, dtype=float) if not isinstance(values, (str, bytes)) else np.array([np.nan])
    if g.ndim != 1 or g.size < 2:
        raise ValueError(f"FluxMap: {name} must be a 1-D grid of at least 2 currents (A), got shape {g.shape}")
    if not np.all(np.isfinite(g)):
        raise ValueError(f"FluxMap: {name} must be finite, got {values!r}")
    step = np.diff(g)
    if np.any(step <= 0):
        raise ValueError(f"FluxMap: {name} must be strictly increasing, got {g.tolist()}")
    if np.ptp(step) > 1e-9 * step.mean():
        raise ValueError(f"FluxMap: {name} must be evenly spaced (the lookup computes the cell), steps range "
                         f"from {step.min()!r} to {step.max()!r} A")
    return g


@dataclass(frozen=True, eq=False)
class FluxMap:
    """Flux linkages ``ψ_d(i_d, i_q)``, ``ψ_q(i_d, i_q)`` on an evenly spaced grid (module docstring).

    Attributes:
        i_d: ``(n_d,)`` d-axis currents of the grid (A), evenly spaced, increasing, 0 inside.
        i_q: ``(n_q,)`` q-axis currents of the grid (A), evenly spaced, increasing, 0 inside.
        psi_d: ``(n_d, n_q)`` d-axis flux linkage (Wb), ``psi_d[j, k]`` at ``(i_d[j], i_q[k])``.
        psi_q: ``(n_d, n_q)`` q-axis flux linkage (Wb).
        source: Provenance of the table (free text, shown in the warnings and ``repr``).

    Raises:
        ValueError: On a grid that is not 1-D, increasing and evenly spaced or does not contain zero
            current, tables of another shape, non-finite values, or incremental inductances that are
            not positive definite (``L_dd, L_qq > 0``, ``det L_inc > 0``) somewhere on the grid.
    """

    i_d: np.ndarray
    i_q: np.ndarray
    psi_d: np.ndarray
    psi_q: np.ndarray
    source: str = field(default="user table")

    def __post_init__(self) -> None:
        i_d, i_q = _grid("i_d", self.i_d), _grid("i_q", self.i_q)
        for name, g in (("i_d", i_d), ("i_q", i_q)):
            if not g[0] <= 0.0 <= g[-1]:
                raise ValueError(f"FluxMap: the {name} grid must contain zero current (the controllers are tuned "
                                 f"there), got [{g[0]!r}, {g[-1]!r}] A")
        tables = []
        for name in ("psi_d", "psi_q"):
            t = np.asarray(getattr(self, name), dtype=float)
            if t.shape != (i_d.size, i_q.size):
                raise ValueError(f"FluxMap: {name} must have shape (len(i_d), len(i_q)) = ({i_d.size}, {i_q.size}), "
                                 f"got {t.shape}")
            if not np.all(np.isfinite(t)):
                raise ValueError(f"FluxMap: {name} has {int(np.sum(~np.isfinite(t)))} non-finite entries (NaN or "
                                 "inf); fill them before building the map")
            tables.append(t)
        for name, value in (("i_d", i_d), ("i_q", i_q), ("psi_d", tables[0]), ("psi_q", tables[1])):
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        self._check_inductances()

    def _check_inductances(self) -> None:
        jd, kq = np.meshgrid(np.arange(self.i_d.size - 1), np.arange(self.i_q.size - 1), indexing="ij")
        hd, hq = self.i_d[1] - self.i_d[0], self.i_q[1] - self.i_q[0]
        for dj, dk in ((0, 0), (1, 0), (0, 1), (1, 1)):     # the cells' inductances at their corners
            d, q = self.psi_d, self.psi_q
            l_dd = (d[jd + 1, kq + dk] - d[jd, kq + dk]) / hd
            l_dq = (d[jd + dj, kq + 1] - d[jd + dj, kq]) / hq
            l_qd = (q[jd + 1, kq + dk] - q[jd, kq + dk]) / hd
            l_qq = (q[jd + dj, kq + 1] - q[jd + dj, kq]) / hq
            bad = (l_dd <= 0) | (l_qq <= 0) | (l_dd * l_qq - l_dq * l_qd <= 0)
            if bad.any():
                j, k = np.argwhere(bad)[0]
                raise ValueError(f"FluxMap ({self.source}): the incremental inductances are not positive definite in "
                                 f"the cell at i_d = {self.i_d[j]!r} A, i_q = {self.i_q[k]!r} A (L_dd = "
                                 f"{l_dd[j, k]!r} H, L_qq = {l_qq[j, k]!r} H): psi_d must increase with i_d, psi_q "
                                 "with i_q, and the cross-coupling must be weaker than the self terms")

    @classmethod
    def from_model(cls, model: Any, i_d: np.ndarray, i_q: np.ndarray) -> FluxMap:
        """Tabulates a model's ``fluxes(i_d, i_q)`` on the grid ``i_d × i_q``, with its ``source``.

        E.g. the inverted :class:`~gem.physical_systems.flux_models.AlgebraicSaturationModel`.
        """
        i_d, i_q = _grid("i_d", i_d), _grid("i_q", i_q)
        cd, cq = np.meshgrid(i_d, i_q, indexing="ij")
        psi_d, psi_q = model.fluxes(cd, cq)
        return cls(i_d, i_q, psi_d, psi_q, source=model.source)

    # ------------------------------------------------------------------ what the kernel reads
    @cached_property
    def grid(self) -> tuple[float, ...]:
        """``(i_d first, spacing, n_d - 1, i_q first, spacing, n_q - 1)`` (floats, for the compiled lookup)."""
        return (float(self.i_d[0]), float(self.i_d[1] - self.i_d[0]), float(self.i_d.size - 1),
                float(self.i_q[0]), float(self.i_q[1] - self.i_q[0]), float(self.i_q.size - 1))

    @cached_property
    def table(self) -> np.ndarray:
        """``(2, n_d, n_q)``: ``psi_d`` and ``psi_q`` stacked (C order)."""
        return np.ascontiguousarray(np.stack([self.psi_d, self.psi_q]))

    # ------------------------------------------------------------------ NumPy helpers
    def __call__(self, i_d: np.ndarray | float, i_q: np.ndarray | float) -> tuple[np.ndarray, ...]:
        """``ψ_d, ψ_q, L_dd, L_dq, L_qd, L_qq`` at the currents (arrays broadcast), as the motor sees them."""
        i_d, i_q = np.broadcast_arrays(np.asarray(i_d, float), np.asarray(i_q, float))
        return flux_linkages(self.grid, self.table, i_d, i_q)

    def outside(self, i_d: np.ndarray, i_q: np.ndarray) -> np.ndarray:
        """Whether each current pair lies outside the table."""
        return (i_d < self.i_d[0]) | (i_d > self.i_d[-1]) | (i_q < self.i_q[0]) | (i_q > self.i_q[-1])

    def zero_current(self) -> dict[str, float]:
        """``l_d, l_q`` (incremental inductances, H) and ``psi_p`` (``ψ_d``, Wb) at zero current."""
        psi_d, psi_q, l_dd, _, _, l_qq = self(0.0, 0.0)
        return {"l_d": float(l_dd), "l_q": float(l_qq), "psi_p": float(psi_d), "psi_q0": float(psi_q)}

    def __repr__(self) -> str:
        return (f"FluxMap({self.i_d.size}×{self.i_q.size}, i_d [{self.i_d[0]:g}, {self.i_d[-1]:g}] A, "
                f"i_q [{self.i_q[0]:g}, {self.i_q[-1]:g}] A, source={self.source!r})")


# ----------------------------------------------------------------------------- the warning
class TableWatch:
    """Warns once per environment and episode when a step ends with currents outside the flux map.

    Args:
        flux_map: The motor's map.
        num_envs: Number of environments.
        columns: Columns of ``i_sd, i_sq`` in the drive's physical state.
    """

    def __init__(self, flux_map: FluxMap, num_envs: int, columns: tuple[int, int]):
        self.map = flux_map
        self.warned = np.zeros(num_envs, bool)
        self.columns = list(columns)
        self.low = np.array([flux_map.i_d[0], flux_map.i_q[0]])
        self.high = np.array([flux_map.i_d[-1], flux_map.i_q[-1]])

    def episode_start(self, idx: np.ndarray | slice = slice(None)) -> None:
        """Environments ``idx`` start a new episode (they may warn again)."""
        self.warned[idx] = False

    def check(self, physical: np.ndarray, final: np.ndarray | None = None, done: np.ndarray | None = None) -> None:
        """Warns (``RuntimeWarning``) naming the environments whose currents newly left the table.

        Args:
            physical: ``(num_envs, n_states)`` physical state after the step.
            final: The physical state the environments ``done`` ended their episode with (autoreset), or ``None``.
            done: Mask of the environments whose row of ``final`` counts.
        """
        if self.warned.size == 1:       # the single environment: scalars (a few NumPy calls cost more than its step)
            row = final if final is not None and done[0] else physical
            i_d, i_q = row.item(0, self.columns[0]), row.item(0, self.columns[1])
            if self.warned[0] or self.low[0] <= i_d <= self.high[0] and self.low[1] <= i_q <= self.high[1]:
                return
            cur, new = np.array([[i_d, i_q]]), np.ones(1, bool)
        else:
            cur = physical[:, self.columns]
            if final is not None and done.any():
                cur[done] = final[done][:, self.columns]
            new = ((cur < self.low) | (cur > self.high)).any(axis=1)
            new &= ~self.warned
        if new.any():
            idx = np.flatnonzero(new)
            self.warned |= new
            m = self.map
            warnings.warn(f"environment(s) {idx.tolist()}: the currents (i_sd, i_sq) = "
                          f"({cur[idx[0], 0]:.4g}, {cur[idx[0], 1]:.4g}) A left the flux map's table "
                          f"(i_d in [{m.i_d[0]:g}, {m.i_d[-1]:g}] A, i_q in [{m.i_q[0]:g}, {m.i_q[-1]:g}] A; "
                          f"{m.source}): the lookup is clamped to the table's edge and the flux linkage continued "
                          "with the edge's incremental inductances (warned once per environment and episode)",
                          RuntimeWarning, stacklevel=3)
