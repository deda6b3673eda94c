"""The splits of a written dataset: their names, reading one back, and the dedup key of a question."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SPLITS = ("train", "valid", "test")

_PUNCT = re.compile(r"[^\w\s]")
_WS = re.compile(r"\s+")


def normalize_question(text: str) -> str:
    """Lower case, punctuation and repeated spaces removed: the dedup key of a question."""
    return _WS.sub(" ", _PUNCT.sub(" ", text.lower())).strip()


def hash64(text: str) -> int:
    """A stable 64-bit hash of `text` (set members instead of whole strings keep memory small)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def iter_split(out: Path, split: str) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(meta row, messages) of each line of `<split>.meta.jsonl` and `<split>.jsonl`, streamed."""
    chat, meta = out / f"{split}.jsonl", out / f"{split}.meta.jsonl"
    if not chat.exists():
        return
    with chat.open(encoding="utf-8") as fc, meta.open(encoding="utf-8") as fm:
        for line, row in zip(fc, fm, strict=True):
            yield json.loads(row), json.loads(line)["messages"]
