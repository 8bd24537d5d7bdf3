"""Records the reference of ``test_saturation_off_is_bit_identical`` (run with gem's tree before saturation).

Made with the tree of commit 737690d (``git archive 737690d gem | tar -x -C DIR``;
``PYTHONPATH=DIR python tests/data/saturation/record_linear.py``): seeded random actions on
Cont-CC-PMSM-v0 and Cont-SC-SynRM-v0, compiled and NumPy, 3 environments, 60 steps; the physical
states and rewards, exactly.
"""

import os

import numpy as np

import gem

CASES = {"pmsm_cc": dict(motor="PMSM", task="CC"), "synrm_sc": dict(motor="SynRM", task="SC")}


def record(compiled: bool, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """Physical states ``(steps + 1, 3, n)`` and rewards ``(steps, 3)`` of a seeded random run."""
    env = gem.make_vec_env(num_envs=3, max_episode_steps=40, compiled=compiled, **kwargs)
    env.reset(seed=[3, 4, 5])
    env.action_space.seed(7)
    states, rewards = [env.physical_state], []
    for _ in range(60):
        _, reward, *_ = env.step((0.5 * env.action_space.sample()).astype(np.float32))
        states.append(env.physical_state)
        rewards.append(reward)
    return np.array(states), np.array(rewards)


if __name__ == "__main__":
    out = {}
    for name, kwargs in CASES.items():
        for compiled in (True, False):
            out[f"{name}_{int(compiled)}_states"], out[f"{name}_{int(compiled)}_rewards"] = record(compiled, **kwargs)
    np.savez_compressed(os.path.join(os.path.dirname(__file__), "linear_reference.npz"), **out)
