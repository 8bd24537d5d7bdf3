"""The policy interface every evaluated controller answers, and two reference policies.

A policy is anything with Stable-Baselines3's ``predict(obs, state=None, episode_start=None,
deterministic=True) -> (action, state)``: a trained SB3 model, gem's PI cascade
(``gem.controllers.make(env)``), or the policies below. Because some policies are built for one
environment (the PI cascade reads the drive's parameters and batch size), the evaluation routine
accepts a *factory* ``env -> policy`` as well as a ready policy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np
from gymnasium import spaces


@runtime_checkable
class Policy(Protocol):
    """Stable-Baselines3's prediction interface."""

    def predict(self, observation: np.ndarray, state: Any = None, episode_start: np.ndarray | None = None,
                deterministic: bool = True) -> tuple[np.ndarray, Any]:
        """Action(s) for observation(s) ``(n_obs,)`` or ``(batch, n_obs)``."""
        ...


PolicyFactory = Callable[[Any], Policy]
PolicyLike = Policy | PolicyFactory


def build_policy(policy: PolicyLike, env: Any) -> Policy:
    """Returns ``policy`` itself, or ``policy(env)`` when it is a factory."""
    if hasattr(policy, "predict"):
        return policy  # type: ignore[return-value]
    if callable(policy):
        built = policy(env)
        if not hasattr(built, "predict"):
            raise TypeError(f"policy factory returned {type(built).__name__}, which has no predict()")
        return built
    raise TypeError(f"{type(policy).__name__} is neither a policy (with predict) nor a factory env -> policy")


class RandomPolicy:
    """Uniformly random actions from ``action_space``, reproducible from ``seed``.

    Args:
        action_space: The single environment's action space.
        seed: Seed of the policy's own generator.
    """

    def __init__(self, action_space: spaces.Space, seed: int | None = 0):
        self.action_space = action_space
        self.rng = np.random.default_rng(seed)

    def predict(self, observation: np.ndarray, state: Any = None, episode_start: np.ndarray | None = None,
                deterministic: bool = True) -> tuple[np.ndarray, Any]:
        """Random action(s); ``deterministic`` is ignored (the stream is seeded)."""
        obs = np.asarray(observation)
        batch = None if obs.ndim == 1 else obs.shape[0]
        shape = () if batch is None else (batch,)
        space = self.action_space
        if isinstance(space, spaces.Box):
            low, high = space.low.astype(np.float64), space.high.astype(np.float64)
            act = self.rng.uniform(low, high, size=shape + space.shape).astype(space.dtype)
        elif isinstance(space, spaces.Discrete):
            act = self.rng.integers(space.start, space.start + space.n, size=shape)
        elif isinstance(space, spaces.MultiDiscrete):
            act = self.rng.integers(0, space.nvec, size=shape + space.nvec.shape)
        else:
            raise TypeError(f"RandomPolicy does not support {space}")
        return act, state


class ConstantPolicy:
    """Always the same action (useful as a known baseline in tests and sanity checks).

    Args:
        action: The action of a single environment.
    """

    def __init__(self, action: np.ndarray | float):
        self.action = np.asarray(action)

    def predict(self, observation: np.ndarray, state: Any = None, episode_start: np.ndarray | None = None,
                deterministic: bool = True) -> tuple[np.ndarray, Any]:
        """The constant action, batched like ``observation``."""
        obs = np.asarray(observation)
        if obs.ndim == 1:
            return self.action.copy(), state
        return np.broadcast_to(self.action, (obs.shape[0], *self.action.shape)).copy(), state
