"""pass@1 of witness-bench runs on the requests every one of them answered.

A run cut at its time limit (a GPU call has 10 minutes) holds answers for part of the suite; scored
with `bench --model answers:FILE`, the unanswered requests count as failures ("backend errors"), so its
summary is a lower bound over the whole suite. This prints, next to that, pass@1 over the requests
that all the given runs answered (same requests for every run, so the runs compare), per kind and
tier and hand vs generated. The answered requests are the engine's first batches (sorted by budget,
then prompt length): short-answer kinds are over-represented, so say so wherever you quote it.

    python benchmarks/real_run/answered_subset.py RUN_DIR [RUN_DIR ...] [--markdown]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

KINDS = ("rego", "policy", "command", "diagnose", "review", "qa")


def load(run: Path) -> tuple[str, dict[str, dict]]:
    info = json.loads((run / "run.json").read_text(encoding="utf-8"))
    samples = {}
    with (run / "samples.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            samples[row["id"]] = row
    return str(info.get("label") or run.name), samples


def tally(samples: dict[str, dict], ids: set[str]) -> dict[tuple[str, str], list[int]]:
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for key in ids:
        row = samples[key]
        for group in (row["kind"], row["source"], "all"):
            cell = counts[(group, row["tier"])]
            cell[0] += bool(row["passed"])
            cell[1] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--markdown", action="store_true", help="a Markdown table")
    args = parser.parse_args()
    runs = [load(run) for run in args.runs]
    common = set.intersection(*({k for k, r in s.items() if not r.get("error")} for _, s in runs))
    total = len(runs[0][1])
    print(f"requests answered by every run: {len(common)} of {total}")
    tallies = [tally(samples, common) for _, samples in runs]
    groups = [
        g
        for g in (*KINDS, "hand", "generated", "all")
        if any((g, t) in tallies[0] for t in ("bare", "context"))
    ]
    if args.markdown:
        print("| group | tier | n | " + " | ".join(label for label, _ in runs) + " |")
        print("| --- | --- | --- | " + " | ".join("---" for _ in runs) + " |")
    for group in groups:
        for tier in ("bare", "context"):
            if (group, tier) not in tallies[0]:
                continue
            n = tallies[0][(group, tier)][1]
            cells = [f"{t[(group, tier)][0]} ({100 * t[(group, tier)][0] / n:.1f} %)" for t in tallies]
            if args.markdown:
                print(f"| {group} | {tier} | {n} | " + " | ".join(cells) + " |")
            else:
                print(f"{group:10} {tier:8} n={n:4}  " + "  ".join(f"{c:>14}" for c in cells))


if __name__ == "__main__":
    main()
