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

from gem.envs.kernel import toolchain
from gem.envs.random import normal_to_uniform, standard_normal
from gem.envs.task import DriveTask, cos_epsilon, normalised, observed_value, one_hot, sin_epsilon
from gem.physical_systems.drive_system import total_inertia, wrap_angle
from gem.physical_systems.loads import interpolated_speed, speed_derivative
from gem.physical_systems.modulation import dq_action_to_b6
from gem.physical_systems.motor import Motor
from gem.physical_systems.solvers import TABLEAUS, combine, substep

MOTOR_OPTIONAL = ("currents", "terminal_currents", "voltages", "extras")
"""Motor methods with a default in :class:`Motor`: called only where the motor overrides them."""

SHARED = {"wrap_angle": wrap_angle, "combine": combine, "substep": substep, "speed_derivative": speed_derivative,
          "interpolated_speed": interpolated_speed, "uniform": normal_to_uniform, "gauss": standard_normal,
          "observed_value": observed_value, "normalised": normalised, "cos_epsilon": cos_epsilon,
          "sin_epsilon": sin_epsilon, "one_hot": one_hot, "dq_action_to_b6": dq_action_to_b6,
          "total_inertia": total_inertia}
"""Functions of gem's modules that every kernel may call, by their name in the generated source."""


class TaskComponents:
    """The column functions and parameter tuples of a task's components.

    Attributes:
        functions: Name in the generated source → plain Python function (compiled by the toolchain).
        params: Parameter tuple name (``MP`` motor, ``LP`` load, ``RWP`` reward, ``CP{k}``
            constraint ``k``, ``GP{r}`` reference ``r``) → named tuple of its numbers.
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
            toolchain.check_columns(g, {"reset": ("start_columns",), "advance": ("advance_columns",)})
        f: dict[str, types.FunctionType] = {"m_derivative": type(motor).derivative, "m_torque": type(motor).torque}
        for name in MOTOR_OPTIONAL:
            own = toolchain.own_method(motor, name, Motor)
            if own is not None:
                f[f"m_{name}"] = own
        load_fn = type(load).next_speed if load.prescribed else type(load).load_torque
        f["l_speed" if load.prescribed else "l_torque"] = load_fn
        f.update({f"cv_{name}": fn for name, fn in conv.column_functions.items()})
        f["r_reward"] = type(task.reward).reward_columns
        f.update({f"c{k}_violated": type(c).violated_columns for k, c in enumerate(task.constraints)})
        for r, g in enumerate(task.references):
            f[f"g{r}_start"], f[f"g{r}_advance"] = type(g).start_columns, type(g).advance_columns
        for k, rp in enumerate(task.randomized):
            toolchain.check_columns(rp.distribution, {})
            f[f"d{k}_sample"] = type(rp.distribution).sample_columns
        f.update(SHARED)
        self.functions = f
        motor_methods = [fn for name, fn in f.items() if name.startswith("m_")]
        self.params: dict[str, tuple] = {
            "MP": toolchain.params_tuple(motor, motor_methods),
            "LP": toolchain.params_tuple(load, [load_fn]),
            "RWP": toolchain.params_tuple(task.reward, [f["r_reward"]]),
            **{f"CP{k}": toolchain.params_tuple(c, [f[f"c{k}_violated"]]) for k, c in enumerate(task.constraints)},
            **{f"GP{r}": toolchain.params_tuple(g, [f[f"g{r}_start"], f[f"g{r}_advance"]])
               for r, g in enumerate(task.references)},
            **{f"DP{k}": toolchain.params_tuple(rp.distribution, [f[f"d{k}_sample"]])
               for k, rp in enumerate(task.randomized)},
        }
        self.randomized = {f"R{k}": getattr(getattr(drive, rp.part), rp.name) for k, rp in enumerate(task.randomized)}
        """Per-environment arrays the episode starts draw (``R{k}``: randomised parameter ``k``)."""

    def scope(self, vector: bool) -> dict[str, Any]:
        """The compiled functions and parameter tuple types by their names in the generated source.

        The motor's functions also as ``v_*``: inlined into the loops that must vectorise.
        """
        out: dict[str, Any] = {name: toolchain.jit_function(fn) for name, fn in self.functions.items()}
        for name, fn in self.functions.items():
            if name.startswith("m_"):
                out[f"v_{name[2:]}"] = toolchain.jit_function(fn, vector)
        out["v_gauss"] = toolchain.jit_function(standard_normal, vector)
        out.update({f"{name}T": type(p) for name, p in self.params.items()})
        return out

    def tag(self) -> str:
        """The parameter tuple types, for the cache key (numba's cache index names them)."""
        return "|".join(f"{name}:{type(p).__name__}" for name, p in self.params.items())

    def used(self) -> list[types.FunctionType]:
        """Every function the kernel calls (their code fingerprints the cached machine code)."""
        return list(self.functions.values())
