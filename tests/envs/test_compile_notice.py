"""The first environment of a new structure says that its step compiles, once, and that it is cached afterwards."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gem.envs.kernel import toolchain

ROOT = Path(__file__).resolve().parents[2]


def test_a_compile_is_announced_once_per_process_and_not_when_cached(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("GEM_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(toolchain, "_ANNOUNCED", False)
    source = "def kernel(x):\n    return x + 1.0\n"
    with caplog.at_level(logging.INFO, logger="gem"):
        kernel = toolchain.compile_source(source, {}, [], "notice-test", (), False)
        assert kernel(1.0) == 2.0                     # compiles now, and numba writes the disk cache
        [first] = caplog.records
        assert first.levelno == logging.WARNING and "compiling" in first.message and str(tmp_path) in first.message
        assert "setLevel(logging.ERROR)" in first.message            # how to silence it
        caplog.clear()
        toolchain.compile_source(source, {}, [], "notice-test", (), False)      # in the disk cache: no notice
        assert not caplog.records
        toolchain.compile_source(source.replace("1.0", "2.0"), {}, [], "notice-test", (), False, cacheable=False)
        [second] = caplog.records
        assert second.levelno == logging.INFO and "every process" in second.message    # said once, then INFO


@pytest.mark.slow
def test_a_new_user_sees_one_line_then_nothing(tmp_path):
    """Two fresh processes with an empty kernel cache: the first prints one line on stderr, the second none."""
    env = {**os.environ, "GEM_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    code = ("import gymnasium as gym, gem\n"
            "gym.make('gem/Cont-CC-PermExDc-v0').reset(seed=0)\n"
            "gym.make('gem/Cont-SC-PermExDc-v0').reset(seed=0)\n")
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    notices = [line for line in first.stderr.splitlines() if line.startswith("gem: compiling")]
    assert len(notices) == 1 and str(tmp_path) in notices[0]
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0 and "gem: compiling" not in second.stderr
