"""Run a policy on seeded reference episodes and record what it did.

Every policy evaluated with the same ``(spec, n_episodes, seed)`` sees exactly the same reference
trajectories: episode ``i`` is environment ``i`` of a batch reset with seed ``seed + i``, references
do not depend on the actions, and episodes never end early (limits are monitored, not enforced;
see :meth:`EnvSpec.evaluation_env`). A numerically exploding state is the only early end; that
episode counts as violating and its remaining steps are excluded.

Timing convention: the reference in the observation at step ``k`` is the target of the state
reached after step ``k``; the tracking error of step ``k`` compares the two, like the reward.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from gem.evaluation.currents import torque_current
from gem.evaluation.episodes import EnvSpec, unit_of
from gem.evaluation.policies import PolicyLike, build_policy
from gem.physical_systems.converters import Converter


@dataclass
class Rollout:
    """Recorded evaluation episodes of one policy (``T`` steps, ``n`` episodes, ``k`` references).

    Attributes:
        reference_names: Referenced (controlled) state names.
        units: SI unit per referenced state.
        tau: Control period (s).
        limits: ``(n, k)`` normalisers of the referenced states (SI).
        references: ``(T, n, k)`` references in SI units.
        states: ``(T, n, k)`` referenced states after each step (SI; NaN after a numerical failure).
        actions: ``(T, n, n_act)`` actions applied.
        rewards: ``(T, n)`` rewards of the task (no violation penalty: limits are not enforced).
        violated: ``(T, n)`` the step ended beyond a limit of the task's constraints.
        valid: ``(T, n)`` the step belongs to the episode (false after a numerical failure).
        predict_seconds: Wall time spent in ``predict`` for the whole batch.
        current: Name of the torque-producing current (:func:`~gem.evaluation.currents.torque_current`).
        currents: ``(T, n)`` that current after each step (A; NaN after a numerical failure).
        current_limits: ``(n,)`` its limit (A).
        converter: The drive's converter (for control effort and switching frequency).
        action_frame: ``"abc"`` (converter actions) or ``"dq"`` (rotor-frame voltage actions).
    """

    reference_names: tuple[str, ...]
    units: tuple[str, ...]
    tau: float
    limits: np.ndarray
    references: np.ndarray
    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    violated: np.ndarray
    valid: np.ndarray
    predict_seconds: float
    current: str
    currents: np.ndarray
    current_limits: np.ndarray
    converter: Converter | None = None
    action_frame: str = "abc"

    @property
    def steps(self) -> int:
        """Steps per episode."""
        return int(self.references.shape[0])

    @property
    def episodes(self) -> int:
        """Number of episodes."""
        return int(self.references.shape[1])

    @property
    def time(self) -> np.ndarray:
        """``(T,)`` time at the end of each step (s)."""
        return self.tau * np.arange(1, self.steps + 1)


def rollout(policy: PolicyLike, spec: EnvSpec, n_episodes: int = 10, seed: int = 0,
            steps: int | None = None) -> Rollout:
    """Runs ``policy`` deterministically on ``n_episodes`` seeded episodes in one batch.

    Args:
        policy: A policy with ``predict``, or a factory ``env -> policy`` (called with the batched
            evaluation environment).
        spec: The environment (see :func:`gem.evaluation.resolve`).
        n_episodes: Number of episodes (= batch size).
        seed: Episode ``i`` uses the environment seed ``seed + i``.
        steps: Steps per episode (default: the spec's episode length).

    Returns:
        The recorded :class:`Rollout`.
    """
    if int(n_episodes) != n_episodes or n_episodes < 1:
        raise ValueError(f"n_episodes must be an integer >= 1, got {n_episodes!r}")
    steps = steps or spec.max_episode_steps
    if steps is None:
        raise ValueError(f"{spec.env_id} has no episode length; pass steps=")
    env, task = spec.evaluation_env(int(n_episodes))
    pol = build_policy(policy, env)
    n, k = env.num_envs, len(env.reference_names)
    cols = np.array([env.drive.index[r] for r in env.reference_names])
    current = torque_current(env.drive.state_names, env.drive.motor.controlled_currents)
    col_i = env.drive.index[current]
    obs, _ = env.reset(seed=int(seed))
    limits = env.limits
    n_act = int(np.prod(env.single_action_space.shape)) or 1
    refs, states, currents = np.empty((steps, n, k)), np.full((steps, n, k), np.nan), np.full((steps, n), np.nan)
    actions, rewards = np.empty((steps, n, n_act)), np.zeros((steps, n))
    violated, valid = np.zeros((steps, n), bool), np.zeros((steps, n), bool)
    alive = np.ones(n, bool)
    episode_start = np.ones(n, bool)
    state = None
    spent = 0.0
    for t in range(steps):
        refs[t] = env.references
        tic = time.perf_counter()
        action, state = pol.predict(obs, state=state, episode_start=episode_start, deterministic=True)
        spent += time.perf_counter() - tic
        episode_start = np.zeros(n, bool)
        obs, reward, terminated, _, info = env.step(action)
        actions[t] = np.asarray(action, float).reshape(n, n_act)
        norm = env.physical_state / limits
        bad = np.asarray(info.get("nonfinite_state", np.zeros(n, bool)), bool)
        over = np.zeros(n, bool)
        for c in task.constraints:
            over |= c.violated(norm, env.drive.index)
        valid[t] = alive
        violated[t] = alive & (over | bad)
        ok = alive & ~bad
        states[t][ok] = env.physical_state[ok][:, cols]
        currents[t][ok] = env.physical_state[ok, col_i]
        rewards[t] = np.where(alive, reward, 0.0)
        alive &= ~(bad | terminated)
    return Rollout(tuple(env.reference_names), tuple(unit_of(r) for r in env.reference_names), env.tau,
                   limits[:, cols], refs, states, actions, rewards, violated, valid, spent,
                   current=current, currents=currents, current_limits=limits[:, col_i], converter=env.drive.converter,
                   action_frame=task.action_frame)


def latency(policy: PolicyLike, spec: EnvSpec, steps: int = 200, seed: int = 0) -> float:
    """Median wall time (s) of one ``predict`` call on a single observation, in closed loop.

    Args:
        policy: A policy or a factory (called with a one-environment evaluation environment).
        spec: The environment.
        steps: Number of timed control steps.
        seed: Environment seed.
    """
    env, _ = spec.evaluation_env(1)
    pol = build_policy(policy, env)
    obs, _ = env.reset(seed=int(seed))
    times = np.empty(steps)
    state, start = None, np.ones(1, bool)
    for t in range(steps):
        tic = time.perf_counter()
        action, state = pol.predict(obs[0], state=state, episode_start=start, deterministic=True)
        times[t] = time.perf_counter() - tic
        start = np.zeros(1, bool)
        obs, *_ = env.step(np.asarray(action)[None])
    return float(np.median(times))
