"""The native batched environment; the single environment is its ``num_envs = 1`` view."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from gem.envs.kernel.runtime import StepArrays
from gem.envs.random import EnvRandom
from gem.envs.task import (
    ANGLE_FEATURES,
    DriveTask,
    error_integral_step,
    initial_values,
    normalised,
    observed_value,
)
from gem.physical_systems.drive_system import total_inertia
from gem.physical_systems.saturation import FluxMap, TableWatch
from gem.visualization import RENDER_FPS, RENDER_MODES, make_dashboard, render_dashboard

NOISE_STREAM = 0x6E6F697365
"""Mixed into an environment's seed for its measurement-noise generator."""


class GemVectorEnv(VectorEnv):
    """``num_envs`` drives stepped together with array operations.

    Autoreset is Gymnasium's ``SAME_STEP``: an environment that terminates or truncates is reset
    within the same ``step``; the returned observation is the first of the new episode and the
    last one of the finished episode is in ``info["final_obs"]`` (a float32 array, rows valid where
    the mask ``info["_final_obs"]`` is true), its info in ``info["final_info"]`` and its physical
    state (SI, unclipped) in ``info["final_physical_state"]`` (same mask).

    Args:
        task: The task definition (see :func:`gem.make_task`).
        num_envs: Batch size.
        max_episode_steps: Truncation horizon (``None``: never truncate).
        autoreset: Reset finished environments within ``step`` (the single view turns this off).
        render_mode: ``None`` (nothing is recorded), ``"rgb_array"`` or ``"human"``: the dashboard of
            environment 0 (see :mod:`gem.visualization`).
        compiled: Run the step as one numba kernel built from the components (see
            :mod:`gem.envs.kernel`); ``False`` keeps the NumPy step. Tasks the kernel does not
            support use the NumPy step (with a ``PerformanceWarning`` when a user component is the
            reason). Both give the same results.
        threaded: Run the compiled kernel on numba's threads (blocks of environments in
            parallel). Off by default: with another busy process on the machine, as when a learner
            trains beside the environment, the threaded kernel is slower and erratic (see
            ``docs/performance.rst``), and numba's threading layer can change the thread count of
            other libraries in the process.
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": list(RENDER_MODES),
                "render_fps": RENDER_FPS}

    def __init__(self, task: DriveTask, num_envs: int = 1, max_episode_steps: int | None = None,
                 autoreset: bool = True, render_mode: str | None = None, compiled: bool = True,
                 threaded: bool = False):
        if int(num_envs) != num_envs or num_envs < 1:
            raise ValueError(f"num_envs must be an integer >= 1, got {num_envs!r}")
        if max_episode_steps is not None and (int(max_episode_steps) != max_episode_steps or max_episode_steps < 1):
            raise ValueError(f"max_episode_steps must be an integer >= 1 or None, got {max_episode_steps!r}")
        task.drive.check_batch(int(num_envs))
        task = task.for_batch(int(num_envs))
        self.task = task
        self.drive = task.drive
        self.num_envs = int(num_envs)
        self.max_episode_steps = max_episode_steps
        self.autoreset = autoreset
        self.render_mode = render_mode
        self.single_action_space = task.action_space
        self.single_observation_space = task.observation_space()
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.rnd = EnvRandom(self.num_envs)
        # own stream: noise on/off leaves the episodes unchanged
        self.noise_rnd = EnvRandom(self.num_envs, used=task.noise is not None)
        idx = self.drive.index
        self._ref_cols = np.array([idx[r] for r in task.reference_names], dtype=np.int64)
        self._obs_cols = np.array([idx.get(n, -1) for n in task.observed], dtype=np.int64)
        self._angle_feats = [(k, ANGLE_FEATURES[n]) for k, n in enumerate(task.observed) if n in ANGLE_FEATURES]
        self._eps_col = idx.get("epsilon", -1)
        self._limits = self.drive.limits(self.num_envs)
        self._noise_scale = task.noise.scale(task.observed) if task.noise is not None else None
        rows = max([len(g.rows) for g in task.references] + [1])
        self._ref_block = np.zeros((len(task.references), rows, self.num_envs))
        self._ref_mem = [g.memory(self.num_envs, self._ref_block[r]) for r, g in enumerate(task.references)]
        self._ref = np.zeros((self.num_envs, len(task.references)))
        self._last_action = np.zeros((self.num_envs, task.memory_size))     # last action, then error integrals
        self._steps = np.zeros(self.num_envs, dtype=np.int64)
        # actions given but not yet applied (action_delay): a ring of delay slots per environment
        self._queue = np.zeros((self.num_envs, max(task.action_delay, 1), task.converter_action_size),
                               np.int64 if task.discrete_action else float)
        self._queue_head = np.zeros(1, np.int64)
        self._state = None
        self._fresh = None          # the default initial state (autoreset), computed at the first reset
        self._needs_reset = np.ones(self.num_envs, dtype=bool)
        self._blocked = True        # some environment needs a reset (any of _needs_reset)
        self._kernel = None
        self._compile = compiled
        self.threaded = bool(threaded)
        flux_map = getattr(self.drive.motor, "saturation", None)     # a synchronous motor's FluxMap
        self._table_watch = None if not isinstance(flux_map, FluxMap) else \
            TableWatch(flux_map, self.num_envs, (self.drive.index["i_sd"], self.drive.index["i_sq"]))

        self.dashboard = make_dashboard(self, render_mode)   # None unless rendering: nothing recorded

    # ------------------------------------------------------------------ public attributes
    @property
    def state_names(self) -> tuple[str, ...]:
        """Physical state names in GEM order."""
        return self.drive.state_names

    @property
    def observation_names(self) -> tuple[str, ...]:
        """What each observation entry is."""
        return self.task.observation_names

    @property
    def reference_names(self) -> tuple[str, ...]:
        """Referenced state names."""
        return self.task.reference_names

    @property
    def physical_state(self) -> np.ndarray:
        """Physical state in SI units, ``(num_envs, n_states)``."""
        self._require_reset()
        return self._state.physical.copy()

    @property
    def limits(self) -> np.ndarray:
        """State normalisers, ``(num_envs, n_states)`` (SI)."""
        return self._limits.copy()

    @property
    def references(self) -> np.ndarray:
        """Current references in SI units, ``(num_envs, n_refs)``."""
        return self._ref * self._limits[:, self._ref_cols]

    @property
    def compiled(self) -> bool:
        """Whether steps run as one compiled kernel (known after the first reset)."""
        return self._kernel is not None

    @property
    def tau(self) -> float:
        """Control period in s."""
        return self.drive.tau

    # ------------------------------------------------------------------ reset / step
    def reset(self, *, seed: int | Sequence[int | None] | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Resets every environment.

        Args:
            seed: ``int``: environment ``i`` is seeded with ``seed + i``; a sequence gives one seed
                per environment; ``None`` keeps the current random streams (fresh entropy on the
                first reset).
            options: ``{"initial_state": {name: value}}`` with SI values (scalars or ``(num_envs,)``
                arrays) for names in ``drive.settable_names``; other states start at the task default.
                Non-finite values are an error; values beyond a limit (or violating a constraint) are
                an error while the task has constraints and a warning without them
                (:meth:`~gem.envs.task.DriveTask.check_initial_state`).
        """
        idx = np.arange(self.num_envs)
        if seed is not None:
            seeds = [seed + i for i in idx] if isinstance(seed, (int, np.integer)) else list(seed)
            if len(seeds) != self.num_envs:
                raise ValueError(f"got {len(seeds)} seeds for {self.num_envs} environments")
            self.rnd.seed(seeds, idx)
            self.noise_rnd.seed([None if s is None else [NOISE_STREAM, s] for s in seeds], idx)
        elif self._state is None:
            self.rnd.seed([None] * self.num_envs, idx)
            self.noise_rnd.seed([None] * self.num_envs, idx)
        options = dict(options or {})
        unknown = set(options) - {"initial_state"}
        if unknown:
            raise ValueError(f"unknown reset option(s) {sorted(unknown)}; supported: ['initial_state']")
        initial = initial_values(options.get("initial_state"), self.num_envs)
        if self._fresh is None:
            self._fresh = self.drive.reset(self.num_envs)
        start = self.drive.reset(self.num_envs, initial) if initial else self._fresh
        if initial:
            self.task.check_initial_state(start, initial, self._limits)
        if self._state is None:
            self._state = start.copy()
        if self._table_watch is not None:
            self._table_watch.episode_start()
        if self._kernel is not None:
            self._kernel.reset(start)
            self._needs_reset[:] = False
            self._blocked = False
            obs = self._kernel.obs.copy()
        else:
            for name in ("x", "omega", "t", "switch", "physical"):
                getattr(self._state, name)[...] = getattr(start, name)
            self._reset_rest(idx)
            obs = self._observe(normalised(self._state.physical, self._limits))
        if self._compile:
            from gem.envs.kernel import compile_step
            self._kernel = compile_step(self.task, self.step_arrays(), self.max_episode_steps, self.autoreset,
                                        self._noise_scale, self.threaded)
            self._compile = False
        if self.dashboard is not None:
            self.dashboard.on_reset(self.physical_state[0], self.references[0])
        return obs, {}

    def _reset_rest(self, idx: np.ndarray) -> None:
        self._randomize(idx)
        for g, mem in zip(self.task.references, self._ref_mem, strict=True):
            g.reset(mem, idx, self.rnd)
        self._ref[idx] = np.stack([mem["value"][idx] for mem in self._ref_mem], axis=1)
        self._last_action[idx] = 0.0
        self._queue[idx] = 0
        self._steps[idx] = 0
        self._needs_reset[idx] = False
        self._blocked = bool(self._needs_reset.any())

    def _randomize(self, idx: np.ndarray) -> None:
        """Draws the randomised parameters of the environments ``idx`` (before the references' draws)."""
        if not self.task.randomized:
            return
        drive = self.drive
        for p in self.task.randomized:
            getattr(getattr(drive, p.part), p.name)[idx] = p.sample(self.rnd.normal(1, idx)[:, 0])
        if np.ndim(drive.j_total):
            drive.j_total[idx] = total_inertia(drive.motor.j_rotor[idx], drive.load.j_load[idx])

    def _reset_subset(self, idx: np.ndarray) -> None:
        # The rows idx of the full-batch initial state: per-environment parameter arrays keep
        # their alignment with the environments.
        st, fresh = self._state, self._fresh
        for name in ("x", "omega", "t", "switch", "physical"):
            getattr(st, name)[idx] = getattr(fresh, name)[idx]
        self._reset_rest(idx)

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Applies one action per environment for one control period ``tau``."""
        kernel = self._kernel
        if kernel is not None:                              # the compiled step, autoreset included
            info = self._step_compiled(actions)
            return kernel.obs.copy(), kernel.rew.copy(), kernel.term.copy(), kernel.trunc.copy(), info
        self._check_steppable()
        action = self._check_action(actions)
        obs, reward, terminated, truncated, finite = self._advance(action)
        done = terminated | truncated
        if self._table_watch is not None:
            self._watch_table(self._state.physical, done)
        if self.dashboard is not None:    # env 0 as observed, before an autoreset
            self.dashboard.on_step(self.physical_state[0], self.references[0], action[0], bool(done[0]))
        info = {}
        if not finite.all():
            info["nonfinite_state"] = ~finite
        if done.any():
            final_obs, final_phys = obs.copy(), self._state.physical.copy()
            if self.autoreset:
                idx = np.flatnonzero(done)
                self._reset_subset(idx)
                obs[idx] = self._observe(normalised(self._state.physical[idx], self._limits[idx]), idx)
            self._finish(done, info, final_obs, final_phys)
        return obs, reward.astype(np.float64), terminated, truncated, info

    def _step_compiled(self, actions: Any, single: bool = False) -> dict[str, Any]:
        """One compiled step; the results stay in the kernel's buffers. Returns the info dict.

        ``single``: ``actions`` is the one action of a ``num_envs = 1`` environment (the single view).
        """
        self._check_steppable()
        kernel = self._kernel
        n_done, n_bad = kernel.run(actions, self._check_action, single)
        if self._table_watch is not None:          # with autoreset, a finished episode's end is in kernel.fph
            self._watch_table(self._state.physical, kernel.term | kernel.trunc, kernel.fph)
        info: dict[str, Any] = {}
        if n_bad:
            info["nonfinite_state"] = ~kernel.fin
            if self.drive.load.prescribed:      # a speed profile that returned inf or NaN is an error, as in NumPy
                omega = kernel.fph[:, 0] if self.autoreset else self._state.physical[:, 0]
                self.drive.check_speed(np.where(kernel.fin, 0.0, omega), self._state.t)
        if self.dashboard is not None:    # env 0 as it ended the step (the kernel may have reset it)
            done = kernel.term[0] or kernel.trunc[0]
            final = done and self.autoreset
            phys = kernel.fph[0] if final else self._state.physical[0]
            ref = kernel.fref[0, :len(self._ref_cols)] if final else self._ref[0]
            self.dashboard.on_step(phys.copy(), ref * self._limits[0, self._ref_cols], kernel.A[0].copy(), bool(done))
        if n_done:
            self._finish(kernel.term | kernel.trunc, info, kernel.fobs, kernel.fph)
        return info

    def _watch_table(self, physical: np.ndarray, done: np.ndarray, final: np.ndarray | None = None) -> None:
        """Warns once per environment and episode whose step ended outside the motor's flux map."""
        watch = self._table_watch
        watch.check(physical, final if self.autoreset else None, done)
        if self.autoreset:
            watch.episode_start(done)

    def step_arrays(self) -> StepArrays:
        """The arrays the compiled step reads and updates in place (its contract with this environment)."""
        self._require_reset()
        return StepArrays(state=self._state, start=self._fresh, limits=self._limits,
                          u_sup=self.drive.supply_voltage(self.num_envs), references=self._ref,
                          reference_rows=self._ref_block, last_action=self._last_action, steps=self._steps,
                          action_queue=self._queue, queue_head=self._queue_head,
                          key=self.rnd.key, counter=self.rnd.counter, noise_key=self.noise_rnd.key,
                          noise_counter=self.noise_rnd.counter)

    def _check_steppable(self) -> None:
        self._require_reset()
        if self._blocked:
            bad = np.flatnonzero(self._needs_reset).tolist()
            raise RuntimeError(f"environment(s) {bad} finished their episode: call reset() before step()")

    def _finish(self, done: np.ndarray, info: dict[str, Any], final_obs: np.ndarray, final_phys: np.ndarray) -> None:
        """Reports finished episodes (autoreset) or marks them as needing a reset."""
        if self.autoreset:
            idx = np.flatnonzero(done)
            info["final_obs"] = np.zeros(final_obs.shape, np.float32)
            info["final_obs"][idx] = final_obs[idx]
            info["_final_obs"] = done.copy()
            info["final_info"] = {}
            info["_final_info"] = done.copy()
            info["final_physical_state"] = np.zeros(final_phys.shape)
            info["final_physical_state"][idx] = final_phys[idx]
        else:
            self._needs_reset |= done
            self._blocked = True

    def _advance(self, action: np.ndarray) -> tuple[np.ndarray, ...]:
        """The NumPy step: physics, constraints, reward, references, observation."""
        noise = self.rnd.normal(1)[:, 0] if self.drive.load.random else None
        applied = self.drive.dq_to_converter(self._state, action, (self.task.action_delay + 0.5) * self.drive.tau) \
            if self.task.action_frame == "dq" else action
        if self.task.action_delay:
            applied = self._delayed(applied)
        state = self.drive.step(self._state, applied, noise)
        self._state = state
        norm = normalised(state.physical, self._limits)
        finite = np.isfinite(norm).all(axis=1)
        violated = ~finite
        for c in self.task.constraints:
            violated |= c.violated(norm, self.drive.index)
        reward = self.task.reward(norm[:, self._ref_cols], self._ref, violated)
        self._steps += 1
        truncated = np.zeros(self.num_envs, bool) if self.max_episode_steps is None else \
            self._steps >= self.max_episode_steps
        a = self.task.action_size
        if self.task.last_action:
            self._last_action[:, :a] = self.task.action_features(action)
        if self.task.error_integral is not None:
            self._last_action[:, a:] = error_integral_step(self._last_action[:, a:], self._ref,
                                                           norm[:, self._ref_cols], self.task.integral_gain)
        pairs = list(zip(self.task.references, self._ref_mem, strict=True))
        for g, mem in pairs:            # every reference's step draws first, as in the compiled step ...
            g.advance(mem, self.rnd, self.drive.tau)
        for k, (g, mem) in enumerate(pairs):     # ... then the draws of events (a switch that is due)
            self._ref[:, k] = g.finish_step(mem, self.rnd)
        return self._observe(norm), reward, violated, truncated, finite

    def render(self) -> np.ndarray | None:
        """Environment 0's dashboard: an ``(H, W, 3)`` uint8 frame (``"rgb_array"``) or a live plot (``"human"``)."""
        return render_dashboard(self.dashboard)

    def close_extras(self, **kwargs: Any) -> None:
        """Closes the dashboard's figure."""
        if self.dashboard is not None:
            self.dashboard.close()

    # ------------------------------------------------------------------ helpers
    def _delayed(self, applied: np.ndarray) -> np.ndarray:
        """The converter actions given ``action_delay`` steps ago; ``applied`` takes their place in the ring."""
        h = int(self._queue_head[0])
        out = self._queue[:, h].copy()
        self._queue[:, h] = applied.reshape(self.num_envs, -1)
        self._queue_head[0] = (h + 1) % self.task.action_delay
        return out.reshape(applied.shape)

    def _require_reset(self) -> None:
        if self._state is None:
            raise RuntimeError("call reset() before step() or reading the state")

    def _check_action(self, actions: Any) -> np.ndarray:
        space = self.single_action_space
        n = self.num_envs
        if isinstance(space, spaces.Box):
            a = np.asarray(actions, dtype=np.float64)
            if a.shape == (n,) and space.shape == (1,):
                a = a[:, None]
            if a.shape != (n, *space.shape):
                raise ValueError(f"action shape {a.shape} does not match the batched action space {(n, *space.shape)}")
            if not np.isfinite(a).all():
                raise ValueError("action contains NaN or inf")
            return a
        a = np.asarray(actions)
        if not np.issubdtype(a.dtype, np.integer):
            if not np.issubdtype(a.dtype, np.floating) or not np.all(np.isfinite(a)) or np.any(a != np.round(a)):
                raise ValueError(f"finite-converter actions must be integers, got {actions!r}")
            a = a.astype(np.int64)
        sizes = np.array([len(t) for t in self.drive.converter.topology.tables])
        want = (n,) if isinstance(space, spaces.Discrete) else (n, len(sizes))
        if a.shape != want:
            raise ValueError(f"action shape {a.shape} does not match the batched action space {want}")
        a = a.reshape(n, len(sizes))
        if np.any(a < 0) or np.any(a >= sizes):
            raise ValueError(f"finite action out of range: {a.ravel().tolist()} (sizes {sizes.tolist()})")
        return a

    def _observe(self, norm: np.ndarray, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        obs = norm[:, self._obs_cols]
        for k, fn in self._angle_feats:
            obs[:, k] = fn(norm[:, self._eps_col])
        noise, scale = 0.0, 0.0
        if self._noise_scale is not None:
            rows = None if isinstance(idx, slice) else idx
            noise, scale = self.noise_rnd.normal(obs.shape[1], rows), self._noise_scale
        parts = [observed_value(obs, noise, scale), self._ref[idx]]
        a = self.task.action_size
        if self.task.last_action:
            parts.append(self._last_action[idx, :a])
        if self.task.error_integral is not None:
            parts.append(self._last_action[idx, a:])
        return np.concatenate(parts, axis=1).astype(np.float32)
