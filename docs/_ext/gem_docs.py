"""Sphinx directives that generate parts of the gem docs from the package at build time.

* ``.. gem-env-table::`` — one section per motor of the id table, with a row per registered id
  (converter, action space, observations, reward, constraints, default load, episode length),
  built by instantiating the tasks of ``gem.env_ids()``.
* ``.. gem-submodules:: package`` — ``automodule`` of every submodule of a package, so modules
  that appear later are documented without editing the docs.
* ``.. gem-figures:: pattern`` — the images in ``_static/`` matching a glob, or a note if none exist.
* ``.. gem-command-help:: module`` — the ``--help`` text of ``python -m module``, or a note when the
  module is not part of the installed package.
* ``.. gem-benchmark-results:: path`` — a table of a ``benchmarks/throughput.py`` JSON file, if present.

Pages with generated content are re-read on every build (``gem_volatile_docs`` in ``conf.py``).
"""

from __future__ import annotations

import dataclasses
import glob
import importlib
import importlib.util
import json
import os
import pkgutil
import subprocess
import sys
from collections.abc import Iterable

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

logger = logging.getLogger(__name__)


def _lit(items: Iterable[str]) -> str:
    return ", ".join(f"``{x}``" for x in items)


def _num(x: float) -> str:
    return f"{float(x):.4g}"


class _GeneratedRst(SphinxDirective):
    """Base: subclasses return reST lines, parsed in place (titles allowed)."""

    def lines(self) -> list[str]:
        """The generated reST, one line per entry."""
        raise NotImplementedError

    def run(self) -> list[nodes.Node]:
        content = StringList()
        source = f"<{self.name} in {self.env.docname}>"
        for k, line in enumerate(self.lines()):
            content.append(line, source, k)
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, content, node)
        return node.children


# ---------------------------------------------------------------------------------- env table
def _load_text(load) -> str:
    fields = ", ".join(f"{f.name}={_num(getattr(load, f.name))}" for f in dataclasses.fields(load)
                       if f.init and isinstance(getattr(load, f.name), (int, float)))
    return f"``{type(load).__name__}({fields})``"


def _constraint_text(c) -> str:
    names = tuple(c.names)
    if type(c).__name__ == "SquaredConstraint":
        return " + ".join(f"(``{n}``/limit)²" for n in names) + " > 1"
    return f"``|{names[0]}|`` > limit" if len(names) == 1 else f"any of {_lit(names)} beyond ± limit"


def _reference_text(task, g) -> str:
    """Range of a reference, and the acceleration and torque slope of an S-curve speed reference."""
    text = f"reference in [{_num(g.low)}, {_num(g.high)}] × limit"
    if g.state == "omega" and getattr(g, "acceleration", None):
        limit, inertia = float(task.drive.motor.limits["omega"]), float(task.drive.j_total)
        text += (f", S-curve moves: acceleration ≤ {_num(g.acceleration * limit)} rad/s², torque slope ≤ "
                 f"{_num(g.jerk * limit * inertia)} N·m/s")
    return text


def _reward_text(task) -> str:
    rw = task.reward
    parts = [f"``{g.state}``: w = {_num(w)}, {_reference_text(task, g)}"
             for g, w in zip(task.references, rw.weights, strict=True)]
    return "; ".join(parts) + f"; violation: {_num(rw.penalty)}"


def _values_text(drive, table, names) -> str:
    from gem.visualization import state_unit

    return ", ".join(f"``{n}`` {_num(v)} {state_unit(n)}".rstrip()
                     for n, v in zip(drive.state_names, table, strict=True) if n in names)


