"""The kernels' sin, cos, sinc and log (gem.envs.kernel.kernel_numpy) against NumPy's, and the angle wrap."""

import numba
import numpy as np
import pytest

from gem.envs.kernel import kernel_numpy
from gem.envs.kernel import toolchain as jit
from gem.physical_systems import transforms
from gem.physical_systems.drive_system import wrap_angle


@numba.njit
def _evaluate(x, out):
    for i in range(x.shape[0]):
        out[0, i] = kernel_numpy.sin(x[i])
        out[1, i] = kernel_numpy.cos(x[i])
        out[2, i] = kernel_numpy.sinc(x[i])


def _all(x):
    out = np.empty((3, x.size))
    _evaluate(np.asarray(x, float), out)
    return out


@pytest.mark.parametrize("bound", [1.0, 4.0, 100.0, 1e4, 1e6])
def test_within_two_units_in_the_last_place_of_numpy(bound):
    x = np.random.default_rng(3).uniform(-bound, bound, 50_000)
    x[:6] = [0.0, np.pi / 4, np.pi / 2, np.pi, -3 * np.pi / 4, 1e-300]
    s, c, z = _all(x)
    np.testing.assert_allclose(s, np.sin(x), rtol=0, atol=2.3e-16)
    np.testing.assert_allclose(c, np.cos(x), rtol=0, atol=2.3e-16)
    np.testing.assert_allclose(z, np.sinc(x), rtol=0, atol=3.4e-16)
    near_zero = np.abs(x) < 0.5        # relative accuracy where sin is small
    np.testing.assert_allclose(s[near_zero], np.sin(x[near_zero]), rtol=2.3e-16, atol=1e-300)


def test_special_values():
    s, c, z = _all(np.array([np.inf, -np.inf, np.nan, 0.0, -0.0]))
    assert np.all(np.isnan(s[:3])) and np.all(np.isnan(c[:3])) and np.all(np.isnan(z[:3]))
    assert s[3] == 0.0 and c[3] == 1.0 and z[3] == 1.0 and z[4] == 1.0


@numba.njit
def _log(x, out):
    for i in range(x.shape[0]):
        out[i] = kernel_numpy.log(x[i])


def test_log_within_one_unit_in_the_last_place_of_numpy():
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.uniform(0, 1, 50_000), rng.uniform(0.5, 2, 50_000),
                        np.exp(rng.uniform(-744, 709, 50_000)), rng.uniform(0, 4e-308, 5_000),
                        [5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1.0, 2.0, 0.5,
                         np.sqrt(2), np.sqrt(0.5)]])
    out = np.empty_like(x)
    _log(x, out)
    expected = np.log(x)
    assert np.all(np.abs(out - expected) <= np.spacing(np.abs(expected)))
    assert out[-5] == 0.0


def test_log_special_values():
    x = np.array([0.0, -0.0, -1.0, -np.inf, np.inf, np.nan])
    out = np.empty_like(x)
    _log(x, out)
    assert out[0] == -np.inf and out[1] == -np.inf and out[4] == np.inf
    assert np.all(np.isnan(out[[2, 3, 5]]))


def test_compiled_components_use_it_and_numpy_path_does_not():
    park = jit.jit_function(transforms.park)
    assert park.py_func.__globals__["np"] is kernel_numpy
    assert transforms.np is np
    d, q = park(0.3, -0.7, 2.1)
    np.testing.assert_allclose((d, q), transforms.park(0.3, -0.7, 2.1), rtol=0, atol=1e-15)


def test_wrap_angle_range_and_edges():
    x = np.concatenate([np.linspace(-50, 50, 10_001), [np.pi, -np.pi, 3 * np.pi, 0.0]])
    w = wrap_angle(x)
    assert np.all(w >= -np.pi) and np.all(w <= np.pi)
    np.testing.assert_allclose(np.cos(w), np.cos(x), atol=1e-13)
    np.testing.assert_allclose(np.sin(w), np.sin(x), atol=1e-13)
    assert wrap_angle(np.pi) == -np.pi and wrap_angle(-np.pi) == -np.pi and wrap_angle(0.0) == 0.0
