"""What `--fix N` does to witness-bench pass@1: `witness-evals bench --fix N` on a stratified subset,
printed as pass@1 after 0..N fix rounds (the assistant's own checks drive the rounds; the bench's
hidden checks score every round) with the generation time of each round.

    PYTHONPATH=src python benchmarks/fix_rounds.py --model RUN_DIR --limit 24 --fix 2 --max-new-tokens 384

Same as `witness-evals bench --model SPEC --limit 24 --tiers bare --fix 2 --out DIR`; the run
directory (default: a temporary one) keeps every round's answer and score in samples.jsonl.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import defaultdict
from pathlib import Path

from witness_evals.assist import bench_fixer, model_spec
from witness_evals.bench.run import BenchOptions, run_bench
from witness_evals.bench.scorers.context import NOW


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=None, help="default | RUN_DIR | MODEL_DIR | inference spec")
    parser.add_argument("--suite", default="default")
    parser.add_argument("--limit", type=int, default=24)
    parser.add_argument("--fix", type=int, default=2)
    parser.add_argument("--tier", default="bare")
    parser.add_argument("--max-new-tokens", type=int, default=384)
    parser.add_argument("--batch-size", type=int, default=None, help="hf: prompts per batch")
    parser.add_argument("--out", default=None, help="run directory to keep (default: temporary)")
    args = parser.parse_args()
    spec = model_spec(args.model)
    options = BenchOptions(
        suite=args.suite,
        limit=args.limit,
        tiers=(args.tier,),
        max_new_tokens=args.max_new_tokens,
        budget="fixed",
        fix=args.fix,
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out) if args.out else Path(tmp) / "run"
        summary = run_bench(
            spec,
            out,
            options,
            backend_options={"batch_size": args.batch_size},
            fixer=bench_fixer(witness_version=options.witness_version, now=NOW),
        )
        seconds: dict[int, float] = defaultdict(float)
        for line in (out / "answers.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            seconds[int(row.get("round", 0))] += float(row.get("seconds") or 0.0)
    tier = summary["fix"]["tiers"][args.tier]
    print(
        json.dumps(
            {
                "model": spec,
                "suite": args.suite,
                "tasks": tier["n_tasks"],
                "tier": args.tier,
                "max_new_tokens": args.max_new_tokens,
                "pass@1_by_fix_rounds": tier["pass@1_by_fix_rounds"],
                "self_check_pass_by_fix_rounds": tier["self_check_pass_by_fix_rounds"],
                "entered_fix_rounds": tier["entered_fix_rounds"],
                "fixed": tier["fixed"],
                "broken": tier["broken"],
                "outcomes": summary["tiers"][args.tier]["outcomes"]["overall"],
                "generation_seconds_by_round": {k: round(v, 1) for k, v in sorted(seconds.items())},
                "backend": (summary.get("backend") or {}).get("device"),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
