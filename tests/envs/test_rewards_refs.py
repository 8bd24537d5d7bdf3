"""Reward (GEM's weighted sum of errors, violation reward) and reference generators."""

import gymnasium as gym
import numpy as np
import pytest

import gem  # noqa: F401  (registers the gem/ ids)
from gem.envs import (
    ConstReference,
    PeriodicReference,
    SCurveReference,
    SwitchedReference,
    WeightedSumOfErrors,
    WienerReference,
    default_mix,
)

CC = "gem/Cont-CC-SeriesDc-v0"          # reference i, signed: normalised range [-97/210, 97/210]
SC = "gem/Cont-SC-SeriesDc-v0"          # reference omega, non-negative: [0, 300/400]
CC2 = "gem/Cont-CC-ExtExDc-v0"          # two references i_a, i_e
I_HI = 97.0 / 210.0


# ------------------------------------------------------------------------------ reward formula
def test_weighted_sum_of_errors_hand_computed():
    rew = WeightedSumOfErrors.for_references(["omega", "i"], [False, True], {"omega": 0.7, "i": 0.3})
    state = np.array([[0.5, 0.2], [0.1, 0.6], [2.0, -2.0]])
    ref = np.array([[0.1, 0.6], [0.1, 0.6], [-1.0, 1.0]])
    r = rew(state, ref, np.array([False, False, False]))
    # omega: width 1 (non-negative), i: width 2 (signed)
    assert r[0] == pytest.approx(-(0.7 * 0.4 / 1 + 0.3 * 0.4 / 2))
    assert r[1] == 0.0
    assert r[2] == -1.0                                  # 0.7*3 + 0.3*1.5 = 2.55, clipped to sum(w)
    assert rew.reward_range == (-1.0, 0.0)
    sq = WeightedSumOfErrors.for_references(["omega", "i"], [False, True], {"omega": 0.7, "i": 0.3}, power=2)
    assert sq(state[:1], ref[:1], np.array([False]))[0] == pytest.approx(-(0.7 * 0.4**2 + 0.3 * 0.2**2))
    assert r.shape == (3,)
    np.testing.assert_array_equal(rew(state, ref, np.array([True, False, True]))[[0, 2]], rew.penalty)


def test_default_weights_are_equal_and_sum_to_one():
    rew = WeightedSumOfErrors.for_references(["i_a", "i_e"], [True, True])
    np.testing.assert_allclose(rew.weights, [0.5, 0.5])
    assert rew.penalty == pytest.approx(-1.0 / (1 - 0.99))


@pytest.mark.parametrize(("env_id", "width"), [(CC, 2.0), (SC, 1.0), ("gem/Cont-TC-PermExDc-v0", 2.0)])
def test_env_reward_matches_formula_with_previous_reference(env_id, width):
    """The reward of a step compares the new state with the reference shown in the previous observation."""
    env = gym.make(env_id, compiled=False, constraints=())
    u = env.unwrapped
    obs, _ = env.reset(seed=2)
    name = u.reference_names[0]
    j = u.state_names.index(name)
    rng = np.random.default_rng(0)
    for _ in range(30):
        ref_prev = u.references[0] / u.limits[j]
        assert obs[-1] == pytest.approx(ref_prev, abs=1e-6)
        obs, reward, *_ = env.step(rng.uniform(0, 0.5, size=1).astype(np.float32))
        expected = -min(abs(u.physical_state[j] / u.limits[j] - ref_prev) / width, 1.0)
        assert reward == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_env_reward_with_two_weighted_references():
    env = gym.make(CC2, compiled=False, constraints=(), reward_weights={"i_a": 2.0, "i_e": 1.0})
    u = env.unwrapped
    env.reset(seed=3)
    cols = [u.state_names.index(n) for n in ("i_a", "i_e")]
    assert u.task.reward.reward_range == (-3.0, 0.0)
    for _ in range(20):
        ref_prev = u.references / u.limits[cols]
        _, reward, *_ = env.step(np.array([0.3, 0.2], np.float32))
        err = np.abs(u.physical_state[cols] / u.limits[cols] - ref_prev) / 2.0
        assert reward == pytest.approx(max(-3.0, -(2.0 * err[0] + 1.0 * err[1])), rel=1e-12)


@pytest.mark.parametrize("env_id", [CC, SC, CC2, "gem/Finite-TC-ShuntDc-v0", "gem/Cont-CC-PermExDc-v0"])
def test_reward_stays_in_range_without_violations(env_id):
    env = gym.make(env_id, compiled=False, constraints=(), reward_weights=None)
    # the speed reference may rest near the speed the drive starts at: start the drive elsewhere
    env.reset(seed=0, options={"initial_state": {"omega": 200.0}} if env_id == SC else None)
    env.action_space.seed(0)
    lo, hi = env.unwrapped.task.reward.reward_range
    rewards = [env.step(env.action_space.sample())[1] for _ in range(300)]
    assert lo == -1.0 and hi == 0.0
    assert min(rewards) >= lo and max(rewards) <= hi
    assert min(rewards) < -0.01                          # not trivially zero


