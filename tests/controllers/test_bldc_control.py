"""BLDC cascade: 120° block commutation from the Hall signals, torque ripple at the commutations."""

import gymnasium as gym
import numpy as np

import gem
import gem.controllers
from gem.envs import ConstReference


def run(steps, **kwargs):
    """The cascade on Cont-TC-BLDC (NumPy step) with a constant torque reference of 0.5 of the limit."""
    env = gym.make("gem/Cont-TC-BLDC-v0", compiled=False, max_episode_steps=None,
                   reference=ConstReference(value=0.5), **kwargs)
    policy = gem.controllers.make(env)
    base, index = env.unwrapped, env.unwrapped.drive.index
    obs, _ = env.reset(seed=0)
    torque, code, actions = [], [], []
    for k in range(steps):
        action, _ = policy.predict(obs, episode_start=(k == 0))
        obs, _, terminated, _, _ = env.step(action)
        assert not terminated
        phys = base.physical_state
        torque.append(phys[index["torque"]])
        code.append(4 * phys[index["hall_a"]] + 2 * phys[index["hall_b"]] + phys[index["hall_c"]])
        actions.append(action)
    return base, np.array(torque), np.array(code), np.array(actions)


def test_torque_is_held_between_commutations_and_dips_at_them():
    base, torque, code, _ = run(1500)
    ref = 0.5 * base.limits[base.drive.index["torque"]]
    edges = np.flatnonzero(np.diff(code) != 0) + 1
    edges = edges[edges > 500]
    assert len(edges) > 20                                      # 100 rad/s, p = 4: a commutation every 2.6 ms
    sectors = np.diff(edges)
    after = [np.max(np.abs(torque[e:e + s // 6] - ref)) for e, s in zip(edges, sectors, strict=False)]
    middle = [np.max(np.abs(torque[e + s // 3:e + 2 * s // 3] - ref)) for e, s in zip(edges, sectors, strict=False)]
    assert np.max(middle) < 0.01 * ref                          # on the flat tops the block current holds the torque
    assert np.mean(after) > 0.05 * ref > 5 * np.mean(middle)    # the commutation ripple


def test_commutation_uses_the_hall_signals_only():
    """Without the angle in the observation the cascade acts exactly as with it."""
    _, _, _, with_angle = run(300)
    names = [n for n in gem.make_task("BLDC", "TC").observed if "epsilon" not in n]
    _, _, _, without = run(300, observed_states=names)
    np.testing.assert_array_equal(with_angle, without)
