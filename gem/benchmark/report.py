"""The benchmark's outputs: ``results.csv``, the summary table (mean ± std over seeds) and figures."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure  # no pyplot: the user's backend is left alone

from gem.benchmark.jobs import PI, short_id, stepped_state
from gem.evaluation import Rollout, rollout_steps, step_response
from gem.evaluation.plots import COLORS, read_validations, save_figure

RESULT_COLUMNS = (
    "algo", "env_id", "seed", "steady_rmse", "steady_rmse_ratio", "steady_mae", "episode_rmse", "episode_mae",
    "reach_ms", "unreached", "rise_ms", "overshoot", "settling_ms", "steps", "not_settled", "effort_rms",
    "effort_change", "switching_khz", "violation_episodes", "violation_steps", "env_steps", "train_seconds",
    "wall_seconds", "best_timesteps", "steps_to_pi_level", "seconds_to_pi_level",
)
"""Columns of ``results.csv`` (normalised errors averaged over the controlled states; see the docs)."""


def add_ratios(rows: list[dict[str, Any]]) -> None:
    """Fills ``steady_rmse_ratio``: each row's steady-tracking RMSE over the PI cascade's on the same id."""
    pi = {r["env_id"]: r["steady_rmse"] for r in rows if r["algo"] == PI}
    for r in rows:
        r["steady_rmse_ratio"] = r["steady_rmse"] / pi[r["env_id"]] if r["env_id"] in pi else float("nan")


def write_results(path: Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    """One row per algorithm × id × seed (and one per id for the PI cascade)."""
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=RESULT_COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in RESULT_COLUMNS})
    return path


def _pm(values: Sequence[float], fmt: str) -> str:
    """``mean ± std`` over seeds (population std), ``mean`` for one value, ``—`` if none is finite."""
    x = np.array([v for v in values if v != "" and np.isfinite(float(v))], float)
    if x.size == 0:
        return "—"
    return format(x.mean(), fmt) if x.size == 1 else f"{format(x.mean(), fmt)} ± {format(x.std(), fmt)}"


def _median(values: Sequence[float]) -> str:
    return f"{np.median(np.array(values, float)):.3g}" if len(values) else "—"


def summary_rows(rows: Sequence[Mapping[str, Any]], level: float) -> list[dict[str, str]]:
    """Mean ± std over seeds per id and policy (PI first)."""
    out = []
    order = {PI: 0}
    keys = sorted({(r["env_id"], r["algo"]) for r in rows}, key=lambda k: (k[0], order.get(k[1], 1), k[1]))
    for env_id, algo in keys:
        rs = [r for r in rows if r["env_id"] == env_id and r["algo"] == algo]
        col = {k: [r[k] for r in rs] for k in RESULT_COLUMNS if k in rs[0]}
        within = sum(1 for v in col["steady_rmse_ratio"] if np.isfinite(v) and v <= level)
        reached = [v for v in col.get("steps_to_pi_level", []) if v != "" and np.isfinite(float(v))]
        trained = algo != PI
        out.append({
            "id": short_id(env_id), "policy": algo, "seeds": str(len(rs)) if trained else "—",
            "steady RMSE": _pm(col["steady_rmse"], ".4g"), "ratio to PI": _pm(col["steady_rmse_ratio"], ".3g"),
            f"within {level:g}× PI": f"{within}/{len(rs)}" if trained else "—",
            "reach ms": _pm(col["reach_ms"], ".3g"), "rise ms": _pm(col["rise_ms"], ".3g"),
            "overshoot %": _pm([100 * v for v in col["overshoot"]], ".3g"),
            "settling ms": _pm(col["settling_ms"], ".3g"),
            "not settled": f"{sum(int(v) for v in col['not_settled'])}/{sum(int(v) for v in col['steps'])}",
            "effort RMS": _pm(col["effort_rms"], ".3g"),
            "switching kHz": _pm(col["switching_khz"], ".3g"),
            "violating episodes": _pm(col["violation_episodes"], ".2g"),
            "env steps": _pm(col["env_steps"], ".3g") if trained else "—",
            "train s": _pm(col["train_seconds"], ".3g") if trained else "—",
            f"steps to {level:g}× PI": (f"{_median(reached)} ({len(reached)}/{len(rs)})" if trained else "—"),
        })
    return out


def markdown_table(summary: Sequence[Mapping[str, str]]) -> str:
    """The summary as a Markdown table."""
    if not summary:
        return "(no results)"
    heads = list(summary[0])
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    lines += ["| " + " | ".join(r[h] for h in heads) + " |" for r in summary]
    return "\n".join(lines)


def write_summary(out: Path, summary: Sequence[Mapping[str, str]]) -> tuple[Path, Path]:
    """``summary.csv`` and ``summary.md``."""
    csv_path, md_path = out / "summary.csv", out / "summary.md"
    with csv_path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(summary[0]) if summary else [])
        w.writeheader()
        w.writerows(summary)
    md_path.write_text(markdown_table(summary) + "\n")
    return csv_path, md_path


def plot_curves(env_id: str, logs: Mapping[tuple[str, int], Path], path: Path, level: float) -> Path:
    """Validation steady-tracking RMSE against env steps (left) and training wall time (right).

    Args:
        env_id: The id (title).
        logs: ``(algo, seed) -> validations.jsonl``.
        path: Output PNG.
        level: The PI-level factor drawn as a dotted line.
    """
    fig = Figure(figsize=(11, 4.2))
    ax_steps, ax_time = fig.subplots(1, 2, sharey=True)
    algos = sorted({a for a, _ in logs})
    base = None
    for (algo, _seed), log in sorted(logs.items()):
        rows = read_validations(log)
        if not rows:
            continue
        color = COLORS[algos.index(algo) % len(COLORS)]
        label = algo if _seed == min(s for a, s in logs if a == algo) else None
        x = [r["timesteps"] for r in rows]
        sec = [r.get("train_seconds", np.nan) for r in rows]
        y = [r["rmse"] for r in rows]
        ax_steps.plot(x, y, "o-", ms=2.5, lw=1, color=color, alpha=0.8, label=label)
        ax_time.plot(sec, y, "o-", ms=2.5, lw=1, color=color, alpha=0.8)
        base = rows[0].get("baseline_rmse", base)
    for ax in (ax_steps, ax_time):
        if base is not None:
            ax.axhline(base, color="k", ls="--", lw=1, label=PI if ax is ax_steps else None)
            ax.axhline(level * base, color="k", ls=":", lw=1, label=f"{level:g}× {PI}" if ax is ax_steps else None)
        ax.set_yscale("log")
        ax.grid(alpha=0.3, which="both")
    ax_steps.set_xlabel("env steps (all training environments)")
    ax_time.set_xlabel("training wall time [s] (validations excluded)")
    ax_steps.set_ylabel("validation steady-tracking RMSE (norm.)")
    if ax_steps.lines:
        ax_steps.legend(fontsize=8, loc="upper right")
    return save_figure(fig, f"{env_id}: learning curves (one line per seed; validation episodes)", path)


def plot_steps(env_id: str, rollouts: Mapping[str, Rollout], path: Path, episode: int = 0) -> Path:
    """The first reference step inside ``episode`` of the step-response episodes, for each policy.

    The time axis ends at three times the longest settling time of the policies that settled
    (the whole step if none did).
    """
    first = next(iter(rollouts.values()))
    state = stepped_state(first.reference_names)
    j = first.reference_names.index(state)
    figs = rollout_steps(first, state)
    fig = Figure(figsize=(8, 4.2))
    ax = fig.subplots()
    if (figs.episode == episode).any():
        k = int(figs.start[figs.episode == episode][0])
        ref = first.references[:, episode, j]
        jumps = np.flatnonzero(np.abs(np.diff(ref)) > 0) + 1
        end = int(jumps[jumps > k][0]) if (jumps > k).any() else first.steps
        sel = slice(k - 1, end)
        t = 1e3 * (first.time[sel] - first.time[k - 1])
        ax.plot(t, ref[sel], "k--", lw=1.2, label="reference")
        settled = []
        for (name, ro), color in zip(rollouts.items(), COLORS * 4, strict=False):
            y = ro.states[sel, episode, j]
            ax.plot(t, y, color=color, lw=1.0, label=name)
            if np.all(np.isfinite(y)) and y[0] != ref[k]:
                settled.append(1e3 * step_response(first.time[sel], y, ref[k])["settling_time"])
        finite = [s for s in settled if np.isfinite(s)]
        if finite:
            ax.set_xlim(t[0], min(t[-1], max(3 * max(finite), 10 * (t[1] - t[0]))))
        ax.set_xlabel("time since the step [ms]")
    else:
        ax.text(0.5, 0.5, "no reference step inside this episode", transform=ax.transAxes, ha="center")
    ax.set_ylabel(f"{state} [{first.units[j]}]")
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(fontsize=8, loc="best")
    return save_figure(fig, f"{env_id}: step response (step-response episode {episode})", path)
