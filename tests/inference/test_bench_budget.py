"""witness-bench's answer budgets against the real tokenizer and model (SmolLM2-135M on CPU)."""

from __future__ import annotations

import json
from pathlib import Path

from witness_evals.bench import suites
from witness_evals.bench.budget import PROSE_TOKENS, answer_budget
from witness_evals.bench.run import BenchOptions, run_bench


def test_every_reference_answer_fits_its_budget_with_room_for_prose(default_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(default_model_dir))
    short = []
    for task in suites.load_suite("default"):
        tokens = len(tokenizer(task.reference)["input_ids"])
        if answer_budget(task) - tokens < PROSE_TOKENS:
            short.append((task.id, tokens, answer_budget(task)))
    assert not short, short[:5]


def test_answers_that_fail_at_their_budget_are_marked_cut(tmp_path: Path, default_model_dir: Path) -> None:
    options = BenchOptions(suite="default", limit=3, tiers=("bare",), max_new_tokens=6, budget="fixed")
    summary = run_bench(
        f"hf:{default_model_dir}", tmp_path / "run", options, backend_options={"device": "cpu"}
    )
    rows = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert len(rows) == 3 and {r["budget"] for r in rows} == {6}
    cut = [r for r in rows if r["cut"]]
    assert cut and all(r["completion_tokens"] == 6 and not r["passed"] for r in cut)
    assert summary["tiers"]["bare"]["cut"]["overall"] == len(cut)
