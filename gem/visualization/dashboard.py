"""The render modes of gem environments: a dashboard of the recent trajectory of environment 0.

One panel per plotted state (default: the referenced states) shows the state, its reference and
its limits in SI units over the last ``window`` control periods; a last panel shows the actions.
``render_mode="rgb_array"`` returns the dashboard as an ``(H, W, 3)`` ``uint8`` frame (for
Gymnasium's ``RecordVideo``); ``render_mode="human"`` draws it in a matplotlib window, at most
``fps`` times per second of wall-clock time.

An environment creates its :class:`Dashboard` only when a render mode is set (see
:func:`make_dashboard`), so environments without one neither record nor draw anything.
matplotlib is imported when the first frame is drawn.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from gem.visualization.recorder import TrajectoryRecorder

RENDER_MODES = ("human", "rgb_array")
"""Render modes of gem environments."""
RENDER_FPS = 30
"""Frames per second of recorded videos and the largest redraw rate in ``"human"`` mode."""

WINDOW_SECONDS = {"CC": 0.1, "TC": 0.1, "SC": 0.5}
"""Default time span shown per control task (s); at most 20 000 control periods."""

_UNITS = (("omega", "rad/s"), ("torque", "N·m"), ("epsilon", "rad"), ("psi", "Wb"), ("i", "A"), ("u", "V"))


def state_unit(name: str) -> str:
    """SI unit of a gem state name (``"A"`` for ``"i_sd"``, ``"rad/s"`` for ``"omega"``; ``""`` if unknown)."""
    for prefix, unit in _UNITS:
        if name == prefix or name.startswith(prefix + "_"):
            return unit
    return ""


def _action_layout(space: Any, input_names: Sequence[str], action_frame: str) -> tuple[list[str], float, float]:
    """Legend labels and the y range of the action panel."""
    if hasattr(space, "n"):                                              # Discrete
        return ["switching state"], -0.5, float(space.n) - 0.5
    if hasattr(space, "nvec"):                                           # MultiDiscrete
        nvec = np.asarray(space.nvec).ravel()
        names = input_names if len(input_names) == len(nvec) else [f"[{k}]" for k in range(len(nvec))]
        return [f"switching state {n}" for n in names], -0.5, float(nvec.max()) - 0.5
    n = int(np.prod(space.shape))
    names = ("u_sd", "u_sq") if action_frame == "dq" else input_names
    labels = [f"a → {x}" for x in names] if len(names) == n else [f"a[{k}]" for k in range(n)]
    return labels, float(np.min(space.low)), float(np.max(space.high))


class Dashboard:
    """Live plot of one environment's states, references and actions.

    Args:
        state_names: Names of the physical state entries, in order.
        limits: Limit of each state (SI), ``(n_states,)``.
        tau: Control period in s.
        reference_names: Referenced states, in the order of the reference samples.
        states: States to plot (default: the referenced states).
        action_labels: Legend label per action entry.
        action_range: ``(low, high)`` of the action panel.
        nonnegative: States whose panel starts near 0 instead of ``-limit``.
        title: Figure title (the current time is appended).
        render_mode: ``"rgb_array"`` or ``"human"``.
        window: Number of control periods shown.
        width: Frame width in pixels (the height follows from the number of panels).
        dpi: Resolution of the frame.
        fps: Largest redraw rate in ``"human"`` mode (draws per second of wall-clock time).
    """

    def __init__(self, *, state_names: Sequence[str], limits: np.ndarray, tau: float,
                 reference_names: Sequence[str] = (), states: Sequence[str] | None = None,
                 action_labels: Sequence[str] = ("a",), action_range: tuple[float, float] = (-1.0, 1.0),
                 nonnegative: Sequence[str] = (), title: str = "", render_mode: str = "rgb_array",
                 window: int = 1000, width: int = 800, dpi: int = 100, fps: float = RENDER_FPS):
        if render_mode not in RENDER_MODES:
            raise ValueError(f"render_mode must be one of {RENDER_MODES} or None, got {render_mode!r}")
        self.state_names = tuple(state_names)
        self.reference_names = tuple(reference_names)
        plotted = tuple(states) if states is not None else self.reference_names
        unknown = [s for s in plotted if s not in self.state_names]
        if unknown or not plotted:
            raise ValueError(f"states to plot {list(plotted)} must be non-empty names from {list(self.state_names)}")
        self.states = plotted
        self.limits = np.asarray(limits, dtype=float).reshape(-1)
        self.action_labels = tuple(action_labels)
        self.action_range = (float(action_range[0]), float(action_range[1]))
        self.nonnegative = frozenset(nonnegative)
        self.title = title
        self.render_mode = render_mode
        self.width, self.dpi, self.fps = int(width), int(dpi), float(fps)
        self.recorder = TrajectoryRecorder(len(self.state_names), len(self.reference_names),
                                           len(self.action_labels), tau, window)
        self.figure = None
        self._shown = False
        self._background = None
        self._last_draw = -np.inf

    @classmethod
    def for_env(cls, env: Any, render_mode: str = "rgb_array", **kwargs: Any) -> Dashboard:
        """A dashboard for a :class:`~gem.GemVectorEnv` or :class:`~gem.GemEnv` (its environment 0).

        Args:
            env: The environment (unwrapped); read: ``state_names``, ``reference_names``,
                ``limits``, ``tau``, ``drive``, ``task`` and the (single) action space.
            render_mode: ``"rgb_array"`` or ``"human"``.
            **kwargs: Further :class:`Dashboard` arguments (``states``, ``window``, ``width``, ...).
        """
        drive, task = env.drive, env.task
        space = env.single_action_space if hasattr(env, "single_action_space") else env.action_space
        labels, low, high = _action_layout(space, drive.motor.input_names, getattr(task, "action_frame", "abc"))
        title = f"{type(drive.motor).__name__} · {task.task} · {drive.converter.name}"
        seconds = WINDOW_SECONDS.get(task.task, 0.1)
        window = int(np.clip(round(seconds / env.tau), 200, 20_000))
        settings = dict(state_names=env.state_names, limits=np.atleast_2d(env.limits)[0], tau=env.tau,
                        window=window, reference_names=env.reference_names, action_labels=labels,
                        action_range=(low, high), nonnegative=drive.motor.nonnegative_states, title=title,
                        render_mode=render_mode)
        return cls(**{**settings, **kwargs})

    # ------------------------------------------------------------------ fed by the environment
    def on_reset(self, state: np.ndarray, reference: np.ndarray) -> None:
        """Starts a new history at an explicit ``reset()`` (SI state and references of env 0)."""
        self.recorder.start(state, reference)
        if self.render_mode == "human":
            self.render()

    def on_step(self, state: np.ndarray, reference: np.ndarray, action: np.ndarray, done: bool = False) -> None:
        """Records one step of env 0; in ``"human"`` mode redraws when ``1 / fps`` s have passed.

        Args:
            state: Physical state (SI) after the step.
            reference: References (SI) in the observation after the step (the targets of the next step).
            action: The action applied during the step.
            done: The episode ended with this step.
        """
        self.recorder.append(state, reference, action, done)
        if self.render_mode == "human" and time.perf_counter() - self._last_draw >= 1.0 / self.fps:
            self.render()

    # ------------------------------------------------------------------ drawing
    def render(self) -> np.ndarray | None:
        """Draws the dashboard: an ``(H, W, 3)`` uint8 frame (``"rgb_array"``) or ``None`` (``"human"``).

        The axes, ticks and legends are drawn once and reused; each frame redraws only the lines
        (blitting). The time axis moves on by half a window when the newest sample reaches its
        right end, so at least half a window of history stays visible.
        """
        if self.figure is None:
            self._build()
        canvas = self.figure.canvas
        self._set_data()
        if self._background is None or canvas.get_width_height() != self._canvas_size:
            canvas.draw()                                   # everything but the animated artists
            self._background = canvas.copy_from_bbox(self.figure.bbox)
            self._canvas_size = canvas.get_width_height()
        else:
            canvas.restore_region(self._background)
        for artist in self._animated:
            self.figure.draw_artist(artist)
        self._last_draw = time.perf_counter()
        if self.render_mode == "human":
            self._show()
            return None
        return np.ascontiguousarray(np.asarray(canvas.buffer_rgba())[:, :, :3])

    def close(self) -> None:
        """Closes the figure (and its window in ``"human"`` mode)."""
        if self.figure is not None and self.render_mode == "human":
            import matplotlib.pyplot as plt

            plt.close(self.figure)
        self.figure = None
        self._shown = False

    @property
    def frame_shape(self) -> tuple[int, int, int]:
        """``(H, W, 3)`` of the frames: 16-pixel multiples, as video encoders prefer."""
        rows = len(self.states) + 1
        height = 16 * int(np.ceil((64 + 150 * rows) / 16))
        return height, 16 * int(np.ceil(self.width / 16)), 3

    def _build(self) -> None:
        height, width, _ = self.frame_shape
        size = (width / self.dpi, height / self.dpi)
        if self.render_mode == "human":
            import matplotlib.pyplot as plt

            fig = plt.figure(figsize=size, dpi=self.dpi)
        else:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure

            fig = Figure(figsize=size, dpi=self.dpi)
            FigureCanvasAgg(fig)
        fig.subplots_adjust(left=78 / width, right=1 - 16 / width, top=1 - 40 / height, bottom=44 / height,
                            hspace=0.12)
        axes = fig.subplots(len(self.states) + 1, 1, sharex=True)
        self._axes = axes
        self._title = fig.suptitle(self.title, fontsize=10, animated=True)
        self._panels = [self._state_panel(ax, name) for ax, name in zip(axes[:-1], self.states, strict=True)]
        self._action_lines = [axes[-1].plot([], [], lw=1.2, drawstyle="steps-pre", label=label, animated=True)[0]
                              for label in self.action_labels]
        low, high = self.action_range
        pad = 0.08 * (high - low)
        axes[-1].set_ylim(low - pad, high + pad)
        axes[-1].set_ylabel("action", fontsize=9)
        axes[-1].set_xlabel("time (ms)", fontsize=9)
        legends = [ax.legend(loc="upper left", fontsize=7, ncol=max(3, len(self.action_labels)), framealpha=0.8)
                   for ax in axes]
        self._end_markers = [ax.vlines([], 0, 1, transform=ax.get_xaxis_transform(), colors="0.3",
                                       linestyles=":", lw=1.0, animated=True) for ax in axes]
        for ax in axes:
            ax.grid(True, lw=0.4, alpha=0.5)
            ax.tick_params(labelsize=8)
        self._animated = [self._title, *self._end_markers, *self._action_lines,
                          *[a for panel in self._panels for a in panel[:2] if a is not None], *legends]
        for legend in legends:                              # drawn last, over the lines
            legend.set_animated(True)
        self._background = None
        self._xlim = (np.nan, np.nan)
        self.figure = fig

    def _state_panel(self, ax: Any, name: str) -> tuple[Any, Any | None, int, int | None]:
        j = self.state_names.index(name)
        r = self.reference_names.index(name) if name in self.reference_names else None
        line = ax.plot([], [], lw=1.3, color="tab:blue", label=name, animated=True)[0]
        ref = None
        if r is not None:
            ref = ax.plot([], [], lw=1.2, color="tab:orange", ls="--", drawstyle="steps-post",
                          label=f"{name}_ref", animated=True)[0]
        lim = self.limits[j]
        nonneg = name in self.nonnegative
        for bound in (lim,) if nonneg else (-lim, lim):
            ax.axhline(bound, color="tab:red", lw=0.8, ls=":")
        ax.plot([], [], color="tab:red", lw=0.8, ls=":", label="limit")
        ax.set_ylim(-0.2 * lim if nonneg else -1.1 * lim, 1.1 * lim)
        unit = state_unit(name)
        ax.set_ylabel(f"{name} ({unit})" if unit else name, fontsize=9)
        return line, ref, j, r

    def _set_data(self) -> None:
        """Puts the recorded trajectory into the lines; moves the time axis when needed."""
        traj = self.recorder.trajectory()
        t_ms = traj.time * 1e3
        for line, ref, j, r in self._panels:
            line.set_data(t_ms, traj.states[:, j])
            if ref is not None:
                ref.set_data(t_ms, traj.references[:, r])
        low, high = self.action_range
        acts = np.clip(traj.actions, low, high)
        for k, line in enumerate(self._action_lines):
            line.set_data(t_ms, acts[:, k])
        span = self.recorder.window * self.recorder.tau * 1e3
        now = self.recorder.now * 1e3
        start = max(0.0, np.ceil((now - span) / (0.5 * span) - 1e-9) * 0.5 * span)
        if (start, start + span) != self._xlim:
            self._xlim = (start, start + span)
            self._axes[-1].set_xlim(*self._xlim)
            self._background = None
        for marker in self._end_markers:
            marker.set_segments([[(e, 0.0), (e, 1.0)] for e in traj.episode_ends * 1e3])
        self._title.set_text(f"{self.title}    t = {self.recorder.now:.4f} s")

    def _show(self) -> None:
        canvas = self.figure.canvas
        if not self._shown:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)          # non-interactive backends (Agg)
                self.figure.show()
            self._shown = True
        canvas.blit(self.figure.bbox)
        canvas.flush_events()


def render_dashboard(dashboard: Dashboard | None) -> np.ndarray | None:
    """``env.render()`` of gem environments: the dashboard's frame, or a warning without a render mode."""
    if dashboard is None:
        from gymnasium import logger

        logger.warn("render() needs a render mode: make the environment with render_mode='rgb_array' or 'human'")
        return None
    return dashboard.render()


