"""Serial or threaded kernel? gem's step and PPO training, idle and beside a busy process.

Reinforcement learning runs the environment beside a learner, so the kernel's default must be
chosen from numbers measured under contention too, not on an idle machine only. Four sections,
each printed as a table and written to one JSON file:

1. **Vector env step rate.** ``gym.make_vec("gem/Cont-CC-PMSM-v0", num_envs=N,
   vectorization_mode="vector_entry_point")`` with the serial and with the threaded kernel, for
   every N of ``--sizes``. Random actions are pre-sampled from the action space (seeded 0; 64
   batched actions, cycled), the first ``reset(seed=0)`` compiles the kernel, 20 warm-up steps,
   then ``--batches`` batches of 50 steps, each timed with ``time.perf_counter``; reported: the
   min / median / max of env-steps/s over the batches (the spread is the point: under contention
   the threaded kernel was erratic from batch to batch). The same environment is then reset with
   the same seed and measured again, with the busy process running (20 warm-up steps after it
   started).
2. **The busy process.** A separate interpreter (``subprocess.Popen`` of ``sys.executable -c``),
   started before and killed after each busy measurement (``try``/``finally``). ``--busy python``
   spins pure-Python integer arithmetic (one thread, so one core); ``--busy torch`` multiplies
   512 x 512 matrices with torch's default number of threads, like a learner. It stops by itself
   after ``--busy-timeout`` seconds or when this process is gone, so nothing leaks; its CPU time
   (``/proc``) is recorded to show it really was busy.
3. **torch threads.** In a fresh interpreter that imports torch before gem (as a training script
   does): ``torch.get_num_threads()`` after ``torch.set_num_threads(1)``, then after creating and
   stepping a vector env with the serial kernel, then with the threaded kernel; whether gem changed
   it, and numba's thread count and threading layer.
4. **PPO training throughput.** Stable-Baselines3 ``PPO("MlpPolicy")`` on
   ``gem.agents.SB3VecEnv`` over a vector env of 256 environments (settings in the JSON), one
   warm-up ``learn`` of one rollout, then ``learn(--ppo-steps)`` timed (``perf_counter``); reported:
   timesteps/s and the time spent collecting rollouts versus updating. Settings: (a) all defaults,
   (b) ``torch.set_num_threads(1)`` + serial kernel, (c) ``torch.set_num_threads(1)`` + threaded
   kernel, (d) torch's default threads + threaded kernel, and (e) torch's default threads + serial
   kernel (an extra: the candidate default for users who leave torch alone). Each setting runs in a
   fresh interpreter (this script with a hidden flag), so thread settings of torch, numba and
   OpenMP cannot leak from one setting into the next; idle and with the busy process beside.

Choosing the kernel: ``gym.make_vec(..., threaded=True|False)`` (gem's default is the serial
kernel); whether the built kernel really is the threaded one (numba's ``parallel`` option of the
kernel) is recorded too.

This process never imports torch (only the child interpreters of sections 3 and 4 do): torch and
numba may share one OpenMP runtime, and torch's thread setting would then change section 1.

    python benchmarks/contention.py [--sizes 1024 8192] [--batches 10] [--busy python|torch]
                                    [--ppo-steps 65536] [--skip-ppo] [--quick] [--out ...]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.metadata
import json
import os
import platform
import re
import select
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from typing import Any

from common import cpu_model, write_json  # benchmarks/common.py

ENV_ID = "gem/Cont-CC-PMSM-v0"
STEPS_PER_BATCH = 50
WARMUP_STEPS = 20
DISTINCT_ACTIONS = 64
"""Pre-sampled batched actions, cycled (as in ``throughput.py``): bounded memory at 8192 envs."""
BUSY_SETTLE_S = 0.5
"""Seconds between the busy process reporting ready and the measurement (it is in its loop by then)."""
CHILD_TIMEOUT = 3600.0
"""Seconds a child interpreter (torch check, one PPO setting) may take before it is killed."""

BUSY_SCRIPTS = {
    "python": """
import os, sys, time
parent, end = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
print("ready", flush=True)
x = 0
while time.monotonic() < end and os.getppid() == parent:
    for i in range(100_000):
        x = (x * 1103515245 + i) % 2147483647
""",
    "torch": """
