"""The compiled step: one numba kernel per task structure, built from the components' own methods.

:class:`CompiledStep` generates the source of the step specialised to the task's dimensions and
calls the components' methods compiled by :mod:`gem.envs.jit`. Numbers (parameters, limits,
weights) are arguments, packed in one float and one integer array, so tasks that differ only in
values share a kernel. It reproduces :meth:`GemVectorEnv._advance` (the NumPy step) to
floating-point tolerance; the tests compare the two. The kernel also validates the actions
(before touching any state) and starts new episodes: at the autoreset of finished environments
and, with ``mode=1``, for :meth:`GemVectorEnv.reset` (the first reset of an environment, which
builds the kernel, runs in NumPy).

Layout: the batch is cut into blocks of :data:`BLOCK` environments (threads take whole blocks)
and each block runs up to six loops over its environments:

0. ``draws``: the random draws every step takes (load, Wiener references, observation noise),
   computed from the environments' counter-based streams (:mod:`gem.envs.random`);
1. converter: actions → applied voltages (per environment: branches, table look-ups);
2. ``integrate``: the solver over the period (RK4 or Euler);
3. ``physical``: currents, voltages, torque of the new state (the motor's methods);
4. ``outcome``: normalisation, constraints, reward, episode ends, observed states;
5. references, the rest of the observation, autoreset (per environment: branches; the episode
   starts draw directly from the streams).

Loops 0 and 2–4 are separate functions over structure-of-arrays scratch rows (``S``, ``SX0``,
``SX1``, ``SPH``: one row per quantity, one column per environment, rows padded so that they do
not share L1 cache sets, :func:`_padded_row`) with branch-free bodies, so LLVM vectorises loops
0, 2 and 3 (4 or 8 environments per AVX2 or AVX-512 instruction). That needs the sin/cos/log of
:mod:`gem.envs.kernel_numpy` (the C library's are opaque calls), unsigned indices (numba's
negative-index wraparound is a select LLVM cannot vectorise), ``range(hi - lo)`` loops, and
more run-time overlap checks than LLVM allows by default (:func:`_allow_overlap_checks`).
Loop 4 stays scalar: it writes the user-visible ``(num_envs, k)`` arrays, whose row length numba
reads at run time, so LLVM cannot rule out overlaps between their rows. (Moving those stores to
loop 5 lets it vectorise: 8 % faster at 8192 environments, but the kernel then compiled in 20
instead of 11 s; not done.)

Not compiled (the NumPy step is used instead): ``solver="scipy"``, ``ExternalSpeedLoad`` and
other prescribed loads with Python callables, switched references, per-environment parameter
arrays, and methods numba cannot compile (for example a user motor that calls another method
of ``self``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import sys
import tempfile
import types
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from gem.envs import jit
from gem.envs.constraints import LimitConstraint, SquaredConstraint
from gem.envs.random import normal_to_uniform, standard_normal
from gem.envs.references import (
    ConstReference,
    PeriodicReference,
    WienerReference,
    _sawtooth,
    _sine,
    _square,
    _triangle,
    periodic_start,
    wiener_start,
)
from gem.envs.rewards import error_power
from gem.envs.task import OBS_BOUND
from gem.physical_systems.converters import FiniteConverter
from gem.physical_systems.drive_system import wrap_angle
from gem.physical_systems.loads import ConstantSpeedLoad, OrnsteinUhlenbeckLoad
from gem.physical_systems.modulation import b6_actions
from gem.physical_systems.motor import Motor
from gem.physical_systems.transforms import inverse_park

_log = logging.getLogger(__name__)

BLOCK = 512
"""Environments per block (at most): the loops of the kernel run over one block at a time (its
scratch rows stay in the L2 cache), and threads take whole blocks. Measured on the benchmark
machine (Cont-CC-PMSM-v0, 8192 environments, kernel alone): 256 → 512 gives 65 → 60 ns per
env-step on two threads and 120 ns on one; 64 is slower (97 ns), 4096 too (72 ns). Since the
scratch rows are padded (:func:`_padded_row`) 256 to 2048 are within 5 % (43–44 ns, 85–90 ns)."""

VECTORISE_FROM: int | None = 64
"""Batches of at least this many environments get the vectorised kernel (module docstring).

Smaller batches, where the Python side of a step costs more than the kernel, get the same kernel
compiled without vectorisation and without inlining the components: it runs about as fast there
and compiles in about half the time. ``None`` never vectorises."""

PARALLEL_FROM: int | None = 256
"""Batches of at least this many environments use the multi-threaded (numba ``prange``) kernel.

Measured on the 2-core benchmark machine (idle): threads pay from 256 environments on
(Cont-CC-PMSM-v0: 3.6 → 4.7 M env-steps/s at 1024, 3.6 → 7.1 M at 8192). ``None`` keeps every
batch on the serial kernel; the number of threads is numba's (``NUMBA_NUM_THREADS``)."""

_KERNELS: dict[tuple, Any] = {}
_COMPILE_OPTIONS = "error_model=numpy"
"""Part of the cache key: kernels compiled with other options are not reused."""
_SHAPES = {"sine": _sine, "step": _square, "triangle": _triangle, "sawtooth": _sawtooth}


def _tuple(names: list[str]) -> str:
    return "(" + "".join(f"{n}, " for n in names) + ")"


