"""Helpers of the machine tests: integrate a motor's ODE alone, and its power balance."""

import numpy as np

from gem.physical_systems.solvers import rk4_step


def integrate(motor, voltages, omega, x0, t_end, dt=2e-4):
    """Integrates ``motor.derivative`` with RK4 from ``x0`` ``(n, n_ode)``.

    ``voltages(t, x)`` returns the terminal voltages, a tuple of ``(n,)`` columns.
    """
    def f(t, x):
        return np.stack(motor.derivative(x.T, voltages(t, x), omega), axis=1)

    x, t = np.array(x0, float), 0.0
    for _ in range(int(round(t_end / dt))):
        x = rk4_step(f, x, t, dt)
        t += dt
    return x, t


def random_point(rng, motor, n=16, scale=10.0):
    """Random ODE states (angle in (-π, π]), terminal voltages and speeds."""
    k = len(motor.ode_names)
    x = rng.normal(scale=scale, size=(n, k))
    x[:, -1] = rng.uniform(-np.pi, np.pi, n)
    u = rng.normal(scale=100.0, size=(n, len(motor.input_names)))
    return x, u, rng.normal(scale=150.0, size=n)


def terminal_power(motor, x, u):
    """Electrical power into the motor, ``sum u_k i_k`` over its terminals (W), ``(n,)``."""
    i = np.stack(motor.terminal_currents(x.T), axis=1)
    return np.sum(u * i, axis=1)
