"""The DC link as an option: RC supply and three-phase diode rectifier, against closed forms."""

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import gymnasium as gym
import numpy as np
import pytest
from scipy.linalg import expm

import gem
import gem.controllers
from gem.envs import ConstReference
from gem.physical_systems import (
    ConstantSpeedLoad,
    IdealVoltageSupply,
    RCVoltageSupply,
    ThreePhaseRectifierSupply,
    rk4_step,
)
from gem.physical_systems.rectifier import bridge_voltage

GOLDEN = Path(__file__).parents[1] / "data" / "dclink" / "supply_off_main.npz"
LOCKED = {"motor_params": {"r_a": 1.0, "l_a": 1e-3}, "load": ConstantSpeedLoad(omega_fixed=0.0), "constraints": ()}
"""A locked PermExDc with a 1 ms armature time constant: a resistive-inductive load of the link."""


def trajectory(env, actions) -> np.ndarray:
    """The physical states after each of ``actions``."""
    out = []
    for a in actions:
        env.step(a)
        out.append(env.unwrapped.physical_state)
    return np.array(out)


def test_supply_off_is_bit_identical_to_main():
    """Three ids (Cont/Finite, DC/PMSM/SCIM, compiled and NumPy) as recorded before the DC-link option existed
    (``tests/data/dclink/record_supply_off.py`` at main 737690d)."""
    golden = np.load(GOLDEN)
    for key in golden.files:
        env_id, compiled = key.split("|")
        env = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point", compiled=compiled == "True")
        env.reset(seed=11)
        env.action_space.seed(5)
        rows = []
        for _ in range(40):
            obs, *_ = env.step(env.action_space.sample())
            rows.append(np.concatenate([env.unwrapped.physical_state.ravel(), obs.ravel().astype(float)]))
        assert isinstance(env.unwrapped.drive.supply, IdealVoltageSupply)
        np.testing.assert_array_equal(np.array(rows), golden[key], err_msg=key)


def test_rc_supply_constant_draw_is_the_rc_exponential():
    """The supply's own ODE with a constant draw I (negative: charging): u = u_0 - r I (1 - exp(-t / rc))."""
    sup = RCVoltageSupply(u_nominal=60.0, r=0.5, c=4e-3)
    draw = np.array([0.0, 10.0, -4.0])          # A; the last one charges the link above u_0
    x, h, t = np.full((3, 1), 60.0), 1e-4, 0.0
    for _ in range(200):
        x = rk4_step(lambda s, y, t0=t: np.stack(sup.derivative(y.T, draw, t0 + s), axis=1), x, 0.0, h)
        t += h
    np.testing.assert_allclose(x[:, 0], 60.0 - 0.5 * draw * (1 - np.exp(-t / 2e-3)), rtol=1e-10)


def _locked_rc(compiled: bool, **kw):
    env = gym.make("gem/Cont-CC-PermExDc-v0", compiled=compiled, **LOCKED, **kw)
    env.reset(seed=0)
    return env


def _hold_reference(actions, tau, r_a, l_a, u0, r, c, hold=True):
    """Exact solution of the locked motor on the RC link, voltage held per period (or not): matrix exponentials."""
    z = np.array([0.0, u0, u0, 1.0])            # i, u_sup, held u_sup, 1
    out = []
    for a in actions:
        m = np.zeros((4, 4))
        m[0, 0], m[0, 2 if hold else 1] = -r_a / l_a, a / l_a
        m[1, 0], m[1, 1], m[1, 3] = -a / c, -1.0 / (r * c), u0 / (r * c)
        z = expm(m * tau) @ z
        z[2] = z[1]
        out.append(z[:2].copy())
    return np.array(out)


@pytest.mark.parametrize("compiled", [True, False])
def test_rc_link_droop_and_recovery_after_a_load_step(compiled):
    """Full voltage on a locked motor for 10 ms, then zero: the link droops and recovers with time constant rc."""
    u0, r, c = 60.0, 0.5, 4e-3
    env = _locked_rc(compiled, supply=RCVoltageSupply(u_nominal=u0, r=r, c=c))
    base = env.unwrapped
    j_u, j_i = base.state_names.index("u_sup"), base.state_names.index("i")
    actions = [1.0] * 100 + [0.0] * 100
    states = trajectory(env, [np.array([a], np.float32) for a in actions])
    ref = _hold_reference(actions, base.tau, 1.0, 1e-3, u0, r, c)
    np.testing.assert_allclose(states[:, j_i], ref[:, 0], rtol=2e-5)      # RK4 at tau = tau_a / 10
    np.testing.assert_allclose(states[:, j_u], ref[:, 1], rtol=2e-6)
    droop = u0 - states[99, j_u]
    assert droop > 0.3 * u0                                 # the link visibly droops under the load
    t = base.tau * np.arange(1, 101)                        # no supply current with the action 0: pure recovery
    np.testing.assert_allclose(states[100:, j_u], u0 - droop * np.exp(-t / (r * c)), rtol=2e-8)
    # the period-held link voltage against the continuously coupled model (33 % droop): within 0.3 % of u_0
    continuous = _hold_reference(actions, base.tau, 1.0, 1e-3, u0, r, c, hold=False)
    assert np.max(np.abs(states[:, j_u] - continuous[:, 1])) < 3e-3 * u0


