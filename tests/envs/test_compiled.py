"""The compiled step equals the NumPy step (the same component methods, fused by numba)."""

from dataclasses import dataclass
from typing import ClassVar

import gymnasium as gym
import numpy as np
import pytest
from env_ids import ID_PARAMS

import gem
from gem.envs.kernel import PerformanceWarning
from gem.physical_systems import ExternalSpeedLoad, Motor, OrnsteinUhlenbeckLoad, PolynomialStaticLoad
from gem.physical_systems.dc_motors import PermExDc


def _pair(num_envs: int, **kwargs):
    fast = gem.make_vec_env(num_envs=num_envs, max_episode_steps=40, **kwargs)
    slow = gem.make_vec_env(num_envs=num_envs, max_episode_steps=40, compiled=False, **kwargs)
    return fast, slow


def _compare(fast, slow, steps: int = 120, scale: float = 1.0) -> None:
    seeds = list(range(11, 11 + fast.num_envs))
    o1, _ = fast.reset(seed=seeds)
    o2, _ = slow.reset(seed=seeds)
    assert fast.compiled and not slow.compiled
    np.testing.assert_array_equal(o1, o2)
    fast.action_space.seed(5)
    for _ in range(steps):
        a = fast.action_space.sample()
        if a.dtype.kind == "f":
            a = (a * scale).astype(np.float32)
        r1, r2 = fast.step(a), slow.step(a)
        np.testing.assert_allclose(r1[0], r2[0], rtol=1e-6, atol=1e-6)       # observations
        np.testing.assert_allclose(r1[1], r2[1], rtol=1e-9, atol=1e-12)      # rewards
        np.testing.assert_array_equal(r1[2], r2[2])                          # terminated
        np.testing.assert_array_equal(r1[3], r2[3])                          # truncated
        np.testing.assert_allclose(fast.physical_state, slow.physical_state, rtol=1e-9, atol=1e-9)
        np.testing.assert_array_equal(fast.rnd.counter, slow.rnd.counter)                # same draws taken
        np.testing.assert_array_equal(fast.noise_rnd.counter, slow.noise_rnd.counter)


@pytest.mark.parametrize("env_id", ID_PARAMS)
def test_every_id_compiled_equals_numpy(env_id):
    action_type, task, motor = env_id.removeprefix("gem/").removesuffix("-v0").split("-")
    fast, slow = _pair(3, motor=motor, task=task, action_type=action_type)
    _compare(fast, slow, steps=60, scale=0.4)


def _profile(t):
    """A speed profile written for arrays and floats alike (compiled by the kernel)."""
    return 80.0 + 40.0 * np.sin(2.0 * np.pi * 20.0 * t)


@pytest.mark.parametrize("kwargs", [
    dict(motor="SeriesDc", task="SC", noise=0.02, solver="euler", substeps=3),
    dict(motor="PermExDc", task="CC", action_type="Finite", interlocking_time=2e-6),
    dict(motor="ExtExDc", task="CC", interlocking_time=3e-6),
    dict(motor="PMSM", task="CC", action_frame="dq", reward_power=2.0, gamma=0.9),
    dict(motor="DFIM", task="SC", action_frame="dq"),
    dict(motor="SCIM", task="TC", flux_observer=True),
    dict(motor="PMSM", task="SC", load=OrnsteinUhlenbeckLoad(mu=50.0, sigma=30.0)),
    dict(motor="PMSM", task="CC", saturation=True),
    dict(motor="SynRM", task="CC", action_type="Finite", interlocking_time=1e-6, noise=0.01),
    dict(motor="ShuntDc", task="SC", load=PolynomialStaticLoad(a=0.3, b=0.01, c=1e-4, j_load=1e-3),
         reference=gem.envs.PeriodicReference(shape="triangle")),
    dict(motor="SeriesDc", task="CC", reference=gem.envs.ConstReference(value=0.3), constraints=()),
    dict(motor="PMSM", task="CC", reference=gem.envs.SwitchedReference(
        state="i_sd",
        generators=(gem.envs.WienerReference(), gem.envs.PeriodicReference(shape="step"), gem.envs.ConstReference()),
        p=(0.5, 0.3, 0.2), duration_range=(0.001, 0.003))),
    dict(motor="ExtExDc", task="CC", load=ExternalSpeedLoad(profile=_profile)),
    dict(motor="SeriesDc", task="SC", reference=gem.envs.SwitchedReference(
        generators=(gem.envs.SCurveReference(hold_mean=1e-3, start=None), gem.envs.ConstReference()),
        duration_range=(0.002, 0.004))),
])
def test_options_compiled_equals_numpy(kwargs):
    fast, slow = _pair(4, **kwargs)
    _compare(fast, slow, steps=80, scale=0.5)


