"""Per-task answer budgets: 1,536 tokens for short references, more (up to the cap) for long ones,
`fixed` for the runs made before budgets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from witness_evals.bench import suites
from witness_evals.bench.budget import BASE_TOKENS, DEFAULT_MAX_TOKENS, PROSE_TOKENS, answer_budget
from witness_evals.bench.run import BenchOptions, request_id, run_bench
from witness_evals.common.errors import InputError


def test_short_references_get_the_base_long_ones_more_never_above_the_cap() -> None:
    tasks = suites.load_suite("default")
    budgets = {t.id: answer_budget(t) for t in tasks}
    assert min(budgets.values()) == BASE_TOKENS and max(budgets.values()) <= DEFAULT_MAX_TOKENS
    x509 = budgets["hand/policy/x509-ca-rotation-and-staging-ca"]
    assert x509 >= 2678 + PROSE_TOKENS  # its reference is 2,678 SmolLM2 tokens
    assert all(b % 256 == 0 for b in budgets.values())
    assert sum(b > BASE_TOKENS for b in budgets.values()) < len(tasks) / 3  # most answers are short
    assert {answer_budget(t, 96) for t in tasks} == {
        96
    }  # a small cap is a cap: a quick smoke run stays quick
    assert all(answer_budget(t, 1536, "fixed") == 1536 for t in tasks)
    with pytest.raises(ValueError, match="reference, fixed"):
        answer_budget(tasks[0], 1536, "huge")
    with pytest.raises(InputError, match="--budget"):
        BenchOptions(budget="huge").validate()


def test_rows_record_budgets_and_old_runs_resume_as_fixed(tmp_path: Path) -> None:
    tasks = suites.load_suite("hand")
    answers = tmp_path / "a.jsonl"
    answers.write_text(
        "".join(json.dumps({"id": request_id(t.id, "bare", 0), "answer": t.reference}) + "\n" for t in tasks)
    )
    out = tmp_path / "run"
    run_bench(f"answers:{answers}", out, BenchOptions(suite="hand", tiers=("bare",)))
    rows = {r["task"]: r for r in map(json.loads, (out / "samples.jsonl").read_text().splitlines())}
    assert rows["hand/policy/x509-ca-rotation-and-staging-ca"]["budget"] > BASE_TOKENS
    assert {r["cut"] for r in rows.values()} == {False}  # the answers backend counts no tokens
    run = json.loads((out / "run.json").read_text())
    assert run["settings"]["budget"] == "reference"
    del run["settings"]["budget"]  # a run made before the setting existed
    (out / "run.json").write_text(json.dumps(run))
    with pytest.raises(InputError, match="budget='fixed'"):
        run_bench(f"answers:{answers}", out, BenchOptions(suite="hand", tiers=("bare",)), resume=True)
    run_bench(
        f"answers:{answers}", out, BenchOptions(suite="hand", tiers=("bare",), budget="fixed"), resume=True
    )
