"""Paired comparison of two witness-bench runs on the same tasks: what one run gained and lost.

Two runs of one suite answer the same tasks, so their difference is judged task by task (a paired
design), not by comparing two intervals: a task is *gained* when run A failed it and run B passes it,
*lost* the other way round. The exact McNemar test (a two-sided binomial test on the gained and lost
tasks with p = 1/2) says how likely a split at least that uneven is if neither run is better.

A task's result is its first sample (`sample` 0): the greedy answer of a one-sample run, one draw
of a sampled run. Tasks only one run answered are counted apart and left out of the test.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from witness_evals.bench.summary import KINDS, SOURCES

GROUPS = ("all", *SOURCES)


def mcnemar_exact(gained: int, lost: int) -> float:
    """Two-sided exact McNemar p-value: P(a split at least as uneven as `gained`:`lost` | p = 1/2)."""
    if gained < 0 or lost < 0:
        raise ValueError("counts must be non-negative")
    n = gained + lost
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(gained, lost) + 1)) / 2**n
    return min(1.0, 2 * tail)


@dataclass(frozen=True)
class Paired:
    """Run B against run A on the tasks of one group (all, hand, generated; with `by_kind` also
    `<source>/<kind>`, e.g. `hand/policy`) both runs answered."""

    tasks: int
    both_pass: int
    both_fail: int
    gained: tuple[str, ...]
    lost: tuple[str, ...]

    @property
    def p_value(self) -> float:
        return mcnemar_exact(len(self.gained), len(self.lost))

    @property
    def passed_a(self) -> int:
        return self.both_pass + len(self.lost)

    @property
    def passed_b(self) -> int:
        return self.both_pass + len(self.gained)

    @property
    def delta(self) -> int:
        """Passed tasks of B minus those of A."""
        return self.passed_b - self.passed_a

    def to_json(self) -> dict[str, Any]:
        return {
            "tasks": self.tasks,
            "both_pass": self.both_pass,
            "both_fail": self.both_fail,
            "gained": len(self.gained),
            "lost": len(self.lost),
            "p_value": round(self.p_value, 4),
            "gained_tasks": list(self.gained),
            "lost_tasks": list(self.lost),
        }


@dataclass(frozen=True)
class Comparison:
    """Run B against run A in one tier: one `Paired` per group, and the tasks only one run answered."""

    tier: str
    groups: Mapping[str, Paired]
    only_a: int
    only_b: int

    def to_json(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "only_a": self.only_a,
            "only_b": self.only_b,
            "groups": {g: p.to_json() for g, p in self.groups.items()},
        }


def first_samples(samples: Iterable[Mapping[str, Any]], tier: str) -> dict[str, tuple[str, bool, str]]:
    """task id -> (source, passed, kind) of each task's sample 0 in `tier`."""
    out: dict[str, tuple[str, bool, str]] = {}
    for s in samples:
        if s.get("tier") == tier and int(s.get("sample", 0)) == 0:
            out[str(s["task"])] = (str(s.get("source", "")), bool(s.get("passed")), str(s.get("kind", "")))
    return out


def in_group(group: str, source: str, kind: str) -> bool:
    """Whether a task of `source` and `kind` counts in `group` (all, a source, or `<source>/<kind>`)."""
    return group == "all" or group == source or group == f"{source}/{kind}"


def group_names(
    first: Mapping[str, tuple[str, bool, str]], tasks: Iterable[str], *, by_kind: bool
) -> list[str]:
    """all, the sources and, with `by_kind`, `<source>/<kind>` for the kinds `tasks` have (in `KINDS` order;
    kinds of a newer suite after the known ones)."""
    names = list(GROUPS)
    if by_kind:
        present = {(first[t][0], first[t][2]) for t in tasks}
        extra = sorted({k for _, k in present} - set(KINDS))
        names += [f"{src}/{k}" for src in SOURCES for k in (*KINDS, *extra) if (src, k) in present]
    return names


def compare(
    a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]], tier: str, *, by_kind: bool = False
) -> Comparison:
    """Run B (`b`, its samples) against run A (`a`) in `tier`, overall and per source (and, with
    `by_kind`, per source and kind: `hand/policy`, ..., in `KINDS` order, kinds no task has left out)."""
    ra, rb = first_samples(a, tier), first_samples(b, tier)
    common = sorted(set(ra) & set(rb))
    groups: dict[str, Paired] = {}
    for group in group_names(ra, common, by_kind=by_kind):
        ids = [t for t in common if in_group(group, ra[t][0], ra[t][2])]
        groups[group] = Paired(
            tasks=len(ids),
            both_pass=sum(ra[t][1] and rb[t][1] for t in ids),
            both_fail=sum(not ra[t][1] and not rb[t][1] for t in ids),
            gained=tuple(t for t in ids if rb[t][1] and not ra[t][1]),
            lost=tuple(t for t in ids if ra[t][1] and not rb[t][1]),
        )
    return Comparison(tier, groups, only_a=len(set(ra) - set(rb)), only_b=len(set(rb) - set(ra)))


def format_comparison(c: Comparison, label_a: str, label_b: str, *, list_tasks: bool = False) -> str:
    """Plain-text table of `c` (and, with `list_tasks`, the gained and lost task ids)."""
    lines = [f"{label_b} vs {label_a}, tier {c.tier} (each task's first sample; exact McNemar test)"]
    width = max(10, *(len(g) for g in c.groups))
    lines.append(f"{'':{width}s} {'tasks':>6s} {'A':>6s} {'B':>6s} {'gained':>7s} {'lost':>5s} {'p':>7s}")
    for group, p in c.groups.items():
        if not p.tasks:
            continue
        lines.append(
            f"{group:{width}s} {p.tasks:6d} {p.passed_a:6d} {p.passed_b:6d} {len(p.gained):7d} {len(p.lost):5d} "
            f"{p.p_value:7.3f}"
        )
    if c.only_a or c.only_b:
        lines.append(f"left out: {c.only_a} tasks only A answered, {c.only_b} only B answered")
    if list_tasks:
        everything = c.groups["all"]
        lines += [
            "gained:",
            *(f"  {t}" for t in everything.gained),
            "lost:",
            *(f"  {t}" for t in everything.lost),
        ]
    return "\n".join(lines)
