"""Render frames: shape, dtype, and that they follow the state (the Dashboard alone and through the envs)."""

import gymnasium as gym
import numpy as np
import pytest

import gem  # noqa: F401  (registers the gem/ ids)
from gem.envs import GemVectorEnv
from gem.visualization import (
    RENDER_MODES,
    Dashboard,
    TrajectoryRecorder,
    configure_dashboard,
    make_dashboard,
    state_unit,
)

HOOKED = "rgb_array" in GemVectorEnv.metadata.get("render_modes", [])
needs_hook = pytest.mark.skipif(not HOOKED, reason="the render hook is not applied to gem/envs yet "
                                "(GemVectorEnv.metadata['render_modes'] lacks 'rgb_array'; see gem.visualization)")
IDS = ["gem/Cont-CC-PMSM-v0", "gem/Finite-CC-ExtExDc-v0", "gem/Cont-SC-SeriesDc-v0", "gem/Finite-TC-PermExDc-v0"]


def small_dashboard(**kw) -> Dashboard:
    args = dict(state_names=("omega", "torque", "i", "u", "u_sup"), limits=np.array([400.0, 38.0, 210.0, 60.0, 60.0]),
                tau=1e-4, reference_names=("i",), action_labels=("a → u",), window=50)
    return Dashboard(**{**args, **kw})


def feed(dash: Dashboard, current: float, steps: int = 30) -> None:
    dash.on_reset(np.array([100.0, 0.0, 0.0, 0.0, 60.0]), np.array([current]))
    for k in range(steps):
        i = current * (1 - np.exp(-k / 5))
        dash.on_step(np.array([100.0, 0.1 * i, i, 10.0, 60.0]), np.array([current]), np.array([0.2]))


# ------------------------------------------------------------------ the Dashboard on its own
def test_frame_shape_dtype_and_size_multiple_of_16():
    dash = small_dashboard()
    feed(dash, 50.0)
    frame = dash.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert frame.shape == dash.frame_shape
    assert frame.shape[0] % 16 == 0 and frame.shape[1] % 16 == 0
    assert frame.flags.c_contiguous and not np.shares_memory(frame, dash.render())   # a copy per frame


def test_frames_change_when_the_state_changes():
    a, b = small_dashboard(), small_dashboard()
    feed(a, 50.0)
    feed(b, -120.0)
    fa, fb = a.render(), b.render()
    assert fa.shape == fb.shape and np.any(fa != fb)
    before = a.render()
    a.on_step(np.array([100.0, 5.0, 150.0, 30.0, 60.0]), np.array([50.0]), np.array([0.9]))
    assert np.any(a.render() != before)
    assert np.array_equal(a.render(), a.render())   # same data, same frame


def test_render_before_any_data_and_after_close():
    dash = small_dashboard()
    assert dash.render().shape == dash.frame_shape
    dash.close()
    feed(dash, 10.0)
    assert dash.render().shape == dash.frame_shape


def test_time_axis_moves_on_by_half_a_window():
    dash = small_dashboard(window=40)
    feed(dash, 50.0, steps=100)
    dash.render()
    lo, hi = dash._axes[-1].get_xlim()
    now = dash.recorder.now * 1e3
    span = 40 * 1e-4 * 1e3
    assert hi - lo == pytest.approx(span) and lo <= now <= hi and now - lo >= span / 2 - 1e-9


def test_human_mode_under_agg_returns_none():
    dash = small_dashboard(render_mode="human")
    feed(dash, 50.0)
    assert dash.render() is None
    dash.close()


def test_bad_arguments():
    with pytest.raises(ValueError, match="render_mode"):
        small_dashboard(render_mode="ansi")
    with pytest.raises(ValueError, match="states to plot"):
        small_dashboard(states=("nope",))
    assert make_dashboard(object(), None) is None
    with pytest.raises(ValueError, match="render_mode"):
        make_dashboard(object(), "video")
    assert set(RENDER_MODES) == {"human", "rgb_array"}


def test_recorder_ring_buffer_and_episode_breaks():
    rec = TrajectoryRecorder(n_states=1, n_references=1, n_actions=1, tau=0.5, window=4)
    rec.start(np.array([0.0]), np.array([9.0]))
    for k in range(1, 6):
        rec.append(np.array([float(k)]), np.array([9.0]), np.array([k / 10]), done=(k == 3))
    traj = rec.trajectory()
    assert rec.size == 4 and len(traj.time) == 4
    # samples 0..5 plus one break after sample 3: the last four are 3, break, 4, 5
    np.testing.assert_array_equal(traj.states[[0, 2, 3], 0], [3.0, 4.0, 5.0])
    assert np.isnan(traj.states[1, 0]) and np.isnan(traj.time[1])
    np.testing.assert_allclose(traj.time[[0, 2, 3]], [1.5, 2.0, 2.5])
    np.testing.assert_allclose(traj.episode_ends, [1.5])
    rec.start(np.array([7.0]), np.array([1.0]))
    assert rec.size == 1 and rec.now == 0.0 and np.isnan(rec.trajectory().actions[0, 0])


