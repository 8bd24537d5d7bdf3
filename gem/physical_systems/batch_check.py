"""The check every motor and load passes once, when a drive is built: its column methods run on a batch.

A component's equations are called on ``(num_envs,)`` arrays by the NumPy step and on one float
per environment by the compiled step. Code that only works on floats — a Python ``if``, ``and``,
``or``, ``min`` or ``max`` on a value, ``math.tanh`` — runs compiled but fails on arrays, so a
motor could train for hours compiled and then fail in an evaluation with per-environment
parameters or ``compiled=False``. :func:`check_batch_methods` calls every column method once on a
small batch when the drive is built, whichever step will run, and turns such a failure into an
error that names the method and says how to write it. It also checks that each method returns one
column per name it declares.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gem.physical_systems.loads import MechanicalLoad
from gem.physical_systems.motor import Motor

PATTERN = (0.5, 0.25, 0.75)
"""Fractions of each state's limit that the probe batch takes (repeated to the batch size): distinct,
inside the limits and positive (a Python ``if`` on an array fails whatever its values)."""

SCALAR_ONLY = ("truth value of an array", "only length-1 arrays", "only 0-dimensional arrays",
               "only size-1 arrays")
"""Phrases of NumPy's errors for code that needs one number where it got an array."""

HOW_TO = ("The NumPy step calls it on arrays with one entry per environment, the compiled step on one "
          "number per environment, and both must work: write choices as arithmetic on arrays, "
          "np.where(i > 0, a, b) instead of 'a if i > 0 else b', np.minimum/np.maximum instead of min/max, "
          "np.logical_and instead of 'and', and NumPy's functions (np.tanh) instead of math's.")


def batch_size(*components: Any) -> int | None:
    """The probe's batch size: the length of the per-environment parameter arrays, at least 2.

    Two environments are the fewest for which a Python ``if`` on an array fails. ``None`` when the
    arrays differ in length (the environment reports that, naming them and ``num_envs``).
    """
    sizes = {np.shape(v)[0] for c in components for v in vars(c).values()
             if isinstance(v, np.ndarray) and v.ndim == 1 and v.dtype.kind == "f"} - {1}
    if len(sizes) > 1:
        return None
    return max(sizes | {2})


def probe(n: int, scale: Any) -> np.ndarray:
    """``(n,)`` test values: :data:`PATTERN` times ``scale``."""
    return np.resize(np.asarray(PATTERN), n) * scale


def call_on_batch(owner: str, method: str, fn: Callable[[], Any], names: tuple[str, ...] | None, n: int) -> None:
    """Calls ``fn`` (one column method on the probe batch) and checks what it returns.

    Args:
        owner: Class name for the messages.
        method: Method name for the messages.
        fn: The call.
        names: The names the method returns one column for; ``None``: one column, not a tuple.
        n: Batch size.

    Raises:
        ValueError: If the method only works on single numbers, or returns the wrong number of
            columns, or a column that is neither one number nor ``n``.
    """
    try:
        with np.errstate(all="ignore"):
            out = fn()
    except Exception as exc:
        if isinstance(exc, (ValueError, TypeError)) and any(phrase in str(exc) for phrase in SCALAR_ONLY):
            raise ValueError(f"{owner}.{method} fails on a batch of environments ({type(exc).__name__}: {exc}). "
                             + HOW_TO) from exc
        _note(exc, owner, method, n)
        raise
    cols = (out,) if names is None else out
    want = 1 if names is None else len(names)
    if names is not None and (isinstance(out, np.ndarray) and out.ndim < 2 or not hasattr(out, "__len__")):
        raise ValueError(f"{owner}.{method} must return a tuple with one column per name in {names}, got {out!r}")
    if len(cols) != want:
        raise ValueError(f"{owner}.{method} returned {len(cols)} column(s) for the {want} name(s) {names}: "
                         "return one column per name, in that order")
    for k, c in enumerate(cols):
        shape = np.shape(c)
        if shape not in ((), (1,), (n,)):
            label = f"column {k} ({names[k]!r})" if names else "its result"
            raise ValueError(f"{owner}.{method}: {label} has shape {shape} on a batch of {n} environments; "
                             f"give one number or one per environment")


def _note(exc: Exception, owner: str, method: str, n: int) -> None:
    """Adds to ``exc`` where it came from (Python 3.11+; a plain re-raise before)."""
    if hasattr(exc, "add_note"):
        exc.add_note(f"(raised while gem ran {owner}.{method} once on a batch of {n} environments, when the drive "
                     "was built: gem.physical_systems.batch_check)")


def check_batch_methods(motor: Motor, load: MechanicalLoad, supply: Any, tau: float) -> None:
    """Runs the motor's, the load's and the supply's column methods once on a small batch (see the module docstring).

    Args:
        motor: The motor.
        load: The mechanical load.
        supply: The DC supply (its voltage scales the probe's terminal voltages).
        tau: Control period (s).
    """
    n = batch_size(motor, load, supply)
    if n is None:
        return
    u_sup = np.asarray(supply.voltage(n), float)
    name = type(motor).__name__
    lim = motor.limits
    x = tuple(probe(n, np.pi if k == "epsilon" else lim.get(k, 1.0)) for k in motor.ode_names)
    u = tuple(probe(n, u_sup) for _ in motor.input_names)
    omega = probe(n, lim["omega"])
    call_on_batch(name, "derivative", lambda: motor.derivative(x, u, omega), motor.ode_names, n)
    call_on_batch(name, "torque", lambda: motor.torque(x), None, n)
    call_on_batch(name, "currents", lambda: motor.currents(x), motor.current_names, n)
    call_on_batch(name, "terminal_currents", lambda: motor.terminal_currents(x), motor.input_names, n)
    call_on_batch(name, "voltages", lambda: motor.voltages(u, x, x, tau), motor.voltage_names, n)
    if motor.extra_names:           # a motor whose extras are an option (flux_observer) has none without it
        call_on_batch(name, "extras", lambda: motor.extras(x), motor.extra_names, n)
    j_total = motor.j_rotor + load.j_load
    owner = type(load).__name__
    if load.prescribed:
        t = np.abs(probe(n, 10 * tau))
        call_on_batch(owner, "next_speed", lambda: load.next_speed(t, omega, tau, np.zeros(n)), None, n)
    else:
        call_on_batch(owner, "load_torque", lambda: load.load_torque(omega, j_total), None, n)
    names = getattr(supply, "state_names", ())
    if names:                       # a supply with states: its derivative at the link's voltage scale
        xs = tuple(probe(n, u_sup if k == 0 else 1.0) for k in range(len(names)))
        t = np.abs(probe(n, 10 * tau))
        call_on_batch(type(supply).__name__, "derivative", lambda: supply.derivative(xs, probe(n, 1.0), t), names, n)
