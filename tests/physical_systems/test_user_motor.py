"""User motors: an extra ODE state end to end, and the check every motor passes when a drive is built."""

import importlib.util
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

import gem
from gem.physical_systems import ExternalSpeedLoad, PolynomialStaticLoad


def _load_example(name):
    """The module of ``examples/{name}.py``, importable by name (numba looks compiled functions' modules up)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


ROOT = Path(__file__).resolve().parents[2]
HeatedPermExDc = _load_example("heated_motor").HeatedPermExDc
"""The tutorial's motor with an extra ODE state, the winding temperature rise ``theta`` (K)."""


@dataclass(frozen=True, kw_only=True)
class HotDc(HeatedPermExDc):
    """The tutorial's motor with a small heat capacity (J/K), so that a test sees ``theta`` move."""

    c_th: float = 2.0


def run(env, steps=20, action=0.3):
    env.reset(seed=0, options={"initial_state": {"theta": 40.0}})
    out = []
    for _ in range(steps):
        obs, reward, terminated, truncated, _ = env.step(np.array([action], np.float32))
        out.append((obs, env.physical_state.copy(), terminated))
        if terminated:
            break
    return out


def test_an_extra_ode_state_is_a_state_an_observation_a_limit_and_a_constraint():
    env = gem.make_env(motor=HotDc(), task="CC", constraints=("i", "theta"), compiled=False)
    assert env.state_names == ("omega", "torque", "i", "u", "u_sup", "theta")
    assert env.observation_names == ("omega", "torque", "i", "u", "u_sup", "theta", "i_ref")
    assert env.limits[5] == 100.0
    (obs, phys, _), *_ = run(env, steps=1)
    assert phys[5] == pytest.approx(40.0, abs=0.1)
    assert obs[5] == pytest.approx(phys[5] / 100.0, rel=1e-6)           # observed, normalised by its limit
    # the constraint on theta: a start at 99.9 K under 150 A (500 W of losses against 200 W of cooling)
    # heats the winding beyond its 100 K limit and ends the episode
    env.reset(seed=0, options={"initial_state": {"theta": 99.9, "i": 150.0}})
    for _ in range(100):
        *_, terminated, _, _ = env.step(np.array([0.33], np.float32))
        if terminated:
            break
    assert terminated and env.physical_state[5] > 100.0 and abs(env.physical_state[2]) < 210.0


def test_an_extra_ode_state_compiled_equals_numpy_single_and_batched():
    numpy_run = run(gem.make_env(motor=HotDc(), task="CC", compiled=False))
    compiled_env = gem.make_env(motor=HotDc(), task="CC")
    compiled_run = run(compiled_env)
    assert compiled_env.compiled
    for (o1, p1, _), (o2, p2, _) in zip(numpy_run, compiled_run, strict=True):
        np.testing.assert_allclose(p1, p2, rtol=1e-12)
        np.testing.assert_array_equal(o1, o2)
    venv = gem.make_vec_env(num_envs=2, motor=HotDc(c_th=[2.0, 4.0]), task="CC", compiled=False)
    venv.reset(seed=0, options={"initial_state": {"theta": 40.0}})
    venv.step(np.full((2, 1), 0.3, np.float32))
    theta = venv.physical_state[:, 5]
    assert theta[0] != theta[1]            # per-environment heat capacity: the states differ


def test_a_missing_limit_says_where_to_add_it():
    @dataclass(frozen=True, kw_only=True)
    class NoThetaLimit(HotDc):
        default_limits: ClassVar = {"omega": 400.0, "torque": 38.0, "i": 210.0}

    with pytest.raises(ValueError, match=r"no limit for the state\(s\) \['theta'\].*default_limits.*limit_values"):
        NoThetaLimit()
    motor = NoThetaLimit(limit_values={"theta": 80.0})       # given per instance instead: accepted
    assert gem.make_env(motor=motor, task="CC").limits[5] == 80.0


# ------------------------------------------------------------------------------ code that only works on one number
def _if_torque(self, x):
    return self.psi_e * x[0] if x[0] > 0 else 0.0


def _min_derivative(self, x, u, omega):
    return min((u[0] - self.r_a * x[0] - self.psi_e * omega) / self.l_a, 1e9), -x[1] / (self.r_th * self.c_th)


def _math_derivative(self, x, u, omega):
    return (u[0] - self.r_a * x[0] - self.psi_e * omega) / self.l_a, math.exp(-x[1]) / self.c_th