# ------------------------------------------------------------------------------ violation reward
def overcurrent(env):
    """A start just inside the current limit: the full armature voltage (action 1) takes it beyond it in one step."""
    u = env.unwrapped
    return {"i_a": 0.999 * u.limits[u.state_names.index("i_a")]}


FULL = np.array([1.0, 0.0], np.float32)


@pytest.mark.parametrize(("gamma", "weights", "total"), [(0.99, None, 1.0), (0.9, None, 1.0),
                                                         (0.5, {"i_a": 2.0, "i_e": 1.0}, 3.0)])
def test_default_violation_reward(gamma, weights, total):
    env = gym.make(CC2, compiled=False, gamma=gamma, reward_weights=weights)
    env.reset(seed=0, options={"initial_state": overcurrent(env)})
    _, reward, terminated, _, _ = env.step(FULL)
    assert terminated
    assert reward == pytest.approx(-total / (1 - gamma))


def test_configured_violation_reward():
    env = gym.make(CC2, compiled=False, violation_reward=-7.0)
    env.reset(seed=0, options={"initial_state": overcurrent(env)})
    _, reward, terminated, _, _ = env.step(FULL)
    assert terminated and reward == -7.0


@pytest.mark.parametrize("gamma", [0.9, 0.99, 0.999])
def test_ending_by_violation_never_pays(gamma):
    """Any crash return is at most the same prefix followed by the worst never-ending continuation."""
    env = gym.make("gem/Cont-CC-PermExDc-v0", compiled=False, gamma=gamma)  # random actions crash it quickly
    w = float(np.sum(env.unwrapped.task.reward.weights))
    worst_forever = -w / (1 - gamma)
    env.action_space.seed(1)
    crashes = 0
    for episode in range(20):
        env.reset(seed=episode)
        rewards = []
        for _ in range(200):
            _, r, terminated, _, _ = env.step(env.action_space.sample())
            rewards.append(r)
            if terminated:
                break
        if not terminated:
            continue
        crashes += 1
        k = len(rewards) - 1
        disc = gamma ** np.arange(k)
        prefix = float(np.dot(disc, rewards[:k]))
        crash_return = prefix + gamma**k * rewards[k]
        continue_return = prefix + gamma**k * worst_forever
        assert crash_return <= continue_return + 1e-9
        # ... and it does not beat the worst never-ending episode from the start either.
        assert gamma**k * rewards[k] <= gamma**k * worst_forever + 1e-9
    assert crashes >= 5


# ------------------------------------------------------------------------------ reference generators
def ref_run(env_id, reference, seed, n=600, horizon=200):
    """Normalised references seen in the observations over ``n`` steps (several episodes)."""
    env = gym.make(env_id, compiled=False, reference=reference, constraints=(), max_episode_steps=horizon)
    k = env.unwrapped.observation_names.index(f"{env.unwrapped.reference_names[0]}_ref")
    obs, _ = env.reset(seed=seed)
    out = [obs[k]]
    zero = np.zeros(env.action_space.shape, np.float32)
    for _ in range(n):
        obs, _, terminated, truncated, _ = env.step(zero)
        if terminated or truncated:
            obs, _ = env.reset()
        out.append(obs[k])
    return np.array(out, dtype=np.float64)


GENERATORS = {
    "wiener": lambda: WienerReference(),
    "sine": lambda: PeriodicReference(shape="sine"),
    "step": lambda: PeriodicReference(shape="step"),
    "triangle": lambda: PeriodicReference(shape="triangle"),
    "sawtooth": lambda: PeriodicReference(shape="sawtooth"),
    "const": lambda: ConstReference(value=0.3),
    "switched": lambda: SwitchedReference(generators=(ConstReference(value=0.1), WienerReference()),
                                          duration_range=(0.005, 0.01)),
    "default_mix": default_mix,
    "scurve": lambda: SCurveReference(acceleration=20.0, jerk=2e4, hold_mean=2e-3),
}


@pytest.mark.parametrize(("env_id", "low", "high"), [(CC, -I_HI, I_HI), (SC, 0.0, 0.75)], ids=["signed", "nonneg"])
@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_reference_in_range_and_reproducible(kind, env_id, low, high):
    a = ref_run(env_id, GENERATORS[kind](), seed=4)
    b = ref_run(env_id, GENERATORS[kind](), seed=4)
    c = ref_run(env_id, GENERATORS[kind](), seed=5)
    np.testing.assert_array_equal(a, b)
    eps = 1e-6
    assert np.all(a >= low - eps) and np.all(a <= high + eps), (a.min(), a.max())
    if kind != "const":
        assert not np.array_equal(a, c)
        assert np.ptp(a) > 0.01


