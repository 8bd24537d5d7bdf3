"""Running the compiled step: the contract with the environment, building, binding and calling the kernel.

The environment hands the kernel its arrays as one :class:`StepArrays` (the only thing the kernel
reads from it besides the task); :class:`CompiledStep` builds the kernel for the task's structure,
binds the arrays once and calls the machine code directly.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from gem.envs.kernel import layout, toolchain
from gem.envs.kernel.components import TaskComponents
from gem.envs.kernel.wiring import LOOPS, Wiring, constants
from gem.envs.task import DriveTask
from gem.physical_systems.drive_system import DriveState

_log = logging.getLogger("gem.envs.kernel")

VECTORISE_FROM: int | None = 64
"""Batches of at least this many environments get the vectorised kernel (see :mod:`gem.envs.kernel`).

Smaller batches, where the Python side of a step costs more than the kernel, get the same kernel
compiled without vectorisation and without inlining the components: it runs about as fast there
and compiles in about half the time. ``None`` never vectorises."""

_KERNELS: dict[tuple, Any] = {}


class PerformanceWarning(UserWarning):
    """A task's components could not be compiled; the (slower) NumPy step is used."""


@dataclass
class StepArrays:
    """The environment's arrays that the compiled step reads and updates in place.

    Attributes:
        state: The drive state (ODE state, speed, time, switch states, physical state).
        start: The default episode-start state (autoreset).
        limits: ``(num_envs, n_states)`` state normalisers.
        u_sup: ``(num_envs,)`` supply voltage (V).
        references: ``(num_envs, n_refs)`` normalised references.
        reference_rows: ``(n_refs, rows, num_envs)`` the references' per-environment rows.
        last_action: ``(num_envs, task.memory_size)`` last-action features, then the error integrals.
        steps: ``(num_envs,)`` steps since the episode start.
        action_queue: ``(num_envs, max(action_delay, 1), converter actions)`` actions given but not
            yet applied (a ring; slot ``queue_head[0]`` is applied next).
        queue_head: ``(1,)`` the ring's next slot.
        key, counter: The main random streams (keys and draw counters).
        noise_key, noise_counter: The measurement-noise streams.
    """

    state: DriveState
    start: DriveState
    limits: np.ndarray
    u_sup: np.ndarray
    references: np.ndarray
    reference_rows: np.ndarray
    last_action: np.ndarray
    steps: np.ndarray
    action_queue: np.ndarray
    queue_head: np.ndarray
    key: np.ndarray
    counter: np.ndarray
    noise_key: np.ndarray
    noise_counter: np.ndarray


