"""Torch-free file helpers shared by both training backends."""

from __future__ import annotations

from pathlib import Path

from witness_evals.common.jsonio import write_atomic


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` to a temporary sibling and rename it over `path` (readers never see half a file)."""
    write_atomic(path, text)
