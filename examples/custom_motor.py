"""Add your own motor: a series-wound DC motor whose field saturates, in one class.

The model is GEM's series motor with a magnetising curve ``psi(i) = l_e_prime i_sat tanh(i / i_sat)``:
linear (GEM's ``SeriesDc``) for currents well below ``i_sat``, flattening above. The script runs it
as a single environment under current control and as a batch of environments under speed control,
both driven by the PI cascade of ``gem.controllers``.

Run with ``python examples/custom_motor.py [--steps N] [--num-envs N]``; docs: "Add your own motor".
"""

import argparse
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

import gem
import gem.controllers
from gem.controllers.dc import FAMILIES, SeriesControl
from gem.physical_systems import Motor


def saturated_flux(i, l_e_prime, i_sat):
    """Field flux linkage (Wb): slope ``l_e_prime`` at zero current, at most ``l_e_prime i_sat``."""
    return l_e_prime * i_sat * np.tanh(i / i_sat)


@dataclass(frozen=True, kw_only=True)
class SaturatedSeriesDc(Motor):
    """Series-wound DC motor with a saturating field.

    Equations::

        psi(i) = l_e_prime i_sat tanh(i / i_sat)
        di/dt  = (u - (r_a + r_e) i - psi(i) omega) / (l_a + l_e (1 - tanh²(i / i_sat)))
        T      = psi(i) i
    """

    # physical parameters (SI): the dataclass fields, with defaults
    r_a: float = 16e-3         # armature resistance (Ω)
    r_e: float = 48e-3         # field resistance (Ω)
    l_a: float = 19e-6         # armature inductance (H)
    l_e: float = 5.4e-3        # unsaturated field inductance (H)
    l_e_prime: float = 1.7e-3  # unsaturated mutual inductance (H)
    i_sat: float = 100.0       # saturation current (A)
    j_rotor: float = 0.0025    # rotor inertia (kg m²)

    # names: the ODE state, the reported current and voltage, the converter output it takes
    ode_names: ClassVar = ("i",)
    current_names: ClassVar = ("i",)
    voltage_names: ClassVar = ("u",)
    input_names: ClassVar = ("u",)
    nonnegative_states: ClassVar = ("omega", "torque")      # T = psi(i) i >= 0: it cannot brake
    positive_params: ClassVar = ("r_a", "r_e", "l_a", "l_e", "l_e_prime", "i_sat", "j_rotor")
    default_nominal: ClassVar = {"omega": 300.0, "torque": 12.0, "i": 97.0}
    default_limits: ClassVar = {"omega": 400.0, "torque": 38.0, "i": 210.0}

    def derivative(self, x, u, omega):
        """di/dt from the current ``x[0]``, the terminal voltage ``u[0]`` and the speed."""
        i = x[0]
        saturation = np.tanh(i / self.i_sat)
        inductance = self.l_a + self.l_e * (1.0 - saturation * saturation)
        psi = saturated_flux(i, self.l_e_prime, self.i_sat)
        return ((u[0] - (self.r_a + self.r_e) * i - psi * omega) / inductance,)

    def torque(self, x):
        """T = psi(i) i."""
        return saturated_flux(x[0], self.l_e_prime, self.i_sat) * x[0]


# The PI cascade needs the motor's current loop and torque -> current map: those of a series motor.
FAMILIES[SaturatedSeriesDc] = SeriesControl


def main(steps: int = 2000, num_envs: int = 64) -> None:
    motor = SaturatedSeriesDc()                 # or SaturatedSeriesDc(i_sat=150.0, r_a=0.02, ...)

    # single environment, current control
    env = gem.make_env(motor=motor, task="CC", action_type="Cont")
    policy = gem.controllers.make(env)
    obs, _ = env.reset(seed=0)
    errors, start = [], True
    for _ in range(steps):
        action, _ = policy.predict(obs, episode_start=start)
        obs, reward, terminated, truncated, _ = env.step(action)
        errors.append(env.physical_state[env.state_names.index("i")] - env.references[0])
        start = terminated or truncated
        if start:
            obs, _ = env.reset()
    print(f"single env, current control: {steps} steps, RMS current error "
          f"{np.sqrt(np.mean(np.square(errors[1:]))):.2f} A (limit {env.limits[2]:.0f} A)")

    # vector environment, speed control
    venv = gem.make_vec_env(num_envs=num_envs, motor=motor, task="SC", max_episode_steps=steps)
    policy = gem.controllers.make(venv)
    obs, _ = venv.reset(seed=0)
    start = np.ones(num_envs, dtype=bool)
    rewards = np.zeros(num_envs)
    for _ in range(steps):
        action, _ = policy.predict(obs, episode_start=start)
        obs, reward, terminated, truncated, _ = venv.step(action)
        rewards += reward
        start = terminated | truncated
    print(f"vector env, speed control: {num_envs} envs x {steps} steps, mean reward per step "
          f"{rewards.mean() / steps:+.4f} (0 is perfect tracking)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="steps per run")
    parser.add_argument("--num-envs", type=int, default=64, help="environments in the vector run")
    args = parser.parse_args()
    main(args.steps, args.num_envs)
