"""What `--fix N` does to witness-bench pass@1: answer a stratified subset, let the assistant's own
checks (no hidden test) drive up to N fix rounds, score round 0 and the kept answer with the bench's
hidden checks.

    PYTHONPATH=src python benchmarks/fix_rounds.py --model RUN_DIR --limit 24 --fix 2 --max-new-tokens 384
"""

from __future__ import annotations

import argparse
import json
import time

from witness_evals.assist import Checker, answer_many_with_fixes, model_spec
from witness_evals.bench import suites
from witness_evals.bench.scorers import ScoreContext, score
from witness_evals.bench.scorers.context import NOW
from witness_evals.bench.tiers import messages_for
from witness_evals.inference import GenerationSettings, Request, load_backend


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=None)
    parser.add_argument("--suite", default="default")
    parser.add_argument("--limit", type=int, default=24)
    parser.add_argument("--fix", type=int, default=2)
    parser.add_argument("--tier", default="bare")
    parser.add_argument("--max-new-tokens", type=int, default=384)
    parser.add_argument("--out", default=None, help="write per-task rows (JSONL) here")
    args = parser.parse_args()
    tasks = suites.quick_subset(suites.load_suite(args.suite), args.limit)
    spec = model_spec(args.model)
    backend = load_backend(spec)
    requests = [Request(t.id, messages_for(t, args.tier)) for t in tasks]
    started = time.perf_counter()
    with Checker(now=NOW) as checker:
        results = answer_many_with_fixes(
            backend,
            requests,
            args.fix,
            GenerationSettings(max_new_tokens=args.max_new_tokens),
            checker,
            on_round=lambda k, n: print(f"round {k}: {n} conversation(s)", flush=True),
        )
    seconds = time.perf_counter() - started
    backend.close()
    rows = []
    with ScoreContext() as ctx:
        for task, result in zip(tasks, results, strict=True):
            first = score(task.check, result.rounds[0].text, ctx)
            kept = score(task.check, result.text, ctx)
            rows.append(
                {
                    "task": task.id,
                    "kind": task.kind,
                    "rounds": len(result.rounds),
                    "self_check_first": result.rounds[0].report.passed,
                    "self_check_kept": result.checks.passed,
                    "passed_round": result.passed_round,
                    "pass_first": first.passed,
                    "pass_kept": kept.passed,
                    "outcome_first": first.outcome,
                    "outcome_kept": kept.outcome,
                }
            )
    n = len(rows)
    summary = {
        "model": spec,
        "suite": args.suite,
        "tasks": n,
        "tier": args.tier,
        "fix": args.fix,
        "max_new_tokens": args.max_new_tokens,
        "pass@1_fix0": round(sum(r["pass_first"] for r in rows) / n, 4),
        f"pass@1_fix{args.fix}": round(sum(r["pass_kept"] for r in rows) / n, 4),
        "self_check_pass_fix0": round(sum(r["self_check_first"] for r in rows) / n, 4),
        f"self_check_pass_fix{args.fix}": round(sum(r["self_check_kept"] for r in rows) / n, 4),
        "entered_fix_rounds": sum(r["rounds"] > 1 for r in rows),
        "fixed_by_a_round": sum(1 for r in rows if r["passed_round"] not in (None, 0)),
        "generation_seconds": round(seconds, 1),
    }
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write("".join(json.dumps(r) + "\n" for r in rows))
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
