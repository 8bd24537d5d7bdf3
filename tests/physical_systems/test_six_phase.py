"""Six-phase PMSM: VSD, torque factor 3p, steady state, power balance."""

import numpy as np
import pytest
from machine_helpers import integrate, random_point, terminal_power

from gem.physical_systems import SIXPMSM
from gem.physical_systems.six_phase import inverse_vsd, six_phase_currents, vsd
from gem.physical_systems.transforms import inverse_park, park

ANGLES = np.radians([0.0, 120.0, 240.0, 30.0, 150.0, 270.0])     # a1, b1, c1, a2, b2, c2


def phase_voltages(u_dq, u_xy, eps):
    """Six phase voltages for rotor-frame ``u_dq`` and counter-rotating ``u_xy`` at the angle ``eps``."""
    alpha, beta = inverse_park(u_dq[:, 0], u_dq[:, 1], eps)
    x, y = inverse_park(u_xy[:, 0], u_xy[:, 1], -eps)
    return inverse_vsd(alpha, beta, x, y)


def test_defaults_and_names():
    m = SIXPMSM()
    assert (m.p, m.l_d, m.l_q, m.l_x, m.l_y, m.r_s, m.psi_PM, m.j_rotor) == (5, 125e-6, 126e-6, 39e-6, 35e-6,
                                                                             64.3e-3, 4.7e-3, 0.011)
    assert m.current_names == ("i_a1", "i_b1", "i_c1", "i_a2", "i_b2", "i_c2", "i_sd", "i_sq", "i_sx", "i_sy")
    assert m.input_names == ("u_a1", "u_b1", "u_c1", "u_a2", "u_b2", "u_c2")
    assert m.limits["i_sx"] == 400.0 and m.nominal["i_c2"] == 240.0
    # the torque limit: MTPA at the nominal current with the factor 3p (≈ 3 p psi_PM i, l_d ≈ l_q)
    assert 3 * 5 * 4.7e-3 * 240 <= m.limits["torque"] <= 1.002 * 3 * 5 * 4.7e-3 * 240


@pytest.mark.parametrize(("params", "culprit"), [
    ({"l_x": 0.0}, "'l_x'"), ({"l_y": -1e-6}, "'l_y'"), ({"r_s": 0.0}, "'r_s'"), ({"psi_PM": -1e-3}, "'psi_PM'"),
    ({"psi_p": 1e-3}, "'psi_p'"), ({"p": 2.5}, "'p'"),
])
def test_bad_parameters_raise_naming_the_culprit(params, culprit):
    with pytest.raises(ValueError, match=culprit):
        SIXPMSM.from_params(params)


def test_vsd_of_the_asymmetric_winding():
    rng = np.random.default_rng(1)
    v = rng.normal(size=(4, 10))
    np.testing.assert_allclose(np.stack(vsd(*inverse_vsd(*v))), v, atol=1e-12)
    # definition: 1/3 sum cos θ_k v_k etc.
    phases = rng.normal(size=(6, 10))
    expected = np.array([np.cos(ANGLES), np.sin(ANGLES), np.cos(5 * ANGLES), np.sin(5 * ANGLES)]) @ phases / 3
    np.testing.assert_allclose(np.stack(vsd(*phases)), expected, atol=1e-12)
    # each set's common mode (its own star point) drops out
    shifted = phases + np.repeat(rng.normal(size=(2, 10)), 3, axis=0)
    np.testing.assert_allclose(np.stack(vsd(*shifted)), expected, atol=1e-12)
    # a balanced six-phase set of amplitude A is an αβ vector of length A and nothing in xy
    t = np.linspace(0, 1, 10)
    balanced = 7.0 * np.cos(t[None, :] - ANGLES[:, None])
    a, b, x, y = vsd(*balanced)
    np.testing.assert_allclose(np.hypot(a, b), 7.0)
    np.testing.assert_allclose(np.hypot(x, y), 0.0, atol=1e-12)


