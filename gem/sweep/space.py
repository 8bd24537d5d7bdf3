"""The hyper-parameter search space of a sweep, read from JSON and checked before Ray starts.

A space is a JSON object mapping DDPG preset fields (:data:`gem.agents.HYPERPARAMETERS`) to a
fixed value or a distribution::

    {
      "learning_rate": {"loguniform": [1e-4, 3e-3]},
      "gamma": {"uniform": [0.4, 0.9]},
      "batch_size": {"choice": [128, 256, 512]},
      "net_arch": {"choice": [[64, 64], [128, 128]]},
      "gradient_steps": {"randint": [1, 8]},
      "noise_sigma": 0.1
    }

``uniform`` and ``loguniform`` take ``[low, high]``; ``randint`` ``[low, high]`` with ``high``
included; ``choice`` a list of values. :func:`configurations` draws the configurations (seeded, so a
sweep is reproducible) and every configuration runs with every id and training seed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gem.evaluation.episodes import parse_env_kwargs

DISTRIBUTIONS = ("uniform", "loguniform", "randint", "choice")
"""The distribution kinds a search space may use."""


@dataclass(frozen=True)
class Dimension:
    """One hyper-parameter of a search space.

    Attributes:
        name: The preset field.
        kind: ``"fixed"`` or one of :data:`DISTRIBUTIONS`.
        args: The fixed value, ``(low, high)``, or the choices.
    """

    name: str
    kind: str
    args: Any

    def sample(self, rng: np.random.Generator) -> Any:
        """A value drawn with ``rng`` (the fixed value as it is)."""
        if self.kind == "fixed":
            return self.args
        if self.kind == "choice":
            value = self.args[int(rng.integers(len(self.args)))]
            return list(value) if isinstance(value, (list, tuple)) else value
        low, high = self.args
        if self.kind == "randint":
            return int(rng.integers(low, high + 1))
        if self.kind == "loguniform":
            return float(np.exp(rng.uniform(np.log(low), np.log(high))))
        return float(rng.uniform(low, high))


def configurations(space: Sequence[Dimension], num_samples: int, seed: int = 0) -> list[dict[str, Any]]:
    """``num_samples`` hyper-parameter configurations drawn from ``space`` (reproducible from ``seed``).

    Every configuration runs with every id and training seed, so the seeds of one configuration
    can be averaged. Without a space there is one configuration: the presets (``{}``).
    """
    if not space:
        return [{}]
    rng = np.random.default_rng(seed)
    return [{d.name: d.sample(rng) for d in space} for _ in range(num_samples)]


def load_space(source: str | Path | Mapping[str, Any] | None) -> tuple[Dimension, ...]:
    """The search space from a JSON file, a JSON text or a mapping (``None``: no search).

    Raises:
        ValueError: Naming the entry that is wrong (unknown field, unknown distribution, bad range).
    """
    if source is None:
        return ()
    if isinstance(source, Mapping):
        data: Any = source
    else:
        text = str(source)
        path = Path(text)
        if not text.lstrip().startswith("{"):
            if not path.exists():
                raise ValueError(f"search space {text!r}: no such file")
            text = path.read_text()
        if not text.strip():
            raise ValueError(f"search space {source!s}: empty; give a JSON object of hyper-parameters")
        try:
            data = parse_env_kwargs(text)
        except ValueError as exc:
            raise ValueError(f"search space {source!s}: {exc}") from None
    if not isinstance(data, Mapping):
        raise ValueError(f"search space must be a JSON object of hyper-parameters, got {type(data).__name__}")
    return tuple(_dimension(name, value) for name, value in data.items())


def _dimension(name: str, value: Any) -> Dimension:
    from gem.agents.presets import HYPERPARAMETERS

    if name in ("timesteps", "num_envs"):
        raise ValueError(f"search space: {name!r} is set by the sweep's own options (--timesteps), not searched")
    if name not in HYPERPARAMETERS:
        raise ValueError(f"search space: unknown hyper-parameter {name!r}; valid: {', '.join(HYPERPARAMETERS)}")
    if not isinstance(value, Mapping):
        return Dimension(name, "fixed", value)
    if len(value) != 1 or next(iter(value)) not in DISTRIBUTIONS:
        raise ValueError(f"search space: {name!r} must be a value or one of "
                         f"{{{', '.join(repr(d) + ': ...' for d in DISTRIBUTIONS)}}}, got {json.dumps(value)}")
    kind, args = next(iter(value.items()))
    if kind == "choice":
        if not isinstance(args, list) or not args:
            raise ValueError(f"search space: {name!r} choice needs a non-empty list, got {json.dumps(args)}")
        return Dimension(name, kind, tuple(args))
    if (not isinstance(args, list) or len(args) != 2
            or not all(isinstance(a, (int, float)) and not isinstance(a, bool) and math.isfinite(a) for a in args)
            or not args[0] < args[1]):
        raise ValueError(f"search space: {name!r} {kind} needs [low, high] with low < high, got {json.dumps(args)}")
    if kind == "loguniform" and args[0] <= 0:
        raise ValueError(f"search space: {name!r} loguniform needs low > 0, got {args[0]}")
    if kind == "randint" and not all(float(a).is_integer() for a in args):
        raise ValueError(f"search space: {name!r} randint needs integer bounds, got {json.dumps(args)}")
    return Dimension(name, kind, (args[0], args[1]) if kind != "randint" else (int(args[0]), int(args[1])))


def check_against_preset(space: tuple[Dimension, ...], env_ids: list[str]) -> None:
    """Checks that the fixed values and the ends of every range are accepted by each id's preset.

    Raises:
        ValueError: Naming the hyper-parameter, the value and the id.
    """
    from gem.agents.presets import preset_for, with_hyperparameters

    for env_id in env_ids:
        preset = preset_for(env_id)
        for dim in space:
            candidates = [dim.args] if dim.kind == "fixed" else list(dim.args)
            for value in candidates:
                try:
                    with_hyperparameters(preset, {dim.name: value})
                except (ValueError, TypeError) as exc:
                    raise ValueError(f"search space: {dim.name}={value!r} for {env_id}: {exc}") from None
