"""Two arms of several runs each (trainings of one dataset with different seeds, say) against each other.

One training per dataset cannot rank two datasets whose difference is a few tasks: the same data trained twice
moved 53 of 811 tasks (docs/bench.md, "Run-to-run spread"), and a paired test of two single runs
(`paired.compare`) sees only which tasks flipped, not how much a rerun flips anyway. Here each arm is a set of
runs of the same suite: a task's score in an arm is the share of the arm's runs that pass it (each run's first
sample, as in `paired`), an arm's score is the sum of those shares (passed tasks, averaged over its runs), and
the difference B - A gets a 95 % interval from a two-level bootstrap: the tasks are drawn with replacement
(other tasks of the same kinds) and, in each arm, its runs are drawn with replacement (other trainings). With
one run in an arm only the tasks vary, and the interval is too narrow by the training-to-training spread; the
table says so. `flips` is the mean number of tasks two runs of the same arm disagree on: the noise floor.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from witness_evals.bench.paired import first_samples, group_names, in_group

DEFAULT_DRAWS = 10_000
"""Bootstrap draws: the 2.5 % and 97.5 % quantiles move by well under a task between seeds at this count."""

_CHUNK = 1_000
"""Draws computed at once (draws x tasks floats in memory)."""


@dataclass(frozen=True)
class Arm:
    """One arm in one group: the passed tasks of each of its runs and the flips between its runs."""

    passed: tuple[int, ...]
    flips: float | None
    """Mean number of tasks two of its runs disagree on (None for an arm of one run)."""

    @property
    def mean(self) -> float:
        return sum(self.passed) / len(self.passed)

    def to_json(self) -> dict[str, Any]:
        return {"passed": list(self.passed), "mean": round(self.mean, 3), "flips": self.flips}


@dataclass(frozen=True)
class ArmGroup:
    """Arm B against arm A on the tasks of one group that every run answered."""

    tasks: int
    a: Arm
    b: Arm
    low: float
    high: float

    @property
    def delta(self) -> float:
        """B's mean passed tasks minus A's."""
        return self.b.mean - self.a.mean

    def to_json(self) -> dict[str, Any]:
        return {
            "tasks": self.tasks,
            "a": self.a.to_json(),
            "b": self.b.to_json(),
            "delta": round(self.delta, 3),
            "ci95": [round(self.low, 3), round(self.high, 3)],
        }


@dataclass(frozen=True)
class ArmComparison:
    """Arm B against arm A in one tier: one `ArmGroup` per group, and the tasks some run did not answer."""

    tier: str
    draws: int
    seed: int
    groups: Mapping[str, ArmGroup]
    left_out: int

    def to_json(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "draws": self.draws,
            "seed": self.seed,
            "left_out": self.left_out,
            "groups": {g: a.to_json() for g, a in self.groups.items()},
        }


def _flips(m: np.ndarray) -> float | None:
    if len(m) < 2:
        return None
    pairs = list(itertools.combinations(range(len(m)), 2))
    return round(sum(int((m[i] != m[j]).sum()) for i, j in pairs) / len(pairs), 3)


def _interval(a: np.ndarray, b: np.ndarray, draws: int, rng: np.random.Generator) -> tuple[float, float]:
    """95 % bootstrap interval of sum over tasks of (B's pass share - A's), tasks and each arm's runs redrawn."""
    n_tasks = a.shape[1]
    deltas: list[np.ndarray] = []
    for start in range(0, draws, _CHUNK):
        k = min(_CHUNK, draws - start)
        tasks = rng.integers(0, n_tasks, size=(k, n_tasks))
        shares = []
        for m in (a, b):
            runs = rng.integers(0, len(m), size=(k, len(m)))
            weights = np.zeros((k, len(m)))
            np.add.at(weights, (np.arange(k)[:, None], runs), 1.0 / len(m))
            shares.append(np.take_along_axis(weights @ m, tasks, axis=1).sum(axis=1))
        deltas.append(shares[1] - shares[0])
    low, high = np.quantile(np.concatenate(deltas), [0.025, 0.975])
    return float(low), float(high)


