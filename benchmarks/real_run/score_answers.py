"""Score answer files (from answer.py) against a dataset's hidden checks; print a table per family.

    python benchmarks/real_run/score_answers.py --data DATA --split test \
        --answers untuned=OUT/answers-untuned.jsonl --answers tuned=OUT/answers-tuned.jsonl --json scores.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate.score import read_meta, score_answers


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--split", default="test")
    ap.add_argument("--answers", action="append", default=[], help="LABEL=answers.jsonl (repeatable)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    meta = read_meta(args.data / f"{args.split}.meta.jsonl")
    runs: dict[str, dict[str, str]] = {}
    for spec in args.answers:
        label, _, path = spec.partition("=")
        rows = [json.loads(line) for line in Path(path).read_text().splitlines()]
        runs[label] = {r["id"]: r["answer"] for r in rows}
    answered = set.intersection(*(set(a) for a in runs.values())) if runs else set()
    meta = [m for m in meta if m["id"] in answered]
    # the reference answers go through the same scorer: they must all pass
    lines = (args.data / f"{args.split}.jsonl").read_text().splitlines()
    all_meta = read_meta(args.data / f"{args.split}.meta.jsonl")
    reference = {
        m["id"]: json.loads(line)["messages"][-1]["content"]
        for m, line in zip(all_meta, lines, strict=True)
        if m["id"] in answered
    }
    runs = {"reference": reference, **runs}
    out: dict[str, dict] = {}  # type: ignore[type-arg]
    with ScoreContext() as ctx:
        for label, answers in runs.items():
            report = score_answers(meta, answers, ctx=ctx)
            out[label] = report.to_json()
            out[label]["failures"] = [r for r in report.results if not r["ok"]][:40]
    fams = sorted(out["reference"]["families"])
    labels = list(out)
    print(f"{'family':12s} {'n':>5s} " + " ".join(f"{label:>10s}" for label in labels))
    for f in [*fams, "overall"]:
        n = out["reference"]["overall"]["n"] if f == "overall" else out["reference"]["families"][f]["n"]
        rates = [(out[lb]["overall"] if f == "overall" else out[lb]["families"][f])["rate"] for lb in labels]
        print(f"{f:12s} {n:5d} " + " ".join(f"{r:10.1%}" for r in rates))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