class _Source:
    """Indented source builder."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def __call__(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


class CompiledStep:
    """Builds and runs the compiled step of a :class:`~gem.envs.vector_env.GemVectorEnv`.

    Raises:
        NotCompilable: If the task uses something the kernel does not support.
    """

    def __init__(self, env: Any):
        task, drive = env.task, env.drive
        if jit.numba is None:
            raise jit.NotCompilable("numba is not installed")
        if drive.solver_name not in ("rk4", "euler"):
            raise jit.NotCompilable(f"solver {drive.solver_name!r}")
        motor, load, conv = drive.motor, drive.load, drive.converter
        if load.prescribed and not isinstance(load, (ConstantSpeedLoad, OrnsteinUhlenbeckLoad)):
            raise jit.NotCompilable(f"{type(load).__name__} (prescribed by a Python callable)")
        if load.random and not load.prescribed:
            raise jit.NotCompilable(f"{type(load).__name__} (a random load torque)")
        for g in task.references:
            if not isinstance(g, (WienerReference, ConstReference, PeriodicReference)):
                raise jit.NotCompilable(f"reference {type(g).__name__}")
        for c in task.constraints:
            if not isinstance(c, (LimitConstraint, SquaredConstraint)):
                raise jit.NotCompilable(f"constraint {type(c).__name__}")
        self.env = env
        self.finite = isinstance(conv, FiniteConverter)
        self.funcs = self._functions(motor, load)
        self._load_draws = int(load.random)
        """Draws of the load per step (a random load is speed-prescribed here, checked above)."""
        self.mp = jit.params_tuple(motor, [f for f in self.funcs.values() if f is not None and
                                           f.__code__.co_varnames[:1] == ("self",)])
        self.lp = jit.params_tuple(load, [type(load).load_torque] if not load.prescribed else
                                   [type(load).next_speed] if load.random else [])
        parallel = PARALLEL_FROM is not None and env.num_envs >= PARALLEL_FROM
        constants = self._constants(env, parallel)
        self._layout = _layout(constants)
        self._cf, self._ci = _pack(constants, self._layout)     # fixed for the environment's life
        wide = VECTORISE_FROM is not None and env.num_envs >= VECTORISE_FROM
        for vector in (True, False) if wide else (False,):
            source = self._source(env, vector)
            self._buffers(env)
            key = (source, type(motor), type(load), parallel, vector)
            if key not in _KERNELS:
                _KERNELS[key] = self._compile(source, parallel, vector)
            self.kernel = self._entry = _KERNELS[key]
            try:
                with _loop_vectoriser(vector):
                    self.kernel(*self._call_args(env, copy=True))    # compiles now (on copies): errors surface here
                self.vectorised = vector
                break
            except Exception as exc:
                del _KERNELS[key]
                if not vector:
                    raise
                _log.info("gem: kernel not vectorised (%s: %s)", type(exc).__name__, str(exc).strip()[:200])

    # ------------------------------------------------------------------ components
    @staticmethod
    def _functions(motor: Motor, load: Any) -> dict[str, Any]:
        own = {name: jit.own_method(motor, name, Motor) for name in
               ("currents", "terminal_currents", "voltages", "extras")}
        return {"derivative": type(motor).derivative, "torque": type(motor).torque, **own,
                "load_torque": None if load.prescribed else type(load).load_torque,
                "next_speed": type(load).next_speed if load.random else None}

    def _compile(self, source: str, parallel: bool, vector: bool) -> Any:
        """Compiles the generated source, cached on disk (numba ``cache=True``).

        The file name fingerprints the source and the bytecode of every component function it calls.
        """
        _allow_overlap_checks()
        scope: dict[str, Any] = {"np": jit.kernel_numpy, "prange": jit.numba.prange if parallel else range,
                                 "MPT": type(self.mp), "LPT": type(self.lp),
                                 "wrap_angle": jit.jit_function(wrap_angle),
                                 "b6_actions": jit.jit_function(b6_actions),
                                 "inverse_park": jit.jit_function(inverse_park),
                                 "uniform": jit.jit_function(normal_to_uniform),
                                 "gauss": jit.jit_function(standard_normal),
                                 "v_gauss": jit.jit_function(standard_normal, vector),
                                 "error_power": jit.jit_function(error_power),
                                 "ref_wiener_start": jit.jit_function(wiener_start),
                                 "ref_periodic_start": jit.jit_function(periodic_start)}
        for name, fn in self.funcs.items():
            if fn is not None:
                scope[f"m_{name}"] = jit.jit_function(fn)
                scope[f"v_{name}"] = jit.jit_function(fn, vector)     # inlined where a loop must vectorise
        for name, fn in _SHAPES.items():
            scope[f"shape_{name}"] = jit.jit_function(fn)
        used = [fn for fn in self.funcs.values() if fn is not None] + list(_SHAPES.values()) + \
            [wrap_angle, b6_actions, inverse_park, normal_to_uniform, standard_normal, wiener_start, periodic_start,
             error_power]
        # One file per (source, component code, parameter types): numba's cache index names the
        # parameter tuple types, which must exist in the process that loads it.
        types_ = f"{type(self.mp).__name__}|{type(self.lp).__name__}"
        digest = hashlib.sha1((source + jit.fingerprint(used) + types_ + _COMPILE_OPTIONS).encode())
        name = f"kernel_{digest.hexdigest()[:16]}_{int(parallel)}{int(vector)}"
        filename, cache = _cache_file(f"{name}.py", source)
        module = types.ModuleType(f"gem._kernels.{name}")   # importable by name: numba's cache reloads it
        module.__file__ = filename
        module.__dict__.update(scope)
        sys.modules[module.__name__] = module
        scope = module.__dict__
        exec(compile(source, filename, "exec"), scope)  # noqa: S102 - generated from the task structure
        scope["deriv"] = jit.numba.njit(cache=cache, error_model="numpy")(scope["deriv"])
        for name in ("draws", "integrate", "physical", "outcome"):
            if name in scope:
                scope[name] = jit.numba.njit(cache=cache, error_model="numpy")(scope[name])
        return jit.numba.njit(parallel=parallel, cache=cache, error_model="numpy")(scope["kernel"])

    # ------------------------------------------------------------------ source generation
    def _source(self, env: Any, vector: bool) -> str:
        """Source of the kernel: per block of environments, up to six loops (module docstring)."""
        drive, load = env.drive, env.drive.load
        motor = drive.motor
        km = len(motor.ode_names)
        kx = km + (0 if load.prescribed else 1)
        self._kx = kx
        self._rows: dict[str, int] = {}
        self._n_rows = 0
        # the draws every step takes (load, Wiener references; observation noise), made in loop 0
        n_draws = self._load_draws + sum(isinstance(g, WienerReference) for g in env.task.references)
        n_noise = len(env.task.observed) if env.task.noise is not None else 0
        self._row("z", n_draws)
        self._row("nz", n_noise)
        src = _Source()
        src("def deriv(s, xs, us, w0, dw, tau, MP, LP, JT):")
        src.depth += 1
        if load.prescribed:
            src("return m_derivative(MP, xs, us, w0 + dw * (s / tau))")
        else:
            src(f"xm = {_tuple([f'xs[{j}]' for j in range(1, kx)])}")
            src("om = xs[0]")
            src("dm = m_derivative(MP, xm, us, om)")
            src("dom = (m_torque(MP, xm) - m_load_torque(LP, om, JT)) / JT")
            src(f"return {_tuple(['dom'] + [f'dm[{j}]' for j in range(km)])}")
        src.depth -= 1
        src("")
        converter = _Source()   # loop 1's body, generated first: it decides the segments
        converter.depth = 4
        segments = self._emit_converter(converter, env, kx)
        # Loops 2-4: separate functions (LLVM optimises small functions faster than one large one:
        # 6.6 instead of 8.4 s for Cont-CC-PMSM-v0), vectorised with unsigned indices (numba's
        # negative-index wraparound is a select that LLVM cannot vectorise).
        index = "i = np.uint64(lo + ii)" if vector else "i = lo + ii"
        loops = [_Source() for _ in range(3)]
        self._emit_integration(loops[0], env, kx, segments, index)
        for body, emit in zip(loops[1:], (self._emit_physical, self._emit_outcome), strict=True):
            body("for ii in range(hi - lo):")
            body.depth += 1
            body(index)
            emit(body, env, kx)
        draws = _Source()
        if n_draws or n_noise:
            self._emit_draws(draws, n_draws, n_noise, index)
        calls = ["integrate(lo, hi, S, SX1, MP, LP, tau, til, JT, substeps)",
                 "physical(lo, hi, S, SX0, SX1, SPH, USUP, MP, tau)",
                 "outcome(lo, hi, X, W, T, PH, LIM, REF, LAST, A, STEPS, OBS, REW, TERM, TRUNC, FIN, S, "
                 "SX1, SPH, CF, CI)"]
        if draws.lines:
            calls.insert(0, "draws(lo, hi, KEY, CTR, NKEY, NCTR, S)")
            loops.insert(0, draws)
        for call, body in zip(calls, loops, strict=True):
            src(f"def {call}:")
            src.depth += 1
            if call.startswith("outcome"):
                self._emit_constants(src, used=body.text())
            src.lines += _indented(body.lines, src.depth)
            src.depth -= 1
            src("")
        src("def kernel(X, W, T, SW, PH, A, LIM, USUP, REF, RM, LAST, STEPS, KEY, CTR, NKEY, NCTR, OBS, REW, TERM,"
            " TRUNC, FIN, X0, W0, SW0, PH0, FOBS, FPH, CF, CI, MASK, S, SX0, SX1, SPH, mode):")
        src.depth += 1
        self._emit_constants(src)
        src("if mode == 0:")
        src.depth += 1
        self._emit_action_check(src, env)
        src.depth -= 1
        src("n_done = 0")
        src("n_bad = 0")
        src("n = X.shape[0]")
        src("for b in prange((n + block - 1) // block):")
        src.depth += 1
        src("lo = b * block")
        src("hi = min(lo + block, n)")
        # built per block: parallel (parfor) lowering cannot pass named tuples into the loop
        src(f"MP = MPT({', '.join(self._unpack('MPV', self.mp))})")
        src(f"LP = LPT({', '.join(self._unpack('LPV', self.lp))})")
        src("if mode == 0:")
        src.depth += 1
        if draws.lines:
            src(f"{calls[0]}    # 0. the step's random draws")
        src("for ii in range(hi - lo):    # 1. converter: actions -> voltages (per environment)")
        src("    i = lo + ii")
        src.lines += converter.lines
        for what, call in zip(("2. solver", "3. physical state", "4. reward, constraints, observed states"),
                              calls[-3:], strict=True):
            src(f"{call}    # {what}")
        src.depth -= 1
        src("n_done_b = 0")
        src("n_bad_b = 0")
        src("for ii in range(hi - lo):    # 5. references, episode ends and starts (per environment)")
        src.depth += 1
        src("i = lo + ii")
        src("start = False")
        src("if mode == 1:    # explicit reset of the environments in MASK")
        src("    start = MASK[i]")
        src("else:            # a step")
        src.depth += 1
        self._emit_after(src, env)
        src.depth -= 1
        src("if start:        # one copy of the episode start, for autoreset and reset")
        src.depth += 1
        self._emit_episode_start(src, env, kx)
        src.depth -= 2
        src("n_done += n_done_b")
        src("n_bad += n_bad_b")
        src.depth -= 1
        src("return n_done, n_bad, -1")
        return src.text()

    def _emit_constants(self, src: _Source, used: str | None = None) -> None:
        """Names for the constants packed in ``CF`` and ``CI`` (see :meth:`_constants`).

        With ``used`` (source text), only those it names.
        """
        for name, (packed, off, shape) in self._layout.items():
            if used is not None and not re.search(rf"\b{name}\b", used):
                continue
            size = int(np.prod(shape))
            if shape == ():
                src(f"{name} = {packed}[{off}]" + (" != 0" if name == "auto" else ""))
            elif len(shape) == 1:
                src(f"{name} = {packed}[{off}:{off + size}]")
            else:
                src(f"{name} = {packed}[{off}:{off + size}].reshape({shape})")

    def _row(self, name: str, size: int = 1) -> int:
        """First row of the scratch array ``S`` holding ``name`` (``size`` rows, one column per environment)."""
        if name not in self._rows:
            self._rows[name] = self._n_rows
            self._n_rows += size
        return self._rows[name]

    def _emit_converter(self, src: _Source, env: Any, kx: int) -> list[tuple[str, int]]:  # noqa: C901
        """Loop 1 body: the converter's voltages for environment ``i``, into ``S``.

        Returns the integration segments: ``(duration, first row of the voltages)``.
        """
        task, drive = env.task, env.drive
        motor, conv = drive.motor, drive.converter
        topo = conv.topology
        km = len(motor.ode_names)
        n_out, n_legs = topo.n_out, topo.n_legs
        il = bool(np.any(np.asarray(conv.interlocking_time) > 0))
        dq = task.action_frame == "dq"
        src("u_sup = USUP[i]")
        src("w0 = W[i]")
        xs = [f"x{j}" for j in range(kx)]
        for j, name in enumerate(xs):
            src(f"{name} = X[i, {j}]")
        xm = xs[kx - km:]
        src(f"xm0 = {_tuple(xm)}")
        # terminal currents
        if self.funcs["terminal_currents"] is not None:
            src("ito = m_terminal_currents(MP, xm0)")
        else:
            src(f"ito = {_tuple([xm[j] for j in range(n_out)])}")
        # action -> leg duty cycles / switch states
        if dq:
            eps = xm[-1]
            src(f"ang = {eps} + 0.5 * tau * pp * w0")
            src(f"sc = LIM[i, {drive.index['u_sd']}]")
            src("ad = min(max(A[i, 0], -1.0), 1.0) * sc")
            src("aq = min(max(A[i, 1], -1.0), 1.0) * sc")
            src("ual, ube = inverse_park(ad, aq, ang)")
            src("act = b6_actions(ual, ube, u_sup)")
        else:
            n_act = len(topo.tables) if self.finite else len(topo.action_low)
            src(f"act = {_tuple([f'A[i, {k}]' for k in range(n_act)])}")
        full = [bool(f) for f in topo.full_leg]     # structure: half legs and open states are written out
        for leg in range(n_legs):
            src(f"il{leg} = " + " + ".join(f"CM[{o}, {leg}] * ito[{o}]" for o in range(n_out)))
        if not self.finite:
            for leg in range(n_legs):
                src(f"a{leg} = min(max(act[CLA[{leg}]], CLOW[CLA[{leg}]]), CHIGH[CLA[{leg}]])")
                src(f"v{leg} = a{leg} * CGAIN[{leg}] + CBIAS[{leg}]")
                if il and full[leg]:
                    src(f"if v{leg} > 0.0 and v{leg} < 1.0:")
                    src(f"    v{leg} = min(max(v{leg} - np.sign(il{leg}) * (til / tau), 0.0), 1.0)")
                if not full[leg]:      # a half leg: the diode conducts a negative current
                    src(f"if il{leg} < 0.0:")
                    src(f"    v{leg} = 1.0")
            seg = [("tau", [f"v{leg}" for leg in range(n_legs)])]
        else:
            col, has_off = 0, []
            for k, table in enumerate(topo.tables):
                for j in range(table.shape[1]):
                    src(f"s{col} = TAB[{k}, act[{k}], {j}]")
                    has_off.append(bool(np.any(table[:, j] == -1)))
                    col += 1
            for leg in range(n_legs):
                if has_off[leg]:      # an open leg: the diodes follow the current
                    src(f"if s{leg} == -1:")
                    src(f"    c{leg} = 1.0 if il{leg} < 0.0 else 0.0")
                    src("else:")
                    src(f"    c{leg} = float(s{leg})")
                else:
                    src(f"c{leg} = float(s{leg})")
                if not full[leg]:
                    src(f"if il{leg} < 0.0:")
                    src(f"    c{leg} = 1.0")
            seg = [("tau", [f"c{leg}" for leg in range(n_legs)])]
            if il:
                for leg in range(n_legs):
                    if not full[leg]:       # no dead time on a half leg
                        src(f"e{leg} = c{leg}")
                        continue
                    src(f"p{leg} = SW[i, {leg}]")
                    src(f"if s{leg} != p{leg} and s{leg} != -1 and p{leg} != -1:")
                    src(f"    e{leg} = 1.0 if il{leg} < 0.0 else (0.0 if il{leg} > 0.0 else float(max(p{leg}, 0)))")
                    src("else:")
                    src(f"    e{leg} = c{leg}")
                seg = [("til", [f"e{leg}" for leg in range(n_legs)]),
                       ("tau - til", [f"c{leg}" for leg in range(n_legs)])]
            for leg in range(n_legs):
                src(f"SW[i, {leg}] = s{leg}")
        out = []
        for g, (dur, legs) in enumerate(seg):
            row = self._row(f"u{g}", n_out)
            out.append((dur, row))
            for o in range(n_out):
                terms = " + ".join(f"CM[{o}, {leg}] * {v}" for leg, v in enumerate(legs))
                src(f"u{g}_{o} = u_sup * ({terms} + CO[{o}])")
                src(f"S[{row + o}, i] = u{g}_{o}")
        r_um = self._row("um", n_out)
        for o in range(n_out):
            mean = f"u0_{o}" if len(seg) == 1 else f"(til / tau) * u0_{o} + (1.0 - til / tau) * u1_{o}"
            src(f"S[{r_um + o}, i] = {mean}")
        # load speed at the end of the period
        if self._load_draws:
            src(f"w1 = m_next_speed(LP, T[i] + tau, w0, tau, S[{self._rows['z']}, i])")
        else:
            src("w1 = w0")
        src(f"S[{self._row('w0')}, i] = w0")
        src(f"S[{self._row('w1')}, i] = w1")
        for j, x in enumerate(xs):
            src(f"SX0[{j}, i] = {x}")
            src(f"SX1[{j}, i] = {x}")
        return out

    def _emit_draws(self, src: _Source, n_draws: int, n_noise: int, index: str) -> None:
        """Loop 0: the draws every step takes, into rows ``z`` and ``nz`` of ``S``.

        ``n_draws`` of the main stream (load, then Wiener references) and ``n_noise`` of the
        observation noise, in a separate loop so that it vectorises. The episode starts of loop 5
        draw after these, directly from the streams.
        """
        src("for ii in range(hi - lo):")
        src.depth += 1
        src(index)
        for key, ctr, n, row in (("KEY", "CTR", n_draws, "z"), ("NKEY", "NCTR", n_noise, "nz")):
            if n:
                src(f"c = {ctr}[i]")
                for j in range(n):
                    c = f"c + np.uint64({j})" if j else "c"
                    src(f"S[{self._rows[row] + j}, i] = v_gauss({key}[i], {c})")
                src(f"{ctr}[i] = c + np.uint64({n})")
        src.depth -= 1

    def _emit_integration(self, src: _Source, env: Any, kx: int, segments: list[tuple[str, int]],
                          index: str) -> None:
        """Loop 2: the solver over the block, one segment and sub-step at a time."""
        drive = env.drive
        n_out = drive.converter.topology.n_out
        rw0, rw1 = self._row("w0"), self._row("w1")
        rk4 = drive.solver_name == "rk4"
        start = "0.0"
        for dur, row in segments:
            src(f"h = ({dur}) / substeps")
            src("for k in range(substeps):")
            src.depth += 1
            src(f"s = {start} + k * h")
            src("for ii in range(hi - lo):")
            src.depth += 1
            src(index)
            src(f"w0 = S[{rw0}, i]")
            src(f"dw = S[{rw1}, i] - w0")
            src(f"us = {_tuple([f'S[{row + o}, i]' for o in range(n_out)])}")
            xs = [f"x{j}" for j in range(kx)]
            for j, x in enumerate(xs):
                src(f"{x} = SX1[{j}, i]")
            src(f"k1 = deriv(s, {_tuple(xs)}, us, w0, dw, tau, MP, LP, JT)")
            if rk4:
                for stage, (prev, frac) in enumerate((("k1", 0.5), ("k2", 0.5), ("k3", 1.0)), start=2):
                    ys = [f"{x} + {frac} * h * {prev}[{j}]" for j, x in enumerate(xs)]
                    src(f"k{stage} = deriv(s + {frac} * h, {_tuple(ys)}, us, w0, dw, tau, MP, LP, JT)")
                for j, x in enumerate(xs):
                    src(f"SX1[{j}, i] = {x} + (h / 6.0) * (k1[{j}] + 2.0 * (k2[{j}] + k3[{j}]) + k4[{j}])")
            else:
                for j, x in enumerate(xs):
                    src(f"SX1[{j}, i] = {x} + h * k1[{j}]")
            src.depth -= 2
            start = f"{start} + ({dur})"

    def _emit_physical(self, src: _Source, env: Any, kx: int) -> None:
        """Loop 3 body: the drive's physical state of environment ``i`` (SI units), into ``SPH``."""
        drive, load = env.drive, env.drive.load
        motor = drive.motor
        km = len(motor.ode_names)
        n_out = drive.converter.topology.n_out
        if motor.has_angle:
            src(f"SX1[{kx - 1}, i] = wrap_angle(SX1[{kx - 1}, i])")
        src(f"xm0 = {_tuple([f'SX0[{j}, i]' for j in range(kx - km, kx)])}")
        src(f"xm1 = {_tuple([f'SX1[{j}, i]' for j in range(kx - km, kx)])}")
        r_um = self._row("um")
        src(f"um = {_tuple([f'S[{r_um + o}, i]' for o in range(n_out)])}")
        w_end = "SX1[0, i]" if not load.prescribed else f"S[{self._row('w1')}, i]"
        cur = "v_currents(MP, xm1)" if self.funcs["currents"] is not None else \
            _tuple([f"xm1[{j}]" for j in range(len(motor.current_names))])
        vol = "v_voltages(MP, um, xm0, xm1, tau)" if self.funcs["voltages"] is not None else "um"
        src(f"cur = {cur}")
        src(f"vol = {vol}")
        parts = [w_end, "v_torque(MP, xm1)"] + [f"cur[{j}]" for j in range(len(motor.current_names))] + \
            [f"vol[{j}]" for j in range(len(motor.voltage_names))]
        if motor.has_angle:
            parts.append(f"xm1[{km - 1}]")
        parts.append("USUP[i]")
        if motor.extra_names:
            src("ext = v_extras(MP, xm1)")
            parts += [f"ext[{j}]" for j in range(len(motor.extra_names))]
        assert len(parts) == len(drive.state_names)
        for j, p in enumerate(parts):
            src(f"SPH[{j}, i] = {p}")

    def _emit_outcome(self, src: _Source, env: Any, kx: int) -> None:  # noqa: C901 - one straight-line generator
        """Loop 4 body: state, constraints, reward, episode ends, observed states of environment ``i``."""
        task, drive = env.task, env.drive
        topo = drive.converter.topology
        n_states = len(drive.state_names)
        dq = task.action_frame == "dq"
        for j in range(kx):
            src(f"X[i, {j}] = SX1[{j}, i]")
        src("W[i] = SPH[0, i]")
        src("T[i] = T[i] + tau")
        src("fin = True")
        for j in range(n_states):
            src(f"PH[i, {j}] = SPH[{j}, i]")
            src(f"n{j} = PH[i, {j}] / LIM[i, {j}]")
            src(f"if not np.isfinite(n{j}):")
            src("    fin = False")
        # constraints
        src("viol = not fin")
        idx = drive.index
        for c in task.constraints:
            cols = [idx[n] for n in c.names]
            if isinstance(c, LimitConstraint):
                cond = " or ".join(f"abs(n{j}) > 1.0" for j in cols)
            else:
                cond = "(" + " + ".join(f"n{j} * n{j}" for j in cols) + ") > 1.0"
            src(f"if {cond}:")
            src("    viol = True")
        # reward
        ref_cols = [idx[g.state] for g in task.references]
        power = float(task.reward.power)
        power = repr(power) if power in (1.0, 2.0) else "rpow"     # a literal: no branch, no pow call
        terms = " + ".join(f"RW[{r}] * error_power(abs(n{c} - REF[i, {r}]) / RWID[{r}], {power})"
                           for r, c in enumerate(ref_cols))
        src(f"rew = -({terms or '0.0'})")
        src("rew = max(rew, -rtotal)")
        src("REW[i] = penalty if viol else rew")
        src("STEPS[i] += 1")
        src("TRUNC[i] = max_steps > 0 and STEPS[i] >= max_steps")
        src("TERM[i] = viol")
        src("FIN[i] = fin")
        # last action
        if task.last_action:
            if self.finite and not dq:
                off = 0
                for k, table in enumerate(topo.tables):
                    for j in range(len(table)):
                        src(f"LAST[i, {off + j}] = 1.0 if A[i, {k}] == {j} else 0.0")
                    off += len(table)
            else:
                for k in range(task.action_size):
                    src(f"LAST[i, {k}] = A[i, {k}]")
        self._emit_observation(src, task, idx, rest=False, noise_row=self._rows["nz"])

    def _emit_after(self, src: _Source, env: Any) -> None:
        """Loop 5 body (a step, per environment): references, rest of the observation, autoreset of ``i``."""
        task, drive = env.task, env.drive
        n_states = len(drive.state_names)
        # references
        z = self._rows["z"] + self._load_draws      # the references' draws follow the load's
        for r, g in enumerate(task.references):
            row = {name: f"RM[{r}, {j}, i]" for j, name in enumerate(g.rows)}
            src(f"{row['t']} = {row['t']} + tau")
            if isinstance(g, WienerReference):
                src(f"v = {row['value']} + {row['sigma']} * np.sqrt(tau) * S[{z}, i]")
                z += 1
            elif isinstance(g, ConstReference):
                src(f"v = {row['value']}")
            else:
                phase = f"{row['freq']} * {row['t']} + {row['phase']}"
                src(f"v = {row['offset']} + {row['amp']} * shape_{g.shape}({phase})")
            src(f"v = min(max(v, RLO[{r}]), RHI[{r}])")
            src(f"{row['value']} = v")
            src(f"REF[i, {r}] = v")
        self._emit_observation(src, task, drive.index, states=False)
        src("if not FIN[i]:")
        src("    n_bad_b += 1")
        # autoreset: keep the finished episode's last observation and state, start the next one
        src("if TERM[i] or TRUNC[i]:")
        src.depth += 1
        src("n_done_b += 1")
        src("if auto:")
        src.depth += 1
        for k in range(env.single_observation_space.shape[0]):
            src(f"FOBS[i, {k}] = OBS[i, {k}]")
        for j in range(n_states):
            src(f"FPH[i, {j}] = PH[i, {j}]")
        src("start = True")
        src.depth -= 2

    def _emit_episode_start(self, src: _Source, env: Any, kx: int) -> None:
        """Environment ``i`` starts an episode from the start state ``X0, W0, SW0, PH0``."""
        task, drive = env.task, env.drive
        for j in range(len(drive.state_names)):
            src(f"PH[i, {j}] = PH0[i, {j}]")
            src(f"n{j} = PH[i, {j}] / LIM[i, {j}]")
        for j in range(kx):
            src(f"X[i, {j}] = X0[i, {j}]")
        src("W[i] = W0[i]")
        src("T[i] = 0.0")
        for leg in range(drive.converter.topology.n_legs):
            src(f"SW[i, {leg}] = SW0[i, {leg}]")
        src("STEPS[i] = 0")
        for k in range(task.action_size):
            src(f"LAST[i, {k}] = 0.0")
        self._emit_reference_reset(src, task)
        self._emit_observation(src, task, drive.index)

    def _emit_action_check(self, src: _Source, env: Any) -> None:
        """First loop: every action valid (finite / in range) before any state changes."""
        task, topo = env.task, env.drive.converter.topology
        src("for i in range(A.shape[0]):")
        src.depth += 1
        if self.finite and task.action_frame != "dq":
            for k, table in enumerate(topo.tables):
                src(f"if A[i, {k}] < 0 or A[i, {k}] >= {len(table)}:")
                src("    return 0, 0, i")
        else:
            src("for k in range(A.shape[1]):")
            src("    if not np.isfinite(A[i, k]):")
            src("        return 0, 0, i")
        src.depth -= 1

    @staticmethod
    def _emit_observation(src: _Source, task: Any, idx: dict[str, int], states: bool = True,
                          rest: bool = True, noise_row: int | None = None) -> None:
        """Observation of environment ``i``.

        ``states``: the observed states, from the normalised ``n{j}``; ``rest``: the references and the
        last action. ``noise_row``: first row of ``S`` holding the noise draws of loop 0 (else drawn here).
        """
        if states:
            for k, name in enumerate(task.observed):
                if name in ("cos(epsilon)", "sin(epsilon)"):
                    src(f"o = np.{name[:3]}(n{idx['epsilon']} * np.pi)")
                else:
                    src(f"o = n{idx[name]}")
                if task.noise is not None and noise_row is not None:
                    src(f"o = o + S[{noise_row + k}, i] * NS[{k}]")
                elif task.noise is not None:
                    src(f"o = o + gauss(NKEY[i], NCTR[i]) * NS[{k}]")
                    src("NCTR[i] += np.uint64(1)")
                src("if np.isnan(o):")
                src("    o = 0.0")
                src(f"OBS[i, {k}] = min(max(o, {-OBS_BOUND}), {OBS_BOUND})")
        if rest:
            n_obs = len(task.observed)
            for r in range(len(task.references)):
                src(f"OBS[i, {n_obs + r}] = REF[i, {r}]")
            if task.last_action:
                for k in range(task.action_size):
                    src(f"OBS[i, {n_obs + len(task.references) + k}] = LAST[i, {k}]")

    @staticmethod
    def _emit_reference_reset(src: _Source, task: Any) -> None:
        """New reference episodes, drawing the same uniforms in the same order as the generators' reset."""
        def draw(name: str) -> None:
            src(f"{name} = uniform(gauss(KEY[i], CTR[i]))")
            src("CTR[i] += np.uint64(1)")

        for r, g in enumerate(task.references):
            row = {name: f"RM[{r}, {j}, i]" for j, name in enumerate(g.rows)}
            src(f"{row['t']} = 0.0")
            if isinstance(g, WienerReference):
                draw("ua")
                draw("ub")
                src(f"va, vb = ref_wiener_start(ua, ub, RLO[{r}], RHI[{r}], RP[{r}, 0], RP[{r}, 1])")
                src(f"{row['value']} = va")
                src(f"{row['sigma']} = vb")
            elif isinstance(g, ConstReference):
                src(f"{row['value']} = min(max(RP[{r}, 0], RLO[{r}]), RHI[{r}])")
            else:
                for name in ("ua", "uf", "up", "uo"):
                    draw(name)
                src(f"va, vf, vo = ref_periodic_start(ua, uf, uo, RLO[{r}], RHI[{r}], RP[{r}, 0], RP[{r}, 1], "
                    f"RP[{r}, 2], RP[{r}, 3])")
                src(f"{row['amp']} = va")
                src(f"{row['freq']} = vf")
                src(f"{row['phase']} = up")
                src(f"{row['offset']} = vo")
                src(f"{row['value']} = vo + va * shape_{g.shape}(vf * 0.0 + up)")
            src(f"REF[i, {r}] = {row['value']}")

    @staticmethod
    def _unpack(name: str, params: tuple) -> list[str]:
        return [f"int({name}[{k}])" if isinstance(v, int) else f"{name}[{k}]" for k, v in enumerate(params)]

    # ------------------------------------------------------------------ runtime
    def _constants(self, env: Any, parallel: bool) -> dict[str, Any]:
        """Numbers the kernel reads (parameters, limits of actions, weights), by name.

        They reach the kernel packed in two arrays (``CF`` floats, ``CI`` integers) whose layout
        depends only on the task's structure (see :func:`_layout`): one argument each instead of
        thirty, which is most of the cost of calling the kernel for a single environment.
        """
        task, drive = env.task, env.drive
        topo = drive.converter.topology
        motor = drive.motor
        return dict(
            MPV=np.array(self.mp, dtype=float).reshape(-1), LPV=np.array(self.lp, dtype=float).reshape(-1),
            tau=float(drive.tau), JT=float(drive.j_total), til=float(np.max(drive.converter.interlocking_time)),
            substeps=int(drive.substeps), max_steps=int(env.max_episode_steps or -1),
            auto=int(bool(env.autoreset and env.dashboard is None)),
            CM=topo.matrix, CO=topo.offset, CGAIN=topo.duty_gain,
            CBIAS=topo.duty_bias, CLA=topo.leg_action, CLOW=topo.action_low, CHIGH=topo.action_high,
            TAB=_pad_tables(topo.tables),
            RW=np.asarray(task.reward.weights, float), RWID=np.asarray(task.reward.widths, float),
            rpow=float(task.reward.power), rtotal=float(np.sum(task.reward.weights)),
            penalty=float(task.reward.penalty),
            RLO=np.array([g.low for g in task.references], float),
            RHI=np.array([g.high for g in task.references], float),
            RP=_reference_parameters(task.references),
            NS=env._noise_scale if env._noise_scale is not None else np.zeros(1),
            pp=float(getattr(motor, motor.pole_pairs_param)) if motor.pole_pairs_param else 1.0,
            block=_block_size(env.num_envs, parallel),
        )

    def run(self, env: Any, actions: Any, single: bool = False) -> tuple[int, int]:
        """Runs one compiled step on ``env``'s arrays (updated in place).

        The results are left in :attr:`obs`, :attr:`rew`, :attr:`term`, :attr:`trunc`, :attr:`fin`
        and, for environments the kernel reset, :attr:`fobs` and :attr:`fph`.

        Args:
            env: The environment whose arrays the kernel was built for.
            actions: A batch of actions, or one action if ``single``.
            single: ``actions`` is the action of a ``num_envs = 1`` environment.

        Returns:
            The number of finished episodes and of environments with a non-finite state.

        Raises:
            ValueError: If an action has the wrong shape or type, is not finite or out of range
                (nothing is changed then).
        """
        view = self._a_single if single else self._a_batch
        if np.shape(actions) == view.shape and (self._float_action or _is_integer(actions)):
            view[...] = actions
        else:
            self.A[...] = env._check_action(np.asarray(actions)[None] if single else actions)
        self._sync(env)
        n_done, n_bad, bad = self._entry(*self._call)
        if bad >= 0:
            env._check_action(self._a_batch)            # raises with the details
            raise ValueError(f"invalid action for environment {bad}: {self.A[bad].tolist()}")
        return n_done, n_bad

    def _buffers(self, env: Any) -> None:
        """Action input and result arrays, allocated once and reused by every step."""
        n, space = env.num_envs, env.single_action_space
        n_obs = env.single_observation_space.shape[0]
        integer = self.finite and env.task.action_frame != "dq"
        self._float_action = not integer
        width = 1 if space.shape == () else int(np.prod(space.shape))
        self.A = np.zeros((n, width), np.int64 if integer else float)
        self._a_single = self.A[0].reshape(space.shape)
        self._a_batch = self.A.reshape((n, *space.shape))
        self.obs = np.zeros((n, n_obs), np.float32)
        self.fobs = np.zeros((n, n_obs), np.float32)
        self.fph = np.zeros((n, len(env.drive.state_names)))
        self.rew = np.zeros(n)
        self.term, self.trunc, self.fin = (np.zeros(n, bool) for _ in range(3))
        self._mask = np.ones(n, bool)
        # one row per quantity, a column per environment; rows padded (_padded_row)
        width = _padded_row(n)
        self._scratch = np.zeros((max(self._n_rows, 1), width))     # converter voltages, speeds, draws
        self._sx0, self._sx1 = np.zeros((self._kx, width)), np.zeros((self._kx, width))   # states: start, end
        self._sph = np.zeros((len(env.drive.state_names), width))                         # physical state
        self._bound = None
        self._call: tuple = ()
        self._reset_call: tuple = ()

    def reset(self, env: Any, start: Any) -> None:
        """Starts new episodes in every environment of ``env`` from the drive state ``start``.

        References and the observation (left in :attr:`obs`) are drawn as at an autoreset.
        """
        self._sync(env)
        call = self._reset_call if start is env._fresh else self._call_args(env, copy=False, start=start, mode=1)
        self.kernel(*call)

    def _sync(self, env: Any) -> None:
        if env._state is not self._bound:
            self._bound = env._state
            self._call = self._call_args(env, copy=False)
            self._reset_call = self._call_args(env, copy=False, mode=1)
            self._entry = self._entry_point(self._call)

    def _entry_point(self, call: tuple) -> Any:
        """The machine code compiled for exactly the types of ``call``, called without numba's dispatch.

        The bound arrays keep their types (only their contents change), so the dispatcher's type
        resolution, about 1 µs per call, is done once here. Falls back to the dispatcher.
        """
        types_ = tuple(jit.numba.typeof(a) for a in call)
        compiled_ = self.kernel.overloads.get(types_)
        return compiled_.entry_point if compiled_ is not None else self.kernel

    def _call_args(self, env: Any, copy: bool, start: Any = None, mode: int = 0) -> tuple:
        """The kernel's arguments: ``env``'s arrays (copies if ``copy``), results, constants.

        ``mode`` 0 steps; 1 starts episodes from ``start`` (default: the environment's initial state).
        """
        st, fresh = env._state, start or env._fresh
        mutable = [st.x, st.omega, st.t, st.switch, st.physical, self.A, env._limits,
                   env.drive._supply_voltage(env.num_envs), env._ref, env._ref_block, env._last_action,
                   env._steps, env.rnd.key, env.rnd.counter, env.noise_rnd.key, env.noise_rnd.counter]
        if copy:
            mutable = [m.copy() for m in mutable]
        return (*mutable, self.obs, self.rew, self.term, self.trunc, self.fin, fresh.x, fresh.omega, fresh.switch,
                fresh.physical, self.fobs, self.fph, self._cf, self._ci, self._mask,
                self._scratch, self._sx0, self._sx1, self._sph, mode)