def test_user_range_is_respected():
    a = ref_run(CC, WienerReference(low=0.1, high=0.2, sigma_range=(5.0, 5.0)), seed=0)
    assert a.min() >= 0.1 - 1e-6 and a.max() <= 0.2 + 1e-6
    assert a.min() == pytest.approx(0.1, abs=1e-6) and a.max() == pytest.approx(0.2, abs=1e-6)   # clipped


def test_const_reference_is_used_as_given():
    np.testing.assert_allclose(ref_run(CC, ConstReference(value=0.3), seed=0), 0.3, rtol=1e-6)
    # beyond the default range ± nominal / limit (0.46), inside the limit: used as given, not clipped
    for value in (0.8, -0.9, 1.0):
        np.testing.assert_allclose(ref_run(CC, ConstReference(value=value), seed=0), value, rtol=1e-6)
    env = gym.make(CC, compiled=False, reference=ConstReference(value=0.8))
    assert env.unwrapped.task.reward.widths == (2.0,)          # the state stays signed: error scale 2
    # as a sub-generator too
    np.testing.assert_allclose(ref_run(CC, SwitchedReference(generators=(ConstReference(value=0.8),)), seed=0),
                               0.8, rtol=1e-6)


def test_wiener_increment_scale():
    sigma, tau = 0.5, 1e-4
    a = ref_run(CC, WienerReference(low=-1.0, high=1.0, sigma_range=(sigma, sigma)), seed=1, n=3000, horizon=3001)
    steps = np.diff(a)
    assert np.std(steps) == pytest.approx(sigma * np.sqrt(tau), rel=0.1)
    assert abs(np.mean(steps)) < 3 * sigma * np.sqrt(tau) / np.sqrt(len(steps))


PERIOD = 200                            # 50 Hz at tau = 1e-4


@pytest.mark.parametrize("shape", ["sine", "step", "triangle", "sawtooth"])
def test_periodic_reference_shapes(shape):
    amp_frac = 0.5
    gen = PeriodicReference(shape=shape, amplitude_range=(amp_frac, amp_frac), frequency_range=(50.0, 50.0))
    a = ref_run(CC, gen, seed=6, n=599, horizon=1000)
    amp = amp_frac * I_HI                           # amplitude is a fraction of the half-width
    # Periodic with the given frequency, amplitude as asked, inside the range.
    np.testing.assert_allclose(a[PERIOD:], a[:-PERIOD], atol=1e-6)
    assert np.ptp(a) == pytest.approx(2 * amp, rel=0.02)
    assert a.min() >= -I_HI - 1e-6 and a.max() <= I_HI + 1e-6
    d = np.diff(a)
    if shape == "step":
        assert len(np.unique(np.round(a, 5))) == 2
    elif shape == "triangle":
        slopes = np.abs(d[np.abs(d) > 1e-9])
        assert np.mean(np.isclose(slopes, 4 * amp / PERIOD, rtol=1e-3)) > 0.95      # linear ramps up and down
    elif shape == "sawtooth":
        assert np.mean(np.isclose(d, 2 * amp / PERIOD, rtol=1e-3)) > 0.97           # ramps up, then drops
        assert np.sum(d < 0) == pytest.approx(len(a) / PERIOD, abs=1)
    else:
        mean = np.mean(a[:PERIOD])
        # A sampled sinusoid obeys x[k+1] + x[k-1] = 2 cos(2 pi f tau) (x[k] - mean) + 2 mean.
        theta = 2 * np.pi * 50.0 * 1e-4
        np.testing.assert_allclose(a[2:] + a[:-2], 2 * np.cos(theta) * (a[1:-1] - mean) + 2 * mean, atol=1e-5)


def test_switched_reference_switches_between_generators():
    gen = SwitchedReference(generators=(ConstReference(value=0.1), ConstReference(value=-0.2)),
                            duration_range=(0.002, 0.004))
    a = ref_run(CC, gen, seed=2)
    values = set(np.round(a, 5))
    assert values == {0.1, -0.2}
    assert np.sum(np.diff(a) != 0) >= 10
    only_first = SwitchedReference(generators=(ConstReference(value=0.1), ConstReference(value=-0.2)),
                                   p=(1.0, 0.0), duration_range=(0.002, 0.004))
    np.testing.assert_allclose(ref_run(CC, only_first, seed=2), 0.1, rtol=1e-6)


