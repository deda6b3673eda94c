"""`answers:FILE`: pre-made answers, one JSON object a line, looked up by request id (FILE may be
xz- or gzip-compressed: `.xz`, `.gz`, as the committed runs under results/ are)."""

from __future__ import annotations

import gzip
import json
import lzma
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from witness_evals.common.errors import InputError
from witness_evals.inference._types import Completion, GenerationSettings, OnDone, Request


def answer_id(row: dict[str, Any]) -> str | None:
    """`row["id"]`, or `TASK|TIER|SAMPLE` from `task`, `tier`, `sample` (sample defaults to 0)."""
    if isinstance(row.get("id"), str):
        return str(row["id"])
    if isinstance(row.get("task"), str) and isinstance(row.get("tier"), str):
        sample = row.get("sample", 0)
        if isinstance(sample, int) and not isinstance(sample, bool):
            return f"{row['task']}|{row['tier']}|{sample}"
    return None


def read_answers(path: Path) -> dict[str, str]:
    """id -> answer; `InputError` naming `FILE:LINE` for a line that is not such an object."""
    source = str(path)
    if not path.is_file():
        raise InputError("no such answers file", source=source)
    answers: dict[str, str] = {}
    try:
        lines = _read_text(path).splitlines()
    except (OSError, UnicodeDecodeError, EOFError, lzma.LZMAError) as exc:
        raise InputError(f"cannot read: {exc}", source=source) from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise InputError(f"invalid JSON: {exc}", source=source, location=str(number)) from None
        if not isinstance(row, dict):
            raise InputError("expected a JSON object", source=source, location=str(number))
        key = answer_id(row)
        if key is None:
            raise InputError(
                'expected "id" (or "task", "tier" and "sample")', source=source, location=str(number)
            )
        if not isinstance(row.get("answer"), str):
            raise InputError('expected "answer" to be a string', source=source, location=str(number))
        if key in answers:
            raise InputError(f"answer for {key!r} given twice", source=source, location=str(number))
        answers[key] = row["answer"]
    return answers


def _read_text(path: Path) -> str:
    if path.suffix == ".xz":
        return lzma.decompress(path.read_bytes()).decode("utf-8")
    if path.suffix == ".gz":
        return gzip.decompress(path.read_bytes()).decode("utf-8")
    return path.read_text(encoding="utf-8")


class AnswersBackend:
    """Answers read from a JSONL file; a request with no answer gets `error="no answer in FILE"`."""

    def __init__(self, spec: str, path: Path) -> None:
        self.spec = spec
        self.path = path
        self.answers = read_answers(path)

    def describe(self) -> dict[str, Any]:
        return {"kind": "answers", "file": str(self.path), "answers": len(self.answers)}

    def generate(
        self, requests: Sequence[Request], settings: GenerationSettings, on_done: OnDone | None = None
    ) -> list[Completion]:
        out: list[Completion] = []
        for request in requests:
            start = time.perf_counter()
            text = self.answers.get(request.id)
            done = Completion(
                id=request.id,
                text=text or "",
                prompt_tokens=None,
                completion_tokens=None,
                seconds=time.perf_counter() - start,
                error=None if text is not None else f"no answer in {self.path}",
            )
            out.append(done)
            if on_done is not None:
                on_done(done)
        return out

    def close(self) -> None:
        return None
