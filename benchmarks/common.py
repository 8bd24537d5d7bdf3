"""What the benchmark scripts share: the single-environment timing loop, the machine description
and writing a results file.

Kept free of imports of either library, so the competitors' venv can use it too.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from typing import Any


def single_env_rate(env: Any, steps: int, repeats: int) -> tuple[float, int]:
    """Median steps/s of a Gymnasium environment and the number of resets per run.

    ``steps`` actions are pre-sampled from the action space seeded 0; ``reset()`` is called
    whenever an episode ends (inside the timed loop); ``time.perf_counter``; median of ``repeats``.
    """
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


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what :mod:`platform` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def write_json(path: str, data: Any) -> None:
    """Writes ``data`` as indented JSON to ``path`` (creating its folder) and says so."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f, indent=2)
    print(f"wrote {path}")