def test_parallel_kernel_equals_numpy():
    fast, slow = _pair(6, motor="PMSM", task="CC", threaded=True)
    _compare(fast, slow, steps=30, scale=0.5)


_SLOW = pytest.mark.slow     # each vectorised kernel compiles for 10-25 s; two run by default


@pytest.mark.parametrize(("kwargs", "parallel"), [
    (dict(motor="PMSM", task="CC"), True),
    pytest.param(dict(motor="PMSM", task="SC", load=OrnsteinUhlenbeckLoad(mu=50.0, sigma=30.0), noise=0.01),
                 False, marks=_SLOW),
    pytest.param(dict(motor="SynRM", task="CC", action_type="Finite", interlocking_time=1e-6), True, marks=_SLOW),
    (dict(motor="ExtExDc", task="CC", interlocking_time=3e-6), False),
    (dict(motor="PMSM", task="CC", action_frame="dq", randomize={"r_s": gem.envs.Uniform(0.015, 0.025)}), False),
    (dict(motor="SynRM", task="SC", saturation=True, randomize={"r_s": gem.envs.Uniform(0.5, 0.65)}), False),
    pytest.param(dict(motor="SeriesDc", task="SC", solver="euler", substeps=3, reward_power=1.5), True,
                 marks=_SLOW),
])
def test_vectorised_kernel_equals_numpy(monkeypatch, kwargs, parallel):
    """The vectorised kernel over several blocks (4, 4, 2 environments), serial and threaded.

    For continuous converters it gathers the environments' arrays into rows and runs the converter
    over the rows (the dq case also gathers the voltage limits)."""
    monkeypatch.setattr("gem.envs.kernel.runtime.VECTORISE_FROM", 4)
    monkeypatch.setattr("gem.envs.kernel.layout.BLOCK", 4)
    fast, slow = _pair(10, threaded=parallel, **kwargs)
    _compare(fast, slow, steps=50, scale=0.5)
    assert fast._kernel.vectorised


@dataclass(frozen=True, kw_only=True)
class _MethodCallingMotor(Motor):
    """A valid motor whose derivative calls another method of self (numba cannot compile that)."""

    r_a: float = 16e-3
    l_a: float = 19e-6
    psi_e: float = 0.165
    j_rotor: float = 0.025
    ode_names: ClassVar = ("i",)
    current_names: ClassVar = ("i",)
    voltage_names: ClassVar = ("u",)
    input_names: ClassVar = ("u",)
    positive_params: ClassVar = ("r_a", "l_a", "j_rotor")
    default_nominal: ClassVar = PermExDc.default_nominal
    default_limits: ClassVar = PermExDc.default_limits

    def emf(self, omega):
        return self.psi_e * omega

    def derivative(self, x, u, omega):
        return ((u[0] - self.r_a * x[0] - self.emf(omega)) / self.l_a,)

    def torque(self, x):
        return self.psi_e * x[0]


def test_uncompilable_user_motor_warns_and_matches_permex():
    env = gem.make_vec_env(num_envs=2, motor=_MethodCallingMotor(), task="CC")
    with pytest.warns(PerformanceWarning, match="NumPy step"):
        env.reset(seed=[1, 2])
    assert not env.compiled
    ref = gem.make_vec_env(num_envs=2, motor="PermExDc", task="CC")
    ref.reset(seed=[1, 2])
    for _ in range(20):
        a = np.full((2, 1), 0.1, np.float32)
        np.testing.assert_allclose(env.step(a)[0], ref.step(a)[0], rtol=1e-6)


