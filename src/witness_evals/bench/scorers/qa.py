"""Short-answer questions: normalised term matching (required alternatives, forbidden claims).

check = {"require": [[alternatives...], ...], "forbid": [...], "valid_command": "<subcommand>"?} as in
`bench.scorers.terms`. Every required group is one check, every forbidden term another.
"""

from __future__ import annotations

from typing import Any

from witness_evals.bench.scorers.base import Check, Outcome
from witness_evals.bench.scorers.terms import (
    MAX_CHARS,
    bound,
    claimed,
    has_term,
    near,
    right_alternatives,
    score_terms,
)
from witness_evals.witness.versions import WitnessVersion


def score_qa(answer: str, check: dict[str, Any], version: str | WitnessVersion | None = None) -> Outcome:
    text = answer[:MAX_CHARS]
    case = bool(check.get("case", False))
    checks: list[Check] = []
    for alts in check.get("require", []):
        ok = any(has_term(text, t, case) for t in alts)
        checks.append(
            Check(f"states {' / '.join(alts[:3])}", ok, "" if ok else f"missing {' / '.join(alts[:4])}")
        )
    for term, alts in check.get("near", []):
        ok = near(text, term, alts, case)
        checks.append(Check(f"states {term} is {alts[0]}", ok, "" if ok else f"{term} not beside {alts[0]}"))
    for sub, term, alts in check.get("not_bound", []):
        bad = bound(text, sub, term, alts, case, right_alternatives(check, term))
        checks.append(
            Check(
                f"does not give {sub}'s {term} to {alts[0]}",
                not bad,
                f"{term} of {sub} is {alts[0]}" if bad else "",
            )
        )
    for term in check.get("forbid", []):
        bad = claimed(text, term, case)
        checks.append(Check(f"does not claim {term}", not bad, f"states the wrong {term}" if bad else ""))
    verdict = score_terms(answer, check, version)
    if verdict.ok:
        return Outcome("pass", "states the fact", tuple(checks))
    if not any(c.ok for c in checks if c.name.startswith("states")) and check.get("require"):
        return Outcome("no_artifact", verdict.reason, tuple(checks))
    return Outcome("partial", verdict.reason, tuple(checks))
