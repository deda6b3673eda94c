"""What every scorer returns, and the guard that keeps untrusted answers from crashing a scorer.

`Score` is a pass/fail with a one-line reason (the generator's families use it). Bench scorers return
an `Outcome`: the same verdict plus its class in the failure taxonomy and the individual checks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from witness_evals.bench.answers import MAX_ANSWER_CHARS

OUTCOMES: tuple[str, ...] = ("no_artifact", "wrong_artifact", "invalid", "partial", "pass")
"""Failure taxonomy, worst first: no artifact at all, the wrong kind of artifact, an artifact that does
not parse / compile / load, one that passes some checks, one that passes all."""


@dataclass(frozen=True)
class Score:
    """Outcome of checking one answer: pass/fail and a one-line reason."""

    ok: bool
    reason: str = ""

    @classmethod
    def passed(cls, reason: str = "ok") -> Score:
        return cls(True, reason)

    @classmethod
    def failed(cls, reason: str) -> Score:
        return cls(False, reason)


@dataclass(frozen=True)
class Check:
    """One executed check of an answer (e.g. "denies deny-input 2")."""

    name: str
    ok: bool
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "reason": self.reason}


@dataclass(frozen=True)
class Outcome:
    """A scored answer: taxonomy class, one-line reason, the checks run and what was extracted."""

    outcome: str
    reason: str
    checks: tuple[Check, ...] = ()
    artifacts: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.outcome == "pass"

    def score(self) -> Score:
        return Score(self.passed, self.reason)


Scorer = Callable[[str, dict[str, Any], Any], Score]


def one_line(text: object, limit: int = 200) -> str:
    """`text` on one line, cut to `limit` characters."""
    return " ".join(str(text).split())[:limit]


def guarded(fn: Scorer) -> Scorer:
    """The one guard of every family scorer against untrusted input.

    Non-text or blank answers and non-object checks fail before `fn` runs; the answer is capped at
    `MAX_ANSWER_CHARS`; any exception `fn` raises becomes a failed Score with a one-line reason.
    """

    @functools.wraps(fn)
    def score(answer: str, check: dict[str, Any], ctx: Any) -> Score:
        if not isinstance(answer, str) or not answer.strip():
            return Score.failed("empty answer")
        if not isinstance(check, dict):
            return Score.failed("malformed check")
        try:
            return fn(answer[:MAX_ANSWER_CHARS], check, ctx)
        except RecursionError:
            return Score.failed("answer too deeply nested to analyse")
        except Exception as exc:  # untrusted input must never crash scoring
            detail = one_line(exc, 160)
            return Score.failed(f"could not score: {type(exc).__name__}" + (f": {detail}" if detail else ""))

    return score
