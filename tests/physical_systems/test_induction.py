"""SCIM and DFIM: names, defaults, parameter checks, equivalent-circuit closed forms, power balance."""

import numpy as np
import pytest
from machine_helpers import integrate, random_point, terminal_power

from gem.physical_systems import DFIM, SCIM, ConstantSpeedLoad, DriveSystem, IdealVoltageSupply
from gem.physical_systems import converters as cv
from gem.physical_systems.induction import rotor_current
from gem.physical_systems.transforms import abc_to_alphabeta, alphabeta_to_abc, alphabeta_to_dq


def test_gem_defaults_names_and_ratings():
    m = SCIM()
    assert (m.p, m.l_m, m.l_sigs, m.l_sigr, m.j_rotor, m.r_s, m.r_r) == (2, 143.75e-3, 5.87e-3, 5.87e-3, 1.1e-3,
                                                                       2.9338, 1.355)
    assert m.ode_names == ("i_salpha", "i_sbeta", "psi_ralpha", "psi_rbeta", "epsilon")
    assert m.current_names == ("i_sa", "i_sb", "i_sc", "i_sd", "i_sq")
    assert m.voltage_names == ("u_sa", "u_sb", "u_sc", "u_sd", "u_sq") and m.extra_names == ()
    assert m.limits["omega"] == pytest.approx(418.88, abs=0.01) and m.limits["i_sq"] == 5.5
    assert m.limits["torque"] == pytest.approx(6.267, abs=5e-4)          # GEM's measured value
    d = DFIM()
    assert (d.l_m, d.l_sigs, d.r_s, d.r_r, d.j_rotor, d.k) == (297.5e-3, 25.71e-3, 4.42, 3.51, 13.695e-3, 1.0)
    assert d.limits["torque"] == pytest.approx(33.27, abs=5e-3) and d.limits["i_rd"] == 9.0
    assert d.nominal["omega"] == pytest.approx(172.79, abs=0.01) and d.nominal["i_ra"] == 7.5
    assert d.input_names == ("u_sa", "u_sb", "u_sc", "u_ra", "u_rb", "u_rc")
    lim = SCIM(limit_values={"i": 8.0, "i_sd": 6.0}).limits       # "i" applies to every current not named
    assert lim["i_sa"] == 8.0 and lim["i_sd"] == 6.0
    assert lim["torque"] == pytest.approx(1.5 * 2 * m.l_m**2 / (m.l_m + m.l_sigr) * 6.0 * 8.0 / 2)


@pytest.mark.parametrize(("cls", "params", "culprit"), [
    (SCIM, {"r_s": 0.0}, "'r_s'"),
    (SCIM, {"r_r": -1.0}, "'r_r'"),
    (SCIM, {"l_m": 0.0}, "'l_m'"),
    (SCIM, {"l_sigs": -1e-3}, "'l_sigs'"),
    (SCIM, {"l_sigs": 0.0, "l_sigr": 0.0}, "sigma"),
    (SCIM, {"j_rotor": 0.0}, "'j_rotor'"),
    (SCIM, {"p": 1.5}, "'p'"),
    (SCIM, {"L_m": 0.1}, "'L_m'"),
    (DFIM, {"k": 0.0}, "'k'"),
    (DFIM, {"l_sigr": float("inf")}, "l_sigr"),
])
def test_bad_parameters_raise_naming_the_culprit(cls, params, culprit):
    with pytest.raises(ValueError, match=culprit):
        cls.from_params(params)


def test_bad_option_and_unknown_limit():
    with pytest.raises(ValueError, match="flux_observer"):
        SCIM(flux_observer=1.0)
    with pytest.raises(ValueError, match="'i_x'"):
        SCIM(limit_values={"i_x": 1.0})
    assert SCIM.parameter_names() == ("p", "l_m", "l_sigs", "l_sigr", "j_rotor", "r_s", "r_r")


