"""A sweep on a local Ray started by the test: interrupted, resumed, both tables with finite values.

Runs in the Ray test environment (``make test`` creates it); skipped where Ray is not installed.
"""

import csv
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("ray.tune")

ARGS = ["--env", "gem/Cont-CC-SeriesDc-v0", "--seeds", "3", "--timesteps", "400", "--eval-episodes", "1",
        "--num-cpus", "1", "--verbose", "0", "--search", '{"learning_starts": 200, "eval_freq": 400}']


def _finished_trials(storage: Path) -> dict[str, int]:
    """Trial folder → reported results, for the trials whose last result says done."""
    out = {}
    for result in storage.glob("sweep/*/result.json"):
        lines = [json.loads(line) for line in result.read_text().splitlines() if line.strip()]
        if lines and lines[-1].get("compared"):
            out[result.parent.name] = len(lines)
    return out


def test_interrupted_sweep_resumes_without_rerunning_finished_trials(tmp_path):
    out = tmp_path / "sweep"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-m", "gem.sweep", *ARGS, "--out", str(out)]
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 300
    while not _finished_trials(out / "ray") and time.time() < deadline and first.poll() is None:
        time.sleep(1.0)
    finished = _finished_trials(out / "ray")
    assert finished, f"no trial finished in time:\n{first.communicate(timeout=60)[0][-3000:]}"
    first.send_signal(signal.SIGINT)                   # as Ctrl-C: Tune saves the experiment and stops
    log = first.communicate(timeout=120)[0]
    assert len(finished) < 3, "the sweep ended before the interruption; nothing to resume"

    again = subprocess.run([*cmd, "--resume"], env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, f"{log[-2000:]}\n---\n{again.stdout[-3000:]}\n{again.stderr[-3000:]}"
    after = _finished_trials(out / "ray")
    for trial, n_results in finished.items():            # finished before: not run again
        assert after[trial] == n_results
    with (out / "results.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(int(r["seed"]) for r in rows) == [0, 1, 2]
    for r in rows:
        assert r["status"] == "finished" and r["env_id"] == "gem/Cont-CC-SeriesDc-v0" and r["algo"] == "ddpg"
        for col in ("rmse_ratio", "mae_ratio", "ddpg_rmse", "pi_rmse", "wall_seconds", "timesteps"):
            assert math.isfinite(float(r[col])), (col, r)
        assert (Path(r["trial_dir"]) / "metrics.json").exists()      # gem.compare's outputs are kept
        assert len(r["node"]) == 12                                   # the Ray node it ran on
    with (out / "summary.csv").open() as fh:
        (summary,) = list(csv.DictReader(fh))
    assert summary["finished"] == "3" and math.isfinite(float(summary["rmse_ratio_mean"]))
    assert float(summary["rmse_ratio_std"]) >= 0.0
    assert (out / "summary.png").stat().st_size > 10_000
    assert "RMSE ratio DDPG/PI" in again.stdout


def test_a_second_sweep_into_the_same_folder_is_refused(tmp_path):
    from gem.sweep import run_sweep

    (tmp_path / "ray" / "sweep").mkdir(parents=True)
    (tmp_path / "ray" / "sweep" / "tuner.pkl").write_bytes(b"")
    with pytest.raises(ValueError, match="already holds a sweep"):
        run_sweep(["gem/Cont-CC-SeriesDc-v0"], tmp_path, seeds=1)
    with pytest.raises(ValueError, match="nothing to resume"):
        run_sweep(["gem/Cont-CC-SeriesDc-v0"], tmp_path / "other", seeds=1, resume=True)


def test_asha_stops_by_timesteps_and_never_at_the_budget():
    from ray.tune.schedulers import ASHAScheduler

    from gem.sweep.runner import tune_config

    config = tune_config(["gem/Cont-CC-SeriesDc-v0"], 40_000, True, ASHAScheduler)
    asha = config.scheduler
    assert isinstance(asha, ASHAScheduler) and config.metric == "best_validation_rmse" and config.mode == "min"
    assert asha._time_attr == "timesteps" and asha._max_t == 40_001     # reaching the budget is not a stop
    assert tune_config(["gem/Cont-CC-SeriesDc-v0"], 40_000, False, ASHAScheduler).scheduler is None
