"""Sphinx configuration of the gem documentation (``make docs``).

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` (warnings are errors).
``_ext/gem_docs.py`` generates the environment table, the API pages and the comparison and
benchmark sections from the installed package at build time.
"""

import importlib.util
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))           # the repository's gem, also when it is not installed
os.environ.setdefault("MPLBACKEND", "Agg")

import gem  # noqa: E402

project = "gem"
author = "gem developers"
copyright = "gem developers"
release = version = gem.__version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode", "gem_docs"]
exclude_patterns = ["_build"]
templates_path = []

# Google-style docstrings; class "Attributes:" become instance-variable fields (no duplicate entries).
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"
autodoc_preserve_defaults = True
# The optional extra ``rl`` (gem.agents, gem.compare): document it even where it is not installed.
autodoc_mock_imports = [m for m in ("stable_baselines3", "torch") if importlib.util.find_spec(m) is None]

# Pages whose content is generated from the package (re-read on every build).
gem_volatile_docs = ["environments", "controllers", "comparison", "benchmarks", "api"]

html_theme = "alabaster"
html_static_path = ["_static"]
html_css_files = ["gem.css"]
html_title = f"gem {release}"
html_theme_options = {
    "description": "Electric drives as fast, batched Gymnasium environments",
    "page_width": "1180px",
    "sidebar_width": "230px",
    "fixed_sidebar": True,
}
