"""``python -m gem.sweep`` / ``gem-sweep``: the comparison over ids × seeds × hyper-parameters on Ray Tune.

::

    python -m gem.sweep --env gem/Cont-CC-SeriesDc-v0 --seeds 3 --timesteps 20000 --out runs/sweep
    python -m gem.sweep --env gem/Cont-CC-PMSM-v0 --seeds 2 --num-samples 4 --search space.json --asha --out runs/s2
    python -m gem.sweep ... --out runs/s2 --resume                    # continue an interrupted sweep
    python -m gem.sweep ... --address auto --storage /shared/sweeps   # on a running Ray cluster
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(prog="gem-sweep", description=__doc__.split("\n\n")[0].split(": ", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", action="append", required=True, metavar="ID",
                   help="continuous-action gem id (repeat for several)")
    p.add_argument("--algo", default="ddpg", choices=["ddpg"], help="the agent compared with the PI cascade")
    p.add_argument("--seeds", type=int, default=3, help="training seeds per id and configuration (default: 3)")
    p.add_argument("--timesteps", type=int, default=None, help="training budget per trial (default: the preset's)")
    p.add_argument("--num-samples", type=int, default=1,
                   help="hyper-parameter configurations drawn from --search (default: 1)")
    p.add_argument("--search", default=None, metavar="SPACE.json",
                   help="search space: a JSON file or text (see gem.sweep.space); default: the presets")
    p.add_argument("--search-seed", type=int, default=0, help="seed of the configurations' draws (default: 0)")
    p.add_argument("--eval-episodes", type=int, default=10, help="evaluation episodes per trial (default: 10)")
    p.add_argument("--asha", action="store_true", help="stop unpromising trials early (ASHA, validation RMSE)")
    p.add_argument("--out", required=True, help="output folder: results.csv, summary.csv, summary.png, ray/")
    p.add_argument("--address", default=None,
                   help="join a Ray cluster: 'auto' or 'ray://HOST:PORT' (default: start Ray on this machine)")
    p.add_argument("--storage", default=None,
                   help="experiment storage every node can reach (folder or URI; default: OUT/ray)")
    p.add_argument("--resume", action="store_true", help="continue the interrupted sweep in the storage")
    p.add_argument("--cpus-per-trial", type=float, default=1.0, help="CPUs Ray reserves per trial (default: 1)")
    p.add_argument("--num-cpus", type=int, default=None,
                   help="CPUs of the local Ray (default: all of this machine's; not with --address)")
    p.add_argument("--verbose", type=int, default=1, choices=[0, 1, 2, 3], help="Tune's console output (default 1)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the sweep; returns the process exit code."""
    p = build_parser()
    args = p.parse_args(argv)
    from gem.agents import preset_for
    from gem.sweep.space import check_against_preset, load_space

    for name, value, low in (("--seeds", args.seeds, 1), ("--num-samples", args.num_samples, 1),
                             ("--eval-episodes", args.eval_episodes, 1), ("--timesteps", args.timesteps, 1)):
        if value is not None and value < low:
            p.error(f"{name} must be >= {low}, got {value}")
    if args.cpus_per_trial <= 0:
        p.error(f"--cpus-per-trial must be > 0, got {args.cpus_per_trial}")
    if args.address is not None and args.num_cpus is not None:
        p.error("--num-cpus sizes a local Ray; with --address the cluster's CPUs are used")
    for env_id in args.env:
        try:
            preset_for(env_id)
            import gymnasium as gym

            gym.spec(env_id)
        except Exception as exc:  # noqa: BLE001 - any reason the id cannot be swept is a usage error
            p.error(f"--env {env_id}: {exc}")
    try:
        space = load_space(args.search)
        check_against_preset(space, args.env)
    except ValueError as exc:
        p.error(f"--search: {exc}")
    if not space and args.num_samples > 1:
        p.error("--num-samples > 1 needs a --search space to draw from (without one every sample is the preset)")
    try:
        from gem.sweep.runner import run_sweep

        result = run_sweep(args.env, Path(args.out), seeds=args.seeds, timesteps=args.timesteps, space=space,
                           num_samples=args.num_samples, search_seed=args.search_seed,
                           eval_episodes=args.eval_episodes, address=args.address,
                           storage=args.storage, resume=args.resume, asha=args.asha,
                           cpus_per_trial=args.cpus_per_trial, num_cpus=args.num_cpus, verbose=args.verbose)
    except ImportError as exc:
        print(f"gem-sweep: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        p.error(str(exc))
    from gem.sweep.results import format_summary

    print(format_summary(result.summary, result.hyperparameters))
    failed = [r for r in result.rows if r["status"] == "error"]
    print(f"{len(result.rows)} trials ({len(failed)} failed) in {result.seconds:.0f} s; "
          f"results in {result.out / 'results.csv'}, {result.out / 'summary.csv'}, {result.out / 'summary.png'}")
    for row in failed:
        print(f"  failed: {row['env_id']} seed {row['seed']}: {row.get('error')} ({row['trial_dir']})", file=sys.stderr)
    return 1 if failed else 0
