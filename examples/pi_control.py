"""Speed control of a series DC motor with the automatically tuned PI cascade.

``gem.controllers.make(env)`` reads the motor, converter, load and task from the environment and
returns a speed → torque → current → duty-cycle cascade. This script runs one episode and plots
the reference and measured speed, the current reference (set by the speed controller) and the
measured current, and the torque and voltage.

Run with ``python examples/pi_control.py`` (``--reference default`` for the id's default
reference, random set-points reached by S-curve moves, instead of steps); the figure goes to
``runs/pi_control.png`` (``--out`` to change it).
"""

from __future__ import annotations

import argparse
import os

import gymnasium as gym
import matplotlib
import numpy as np

import gem
import gem.controllers
from gem.envs import PeriodicReference

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def run(env_id: str = "gem/Cont-SC-SeriesDc-v0", reference: str = "step", seconds: float = 0.8, seed: int = 0):
    """Runs the cascade for ``seconds``; returns time, physical states, references and current refs."""
    kwargs = {}
    if reference == "step":
        # square wave between 0.15 and 0.6 of the speed limit (60 and 240 rad/s), 2.5 Hz
        kwargs["reference"] = PeriodicReference(shape="step", low=0.15, high=0.6, amplitude_range=(1.0, 1.0),
                                                frequency_range=(2.5, 2.5))
    env = gym.make(env_id, **kwargs)
    base = env.unwrapped
    policy = gem.controllers.make(env)
    print("cascade:", policy.info["motor"], policy.info["task"], policy.info["converter"])
    print("current gains kp, ki:", policy.info["current_gains"].kp, policy.info["current_gains"].ki)
    print("speed gains kp, ki:  ", policy.info["speed_gains"].kp, policy.info["speed_gains"].ki)
    obs, _ = env.reset(seed=seed)
    states, refs, current_refs = [base.physical_state], [base.references], [np.nan]
    start = True
    for _ in range(int(round(seconds / base.tau))):
        action, _ = policy.predict(obs, episode_start=start)
        start = False
        current_refs.append(policy.last_signals["i_ref"][0])
        obs, _, terminated, truncated, _ = env.step(action)
        states.append(base.physical_state)
        refs.append(base.references)
        if terminated or truncated:
            break
    t = np.arange(len(states)) * base.tau
    return base, t, np.array(states), np.array(refs), np.array(current_refs)


def plot(base, t, states, refs, current_refs, out: str) -> None:
    """Speed, current, torque and voltage over time."""
    idx = base.drive.index
    fig, axes = plt.subplots(4, 1, figsize=(9, 8), sharex=True)
    # the reference shown at step k is the target of the state at step k + 1
    axes[0].plot(t[1:], refs[:-1, 0], color="tab:orange", label="reference ω*")
    axes[0].plot(t, states[:, idx["omega"]], color="tab:blue", label="measured ω")
    axes[0].set_ylabel("speed (rad/s)")
    axes[1].plot(t[1:], current_refs[1:], color="tab:orange", label="reference i* (speed controller)")
    axes[1].plot(t, states[:, idx["i"]], color="tab:blue", label="measured i")
    axes[1].axhline(base.limits[idx["i"]], color="tab:red", ls="--", lw=0.8, label="current limit")
    axes[1].set_ylabel("current (A)")
    axes[2].plot(t, states[:, idx["torque"]], color="tab:green")
    axes[2].set_ylabel("torque (N m)")
    axes[3].plot(t, states[:, idx["u"]], color="tab:purple", lw=0.7)
    axes[3].set_ylabel("voltage (V)")
    axes[3].set_xlabel("time (s)")
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[0].legend(loc="lower right")
    axes[1].legend(loc="lower right")
    fig.suptitle(f"{base.spec.id if base.spec else 'gem'}: PI cascade (symmetrical optimum speed loop with "
                 "reference prefilter, technical optimum current loop)", fontsize=10)
    fig.tight_layout()
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    fig.savefig(out, dpi=100)
    print(f"saved {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--id", default="gem/Cont-SC-SeriesDc-v0", help="a speed-control id of a one-current DC motor")
    parser.add_argument("--reference", choices=("step", "default"), default="step")
    parser.add_argument("--seconds", type=float, default=0.8)
    parser.add_argument("--out", default=os.path.join("runs", "pi_control.png"),
                        help="figure file (default: runs/pi_control.png; runs/ is ignored by git)")
    args = parser.parse_args()
    plot(*run(args.id, args.reference, args.seconds), out=args.out)


if __name__ == "__main__":
    main()
