"""DDPG against the PI cascade in a few lines of the Python API (the CLI is ``python -m gem.compare``).

Trains DDPG with the task's preset on the series DC motor's current control, then scores the best
checkpoint, the PI cascade and a random policy on the same seeded evaluation episodes.

Run with ``python examples/ddpg_vs_pi.py [--timesteps N] [--out DIR]`` (about 1.5 minutes with the
preset's budget on one CPU core, like ``python -m gem.compare``).
"""

import argparse

import gem.controllers
from gem.agents import load_ddpg, train_ddpg
from gem.evaluation import RandomPolicy, evaluate, format_table
from gem.evaluation.plots import plot_trajectories

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--env", default="gem/Cont-CC-SeriesDc-v0")
parser.add_argument("--timesteps", type=int, default=None, help="default: the preset's budget")
parser.add_argument("--out", default="runs/ddpg_vs_pi")
parser.add_argument("--eval-episodes", type=int, default=10)
args = parser.parse_args()

# 1. Train: the preset sets networks, noise, learning rate, discount, buffer and batch sizes.
result = train_ddpg(args.env, args.out, timesteps=args.timesteps, seed=0, baseline=gem.controllers.make)
print(f"trained {result.timesteps} steps in {result.seconds:.0f} s; best checkpoint at {result.best_timesteps}")

# 2. Evaluate: a policy, or a factory env -> policy (the PI cascade reads the drive's parameters).
policies = {
    "DDPG": load_ddpg(result.best_model_path),
    "PI cascade": gem.controllers.make,
    "random": lambda env: RandomPolicy(env.single_action_space, seed=0),
}
metrics, rollouts = evaluate(policies, result.spec, n_episodes=args.eval_episodes)
print(format_table(metrics))

# 3. Plot one evaluation episode.
shown = {name: rollouts[name] for name in ("DDPG", "PI cascade")}
print("figure:", plot_trajectories(shown, f"{args.out}/trajectories.png", title=args.env, zoom=0.02))
