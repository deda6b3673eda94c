"""Training-data preparation speed: chat JSONL -> token ids and labels, one tokenizer call per piece (the
trainer before 2026-12-06) vs rendered first and tokenised in batches (`train/data.py` now), same run.

python benchmarks/tokenize_speed.py --data /tmp/g80/train.jsonl --n 8000 [--model DIR_OR_GGUF]

Prints examples/s of both, the ratio, and whether both give identical ids and labels (they must).
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from transformers import AutoTokenizer

from witness_evals.train import data
from witness_evals.train.model_source import default_model_gguf, resolve_model


def one_call_per_piece(
    tokenizer: Any, path: Path, max_len: int
) -> list[tuple[tuple[int, ...], tuple[bool, ...]]]:
    """The baseline: every piece tokenised by its own call, labelled as `load_dataset` labels them."""
    eot = data.end_of_turn_ids(tokenizer)
    out = []
    for _, messages in data.read_chat_jsonl(path):
        pieces = data.render_pieces(tokenizer, messages)
        ex = data._assemble(
            [(tokenizer(t, add_special_tokens=False)["input_ids"], tr) for t, tr in pieces], eot
        )
        if len(ex) <= max_len:
            out.append((ex.input_ids, ex.labels))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="a chat JSONL (e.g. a generated train.jsonl)")
    ap.add_argument("--n", type=int, default=8000, help="its first N lines")
    ap.add_argument(
        "--model", default=None, help="model dir, GGUF or tokenizer dir (default: the embedded SmolLM2)"
    )
    ap.add_argument("--max-seq-length", type=int, default=8192)
    args = ap.parse_args()
    model = args.model or str(default_model_gguf())
    if not (Path(model) / "tokenizer.json").is_file():  # a tokenizer dir loads as it is
        model = str(resolve_model(model, require_template=False))
    tokenizer = AutoTokenizer.from_pretrained(model)
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "sample.jsonl"
        with args.data.open("rb") as src, sample.open("wb") as dst:
            dst.writelines(itertools.islice(src, args.n))
        data.load_dataset(sample, tokenizer, args.max_seq_length)  # warm caches outside the timing
        t0 = time.perf_counter()
        before = one_call_per_piece(tokenizer, sample, args.max_seq_length)
        t1 = time.perf_counter()
        now = data.load_dataset(sample, tokenizer, args.max_seq_length)
        t2 = time.perf_counter()
    same = before == [(e.input_ids, e.labels) for e in now.examples]
    n = now.n_lines
    print(
        f"{n} examples, {now.summary()['tokens']:,} tokens, {os.cpu_count()} CPUs, fast tokenizer: {tokenizer.is_fast}"
    )
    print(f"one call per piece  {n / (t1 - t0):9,.0f} examples/s  ({t1 - t0:.1f} s)")
    print(
        f"batched             {n / (t2 - t1):9,.0f} examples/s  ({t2 - t1:.1f} s)  {(t1 - t0) / (t2 - t1):.2f}x"
    )
    print(f"identical ids and labels: {same}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
