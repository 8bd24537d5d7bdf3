"""Replays of gym-electric-motor recordings (tests/data/gem/) through gem's public contract."""

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import gem  # noqa: F401  (registers the gem/ ids)
from gem.physical_systems import ConstantSpeedLoad, PolynomialStaticLoad

DATA = Path(__file__).parents[1] / "data" / "gem"
DC_RECORDINGS = ["series_cc_const_speed", "extex_cc_const_speed", "permex_sc_poly_load"]
MACHINE_TRUTHS = [f"{m}_{s}_truth" for m in ("scim", "dfim", "eesm", "sixpmsm")
                  for s in ("cc_const_speed", "sc_poly_load")]
"""The physically right re-integrations (see tests/data/gem/README.md): GEM's own numerics are off for
DFIM, EESM and the six-phase PMSM, and report SCIM's flux-frame currents with the previous step's angle."""
TOLERANCE = 0.005           # every state within 0.5 % of its largest absolute value over the run


def load_recording(name):
    with np.load(DATA / f"{name}.npz") as d:
        rec = {k: d[k] for k in d.files}
    for key in ("motor_params", "load", "initial_state"):
        rec[key] = json.loads(str(rec[key]))
    for key in ("env_id", "note"):
        rec[key] = str(rec[key])
    rec["tau"], rec["u_sup"] = float(rec["tau"]), float(rec["u_sup"])
    rec["state_names"] = tuple(str(s) for s in rec["state_names"])
    return rec


def make_load(spec):
    spec = dict(spec)
    kind = spec.pop("type")
    if kind == "constant_speed":
        return ConstantSpeedLoad(**spec)
    if kind == "polynomial":
        return PolynomialStaticLoad(**spec)
    raise ValueError(f"unknown load type {kind!r} in recording")


def env_kwargs(rec):
    return dict(motor_params=rec["motor_params"], load=make_load(rec["load"]), u_sup=rec["u_sup"],
                tau=rec["tau"], constraints=())


def replay_single(rec, actions, **kw):
    env = gym.make("gem/" + rec["env_id"], max_episode_steps=len(actions) + 1, **env_kwargs(rec), **kw)
    env.reset(seed=0, options={"initial_state": rec["initial_state"]})
    assert env.unwrapped.state_names == rec["state_names"]
    states = [env.unwrapped.physical_state]
    for a in actions:
        _, _, terminated, truncated, _ = env.step(a.astype(np.float32))
        assert not (terminated or truncated)
        states.append(env.unwrapped.physical_state)
    env.close()
    return np.array(states)


def assert_matches_recording(states, rec):
    ref = rec["states"]
    assert states.shape == ref.shape
    scale = np.max(np.abs(ref), axis=0)
    err = np.max(np.abs(states - ref), axis=0)
    for name, e, s in zip(rec["state_names"], err, scale, strict=True):
        assert e <= TOLERANCE * s + 1e-12, f"{rec['env_id']}: {name} deviates by {e:.4g} (scale {s:.4g})"


@pytest.mark.parametrize("compiled", [True, False], ids=["default-step", "numpy-step"])
@pytest.mark.parametrize("name", DC_RECORDINGS)
def test_replay_single_env(name, compiled):
    rec = load_recording(name)
    states = replay_single(rec, rec["actions"], compiled=compiled)
    assert_matches_recording(states, rec)


def test_recording_exercises_the_dynamics():
    """Sanity of the data itself: currents and (for speed control) the speed really move."""
    rec = load_recording("permex_sc_poly_load")
    omega = rec["states"][:, rec["state_names"].index("omega")]
    assert omega[-1] > 100.0
    rec = load_recording("extex_cc_const_speed")
    assert np.ptp(rec["states"][:, rec["state_names"].index("i_e")]) > 50.0


@pytest.mark.parametrize("name", ["series_cc_const_speed", "extex_cc_const_speed"])
def test_replay_vector_env_equals_single_env(name):
    """Env 0 replays the recording, env 1 a scaled copy of the actions; both equal single-env runs."""
    rec = load_recording(name)
    actions = rec["actions"][:1000]
    scaled = -0.5 * actions
    venv = gym.make_vec("gem/" + rec["env_id"], num_envs=2, vectorization_mode="vector_entry_point",
                        **env_kwargs(rec))
    venv.reset(seed=0, options={"initial_state": rec["initial_state"]})
    assert venv.unwrapped.state_names == rec["state_names"]
    states = [venv.unwrapped.physical_state]
    for a, b in zip(actions, scaled, strict=True):
        _, _, terminated, truncated, _ = venv.step(np.stack([a, b]).astype(np.float32))
        assert not np.any(terminated | truncated)
        states.append(venv.unwrapped.physical_state)
    venv.close()
    states = np.array(states)
    assert states.shape == (len(actions) + 1, 2, len(rec["state_names"]))
    single_0 = replay_single(rec, actions)
    single_1 = replay_single(rec, scaled)
    np.testing.assert_allclose(states[:, 0], single_0, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(states[:, 1], single_1, rtol=1e-12, atol=1e-12)
    assert not np.allclose(states[:, 0], states[:, 1])
    short = dict(rec, states=rec["states"][: len(actions) + 1])
    assert_matches_recording(states[:, 0], short)


@pytest.mark.parametrize("name", MACHINE_TRUTHS)
def test_replay_of_the_truth_files(name):
    """Every state the truth reports (its voltages are NaN: a convention) within 0.5 % of its largest value."""
    rec = load_recording(name)
    states = replay_single(rec, rec["actions"], compiled=False)      # the motor's own equations; tests/envs
    ref = rec["states"]                                               # checks the compiled step against them
    err = states - ref
    eps = rec["state_names"].index("epsilon")
    err[:, eps] = (err[:, eps] + np.pi) % (2 * np.pi) - np.pi          # the angle modulo 2π
    compared = ~np.isnan(ref).any(axis=0)
    assert {n for n, c in zip(rec["state_names"], compared, strict=True) if not c} == \
        {n for n in rec["state_names"] if n.startswith("u_") and n != "u_sup"}
    scale = np.max(np.abs(ref[:, compared]), axis=0)
    worst = np.max(np.abs(err[:, compared]), axis=0)
    for n, e, s in zip(np.array(rec["state_names"])[compared], worst, scale, strict=True):
        assert e <= TOLERANCE * s + 1e-12, f"{name}: {n} deviates by {e:.4g} (scale {s:.4g})"
    assert np.max(worst / np.maximum(scale, 1e-300)) < 1e-4        # fixed-step RK4 at tau: far better
