"""Generator speed: make + self-check per family (one process), and whole datasets with 1..N workers.

python benchmarks/generate.py --per-family 300 --n 3000 --workers 1,2
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate import families
from witness_evals.generate.dataset import DatasetSpec, build_dataset


def per_family(count: int) -> None:
    print(f"{'family':10s} {'make/s':>9s} {'score/s':>9s} {'both/s':>9s}  (one process, {count} examples)")
    with ScoreContext() as ctx:
        for fam in families.all_families():
            fam.make(random.Random(-1))  # warm caches and imports outside the timing
            t0 = time.perf_counter()
            made = [fam.make(random.Random(i)) for i in range(count)]
            t1 = time.perf_counter()
            for ex in made:
                assert fam.score(ex.answer, ex.check, ctx).ok
            t2 = time.perf_counter()
            mk, sc = count / (t1 - t0), count / (t2 - t1)
            print(f"{fam.name:10s} {mk:9,.0f} {sc:9,.0f} {count / (t2 - t0):9,.0f}")


def whole(n: int, workers: list[int]) -> None:
    base = None
    for w in workers:
        out = Path(tempfile.mkdtemp(prefix="gen-bench-"))
        t0 = time.perf_counter()
        stats = build_dataset(DatasetSpec(n=n, seed=0), out, workers=w)
        secs = time.perf_counter() - t0
        rate = stats["attempted"] / secs
        base = base or rate
        print(
            f"dataset n={n:,} workers={w}: {secs:6.1f} s, {stats['attempted'] / secs:7,.0f} attempted/s, "
            f"{n / secs:7,.0f} kept/s, x{rate / base:.2f} vs 1 worker"
        )
        shutil.rmtree(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-family", type=int, default=300, help="examples per family (0: skip)")
    ap.add_argument("--n", type=int, default=3000, help="whole-dataset size (0: skip)")
    ap.add_argument("--workers", default="1,2")
    args = ap.parse_args()
    if args.per_family:
        per_family(args.per_family)
    if args.n:
        whole(args.n, [int(x) for x in args.workers.split(",")])


if __name__ == "__main__":
    main()
