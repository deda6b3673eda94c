"""Large inputs within the size caps stay linear in time and memory (base64 payloads, JSON depth)."""

from __future__ import annotations

import base64
import json
import os
import re
import time
import tracemalloc

import pytest

from witness_evals.common import jsonio
from witness_evals.common.errors import InputError
from witness_evals.witness.gocompat import go_b64decode


def test_canonical_base64_decodes_in_linear_memory() -> None:
    """The fast-path check used a `(?:[...]{4})*` regex that kept one backtracking frame per quantum:
    1.6 GB and 4.8 s for the 72 MB payload of a 54 MB attestation."""
    raw = os.urandom(6 << 20)
    text = base64.b64encode(raw).decode()
    tracemalloc.start()
    try:
        start = time.monotonic()
        out = go_b64decode(text)
        seconds = time.monotonic() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out == raw
    assert peak < 2 * len(raw), peak
    assert seconds < 2.0


@pytest.mark.parametrize(
    ("text", "want"),
    [("", b""), ("YWJj", b"abc"), ("YWI=", b"ab"), ("YQ==", b"a"), ("YR==", b"a"), ("YWJj\nZA==", b"abcd")],
)
def test_fast_and_slow_base64_paths_agree(text: str, want: bytes) -> None:
    assert go_b64decode(text) == want


@pytest.mark.parametrize(("bad", "pos"), [("Y===", 1), ("YQ=", 3), ("=YQ=", 0), ("YQ==YQ==", 4), ("YQ", 0)])
def test_non_canonical_base64_keeps_go_offsets(bad: str, pos: int) -> None:
    with pytest.raises(ValueError, match=f"at input byte {pos}$"):
        go_b64decode(bad)


def test_json_depth_check_skips_strings_and_stays_fast() -> None:
    deep = "[" * 513 + "]" * 513
    with pytest.raises(InputError, match="nested deeper than 512 levels"):
        jsonio.loads(deep)
    assert jsonio.loads('["' + "[" * 600 + '"]') == ["[" * 600]  # brackets inside a string
    assert jsonio.loads('["\\"' + "[" * 600 + '"]') == ['"' + "[" * 600]  # after an escaped quote
    many = json.dumps([{"path": f"f{i}", "sha256": "ab" * 32} for i in range(100_000)])  # 8 MB
    start = time.monotonic()
    assert jsonio._depth_ok(many)
    assert time.monotonic() - start < 1.0


def test_unterminated_string_does_not_count_its_brackets() -> None:
    with pytest.raises(InputError, match=re.escape("invalid JSON: Unterminated string")):
        jsonio.loads('["a", "' + "[" * 600)
