"""`bench --fix N`: what the assistant's fix rounds do to pass@1, recorded and summarised.

The fix loop itself lives in `witness_evals.assist` (it checks answers with the assistant's
`Checker`, which is built on this package), so the bench gets it as a `Fixer` function from the
caller (`commands/bench.py`); this module only describes what a fixer returns and turns its results
into sample rows and a summary. A fixer answers every request with up to N fix rounds; round K of
request ID has request id `ID#fixK` (round 0: `ID`), so answers.jsonl holds one row per round and a
killed run resumes without asking any round twice.

pass@1 after K fix rounds scores, for each sample, the answer the assistant would have kept had it
stopped after K rounds (`kept_after(K)`): the first answer that passed its own checks, else the one
with the fewest failed checks. Because the loop is the same whatever N is, this is what
`bench --fix K` gives.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from witness_evals.inference import Backend, GenerationSettings, Request

MAX_FIX_ROUNDS = 5
ROUND_MARK = "#fix"


class FixedRound(Protocol):
    """One answer of a fix loop, as the bench reads it."""

    @property
    def index(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def passed(self) -> bool: ...  # passed the assistant's own checks
    @property
    def completion_tokens(self) -> int | None: ...
    @property
    def seconds(self) -> float: ...
    @property
    def error(self) -> str | None: ...


class Fixed(Protocol):
    """Every round of one request's fix loop."""

    @property
    def rounds(self) -> Sequence[FixedRound]: ...
    def kept_after(self, k: int) -> FixedRound: ...
    def failed_lines(self, index: int) -> list[str]: ...


Fixer = Callable[[Backend, Sequence[Request], GenerationSettings, int], Sequence[Fixed]]
"""`fixer(backend, requests, settings, n)`: each request answered with up to n fix rounds, in order."""


def round_id(request_id: str, index: int) -> str:
    """The request id of fix round `index` (round 0 is the request itself)."""
    return request_id if index == 0 else f"{request_id}{ROUND_MARK}{index}"


def split_round(rid: str) -> tuple[str, int]:
    """`ID#fixK` -> (`ID`, K); a plain id is round 0."""
    base, mark, k = rid.rpartition(ROUND_MARK)
    if mark and k.isdigit():
        return base, int(k)
    return rid, 0


def sample_fields(
    fixed: Fixed, n: int, scores: Mapping[int, Mapping[str, Any]], prompt_tokens: Mapping[int, int | None]
) -> dict[str, Any]:
    """The fields of a sample row for one fix loop: the kept answer's score at top level, every round
    under `fix` (its answer, own checks, hidden score). `scores[k]` is round k's hidden score."""
    kept_after = [fixed.kept_after(k).index for k in range(n + 1)]
    final = kept_after[-1]
    own_pass = next((r.index for r in fixed.rounds if r.passed), None)
    passed_by_round = [bool(scores[k]["passed"]) for k in kept_after]
    rounds = []
    for r in fixed.rounds:
        rounds.append(
            {
                "round": r.index,
                "answer": r.text,
                "self_check_passed": r.passed,
                "self_check_failed": fixed.failed_lines(r.index),
                "outcome": scores[r.index]["outcome"],
                "passed": scores[r.index]["passed"],
                "reason": scores[r.index]["reason"],
                "prompt_tokens": prompt_tokens.get(r.index),
                "completion_tokens": r.completion_tokens,
                "seconds": round(r.seconds, 4),
                "error": r.error,
            }
        )
    tokens = [r.completion_tokens for r in fixed.rounds if r.completion_tokens is not None]
    return {
        "answer": fixed.rounds[final].text,
        **scores[final],
        "completion_tokens": sum(tokens) if tokens else None,
        "seconds": round(sum(r.seconds for r in fixed.rounds), 4),
        "error": fixed.rounds[final].error,
        "fix": {
            "max_rounds": n,
            "rounds_run": len(fixed.rounds) - 1,
            "self_check_passed_round": own_pass,
            "kept_round": final,
            "kept_after": kept_after,
            "passed_by_rounds": passed_by_round,
            "passed_round": next((k for k, ok in enumerate(passed_by_round) if ok), None),
            "rounds": rounds,
        },
    }


def fix_summary(samples: Iterable[Mapping[str, Any]], n: int) -> dict[str, Any]:
    """Per tier: pass@1 after 0..n fix rounds (mean over tasks of passing samples / samples), how
    many samples entered a fix round, and how many a fix round turned from failing to passing."""
    tasks: dict[str, dict[str, list[list[bool]]]] = defaultdict(lambda: defaultdict(list))
    entered: dict[str, int] = defaultdict(int)
    own: dict[str, list[list[bool]]] = defaultdict(list)
    for s in samples:
        fix = s.get("fix")
        if not isinstance(fix, dict):
            continue
        tier = str(s["tier"])
        by_round = [bool(x) for x in fix["passed_by_rounds"]]
        tasks[tier][str(s["task"])].append(by_round)
        entered[tier] += int(fix["rounds_run"] > 0)
        own_pass = fix["self_check_passed_round"]
        own[tier].append([own_pass is not None and own_pass <= k for k in range(n + 1)])
    out: dict[str, Any] = {}
    for tier in sorted(tasks):
        per_task = tasks[tier].values()
        pass_at = [
            round(sum(sum(s[k] for s in runs) / len(runs) for runs in per_task) / len(per_task), 4)
            for k in range(n + 1)
        ]
        samples_n = sum(len(runs) for runs in per_task)
        fixed = sum(1 for runs in per_task for s in runs if not s[0] and s[-1])
        broken = sum(1 for runs in per_task for s in runs if s[0] and not s[-1])
        out[tier] = {
            "n_tasks": len(per_task),
            "n_samples": samples_n,
            "pass@1_by_fix_rounds": pass_at,
            "self_check_pass_by_fix_rounds": [
                round(sum(o[k] for o in own[tier]) / samples_n, 4) for k in range(n + 1)
            ],
            "entered_fix_rounds": entered[tier],
            "fixed": fixed,
            "broken": broken,
        }
    return {"max_rounds": n, "tiers": out}


def format_fix(summary: Mapping[str, Any]) -> str:
    """One line per tier: `fix rounds (bare): pass@1 12.5% -> 16.7% -> 20.8% (0, 1, 2 rounds)`."""
    fix = summary.get("fix") or {}
    lines = []
    for tier, t in (fix.get("tiers") or {}).items():
        steps = " -> ".join(f"{100 * p:.1f}%" for p in t["pass@1_by_fix_rounds"])
        lines.append(
            f"fix rounds ({tier}): pass@1 {steps} after 0..{fix['max_rounds']} rounds; "
            f"{t['entered_fix_rounds']} of {t['n_samples']} answers entered a fix round, "
            f"{t['fixed']} fixed, {t['broken']} broken"
        )
    return "\n".join(lines)
