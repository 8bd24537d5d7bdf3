"""Stable-Baselines3 glue: a ``VecEnv`` adapter over gem's batched environment, presets, training.

Algorithms: DDPG, TD3, SAC, PPO (continuous actions) and DQN, PPO (switching converters).

Needs the ``rl`` extra (``pip install "gem-drives[rl]"``)::

    from gem.agents import train_ddpg
    result = train_ddpg("gem/Cont-CC-SeriesDc-v0", "runs/cc", seed=0)
    model = result.model                      # predict(obs, state, episode_start, deterministic)
"""

try:
    import stable_baselines3  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError("gem.agents needs Stable-Baselines3: pip install \"gem-drives[rl]\" "
                      "(install the CPU build of torch first, see the README)") from exc

from gem.agents.callbacks import VALIDATION_SEED, ProgressCallback, ValidationCallback
from gem.agents.presets import (
    ALGOS,
    BY_ID,
    CONTINUOUS_ALGOS,
    FINITE_ALGOS,
    HYPERPARAMETERS,
    PRESETS,
    SB3_HYPERPARAMETERS,
    AgentPreset,
    preset_for,
    with_hyperparameters,
)
from gem.agents.training import (
    ALGORITHM_CLASSES,
    TrainingResult,
    build_ddpg,
    build_model,
    load_agent,
    load_ddpg,
    make_training_env,
    train_agent,
    train_ddpg,
    training_spec,
)
from gem.agents.vec_env import SB3VecEnv

__all__ = ["ALGORITHM_CLASSES", "ALGOS", "BY_ID", "CONTINUOUS_ALGOS", "FINITE_ALGOS", "HYPERPARAMETERS", "PRESETS",
           "SB3_HYPERPARAMETERS", "VALIDATION_SEED", "AgentPreset", "ProgressCallback", "SB3VecEnv", "TrainingResult",
           "ValidationCallback", "build_ddpg", "build_model", "load_agent", "load_ddpg", "make_training_env",
           "preset_for", "train_agent", "train_ddpg", "training_spec", "with_hyperparameters"]