def test_bridge_voltage_closed_forms():
    u_ll = 400.0
    t = np.linspace(0.0, 0.02, 200001)[:-1]
    u_r = bridge_voltage(u_ll, 50.0, 0.3, t)
    assert u_r.max() == pytest.approx(np.sqrt(2) * u_ll, rel=1e-9)                 # sampled: the minima are kinks
    assert u_r.min() == pytest.approx(np.sqrt(2) * u_ll * np.sqrt(3) / 2, rel=1e-5)
    assert u_r.mean() == pytest.approx(3 * np.sqrt(2) / np.pi * u_ll, rel=1e-9)


def test_rectifier_mean_voltage_is_the_bridge_mean():
    """Continuous conduction into a locked motor: mean(u_sup) = 3√2/π U_LL - 2 r_line mean(i) (the inductance
    carries no mean voltage, the capacitor no mean current), ≈ 3√2/π U_LL at this small line resistance."""
    u_ll, r_line = 44.0, 0.002
    sup = ThreePhaseRectifierSupply(u_nominal=u_ll, r_line=r_line, l_line=5e-3, c=1e-3, phase=0.2)
    env = gym.make("gem/Cont-CC-PermExDc-v0", supply=sup, **{**LOCKED, "motor_params": {"r_a": 4.0, "l_a": 1e-2}})
    env.reset(seed=0)
    base = env.unwrapped
    states = trajectory(env, [np.array([1.0], np.float32)] * 2400)
    tail = states[-400:]                                    # 40 ms: two grid periods, 12 ripple periods
    u_mean, i_mean = tail[:, base.state_names.index("u_sup")].mean(), tail[:, base.state_names.index("i")].mean()
    ideal = 3 * np.sqrt(2) / np.pi * u_ll
    assert i_mean > 10.0
    assert u_mean == pytest.approx(ideal - 2 * r_line * i_mean, rel=1e-5)
    assert u_mean == pytest.approx(ideal, rel=2e-3)
    assert np.ptp(tail[:, base.state_names.index("u_sup")]) > 1e-3 * ideal     # the (filtered) six-pulse ripple


@pytest.mark.parametrize(("env_id", "num_envs", "kwargs"), [
    ("gem/Cont-CC-PMSM-v0", 64, {"supply": RCVoltageSupply(r=2.0, c=1e-3)}),
    ("gem/Finite-SC-ExtExDc-v0", 3, {"supply": ThreePhaseRectifierSupply(u_nominal=44.0, phase=0.4),
                                      "interlocking_time": 2e-6, "constraints": ()}),
])
def test_compiled_equals_numpy_and_batch_invariance(env_id, num_envs, kwargs):
    out = {}
    for compiled in (True, False):
        env = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", compiled=compiled,
                           **kwargs)
        env.reset(seed=2)
        assert env.unwrapped.compiled == compiled
        env.action_space.seed(0)
        actions = [env.action_space.sample() for _ in range(60)]
        out[compiled] = trajectory(env, actions)
    assert np.ptp(out[False][:, :, env.unwrapped.state_names.index("u_sup")]) > 0.1    # the link moves
    np.testing.assert_allclose(out[True], out[False], rtol=1e-9, atol=1e-9)
    single = gym.make_vec(env_id, num_envs=1, vectorization_mode="vector_entry_point", compiled=False, **kwargs)
    single.reset(seed=2 + num_envs - 1)
    np.testing.assert_array_equal(trajectory(single, [a[-1:] for a in actions])[:, 0], out[False][:, -1])


