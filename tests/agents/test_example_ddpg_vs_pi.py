"""examples/ddpg_vs_pi.py runs with a tiny budget."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ddpg_vs_pi.py"


@pytest.mark.slow
def test_example_runs(tmp_path):
    proc = subprocess.run([sys.executable, str(EXAMPLE), "--timesteps", "160", "--eval-episodes", "1",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "PI cascade" in proc.stdout
    assert (tmp_path / "trajectories.png").exists() and (tmp_path / "best_model.zip").exists()
