"""From the policy's normalised observation back to named SI signals.

An observation is ``observation_names``: observed states divided by their limits, then the
references ``<state>_ref`` divided by the same limits, then (optionally) the last action.
:class:`ObservationReader` undoes the normalisation with the environment's limits and returns a
:class:`Signals` mapping from names to ``(batch,)`` arrays in SI units. The controllers add their
own intermediate signals (``torque_ref``, current references, voltage commands) to the same
mapping as the cascade runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


class Signals(dict):
    """Named ``(batch,)`` arrays in SI units; a missing name raises a clear error."""

    def __missing__(self, key: str) -> np.ndarray:
        known = ", ".join(sorted(self))
        raise KeyError(f"the controller needs {key!r}, which the observation does not provide "
                       f"(available: {known}); observe it via observed_states=")

    @property
    def batch(self) -> int:
        """Number of environments in the batch."""
        return len(next(iter(self.values())))


class ObservationReader:
    """Denormalises flat observations by name.

    Args:
        observation_names: The environment's ``observation_names``.
        state_index: ``DriveSystem.index`` (state name → column of the limits).
        limits: State normalisers, ``(n_states,)`` or ``(num_envs, n_states)``.
    """

    def __init__(self, observation_names: Sequence[str], state_index: Mapping[str, int], limits: np.ndarray):
        limits = np.atleast_2d(np.asarray(limits, dtype=float))
        self.names: list[str] = []
        cols, scale = [], []
        for k, name in enumerate(observation_names):
            base = name[:-4] if name.endswith("_ref") else name
            if base in state_index:
                scale.append(limits[:, state_index[base]])
            elif name in ("cos(epsilon)", "sin(epsilon)"):
                scale.append(np.ones(limits.shape[0]))
            else:
                continue                                 # e.g. last_action_k
            self.names.append(name)
            cols.append(k)
        self.cols = np.array(cols, dtype=np.int64)
        self.scale = np.stack(scale, axis=1)             # (num_envs or 1, n_used)
        self.u_sup = limits[:, state_index["u_sup"]] if "u_sup" in state_index else None

    def read(self, obs: np.ndarray) -> Signals:
        """SI signals from a batch of observations ``(batch, n_obs)``.

        ``epsilon`` is recovered from ``cos(epsilon)``/``sin(epsilon)`` when the angle itself is not
        observed; ``u_sup`` falls back to its normaliser (the supply voltage) when not observed.
        """
        values = np.asarray(obs, dtype=float)[:, self.cols] * self.scale
        sig = Signals(zip(self.names, values.T, strict=True))
        if "epsilon" not in sig and "cos(epsilon)" in sig and "sin(epsilon)" in sig:
            sig["epsilon"] = np.arctan2(sig["sin(epsilon)"], sig["cos(epsilon)"])
        if "u_sup" not in sig and self.u_sup is not None:
            sig["u_sup"] = np.broadcast_to(self.u_sup, (values.shape[0],)).copy()
        return sig
