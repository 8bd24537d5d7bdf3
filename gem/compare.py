"""``python -m gem.compare``: train DDPG (or load it) and compare it with the PI cascade.

Both policies, and a random policy as a floor, run the same seeded evaluation episodes; the
headline is the ratio of their steady-tracking RMSEs (after the initial transient, see
:mod:`gem.evaluation.transient`). The command prints a table and writes ``metrics.json``,
``metrics.csv``, ``trajectories.png``, ``training.png`` and the models to the output folder::

    python -m gem.compare                                   # default: series DC current control
    python -m gem.compare --env gem/Cont-SC-SeriesDc-v0     # speed control, longer budget
    python -m gem.compare --load-model runs/x/best_model.zip --out runs/x-eval
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_ENV = "gem/Cont-CC-SeriesDc-v0"


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(
        prog="gem-compare",
        description="Train DDPG (or load it) and compare it with the PI cascade on the same seeded episodes.")
    p.add_argument("--env", default=DEFAULT_ENV, help=f"continuous-action gem id (default: {DEFAULT_ENV})")
    p.add_argument("--timesteps", type=int, default=None, help="training transitions (default: the task's preset)")
    p.add_argument("--seed", type=int, default=0, help="training seed: networks, noise, training episodes (default: 0)")
    p.add_argument("--out", default=None, help="output folder (default: runs/<env>-seed<seed>)")
    p.add_argument("--num-envs", type=int, default=None,
                   help="environments collecting in parallel (default: the task's preset)")
    p.add_argument("--load-model", default=None,
                   help="evaluate this saved DDPG model instead of training (--timesteps is ignored)")
    p.add_argument("--eval-episodes", type=int, default=10, help="evaluation episodes (default: 10)")
    p.add_argument("--eval-seed", type=int, default=None,
                   help="seed of the evaluation episodes (default: a fixed seed, the same for every run)")
    p.add_argument("--env-kwargs", default=None,
                   help='task arguments as JSON for training and evaluation, e.g. \'{"last_action": true}\'; '
                        '"max_episode_steps" sets the evaluation episode length')
    p.add_argument("--hyperparameters", default=None,
                   help='DDPG preset fields as JSON, e.g. \'{"learning_rate": 3e-4, "net_arch": [128, 128]}\' '
                        "(see gem.agents.AgentPreset)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def parse_json_object(p: argparse.ArgumentParser, option: str, text: str | None) -> dict[str, Any]:
    """The JSON object given to ``option`` (``{}`` if not given); a usage error names the option otherwise."""
    from gem.evaluation.episodes import parse_env_kwargs

    try:
        return parse_env_kwargs(text)
    except ValueError as exc:
        p.error(f"{option} {exc}")


def _check_args(p: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[Any, dict, Path]:
    """Validates everything that can fail before any training starts."""
    from gem.agents import preset_for, with_hyperparameters
    from gem.evaluation import resolve

    if args.timesteps is not None and args.timesteps < 0:
        p.error(f"--timesteps must be >= 0, got {args.timesteps}")
    if args.timesteps == 0 and args.load_model is None:
        p.error("--timesteps 0 trains nothing: pass --load-model to evaluate a saved model")
    if args.num_envs is not None and args.num_envs < 1:
        p.error(f"--num-envs must be >= 1, got {args.num_envs}")
    if args.eval_episodes < 1:
        p.error(f"--eval-episodes must be >= 1, got {args.eval_episodes}")
    env_kwargs = parse_json_object(p, "--env-kwargs", args.env_kwargs)
    hyperparameters = parse_json_object(p, "--hyperparameters", args.hyperparameters)
    try:
        resolve(args.env, env_kwargs).task()
        preset = preset_for(args.env)
    except (ValueError, TypeError) as exc:
        where = f"--env {args.env}" + (f" with --env-kwargs {args.env_kwargs}" if env_kwargs else "")
        p.error(f"{where}: {exc}")
    try:
        preset = with_hyperparameters(preset, hyperparameters)
    except (ValueError, TypeError) as exc:
        p.error(f"--hyperparameters {args.hyperparameters}: {exc}")
    if args.load_model is not None and not Path(args.load_model).exists():
        p.error(f"--load-model: no file {args.load_model}")
    out = Path(args.out or f"runs/{args.env.removeprefix('gem/')}-seed{args.seed}")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        p.error(f"--out {out}: the output folder is not writable ({exc.strerror or exc})")
    return preset, env_kwargs, out


@dataclass
class Comparison:
    """What :func:`compare` produced (also written to its output folder).

    Attributes:
        metrics: One :class:`~gem.evaluation.PolicyMetrics` per policy (DDPG, PI cascade, random).
        run: The run's record as written to ``metrics.json`` (id, seeds, preset, times, ratio).
        table: The printed comparison table.
    """

    metrics: list[Any]
    run: dict[str, Any]
    table: str


def compare(env_id: str, out: str | Path, *, seed: int = 0, preset: Any = None,
            env_kwargs: Mapping[str, Any] | None = None, load_model: str | Path | None = None,
            eval_episodes: int = 10, eval_seed: int | None = None, progress_bar: bool = True,
            on_validation: Callable[[dict[str, Any]], None] | None = None, verbose: bool = True) -> Comparison:
    """Trains DDPG (or loads it), evaluates it beside the PI cascade and a random policy, writes the outputs.

    The CLI's work as a function (``python -m gem.compare`` and ``python -m gem.sweep`` call it).
    Sets torch to one thread and deterministic algorithms (the process is the run's own).

    Args:
        env_id: A continuous-action gem id.
        out: Output folder (``metrics.json``, ``metrics.csv``, figures, models).
        seed: Training seed.
        preset: The :class:`~gem.agents.AgentPreset` (default: the id's, see :func:`gem.agents.preset_for`).
        env_kwargs: Task arguments for training and evaluation.
        load_model: Evaluate this saved model instead of training.
        eval_episodes: Evaluation episodes.
        eval_seed: Seed of the evaluation episodes (default :data:`gem.evaluation.EVAL_SEED`).
        progress_bar: Show a progress bar while training.
        on_validation: Called with each validation's log row during training.
        verbose: Print what is happening.

    Returns:
        The :class:`Comparison`.
    """
    t0 = time.perf_counter()
    import torch

    import gem.controllers
    from gem.agents import load_ddpg, preset_for, train_ddpg, training_spec
    from gem.evaluation import EVAL_SEED, RandomPolicy, evaluate, format_table, write_csv, write_json
    from gem.evaluation.plots import largest_initial_error, plot_training, plot_trajectories

    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    env_kwargs = dict(env_kwargs or {})
    preset = preset or preset_for(env_id)
    spec = training_spec(env_id, preset, env_kwargs)
    run: dict[str, Any] = {"env_id": env_id, "seed": seed, "env_kwargs": env_kwargs,
                           "preset": {k: (list(v) if isinstance(v, tuple) else v)
                                      for k, v in vars(preset).items() if k != "env_kwargs"}}
    setup_s = time.perf_counter() - t0
    if load_model is None:
        if verbose:
            print(f"training DDPG on {env_id} for {preset.timesteps} steps with {preset.num_envs} environments "
                  f"(seed {seed}); output in {out}\n  preset: {preset.note}")
        result = train_ddpg(env_id, out, preset=preset, seed=seed, env_kwargs=env_kwargs,
                            progress_bar=progress_bar, baseline=gem.controllers.make, on_validation=on_validation)
        model = load_ddpg(result.best_model_path)
        run.update(trained_timesteps=result.timesteps, training_seconds=round(result.seconds, 1),
                   interrupted=result.interrupted, best_checkpoint_timesteps=result.best_timesteps,
                   best_validation_rmse=result.best_rmse, model=str(result.best_model_path))
        logs = out
    else:
        model = load_ddpg(load_model)
        mismatch = model_mismatch(model, spec)
        if mismatch:
            raise ValueError(f"load_model {load_model}: {mismatch}")
        run.update(model=str(load_model), training_seconds=0.0)
        logs = Path(load_model).parent

    t1 = time.perf_counter()
    eval_seed = EVAL_SEED if eval_seed is None else eval_seed
    policies = {"DDPG": model, "PI cascade": gem.controllers.make,
                "random": lambda env: RandomPolicy(env.single_action_space, seed=eval_seed)}
    metrics, rollouts = evaluate(policies, spec, n_episodes=eval_episodes, seed=eval_seed)
    by_name = {m.policy: m for m in metrics}
    ratio = by_name["DDPG"].steady_rmse / by_name["PI cascade"].steady_rmse
    episode_ratio = by_name["DDPG"].rmse / by_name["PI cascade"].rmse
    run.update(eval_seed=eval_seed, eval_episodes=eval_episodes, steady_rmse_ratio_ddpg_over_pi=ratio,
               episode_rmse_ratio_ddpg_over_pi=episode_ratio, evaluation_seconds=round(time.perf_counter() - t1, 1))

    shown = {k: rollouts[k] for k in ("DDPG", "PI cascade")}
    episode = largest_initial_error(rollouts["PI cascade"])
    title = (f"{env_id} (seed {seed}): DDPG vs PI cascade\n"
             f"evaluation episode {episode} (the largest initial step of {eval_episodes})")
    zoom = 0.02 if spec.task_kind in ("CC", "TC") else 0.2
    plot_trajectories(shown, out / "trajectories.png", episode=episode, title=title, zoom=zoom)
    run["plotted_episode"] = episode
    if (logs / "monitor.csv").exists() or (logs / "validations.jsonl").exists():
        plot_training(logs / "monitor.csv", logs / "validations.jsonl", out / "training.png",
                      title=f"DDPG on {env_id} (seed {seed})")
    run["total_seconds"] = round(time.perf_counter() - t0, 1)
    run["setup_seconds"] = round(setup_s, 1)
    write_json(out / "metrics.json", metrics, extra=run)
    write_csv(out / "metrics.csv", metrics)
    table = format_table(metrics, {"steady-tracking RMSE ratio DDPG / PI cascade (the headline)": ratio,
                                   "whole-episode RMSE ratio DDPG / PI cascade": episode_ratio})
    if verbose:
        print(table)
        print(f"training {run['training_seconds']} s, evaluation {run['evaluation_seconds']} s, "
              f"total {run['total_seconds']} s; results in {out}")
    return Comparison(metrics, run, table)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the comparison; returns the process exit code."""
    p = build_parser()
    args = p.parse_args(argv)
    preset, env_kwargs, out = _check_args(p, args)
    preset = preset.with_overrides(timesteps=args.timesteps or None, num_envs=args.num_envs)
    if args.load_model is not None:
        from gem.agents import load_ddpg, training_spec

        mismatch = model_mismatch(load_ddpg(args.load_model), training_spec(args.env, preset, env_kwargs))
        if mismatch:
            p.error(f"--load-model {args.load_model}: {mismatch}")
    compare(args.env, out, seed=args.seed, preset=preset, env_kwargs=env_kwargs, load_model=args.load_model,
            eval_episodes=args.eval_episodes, eval_seed=args.eval_seed, progress_bar=not args.no_progress)
    return 0


def model_mismatch(model: Any, spec: Any) -> str | None:
    """Why a saved ``model`` cannot act in ``spec``'s environment (``None`` if it can)."""
    want = spec.task().observation_space().shape
    if model.observation_space.shape != want:
        return (f"the model observes {model.observation_space.shape} but {spec.env_id} gives {want}; "
                "pass the --env/--env-kwargs it was trained with")
    return None


if __name__ == "__main__":
    sys.exit(main())
