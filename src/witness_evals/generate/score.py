"""Score answers to dataset questions with the hidden checks stored next to them (`<split>.meta.jsonl`)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.common.errors import InputError
from witness_evals.generate import families


@dataclass
class ScoreReport:
    """Pass counts per family and the reasons of failures."""

    passed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    total: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    results: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        fams = sorted(self.total)
        n = sum(self.total.values())
        return {
            "overall": {
                "n": n,
                "passed": sum(self.passed.values()),
                "rate": _rate(sum(self.passed.values()), n),
            },
            "families": {
                f: {
                    "n": self.total[f],
                    "passed": self.passed[f],
                    "rate": _rate(self.passed[f], self.total[f]),
                }
                for f in fams
            },
        }


def _rate(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def read_meta(path: Path) -> list[dict[str, Any]]:
    """Rows of a `<split>.meta.jsonl` file; a bad line is an InputError naming file and line."""
    rows = []
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), source=str(path)) from None
    for lineno, line in enumerate(text.splitlines(), 1):
        try:
            row = json.loads(line)
            if not {"id", "family", "check"} <= set(row):
                raise ValueError("needs id, family and check")
        except (ValueError, TypeError) as exc:
            raise InputError(f"bad meta line: {exc}", source=str(path), location=f"line {lineno}") from None
        rows.append(row)
    return rows


def score_answers(
    meta: Iterable[Mapping[str, Any]], answers: Mapping[str, str], *, ctx: ScoreContext | None = None
) -> ScoreReport:
    """Score `answers` (id -> text) against the meta rows; a missing answer counts as failed."""
    report = ScoreReport()
    own = ctx is None
    context = ctx or ScoreContext()
    try:
        for row in meta:
            fam = families.get(row["family"])
            answer = answers.get(row["id"])
            if answer is None:
                ok, reason = False, "no answer"
            else:  # family scorers are `guarded`: they never raise
                s = fam.score(answer, row["check"], context)
                ok, reason = s.ok, s.reason
            report.total[row["family"]] += 1
            report.passed[row["family"]] += int(ok)
            report.results.append({"id": row["id"], "family": row["family"], "ok": ok, "reason": reason})
    finally:
        if own:
            context.close()
    return report
