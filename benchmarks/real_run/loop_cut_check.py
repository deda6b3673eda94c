"""Does cutting an answer's loop change its witness-bench score? (evidence for `stop_loops`)

Reads a bench run's answers (`answers.jsonl`, or `.xz`), finds the answers whose text ends in one
cycle of at most 400 characters repeated four or more times, and writes the answers with each such
loop cut after its fourth repetition (a character-level stand-in for the inference engine's
token-level loop stop, which cuts no earlier than that). Score both files with
`witness-evals bench --model answers:FILE` and compare the samples:

    python benchmarks/real_run/loop_cut_check.py RUN/answers.jsonl.xz --out /tmp/cut.jsonl
    witness-evals bench --model answers:/tmp/full.jsonl --suite default --out /tmp/full-run
    witness-evals bench --model answers:/tmp/cut.jsonl --suite default --out /tmp/cut-run
    python benchmarks/real_run/loop_cut_check.py --compare /tmp/full-run /tmp/cut-run
"""

from __future__ import annotations

import argparse
import json
import lzma
from pathlib import Path

MAX_PERIOD = 400  # characters
REPEATS = 4


def loop_start(text: str) -> tuple[int, int] | None:
    """(start, period) of the longest periodic suffix repeated >= REPEATS times, or None."""
    best: tuple[int, int] | None = None
    n = len(text)
    for period in range(1, MAX_PERIOD + 1):
        if n < period * REPEATS:
            break
        j = n - 1 - period
        while j >= 0 and text[j] == text[j + period]:
            j -= 1
        start = j + 1
        if n - start >= period * REPEATS and (best is None or start < best[0]):
            best = (start, period)
    return best


def read_rows(path: Path) -> list[dict]:
    opener = lzma.open if path.suffix == ".xz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def cut(args: argparse.Namespace) -> None:
    rows = read_rows(args.answers)
    changed = 0
    with args.out.open("w", encoding="utf-8") as out:
        for row in rows:
            found = loop_start(row["answer"])
            if found and found[0] + found[1] * REPEATS < len(row["answer"]):
                row["answer"] = row["answer"][: found[0] + found[1] * REPEATS]
                changed += 1
            out.write(json.dumps(row) + "\n")
    print(f"{len(rows)} answers, {changed} loops cut -> {args.out}")


def compare(full: Path, cut_run: Path) -> None:
    def samples(run: Path) -> dict[str, dict]:
        return {r["id"]: r for r in read_rows(run / "samples.jsonl")}

    a, b = samples(full), samples(cut_run)
    differ = [k for k in a if (a[k]["passed"], a[k]["outcome"]) != (b[k]["passed"], b[k]["outcome"])]
    answered = sum(1 for r in a.values() if not r.get("error"))
    print(f"{answered} answered samples; outcome or pass differs in {len(differ)}")
    for key in differ[:20]:
        print(f"  {key}: {a[key]['outcome']} -> {b[key]['outcome']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("answers", nargs="?", type=Path)
    parser.add_argument("--out", type=Path, help="where the cut answers go")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("FULL_RUN", "CUT_RUN"))
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare)
    elif args.answers and args.out:
        cut(args)
    else:
        parser.error("give ANSWERS --out FILE, or --compare FULL_RUN CUT_RUN")


if __name__ == "__main__":
    main()
