"""``gem.evaluation.step_response`` on responses whose figures are known in closed form."""

import numpy as np
import pytest
from scipy.optimize import brentq

from gem.evaluation import Rollout, StepFigures, rollout_steps, step_response

T = 2e-3  # first-order time constant (s)


def first_order(t, y0, y1):
    return y1 + (y0 - y1) * np.exp(-(t - t[0]) / T)


@pytest.mark.parametrize(("y0", "y1"), [(0.0, 1.0), (3.0, -2.0), (-5.0, 40.0)])
@pytest.mark.parametrize("as_array", [False, True])
def test_first_order_step_up_and_down(y0, y1, as_array):
    t = 0.05 + np.linspace(0.0, 12 * T, 12_001)
    ref = np.full_like(t, y1) if as_array else y1
    out = step_response(t, first_order(t, y0, y1), ref)
    assert out["rise_time"] == pytest.approx(T * np.log(9.0), rel=1e-5)      # 10 % at T ln(10/9), 90 % at T ln 10
    assert out["settling_time"] == pytest.approx(T * np.log(50.0), rel=1e-5)  # |y - y1| = 2 % at T ln 50
    assert out["overshoot"] == 0.0
    wide = step_response(t, first_order(t, y0, y1), ref, band=0.05)
    assert wide["settling_time"] == pytest.approx(T * np.log(20.0), rel=1e-5)


def second_order(t, zeta, wn):
    wd = wn * np.sqrt(1 - zeta ** 2)
    return 1 - np.exp(-zeta * wn * t) / np.sqrt(1 - zeta ** 2) * np.sin(wd * t + np.arccos(zeta))


@pytest.mark.parametrize("zeta", [0.2, 0.5])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_second_order_overshoot_rise_and_settling(zeta, sign):
    wn = 2 * np.pi * 50.0
    t = np.linspace(0.0, 0.2, 200_001)
    y = 10.0 + sign * 4.0 * second_order(t, zeta, wn)
    out = step_response(t, y, 10.0 + sign * 4.0)
    assert out["overshoot"] == pytest.approx(np.exp(-np.pi * zeta / np.sqrt(1 - zeta ** 2)), rel=1e-6)
    t_peak = np.pi / (wn * np.sqrt(1 - zeta ** 2))
    t10 = brentq(lambda s: second_order(s, zeta, wn) - 0.1, 0.0, t_peak)
    t90 = brentq(lambda s: second_order(s, zeta, wn) - 0.9, 0.0, t_peak)
    assert out["rise_time"] == pytest.approx(t90 - t10, rel=1e-5)
    # settling: the last crossing of |y - 1| = 2 %, bracketed on a coarse grid and solved exactly
    grid = np.linspace(0.0, 0.2, 20_001)
    last = np.flatnonzero(np.abs(second_order(grid, zeta, wn) - 1) > 0.02)[-1]
    side = np.sign(second_order(grid[last], zeta, wn) - 1)
    t_s = brentq(lambda s: second_order(s, zeta, wn) - 1 - side * 0.02, grid[last], grid[last + 1])
    assert out["settling_time"] == pytest.approx(t_s, rel=1e-4)


def test_unfinished_responses_are_nan_not_the_record_length():
    t = np.linspace(0.0, T, 101)  # one time constant: 63 % of the step
    out = step_response(t, first_order(t, 0.0, 1.0), 1.0)
    assert np.isnan(out["rise_time"]) and np.isnan(out["settling_time"]) and out["overshoot"] == 0.0
    already = step_response(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 1.0]), 1.0)
    assert already["settling_time"] == pytest.approx(0.98)  # enters the band at z = 0.98
    assert already["rise_time"] == pytest.approx(0.8)


@pytest.mark.parametrize(("args", "message"), [
    ((np.arange(3.0), np.zeros(3), 0.0), "no step"),
    ((np.arange(3.0), np.zeros(4), 1.0), "equal length"),
    ((np.arange(1.0), np.zeros(1), 1.0), "at least 2"),
    ((np.array([0.0, 2.0, 1.0]), np.zeros(3), 1.0), "strictly increasing"),
    ((np.arange(3.0), np.array([0.0, np.nan, 1.0]), 1.0), "non-finite"),
    ((np.arange(3.0), np.zeros(3), np.ones(2)), "reference must be"),
])
def test_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        step_response(*args)
    with pytest.raises(ValueError, match="band"):
        step_response(np.arange(3.0), np.zeros(3), 1.0, band=1.5)


def test_steps_of_a_square_wave_rollout():
    """Square-wave reference, first-order state: every step inside an episode is found and measured."""
    tau, steps, period = 1e-4, 600, 200
    ref = np.where((np.arange(steps) // period) % 2 == 0, 0.5, -0.5)[:, None] * np.array([1.0, 1.0])
    ref[:, 1] = np.roll(ref[:, 1], -50)  # episode 1: steps elsewhere
    state = np.empty_like(ref)
    for n in range(2):
        x, tc = -0.5 if n == 0 else 0.5, 10 * tau
        for k in range(steps):
            x = ref[k, n] + (x - ref[k, n]) * np.exp(-tau / tc)
            state[k, n] = x
    ro = Rollout(("i",), ("A",), tau, np.full((2, 1), 2.0), 2.0 * ref[..., None], 2.0 * state[..., None],
                 np.zeros((steps, 2, 1)), np.zeros((steps, 2)), np.zeros((steps, 2), bool), np.ones((steps, 2), bool),
                 0.0, current="i", currents=2.0 * state, current_limits=np.full(2, 2.0))
    fig = rollout_steps(ro, "i")
    assert isinstance(fig, StepFigures)
    assert fig.episode.tolist() == [0, 0, 1, 1] and fig.start.tolist() == [200, 400, 150, 350]
    np.testing.assert_allclose(fig.size, [-1.0, 1.0, -1.0, 1.0])
    # a sampled exponential from (nearly) the old level: rise T ln 9, settling T ln 50 (+ the sampling offset)
    np.testing.assert_allclose(fig.rise_time, 10 * tau * np.log(9.0), rtol=2e-3)
    np.testing.assert_allclose(fig.settling_time, 10 * tau * np.log(50.0), rtol=2e-3)
    assert np.all(fig.overshoot == 0.0)
    summary = fig.summary()
    assert summary["steps"] == 4 and summary["not_settled"] == 0
    with pytest.raises(ValueError, match="not referenced"):
        rollout_steps(ro, "omega")
    ro.references[:] = 1.0  # no step at all
    none = rollout_steps(ro, "i")
    assert none.size.size == 0 and none.summary()["steps"] == 0 and np.isnan(none.summary()["rise_time"])