def compare_arms(
    arm_a: Sequence[Sequence[Mapping[str, Any]]],
    arm_b: Sequence[Sequence[Mapping[str, Any]]],
    tier: str,
    *,
    by_kind: bool = False,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
) -> ArmComparison:
    """Arm B (each run's samples) against arm A in `tier`, overall, per source and (with `by_kind`) per
    source and kind, on the tasks every run answered. The same inputs and seed give the same intervals."""
    if not arm_a or not arm_b:
        raise ValueError("each arm needs at least one run")
    firsts = [first_samples(run, tier) for run in (*arm_a, *arm_b)]
    common = sorted(set.intersection(*(set(f) for f in firsts)))
    every = set().union(*(set(f) for f in firsts))
    ref = firsts[0]
    rng = np.random.default_rng(seed)
    groups: dict[str, ArmGroup] = {}
    for group in group_names(ref, common, by_kind=by_kind):
        ids = [t for t in common if in_group(group, ref[t][0], ref[t][2])]
        if not ids:
            continue
        m = np.array([[f[t][1] for t in ids] for f in firsts], dtype=np.float64)
        a, b = m[: len(arm_a)], m[len(arm_a) :]
        low, high = _interval(a, b, draws, rng)
        groups[group] = ArmGroup(
            tasks=len(ids),
            a=Arm(tuple(int(r.sum()) for r in a), _flips(a)),
            b=Arm(tuple(int(r.sum()) for r in b), _flips(b)),
            low=low,
            high=high,
        )
    return ArmComparison(tier, draws, seed, groups, left_out=len(every) - len(common))


def _runs(labels: Sequence[str]) -> str:
    return f"{len(labels)} run{'s' if len(labels) != 1 else ''}: {'; '.join(labels)}"


def _fmt_arm(arm: Arm) -> str:
    runs = ",".join(str(p) for p in arm.passed)
    return f"{arm.mean:7.1f} ({runs})"


def format_arms(c: ArmComparison, labels_a: Sequence[str], labels_b: Sequence[str]) -> str:
    """Plain-text table of `c`: each arm's mean passed tasks (each run's), B - A with its interval, flips."""
    lines = [
        f"arm B ({_runs(labels_b)}) vs arm A ({_runs(labels_a)}), tier {c.tier}",
        f"B - A in passed tasks, 95 % interval from {c.draws:,} bootstrap draws of tasks and of each arm's runs "
        f"(seed {c.seed}); flips: tasks two runs of one arm disagree on",
    ]
    if not c.groups:
        return "\n".join([*lines, "no task answered by every run"])
    width = max(10, *(len(g) for g in c.groups))
    rows = [(g, x, _fmt_arm(x.a), _fmt_arm(x.b)) for g, x in c.groups.items()]
    wa = max(len("A"), *(len(r[2]) for r in rows))
    wb = max(len("B"), *(len(r[3]) for r in rows))
    lines.append(
        f"{'':{width}s} {'tasks':>6s} {'A':>{wa}s} {'B':>{wb}s} {'B - A [95 %]':>22s} {'flips A':>8s} {'B':>6s}"
    )
    for group, x, a, b in rows:
        span = f"{x.delta:+.1f} [{x.low:+.1f}, {x.high:+.1f}]"
        fa = "-" if x.a.flips is None else f"{x.a.flips:.1f}"
        fb = "-" if x.b.flips is None else f"{x.b.flips:.1f}"
        mark = " *" if x.low > 0 or x.high < 0 else ""
        lines.append(
            f"{group:{width}s} {x.tasks:6d} {a:>{wa}s} {b:>{wb}s} {span:>22s} {fa:>8s} {fb:>6s}{mark}"
        )
    lines.append("*: the interval excludes 0")
    if c.left_out:
        lines.append(f"left out: {c.left_out} tasks some run did not answer")
    if min(len(labels_a), len(labels_b)) == 1:
        lines.append(
            "note: an arm of one run: the interval covers other tasks but not other trainings, so it is too "
            "narrow; train the arm's data again with another seed and add the run"
        )
    return "\n".join(lines)


__all__ = ["DEFAULT_DRAWS", "Arm", "ArmComparison", "ArmGroup", "compare_arms", "format_arms"]
