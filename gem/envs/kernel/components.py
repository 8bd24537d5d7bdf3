"""The components of a task as the kernel sees them: their column functions and parameter tuples.

:class:`TaskComponents` checks that every component provides the column methods the kernel calls
(the protocol, :func:`~gem.envs.kernel.toolchain.check_columns`), collects those functions under the
names the generated source uses, and builds each component's parameter tuple. The kernel calls
nothing else: every piece of physics and task arithmetic is one of these functions, and the
NumPy step calls the same ones on arrays.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from gem.envs.kernel import layout, toolchain
from gem.envs.random import normal_to_uniform, standard_normal
from gem.envs.references import clip, elapsed
from gem.envs.task import (
    DriveTask,
    cos_epsilon,
    error_integral_step,
    normalised,
    observed_value,
    one_hot,
    sin_epsilon,
)
from gem.physical_systems.drive_system import total_inertia, wrap_angle
from gem.physical_systems.loads import interpolated_speed, speed_derivative
from gem.physical_systems.motor import Motor
from gem.physical_systems.solvers import TABLEAUS, combine, substep

MOTOR_OPTIONAL = ("currents", "terminal_currents", "voltages", "extras", "dq_action")
"""Motor methods with a default in :class:`Motor`: called only where the motor overrides them."""

SHARED = {"wrap_angle": wrap_angle, "combine": combine, "substep": substep, "speed_derivative": speed_derivative,
          "interpolated_speed": interpolated_speed, "uniform": normal_to_uniform, "gauss": standard_normal,
          "observed_value": observed_value, "normalised": normalised, "cos_epsilon": cos_epsilon,
          "sin_epsilon": sin_epsilon, "one_hot": one_hot, "error_integral_step": error_integral_step,
          "total_inertia": total_inertia, "clip": clip, "elapsed": elapsed}
"""Functions of gem's modules that every kernel may call, by their name in the generated source."""


def is_composite(reference: Any) -> bool:
    """A reference made of sub-generators (``generators``) that it switches between."""
    return bool(getattr(reference, "generators", None))


def subgenerators(reference: Any) -> tuple:
    """The sub-generators of a composite reference, else the reference itself."""
    return tuple(reference.generators) if is_composite(reference) else (reference,)


