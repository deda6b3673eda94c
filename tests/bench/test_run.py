"""The run loop: honesty (oracle 100 %, planted 0 %, empty 0 %), resume, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from witness_evals.bench import suites
from witness_evals.bench.run import BenchOptions, request_id, run_bench
from witness_evals.common.errors import InputError

SUITE = "hand"


def _answers(path: Path, pick: str, tiers: tuple[str, ...] = ("bare", "context")) -> Path:
    rows = []
    for t in suites.load_suite(SUITE):
        for tier in tiers:
            text = {"reference": t.reference, "planted": t.planted, "empty": ""}[pick]
            rows.append(json.dumps({"id": request_id(t.id, tier, 0), "answer": text}))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("pick", "rate"), [("reference", 1.0), ("planted", 0.0), ("empty", 0.0)])
def test_honesty(tmp_path: Path, pick: str, rate: float) -> None:
    answers = _answers(tmp_path / "a.jsonl", pick)
    summary = run_bench(f"answers:{answers}", tmp_path / "run", BenchOptions(suite=SUITE))
    for tier in ("bare", "context"):
        assert summary["tiers"][tier]["pass@1"] == rate, summary["tiers"][tier]
    rows = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert len(rows) == 2 * len(suites.load_suite(SUITE))
    if pick == "empty":
        assert {r["outcome"] for r in rows} == {"no_artifact"}


def test_resume_after_kill_scores_each_answer_once(tmp_path: Path) -> None:
    answers = _answers(tmp_path / "a.jsonl", "reference")
    out = tmp_path / "run"
    calls = {"n": 0}

    def stop_after_two(phase: str, done: int, total: int) -> None:
        if phase == "score":
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_bench(f"answers:{answers}", out, BenchOptions(suite=SUITE), progress=stop_after_two)
    partial = (out / "samples.jsonl").read_text().splitlines()
    assert len(partial) == 2
    with (out / "samples.jsonl").open("a") as fh:
        fh.write('{"id": "torn')  # killed in the middle of a line
    with pytest.raises(InputError, match="--resume"):
        run_bench(f"answers:{answers}", out, BenchOptions(suite=SUITE))
    seen: list[str] = []
    run_bench(
        f"answers:{answers}",
        out,
        BenchOptions(suite=SUITE),
        resume=True,
        progress=lambda p, d, t: seen.append(p),
    )
    n = 2 * len(suites.load_suite(SUITE))
    assert seen.count("score") == n - 2  # only the missing ones were scored
    ids = [json.loads(line)["id"] for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(ids) == len(set(ids)) == n
    answered = [json.loads(line)["id"] for line in (out / "answers.jsonl").read_text().splitlines()]
    assert len(answered) == len(set(answered)) == n


def test_resume_refuses_other_settings_or_suite(tmp_path: Path) -> None:
    answers = _answers(tmp_path / "a.jsonl", "reference", tiers=("bare",))
    out = tmp_path / "run"
    run_bench(f"answers:{answers}", out, BenchOptions(suite=SUITE, tiers=("bare",)))
    with pytest.raises(InputError, match="tiers"):
        run_bench(f"answers:{answers}", out, BenchOptions(suite=SUITE), resume=True)
    info = json.loads((out / "run.json").read_text())
    assert info["suite_version"] == suites.SUITE_VERSION
    # a run of an older suite version (e.g. prompts quoting the old verify summary) is not resumed
    (out / "run.json").write_text(json.dumps({**info, "suite_version": str(int(suites.SUITE_VERSION) - 1)}))
    with pytest.raises(InputError, match="another suite"):
        run_bench(f"answers:{answers}", out, BenchOptions(suite=SUITE, tiers=("bare",)), resume=True)
    info["fingerprint"] = "0" * 64
    (out / "run.json").write_text(json.dumps(info))
    with pytest.raises(InputError, match="another suite"):
        run_bench(f"answers:{answers}", out, BenchOptions(suite=SUITE, tiers=("bare",)), resume=True)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "witness_evals", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_cli_bad_input_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"id": "x", "answer": "y"}\nnot json\n')
    cases = [
        (["bench", "--model", "nope:thing", "--suite", SUITE, "--out", "r1", "--no-progress"], "nope"),
        (
            ["bench", "--model", "answers:bad.jsonl", "--suite", SUITE, "--out", "r2", "--no-progress"],
            "bad.jsonl",
        ),
        (["bench", "--model", "answers:a.jsonl", "--suite", "nosuch", "--out", "r3"], "unknown suite"),
        (["bench", "--model", "answers:a.jsonl", "--suite", SUITE, "--samples", "3"], "--temperature"),
        (["report", "missing-run", "--out", "r.html"], "missing-run"),
    ]
    for args, needle in cases:
        proc = _cli(*args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], (args, proc.stderr)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "x.txt").write_text("keep me")
    _answers(tmp_path / "a.jsonl", "reference")
    proc = _cli(
        "bench",
        "--model",
        "answers:a.jsonl",
        "--suite",
        SUITE,
        "--out",
        "junk",
        "--no-progress",
        cwd=tmp_path,
    )
    assert proc.returncode == 2 and "not empty" in proc.stderr
    assert (tmp_path / "junk" / "x.txt").read_text() == "keep me"


def test_cli_end_to_end_with_report(tmp_path: Path) -> None:
    _answers(tmp_path / "a.jsonl", "reference")
    proc = _cli(
        "bench", "--model", "answers:a.jsonl", "--suite", SUITE, "--out", "run", "--no-progress", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert "100.0%" in proc.stdout
    proc = _cli("report", "run", "--out", "r.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "<html" in (tmp_path / "r.html").read_text().lower()


def test_world_keeps_certificate_issuing_order() -> None:
    from witness_evals.bench.worlds import world_for

    pki = {
        "root": {"key": "rootk", "cn": "Root"},
        "bot": {"key": "leafk", "issuer": "root", "emails": ["a@b.c"]},
    }
    world = world_for(
        {"seed": 1, "steps": [{"name": "build", "signer": "bot"}]},
        {"rootk": "ecdsa-p256:1", "leafk": "ecdsa-p256:2"},
        pki,
        {},
    )
    assert len(world.collections) == 1


def test_unanswered_requests_are_no_answer_not_no_artifact(tmp_path: Path) -> None:
    """A run cut short (or a backend error) leaves requests without an answer: they fail, counted apart."""
    from witness_evals.bench.report import render_report

    answers = _answers(tmp_path / "a.jsonl", "reference", tiers=("bare",))
    lines = answers.read_text(encoding="utf-8").splitlines()
    answers.write_text("\n".join(lines[: len(lines) // 2]) + "\n", encoding="utf-8")  # half answered
    summary = run_bench(f"answers:{answers}", tmp_path / "run", BenchOptions(suite=SUITE, tiers=("bare",)))
    rows = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    missing = [r for r in rows if r["error"]]
    assert len(missing) == len(rows) - len(lines) // 2 > 0
    assert {r["outcome"] for r in missing} == {"no_answer"} and not any(r["passed"] for r in missing)
    assert {r["outcome"] for r in rows if not r["error"]} == {"pass"}
    overall = summary["tiers"]["bare"]["outcomes"]["overall"]
    assert overall["no_answer"] == len(missing) and overall["no_artifact"] == 0
    render_report([tmp_path / "run"], tmp_path / "r.html")
    assert ">no answer<" in (tmp_path / "r.html").read_text(encoding="utf-8")
