"""Figures of a comparison: trajectories of one evaluation episode and the training curve."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure  # no pyplot: drawn off-screen, the user's backend is left alone

from gem.evaluation.rollout import Rollout

COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")
STYLES = ("-", "--", ":", "-.")
"""Line style per action component (colour per policy)."""


def largest_initial_error(ro: Rollout) -> int:
    """Episode whose first step has the largest normalised tracking error (a start-up transient)."""
    err = np.abs((ro.states[0] - ro.references[0]) / ro.limits)
    return int(np.argmax(np.nan_to_num(err, nan=0.0).max(axis=-1)))


def plot_trajectories(rollouts: Mapping[str, Rollout], path: str | Path, episode: int = 0,
                      title: str = "", zoom: float | None = None) -> Path:
    """Reference and controlled state of each policy (top), their actions (bottom), one episode.

    Args:
        rollouts: Policy name → rollout on the same episodes.
        path: Output image file.
        episode: Episode index to draw.
        title: Figure title.
        zoom: If given, a second column shows the first ``zoom`` seconds.
    """
    first = next(iter(rollouts.values()))
    k, n_act = len(first.reference_names), first.actions.shape[2]
    ncols = 2 if zoom else 1
    fig = Figure(figsize=(11 if zoom else 8, 2.6 * (k + 1)))
    axes = fig.subplots(k + 1, ncols, sharex="col", squeeze=False, gridspec_kw={"height_ratios": [2] * k + [1.3]})
    t = first.time
    for c in range(ncols):
        sel = slice(None) if c == 0 else t <= zoom
        for j, (name, unit) in enumerate(zip(first.reference_names, first.units, strict=True)):
            ax = axes[j, c]
            ax.plot(t[sel], first.references[sel, episode, j], "k--", lw=1.2, label="reference")
            for (pname, ro), col in zip(rollouts.items(), COLORS, strict=False):
                ax.plot(t[sel], ro.states[sel, episode, j], color=col, lw=1.0, label=pname)
            ax.set_ylabel(f"{name} [{unit}]")
            ax.grid(alpha=0.3)
        ax = axes[k, c]
        for (pname, ro), col in zip(rollouts.items(), COLORS, strict=False):
            for a in range(n_act):
                ax.plot(t[sel], ro.actions[sel, episode, a], color=col, lw=0.8, alpha=0.85,
                        ls=STYLES[a % len(STYLES)], label=pname if n_act == 1 else f"{pname} action {a}")
        ax.set_ylabel("action")
        ax.set_xlabel("time [s]")
        ax.grid(alpha=0.3)
        if c == 1:
            axes[0, c].set_title(f"first {zoom * 1e3:g} ms")
    axes[0, 0].legend(loc="best", fontsize=8)
    axes[k, 0].legend(loc="best", fontsize=8)
    return save_figure(fig, title, path)


def save_figure(fig: Figure, title: str | None, path: str | Path) -> Path:
    """Adds the title, lays out and writes the figure as PNG."""
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    return path


def read_monitor(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Episode returns and the training timestep (all environments) at which each ended, from a VecMonitor CSV.

    The cumulative sum of finished episode lengths approximates the total timesteps of all
    environments, since every transition belongs to exactly one episode.
    """
    rows = []
    with Path(path).open() as fh:
        first = fh.readline()
        if not first.startswith("#"):
            fh.seek(0)
        rows = list(csv.DictReader(fh))
    returns = np.array([float(r["r"]) for r in rows])
    lengths = np.array([int(r["l"]) for r in rows])
    return np.cumsum(lengths), returns


def read_validations(path: str | Path) -> list[dict]:
    """Rows of the validation log written during training (``validations.jsonl``)."""
    p = Path(path)
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text().splitlines() if line.strip()]


def plot_training(monitor: str | Path, validations: str | Path, path: str | Path, title: str = "",
                  name: str = "DDPG") -> Path:
    """Training curve: episode returns (top) and validation steady-tracking RMSE of the checkpoints (bottom).

    Args:
        monitor: VecMonitor CSV of the training environments.
        validations: ``validations.jsonl`` of :class:`gem.agents.callbacks.ValidationCallback`.
        path: Output image file.
        title: Figure title.
        name: The agent's name in the legend.
    """
    fig = Figure(figsize=(8, 6.5))
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    if Path(monitor).exists():
        steps, returns = read_monitor(monitor)
        if returns.size:
            ax1.plot(steps, returns, ".", ms=3, alpha=0.4, color="tab:blue", label="episode return")
            w = max(1, min(20, returns.size // 5))
            smooth = np.convolve(returns, np.ones(w) / w, mode="valid")
            ax1.plot(steps[w - 1:], smooth, color="tab:blue", lw=1.5, label=f"mean of {w}")
    ax1.set_ylabel("training episode return")
    ax1.grid(alpha=0.3)
    if ax1.lines:
        ax1.legend(loc="lower right", fontsize=8)
    else:
        ax1.text(0.5, 0.5, "no training episode finished", transform=ax1.transAxes, ha="center", va="center")
    rows = read_validations(validations)
    if rows:
        x = [r["timesteps"] for r in rows]
        ax2.plot(x, [r["rmse"] for r in rows], "o-", color="tab:orange", ms=3, label=f"{name} checkpoint")
        best = min(rows, key=lambda r: r["rmse"])
        ax2.plot([best["timesteps"]], [best["rmse"]], "*", color="tab:red", ms=12, label="best (kept)")
        base = [r.get("baseline_rmse") for r in rows if r.get("baseline_rmse") is not None]
        if base:
            ax2.axhline(base[0], color="tab:green", ls="--", label=rows[0].get("baseline_name", "baseline"))
        ax2.set_yscale("log")
    ax2.set_ylabel("validation steady-tracking\nRMSE (normalised)")
    ax2.set_xlabel("training timesteps (all environments)")
    ax2.grid(alpha=0.3, which="both")
    if ax2.lines:
        ax2.legend(loc="upper right", fontsize=8)
    return save_figure(fig, title, path)
