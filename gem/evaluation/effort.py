"""Control effort and switching frequency of the actions a policy applied.

Both are computed from the recorded actions and the converter's topology
(:mod:`gem.physical_systems.converters`), so they mean the same for every policy on a drive:

* **Commanded voltage** ``v``: the voltage the action commands, without the interlocking dead
  time (which depends on the currents). DC converters: each output voltage divided by the
  largest the converter can apply (``u / u_sup`` for the 4QC: the continuous action clipped to
  its range). Three-phase bridges (three outputs): the voltage *vector* in the αβ plane, divided
  by the bridge's largest vector ``2/3 u_sup``; the common mode of the leg voltages, which does
  not reach a star-connected motor, is left out (without this a switching B6 bridge would always
  show full effort, since every leg is always at ``±u_sup/2``). With ``action_frame="dq"`` the
  action is this vector already, in the rotor frame (same length); it is taken as commanded,
  before the environment shortens vectors outside the bridge's hexagon.
* **Control effort** ``effort_rms``: the root mean square of ``|v|`` over steps, episodes and (DC)
  outputs: 1 = full voltage all the time, 0 = none.
* **Action change** ``effort_change``: the mean of ``|v_k - v_{k-1}|`` over steps, episodes and
  (DC) outputs; it separates a smooth controller from a chattering one with the same RMS.
* **Switching frequency** ``switching_hz`` (switching converters only): the changes of state of
  the half-bridge legs per second, divided by two (one switching period has an on and an off
  edge) and averaged over the legs: the carrier frequency of a pulse-width modulator making the
  same number of changes. The largest possible value is ``1 / (2 tau)``. Continuous (averaged)
  converters do not model switching; their value is NaN.

A finite leg that is *off* (both switches open, only in the one- and two-quadrant converters)
has a voltage set by its current, which the action does not determine; effort values of such
actions are NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gem.physical_systems.converters import OFF, Converter
from gem.physical_systems.transforms import abc_to_alphabeta


def commanded_voltages(actions: np.ndarray, converter: Converter, action_frame: str = "abc") -> np.ndarray:
    """Normalised voltages commanded by ``actions`` (see the module docstring).

    Args:
        actions: ``(..., n_act)`` continuous actions or integer finite actions.
        converter: The drive's converter.
        action_frame: ``"abc"`` (converter actions) or ``"dq"`` (normalised rotor-frame voltages).

    Returns:
        ``(..., n_out)`` per-unit output voltages for DC converters, ``(..., 2)`` the αβ vector
        for three-phase bridges.
    """
    a = np.asarray(actions)
    if action_frame == "dq":
        return a.astype(float)
    if action_frame != "abc":
        raise ValueError(f"action_frame must be 'abc' or 'dq', got {action_frame!r}")
    top = converter.topology
    lead = a.shape[:-1]
    flat = a.reshape(-1, a.shape[-1])
    if converter.finite:
        states = converter.switch_states(flat.astype(np.int64)).astype(float)
        legs = tuple(np.where(states == OFF, np.nan, states).T)
    else:
        legs = converter.duty_cycles(flat.astype(float))
    per_unit = converter._outputs(legs, np.ones(flat.shape[0]))  # u / u_sup
    if _three_phase(converter):
        out = abc_to_alphabeta(per_unit) / (2.0 / 3.0)
    else:
        out = per_unit / top.max_output
    return out.reshape(*lead, out.shape[-1])


def _three_phase(converter: Converter) -> bool:
    """Three outputs are a three-phase bridge (as for gem's modulators)."""
    return converter.topology.n_out == 3


def _magnitudes(v: np.ndarray, three_phase: bool) -> np.ndarray:
    """``|v|`` per channel: one αβ vector, or each DC output."""
    return np.linalg.norm(v, axis=-1, keepdims=True) if three_phase else np.abs(v)


@dataclass(frozen=True)
class ControlEffort:
    """How much and how busily a policy actuated the converter (see the module docstring).

    Attributes:
        effort_rms: RMS of the commanded normalised voltages.
        effort_change: Mean absolute change of the commanded voltages per step.
        switching_hz: Mean switching frequency per leg (Hz; NaN for continuous converters).
    """

    effort_rms: float
    effort_change: float
    switching_hz: float


def control_effort(actions: np.ndarray, valid: np.ndarray, converter: Converter, tau: float,
                   action_frame: str = "abc") -> ControlEffort:
    """Control effort and switching frequency of recorded episodes.

    Args:
        actions: ``(T, n, n_act)`` actions of ``n`` episodes.
        valid: ``(T, n)`` steps that belong to the episodes.
        converter: The drive's converter.
        tau: Control period (s).
        action_frame: ``"abc"`` (converter actions) or ``"dq"`` (normalised rotor-frame voltages).
    """
    if actions.ndim != 3 or valid.shape != actions.shape[:2]:
        raise ValueError(f"actions must be (T, n, n_act) and valid (T, n), got {actions.shape} and {valid.shape}")
    three = _three_phase(converter)
    v = commanded_voltages(actions, converter, action_frame)
    mag, step = _magnitudes(v, three), _magnitudes(np.diff(v, axis=0), three)
    ok = valid[..., None] & np.ones(mag.shape, bool)
    rms = float(np.sqrt(np.mean(mag[ok] ** 2))) if ok.any() else float("nan")
    both = ok[1:] & ok[:-1]
    change = float(np.mean(step[both])) if both.any() else float("nan")
    hz = float("nan")
    if converter.finite:
        states = converter.switch_states(actions.reshape(-1, actions.shape[-1]).astype(np.int64))
        states = states.reshape(*actions.shape[:2], -1)
        pair = (valid[1:] & valid[:-1])[..., None] & np.ones(states.shape[2], bool)
        if pair.any():
            edges = (np.diff(states, axis=0) != 0)[pair]
            hz = float(np.mean(edges) / (2.0 * tau))
    return ControlEffort(rms, change, hz)
