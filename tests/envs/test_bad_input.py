"""Bad input gets a clear, early error that names the culprit."""

import warnings

import gymnasium as gym
import numpy as np
import pytest

import gem
from gem.envs import ConstReference
from gem.physical_systems import ConstantSpeedLoad, GaussianNoise, PermExDc

CC = "gem/Cont-CC-PermExDc-v0"
FINITE = "gem/Finite-CC-PermExDc-v0"
MULTI = "gem/Finite-CC-ExtExDc-v0"


def vec(env_id=CC, num_envs=2, **kw):
    return gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **kw)


# ------------------------------------------------------------------------------ construction
@pytest.mark.parametrize(("kwargs", "culprit"), [
    ({"motor_params": {"r_x": 0.1}}, "r_x"),
    ({"motor_params": {"R_a": 0.1}}, "R_a"),
    ({"motor_params": {"r_a": -0.1}}, "r_a"),
    ({"motor_params": {"r_a": 0.0}}, "r_a"),
    ({"motor_params": {"l_a": 0.0}}, "l_a"),
    ({"motor_params": {"l_a": -1e-3}}, "l_a"),
    ({"motor_params": {"j_rotor": 0.0}}, "j_rotor"),
    ({"motor_params": {"j_rotor": -1.0}}, "j_rotor"),
    ({"motor_params": {"psi_e": float("nan")}}, "psi_e"),
    ({"tau": 0.0}, "tau"),
    ({"tau": -1e-4}, "tau"),
    ({"tau": float("nan")}, "tau"),
    ({"tau": "1e-4"}, "tau"),
    ({"u_sup": 0.0}, "u_sup"),
    ({"u_sup": -300.0}, "u_sup"),
    ({"u_sup": float("inf")}, "u_sup"),
    ({"u_sup": "60"}, "u_sup"),
    ({"solver": "rk5"}, "rk5"),
    ({"substeps": 0}, "substeps"),
    ({"interlocking_time": -1e-6}, "interlocking_time"),
    ({"interlocking_time": 1e-3}, "interlocking_time.*shorter than tau"),
    ({"substeps": "2"}, "substeps"),
    ({"limit_values": {"i": -1.0}}, "'i'"),
    ({"limit_values": {"i_q": 10.0}}, "i_q"),
    ({"nominal_values": {"speed": 10.0}}, "speed"),
    ({"nominal_values": {"i": 500.0}}, "nominal value of 'i'.*exceeds its limit"),    # limit 210 A
    ({"limit_values": {"i": 50.0}}, "nominal value of 'i'.*exceeds its limit"),      # nominal 97 A
    ({"nominal_values": 97.0}, "nominal_values"),
    ({"limit_values": {"i": "200"}}, r"limit_values\['i'\]"),
    ({"limit_values": {"i": float("nan")}}, r"limit_values\['i'\]"),
    ({"nominal_values": {"i": None}}, r"nominal_values\['i'\]"),
    ({"motor_params": 0.1}, "motor_params"),
    ({"gamma": 1.0}, "gamma"),
    ({"gamma": -0.1}, "gamma"),
    ({"reward_weights": {"omega": 1.0}}, "omega"),
    ({"reward_power": 0.0}, "reward_power"),
    ({"reward_weights": {"i": -1.0}}, "reward_weights"),
    ({"constraints": ("i_x",)}, "i_x"),
    ({"constraints": (42,)}, "42"),
    ({"noise": -0.1}, "noise"),
    ({"noise": float("nan")}, "noise"),
    ({"noise": GaussianNoise({"i_x": 0.1})}, "i_x"),
    ({"reference": ConstReference(state="i_x")}, "i_x"),
    ({"observed_states": ("i", "i_x")}, "i_x"),
    ({"observed_states": "i_x"}, "i_x"),
    ({"constraints": "omega_x"}, "'omega_x'"),           # one name, not its letters
    ({"load": "constant"}, "load"),
    ({"converter": "4QC"}, "converter"),
    ({"reference": "sine"}, "reference"),
    ({"last_action": "yes"}, "last_action"),
    ({"compiled": "no"}, "compiled"),
    ({"violation_reward": float("inf")}, "violation_reward"),
    ({"violation_reward": "-100"}, "violation_reward"),
    ({"gamma": "0.9"}, "gamma"),
])
def test_bad_configuration_raises_naming_the_culprit(kwargs, culprit):
    with pytest.raises(ValueError, match=culprit):
        gym.make(CC, **kwargs)
    with pytest.raises(ValueError, match=culprit):
        vec(**kwargs)


