"""``gem.controllers.make``: a tuned cascade for any gem environment, read from its components."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gem.controllers.cascade import CascadePolicy
from gem.controllers.current import CurrentController, SpeedController, TorqueToCurrent
from gem.controllers.dc import FAMILIES
from gem.controllers.foc import DqFrameOutput
from gem.controllers.machines import make_ac_control
from gem.controllers.modulation import ContinuousModulator, DeltaSigmaModulator
from gem.controllers.signals import ObservationReader
from gem.controllers.tuning import current_loop, speed_loop, stack_gains


@dataclass(frozen=True)
class Tuning:
    """Design parameters of the cascade (keyword arguments of :func:`make`).

    Attributes:
        a_current: Design parameter of the current loops (2: technical optimum).
        a_speed: Design parameter of the speed loop's symmetrical optimum.
        current_rule: ``"TO"`` (technical optimum) or ``"SO"`` (symmetrical optimum) for currents.
        t_sigma: Small time constant of the current loops in control periods (``None``: 1 for
            continuous converters, 2 for switching converters, whose delta-sigma modulation
            realises the mean voltage over a few periods).
        current_margin: Current references stay within ``(1 - current_margin)`` of the limits
            (``None``: 0.1, plus half the current change one switching period at full voltage
            causes, ``u tau / (2 L)``, relative to the limit for switching converters).
        anti_windup: ``"clamping"``, ``"back_calculation"`` or ``"none"``.
        integration_band: The current integrators integrate the error clipped to this share of
            the largest current reference (``None``: unclipped), so that they settle small errors
            but do not charge up while a large current step is being followed.
        field_current: ExtExDc field current set-point in A (``None``: nominal).
        k_fw: Field weakening keeps the EMF (DC) or flux linkage times speed (AC) within this share
            of the available voltage.
        voltage_limit: Three-phase voltage limit: ``"circle"`` (inscribed circle of the B6
            hexagon, linear modulation) or ``"hexagon"``.
        prefilter: Time constant of the speed-reference prefilter in multiples of the closed speed
            loop's equivalent time constant ``a_speed T_e`` (``T_e``: the closed current loop's),
            with torque precontrol along the filtered reference (see :mod:`~gem.controllers.tuning`;
            ``a_speed`` gives the symmetrical optimum's own prefilter ``T_n = a_speed² T_e``).
            ``None``: neither prefilter nor precontrol.
    """

    a_current: float = 2.0
    a_speed: float = 4.0
    current_rule: str = "TO"
    t_sigma: float | None = None
    current_margin: float | None = None
    anti_windup: str = "clamping"
    integration_band: float | None = 0.1
    field_current: float | None = None
    k_fw: float = 0.85
    voltage_limit: str = "circle"
    prefilter: float | None = 2.0

    def __post_init__(self) -> None:
        if self.current_margin is not None and not 0.0 <= self.current_margin < 1.0:
            raise ValueError(f"current_margin must be in [0, 1), got {self.current_margin!r}")
        if self.t_sigma is not None and not self.t_sigma > 0:
            raise ValueError(f"t_sigma must be > 0 control periods, got {self.t_sigma!r}")
        if self.prefilter is not None and not self.prefilter > 0:
            raise ValueError(f"prefilter must be > 0 speed-loop time constants or None, got {self.prefilter!r}")


def _by_name(drive, table: np.ndarray) -> dict[str, np.ndarray]:
    """``(num_envs, n_states)`` table → name → ``(num_envs,)`` column."""
    return {name: table[:, j] for name, j in drive.index.items()}


def _current_limit(cfg: Tuning, drive, lim: dict[str, np.ndarray]):
    """``(current, inductance) → largest current reference``, with the margin of :class:`Tuning`."""
    u_step = lim["u_sup"] * (2.0 / 3.0 if drive.motor.has_angle else 1.0)   # B6 active vectors: 2/3 u_sup

    def current_max(name: str, inductance) -> np.ndarray:
        if cfg.current_margin is not None:
            margin = cfg.current_margin
        else:
            ripple = 0.5 * u_step * drive.tau / (np.asarray(inductance, float) * lim[name])
            margin = np.minimum(0.1 + (ripple if drive.converter.finite else 0.0), 0.5)
        return (1.0 - margin) * lim[name]
    return current_max


def _dc_current_control(drive, current_max, nominal, t_sigma: float, cfg: Tuning, modulator):
    """The DC motor family's knowledge and its current loops; returns ``(family, stage, t_e)``."""
    family_cls = next(f for m, f in FAMILIES.items() if isinstance(drive.motor, m))
    family = family_cls(drive.motor, current_max, nominal, field_current=cfg.field_current, k_fw=cfg.k_fw)
    gains = stack_gains([current_loop(lp.inductance, lp.resistance, t_sigma, cfg.a_current, cfg.current_rule)
                          for lp in family.loops])
    outputs = [drive.motor.input_names.index(lp.voltage) for lp in family.loops]
    band = None if cfg.integration_band is None else cfg.integration_band * np.stack(
        np.broadcast_arrays(*[np.asarray(family.i_max[lp.current], float) for lp in family.loops]), axis=-1)
    stage = CurrentController(family.loops, gains, drive.tau, outputs, drive.converter.n_out,
                              modulator.voltage_range, family.default_references, cfg.anti_windup,
                              modulator.residual, band)
    return family, stage, np.asarray(gains.t_e)[..., 0]


def make(env: Any, **tuning: Any) -> CascadePolicy:
    """Builds the tuned PI cascade for ``env``.

    Args:
        env: A :class:`~gem.GemEnv` (possibly wrapped) or a :class:`~gem.GemVectorEnv`.
        **tuning: Fields of :class:`Tuning` (``a_current``, ``a_speed``, ``current_rule``, ...).

    Returns:
        A policy with ``predict(obs, state=None, episode_start=None, deterministic=True)``.
    """
    cfg = Tuning(**tuning)
    base = env.unwrapped
    drive, task = base.drive, base.task
    num_envs = int(getattr(base, "num_envs", 1))
    limits = np.atleast_2d(base.limits)
    conv = drive.converter
    modulator = DeltaSigmaModulator(conv.topology) if conv.finite else ContinuousModulator(conv.topology)
    t_sigma = drive.tau * (cfg.t_sigma if cfg.t_sigma is not None else (2.0 if conv.finite else 1.0))
    reader = ObservationReader(base.observation_names, drive.index, limits)
    lim, nom = _by_name(drive, limits), _by_name(drive, drive.nominal(num_envs))
    current_max = _current_limit(cfg, drive, lim)

    pre: list[Any] = []
    if isinstance(drive.motor, tuple(FAMILIES)):
        family, current, t_e = _dc_current_control(drive, current_max, nom, t_sigma, cfg, modulator)
    else:
        ac = make_ac_control(drive, current_max, nom, t_sigma, cfg, modulator.residual)
        family, current, t_e, pre = ac.operating_point, ac.current, ac.t_e, ac.pre
        if getattr(task, "action_frame", "abc") == "dq":
            modulator = DqFrameOutput(np.stack([lim[n] / lim["u_sup"] for n in drive.motor.dq_action_names], axis=-1))

    stages: list[Any] = [*pre, current]
    speed_gains = None
    if task.task in ("TC", "SC"):
        stages.insert(len(pre), TorqueToCurrent(family.current_references, getattr(family, "reset", None)))
    if task.task == "SC":
        speed_gains = speed_loop(drive.j_total, t_e, cfg.a_speed)
        t_f = None if cfg.prefilter is None else cfg.prefilter * np.asarray(speed_gains.t_e)
        stages.insert(len(pre), SpeedController(speed_gains, drive.tau, family.torque_range, cfg.anti_windup,
                                                current, prefilter=t_f,
                                                inertia=None if t_f is None else drive.j_total))
    info = {"task": task.task, "motor": type(drive.motor).__name__, "converter": conv.name,
            "tuning": cfg, "current_gains": getattr(current, "gains", None), "speed_gains": speed_gains}
    action_space = task.action_space if hasattr(task, "action_space") else conv.action_space
    return CascadePolicy(reader, stages, modulator, action_space, num_envs, info)
