"""The sweep's parts that need no Ray: search spaces, configurations, tables, figure, CLI errors."""

import csv
import importlib.util
import json
import math

import pytest

from gem.agents import AgentPreset, with_hyperparameters
from gem.sweep import cli, results
from gem.sweep.space import configurations, load_space
from gem.sweep.trial import final_metrics

HAS_RAY = importlib.util.find_spec("ray") is not None


def test_space_from_text_and_file_and_reproducible_configurations(tmp_path):
    text = json.dumps({"learning_rate": {"loguniform": [1e-4, 1e-2]}, "batch_size": {"choice": [64, 128]},
                       "gradient_steps": {"randint": [1, 3]}, "gamma": {"uniform": [0.4, 0.6]},
                       "net_arch": {"choice": [[32, 32], [64]]}, "noise_sigma": 0.2})
    (tmp_path / "space.json").write_text(text)
    for source in (text, tmp_path / "space.json"):
        space = load_space(source)
        assert [d.name for d in space] == ["learning_rate", "batch_size", "gradient_steps", "gamma", "net_arch",
                                           "noise_sigma"]
    configs = configurations(space, 50, seed=3)
    assert configs == configurations(space, 50, seed=3)
    assert configs != configurations(space, 50, seed=4)
    for c in configs:
        assert 1e-4 <= c["learning_rate"] <= 1e-2 and c["batch_size"] in (64, 128)
        assert c["gradient_steps"] in (1, 2, 3) and 0.4 <= c["gamma"] <= 0.6 and c["noise_sigma"] == 0.2
        with_hyperparameters(AgentPreset(timesteps=10), c)      # every draw is a valid preset
    assert {c["gradient_steps"] for c in configs} == {1, 2, 3}   # the upper bound is included
    assert configurations((), 5) == [{}]


@pytest.mark.parametrize(("space", "message"), [
    ({"lr": 1e-3}, "unknown hyper-parameter 'lr'"),
    ({"timesteps": 10}, "--timesteps"),
    ({"gamma": {"normal": [0, 1]}}, "must be a value or one of"),
    ({"gamma": {"uniform": [0.9, 0.1]}}, "low < high"),
    ({"learning_rate": {"loguniform": [0, 1]}}, "low > 0"),
    ({"batch_size": {"randint": [1.5, 4]}}, "integer bounds"),
    ({"batch_size": {"choice": []}}, "non-empty list"),
])
def test_bad_spaces_name_the_entry(space, message):
    with pytest.raises(ValueError, match=message):
        load_space(space)


def test_with_hyperparameters_checks_each_value():
    preset = AgentPreset(timesteps=100, sb3={"batch_size": 256, "tau": 0.005})
    tuned = with_hyperparameters(preset, {"batch_size": 64.0, "net_arch": [32, 16], "learning_rate": 3e-4})
    assert tuned.net_arch == (32, 16) and tuned.learning_rate == 3e-4
    assert tuned.sb3 == {"batch_size": 64, "tau": 0.005} and preset.sb3["batch_size"] == 256  # SB3's own go to sb3
    with pytest.raises(ValueError, match="'n_steps' for DDPG"):        # a PPO argument is not DDPG's
        with_hyperparameters(preset, {"n_steps": 128})
    assert with_hyperparameters(AgentPreset(timesteps=1, algo="PPO", noise=None), {"n_steps": 128}).sb3 == {
        "n_steps": 128}
    for values, message in (({"batch_size": 0}, "batch_size"), ({"learning_rate": -1.0}, "learning_rate"),
                            ({"batch_size": 1.5}, "integer"), ({"net_arch": 64}, "net_arch"),
                            ({"gamma": float("nan")}, "finite"), ({"noise": "pink"}, "noise"),
                            ({"lr": 1}, "valid: timesteps")):
        with pytest.raises((ValueError, TypeError), match=message):
            with_hyperparameters(preset, values)


