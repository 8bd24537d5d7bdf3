"""One benchmark job: train an algorithm on an id with a seed (or run the PI cascade), then score it.

Every policy of an id is scored on the same evaluation episodes: ``eval_episodes`` episodes of the
id's own references from seed ``eval_seed`` (tracking errors, effort, violations), and
``step_episodes`` episodes in which the reference is a square wave (step-response figures,
:func:`step_spec`). A job returns one row of ``results.csv``; the rollouts stay in memory only for
the figures of the sequential run.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gem.envs import ConstReference, PeriodicReference
from gem.evaluation import EVAL_SEED, EnvSpec, PolicyMetrics, Rollout, evaluate, resolve, rollout, rollout_steps
from gem.evaluation.plots import read_validations

PI = "PI cascade"
"""Name of the baseline in the results."""

STEP_HALF_PERIOD = {"CC": 0.02, "TC": 0.02, "SC": 0.25}
"""Time between reference steps in the step-response episodes (s), per task."""
STEP_AMPLITUDE = 0.5
"""Square-wave amplitude as a fraction of the half-width of the reference range."""
STEP_SEED = 30_000
"""Seed of the step-response episodes."""
RESULT_FILE = "result.pkl"
"""A finished job's row and rollouts, in its folder."""


def short_id(env_id: str) -> str:
    """``gem/Cont-CC-PMSM-v0`` → ``Cont-CC-PMSM-v0`` (for folder names)."""
    return env_id.removeprefix("gem/")


def stepped_state(reference_names: tuple[str, ...]) -> str:
    """The state that steps in the step-response episodes: ``i_sq`` of three-phase drives, else the first."""
    return "i_sq" if "i_sq" in reference_names else reference_names[0]


def step_spec(spec: EnvSpec) -> EnvSpec:
    """``spec`` with a square-wave reference on :func:`stepped_state` and the other references held at 0.

    The references keep the id's ranges (e.g. ``[0, nominal]`` for the series motor's speed).

    The square wave's amplitude is :data:`STEP_AMPLITUDE` of the reference range's half-width and
    its frequency puts :data:`STEP_HALF_PERIOD` between steps; phase and offset are drawn per episode.
    """
    defaults = spec.task().references
    moving = stepped_state(tuple(g.state for g in defaults))
    freq = 1.0 / (2.0 * STEP_HALF_PERIOD[spec.task_kind])
    refs = [PeriodicReference(state=g.state, low=g.low, high=g.high, shape="step",
                              amplitude_range=(STEP_AMPLITUDE, STEP_AMPLITUDE), frequency_range=(freq, freq))
            if g.state == moving else ConstReference(state=g.state, low=g.low, high=g.high, value=0.0)
            for g in defaults]
    return spec.with_kwargs(reference=refs)


@dataclass(frozen=True)
class Job:
    """What one job does (picklable, so it can run in a Ray worker).

    Attributes:
        env_id: The gem id.
        algo: An algorithm name, or :data:`PI` for the baseline.
        seed: Training seed (ignored for the PI cascade).
        out: Output folder of this job.
        timesteps: Training budget (``None``: the preset's).
        env_kwargs: Task arguments for training and evaluation.
        eval_episodes: Evaluation episodes.
        eval_seed: Seed of the first evaluation episode.
        step_episodes: Step-response episodes (0: none).
        progress_bar: Show the training progress bar.
    """

    env_id: str
    algo: str
    seed: int
    out: Path
    timesteps: int | None = None
    env_kwargs: Mapping[str, Any] = field(default_factory=dict)
    eval_episodes: int = 10
    eval_seed: int = EVAL_SEED
    step_episodes: int = 4
    progress_bar: bool = False


@dataclass
class JobResult:
    """A job's row of ``results.csv`` and its rollouts (for figures)."""

    row: dict[str, Any]
    rollout: Rollout
    steps: Rollout | None


def _evaluate(job: Job, policy: Any, spec: EnvSpec) -> tuple[PolicyMetrics, Rollout, Rollout | None, dict]:
    """Scores ``policy`` on the job's evaluation and step-response episodes."""
    metrics, ros = evaluate({job.algo: policy}, spec, n_episodes=job.eval_episodes, seed=job.eval_seed,
                            latency_steps=100)
    steps, figures = None, {}
    if job.step_episodes:
        steps = rollout(policy, step_spec(spec), n_episodes=job.step_episodes, seed=STEP_SEED)
        figures = rollout_steps(steps, stepped_state(steps.reference_names)).summary()
    return metrics[0], ros[job.algo], steps, figures


