"""A PMSM that heats up: the thermal option (``thermal=...``) under the tuned PI current control.

The PMSM carries the nominal 240 A (maximum torque per ampere) at 1500 rpm with hot coolant. Its four
temperatures (magnet, stator yoke, teeth, winding) are states; the heat capacities are scaled down by
1000 so that minutes of heating pass in a fraction of a second. The winding passes its 180 °C limit
and the episode ends there (the thermal option's default constraint). The stator resistance grows
with the winding temperature, the magnet flux falls with the magnet's; the PI loops keep the
currents and raise the voltage.

Run with ``python examples/thermal_pmsm.py [--seconds S]``; docs: "Temperature: the thermal option".
"""

import argparse
import os

import gymnasium as gym
import numpy as np

import gem
import gem.controllers
from gem.envs import ConstReference
from gem.physical_systems import ConstantSpeedLoad, WallscheidLPTN

CAPACITIES = ("c_pm", "c_sy", "c_st", "c_sw")


def main(seconds: float = 1.0) -> None:
    thermal = {**{c: getattr(WallscheidLPTN, c) / 1000.0 for c in CAPACITIES},
               "theta_coolant": 90.0, "theta_ambient": 40.0}
    env = gym.make("gem/Cont-CC-PMSM-v0", thermal=thermal, load=ConstantSpeedLoad(omega_fixed=157.0),
                   reference=[ConstReference(value=-151.0 / 400.0), ConstReference(value=186.6 / 400.0)],
                   max_episode_steps=None)
    base = env.unwrapped
    policy = gem.controllers.make(env)
    obs, _ = env.reset(seed=0)
    idx = base.drive.index
    print("temperatures (°C) every 0.1 s:   magnet  yoke  teeth  winding   |u_dq| (V)")
    steps = int(round(seconds / base.tau))
    for k in range(steps):
        action, _ = policy.predict(obs, episode_start=(k == 0))
        obs, _, terminated, _, _ = env.step(action)
        s = base.physical_state
        if terminated or (k + 1) % 1000 == 0:
            temps = "  ".join(f"{s[idx[n]]:6.1f}" for n in ("theta_pm", "theta_sy", "theta_st", "theta_sw"))
            print(f"t = {(k + 1) * base.tau:5.2f} s: {temps}   {np.hypot(s[idx['u_sd']], s[idx['u_sq']]):6.1f}")
        if terminated:
            print(f"over-temperature: theta_sw = {s[idx['theta_sw']]:.2f} °C > 180 °C ends the episode")
            break
    else:
        print(f"no over-temperature within {seconds} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.2 if os.environ.get("GEM_SMALL_BUDGET") else 1.0,
                        help="simulated time (s)")
    main(parser.parse_args().seconds)
