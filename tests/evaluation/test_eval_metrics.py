"""The evaluation routine on policies whose scores can be computed by hand."""

import csv
import json

import numpy as np
import pytest

from gem.envs import ConstReference
from gem.evaluation import (
    ConstantPolicy,
    RandomPolicy,
    current_ripple,
    current_rms,
    evaluate,
    format_table,
    resolve,
    rollout,
    torque_current,
    write_csv,
    write_json,
)

I_LIMIT = 210.0  # SeriesDc current limit (A)


@pytest.fixture
def const_ref_spec():
    """Current control with a constant reference of 0.3 * limit and 50-step episodes."""
    return resolve("gem/Cont-CC-SeriesDc-v0", {"reference": ConstReference(value=0.3), "max_episode_steps": 50})


def test_zero_voltage_policy_has_hand_computable_metrics(const_ref_spec):
    # u = 0 from i = 0: the current stays 0, so the error is the reference itself at every step.
    metrics, rollouts = evaluate({"zero": ConstantPolicy([0.0])}, const_ref_spec, n_episodes=3, seed=0,
                                 latency_steps=5)
    m = metrics[0]
    assert m.reference_names == ("i",) and m.units == ("A",)
    assert m.rmse_norm["i"] == pytest.approx(0.3)
    assert m.mae_norm["i"] == pytest.approx(0.3)
    assert m.rmse_si["i"] == pytest.approx(0.3 * I_LIMIT)
    assert m.mae_si["i"] == pytest.approx(0.3 * I_LIMIT)
    # reward per step: -|error| / width, width 2 for the signed current reference
    assert m.mean_episode_reward == pytest.approx(-0.15 * 50)
    assert m.violation_episodes == 0 and m.violation_steps == 0
    assert m.episodes == 3 and m.steps_per_episode == 50
    assert m.predict_us_batched > 0 and m.predict_us_single > 0
    assert rollouts["zero"].states.shape == (50, 3, 1)


def test_violations_are_counted_and_episodes_run_to_the_end():
    spec = resolve("gem/Cont-CC-SeriesDc-v0", {"max_episode_steps": 600})
    ro = rollout(ConstantPolicy([1.0]), spec, n_episodes=2, seed=0)
    assert ro.valid.all()  # limits are monitored, not enforced
    over = np.abs(ro.states[..., 0]) > I_LIMIT
    np.testing.assert_array_equal(ro.violated, over)
    assert over[-1].all() and not over[0].any()


def test_every_policy_sees_the_same_references():
    spec = resolve("gem/Cont-CC-SeriesDc-v0", {"max_episode_steps": 100})
    pols = {"zero": ConstantPolicy([0.0]), "random": lambda env: RandomPolicy(env.single_action_space, seed=1)}
    _, ros = evaluate(pols, spec, n_episodes=4, seed=5, latency_steps=0)
    np.testing.assert_array_equal(ros["zero"].references, ros["random"].references)
    assert not np.array_equal(ros["zero"].actions, ros["random"].actions)
    _, again = evaluate(pols, spec, n_episodes=4, seed=5, latency_steps=0)
    np.testing.assert_array_equal(again["random"].states, ros["random"].states)
    _, other = evaluate(pols, spec, n_episodes=4, seed=6, latency_steps=0)
    assert not np.array_equal(other["zero"].references, ros["zero"].references)


def test_batched_episode_equals_single_episode():
    spec = resolve("gem/Cont-CC-SeriesDc-v0", {"max_episode_steps": 80})
    batch = rollout(ConstantPolicy([0.2]), spec, n_episodes=3, seed=40)
    single = rollout(ConstantPolicy([0.2]), spec, n_episodes=1, seed=42)
    np.testing.assert_allclose(batch.states[:, 2], single.states[:, 0])
    np.testing.assert_allclose(batch.references[:, 2], single.references[:, 0])


