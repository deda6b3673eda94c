"""`jsonio.iter_jsonl`: the one JSON Lines reader behind train data, bench samples and decontamination."""

from __future__ import annotations

from pathlib import Path

import pytest

from witness_evals.common.errors import InputError
from witness_evals.common.jsonio import iter_jsonl


def test_yields_line_numbers_and_skips_blank_lines(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    f.write_bytes(b'{"a": 1}\n\n   \n[2]\n"x"')
    assert list(iter_jsonl(f)) == [(1, {"a": 1}), (4, [2]), (5, "x")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"a": 1}\n{"a": NaN}\n', "line 2: invalid JSON: invalid JSON value NaN"),
        (b'{"a": 1}\n{"a": \xff}\n', "line 2: invalid UTF-8"),
        (b"{}\n{\n", "line 2: invalid JSON: Expecting property name"),
    ],
)
def test_bad_line_names_file_and_line(tmp_path: Path, data: bytes, message: str) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_bytes(data)
    with pytest.raises(InputError) as exc:
        list(iter_jsonl(f))
    assert str(exc.value).startswith(f"{f}:{message}")


def test_missing_directory_and_oversized_files(tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    big.write_bytes(b"{}\n" * 10)
    cases = [(tmp_path / "nope.jsonl", None, "no such file"), (tmp_path, None, "is a directory")]
    cases.append((big, 29, "file is too large (30 bytes)"))
    for path, cap, message in cases:
        with pytest.raises(InputError) as exc:
            list(iter_jsonl(path, max_bytes=cap))
        assert str(exc.value) == f"{path}: {message}"
    assert len(list(iter_jsonl(big, max_bytes=30))) == 10
