"""Scoring speed of witness-bench: answers scored per second on this machine.

    python benchmarks/bench_scoring.py --suite default --workers 1,2

Scores the suite's reference answers and planted-error answers (every check type; policies are
signed and verified against their hidden pipelines, Rego runs in the sandbox) and prints answers/s
per number of worker processes. The first pass (cold: worlds built, keys derived) and a second pass
over the same answers (warm: caches filled, one process only: worker pools start cold) are timed
separately, in the same run.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from witness_evals.bench import suites
from witness_evals.bench.run import score_items


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", default="default")
    ap.add_argument("--workers", default="1,2")
    args = ap.parse_args()
    tasks = suites.load_suite(args.suite)
    by_id = {t.id: t for t in tasks}
    items = [(f"{t.id}|bare|0", t.reference) for t in tasks] + [(f"{t.id}|bare|1", t.planted) for t in tasks]
    kinds = Counter(t.check["type"] for t in tasks)
    print(f"suite {args.suite}: {len(tasks)} tasks ({dict(kinds)}), {len(items)} answers per pass")
    print(f"{'workers':>7} {'cold answers/s':>15} {'warm answers/s':>15}")
    for w in (int(x) for x in args.workers.split(",")):
        rates = []
        for _ in ("cold", "warm") if w == 1 else ("cold",):
            t0 = time.perf_counter()
            results = list(score_items(by_id, items, "head", w))
            rates.append(len(results) / (time.perf_counter() - t0))
            passed = sum(r["passed"] for _rid, r in results)
            assert passed == len(tasks), f"{passed} passed, expected {len(tasks)} (references only)"
        warm = f"{rates[1]:>15.0f}" if len(rates) > 1 else f"{'-':>15}"
        print(f"{w:>7} {rates[0]:>15.0f} {warm}")


if __name__ == "__main__":
    main()
