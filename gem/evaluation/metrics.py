"""Scores of a recorded rollout and the routine that evaluates several policies alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np

from gem.evaluation.currents import current_ripple, current_rms
from gem.evaluation.effort import ControlEffort, control_effort
from gem.evaluation.episodes import EnvSpec
from gem.evaluation.policies import PolicyLike
from gem.evaluation.rollout import Rollout, latency, rollout
from gem.evaluation.transient import SteadyTracking, steady_tracking

EVAL_SEED = 10_000
"""Default seed of the evaluation episodes (episode ``i``: environment seed ``EVAL_SEED + i``)."""


@dataclass(frozen=True)
class PolicyMetrics:
    """How well one policy tracked the references of the evaluation episodes.

    Errors pool every valid step of every episode. ``*_norm`` values are in units of the state's
    limit (the observation's normalisation), ``*_si`` values in the state's SI unit.

    Attributes:
        policy: Policy name.
        env_id: Environment id.
        reference_names: Controlled states.
        units: Their SI units.
        rmse_norm: Root-mean-square tracking error per controlled state (normalised).
        mae_norm: Mean absolute tracking error per controlled state (normalised).
        rmse_si: RMSE per controlled state (SI).
        mae_si: MAE per controlled state (SI).
        mean_episode_reward: Task reward summed over an episode, averaged over episodes.
        violation_episodes: Episodes with at least one step beyond a limit.
        violation_steps: Steps beyond a limit, all episodes together.
        current: The torque-producing current the next two scores are about.
        current_ripple: Its ripple, a share of its limit, averaged over the episodes
            (:func:`~gem.evaluation.currents.current_ripple`; NaN for episodes too short).
        current_ripple_max: The largest ripple of one episode.
        current_rms: Its RMS value, a share of its limit, averaged over the episodes (the copper
            losses grow with its square; :func:`~gem.evaluation.currents.current_rms`).
        episodes: Number of evaluation episodes.
        steps_per_episode: Control steps per episode.
        predict_us_batched: Wall time of ``predict`` per control step and environment, batched (µs).
        predict_us_single: Median wall time of one ``predict`` call on a single observation (µs).
        steady: Tracking errors after the initial transient (:mod:`gem.evaluation.transient`).
        effort: Control effort and switching frequency (:mod:`gem.evaluation.effort`; ``None`` if
            the rollout does not know its converter).
    """

    policy: str
    env_id: str
    reference_names: tuple[str, ...]
    units: tuple[str, ...]
    rmse_norm: dict[str, float]
    mae_norm: dict[str, float]
    rmse_si: dict[str, float]
    mae_si: dict[str, float]
    mean_episode_reward: float
    violation_episodes: int
    violation_steps: int
    current: str
    current_ripple: float
    current_ripple_max: float
    current_rms: float
    episodes: int
    steps_per_episode: int
    predict_us_batched: float
    predict_us_single: float
    steady: SteadyTracking
    effort: ControlEffort | None

    @property
    def rmse(self) -> float:
        """Normalised RMSE over whole episodes, averaged over the controlled states."""
        return float(np.mean(list(self.rmse_norm.values())))

    @property
    def steady_rmse(self) -> float:
        """Steady-tracking RMSE (after the initial transient), normalised, averaged over the states: the headline."""
        return self.steady.rmse

    def to_dict(self) -> dict:
        """JSON-ready dictionary."""
        out = asdict(self)
        out["reference_names"], out["units"] = list(self.reference_names), list(self.units)
        out["rmse"], out["steady_rmse"] = self.rmse, self.steady_rmse
        return out


def score(ro: Rollout, policy: str, env_id: str, single_seconds: float = float("nan")) -> PolicyMetrics:
    """Computes the :class:`PolicyMetrics` of a rollout.

    Args:
        ro: The recorded rollout.
        policy: Name shown in tables.
        env_id: Environment id.
        single_seconds: Single-observation latency (see :func:`gem.evaluation.rollout.latency`).
    """
    err_si = ro.states - ro.references
    err_norm = err_si / ro.limits[None]
    ok = ro.valid[..., None] & np.isfinite(err_si)
    rmse_n, mae_n, rmse_s, mae_s = {}, {}, {}, {}
    for j, name in enumerate(ro.reference_names):
        m = ok[..., j]
        en, es = err_norm[..., j][m], err_si[..., j][m]
        rmse_n[name] = float(np.sqrt(np.mean(en ** 2))) if en.size else float("nan")
        mae_n[name] = float(np.mean(np.abs(en))) if en.size else float("nan")
        rmse_s[name] = float(np.sqrt(np.mean(es ** 2))) if es.size else float("nan")
        mae_s[name] = float(np.mean(np.abs(es))) if es.size else float("nan")
    ripple = current_ripple(ro.currents, ro.current_limits, ro.tau)
    return PolicyMetrics(
        policy=policy, env_id=env_id, reference_names=ro.reference_names, units=ro.units,
        rmse_norm=rmse_n, mae_norm=mae_n, rmse_si=rmse_s, mae_si=mae_s,
        mean_episode_reward=float(np.mean(ro.rewards.sum(axis=0))),
        violation_episodes=int(np.sum(ro.violated.any(axis=0))),
        violation_steps=int(np.sum(ro.violated)),
        current=ro.current, current_ripple=_mean(ripple), current_ripple_max=_max(ripple),
        current_rms=_mean(current_rms(ro.currents, ro.current_limits)),
        episodes=ro.episodes, steps_per_episode=ro.steps,
        predict_us_batched=1e6 * ro.predict_seconds / (ro.steps * ro.episodes),
        predict_us_single=1e6 * single_seconds,
        steady=steady_tracking(ro),
        effort=None if ro.converter is None else control_effort(ro.actions, ro.valid, ro.converter, ro.tau,
                                                                ro.action_frame),
    )


def _mean(values: np.ndarray) -> float:
    """Mean of the finite values (NaN if there are none)."""
    finite = values[np.isfinite(values)]
    return float(np.mean(finite)) if finite.size else float("nan")


def _max(values: np.ndarray) -> float:
    """Largest finite value (NaN if there are none)."""
    finite = values[np.isfinite(values)]
    return float(np.max(finite)) if finite.size else float("nan")


def evaluate(policies: Mapping[str, PolicyLike], spec: EnvSpec, n_episodes: int = 10, seed: int = EVAL_SEED,
             steps: int | None = None, latency_steps: int = 200
             ) -> tuple[list[PolicyMetrics], dict[str, Rollout]]:
    """Evaluates each policy on the same seeded reference episodes.

    Args:
        policies: Name → policy or factory ``env -> policy`` (e.g. ``gem.controllers.make``).
        spec: The environment (see :func:`gem.evaluation.resolve`).
        n_episodes: Number of evaluation episodes.
        seed: Seed of the first episode.
        steps: Steps per episode (default: the id's episode length).
        latency_steps: Closed-loop steps timed with single observations (0: skip).

    Returns:
        The metrics in the order of ``policies`` and the rollouts by name.
    """
    metrics, rollouts = [], {}
    for name, policy in policies.items():
        ro = rollout(policy, spec, n_episodes=n_episodes, seed=seed, steps=steps)
        single = latency(policy, spec, steps=latency_steps, seed=seed) if latency_steps else float("nan")
        rollouts[name] = ro
        metrics.append(score(ro, name, spec.env_id, single))
    return metrics, rollouts