@pytest.mark.parametrize(("env_id", "params", "culprit"), [
    ("gem/Cont-SC-SeriesDc-v0", {"r_e": -0.1}, "r_e"),
    ("gem/Cont-SC-SeriesDc-v0", {"l_e": 0.0}, "l_e"),
    ("gem/Cont-SC-ExtExDc-v0", {"l_e_prime": -1.0}, "l_e_prime"),
    ("gem/Cont-SC-ShuntDc-v0", {"r_e": 0.0}, "r_e"),
    ("gem/Cont-SC-ShuntDc-v0", {"psi_e": 0.1}, "psi_e"),      # a PermExDc parameter on a ShuntDc
])
def test_bad_motor_params_of_each_motor(env_id, params, culprit):
    with pytest.raises(ValueError, match=culprit):
        gym.make(env_id, motor_params=params)


def test_unknown_env_kwarg_is_named():
    with pytest.raises(TypeError, match="foo"):
        gym.make(CC, foo=1.0)
    with pytest.raises(TypeError, match="foo"):
        vec(foo=1.0)


def test_unknown_keyword_lists_the_valid_ones_and_suggests_the_closest():
    for make in (lambda **kw: gym.make(CC, **kw), vec, lambda **kw: gem.make_env(motor="PermExDc", **kw)):
        with pytest.raises(TypeError, match=r"\['u_supply'\].*did you mean .*'u_sup'.*valid keywords: .*motor_params"):
            make(u_supply=300.0)
    with pytest.raises(TypeError, match="'num_envs' is an option of vector environments"):
        gem.make_env(num_envs=4)
    with pytest.raises(TypeError, match="valid keywords: .*num_envs.*threaded"):
        vec(threads=True)


def test_factory_arguments_are_checked():
    with pytest.raises(ValueError, match="Foo"):
        gem.make_env(motor="Foo")
    with pytest.raises(ValueError, match="XC"):
        gem.make_env(motor="PermExDc", task="XC")
    with pytest.raises(ValueError, match="Analog"):
        gem.make_env(motor="PermExDc", action_type="Analog")
    with pytest.raises(ValueError, match="motor_params"):
        gem.make_env(motor=PermExDc(), motor_params={"r_a": 0.1})
    with pytest.raises(ValueError, match="num_envs"):
        vec(num_envs=0)
    with pytest.raises(ValueError, match="max_episode_steps"):
        vec(max_episode_steps=0)
    with pytest.raises(ValueError, match="ExtExDc"):
        gym.make("gem/Cont-CC-ExtExDc-v0", converter=gem.physical_systems.ContFourQuadrantConverter())


# ------------------------------------------------------------------------------ reset
def test_unknown_state_name_in_reset_options():
    env = gym.make(CC)
    with pytest.raises(ValueError, match="i_q"):
        env.reset(options={"initial_state": {"i_q": 1.0}})
    with pytest.raises(ValueError, match="torque"):             # reported, but not settable
        env.reset(options={"initial_state": {"torque": 1.0}})
    with pytest.raises(ValueError, match="i_q"):
        vec().reset(options={"initial_state": {"i_q": 1.0}})


@pytest.mark.parametrize(("initial", "culprit"), [
    ({"i": np.nan}, r"initial_state\['i'\] must be finite"),
    ({"i": np.inf}, r"initial_state\['i'\] must be finite"),
    ({"i": "a"}, r"initial_state\['i'\] must be a number"),
    ({"i": [1.0, 2.0, 3.0]}, r"initial_state\['i'\] must be a number or an array of 2"),
    ({"i": 1e4}, r"initial i = \[10000.0, 10000.0\] is beyond its limit ±\[210.0, 210.0\].*constraints=\(\)"),
    ({"i": [0.0, -211.0]}, r"initial i = \[-211.0\] is beyond its limit ±\[210.0\] in environment\(s\) \[1\]"),
])
def test_bad_initial_state_is_an_error(initial, culprit):
    with pytest.raises(ValueError, match=culprit):
        vec().reset(seed=0, options={"initial_state": initial})
    with pytest.raises(ValueError, match="must be a dict"):
        gym.make(CC).reset(options={"initial_state": 5.0})