def test_steady_state_and_torque_factor():
    """Constant u_dq and u_xy in their frames: the steady state of the four current equations, torque 3p."""
    m = SIXPMSM()
    omega = np.array([0.0, 100.0, -250.0])
    u_dq = np.array([[0.5, 2.0], [-3.0, 5.0], [1.0, -8.0]])
    u_xy = np.array([[0.3, -0.2], [0.5, 0.4], [-0.6, 0.1]])
    w = m.p * omega
    dq = np.array([np.linalg.solve([[m.r_s, -wk * m.l_q], [wk * m.l_d, m.r_s]], [ud, uq - wk * m.psi_PM])
                   for wk, (ud, uq) in zip(w, u_dq, strict=True)])
    xy = np.array([np.linalg.solve([[m.r_s, wk * m.l_y], [-wk * m.l_x, m.r_s]], [ux, uy])
                   for wk, (ux, uy) in zip(w, u_xy, strict=True)])
    x, _ = integrate(m, lambda t, x: phase_voltages(u_dq, u_xy, x[:, 4]), omega, np.zeros((3, 5)), 0.04, dt=1e-5)
    np.testing.assert_allclose(x[:, :2], dq, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(x[:, 2:4], xy, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(m.torque(x.T), 3 * m.p * (m.psi_PM + (m.l_d - m.l_q) * dq[:, 0]) * dq[:, 1],
                               rtol=1e-6)


def test_power_balance_gives_the_torque_factor():
    """Six terminal powers = copper losses + dE/dt + T omega (+ the x-y exchange the model has, l_x != l_y)."""
    rng = np.random.default_rng(2)
    for m in (SIXPMSM(l_y=39e-6), SIXPMSM()):
        x, u, omega = random_point(rng, m)
        dx = np.stack(m.derivative(x.T, u.T, omega), axis=1)
        i, di = x[:, :4], dx[:, :4]
        ls = np.array([m.l_d, m.l_q, m.l_x, m.l_y])
        d_energy = 3.0 * np.sum(ls * i * di, axis=1)
        losses = 3.0 * m.r_s * np.sum(i**2, axis=1)
        # the x-y plane turns with -ε and has l_x != l_y: it exchanges 3 ω_el (l_y - l_x) i_sx i_sy with the
        # rotor, which the model (GEM's and the reference's) keeps out of the torque
        xy_exchange = 3.0 * m.p * omega * (m.l_y - m.l_x) * i[:, 2] * i[:, 3]
        np.testing.assert_allclose(terminal_power(m, x, u), losses + d_energy + m.torque(x.T) * omega + xy_exchange,
                                   rtol=1e-9, atol=1e-6)


def test_phase_currents_and_reported_voltages():
    m = SIXPMSM()
    rng = np.random.default_rng(3)
    x, u, _ = random_point(rng, m)
    cur = np.stack(m.currents(x.T), axis=1)
    alpha, beta, xx, yy = vsd(*cur[:, :6].T)
    np.testing.assert_allclose(np.stack(park(alpha, beta, x[:, 4]), axis=1), x[:, :2], atol=1e-9)
    np.testing.assert_allclose(np.stack(park(xx, yy, -x[:, 4]), axis=1), x[:, 2:4], atol=1e-9)
    np.testing.assert_allclose(cur[:, :3].sum(axis=1), 0.0, atol=1e-9)       # isolated star points
    np.testing.assert_allclose(cur[:, 3:6].sum(axis=1), 0.0, atol=1e-9)
    np.testing.assert_allclose(np.stack(six_phase_currents(*x.T), axis=1), cur[:, :6])
    vol = np.stack(m.voltages(u.T, x.T, x.T, 1e-4), axis=1)
    a, b, ux, uy = vsd(*u.T)
    np.testing.assert_allclose(vol[:, 6:8], np.stack(park(a, b, x[:, 4]), axis=1), atol=1e-9)
    np.testing.assert_allclose(vol[:, 8:], np.stack(park(ux, uy, -x[:, 4]), axis=1), atol=1e-9)
    # the largest VSD voltage both bridges make is 2/3 u_sup: normalised dq voltages stay in [-1, 1]
    legs = np.array([[(a >> k) & 1 for k in range(6)] for a in range(64)], float) * 300.0 - 150.0
    a, b, ux, uy = vsd(*legs.T)
    assert np.max(np.hypot(a, b)) <= m.voltage_limits(np.full((1, 6), 150.0))["u_sd"][0] + 1e-9
