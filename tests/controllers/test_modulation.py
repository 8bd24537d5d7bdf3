"""Output stages: duty-cycle inversion and delta-sigma switching."""

import numpy as np
import pytest

from gem.controllers import ContinuousModulator, DeltaSigmaModulator
from gem.physical_systems import converters as cv
from gem.physical_systems.transforms import T23

U_SUP = 60.0


def applied(converter, action, n_out):
    """Period-average output voltage of ``converter`` for ``action`` (zero current)."""
    batch = action.shape[0]
    out = converter.output(action, np.zeros((batch, n_out)), converter.initial_switch_state(batch),
                           np.full(batch, U_SUP), 1e-4)
    return out.u_mean


@pytest.mark.parametrize("topology", [cv.FOUR_QUADRANT, cv.TWO_QUADRANT, cv.B6_BRIDGE,
                                      cv.combine(cv.FOUR_QUADRANT, cv.FOUR_QUADRANT)])
def test_continuous_modulator_inverts_the_converter(topology):
    mod = ContinuousModulator(topology)
    rng = np.random.default_rng(0)
    u_sup = np.full(5, U_SUP)
    low, high = mod.voltage_range(u_sup)
    u = rng.uniform(low, high)
    action = mod.modulate(u, u_sup)
    assert action.dtype == np.float32
    np.testing.assert_allclose(applied(cv.ContinuousConverter(topology), action.astype(float), topology.n_out),
                               u, atol=1e-4)


def test_continuous_modulator_ranges():
    np.testing.assert_allclose(ContinuousModulator(cv.FOUR_QUADRANT).voltage_range(np.array([60.0])),
                               ([[-60.0]], [[60.0]]))
    np.testing.assert_allclose(ContinuousModulator(cv.TWO_QUADRANT).voltage_range(np.array([60.0])),
                               ([[0.0]], [[60.0]]))
    np.testing.assert_allclose(ContinuousModulator(cv.B6_BRIDGE).voltage_range(np.array([60.0]))[1], [[30.0] * 3])


@pytest.mark.parametrize("command", [-47.0, -3.3, 0.0, 12.5, 59.0])
def test_delta_sigma_average_follows_a_4qc_command(command):
    conv = cv.FiniteFourQuadrantConverter()
    mod = DeltaSigmaModulator(conv.topology)
    u = np.full((1, 1), command)
    volts = [applied(conv, mod.modulate(u, np.array([U_SUP])), 1)[0, 0] for _ in range(400)]
    assert np.mean(volts) == pytest.approx(command, abs=U_SUP / 400 + 1e-9)
    assert np.all(np.abs(mod.acc[0]) <= 0.5 + 1e-12)       # quantisation error stays within half a level


def test_delta_sigma_b6_follows_a_rotating_vector():
    conv = cv.FiniteB6BridgeConverter()
    mod = DeltaSigmaModulator(conv.topology)
    n, amp = 2000, 0.5 * U_SUP
    angle = np.linspace(0, 2 * np.pi, n)
    target = np.stack([amp * np.cos(angle), amp * np.sin(angle)], axis=1)
    legs = np.stack([np.cos(angle), np.cos(angle - 2 * np.pi / 3), np.cos(angle + 2 * np.pi / 3)], axis=1) * amp
    got = []
    for k in range(n):
        a = mod.modulate(legs[k:k + 1], np.array([U_SUP]))
        assert a.dtype == np.int64 and 0 <= a[0, 0] < 8
        got.append(applied(conv, a, 3)[0] @ T23.T)
    err = np.cumsum(np.array(got) - target, axis=0)          # accumulated volt-seconds error (per period)
    assert np.max(np.linalg.norm(err, axis=1)) < U_SUP        # bounded: the average follows the command


def test_delta_sigma_zero_vector_switches_fewest_legs():
    mod = DeltaSigmaModulator(cv.B6_BRIDGE)
    mod.modulate(np.array([[U_SUP / 2, -U_SUP / 4, -U_SUP / 4]]), np.array([U_SUP]))   # selects (1,0,0) = 4
    assert mod.previous[0, 0] == 4
    mod.acc[0][:] = 0.0
    a = mod.modulate(np.zeros((1, 3)), np.array([U_SUP]))
    assert a[0, 0] == 0                                       # 000 is one switch away from 100, 111 two


def test_delta_sigma_multi_and_reset():
    conv = cv.FiniteMultiConverter(cv.FiniteFourQuadrantConverter(), cv.FiniteFourQuadrantConverter())
    mod = DeltaSigmaModulator(conv.topology)
    a = mod.modulate(np.array([[30.0, -30.0], [0.0, 60.0]]), np.full(2, U_SUP))
    assert a.shape == (2, 2)
    mod.reset(np.array([True, False]))
    assert np.all(mod.acc[0][0] == 0.0) and np.all(mod.acc[1][0] == 0.0)
