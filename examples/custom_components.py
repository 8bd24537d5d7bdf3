"""Your own converter, reward and constraint, and randomised motor parameters, all on the compiled step.

A component runs compiled because it provides its *column functions*: plain arithmetic that the
NumPy step calls on arrays and the compiled kernel calls per environment. This script builds:

* a four-quadrant converter with a minimum pulse width (its duty-cycle function replaced),
* a squared-error reward (its ``reward_columns`` replaced),
* a constraint that ends the episode at 90 % of the current limit (its ``violated_columns``),
* domain randomisation of the armature resistance and inductance,

checks that the compiled step gives the NumPy step's numbers and prints both speeds.

    python examples/custom_components.py [--num-envs 256] [--steps 2000]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

import gem
from gem.envs import LimitConstraint, LogUniform, Uniform, WeightedSumOfErrors
from gem.physical_systems import FOUR_QUADRANT, ContinuousConverter
from gem.physical_systems.converters import duty_cycle


# --8<-- [converter]
def min_pulse_duty(action, low, high, gain, bias):
    """Duty cycle of one leg, kept within [5 %, 95 %]: no pulse shorter than 5 % of the period."""
    return np.minimum(np.maximum(duty_cycle(action, low, high, gain, bias), 0.05), 0.95)


@dataclass(frozen=True, eq=False)
class MinPulseConverter(ContinuousConverter):
    """A continuous converter whose legs have a minimum pulse width."""

    column_functions: ClassVar = {**ContinuousConverter.column_functions, "duty": min_pulse_duty}
# --8<-- [converter]


# --8<-- [reward]
@dataclass(frozen=True)
class SquaredError(WeightedSumOfErrors):
    """``-sum_i w_i ((s_i - s*_i) / l_i)²``; the violation reward is the parent's."""

    def reward_columns(self, states, references, violated):
        total = 0.0
        for k in range(len(self.weights)):
            e = (states[k] - references[k]) / self.widths[k]
            total = total + self.weights[k] * e * e
        return np.where(violated, self.penalty, -total)
# --8<-- [reward]


# --8<-- [constraint]
@dataclass(frozen=True)
class Band(LimitConstraint):
    """Violated when a named state leaves ``±band`` of its limit."""

    band: float = 0.9

    def violated_columns(self, cols):
        out = False
        for c in cols:
            out = np.logical_or(out, np.abs(c) > self.band)
        return out
# --8<-- [constraint]


def make(num_envs: int, compiled: bool) -> gem.GemVectorEnv:
    """The current-controlled permanently excited DC motor with all of the above."""
    # --8<-- [make]
    return gem.make_vec_env(
        num_envs=num_envs, motor="PermExDc", task="CC", max_episode_steps=500, compiled=compiled,
        converter=MinPulseConverter(FOUR_QUADRANT),
        reward=SquaredError,                                  # a class: built for the task's references
        constraints=(Band(("i",), band=0.9),),
        randomize={"r_a": Uniform(12e-3, 20e-3), "l_a": LogUniform(15e-6, 25e-6)},   # new values every episode
    )
    # --8<-- [make]


def rate(env: gem.GemVectorEnv, steps: int) -> float:
    """Env-steps per second of random actions (after one warm-up step)."""
    actions = np.random.default_rng(0).uniform(-1, 1, (64, *env.action_space.shape)).astype(np.float32)
    env.reset(seed=0)
    env.step(actions[0])
    t0 = time.perf_counter()
    for k in range(steps):
        env.step(actions[k % 64])
    return steps * env.num_envs / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-envs", type=int, default=256)
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args()
    fast, slow = make(args.num_envs, True), make(args.num_envs, False)
    o1, _ = fast.reset(seed=1)
    o2, _ = slow.reset(seed=1)
    rng = np.random.default_rng(1)
    for _ in range(200):
        a = rng.uniform(-1, 1, fast.action_space.shape).astype(np.float32)
        (o1, r1, *_), (o2, r2, *_) = fast.step(a), slow.step(a)
    np.testing.assert_allclose(o1, o2, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(r1, r2, rtol=1e-9, atol=1e-12)
    print(f"compiled: {fast.compiled}; compiled and NumPy steps agree over 200 steps")
    print(f"r_a of the first environments this episode: {np.round(fast.drive.motor.r_a[:4] * 1e3, 3)} mΩ")
    print(f"compiled step: {rate(fast, args.steps):,.0f} env-steps/s; "
          f"NumPy step: {rate(slow, max(args.steps // 20, 10)):,.0f} env-steps/s ({args.num_envs} environments)")


if __name__ == "__main__":
    main()
