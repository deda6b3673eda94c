"""`answers:FILE`: pre-made answers looked up by request id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from witness_evals.common.errors import InputError
from witness_evals.inference import Backend, Completion, GenerationSettings, Request, load_backend


def chat(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def write(path: Path, rows: list[object]) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def test_answers_by_id_and_by_task_tier_sample(tmp_path: Path) -> None:
    file = write(
        tmp_path / "a.jsonl",
        [
            {"id": "rego/git-branch-1|bare|0", "answer": "package x"},
            "",
            {"task": "facts/flag-2", "tier": "context", "sample": 1, "answer": "-k"},
            {"task": "facts/flag-3", "tier": "bare", "answer": ""},
        ],
    )
    backend = load_backend(f"answers:{file}")
    assert isinstance(backend, Backend) and backend.spec == f"answers:{file}"
    requests = [
        Request("facts/flag-2|context|1", chat("q")),
        Request("missing|bare|0", chat("q")),
        Request("rego/git-branch-1|bare|0", chat("q")),
        Request("facts/flag-3|bare|0", chat("q")),
    ]
    seen: list[Completion] = []
    done = backend.generate(requests, GenerationSettings(), on_done=seen.append)
    assert [c.id for c in done] == [r.id for r in requests]
    assert [c.text for c in done] == ["-k", "", "package x", ""]
    assert done[1].error == f"no answer in {file}"
    assert done[0].error is None and done[3].error is None
    assert len(seen) == 4
    assert backend.describe() == {"kind": "answers", "file": str(file), "answers": 3}
    backend.close()


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({"answer": "x"}), 'expected "id"'),
        (json.dumps({"id": "a", "answer": 3}), '"answer" to be a string'),
        (json.dumps({"id": "ok", "answer": "dup"}), "given twice"),
    ],
)
def test_a_bad_line_names_file_and_line(tmp_path: Path, line: str, needle: str) -> None:
    file = write(tmp_path / "bad.jsonl", [{"id": "ok", "answer": "fine"}, "", line])
    with pytest.raises(InputError) as err:
        load_backend(f"answers:{file}")
    assert str(err.value).startswith(f"{file}:3: ")
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("suffix", "pack"), [(".xz", "lzma"), (".gz", "gzip")])
def test_compressed_answers_files_are_read(tmp_path: Path, suffix: str, pack: str) -> None:
    """The committed runs keep their answers as `answers.jsonl.xz`; `answers:` reads them as they are."""
    import gzip
    import lzma

    raw = json.dumps({"id": "t|bare|0", "answer": "witness run"}) + "\n"
    file = tmp_path / f"a.jsonl{suffix}"
    file.write_bytes((lzma if pack == "lzma" else gzip).compress(raw.encode()))
    backend = load_backend(f"answers:{file}")
    assert [c.text for c in backend.generate([Request("t|bare|0", chat("q"))], GenerationSettings())] == [
        "witness run"
    ]
    broken = tmp_path / f"b.jsonl{suffix}"
    broken.write_bytes(b"not compressed")
    with pytest.raises(InputError, match="cannot read"):
        load_backend(f"answers:{broken}")
