"""The compiled step equals the NumPy step (the same component methods, fused by numba)."""

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

import gem
from gem.envs.compiled import PerformanceWarning
from gem.physical_systems import Motor, OrnsteinUhlenbeckLoad, PolynomialStaticLoad
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


@pytest.mark.parametrize("env_id", gem.env_ids())
def test_every_id_compiled_equals_numpy(env_id):
    action_type, task, motor = env_id.removeprefix("gem/").removesuffix("-v0").split("-")
    fast, slow = _pair(3, motor=motor, task=task, action_type=action_type)
    _compare(fast, slow, steps=60, scale=0.4)


@pytest.mark.parametrize("kwargs", [
    dict(motor="SeriesDc", task="SC", noise=0.02, solver="euler", substeps=3),
    dict(motor="PermExDc", task="CC", action_type="Finite", interlocking_time=2e-6),
    dict(motor="ExtExDc", task="CC", interlocking_time=3e-6),
    dict(motor="PMSM", task="CC", action_frame="dq", reward_power=2.0, gamma=0.9),
    dict(motor="PMSM", task="SC", load=OrnsteinUhlenbeckLoad(mu=50.0, sigma=30.0)),
    dict(motor="SynRM", task="CC", action_type="Finite", interlocking_time=1e-6, noise=0.01),
    dict(motor="ShuntDc", task="SC", load=PolynomialStaticLoad(a=0.3, b=0.01, c=1e-4, j_load=1e-3),
         reference=gem.envs.PeriodicReference(shape="triangle")),
    dict(motor="SeriesDc", task="CC", reference=gem.envs.ConstReference(value=0.3), constraints=()),
])
def test_options_compiled_equals_numpy(kwargs):
    fast, slow = _pair(4, **kwargs)
    _compare(fast, slow, steps=80, scale=0.5)


def test_parallel_kernel_equals_numpy(monkeypatch):
    monkeypatch.setattr("gem.envs.compiled.PARALLEL_FROM", 4)
    fast, slow = _pair(6, motor="PMSM", task="CC")
    _compare(fast, slow, steps=30, scale=0.5)


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