def test_default_mix_in_a_vector_env():
    venv = gym.make_vec(SC, compiled=False, num_envs=4, vectorization_mode="vector_entry_point",
                        reference=default_mix(),
                        constraints=(), max_episode_steps=100)
    obs, _ = venv.reset(seed=0)
    refs = [obs[:, -1]]
    for _ in range(400):
        obs, *_ = venv.step(np.zeros((4, 1), np.float32))
        refs.append(obs[:, -1])
    refs = np.array(refs)
    assert refs.min() >= -1e-6 and refs.max() <= 0.75 + 1e-6
    assert all(np.ptp(refs[:, i]) > 0.01 for i in range(4))
    assert len({tuple(np.round(refs[:, i], 4)) for i in range(4)}) == 4         # independent envs


@pytest.mark.parametrize(("build", "culprit"), [
    (lambda: PeriodicReference(shape="square"), "square"),
    (lambda: PeriodicReference(amplitude_range=(0.5, 2.0)), "amplitude_range"),
    (lambda: PeriodicReference(frequency_range=(0.0, 1.0)), "frequency_range"),
    (lambda: WienerReference(sigma_range=(0.0, 1.0)), "sigma_range"),
    (lambda: ConstReference(low=0.5, high=0.1), "low"),
    (lambda: SwitchedReference(generators=()), "sub-generator"),
    (lambda: SwitchedReference(generators=(ConstReference(),), p=(0.5, 0.5)), "p must"),
    (lambda: SwitchedReference(generators=(ConstReference(), ConstReference()), p=(1.5, -0.5)), "p must"),
    (lambda: SwitchedReference(generators=(ConstReference(),), duration_range=(0.0, 0.0)), "duration_range"),
    (lambda: SwitchedReference(generators=(ConstReference(),), duration_range=(-1.0, 1.0)), "duration_range"),
    (lambda: SwitchedReference(generators=(ConstReference(),), duration_range=(0.1, np.inf)), "duration_range"),
    (lambda: SwitchedReference(generators=("sine",)), "sub-generator 0"),
    (lambda: SwitchedReference(state="i", generators=(ConstReference(state="omega"),)), "same state"),
    (lambda: SwitchedReference(low=0.0, high=0.5, generators=(WienerReference(low=-0.5),)), "-0.5.*outside"),
    (lambda: SwitchedReference(low=0.0, high=0.5, generators=(ConstReference(value=0.8),)), "0.8.*outside"),
    (lambda: WienerReference(low=-3.0, high=3.0), r"low=-3.0 is outside \[-1, 1\].*normalised"),
    (lambda: WienerReference(high=1.5), "high=1.5 is outside"),
    (lambda: WienerReference(low=float("nan")), "low must be a finite number"),
    (lambda: WienerReference(sigma_range=(0.1, np.inf)), "sigma_range"),
    (lambda: PeriodicReference(frequency_range=(1.0, np.inf)), "frequency_range"),
    (lambda: PeriodicReference(amplitude_range=(np.nan, 1.0)), "amplitude_range"),
    (lambda: ConstReference(value=2.0), r"value=2.0 is outside \[-1, 1\]"),
    (lambda: ConstReference(value=-1.5), r"value=-1.5 is outside \[-1, 1\]"),
    (lambda: ConstReference(value=float("nan")), "value must be a finite number"),
    (lambda: ConstReference(value="0.5"), "value must be a finite number"),
    (lambda: ConstReference(value=0.8, high=0.5), "outside the range"),
])
def test_reference_validation(build, culprit):
    with pytest.raises(ValueError, match=culprit):
        build()


@pytest.mark.parametrize(("reference", "culprit"), [
    (PeriodicReference(state="i_a", low=0.5), "low=0.5 is above the task's default high 0.4619"),
    (WienerReference(state="i_a", high=-0.6), "high=-0.6 is below the task's default low"),
    (ConstReference(), r"1 generator\(s\) without a state for the 2 referenced state\(s\) \['i_a', 'i_e'\]"),
    ([ConstReference(), ConstReference(), ConstReference()], "3 generator"),
    ([ConstReference(state="i_e"), ConstReference(), ConstReference()], r"2 generator.*\['i_a'\]"),
    ("sine", "reference must be a reference generator"),
    (WienerReference, r"an instance: WienerReference\(\)"),
    ([SwitchedReference(generators=(ConstReference(state="omega"),)), ConstReference()], "same state"),
])
def test_reference_checked_when_the_task_is_built(reference, culprit):
    with pytest.raises(ValueError, match=culprit):
        gym.make(CC2, compiled=False, reference=reference)


def test_references_without_state_take_the_free_referenced_states_in_order():
    env = gym.make(CC2, compiled=False, reference=[ConstReference(state="i_e", value=0.1), ConstReference(value=0.2)])
    env.reset(seed=0)
    assert env.unwrapped.reference_names == ("i_e", "i_a")
    np.testing.assert_allclose(env.unwrapped.references, [0.1 * 210.0, 0.2 * 210.0])
