"""Torque control of a switched reluctance motor: phase currents in their turn-on/turn-off windows.

``gem.controllers.make(env)`` builds the SRM cascade: the torque reference sets a block current that
flows in the phase whose inductance is rising (motoring) or falling (braking), PI loops drive each
phase current. The script runs ``gem/Cont-TC-SRM-v0`` at the task's 100 rad/s with a torque
reference stepping between motoring and braking, for the linear and the saturating flux map, and
plots the torque and the four phase currents.

Run with ``python examples/srm_conduction_windows.py``; the figure goes to
``runs/srm_conduction_windows.png`` (``--out`` to change it).
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
from gem.physical_systems import SRM

PHASES = ("i_a", "i_b", "i_c", "i_d")


def run(saturated: bool, seconds: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """Time, physical states and torque references (N·m) of one run."""
    reference = PeriodicReference(shape="step", low=-0.3, high=0.3, amplitude_range=(1.0, 1.0),
                                  frequency_range=(10.0, 10.0))
    env = gym.make("gem/Cont-TC-SRM-v0", motor=SRM(saturated=saturated), reference=reference,
                   max_episode_steps=None)
    base = env.unwrapped
    policy = gem.controllers.make(env)
    obs, _ = env.reset(seed=seed)
    states, refs = [], []
    t_lim = base.limits[base.drive.index["torque"]]
    for k in range(int(round(seconds / base.tau))):
        action, _ = policy.predict(obs, episode_start=(k == 0))
        refs.append(obs[base.observation_names.index("torque_ref")] * t_lim)
        obs, _, terminated, _, _ = env.step(action)
        states.append(base.physical_state)
        if terminated:
            print("limit violated at step", k)
            break
    return np.arange(1, len(states) + 1) * base.tau, np.array(states), np.array(refs), base.drive.index


def main() -> None:
    """Runs both flux maps, prints the mean torque per half period and writes the figure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=0.03 if os.environ.get("GEM_SMALL_BUDGET") else 0.2)
    parser.add_argument("--out", default="runs/srm_conduction_windows.png")
    args = parser.parse_args()
    fig, axes = plt.subplots(2, 2, sharex=True, figsize=(11, 6))
    for col, saturated in enumerate((False, True)):
        t, x, ref, index = run(saturated, args.seconds)
        torque = x[:, index["torque"]]
        print(f"{'saturating' if saturated else 'linear'} flux map: mean torque {torque[ref > 0].mean():.2f} N·m "
              f"for {ref[ref > 0].mean() if np.any(ref > 0) else float('nan'):.2f}, "
              f"{torque[ref < 0].mean() if np.any(ref < 0) else float('nan'):.2f} N·m for "
              f"{ref[ref < 0].mean() if np.any(ref < 0) else float('nan'):.2f}")
        axes[0, col].plot(t, torque, lw=0.8, label="torque")
        axes[0, col].plot(t, ref, label="reference")
        axes[0, col].set_title("saturating flux map" if saturated else "linear flux map")
        axes[0, col].set_ylabel("torque (N·m)")
        axes[0, col].legend(fontsize=7)
        for name in PHASES:
            axes[1, col].plot(t, x[:, index[name]], lw=0.8, label=name)
        axes[1, col].set_ylabel("current (A)")
        axes[1, col].set_xlabel("time (s)")
        axes[1, col].legend(ncol=4, fontsize=7)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    fig.savefig(args.out, dpi=120, bbox_inches="tight")
    print("figure:", args.out)


if __name__ == "__main__":
    main()
