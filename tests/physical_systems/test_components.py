"""Loads, noise, per-environment parameters and parameter validation of the physical components."""

import gymnasium as gym
import numpy as np
import pytest

import gem  # noqa: F401  (registers the gem/ ids)
from gem.envs import ConstReference
from gem.physical_systems import (
    ConstantSpeedLoad,
    ContFourQuadrantConverter,
    ContMultiConverter,
    DriveSystem,
    ExternalSpeedLoad,
    ExtExDc,
    FiniteFourQuadrantConverter,
    GaussianNoise,
    IdealVoltageSupply,
    OrnsteinUhlenbeckLoad,
    PermExDc,
    PolynomialStaticLoad,
    SeriesDc,
    ShuntDc,
)

CC_ID = "gem/Cont-CC-PermExDc-v0"
SLOW_CC_ID = "gem/Cont-CC-SeriesDc-v0"        # large inductance: the current stays well inside its range


def make_drive(motor, load, converter=None, u_sup=60.0, tau=1e-4, **kw):
    if converter is None:
        converter = (ContMultiConverter(ContFourQuadrantConverter(), ContFourQuadrantConverter())
                     if len(motor.input_names) == 2 else ContFourQuadrantConverter())
    return DriveSystem(motor, converter, load, IdealVoltageSupply(u_nominal=u_sup), tau=tau, **kw)


def omega_trajectory(drive, n, initial, action, num_envs=1):
    state = drive.reset(num_envs, initial)
    out = [state.omega.copy()]
    for _ in range(n):
        state = drive.step(state, np.broadcast_to(np.asarray(action, float), (num_envs, len(action))).copy())
        out.append(state.physical[:, drive.index["omega"]].copy())
    return np.array(out)


# ------------------------------------------------------------------------------ polynomial static load
def test_polynomial_load_torque_shape():
    a, b, c, tau_decay, j = 0.4, 0.02, 1e-3, 1e-3, 0.01
    load = PolynomialStaticLoad(a=a, b=b, c=c, j_load=0.0, tau_decay=tau_decay)
    w_static = a * tau_decay / j                     # end of the smooth static-friction region
    w = np.array([0.0, 0.3 * w_static, w_static, 2 * w_static, 10.0, 150.0])
    t = load.load_torque(w, j)
    expected = np.where(w < w_static, w * j / tau_decay, a) + b * w + c * w**2
    np.testing.assert_allclose(t, expected, rtol=1e-12, atol=1e-15)
    assert t[0] == 0.0
    np.testing.assert_allclose(load.load_torque(-w, j), -t, rtol=1e-12)       # odd in omega
    # Continuous through the whole static region (no jump of +-a at zero speed).
    fine = np.linspace(-2 * w_static, 2 * w_static, 4001)
    assert np.max(np.abs(np.diff(load.load_torque(fine, j)))) < 2 * (a / 1000 + b * 1e-3)


@pytest.mark.parametrize(("params", "closed_form"), [
    ({"b": 0.01}, lambda w0, j, t: w0 * np.exp(-0.01 * t / j)),
    ({"c": 1e-3}, lambda w0, j, t: w0 / (1 + 1e-3 * w0 * t / j)),
], ids=["viscous", "quadratic"])
def test_coast_down_against_load_closed_form(params, closed_form):
    """No excitation current (ExtExDc, i_e = 0): no motor torque; the speed follows the load alone."""
    motor = ExtExDc()
    load = PolynomialStaticLoad(j_load=0.0025, **params)
    drive = make_drive(motor, load, tau=1e-3)
    w = omega_trajectory(drive, 300, {"omega": 80.0}, [0.0, 0.0])[:, 0]
    t = np.arange(301) * 1e-3
    np.testing.assert_allclose(w, closed_form(80.0, motor.j_rotor + 0.0025, t), rtol=1e-8)


def test_coulomb_friction_stops_without_chatter():
    """Constant deceleration a/J, then the smooth static region decays with tau_decay; never below 0."""
    motor = ExtExDc()
    a, tau_decay = 0.05, 1e-3
    load = PolynomialStaticLoad(a=a, j_load=0.0025, tau_decay=tau_decay)
    j = motor.j_rotor + 0.0025
    drive = make_drive(motor, load, tau=1e-4)
    w0 = 1.0
    w = omega_trajectory(drive, 1200, {"omega": w0}, [0.0, 0.0])[:, 0]
    t = np.arange(1201) * 1e-4
    w_static = a * tau_decay / j
    t_static = (w0 - w_static) * j / a
    expected = np.where(t < t_static, w0 - a / j * t, w_static * np.exp(-(t - t_static) / tau_decay))
    np.testing.assert_allclose(w, expected, atol=1e-6 * w0)
    assert np.all(w >= 0) and np.all(np.diff(w) <= 0)
    assert w[-1] < 1e-8