def test_policy_factories_receive_the_evaluation_env():
    spec = resolve("gem/Cont-CC-SeriesDc-v0", {"max_episode_steps": 10})
    seen = []

    def factory(env):
        seen.append(env.num_envs)
        return ConstantPolicy([0.0])

    evaluate({"f": factory}, spec, n_episodes=3, latency_steps=2)
    assert seen == [3, 1]  # the batch, then the single-observation latency run
    with pytest.raises(TypeError, match="no predict"):
        rollout(lambda env: object(), spec, n_episodes=1)


def test_reports(tmp_path, const_ref_spec):
    metrics, _ = evaluate({"zero": ConstantPolicy([0.0]), "half": ConstantPolicy([0.5])}, const_ref_spec,
                          n_episodes=2, latency_steps=2)
    table = format_table(metrics, {"ratio": 1.5})
    assert "RMSE i [A]" in table and "zero" in table and "ratio: 1.5" in table
    doc = json.loads(write_json(tmp_path / "m.json", metrics, extra={"seed": 3}).read_text())
    assert doc["seed"] == 3 and doc["policies"][0]["rmse_si"]["i"] == pytest.approx(63.0)
    rows = list(csv.DictReader(write_csv(tmp_path / "m.csv", metrics).open()))
    assert [r["policy"] for r in rows] == ["zero", "half"]
    assert float(rows[0]["RMSE i (norm)"]) == pytest.approx(0.3)


def test_resolve_errors():
    with pytest.raises(ValueError, match="did you mean"):
        resolve("gem/Cont-CC-SeriesDC-v0")
    with pytest.raises(ValueError, match="not a gem environment"):
        resolve("CartPole-v1")
    with pytest.raises(ValueError, match="max_episode_steps"):
        resolve("gem/Cont-CC-SeriesDc-v0", {"max_episode_steps": 0})


def test_current_ripple_and_effort_by_hand():
    tau, steps = 1e-4, 4000                                   # 0.4 s
    t = tau * np.arange(steps)
    slow = 100.0 + 2000.0 * t                                 # a ramp: no ripple (the centred mean follows it)
    chatter = 30.0 * np.where(np.arange(steps) % 2 == 0, 1.0, -1.0)     # ±30 A from one period to the next
    current = np.stack([slow, slow + chatter], axis=1)
    ripple = current_ripple(current, np.array([200.0, 200.0]), tau)
    assert ripple[0] == pytest.approx(0.0, abs=1e-9)
    # 51-step centred mean: 25 samples of the centre's sign, 26 of the other: -30/51 of the centre's,
    # so the deviation is 30 (1 + 1/51) A at every step
    assert ripple[1] == pytest.approx(30.0 * (1 + 1 / 51) / 200.0, rel=1e-9)
    np.testing.assert_allclose(current_rms(current, 200.0), np.sqrt(np.mean(current ** 2, axis=0)) / 200.0)
    assert np.isnan(current_ripple(current[:40], 200.0, tau)).all()          # shorter than the window
    assert torque_current(("omega", "torque", "i_a", "i_e", "u_a")) == "i_a"
    assert torque_current(("omega", "i_a", "i_sd", "i_sq"), ("i_sd", "i_sq")) == "i_sq"


def test_metrics_report_ripple_and_effort():
    # At 100 rad/s the EMF is 16.5 V = 0.275 u_sup: that duty cycle holds i at 0; switching ±0.3 chatters.
    class Chatter:
        def __init__(self):
            self.k = 0

        def predict(self, obs, state=None, episode_start=None, deterministic=True):
            self.k += 1
            return np.full((len(obs), 1), 0.3 if self.k % 2 else -0.3, np.float32), state

    metrics, ros = evaluate({"hold": ConstantPolicy([0.275]), "chatter": Chatter()},
                            resolve("gem/Cont-CC-PermExDc-v0", {"max_episode_steps": 600}), n_episodes=2,
                            latency_steps=0)
    hold, chatter = metrics
    assert hold.current == "i" and hold.current_ripple < 1e-6 and hold.current_rms < 1e-3
    assert chatter.current_ripple > 0.02 and chatter.current_ripple_max >= chatter.current_ripple
    assert chatter.current_rms > chatter.current_ripple
    assert ros["chatter"].currents.shape == (600, 2)
    assert "ripple i (share of limit)" in format_table(metrics)
