"""Fixed-step ODE solvers and a ``solve_ivp`` path for accuracy studies.

All solvers integrate ``dx/dt = f(s, x)`` over ``[s0, s0 + dt]`` for a whole batch at once, where
``s`` is the time since the start of the control period (a scalar shared by the batch) and ``x``
is ``(num_envs, n)``. The converter output is held over the interval.

The fixed-step solvers are explicit Runge–Kutta methods given by their Butcher tableau
(:class:`ExplicitRungeKutta`); their arithmetic is :func:`combine` and :func:`substep`, which the
compiled kernel calls per environment with the same tableau.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

Derivative = Callable[[float, np.ndarray], np.ndarray]


def combine(x, h, weights, slopes):
    """``x + h * sum_k weights[k] * slopes[k]``: a Runge–Kutta stage or step (column form).

    ``x`` and the slopes are arrays in the NumPy step and floats in the compiled kernel.
    """
    acc = 0.0
    for k in range(len(weights)):
        acc = acc + weights[k] * slopes[k]
    return x + h * acc


def substep(start, duration, substeps, k):
    """``(s, h)``: start time and length of sub-step ``k`` of ``substeps`` equal ones in a segment."""
    h = duration / substeps
    return start + k * h, h


@dataclass(frozen=True)
class ExplicitRungeKutta:
    """An explicit Runge–Kutta method by its Butcher tableau, stored sparsely.

    Attributes:
        name: Solver name.
        stages: Per stage ``(c_i, ((j, a_ij), ...))``: its time fraction and the nonzero weights
            of the earlier slopes it starts from.
        weights: ``((j, b_j), ...)``: the nonzero weights of the final combination.
    """

    name: str
    stages: tuple[tuple[float, tuple[tuple[int, float], ...]], ...]
    weights: tuple[tuple[int, float], ...]

    def step(self, f: Derivative, x: np.ndarray, s0: float, dt: float, substeps: int = 1) -> np.ndarray:
        """Integrates ``dx/dt = f(s, x)`` over ``[s0, s0 + dt]`` in ``substeps`` equal sub-steps."""
        for k in range(substeps):
            s, h = substep(s0, dt, substeps, k)
            slopes: list[np.ndarray] = []
            for c, a in self.stages:
                y = combine(x, h, [w for _, w in a], [slopes[j] for j, _ in a]) if a else x
                slopes.append(f(combine(s, h, (c,), (1.0,)), y))
            x = combine(x, h, [w for _, w in self.weights], [slopes[j] for j, _ in self.weights])
        return x


EULER = ExplicitRungeKutta("euler", stages=((0.0, ()),), weights=((0, 1.0),))
"""Explicit Euler (first order)."""
RK4 = ExplicitRungeKutta("rk4", stages=((0.0, ()), (0.5, ((0, 0.5),)), (0.5, ((1, 0.5),)), (1.0, ((2, 1.0),))),
                         weights=((0, 1.0 / 6.0), (1, 1.0 / 3.0), (2, 1.0 / 3.0), (3, 1.0 / 6.0)))
"""Classical fourth-order Runge–Kutta (error ∝ dt⁴)."""


def euler_step(f: Derivative, x: np.ndarray, s0: float, dt: float, substeps: int = 1) -> np.ndarray:
    """Explicit Euler with ``substeps`` equal sub-steps (first order)."""
    return EULER.step(f, x, s0, dt, substeps)


def rk4_step(f: Derivative, x: np.ndarray, s0: float, dt: float, substeps: int = 1) -> np.ndarray:
    """Classical fourth-order Runge–Kutta with ``substeps`` equal sub-steps (error ∝ dt⁴)."""
    return RK4.step(f, x, s0, dt, substeps)


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
TABLEAUS: dict[str, ExplicitRungeKutta] = {"euler": EULER, "rk4": RK4}
"""The fixed-step solvers the compiled kernel runs (it unrolls their stages)."""


def get_solver(name: str) -> Callable[..., np.ndarray]:
    """The solver function for ``"euler"``, ``"rk4"`` or ``"scipy"``."""
    if name not in SOLVERS:
        raise ValueError(f"unknown solver {name!r}; choose one of {sorted(SOLVERS)}")
    return SOLVERS[name]