import os, sys, time
parent, end = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
import torch
a, b = torch.randn(512, 512), torch.randn(512, 512)
print("ready", torch.get_num_threads(), flush=True)
while time.monotonic() < end and os.getppid() == parent:
    for _ in range(20):
        a = torch.tanh(a @ b)
""",
}
"""The busy processes: ``sys.argv[1:]`` = this process's id and the timeout in seconds."""


@dataclass(frozen=True)
class PPOConfig:
    """The PPO run of section 4 (the same for every setting).

    Attributes:
        num_envs: Environments of the gem vector env.
        n_steps: Steps per environment per rollout (a rollout is ``n_steps * num_envs`` timesteps).
        batch_size: Minibatch size of the update.
        n_epochs: Passes over each rollout per update.
        timesteps: Timed ``learn`` budget.
        warmup_timesteps: Untimed ``learn`` before it (kernel compiled, torch warmed up).
        seed: ``PPO(seed=...)``.
    """

    num_envs: int = 256
    n_steps: int = 64
    batch_size: int = 4096
    n_epochs: int = 2
    timesteps: int = 65536
    warmup_timesteps: int = 16384
    seed: int = 0


QUICK_PPO = PPOConfig(num_envs=64, n_steps=16, batch_size=512, n_epochs=1, timesteps=2048, warmup_timesteps=1024)

PPO_SETTINGS: dict[str, tuple[int | None, bool | None]] = {
    "a default": (None, None),
    "b torch1 serial": (1, False),
    "c torch1 threaded": (1, True),
    "d torchN threaded": (None, True),
    "e torchN serial": (None, False),
}
"""Setting -> (``torch.set_num_threads`` value or ``None`` for torch's default, kernel: ``True``
threaded, ``False`` serial, ``None`` gem's default)."""


# ---------------------------------------------------------------------------- choosing the kernel
def make_vec(num_envs: int, threaded: bool | None) -> tuple[Any, str]:
    """Creates and resets (``seed=0``; this compiles the kernel) a ``Cont-CC-PMSM-v0`` vector env.

    Args:
        num_envs: Batch size.
        threaded: ``True``/``False`` for the threaded/serial kernel, ``None`` for gem's default.

    Returns:
        The environment and the mechanism that chose the kernel.
    """
    import gymnasium as gym

    import gem  # noqa: F401 - registers the ids

    kwargs: dict[str, Any] = {"num_envs": num_envs, "vectorization_mode": "vector_entry_point"}
    if threaded is not None:
        kwargs["threaded"] = threaded
    venv = gym.make_vec(ENV_ID, **kwargs)
    venv.reset(seed=0)
    return venv, "gem's default" if threaded is None else f"threaded={threaded}"


def kernel_is_parallel(venv: Any) -> bool | None:
    """Whether the environment's compiled kernel was built multi-threaded (``None``: unknown).

    Reads private attributes (the compiled step's numba dispatcher), so it is best effort only.
    """
    step = getattr(getattr(venv, "unwrapped", venv), "_kernel", None)
    dispatcher = getattr(step, "kernel", None)
    options = getattr(dispatcher, "targetoptions", None)
    if step is None or not isinstance(options, dict):
        return None
    return bool(options.get("parallel", False))


def numba_threads() -> dict[str, Any]:
    """numba's thread count and threading layer (the layer is known after a threaded kernel ran)."""
    import numba

    try:
        layer = numba.threading_layer()
    except ValueError:              # no parallel kernel has run in this process
        layer = None
    return {"numba_num_threads": numba.get_num_threads(), "numba_threading_layer": layer}


def openmp_libraries() -> list[str]:
    """The OpenMP runtimes loaded in this process (``/proc/self/maps``; empty where unavailable).

    One shared runtime is how numba's threading layer can change ``torch.get_num_threads()``.
    """
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if len(line.split()) >= 6}
    except OSError:
        return []
    return sorted(p for p in paths if re.match(r"lib(g|i)?omp[.-]", os.path.basename(p)))


