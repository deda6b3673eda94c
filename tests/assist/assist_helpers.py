"""Answers and helpers shared by the assistant tests (a module with a unique name: `conftest` is ambiguous)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

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
    path.write_text(
        "".join(json.dumps({"id": k, "answer": v}) + "\n" for k, v in rows.items()), encoding="utf-8"
    )
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
