"""The splits of a written dataset: their names, reading one back, and the dedup key of a question."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SPLITS = ("train", "valid", "test")

_PUNCT = re.compile(r"[^\w\s]")
_ASCII_PUNCT = str.maketrans({c: " " for c in map(chr, range(128)) if _PUNCT.match(c)})
"""`_PUNCT` on ASCII text as a translation table (one pass in C instead of a match per character)."""


def normalize_question(text: str) -> str:
    """Lower case, punctuation and repeated spaces removed: the dedup key of a question."""
    lowered = text.lower()
    spaced = lowered.translate(_ASCII_PUNCT) if lowered.isascii() else _PUNCT.sub(" ", lowered)
    return " ".join(spaced.split())  # what `\s+` -> " " and strip() leave: str.split's whitespace is `\s`


def hash64(text: str) -> int:
    """A stable 64-bit hash of `text` (set members instead of whole strings keep memory small)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def iter_split(
    out: Path, split: str, start: int = 0, stop: int | None = None
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(meta row, messages) of each line of `<split>.meta.jsonl` and `<split>.jsonl`, streamed (only the
    lines from `start` to before `stop`: those before `start` are skipped unparsed)."""
    chat, meta = out / f"{split}.jsonl", out / f"{split}.meta.jsonl"
    if not chat.exists():
        return
    with chat.open(encoding="utf-8") as fc, meta.open(encoding="utf-8") as fm:
        for line, row in itertools.islice(zip(fc, fm, strict=True), start, stop):
            yield json.loads(row), json.loads(line)["messages"]


def count_lines(out: Path, split: str) -> int:
    """How many examples `<split>.meta.jsonl` holds (0 when there is no such file)."""
    meta = out / f"{split}.meta.jsonl"
    if not meta.exists():
        return 0
    with meta.open("rb") as fh:
        return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
