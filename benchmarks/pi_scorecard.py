"""Scorecard of the PI cascade (``gem.controllers.make``) on every registered id.

For each id, ``--envs`` seeded environments (seeds ``seed, seed+1, ...``) of the native vector
environment run ``--episodes`` default episode lengths with the default references, under the
policy made by ``gem.controllers.make``. Reported per id:

* ``crash``: the exception, if making or running the controller raised;
* ``episodes``: finished episodes (time limit or violation);
* ``violations``: episodes ended by a limit violation (``terminated``);
* ``rmse``: root-mean-square tracking error of the referenced states in normalised units
  (state / limit), between the state after a step and the reference shown before it, over all
  steps and referenced states;
* ``reward``: mean reward per step;
* ``ripple`` (mean and largest over the environments) and ``current_rms``: the ripple and the RMS value
  of the torque-producing current in each environment's first episode, as shares of its limit
  (:mod:`gem.evaluation.currents`; the ripple needs episodes longer than its 5 ms window);
* ``seconds``: wall time.

Usage::

    python benchmarks/pi_scorecard.py                        # all ids, table + pi_scorecard.json
    python benchmarks/pi_scorecard.py --ids gem/Cont-SC-PMSM-v0 --max-steps 2000
"""

from __future__ import annotations

import argparse
import json
import time
import traceback

import gymnasium as gym
import numpy as np

import gem
import gem.controllers
from gem.evaluation import current_ripple, current_rms, torque_current


def score(env_id: str, num_envs: int, episodes: float, seed: int, max_steps: int | None) -> dict:
    """Runs the cascade on ``env_id`` and returns the metrics of one scorecard row."""
    row: dict = {"id": env_id, "crash": None, "episodes": 0, "violations": 0, "rmse": float("nan"),
                 "reward": float("nan"), "ripple": float("nan"), "ripple_max": float("nan"),
                 "current_rms": float("nan"), "steps": 0, "seconds": 0.0}
    t0 = time.perf_counter()
    try:
        venv = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point")
        base = venv.unwrapped
        policy = gem.controllers.make(venv)
        names = list(base.observation_names)
        ref_cols = [names.index(f"{r}_ref") for r in base.reference_names]
        state_cols = [names.index(r) for r in base.reference_names]
        current = torque_current(base.drive.state_names, base.drive.motor.controlled_currents)
        current_col = names.index(current)
        steps = int(np.ceil(episodes * gym.spec(env_id).max_episode_steps))
        steps = min(steps, max_steps) if max_steps else steps
        obs, _ = venv.reset(seed=seed)
        start = np.ones(num_envs, dtype=bool)
        sq_err, reward_sum = 0.0, 0.0
        currents = np.empty((steps, num_envs))               # normalised: a share of the limit
        first_end = np.full(num_envs, steps)                  # steps of every environment's first episode
        for k in range(steps):
            shown = obs[:, ref_cols].astype(float)
            action, _ = policy.predict(obs, episode_start=start)
            obs, reward, terminated, truncated, info = venv.step(action)
            done = terminated | truncated
            after = np.where(done[:, None], info["final_obs"], obs) if np.any(done) else obs
            sq_err += float(np.sum((after[:, state_cols] - shown) ** 2))
            currents[k] = after[:, current_col]
            first_end = np.where(done & (first_end == steps), k + 1, first_end)
            reward_sum += float(np.sum(reward))
            row["episodes"] += int(np.sum(done))
            row["violations"] += int(np.sum(terminated))
            start = done
        n = steps * num_envs
        ripple = np.array([current_ripple(currents[:m, e:e + 1], 1.0, base.tau)[0] for e, m in enumerate(first_end)])
        rms = np.array([current_rms(currents[:m, e:e + 1], 1.0)[0] for e, m in enumerate(first_end)])
        row.update(rmse=float(np.sqrt(sq_err / (n * len(ref_cols)))), reward=reward_sum / n, steps=n,
                   ripple=float(np.mean(ripple)), ripple_max=float(np.max(ripple)), current_rms=float(np.mean(rms)))
        venv.close()
    except Exception as exc:  # noqa: BLE001 - a crash is a scorecard result
        row["crash"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    row["seconds"] = time.perf_counter() - t0
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ids", nargs="*", default=None, help="ids to score (default: gem.env_ids())")
    parser.add_argument("--envs", type=int, default=4, help="parallel seeded environments per id")
    parser.add_argument("--episodes", type=float, default=1.0, help="default episode lengths to run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-steps", type=int, default=None, help="cap on the steps per id")
    parser.add_argument("--out", default="pi_scorecard.json", help="JSON output file")
    args = parser.parse_args()
    rows = []
    print(f"{'id':30s} {'crash':>5s} {'episodes':>8s} {'violations':>10s} {'rmse':>8s} {'reward':>8s} "
          f"{'ripple %':>8s} {'max %':>6s} {'I rms':>6s} {'s':>6s}")
    for env_id in args.ids or gem.env_ids():
        r = score(env_id, args.envs, args.episodes, args.seed, args.max_steps)
        rows.append(r)
        print(f"{env_id[4:]:30s} {'yes' if r['crash'] else 'no':>5s} {r['episodes']:8d} {r['violations']:10d} "
              f"{r['rmse']:8.4f} {r['reward']:8.4f} {100 * r['ripple']:8.2f} {100 * r['ripple_max']:6.2f} "
              f"{r['current_rms']:6.3f} {r['seconds']:6.1f}", flush=True)
    with open(args.out, "w") as fh:
        json.dump({"envs": args.envs, "episodes": args.episodes, "seed": args.seed, "rows": rows}, fh, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
