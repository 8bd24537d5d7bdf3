"""Physical components of a drive, batched over a leading ``num_envs`` axis."""

from gem.physical_systems.bldc import BLDC
from gem.physical_systems.converters import (
    ASYMMETRIC_HALF_BRIDGE,
    B6_BRIDGE,
    FOUR_QUADRANT,
    ONE_QUADRANT,
    TWO_QUADRANT,
    ContAsymmetricHalfBridgeConverter,
    ContB6BridgeConverter,
    ContFourQuadrantConverter,
    ContinuousConverter,
    ContMultiConverter,
    ContOneQuadrantConverter,
    ContTwoQuadrantConverter,
    Converter,
    FiniteAsymmetricHalfBridgeConverter,
    FiniteB6BridgeConverter,
    FiniteConverter,
    FiniteFourQuadrantConverter,
    FiniteMultiConverter,
    FiniteOneQuadrantConverter,
    FiniteTwoQuadrantConverter,
    Topology,
)
from gem.physical_systems.dc_motors import ExtExDc, PermExDc, SeriesDc, ShuntDc
from gem.physical_systems.drive_system import DriveState, DriveSystem, wrap_angle
from gem.physical_systems.eesm import EESM
from gem.physical_systems.flux_models import AlgebraicSaturationModel, scaled_flux_map
from gem.physical_systems.induction import DFIM, SCIM, InductionMotor
from gem.physical_systems.loads import (
    ConstantSpeedLoad,
    ExternalSpeedLoad,
    MechanicalLoad,
    OrnsteinUhlenbeckLoad,
    PolynomialStaticLoad,
)
from gem.physical_systems.motor import Motor
from gem.physical_systems.noise import GaussianNoise
from gem.physical_systems.rectifier import ThreePhaseRectifierSupply
from gem.physical_systems.saturation import FluxMap
from gem.physical_systems.six_phase import SIXPMSM
from gem.physical_systems.solvers import euler_step, rk4_step, scipy_step
from gem.physical_systems.srm import SRM
from gem.physical_systems.supplies import IdealVoltageSupply, RCVoltageSupply
from gem.physical_systems.synchronous import PMSM, SynchronousMotor, SynRM, dq_torque, mtpa_currents
from gem.physical_systems.thermal import WallscheidLPTN
from gem.physical_systems.thermal_dc import ThermalPermExDc, WindingNode
from gem.physical_systems.thermal_pmsm import ThermalPMSM
from gem.physical_systems.transforms import (
    T23,
    T32,
    abc_to_alphabeta,
    abc_to_dq,
    alphabeta_to_abc,
    alphabeta_to_dq,
    clarke,
    dq_to_abc,
    dq_to_alphabeta,
    inverse_clarke,
    inverse_park,
    park,
)

__all__ = [
    "B6_BRIDGE", "FOUR_QUADRANT", "ONE_QUADRANT", "TWO_QUADRANT",
    "ConstantSpeedLoad", "ContB6BridgeConverter", "ContFourQuadrantConverter", "ContMultiConverter",
    "ContOneQuadrantConverter", "ContTwoQuadrantConverter", "ContinuousConverter", "Converter",
    "DriveState", "DriveSystem", "ExtExDc", "ExternalSpeedLoad", "FiniteB6BridgeConverter",
    "FiniteConverter", "FiniteFourQuadrantConverter", "FiniteMultiConverter",
    "FiniteOneQuadrantConverter", "FiniteTwoQuadrantConverter", "GaussianNoise",
    "IdealVoltageSupply", "MechanicalLoad", "Motor", "OrnsteinUhlenbeckLoad", "PermExDc",
    "PolynomialStaticLoad", "RCVoltageSupply", "SeriesDc", "ShuntDc", "Topology", "euler_step", "rk4_step",
    "scipy_step", "wrap_angle", "PMSM", "SynRM", "SCIM", "DFIM", "EESM", "SIXPMSM", "BLDC", "SRM",
    "ASYMMETRIC_HALF_BRIDGE", "ContAsymmetricHalfBridgeConverter", "FiniteAsymmetricHalfBridgeConverter",
    "InductionMotor", "SynchronousMotor", "FluxMap", "AlgebraicSaturationModel", "scaled_flux_map",
    "ThermalPermExDc", "ThermalPMSM", "ThreePhaseRectifierSupply", "WallscheidLPTN", "WindingNode", "dq_torque",
    "mtpa_currents", "T23", "T32",
    "abc_to_alphabeta", "abc_to_dq", "alphabeta_to_abc", "alphabeta_to_dq", "clarke", "dq_to_abc",
    "dq_to_alphabeta", "inverse_clarke", "inverse_park", "park",
]