# ------------------------------------------------------------------------------ prescribed-speed loads
def test_constant_speed_load_holds_its_speed():
    env = gym.make(CC_ID, load=ConstantSpeedLoad(omega_fixed=123.0), constraints=())
    env.reset(seed=0)
    assert env.unwrapped.physical_state[0] == 123.0
    for a in np.linspace(-1, 1, 20):
        env.step(np.array([a], np.float32))
        assert env.unwrapped.physical_state[0] == 123.0


def test_constant_speed_load_per_environment():
    drive = make_drive(PermExDc(), ConstantSpeedLoad(omega_fixed=np.array([10.0, -20.0, 30.0])))
    w = omega_trajectory(drive, 5, None, [0.2], num_envs=3)
    np.testing.assert_array_equal(w, np.tile([10.0, -20.0, 30.0], (6, 1)))


def test_external_speed_load_follows_profile_and_restarts_at_reset():
    def profile(t):
        return 50.0 + 30.0 * np.sin(2 * np.pi * 50.0 * t)

    tau = 1e-4
    env = gym.make(CC_ID, load=ExternalSpeedLoad(profile=profile), constraints=(), tau=tau)
    for _ in range(2):                           # the profile time restarts at every reset
        env.reset(seed=1)
        assert env.unwrapped.physical_state[0] == pytest.approx(profile(0.0))
        for k in range(1, 120):
            env.step(np.array([0.1], np.float32))
            assert env.unwrapped.physical_state[0] == pytest.approx(profile(k * tau), rel=1e-12)


def test_external_speed_load_restarts_per_environment_at_autoreset():
    tau = 1e-4

    def profile(t):
        return 10.0 + 1e5 * t

    venv = gym.make_vec(CC_ID, num_envs=2, vectorization_mode="vector_entry_point", tau=tau,
                        load=ExternalSpeedLoad(profile=profile))
    venv.reset(seed=0, options={"initial_state": {"i": [209.0, 0.0]}})     # 1 A below the limit
    _, _, terminated, _, _ = venv.step(np.array([[1.0], [0.0]], np.float32))     # 60 V: env 0 beyond it at once
    assert terminated.tolist() == [True, False]
    np.testing.assert_allclose(venv.unwrapped.physical_state[:, 0], [profile(0.0), profile(tau)])
    venv.step(np.full((2, 1), 16.5 / 60, np.float32))
    np.testing.assert_allclose(venv.unwrapped.physical_state[:, 0], [profile(tau), profile(2 * tau)])


def test_external_speed_load_is_vectorised_over_environments():
    load = ExternalSpeedLoad(profile=lambda t: 10.0 + 1000.0 * t)
    drive = make_drive(SeriesDc(), load)
    w = omega_trajectory(drive, 10, None, [0.3], num_envs=4)
    np.testing.assert_allclose(w, np.repeat((10.0 + 1000.0 * np.arange(11) * 1e-4)[:, None], 4, axis=1))


def test_external_speed_load_rejects_bad_profiles():
    with pytest.raises(ValueError, match="profile"):
        ExternalSpeedLoad(profile=None)
    drive = make_drive(PermExDc(), ExternalSpeedLoad(profile=lambda t: np.where(t > 1.5e-4, np.nan, 1.0)))
    state = drive.reset(1)
    state = drive.step(state, np.zeros((1, 1)))
    with pytest.raises(ValueError, match="non-finite"):
        drive.step(state, np.zeros((1, 1)))


def ou_run(seed, load, n=300):
    env = gym.make(CC_ID, load=load, constraints=())
    env.reset(seed=seed)
    omegas = [env.unwrapped.physical_state[0]]
    for _ in range(n):
        env.step(np.array([0.0], np.float32))
        omegas.append(env.unwrapped.physical_state[0])
    return np.array(omegas)


def test_ornstein_uhlenbeck_load_is_seeded():
    load = OrnsteinUhlenbeckLoad(mu=50.0, sigma=100.0, theta=20.0)
    a, b, c = ou_run(1, load), ou_run(1, load), ou_run(2, load)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert a[0] == 50.0 and np.ptp(a) > 1.0