def test_u_sup_is_observed_constrained_and_settable():
    """A regenerating drive charges the RC link above u_nominal: the u_sup constraint ends the episode."""
    for compiled in (True, False):
        env = gym.make("gem/Cont-CC-PermExDc-v0", compiled=compiled, supply=RCVoltageSupply(r=1.0, c=1e-3),
                       **{**LOCKED, "load": ConstantSpeedLoad(omega_fixed=500.0), "constraints": ("u_sup",)})
        base = env.unwrapped
        obs, _ = env.reset(seed=0, options={"initial_state": {"u_sup": 55.0}})
        j = base.observation_names.index("u_sup")
        assert obs[j] == pytest.approx(55.0 / 60.0)
        steps, terminated = 0, False
        while not terminated and steps < 200:       # EMF 0.165 * 500 = 82.5 V > 60 V: the current flows back
            obs, reward, terminated, _, _ = env.step(np.array([1.0], np.float32))
            steps += 1
        assert terminated and steps > 1 and base.physical_state[base.state_names.index("u_sup")] > 60.0
        assert obs[j] == pytest.approx(base.physical_state[base.state_names.index("u_sup")] / 60.0, rel=1e-6)


def test_pi_controller_tracks_on_a_drooping_link():
    """The current cascade reads the measured u_sup (observed) and tracks while the link droops by > 2 %."""
    env = gym.make("gem/Cont-CC-PMSM-v0", supply=RCVoltageSupply(r=1.0, c=1e-3),
                   reference=[ConstReference(value=-0.2), ConstReference(value=0.3)])
    base = env.unwrapped
    assert "u_sup" in base.observation_names
    policy = gem.controllers.make(env)
    obs, _ = env.reset(seed=0)
    states = []
    for k in range(600):
        action, _ = policy.predict(obs, episode_start=(k == 0))
        obs, _, terminated, _, _ = env.step(action)
        assert not terminated
        states.append(base.physical_state)
    tail = np.array(states[-100:])
    for name, ref in zip(base.reference_names, (-0.2, 0.3), strict=True):
        j = base.state_names.index(name)
        assert abs(tail[:, j].mean() / base.limits[j] - ref) < 0.01, name
    assert tail[:, base.state_names.index("u_sup")].mean() < 0.98 * 300.0


class ScalarOnlyRC(RCVoltageSupply):
    """A user supply written with a Python ``if`` on a value: compiles, but fails on a batch."""

    def derivative(self, xs, i_sup, t):
        return ((self.u_nominal - xs[0]) / self.r - (i_sup if i_sup > 0 else 0.0)) / self.c,


@pytest.mark.parametrize(("make", "match"), [
    (lambda: RCVoltageSupply(r=-1.0), "'r'"),
    (lambda: RCVoltageSupply(c=float("nan")), "c"),
    (lambda: ThreePhaseRectifierSupply(l_line=0.0), "l_line"),
    (lambda: ThreePhaseRectifierSupply(r_line=-0.1), "r_line"),
    (lambda: ThreePhaseRectifierSupply(frequency="50"), "frequency"),
    (lambda: gem.make_env(motor="PMSM", supply=RCVoltageSupply(r=0.01, c=1e-3)), "substeps >= 10"),
    (lambda: gem.make_env(motor="PMSM", supply=RCVoltageSupply, u_sup=300), "an instance: RCVoltageSupply"),
    (lambda: gem.make_env(motor="PMSM", supply=300.0), "u_sup=300.0"),
    (lambda: gem.make_env(motor="PMSM", supply=RCVoltageSupply(u_nominal=300.0), u_sup=300), "both"),
    (lambda: gem.make_env(motor="PMSM", supply={"u_nom": 300.0}), "u_nom"),
    (lambda: gem.make_env(motor="PMSM", supply=ScalarOnlyRC(r=1.0)), "ScalarOnlyRC.derivative fails on a batch"),
])
def test_bad_supplies_are_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_gem_supply_forms_and_rc_voltage_default():
    """GEM's ``supply=dict(u_nominal=...)`` is the ideal supply, GEM's ``supply_parameter`` sets r and c;
    an RC supply without a voltage takes u_sup."""
    assert gem.make_env(motor="PMSM", supply={"u_nominal": 250.0}).unwrapped.limits[-1] == 250.0
    env = gem.make_env(motor="PMSM", u_sup=250.0, supply=RCVoltageSupply(supply_parameter={"R": 2.0, "C": 1e-3}))
    supply = env.unwrapped.drive.supply
    assert (supply.u_nominal, supply.r, supply.c) == (250.0, 2.0, 1e-3)
    with pytest.raises(ValueError, match="'L'"):
        RCVoltageSupply(supply_parameter={"L": 1.0})


def _random_run(env_id: str, compiled: bool, supply, steps: int = 30) -> tuple[tuple[str, ...], np.ndarray]:
    env = gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point", compiled=compiled,
                       supply=supply, constraints=())
    env.reset(seed=4)
    env.action_space.seed(1)
    return env.unwrapped.state_names, trajectory(env, [env.action_space.sample() for _ in range(steps)])


