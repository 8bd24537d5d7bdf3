"""A sweep on Ray against the same trials run one after another with ``gem.compare``.

The same four trials (one id, seeds 0-3, one budget) twice, on this machine:

1. one after another: ``python -m gem.compare --seed k --timesteps T --out ...`` (a process per
   trial, as a user would run them);
2. ``python -m gem.sweep --seeds 4 --timesteps T`` (a local Ray on all cores, one CPU per trial).

Printed and written to JSON: both wall times and their ratio; Ray's start-up (``ray.init`` to a
ready cluster, timed alone); the trials' own wall times inside the sweep (``wall_seconds`` of
``results.csv``); and Ray's overhead per trial, the CPU-slot time of the sweep not spent inside
a trial, ``(cores x sweep wall - sum of trial walls) / trials``. The load average before each
part is recorded: the machine may be shared.

Run it in the environment that has Ray (``.venv-ray``, see ``make test-ray``)::

    .venv-ray/bin/python benchmarks/sweep_scaling.py [--timesteps 40000] [--env gem/Cont-CC-SeriesDc-v0]
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time

from common import cpu_model, write_json  # benchmarks/common.py


def timed(cmd: list[str]) -> float:
    """Wall seconds of a command (its output discarded; a failure stops the benchmark)."""
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "MPLBACKEND": "Agg"})
    return time.perf_counter() - t0


def ray_start_seconds(cores: int) -> float:
    """Seconds from ``ray.init`` to a usable local cluster (a trivial task round trip), in a fresh process."""
    code = ("import time, ray\nt0 = time.perf_counter()\n"
            f"ray.init(num_cpus={cores}, include_dashboard=False)\n"
            "ray.get(ray.remote(lambda: 1).remote())\nprint(time.perf_counter() - t0)\nray.shutdown()\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="gem/Cont-CC-SeriesDc-v0")
    parser.add_argument("--timesteps", type=int, default=40_000)
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--eval-episodes", type=int, default=10)
    parser.add_argument("--out", default="benchmarks/results/sweep_scaling.json")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    work = tempfile.mkdtemp(prefix="gem-sweep-bench-")
    common = ["--timesteps", str(args.timesteps), "--eval-episodes", str(args.eval_episodes)]
    started = datetime.datetime.now(datetime.timezone.utc)
    load = {"before_sequential": os.getloadavg()}
    sequential = [timed([sys.executable, "-m", "gem.compare", "--env", args.env, "--seed", str(k), *common,
                         "--no-progress", "--out", f"{work}/seq{k}"]) for k in range(args.trials)]
    load["before_ray_start"] = os.getloadavg()
    ray_start = ray_start_seconds(cores)
    load["before_sweep"] = os.getloadavg()
    sweep = timed([sys.executable, "-m", "gem.sweep", "--env", args.env, "--seeds", str(args.trials), *common,
                   "--verbose", "0", "--out", f"{work}/sweep"])
    with open(f"{work}/sweep/results.csv") as fh:
        trial_walls = [float(r["wall_seconds"]) for r in csv.DictReader(fh)]
    shutil.rmtree(work, ignore_errors=True)
    total = sum(sequential)
    overhead = (cores * sweep - sum(trial_walls)) / args.trials
    rows = [("trials one after another (gem.compare)", f"{total:.1f} s", " + ".join(f"{s:.0f}" for s in sequential)),
            ("the same trials as a sweep (gem.sweep)", f"{sweep:.1f} s", f"ratio {sweep / total:.2f}"),
            ("trials' own wall time inside the sweep", f"{sum(trial_walls):.1f} s",
             " + ".join(f"{s:.0f}" for s in trial_walls)),
            ("Ray start-up (alone)", f"{ray_start:.1f} s", ""),
            ("Ray overhead per trial (CPU-slot time outside trials)", f"{overhead:.1f} s", f"{cores} cores")]
    print(f"{args.trials} trials of {args.env}, {args.timesteps} timesteps each, on {cpu_model()} ({cores} CPUs)")
    for name, value, detail in rows:
        print(f"  {name:<56} {value:>9}  {detail}")
    write_json(args.out, {
        "meta": {"cpu": cpu_model(), "cpus": cores, "utc_start": started.isoformat(timespec="seconds"),
                 "utc_end": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                 "loadavg": load, "python": sys.version.split()[0], "env": args.env, "timesteps": args.timesteps,
                 "trials": args.trials, "eval_episodes": args.eval_episodes},
        "sequential_s": sequential, "sweep_s": sweep, "ratio": sweep / total, "ray_start_s": ray_start,
        "trial_walls_in_sweep_s": trial_walls, "ray_overhead_per_trial_s": overhead})


if __name__ == "__main__":
    main()
