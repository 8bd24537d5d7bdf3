"""Environment throughput: env-steps per second, single env and vector envs.

Method (the same as the GEM measurements in the research notes): random actions pre-sampled from
the action space, resets included (``reset()`` whenever an episode ends), timed with
``time.perf_counter``, median of ``--repeats`` runs. Prints a table and writes JSON.

    python benchmarks/throughput.py [--ids ...] [--sizes 1 64 1024 8192] [--out benchmarks/results/throughput.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import gymnasium as gym
import numpy as np

import gem

DEFAULT_IDS = ["gem/Cont-CC-PermExDc-v0", "gem/Cont-SC-SeriesDc-v0", "gem/Finite-CC-PermExDc-v0",
               "gem/Cont-CC-ExtExDc-v0", "gem/Cont-CC-PMSM-v0", "gem/Finite-CC-PMSM-v0"]


def single_env_rate(env_id: str, steps: int, repeats: int) -> tuple[float, int]:
    """Median steps/s of ``gym.make(env_id)`` (Gymnasium's default wrappers) and resets per run."""
    env = gym.make(env_id)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(steps)]
    rates, resets = [], 0
    for _ in range(repeats):
        env.reset(seed=0)
        resets = 0
        t0 = time.perf_counter()
        for a in actions:
            _, _, terminated, truncated, _ = env.step(a)
            if terminated or truncated:
                env.reset()
                resets += 1
        rates.append(steps / (time.perf_counter() - t0))
    return statistics.median(rates), resets


def vector_env_rate(env_id: str, num_envs: int, steps: int, repeats: int) -> float:
    """Median env-steps/s of ``gym.make_vec(env_id, num_envs, "vector_entry_point")``."""
    venv = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point")
    venv.action_space.seed(0)
    actions = [venv.action_space.sample() for _ in range(min(steps, 64))]
    rates = []
    for _ in range(repeats):
        venv.reset(seed=0)
        t0 = time.perf_counter()
        for k in range(steps):
            venv.step(actions[k % len(actions)])
        rates.append(steps * num_envs / (time.perf_counter() - t0))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ids", nargs="+", default=DEFAULT_IDS)
    parser.add_argument("--sizes", nargs="+", type=int, default=[1, 64, 1024, 8192])
    parser.add_argument("--steps", type=int, default=5000, help="single-env steps per run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/results/throughput.json")
    args = parser.parse_args()
    ids = [i for i in args.ids if i in gym.registry]
    rows = []
    header = f"{'id':28s} {'single':>10s} {'resets':>7s} " + " ".join(f"{'vec ' + str(n):>12s}" for n in args.sizes)
    print(header)
    print("-" * len(header))
    for env_id in ids:
        rate, resets = single_env_rate(env_id, args.steps, args.repeats)
        vec = {}
        for n in args.sizes:
            vec_steps = max(20, min(2000, 400_000 // n))
            vec[n] = vector_env_rate(env_id, n, vec_steps, args.repeats)
        rows.append({"id": env_id, "single_steps_per_s": rate, "single_resets": resets,
                     "vector_env_steps_per_s": {str(n): r for n, r in vec.items()}})
        print(f"{env_id.removeprefix('gem/'):28s} {rate:10,.0f} {resets:7d} "
              + " ".join(f"{vec[n]:12,.0f}" for n in args.sizes))
    meta = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "numpy": np.__version__, "gem": gem.__version__,
            "method": "random actions, resets included, median of repeats"}
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"meta": meta, "results": rows}, f, indent=2)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
