"""Runs a sweep on Ray Tune: ids × seeds × sampled hyper-parameters, each trial a :func:`gem.compare.compare`.

Without an address, a local Ray is started on this machine's cores (and stopped at the end);
with ``address="auto"`` or ``"ray://host:port"`` the sweep joins a running cluster. Every trial
asks for ``cpus_per_trial`` CPUs, so Ray runs as many at once as the cluster has room for.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gem.extras import require
from gem.sweep import results
from gem.sweep.space import Dimension, configurations
from gem.sweep.trial import METRIC, comparison_trial

EXPERIMENT = "sweep"
"""The Tune experiment's name (its folder under the storage path)."""


@dataclass
class SweepResult:
    """What :func:`run_sweep` produced.

    Attributes:
        rows: One dict per trial (the rows of ``results.csv``).
        summary: Per id and configuration, mean ± std over seeds (the rows of ``summary.csv``).
        hyperparameters: The searched or fixed hyper-parameter names (columns of both tables).
        out: The output folder.
        seconds: Wall time of the sweep (Ray's start included).
    """

    rows: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    hyperparameters: list[str]
    out: Path
    seconds: float


def _require_ray() -> Any:
    require("ray.tune", "gem.sweep", "ray")
    return require("ray", "gem.sweep", "ray")


def run_sweep(env_ids: Sequence[str], out: str | Path, *, seeds: int = 3, timesteps: int | None = None,
              space: Sequence[Dimension] = (), num_samples: int = 1, search_seed: int = 0, eval_episodes: int = 10,
              address: str | None = None, storage: str | None = None, resume: bool = False, asha: bool = False,
              cpus_per_trial: float = 1.0, num_cpus: int | None = None, verbose: int = 1) -> SweepResult:
    """Runs the sweep and writes ``results.csv``, ``summary.csv`` and ``summary.png`` to ``out``.

    Args:
        env_ids: Continuous-action gem ids.
        out: Output folder.
        seeds: Training seeds ``0 .. seeds-1`` per id and configuration.
        timesteps: Training budget per trial (default: each id's preset).
        space: Hyper-parameter dimensions (:func:`gem.sweep.space.load_space`).
        num_samples: Configurations drawn from ``space`` (each runs with every id and seed).
        search_seed: Seed of those draws.
        eval_episodes: Evaluation episodes of each comparison.
        address: Ray cluster to join (``"auto"``, ``"ray://host:port"``); ``None`` starts a local Ray.
        storage: Where Tune keeps the experiment and the trials' files (a folder every node can
            reach, or a URI such as ``s3://bucket/path``; default ``out/ray``).
        resume: Continue the interrupted sweep found in the storage (finished trials are not rerun).
        asha: Stop unpromising trials early (ASHA on the best validation RMSE).
        cpus_per_trial: CPUs Ray reserves per trial.
        num_cpus: CPUs of the local Ray (default: all of this machine's); ignored with ``address``.
        verbose: Tune's console verbosity (0-3).

    Raises:
        ValueError: If the storage already holds a sweep and ``resume`` is false, or holds none to resume.
    """
    ray = _require_ray()
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    t0 = time.perf_counter()
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    storage = storage or str(out / "ray")
    experiment = f"{storage.rstrip('/')}/{EXPERIMENT}"
    exists = tune.Tuner.can_restore(experiment)
    if resume and not exists:
        raise ValueError(f"nothing to resume: no sweep in {experiment}")
    if exists and not resume:
        raise ValueError(f"{experiment} already holds a sweep: pass resume=True (--resume) to continue it, "
                         "or choose another output folder")
    started = False
    if not ray.is_initialized():
        ray.init(address=address, num_cpus=None if address else (num_cpus or os.cpu_count()),
                 include_dashboard=False, log_to_driver=verbose > 1)
        started = True
    try:
        trainable = tune.with_resources(comparison_trial, {"cpu": cpus_per_trial})
        if resume:
            tuner = tune.Tuner.restore(experiment, trainable, resume_unfinished=True, restart_errored=True)
        else:
            configs = configurations(space, num_samples, search_seed)
            tuner = tune.Tuner(trainable, param_space=param_space(env_ids, seeds, timesteps, configs, eval_episodes),
                               tune_config=tune_config(env_ids, timesteps, asha, ASHAScheduler),
                               run_config=tune.RunConfig(name=EXPERIMENT, storage_path=storage, verbose=verbose,
                                                         sync_config=tune.SyncConfig(sync_artifacts=True)))
        grid = tuner.fit()
        rows = [trial_row(r.config, r.metrics or {}, r.error, r.path) for r in grid]
    finally:
        if started:
            ray.shutdown()
    names = sorted({k for row in rows for k in row.get("_hyperparameters", ())})
    results.write_results(out / "results.csv", rows, names)
    summary = results.summarise(rows, names)
    results.write_summary(out / "summary.csv", summary)
    results.plot_summary(out / "summary.png", rows, names)
    return SweepResult(rows, summary, names, out, time.perf_counter() - t0)


def param_space(env_ids: Sequence[str], seeds: int, timesteps: int | None, configs: Sequence[dict[str, Any]],
                eval_episodes: int) -> dict[str, Any]:
    """Tune's parameter space: a grid over ids × seeds × hyper-parameter configurations."""
    from ray import tune

    return {"env_id": tune.grid_search(list(env_ids)), "seed": tune.grid_search(list(range(seeds))),
            "hyperparameters": tune.grid_search(list(configs)), "algo": "ddpg", "timesteps": timesteps,
            "eval_episodes": eval_episodes}


def tune_config(env_ids: Sequence[str], timesteps: int | None, asha: bool, scheduler: Any) -> Any:
    """Tune's configuration; with ``asha`` an ASHA scheduler over training timesteps."""
    from ray import tune

    from gem.agents import preset_for

    chosen = None
    if asha:
        budget = max(timesteps or preset_for(e).timesteps for e in env_ids)
        grace = max(min(preset_for(e).eval_freq for e in env_ids), budget // 8)
        # max_t above the budget: ASHA stops a trial that reaches max_t, which would skip its comparison
        chosen = scheduler(time_attr="timesteps", max_t=budget + 1, grace_period=min(grace, budget),
                           reduction_factor=2)
    return tune.TuneConfig(scheduler=chosen, metric=METRIC, mode="min")


def trial_row(config: dict[str, Any], metrics: dict[str, Any], error: Exception | None, path: str) -> dict[str, Any]:
    """One row of ``results.csv`` from a finished (or stopped, or failed) trial."""
    hyper = dict(config.get("hyperparameters") or {})
    status = "error" if error is not None else "finished" if metrics.get("compared") else "stopped early"
    row = {**{k: config.get(k) for k in ("env_id", "algo", "seed")}, **hyper,
           **{k: v for k, v in metrics.items() if k in results.TRAILING}, "status": status, "trial_dir": path,
           "_hyperparameters": list(hyper)}
    if "wall_seconds" not in row and "time_total_s" in metrics:
        row["wall_seconds"] = metrics["time_total_s"]
    if error is not None:
        row["error"] = f"{type(error).__name__}: {error}"
    return row
