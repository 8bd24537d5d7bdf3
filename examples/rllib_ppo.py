"""PPO from RLlib on a gem id, scored against the PI cascade on the same seeded episodes.

Needs the ``ray`` extra (``pip install "gem-drives[ray]"``). ``--iterations`` sets the training
budget (``GEM_SMALL_BUDGET=1``: one small iteration, as the tests run it)::

    python examples/rllib_ppo.py --iterations 40
"""

import argparse
import importlib.util
import os
import sys

if importlib.util.find_spec("ray") is None:
    print('this example needs RLlib: pip install "gem-drives[ray]" (skipped)')
    sys.exit(0)

import gem.controllers
from gem.evaluation import evaluate, format_table, resolve
from gem.rllib import RLlibPolicy, rllib_config

ENV_ID = "gem/Cont-CC-SeriesDc-v0"

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--iterations", type=int, default=40)
parser.add_argument("--env", default=ENV_ID)
args = parser.parse_args()
small = os.environ.get("GEM_SMALL_BUDGET") == "1"

config = rllib_config(args.env, "PPO", num_envs_per_env_runner=8, seed=0).training(
    train_batch_size_per_learner=256 if small else 4000, minibatch_size=64 if small else 256,
    num_epochs=1 if small else 10, gamma=0.5, lr=3e-4)
algo = config.build_algo()
for k in range(1 if small else args.iterations):
    result = algo.train()
    ret = result["env_runners"].get("episode_return_mean", float("nan"))
    print(f"iteration {k + 1}: mean episode return {ret:.1f}")
metrics, _ = evaluate({"PPO (RLlib)": RLlibPolicy(algo), "PI cascade": gem.controllers.make}, resolve(args.env),
                      n_episodes=2 if small else 10, steps=200 if small else None, latency_steps=0)
print(format_table(metrics))
algo.stop()
