"""Task families: each makes examples from a seeded RNG and scores answers against their checks.

A family module exposes `FAMILY = Family(...)`. `make(rng)` must use only `rng` (no clock, no global
state) so that the same seed gives the same example in any worker process; `score(answer, check,
ctx)` must accept the family's own reference answers and reject wrong ones, treating the answer as
untrusted text (never executed); it is wrapped in `guarded`, which handles blank input and exceptions.
"""

from __future__ import annotations

import functools
import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from witness_evals.generate.answers import MAX_ANSWER_CHARS
from witness_evals.generate.context import ScoreContext
from witness_evals.generate.example import Example, Score

Scorer = Callable[[str, dict[str, Any], ScoreContext], Score]


def guarded(fn: Scorer) -> Scorer:
    """The one guard of every family scorer against untrusted input.

    Non-text or blank answers and non-object checks fail before `fn` runs; the answer is capped at
    `MAX_ANSWER_CHARS`; any exception `fn` raises becomes a failed Score with a one-line reason.
    """

    @functools.wraps(fn)
    def score(answer: str, check: dict[str, Any], ctx: ScoreContext) -> Score:
        if not isinstance(answer, str) or not answer.strip():
            return Score.failed("empty answer")
        if not isinstance(check, dict):
            return Score.failed("malformed check")
        try:
            return fn(answer[:MAX_ANSWER_CHARS], check, ctx)
        except RecursionError:
            return Score.failed("answer too deeply nested to analyse")
        except Exception as exc:  # untrusted input must never crash scoring
            detail = " ".join(str(exc).split())[:160]
            return Score.failed(f"could not score: {type(exc).__name__}" + (f": {detail}" if detail else ""))

    return score


@dataclass(frozen=True)
class Family:
    name: str
    description: str
    make: Callable[[random.Random], Example]
    score: Scorer
    """A `guarded` scorer: never raises."""


MODULES = ("facts", "commands", "config", "policies", "rego", "diagnose", "traps")
"""Family modules under this package, in registry order."""

DEFAULT_MIX: dict[str, float] = {
    "facts": 0.18,
    "commands": 0.22,
    "config": 0.06,
    "policies": 0.16,
    "rego": 0.14,
    "diagnose": 0.14,
    "traps": 0.10,
}
"""Default share of each family in a generated dataset."""

_CACHE: dict[str, Family] = {}


def get(name: str) -> Family:
    """The family called `name` (imports its module on first use)."""
    if name not in _CACHE:
        if name not in MODULES:
            raise KeyError(f"unknown family {name!r} (known: {', '.join(MODULES)})")
        module = importlib.import_module(f"{__name__}.{name}")
        _CACHE[name] = module.FAMILY
    return _CACHE[name]


def all_families() -> list[Family]:
    return [get(name) for name in MODULES]
