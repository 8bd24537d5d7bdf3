"""S-curve speed references: moves within the acceleration and jerk bounds, bounds from the drive."""

import numpy as np
import pytest

import gem
from gem.envs import ConstReference, SCurveReference, SwitchedReference
from gem.envs.random import EnvRandom
from gem.envs.scurve import NO_BRAKING_LIMIT, TORQUE_RISE_TIME, scurve_distance, scurve_timing
from gem.physical_systems import PolynomialStaticLoad


@pytest.mark.parametrize(("distance", "reaches_peak"), [(1.0, True), (0.004, False)])
def test_move_is_the_shortest_within_the_bounds(distance, reaches_peak):
    acceleration, jerk = 2.0, 100.0
    t_ramp, t_const = scurve_timing(np.array(distance), acceleration, jerk)
    end = 2 * t_ramp + t_const
    s = np.linspace(0.0, end, 400_001)
    x = scurve_distance(s, t_ramp, t_const, jerk)
    rate = np.gradient(x, s)
    curvature = np.gradient(rate, s)[2:-2]
    assert x[0] == 0.0 and x[-1] == pytest.approx(distance, rel=1e-12)
    assert np.all(np.diff(x) >= 0)
    assert np.max(rate) <= acceleration * (1 + 1e-6) and np.max(np.abs(curvature)) <= jerk * (1 + 1e-3)
    # shortest: the bound that limits the move is used all along (bang-coast-bang in the rate)
    if reaches_peak:
        assert np.max(rate) == pytest.approx(acceleration, rel=1e-6)
        assert end == pytest.approx(distance / acceleration + acceleration / jerk)
    else:
        assert end == pytest.approx(2 * np.sqrt(distance / jerk))
    assert scurve_distance(end + 1.0, t_ramp, t_const, jerk) == pytest.approx(distance)


def test_reference_stays_in_range_and_within_bounds():
    """The generator alone (NumPy step) for 64 environments: range, bounds in discrete time, moves."""
    gen = SCurveReference(state="omega", low=-0.5, high=0.7, acceleration=3.0, jerk=300.0, hold_mean=0.02)
    tau, n = 1e-4, 64
    mem, rnd = gen.memory(n), EnvRandom(n)
    rnd.seed(list(range(n)), np.arange(n))
    gen.reset(mem, np.arange(n), rnd)
    values = np.array([gen.advance(mem, rnd, tau).copy() for _ in range(6000)])
    assert values.min() >= gen.low and values.max() <= gen.high
    rate = np.diff(values, axis=0) / tau
    assert np.max(np.abs(rate)) <= gen.acceleration * (1 + 1e-9)
    assert np.max(np.abs(np.diff(rate, axis=0) / tau)) <= gen.jerk * (1 + 1e-6)
    assert np.max(np.abs(rate)) > 0.99 * gen.acceleration                  # the bound is used
    moving = np.abs(rate) > 0
    starts = np.sum(moving[1:] & ~moving[:-1])
    # a move (about 0.14 s for the mean distance 0.4 here) follows a rest of 0.02 s on average
    assert 2 * n < starts < 6 * n
    assert len(np.unique(np.round(values[-1], 6))) == n                    # the environments differ


def test_start_value_and_random_start():
    gen = SCurveReference(state="omega", low=0.2, high=0.7, acceleration=1.0, jerk=50.0)
    mem, rnd = gen.memory(50), EnvRandom(50)
    rnd.seed(list(range(50)), np.arange(50))
    gen.reset(mem, np.arange(50), rnd)
    assert np.ptp(mem["value"]) > 0.3 and mem["value"].min() >= 0.2 and mem["value"].max() <= 0.7
    fixed = SCurveReference(state="omega", low=0.2, high=0.7, acceleration=1.0, jerk=50.0, start=0.0)
    gen.reset(mem, np.arange(50), rnd)
    fixed.reset(mem, np.arange(50), rnd)
    np.testing.assert_array_equal(mem["value"], 0.2)                       # clipped to the range


