"""Three-phase environments: observation defaults, dq action frame, current constraint, voltage ranges."""

import gymnasium as gym
import numpy as np
import pytest

import gem
from gem.physical_systems import ConstantSpeedLoad


def test_default_observation_has_cos_sin_and_last_action():
    env = gym.make("gem/Cont-CC-PMSM-v0")
    names = env.unwrapped.observation_names
    assert "epsilon" not in names and "cos(epsilon)" in names and "sin(epsilon)" in names
    assert names[-3:] == ("last_action_0", "last_action_1", "last_action_2")
    obs, _ = env.reset(seed=0, options={"initial_state": {"epsilon": 1.0}})
    eps = env.unwrapped.physical_state[env.unwrapped.drive.index["epsilon"]]
    assert obs[names.index("cos(epsilon)")] == pytest.approx(np.cos(eps), abs=1e-6)
    assert obs[names.index("sin(epsilon)")] == pytest.approx(np.sin(eps), abs=1e-6)
    action = np.array([0.1, -0.2, 0.3], np.float32)
    obs, *_ = env.step(action)
    np.testing.assert_allclose(obs[-3:], action)


def test_finite_last_action_is_one_hot():
    env = gym.make("gem/Finite-CC-PMSM-v0")
    env.reset(seed=0)
    obs, *_ = env.step(5)
    one_hot = obs[-8:]
    np.testing.assert_array_equal(one_hot, np.eye(8)[5])


def test_raw_angle_on_request():
    env = gym.make("gem/Cont-CC-PMSM-v0", observed_states=("i_sd", "i_sq", "epsilon"), last_action=False)
    assert env.unwrapped.observation_names == ("i_sd", "i_sq", "epsilon", "i_sd_ref", "i_sq_ref")


@pytest.mark.parametrize("compiled", [True, False])
def test_dq_action_frame_applies_the_commanded_rotor_voltage(compiled):
    """A constant dq action gives that rotor-frame voltage (period average), whatever the angle."""
    env = gym.make("gem/Cont-CC-PMSM-v0", action_frame="dq", compiled=compiled, constraints=(),
                   load=ConstantSpeedLoad(omega_fixed=300.0))
    drive = env.unwrapped.drive
    assert env.action_space.shape == (2,)
    env.reset(seed=0)
    u_max = 2.0 / 3.0 * drive.supply.u_nominal
    for _ in range(50):
        env.step(np.array([-0.2, 0.5], np.float32))
        phys = env.unwrapped.physical_state
        u_sd, u_sq = phys[drive.index["u_sd"]], phys[drive.index["u_sq"]]
        # the average over a period at omega_el*tau = 0.09 rad differs from the command by ~sinc: < 0.1 %
        assert u_sd == pytest.approx(-0.2 * u_max, rel=2e-3)
        assert u_sq == pytest.approx(0.5 * u_max, rel=2e-3)


def test_dq_action_beyond_the_hexagon_is_shortened_in_its_direction():
    env = gym.make("gem/Cont-CC-PMSM-v0", action_frame="dq", constraints=())
    drive = env.unwrapped.drive
    env.reset(seed=0)
    env.step(np.array([1.0, 1.0], np.float32))
    phys = env.unwrapped.physical_state
    u_sd, u_sq = phys[drive.index["u_sd"]], phys[drive.index["u_sq"]]
    u_sup = drive.supply.u_nominal
    assert np.hypot(u_sd, u_sq) <= 2.0 / 3.0 * u_sup + 1e-9          # inside the hexagon
    assert np.hypot(u_sd, u_sq) >= u_sup / np.sqrt(3.0) * 0.99        # at least the inscribed circle
    assert u_sd == pytest.approx(u_sq, rel=2e-2)                        # direction kept (45 degrees)
    legs = phys[[drive.index[n] for n in ("u_a", "u_b", "u_c")]]
    assert np.all(np.abs(legs) <= u_sup / 2 + 1e-9)


def test_dq_frame_is_rejected_for_finite_and_dc():
    with pytest.raises(ValueError, match="action_frame"):
        gym.make("gem/Finite-CC-PMSM-v0", action_frame="dq")
    with pytest.raises(ValueError, match="action_frame"):
        gym.make("gem/Cont-CC-SeriesDc-v0", action_frame="dq")


def test_squared_current_constraint_terminates():
    env = gym.make("gem/Cont-CC-PMSM-v0", action_frame="dq", load=ConstantSpeedLoad(omega_fixed=0.0))
    env.reset(seed=0)
    for _ in range(200):
        *_, terminated, _truncated, _info = env.step(np.array([0.0, 1.0], np.float32))
        if terminated:
            break
    assert terminated, "full q voltage at standstill must exceed the current limit"
    drive = env.unwrapped.drive
    phys = env.unwrapped.physical_state
    i_lim = drive.motor.limits["i_sd"]
    assert np.hypot(phys[drive.index["i_sd"]], phys[drive.index["i_sq"]]) > i_lim


@pytest.mark.parametrize("env_id", [i if i in ("gem/Cont-CC-PMSM-v0", "gem/Finite-SC-SynRM-v0")
                                    else pytest.param(i, marks=pytest.mark.slow)      # a new kernel per id
                                    for i in gem.env_ids() if i.split("-")[2] in ("PMSM", "SynRM")])
def test_voltages_and_angle_stay_in_range_under_random_actions(env_id):
    env = gym.make(env_id, constraints=())
    drive = env.unwrapped.drive
    env.reset(seed=1)
    env.action_space.seed(1)
    lim = env.unwrapped.limits
    volt = [drive.index[n] for n in ("u_a", "u_b", "u_c", "u_sd", "u_sq")]
    for _ in range(100):
        obs, *_ = env.step(env.action_space.sample())
        phys = env.unwrapped.physical_state
        assert np.all(np.abs(phys[volt] / lim[volt]) <= 1 + 1e-9)
        assert -np.pi <= phys[drive.index["epsilon"]] <= np.pi
        assert env.observation_space.contains(obs)
