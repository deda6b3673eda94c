"""`bench --fix N`: every round recorded, the round that fixed an answer counted there, resume."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from witness_evals.assist import Checker, bench_fixer
from witness_evals.bench.run import BenchOptions, request_id, run_bench, select_tasks
from witness_evals.bench.scorers import NOW
from witness_evals.common.errors import InputError

OPTIONS = BenchOptions(suite="hand", limit=8, tiers=("bare",), fix=2)


def _script(path: Path) -> tuple[Path, str, str, int]:
    """Answers for OPTIONS' tasks: task A is wrong (its own checks catch it) and right after one fix
    round; task B is wrong twice, right after two; every other task is right at once."""
    tasks = select_tasks(OPTIONS)
    with Checker(now=NOW) as checker:
        caught = [
            t
            for t in tasks
            if t.planted
            and not checker.check(t.planted).passed
            and checker.check(t.planted).n_artifacts
            and checker.check(t.reference).passed
        ]
    assert len(caught) >= 2, [t.id for t in tasks]
    a, b = caught[0], caught[1]
    rows: dict[str, str] = {}
    for t in tasks:
        rid = request_id(t.id, "bare", 0)
        if t is a:
            rows |= {rid: t.planted, f"{rid}#fix1": t.reference}
        elif t is b:
            rows |= {rid: t.planted, f"{rid}#fix1": t.planted, f"{rid}#fix2": t.reference}
        else:
            rows[rid] = t.reference
    path.write_text("".join(json.dumps({"id": k, "answer": v}) + "\n" for k, v in rows.items()))
    return path, a.id, b.id, len(tasks)


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_wrong_answer_fixed_in_round_k_counts_from_round_k(tmp_path: Path) -> None:
    answers, a, b, n = _script(tmp_path / "answers.jsonl")
    fixer = bench_fixer(witness_version=OPTIONS.witness_version, now=NOW)
    summary = run_bench(f"answers:{answers}", tmp_path / "run", OPTIONS, fixer=fixer)
    samples = {r["task"]: r for r in _rows(tmp_path / "run" / "samples.jsonl")}
    fix_a, fix_b = samples[a]["fix"], samples[b]["fix"]
    assert fix_a["passed_by_rounds"] == [False, True, True] and fix_a["passed_round"] == 1
    assert fix_a["self_check_passed_round"] == 1 and fix_a["kept_round"] == 1 and fix_a["rounds_run"] == 1
    assert [r["round"] for r in fix_a["rounds"]] == [0, 1]
    assert not fix_a["rounds"][0]["self_check_passed"] and fix_a["rounds"][0]["self_check_failed"]
    assert fix_a["rounds"][0]["outcome"] != "pass" and fix_a["rounds"][1]["outcome"] == "pass"
    assert samples[a]["passed"] and samples[a]["answer"] == fix_a["rounds"][1]["answer"]
    assert fix_b["passed_by_rounds"] == [False, False, True] and fix_b["passed_round"] == 2
    assert fix_b["kept_after"] == [0, 0, 2]
    others = [r for t, r in samples.items() if t not in (a, b)]
    assert all(r["fix"]["passed_round"] == 0 and r["fix"]["rounds_run"] == 0 for r in others)
    bare = summary["fix"]["tiers"]["bare"]
    assert bare["pass@1_by_fix_rounds"] == [round((n - 2) / n, 4), round((n - 1) / n, 4), 1.0]
    assert bare["pass@1_by_fix_rounds"][-1] == summary["tiers"]["bare"]["pass@1"]
    assert bare["entered_fix_rounds"] == 2 and bare["fixed"] == 2 and bare["broken"] == 0
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["fix"] == summary["fix"]
    asked = [r["id"] for r in _rows(tmp_path / "run" / "answers.jsonl")]
    assert len(asked) == len(set(asked)) == n + 3  # n first answers, 1 fix round for A, 2 for B


def test_a_killed_fix_run_resumes_without_asking_twice(tmp_path: Path) -> None:
    answers, _a, _b, n = _script(tmp_path / "answers.jsonl")
    fixer = bench_fixer(witness_version=OPTIONS.witness_version, now=NOW)
    out = tmp_path / "run"

    def kill_in_round_1(phase: str, done: int, total: int) -> None:
        if phase == "fix 1" and done == 1:  # A's or B's first fix recorded, the other's not asked
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_bench(f"answers:{answers}", out, OPTIONS, fixer=fixer, progress=kill_in_round_1)
    before = [r["id"] for r in _rows(out / "answers.jsonl")]
    assert len(before) == n + 1 and not (out / "samples.jsonl").exists()
    phases: list[str] = []
    summary = run_bench(
        f"answers:{answers}",
        out,
        OPTIONS,
        fixer=fixer,
        resume=True,
        progress=lambda p, d, t: phases.append(p),
    )
    assert phases.count("answer") == 0 and phases.count("fix 1") == 1 and phases.count("fix 2") == 1
    after = [r["id"] for r in _rows(out / "answers.jsonl")]
    assert after[: len(before)] == before and len(after) == len(set(after)) == n + 3
    assert summary["fix"]["tiers"]["bare"]["pass@1_by_fix_rounds"][-1] == 1.0
    with pytest.raises(InputError, match="fix=2"):
        run_bench(f"answers:{answers}", out, replace(OPTIONS, fix=1), fixer=fixer, resume=True)
    with pytest.raises(InputError, match="--fix"):
        run_bench(f"answers:{answers}", tmp_path / "r2", BenchOptions(suite="hand", fix=9), fixer=fixer)
    with pytest.raises(ValueError, match="fixer"):
        run_bench(f"answers:{answers}", tmp_path / "r3", OPTIONS)


def test_cli_bench_fix_prints_pass_at_1_per_round(tmp_path: Path) -> None:
    answers, _a, _b, n = _script(tmp_path / "answers.jsonl")
    args = ["bench", "--model", f"answers:{answers}", "--suite", "hand", "--limit", "8", "--tiers", "bare"]
    proc = subprocess.run(
        [sys.executable, "-m", "witness_evals", *args, "--fix", "2", "--out", "run", "--no-progress"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    first, once = 100 * (n - 2) / n, 100 * (n - 1) / n
    assert f"fix rounds (bare): pass@1 {first:.1f}% -> {once:.1f}% -> 100.0% after 0..2 rounds" in proc.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "witness_evals", *args, "--fix", "7", "--out", "r2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and bad.stderr.strip() == "error: --fix must be between 0 and 5"


def test_fix_rounds_can_start_from_a_finished_runs_answers(tmp_path: Path) -> None:
    answers, _a, _b, _n = _script(tmp_path / "answers.jsonl")
    plain = run_bench(f"answers:{answers}", tmp_path / "plain", replace(OPTIONS, fix=0))
    fixer = bench_fixer(witness_version=OPTIONS.witness_version, now=NOW)
    phases: list[str] = []
    summary = run_bench(
        f"answers:{answers}",
        tmp_path / "fix",
        OPTIONS,
        fixer=fixer,
        first_answers=tmp_path / "plain",
        progress=lambda p, d, t: phases.append(p),
    )
    assert "answer" not in phases and phases.count("fix 1") == 2 and phases.count("fix 2") == 1
    bare = summary["fix"]["tiers"]["bare"]["pass@1_by_fix_rounds"]
    assert bare[0] == plain["tiers"]["bare"]["pass@1"] and bare[-1] == 1.0
    with pytest.raises(InputError, match="answers of model"):
        run_bench(
            "answers:other.jsonl", tmp_path / "f2", OPTIONS, fixer=fixer, first_answers=tmp_path / "plain"
        )
    assert not (tmp_path / "f2").exists()  # refused before anything is written
    with pytest.raises(InputError, match="max_new_tokens=4096, not 99"):
        run_bench(
            f"answers:{answers}",
            tmp_path / "f3",
            replace(OPTIONS, max_new_tokens=99),
            fixer=fixer,
            first_answers=tmp_path / "plain",
        )
    with pytest.raises(InputError, match="not a witness-bench run"):
        run_bench(f"answers:{answers}", tmp_path / "f4", OPTIONS, fixer=fixer, first_answers=tmp_path)


def test_first_answers_from_a_run_cut_short_asks_the_rest(tmp_path: Path) -> None:
    answers, _a, _b, _n = _script(tmp_path / "answers.jsonl")
    run_bench(f"answers:{answers}", tmp_path / "plain", replace(OPTIONS, fix=0))
    lines = (tmp_path / "plain" / "answers.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "plain" / "answers.jsonl").write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
    kept = {json.loads(line)["id"] for line in lines[: len(lines) // 2]}
    phases: list[str] = []
    run_bench(
        f"answers:{answers}",
        tmp_path / "fix",
        OPTIONS,
        fixer=bench_fixer(witness_version=OPTIONS.witness_version, now=NOW),
        first_answers=tmp_path / "plain",
        progress=lambda p, d, t: phases.append(p),
    )
    assert "answer" in phases  # the missing first answers were asked
    first = [r["id"] for r in _rows(tmp_path / "fix" / "answers.jsonl") if r["round"] == 0]
    assert set(first) >= kept and len(first) == len(lines) == len(set(first))
