# Set-up and main jobs. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.gem-installed
# Ray's RLlib pins gymnasium (1.2.2 for Ray 2.60): the Ray tests get their own environment, so the
# core is tested against the newest gymnasium in .venv and against Ray's in .venv-ray.
RAY_VENV ?= .venv-ray
RAY_PY := $(RAY_VENV)/bin/python
RAY_STAMP := $(RAY_VENV)/.gem-installed
RAY_TESTS := tests/ray tests/sweep tests/agents tests/evaluation/test_compare_cli.py tests/envs/test_registered_envs.py \
	"tests/test_examples.py::test_example_runs[rllib_ppo.py]"

CORE_EXTRAS := rl,test,docs
RAY_EXTRAS := ray,test

.PHONY: demo test test-core test-ray lint bench bench-baselines docs clean

# A virtual environment $(1) with gem installed editable with the extras $(2). The CPU build of
# PyTorch goes in first, so stable-baselines3 does not pull the CUDA wheels.
define make_venv
	$(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install --quiet --upgrade pip
	$(1)/bin/python -m pip install --quiet torch==2.13.0
	$(1)/bin/python -m pip install --quiet -e ".[$(2)]"
	touch $(1)/.gem-installed
endef

$(STAMP): pyproject.toml
	$(call make_venv,$(VENV),$(CORE_EXTRAS))

# The main job: DDPG vs the cascaded PI controller on the series DC motor (about 1.5 min after set-up;
# measured runs: docs/comparison.rst).
demo: $(STAMP)
	$(PY) -m gem.compare --out runs/demo

$(RAY_STAMP): pyproject.toml
	$(call make_venv,$(RAY_VENV),$(RAY_EXTRAS))

# The whole suite: the core in .venv, then the Ray sweep, RLlib and the SB3 path under Ray's gymnasium.
test: test-core test-ray

test-core: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

test-ray: $(RAY_STAMP)
	$(RAY_PY) -m pytest -q -m "not slow" $(RAY_TESTS)

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
	rm -rf $(VENV) $(RAY_VENV) build *.egg-info
