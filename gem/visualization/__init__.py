"""Rendering of gem environments: a dashboard of the recent trajectory (``render_mode``).

``render_mode="rgb_array"`` makes ``env.render()`` return an ``(H, W, 3)`` ``uint8`` frame of
environment 0's controlled states, references and actions (usable with
``gymnasium.wrappers.RecordVideo``); ``render_mode="human"`` shows the same plot live in a
matplotlib window. Environments without a render mode create no :class:`Dashboard` and record
nothing.
"""

from gem.visualization.dashboard import (
    RENDER_FPS,
    RENDER_MODES,
    Dashboard,
    configure_dashboard,
    make_dashboard,
    render_dashboard,
    state_unit,
)
from gem.visualization.recorder import Trajectory, TrajectoryRecorder

__all__ = ["RENDER_FPS", "RENDER_MODES", "Dashboard", "Trajectory", "TrajectoryRecorder", "configure_dashboard",
           "make_dashboard", "render_dashboard", "state_unit"]