class EnvTable(_GeneratedRst):
    """Sections per motor with one row per registered id.

    The limits and nominal values are stated once per motor when every id of the motor has the
    same; otherwise each row gets a limits column.
    """

    def lines(self) -> list[str]:
        """The reST of every motor's section."""
        import gymnasium as gym

        import gem

        self.env.note_dependency(os.path.abspath(gem.__file__))
        by_motor: dict[str, list[str]] = {}
        for env_id in gem.env_ids():
            by_motor.setdefault(gym.spec(env_id).kwargs["motor"], []).append(env_id)
        out: list[str] = []
        for motor, ids in by_motor.items():
            tasks = {env_id: gem.make_task(**gym.spec(env_id).kwargs) for env_id in ids}
            drive = next(iter(tasks.values())).drive
            limits = {env_id: _values_text(t.drive, t.drive.limits(1)[0], t.drive.state_names)
                      for env_id, t in tasks.items()}
            shared = len(set(limits.values())) == 1
            nominal = _values_text(drive, drive.nominal(1)[0],
                                   [n for n in drive.motor.nominal if n not in drive.motor.voltage_names])
            cls = type(drive.motor)
            out += [motor, "~" * len(motor), "",
                    f"Motor :class:`~{cls.__module__}.{cls.__name__}`, supply "
                    f"{_num(drive.supply.u_nominal)} V. States (GEM order): {_lit(drive.state_names)}.", ""]
            if shared:
                out += [f"*Limits* (normalisers of the observations): {limits[ids[0]]}.", ""]
            out += [f"*Nominal values*: {nominal}.", "",
                    ".. list-table::", "   :header-rows: 1", "   :class: gem-env-table", "",
                    "   * - id", "     - converter", "     - action space", "     - observation",
                    "     - reward (referenced states)", "     - terminates when", "     - default load",
                    "     - episode"] + ([] if shared else ["     - limits"])
            for env_id, task in tasks.items():
                steps = gym.spec(env_id).max_episode_steps
                tau = task.drive.tau
                episode = f"{steps} steps × τ = {_num(tau)} s" if steps else f"τ = {_num(tau)} s, no time limit"
                cons = "; ".join(_constraint_text(c) for c in task.constraints) or "never"
                out += [f"   * - ``{env_id}``", f"     - {task.drive.converter.name}",
                        f"     - ``{task.action_space}``", f"     - {_lit(task.observation_names)}",
                        f"     - {_reward_text(task)}", f"     - {cons}", f"     - {_load_text(task.drive.load)}",
                        f"     - {episode}"] + ([] if shared else [f"     - {limits[env_id]}"])
            out.append("")
        return out


# ---------------------------------------------------------------------------------- submodules
def _automodule(name: str, underline: str, members: bool = True, no_index: bool = False) -> list[str]:
    out = [f"``{name}``", underline * (len(name) + 4), "", f".. automodule:: {name}"]
    if members:
        out += ["   :members:", "   :show-inheritance:"]
    if no_index:
        out.append("   :no-index:")
    return out + [""]


class Submodules(_GeneratedRst):
    """``automodule`` with members for every module of a package (subpackages too with ``:recursive:``).

    A subpackage gets a section with its own docstring (its re-exports are documented where they
    are defined) and one subsection per module; modules named in ``:exclude:`` or starting with an
    underscore are left out. ``:no-index:`` is for a second listing of modules documented elsewhere.
    """

    required_arguments = 1
    option_spec = {"exclude": lambda s: [x.strip() for x in s.split(",") if x.strip()],
                   "recursive": lambda s: True, "no-index": lambda s: True}

    def lines(self) -> list[str]:
        """The reST of the package's modules."""
        exclude = set(self.options.get("exclude", []))
        recursive, no_index = "recursive" in self.options, "no-index" in self.options
        out: list[str] = []
        for full, is_pkg in self._children(self.arguments[0], exclude):
            if is_pkg and recursive:
                out += _automodule(full, "-", members=False, no_index=no_index)
                for sub, _ in self._children(full, exclude):
                    out += _automodule(sub, "^", no_index=no_index)
            elif not is_pkg:
                out += _automodule(full, "-" if recursive else "^", no_index=no_index)
        return out

    @staticmethod
    def _children(name: str, exclude: set[str]) -> list[tuple[str, bool]]:
        package = importlib.import_module(name)
        found = sorted(pkgutil.iter_modules(package.__path__), key=lambda m: (m.ispkg, m.name))
        return [(f"{name}.{m.name}", m.ispkg) for m in found
                if not m.name.startswith("_") and f"{name}.{m.name}" not in exclude]


