"""The registered ids that the per-id tests run by default.

Every id of the first six motor families runs by default. Of SCIM, DFIM, EESM, the six-phase PMSM, the
BLDC and the SRM, whose ids share their converters and tasks, the representative ids below run by default: between them
they cover each machine, each converter arrangement (B6, B6 + B6, B6 + 4QC, 4 AHB, continuous and finite) and each
task; the others are marked ``slow`` (each id compiles its own kernel, 10-25 s the first time).
"""

import pytest

import gem

ENV_IDS = gem.env_ids()
REPRESENTATIVE = ("gem/Cont-CC-SCIM-v0", "gem/Finite-SC-DFIM-v0", "gem/Cont-TC-EESM-v0", "gem/Finite-CC-EESM-v0",
                  "gem/Cont-SC-SIXPMSM-v0", "gem/Cont-SC-BLDC-v0", "gem/Finite-TC-SRM-v0")
SHARED_STRUCTURE = ("SCIM", "DFIM", "EESM", "SIXPMSM", "BLDC", "SRM")


def motor_of(env_id: str) -> str:
    """``"SCIM"`` for ``"gem/Cont-CC-SCIM-v0"``."""
    return env_id.removeprefix("gem/").removesuffix("-v0").split("-")[2]


ID_PARAMS = [pytest.param(i, marks=pytest.mark.slow)
             if motor_of(i) in SHARED_STRUCTURE and i not in REPRESENTATIVE else i for i in ENV_IDS]
"""Every id for ``pytest.mark.parametrize``; the non-representative ids of the four machines are slow."""

EPISODE_END = ("gem/Cont-CC-SeriesDc-v0", "gem/Finite-SC-PermExDc-v0", "gem/Cont-TC-ExtExDc-v0",
               "gem/Finite-CC-PMSM-v0", "gem/Cont-SC-SynRM-v0", "gem/Finite-TC-ShuntDc-v0", "gem/Cont-CC-SCIM-v0")
EPISODE_END_IDS = [i if i in EPISODE_END else pytest.param(i, marks=pytest.mark.slow) for i in ENV_IDS]
"""Ids of the tests that build a task structure of their own for each id (a new kernel per id, several
seconds each with an empty cache): one per motor family of the first six and an induction motor (its
constrained currents are not ODE states) by default, the others with ``-m slow``."""
