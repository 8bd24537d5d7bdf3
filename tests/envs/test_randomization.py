"""Per-environment parameters, fixed or drawn anew per episode (domain randomisation), compiled."""

import gymnasium as gym
import numpy as np
import pytest

import gem
from gem.envs import ConstReference, LogUniform, Normal, Uniform

RANDOM_PMSM = {"r_s": Uniform(0.015, 0.025), "l_q": LogUniform(1.0e-3, 1.5e-3)}


def _steps(env, n, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        yield env.step(rng.uniform(-0.5, 0.5, env.action_space.shape).astype(np.float32))


@pytest.mark.parametrize("kwargs", [
    dict(motor="PMSM", task="CC", randomize=RANDOM_PMSM, action_frame="dq"),
    dict(motor="SeriesDc", task="SC", randomize={"j_load": LogUniform(1e-5, 1e-3), "b": Normal(0.05, 0.02, 0.0, 1.0)}),
    dict(motor="PMSM", task="CC", motor_params={"r_s": np.array([0.018, 0.02, 0.03]), "p": np.array([3, 3, 4])}),
])
def test_compiled_equals_numpy_across_redraws(kwargs):
    fast = gem.make_vec_env(num_envs=3, max_episode_steps=25, **kwargs)
    slow = gem.make_vec_env(num_envs=3, max_episode_steps=25, compiled=False, **kwargs)
    np.testing.assert_allclose(fast.reset(seed=4)[0], slow.reset(seed=4)[0], rtol=1e-6, atol=1e-6)
    assert fast.compiled
    drawn = [fast.drive.motor.parameters, fast.drive.load]
    for r1, r2 in zip(_steps(fast, 60), _steps(slow, 60), strict=True):      # two autoresets: new draws
        np.testing.assert_allclose(r1[0], r2[0], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(fast.physical_state, slow.physical_state, rtol=1e-9, atol=1e-9)
        np.testing.assert_array_equal(fast.rnd.counter, slow.rnd.counter)
    np.testing.assert_allclose(np.asarray(fast.drive.j_total), np.asarray(slow.drive.j_total), rtol=1e-12)
    if "randomize" in kwargs:
        for name in kwargs["randomize"]:
            part = fast.drive.motor if name in fast.drive.motor.parameter_names() else fast.drive.load
            now = getattr(part, name)
            np.testing.assert_allclose(now, getattr(slow.drive.motor if part is fast.drive.motor else slow.drive.load,
                                                    name), rtol=1e-12)
            assert now.shape == (3,) and len(set(now.tolist())) == 3
        assert drawn[0] is not fast.drive.motor.parameters


def test_batch_environment_equals_single_env_with_the_drawn_parameters():
    """Environment i of a randomised batch runs the physics of a single env with its drawn parameters."""
    common = dict(motor="PMSM", task="CC", reference=ConstReference(state="i_sd", value=0.2), constraints=(),
                  max_episode_steps=500)
    batch = gem.make_vec_env(num_envs=3, randomize=RANDOM_PMSM, **common)
    batch.reset(seed=10)
    motor = batch.drive.motor
    singles = [gem.make_vec_env(num_envs=1, motor_params={"r_s": motor.r_s[i], "l_q": motor.l_q[i]}, **common)
               for i in range(3)]
    for env in singles:
        env.reset(seed=0)
    rng = np.random.default_rng(1)
    for _ in range(40):
        a = rng.uniform(-0.5, 0.5, batch.action_space.shape).astype(np.float32)
        batch.step(a)
        for i, env in enumerate(singles):
            env.step(a[i:i + 1])
            np.testing.assert_allclose(batch.physical_state[i], env.physical_state[0], rtol=1e-12, atol=1e-12)


def test_draws_are_seeded_and_batch_invariant():
    venv = gym.make_vec("gem/Cont-CC-PMSM-v0", num_envs=3, vectorization_mode="vector_entry_point",
                        randomize=RANDOM_PMSM)
    venv.reset(seed=7)
    single = gym.make("gem/Cont-CC-PMSM-v0", randomize=RANDOM_PMSM)
    single.reset(seed=9)
    assert single.unwrapped.vector.drive.motor.r_s[0] == venv.unwrapped.drive.motor.r_s[2]
    again = gym.make_vec("gem/Cont-CC-PMSM-v0", num_envs=3, vectorization_mode="vector_entry_point",
                         randomize=RANDOM_PMSM)
    again.reset(seed=7)
    np.testing.assert_array_equal(again.unwrapped.drive.motor.l_q, venv.unwrapped.drive.motor.l_q)
    assert np.all((venv.unwrapped.drive.motor.r_s >= 0.015) & (venv.unwrapped.drive.motor.r_s <= 0.025))


def test_limits_follow_the_centres():
    env = gem.make_vec_env(num_envs=2, motor="PMSM", task="CC", randomize={"psi_p": Uniform(0.05, 0.07)})
    ref = gem.make_vec_env(num_envs=2, motor="PMSM", task="CC", motor_params={"psi_p": 0.06})
    np.testing.assert_allclose(env.limits, ref.limits)


@pytest.mark.parametrize(("randomize", "match"), [
    ({"r_x": Uniform(0.0, 1.0)}, "unknown parameter 'r_x'"),
    ({"r_s": 0.02}, "is not a distribution"),
    ({"r_s": Normal(0.02, 0.01)}, r"randomize\['r_s'\].*down to -inf, but r_s must be > 0"),
    ({"l_d": Uniform(-1e-4, 1e-3)}, r"randomize\['l_d'\].*must be > 0"),
    ({"j_load": Uniform(-1e-5, 1e-5)}, r"randomize\['j_load'\].*must be >= 0"),
    ("r_s", "randomize must be a dict"),
])
def test_bad_randomize_is_named(randomize, match):
    with pytest.raises(ValueError, match=match):
        gem.make_vec_env(num_envs=2, motor="PMSM", task="CC", randomize=randomize)


@pytest.mark.parametrize(("make", "match"), [
    (lambda: Uniform(1.0, 1.0), "low < high"),
    (lambda: LogUniform(0.0, 1.0), "0 < low"),
    (lambda: Normal(1.0, -1.0), "std >= 0"),
])
def test_bad_distributions_are_rejected(make, match):
    with pytest.raises(ValueError, match=match):
        make()