class TaskComponents:
    """The column functions and parameter tuples of a task's components.

    Attributes:
        functions: Name in the generated source → plain Python function (compiled by the toolchain).
        params: Parameter tuple name (``MP`` motor, ``LP`` load, ``SP`` a supply with states, ``RWP`` reward, ``CP{k}``
            constraint ``k``, ``GP{r}`` reference ``r``, ``GP{r}s{k}`` sub-generator ``k`` of a
            composite reference ``r``, ``DP{k}`` distribution ``k``) → named tuple of its numbers.
        tableau: The solver's Butcher tableau.

    Raises:
        NotCompilable: If a component does not provide the column functions (the reason says which).
    """

    def __init__(self, task: DriveTask):
        drive = task.drive
        motor, load, conv = drive.motor, drive.load, drive.converter
        if drive.solver_name not in TABLEAUS:
            raise toolchain.NotCompilable(f"solver {drive.solver_name!r}")
        self.tableau = TABLEAUS[drive.solver_name]
        toolchain.check_columns(motor, {})
        toolchain.check_columns(load, {})
        if load.random and not load.prescribed:
            raise toolchain.NotCompilable(f"{type(load).__name__} (a random load torque)")
        toolchain.check_columns(conv, {"output": ("column_functions",)})
        if np.ndim(conv.interlocking_time) and np.ptp(conv.interlocking_time) > 0:
            raise toolchain.NotCompilable("per-environment interlocking times")
        toolchain.check_columns(task.reward, {"__call__": ("reward_columns",)})
        for c in task.constraints:
            toolchain.check_columns(c, {"violated": ("violated_columns",)})
        for g in task.references:
            if is_composite(g):
                toolchain.check_columns(g, {"reset": ("choose_columns",), "advance": ("due_columns", "value_columns")})
            for sub in subgenerators(g):
                toolchain.check_columns(sub, {"reset": ("start_columns",), "advance": ("advance_columns",)})
        f: dict[str, types.FunctionType] = {"m_derivative": motor.column_function("derivative"),
                                             "m_torque": motor.column_function("torque")}
        for name in MOTOR_OPTIONAL:
            own = toolchain.own_method(motor, name, Motor)
            if own is not None:
                f[f"m_{name}"] = own
        load_fn = type(load).next_speed if load.prescribed else type(load).load_torque
        f["l_speed" if load.prescribed else "l_torque"] = load_fn
        f.update({f"cv_{name}": fn for name, fn in conv.column_functions.items()})
        if drive.n_supply:
            toolchain.check_columns(drive.supply, {})
            f["s_derivative"] = type(drive.supply).derivative
        f["r_reward"] = type(task.reward).reward_columns
        f.update({f"c{k}_violated": type(c).violated_columns for k, c in enumerate(task.constraints)})
        reference_params: dict[str, Any] = {}
        for r, g in enumerate(task.references):
            if is_composite(g):
                own = {"choose": type(g).choose_columns, "due": type(g).due_columns, "value": type(g).value_columns}
                f.update({f"g{r}_{name}": fn for name, fn in own.items()})
                reference_params[f"GP{r}"] = toolchain.params_tuple(g, list(own.values()))
            for k, sub in enumerate(subgenerators(g)):
                name = f"g{r}s{k}" if is_composite(g) else f"g{r}"
                f[f"{name}_start"], f[f"{name}_advance"] = type(sub).start_columns, type(sub).advance_columns
                reference_params[name.replace("g", "GP", 1)] = toolchain.params_tuple(
                    sub, [f[f"{name}_start"], f[f"{name}_advance"]])
        for k, rp in enumerate(task.randomized):
            toolchain.check_columns(rp.distribution, {})
            f[f"d{k}_sample"] = type(rp.distribution).sample_columns
        f.update(SHARED)
        self.functions = f
        motor_methods = [fn for name, fn in f.items() if name.startswith("m_")]
        self.params: dict[str, tuple] = {
            "MP": toolchain.params_tuple(motor, motor_methods),
            "LP": toolchain.params_tuple(load, [load_fn]),
            **({"SP": toolchain.params_tuple(drive.supply, [f["s_derivative"]])} if drive.n_supply else {}),
            "RWP": toolchain.params_tuple(task.reward, [f["r_reward"]]),
            **{f"CP{k}": toolchain.params_tuple(c, [f[f"c{k}_violated"]]) for k, c in enumerate(task.constraints)},
            **reference_params,
            **{f"DP{k}": toolchain.params_tuple(rp.distribution, [f[f"d{k}_sample"]])
               for k, rp in enumerate(task.randomized)},
        }
        self.randomized = {f"R{k}": getattr(getattr(drive, rp.part), rp.name) for k, rp in enumerate(task.randomized)}
        """Per-environment arrays the episode starts draw (``R{k}``: randomised parameter ``k``)."""

    def scope(self, vector: bool) -> dict[str, Any]:
        """The compiled functions and parameter tuple types by their names in the generated source.

        The motor's and the converter loop's functions also as ``v_*``: inlined into the loops that
        must vectorise.
        """
        out: dict[str, Any] = {name: toolchain.jit_function(fn) for name, fn in self.functions.items()}
        for name, fn in self.functions.items():
            if name.startswith("m_"):
                out[f"v_{name[2:]}"] = toolchain.jit_function(fn, vector)
            elif name.startswith(("cv_", "l_speed")):     # the converter loop's
                out[f"v_{name}"] = toolchain.jit_function(fn, vector)
        out["v_gauss"] = toolchain.jit_function(standard_normal, vector)
        out.update({f"{name}T": type(p) for name, p in self.params.items()})
        out.update({layout.function_name(name, field): toolchain.jit_function(fn)
                    for name, field, fn in self.held_functions()})
        return out

    @property
    def holds_functions(self) -> bool:
        """Whether a parameter tuple holds a function (the kernel cannot be cached on disk then)."""
        return bool(self.held_functions())

    def held_functions(self) -> list[tuple[str, str, types.FunctionType]]:
        """Functions held in parameter tuples (e.g. a speed profile): ``(tuple name, field, function)``."""
        return [(name, field, value) for name, p in self.params.items()
                for field, value in zip(p._fields, p, strict=True) if isinstance(value, types.FunctionType)]

    def tag(self) -> str:
        """The parameter tuple types, for the cache key (numba's cache index names them)."""
        return "|".join(f"{name}:{type(p).__name__}" for name, p in self.params.items())

    def used(self) -> list[types.FunctionType]:
        """Every function the kernel calls (their code fingerprints the cached machine code)."""
        return list(self.functions.values()) + [fn for _, _, fn in self.held_functions()]
