"""Shared helpers of the controller tests: closed-loop runs of a policy on gem environments."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

import gem  # noqa: F401  (registers the gem/ ids)
import gem.controllers
from gem.envs import ConstReference

MOTORS = ("PermExDc", "ExtExDc", "SeriesDc", "ShuntDc", "PMSM", "SynRM")

STEP_VALUES = {
    # normalised constant references per task and motor: (state name, value)
    "CC": {"PermExDc": [0.3], "ExtExDc": [0.3, 0.4], "SeriesDc": [0.3], "ShuntDc": [0.3],
           "PMSM": [-0.2, 0.3], "SynRM": [0.3, 0.3]},
    "SC": {"PermExDc": [0.5], "ExtExDc": [0.5], "SeriesDc": [0.5], "ShuntDc": [0.4],
           "PMSM": [0.5], "SynRM": [0.5]},
    # a shunt motor at the 100 rad/s of the torque tasks reaches only about 4 N m (0.1 of the limit)
    "TC": {"PermExDc": [0.3], "ExtExDc": [0.3], "SeriesDc": [0.3], "ShuntDc": [0.05],
           "PMSM": [0.3], "SynRM": [0.3]},
}


def step_response(env_id: str, values, steps: int, **tuning):
    """Runs ``make(env)`` on ``env_id`` with constant references ``values`` (normalised).

    The NumPy step runs (a compiled step per id would cost more to compile than these few steps
    take; tests/envs checks the compiled step against it).

    Returns:
        ``(base env, states (steps + 1, n_states) in SI, terminated flag)``.
    """
    env = gym.make(env_id, compiled=False, reference=[ConstReference(value=v) for v in values])
    base = env.unwrapped
    policy = gem.controllers.make(env, **tuning)
    obs, _ = env.reset(seed=0)
    states = [base.physical_state]
    terminated = False
    for k in range(steps):
        action, _ = policy.predict(obs, episode_start=(k == 0))
        obs, _, terminated, truncated, _ = env.step(action)
        states.append(base.physical_state)
        if terminated or truncated:
            break
    return base, np.array(states), terminated


def step_metrics(base, states, values, tail: float = 0.2):
    """Per referenced state: (reference, steady-state error / nominal, overshoot / |reference|)."""
    out = []
    nominal = base.drive.nominal(1)[0]
    for name, v in zip(base.reference_names, values, strict=True):
        j = base.drive.index[name]
        ref = v * base.limits[j]
        y = states[:, j]
        mean_tail = y[-max(int(len(y) * tail), 1):].mean()
        peak = np.max(y * np.sign(ref))
        out.append((name, ref, abs(mean_tail - ref) / nominal[j], max(peak - abs(ref), 0.0) / abs(ref)))
    return out


def switching_quantum(base) -> float:
    """Current change (A) of one switching period at full voltage: the ripple a switching converter
    cannot avoid (``u tau / L`` with the fastest winding; 2/3 u_sup for a B6 bridge)."""
    motor, u_sup = base.drive.motor, base.limits[base.drive.index["u_sup"]]
    if hasattr(motor, "l_d"):
        return 2.0 / 3.0 * u_sup * base.tau / min(motor.l_d, motor.l_q)
    inductance = motor.l_a + motor.l_e if type(motor).__name__ == "SeriesDc" else motor.l_a
    return u_sup * base.tau / inductance


def rollout(venv, policy, steps: int, seed: int = 0):
    """Runs a vector env under ``policy``; returns (actions, observations, terminations) per step."""
    obs, _ = venv.reset(seed=seed)
    start = np.ones(venv.num_envs, dtype=bool)
    actions, observations, terms = [], [obs], []
    for _ in range(steps):
        action, _ = policy.predict(obs, episode_start=start)
        obs, _, terminated, truncated, _ = venv.step(action)
        start = terminated | truncated
        actions.append(np.array(action))
        observations.append(obs)
        terms.append(terminated)
    return np.array(actions), np.array(observations), np.array(terms)