def test_state_units():
    assert state_unit("omega") == "rad/s" and state_unit("i_sd") == "A" and state_unit("u_sup") == "V"
    assert state_unit("torque") == "N·m" and state_unit("epsilon") == "rad" and state_unit("cos(epsilon)") == ""


@pytest.mark.parametrize("env_id", IDS)
def test_dashboard_for_a_real_environment(env_id):
    """Fed by hand from an environment (no hook needed): panels, labels and frames."""
    env = gym.make(env_id)
    dash = Dashboard.for_env(env.unwrapped, "rgb_array")
    obs, _ = env.reset(seed=0)
    dash.on_reset(env.unwrapped.physical_state, env.unwrapped.references)
    env.action_space.seed(0)
    for _ in range(20):
        a = env.action_space.sample()
        obs, _, terminated, truncated, _ = env.step(a)
        dash.on_step(env.unwrapped.physical_state, env.unwrapped.references, np.atleast_1d(a),
                     terminated or truncated)
        if terminated or truncated:
            break
    frame = dash.render()
    assert frame.shape == dash.frame_shape and frame.dtype == np.uint8
    assert dash.states == env.unwrapped.reference_names
    assert len(dash.action_labels) == len(np.atleast_1d(env.action_space.sample()))


# ------------------------------------------------------------------ through the environments (hook)
@needs_hook
@pytest.mark.parametrize("env_id", IDS)
def test_rgb_array_frames_follow_the_episode(env_id):
    env = gym.make(env_id, render_mode="rgb_array")
    env.reset(seed=0)
    first = env.render()
    assert isinstance(first, np.ndarray) and first.dtype == np.uint8 and first.ndim == 3 and first.shape[2] == 3
    env.action_space.seed(1)
    for _ in range(30):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            break
    later = env.render()
    assert later.shape == first.shape and np.any(later != first)
    env.close()


@needs_hook
def test_vector_env_renders_env_0_and_survives_autoreset():
    venv = gym.make_vec("gem/Cont-CC-PermExDc-v0", num_envs=3, vectorization_mode="vector_entry_point",
                        render_mode="rgb_array", max_episode_steps=15)
    venv.reset(seed=0)
    frames = []
    for _ in range(40):
        venv.step(np.full((3, 1), 0.1, dtype=np.float32))
        frames.append(venv.render())
    assert all(f.shape == frames[0].shape and f.dtype == np.uint8 for f in frames)
    assert venv.unwrapped.dashboard.recorder.trajectory().episode_ends.size >= 2
    venv.close()


@needs_hook
def test_no_dashboard_and_no_recording_without_render_mode():
    env = gym.make("gem/Cont-CC-SeriesDc-v0")
    venv = gym.make_vec("gem/Cont-CC-SeriesDc-v0", num_envs=2, vectorization_mode="vector_entry_point")
    assert env.unwrapped.vector.dashboard is None and venv.unwrapped.dashboard is None
    env.reset(seed=0)
    with pytest.warns(UserWarning, match="render mode"):
        assert env.unwrapped.render() is None
    with pytest.raises(ValueError, match="no dashboard"):
        configure_dashboard(env)


@needs_hook
def test_configure_dashboard_and_human_mode():
    env = gym.make("gem/Cont-SC-PermExDc-v0", render_mode="rgb_array")
    dash = configure_dashboard(env, states=("omega", "i"), window=300)
    env.reset(seed=0)
    env.step(np.zeros(1, dtype=np.float32))
    assert env.unwrapped.vector.dashboard is dash and dash.recorder.size == 2
    assert env.render().shape == dash.frame_shape
    human = gym.make("gem/Cont-CC-PermExDc-v0", render_mode="human")
    human.reset(seed=0)
    human.step(np.zeros(1, dtype=np.float32))
    assert human.render() is None
    human.close()


@needs_hook
def test_record_video(tmp_path):
    pytest.importorskip("moviepy", reason="RecordVideo writes videos with moviepy (gymnasium[other])")
    from gymnasium.wrappers import RecordVideo

    env = RecordVideo(gym.make("gem/Cont-CC-PermExDc-v0", render_mode="rgb_array", max_episode_steps=20),
                      str(tmp_path / "videos"), episode_trigger=lambda episode: episode == 0)
    env.reset(seed=0)
    done = False
    while not done:
        _, _, terminated, truncated, _ = env.step(np.zeros(1, dtype=np.float32))
        done = terminated or truncated
    env.close()
    assert list((tmp_path / "videos").glob("*.mp4"))



@needs_hook
@pytest.mark.parametrize("env_id", ["gem/Cont-CC-PMSM-v0", "gem/Finite-SC-ShuntDc-v0"])
def test_gymnasium_checks_the_render_modes(env_id):
    from gymnasium.utils.env_checker import check_env

    env = gym.make(env_id, render_mode="rgb_array")
    assert env.metadata["render_fps"] > 0
    check_env(env.unwrapped)                     # renders rgb_array and, through the spec, every render mode
