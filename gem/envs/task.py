"""A drive-control task: the drive plus what the agent sees, is rewarded for and must respect.

:class:`DriveTask` is a frozen description shared by the vector environment and its single-env
view; all mutable arrays live in the environment.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from gymnasium import spaces

from gem.envs.constraints import Constraint, LimitConstraint, SquaredConstraint
from gem.envs.randomization import INERTIAS, RandomParameter
from gem.envs.references import ReferenceGenerator
from gem.envs.rewards import WeightedSumOfErrors
from gem.physical_systems.drive_system import DriveState, DriveSystem
from gem.physical_systems.noise import GaussianNoise

OBS_BOUND = 2.0
"""Normalised observations are clipped to ``[-OBS_BOUND, OBS_BOUND]``: in range, states lie in
[-1, 1]; the margin lets the agent see an overshoot before the limit constraint ends the episode."""


def normalised(value, limit):
    """A state divided by its limit (the normaliser of observations, constraints and rewards)."""
    return value / limit


def observed_value(normalised, noise, scale):
    """One observation entry from a normalised state (column form).

    Measurement noise ``noise * scale`` is added (a standard-normal draw times the noise's
    standard deviation; 0 without noise), NaN becomes 0 and the result is clipped to
    ``±OBS_BOUND`` (so ±inf become the bounds).
    """
    o = normalised + noise * scale
    o = np.where(np.isnan(o), 0.0, o)
    return np.minimum(np.maximum(o, -OBS_BOUND), OBS_BOUND)


def cos_epsilon(epsilon_normalised):
    """``cos ε`` from ``ε / π``."""
    return np.cos(epsilon_normalised * np.pi)


def sin_epsilon(epsilon_normalised):
    """``sin ε`` from ``ε / π``."""
    return np.sin(epsilon_normalised * np.pi)


def error_integral_step(integral, reference, state, gain):
    """One period of the tracking-error integral feature (column form).

    ``integral + gain * (reference - state)`` of normalised values, kept in ``[-1, 1]`` (the
    feature's observation range; the bound is its anti-windup). A non-finite state (the step that
    ends an episode with a violation) leaves the integral as it was.
    """
    z = integral + gain * (reference - state)
    z = np.where(np.isnan(z), integral, z)
    return np.minimum(np.maximum(z, -1.0), 1.0)


def one_hot(action, choice):
    """1.0 where the finite ``action`` is ``choice``, else 0.0 (the last-action feature)."""
    return np.where(action == choice, 1.0, 0.0)


ANGLE_FEATURES = {"cos(epsilon)": cos_epsilon, "sin(epsilon)": sin_epsilon}
"""Observable features of the rotor angle, from the normalised ``epsilon``."""


@dataclass(frozen=True, eq=False)
class DriveTask:
    """Everything that defines a gem environment except its batch size.

    Attributes:
        drive: The physical system.
        references: One bound generator per referenced state.
        reward: Reward function over the referenced states.
        constraints: Limit constraints (empty: never terminate on limits).
        observed: Observed quantities: state names, ``"cos(epsilon)"``, ``"sin(epsilon)"``.
        last_action: Append the previous action to the observation.
        noise: Measurement noise on the observed states, or ``None``.
        task: ``"CC"``, ``"TC"`` or ``"SC"`` (informational).
        action_frame: ``"abc"``: the converter's own action. ``"dq"`` (continuous converters of AC
            motors): the action is the motor's rotor-frame voltages ``motor.dq_action_names``
            (``u_sd, u_sq`` for PMSM, SynRM and SCIM, the latter in the rotor-flux frame; ``u_sd, u_sq,
            u_e`` for the EESM; ``u_sd, u_sq, u_rd, u_rq`` for the DFIM; ``u_sd, u_sq, u_sx, u_sy`` for
            the six-phase PMSM), each normalised like its state (dq voltages by 2/3 u_sup). The
            environment turns them into the stator frame at the frame's angle advanced by half a
            period (the mean angle of the coming period) and modulates them onto the bridges,
            shortening vectors outside a bridge's voltage hexagon (``motor.dq_action``,
            :mod:`gem.physical_systems.modulation`).
        randomized: Motor and load parameters drawn anew at every episode start (see
            :mod:`gem.envs.randomization`); the drive holds their centre values.
        action_delay: Computation delay in control periods: the converter applies the action given
            ``action_delay`` steps earlier (zero voltage, i.e. zero duty-cycle actions or switch
            state 0, until then, at every episode start). With ``action_frame="dq"`` the rotor-frame
            action is rotated into the stator frame when it is given, with the angle advanced to the
            middle of the period it will be applied in, ``(action_delay + 1/2) tau``, as a drive's
            controller compensates its own delay.
        error_integral: Integration time ``T_i`` (s) of the tracking-error integral features, or
            ``None`` (off). On, the observation ends with one feature per referenced state,
            ``<state>_error_integral``: ``z_k = z_(k-1) + (tau / T_i)(ref - x)`` of the normalised
            reference the step's reward compares with and the state reached, 0 at every episode start
            and kept in ``[-1, 1]`` (:func:`error_integral_step`). It gives a memoryless policy (an RL
            agent) the integral action a PI controller has in its integrator.
    """

    drive: DriveSystem
    references: tuple[ReferenceGenerator, ...]
    reward: WeightedSumOfErrors
    constraints: tuple[Constraint, ...]
    observed: tuple[str, ...]
    last_action: bool = False
    noise: GaussianNoise | None = None
    task: str = "CC"
    action_frame: str = "abc"
    randomized: tuple[RandomParameter, ...] = ()
    action_delay: int = 0
    error_integral: float | None = None

    def __post_init__(self) -> None:
        if self.error_integral is not None and (isinstance(self.error_integral, bool) or not isinstance(
                self.error_integral, (int, float, np.floating)) or not 0.0 < self.error_integral < np.inf):
            raise ValueError(f"error_integral must be an integration time in s (> 0, finite) or None, "
                             f"got {self.error_integral!r}")
        if isinstance(self.action_delay, bool) or not isinstance(self.action_delay, (int, np.integer)) \
                or self.action_delay < 0:
            raise ValueError(f"action_delay must be a whole number of control periods >= 0, got {self.action_delay!r}")
        if self.action_frame not in ("abc", "dq"):
            raise ValueError(f"action_frame must be 'abc' or 'dq', got {self.action_frame!r}")
        if self.action_frame == "dq" and not (
                isinstance(self.drive.converter.action_space, spaces.Box) and self.drive.motor.dq_action_names):
            raise ValueError(f"action_frame='dq' needs an AC motor with rotor-frame voltage actions on a continuous "
                             f"converter, got {type(self.drive.motor).__name__} on {self.drive.converter.name}")
        allowed = set(self.drive.state_names)
        if "epsilon" in allowed:
            allowed |= set(ANGLE_FEATURES)
        unknown = [n for n in self.observed if n not in allowed]
        if unknown:
            raise ValueError(f"unknown observed state(s) {unknown}; choose from {sorted(allowed)}")

    @property
    def reference_names(self) -> tuple[str, ...]:
        """Referenced state names, in reference order."""
        return tuple(g.state for g in self.references)

    @property
    def action_space(self) -> spaces.Space:
        """Single-environment action space (``Box(len(motor.dq_action_names))`` for ``action_frame="dq"``)."""
        if self.action_frame == "dq":
            return spaces.Box(-1.0, 1.0, (len(self.drive.motor.dq_action_names),), dtype=np.float32)
        return self.drive.converter.action_space

    @property
    def discrete_action(self) -> bool:
        """The action picks switch states (a finite converter in its own frame), not duty cycles."""
        return self.drive.converter.finite and self.action_frame != "dq"

    @property
    def converter_action_size(self) -> int:
        """Entries of the action the converter applies (B6 legs for ``action_frame="dq"``; one per table if finite)."""
        topo = self.drive.converter.topology
        if self.action_frame == "dq":
            return len(topo.action_low)
        return len(topo.tables) if self.discrete_action else len(topo.action_low)

    @property
    def action_size(self) -> int:
        """Length of the last-action feature."""
        space = self.action_space
        if isinstance(space, spaces.Discrete):
            return int(space.n)
        if isinstance(space, spaces.MultiDiscrete):
            return int(np.sum(space.nvec))
        return int(np.prod(space.shape))

    @property
    def observation_names(self) -> tuple[str, ...]:
        """Name of every observation entry."""
        names = self.observed + tuple(f"{r}_ref" for r in self.reference_names)
        if self.last_action:
            names += tuple(f"last_action_{k}" for k in range(self.action_size))
        if self.error_integral is not None:
            names += tuple(f"{r}_error_integral" for r in self.reference_names)
        return names

    @property
    def memory_size(self) -> int:
        """Columns of the per-environment memory: the last-action features, then the error integrals."""
        return self.action_size + (len(self.references) if self.error_integral is not None else 0)

    @property
    def integral_gain(self) -> float:
        """``tau / error_integral`` (0 when the error integrals are off)."""
        return 0.0 if self.error_integral is None else self.drive.tau / self.error_integral

    def for_batch(self, num_envs: int) -> DriveTask:
        """This task for a batch: randomised parameters become ``(num_envs,)`` arrays of a drive copy."""
        if not self.randomized:
            return self
        names = {part: tuple(p.name for p in self.randomized if p.part == part) for part in ("motor", "load")}
        if any(p.name in INERTIAS for p in self.randomized):     # the total inertia is then per environment
            names = {"motor": (*names["motor"], "j_rotor"), "load": (*names["load"], "j_load")}
        drive = self.drive.per_environment(num_envs, tuple(dict.fromkeys(names["motor"])),
                                           tuple(dict.fromkeys(names["load"])))
        return replace(self, drive=drive)

    def check_initial_state(self, start: DriveState, named: Mapping[str, np.ndarray], limits: np.ndarray) -> None:
        """Checks an episode start from user values ``named`` against the limits.

        A named state beyond its limit (``|value| > limit``; not the angle ``epsilon``, whose
        normaliser π is no limit), or a start beyond one of the task's limit constraints
        (:class:`LimitConstraint`, :class:`SquaredConstraint`: a PMSM's current amplitude
        ``i_sd² + i_sq²``), is an error while the task has constraints (the episode would end at
        its first step) and a warning when the constraints are off.

        Args:
            start: The drive state computed from ``named``.
            named: The user's initial values by state name (SI, finite: :func:`initial_values`).
            limits: ``(num_envs, n_states)`` state normalisers.

        Raises:
            ValueError: If the start is beyond a limit while the task has constraints.
        """
        index, phys = self.drive.index, start.physical
        problems = []
        for name in named:
            if name in index and name != "epsilon":
                j = index[name]
                over = np.flatnonzero(np.abs(phys[:, j]) > limits[:, j])
                if over.size:
                    problems.append(f"initial {name} = {phys[over, j].tolist()} is beyond its limit "
                                    f"±{limits[over, j].tolist()} in environment(s) {over.tolist()}")
        limit_kinds = (LimitConstraint, SquaredConstraint)      # a user constraint may mean something else
        for c in self.constraints if not problems else ():    # (a state beyond its limit says enough)
            hit = np.flatnonzero(c.violated(normalised(phys, limits), index)) if type(c) in limit_kinds else ()
            if len(hit):
                problems.append(f"the initial state is beyond the limit {c} in environment(s) {hit.tolist()}")
        if not problems:
            return
        if self.constraints:
            raise ValueError("; ".join(problems) + ". The limit constraints would end the episode at its first "
                             "step: start within the limits, or pass constraints=() to switch them off (then this "
                             "is a warning)")
        warnings.warn("; ".join(problems) + f". The constraints are off, so the episode runs (observations are "
                      f"clipped at ±{OBS_BOUND:g} × the limit)", UserWarning, stacklevel=4)

    def observation_space(self) -> spaces.Box:
        """Single-environment observation space (float32)."""
        n_obs = len(self.observed)
        low = np.concatenate([np.full(n_obs, -OBS_BOUND), np.full(len(self.references), -1.0),
                              np.full(len(self.observation_names) - n_obs - len(self.references), -1.0)])
        return spaces.Box(low.astype(np.float32), -low.astype(np.float32), dtype=np.float32)

    def action_features(self, action: np.ndarray) -> np.ndarray:
        """Last-action feature: the continuous action, or one-hot codes of finite actions."""
        if not self.discrete_action:
            return action.astype(float)
        tables = self.drive.converter.topology.tables
        parts = [one_hot(action[:, k], j) for k, t in enumerate(tables) for j in range(len(t))]
        return np.stack(parts, axis=1)


def initial_values(given: Any, num_envs: int) -> dict[str, np.ndarray]:
    """``reset(options={"initial_state": given})`` as ``{name: (num_envs,) float array}``.

    Raises:
        ValueError: If ``given`` is not a mapping, or a value is not a number (or one per
            environment) or not finite; the message names the state.
    """
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise ValueError(f'options["initial_state"] must be a dict {{state name: value (SI)}}, got {given!r}')
    out = {}
    for name, value in given.items():
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            arr = None
        if arr is None or isinstance(value, (str, bytes)) or arr.shape not in ((), (num_envs,)):
            raise ValueError(f"initial_state[{name!r}] must be a number or an array of {num_envs} (one per "
                             f"environment), got {value!r}")
        bad = np.flatnonzero(~np.isfinite(np.broadcast_to(arr, (num_envs,))))
        if bad.size:
            raise ValueError(f"initial_state[{name!r}] must be finite, got {value!r} (environment(s) {bad.tolist()})")
        out[name] = np.broadcast_to(arr, (num_envs,))
    return out