def _row(seed, lr, ratio, status="finished"):
    return {"env_id": "gem/Cont-CC-SeriesDc-v0", "algo": "ddpg", "seed": seed, "learning_rate": lr,
            "rmse_ratio": ratio, "mae_ratio": 2 * ratio, "wall_seconds": 10.0 + seed, "status": status,
            "trial_dir": f"/x/{seed}"}


def test_tables_average_finished_seeds_per_configuration(tmp_path):
    rows = [_row(0, 1e-3, 1.0), _row(1, 1e-3, 3.0), _row(0, 1e-4, 2.0), _row(1, 1e-4, math.nan, "stopped early")]
    cols = results.write_results(tmp_path / "results.csv", rows, ["learning_rate"])
    assert cols[:4] == ["env_id", "algo", "seed", "learning_rate"] and "rmse_ratio" in cols and "status" in cols
    with (tmp_path / "results.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == 4
    summary = {e["learning_rate"]: e for e in results.summarise(rows, ["learning_rate"])}
    assert summary[1e-3]["rmse_ratio_mean"] == pytest.approx(2.0)
    assert summary[1e-3]["rmse_ratio_std"] == pytest.approx(math.sqrt(2.0))     # sample std of 1 and 3
    assert (summary[1e-4]["trials"], summary[1e-4]["finished"], summary[1e-4]["rmse_ratio_mean"]) == (2, 1, 2.0)
    results.write_summary(tmp_path / "summary.csv", list(summary.values()))
    text = results.format_summary(list(summary.values()), ["learning_rate"])
    assert "2.000 ± 1.414" in text and "1/2" in text
    results.plot_summary(tmp_path / "summary.png", rows, ["learning_rate"])
    assert (tmp_path / "summary.png").stat().st_size > 10_000


class _M:
    def __init__(self, policy, rmse, mae):
        self.policy, self.rmse, self.mae = policy, rmse, mae

    def to_dict(self):
        return {"policy": self.policy, "rmse": self.rmse, "mae_norm": {"i": self.mae}, "violation_episodes": 0}


def test_final_metrics_ratios():
    out = final_metrics([_M("DDPG", 0.2, 0.1), _M("PI cascade", 0.1, 0.05), _M("random", 1.0, 1.0)])
    assert out["rmse_ratio"] == pytest.approx(2.0) and out["mae_ratio"] == pytest.approx(2.0)
    assert out["ddpg_rmse"] == 0.2 and out["pi_violation_episodes"] == 0


@pytest.mark.parametrize(("args", "message"), [
    (["--env", "gem/Cont-CC-NoSuchMotor-v0"], "--env gem/Cont-CC-NoSuchMotor-v0"),
    (["--env", "gem/Finite-CC-SeriesDc-v0"], "continuous action"),
    (["--env", "gem/Cont-CC-SeriesDc-v0", "--seeds", "0"], "--seeds must be >= 1"),
    (["--env", "gem/Cont-CC-SeriesDc-v0", "--num-samples", "3"], "needs a --search"),
    (["--env", "gem/Cont-CC-SeriesDc-v0", "--search", '{"lr": 1}'], "unknown hyper-parameter 'lr'"),
    (["--env", "gem/Cont-CC-SeriesDc-v0", "--search", "missing.json"], "no such file"),
    (["--env", "gem/Cont-CC-SeriesDc-v0", "--search", '{"batch_size": {"choice": [0, 64]}}'], "batch_size=0"),
    (["--env", "gem/Cont-CC-SeriesDc-v0", "--address", "auto", "--num-cpus", "2"], "--num-cpus"),
])
def test_cli_errors_before_anything_runs(args, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([*args, "--out", str(tmp_path / "s")])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.skipif(HAS_RAY, reason="Ray is installed here")
def test_without_ray_the_cli_says_how_to_install_it(tmp_path, capsys):
    assert cli.main(["--env", "gem/Cont-CC-SeriesDc-v0", "--out", str(tmp_path / "s")]) == 2
    assert 'gem.sweep needs ray.tune: pip install "gem-drives[ray]"' in capsys.readouterr().err
