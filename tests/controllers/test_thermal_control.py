"""The tuned PI cascades keep working with the thermal option on (a hot PMSM and PermExDc)."""

import gymnasium as gym
import numpy as np
import pytest
from controller_helpers import STEP_VALUES, step_metrics

import gem  # noqa: F401  (registers the gem/ ids)
import gem.controllers
from gem.envs import ConstReference

HOT = {"theta_initial": 140.0, "theta_ambient": 140.0, "theta_coolant": 140.0}
"""PMSM: r_s 47 % and psi_p 12 % off the (cold, 20 °C) values the cascade is tuned with."""


@pytest.mark.parametrize(("motor", "task", "steps", "hot", "winding"), [
    ("PMSM", "CC", 400, HOT, "theta_sw"), ("PMSM", "SC", 3000, HOT, "theta_sw"),
    ("PermExDc", "CC", 400, {"theta_initial": 140.0, "theta_ambient": 140.0}, "theta_w")])
def test_pi_cascade_tracks_a_hot_machine(motor, task, steps, hot, winding):
    values = STEP_VALUES[task][motor]
    env = gym.make(f"gem/Cont-{task}-{motor}-v0", thermal=hot, reference=[ConstReference(value=v) for v in values])
    base = env.unwrapped
    policy = gem.controllers.make(env)
    obs, _ = env.reset(seed=0)
    states = [base.physical_state]
    for k in range(steps):
        action, _ = policy.predict(obs, episode_start=(k == 0))
        obs, _, terminated, truncated, _ = env.step(action)
        states.append(base.physical_state)
        assert not (terminated or truncated)
    states = np.array(states)
    for name, ref, ss_error, overshoot in step_metrics(base, states, values):
        assert ss_error < 0.02, f"{name}: steady-state error {ss_error:.2%} of nominal (ref {ref:.3g})"
        assert overshoot < 0.10, f"{name}: overshoot {overshoot:.1%} (ref {ref:.3g})"
    assert states[-1, base.drive.index[winding]] > 140.0             # the copper loss heats the winding
