"""SCIM, DFIM, EESM and six-phase PMSM environments: ids, converters, observations, flux observer, dq frame."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

import gem
from gem.envs.registration import make_task
from gem.physical_systems import DFIM, EESM, SCIM, ConstantSpeedLoad

STATES = {
    "SCIM": ("omega", "torque", "i_sa", "i_sb", "i_sc", "i_sd", "i_sq", "u_sa", "u_sb", "u_sc", "u_sd", "u_sq",
             "epsilon", "u_sup"),
    "DFIM": ("omega", "torque", "i_sa", "i_sb", "i_sc", "i_sd", "i_sq", "i_ra", "i_rb", "i_rc", "i_rd", "i_rq",
             "u_sa", "u_sb", "u_sc", "u_sd", "u_sq", "u_ra", "u_rb", "u_rc", "u_rd", "u_rq", "epsilon", "u_sup"),
    "EESM": ("omega", "torque", "i_a", "i_b", "i_c", "i_sd", "i_sq", "i_e", "u_a", "u_b", "u_c", "u_sd", "u_sq", "u_e",
             "epsilon", "u_sup"),
    "SIXPMSM": ("omega", "torque", "i_a1", "i_b1", "i_c1", "i_a2", "i_b2", "i_c2", "i_sd", "i_sq", "i_sx", "i_sy",
                "u_a1", "u_b1", "u_c1", "u_a2", "u_b2", "u_c2", "u_sd", "u_sq", "u_sx", "u_sy", "epsilon", "u_sup"),
}
"""GEM 3.0.3's state order (gem_inventory §1.2)."""
CONVERTERS = {"SCIM": ("B6C", (3,), spaces.Discrete(8)), "DFIM": ("B6C+B6C", (6,), spaces.MultiDiscrete([8, 8])),
              "EESM": ("B6C+4QC", (4,), spaces.MultiDiscrete([8, 4])),
              "SIXPMSM": ("B6C+B6C", (6,), spaces.MultiDiscrete([8, 8]))}
REFERENCES = {"SCIM": ("i_sd", "i_sq"), "DFIM": ("i_sd", "i_sq"), "EESM": ("i_sd", "i_sq", "i_e"),
              "SIXPMSM": ("i_sd", "i_sq", "i_sx", "i_sy")}


def test_six_ids_per_motor():
    ids = gem.env_ids()
    assert len(ids) == 6 * len(gem.envs.MOTORS) >= 66
    for motor in STATES:
        assert {f"gem/{a}-{t}-{motor}-v0" for a in ("Cont", "Finite") for t in ("CC", "TC", "SC")} <= set(ids)


@pytest.mark.parametrize("motor", list(STATES))
def test_states_converters_references_and_observation(motor):
    for action_type in ("Cont", "Finite"):
        task = make_task(motor, "CC", action_type)
        drive = task.drive
        assert drive.state_names == STATES[motor]
        topology, box, finite = CONVERTERS[motor]
        assert drive.converter.topology.name == topology and drive.converter.finite == (action_type == "Finite")
        assert task.action_space == (spaces.Box(-1, 1, box, np.float32) if action_type == "Cont" else finite)
        assert task.reference_names == REFERENCES[motor]
        angle = ("cos(epsilon)", "sin(epsilon)")
        expected = tuple(n for s in STATES[motor] for n in (angle if s == "epsilon" else (s,)))
        assert task.observed == expected and task.last_action
        assert task.drive.tau == (1e-4 if action_type == "Cont" else 1e-5)
    names = {c.names for c in make_task(motor, "SC").constraints}
    assert names == {"SCIM": {("i_sd", "i_sq")}, "DFIM": {("i_sd", "i_sq")}, "EESM": {("i_sd", "i_sq"), ("i_e",)},
                     "SIXPMSM": {("i_sd", "i_sq", "i_sx", "i_sy")}}[motor]
    assert make_task(motor, "TC").reference_names == ("torque",)
    assert make_task(motor, "SC").reference_names == ("omega",)


def test_field_current_reference_is_non_negative():
    (g,) = [g for g in make_task("EESM", "CC").references if g.state == "i_e"]
    assert g.low == 0.0 and g.high > 0.0


def test_flux_observer_option():
    task = make_task("DFIM", "CC", flux_observer=True)
    assert task.drive.state_names[-3:] == ("u_sup", "psi_abs", "psi_angle")
    assert task.observed[-2:] == ("psi_abs", "psi_angle")
    assert make_task(SCIM(), "CC", flux_observer=True).drive.motor.flux_observer
    with pytest.raises(ValueError, match="PMSM has no rotor-flux observer"):
        make_task("PMSM", "CC", flux_observer=True)
    env = gym.make("gem/Cont-CC-SCIM-v0", flux_observer=True, compiled=False)
    env.reset(seed=0, options={"initial_state": {"psi_ralpha": 0.1, "psi_rbeta": -0.3}})
    u = env.unwrapped
    phys = u.physical_state
    assert phys[u.state_names.index("psi_abs")] == pytest.approx(np.hypot(0.1, 0.3))
    assert phys[u.state_names.index("psi_angle")] == pytest.approx(np.arctan2(-0.3, 0.1))


