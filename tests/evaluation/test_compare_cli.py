"""``python -m gem.compare`` end to end with a tiny budget, and its argument errors."""

import csv
import json

import pytest

from gem import compare

TINY = ["--timesteps", "160", "--num-envs", "4", "--eval-episodes", "2", "--no-progress",
        "--env-kwargs", '{"max_episode_steps": 60}']
ARTEFACTS = ("metrics.json", "metrics.csv", "trajectories.png", "training.png", "model.zip", "best_model.zip",
             "monitor.csv", "validations.jsonl")


def test_end_to_end_writes_every_artefact(tmp_path, capsys):
    out = tmp_path / "run"
    assert compare.main([*TINY, "--out", str(out), "--seed", "1"]) == 0
    for name in ARTEFACTS:
        assert (out / name).stat().st_size > 0, name
    printed = capsys.readouterr().out
    assert "steady-tracking RMSE ratio DDPG / PI cascade" in printed and "PI cascade" in printed
    doc = json.loads((out / "metrics.json").read_text())
    assert [p["policy"] for p in doc["policies"]] == ["DDPG", "PI cascade", "random"]
    assert doc["seed"] == 1 and doc["trained_timesteps"] == 160 and doc["steady_rmse_ratio_ddpg_over_pi"] > 0
    assert doc["policies"][0]["steps_per_episode"] == 60
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert len(rows) == 3

    # the saved model can be evaluated again without training, with the same numbers
    again = tmp_path / "again"
    assert compare.main(["--load-model", str(out / "best_model.zip"), "--out", str(again), "--eval-episodes", "2",
                         "--env-kwargs", '{"max_episode_steps": 60}']) == 0
    doc2 = json.loads((again / "metrics.json").read_text())
    for p, q in zip(doc["policies"], doc2["policies"], strict=True):
        assert p["rmse_si"] == q["rmse_si"] and p["mean_episode_reward"] == q["mean_episode_reward"]
    assert (again / "training.png").exists()  # the loaded model's folder has the training logs

    # a model trained on other observations is refused
    with pytest.raises(SystemExit):
        compare.main(["--load-model", str(out / "best_model.zip"), "--out", str(again),
                      "--env", "gem/Cont-CC-ExtExDc-v0"])
    assert "the model observes" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "message"), [
    (["--env", "gem/Cont-CC-NoSuchMotor-v0"], "unknown environment id"),
    (["--env", "gem/Finite-CC-SeriesDc-v0"], "continuous action"),
    (["--timesteps", "-5"], "--timesteps must be >= 0"),
    (["--timesteps", "0"], "--load-model"),
    (["--num-envs", "0"], "--num-envs"),
    (["--env-kwargs", "{not json"], "not valid JSON"),
    (["--env-kwargs", '{"tau": -1}'], "tau"),
    (["--load-model", "/nonexistent/model.zip"], "no file"),
    (["--hyperparameters", '{"lr": 1e-3}'], "unknown hyper-parameter 'lr'"),
    (["--hyperparameters", '{"batch_size": 0}'], "batch_size must be >= 1"),
    (["--hyperparameters", "[1, 2]"], "--hyperparameters must be a JSON object"),
])
def test_bad_arguments_give_clear_errors(args, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        compare.main([*args, "--out", str(tmp_path / "x")])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_unwritable_output_folder(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(SystemExit) as exc:
        compare.main(["--out", str(blocker / "sub"), "--timesteps", "10"])
    assert exc.value.code == 2
    assert "not writable" in capsys.readouterr().err
