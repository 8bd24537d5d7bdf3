"""Tables and files of evaluation metrics: a text table, ``metrics.json`` and ``metrics.csv``."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gem.evaluation.metrics import PolicyMetrics


def _columns(metrics: Sequence[PolicyMetrics]) -> list[tuple[str, Any]]:
    """(header, getter) pairs shared by the text table and the CSV file."""
    first = metrics[0]
    cols: list[tuple[str, Any]] = [("policy", lambda m: m.policy)]
    for name, unit in zip(first.reference_names, first.units, strict=True):
        cols += [
            (f"steady RMSE {name} (norm)", lambda m, n=name: m.steady.rmse_norm[n]),
            (f"steady RMSE {name} [{unit}]", lambda m, n=name: m.steady.rmse_si[n]),
            (f"steady MAE {name} [{unit}]", lambda m, n=name: m.steady.mae_si[n]),
            (f"reach {name} [ms]", lambda m, n=name: 1e3 * m.steady.reach_time[n]),
            (f"unreached {name}", lambda m, n=name: m.steady.unreached[n]),
            (f"RMSE {name} (norm)", lambda m, n=name: m.rmse_norm[n]),
            (f"RMSE {name} [{unit}]", lambda m, n=name: m.rmse_si[n]),
            (f"MAE {name} (norm)", lambda m, n=name: m.mae_norm[n]),
            (f"MAE {name} [{unit}]", lambda m, n=name: m.mae_si[n]),
        ]
    if first.effort is not None:
        cols += [("effort RMS", lambda m: m.effort.effort_rms), ("effort change", lambda m: m.effort.effort_change)]
        if np.isfinite(first.effort.switching_hz):
            cols.append(("switching kHz", lambda m: 1e-3 * m.effort.switching_hz))
    cols += [
        ("mean episode reward", lambda m: m.mean_episode_reward),
        ("violating episodes", lambda m: f"{m.violation_episodes}/{m.episodes}"),
        ("violating steps", lambda m: m.violation_steps),
        (f"ripple {first.current} (share of limit)", lambda m: m.current_ripple),
        (f"RMS {first.current} (share of limit)", lambda m: m.current_rms),
        ("predict µs/step (batched)", lambda m: m.predict_us_batched),
        ("predict µs (1 obs)", lambda m: m.predict_us_single),
    ]
    return cols


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.3e}"
    return str(value)


def format_table(metrics: Sequence[PolicyMetrics], ratios: Mapping[str, float] | None = None) -> str:
    """Plain-text table, one column per policy and one row per metric, plus optional ratio lines.

    Args:
        metrics: Metrics of each policy (same environment and episodes).
        ratios: Extra ``label → value`` lines printed below the table.
    """
    if not metrics:
        return "(no policies evaluated)"
    cols = _columns(metrics)
    rows = [[_fmt(get(m)) if j else get(m) for m in metrics] for j, (_, get) in enumerate(cols)]
    rows = [[h, *r] for (h, _), r in zip(cols, rows, strict=True)]
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
    lines = []
    for i, r in enumerate(rows):
        lines.append(" | ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths,
                                                                                                       strict=True))))
        if i == 0:
            lines.append("-+-".join("-" * w for w in widths))
    first = metrics[0]
    head = (f"{first.env_id}: {first.episodes} evaluation episodes x {first.steps_per_episode} steps "
            f"(same seeded references for every policy; limits counted, not enforced; 'steady' = after "
            f"the initial transient, see gem.evaluation.transient)")
    tail = [f"{k}: {_fmt(v)}" for k, v in (ratios or {}).items()]
    return "\n".join([head, *lines, *tail])


def write_json(path: str | Path, metrics: Sequence[PolicyMetrics], extra: Mapping[str, Any] | None = None) -> Path:
    """Writes ``{"policies": [...], **extra}`` as JSON."""
    path = Path(path)
    doc = {**dict(extra or {}), "policies": [m.to_dict() for m in metrics]}
    path.write_text(json.dumps(doc, indent=2, sort_keys=False, default=_json_default) + "\n")
    return path


def write_csv(path: str | Path, metrics: Sequence[PolicyMetrics]) -> Path:
    """Writes one row per policy with the columns of :func:`format_table` (full precision)."""
    path = Path(path)
    cols = _columns(metrics)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([h for h, _ in cols])
        for m in metrics:
            w.writerow([get(m) for _, get in cols])
    return path


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
