"""Records the supply-off trajectories of three ids that test_dc_link.py compares bit for bit.

``supply_off_main.npz`` was recorded with the gem of main at 737690d, before the DC-link option
existed (``PYTHONPATH`` at that checkout)::

    PYTHONPATH=<checkout of 737690d> python tests/data/dclink/record_supply_off.py supply_off_main.npz
"""
import sys

import gymnasium as gym
import numpy as np

import gem  # noqa: F401

IDS = ("gem/Cont-CC-PMSM-v0", "gem/Finite-SC-ExtExDc-v0", "gem/Cont-TC-SCIM-v0")
out = {}
for env_id in IDS:
    for compiled in (True, False):
        env = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point", compiled=compiled)
        env.reset(seed=11)
        env.action_space.seed(5)
        rows = []
        for _ in range(40):
            obs, *_ = env.step(env.action_space.sample())
            rows.append(np.concatenate([env.unwrapped.physical_state.ravel(), obs.ravel().astype(float)]))
        out[f"{env_id}|{compiled}"] = np.array(rows)
np.savez_compressed(sys.argv[1], **out)
print({k: v.shape for k, v in out.items()})
