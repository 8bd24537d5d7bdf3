"""``python -m gem.benchmark`` with tiny budgets: its files, the shared episodes, every algorithm, errors."""

import csv
import json

import numpy as np
import pytest

from gem.benchmark import cli
from gem.benchmark.jobs import PI, Job, run_job, step_spec, time_to_level
from gem.evaluation import resolve

SHORT = ["--env-kwargs", '{"max_episode_steps": 300}', "--eval-episodes", "2", "--step-episodes", "1"]


def _rows(path):
    return list(csv.DictReader(path.open()))


def test_smoke_run_writes_results_summary_and_figures(tmp_path, capsys):
    out = tmp_path / "bench"
    assert cli.main(["--ids", "gem/Cont-CC-SeriesDc-v0", "--algos", "DDPG", "DQN", "--seeds", "2",
                     "--timesteps", "96", "--out", str(out), *SHORT]) == 0
    rows = _rows(out / "results.csv")
    assert [(r["algo"], r["seed"]) for r in rows] == [(PI, ""), ("DDPG", "0"), ("DDPG", "1")]  # DQN does not fit
    pi, agent = rows[0], rows[1]
    assert float(pi["steady_rmse_ratio"]) == 1.0 and float(pi["steady_rmse"]) < float(pi["episode_rmse"])
    assert int(agent["env_steps"]) == 96 and float(agent["wall_seconds"]) > 0
    assert float(agent["steady_rmse_ratio"]) == pytest.approx(float(agent["steady_rmse"]) / float(pi["steady_rmse"]))
    for name in ("summary.md", "summary.csv", "curves_Cont-CC-SeriesDc-v0.png", "steps_Cont-CC-SeriesDc-v0.png",
                 "run.json", "runs/DDPG/Cont-CC-SeriesDc-v0/seed1/best_model.zip"):
        assert (out / name).stat().st_size > 0, name
    summary = _rows(out / "summary.csv")
    assert [s["policy"] for s in summary] == [PI, "DDPG"] and summary[1]["seeds"] == "2"
    assert " ± " in summary[1]["steady RMSE"] and summary[1]["within 1.2× PI"] in ("0/2", "1/2", "2/2")
    assert "| Cont-CC-SeriesDc-v0 | DDPG | 2 |" in capsys.readouterr().out
    assert json.loads((out / "run.json").read_text())["seeds"] == 2

    # a stopped or finished run continues with --resume: nothing is trained again, the rows are the same
    args = ["--ids", "gem/Cont-CC-SeriesDc-v0", "--algos", "DDPG", "--seeds", "2", "--timesteps", "96",
            "--out", str(out), *SHORT, "--resume"]
    assert cli.main(args) == 0
    assert "0 of 3 jobs to run" in capsys.readouterr().out
    assert _rows(out / "results.csv") == rows
    with pytest.raises(SystemExit):
        cli.main([*args[:7], "100", *args[8:]])  # another budget: the saved jobs do not match
    assert "holds the result of another job" in capsys.readouterr().err


def test_every_policy_runs_the_same_episodes(tmp_path):
    kwargs = {"env_kwargs": {"max_episode_steps": 200}, "eval_episodes": 2, "step_episodes": 1}
    pi = run_job(Job("gem/Cont-CC-PMSM-v0", PI, 0, tmp_path / "pi", **kwargs))
    agent = run_job(Job("gem/Cont-CC-PMSM-v0", "TD3", 0, tmp_path / "td3", timesteps=64, **kwargs))
    np.testing.assert_array_equal(pi.rollout.references, agent.rollout.references)
    np.testing.assert_array_equal(pi.steps.references, agent.steps.references)
    assert pi.steps.reference_names == ("i_sd", "i_sq")
    assert np.ptp(pi.steps.references[..., 0]) == 0 and np.ptp(pi.steps.references[..., 1]) > 0  # i_sq steps


def test_each_id_runs_the_algorithms_that_fit_its_actions(tmp_path, capsys):
    p = cli.build_parser()
    args = p.parse_args(["--ids", "gem/Finite-CC-ExtExDc-v0", "gem/Finite-CC-PMSM-v0", "gem/Cont-TC-PMSM-v0",
                         "--out", str(tmp_path)])
    pairs, _, _ = cli._check(p, args)
    assert pairs == [("gem/Finite-CC-ExtExDc-v0", "PPO"), ("gem/Finite-CC-PMSM-v0", "PPO"),
                     ("gem/Finite-CC-PMSM-v0", "DQN")] + [("gem/Cont-TC-PMSM-v0", a) for a in ("DDPG", "TD3", "SAC",
                                                                                                "PPO")]
    assert "DQN skipped on gem/Finite-CC-ExtExDc-v0" in capsys.readouterr().out  # MultiDiscrete actions


def test_step_episodes_keep_the_id_reference_range():
    refs = step_spec(resolve("gem/Cont-SC-SeriesDc-v0")).task().references
    default = resolve("gem/Cont-SC-SeriesDc-v0").task().references
    assert refs[0].shape == "step" and (refs[0].low, refs[0].high) == (default[0].low, default[0].high)


def test_time_to_pi_level():
    log = [{"timesteps": 100, "rmse": 0.5, "baseline_rmse": 0.1, "train_seconds": 1.0},
           {"timesteps": 200, "rmse": 0.115, "baseline_rmse": 0.1, "train_seconds": 2.0},
           {"timesteps": 300, "rmse": 0.09, "baseline_rmse": 0.1, "train_seconds": 3.0}]
    assert time_to_level(log, 1.2) == (200.0, 2.0)
    assert time_to_level(log, 1.0) == (300.0, 3.0)
    assert np.isnan(time_to_level(log[:1], 1.2)[0])


@pytest.mark.slow
def test_every_algorithm_through_the_benchmark(tmp_path):
    out = tmp_path / "all"
    assert cli.main(["--ids", "gem/Cont-CC-SeriesDc-v0", "gem/Finite-CC-PMSM-v0", "--seeds", "1",
                     "--timesteps", "64", "--out", str(out), *SHORT]) == 0
    ran = {(r["env_id"], r["algo"]) for r in _rows(out / "results.csv")}
    assert ran == {("gem/Cont-CC-SeriesDc-v0", a) for a in (PI, "DDPG", "TD3", "SAC", "PPO")} | \
        {("gem/Finite-CC-PMSM-v0", a) for a in (PI, "DQN", "PPO")}
    finite = [r for r in _rows(out / "results.csv") if r["env_id"] == "gem/Finite-CC-PMSM-v0"]
    assert all(float(r["switching_khz"]) >= 0 for r in finite)


@pytest.mark.parametrize(("args", "message"), [
    (["--ray"], "Ray is not installed"),
    (["--seeds", "0"], "--seeds"),
    (["--ids", "gem/Cont-CC-NoSuchMotor-v0"], "unknown environment id"),
    (["--env-kwargs", "[1]"], "JSON object"),
    (["--pi-level", "0.5"], "--pi-level"),
])
def test_bad_arguments(args, message, tmp_path, capsys):
    if args == ["--ray"]:
        try:
            import ray  # noqa: F401
            pytest.skip("Ray is installed")
        except ImportError:
            pass
    with pytest.raises(SystemExit) as exc:
        cli.main([*args, "--out", str(tmp_path / "x")])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