def test_a_drive_that_cannot_brake_coasts_down_no_faster_than_its_load_brakes():
    gen = SCurveReference(state="omega", low=0.0, high=0.8, acceleration=5.0, jerk=500.0, hold_mean=0.01,
                          braking=(0.1, 2.0, 1.0))
    tau, n = 1e-4, 32
    mem, rnd = gen.memory(n), EnvRandom(n)
    rnd.seed(list(range(n)), np.arange(n))
    gen.reset(mem, np.arange(n), rnd)
    rows = np.array([[v.copy() for v in (gen.advance(mem, rnd, tau), mem["target"], mem["origin"])]
                     for _ in range(20000)])                                 # (steps, 3, n)
    rate = np.diff(rows[:, 0], axis=0) / tau
    target = rows[1:, 1]
    down, up = rate < 0, rate > 0
    assert np.max(-rate[down] / (0.1 + 2.0 * target[down] + target[down] ** 2)) <= 1 + 1e-9
    assert np.max(rate[up]) == pytest.approx(5.0, rel=1e-6)                # upwards the acceleration bound
    assert down.sum() > 1000


@pytest.mark.parametrize(("motor", "torque"), [("PermExDc", 16.0), ("PMSM", None), ("SeriesDc", "load")])
def test_default_speed_reference_bounds_come_from_the_drive(motor, torque):
    task = gem.make_task(motor, "SC")
    gen, drive = task.references[0], task.drive
    assert isinstance(gen, SCurveReference) and gen.start is None
    limit = drive.motor.limits["omega"]
    if torque is None:
        torque = drive.motor.nominal["torque"]
    elif torque == "load":        # a series motor cannot brake: the load's mean torque over the range
        speeds = np.linspace(gen.low, gen.high, 33) * limit
        torque = np.mean(drive.load.load_torque(speeds, drive.j_total))
        assert torque < drive.motor.nominal["torque"]
        # per move: what the load a + b ω brakes at the target, normalised by the limit
        load = drive.load
        np.testing.assert_allclose(gen.braking, (load.a / (drive.j_total * limit), load.b / drive.j_total, 0.0))
    else:
        assert gen.braking == NO_BRAKING_LIMIT
    assert gen.acceleration * limit == pytest.approx(torque / drive.j_total)
    assert gen.jerk * limit * drive.j_total == pytest.approx(torque / TORQUE_RISE_TIME)     # torque slope


def test_bounds_follow_the_parameters_and_user_values_win():
    light = gem.make_task("PermExDc", "SC", motor_params={"j_rotor": 0.0025})
    heavy = gem.make_task("PermExDc", "SC")
    assert light.references[0].acceleration > 9 * heavy.references[0].acceleration
    own = gem.make_task("PermExDc", "SC", reference=SCurveReference(acceleration=0.5, jerk=10.0, hold_mean=0.3))
    assert (own.references[0].acceleration, own.references[0].jerk, own.references[0].hold_mean) == (0.5, 10.0, 0.3)
    inside = gem.make_task("PermExDc", "SC", reference=SwitchedReference(generators=(SCurveReference(),
                                                                                     ConstReference())))
    assert inside.references[0].generators[0].acceleration == heavy.references[0].acceleration
    no_load = gem.make_task("SeriesDc", "SC", load=PolynomialStaticLoad(j_load=1e-4)).references[0]
    assert no_load.acceleration * 400.0 == pytest.approx(16.0 / 0.0026)     # a load without torque: nominal
    per_env = gem.make_task("PermExDc", "SC", motor_params={"j_rotor": [0.0025, 0.025]})
    assert per_env.references[0].acceleration == pytest.approx(heavy.references[0].acceleration)   # the slower


@pytest.mark.parametrize(("build", "culprit"), [
    (lambda: SCurveReference(acceleration=0.0), "acceleration"),
    (lambda: SCurveReference(jerk=float("inf")), "jerk"),
    (lambda: SCurveReference(hold_mean=-1.0), "hold_mean"),
    (lambda: SCurveReference(start=float("nan")), "start"),
    (lambda: SCurveReference(braking=(1.0, -1.0, 0.0)), "braking"),
    (lambda: gem.make_task("PermExDc", "TC", reference=SCurveReference()), "acceleration= and jerk="),
])
def test_bad_arguments_name_the_culprit(build, culprit):
    with pytest.raises(ValueError, match=culprit):
        build()


@pytest.mark.parametrize("action_type", ["Cont", "Finite"])
@pytest.mark.parametrize("motor", sorted(gem.envs.MOTORS))
def test_every_speed_id_gets_feasible_bounds(motor, action_type):
    gen = gem.make_task(motor, "SC", action_type).references[0]
    assert isinstance(gen, SCurveReference) and gen.acceleration > 0 and gen.jerk > 0
