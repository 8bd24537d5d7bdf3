"""Speed control of a brushless DC motor with 120° block commutation from its Hall signals.

``gem.controllers.make(env)`` builds the BLDC cascade: a speed loop sets the block current
``I = T / (2 p psi_p)``, the Hall state picks the two conducting phases, PI loops drive the phase
currents to ``±I`` and 0. The script runs ``gem/Cont-SC-BLDC-v0`` with a speed step and plots the
speed, the phase currents with the Hall signals, and the torque with its commutation ripple.

Run with ``python examples/bldc_block_commutation.py``; the figure goes to
``runs/bldc_block_commutation.png`` (``--out`` to change it).
"""

from __future__ import annotations

import argparse
import os

import gymnasium as gym
import matplotlib.pyplot as plt
import numpy as np

import gem  # noqa: F401  (registers the ids)
import gem.controllers
from gem.envs import PeriodicReference
from gem.physical_systems import PolynomialStaticLoad


def run(seconds: float = 0.3, seed: int = 0) -> tuple[np.ndarray, np.ndarray, dict[str, int], float]:
    """Runs the cascade for ``seconds`` on a speed square wave; returns time, states, state index, torque limit."""
    reference = PeriodicReference(shape="step", low=0.2, high=0.6, amplitude_range=(1.0, 1.0),
                                  frequency_range=(5.0, 5.0))
    # a load of 10 N·m plus 0.1 N·m per rad/s and a flywheel, so that block currents flow in steady state
    load = PolynomialStaticLoad(a=10.0, b=0.1, c=0.0, j_load=0.01)
    env = gym.make("gem/Cont-SC-BLDC-v0", reference=reference, load=load, max_episode_steps=None)
    base = env.unwrapped
    policy = gem.controllers.make(env)
    obs, _ = env.reset(seed=seed)
    states = [base.physical_state]
    for k in range(int(round(seconds / base.tau))):
        action, _ = policy.predict(obs, episode_start=(k == 0))
        obs, _, terminated, truncated, _ = env.step(action)
        states.append(base.physical_state)
        if terminated or truncated:
            print("episode ended at step", k, "(terminated)" if terminated else "")
            break
    states = np.array(states)
    t = np.arange(len(states)) * base.tau
    return t, states, base.drive.index, float(base.limits[base.drive.index["torque"]])


def main() -> None:
    """Runs, prints a summary and writes the figure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=0.05 if os.environ.get("GEM_SMALL_BUDGET") else 0.3)
    parser.add_argument("--out", default="runs/bldc_block_commutation.png")
    args = parser.parse_args()
    t, x, index, torque_limit = run(args.seconds)
    print(f"final speed {x[-1, index['omega']]:.1f} rad/s, largest phase current "
          f"{np.abs(x[:, [index['i_a'], index['i_b'], index['i_c']]]).max():.1f} A, "
          f"largest torque {np.abs(x[:, index['torque']]).max():.1f} N·m of {torque_limit:.1f}")
    fig, axes = plt.subplots(3, 1, sharex=True, figsize=(8, 7))
    axes[0].plot(t, x[:, index["omega"]], label="omega")
    axes[0].set_ylabel("speed (rad/s)")
    for name in ("i_a", "i_b", "i_c"):
        axes[1].plot(t, x[:, index[name]], label=name)
    for k, name in enumerate(("hall_a", "hall_b", "hall_c")):
        axes[1].plot(t, 5 * x[:, index[name]] - 40 - 7 * k, lw=0.8, label=f"{name} (offset)")
    axes[1].set_ylabel("current (A)")
    axes[1].legend(ncol=3, fontsize=7)
    axes[2].plot(t, x[:, index["torque"]])
    axes[2].set_ylabel("torque (N·m)")
    axes[2].set_xlabel("time (s)")
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    fig.savefig(args.out, dpi=120, bbox_inches="tight")
    print("figure:", args.out)


if __name__ == "__main__":
    main()