def gem_source() -> dict[str, Any]:
    """Where the imported ``gem`` comes from, and its git commit and whether ``gem/`` has local changes."""
    import gem

    folder = os.path.dirname(os.path.dirname(os.path.abspath(gem.__file__)))
    out: dict[str, Any] = {"gem_path": folder, "gem_version": getattr(gem, "__version__", None)}
    try:
        git = ["git", "-C", folder]
        out["git_commit"] = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True,
                                           check=True).stdout.strip()
        out["git_gem_dirty"] = bool(subprocess.run([*git, "status", "--porcelain", "--", "gem"], capture_output=True,
                                                   text=True, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        out["git_commit"] = None          # not a git checkout (e.g. an exported snapshot)
    return out


# ---------------------------------------------------------------------------- the busy process
def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (``/proc/<pid>/stat``; ``None`` where unavailable)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


@contextlib.contextmanager
def busy_process(kind: str | None, timeout: float) -> Iterator[dict[str, Any]]:
    """Runs a busy interpreter beside the block (nothing if ``kind`` is ``None``).

    The process is killed when the block ends, also on exceptions; it stops by itself after
    ``timeout`` seconds or when this process exits.

    Args:
        kind: A key of :data:`BUSY_SCRIPTS`, or ``None`` for idle.
        timeout: Seconds after which the busy process exits by itself.

    Yields:
        A record, completed at the end of the block with the busy process's CPU seconds, the wall
        seconds and whether it was still running.
    """
    record: dict[str, Any] = {"kind": kind}
    if kind is None:
        yield record
        return
    proc = subprocess.Popen([sys.executable, "-c", BUSY_SCRIPTS[kind], str(os.getpid()), str(timeout)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 120.0)
        line = proc.stdout.readline() if ready else ""
        if not line.startswith("ready"):
            proc.kill()
            raise RuntimeError(f"the busy process ({kind}) did not start: {proc.communicate()[1][-2000:]}")
        record["reported"] = line.split()[1:]          # torch: its number of threads
        time.sleep(BUSY_SETTLE_S)
        cpu0, t0 = _cpu_seconds(proc.pid), time.perf_counter()
        yield record
        cpu1, wall = _cpu_seconds(proc.pid), time.perf_counter() - t0
        record["alive_at_end"] = proc.poll() is None
        record["wall_s"] = wall
        if cpu0 is not None and cpu1 is not None:
            record["cpu_s"] = cpu1 - cpu0
            record["cpu_per_wall"] = (cpu1 - cpu0) / wall
    finally:
        if proc.returncode is None:       # not yet reaped (communicate() above reaps a failed start)
            proc.kill()
            proc.communicate()


# ---------------------------------------------------------------------------- section 1
def timed_batches(venv: Any, actions: list[Any], batches: int) -> dict[str, Any]:
    """Resets (``seed=0``), warms up, then times ``batches`` batches of :data:`STEPS_PER_BATCH` steps.

    Returns:
        ``min``, ``median``, ``max`` and every batch's ``rates`` in env-steps/s.
    """
    venv.reset(seed=0)
    for k in range(WARMUP_STEPS):
        venv.step(actions[k % len(actions)])
    rates = []
    k = 0
    for _ in range(batches):
        t0 = time.perf_counter()
        for _ in range(STEPS_PER_BATCH):
            venv.step(actions[k % len(actions)])
            k += 1
        rates.append(STEPS_PER_BATCH * venv.num_envs / (time.perf_counter() - t0))
    return {"min": min(rates), "median": statistics.median(rates), "max": max(rates), "rates": rates}


def vector_section(sizes: list[int], batches: int, busy: str, busy_timeout: float) -> list[dict[str, Any]]:
    """Section 1: serial and threaded step rates for every size, idle and beside the busy process."""
    rows = []
    print(f"\n1. vector env step, {ENV_ID}: M env-steps/s over {batches} batches of {STEPS_PER_BATCH} steps "
          f"(min / median / max); busy = {busy}")
    header = (f"{'num_envs':>8s} {'kernel':8s} {'built':>6s} | {'idle min':>8s} {'med':>6s} {'max':>6s} | "
              f"{'busy min':>8s} {'med':>6s} {'max':>6s} | {'busy/idle':>9s}  mechanism")
    print(header)
    print("-" * len(header))
    for n in sizes:
        for threaded in (False, True):
            load = os.getloadavg()
            t0 = time.perf_counter()
            venv, how = make_vec(n, threaded)
            setup_s = time.perf_counter() - t0
            venv.action_space.seed(0)
            actions = [venv.action_space.sample() for _ in range(DISTINCT_ACTIONS)]
            idle = timed_batches(venv, actions, batches)
            with busy_process(busy, busy_timeout) as busy_record:
                loaded = timed_batches(venv, actions, batches)
            parallel = kernel_is_parallel(venv)
            venv.close()
            del venv
            row = {"num_envs": n, "threaded": threaded, "mechanism": how, "kernel_parallel": parallel,
                   "setup_s": setup_s, "loadavg_before": load, "idle": idle, "busy": loaded,
                   "busy_process": busy_record, **numba_threads()}
            rows.append(row)
            built = "?" if parallel is None else ("thr" if parallel else "ser")
            print(f"{n:8d} {'threaded' if threaded else 'serial':8s} {built:>6s} | "
                  f"{idle['min'] / 1e6:8.2f} {idle['median'] / 1e6:6.2f} {idle['max'] / 1e6:6.2f} | "
                  f"{loaded['min'] / 1e6:8.2f} {loaded['median'] / 1e6:6.2f} {loaded['max'] / 1e6:6.2f} | "
                  f"{loaded['median'] / idle['median']:9.2f}  {how}", flush=True)
    return rows


# ---------------------------------------------------------------------------- section 3
def torch_check_child(num_envs: int) -> dict[str, Any]:
    """Section 3, run in a fresh interpreter: does creating/stepping gem change torch's threads?"""
    import torch

    out: dict[str, Any] = {"num_envs": num_envs, "torch_default_threads": torch.get_num_threads()}
    torch.set_num_threads(1)
    out["after_set_num_threads_1"] = torch.get_num_threads()
    for threaded in (False, True):
        venv, how = make_vec(num_envs, threaded)
        venv.action_space.seed(0)
        for _ in range(WARMUP_STEPS):
            venv.step(venv.action_space.sample())
        key = "threaded" if threaded else "serial"
        out[f"after_{key}"] = {"torch_num_threads": torch.get_num_threads(), "mechanism": how,
                               "kernel_parallel": kernel_is_parallel(venv), **numba_threads()}
        venv.close()
    out["openmp_libraries"] = openmp_libraries()
    out["gem_changed_torch_threads"] = any(out[f"after_{k}"]["torch_num_threads"] != 1 for k in ("serial", "threaded"))
    return out


def torch_section(num_envs: int) -> dict[str, Any]:
    """Section 3: runs :func:`torch_check_child` in a fresh interpreter and prints the result."""
    result = run_child(["--child-torch-check", str(num_envs)])
    print(f"\n3. torch threads (fresh interpreter, torch imported before gem, {num_envs} envs)")
    if "error" in result:
        print(f"   failed: {result['error'][-500:]}")
        return result
    print(f"   torch default {result['torch_default_threads']}; after torch.set_num_threads(1): "
          f"{result['after_set_num_threads_1']}")
    for key in ("serial", "threaded"):
        r = result[f"after_{key}"]
        print(f"   after a {key:8s} gem env (kernel built {'threaded' if r['kernel_parallel'] else 'serial'}, "
              f"numba {r['numba_num_threads']} threads, layer {r['numba_threading_layer']}): "
              f"torch.get_num_threads() = {r['torch_num_threads']}")
    print(f"   gem changed torch's thread count: {'YES' if result['gem_changed_torch_threads'] else 'no'}; "
          f"OpenMP runtimes loaded: {', '.join(os.path.basename(p) for p in result['openmp_libraries']) or 'none'}")
    return result


# ---------------------------------------------------------------------------- section 4
def ppo_child(config: PPOConfig, torch_threads: int | None, threaded: bool | None) -> dict[str, Any]:
    """Section 4, run in a fresh interpreter: one PPO setting's training throughput.

    Args:
        config: The PPO run.
        torch_threads: ``torch.set_num_threads`` value, ``None`` to leave torch's default.
        threaded: Kernel (``None``: gem's default).

    Returns:
        Timesteps/s of the timed ``learn``, its rollout and update seconds, and the thread counts.
    """
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback

    from gem.agents import SB3VecEnv

    class RolloutTimer(BaseCallback):
        """Seconds spent collecting rollouts (environment steps and policy forward passes)."""

        def __init__(self) -> None:
            super().__init__()
            self.rollout_s = 0.0
            self._t0 = 0.0

        def _on_rollout_start(self) -> None:
            self._t0 = time.perf_counter()

        def _on_rollout_end(self) -> None:
            self.rollout_s += time.perf_counter() - self._t0

        def _on_step(self) -> bool:
            return True

    out: dict[str, Any] = {"torch_default_threads": torch.get_num_threads()}
    if torch_threads is not None:
        torch.set_num_threads(torch_threads)
    out["torch_threads_set"] = torch.get_num_threads()
    venv, how = make_vec(config.num_envs, threaded)
    out["mechanism"], out["kernel_parallel"] = how, kernel_is_parallel(venv)
    model = PPO("MlpPolicy", SB3VecEnv(venv), n_steps=config.n_steps, batch_size=config.batch_size,
                n_epochs=config.n_epochs, verbose=0, seed=config.seed, device="cpu")
    model.learn(config.warmup_timesteps)
    timer = RolloutTimer()
    n0, t0 = model.num_timesteps, time.perf_counter()
    model.learn(config.timesteps, callback=timer, reset_num_timesteps=False)
    elapsed = time.perf_counter() - t0
    done = model.num_timesteps - n0
    out.update(timesteps=done, seconds=elapsed, steps_per_s=done / elapsed, rollout_s=timer.rollout_s,
               update_s=elapsed - timer.rollout_s, torch_threads_after=torch.get_num_threads(), **numba_threads())
    return out


def ppo_section(config: PPOConfig, busy: str, busy_timeout: float) -> list[dict[str, Any]]:
    """Section 4: every PPO setting in its own interpreter, idle and beside the busy process."""
    print(f"\n4. PPO training, {ENV_ID}: timesteps/s (rollout s + update s); {config.num_envs} envs, "
          f"n_steps {config.n_steps}, batch {config.batch_size}, {config.n_epochs} epochs, "
          f"{config.timesteps:,} timed timesteps; busy = {busy}")
    header = (f"{'setting':20s} {'torch':>5s} {'kernel':>8s} {'built':>5s} | {'idle':>8s} {'(roll + upd s)':>15s} | "
              f"{'busy':>8s} {'(roll + upd s)':>15s} | {'busy/idle':>9s}  torch thr after")
    print(header)
    print("-" * len(header))
    rows = []
    for name, (torch_threads, threaded) in PPO_SETTINGS.items():
        row: dict[str, Any] = {"setting": name, "torch_threads": torch_threads, "threaded": threaded}
        for condition, kind in (("idle", None), ("busy", busy)):
            row[f"loadavg_before_{condition}"] = os.getloadavg()
            args = ["--child-ppo", json.dumps({"config": asdict(config), "torch_threads": torch_threads,
                                              "threaded": threaded})]
            with busy_process(kind, busy_timeout) as busy_record:
                row[condition] = run_child(args)
            if kind is not None:
                row["busy_process"] = busy_record
        rows.append(row)
        idle, loaded = row["idle"], row["busy"]
        if "error" in idle or "error" in loaded:
            print(f"{name:20s} failed: {(idle.get('error') or loaded.get('error'))[-500:]}")
            continue
        kernel = {None: "default", False: "serial", True: "threaded"}[threaded]
        built = "?" if idle["kernel_parallel"] is None else ("thr" if idle["kernel_parallel"] else "ser")
        print(f"{name:20s} {str(torch_threads or idle['torch_threads_set']):>5s} {kernel:>8s} {built:>5s} | "
              f"{idle['steps_per_s']:8,.0f} ({idle['rollout_s']:5.1f} + {idle['update_s']:5.1f}) | "
              f"{loaded['steps_per_s']:8,.0f} ({loaded['rollout_s']:5.1f} + {loaded['update_s']:5.1f}) | "
              f"{loaded['steps_per_s'] / idle['steps_per_s']:9.2f}  "
              f"{idle['torch_threads_after']} / {loaded['torch_threads_after']}", flush=True)
    return rows


# ---------------------------------------------------------------------------- plumbing
def run_child(args: list[str]) -> dict[str, Any]:
    """Runs this script in a fresh interpreter with a hidden child flag; its last stdout line is JSON.

    Returns:
        The child's result, or ``{"error": ...}`` with the end of its stderr.
    """
    try:
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), *args], capture_output=True, text=True,
                              timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {CHILD_TIMEOUT:.0f} s"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"error": f"exit {proc.returncode}: {proc.stderr[-3000:]}"}
    return json.loads(lines[-1])


def versions() -> dict[str, str | None]:
    """Versions of the interpreter and the libraries measured (without importing torch here)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for dist in ("numpy", "numba", "llvmlite", "torch", "gymnasium", "stable_baselines3", "gem-drives"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = None
    return out


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def parse_args() -> argparse.Namespace:
    """The command line (hidden ``--child-*`` flags: this script re-invoked for sections 3 and 4)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=int, help="vector env batch sizes (default 1024 8192)")
    parser.add_argument("--batches", type=int, help="timed batches of 50 steps per measurement (default 10)")
    parser.add_argument("--busy", choices=sorted(BUSY_SCRIPTS), default="python",
                        help="the busy process: pure-Python arithmetic (one core) or torch matmuls (default python)")
    parser.add_argument("--busy-timeout", type=float, default=600.0,
                        help="seconds after which a busy process stops by itself (default 600)")
    parser.add_argument("--skip-ppo", action="store_true", help="skip section 4 (PPO)")
    parser.add_argument("--ppo-steps", type=int, help="timed PPO timesteps per setting (default 65536)")
    parser.add_argument("--check-envs", type=int, help="num_envs of the torch-threads check (default 1024)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: tiny sizes, 2 batches, tiny PPO")
    parser.add_argument("--out", default="benchmarks/results/contention.json")
    parser.add_argument("--child-torch-check", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-ppo", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    """Runs the sections, prints their tables and writes the JSON."""
    args = parse_args()
    if args.child_torch_check is not None:
        print(json.dumps(torch_check_child(args.child_torch_check)))
        return
    if args.child_ppo is not None:
        spec = json.loads(args.child_ppo)
        print(json.dumps(ppo_child(PPOConfig(**spec["config"]), spec["torch_threads"], spec["threaded"])))
        return

    sizes = args.sizes or ([256] if args.quick else [1024, 8192])
    batches = args.batches or (2 if args.quick else 10)
    check_envs = args.check_envs or (256 if args.quick else 1024)
    config = QUICK_PPO if args.quick else PPOConfig()
    if args.ppo_steps is not None:
        config = replace(config, timesteps=args.ppo_steps)
    meta: dict[str, Any] = {
        "cpu": cpu_model(), "cpus": os.cpu_count(), **versions(), "started_utc": now(), "argv": sys.argv[1:],
        "env_id": ENV_ID, "busy": args.busy, "busy_script": BUSY_SCRIPTS[args.busy],
        "method": (f"vector env: {DISTINCT_ACTIONS} pre-sampled batched actions (seed 0) cycled, reset(seed=0), "
                   f"{WARMUP_STEPS} warm-up steps, {batches} batches of {STEPS_PER_BATCH} steps timed with "
                   "perf_counter, min/median/max env-steps/s; busy process started before and killed after each "
                   "busy measurement; torch check and each PPO setting in a fresh interpreter"),
        "loadavg": {},
    }
    results: dict[str, Any] = {"meta": meta}
    meta.update(gem_source())
    print(f"{cpu_model()}, {os.cpu_count()} CPUs, load average {os.getloadavg()}; gem from {meta['gem_path']} "
          f"(commit {meta['git_commit'] or '?'}{', gem/ modified' if meta.get('git_gem_dirty') else ''})")

    meta["loadavg"]["vector"] = os.getloadavg()
    results["vector"] = vector_section(sizes, batches, args.busy, args.busy_timeout)
    meta["loadavg"]["torch_check"] = os.getloadavg()
    results["torch_threads"] = torch_section(check_envs)
    if not args.skip_ppo:
        meta["loadavg"]["ppo"] = os.getloadavg()
        meta["ppo_config"] = {**asdict(config), "policy": "MlpPolicy (SB3 default networks)", "device": "cpu",
                              "settings": {name: {"torch_threads": t, "threaded": threaded} for name, (t, threaded)
                                           in PPO_SETTINGS.items()}}
        results["ppo"] = ppo_section(config, args.busy, args.busy_timeout)
    meta["loadavg"]["end"] = os.getloadavg()
    meta["openmp_libraries"] = openmp_libraries()
    meta["finished_utc"] = now()
    print(f"\nload average at the end {os.getloadavg()}")
    write_json(args.out, results)


if __name__ == "__main__":
    main()
