"""SRM and the asymmetric half bridge: inductance profile, co-energy torque, non-negative currents, solve_ivp."""

import gymnasium as gym
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from gem.physical_systems import (
    ASYMMETRIC_HALF_BRIDGE,
    SRM,
    ConstantSpeedLoad,
    ContAsymmetricHalfBridgeConverter,
    FiniteAsymmetricHalfBridgeConverter,
)

DEG = np.pi / 180.0


def reference_inductance(m, eps_k):
    """The documented profile, written independently (mechanical degrees from alignment)."""
    phi = np.abs((np.degrees(eps_k) + 180.0) % 360.0 - 180.0) / (2 * m.p_r)
    return np.interp(phi, [0.0, 2.5, 22.5, 30.0], [m.l_d, m.l_d, m.l_q, m.l_q])


def phase_eps(eps, k):
    return eps - k * np.pi / 2


def test_defaults_and_names():
    m = SRM()
    assert (m.p_r, m.l_d, m.l_q, m.r_s, m.j_rotor) == (3, 72e-3, 9e-3, 0.01, 0.057)
    assert np.degrees([m.alpha_s, m.alpha_r]) == pytest.approx([20.0, 25.0])
    assert m.ode_names == ("i_a", "i_b", "i_c", "i_d", "epsilon")
    assert m.limits["i_c"] == 11.0 and m.nominal["i_a"] == 8.0 and m.limits["omega"] == pytest.approx(100 * np.pi)


@pytest.mark.parametrize(("params", "culprit"), [({"l_q": 0.1}, "'l_d'"), ({"p_r": 2.5}, "'p_r'"),
                                                 ({"alpha_s": 0.6, "alpha_r": 0.6}, "pole arcs"),
                                                 ({"i_sat": 0.0}, "'i_sat'"), ({"l_x": 1.0}, "'l_x'")])
def test_bad_parameters_raise_naming_the_culprit(params, culprit):
    with pytest.raises(ValueError, match=culprit):
        SRM.from_params(params)


@pytest.mark.parametrize("saturated", [False, True])
def test_inductance_at_aligned_and_unaligned_positions(saturated):
    """At standstill a small current rises at u / L(ε): L = l_d aligned, l_q unaligned, for each phase."""
    m = SRM(saturated=saturated)
    for k in range(4):
        for eps_k, expected in ((0.0, m.l_d), (np.pi, m.l_q), (2.0 * DEG, m.l_d), (170 * DEG, m.l_q)):
            eps = np.array([eps_k + k * np.pi / 2])
            x = [np.full(1, 1e-6) if j == k else np.zeros(1) for j in range(4)] + [eps]
            u = [np.full(1, 10.0) if j == k else np.zeros(1) for j in range(4)]
            rates = m.derivative(x, u, 0.0)
            assert 10.0 / rates[k][0] == pytest.approx(expected, rel=1e-6)
    eps = np.linspace(-np.pi, np.pi, 721)
    np.testing.assert_allclose(SRM().flux_linkage(np.ones_like(eps), eps), reference_inductance(m, eps), rtol=1e-12)


@pytest.mark.parametrize("saturated", [False, True])
def test_torque_sign_around_alignment(saturated):
    m = SRM(saturated=saturated)
    for k in range(4):
        def torque(eps_k, i=5.0, k=k):
            x = [np.full(1, i) if j == k else np.zeros(1) for j in range(4)] + [np.array([eps_k + k * np.pi / 2])]
            return m.torque(x)[0]
        assert torque(-60 * DEG) > 0 and torque(-20 * DEG) > 0           # approaching alignment: motoring
        assert torque(60 * DEG) < 0 and torque(20 * DEG) < 0             # leaving it: braking
        assert torque(0.0) == 0.0 and torque(5 * DEG) == 0.0 and torque(175 * DEG) == 0.0   # flat zones


@pytest.mark.parametrize("saturated", [False, True])
def test_coenergy_torque_equals_finite_difference_of_the_flux_map(saturated):
    """T = ∂W'/∂θ with W'(i, θ) = ∫ ψ(i', θ) di' integrated numerically from the flux map."""
    m = SRM(saturated=saturated)
    grid = np.linspace(0.0, 1.0, 4001)

    def coenergy(i, eps):
        psi = m.flux_linkage(i * grid[:, None], np.broadcast_to(eps, (grid.size, eps.size)))
        return np.trapezoid(psi, i * grid[:, None], axis=0)

    eps = np.radians(np.linspace(-170.0, 170.0, 35)) + 0.01
    for i in (1.0, 6.0, 11.0):
        d = 1e-5
        fd = (coenergy(i, eps + d) - coenergy(i, eps - d)) / (2 * d) * (2 * m.p_r)   # per mechanical radian
        x = [np.full(eps.size, i), np.zeros(eps.size), np.zeros(eps.size), np.zeros(eps.size), eps]
        np.testing.assert_allclose(m.torque(x), fd, rtol=1e-5, atol=1e-6 * m.limits["torque"])
    if saturated:   # the saturating map gives less torque than the linear one at the rated current
        x = [np.full(1, 11.0), np.zeros(1), np.zeros(1), np.zeros(1), np.array([-60 * DEG])]
        assert m.torque(x)[0] < 0.6 * SRM().torque(x)[0]


