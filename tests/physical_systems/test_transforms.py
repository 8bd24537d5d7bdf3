import numpy as np
import pytest

from gem.physical_systems.transforms import (
    T23,
    T32,
    abc_to_alphabeta,
    abc_to_dq,
    alphabeta_to_abc,
    alphabeta_to_dq,
    dq_to_abc,
    dq_to_alphabeta,
)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def zero_sum(x):
    return x - x.mean(axis=-1, keepdims=True)


def test_matrices_match_gem_definition():
    s = np.sqrt(3.0) / 2
    np.testing.assert_allclose(T23, (2 / 3) * np.array([[1, -0.5, -0.5], [0, s, -s]]))
    np.testing.assert_allclose(T23 @ T32, np.eye(2), atol=1e-15)
    np.testing.assert_allclose(T32, np.linalg.pinv(T23), atol=1e-14)


def test_functions_equal_the_matrices(rng):
    abc = rng.normal(size=(16, 3))
    eps = rng.uniform(-np.pi, np.pi, 16)
    np.testing.assert_allclose(abc_to_alphabeta(abc), abc @ T23.T, atol=1e-13)
    ab = rng.normal(size=(16, 2))
    np.testing.assert_allclose(alphabeta_to_abc(ab), ab @ T32.T, atol=1e-13)
    c, s = np.cos(eps), np.sin(eps)
    q_minus = np.stack([np.stack([c, s], -1), np.stack([-s, c], -1)], -2)   # Q(-eps)
    np.testing.assert_allclose(alphabeta_to_dq(ab, eps), np.einsum("nij,nj->ni", q_minus, ab), atol=1e-13)
    np.testing.assert_allclose(abc_to_dq(abc, eps), np.einsum("nij,nj->ni", q_minus, abc @ T23.T),
                               atol=1e-13)


def test_round_trips(rng):
    n = 64
    dq = rng.normal(scale=100.0, size=(n, 2))
    ab = rng.normal(scale=100.0, size=(n, 2))
    abc = zero_sum(rng.normal(scale=100.0, size=(n, 3)))
    eps = rng.uniform(-10.0, 10.0, n)
    np.testing.assert_allclose(abc_to_alphabeta(alphabeta_to_abc(ab)), ab, atol=1e-12)
    np.testing.assert_allclose(alphabeta_to_abc(abc_to_alphabeta(abc)), abc, atol=1e-12)
    np.testing.assert_allclose(dq_to_alphabeta(alphabeta_to_dq(ab, eps), eps), ab, atol=1e-12)
    np.testing.assert_allclose(alphabeta_to_dq(dq_to_alphabeta(dq, eps), eps), dq, atol=1e-12)
    np.testing.assert_allclose(abc_to_dq(dq_to_abc(dq, eps), eps), dq, atol=1e-12)
    np.testing.assert_allclose(dq_to_abc(abc_to_dq(abc, eps), eps), abc, atol=1e-12)


def test_zero_sequence_is_dropped(rng):
    abc = rng.normal(size=(32, 3))
    common = rng.normal(scale=50.0, size=(32, 1))
    eps = rng.uniform(-np.pi, np.pi, 32)
    np.testing.assert_allclose(abc_to_alphabeta(np.repeat(common, 3, axis=1)), 0.0, atol=1e-12)
    np.testing.assert_allclose(abc_to_dq(abc + common, eps), abc_to_dq(abc, eps), atol=1e-12)
    np.testing.assert_allclose(dq_to_abc(abc_to_dq(abc, eps), eps), zero_sum(abc), atol=1e-12)
    np.testing.assert_allclose(dq_to_abc(rng.normal(size=(32, 2)), eps).sum(axis=1), 0.0, atol=1e-12)


def test_amplitude_invariance_and_rotor_frame():
    amplitude, phase, omega_el = 230.0, 0.4, 2 * np.pi * 50
    t = np.linspace(0.0, 0.04, 101)
    theta = omega_el * t + phase
    abc = amplitude * np.cos(theta[:, None] - np.array([0.0, 2 * np.pi / 3, 4 * np.pi / 3]))
    ab = abc_to_alphabeta(abc)
    np.testing.assert_allclose(np.hypot(ab[:, 0], ab[:, 1]), amplitude, rtol=1e-12)
    np.testing.assert_allclose(np.arctan2(ab[:, 1], ab[:, 0]), np.angle(np.exp(1j * theta)), atol=1e-12)
    # In a frame rotating with the vector (epsilon = omega_el t) the dq components are constant.
    dq = abc_to_dq(abc, omega_el * t)
    np.testing.assert_allclose(dq, np.tile(amplitude * np.array([np.cos(phase), np.sin(phase)]), (101, 1)),
                               atol=1e-10)


def test_leading_axes_are_kept(rng):
    abc = rng.normal(size=(2, 5, 3))
    eps = rng.normal(size=(2, 5))
    assert abc_to_dq(abc, eps).shape == (2, 5, 2)
    assert dq_to_abc(abc_to_dq(abc, eps), eps).shape == (2, 5, 3)
    np.testing.assert_allclose(abc_to_dq(abc, eps)[1, 3], abc_to_dq(abc[1, 3], eps[1, 3]))
