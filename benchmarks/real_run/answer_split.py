"""Answers of any model (`--model SPEC`, as `bench` takes it) to a generated dataset's own split.

The generator's held-out test split uses question templates never seen in training, so its pass rate
next to witness-bench's hand-written tasks measures the gap the data issue bounds. Writes
`{"id", "answer"}` lines for the first `--per-family N` questions of each family (all with 0), with
answer.py's budget (1.3 x the reference answer's tokens + 64, at most 1,536); score them with
`score_answers.py --data DATA --split test --answers LABEL=FILE`.

    python benchmarks/real_run/answer_split.py --model "openai:http://127.0.0.1:8765/v1#tuned" \
        --data gen20k --split test --per-family 6 --out answers.jsonl
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

from witness_evals.inference import GenerationSettings, Request, load_backend


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--split", default="test")
    ap.add_argument("--per-family", type=int, default=0, help="first N questions of each family (0: all)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--concurrency", type=int, default=1, help="servers: requests in flight (llama.cpp: 1)")
    ap.add_argument("--timeout", type=float, default=900.0, help="servers: seconds per request")
    args = ap.parse_args()
    kept = {}  # answers of an earlier call without an error are kept (a resumable run)
    if args.out.is_file():
        kept = {r["id"]: r for r in map(json.loads, args.out.read_text(encoding="utf-8").splitlines())}
        kept = {k: r for k, r in kept.items() if not r.get("error")}
    lines = (args.data / f"{args.split}.jsonl").read_text(encoding="utf-8").splitlines()
    metas = (args.data / f"{args.split}.meta.jsonl").read_text(encoding="utf-8").splitlines()
    taken: Counter[str] = Counter()
    requests: list[Request] = []
    for line, meta_line in zip(lines, metas, strict=True):
        meta, messages = json.loads(meta_line), json.loads(line)["messages"]
        if args.per_family and taken[meta["family"]] >= args.per_family:
            continue
        taken[meta["family"]] += 1
        if meta["id"] in kept:
            continue
        budget = min(1536, int(1.3 * len(messages[-1]["content"]) / 3.5) + 64)  # ~3.5 characters a token
        requests.append(Request(meta["id"], messages[:-1], max_new_tokens=budget))
    rows = list(kept.values())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with args.out.open("a", encoding="utf-8") as sink:  # each answer as it comes: a killed run keeps them

        def keep(c: Any) -> None:
            row = {"id": c.id, "answer": c.text, "error": c.error, "completion_tokens": c.completion_tokens}
            rows.append(row)
            sink.write(json.dumps(row) + "\n")
            sink.flush()

        backend = load_backend(args.model, concurrency=args.concurrency, timeout=args.timeout)
        try:
            backend.generate(requests, GenerationSettings(max_new_tokens=1536), on_done=keep)
        finally:
            backend.close()
    print(f"{len(rows)} answers ({dict(taken)}), {sum(1 for r in rows if r['error'])} errors -> {args.out}")


if __name__ == "__main__":
    main()
