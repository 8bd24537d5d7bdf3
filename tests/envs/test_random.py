"""Per-environment random streams: buffered normals, reserved draws, uniforms from normals."""

import math

import numpy as np
import pytest
from scipy import stats

from gem.envs.random import EnvRandom, normal_to_uniform


def test_reserved_draws_never_straddle_a_refill():
    """After ensure(k), every environment has k unread draws, however unevenly they were consumed."""
    rnd = EnvRandom(4, block=16)
    rnd.seed([1, 2, 3, 4], np.arange(4))
    rng = np.random.default_rng(0)
    for _ in range(500):
        rnd.ensure(5)
        assert np.all(rnd._cursor + 5 <= rnd.block)
        rnd._cursor += rng.integers(0, 6, size=4)        # a step consumes at most what it reserved


def test_streams_do_not_depend_on_the_batch():
    """Environment i of a batch draws what a batch of one seeded alike draws."""
    batch, single = EnvRandom(3, block=8), EnvRandom(1, block=8)
    batch.seed([7, 8, 9], np.arange(3))
    single.seed([8], np.arange(1))
    for k in (1, 3, 2, 5, 1):
        batch.ensure(k)
        single.ensure(k)
        np.testing.assert_array_equal(batch.normal(k)[1], single.normal(k)[0])
    np.testing.assert_array_equal(batch.uniform(np.array([1]), 2.0, 4.0), single.uniform(np.array([0]), 2.0, 4.0))


def test_uniforms_are_uniform_and_unused_stream_is_empty():
    rnd = EnvRandom(1, block=512)
    rnd.seed([0], np.arange(1))
    u = np.concatenate([rnd.uniform(np.array([0])) for _ in range(4000)])
    assert np.all((u >= 0) & (u <= 1))
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert normal_to_uniform(0.0) == 0.5 and math.isclose(normal_to_uniform(1.959963984540054), 0.975)
    off = EnvRandom(1000, used=False)
    off.seed([None] * 1000, np.arange(1000))
    assert off._buf.shape == (1000, 1) and off.generators[0] is None
    with pytest.raises(ValueError, match="at most"):
        off.normal(2)
