"""Score any ``predict`` policy on identical seeded reference episodes, and report the results.

::

    import gem.controllers
    from gem.evaluation import RandomPolicy, evaluate, format_table, resolve

    spec = resolve("gem/Cont-CC-SeriesDc-v0")
    policies = {"PI": gem.controllers.make, "random": lambda env: RandomPolicy(env.single_action_space)}
    metrics, rollouts = evaluate(policies, spec)
    print(format_table(metrics))
"""

from gem.evaluation.currents import control_effort, current_ripple, torque_current
from gem.evaluation.episodes import EnvSpec, resolve, unit_of
from gem.evaluation.metrics import EVAL_SEED, PolicyMetrics, evaluate, score
from gem.evaluation.policies import ConstantPolicy, Policy, RandomPolicy, build_policy
from gem.evaluation.report import format_table, write_csv, write_json
from gem.evaluation.rollout import Rollout, latency, rollout

__all__ = ["EVAL_SEED", "ConstantPolicy", "EnvSpec", "Policy", "PolicyMetrics", "RandomPolicy", "Rollout",
           "build_policy", "control_effort", "current_ripple", "evaluate", "format_table", "latency", "resolve",
           "rollout", "score", "torque_current", "unit_of", "write_csv", "write_json"]
