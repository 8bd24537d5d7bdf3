"""Per-environment counter-based random streams: definition, distribution, batch invariance."""

import math

import numba
import numpy as np
import pytest
from scipy import stats

from gem.envs.kernel import toolchain as jit
from gem.envs.random import EnvRandom, normal_to_uniform, standard_normal, stream_key

_MASK = 2**64 - 1


def _splitmix64(state: int, n: int) -> list[int]:
    """The first ``n`` outputs of the sequential SplitMix64 generator started at ``state`` (plain ints)."""
    out = []
    for _ in range(n):
        state = (state + 0x9E3779B97F4A7C15) & _MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        out.append(z ^ (z >> 31))
    return out


def test_draws_are_box_muller_on_sequential_splitmix64():
    """Draw c of stream k is Box-Muller on outputs 2c+1, 2c+2 of SplitMix64 started at k."""
    key = int(stream_key(2024))
    outputs = _splitmix64(key, 20)
    expected = [math.sqrt(-2 * math.log(((outputs[2 * c] >> 11) + 0.5) * 2.0**-53))
                * math.cos(2 * math.pi * (outputs[2 * c + 1] >> 11) * 2.0**-53) for c in range(10)]
    got = standard_normal(np.full(10, key, np.uint64), np.arange(10, dtype=np.uint64))
    np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_streams_do_not_depend_on_the_batch():
    """Environment i of a batch draws what a batch of one seeded alike draws."""
    batch, single = EnvRandom(3), EnvRandom(1)
    batch.seed([7, 8, 9], np.arange(3))
    single.seed([8], np.arange(1))
    for k in (1, 3, 2, 5, 1):
        np.testing.assert_array_equal(batch.normal(k)[1], single.normal(k)[0])
    np.testing.assert_array_equal(batch.uniform(np.array([1]), 2.0, 4.0), single.uniform(np.array([0]), 2.0, 4.0))


def test_only_the_environments_asked_for_advance_and_reseeding_restarts():
    rnd = EnvRandom(4)
    rnd.seed([1, 2, 3, 4], np.arange(4))
    first = rnd.normal(3)
    rnd.normal(2, np.array([0, 2]))
    np.testing.assert_array_equal(rnd.counter, [5, 3, 5, 3])
    rnd.seed([2], np.array([0]))                      # environment 0 now replays environment 1's stream
    np.testing.assert_array_equal(rnd.normal(3, np.array([0]))[0], first[1])
    assert rnd.key[0] == rnd.key[1] and rnd.key[0] != rnd.key[2]


def test_draws_are_standard_normal_and_independent():
    rnd = EnvRandom(1000)
    rnd.seed(list(range(1000)), np.arange(1000))      # neighbouring seeds, as gym.make_vec gives them
    z = rnd.normal(200)                               # (envs, draws)
    flat = z.ravel()
    assert stats.kstest(flat, "norm").pvalue > 1e-3
    se = 1 / math.sqrt(flat.size)
    assert abs(flat.mean()) < 5 * se and abs(flat.var() - 1) < 5 * math.sqrt(2) * se
    assert abs(stats.kurtosis(flat)) < 5 * math.sqrt(24) * se
    # no correlation between successive draws of a stream nor between neighbouring streams
    lag = np.corrcoef(z[:, :-1].ravel(), z[:, 1:].ravel())[0, 1]
    neighbours = np.corrcoef(z[:-1].ravel(), z[1:].ravel())[0, 1]
    assert abs(lag) < 5 * se and abs(neighbours) < 5 * se
    # the tails: P(|z| > 3) = 0.0027
    tail = np.mean(np.abs(flat) > 3)
    assert abs(tail - 0.0026998) < 5 * math.sqrt(0.0027 / flat.size)


def test_compiled_draws_equal_numpy_draws():
    """The kernel's copy (kernel_numpy's log and cos, vectorised or not) draws NumPy's numbers."""
    keys = np.array([stream_key(s) for s in range(64)], np.uint64)
    counters = np.arange(64, dtype=np.uint64) * np.uint64(1000003)
    for inline in (False, True):
        out = np.empty(64)
        _drawer(jit.jit_function(standard_normal, inline))(keys, counters, out)
        np.testing.assert_allclose(out, standard_normal(keys, counters), rtol=4e-16, atol=4e-16)


def _drawer(gauss):
    @numba.njit(error_model="numpy")
    def draw(k, c, out):
        for i in range(k.shape[0]):
            out[i] = gauss(k[i], c[i])
    return draw


def test_uniforms_are_uniform_and_unused_stream_raises():
    rnd = EnvRandom(1)
    rnd.seed([0], np.arange(1))
    u = np.concatenate([rnd.uniform(np.array([0])) for _ in range(4000)])
    assert np.all((u >= 0) & (u <= 1))
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert normal_to_uniform(0.0) == 0.5 and math.isclose(normal_to_uniform(1.959963984540054), 0.975)
    off = EnvRandom(1000, used=False)
    off.seed([None] * 1000, np.arange(1000))
    assert not off.key.any()
    with pytest.raises(RuntimeError, match="unused"):
        off.normal(2)


def test_unseeded_streams_differ():
    rnd = EnvRandom(2)
    rnd.seed([None, None], np.arange(2))
    assert rnd.key[0] != rnd.key[1]