def test_initial_state_beyond_a_limit_without_constraints_is_a_warning():
    env = gym.make("gem/Cont-SC-PermExDc-v0", constraints=())
    with pytest.warns(UserWarning, match=r"initial omega = \[1000.0\] is beyond its limit ±\[400.0\].*are off"):
        env.reset(seed=0, options={"initial_state": {"omega": 1000.0}})
    assert env.unwrapped.physical_state[0] == 1000.0                 # used as given
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env.reset(seed=0, options={"initial_state": {"omega": 399.0, "i": -209.0}})      # inside: no warning


def test_initial_current_amplitude_beyond_the_limit_is_an_error():
    env = gym.make("gem/Cont-CC-PMSM-v0")            # i_sd² + i_sq² <= (400 A)²
    with pytest.raises(ValueError, match=r"beyond the limit SquaredConstraint.*'i_sd', 'i_sq'"):
        env.reset(seed=0, options={"initial_state": {"i_sd": -300.0, "i_sq": 300.0}})
    env = gym.make("gem/Cont-CC-PMSM-v0")            # (Gymnasium 1.4's checker fails a step after a failed first reset)
    env.reset(seed=0, options={"initial_state": {"i_sd": -200.0, "i_sq": 300.0}})
    _, _, terminated, _, _ = env.step(np.zeros(3, np.float32))
    assert not terminated


def test_unknown_reset_option():
    with pytest.raises(ValueError, match="initial_sate"):
        gym.make(CC).reset(options={"initial_sate": {"i": 1.0}})


def test_omega_contradicting_a_prescribed_speed():
    env = gym.make(CC, load=ConstantSpeedLoad(omega_fixed=100.0))
    with pytest.raises(ValueError, match="omega"):
        env.reset(options={"initial_state": {"omega": 50.0}})
    obs, _ = env.reset(options={"initial_state": {"omega": 100.0, "i": 5.0}})    # agreeing is fine
    assert env.unwrapped.physical_state[0] == 100.0 and env.unwrapped.physical_state[2] == 5.0
    with pytest.raises(ValueError, match="omega"):
        vec(load=ConstantSpeedLoad(omega_fixed=100.0)).reset(options={"initial_state": {"omega": [100.0, 0.0]}})


def test_per_environment_motor_parameters_of_the_right_length_work():
    venv = vec(num_envs=2, motor_params={"r_a": [0.016, 0.05]}, constraints=())
    venv.reset(seed=0)
    venv.step(np.full((2, 1), 0.3, np.float32))
    phys = venv.unwrapped.physical_state
    assert phys[0, 2] != phys[1, 2]


@pytest.mark.parametrize("num_envs", [2, 3])
def test_per_environment_supply_voltage_works(num_envs):
    u_sup = np.array([60.0, 48.0, 30.0][:num_envs])
    venv = vec(num_envs=num_envs, u_sup=u_sup, constraints=())
    venv.reset(seed=0)
    venv.step(np.full((num_envs, 1), 0.5, np.float32))
    phys = venv.unwrapped.physical_state
    np.testing.assert_allclose(phys[:, 4], u_sup)
    np.testing.assert_allclose(phys[:, 3], 0.5 * u_sup, rtol=1e-6)


@pytest.mark.parametrize(("num_envs", "kwargs", "culprit"), [
    (3, {"motor_params": {"r_a": [0.016, 0.05]}}, "r_a"),
    (1, {"motor_params": {"r_a": [0.016, 0.05]}}, "r_a"),
    (3, {"u_sup": [60.0, 48.0]}, "u_sup|u_nominal"),
    (2, {"u_sup": [60.0, 48.0, 30.0], "motor_params": {"r_a": [0.016, 0.05]}}, "has 3 values .* num_envs is 2"),
])
def test_per_environment_parameter_of_wrong_length(num_envs, kwargs, culprit):
    with pytest.raises(ValueError, match=culprit):
        venv = vec(num_envs=num_envs, **kwargs)
        venv.reset(seed=0)
        venv.step(np.zeros((num_envs, 1), np.float32))