@contextlib.contextmanager
def _loop_vectoriser(enabled: bool) -> Iterator[None]:
    """Numba's LLVM loop vectoriser on or off for what compiles inside the block (a global setting)."""
    config = jit.numba.core.config
    before = config.LOOP_VECTORIZE
    config.LOOP_VECTORIZE = bool(enabled) and before
    try:
        yield
    finally:
        config.LOOP_VECTORIZE = before


def _allow_overlap_checks() -> None:
    """Lets LLVM's loop vectoriser emit as many run-time array-overlap checks as a kernel loop needs.

    The physical-state loop reads and writes about thirty rows of five arrays; LLVM's default limit
    on the checks that prove they do not overlap (128) leaves it scalar (65 instead of 12 ns per
    environment for the PMSM). The option is process-wide and only widens what the vectoriser may
    do (the checks keep every loop correct); set once, before gem's first kernel compiles.
    """
    global _OVERLAP_CHECKS_SET
    if not _OVERLAP_CHECKS_SET:
        import llvmlite.binding

        llvmlite.binding.set_option("gem", "-vectorize-memory-check-threshold=1024")
        _OVERLAP_CHECKS_SET = True


_OVERLAP_CHECKS_SET = False


def _padded_row(n: int) -> int:
    """Row length (≥ ``n``) of the kernel's scratch arrays: an odd number of 64-byte cache lines.

    Rows whose starts are a multiple of 4 KiB apart (``n`` a power of two ≥ 512) fall into the
    same set of the L1 cache, which holds only 8 or 12 lines per set; the loops read and write 15 to
    30 rows per environment, so every access missed. Padded, the rows spread over the sets:
    Cont-CC-PMSM-v0 at 8192 environments, kernel alone, 105 → 86 ns per env-step on one core,
    62 → 43 ns on two.
    """
    lines = -(-n // 8)
    return 8 * (lines + 1 - lines % 2)


def _block_size(num_envs: int, parallel: bool) -> int:
    """:data:`BLOCK`, smaller for batches too small to give every thread two blocks (at least 64)."""
    threads = jit.numba.get_num_threads() if parallel else 1
    return int(min(BLOCK, max(64, -(-num_envs // (2 * threads)))))


def _indented(lines: list[str], depth: int) -> list[str]:
    return [("    " * depth + line) if line else line for line in lines]


def _is_integer(actions: Any) -> bool:
    dtype = getattr(actions, "dtype", None)
    return dtype.kind in "iu" if dtype is not None else isinstance(actions, int) and not isinstance(actions, bool)


def _layout(constants: dict[str, Any]) -> dict[str, tuple[str, int, tuple[int, ...]]]:
    """Where each constant lies: ``name -> (array "CF" or "CI", offset, shape)``."""
    out, ends = {}, {"CF": 0, "CI": 0}
    for name, value in constants.items():
        v = np.asarray(value)
        packed = "CF" if v.dtype.kind == "f" else "CI"
        out[name] = (packed, ends[packed], v.shape)
        ends[packed] += v.size
    return out


def _pack(constants: dict[str, Any], layout: dict[str, tuple[str, int, tuple[int, ...]]]) -> tuple[np.ndarray, ...]:
    """The constants as one float64 and one int64 array, laid out as ``layout`` says."""
    size = {"CF": 1, "CI": 1}
    for packed, off, shape in layout.values():
        size[packed] = max(size[packed], off + int(np.prod(shape)))
    cf, ci = np.zeros(size["CF"]), np.zeros(size["CI"], np.int64)
    for name, (packed, off, _shape) in layout.items():
        v = np.asarray(constants[name])
        (cf if packed == "CF" else ci)[off:off + v.size] = v.reshape(-1)
    return cf, ci


def _reference_parameters(references: tuple) -> np.ndarray:
    """Episode-start parameters of each reference generator, ``(n_refs, 4)``."""
    out = np.zeros((max(len(references), 1), 4))
    for r, g in enumerate(references):
        if isinstance(g, WienerReference):
            out[r, :2] = g.sigma_range
        elif isinstance(g, PeriodicReference):
            out[r] = (*g.amplitude_range, *g.frequency_range)
        elif isinstance(g, ConstReference):
            out[r, 0] = g.value
    return out


def _pad_tables(tables: tuple[np.ndarray, ...]) -> np.ndarray:
    """Switch tables of the converter parts as one ``(parts, choices, legs)`` int64 array."""
    out = np.zeros((len(tables), max(len(t) for t in tables), max(t.shape[1] for t in tables)), np.int64)
    for k, t in enumerate(tables):
        out[k, : len(t), : t.shape[1]] = t
    return out


def _cache_file(name: str, source: str) -> tuple[str, bool]:
    """Writes the kernel source where numba can cache its machine code.

    The folder is ``GEM_CACHE_DIR`` (default ``~/.cache/gem``). Returns the file name and whether
    caching is possible.
    """
    home = os.path.expanduser("~")
    default = os.path.join(home, ".cache", "gem") if home != "~" else os.path.join(tempfile.gettempdir(), "gem-cache")
    folder = os.environ.get("GEM_CACHE_DIR") or default
    path = os.path.join(folder, name)
    try:
        os.makedirs(folder, exist_ok=True)
        if not os.path.exists(path):
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "w") as f:
                f.write(source)
            os.replace(tmp, path)
        return path, True
    except OSError:
        return f"<gem-{name}>", False


class PerformanceWarning(UserWarning):
    """A task's components could not be compiled; the (slower) NumPy step is used."""


def compile_step(env: Any) -> CompiledStep | None:
    """The compiled step of ``env``, or ``None`` if it cannot be built.

    A feature the kernel does not cover (see the module docstring) is logged at INFO level; a
    component numba fails to compile (e.g. a user motor) raises a :class:`PerformanceWarning`.
    """
    try:
        return CompiledStep(env)
    except jit.NotCompilable as exc:
        _log.info("gem: using the NumPy step for this task (%s)", exc)
    except Exception as exc:  # numba typing errors: a user component numba cannot compile
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        warnings.warn(f"gem: could not compile the step ({type(exc).__name__}: {first}); using the NumPy step, "
                      "which gives the same results more slowly. Pass compiled=False to silence this.",
                      PerformanceWarning, stacklevel=3)
    return None
