"""Steady-tracking errors, control effort and switching frequency on hand-made trajectories."""

import numpy as np
import pytest

from gem.evaluation import Rollout, commanded_voltages, control_effort, reach_steps, steady_tracking
from gem.physical_systems.converters import (
    ContB6BridgeConverter,
    ContFourQuadrantConverter,
    FiniteB6BridgeConverter,
    FiniteFourQuadrantConverter,
    FiniteOneQuadrantConverter,
)

TAU = 1e-4


def _rollout(errors: np.ndarray, limit: float = 4.0) -> Rollout:
    """One referenced state ``i`` with reference 1 A and the given normalised errors ``(T, n)``."""
    steps, n = errors.shape
    refs = np.ones((steps, n, 1))
    return Rollout(("i",), ("A",), TAU, np.full((n, 1), limit), refs, refs + limit * errors[..., None],
                   np.zeros((steps, n, 1)), np.zeros((steps, n)), np.zeros((steps, n), bool),
                   np.ones((steps, n), bool), 0.0, current="i", currents=refs[..., 0] + limit * errors,
                   current_limits=np.full(n, limit))


def test_steady_tracking_starts_where_the_reference_is_reached():
    wiggle = 0.01 * (-1.0) ** np.arange(20)
    approach = np.concatenate([[-0.5, -0.4, -0.3, -0.2, -0.1], wiggle])        # reached at step 5 (|e| <= 0.02)
    overshoot = np.concatenate([[-0.5, -0.25, 0.05], 0.005 * np.ones(22)])     # crosses at step 2
    never = np.full(25, -0.5)                                                  # never reached
    errors = np.stack([approach, overshoot, never], axis=1)
    np.testing.assert_array_equal(reach_steps(errors, np.ones_like(errors, bool)), [5, 2, 25])
    st = steady_tracking(_rollout(errors))
    steady = np.concatenate([wiggle, overshoot[2:], never])  # the unreached episode counts whole
    assert st.rmse_norm["i"] == pytest.approx(np.sqrt(np.mean(steady ** 2)))
    assert st.mae_norm["i"] == pytest.approx(np.mean(np.abs(steady)))
    assert st.rmse_si["i"] == pytest.approx(4.0 * st.rmse_norm["i"])
    assert st.reach_time["i"] == pytest.approx(TAU * np.mean([6, 3]))  # end of the reach step
    assert st.unreached["i"] == 1 and st.rmse == st.rmse_norm["i"]
    # without the unreached episode the steady error is much smaller than over the whole episodes
    two = steady_tracking(_rollout(errors[:, :2]))
    whole = np.sqrt(np.mean(errors[:, :2] ** 2))
    assert two.rmse < whole / 5


def test_invalid_steps_are_excluded_and_the_band_is_checked():
    errors = np.array([[-0.5], [0.0], [0.0], [9.0]])
    ro = _rollout(errors)
    ro.valid[3] = False
    assert steady_tracking(ro).rmse_norm["i"] == 0.0
    with pytest.raises(ValueError, match="reach band"):
        steady_tracking(ro, reach_band=0.0)


def test_continuous_effort_is_the_clipped_action():
    actions = np.array([[[0.5]], [[-0.5]], [[2.0]], [[0.5]]])  # (T=4, n=1, 1); 2.0 is clipped to 1
    eff = control_effort(actions, np.ones((4, 1), bool), ContFourQuadrantConverter(), TAU)
    assert eff.effort_rms == pytest.approx(np.sqrt(np.mean([0.25, 0.25, 1.0, 0.25])))
    assert eff.effort_change == pytest.approx(np.mean([1.0, 1.5, 0.5]))
    assert np.isnan(eff.switching_hz)
    # B6: the common mode is left out; a = (1, -1, -1) is the largest vector (|v| = 1), (1, 1, 1) is zero
    v = commanded_voltages(np.array([[1.0, -1.0, -1.0], [1.0, 1.0, 1.0], [0.5, -0.5, -0.5]]), ContB6BridgeConverter())
    np.testing.assert_allclose(np.linalg.norm(v, axis=-1), [1.0, 0.0, 0.5])
    dq = control_effort(np.array([[[0.6, 0.8]], [[0.0, 0.5]]]), np.ones((2, 1), bool), ContB6BridgeConverter(), TAU,
                        action_frame="dq")  # rotor-frame actions: the vector itself
    assert dq.effort_rms == pytest.approx(np.sqrt((1.0 + 0.25) / 2))
    assert dq.effort_change == pytest.approx(np.hypot(0.6, 0.3))


def test_finite_effort_and_switching_frequency():
    conv = FiniteFourQuadrantConverter()
    alternate = np.array([1, 2] * 5)[:, None, None]  # +u_sup, -u_sup: both legs switch every period
    eff = control_effort(alternate, np.ones((10, 1), bool), conv, 1e-5)
    assert eff.effort_rms == 1.0 and eff.effort_change == 2.0
    assert eff.switching_hz == pytest.approx(1 / (2 * 1e-5))  # the largest possible: 50 kHz
    held = control_effort(np.ones((10, 1, 1), int), np.ones((10, 1), bool), conv, 1e-5)
    assert held.switching_hz == 0.0 and held.effort_change == 0.0
    # 1 -> 0 -> 1 -> 0 (0: both legs upper): one leg switches every period, the other never
    half = control_effort(np.array([1, 0, 1, 0])[:, None, None], np.ones((4, 1), bool), conv, 1e-5)
    assert half.switching_hz == pytest.approx(0.5 / (2 * 1e-5)) and half.effort_rms == pytest.approx(np.sqrt(0.5))
    b6 = commanded_voltages(np.arange(8)[:, None], FiniteB6BridgeConverter())
    np.testing.assert_allclose(np.linalg.norm(b6, axis=-1), [0, 1, 1, 1, 1, 1, 1, 0], atol=1e-12)
    off = commanded_voltages(np.array([[0], [1]]), FiniteOneQuadrantConverter())
    assert np.isnan(off[0, 0]) and off[1, 0] == 1.0  # an open leg's voltage is set by its current
