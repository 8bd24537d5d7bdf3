"""The registered ids that the per-id tests run by default.

Each registered id compiles its own kernel (5-25 s the first time; 72 ids), so the per-id tests run a
representative set by default and every other id with ``-m slow``. Between them the representatives
cover every motor family, every converter arrangement (4QC, two 4QCs, B6, B6 + B6, B6 + 4QC, four
asymmetric half bridges), continuous and finite actions, and each task (CC, TC, SC).
"""

import pytest

import gem

ENV_IDS = gem.env_ids()
REPRESENTATIVE = ("gem/Cont-CC-SeriesDc-v0", "gem/Finite-SC-PermExDc-v0", "gem/Cont-TC-ExtExDc-v0",
                  "gem/Finite-TC-ShuntDc-v0", "gem/Cont-CC-PMSM-v0", "gem/Finite-CC-PMSM-v0", "gem/Cont-SC-SynRM-v0",
                  "gem/Cont-CC-SCIM-v0", "gem/Finite-SC-DFIM-v0", "gem/Cont-TC-EESM-v0", "gem/Finite-CC-EESM-v0",
                  "gem/Cont-SC-SIXPMSM-v0", "gem/Cont-SC-BLDC-v0", "gem/Finite-TC-SRM-v0")


def motor_of(env_id: str) -> str:
    """``"SCIM"`` for ``"gem/Cont-CC-SCIM-v0"``."""
    return env_id.removeprefix("gem/").removesuffix("-v0").split("-")[2]


ID_PARAMS = [i if i in REPRESENTATIVE else pytest.param(i, marks=pytest.mark.slow) for i in ENV_IDS]
"""Every id for ``pytest.mark.parametrize``; the ids outside :data:`REPRESENTATIVE` are slow."""

EPISODE_END = ("gem/Cont-CC-SeriesDc-v0", "gem/Finite-SC-PermExDc-v0", "gem/Cont-TC-ExtExDc-v0",
               "gem/Finite-CC-PMSM-v0", "gem/Cont-SC-SynRM-v0", "gem/Finite-TC-ShuntDc-v0", "gem/Cont-CC-SCIM-v0")
EPISODE_END_IDS = [i if i in EPISODE_END else pytest.param(i, marks=pytest.mark.slow) for i in ENV_IDS]
"""Ids of the tests that build a task structure of their own for each id (a new kernel per id, several
seconds each with an empty cache): one per motor family of the first six and an induction motor (its
constrained currents are not ODE states) by default, the others with ``-m slow``."""