@pytest.mark.parametrize("kwargs", [
    dict(motor="PMSM", task="CC"),
    dict(motor="SeriesDc", task="SC", noise=0.02),
    dict(motor="ShuntDc", task="CC", reference=gem.envs.PeriodicReference(shape="sine")),
])
def test_autoreset_info_and_explicit_resets_match_numpy(kwargs):
    """Episodes the kernel ends and starts (autoreset, reset with and without seed or initial state)
    report and start exactly as in the NumPy step."""
    fast, slow = _pair(5, **kwargs)
    fast.reset(seed=3)
    slow.reset(seed=3)
    fast.action_space.seed(0)
    finished = 0
    for k in range(140):
        a = fast.action_space.sample()
        (o1, *_, i1), (o2, *_, i2) = fast.step(a), slow.step(a)
        np.testing.assert_allclose(o1, o2, rtol=1e-6, atol=1e-6)          # first observations of new episodes too
        assert i1.keys() == i2.keys()
        if "_final_obs" in i1:
            finished += int(i1["_final_obs"].sum())
            np.testing.assert_array_equal(i1["_final_obs"], i2["_final_obs"])
            np.testing.assert_allclose(i1["final_obs"], i2["final_obs"], rtol=1e-6, atol=1e-6)
            np.testing.assert_allclose(i1["final_physical_state"], i2["final_physical_state"], rtol=1e-9, atol=1e-9)
            assert not i1["final_obs"][~i1["_final_obs"]].any()        # rows of running episodes are zero
        if k == 50:      # an explicit reset in the middle of the random streams
            np.testing.assert_allclose(fast.reset()[0], slow.reset()[0], rtol=1e-6, atol=1e-6)
        if k == 100:
            name = fast.drive.settable_names[1]                          # a motor state, e.g. a current
            start = {name: 0.2 * fast.limits[0, fast.drive.index.get(name, 2)]}
            r1 = fast.reset(options={"initial_state": start})[0]
            r2 = slow.reset(options={"initial_state": start})[0]
            np.testing.assert_allclose(r1, r2, rtol=1e-6, atol=1e-6)
            np.testing.assert_allclose(fast.physical_state, slow.physical_state, rtol=1e-9, atol=1e-9)
    assert finished > 0                  # the 40-step truncation ended episodes inside the kernel


@pytest.mark.parametrize("env_id", ["gem/Cont-CC-PMSM-v0", "gem/Finite-CC-SeriesDc-v0"])
def test_rejected_action_changes_nothing(env_id):
    """The kernel validates every action before it touches any environment's state."""
    env = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point")
    env.reset(seed=0)
    before = (env.physical_state, env.references, env.rnd.counter.copy())
    bad = env.action_space.sample()
    if bad.dtype.kind == "f":
        bad[2, 0] = np.nan
        match = "NaN"
    else:
        bad[2] = 99
        match = "range"
    with pytest.raises(ValueError, match=match):
        env.step(bad)
    np.testing.assert_array_equal(env.physical_state, before[0])
    np.testing.assert_array_equal(env.references, before[1])
    np.testing.assert_array_equal(env.rnd.counter, before[2])
    env.step(env.action_space.sample())             # still usable


def test_scratch_rows_are_an_odd_number_of_cache_lines():
    from gem.envs.kernel.layout import padded_row

    for n in (1, 7, 8, 9, 64, 512, 1000, 8192):
        width = padded_row(n)
        assert width >= n and width % 8 == 0 and (width // 8) % 2 == 1


_CONSTANT = 2.0


def _reads_constant(x):
    return x * _CONSTANT


def test_kernel_fingerprint_changes_with_a_module_constant(monkeypatch):
    """numba freezes module constants into the machine code: the disk cache must see them change."""
    from gem.envs.kernel import toolchain as jit

    before = jit.fingerprint([_reads_constant])
    monkeypatch.setitem(globals(), "_CONSTANT", 3.0)
    assert jit.fingerprint([_reads_constant]) != before