# ------------------------------------------------------------------ closed forms of the equivalent circuit
def equivalent_circuit(m, slip, omega_s, amplitude):
    """Stator and rotor current amplitudes and torque of the T circuit at slip ``s`` (phase-peak values)."""
    z_m = 1j * omega_s * m.l_m
    with np.errstate(divide="ignore", invalid="ignore"):
        z_r = np.where(slip == 0, np.inf, m.r_r / np.where(slip == 0, 1.0, slip) + 1j * omega_s * m.l_sigr)
        z_par = np.where(slip == 0, z_m, z_m * z_r / (z_m + z_r))
    i_s = amplitude / (m.r_s + 1j * omega_s * m.l_sigs + z_par)
    i_r = np.where(slip == 0, 0.0, i_s * z_m / (z_m + np.where(slip == 0, 1.0, z_r)))
    with np.errstate(divide="ignore", invalid="ignore"):
        torque = np.where(slip == 0, 0.0, 1.5 * m.p * np.abs(i_r) ** 2 * m.r_r / (np.where(slip == 0, 1.0, slip)
                                                                                 * omega_s))
    return np.abs(i_s), np.abs(i_r), torque


def test_steady_state_matches_the_equivalent_circuit():
    """Torque–slip curve, no-load (magnetising) current, locked-rotor current, power balance."""
    m = SCIM()
    omega_s, amplitude = 2 * np.pi * 50, 200.0
    slip = np.array([0.0, 0.02, 0.05, 0.2, -0.03, 1.0])           # 0: no load, 1: locked rotor
    omega = (1 - slip) * omega_s / m.p

    def voltages(t, x=None):
        abc = alphabeta_to_abc(np.array([[np.cos(omega_s * t), np.sin(omega_s * t)]]) * amplitude)[0]
        return tuple(np.full(slip.size, v) for v in abc)

    x, t = integrate(m, voltages, omega, np.zeros((slip.size, 5)), 2.0, dt=4e-4)   # slowest mode ~0.16 s
    i_s, i_r, torque = equivalent_circuit(m, slip, omega_s, amplitude)
    np.testing.assert_allclose(np.hypot(x[:, 0], x[:, 1]), i_s, rtol=1e-4)
    np.testing.assert_allclose(np.hypot(*rotor_current(x[:, 0], x[:, 1], x[:, 2], x[:, 3], m.l_m, m.l_sigr)), i_r,
                               rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(m.torque(x.T), torque, rtol=1e-4, atol=1e-3)
    # no load: the magnetising current U / |r_s + j ω_s l_s|; locked rotor: several times that; motoring for
    # a positive slip, generating for a negative one
    assert i_s[0] == pytest.approx(amplitude / abs(m.r_s + 1j * omega_s * (m.l_m + m.l_sigs)), rel=1e-12)
    assert i_s[-1] > 5 * i_s[0] and torque[1] > 0 > torque[4]
    # power in = copper losses + mechanical power (steady state: no change of magnetic energy)
    u = np.stack(voltages(t), axis=1)
    p_in = terminal_power(m, x, u)
    losses = 1.5 * (m.r_s * i_s**2 + m.r_r * i_r**2)
    apparent = 1.5 * amplitude * i_s
    np.testing.assert_allclose(p_in, losses + torque * omega, rtol=0, atol=1e-4 * apparent.max())


def magnetic_power(m, x, dx):
    """``dE/dt`` of the magnetic energy ``1.5/2 (ψ_s·i_s + ψ_r·i_r)`` (amplitude-invariant vectors)."""
    l_r = m.l_m + m.l_sigr
    sigma_ls = m.l_m + m.l_sigs - m.l_m**2 / l_r
    i_s, psi_r, di_s, dpsi_r = x[:, 0:2], x[:, 2:4], dx[:, 0:2], dx[:, 2:4]
    i_r = (psi_r - m.l_m * i_s) / l_r
    dpsi_s = sigma_ls * di_s + m.l_m / l_r * dpsi_r
    return 1.5 * np.sum(i_s * dpsi_s + i_r * dpsi_r, axis=1), 1.5 * (m.r_s * np.sum(i_s**2, axis=1)
                                                                     + m.r_r * np.sum(i_r**2, axis=1))


@pytest.mark.parametrize("motor", [SCIM(), DFIM(), DFIM(k=1.7, l_sigs=0.0)], ids=["SCIM", "DFIM", "DFIM-k"])
def test_instantaneous_power_balance(motor):
    """Terminal power (stator and, for the DFIM, rotor bridge in its own frame) = losses + dE/dt + T omega."""
    x, u, omega = random_point(np.random.default_rng(7), motor)
    dx = np.stack(motor.derivative(x.T, u.T, omega), axis=1)
    d_energy, losses = magnetic_power(motor, x, dx)
    np.testing.assert_allclose(terminal_power(motor, x, u), losses + d_energy + motor.torque(x.T) * omega,
                               rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(dx[:, 4], motor.p * omega)


def test_dfim_turns_ratio_refers_the_rotor_once():
    """A rotor with k times fewer turns: k times the rotor voltage's effect, the rotor current k times larger."""
    rng = np.random.default_rng(3)
    x, u, omega = random_point(rng, DFIM())
    d1, d2 = DFIM(), DFIM(k=2.5)
    u_scaled = u.copy()
    u_scaled[:, 3:] *= 2.5
    np.testing.assert_allclose(np.stack(d2.derivative(x.T, u.T, omega)), np.stack(d1.derivative(x.T, u_scaled.T,
                                                                                                    omega)))
    c1, c2 = np.stack(d1.currents(x.T), axis=1), np.stack(d2.currents(x.T), axis=1)
    np.testing.assert_allclose(c2[:, :5], c1[:, :5])
    np.testing.assert_allclose(c2[:, 5:], 2.5 * c1[:, 5:])


def test_reported_currents_are_consistent():
    rng = np.random.default_rng(4)
    x, _, _ = random_point(rng, DFIM())
    m = DFIM()
    cur = np.stack(m.currents(x.T), axis=1)
    theta = np.arctan2(x[:, 3], x[:, 2])
    np.testing.assert_allclose(cur[:, :3].sum(axis=1), 0.0, atol=1e-9)
    np.testing.assert_allclose(abc_to_alphabeta(cur[:, :3]), x[:, :2], atol=1e-9)
    np.testing.assert_allclose(cur[:, 3:5], alphabeta_to_dq(x[:, :2], theta), atol=1e-9)   # rotor-flux frame
    i_r = np.stack(rotor_current(x[:, 0], x[:, 1], x[:, 2], x[:, 3], m.l_m, m.l_sigr), axis=1)
    np.testing.assert_allclose(abc_to_alphabeta(cur[:, 5:8]), alphabeta_to_dq(i_r, x[:, 4]), atol=1e-9)
    np.testing.assert_allclose(cur[:, 8:10], alphabeta_to_dq(i_r, theta), atol=1e-9)
    # with zero flux the flux frame is the stator frame (angle 0), as in GEM
    scim = np.stack(SCIM().currents(np.array([[1.0, -2.0, 0.0, 0.0, 0.3]]).T), axis=1)
    np.testing.assert_allclose(scim[0, 3:], [1.0, -2.0])


def test_flux_observer_states():
    m = SCIM(flux_observer=True)
    assert m.extra_names == ("psi_abs", "psi_angle")
    assert m.limits["psi_abs"] == pytest.approx(m.l_m * 5.5) and m.limits["psi_angle"] == np.pi
    ds = DriveSystem(m, cv.ContB6BridgeConverter(), ConstantSpeedLoad(omega_fixed=50.0),
                     IdealVoltageSupply(u_nominal=420.0), tau=1e-4)
    assert ds.state_names[-3:] == ("u_sup", "psi_abs", "psi_angle")
    state = ds.reset(2, {"psi_ralpha": np.array([0.3, 0.0]), "psi_rbeta": np.array([0.4, -0.2])})
    for _ in range(5):
        state = ds.step(state, np.array([[0.3, -0.1, 0.0], [0.0, 0.2, -0.2]]))
    psi = state.x[:, 2:4]
    np.testing.assert_allclose(state.physical[:, -2], np.hypot(psi[:, 0], psi[:, 1]))
    np.testing.assert_allclose(state.physical[:, -1], np.arctan2(psi[:, 1], psi[:, 0]))
    assert DriveSystem(SCIM(), cv.ContB6BridgeConverter(), ConstantSpeedLoad(omega_fixed=50.0),
                       IdealVoltageSupply(u_nominal=420.0), tau=1e-4).state_names[-1] == "u_sup"
