"""Quick start: a short rollout of a gem environment, single and batched.

Run with ``python examples/quickstart.py``. It prints what happened: the state names, a few
steps with physical values in SI units, and the throughput of a batched environment.
"""

import time

import gymnasium as gym
import numpy as np

import gem  # noqa: F401  (registers the gem/ ids)


def main(steps: int = 2000, num_envs: int = 256) -> None:
    env = gym.make("gem/Cont-CC-SeriesDc-v0")
    obs, info = env.reset(seed=0)
    drive = env.unwrapped
    print("state names:      ", drive.state_names)
    print("observation names:", drive.observation_names)
    print("action space:     ", env.action_space)
    i = drive.drive.index["i"]
    total, terminated_count = 0.0, 0
    for k in range(steps):
        # a crude proportional current controller, only to have something sensible to print
        i_ref = obs[-1]
        action = np.clip([0.3 + 2.0 * (i_ref - obs[i])], -1.0, 1.0).astype(np.float32)
        obs, reward, terminated, truncated, info = env.step(action)
        total += reward
        if k % 500 == 0:
            si = drive.physical_state
            print(f"step {k:5d}: i = {si[i]:7.2f} A (ref {drive.references[0]:7.2f} A), "
                  f"u = {si[drive.drive.index['u']]:6.2f} V, torque = {si[1]:6.2f} N m, reward {reward:+.3f}")
        if terminated or truncated:
            terminated_count += int(terminated)
            obs, info = env.reset()
    print(f"mean reward over {steps} steps: {total / steps:+.4f}; limit violations: {terminated_count}")

    venv = gym.make_vec("gem/Cont-CC-SeriesDc-v0", num_envs=num_envs, vectorization_mode="vector_entry_point")
    venv.reset(seed=0)
    actions = np.random.default_rng(0).uniform(-0.2, 0.2, size=(200, num_envs, 1)).astype(np.float32)
    t0 = time.perf_counter()
    for a in actions:
        venv.step(a)
    dt = time.perf_counter() - t0
    print(f"vector env: {num_envs} envs x 200 steps in {dt:.3f} s = {num_envs * 200 / dt:,.0f} env-steps/s")


if __name__ == "__main__":
    main()