def test_dq_action_frame_needs_a_motor_with_a_dq_action_on_a_continuous_converter():
    assert make_task("DFIM", "CC", action_frame="dq").action_space.shape == (4,)
    assert make_task("EESM", "TC", action_frame="dq").action_space.shape == (3,)
    with pytest.raises(ValueError, match="SIXPMSM on Finite-B6C\\+B6C"):
        make_task("SIXPMSM", "CC", "Finite", action_frame="dq")
    with pytest.raises(ValueError, match="SeriesDc"):
        make_task("SeriesDc", "CC", action_frame="dq")


# ------------------------------------------------------------------ dq frame: steady states
def _scim_like(m, omega_el, i_sd, i_sq, slip_speed=None):
    """Stator (and rotor) voltages in the rotor-flux frame that hold ``i_sd, i_sq`` (flux l_m i_sd)."""
    l_r = m.l_m + m.l_sigr
    psi = m.l_m * i_sd
    slip = m.r_r * m.l_m / l_r * i_sq / psi if slip_speed is None else slip_speed
    omega_s = omega_el + slip
    i_rd, i_rq = 0.0, -m.l_m / l_r * i_sq                      # (ψ_r - l_m i_s) / l_r with ψ_r = l_m i_sd
    u_rd, u_rq = m.r_r * i_rd, m.r_r * i_rq + slip * psi        # zero for the SCIM's slip
    sigma_ls = m.l_m + m.l_sigs - m.l_m**2 / l_r
    u_sd = m.r_s * i_sd - omega_s * sigma_ls * i_sq
    u_sq = m.r_s * i_sq + omega_s * (sigma_ls * i_sd + m.l_m / l_r * psi)
    return (u_sd, u_sq, u_rd, u_rq), {"i_sd": i_sd, "i_sq": i_sq}


def _steady(motor, omega):
    """The voltages of a chosen steady state in the motor's dq action frame, and the currents they hold."""
    omega_el = motor.p * omega
    if isinstance(motor, SCIM):
        u, cur = _scim_like(motor, omega_el, 2.5, 2.0)
        return u[:2], cur
    if isinstance(motor, DFIM):
        return _scim_like(motor, omega_el, 3.0, 2.5, slip_speed=-12.0)     # the rotor bridge sets the slip
    if isinstance(motor, EESM):
        i_sd, i_sq, i_e = -3.0, 8.0, 6.0
        return ((motor.r_s * i_sd - omega_el * motor.l_q * i_sq,
                 motor.r_s * i_sq + omega_el * (motor.l_d * i_sd + motor.l_m * i_e), motor.r_e * i_e),
                {"i_sd": i_sd, "i_sq": i_sq, "i_e": i_e})
    i = {"i_sd": -20.0, "i_sq": 60.0, "i_sx": 5.0, "i_sy": -4.0}
    return ((motor.r_s * i["i_sd"] - omega_el * motor.l_q * i["i_sq"],
             motor.r_s * i["i_sq"] + omega_el * (motor.l_d * i["i_sd"] + motor.psi_PM),
             motor.r_s * i["i_sx"] + omega_el * motor.l_y * i["i_sy"],
             motor.r_s * i["i_sy"] - omega_el * motor.l_x * i["i_sx"]), i)


@pytest.mark.parametrize("motor", ["SCIM", "DFIM", "EESM", "SIXPMSM"])
def test_dq_action_frame_holds_the_steady_state_of_its_voltages(motor):
    """Constant dq actions (rotor-flux frame for the induction motors) hold the steady state they define."""
    omega = {"SCIM": 150.0, "DFIM": 120.0, "EESM": 100.0, "SIXPMSM": 100.0}[motor]
    env = gym.make(f"gem/Cont-CC-{motor}-v0", action_frame="dq", constraints=(), compiled=False,
                   load=ConstantSpeedLoad(omega_fixed=omega), max_episode_steps=None)
    u = env.unwrapped
    voltages, currents = _steady(u.drive.motor, omega)
    lim = u.limits
    action = np.array([v / lim[u.state_names.index(n)] for v, n in zip(voltages, u.drive.motor.dq_action_names,
                                                                         strict=True)], np.float32)
    assert np.all(np.abs(action) < 1)
    m = u.drive.motor
    if motor in ("SCIM", "DFIM"):       # start in the steady state, flux on the α axis
        initial = {"i_salpha": currents["i_sd"], "i_sbeta": currents["i_sq"], "psi_ralpha": m.l_m * currents["i_sd"]}
    else:
        initial = dict(currents)
    env.reset(seed=0, options={"initial_state": initial})
    for _ in range(1500):               # it stays there over several electrical turns (a wrong frame leaves it)
        env.step(action)
    phys = u.physical_state
    for name, value in currents.items():
        assert phys[u.state_names.index(name)] == pytest.approx(value, rel=2e-3, abs=2e-3 * u.limits[
            u.state_names.index(name)]), name
    for name, value in zip(u.drive.motor.dq_action_names, voltages, strict=True):   # reported: the period average
        assert phys[u.state_names.index(name)] == pytest.approx(value, rel=2e-3, abs=1e-3), name
