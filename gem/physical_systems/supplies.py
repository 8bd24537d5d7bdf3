"""DC supplies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gem.physical_systems.params import check_positive, validated_fields


@dataclass(frozen=True, kw_only=True)
class IdealVoltageSupply:
    """Ideal DC-link voltage source: ``u_sup = u_nominal`` whatever the current.

    Attributes:
        u_nominal: DC-link voltage in V (> 0); a float or one value per environment.
    """

    u_nominal: float = 60.0

    def __post_init__(self) -> None:
        check_positive("IdealVoltageSupply", validated_fields(self), ("u_nominal",))

    def voltage(self, num_envs: int) -> np.ndarray:
        """Supply voltage per environment, ``(num_envs,)``."""
        return np.broadcast_to(np.asarray(self.u_nominal, float), (num_envs,))
