"""Classical drive control: batched PI cascades tuned from the components' parameters.

``gem.controllers.make(env)`` reads the motor, converter, load and task of a gem environment and
returns a policy with Stable-Baselines3's ``predict`` interface::

    policy = gem.controllers.make(env)                 # env: GemEnv (wrapped or not) or GemVectorEnv
    obs, _ = env.reset(seed=0)
    action, _ = policy.predict(obs, episode_start=True)

The cascade is speed → torque → current(s) → voltage → action; each stage runs on named SI
signals read from the normalised observation. Modules:

* :mod:`~gem.controllers.pi`: batched PI with output limits and anti-windup;
* :mod:`~gem.controllers.tuning`: technical and symmetrical optimum from R, L, J and ``tau``;
* :mod:`~gem.controllers.dc`: DC motor current loops, EMF feed-forward, torque → current;
* :mod:`~gem.controllers.foc`: field-oriented dq current control on a frame (decoupling, voltage
  limitation to what the B6 bridge can produce), the PMSM/SynRM rotor frame;
* :mod:`~gem.controllers.operating_point`: MTPA torque → dq currents with field weakening;
* :mod:`~gem.controllers.induction`: SCIM and DFIM, rotor-flux oriented: flux observer, flux loop;
* :mod:`~gem.controllers.eesm`: EESM, d, q and field loops with decoupling;
* :mod:`~gem.controllers.six_phase`: six-phase PMSM, d, q, x and y loops;
* :mod:`~gem.controllers.machines`: which of these each AC motor gets;
* :mod:`~gem.controllers.current`: the current, torque and speed stages;
* :mod:`~gem.controllers.modulation`: duty cycles, and delta-sigma switching for finite converters;
* :mod:`~gem.controllers.signals`, :mod:`~gem.controllers.cascade`, :mod:`~gem.controllers.factory`:
  observation → signals, the policy, and :func:`make`.
"""

from gem.controllers.cascade import CascadePolicy
from gem.controllers.factory import Tuning, make
from gem.controllers.modulation import ContinuousModulator, DeltaSigmaModulator
from gem.controllers.pi import PIController
from gem.controllers.tuning import PIGains, current_loop, speed_loop, symmetrical_optimum, technical_optimum

__all__ = ["CascadePolicy", "ContinuousModulator", "DeltaSigmaModulator", "PIController", "PIGains", "Tuning",
           "current_loop", "make", "speed_loop", "symmetrical_optimum", "technical_optimum"]