def test_wrong_number_of_seeds():
    with pytest.raises(ValueError, match="seeds"):
        vec(num_envs=2).reset(seed=[1, 2, 3])


# ------------------------------------------------------------------------------ step
def test_step_before_reset():
    env = gym.make(CC)
    with pytest.raises(Exception, match="reset"):
        env.step(np.zeros(1, np.float32))
    with pytest.raises(RuntimeError, match="reset"):
        env.unwrapped.step(np.zeros(1, np.float32))
    with pytest.raises(RuntimeError, match="reset"):
        env.unwrapped.physical_state  # noqa: B018
    with pytest.raises(RuntimeError, match="reset"):
        vec().step(np.zeros((2, 1), np.float32))


@pytest.mark.parametrize(("env_id", "action"), [
    (CC, np.zeros(2, np.float32)),
    (CC, np.zeros((1, 1), np.float32)),
    (CC, np.float32(0.3)),
    (FINITE, np.array([1, 2])),
    (MULTI, 1),
    (MULTI, np.array([1, 2, 3])),
    ("gem/Cont-CC-ExtExDc-v0", np.zeros(1, np.float32)),
])
def test_wrong_action_shape(env_id, action):
    env = gym.make(env_id)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="shape"):
        env.unwrapped.step(action)
    with pytest.raises(ValueError, match="shape"):
        env.step(action)


def test_wrong_action_shape_vector():
    venv = vec(num_envs=2)
    venv.reset(seed=0)
    with pytest.raises(ValueError, match="shape"):
        venv.step(np.zeros((3, 1), np.float32))
    with pytest.raises(ValueError, match="shape"):
        venv.step(np.zeros((2, 2), np.float32))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_action(bad):
    env = gym.make(CC)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="NaN|inf"):
        env.step(np.array([bad], np.float32))
    venv = vec()
    venv.reset(seed=0)
    with pytest.raises(ValueError, match="NaN|inf"):
        venv.step(np.array([[0.0], [bad]], np.float32))
    env = gym.make(FINITE)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="integer"):
        env.unwrapped.step(np.array(bad))


@pytest.mark.parametrize(("env_id", "action", "match"), [
    (FINITE, 4, "range"),
    (FINITE, -1, "range"),
    (FINITE, 1.5, "integer"),
    (MULTI, np.array([1, 4]), "range"),
])
def test_invalid_finite_action(env_id, action, match):
    env = gym.make(env_id)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=match):
        env.unwrapped.step(action)


def test_a_rejected_action_does_not_advance_the_environment():
    env = gym.make(CC)
    env.reset(seed=0)
    before = env.unwrapped.physical_state
    with pytest.raises(ValueError):
        env.unwrapped.step(np.array([np.nan], np.float32))
    np.testing.assert_array_equal(env.unwrapped.physical_state, before)
    env.step(np.array([0.2], np.float32))                     # still usable


def test_exploding_state_never_becomes_a_silent_nan_observation():
    """An unstable integration (explicit Euler, tau >> L/R) ends the episode instead of returning NaN."""
    env = gym.make(CC, solver="euler", tau=1e-2, constraints=(), load=ConstantSpeedLoad(omega_fixed=0.0),
                   max_episode_steps=10_000)
    env.reset(seed=0, options={"initial_state": {"omega": 0.0, "i": 1.0}})
    for _ in range(2000):
        with np.errstate(all="ignore"):
            obs, reward, terminated, truncated, info = env.step(np.array([0.5], np.float32))
        assert np.all(np.isfinite(obs)) and np.isfinite(reward)
        assert env.observation_space.contains(obs)
        if terminated:
            break
    assert terminated, "the exploding state never ended the episode"
    assert info.get("nonfinite_state", False)
    assert reward == env.unwrapped.task.reward.penalty