def _mean(d: Mapping[str, float]) -> float:
    vals = np.array(list(d.values()), float)
    return float(np.mean(vals)) if np.isfinite(vals).all() else float("nan")


def metrics_row(m: PolicyMetrics, figures: Mapping[str, float]) -> dict[str, Any]:
    """The metric columns of ``results.csv`` (normalised errors averaged over the controlled states)."""
    eff = m.effort
    return {
        "steady_rmse": m.steady_rmse, "steady_mae": m.steady.mae, "episode_rmse": m.rmse,
        "episode_mae": _mean(m.mae_norm), "reach_ms": 1e3 * _mean(m.steady.reach_time),
        "unreached": int(sum(m.steady.unreached.values())),
        "rise_ms": 1e3 * figures.get("rise_time", float("nan")), "overshoot": figures.get("overshoot", float("nan")),
        "settling_ms": 1e3 * figures.get("settling_time", float("nan")), "steps": figures.get("steps", 0),
        "not_settled": figures.get("not_settled", 0),
        "effort_rms": eff.effort_rms if eff else float("nan"),
        "effort_change": eff.effort_change if eff else float("nan"),
        "switching_khz": 1e-3 * eff.switching_hz if eff else float("nan"),
        "violation_episodes": m.violation_episodes, "violation_steps": m.violation_steps,
    }


def time_to_level(validations: list[dict], level: float) -> tuple[float, float]:
    """Env steps and training seconds at the first validation whose RMSE is at most ``level`` × the baseline's.

    Returns NaNs if no validation reached it (or the log has no baseline).
    """
    for r in validations:
        base = r.get("baseline_rmse")
        if base is not None and r["rmse"] <= level * base:
            return float(r["timesteps"]), float(r.get("train_seconds", float("nan")))
    return float("nan"), float("nan")


def run_job(job: Job, pi_level: float = 1.2) -> JobResult:
    """Trains (unless PI) and scores one policy; writes the training files to ``job.out``."""
    import torch

    import gem.controllers

    tic = time.perf_counter()
    base = resolve(job.env_id, job.env_kwargs)
    row: dict[str, Any] = {"algo": job.algo, "env_id": job.env_id, "seed": "" if job.algo == PI else job.seed}
    if job.algo == PI:
        m, ro, steps, fig = _evaluate(job, gem.controllers.make, base)
        row.update(metrics_row(m, fig), env_steps=0, train_seconds=0.0, best_timesteps="",
                   steps_to_pi_level="", seconds_to_pi_level="")
    else:
        from gem.agents import load_agent, train_agent

        torch.use_deterministic_algorithms(True)
        result = train_agent(job.env_id, job.out, algo=job.algo, timesteps=job.timesteps, seed=job.seed,
                             env_kwargs=job.env_kwargs, progress_bar=job.progress_bar, baseline=gem.controllers.make)
        model = load_agent(result.best_model_path, job.algo)
        m, ro, steps, fig = _evaluate(job, model, result.spec)
        reached = time_to_level(read_validations(job.out / "validations.jsonl"), pi_level)
        row.update(metrics_row(m, fig), env_steps=result.timesteps,
                   train_seconds=round(result.seconds - result.validation_seconds, 1),
                   best_timesteps=result.best_timesteps, steps_to_pi_level=reached[0],
                   seconds_to_pi_level=reached[1])
    row["wall_seconds"] = round(time.perf_counter() - tic, 1)
    result = JobResult(row, ro, steps)
    job.out.mkdir(parents=True, exist_ok=True)
    with (job.out / RESULT_FILE).open("wb") as fh:
        pickle.dump({"job": job, "result": result}, fh)
    return result


def load_result(job: Job) -> JobResult | None:
    """The result an earlier run of the same job saved in its folder, or ``None``.

    Raises:
        ValueError: The folder holds the result of a different job (other settings).
    """
    path = job.out / RESULT_FILE
    if not path.exists():
        return None
    with path.open("rb") as fh:
        saved = pickle.load(fh)  # noqa: S301 - written by run_job in the user's own output folder
    if saved["job"] != job:
        raise ValueError(f"{path} holds the result of another job ({saved['job']}); use another --out or "
                         "the same options")
    return saved["result"]
