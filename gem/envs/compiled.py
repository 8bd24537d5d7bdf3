"""The compiled step: one numba kernel per task structure, built from the components' own methods.

:class:`CompiledStep` generates the source of a per-environment loop — converter, solver,
physical state, constraints, reward, references, observation — specialised to the task's
dimensions, and calls the components' methods compiled by :mod:`gem.envs.jit`. Numbers
(parameters, limits, weights) are arguments, so tasks that differ only in values share a kernel.
It reproduces :meth:`GemVectorEnv._advance` (the NumPy step) to floating-point tolerance; the
tests compare the two. Autoreset and resets stay in NumPy.

Not compiled (the NumPy step is used instead): ``solver="scipy"``, ``ExternalSpeedLoad`` and
other prescribed loads with Python callables, switched references, per-environment parameter
arrays, and methods numba cannot compile (for example a user motor that calls another method
of ``self``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
import types
import warnings
from typing import Any

import numpy as np

from gem.envs import jit
from gem.envs.constraints import LimitConstraint, SquaredConstraint
from gem.envs.references import ConstReference, PeriodicReference, WienerReference, _sawtooth, _sine, _square, _triangle
from gem.envs.task import OBS_BOUND
from gem.physical_systems.converters import FiniteConverter
from gem.physical_systems.drive_system import wrap_angle
from gem.physical_systems.loads import ConstantSpeedLoad, OrnsteinUhlenbeckLoad
from gem.physical_systems.modulation import b6_actions
from gem.physical_systems.motor import Motor
from gem.physical_systems.transforms import inverse_park

_log = logging.getLogger(__name__)

PARALLEL_FROM: int | None = None
"""Batches of at least this many environments use the multi-threaded (numba ``prange``) kernel.

