"""A motor with an extra ODE state: a permanently excited DC motor whose winding heats up.

The winding temperature rise ``theta`` (K above ambient) is a second ODE state: copper losses heat
the winding, a thermal resistance leads the heat away, and the armature resistance grows with the
temperature. gem reports ``theta`` in the state and the observation (divided by its limit), a
constraint on it ends an episode when the winding overheats, and ``reset`` can start it hot.

Run with ``python examples/heated_motor.py [--num-envs N]``; docs: "Add your own motor".
"""

import argparse
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

import gem
import gem.controllers
from gem.controllers.dc import FAMILIES, PermExControl
from gem.envs import ConstReference
from gem.physical_systems import Motor


def hot_resistance(r_a, alpha, theta):
    """Armature resistance (Ω) at a temperature rise ``theta`` (K): ``r_a (1 + alpha theta)``."""
    return r_a * (1.0 + alpha * theta)


@dataclass(frozen=True, kw_only=True)
class HeatedPermExDc(Motor):
    """Permanently excited DC motor with the winding temperature rise as a state.

    Equations::

        r(theta)   = r_a (1 + alpha theta)
        di/dt      = (u - r(theta) i - psi_e omega) / l_a
        dtheta/dt  = (r(theta) i² - theta / r_th) / c_th
        T          = psi_e i
    """

    # physical parameters (SI): GEM's PermExDc, then the thermal ones
    r_a: float = 16e-3         # armature resistance at ambient temperature (Ω)
    l_a: float = 19e-6         # armature inductance (H)
    psi_e: float = 0.165       # permanent-magnet flux linkage (Wb)
    j_rotor: float = 0.025     # rotor inertia (kg m²)
    alpha: float = 3.93e-3     # temperature coefficient of the resistance (1/K; copper)
    c_th: float = 400.0        # heat capacity of the winding (J/K)
    r_th: float = 0.5          # thermal resistance from the winding to ambient (K/W)

    # names: the ODE states (the current first), the reported current and voltage, the converter output
    ode_names: ClassVar = ("i", "theta")
    current_names: ClassVar = ("i",)
    voltage_names: ClassVar = ("u",)
    input_names: ClassVar = ("u",)
    positive_params: ClassVar = ("r_a", "l_a", "j_rotor", "c_th", "r_th")
    nonnegative_params: ClassVar = ("psi_e", "alpha")
    default_nominal: ClassVar = {"omega": 300.0, "torque": 16.0, "i": 97.0}
    default_limits: ClassVar = {"omega": 400.0, "torque": 38.0, "i": 210.0, "theta": 100.0}

    def derivative(self, x, u, omega):
        """di/dt and dtheta/dt."""
        i, theta = x[0], x[1]
        r = hot_resistance(self.r_a, self.alpha, theta)
        di = (u[0] - r * i - self.psi_e * omega) / self.l_a
        dtheta = (r * i * i - theta / self.r_th) / self.c_th
        return di, dtheta

    def torque(self, x):
        """T = psi_e i."""
        return self.psi_e * x[0]


# The PI cascade tunes the current loop from r_a, l_a and psi_e, as for GEM's PermExDc.
FAMILIES[HeatedPermExDc] = PermExControl


def main(num_envs: int = 8) -> None:
    motor = HeatedPermExDc()

    # one environment, current control at 180 A, the winding 99.5 K above ambient at the start
    env = gem.make_env(motor=motor, task="CC", constraints=("i", "theta"),
                       reference=ConstReference(value=180.0 / 210.0))
    print("state names:      ", env.state_names)
    print("observation names:", env.observation_names)
    policy = gem.controllers.make(env)
    obs, _ = env.reset(seed=0, options={"initial_state": {"theta": 99.5}})
    theta = env.state_names.index("theta")
    terminated, steps = False, 0
    while not terminated and steps < 20_000:
        action, _ = policy.predict(obs, episode_start=steps == 0)
        obs, _, terminated, _, _ = env.step(action)
        steps += 1
    state = env.physical_state
    print(f"after {steps * env.tau:.3f} s at {state[2]:.0f} A the winding is {state[theta]:.3f} K above ambient "
          f"(observed as {obs[theta]:.4f} of its 100 K limit); episode ended by the theta constraint: {terminated}")

    # a batch with one thermal resistance per environment, random actions
    venv = gem.make_vec_env(num_envs=num_envs, motor=HeatedPermExDc(r_th=np.linspace(0.2, 1.0, num_envs)),
                            task="CC", max_episode_steps=2000)
    venv.reset(seed=0, options={"initial_state": {"theta": 50.0}})
    rng = np.random.default_rng(0)
    for _ in range(500):
        venv.step(rng.uniform(0.2, 0.35, size=(num_envs, 1)).astype(np.float32))
    print(f"vector env: theta after 0.05 s from 50 K, r_th 0.2 ... 1.0 K/W: "
          f"{np.round(venv.physical_state[:, theta], 3).tolist()} K")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-envs", type=int, default=8, help="environments in the vector run")
    main(parser.parse_args().num_envs)
