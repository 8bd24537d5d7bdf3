"""Forward voltages of the converters' switches and diodes (off by default), compiled and NumPy."""

import gymnasium as gym
import numpy as np
import pytest

import gem  # noqa: F401
from gem.physical_systems import (
    ContFourQuadrantConverter,
    ContMultiConverter,
    ContOneQuadrantConverter,
    FiniteB6BridgeConverter,
    FiniteFourQuadrantConverter,
)

U, VS, VD = 60.0, 1.2, 0.8


def output(converter, action, i_out, switch=None):
    n = len(action)
    switch = converter.initial_switch_state(n) if switch is None else switch
    return converter.output(np.asarray(action), np.asarray(i_out, float), switch, np.full(n, U), 1e-4).u_mean


@pytest.mark.parametrize("a", [-0.6, 0.0, 0.35, 1.0])
def test_h_bridge_loses_a_switch_and_a_diode_share_per_leg(a):
    """4QC: u = a U - (1 + a) u_switch - (1 - a) u_diode for a current out of leg 1 (closed form)."""
    conv = ContFourQuadrantConverter(switch_drop=VS, diode_drop=VD)
    u_pos = output(conv, [[a]], [[5.0]])[0, 0]
    u_neg = output(conv, [[a]], [[-5.0]])[0, 0]
    assert u_pos == pytest.approx(a * U - (1 + a) * VS - (1 - a) * VD, abs=1e-12)
    assert u_neg == pytest.approx(a * U + (1 + a) * VD + (1 - a) * VS, abs=1e-12)   # into the bridge: a rise
    assert output(conv, [[a]], [[0.0]])[0, 0] == pytest.approx(a * U, abs=1e-12)       # no current, no drop
    assert output(ContFourQuadrantConverter(), [[a]], [[5.0]])[0, 0] == pytest.approx(a * U, abs=1e-12)


def test_one_quadrant_leg_and_multi_converter():
    conv = ContOneQuadrantConverter(switch_drop=VS, diode_drop=VD)
    d = 0.4
    assert output(conv, [[d]], [[3.0]])[0, 0] == pytest.approx(d * U - d * VS - (1 - d) * VD, abs=1e-12)
    multi = ContMultiConverter(ContFourQuadrantConverter(switch_drop=VS, diode_drop=VD),
                               ContFourQuadrantConverter(switch_drop=VS, diode_drop=VD))
    assert (multi.switch_drop, multi.diode_drop) == (VS, VD)
    with pytest.raises(ValueError, match="different switch_drop"):
        ContMultiConverter(ContFourQuadrantConverter(switch_drop=VS), ContFourQuadrantConverter())


def test_finite_legs_switch_and_diode():
    """Upper switch on with the current out: U - u_switch; open leg with current out: through the lower diode."""
    conv = FiniteFourQuadrantConverter(switch_drop=VS, diode_drop=VD)
    # action 1: leg 1 upper, leg 2 lower -> +U, current out of leg 1 through both switches
    assert output(conv, [[1]], [[4.0]])[0, 0] == pytest.approx(U - 2 * VS, abs=1e-12)
    b6 = FiniteB6BridgeConverter(switch_drop=VS, diode_drop=VD)
    ideal = FiniteB6BridgeConverter()
    i = [[4.0, -1.0, -3.0]]
    for action in range(8):
        assert not np.allclose(output(b6, [[action]], i), output(ideal, [[action]], i))


@pytest.mark.parametrize("bad", [-0.1, float("nan"), "1", np.ones(3)])
def test_bad_forward_voltages_are_named(bad):
    with pytest.raises(ValueError, match="switch_drop"):
        ContFourQuadrantConverter(switch_drop=bad)


@pytest.mark.parametrize(("env_id", "kwargs"), [
    ("gem/Cont-CC-PMSM-v0", {}),
    ("gem/Finite-CC-PermExDc-v0", {"interlocking_time": 2e-6}),
])
def test_compiled_equals_numpy_with_drops(env_id, kwargs):
    out = {}
    for compiled in (True, False):
        env = gym.make_vec(env_id, num_envs=64, vectorization_mode="vector_entry_point", compiled=compiled,
                           switch_drop=VS, diode_drop=VD, **kwargs)
        env.reset(seed=2)
        assert env.unwrapped.compiled == compiled
        env.action_space.seed(0)
        states = []
        for _ in range(30):
            env.step(env.action_space.sample())
            states.append(env.unwrapped.physical_state.copy())
        out[compiled] = np.array(states)
    np.testing.assert_allclose(out[True], out[False], rtol=1e-9, atol=1e-9)
