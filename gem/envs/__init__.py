"""Gymnasium environments of electric drives."""

from gem.envs.constraints import LimitConstraint, SquaredConstraint
from gem.envs.kernel import PerformanceWarning
from gem.envs.randomization import LogUniform, Normal, Uniform
from gem.envs.references import (
    ConstReference,
    PeriodicReference,
    ReferenceGenerator,
    SwitchedReference,
    WienerReference,
    default_mix,
)
from gem.envs.registration import MOTORS, env_ids, make_env, make_task, make_vec_env, register_all
from gem.envs.rewards import WeightedSumOfErrors
from gem.envs.scurve import SCurveReference
from gem.envs.single_env import GemEnv
from gem.envs.task import DriveTask
from gem.envs.vector_env import GemVectorEnv

__all__ = [
    "MOTORS", "ConstReference", "DriveTask", "GemEnv", "GemVectorEnv", "LimitConstraint", "LogUniform",
    "Normal", "PerformanceWarning", "PeriodicReference", "ReferenceGenerator", "SCurveReference", "SquaredConstraint",
    "SwitchedReference", "Uniform", "WeightedSumOfErrors", "WienerReference", "default_mix", "env_ids",
    "make_env", "make_task", "make_vec_env", "register_all",
]
