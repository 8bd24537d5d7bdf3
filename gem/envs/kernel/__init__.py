"""The compiled step: one numba kernel per task structure that only wires the components' column functions.

Every component owns its step arithmetic once, as functions on columns: the motor's
``derivative``, ``torque``, ``currents``, …; the load's ``load_torque`` or ``next_speed``; the
converter's ``column_functions`` (duty cycle, leg voltage with interlocking, terminal voltage);
the solver's Butcher tableau with :func:`~gem.physical_systems.solvers.combine`; each
constraint's ``violated_columns``; the reward's ``reward_columns``; each reference's
``start_columns`` and ``advance_columns``; the observation's
:func:`~gem.envs.task.observed_value`. The NumPy step calls them on ``(num_envs,)`` arrays; the
kernel calls the same functions, compiled by numba with ``self`` replaced by a named tuple of the
component's numbers, on one environment at a time. A component is compiled because it provides
these functions (a protocol), not because the kernel knows its class; a subclass that overrides a
NumPy method without its column method runs on the NumPy step with a ``PerformanceWarning``
naming the reason.

The package, by concept:

* :mod:`~gem.envs.kernel.components`: the task's column functions and parameter tuples (the protocol);
* :mod:`~gem.envs.kernel.wiring` and :mod:`~gem.envs.kernel.wiring_task`: the kernel's source,
  which only calls those functions (loops, rows, stores);
* :mod:`~gem.envs.kernel.layout`: packed constants, parameter tuples, scratch rows, blocks;
* :mod:`~gem.envs.kernel.toolchain`: compiling component functions and the kernel, the disk cache;
* :mod:`~gem.envs.kernel.kernel_numpy`: ``sin``, ``cos``, ``log``, ``where`` as the kernel sees them;
* :mod:`~gem.envs.kernel.runtime`: the contract with the environment (:class:`StepArrays`),
  building, binding and calling the kernel.

Layout of a kernel: the batch is cut into blocks of :data:`~gem.envs.kernel.layout.BLOCK`
environments (threads, when ``threaded=True``, take whole blocks) and each block runs up to six
loops (see :mod:`~gem.envs.kernel.wiring`). Loops 0 and 2–4 are separate functions over
structure-of-arrays scratch rows with branch-free bodies, so that LLVM vectorises loops 0, 2 and
3, and loop 1 for continuous converters, which a short scalar loop first gathers into rows (4 or 8
environments per AVX2 or AVX-512 instruction). That needs the polynomials of
:mod:`~gem.envs.kernel.kernel_numpy` (the C library's functions are opaque calls), unsigned
indices (numba's negative-index wraparound is a select LLVM cannot vectorise), ``range(hi - lo)``
loops, and more run-time overlap checks than LLVM allows by default
(:func:`~gem.envs.kernel.toolchain.allow_overlap_checks`).

Everything gem ships compiles: per-environment parameter arrays and domain randomisation
(:mod:`gem.envs.randomization`), ``SwitchedReference`` (a composite: the kernel advances or
restarts its active sub-generator), ``ExternalSpeedLoad`` (its profile compiled with numba; such a
kernel is not cached on disk), the Ornstein–Uhlenbeck load, measurement noise. Not compiled (the
NumPy step runs, logged at INFO level): ``solver="scipy"`` and continuous converters with
different interlocking times per environment.
"""

from gem.envs.kernel.layout import BLOCK
from gem.envs.kernel.runtime import CompiledStep, PerformanceWarning, StepArrays, compile_step
from gem.envs.kernel.toolchain import NotCompilable

__all__ = ["BLOCK", "CompiledStep", "NotCompilable", "PerformanceWarning", "StepArrays", "compile_step"]
