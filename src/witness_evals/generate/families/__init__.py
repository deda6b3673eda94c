"""Task families: each makes examples from a seeded RNG and scores answers against their checks.

A family module (named in `MODULE_OF`; its family name may differ, e.g. family `commands` lives in
`cli_usage`, apart from the top-level `witness_evals.commands` package) exposes `FAMILY = Family(...)`. `make(rng, version)` must use only `rng` and the
witness release profile `version` (no clock, no global state) so that the same seed gives the same
example in any worker process; its answer must be right for that release (and say which releases a
version-dependent statement holds for when the question does not fix one). `score(answer, check, ctx)`
must accept the family's own reference answers and reject wrong ones, treating the answer as untrusted
text (never executed), under the release `ctx.version(check)` (the check records the one it was made
for); it is wrapped in `guarded`, which handles blank input and exceptions.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass

from witness_evals.bench.scorers.base import Scorer
from witness_evals.generate.example import Example
from witness_evals.witness.versions import WitnessVersion


@dataclass(frozen=True)
class Family:
    name: str
    description: str
    make: Callable[[random.Random, WitnessVersion], Example]
    """`make(rng, version)`: one example for the witness release `version`."""
    score: Scorer
    """A `guarded` scorer: never raises."""
    max_per_group: Callable[[str, int], int] | None = None
    """`max_per_group(group, default)`: how many paraphrases of `group` a dataset keeps when its cap is
    `default` (e.g. more for the facts people get wrong); None keeps `default` for every group."""


MODULE_OF: dict[str, str] = {
    "facts": "facts",
    "commands": "cli_usage",
    "config": "config",
    "policies": "policies",
    "rego": "rego",
    "diagnose": "diagnose",
    "traps": "traps",
}
"""Family name (as in `--mix` and in datasets) -> its module under this package, in registry order."""

GROUPS_SPAN_SPLITS: frozenset[str] = frozenset({"facts"})
"""Families whose group is one piece of knowledge asked in many phrasings (a fact), not one task's
paraphrases: with the template split its phrasings go to their templates' splits, so a fact is taught in
train and asked in new words in test (held out whole, 1 fact in 9 was never taught). Every other
family's group is one task (a world, a scenario) and never straddles splits."""

NAMES: tuple[str, ...] = tuple(MODULE_OF)
"""Every family name, in registry order."""

DEFAULT_MIX: dict[str, float] = {
    "facts": 0.20,
    "commands": 0.20,
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
        if name not in MODULE_OF:
            raise KeyError(f"unknown family {name!r} (known: {', '.join(NAMES)})")
        module = importlib.import_module(f"{__name__}.{MODULE_OF[name]}")
        _CACHE[name] = module.FAMILY
    return _CACHE[name]


def all_families() -> list[Family]:
    return [get(name) for name in NAMES]
