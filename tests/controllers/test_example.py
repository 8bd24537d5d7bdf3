"""examples/pi_control.py runs and writes its plot."""

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pi_control.py"


def test_pi_control_example(tmp_path):
    spec = importlib.util.spec_from_file_location("pi_control", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    base, t, states, refs, current_refs = module.run(seconds=0.05)
    assert len(t) == len(states) == 501
    out = tmp_path / "pi.png"
    module.plot(base, t, states, refs, current_refs, out=str(out))
    assert out.stat().st_size > 10_000
