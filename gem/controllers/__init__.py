"""Classical drive control: batched PI cascades tuned from the components' parameters.

``gem.controllers.make(env)`` reads the motor, converter, load and task of a gem environment and
returns a policy with Stable-Baselines3's ``predict`` interface::

    policy = gem.controllers.make(env)                 # env: GemEnv (wrapped or not) or GemVectorEnv
    obs, _ = env.reset(seed=0)
    action, _ = policy.predict(obs, episode_start=True)

Modules: :mod:`~gem.controllers.pi` (PI with anti-windup), :mod:`~gem.controllers.tuning`
(technical/symmetrical optimum), :mod:`~gem.controllers.dc` (DC motor loops and torque → current),
:mod:`~gem.controllers.foc` (field-oriented control of PMSM/SynRM), :mod:`~gem.controllers.current`
(current, torque and speed stages), :mod:`~gem.controllers.modulation` (duty cycles and delta-sigma
switching), :mod:`~gem.controllers.cascade` (the policy) and :mod:`~gem.controllers.factory`.
"""

from gem.controllers.cascade import CascadePolicy
from gem.controllers.factory import Tuning, make
from gem.controllers.modulation import ContinuousModulator, DeltaSigmaModulator
from gem.controllers.pi import PIController
from gem.controllers.tuning import PIGains, current_loop, speed_loop, symmetrical_optimum, technical_optimum

__all__ = ["CascadePolicy", "ContinuousModulator", "DeltaSigmaModulator", "PIController", "PIGains", "Tuning",
           "current_loop", "make", "speed_loop", "symmetrical_optimum", "technical_optimum"]