def make_dashboard(env: Any, render_mode: str | None, **kwargs: Any) -> Dashboard | None:
    """The environment's dashboard, or ``None`` when ``render_mode`` is ``None`` (nothing is recorded).

    Args:
        env: A :class:`~gem.GemVectorEnv` (or anything :meth:`Dashboard.for_env` accepts).
        render_mode: ``None``, ``"rgb_array"`` or ``"human"``.
        **kwargs: Further :class:`Dashboard` arguments.

    Raises:
        ValueError: For an unknown render mode.
    """
    if render_mode is None:
        return None
    if render_mode not in RENDER_MODES:
        raise ValueError(f"render_mode must be one of {RENDER_MODES} or None, got {render_mode!r}")
    return Dashboard.for_env(env, render_mode, **kwargs)


def configure_dashboard(env: Any, **kwargs: Any) -> Dashboard:
    """Replaces the dashboard of a rendering environment by one made with other settings.

    Example: ``configure_dashboard(env, states=("omega", "i"), window=5000)`` plots the speed and
    the current over 5000 control periods.

    Args:
        env: A gem environment made with a ``render_mode`` (possibly wrapped; single or vector).
        **kwargs: :class:`Dashboard` arguments (``states``, ``window``, ``width``, ``fps``, ...).

    Returns:
        The new dashboard (it starts recording at the next step).

    Raises:
        ValueError: If the environment was made without a render mode.
    """
    base = env.unwrapped
    holder = getattr(base, "vector", base)          # the single env renders through its vector env
    old = getattr(holder, "dashboard", None)
    if old is None:
        raise ValueError("the environment has no dashboard: make it with render_mode='rgb_array' or 'human'")
    old.close()
    holder.dashboard = Dashboard.for_env(holder, old.render_mode, **kwargs)
    return holder.dashboard
