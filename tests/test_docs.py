"""The Sphinx documentation builds with warnings as errors (the ``make docs`` command) and shows every id."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import gem

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(importlib.util.find_spec("sphinx") is None, reason="sphinx is not installed (extra 'docs')")
def test_docs_build_without_warnings(tmp_path):
    out = tmp_path / "html"
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "docs", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"sphinx failed:\n{proc.stderr[-6000:]}\n{proc.stdout[-2000:]}"
    table = (out / "environments.html").read_text(encoding="utf-8")
    missing = [env_id for env_id in gem.env_ids() if env_id not in table]
    assert not missing, f"ids missing from the generated environment table: {missing}"
    tutorial = (out / "custom_motor.html").read_text(encoding="utf-8")
    assert "SaturatedSeriesDc" in tutorial and "saturated_flux" in tutorial
    assert "HeatedPermExDc" in tutorial and "hot_resistance" in tutorial          # the extra-state section
    assert "gem.visualization" in (out / "api.html").read_text(encoding="utf-8")
    components = (out / "custom_components.html").read_text(encoding="utf-8")
    assert "MinPulseConverter" in components and "reward_columns" in components and "randomize" in components