def test_ornstein_uhlenbeck_load_transition_is_exact():
    """The implied standardised increments of the exact OU transition are standard normal."""
    mu, sigma, theta, tau = 20.0, 300.0, 40.0, 1e-4
    w = ou_run(5, OrnsteinUhlenbeckLoad(mu=mu, sigma=sigma, theta=theta, omega_min=-1e4, omega_max=1e4), n=2000)
    decay = np.exp(-theta * tau)
    spread = sigma * np.sqrt((1 - decay**2) / (2 * theta))
    z = (w[1:] - mu - (w[:-1] - mu) * decay) / spread
    assert abs(np.mean(z)) < 0.08 and abs(np.std(z) - 1.0) < 0.06
    assert abs(np.corrcoef(z[1:], z[:-1])[0, 1]) < 0.08


def test_ornstein_uhlenbeck_load_stays_in_range():
    load = OrnsteinUhlenbeckLoad(mu=40.0, sigma=3000.0, theta=1.0, omega_min=0.0, omega_max=80.0)
    w = ou_run(3, load, n=1000)
    assert np.all((w >= 0.0) & (w <= 80.0))
    assert w.min() == 0.0 and w.max() == 80.0           # the clip was reached on both sides


def test_ornstein_uhlenbeck_initial_speed_is_mu_clipped():
    load = OrnsteinUhlenbeckLoad(mu=500.0, omega_min=-100.0, omega_max=100.0)
    np.testing.assert_array_equal(load.initial_speed(3), 100.0)


# ------------------------------------------------------------------------------ noise
def _pair(noise, reference=None, seed=4, n=40):
    kw = {"reference": reference} if reference is not None else {}
    clean = gym.make(SLOW_CC_ID, **kw)
    noisy = gym.make(SLOW_CC_ID, noise=noise, **kw)
    oc, _ = clean.reset(seed=seed)
    on, _ = noisy.reset(seed=seed)
    obs_c, obs_n, phys_c, phys_n = [oc], [on], [clean.unwrapped.physical_state], [noisy.unwrapped.physical_state]
    rng = np.random.default_rng(0)
    for _ in range(n):
        a = rng.uniform(0.0, 0.3, size=1).astype(np.float32)
        obs_c.append(clean.step(a)[0])
        obs_n.append(noisy.step(a)[0])
        phys_c.append(clean.unwrapped.physical_state)
        phys_n.append(noisy.unwrapped.physical_state)
    n_states = len(clean.unwrapped.observation_names) - len(clean.unwrapped.reference_names)
    return np.array(obs_c), np.array(obs_n), np.array(phys_c), np.array(phys_n), n_states


def test_noise_changes_observations_not_physical_state():
    sigma = 0.05
    obs_c, obs_n, phys_c, phys_n, k = _pair(sigma, ConstReference(value=0.2))
    assert np.all(np.abs(obs_c[:, :k]) < 1.5)                      # nothing clipped at the bound
    np.testing.assert_array_equal(phys_c, phys_n)
    diff = obs_n[:, :k] - obs_c[:, :k]
    assert np.all(np.abs(diff) > 0)
    assert 0.6 * sigma < np.std(diff) < 1.4 * sigma
    np.testing.assert_array_equal(obs_n[:, k:], obs_c[:, k:])        # references are not noised


def test_noise_per_state_mapping():
    obs_c, obs_n, phys_c, phys_n, k = _pair(GaussianNoise({"i": 0.1}), ConstReference(value=0.2))
    names = gym.make(SLOW_CC_ID).unwrapped.observation_names
    j = names.index("i")
    np.testing.assert_array_equal(phys_c, phys_n)
    assert np.all(obs_n[:, j] != obs_c[:, j])
    others = [m for m in range(k) if m != j]
    np.testing.assert_array_equal(obs_n[:, others], obs_c[:, others])


def test_noise_does_not_change_the_seeded_references():
    obs_c, obs_n, _, _, k = _pair(0.01)
    np.testing.assert_array_equal(obs_n[:, k:], obs_c[:, k:])