def _and_torque(self, x):
    return np.where(x[0] > 0 and x[1] > 0, self.psi_e * x[0], 0.0)


@pytest.mark.parametrize(("method", "body"), [("torque", _if_torque), ("derivative", _min_derivative),
                                              ("derivative", _math_derivative), ("torque", _and_torque)],
                         ids=["if", "min", "math", "and"])
@pytest.mark.parametrize("compiled", [True, False])
def test_code_that_fails_on_arrays_is_an_error_when_the_env_is_built(method, body, compiled):
    cls = dataclass(frozen=True, kw_only=True)(type("Scalar", (HotDc,), {method: body, "__module__": __name__}))
    for make in (lambda: gem.make_env(motor=cls(), task="CC", compiled=compiled),
                 lambda: gem.make_vec_env(num_envs=4, motor=cls(), task="SC", compiled=compiled)):
        with pytest.raises(ValueError, match=rf"Scalar\.{method} fails on a batch of environments.*np\.where"):
            make()


def test_an_if_on_a_parameter_is_caught_with_per_environment_parameters():
    @dataclass(frozen=True, kw_only=True)
    class ParamIf(HotDc):
        def torque(self, x):
            return self.psi_e * x[0] if self.c_th > 1.0 else 0.0

    gem.make_env(motor=ParamIf(), task="CC")                  # one value: fine on both steps
    with pytest.raises(ValueError, match=r"ParamIf\.torque fails on a batch"):
        gem.make_vec_env(num_envs=2, motor=ParamIf(c_th=[2.0, 3.0]), task="CC")


def test_a_load_that_fails_on_arrays_is_an_error():
    def profile(t):
        return 100.0 if t < 0.1 else 50.0

    with pytest.raises(ValueError, match=r"ExternalSpeedLoad\.next_speed fails on a batch.*np\.where"):
        gem.make_env(motor=HotDc(), task="CC", load=ExternalSpeedLoad(profile=profile))

    @dataclass(frozen=True, kw_only=True)
    class Friction(PolynomialStaticLoad):
        def load_torque(self, omega, j_total):
            return self.b * omega if omega > 0 else 0.0

    with pytest.raises(ValueError, match=r"Friction\.load_torque fails on a batch"):
        gem.make_env(motor=HotDc(), task="SC", load=Friction(b=0.01))


# ------------------------------------------------------------------------------ names and returned columns
def _one_column(self, x, u, omega):
    return ((u[0] - self.r_a * x[0] - self.psi_e * omega) / self.l_a,)


def _bare_column(self, x, u, omega):
    return (u[0] - self.r_a * x[0] - self.psi_e * omega) / self.l_a


@pytest.mark.parametrize(("attrs", "culprit"), [
    ({"ode_names": "i"}, r"ode_names must be a tuple of state names, e\.g\. \('i',\)"),
    ({"ode_names": ("theta", "i")}, r"currents \('i',\) must be the first ODE states"),
    ({"ode_names": ("i", "omega")}, r"ode_names contains \['omega'\]"),
    ({"ode_names": ("i", "i")}, "repeats a name"),
    ({"extra_names": ("p_loss",)}, r"extra_names \('p_loss',\) needs an extras\(x\) method"),
    ({"derivative": _one_column}, r"derivative returned 1 column\(s\) for the 2 name\(s\) \('i', 'theta'\)"),
    ({"derivative": _bare_column, "ode_names": ("i",)}, r"derivative must return a tuple with one column per name"),
    ({"default_nominal": {"omega": 300.0, "torque": 16.0, "i": 300.0}}, "nominal value of 'i'.*exceeds its limit"),
])
def test_motor_definition_errors_say_what_to_write(attrs, culprit):
    cls = dataclass(frozen=True, kw_only=True)(type("Bad", (HotDc,), {**attrs, "__module__": __name__}))
    with pytest.raises(ValueError, match=culprit):
        gem.make_env(motor=cls(), task="CC")


def test_another_error_in_a_motor_says_where_gem_ran_it():
    @dataclass(frozen=True, kw_only=True)
    class Typo(HotDc):
        def torque(self, x):
            return self.psi * x[0]              # no parameter psi

    with pytest.raises(AttributeError, match="psi") as err:
        gem.make_env(motor=Typo(), task="CC")
    if hasattr(err.value, "__notes__"):        # Python 3.11+
        assert "Typo.torque once on a batch" in err.value.__notes__[0]