def test_asymmetric_half_bridge_outputs_and_supply_current():
    i_out = np.array([[3.0], [3.0], [3.0], [3.0]])
    u_sup = np.full(4, 300.0)
    fin = FiniteAsymmetricHalfBridgeConverter()
    out = fin.output(np.array([[0], [1], [2], [3]]), i_out, fin.initial_switch_state(4), u_sup, 1e-5)
    np.testing.assert_allclose(out.u_mean[:, 0], [0.0, 300.0, -300.0, 0.0])
    np.testing.assert_allclose(out.i_sup * u_sup, out.u_mean[:, 0] * 3.0)     # lossless
    cont = ContAsymmetricHalfBridgeConverter()
    a = np.array([[-1.0], [-0.3], [0.4], [1.0]])
    out = cont.output(a, i_out, cont.initial_switch_state(4), u_sup, 1e-4)
    np.testing.assert_allclose(out.u_mean[:, 0], 300.0 * a[:, 0])
    np.testing.assert_allclose(out.i_sup * u_sup, out.u_mean[:, 0] * 3.0)
    assert ASYMMETRIC_HALF_BRIDGE.n_legs == 2 and not ASYMMETRIC_HALF_BRIDGE.full_leg.any()


@pytest.mark.parametrize("env_id", ["gem/Cont-CC-SRM-v0", "gem/Finite-CC-SRM-v0"])
def test_phase_currents_are_never_negative(env_id):
    """Random actions (demagnetising half of the time) at 100 rad/s: currents reach zero and stay >= 0."""
    env = gym.make_vec(env_id, num_envs=4, vectorization_mode="vector_entry_point", constraints=())
    env.reset(seed=2)
    env.action_space.seed(3)
    index = env.unwrapped.drive.index
    cols = [index[n] for n in ("i_a", "i_b", "i_c", "i_d")]
    seen_zero, largest = 0, 0.0
    for _ in range(3000 if "Finite" in env_id else 600):
        env.step(env.action_space.sample())
        currents = env.unwrapped.physical_state[:, cols]
        assert np.all(currents >= 0.0)
        seen_zero += int(np.sum(currents == 0.0))
        largest = max(largest, float(currents.max()))
    assert seen_zero > 100 and largest > 1.0


@pytest.mark.parametrize("saturated", [False, True])
def test_env_trajectory_matches_solve_ivp_of_the_documented_equations(saturated):
    """Constant speed, constant positive phase voltages: the registered id against an independent solve_ivp.

    With 10 RK4 sub-steps: a period in which a phase crosses a corner of the piecewise-linear profile has
    the fixed-step solver's largest error (0.28 A, 2.5 % of the limit, in one period of this run at 14 A
    with one sub-step; the module docstring).
    """
    omega, action = 40.0, np.array([0.02, 0.04, 0.01, 0.03], np.float32)
    env = gym.make("gem/Cont-CC-SRM-v0", load=ConstantSpeedLoad(omega_fixed=omega), constraints=(), substeps=10,
                   motor=SRM(i_sat=3.0, saturated=saturated))
    u = env.unwrapped
    x0 = [0.5, 1.0, 0.2, 2.0, -0.4]
    env.reset(seed=1, options={"initial_state": dict(zip(("i_a", "i_b", "i_c", "i_d", "epsilon"), x0, strict=True))})
    m, index = u.drive.motor, u.drive.index
    volts = action.astype(float) * 300.0

    def psi(i, eps_k):
        level = reference_inductance(m, eps_k)
        return level * i if not saturated else m.l_q * i + (level - m.l_q) * m.i_sat * np.tanh(i / m.i_sat)

    def rhs(_, y):
        out = []
        for k in range(4):
            e, i, h = phase_eps(y[4], k), y[k], 1e-7
            d_i = (psi(i + h, e) - psi(i - h, e)) / (2 * h)
            d_e = (psi(i, e + h) - psi(i, e - h)) / (2 * h)
            out.append((volts[k] - m.r_s * i - 2 * m.p_r * omega * d_e) / d_i)
        return [*out, 2 * m.p_r * omega]

    n = 300
    sol = solve_ivp(rhs, (0, n * u.drive.tau), x0, t_eval=np.arange(1, n + 1) * u.drive.tau, rtol=1e-9, atol=1e-9,
                    max_step=2e-5)
    got = []
    for _ in range(n):
        env.step(action)
        got.append(u.physical_state[[index[c] for c in ("i_a", "i_b", "i_c", "i_d")]])
    assert np.all(sol.y[:4] > 0)
    np.testing.assert_allclose(np.array(got), sol.y[:4].T, rtol=5e-3, atol=0.02)
