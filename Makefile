# Set-up and main jobs. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.gem-installed

.PHONY: demo test lint bench bench-baselines docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# CPU build of PyTorch first, so stable-baselines3 does not pull the CUDA wheels.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[rl,test,docs]"
	touch $(STAMP)

# The main job: DDPG vs the cascaded PI controller on the series DC motor (about 1.5 min after set-up;
# measured runs: docs/comparison.rst).
demo: $(STAMP)
	$(PY) -m gem.compare --out runs/demo

test: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

lint: $(STAMP)
	$(PY) -m ruff check gem tests examples benchmarks

bench: $(STAMP)
	$(PY) benchmarks/throughput.py

# The competitors in their own venv (never in .venv), then our benchmark, which prints the ratios.
bench-baselines: $(STAMP)
	test -x .venv-baselines/bin/python || $(PYTHON) -m venv .venv-baselines
	.venv-baselines/bin/pip install -q gym-electric-motor==3.0.3 exciting-environments==0.2.4 jax
	.venv-baselines/bin/python benchmarks/baselines.py
	$(PY) benchmarks/throughput.py

docs: $(STAMP)
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) build *.egg-info
