"""One trial of a sweep: :func:`gem.compare.compare` run as a Ray Tune function trainable.

The trial trains DDPG with the sampled hyper-parameters, reports each validation to Tune (so an
ASHA scheduler can stop it early), then evaluates it beside the PI cascade on the comparison's
seeded episodes and reports the final metrics. Its folder keeps everything ``gem.compare``
writes (``metrics.json``, ``metrics.csv``, figures, models).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

SWEEP_KEYS = ("env_id", "algo", "seed", "timesteps", "eval_episodes", "hyperparameters")
"""The entries of a trial's config (``hyperparameters``: the configuration, a dict)."""

METRIC = "best_validation_rmse"
"""What the scheduler and the best-trial selection minimise: the best validation RMSE so far."""


def final_metrics(metrics: list[Any]) -> dict[str, float]:
    """The numbers a trial reports at its end, from :func:`gem.compare.compare`'s policy metrics.

    Every scalar number of the DDPG and PI cascade metrics (prefixed ``ddpg_`` and ``pi_``),
    and the ratios DDPG / PI of every error metric both have (``rmse_ratio``, ``mae_ratio``, and
    any further ``*rmse*``/``*mae*`` metric, e.g. a steady-tracking one).
    """
    by_name = {m.policy: m.to_dict() for m in metrics}
    out: dict[str, float] = {}
    ddpg, pi = by_name["DDPG"], by_name["PI cascade"]
    for prefix, d in (("ddpg_", ddpg), ("pi_", pi)):
        out.update({prefix + k: float(v) for k, v in d.items()
                    if isinstance(v, (int, float)) and not isinstance(v, bool)})
    for key in sorted(set(out) & {"ddpg_" + k for k in pi}):
        name = key.removeprefix("ddpg_")
        if ("rmse" in name or "mae" in name) and "pi_" + name in out:
            denominator = out["pi_" + name]
            out[f"{name}_ratio"] = out[key] / denominator if denominator else math.nan
    if "mae_ratio" not in out:     # MAE is per controlled state: the mean over them
        for prefix, d in (("ddpg_", ddpg), ("pi_", pi)):
            values = list(d["mae_norm"].values())
            out[prefix + "mae"] = sum(values) / len(values)
        out["mae_ratio"] = out["ddpg_mae"] / out["pi_mae"] if out["pi_mae"] else math.nan
    return out


def comparison_trial(config: dict[str, Any]) -> None:
    """Ray Tune function trainable: one DDPG-vs-PI comparison with the config's id, seed and hyper-parameters."""
    from ray import tune

    from gem.agents import preset_for, with_hyperparameters
    from gem.compare import compare

    t0 = time.perf_counter()
    env_id, seed = config["env_id"], int(config["seed"])
    preset = with_hyperparameters(preset_for(env_id), config.get("hyperparameters") or {})
    preset = preset.with_overrides(timesteps=config.get("timesteps"))
    out = Path(tune.get_context().get_trial_dir())
    last: dict[str, Any] = {}

    def on_validation(row: dict[str, Any]) -> None:
        last.update(validation_rmse=row["rmse"], best_validation_rmse=row["best_rmse"], timesteps=row["timesteps"])
        tune.report(dict(last))

    result = compare(env_id, out, seed=seed, preset=preset, eval_episodes=int(config.get("eval_episodes", 10)),
                     progress_bar=False, verbose=False, on_validation=on_validation)
    final = dict(last, **final_metrics(result.metrics))
    import ray

    final.update(node=ray.get_runtime_context().get_node_id()[:12],
                 trained_timesteps=result.run.get("trained_timesteps", 0),
                 training_seconds=result.run.get("training_seconds", 0.0),
                 wall_seconds=time.perf_counter() - t0, compared=True)
    final["timesteps"] = final["trained_timesteps"]
    final.setdefault(METRIC, result.run.get("best_validation_rmse", math.nan))
    tune.report(final)
