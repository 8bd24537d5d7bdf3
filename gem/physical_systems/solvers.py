"""Fixed-step ODE solvers and a ``solve_ivp`` path for accuracy studies.

All solvers integrate ``dx/dt = f(s, x)`` over ``[s0, s0 + dt]`` for a whole batch at once, where
``s`` is the time since the start of the control period (a scalar shared by the batch) and ``x``
is ``(num_envs, n)``. The converter output is held over the interval.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.integrate import solve_ivp

Derivative = Callable[[float, np.ndarray], np.ndarray]


def euler_step(f: Derivative, x: np.ndarray, s0: float, dt: float, substeps: int = 1) -> np.ndarray:
    """Explicit Euler with ``substeps`` equal sub-steps (first order)."""
    h = dt / substeps
    for k in range(substeps):
        x = x + h * f(s0 + k * h, x)
    return x


def rk4_step(f: Derivative, x: np.ndarray, s0: float, dt: float, substeps: int = 1) -> np.ndarray:
    """Classical fourth-order Runge–Kutta with ``substeps`` equal sub-steps (error ∝ dt⁴)."""
    h = dt / substeps
    for k in range(substeps):
        s = s0 + k * h
        k1 = f(s, x)
        k2 = f(s + 0.5 * h, x + (0.5 * h) * k1)
        k3 = f(s + 0.5 * h, x + (0.5 * h) * k2)
        k4 = f(s + h, x + h * k3)
        x = x + (h / 6.0) * (k1 + 2.0 * (k2 + k3) + k4)
    return x


def scipy_step(f: Derivative, x: np.ndarray, s0: float, dt: float, substeps: int = 1,
               method: str = "DOP853", rtol: float = 1e-10, atol: float = 1e-10) -> np.ndarray:
    """Adaptive ``scipy.integrate.solve_ivp`` on the whole batch as one system (slow, accurate)."""
    shape = x.shape

    def flat(s: float, y: np.ndarray) -> np.ndarray:
        return f(s, y.reshape(shape)).ravel()

    sol = solve_ivp(flat, (s0, s0 + dt), x.ravel(), method=method, rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    return sol.y[:, -1].reshape(shape)


SOLVERS: dict[str, Callable[..., np.ndarray]] = {"euler": euler_step, "rk4": rk4_step, "scipy": scipy_step}


def get_solver(name: str) -> Callable[..., np.ndarray]:
    """The solver function for ``"euler"``, ``"rk4"`` or ``"scipy"``."""
    if name not in SOLVERS:
        raise ValueError(f"unknown solver {name!r}; choose one of {sorted(SOLVERS)}")
    return SOLVERS[name]
