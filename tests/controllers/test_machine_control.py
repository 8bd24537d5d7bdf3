"""The cascades of SCIM, DFIM, EESM and the six-phase PMSM: flux observer, reference steps, default references."""

import gymnasium as gym
import numpy as np
import pytest
from controller_helpers import rollout, step_metrics

import gem
import gem.controllers
from gem.controllers.induction import RotorFluxObserver
from gem.envs import ConstReference

STEPS = {  # normalised constant references of a step test per task and motor
    "CC": {"SCIM": [0.5, 0.4], "DFIM": [0.2, 0.5], "EESM": [-0.2, 0.4, 0.3], "SIXPMSM": [-0.1, 0.4, 0.1, -0.1]},
    "TC": {"SCIM": [0.4], "DFIM": [0.3], "EESM": [0.2], "SIXPMSM": [0.5]},
}


def run(env_id, steps, initial=None, **kwargs):
    """The cascade on a single environment (NumPy step); physical states and the policy."""
    env = gym.make(env_id, compiled=False, max_episode_steps=None, **kwargs)
    policy = gem.controllers.make(env)
    obs, _ = env.reset(seed=0, options={"initial_state": initial or {}})
    states, signals = [env.unwrapped.physical_state], []
    for k in range(steps):
        action, _ = policy.predict(obs, episode_start=(k == 0))
        obs, _, terminated, _, _ = env.step(action)
        assert not terminated, f"{env_id}: limit violated at step {k}"
        states.append(env.unwrapped.physical_state)
        signals.append(policy.last_signals)
    return env.unwrapped, np.array(states), signals, policy


@pytest.mark.parametrize("motor", list(STEPS["CC"]))
def test_current_reference_step(motor):
    """Steps of every controlled current; the induction motors start with the flux of their ``i_sd`` step.

    (A zero flux has no direction: the rotor-flux frame spins at the slip frequency ``∝ i_sq / |ψ_r|``
    until the flux has built up, and so do the currents reported in it. Their controller's observer
    starts from the flux the environment's flux observer shows.)
    """
    values = STEPS["CC"][motor]
    initial, options = None, {}
    if motor in ("SCIM", "DFIM"):
        m = gem.make_task(motor).drive.motor
        i_sd = values[0] * m.limits["i_sd"]
        initial, options = {"i_salpha": i_sd, "psi_ralpha": m.l_m * i_sd}, {"flux_observer": True}
    base, states, _, _ = run(f"gem/Cont-CC-{motor}-v0", 1500, initial,
                             reference=[ConstReference(value=v) for v in values], **options)
    for name, ref, ss_error, overshoot in step_metrics(base, states, values):
        slow = name == "i_e"               # the field winding's time constant l_e / r_e = 56 ms
        assert ss_error < (0.02 if not slow else 0.05), f"{name}: steady-state error {ss_error:.2%} (ref {ref:.3g})"
        assert overshoot < 0.10, f"{name}: overshoot {overshoot:.1%} (ref {ref:.3g})"


@pytest.mark.parametrize("motor", list(STEPS["TC"]))
def test_torque_reference_step(motor):
    """The torque follows once the flux (induction motors) or the field (EESM) has built up from zero."""
    values = STEPS["TC"][motor]
    base, states, _, _ = run(f"gem/Cont-TC-{motor}-v0", 3000, reference=ConstReference(value=values[0]))
    (name, ref, ss_error, _), = step_metrics(base, states, values, tail=0.3)
    assert ss_error < 0.02, f"torque: steady-state error {ss_error:.2%} of nominal (ref {ref:.3g})"


def test_flux_observer_follows_the_simulated_flux():
    """The controller's current-model observer (it never reads the flux) against the simulation's rotor flux."""
    base, _, signals, policy = run("gem/Cont-SC-SCIM-v0", 2000, flux_observer=True)
    assert isinstance(policy.stages[0], RotorFluxObserver)
    psi = base.physical_state[base.state_names.index("psi_abs")]
    angle = base.physical_state[base.state_names.index("psi_angle")]
    # the observer's estimate belongs to the observation it was computed from: the state before the last step
    sig = signals[-1]
    assert psi > 0.3
    assert sig["psi_r"][0] == pytest.approx(psi, rel=2e-2)
    assert abs(np.angle(np.exp(1j * (sig["psi_r_angle"][0] - angle)))) < 0.1
    speed = base.physical_state[0]
    assert speed == pytest.approx(base.references[0], abs=0.05 * base.limits[0])


