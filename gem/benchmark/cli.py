"""``python -m gem.benchmark`` (``gem-benchmark``): SB3 agents against the PI cascade over a suite of ids.

For every id: the PI cascade once, and every algorithm that fits the id's actions (DDPG, TD3, SAC,
PPO on ``Cont`` ids; DQN, PPO on ``Finite`` ids) trained with ``--seeds`` seeds. Every policy of an
id is scored on the same seeded evaluation and step-response episodes. Writes to ``--out``:

* ``results.csv``: one row per algorithm × id × seed (and one per id for the PI cascade),
* ``summary.md`` / ``summary.csv``: mean ± std over seeds, also printed,
* ``curves_<id>.png``: validation steady-tracking RMSE against env steps and wall time,
* ``steps_<id>.png``: one reference step of every policy (seed 0 of the agents),
* ``runs/<algo>/<id>/seed<s>/``: models and training logs of each run, and ``result.pkl``, its
  row and rollouts (``--resume`` reuses them, so a stopped benchmark continues where it stopped).

``results.csv`` is rewritten after every job of a sequential run.

::

    python -m gem.benchmark --ids gem/Cont-CC-PMSM-v0 --algos DDPG TD3 --seeds 3 --out runs/bench
    python -m gem.benchmark --seeds 1 --timesteps 2000 --out runs/smoke     # every algorithm, tiny budget
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_IDS = ("gem/Cont-CC-SeriesDc-v0", "gem/Cont-SC-SeriesDc-v0", "gem/Cont-CC-PMSM-v0", "gem/Cont-TC-PMSM-v0",
               "gem/Cont-SC-PMSM-v0", "gem/Finite-CC-SeriesDc-v0", "gem/Finite-CC-PMSM-v0")
"""The suite: DC current and speed control, PMSM current, torque and speed control, switching converters."""


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    from gem.agents.presets import ALGOS

    p = argparse.ArgumentParser(prog="gem-benchmark", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ids", nargs="+", default=list(DEFAULT_IDS),
                   help="gem ids (default: DC current and speed control, PMSM current, torque and speed "
                        f"control, switching DC and PMSM current control: {' '.join(DEFAULT_IDS)})")
    p.add_argument("--algos", nargs="+", default=list(ALGOS), choices=ALGOS,
                   help="algorithms (default: all; each id runs those that fit its actions)")
    p.add_argument("--seeds", type=int, default=3, help="training seeds 0..N-1 per algorithm and id (default: 3)")
    p.add_argument("--timesteps", type=int, default=None, help="training budget of every run (default: the presets')")
    p.add_argument("--out", default="runs/benchmark", help="output folder (default: runs/benchmark)")
    p.add_argument("--eval-episodes", type=int, default=10, help="evaluation episodes per policy (default: 10)")
    p.add_argument("--step-episodes", type=int, default=4, help="step-response episodes per policy (default: 4)")
    p.add_argument("--pi-level", type=float, default=1.2,
                   help="an agent is at PI level within this factor of PI's steady-tracking RMSE (default: 1.2)")
    p.add_argument("--env-kwargs", default=None, help="task arguments as JSON for every id, "
                                                      "e.g. '{\"max_episode_steps\": 200}' (evaluation length)")
    p.add_argument("--ray", action="store_true",
                   help="run the jobs in parallel on Ray (needs `pip install ray`; without Ray installed this "
                        "option is an error, and without the option the jobs run one after another)")
    p.add_argument("--resume", action="store_true",
                   help="reuse the results of jobs that finished in an earlier run with the same --out "
                        "(each job saves result.pkl in its folder); run only the others")
    p.add_argument("--progress", action="store_true", help="training progress bars")
    return p


def _check(p: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[list[tuple[str, str]], dict, Path]:
    """Validates everything that can fail before a job starts; returns the (id, algo) pairs to train."""
    import gymnasium as gym

    from gem.agents import preset_for
    from gem.evaluation import resolve
    from gem.evaluation.episodes import parse_env_kwargs

    if args.seeds < 1:
        p.error(f"--seeds must be >= 1, got {args.seeds}")
    if args.timesteps is not None and args.timesteps < 1:
        p.error(f"--timesteps must be >= 1, got {args.timesteps}")
    if args.eval_episodes < 1 or args.step_episodes < 0:
        p.error("--eval-episodes must be >= 1 and --step-episodes >= 0")
    if not args.pi_level >= 1.0:
        p.error(f"--pi-level must be >= 1, got {args.pi_level}")
    try:
        env_kwargs = parse_env_kwargs(args.env_kwargs)
    except ValueError as exc:
        p.error(f"--env-kwargs {exc}")
    pairs = []
    for env_id in args.ids:
        try:
            task = resolve(env_id, env_kwargs).task()
        except (ValueError, TypeError) as exc:
            p.error(f"--ids {env_id}: {exc}")
        for algo in args.algos:
            try:
                preset_for(env_id, algo)
            except ValueError:
                continue  # the algorithm does not fit the id's actions: not run
            if algo == "DQN" and not isinstance(task.action_space, gym.spaces.Discrete):
                print(f"DQN skipped on {env_id}: SB3's DQN needs a Discrete action, not {task.action_space}")
                continue
            pairs.append((env_id, algo))
    if args.ray:
        try:
            import ray  # noqa: F401
        except ImportError:
            p.error("--ray: Ray is not installed (pip install ray). Run without --ray to execute the jobs one "
                    "after another in this process.")
    out = Path(args.out)
    try:
        (out / "runs").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        p.error(f"--out {out}: cannot create the output folder ({exc.strerror or exc})")
    return pairs, env_kwargs, out


def _run_all(jobs: list, done: list, use_ray: bool, level: float, out: Path) -> list:
    """Runs the jobs not ``done`` sequentially (rewriting ``results.csv`` after each), or as Ray tasks of one CPU each.

    Args:
        jobs: All jobs.
        done: Per job, its result from an earlier run (``--resume``) or ``None``.
        use_ray: Run on Ray.
        level: PI-level factor.
        out: Output folder.
    """
    from gem.benchmark.jobs import run_job
    from gem.benchmark.report import add_ratios, write_results

    results = list(done)
    todo = [k for k, r in enumerate(results) if r is None]
    print(f"{len(todo)} of {len(jobs)} jobs to run", flush=True)
    if use_ray and todo:
        import ray

        ray.init(ignore_reinit_error=True)
        remote = ray.remote(num_cpus=1)(run_job)
        for k, r in zip(todo, ray.get([remote.remote(jobs[k], level) for k in todo]), strict=True):
            results[k] = r
        return results
    for n, k in enumerate(todo, 1):
        job = jobs[k]
        print(f"[{n}/{len(todo)}] {job.algo} on {job.env_id}" + (f", seed {job.seed}" if job.algo != "PI cascade"
                                                                   else ""), flush=True)
        results[k] = run_job(job, level)
        print(f"    steady RMSE {results[k].row['steady_rmse']:.4g}, {results[k].row['wall_seconds']} s", flush=True)
        rows = [dict(r.row) for r in results if r is not None]
        add_ratios(rows)
        write_results(out / "results.csv", rows)  # partial results stay readable if the run is stopped
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the benchmark; returns the process exit code."""
    t0 = time.perf_counter()
    p = build_parser()
    args = p.parse_args(argv)
    pairs, env_kwargs, out = _check(p, args)

    from gem.benchmark.jobs import PI, Job, load_result, short_id
    from gem.benchmark.report import add_ratios, plot_curves, plot_steps, summary_rows, write_results, write_summary

    common: dict[str, Any] = {"env_kwargs": env_kwargs, "eval_episodes": args.eval_episodes,
                              "step_episodes": args.step_episodes}
    jobs = [Job(env_id, PI, 0, out / "runs" / "PI" / short_id(env_id), **common) for env_id in args.ids]
    jobs += [Job(env_id, algo, seed, out / "runs" / algo / short_id(env_id) / f"seed{seed}", args.timesteps,
                 progress_bar=args.progress, **common)
             for env_id, algo in pairs for seed in range(args.seeds)]
    print(f"{len(jobs)} jobs ({len(args.ids)} PI evaluations, {len(jobs) - len(args.ids)} trainings) "
          f"{'on Ray' if args.ray else 'one after another'}; output in {out}", flush=True)
    try:
        done = [load_result(job) if args.resume else None for job in jobs]
    except ValueError as exc:
        p.error(f"--resume: {exc}")
    results = _run_all(jobs, done, args.ray, args.pi_level, out)
    rows = [r.row for r in results]
    add_ratios(rows)
    write_results(out / "results.csv", rows)
    summary = summary_rows(rows, args.pi_level)
    write_summary(out, summary)
    for env_id in args.ids:
        logs = {(j.algo, j.seed): j.out / "validations.jsonl" for j in jobs if j.env_id == env_id and j.algo != PI}
        if logs:
            plot_curves(env_id, logs, out / f"curves_{short_id(env_id)}.png", args.pi_level)
        shown = {j.algo: r.steps for j, r in zip(jobs, results, strict=True)
                 if j.env_id == env_id and j.seed == 0 and r.steps is not None}
        if shown:
            plot_steps(env_id, shown, out / f"steps_{short_id(env_id)}.png")
    (out / "run.json").write_text(json.dumps({
        "argv": list(sys.argv[1:] if argv is None else argv), "ids": args.ids, "algos": args.algos,
        "seeds": args.seeds, "timesteps": args.timesteps, "env_kwargs": env_kwargs, "pi_level": args.pi_level,
        "ray": args.ray, "jobs_run": sum(d is None for d in done), "jobs_reused": sum(d is not None for d in done),
        "job_wall_seconds": round(sum(r.row["wall_seconds"] for r in results), 1),
        "wall_seconds": round(time.perf_counter() - t0, 1),
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}, indent=2) + "\n")
    print((out / "summary.md").read_text())
    print(f"total {time.perf_counter() - t0:.0f} s; results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