# ------------------------------------------------------------------------------ per-environment parameters
def test_per_environment_parameters_equal_separate_runs():
    r_a = np.array([0.016, 0.05, 0.2])
    u_sup = np.array([60.0, 48.0, 24.0])
    batched = make_drive(PermExDc(r_a=r_a), ConstantSpeedLoad(omega_fixed=20.0), u_sup=u_sup)
    state = batched.reset(3)
    singles = [make_drive(PermExDc(r_a=r), ConstantSpeedLoad(omega_fixed=20.0), u_sup=u) for r, u in zip(r_a, u_sup,
                                                                                                      strict=True)]
    single_states = [d.reset(1) for d in singles]
    for k in range(20):
        a = np.array([[0.5], [-0.2], [0.9]]) * np.cos(k)
        state = batched.step(state, a)
        for j, d in enumerate(singles):
            single_states[j] = d.step(single_states[j], a[j:j + 1])
            np.testing.assert_allclose(state.physical[j], single_states[j].physical[0], rtol=1e-13, atol=1e-12)
    assert len({round(float(s.physical[0, 2]), 6) for s in single_states}) == 3


def test_out_of_range_continuous_actions_are_clipped():
    drive = make_drive(SeriesDc(), ConstantSpeedLoad(omega_fixed=50.0))
    s1, s2 = drive.reset(2), drive.reset(2)
    for _ in range(5):
        s1 = drive.step(s1, np.array([[1.0], [-1.0]]))
        s2 = drive.step(s2, np.array([[7.5], [-3.0]]))
    np.testing.assert_array_equal(s1.physical, s2.physical)
    env = gym.make(CC_ID, constraints=())
    env.reset(seed=0)
    env.step(np.array([4.0], np.float32))
    assert env.unwrapped.physical_state[3] == pytest.approx(60.0)      # u = +u_sup, not 4 u_sup


# ------------------------------------------------------------------------------ GEM defaults, normalisation
GEM_DC_DEFAULTS = {
    PermExDc: {"r_a": 16e-3, "l_a": 19e-6, "psi_e": 0.165, "j_rotor": 0.025},
    ExtExDc: {"r_a": 16e-3, "r_e": 0.16, "l_a": 19e-6, "l_e": 5.4e-3, "l_e_prime": 1.7e-3, "j_rotor": 0.0025},
    SeriesDc: {"r_a": 16e-3, "r_e": 48e-3, "l_a": 19e-6, "l_e": 5.4e-3, "l_e_prime": 1.7e-3, "j_rotor": 0.0025},
    ShuntDc: {"r_a": 16e-3, "r_e": 0.4, "l_a": 19e-6, "l_e": 5.4e-3, "l_e_prime": 1.7e-3, "j_rotor": 0.0025},
}


@pytest.mark.parametrize("cls", list(GEM_DC_DEFAULTS), ids=lambda c: c.__name__)
def test_gem_dc_defaults_nominal_values_and_limits(cls):
    m = cls()
    assert m.parameters == pytest.approx(GEM_DC_DEFAULTS[cls])
    assert cls.from_params(GEM_DC_DEFAULTS[cls]).parameters == m.parameters     # GEM dicts work unchanged
    for name in ("omega", "torque", *m.current_names):
        assert m.limits[name] == {"omega": 400.0, "torque": 38.0}.get(name, 210.0)
        assert m.nominal[name] == {"omega": 300.0, "torque": 16.0}.get(name, 97.0)
    env = gym.make(f"gem/Cont-CC-{cls.__name__}-v0")
    lim = dict(zip(env.unwrapped.state_names, env.unwrapped.limits, strict=True))
    assert all(lim[v] == 60.0 for v in m.voltage_names) and lim["u_sup"] == 60.0
    custom = gym.make(f"gem/Cont-CC-{cls.__name__}-v0", limit_values={m.current_names[0]: 100.0}, u_sup=48.0)
    lim = dict(zip(custom.unwrapped.state_names, custom.unwrapped.limits, strict=True))
    assert lim[m.current_names[0]] == 100.0 and lim[m.voltage_names[0]] == 48.0


@pytest.mark.parametrize("motor", ["PermExDc", "ExtExDc", "SeriesDc", "ShuntDc"])
def test_normalised_voltage_equals_the_continuous_action(motor):
    env = gym.make(f"gem/Cont-CC-{motor}-v0", constraints=())
    u = env.unwrapped
    env.reset(seed=0)
    action = np.linspace(-0.8, 0.6, env.action_space.shape[0]).astype(np.float32)
    obs, *_ = env.step(action)
    volts = [n for n in u.state_names if n.startswith("u") and n != "u_sup"]
    for k, name in enumerate(volts):
        assert obs[u.observation_names.index(name)] == pytest.approx(action[k], abs=1e-6)
        assert u.physical_state[u.state_names.index(name)] == pytest.approx(action[k] * 60.0, rel=1e-6)


