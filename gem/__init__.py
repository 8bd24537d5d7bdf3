"""gem: fast, batched, physically validated Gymnasium environments for electric drives.

``import gem`` registers the ``gem/{Cont,Finite}-{CC,TC,SC}-{Motor}-v0`` ids.
"""

from gem import physical_systems
from gem.envs import (
    GemEnv,
    GemVectorEnv,
    env_ids,
    make_env,
    make_task,
    make_vec_env,
    register_all,
)

__version__ = "0.1.0"

register_all()

__all__ = ["GemEnv", "GemVectorEnv", "env_ids", "make_env", "make_task", "make_vec_env",
           "physical_systems", "register_all"]
