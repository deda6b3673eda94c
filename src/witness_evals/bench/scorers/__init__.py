"""Scorers: execute a task's hidden check on an answer and classify the result.

`score(check, answer, ctx)` dispatches on `check["type"]`: `rego` (sandboxed evaluation on compliant
and violating inputs), `policy` (check, sign, verify on hidden pipelines), `command` (CLI grammar and
meaning), `qa` (normalised term match), `all` (every sub-check must pass). Answers are untrusted
text: nothing in them is executed, and no answer can make a scorer raise.
"""

from __future__ import annotations

from typing import Any

from witness_evals.bench.answers import MAX_ANSWER_CHARS
from witness_evals.bench.scorers.base import OUTCOMES, Check, Outcome, Score, guarded, one_line
from witness_evals.bench.scorers.command import score_commands
from witness_evals.bench.scorers.context import NOW, ScoreContext
from witness_evals.bench.scorers.policy import score_policy
from witness_evals.bench.scorers.qa import score_qa
from witness_evals.bench.scorers.rego import score_rego

CHECK_TYPES: tuple[str, ...] = ("rego", "policy", "command", "qa", "all")

__all__ = [
    "CHECK_TYPES",
    "NOW",
    "OUTCOMES",
    "Check",
    "Outcome",
    "Score",
    "ScoreContext",
    "guarded",
    "score",
]


def _dispatch(check: dict[str, Any], answer: str, ctx: ScoreContext) -> Outcome:
    kind = check.get("type")
    if kind == "rego":
        return score_rego(answer, check, ctx)
    if kind == "policy":
        return score_policy(answer, check, ctx)
    if kind == "command":
        return score_commands(answer, check, ctx.version(check))
    if kind == "qa":
        return score_qa(answer, check, ctx.version(check))
    if kind == "all":
        parts = [_dispatch(sub, answer, ctx) for sub in check.get("checks", [])]
        if not parts:
            return Outcome("invalid", "malformed check")
        checks = tuple(c for p in parts for c in p.checks) or tuple(
            Check(str(sub.get("type")), p.passed, p.reason)
            for sub, p in zip(check["checks"], parts, strict=True)
        )
        artifacts: dict[str, int] = {}
        for p in parts:
            for k, n in p.artifacts.items():
                artifacts[k] = max(artifacts.get(k, 0), n)
        if all(p.passed for p in parts):
            return Outcome("pass", "; ".join(p.reason for p in parts), checks, artifacts)
        worst = min(parts, key=lambda p: OUTCOMES.index(p.outcome))
        outcome = "partial" if any(p.passed or p.outcome == "partial" for p in parts) else worst.outcome
        first = next(p for p in parts if not p.passed)
        return Outcome(outcome, first.reason, checks, artifacts)
    return Outcome("invalid", f"unknown check type {kind!r}")


def score(check: dict[str, Any], answer: object, ctx: ScoreContext) -> Outcome:
    """Score one untrusted answer against a hidden check; never raises."""
    if not isinstance(answer, str) or not answer.strip():
        return Outcome("no_artifact", "empty answer")
    if not isinstance(check, dict):
        return Outcome("invalid", "malformed check")
    try:
        return _dispatch(check, answer[:MAX_ANSWER_CHARS], ctx)
    except RecursionError:
        return Outcome("invalid", "answer too deeply nested to analyse")
    except Exception as exc:  # untrusted input must never crash scoring
        return Outcome("invalid", f"could not score: {type(exc).__name__}: {one_line(exc, 160)}")