class CompiledStep:
    """Builds and runs the compiled step of a task.

    Args:
        task: The task.
        arrays: The environment's arrays (bound now; :meth:`bind` binds new ones).
        max_steps: Truncation horizon (``None``: never truncate).
        autoreset: Start new episodes in finished environments within the step.
        noise_scale: Standard deviation of the measurement noise per observed state, or ``None``.
        threaded: Run blocks of environments on numba's threads (``prange``).

    Raises:
        NotCompilable: If a component does not provide its column functions.
    """

    def __init__(self, task: DriveTask, arrays: StepArrays, max_steps: int | None, autoreset: bool,
                 noise_scale: np.ndarray | None, threaded: bool = False):
        if toolchain.numba is None:
            raise toolchain.NotCompilable("numba is not installed")
        self.task = task
        parts = TaskComponents(task)
        n = arrays.state.x.shape[0]
        self.num_envs = n
        threads = toolchain.numba.get_num_threads() if threaded else 1
        self.constants = constants(task, parts, n, max_steps or -1, autoreset, noise_scale,
                                   layout.block_size(n, threads))
        wide = VECTORISE_FROM is not None and n >= VECTORISE_FROM
        for vector in (True, False) if wide else (False,):
            wiring = Wiring(task, parts, self.constants)
            source = wiring.source(vector)
            self._buffers(n, wiring)
            key = (source, parts.tag(), threaded, vector, *(fn for _, _, fn in parts.held_functions()))
            if key not in _KERNELS:
                scope = {"np": toolchain.kernel_numpy, "prange": toolchain.numba.prange if threaded else range,
                         **parts.scope(vector)}
                _KERNELS[key] = toolchain.compile_source(source, scope, parts.used(), f"{parts.tag()}|{int(vector)}",
                                                         LOOPS, threaded, cacheable=not parts.holds_functions)
            self.kernel = self._entry = _KERNELS[key]
            try:
                copies = StepArrays(**{f.name: getattr(arrays, f.name).copy() for f in fields(arrays)})
                with toolchain.loop_vectoriser(vector):
                    self.kernel(*self._call_args(copies))    # compiles now (on copies): errors surface here
                self.vectorised = vector
                break
            except Exception as exc:
                del _KERNELS[key]
                if not vector:
                    raise
                _log.info("gem: kernel not vectorised (%s: %s)", type(exc).__name__, str(exc).strip()[:200])
        self.bind(arrays)

    # ------------------------------------------------------------------ arrays
    def _buffers(self, n: int, wiring: Wiring) -> None:
        """Action input and result arrays, allocated once and reused by every step."""
        task = self.task
        space = task.action_space
        n_obs = task.observation_space().shape[0]
        width = 1 if space.shape == () else int(np.prod(space.shape))
        self.A = np.zeros((n, width), np.int64 if self.task.discrete_action else float)
        self._a_single = self.A[0].reshape(space.shape)
        self._a_batch = self.A.reshape((n, *space.shape))
        self.obs = np.zeros((n, n_obs), np.float32)
        self.fobs = np.zeros((n, n_obs), np.float32)
        self.fph = np.zeros((n, len(task.drive.state_names)))
        self.fref = np.zeros((n, max(len(task.references), 1)))
        self.rew = np.zeros(n)
        self.term, self.trunc, self.fin = (np.zeros(n, bool) for _ in range(3))
        self._mask = np.ones(n, bool)
        # one row per quantity, a column per environment; rows padded (layout.padded_row)
        width = layout.padded_row(n)
        self._scratch = np.zeros((max(wiring.rows.count, 1), width))     # converter voltages, speeds, draws
        self._sx0, self._sx1 = np.zeros((wiring.kx, width)), np.zeros((wiring.kx, width))   # states: start, end
        self._sph = np.zeros((len(task.drive.state_names), width))                          # physical state

    def bind(self, arrays: StepArrays) -> None:
        """Binds the environment's arrays: every later step and reset updates them in place."""
        self.arrays = arrays
        self._call = self._call_args(arrays)
        self._reset_call = self._call_args(arrays, mode=1)
        self._entry = self._entry_point(self._call)

    def _call_args(self, a: StepArrays, start: DriveState | None = None, mode: int = 0) -> tuple:
        """The kernel's arguments. ``mode`` 0 steps; 1 starts episodes from ``start`` (default: ``a.start``)."""
        st, fresh = a.state, start or a.start
        return (st.x, st.omega, st.t, st.switch, st.physical, self.A, a.limits, a.u_sup, a.references,
                a.reference_rows, a.last_action, a.steps, a.key, a.counter, a.noise_key, a.noise_counter,
                self.obs, self.rew, self.term, self.trunc, self.fin, fresh.x, fresh.omega, fresh.switch,
                fresh.physical, self.fobs, self.fph, self.fref, self.constants.cf, self.constants.ci,
                tuple(self.constants.per_env) or (np.zeros(1),), self._mask,
                self._scratch, self._sx0, self._sx1, self._sph, a.action_queue, a.queue_head, mode)

    def _entry_point(self, call: tuple) -> Any:
        """The machine code compiled for exactly the types of ``call``, called without numba's dispatch.

        The bound arrays keep their types (only their contents change), so the dispatcher's type
        resolution, about 1 µs per call, is done once here. Falls back to the dispatcher.
        """
        types_ = tuple(toolchain.numba.typeof(a) for a in call)
        compiled_ = self.kernel.overloads.get(types_)
        return compiled_.entry_point if compiled_ is not None else self.kernel

    # ------------------------------------------------------------------ running
    def run(self, actions: Any, check: Any, single: bool = False) -> tuple[int, int]:
        """Runs one compiled step on the bound arrays (updated in place).

        The results are left in :attr:`obs`, :attr:`rew`, :attr:`term`, :attr:`trunc`, :attr:`fin`
        and, for environments the kernel reset, :attr:`fobs`, :attr:`fph` and :attr:`fref`.

        Args:
            actions: A batch of actions, or one action if ``single``.
            check: The environment's action check (turns actions into the batch array or raises).
            single: ``actions`` is the action of a ``num_envs = 1`` environment.

        Returns:
            The number of finished episodes and of environments with a non-finite state.

        Raises:
            ValueError: If an action has the wrong shape or type, is not finite or out of range
                (nothing is changed then).
        """
        view = self._a_single if single else self._a_batch
        if np.shape(actions) == view.shape and (not self.task.discrete_action or _is_integer(actions)):
            view[...] = actions
        else:
            self.A[...] = check(np.asarray(actions)[None] if single else actions)
        n_done, n_bad, bad = self._entry(*self._call)
        if bad >= 0:
            check(self._a_batch)            # raises with the details
            raise ValueError(f"invalid action for environment {bad}: {self.A[bad].tolist()}")
        return n_done, n_bad

    def reset(self, start: DriveState) -> None:
        """Starts new episodes in every environment from the drive state ``start``.

        References and the observation (left in :attr:`obs`) are drawn as at an autoreset.
        """
        call = self._reset_call if start is self.arrays.start else self._call_args(self.arrays, start, mode=1)
        self.kernel(*call)


def _is_integer(actions: Any) -> bool:
    dtype = getattr(actions, "dtype", None)
    return dtype.kind in "iu" if dtype is not None else isinstance(actions, int) and not isinstance(actions, bool)


def compile_step(task: DriveTask, arrays: StepArrays, max_steps: int | None, autoreset: bool,
                 noise_scale: np.ndarray | None, threaded: bool = False) -> CompiledStep | None:
    """The compiled step of a task, or ``None`` if it cannot be built (arguments as :class:`CompiledStep`).

    A documented limit of gem's components (``solver="scipy"``, per-environment interlocking
    times of a continuous converter) is logged at INFO level; a user component without its column methods,
    or one numba fails to compile, raises a :class:`PerformanceWarning` with the reason.
    """
    try:
        return CompiledStep(task, arrays, max_steps, autoreset, noise_scale, threaded)
    except toolchain.NotCompilable as exc:
        if not exc.user:
            _log.info("gem: using the NumPy step for this task (%s)", exc)
            return None
        reason = str(exc)
    except Exception as exc:  # numba typing errors: a user component numba cannot compile
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        reason = f"{type(exc).__name__}: {first}"
    warnings.warn(f"gem: could not compile the step ({reason}); using the NumPy step, which gives the same "
                  "results more slowly. Pass compiled=False to silence this.", PerformanceWarning, stacklevel=4)
    return None
