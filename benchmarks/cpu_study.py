"""Why the kernel's time per env-step differs between CPUs, and what pays on both.

Three hypotheses, each measured rather than argued:

1. **Vector width.** LLVM tunes for the CPU it detects. For Intel's AVX-512 server and client
   cores (``skylake-avx512``, ``icelake-server``, ``rocketlake``, ``sapphirerapids``) its tuning
   carries the subtarget feature ``prefer-256-bit``, so the loop vectoriser uses 256-bit ``ymm``
   registers (4 doubles) even though 512-bit ``zmm`` (8 doubles) exist; for AMD ``znver4`` it does
   not. Variants (each compiles in a fresh process with its own ``GEM_CACHE_DIR``):

   * ``host``: numba's default (the detected CPU name and features);
   * ``prefer512``: the detected CPU with ``NUMBA_CPU_FEATURES=<host features>,-prefer-256-bit``;
   * ``znver4``: ``NUMBA_CPU_NAME=znver4`` (AMD's tuning, the host's features): what the AMD
     benchmark machine's compiler does, on this CPU.

2. **float32 physics.** A self-contained copy of the physics-only loop (PMSM current ODE, RK4,
   the structure-of-arrays layout of gem's kernel, the polynomial ``sincos`` of
   :mod:`gem.envs.kernel.kernel_numpy` with the same coefficients) built once in float64 and once
   in float32 (float32 arrays and constants, so no arithmetic is promoted); the accuracy is the
   largest difference of the currents after 1000 steps.

3. **Memory and caches.** The full ``Cont-CC-PMSM-v0`` step (serial kernel, gem's default) at
   1024, 8192 and 65536 environments, through ``gym.make_vec`` and the kernel alone (the compiled
   entry point called on the bound arrays, without the environment's Python side).

Method: the machine may be shared, so the load average is recorded before every worker; each
variant runs in its own interpreter, ``--rounds`` times, interleaved (host, prefer512, znver4,
host, ...); the table gives the median and the best (highest rate, i.e. the shortest time) of the
rounds. Within a worker: physics loops, 8192 environments, one core, 200 steps per run, median of
7 runs; full step: actions pre-sampled, 100 warm-up steps, then 5 batches of 100 steps (median).

    python benchmarks/cpu_study.py [--rounds 3] [--variants host prefer512 znver4] [--gem-path DIR]
                                   [--out benchmarks/results/cpu_study.json]
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
from common import cpu_model, write_json  # benchmarks/common.py

ENV_ID = "gem/Cont-CC-PMSM-v0"
SIZES = (1024, 8192, 65536)
PHYSICS_ENVS = 8192
PHYSICS_STEPS = 200
ACCURACY_STEPS = 1000
CACHE_ROOT = "/tmp/cpu-study"


def variant_env(name: str) -> dict[str, str]:
    """Environment variables of a variant (read by numba when it is imported)."""
    import llvmlite.binding as llb  # only the feature query; the workers compile

    if name == "host":
        return {}
    if name == "prefer512":
        return {"NUMBA_CPU_FEATURES": llb.get_host_cpu_features().flatten() + ",-prefer-256-bit"}
    if name == "znver4":
        return {"NUMBA_CPU_NAME": "znver4"}
    raise ValueError(f"unknown variant {name!r}")


# ---------------------------------------------------------------------------------------------
# Hypothesis 2: a self-contained physics-only loop, float64 or float32
# ---------------------------------------------------------------------------------------------
def make_physics(dtype: type, motor: object, reciprocal: bool = False):
    """A numba RK4 loop over ``x[3, n]`` (i_sd, i_sq, epsilon) with held ABC voltages ``u[3, n]``.

    Every constant is a ``dtype`` closure value (numba freezes it with that type), so a float32
    build does float32 arithmetic throughout. The arithmetic is that of ``PMSM.derivative``
    (Clarke, Park with the kernel's polynomial ``sincos``) and of gem's RK4 tableau; with
    ``reciprocal`` the two divisions by ``l_d`` and ``l_q`` become multiplications by ``1 / l_d``
    and ``1 / l_q`` (LLVM keeps a division by a constant that is not a power of two a division).
    """
    import numba

    f = dtype
    half, one, two, three, four, quarter, sixth = f(0.5), f(1.0), f(2.0), f(3.0), f(4.0), f(0.25), f(1.0 / 6.0)
    third, inv_sqrt3 = f(1.0 / 3.0), f(1.0 / math.sqrt(3.0))
    two_over_pi = f(2.0 / math.pi)
    if dtype is np.float64:     # kernel_numpy's three-part pi/2
        p1, p2, p3 = f(1.5707963267341256), f(6.077100506303966e-11), f(2.0222662487959506e-21)
    else:                       # float32 three-part pi/2 (Cephes sinf's pi/4 split, doubled)
        p1, p2, p3 = f(1.5703125), f(4.837512969970703125e-4), f(7.54978995489188216e-8)
    s1, s2, s3, s4, s5, s6 = (f(c) for c in (-1.66666666666666307295e-1, 8.33333333332211858878e-3,
                                             -1.98412698295895385996e-4, 2.75573136213857245213e-6,
                                             -2.50507477628578072866e-8, 1.58962301576546568060e-10))
    c1, c2, c3, c4, c5, c6 = (f(c) for c in (4.16666666666665929218e-2, -1.38888888888730564116e-3,
                                             2.48015872888517045348e-5, -2.75573141792967388112e-7,
                                             2.08757008419747316778e-9, 1.13585365213876817300e-11))
    pp, r_s, l_d, l_q, psi_p = (f(getattr(motor, k)) for k in ("p", "r_s", "l_d", "l_q", "psi_p"))
    inv_l_d, inv_l_q = f(1.0 / float(motor.l_d)), f(1.0 / float(motor.l_q))

    @numba.njit(error_model="numpy", inline="always")
    def sincos(x):
        q = np.floor(x * two_over_pi + half)
        r = ((x - q * p1) - q * p2) - q * p3
        z = r * r
        s = r + r * z * (s1 + z * (s2 + z * (s3 + z * (s4 + z * (s5 + z * s6)))))
        c = one - half * z + z * z * (c1 + z * (c2 + z * (c3 + z * (c4 + z * (c5 - z * c6)))))
        k = q - four * np.floor(q * quarter)
        odd = k == one or k == three
        sin_ = c if odd else s
        cos_ = s if odd else c
        return (-sin_ if k >= two else sin_), (-cos_ if k == one or k == two else cos_)

    @numba.njit(error_model="numpy", inline="always")
    def deriv(i_sd, i_sq, eps, ua, ub, uc, omega):
        u_alpha = (two * ua - ub - uc) * third
        u_beta = (ub - uc) * inv_sqrt3
        sin, cos = sincos(eps)
        u_sd = cos * u_alpha + sin * u_beta
        u_sq = cos * u_beta - sin * u_alpha
        omega_el = pp * omega
        a = u_sd - r_s * i_sd + omega_el * l_q * i_sq
        b = u_sq - r_s * i_sq - omega_el * (l_d * i_sd + psi_p)
        if reciprocal:
            return a * inv_l_d, b * inv_l_q, omega_el
        return a / l_d, b / l_q, omega_el

    @numba.njit(error_model="numpy")
    def run(x, u, omega, h, n_steps):
        hh = half * h
        for _ in range(n_steps):
            for ii in range(x.shape[1]):
                i = np.uint64(ii)
                x0, x1, x2 = x[0, i], x[1, i], x[2, i]
                ua, ub, uc = u[0, i], u[1, i], u[2, i]
                a0, a1, a2 = deriv(x0, x1, x2, ua, ub, uc, omega)
                b0, b1, b2 = deriv(x0 + hh * a0, x1 + hh * a1, x2 + hh * a2, ua, ub, uc, omega)
                c0, c1_, c2_ = deriv(x0 + hh * b0, x1 + hh * b1, x2 + hh * b2, ua, ub, uc, omega)
                d0, d1, d2 = deriv(x0 + h * c0, x1 + h * c1_, x2 + h * c2_, ua, ub, uc, omega)
                x[0, i] = x0 + h * sixth * (a0 + two * (b0 + c0) + d0)
                x[1, i] = x1 + h * sixth * (a1 + two * (b1 + c1_) + d1)
                x[2, i] = x2 + h * sixth * (a2 + two * (b2 + c2_) + d2)

    return run


def gem_physics() -> object:
    """The physics-only loop of ``throughput.py``: the PMSM's own ``derivative`` as gem compiles it (float64)."""
    from throughput import pmsm_physics_kernel  # benchmarks/throughput.py

    return pmsm_physics_kernel(threads=False)


def physics_inputs(dtype: type, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Zero currents and angles, and held phase voltages uniform in ±200 V (seed 0)."""
    rng = np.random.default_rng(0)
    return np.zeros((3, n), dtype), rng.uniform(-200.0, 200.0, (3, n)).astype(dtype)


def physics_rate(run, dtype: type, repeats: int = 7) -> float:
    """Median env-steps/s of ``run`` over :data:`PHYSICS_ENVS` environments (one core)."""
    x, u = physics_inputs(dtype, PHYSICS_ENVS)
    omega, h = dtype(100.0), dtype(1e-4)
    run(x, u, omega, h, 1)
    rates = []
    for _ in range(repeats):
        x[...] = 0.0        # the angle grows without wrapping: restart it
        t0 = time.perf_counter()
        run(x, u, omega, h, PHYSICS_STEPS)
        rates.append(PHYSICS_STEPS * PHYSICS_ENVS / (time.perf_counter() - t0))
    return statistics.median(rates)


def float32_accuracy(run64, run32, wrap: bool) -> dict[str, float]:
    """Differences of the float32 currents from the float64 ones after :data:`ACCURACY_STEPS` steps.

    ``wrap``: the angle is wrapped to [-π, π] after every step (in its own precision), as gem's
    kernel does; otherwise it grows (to about 30 rad), as in the timed loop.
    """
    x64, u64 = physics_inputs(np.float64, PHYSICS_ENVS)
    x32, u32 = physics_inputs(np.float32, PHYSICS_ENVS)
    for x, u, run, f in ((x64, u64, run64, np.float64), (x32, u32, run32, np.float32)):
        if wrap:
            for _ in range(ACCURACY_STEPS):
                run(x, u, f(100.0), f(1e-4), 1)
                x[2] = (x[2] + f(np.pi)) % f(2.0 * np.pi) - f(np.pi)
        else:
            run(x, u, f(100.0), f(1e-4), ACCURACY_STEPS)
    cur64, cur32 = x64[:2], x32[:2].astype(np.float64)
    err = np.hypot(*(cur32 - cur64))                # per environment: |delta i_dq| / |i_dq|
    size = np.hypot(*cur64)
    rel = err / size
    return {"max_rel_diff": float(rel.max()), "median_rel_diff": float(np.median(rel)),
            "max_abs_diff_A": float(err.max()), "max_current_A": float(size.max()),
            "max_angle_diff_rad": float(np.abs(x32[2].astype(np.float64) - x64[2]).max())}


def vector_widths(run) -> dict[str, int]:
    """How many instructions of the compiled loop name ``zmm`` (512-bit) and ``ymm`` (256-bit) registers."""
    asm = "\n".join(run.inspect_asm().values())
    return {"zmm": asm.count("zmm"), "ymm": asm.count("ymm")}


# ---------------------------------------------------------------------------------------------
# Hypothesis 3: the full step at several batch sizes
# ---------------------------------------------------------------------------------------------
def full_step(n: int, batches: int = 5, steps: int = 100) -> dict[str, float]:
    """Env-steps/s of ``gym.make_vec(ENV_ID, n)`` (median of batches) and of its kernel alone."""
    import gymnasium as gym

    import gem  # noqa: F401 - registers the ids

    venv = gym.make_vec(ENV_ID, num_envs=n, vectorization_mode="vector_entry_point")
    venv.action_space.seed(0)
    actions = [venv.action_space.sample() for _ in range(steps)]
    venv.reset(seed=0)
    for a in actions:                   # warm-up (the kernel compiled or loaded in make_vec)
        venv.step(a)
    rates = []
    for _ in range(batches):
        t0 = time.perf_counter()
        for a in actions:
            venv.step(a)
        rates.append(steps * n / (time.perf_counter() - t0))
    # the kernel alone: the compiled entry point on the bound arrays (a benchmark-only private access)
    kernel = venv.unwrapped._kernel
    kernel.A[...] = np.asarray(actions[0]).reshape(kernel.A.shape)
    entry, call = kernel._entry, kernel._call
    alone = []
    for _ in range(batches):
        t0 = time.perf_counter()
        for _ in range(steps):
            entry(*call)
        alone.append(steps * n / (time.perf_counter() - t0))
    return {"env": statistics.median(rates), "kernel": statistics.median(alone),
            "vectorised": bool(kernel.vectorised)}


LOOP_MARKS = {"0 draws": "# 0.", "1 converter": "# 1.", "2 integrate": "# 2.", "3 physical": "# 3.",
              "4 outcome": "# 4.", "5 references/autoreset": "# 5."}
"""The comments that start each loop (or its call) in the generated kernel source (see gem.envs.kernel.wiring)."""


def _without(lines: list[str], marks: list[str]) -> list[str]:
    """``lines`` without the lines carrying one of ``marks`` and the blocks they open (by indentation)."""
    out, skip_deeper = [], None
    for line in lines:
        depth = len(line) - len(line.lstrip())
        if skip_deeper is not None and (depth > skip_deeper or not line.strip()):
            continue
        skip_deeper = None
        if any(m in line for m in marks):
            skip_deeper = depth if line.rstrip().endswith(":") or ":    #" in line else None
            continue
        out.append(line)
    # a block left empty gets a pass
    fixed = []
    for k, line in enumerate(out):
        fixed.append(line)
        nxt = out[k + 1] if k + 1 < len(out) else ""
        depth = len(line) - len(line.lstrip())
        if line.rstrip().split("#")[0].rstrip().endswith(":") and (len(nxt) - len(nxt.lstrip()) <= depth):
            fixed.append(" " * (depth + 4) + "pass")
    return fixed


def loop_breakdown(n: int, steps: int = 100, repeats: int = 5) -> dict[str, float]:
    """Nanoseconds per env-step of each loop of the compiled kernel, run alone.

    The generated kernel source is recompiled (in its own module's namespace, so the loops it
    calls are the compiled ones) with every loop but one removed; each variant is called on the
    bound arrays of a ``Cont-CC-PMSM-v0`` environment of ``n``. The ``full`` entry is the
    unmodified source compiled the same way; the loops do not see the others' results (the
    state then does not advance), which is fine for timing but not for the numbers computed.
    Episode ends are cleared before each variant, so loop 5 alone is timed without autoresets;
    ``5 with every env resetting`` times it with every environment starting an episode.
    """
    import gymnasium as gym
    import numba

    import gem  # noqa: F401 - registers the ids

    venv = gym.make_vec(ENV_ID, num_envs=n, vectorization_mode="vector_entry_point")
    venv.reset(seed=0)
    venv.action_space.seed(0)
    venv.step(venv.action_space.sample())
    kernel = venv.unwrapped._kernel
    module = sys.modules[kernel.kernel.py_func.__module__]
    with open(module.__file__) as f:
        source = f.read()
    lines = source[source.index("def kernel("):].splitlines()
    out = {}
    for name in ["full", *LOOP_MARKS, "5 with every env resetting"]:
        keep = "5 references/autoreset" if name.startswith("5 with") else name
        drop = [] if name == "full" else [m for k, m in LOOP_MARKS.items() if k != keep]
        kernel.term[...] = name.startswith("5 with")
        kernel.trunc[...] = False
        namespace = dict(module.__dict__)
        exec(compile("\n".join(_without(lines, drop)), module.__file__, "exec"), namespace)  # noqa: S102
        fn = numba.njit(error_model="numpy")(namespace["kernel"])
        call = kernel._call
        fn(*call)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(steps):
                fn(*call)
            times.append((time.perf_counter() - t0) / (steps * n) * 1e9)
        out[name] = statistics.median(times)
    return out


LAYOUT_ROWS = 14
"""Quantities per environment in :func:`layout_rates` (the PMSM drive has 14 states)."""


def layout_rates(n: int = 8192, block: int = 512, repeats: int = 7) -> dict[str, float]:
    """Nanoseconds per environment of loop 4's pattern in three memory layouts.

    The pattern, written out per state as the generated kernel does, for :data:`LAYOUT_ROWS`
    states: copy the state from its scratch row into ``PH``, divide it by its limit ``LIM`` and
    store the result as a float32 observation ``OBS``. ``aos``: ``PH``, ``LIM`` and ``OBS`` indexed
    ``[i, j]`` (a row per environment, as in gem today); ``soa``: indexed ``[j, i]`` (a row per
    quantity, like the scratch rows); ``soa_then_aos``: the division on ``[j, i]`` rows into a
    scratch row, then a second loop copying into ``[i, j]`` arrays. Blocks of ``block``
    environments and padded ``[j, i]`` rows (:func:`gem.envs.kernel.layout.padded_row`), like the
    kernel: unpadded rows 64 KiB apart share L1 sets and run several times slower.
    """
    import numba

    head = "def f(lo, hi, PH, LIM, OBS, SPH, TMP):\n"
    loop = "    for ii in range(hi - lo):\n        i = np.uint64(lo + ii)\n"
    rows = range(LAYOUT_ROWS)
    sources = {
        "aos": head + loop + "".join(f"        PH[i, {j}] = SPH[{j}, i]\n"
                                     f"        OBS[i, {j}] = PH[i, {j}] / LIM[i, {j}]\n" for j in rows),
        "soa": head + loop + "".join(f"        PH[{j}, i] = SPH[{j}, i]\n"
                                     f"        OBS[{j}, i] = PH[{j}, i] / LIM[{j}, i]\n" for j in rows),
        "soa_then_aos": head + loop + "".join(f"        TMP[{j}, i] = SPH[{j}, i] / LIM[{j}, i]\n" for j in rows)
        + loop + "".join(f"        PH[i, {j}] = SPH[{j}, i]\n        OBS[i, {j}] = TMP[{j}, i]\n" for j in rows)}
    from gem.envs.kernel.layout import padded_row
    from gem.envs.kernel.toolchain import allow_overlap_checks

    allow_overlap_checks()          # as for gem's kernels: else LLVM leaves the loops with many rows scalar
    aos, soa = (n, LAYOUT_ROWS), (LAYOUT_ROWS, padded_row(n))     # rows padded as gem's scratch rows
    shapes = {"aos": (aos, aos, aos), "soa": (soa, soa, soa), "soa_then_aos": (aos, soa, aos)}   # PH, LIM, OBS
    out = {}
    for name, src in sources.items():
        namespace = {"np": np}
        exec(src, namespace)  # noqa: S102 - generated above
        fn = numba.njit(error_model="numpy")(namespace["f"])
        ph_shape, lim_shape, obs_shape = shapes[name]
        args = (np.zeros(ph_shape), np.full(lim_shape, 2.0), np.zeros(obs_shape, np.float32),
                np.ones(soa), np.zeros(soa))
        fn(0, block, *args)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(20):
                for lo in range(0, n, block):
                    fn(lo, min(lo + block, n), *args)
            times.append((time.perf_counter() - t0) / (20 * n) * 1e9)
        out[name] = statistics.median(times)
    return out


def worker(variant: str, sizes: list[int]) -> dict:
    """Everything measured in one fresh interpreter for one variant (printed as JSON)."""
    import llvmlite.binding as llb
    import numba

    from gem.physical_systems import PMSM

    out: dict = {"variant": variant, "cpu_name": numba.config.CPU_NAME or llb.get_host_cpu_name(),
                 "features_set": numba.config.CPU_FEATURES is not None}
    motor = PMSM()
    run64, run32, rungem = make_physics(np.float64, motor), make_physics(np.float32, motor), gem_physics()
    out["physics_gem_f64"] = physics_rate(rungem, np.float64)
    out["physics_own_f64"] = physics_rate(run64, np.float64)
    out["physics_own_f32"] = physics_rate(run32, np.float32)
    out["physics_own_f64_recip"] = physics_rate(make_physics(np.float64, motor, True), np.float64)
    out["physics_own_f32_recip"] = physics_rate(make_physics(np.float32, motor, True), np.float32)
    out["widths"] = {"gem_f64": vector_widths(rungem), "own_f64": vector_widths(run64), "own_f32": vector_widths(run32)}
    out["accuracy_f32"] = {"wrapped": float32_accuracy(run64, run32, True),
                           "unwrapped": float32_accuracy(run64, run32, False)}
    t0 = time.perf_counter()
    out["full"] = {}
    for n in sizes:
        out["full"][str(n)] = full_step(n)
    out["full_seconds"] = time.perf_counter() - t0
    out["loops_ns_8192"] = loop_breakdown(8192)
    out["layout_ns"] = layout_rates()
    return out


# ---------------------------------------------------------------------------------------------
# Orchestration
# ---------------------------------------------------------------------------------------------
def run_worker(variant: str, sizes: list[int], snapshot: str | None) -> dict:
    """Runs :func:`worker` in a fresh interpreter with the variant's environment and kernel cache."""
    env = {**os.environ, **variant_env(variant), "GEM_CACHE_DIR": os.path.join(CACHE_ROOT, variant)}
    if snapshot:        # a frozen copy of gem (the working tree may be mid-edit by others)
        env["PYTHONPATH"] = os.pathsep.join([snapshot, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", variant, "--sizes", *map(str, sizes)]
    load = os.getloadavg()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"variant": variant, "error": proc.stderr.strip().splitlines()[-5:], "loadavg": load}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result.update(loadavg=load, wall_s=time.perf_counter() - t0,
                  utc=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
    return result


def summary(runs: list[dict], key) -> tuple[float, float]:
    """Median and highest of ``key(run)`` over the successful runs (the best rate, the worst time)."""
    values = [key(r) for r in runs if "error" not in r]
    return (statistics.median(values), max(values)) if values else (math.nan, math.nan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="+", default=["host", "prefer512", "znver4"])
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/results/cpu_study.json")
    parser.add_argument("--gem-path", help="import gem from this folder (a frozen copy), not the working tree")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.sizes)))
        return

    start = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    load_start = os.getloadavg()
    runs: dict[str, list[dict]] = {v: [] for v in args.variants}
    for r in range(args.rounds):                    # interleaved: A B C A B C ...
        for v in args.variants:
            res = run_worker(v, args.sizes, args.gem_path)
            runs[v].append(res)
            state = "error: " + " | ".join(res["error"]) if "error" in res else f"{res['wall_s']:.0f} s"
            print(f"round {r + 1} {v:10s} load {res['loadavg'][0]:.2f}  {state}", flush=True)

    rows = [("physics gem f64 (M/s)", lambda x: x["physics_gem_f64"] / 1e6),
            ("physics own f64 (M/s)", lambda x: x["physics_own_f64"] / 1e6),
            ("physics own f32 (M/s)", lambda x: x["physics_own_f32"] / 1e6),
            ("physics own f64 1/L (M/s)", lambda x: x["physics_own_f64_recip"] / 1e6),
            ("physics own f32 1/L (M/s)", lambda x: x["physics_own_f32_recip"] / 1e6)]
    for n in args.sizes:
        rows.append((f"full env {n} (M/s)", lambda x, n=n: x["full"][str(n)]["env"] / 1e6))
        rows.append((f"full kernel {n} (M/s)", lambda x, n=n: x["full"][str(n)]["kernel"] / 1e6))
    for loop in ["full", *LOOP_MARKS, "5 with every env resetting"]:
        rows.append((f"ns/env-step {loop}"[:30], lambda x, loop=loop: x["loops_ns_8192"][loop]))
    for layout in ("aos", "soa", "soa_then_aos"):
        rows.append((f"ns/env loop-4 toy {layout}", lambda x, layout=layout: x["layout_ns"][layout]))
    table = {}
    print()
    print(f"{cpu_model()}; env-steps/s per core (M/s rows: median / best of {args.rounds} interleaved runs; "
          "ns rows: kernel loops alone at 8192 envs, median / worst)")
    header = f"{'':30s}" + "".join(f"{v:>20s}" for v in args.variants)
    print(header)
    print("-" * len(header))
    for label, key in rows:
        table[label] = {v: summary(runs[v], key) for v in args.variants}
        print(f"{label:30s}" + "".join(f"{table[label][v][0]:11.1f} / {table[label][v][1]:5.1f}"
                                       for v in args.variants))
    for v in args.variants:
        ok = [r for r in runs[v] if "error" not in r]
        if ok:
            print(f"{v}: LLVM cpu {ok[0]['cpu_name']}, registers named in the physics loops {ok[0]['widths']}, "
                  f"full step vectorised: {ok[0]['full'][str(args.sizes[0])]['vectorised']}")
    acc = next((r["accuracy_f32"] for v in args.variants for r in runs[v] if "error" not in r), {})
    for case, a in acc.items():
        print(f"float32 vs float64 after {ACCURACY_STEPS} steps, angle {case}: |di_dq|/|i_dq| max "
              f"{a['max_rel_diff']:.2e}, median {a['median_rel_diff']:.2e} (max |di| {a['max_abs_diff_A']:.3g} A, "
              f"max |i| {a['max_current_A']:.3g} A); max angle difference {a['max_angle_diff_rad']:.2e} rad")

    meta = {"cpu": cpu_model(), "cpus": os.cpu_count(), "utc_start": start,
            "utc_end": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "loadavg_start": load_start, "loadavg_end": os.getloadavg(), "python": platform.python_version(),
            "numpy": np.__version__, "rounds": args.rounds, "gem_path": args.gem_path,
            "variants": {v: variant_env(v) for v in args.variants},
            "method": __doc__.split("Method:")[1].strip()}
    out = {"meta": meta, "table": {k: {v: {"median": m, "best": b} for v, (m, b) in row.items()}
                                   for k, row in table.items()}, "runs": runs}
    write_json(args.out, out)


if __name__ == "__main__":
    main()
