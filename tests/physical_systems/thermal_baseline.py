"""Trajectories of the plain PMSM and SynRM ids, to show that the thermal option leaves them bit-identical.

``python tests/physical_systems/thermal_baseline.py OUT.npz`` writes them; tests/data/thermal_off_baseline.npz was
written by gem at commit 737690d (before the thermal option), and test_thermal.py compares today's code with it.
"""

import sys

import numpy as np

import gem

CASES = {"pmsm_cont_cc": ("PMSM", "CC", "Cont", True), "pmsm_cont_cc_numpy": ("PMSM", "CC", "Cont", False),
         "synrm_cont_tc": ("SynRM", "TC", "Cont", True), "pmsm_finite_sc": ("PMSM", "SC", "Finite", True),
         "permex_cont_cc": ("PermExDc", "CC", "Cont", True)}


def trajectory(motor: str, task: str, action_type: str, compiled: bool, steps: int = 150) -> np.ndarray:
    """Physical states ``(steps + 1, 3, n_states)`` of three environments under seeded random actions."""
    venv = gem.make_vec_env(num_envs=3, motor=motor, task=task, action_type=action_type, compiled=compiled,
                            max_episode_steps=60)
    venv.reset(seed=[1, 2, 3])
    venv.action_space.seed(4)
    out = [venv.physical_state.copy()]
    for _ in range(steps):
        venv.step(venv.action_space.sample())
        out.append(venv.physical_state.copy())
    return np.stack(out)


if __name__ == "__main__":
    np.savez_compressed(sys.argv[1], **{name: trajectory(*case) for name, case in CASES.items()})