Off by default: on the 2-core machine the benchmarks run on, the threaded kernel measured slower
than the serial one (0.7 vs 1.9 M env-steps/s for Cont-CC-PMSM at 8192 envs). Set it to try."""

_KERNELS: dict[tuple, Any] = {}
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
        for g in task.references:
            if not isinstance(g, (WienerReference, ConstReference, PeriodicReference)):
                raise jit.NotCompilable(f"reference {type(g).__name__}")
        for c in task.constraints:
            if not isinstance(c, (LimitConstraint, SquaredConstraint)):
                raise jit.NotCompilable(f"constraint {type(c).__name__}")
        self.env = env
        self.finite = isinstance(conv, FiniteConverter)
        self.funcs = self._functions(motor, load)
        self.mp = jit.params_tuple(motor, [f for f in self.funcs.values() if f is not None and
                                           f.__code__.co_varnames[:1] == ("self",)])
        self.lp = jit.params_tuple(load, [type(load).load_torque] if not load.prescribed else
                                   [type(load).next_speed] if load.random else [])
        source = self._source(env)
        parallel = PARALLEL_FROM is not None and env.num_envs >= PARALLEL_FROM
        key = (source, type(motor), type(load), parallel)
        if key not in _KERNELS:
            _KERNELS[key] = self._compile(source, parallel)
        self.kernel = _KERNELS[key]
        self._mpv = np.array(self.mp, dtype=float).reshape(-1)
        self._lpv = np.array(self.lp, dtype=float).reshape(-1) if len(self.lp) else np.zeros(1)
        args = self._static_args(env)
        names = list(args)
        cut = names.index("substeps") + 1        # the kernel takes max_steps after substeps
        self._args = tuple(args[k] for k in names[:cut])
        self._args_tail = tuple(args[k] for k in names[cut:])
        self._run(env, self._zero_action(env), copy=True)     # compiles now, so errors surface here

    @staticmethod
    def _zero_action(env: Any) -> np.ndarray:
        shape = env.single_action_space.shape or (1,)
        return np.zeros((env.num_envs, *shape), dtype=env.single_action_space.dtype).reshape(env.num_envs, -1)

    # ------------------------------------------------------------------ components
    @staticmethod
    def _functions(motor: Motor, load: Any) -> dict[str, Any]:
        own = {name: jit.own_method(motor, name, Motor) for name in
               ("currents", "terminal_currents", "voltages", "extras")}
        return {"derivative": type(motor).derivative, "torque": type(motor).torque, **own,
                "load_torque": None if load.prescribed else type(load).load_torque,
                "next_speed": type(load).next_speed if load.random else None}

    def _compile(self, source: str, parallel: bool) -> Any:
        """Compiles the generated source, cached on disk (numba ``cache=True``).

        The file name fingerprints the source and the bytecode of every component function it calls.
        """
        scope: dict[str, Any] = {"np": np, "prange": jit.numba.prange if parallel else range,
                                 "MPT": type(self.mp), "LPT": type(self.lp),
                                 "wrap_angle": jit.jit_function(wrap_angle),
                                 "b6_actions": jit.jit_function(b6_actions),
                                 "inverse_park": jit.jit_function(inverse_park)}
        for name, fn in self.funcs.items():
            if fn is not None:
                scope[f"m_{name}"] = jit.jit_function(fn)
        for name, fn in _SHAPES.items():
            scope[f"shape_{name}"] = jit.jit_function(fn)
        used = [fn for fn in self.funcs.values() if fn is not None] + list(_SHAPES.values()) + \
            [wrap_angle, b6_actions, inverse_park]
        # One file per (source, component code, parameter types): numba's cache index names the
        # parameter tuple types, which must exist in the process that loads it.
        types_ = f"{type(self.mp).__name__}|{type(self.lp).__name__}"
        digest = hashlib.sha1((source + jit.fingerprint(used) + types_).encode())
        name = f"kernel_{digest.hexdigest()[:16]}_{int(parallel)}"
        filename, cache = _cache_file(f"{name}.py", source)
        module = types.ModuleType(f"gem._kernels.{name}")   # importable by name: numba's cache reloads it
        module.__file__ = filename
        module.__dict__.update(scope)
        sys.modules[module.__name__] = module
        scope = module.__dict__
        exec(compile(source, filename, "exec"), scope)  # noqa: S102 - generated from the task structure
        scope["deriv"] = jit.numba.njit(cache=cache)(scope["deriv"])
        return jit.numba.njit(parallel=parallel, cache=cache)(scope["kernel"])

    # ------------------------------------------------------------------ source generation
    def _source(self, env: Any) -> str:  # noqa: C901 - one straight-line generator
        task, drive = env.task, env.drive
        motor, load, conv = drive.motor, drive.load, drive.converter
        topo = conv.topology
        km = len(motor.ode_names)
        kx = km + (0 if load.prescribed else 1)
        n_out, n_legs, n_states = topo.n_out, topo.n_legs, len(drive.state_names)
        il = bool(np.any(np.asarray(conv.interlocking_time) > 0))
        dq = task.action_frame == "dq"
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
        src("def kernel(X, W, T, SW, PH, A, LIM, USUP, REF, RM, LAST, STEPS, BUF, CUR, NBUF, NCUR, OBS, REW, TERM,"
            " TRUNC, FIN, MPV, LPV, tau, JT, til, substeps, max_steps, CM, CO, CFULL, CGAIN, CBIAS, CLA, CLOW, CHIGH,"
            " TAB, RW, RWID, rpow, rtotal, penalty, RLO, RHI, NS, pp):")
        src.depth += 1
        src("for i in prange(X.shape[0]):")
        src.depth += 1
        # built per environment: parallel (parfor) lowering cannot pass named tuples into the loop
        src(f"MP = MPT({', '.join(self._unpack('MPV', self.mp))})")
        src(f"LP = LPT({', '.join(self._unpack('LPV', self.lp))})")
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
        for leg in range(n_legs):
            src(f"il{leg} = " + " + ".join(f"CM[{o}, {leg}] * ito[{o}]" for o in range(n_out)))
        if not self.finite:
            for leg in range(n_legs):
                src(f"a{leg} = min(max(act[CLA[{leg}]], CLOW[CLA[{leg}]]), CHIGH[CLA[{leg}]])")
                src(f"v{leg} = a{leg} * CGAIN[{leg}] + CBIAS[{leg}]")
                if il:
                    src(f"if CFULL[{leg}] and v{leg} > 0.0 and v{leg} < 1.0:")
                    src(f"    v{leg} = min(max(v{leg} - np.sign(il{leg}) * (til / tau), 0.0), 1.0)")
                src(f"if (not CFULL[{leg}]) and il{leg} < 0.0:")
                src(f"    v{leg} = 1.0")
            seg = [("tau", [f"v{leg}" for leg in range(n_legs)])]
            src(f"SW_new = {_tuple([f'SW[i, {leg}]' for leg in range(n_legs)])}")
        else:
            col = 0
            for k, table in enumerate(topo.tables):
                for j in range(table.shape[1]):
                    src(f"s{col} = TAB[{k}, act[{k}], {j}]")
                    col += 1
            for leg in range(n_legs):
                src(f"if s{leg} == -1:")
                src(f"    c{leg} = 1.0 if il{leg} < 0.0 else 0.0")
                src("else:")
                src(f"    c{leg} = float(s{leg})")
                src(f"if (not CFULL[{leg}]) and il{leg} < 0.0:")
                src(f"    c{leg} = 1.0")
            seg = [("tau", [f"c{leg}" for leg in range(n_legs)])]
            if il:
                for leg in range(n_legs):
                    src(f"p{leg} = SW[i, {leg}]")
                    src(f"if CFULL[{leg}] and s{leg} != p{leg} and s{leg} != -1 and p{leg} != -1:")
                    src(f"    e{leg} = 1.0 if il{leg} < 0.0 else (0.0 if il{leg} > 0.0 else float(max(p{leg}, 0)))")
                    src("else:")
                    src(f"    e{leg} = c{leg}")
                seg = [("til", [f"e{leg}" for leg in range(n_legs)]),
                       ("tau - til", [f"c{leg}" for leg in range(n_legs)])]
            src(f"SW_new = {_tuple([f's{leg}' for leg in range(n_legs)])}")
        for g, (_dur, legs) in enumerate(seg):
            for o in range(n_out):
                terms = " + ".join(f"CM[{o}, {leg}] * {v}" for leg, v in enumerate(legs))
                src(f"u{g}_{o} = u_sup * ({terms} + CO[{o}])")
        if len(seg) == 1:
            for o in range(n_out):
                src(f"um{o} = u0_{o}")
        else:
            src("sh = til / tau")
            for o in range(n_out):
                src(f"um{o} = sh * u0_{o} + (1.0 - sh) * u1_{o}")
        # load speed at the end of the period
        if not load.prescribed:
            src("w1 = w0")
        elif load.random:
            src("w1 = m_next_speed(LP, T[i] + tau, w0, tau, BUF[i, CUR[i]])")
            src("CUR[i] += 1")
        else:
            src("w1 = w0")
        src("dw = w1 - w0")
        # integrate the segments
        src("s0 = 0.0")
        rk4 = drive.solver_name == "rk4"
        for g, (dur, _legs) in enumerate(seg):
            src(f"us = {_tuple([f'u{g}_{o}' for o in range(n_out)])}")
            src(f"h = ({dur}) / substeps")
            src("for k in range(substeps):")
            src.depth += 1
            src("s = s0 + k * h")
            src(f"k1 = deriv(s, {_tuple(xs)}, us, w0, dw, tau, MP, LP, JT)")
            if rk4:
                for stage, (prev, frac) in enumerate((("k1", 0.5), ("k2", 0.5), ("k3", 1.0)), start=2):
                    ys = [f"{x} + {frac} * h * {prev}[{j}]" for j, x in enumerate(xs)]
                    src(f"k{stage} = deriv(s + {frac} * h, {_tuple(ys)}, us, w0, dw, tau, MP, LP, JT)")
                for j, x in enumerate(xs):
                    src(f"{x} = {x} + (h / 6.0) * (k1[{j}] + 2.0 * (k2[{j}] + k3[{j}]) + k4[{j}])")
            else:
                for j, x in enumerate(xs):
                    src(f"{x} = {x} + h * k1[{j}]")
            src.depth -= 1
            src(f"s0 = s0 + ({dur})")
        if motor.has_angle:
            src(f"{xs[-1]} = wrap_angle({xs[-1]})")
        src(f"xm1 = {_tuple(xm)}")
        src("w_end = x0" if not load.prescribed else "w_end = w1")
        for j, x in enumerate(xs):
            src(f"X[i, {j}] = {x}")
        src("W[i] = w_end")
        src("T[i] = T[i] + tau")
        for leg in range(n_legs):
            src(f"SW[i, {leg}] = SW_new[{leg}]")
        # physical state
        src(f"um = {_tuple([f'um{o}' for o in range(n_out)])}")
        cur = "m_currents(MP, xm1)" if self.funcs["currents"] is not None else \
            _tuple([xm[j] for j in range(len(motor.current_names))])
        vol = "m_voltages(MP, um, xm0, xm1, tau)" if self.funcs["voltages"] is not None else "um"
        src(f"cur = {cur}")
        src(f"vol = {vol}")
        parts = ["w_end", "m_torque(MP, xm1)"] + [f"cur[{j}]" for j in range(len(motor.current_names))] + \
            [f"vol[{j}]" for j in range(len(motor.voltage_names))]
        if motor.has_angle:
            parts.append(xm[-1])
        parts.append("u_sup")
        if motor.extra_names:
            src("ext = m_extras(MP, xm1)")
            parts += [f"ext[{j}]" for j in range(len(motor.extra_names))]
        src("fin = True")
        for j, p in enumerate(parts):
            src(f"PH[i, {j}] = {p}")
            src(f"n{j} = PH[i, {j}] / LIM[i, {j}]")
            src(f"if not np.isfinite(n{j}):")
            src("    fin = False")
        assert len(parts) == n_states
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
        terms = " + ".join(f"RW[{r}] * (abs(n{c} - REF[i, {r}]) / RWID[{r}]) ** rpow" for r, c in enumerate(ref_cols))
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
        # references
        for r, g in enumerate(task.references):
            row = {name: f"RM[{r}, {j}, i]" for j, name in enumerate(g.rows)}
            src(f"{row['t']} = {row['t']} + tau")
            if isinstance(g, WienerReference):
                src(f"v = {row['value']} + {row['sigma']} * np.sqrt(tau) * BUF[i, CUR[i]]")
                src("CUR[i] += 1")
            elif isinstance(g, ConstReference):
                src(f"v = {row['value']}")
            else:
                phase = f"{row['freq']} * {row['t']} + {row['phase']}"
                src(f"v = {row['offset']} + {row['amp']} * shape_{g.shape}({phase})")
            src(f"v = min(max(v, RLO[{r}]), RHI[{r}])")
            src(f"{row['value']} = v")
            src(f"REF[i, {r}] = v")
        # observation
        for k, name in enumerate(task.observed):
            if name in ("cos(epsilon)", "sin(epsilon)"):
                src(f"o = np.{name[:3]}(n{idx['epsilon']} * np.pi)")
            else:
                src(f"o = n{idx[name]}")
            if task.noise is not None:
                src(f"o = o + NBUF[i, NCUR[i]] * NS[{k}]")
                src("NCUR[i] += 1")
            src("if np.isnan(o):")
            src("    o = 0.0")
            src(f"OBS[i, {k}] = min(max(o, {-OBS_BOUND}), {OBS_BOUND})")
        n_obs = len(task.observed)
        for r in range(len(task.references)):
            src(f"OBS[i, {n_obs + r}] = REF[i, {r}]")
        if task.last_action:
            for k in range(task.action_size):
                src(f"OBS[i, {n_obs + len(task.references) + k}] = LAST[i, {k}]")
        return src.text()

    @staticmethod
    def _unpack(name: str, params: tuple) -> list[str]:
        return [f"int({name}[{k}])" if isinstance(v, int) else f"{name}[{k}]" for k, v in enumerate(params)]

    # ------------------------------------------------------------------ runtime
    def _static_args(self, env: Any) -> dict[str, Any]:
        task, drive = env.task, env.drive
        topo = drive.converter.topology
        motor = drive.motor
        return dict(
            tau=drive.tau, JT=float(drive.j_total), til=float(np.max(drive.converter.interlocking_time)),
            substeps=drive.substeps, CM=topo.matrix, CO=topo.offset, CFULL=topo.full_leg, CGAIN=topo.duty_gain,
            CBIAS=topo.duty_bias, CLA=topo.leg_action, CLOW=topo.action_low, CHIGH=topo.action_high,
            TAB=_pad_tables(topo.tables),
            RW=np.asarray(task.reward.weights, float), RWID=np.asarray(task.reward.widths, float),
            rpow=float(task.reward.power), rtotal=float(np.sum(task.reward.weights)),
            penalty=float(task.reward.penalty),
            RLO=np.array([g.low for g in task.references], float),
            RHI=np.array([g.high for g in task.references], float),
            NS=env._noise_scale if env._noise_scale is not None else np.zeros(1),
            pp=float(getattr(motor, motor.pole_pairs_param)) if motor.pole_pairs_param else 1.0,
        )

    def step(self, env: Any, action: np.ndarray) -> tuple[np.ndarray, ...]:
        """Runs one compiled step on ``env``'s arrays (updated in place)."""
        return self._run(env, action, copy=False)

    def _run(self, env: Any, action: np.ndarray, copy: bool) -> tuple[np.ndarray, ...]:
        st = env._state
        n = env.num_envs
        obs = np.empty((n, env.single_observation_space.shape[0]), np.float32)
        rew, term, trunc, fin = np.empty(n), np.empty(n, bool), np.empty(n, bool), np.empty(n, bool)
        rm = env._ref_block.copy() if copy else env._ref_block
        a = np.ascontiguousarray(action, dtype=np.int64 if self.finite and env.task.action_frame != "dq" else float)
        mutable = [st.x, st.omega, st.t, st.switch, st.physical, env._ref, env._last_action, env._steps,
                   env.rnd._buf, env.rnd._cursor, env.noise_rnd._buf, env.noise_rnd._cursor]
        if copy:
            mutable = [m.copy() for m in mutable]
        x, w, t, sw, ph, ref, last, steps, buf, cur, nbuf, ncur = mutable
        self.kernel(x, w, t, sw, ph, a, env._limits, env.drive._supply_voltage(n), ref, rm, last, steps, buf,
                    cur, nbuf, ncur, obs, rew, term, trunc, fin, self._mpv, self._lpv, *self._args,
                    env.max_episode_steps or -1,
                    *self._args_tail)
        return obs, rew, term, trunc, fin


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
