"""Fuzz witness-bench's scorers with hostile answers: count crashes, hangs and false passes.

    python benchmarks/bench_fuzz.py --n 10000 --workers 2

Every answer is scored against a task of every check type (rego, policy, command, qa) in turn, in
worker processes. A crash is an exception escaping `score`, a hang an answer taking longer than
`--hang-s`, a false pass a hostile answer that passes. Shell commands inside the answers would create a
canary file if anything executed them; its absence is checked at the end.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from witness_evals.bench.fuzz import hostile_answers
from witness_evals.bench.scorers import ScoreContext, score
from witness_evals.bench.suites import hand_tasks

_CTX: ScoreContext | None = None


def _tasks() -> list:
    by_type = {}
    for t in hand_tasks():
        by_type.setdefault(t.check.get("type"), t)
    return list(by_type.values())


def _init() -> None:
    global _CTX
    _CTX = ScoreContext()


def _one(item: tuple[int, str, str]) -> tuple[str, str, float, bool]:
    i, name, answer = item
    tasks = _tasks()
    task = tasks[i % len(tasks)]
    t0 = time.perf_counter()
    try:
        assert _CTX is not None
        out = score(task.check, answer, _CTX)
        status = "passed" if out.passed else "ok"
    except BaseException as exc:  # the point of the fuzz: nothing may escape
        status = f"crash: {type(exc).__name__}: {exc}"
    return name, status, time.perf_counter() - t0, False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hang-s", type=float, default=20.0)
    args = ap.parse_args()
    canary = Path(tempfile.gettempdir()) / f"witness-bench-canary-{os.getpid()}"
    items = [
        (i, name, ans)
        for i, (name, ans) in enumerate(hostile_answers(random.Random(args.seed), args.n, str(canary)))
    ]
    t0 = time.perf_counter()
    counts: Counter[str] = Counter()
    worst: dict[str, float] = {}
    crashes, hangs, passes = [], [], []
    with multiprocessing.get_context("fork").Pool(args.workers, initializer=_init) as pool:
        for k, (name, status, dt, _) in enumerate(pool.imap_unordered(_one, items, chunksize=8), 1):
            counts[name] += 1
            worst[name] = max(worst.get(name, 0.0), dt)
            if status.startswith("crash"):
                crashes.append((name, status))
            elif status == "passed":
                passes.append(name)
            if dt > args.hang_s:
                hangs.append((name, dt))
            if k % 1000 == 0:
                print(
                    f"  {k}/{len(items)} answers, {time.perf_counter() - t0:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
    wall = time.perf_counter() - t0
    print(f"{len(items)} hostile answers in {wall:.0f} s ({len(items) / wall:.0f}/s, {args.workers} workers)")
    print(f"{'kind':<20} {'n':>6} {'worst s':>8}")
    for name in sorted(counts):
        print(f"{name:<20} {counts[name]:>6} {worst[name]:>8.2f}")
    print(
        f"crashes: {len(crashes)}  hangs (> {args.hang_s:.0f} s): {len(hangs)}  false passes: {len(passes)}  "
        f"canary created: {canary.exists()}"
    )
    for c in crashes[:10]:
        print("  crash", c)
    if crashes or hangs or passes or canary.exists():
        raise SystemExit(1)


if __name__ == "__main__":
    main()
