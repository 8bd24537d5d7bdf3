"""PI controller, anti-windup and tuning rules."""

import numpy as np
import pytest

from gem.controllers import PIController, speed_loop, symmetrical_optimum, technical_optimum
from gem.controllers.tuning import current_loop


def simulate_integrator_loop(anti_windup: str, steps: int = 4000, tau: float = 1e-3, ref: float = 1.0):
    """PI on an integrating plant y' = u with |u| <= 1: returns the output trajectory."""
    gains = symmetrical_optimum(t_i=1.0, t_sigma=0.01, a=2.0)          # aggressive: saturates on a unit step
    pi = PIController(gains.kp, gains.ki, tau, low=-1.0, high=1.0, anti_windup=anti_windup)
    y, out = np.zeros((1, 1)), []
    for _ in range(steps):
        u = pi(ref - y)
        y = y + tau * u
        out.append(y[0, 0])
    return np.array(out)


def test_pi_law_and_integrator():
    pi = PIController(kp=2.0, ki=10.0, tau=0.1)
    err = np.array([[1.0]])
    assert pi(err)[0, 0] == pytest.approx(2.0)            # kp e + integral (0)
    assert pi(err)[0, 0] == pytest.approx(3.0)            # integral = ki tau e = 1
    assert pi.integral[0, 0] == pytest.approx(2.0)


def test_pi_batched_channels_and_masked_reset():
    pi = PIController(kp=[1.0, 2.0], ki=[1.0, 1.0], tau=1.0, low=-5.0, high=5.0)
    err = np.ones((3, 2))
    for _ in range(2):
        pi(err)
    assert pi.integral.shape == (3, 2)
    pi.reset(np.array([True, False, True]))
    np.testing.assert_array_equal(pi.integral[:, 0], [0.0, 2.0, 0.0])
    pi.reset()
    assert np.all(pi.integral == 0.0)


@pytest.mark.parametrize("method", ["clamping", "back_calculation"])
def test_anti_windup_recovers_without_overshoot_blow_up(method):
    free = simulate_integrator_loop("none")
    guarded = simulate_integrator_loop(method)
    over_free = free.max() - 1.0
    over_guarded = guarded.max() - 1.0
    assert over_free > 0.5                                  # plain PI winds up badly
    assert over_guarded < 0.25 * over_free                  # anti-windup keeps the overshoot small
    assert abs(guarded[-1] - 1.0) < 1e-3                    # and still settles


def test_clamping_stops_integration_only_into_saturation():
    pi = PIController(kp=1.0, ki=1.0, tau=1.0, low=-1.0, high=1.0)
    pi(np.array([[5.0]]))                                   # saturated high, error positive: no integration
    assert pi.integral[0, 0] == 0.0
    pi.integral[:] = 0.5
    pi(np.array([[-0.2]]))                                  # unsaturated, negative error integrates
    assert pi.integral[0, 0] == pytest.approx(0.3)


def test_hold_from_inner_loop():
    pi = PIController(kp=1.0, ki=1.0, tau=1.0)
    pi(np.array([[1.0], [1.0], [-1.0]]), hold=np.array([[1.0], [-1.0], [-1.0]]))
    np.testing.assert_array_equal(pi.integral[:, 0], [0.0, 1.0, 0.0])


def test_bad_arguments():
    with pytest.raises(ValueError, match="anti_windup"):
        PIController(1.0, 1.0, 1e-4, anti_windup="magic")
    with pytest.raises(ValueError, match="tau"):
        PIController(1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="design parameter"):
        symmetrical_optimum(1.0, 1e-4, a=1.0)
    with pytest.raises(ValueError, match="rule"):
        current_loop(1e-3, 0.1, 1e-4, rule="XX")


def test_tuning_formulas():
    ind, r, ts = 2e-3, 0.5, 1e-4
    to = technical_optimum(ind, r, ts, a=2.0)
    assert to.kp == pytest.approx(ind / (2 * ts))
    assert to.t_n == pytest.approx(ind / r)                   # pole cancellation
    assert to.t_e == pytest.approx(2 * ts)
    so = symmetrical_optimum(ind, ts, a=3.0)
    assert so.kp == pytest.approx(ind / (3 * ts))
    assert so.t_n == pytest.approx(9 * ts)
    sp = speed_loop(0.01, to.t_e, a=4.0)
    assert sp.kp == pytest.approx(0.01 / (4 * to.t_e))
    assert sp.t_n == pytest.approx(16 * to.t_e)
    arr = technical_optimum(np.array([1e-3, 2e-3]), 0.5, ts)   # per-environment parameters
    assert np.shape(arr.kp) == (2,)


def test_speed_prefilter_is_a_lag_that_starts_at_the_measured_speed():
    from gem.controllers.current import SpeedController
    from gem.controllers.signals import Signals

    gains = speed_loop(j_total=0.01, t_e_current=2e-4)
    wide = lambda sig: (np.full(sig.batch, -1e9), np.full(sig.batch, 1e9))      # noqa: E731
    stage = SpeedController(gains, 1e-4, wide, prefilter=1.6e-3, inertia=0.01)
    share = 1.0 - np.exp(-1e-4 / 1.6e-3)
    omega = np.array([0.0, 50.0])
    for k in range(1, 4):
        sig = Signals(omega_ref=np.array([100.0, 100.0]), omega=omega)
        stage(sig)
        np.testing.assert_allclose(sig["omega_ref_filtered"], omega + (100.0 - omega) * (1 - (1 - share) ** k))
        # torque precontrol: the inertia times the filtered reference's slope in this period
        change = (100.0 - omega) * share * (1 - share) ** (k - 1)
        np.testing.assert_allclose(sig["torque_precontrol"], 0.01 * change / 1e-4)
    stage.reset(np.array([False, True]))                   # the second restarts from its measured speed
    sig = Signals(omega_ref=np.array([100.0, 100.0]), omega=np.array([0.0, 80.0]))
    stage(sig)
    assert sig["omega_ref_filtered"][1] == pytest.approx(80.0 + 20.0 * share)
    assert sig["omega_ref_filtered"][0] == pytest.approx(100.0 * (1 - (1 - share) ** 4))
    plain = SpeedController(gains, 1e-4, wide)
    sig = Signals(omega_ref=np.array([100.0]), omega=np.array([0.0]))
    plain(sig)
    assert sig["omega_ref_filtered"][0] == 100.0 and sig["torque_ref"][0] == pytest.approx(100.0 * gains.kp)
    with pytest.raises(ValueError, match="prefilter"):
        SpeedController(gains, 1e-4, wide, inertia=0.01)
