"""A sweep's tables and figure: ``results.csv`` (a row per trial), ``summary.csv`` (mean ± std over seeds).

Works on plain rows (dicts), so the tables can be rebuilt from any finished sweep without Ray.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

LEADING = ("env_id", "algo", "seed")
"""The first columns of ``results.csv``; the hyper-parameters follow, then :data:`TRAILING`."""

TRAILING = ("rmse_ratio", "mae_ratio", "steady_rmse_ratio", "ddpg_rmse", "pi_rmse", "ddpg_violation_episodes",
            "best_validation_rmse", "timesteps", "wall_seconds", "status", "node", "trial_dir")
"""The result columns of ``results.csv`` (``steady_rmse_ratio`` only where the metrics provide it;
``node``: the first characters of the Ray node id the trial ran on)."""

SUMMARISED = ("rmse_ratio", "mae_ratio", "steady_rmse_ratio", "wall_seconds")
"""Columns averaged over seeds in ``summary.csv``."""


def headline(rows: Sequence[dict[str, Any]]) -> str:
    """The ratio the summary leads with: the steady-tracking RMSE ratio where the rows have it, else the RMSE ratio.

    The steady-tracking RMSE leaves out each episode's initial transient, in which both controllers
    apply full voltage and which dominates the whole-episode RMSE (:mod:`gem.evaluation.transient`).
    """
    return "steady_rmse_ratio" if any(_is_number(r.get("steady_rmse_ratio")) for r in rows) else "rmse_ratio"


def _cell(value: Any) -> Any:
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    return value


def columns(rows: Sequence[dict[str, Any]], hyperparameters: Sequence[str]) -> list[str]:
    """The columns of ``results.csv`` for these rows (result columns no row has are left out)."""
    present = set().union(*(r.keys() for r in rows)) if rows else set()
    return [*LEADING, *hyperparameters, *(c for c in TRAILING if c in present or c in ("status", "rmse_ratio"))]


def write_results(path: str | Path, rows: Sequence[dict[str, Any]], hyperparameters: Sequence[str]) -> list[str]:
    """Writes ``results.csv`` (one row per trial); returns its columns."""
    cols = columns(rows, hyperparameters)
    with Path(path).open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        writer.writeheader()
        for row in sorted(rows, key=lambda r: (str(r.get("env_id")), _config_key(r, hyperparameters),
                                                int(r.get("seed", 0)))):
            writer.writerow({c: _cell(row.get(c, "")) for c in cols})
    return cols


def _config_key(row: dict[str, Any], hyperparameters: Sequence[str]) -> str:
    return json.dumps([row.get(h) for h in hyperparameters], default=str)


def summarise(rows: Sequence[dict[str, Any]], hyperparameters: Sequence[str]) -> list[dict[str, Any]]:
    """Per id and configuration: seeds run, finished, and mean ± std (over finished seeds) of :data:`SUMMARISED`.

    A configuration is an algorithm with one set of hyper-parameter values. Unfinished trials
    (stopped early, failed) count in ``trials`` but not in the means.
    """
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in rows:
        key = (str(row.get("env_id")), str(row.get("algo")), _config_key(row, hyperparameters))
        groups.setdefault(key, []).append(row)
    out = []
    for (env_id, algo, _), members in sorted(groups.items()):
        done = [r for r in members if r.get("status") == "finished"]
        entry: dict[str, Any] = {"env_id": env_id, "algo": algo,
                                 **{h: members[0].get(h) for h in hyperparameters},
                                 "trials": len(members), "finished": len(done)}
        for col in SUMMARISED:
            values = np.array([float(r[col]) for r in done if _is_number(r.get(col))])
            if values.size:
                entry[f"{col}_mean"] = float(values.mean())
                entry[f"{col}_std"] = float(values.std(ddof=1)) if values.size > 1 else 0.0
        out.append(entry)
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def write_summary(path: str | Path, summary: Sequence[dict[str, Any]]) -> None:
    """Writes ``summary.csv``."""
    cols: list[str] = []
    for entry in summary:
        cols += [k for k in entry if k not in cols]
    with Path(path).open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols)
        writer.writeheader()
        for entry in summary:
            writer.writerow({c: _cell(entry.get(c, "")) for c in cols})


def format_summary(summary: Sequence[dict[str, Any]], hyperparameters: Sequence[str]) -> str:
    """The summary as a text table (ratios DDPG / PI: mean ± std over finished seeds)."""
    head = ["id", "algo", *hyperparameters, "finished", "steady RMSE ratio DDPG/PI", "RMSE ratio", "MAE ratio",
            "wall s"]
    lines = [head]
    for e in summary:
        lines.append([e["env_id"].removeprefix("gem/"), e["algo"], *(_short(e.get(h)) for h in hyperparameters),
                      f"{e['finished']}/{e['trials']}", _pm(e, "steady_rmse_ratio"), _pm(e, "rmse_ratio"),
                      _pm(e, "mae_ratio"), _pm(e, "wall_seconds", 0)])
    widths = [max(len(str(row[k])) for row in lines) for k in range(len(head))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in lines)


def _pm(entry: dict[str, Any], col: str, digits: int = 3) -> str:
    if f"{col}_mean" not in entry:
        return "-"
    return f"{entry[f'{col}_mean']:.{digits}f} ± {entry[f'{col}_std']:.{digits}f}"


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return json.dumps(value) if isinstance(value, (list, tuple)) else str(value)


def plot_summary(path: str | Path, rows: Sequence[dict[str, Any]], hyperparameters: Sequence[str]) -> None:
    """The :func:`headline` ratio DDPG / PI per id and configuration: each finished seed a dot, mean ± std a bar.

    The x labels name the id and the hyper-parameters that differ between configurations.
    """
    import matplotlib.figure

    summary = summarise(rows, hyperparameters)
    col = headline(rows)
    varying = [h for h in hyperparameters if len({_short(e.get(h)) for e in summary}) > 1]
    fig = matplotlib.figure.Figure(figsize=(max(6.0, 1.5 * len(summary) + 2.5), 4.5), layout="constrained")
    ax = fig.subplots()
    labels = []
    for k, entry in enumerate(summary):
        labels.append("\n".join([entry["env_id"].removeprefix("gem/"),
                                  *(f"{h}={_short(entry.get(h))}" for h in varying)]))
        seeds = [float(r[col]) for r in rows
                 if r.get("status") == "finished" and _is_number(r.get(col))
                 and r.get("env_id") == entry["env_id"] and r.get("algo") == entry["algo"]
                 and _config_key(r, hyperparameters) == _config_key(entry, hyperparameters)]
        ax.plot([k] * len(seeds), seeds, "o", color="tab:blue", alpha=0.6, label="a seed" if k == 0 else None)
        if f"{col}_mean" in entry:
            ax.errorbar(k, entry[f"{col}_mean"], yerr=entry[f"{col}_std"], fmt="_", color="k", ms=24,
                        capsize=6, label="mean ± std over seeds" if k == 0 else None)
    ax.axhline(1.0, color="tab:red", lw=1, ls="--", label="PI cascade")
    ax.set_xticks(range(len(summary)), labels, fontsize=8)
    ax.set_xlim(-0.6, len(summary) - 0.4)
    ax.set_ylim(bottom=0.0)
    ax.set_ylabel(("steady-tracking " if col == "steady_rmse_ratio" else "") + "RMSE ratio DDPG / PI cascade "
                  "(lower is better)")
    ax.set_title("Sweep: DDPG's tracking error relative to the PI cascade", fontsize=10)
    ax.legend(fontsize=8, loc="best")
    fig.savefig(path, dpi=120)