# ---------------------------------------------------------------------------------- figures
class Figures(_GeneratedRst):
    """Images from ``_static`` matching a glob; a note when there are none yet."""

    required_arguments = 1
    option_spec = {"missing": str}

    def lines(self) -> list[str]:
        """Figure directives, or a note."""
        static = os.path.join(self.env.srcdir, "_static")
        files = sorted(glob.glob(os.path.join(static, self.arguments[0])))
        files = [f for f in files if f.lower().endswith((".png", ".svg", ".jpg", ".jpeg", ".gif"))]
        for f in files:
            self.env.note_dependency(f)
        if not files:
            return [".. note::", "", "   " + self.options.get("missing", "No figures have been generated yet."), ""]
        out = []
        for f in files:
            rel = "/" + os.path.relpath(f, self.env.srcdir).replace(os.sep, "/")
            caption = os.path.splitext(os.path.basename(f))[0].replace("_", " ")
            out += [f".. figure:: {rel}", "   :width: 100%", "", f"   {caption}", ""]
        return out


# ---------------------------------------------------------------------------------- command help
class CommandHelp(_GeneratedRst):
    """``python -m <module> --help`` as a literal block, or a note when the module does not exist."""

    required_arguments = 1
    option_spec = {"missing": str}

    def lines(self) -> list[str]:
        """A code block with the help text, or a note."""
        module = self.arguments[0]
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            note = self.options.get("missing", f"``{module}`` is not part of this installation.")
            return [".. note::", "", f"   {note}", ""]
        env = {**os.environ, "COLUMNS": "100", "MPLBACKEND": "Agg"}
        proc = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True,
                              timeout=300, env=env)
        if proc.returncode != 0:
            logger.warning(f"python -m {module} --help failed ({proc.returncode}): {proc.stderr.strip()[-500:]}",
                           location=(self.env.docname, self.lineno))
            return []
        return [".. code-block:: text", f"   :caption: python -m {module} --help", ""] + \
            ["   " + line for line in proc.stdout.rstrip().splitlines()] + [""]


# ---------------------------------------------------------------------------------- benchmarks
def _flatten(row: dict, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + " "))
        else:
            flat[name] = value
    return flat


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else _num(value)
    if value == "":
        return "—"          # not measured for this row (an empty literal would read as a transition)
    return f"``{value}``" if isinstance(value, str) else str(value)


class BenchmarkResults(_GeneratedRst):
    """The throughput JSON written by ``benchmarks/throughput.py``, as a table, if the file exists."""

    required_arguments = 1

    def lines(self) -> list[str]:
        """A list table of the results, or a note."""
        path = os.path.normpath(os.path.join(self.env.srcdir, self.arguments[0]))
        if not os.path.exists(path):
            return [".. note::", "",
                    f"   No results file (``{os.path.relpath(path, os.path.dirname(self.env.srcdir))}``) was "
                    "present when these pages were built: run the benchmark to produce one.", ""]
        self.env.note_dependency(path)
        with open(path) as f:
            data = json.load(f)
        rows = [_flatten(r) for r in data.get("results", [])]
        columns: list[str] = []
        for r in rows:
            columns += [c for c in r if c not in columns]
        out = ["Measured on: " + ", ".join(f"{k} = {v}" for k, v in data.get("meta", {}).items()) + ".", ""]
        if rows:
            out += [".. list-table::", "   :header-rows: 1", ""]
            out += [f"   * - {columns[0]}"] + [f"     - {c}" for c in columns[1:]]
            for r in rows:
                cells = [_cell(r.get(c, "")) for c in columns]
                out += [f"   * - {cells[0]}"] + [f"     - {c}" for c in cells[1:]]
            out.append("")
        other = _flatten({k: v for k, v in data.items() if k not in ("meta", "results")})
        if other:
            out += ["Also measured:", ""] + [f"* {k.replace('_', ' ')}: {_cell(v)}" for k, v in other.items()] + [""]
        return out


# ---------------------------------------------------------------------------------- setup
def _volatile(app: Sphinx, env, added, changed, removed) -> list[str]:
    """Pages with generated content are re-read on every build."""
    return [d for d in app.config.gem_volatile_docs if d in env.found_docs]


def setup(app: Sphinx) -> dict:
    """Registers the directives."""
    app.add_config_value("gem_volatile_docs", [], "env")
    app.add_directive("gem-env-table", EnvTable)
    app.add_directive("gem-submodules", Submodules)
    app.add_directive("gem-figures", Figures)
    app.add_directive("gem-command-help", CommandHelp)
    app.add_directive("gem-benchmark-results", BenchmarkResults)
    app.connect("env-get-outdated", _volatile)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
