"""Score any ``predict`` policy on identical seeded reference episodes, and report the results.

::

    import gem.controllers
    from gem.evaluation import RandomPolicy, evaluate, format_table, resolve

    spec = resolve("gem/Cont-CC-SeriesDc-v0")
    policies = {"PI": gem.controllers.make, "random": lambda env: RandomPolicy(env.single_action_space)}
    metrics, rollouts = evaluate(policies, spec)
    print(format_table(metrics))
"""

from gem.evaluation.currents import current_ripple, current_rms, torque_current
from gem.evaluation.effort import ControlEffort, commanded_voltages, control_effort
from gem.evaluation.episodes import EnvSpec, resolve, unit_of
from gem.evaluation.metrics import EVAL_SEED, PolicyMetrics, evaluate, score
from gem.evaluation.policies import ConstantPolicy, Policy, RandomPolicy, build_policy
from gem.evaluation.report import format_table, write_csv, write_json
from gem.evaluation.rollout import Rollout, latency, rollout
from gem.evaluation.steps import StepFigures, rollout_steps, step_response
from gem.evaluation.transient import REACH_BAND, SteadyTracking, reach_steps, steady_tracking

__all__ = ["EVAL_SEED", "REACH_BAND", "ConstantPolicy", "ControlEffort", "EnvSpec", "Policy", "PolicyMetrics",
           "RandomPolicy", "Rollout", "SteadyTracking", "StepFigures", "build_policy", "commanded_voltages",
           "control_effort", "current_ripple", "current_rms", "evaluate", "format_table", "latency", "reach_steps",
           "resolve", "rollout", "rollout_steps", "score", "steady_tracking", "step_response", "torque_current",
           "unit_of", "write_csv", "write_json"]
