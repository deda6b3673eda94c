"""Test helper: the file names and paths an answer mentions in code, to check they are grounded."""

from __future__ import annotations

import re

from witness_evals.bench.answers import code_blocks

_TOKEN = re.compile(r"[A-Za-z0-9_.\-/]+")


def file_pattern(extensions: str) -> re.Pattern[str]:
    """A file name ending in one of `extensions` (a regex alternation such as "json|pem")."""
    return re.compile(rf"[\w-]+(\.[\w-]+)*\.({extensions})")


def answer_paths(text: str, files: re.Pattern[str]) -> set[str]:
    """File names (matching `files`) and slash paths in the code of `text` (blocks and inline spans)."""
    spans = [b for _, b in code_blocks(text)]
    spans += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    out = set()
    for span in spans:
        for tok in _TOKEN.findall(span):
            tok = tok.rstrip(".")
            if tok.startswith(("http", "-", "/", ".")) or "//" in tok:
                continue
            if re.fullmatch(r"[\w.-]+(/[\w.-]+)+", tok) or files.fullmatch(tok):
                out.add(tok)
    return out
