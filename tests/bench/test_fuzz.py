"""Hostile answers never crash, stall or pass a scorer, and nothing in them is executed."""

from __future__ import annotations

import random
import time
from pathlib import Path

from witness_evals.bench.fuzz import MAKERS, hostile_answers
from witness_evals.bench.scorers import ScoreContext, score
from witness_evals.bench.suites import hand_tasks


def test_hostile_answers_score_as_failures(tmp_path: Path) -> None:
    canary = tmp_path / "pwned"
    by_type = {}
    for t in hand_tasks():
        by_type.setdefault(t.check["type"], t)
    tasks = list(by_type.values())
    assert {t.check["type"] for t in tasks} >= {"rego", "policy", "command", "qa"}
    with ScoreContext() as ctx:
        for i, (name, answer) in enumerate(
            hostile_answers(random.Random(1), 2 * len(MAKERS) * len(tasks), str(canary))
        ):
            task = tasks[i % len(tasks)]
            t0 = time.perf_counter()
            out = score(task.check, answer, ctx)
            assert time.perf_counter() - t0 < 20, (name, task.id)
            assert not out.passed, (name, task.id, out.reason)
            assert out.outcome in ("no_artifact", "wrong_artifact", "invalid", "partial")
    assert not canary.exists()
