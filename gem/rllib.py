"""gem environments in RLlib (Ray's RL library, the ``ray`` extra), and RLlib policies in gem's evaluation.

::

    from gem.rllib import RLlibPolicy, rllib_config
    algo = rllib_config("gem/Cont-CC-SeriesDc-v0", "PPO", num_envs_per_env_runner=8).build_algo()
    for _ in range(20):
        algo.train()
    policy = RLlibPolicy(algo)             # predict() like an SB3 model: gem.evaluation.evaluate takes it

**Vectorisation.** RLlib's ``SingleAgentEnvRunner`` (Ray 2.60) steps a Gymnasium vector
environment and reads an episode's end in the step that ends it, then takes the *next* step's
observation as the new episode's first one: Gymnasium's ``NEXT_STEP`` autoreset. gem's vector
environment resets finished environments within the step that ends them (``SAME_STEP``, its
``metadata["autoreset_mode"]``), so under RLlib each episode would end on the next episode's
first observation and lose a step. :func:`rllib_config` therefore lets RLlib vectorise gem's
single environments (``gym_env_vectorize_mode="sync"``, ``num_envs_per_env_runner`` of them per
runner), which is correct; :func:`native_vector_env_supported` says whether the installed
RLlib could take gem's own vector environment instead, and :func:`rllib_config` uses it then.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces

from gem.extras import require

ALGORITHMS = ("PPO", "SAC")
"""The RLlib algorithms :func:`rllib_config` configures."""


def _require_rllib() -> Any:
    return require("ray.rllib", "gem.rllib", "ray")


def make_env(env_id: str, config: Mapping[str, Any] | None = None) -> Any:
    """The single gem environment ``env_id`` with the task arguments ``config`` (RLlib's env creator)."""
    import gymnasium as gym

    import gem  # noqa: F401 - registers the ids in RLlib's worker processes

    return gym.make(env_id, **{k: v for k, v in dict(config or {}).items() if k != "num_envs"})


def native_vector_env_supported() -> bool:
    """Whether the installed RLlib's env runner handles ``SAME_STEP`` autoreset (gem's vector environment).

    Ray 2.60's runner does not (it never reads the vector environment's autoreset mode); a later
    RLlib that does will name ``SAME_STEP`` in its env runner.
    """
    import inspect

    _require_rllib()
    from ray.rllib.env import single_agent_env_runner

    return "SAME_STEP" in inspect.getsource(single_agent_env_runner)


def rllib_config(env_id: str, algo: str = "PPO", *, env_kwargs: Mapping[str, Any] | None = None,
                 num_env_runners: int = 0, num_envs_per_env_runner: int = 1, seed: int | None = 0) -> Any:
    """An RLlib ``AlgorithmConfig`` (new API stack, torch) training on the gem id ``env_id``.

    Args:
        env_id: A gem id (``SAC`` needs a ``Cont`` id).
        algo: One of :data:`ALGORITHMS`.
        env_kwargs: Task arguments (see :func:`gem.make_task`).
        num_env_runners: Remote env runners (0: sample in the learner's process).
        num_envs_per_env_runner: gem environments per runner.
        seed: Seed of RLlib's networks and sampling (``None``: unseeded).

    Returns:
        The config; adjust training settings on it (``.training(...)``) and ``.build_algo()``.

    Raises:
        ValueError: For an unknown algorithm, or SAC on a switching (``Finite``) id.
    """
    _require_rllib()
    from ray.tune.registry import register_env

    if algo not in ALGORITHMS:
        raise ValueError(f"algo must be one of {ALGORITHMS}, got {algo!r}")
    probe = make_env(env_id, env_kwargs)
    discrete = not isinstance(probe.action_space, spaces.Box)
    probe.close()
    if algo == "SAC" and discrete:
        raise ValueError(f"SAC needs continuous actions; {env_id} switches (use the Cont- id or PPO)")
    if num_env_runners < 0 or num_envs_per_env_runner < 1:
        raise ValueError(f"num_env_runners must be >= 0 and num_envs_per_env_runner >= 1, got "
                         f"{num_env_runners} and {num_envs_per_env_runner}")
    register_env(env_id, functools.partial(_creator, env_id))
    if algo == "PPO":
        from ray.rllib.algorithms.ppo import PPOConfig as Config
    else:
        from ray.rllib.algorithms.sac import SACConfig as Config
    mode = "vector_entry_point" if native_vector_env_supported() else "sync"
    return (Config().environment(env_id, env_config=dict(env_kwargs or {}))
            .env_runners(num_env_runners=num_env_runners, num_envs_per_env_runner=num_envs_per_env_runner,
                         gym_env_vectorize_mode=mode)
            .framework("torch").debugging(seed=seed))


def _creator(env_id: str, context: Mapping[str, Any]) -> Any:
    if "num_envs" in context:         # RLlib's vector entry point: gem's own vector environment
        import gymnasium as gym

        import gem  # noqa: F401

        kwargs = {k: v for k, v in dict(context).items() if k != "num_envs"}
        return gym.make_vec(env_id, num_envs=int(context["num_envs"]), vectorization_mode="vector_entry_point",
                            **kwargs)
    return make_env(env_id, context)


class RLlibPolicy:
    """An RLlib policy behind gem's policy interface (``predict`` as in Stable-Baselines3).

    Deterministic actions are the mode of the module's action distribution; continuous actions
    are mapped from [-1, 1] to the action space's bounds as RLlib's env runners do when
    ``normalize_actions`` is on (RLlib's default).

    Args:
        source: A trained ``Algorithm`` (its default module is used) or an ``RLModule``.
        action_space: The single environment's action space (default: the module's).
        normalize_actions: Whether the module's actions are normalised to [-1, 1] (default: the
            algorithm's setting, else ``True``).
    """

    def __init__(self, source: Any, action_space: spaces.Space | None = None, normalize_actions: bool | None = None):
        module = source.get_module() if hasattr(source, "get_module") else source
        config = getattr(source, "config", None)
        self.module = module
        self.action_space = action_space if action_space is not None else module.action_space
        if normalize_actions is None:
            normalize_actions = bool(getattr(config, "normalize_actions", True))
        self.normalize_actions = normalize_actions
        self.dist_cls = module.get_inference_action_dist_cls()

    def predict(self, observation: np.ndarray, state: Any = None, episode_start: np.ndarray | None = None,
                deterministic: bool = True) -> tuple[np.ndarray, Any]:
        """Action(s) for observation(s) ``(n_obs,)`` or ``(batch, n_obs)``."""
        import torch

        obs = np.asarray(observation, dtype=np.float32)
        single = obs.ndim == 1
        with torch.no_grad():
            out = self.module.forward_inference({"obs": torch.from_numpy(obs[None] if single else obs)})
            if "actions" in out:
                action = out["actions"]
            else:
                dist = self.dist_cls.from_logits(out["action_dist_inputs"])
                action = (dist.to_deterministic() if deterministic else dist).sample()
        action = action.cpu().numpy()
        space = self.action_space
        if isinstance(space, spaces.Box):
            if self.normalize_actions:
                action = space.low + (np.clip(action, -1.0, 1.0) + 1.0) * (space.high - space.low) / 2.0
            action = np.clip(action, space.low, space.high).astype(space.dtype)
        return (action[0] if single else action), state
