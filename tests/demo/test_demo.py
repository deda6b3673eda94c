"""`make demo`: the walk-through succeeds, and the same seed writes byte-identical files."""

from __future__ import annotations

import json
from pathlib import Path

from witness_evals.demo import _grade_flag_answer, build_world, walkthrough


def test_walkthrough_behaves_as_documented(tmp_path: Path) -> None:
    lines: list[str] = []
    assert walkthrough(tmp_path / "demo", seed=3, model=False, say=lines.append)
    text = "\n".join(lines)
    assert "Verification succeeded" in text
    assert "policy expired on 2021-01-01 00:00:00 +0000 UTC" in text
    assert "no signatures in dsse envelope" in text
    assert "EXPECTED" not in text
    stats = json.loads((tmp_path / "demo" / "dataset" / "stats.json").read_text())
    assert sum(stats["examples"].values()) == 140 and stats["rejected"] == {}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    build_world(tmp_path / "a", 11)
    build_world(tmp_path / "b", 11)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b and files_a
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    build_world(tmp_path / "c", 12)
    assert (tmp_path / "c" / "build.attestation.json").read_bytes() != (
        tmp_path / "a" / "build.attestation.json"
    ).read_bytes()


def test_model_answer_grading() -> None:
    assert _grade_flag_answer("Pass it with `-k pub.pem`").startswith("correct")
    assert _grade_flag_answer("use --publickey").startswith("correct")
    assert _grade_flag_answer("use --key").startswith("wrong")
    assert "--policy" in _grade_flag_answer("use --policy")
