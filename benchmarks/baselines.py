"""Throughput of the two competitor libraries, measured on this machine for side-by-side ratios.

Runs in a SEPARATE virtual environment (never in the project's own venv; needs no ``gem``)::

    python -m venv /tmp/baseline-venv && /tmp/baseline-venv/bin/pip install \\
        gym-electric-motor==3.0.3 exciting-environments==0.2.4 jax
    /tmp/baseline-venv/bin/python benchmarks/baselines.py [--sizes 1024 8192] [--out benchmarks/results/baselines.json]

Only the public APIs of the two libraries are called; nothing of them is copied here.

* **gym-electric-motor (GEM)**: the single-env method of ``benchmarks/throughput.py``
  (``single_env_rate``): ``gym_electric_motor.make(id)`` with its defaults (Gymnasium's default
  wrappers), ``--steps`` actions pre-sampled from the action space seeded 0, ``reset()`` whenever
  ``terminated or truncated`` (resets are inside the timed loop), ``time.perf_counter``, median of
  ``--repeats`` runs.
* **exciting-environments (EE)**: ``exciting_environments.PMSM`` (``make("PMSM-v0")``) with its
  default (non-saturated, linear) motor parameters, ``tau=1e-4``, batch sizes ``--sizes``, random
  initial states (``vmap_reset`` with one PRNG key per env) and uniform random normalised actions
  in [-1, 1] of shape ``(batch, 2)`` (u_d, u_q), pre-sampled. Two step functions:

  - ``core``: ``env.vmap_step(state, action)`` -- voltage-hexagon clipping of the action, dead-time
    buffer, one explicit Euler step of the current ODE, torque and the normalised observation.
    No reward, no termination flags, no reference, no reset.
  - ``wrapper``: ``GymWrapper(env, control_state=["i_d", "i_q"])`` reset with a reference PRNG key,
    so a step also updates the random current references and computes reward, terminated and
    truncated (no automatic reset: EE leaves resetting to the caller).

  Each is run (i) ``python-loop``: the jitted step called from Python once per step, with
  ``block_until_ready`` at the end only, and (ii) ``lax.scan``: the whole rollout of
  ``--ee-steps`` steps compiled with ``jax.lax.scan`` (observations are accumulated into the carry
  so XLA cannot drop them). A warm-up call compiles first; its time is reported as
  ``warmup_s`` and excluded from the rate. Rate = batch * steps / seconds, median of ``--repeats``.
  EE computes in JAX's default float32 unless ``--x64`` is given.

Prints a table and writes JSON (results + meta: library versions, CPU model, load average).
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import os
import platform
import statistics
import time
import warnings

from common import cpu_model, single_env_rate, write_json  # benchmarks/common.py, shared with throughput.py

GEM_IDS = [
    "Cont-CC-PMSM-v0",
    "Cont-SC-SeriesDc-v0",
    "Finite-CC-PMSM-v0",
    "Cont-CC-PermExDc-v0",
    "Finite-CC-PermExDc-v0",
    "Cont-CC-ExtExDc-v0",
]


def version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


# --------------------------------------------------------------------------------------------- GEM


def gem_single_env_rate(env_id: str, steps: int, repeats: int) -> tuple[float, int, str]:
    """Median steps/s of ``gym_electric_motor.make(env_id)``, resets per run and the wrapper chain."""
    import gym_electric_motor as gem_ext

    env = gem_ext.make(env_id)
    rate, resets = single_env_rate(env, steps, repeats)
    return rate, resets, str(env)


def run_gem(ids: list[str], steps: int, repeats: int) -> list[dict]:
    rows = []
    print(f"\ngym-electric-motor {version('gym-electric-motor')}: single env, {steps} steps, median of {repeats}")
    print(f"{'id':24s} {'steps/s':>10s} {'resets':>7s}")
    print("-" * 43)
    for env_id in ids:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rate, resets, chain = gem_single_env_rate(env_id, steps, repeats)
        except Exception as e:  # noqa: BLE001 - report and skip ids that fail
            print(f"{env_id:24s} FAILED: {type(e).__name__}: {e}")
            rows.append({"id": env_id, "error": f"{type(e).__name__}: {e}"})
            continue
        print(f"{env_id:24s} {rate:10,.0f} {resets:7d}")
        rows.append({"id": env_id, "steps_per_s": rate, "resets": resets, "steps": steps, "env": chain})
    return rows


# ---------------------------------------------------------------------------------------------- EE


def _block(tree) -> None:
    import jax

    jax.tree_util.tree_map(lambda x: x.block_until_ready() if hasattr(x, "block_until_ready") else x, tree)


def _median_rate(fn, work: int, repeats: int) -> tuple[float, float]:
    """Warm-up (compile) once, then the median of ``work / seconds`` over ``repeats`` timed calls."""
    t0 = time.perf_counter()
    _block(fn())
    warmup = time.perf_counter() - t0
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        _block(fn())
        rates.append(work / (time.perf_counter() - t0))
    return statistics.median(rates), warmup


def ee_core(batch: int, steps: int, repeats: int) -> dict[str, tuple[float, float]]:
    """``PMSM.vmap_step``: python loop and ``lax.scan`` rates (env-steps/s, warm-up seconds)."""
    import exciting_environments as excenvs
    import jax
    import jax.numpy as jnp

    env = excenvs.make("PMSM-v0", batch_size=batch, tau=1e-4)
    obs0, state0 = env.vmap_reset(jax.random.split(jax.random.PRNGKey(0), batch))
    actions = jax.random.uniform(jax.random.PRNGKey(1), (steps, batch, env.action_dim), minval=-1.0, maxval=1.0)
    action_list = [actions[k] for k in range(min(steps, 64))]
    _block(action_list)

    def python_loop():
        state, obs = state0, None
        for k in range(steps):
            obs, state = env.vmap_step(state, action_list[k % len(action_list)])
        return obs, state

    @jax.jit
    def rollout(state, acts):
        def body(carry, a):
            s, acc = carry
            obs, s = env.vmap_step(s, a)
            return (s, acc + obs), None

        (state, acc), _ = jax.lax.scan(body, (state, jnp.zeros_like(obs0)), acts)
        return state, acc

    return {
        "python-loop": _median_rate(python_loop, batch * steps, repeats),
        "lax.scan": _median_rate(lambda: rollout(state0, actions), batch * steps, repeats),
    }


def ee_wrapper(batch: int, steps: int, repeats: int) -> dict[str, tuple[float, float]]:
    """``GymWrapper`` step (reference, reward, terminated, truncated): python loop and ``lax.scan``."""
    import exciting_environments as excenvs
    import jax
    import jax.numpy as jnp

    env = excenvs.make("PMSM-v0", batch_size=batch, tau=1e-4)
    wrapper = excenvs.GymWrapper(env, control_state=["i_d", "i_q"])
    env_keys = jax.random.split(jax.random.PRNGKey(0), batch)
    obs0, _ = wrapper.reset(rng_env=env_keys, rng_ref=jax.random.PRNGKey(2))
    state0, hold0 = wrapper.state, wrapper.reference_hold_steps
    actions = jax.random.uniform(jax.random.PRNGKey(1), (steps, batch, env.action_dim), minval=-1.0, maxval=1.0)
    action_list = [actions[k] for k in range(min(steps, 64))]
    _block(action_list)

    def python_loop():
        wrapper.state, wrapper.reference_hold_steps = state0, hold0
        out = None
        for k in range(steps):
            out = wrapper.step(action_list[k % len(action_list)])
        return out, wrapper.state

    @jax.jit
    def rollout(state, hold, acts):
        def body(carry, a):
            s, h, acc, rew, done = carry
            obs, reward, terminated, truncated, s, h = wrapper.gym_step(a, s, h)
            return (s, h, acc + obs, rew + reward, done + (terminated | truncated)), None

        zeros = (jnp.zeros_like(obs0), jnp.zeros((batch, 1)), jnp.zeros((batch, 1), dtype=jnp.int32))
        carry, _ = jax.lax.scan(body, (state, hold, *zeros), acts)
        return carry

    return {
        "python-loop": _median_rate(python_loop, batch * steps, repeats),
        "lax.scan": _median_rate(lambda: rollout(state0, hold0, actions), batch * steps, repeats),
    }


def run_ee(sizes: list[int], steps: int, wrapper_steps: int, repeats: int) -> list[dict]:
    import jax

    print(
        f"\nexciting-environments {version('exciting-environments')} PMSM (jax {jax.__version__}, "
        f"{jax.default_backend()}, {'float64' if jax.config.jax_enable_x64 else 'float32'}): "
        f"env-steps/s, median of {repeats}, compile excluded"
    )
    print(f"{'step':8s} {'mode':12s} {'batch':>6s} {'steps':>6s} {'env-steps/s':>13s} {'warmup_s':>9s}")
    print("-" * 59)
    rows = []
    variants = [("core", ee_core, steps), ("wrapper", ee_wrapper, wrapper_steps)]
    for name, fn, n_steps in variants:
        if n_steps <= 0:
            continue
        for batch in sizes:
            try:
                res = fn(batch, n_steps, repeats)
            except Exception as e:  # noqa: BLE001 - report and continue with the rest
                print(f"{name:8s} {'':12s} {batch:6d} FAILED: {type(e).__name__}: {e}")
                rows.append({"step": name, "batch": batch, "error": f"{type(e).__name__}: {e}"})
                continue
            for mode, (rate, warmup) in res.items():
                print(f"{name:8s} {mode:12s} {batch:6d} {n_steps:6d} {rate:13,.0f} {warmup:9.2f}")
                rows.append(
                    {
                        "step": name,
                        "mode": mode,
                        "batch": batch,
                        "steps": n_steps,
                        "env_steps_per_s": rate,
                        "warmup_s": warmup,
                    }
                )
    return rows


# -------------------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=5000, help="GEM single-env steps per run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", nargs="+", type=int, default=[1024, 8192], help="EE batch sizes")
    parser.add_argument("--ee-steps", type=int, default=1000, help="EE steps per run of the core step")
    parser.add_argument(
        "--ee-wrapper-steps",
        type=int,
        default=200,
        help="EE steps per run of the GymWrapper step (0: skip the wrapper)",
    )
    parser.add_argument("--ids", nargs="+", default=GEM_IDS, help="GEM env ids")
    parser.add_argument("--x64", action="store_true", help="run EE with jax_enable_x64 (float64)")
    parser.add_argument("--skip-gem", action="store_true")
    parser.add_argument("--skip-ee", action="store_true")
    parser.add_argument("--out", default="benchmarks/results/baselines.json")
    args = parser.parse_args()

    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    gem_rows = [] if args.skip_gem else run_gem(args.ids, args.steps, args.repeats)
    ee_rows, ee_dtype = [], None
    if not args.skip_ee:
        import jax

        if args.x64:
            jax.config.update("jax_enable_x64", True)
        ee_dtype = "float64" if args.x64 else "float32"
        ee_rows = run_ee(args.sizes, args.ee_steps, args.ee_wrapper_steps, args.repeats)

    meta = {
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "loadavg_start": load,
        "loadavg_end": os.getloadavg(),
        "python": platform.python_version(),
        "versions": {
            d: version(d)
            for d in ["gym-electric-motor", "exciting-environments", "jax", "jaxlib", "numpy", "scipy", "gymnasium"]
        },
        "ee_dtype": ee_dtype,
        "repeats": args.repeats,
        "gem_method": "gym_electric_motor.make(id) defaults; pre-sampled action_space.sample() (seed 0); "
        "reset on terminated|truncated inside the timed loop; median of repeats",
        "ee_method": "PMSM-v0 default params, tau=1e-4, random init + uniform[-1,1] actions (batch, 2); "
        "core = vmap_step (action clip, deadtime, Euler step, torque, observation); "
        "wrapper = GymWrapper(control_state=[i_d, i_q]).gym_step (+ reference, reward, "
        "terminated, truncated; no auto reset); warm-up excluded; median of repeats",
    }
    print()
    write_json(args.out, {"meta": meta, "gem": gem_rows, "exciting_environments": ee_rows})


if __name__ == "__main__":
    main()
