"""The AC motors' control knowledge: which plant, current loops, operating point and stages each needs.

:func:`make_ac_control` reads the motor of a drive and returns what :func:`gem.controllers.make`
assembles into the cascade:

=========================== ===================================== =========================================
motor                       current stage                         torque → currents
=========================== ===================================== =========================================
PMSM, SynRM                 d, q loops in the rotor frame         MTPA with field weakening
SCIM, DFIM                  d, q loops in the rotor-flux frame    flux loop (i_sd) and i_sq; the rotor
                            of the controller's flux observer     bridge of the DFIM held at 0 V
EESM                        d, q and field loops, decoupled       field set-point with field weakening,
                                                                  i_sd = 0, i_sq from the field current
six-phase PMSM              d, q and x, y loops                   MTPA (torque factor 3p), i_sx = i_sy = 0
BLDC                        phase loops on 120° block references  block current ``T / (2 p psi_p)``
                            from the Hall signals
SRM                         phase loops, gains scheduled on the   block current in the phases inside their
                            incremental inductance                turn-on/turn-off window
=========================== ===================================== =========================================

Every loop is tuned from the motor's parameters (:func:`~gem.controllers.tuning.current_loop`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gem.controllers.bldc import BldcCurrentController, BldcOperatingPoint
from gem.controllers.eesm import EesmCurrentController, EesmOperatingPoint
from gem.controllers.foc import DqCurrentController, SynchronousPlant
from gem.controllers.induction import InductionOperatingPoint, InductionPlant, RotorFluxObserver
from gem.controllers.operating_point import SynchronousOperatingPoint
from gem.controllers.six_phase import SixPhaseCurrentController
from gem.controllers.srm import SrmCurrentController, SrmOperatingPoint
from gem.controllers.tuning import current_loop, stack_gains
from gem.physical_systems.bldc import BLDC
from gem.physical_systems.eesm import EESM
from gem.physical_systems.induction import InductionMotor
from gem.physical_systems.six_phase import SIXPMSM
from gem.physical_systems.srm import SRM
from gem.physical_systems.synchronous import SynchronousMotor

BLOCK_MARGIN = 0.85
"""BLDC: largest block current as a share of the largest current reference (the commutation overshoot)."""


@dataclass
class AcControl:
    """What the cascade of an AC motor is made of.

    Attributes:
        operating_point: ``current_references(sig, torque)`` and ``torque_range(sig)`` (and, for the
            induction motors, ``reset``: the flux loop).
        current: The current stage.
        t_e: Time constant of the closed current loop (s), for the speed loop.
        pre: Stages that run first (the flux observer).
    """

    operating_point: Any
    current: Any
    t_e: Any
    pre: list = field(default_factory=list)


def make_ac_control(drive: Any, current_max: Any, nominal: dict, t_sigma: float, cfg: Any,
                    residual: Any = None) -> AcControl:
    """Current stage, operating point and extra stages for an AC motor (module docstring).

    Args:
        drive: The :class:`~gem.physical_systems.DriveSystem`.
        current_max: ``(current name, inductance) → largest current reference (A)``.
        nominal: Nominal values by state name (``(num_envs,)`` arrays).
        t_sigma: Small time constant of the current loops (s).
        cfg: The :class:`~gem.controllers.factory.Tuning`.
        residual: The switching modulator's withheld voltage, or ``None``.

    Raises:
        NotImplementedError: For a motor none of the families covers.
    """
    m, tau = drive.motor, drive.tau

    def loop(inductance, resistance):
        return current_loop(inductance, resistance, t_sigma, cfg.a_current, cfg.current_rule)

    common = dict(anti_windup=cfg.anti_windup, residual=residual)
    if isinstance(m, InductionMotor):
        plant = InductionPlant(m)
        i_max = current_max("i_sd", plant.sigma_ls)
        gains = stack_gains([loop(plant.sigma_ls, plant.resistance)] * 2)
        band = None if cfg.integration_band is None else cfg.integration_band * i_max
        stage = DqCurrentController(plant, gains, tau, drive.converter.n_out, len(m.dq_action_names),
                                    cfg.voltage_limit, band=band, d_priority=True, i_max=i_max, **common)
        point = InductionOperatingPoint(m, i_max, gains.t_e[..., 0], tau, nominal["i_sd"], cfg.k_fw, cfg.anti_windup)
        return AcControl(point, stage, gains.t_e[..., 0], [RotorFluxObserver(m, tau, point.psi_nominal)])
    if isinstance(m, EESM):
        i_max = np.minimum(current_max("i_sd", m.l_d), current_max("i_sq", m.l_q))
        sigma = 1.0 - 1.5 * m.l_m**2 / (m.l_d * m.l_e)      # the d axis seen while the field voltage saturates
        gains = stack_gains([loop(sigma * m.l_d, m.r_s), loop(m.l_q, m.r_s), loop(m.l_e, m.r_e)])
        i_e_max = current_max("i_e", m.l_e)
        band, field_band = (None, None) if cfg.integration_band is None else \
            (cfg.integration_band * i_max, cfg.integration_band * i_e_max)
        stage = EesmCurrentController(m, gains, tau, cfg.voltage_limit, band=band, field_band=field_band, i_max=i_max,
                                      **common)
        point = EesmOperatingPoint(m, i_max, i_e_max, cfg.k_fw)
        return AcControl(point, stage, gains.t_e[..., 1])
    if isinstance(m, SIXPMSM):
        i_max = np.min(np.stack(np.broadcast_arrays(*[current_max(n, m.l_x) for n in ("i_sd", "i_sq", "i_sx",
                                                                                      "i_sy")])), axis=0)
        gains = stack_gains([loop(inductance, m.r_s) for inductance in (m.l_d, m.l_q, m.l_x, m.l_y)])
        band = None if cfg.integration_band is None else cfg.integration_band * i_max
        stage = SixPhaseCurrentController(m, gains, tau, i_max, band=band, **common)
        point = SynchronousOperatingPoint(m, i_max, cfg.k_fw, psi_p=m.psi_PM, torque_scale=2.0)
        return AcControl(point, stage, gains.t_e[..., 1])
    if isinstance(m, BLDC):
        # the commutations overshoot the block current in the phase that keeps conducting (by some 12 % at full
        # torque near nominal speed): the block current keeps that much further below the phase limit
        i_max = BLOCK_MARGIN * current_max("i_eq", m.l_s)
        gains = loop(m.l_s, m.r_s)
        band = None if cfg.integration_band is None else cfg.integration_band * i_max
        stage = BldcCurrentController(m, gains, tau, i_max, band=band, **common)
        return AcControl(BldcOperatingPoint(m, i_max), stage, gains.t_e)
    if isinstance(m, SRM):
        i_max = current_max("i_a", m.l_q)
        stage = SrmCurrentController(m, tau, i_max, cfg.a_current, t_sigma, **common)
        return AcControl(SrmOperatingPoint(m, i_max, tau), stage, cfg.a_current * t_sigma)
    if isinstance(m, SynchronousMotor) or all(hasattr(m, k) for k in ("p", "r_s", "l_d", "l_q")):
        if drive.converter.n_out != 3:
            raise NotImplementedError(f"no controller for {type(m).__name__} on {drive.converter.name}")
        i_max = np.minimum(current_max("i_sd", m.l_d), current_max("i_sq", m.l_q))
        gains = stack_gains([loop(m.l_d, m.r_s), loop(m.l_q, m.r_s)])
        band = None if cfg.integration_band is None else cfg.integration_band * i_max
        stage = DqCurrentController(SynchronousPlant(m), gains, tau, voltage_limit=cfg.voltage_limit, band=band,
                                    i_max=i_max, **common)
        return AcControl(SynchronousOperatingPoint(m, i_max, cfg.k_fw), stage, gains.t_e[..., 0])
    raise NotImplementedError(f"no controller for {type(m).__name__}: DC motors (PermExDc, ExtExDc, SeriesDc, "
                              "ShuntDc, and motors registered in gem.controllers.dc.FAMILIES), PMSM, SynRM, SCIM, "
                              "DFIM, EESM, SIXPMSM, BLDC and SRM are supported")
