"""EESM: defaults, referring the field once, parameter checks, synchronous steady state, power balance."""

import numpy as np
import pytest
from machine_helpers import integrate, random_point, terminal_power

from gem.physical_systems import EESM
from gem.physical_systems.eesm import field_from_stator
from gem.physical_systems.transforms import abc_to_dq, dq_to_abc

GEM_303 = {"p": 3, "l_d": 1.66e-3, "l_q": 0.35e-3, "l_m": 1.589e-3, "l_e": 1.74e-3, "j_rotor": 0.3883,
           "r_s": 15.55e-3, "r_e": 7.2e-3, "k": 65.21}
"""GEM 3.0.3's default EESM parameters (already stator-referred; GEM refers them again)."""


def sigma(m):
    return 1 - 1.5 * m.l_m**2 / (m.l_d * m.l_e)


def test_defaults_are_physical():
    m = EESM()
    assert (m.p, m.l_d, m.l_q, m.l_m, m.l_e, m.r_s, m.r_e, m.k) == (2, 3.78e-3, 1.21e-3, 40e-3, 0.87, 0.123, 15.6,
                                                                    0.057)
    assert sigma(m) == pytest.approx(0.270, abs=5e-4) and 0 < sigma(m) < 1
    assert m.ode_names == ("i_sd", "i_sq", "i_e", "epsilon") and m.input_names == ("u_a", "u_b", "u_c", "u_e")
    assert m.current_names == ("i_a", "i_b", "i_c", "i_sd", "i_sq", "i_e")
    assert m.voltage_names == ("u_a", "u_b", "u_c", "u_sd", "u_sq", "u_e")
    lim = EESM(limit_values={"i": 30.0}).limits
    assert lim["i_sq"] == 30.0 and lim["i_e"] == 25.0        # "i" rates the stator, i_e separately


def test_gem_303_defaults_are_rejected_as_rotor_values_and_accepted_as_stator_referred():
    with pytest.raises(ValueError, match="sigma.*l_M, l_E, r_E"):
        EESM.from_params(GEM_303)
    names = {"l_m": "l_M", "l_e": "l_E", "r_e": "r_E"}
    referred = {names.get(k, k): v for k, v in GEM_303.items()}
    m = EESM.from_params(referred)
    k = referred["k"]
    # referred back to the field winding once: l_M = 1.5 k l_m, l_E = 1.5 k² l_e, r_E = 1.5 k² r_e
    assert 1.5 * k * m.l_m == pytest.approx(referred["l_M"])
    assert 1.5 * k**2 * m.l_e == pytest.approx(referred["l_E"]) and 1.5 * k**2 * m.r_e == pytest.approx(referred["r_E"])
    assert sigma(m) == pytest.approx(1 - referred["l_M"] ** 2 / (referred["l_d"] * referred["l_E"]))
    assert sigma(m) == pytest.approx(0.126, abs=5e-4)
    np.testing.assert_allclose(field_from_stator(1.5 * 2.0 * 0.1, 1.5 * 4.0 * 0.5, 1.5 * 4.0 * 3.0, 2.0),
                               (0.1, 0.5, 3.0))


@pytest.mark.parametrize(("params", "culprit"), [
    ({"r_e": 0.0}, "'r_e'"),
    ({"l_e": -1.0}, "'l_e'"),
    ({"l_m": 0.0}, "'l_m'"),
    ({"k": 0.0}, "'k'"),
    ({"l_m": 0.5}, "sigma"),
    ({"l_M": 1e-3, "l_E": 1e-3}, "all three"),
    ({"l_M": 1e-3, "l_E": 1e-3, "r_E": 1e-3, "l_m": 0.04}, "not mixed|either"),
    ({"l_MM": 1.0}, "'l_MM'"),
    ({"l_M": 1e-3, "l_E": 1e-3, "r_E": 1e-3, "L_d": 0.1}, "'L_d'"),
])
def test_bad_parameters_raise_naming_the_culprit(params, culprit):
    with pytest.raises(ValueError, match=culprit):
        EESM.from_params(params)


def test_synchronous_steady_state():
    """Constant rotor-frame voltages and field voltage: the dq equations' steady state."""
    m = EESM()
    omega = np.array([0.0, 50.0, -80.0])
    u_dq = np.array([[2.0, 5.0], [-10.0, 60.0], [5.0, -70.0]])
    u_e = np.array([100.0, 150.0, 60.0])
    w = m.p * omega
    i_e = u_e / m.r_e
    expected = np.array([np.linalg.solve([[m.r_s, -wk * m.l_q], [wk * m.l_d, m.r_s]], [ud, uq - wk * m.l_m * ie])
                         for wk, (ud, uq), ie in zip(w, u_dq, i_e, strict=True)])

    def voltages(t, x):                   # abc voltages that turn with the rotor: constant u_dq
        return (*dq_to_abc(u_dq, x[:, 3]).T, u_e)

    x, _ = integrate(m, voltages, omega, np.zeros((3, 4)), 1.5)      # field time constant l_e/r_e = 56 ms
    np.testing.assert_allclose(x[:, 2], i_e, rtol=1e-7)
    np.testing.assert_allclose(x[:, :2], expected, rtol=1e-6, atol=1e-6)
    torque = 1.5 * m.p * (m.l_m * i_e + (m.l_d - m.l_q) * expected[:, 0]) * expected[:, 1]
    np.testing.assert_allclose(m.torque(x.T), torque, rtol=1e-6, atol=1e-6)


def test_instantaneous_power_balance():
    """Stator and field terminal power = copper losses + dE/dt + T omega, E the magnetic energy."""
    m = EESM()
    x, u, omega = random_point(np.random.default_rng(8), m)
    dx = np.stack(m.derivative(x.T, u.T, omega), axis=1)
    i_d, i_q, i_e = x[:, 0], x[:, 1], x[:, 2]
    di_d, di_q, di_e = dx[:, 0], dx[:, 1], dx[:, 2]
    d_energy = (1.5 * m.l_d * i_d * di_d + 1.5 * m.l_q * i_q * di_q + 1.5 * m.l_m * (di_d * i_e + i_d * di_e)
                + m.l_e * i_e * di_e)
    losses = 1.5 * m.r_s * (i_d**2 + i_q**2) + m.r_e * i_e**2
    np.testing.assert_allclose(terminal_power(m, x, u), losses + d_energy + m.torque(x.T) * omega,
                               rtol=1e-9, atol=1e-6)


def test_currents_and_voltages():
    m = EESM()
    rng = np.random.default_rng(9)
    x, u, _ = random_point(rng, m)
    cur = np.stack(m.currents(x.T), axis=1)
    np.testing.assert_allclose(abc_to_dq(cur[:, :3], x[:, 3]), x[:, :2], atol=1e-9)
    np.testing.assert_allclose(cur[:, 3:], x[:, :3])
    vol = np.stack(m.voltages(u.T, x.T, x.T, 1e-4), axis=1)
    np.testing.assert_allclose(vol[:, 3:5], abc_to_dq(u[:, :3], x[:, 3]), atol=1e-9)   # no rotation: plain Park
    np.testing.assert_allclose(vol[:, 5], u[:, 3])
    lim = m.voltage_limits(np.array([[100.0, 100.0, 100.0, 200.0]]))
    assert lim["u_sd"][0] == pytest.approx(400 / 3) and lim["u_e"][0] == 200.0