# ------------------------------------------------------------------------------ parameter validation
@pytest.mark.parametrize(("build", "culprit"), [
    (lambda: PermExDc(r_a=-0.1), "r_a"),
    (lambda: PermExDc(r_a=0.0), "r_a"),
    (lambda: PermExDc(l_a=0.0), "l_a"),
    (lambda: PermExDc(j_rotor=0.0), "j_rotor"),
    (lambda: PermExDc(psi_e=-0.1), "psi_e"),
    (lambda: PermExDc(r_a=np.array([0.1, -0.1])), "r_a"),
    (lambda: PermExDc(r_a=float("nan")), "r_a"),
    (lambda: PermExDc(r_a=np.ones((2, 2))), "r_a"),
    (lambda: SeriesDc(r_e=-1.0), "r_e"),
    (lambda: SeriesDc(l_e=0.0), "l_e"),
    (lambda: ExtExDc(l_e_prime=-1e-3), "l_e_prime"),
    (lambda: ShuntDc(r_e=0.0), "r_e"),
    (lambda: PermExDc.from_params({"r_b": 1.0}), "r_b"),
    (lambda: PermExDc(limit_values={"i": 0.0}), "'i'"),
    (lambda: PermExDc(limit_values={"i_q": 10.0}), "i_q"),
    (lambda: PermExDc(nominal_values={"omega": -5.0}), "omega"),
    (lambda: PolynomialStaticLoad(a=-1.0), "'a'"),
    (lambda: PolynomialStaticLoad(b=-1.0), "'b'"),
    (lambda: PolynomialStaticLoad(c=-1.0), "'c'"),
    (lambda: PolynomialStaticLoad(j_load=-1.0), "j_load"),
    (lambda: PolynomialStaticLoad(tau_decay=0.0), "tau_decay"),
    (lambda: OrnsteinUhlenbeckLoad(theta=0.0), "theta"),
    (lambda: OrnsteinUhlenbeckLoad(sigma=-1.0), "sigma"),
    (lambda: OrnsteinUhlenbeckLoad(omega_min=10.0, omega_max=10.0), "omega_min"),
    (lambda: IdealVoltageSupply(u_nominal=0.0), "u_nominal"),
    (lambda: ContFourQuadrantConverter(interlocking_time=-1e-6), "interlocking_time"),
    (lambda: GaussianNoise(-0.1), "sigma"),
    (lambda: GaussianNoise(float("inf")), "sigma"),
    (lambda: make_drive(PermExDc(), ConstantSpeedLoad(), tau=0.0), "tau"),
    (lambda: make_drive(PermExDc(), ConstantSpeedLoad(), tau=-1e-4), "tau"),
    (lambda: make_drive(PermExDc(), ConstantSpeedLoad(), tau=float("inf")), "tau"),
    (lambda: make_drive(PermExDc(), ConstantSpeedLoad(), substeps=0), "substeps"),
    (lambda: make_drive(PermExDc(), ConstantSpeedLoad(), solver="midpoint"), "midpoint"),
    (lambda: make_drive(ExtExDc(), ConstantSpeedLoad(), converter=ContFourQuadrantConverter()), "ExtExDc"),
])
def test_parameter_validation(build, culprit):
    with pytest.raises(ValueError, match=culprit):
        build()


@pytest.mark.parametrize("converter", [FiniteFourQuadrantConverter, ContFourQuadrantConverter])
def test_interlocking_longer_than_tau_is_rejected(converter):
    with pytest.raises(ValueError, match="interlocking_time .* must be shorter than tau"):
        make_drive(PermExDc(), ConstantSpeedLoad(), converter=converter(interlocking_time=2e-5), tau=1e-5)


def test_unknown_parameter_error_lists_only_physical_parameters():
    """Class variables (names, flags) are not parameters: not accepted, not listed, not reported."""
    with pytest.raises(ValueError, match="has_angle"):
        PermExDc.from_params({"has_angle": True})
    with pytest.raises(ValueError, match="r_b") as err:
        PermExDc.from_params({"r_b": 1.0})
    assert "ode_names" not in str(err.value)
    assert set(PermExDc().parameters) == {"r_a", "l_a", "psi_e", "j_rotor"}
    assert set(ShuntDc().parameters) == {"r_a", "r_e", "l_a", "l_e", "l_e_prime", "j_rotor"}


def test_non_numeric_parameter_is_a_clear_error():
    with pytest.raises(ValueError, match="r_a"):
        PermExDc(r_a="0.1")
