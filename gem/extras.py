"""Imports of optional dependencies (the package's extras), with an error that says what to install."""

from __future__ import annotations

import importlib
from types import ModuleType

INSTALL_NOTE = "(install the CPU build of torch first, see the README)"


def require(module: str, user: str, extra: str) -> ModuleType:
    """Imports ``module``, or raises an ``ImportError`` naming ``user`` and the extra that provides it.

    Args:
        module: What to import, e.g. ``"ray.tune"``.
        user: The part of gem that needs it, e.g. ``"gem.sweep"``.
        extra: The extra that installs it, e.g. ``"ray"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f'{user} needs {module}: pip install "gem-drives[{extra}]" {INSTALL_NOTE}') from exc
