"""The PI current cascade of a PMSM on three DC links: ideal, RC, and a grid with a diode rectifier.

The same environment id and controller run on ``supply=`` options (docs: *The DC link*): the
ideal 300 V link, a 300 V source behind 1 Ω charging 1 mF (``RCVoltageSupply``), and a 230 V,
50 Hz grid feeding 1 mF through a diode bridge (``ThreePhaseRectifierSupply``). The q-current
reference steps up and down; the RC link droops while the drive draws power and the rectifier's
link shows the six-pulse ripple; the cascade reads the measured ``u_sup`` and keeps tracking.

Run with ``python examples/dc_link.py``; the figure goes to ``runs/dc_link.png`` (``--out``).
"""

from __future__ import annotations

import argparse
import os

import gymnasium as gym
import matplotlib
import numpy as np

import gem  # noqa: F401  (registers the gem/ ids)
import gem.controllers
from gem.envs import ConstReference, PeriodicReference
from gem.physical_systems import RCVoltageSupply, ThreePhaseRectifierSupply

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SUPPLIES = {
    "ideal 300 V": None,
    "RC: 300 V, 1 Ω, 1 mF": RCVoltageSupply(u_nominal=300.0, r=1.0, c=1e-3),
    "grid 230 V 50 Hz, rectifier, 1 mF": ThreePhaseRectifierSupply(u_nominal=230.0, c=1e-3),
}


def run(supply, seconds: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...], np.ndarray]:
    """Runs the cascade for ``seconds``; returns time, physical states, references, state names, limits."""
    reference = [ConstReference(value=-0.2),
                 PeriodicReference(shape="step", low=0.05, high=0.5, amplitude_range=(1.0, 1.0),
                                   frequency_range=(25.0, 25.0))]
    env = gym.make("gem/Cont-CC-PMSM-v0", reference=reference, **({"supply": supply} if supply else {}))
    base = env.unwrapped
    policy = gem.controllers.make(env)
    obs, _ = env.reset(seed=0)
    states, refs = [base.physical_state], [base.references]
    for k in range(int(round(seconds / base.tau))):
        action, _ = policy.predict(obs, episode_start=(k == 0))
        obs, _, terminated, truncated, _ = env.step(action)
        states.append(base.physical_state)
        refs.append(base.references)
        if terminated or truncated:
            break
    return np.arange(len(states)) * base.tau, np.array(states), np.array(refs), base.state_names, base.limits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.03 if os.environ.get("GEM_SMALL_BUDGET") else 0.1)
    parser.add_argument("--out", default="runs/dc_link.png")
    args = parser.parse_args()
    fig, (ax_u, ax_i) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    print(f"{'supply':36s} {'u_sup min':>10s} {'mean':>8s} {'max':>8s} {'rms i_sq error':>15s}")
    for label, supply in SUPPLIES.items():
        t, states, refs, names, lim = run(supply, args.seconds)
        u, i_sq = states[:, names.index("u_sup")], states[:, names.index("i_sq")]
        err = (i_sq[1:] - refs[:-1, 1]) / lim[names.index("i_sq")]
        print(f"{label:36s} {u.min():10.1f} {u.mean():8.1f} {u.max():8.1f} {np.sqrt(np.mean(err ** 2)):15.3f}")
        ax_u.plot(t * 1e3, u, label=label)
        ax_i.plot(t * 1e3, i_sq)
    ax_i.plot(t * 1e3, refs[:, 1], "k--", lw=0.8, label="reference")
    ax_u.set_ylabel("u_sup (V)")
    ax_i.set_ylabel("i_sq (A)")
    ax_i.set_xlabel("t (ms)")
    ax_u.set_ylim(bottom=100.0)                 # room for the legend below the curves
    ax_u.legend(fontsize=8, ncol=2, loc="lower center")
    ax_i.legend(fontsize=8, loc="center right")
    ax_u.set_title("Cont-CC-PMSM-v0 under the PI cascade on three DC links")
    fig.tight_layout()
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print("figure:", args.out)


if __name__ == "__main__":
    main()