@pytest.mark.parametrize("env_id", ["gem/Cont-CC-SCIM-v0", "gem/Finite-SC-DFIM-v0", "gem/Cont-TC-EESM-v0",
                                    "gem/Finite-CC-EESM-v0", "gem/Cont-SC-SIXPMSM-v0", "gem/Cont-SC-BLDC-v0",
                                    "gem/Finite-TC-SRM-v0"])
def test_default_references_without_violation(env_id):
    """A stretch of seeded default references on 3 environments (the ids of tests/envs/env_ids.py).

    The tracking is checked where the stretch is long enough for it (not the 0.04 s of Finite-SC, in which
    the flux has only begun to build).
    """
    venv = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point")
    policy = gem.controllers.make(venv)
    steps = 1500 if env_id.startswith("gem/Cont") else 4000
    _, obs, terminated = rollout(venv, policy, steps, seed=11)
    assert not terminated.any()
    if "Finite-SC" in env_id:
        return
    names = list(venv.unwrapped.observation_names)
    for ref in venv.unwrapped.reference_names:
        err = obs[1:, :, names.index(ref)] - obs[:-1, :, names.index(f"{ref}_ref")]
        assert np.sqrt(np.mean(err[len(err) // 2:] ** 2)) < 0.35          # it tracks (loose: see the scorecard)


@pytest.mark.parametrize("motor", ["SCIM", "DFIM", "EESM", "SIXPMSM"])
def test_dq_action_frame(motor):
    """With ``action_frame="dq"`` the cascade outputs the frame voltages; the currents follow as in the abc frame."""
    values = STEPS["CC"][motor]
    refs = [ConstReference(value=v) for v in values]
    base, states, _, policy = run(f"gem/Cont-CC-{motor}-v0", 800, reference=refs, action_frame="dq")
    assert policy.action_space.shape == (len(base.drive.motor.dq_action_names),)
    _, states_abc, _, _ = run(f"gem/Cont-CC-{motor}-v0", 800, reference=refs)
    cols = [base.state_names.index(n) for n in base.reference_names if n != "i_e"]
    scale = np.max(np.abs(states_abc[:, cols]), axis=0)
    np.testing.assert_allclose(states[-200:, cols], states_abc[-200:, cols], atol=0.02 * scale.max())


@pytest.mark.parametrize(("motor", "values"), [("SCIM", [0.709, 0.709]), ("SIXPMSM", [0.6, -0.6, 0.6, -0.6])])
def test_references_beyond_the_current_circle_are_shortened(motor, values):
    """Corners of the default reference ranges leave the current circle; the currents stay inside it."""
    initial, options = None, {}
    if motor == "SCIM":               # magnetised, so that the flux frame exists from the start
        m = gem.make_task(motor).drive.motor
        initial, options = {"i_salpha": 3.0, "psi_ralpha": m.l_m * 3.0}, {"flux_observer": True}
    base, states, _, _ = run(f"gem/Cont-CC-{motor}-v0", 1000, initial,
                                  reference=[ConstReference(value=v) for v in values], **options)
    cols = [base.state_names.index(n) for n in base.reference_names]
    norm = np.sqrt(np.sum((states[:, cols] / base.limits[cols]) ** 2, axis=1))
    assert np.sqrt(np.sum(np.square(values))) > 1.0 and norm.max() <= 1.0
    assert norm[-1] == pytest.approx(0.9, abs=0.01)           # held at the limit's circle with the 10 % margin
    refs = np.array([v * base.limits[j] for v, j in zip(values, cols, strict=True)])
    np.testing.assert_allclose(states[-1, cols] / np.linalg.norm(states[-1, cols]), refs / np.linalg.norm(refs),
                               atol=0.02)                     # in the direction of the references
