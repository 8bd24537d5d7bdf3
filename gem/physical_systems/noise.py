"""Measurement noise, applied to observations only (never to the ODE state)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GaussianNoise:
    """Additive white Gaussian noise on the normalised observed states.

    Attributes:
        sigma: Standard deviation in normalised units (fraction of each state's limit): one value
            for every observed state, or a mapping ``{state_name: sigma}`` (others get none).
    """

    sigma: float | Mapping[str, float] = 0.01

    def __post_init__(self) -> None:
        values = self.sigma.values() if isinstance(self.sigma, Mapping) else [self.sigma]
        for v in values:
            if not np.isfinite(v) or v < 0:
                raise ValueError(f"GaussianNoise: sigma must be finite and >= 0, got {self.sigma!r}")

    def scale(self, names: Sequence[str]) -> np.ndarray:
        """Per-observed-state standard deviations, ``(len(names),)``."""
        if isinstance(self.sigma, Mapping):
            unknown = set(self.sigma) - set(names)
            if unknown:
                raise ValueError(f"GaussianNoise: unknown state names {sorted(unknown)}; observed: {list(names)}")
            return np.array([float(self.sigma.get(n, 0.0)) for n in names])
        return np.full(len(names), float(self.sigma))