@pytest.mark.parametrize("motor", gem.envs.registration.MOTORS)
def test_every_motor_runs_on_both_links(motor):
    """Same state names as with the ideal supply; the link voltage moves and every state stays finite (NumPy step)."""
    ideal = gem.make_task(motor, "CC", "Cont").drive.state_names
    for supply in (RCVoltageSupply(r=0.5, c=1e-3), ThreePhaseRectifierSupply(u_nominal=300.0, phase=0.5)):
        names, states = _random_run(f"gem/Cont-CC-{motor}-v0", False, supply)
        assert names == ideal
        assert np.isfinite(states).all()
        assert np.ptp(states[:, :, names.index("u_sup")]) > 0.0


@pytest.mark.slow
@pytest.mark.parametrize("action_type", ["Cont", "Finite"])
@pytest.mark.parametrize("motor", gem.envs.registration.MOTORS)
def test_every_motor_compiled_equals_numpy_on_the_links(motor, action_type):
    for supply in (RCVoltageSupply(r=0.5, c=1e-3), ThreePhaseRectifierSupply(u_nominal=300.0, phase=0.5)):
        runs = [_random_run(f"gem/{action_type}-CC-{motor}-v0", compiled, supply)[1] for compiled in (True, False)]
        np.testing.assert_allclose(runs[0], runs[1], rtol=1e-9, atol=1e-9)


@dataclass(frozen=True)
class BatteryLink:
    """A user supply: a battery (open-circuit voltage u_0, internal resistance r_i, inductance l_i) on a capacitor."""

    u_0: float = 60.0
    r_i: float = 0.05
    l_i: float = 1e-4
    c: float = 2e-3
    state_names: ClassVar[tuple[str, ...]] = ("u_sup", "i_bat")

    def voltage(self, num_envs: int) -> np.ndarray:
        return np.full(num_envs, self.u_0)

    def initial_state(self, num_envs: int) -> np.ndarray:
        return np.stack([np.full(num_envs, self.u_0), np.zeros(num_envs)], axis=1)

    def derivative(self, xs, i_sup, t):
        return (xs[1] - i_sup) / self.c, (self.u_0 - self.r_i * xs[1] - xs[0]) / self.l_i

    def check_step(self, step: float) -> None:
        assert step < np.sqrt(self.l_i * self.c)


def test_a_user_supply_compiles_and_equals_numpy():
    out = {}
    for compiled in (True, False):
        with warnings.catch_warnings():
            warnings.simplefilter("error")          # no PerformanceWarning: the compiled step takes it
            env = gym.make("gem/Cont-CC-PermExDc-v0", compiled=compiled, supply=BatteryLink(), **LOCKED)
            env.reset(seed=0)
        assert env.unwrapped.compiled == compiled
        out[compiled] = trajectory(env, [np.array([0.5], np.float32)] * 300)
    np.testing.assert_allclose(out[True], out[False], rtol=1e-10, atol=1e-10)
    u = out[False][:, env.unwrapped.state_names.index("u_sup")]
    i = out[False][:, env.unwrapped.state_names.index("i")]
    assert u[-1] == pytest.approx(60.0 - 0.05 * 0.5 * i[-1], rel=1e-3)     # steady state: u_0 - r_i i_bat


@pytest.mark.parametrize("compiled", [True, False])
def test_asymmetric_half_bridge_draws_the_phase_current_from_the_link(compiled):
    """A conducting SRM phase (both switches on, u = u_sup) draws its own current from the link, not twice it.

    The asymmetric half bridge's output is ``u_sup (v_1 + v_2 - 1)``: both legs carry the phase
    current, and the offset -1 takes one of them back (``i_sup = Σ v i_leg + Σ offset i_out``).
    Locked rotor, 5 A in phase a, the link starting at the source voltage: over one period
    ``c Δu = τ (mean(u_0 - u) / r - mean(i_a))`` with ``mean(u_0 - u) = -Δu / 2``.
    """
    u0, c, i_a = 300.0, 1e-3, 5.0
    env = gym.make("gem/Cont-CC-SRM-v0", load=ConstantSpeedLoad(omega_fixed=0.0), compiled=compiled,
                   supply=RCVoltageSupply(u_nominal=u0, r=1.0, c=c), constraints=())
    base = env.unwrapped
    env.reset(seed=0, options={"initial_state": {"i_a": i_a, "u_sup": u0}})
    env.step(np.array([1.0, -1.0, -1.0, -1.0], np.float32))
    state = dict(zip(base.state_names, np.ravel(base.physical_state), strict=True))
    mean_i = 0.5 * (i_a + state["i_a"])                     # the current rises a little during the period
    r, tau = 1.0, base.tau
    expected = -tau * mean_i / c / (1.0 + tau / (2.0 * r * c))   # with twice the current: twice this
    assert state["u_sup"] - u0 == pytest.approx(expected, rel=2e-3)
