"""SRM cascade: phase currents, motoring and braking torque from the conduction windows."""

import gymnasium as gym
import numpy as np
import pytest

import gem
import gem.controllers
from gem.envs import ConstReference

PHASES = ("i_a", "i_b", "i_c", "i_d")


def run(env_id, values, steps):
    """The cascade (NumPy step) with constant normalised references; physical states after each step."""
    env = gym.make(env_id, compiled=False, max_episode_steps=None, reference=[ConstReference(value=v) for v in values])
    policy = gem.controllers.make(env)
    base = env.unwrapped
    obs, _ = env.reset(seed=0)
    states = []
    for k in range(steps):
        action, _ = policy.predict(obs, episode_start=(k == 0))
        obs, _, terminated, _, _ = env.step(action)
        assert not terminated
        states.append(base.physical_state)
    return base, np.array(states)


def test_phase_current_references_are_tracked():
    values = [0.5, 0.2, 0.0, 0.3]
    base, states = run("gem/Cont-CC-SRM-v0", values, 600)
    for name, v in zip(PHASES, values, strict=True):
        got = states[-200:, base.drive.index[name]]
        ref = v * base.limits[base.drive.index[name]]
        assert np.all(got >= 0.0)
        assert abs(got.mean() - ref) < 0.02 * base.limits[base.drive.index[name]], name


@pytest.mark.parametrize("value", [0.3, -0.3])
def test_mean_torque_follows_the_reference_when_motoring_and_braking(value):
    """At the 100 rad/s of the torque task: the mean over the last 0.1 s within 5 % of the reference."""
    base, states = run("gem/Cont-TC-SRM-v0", [value], 2000)
    index = base.drive.index
    torque = states[1000:, index["torque"]]
    ref = value * base.limits[index["torque"]]
    assert torque.mean() == pytest.approx(ref, rel=0.05)
    currents = states[:, [index[n] for n in PHASES]]
    assert np.all(currents >= 0.0)
    # the phases conduct one after the other: mostly one phase carries current at a time
    assert np.mean(np.sum(currents > 0.1, axis=1) <= 2) > 0.95
