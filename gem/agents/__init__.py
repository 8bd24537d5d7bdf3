"""Stable-Baselines3 glue: a ``VecEnv`` adapter over gem's batched environment and DDPG presets.

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
from gem.agents.presets import BY_ID, BY_TASK, HYPERPARAMETERS, DDPGPreset, preset_for, with_hyperparameters
from gem.agents.training import (
    TrainingResult,
    build_ddpg,
    load_ddpg,
    make_training_env,
    train_ddpg,
    training_spec,
)
from gem.agents.vec_env import SB3VecEnv

__all__ = ["BY_ID", "BY_TASK", "HYPERPARAMETERS", "VALIDATION_SEED", "DDPGPreset", "ProgressCallback",
           "SB3VecEnv", "TrainingResult", "ValidationCallback", "build_ddpg", "load_ddpg", "make_training_env",
           "preset_for", "train_ddpg", "training_spec", "with_hyperparameters"]
