"""Greedy answers of the untuned and the tuned model to held-out questions (run on the GPU machine).

Writes one JSONL per model: `{"id", "answer"}` lines, in the order of `<data>/<split>.meta.jsonl`, plus
the loss on that split. Scoring happens elsewhere (`score_answers.py`), with the project's checks.
The generation budget of a question is 1.3 x its reference answer's tokens + 64 (at most 1,536).

    python benchmarks/real_run/answer.py --model-dir DIR --adapter RUN/adapter --data DATA \
        --split test --limit 600 --out OUTDIR
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch

from witness_evals.train.chat_templates import TEMPLATE_FILE, adapter_chat_template
from witness_evals.train.data import load_dataset, read_chat_jsonl
from witness_evals.train.trainer import load_tokenizer

EOT = "<|im_end|>"


def generate_all(spec: str, tok: Any, convs: list[list[dict[str, str]]]) -> list[str]:
    """Greedy answers through the shared inference module; budget 1.3 x the reference + 64 tokens."""
    from witness_evals.inference import GenerationSettings, Request, load_backend

    budgets = [min(1536, int(1.3 * len(tok(c[-1]["content"])["input_ids"])) + 64) for c in convs]
    requests = [
        Request(str(i), c[:-1], max_new_tokens=b) for i, (c, b) in enumerate(zip(convs, budgets, strict=True))
    ]
    backend = load_backend(spec)
    try:
        return [c.text.strip() for c in backend.generate(requests, GenerationSettings(max_new_tokens=1536))]
    finally:
        backend.close()


def split_loss(model: Any, examples: list[Any], device: torch.device) -> float:
    """Token-weighted cross-entropy over assistant tokens (the trainer's definition)."""
    total, count = 0.0, 0
    with torch.no_grad():
        for ex in examples:
            ids = torch.tensor([ex.input_ids], device=device)
            logits = model(input_ids=ids).logits[0, :-1].float()
            mask = torch.tensor(ex.labels[1:], device=device)
            loss = torch.nn.functional.cross_entropy(logits[mask], ids[0, 1:][mask], reduction="sum")
            total += float(loss)
            count += int(mask.sum())
    return total / max(count, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path, required=True)
    ap.add_argument("--adapter", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--split", default="test")
    ap.add_argument("--limit", type=int, default=0, help="first N questions (0: all)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--models", default="untuned,tuned", help="which of untuned,tuned to run")
    args = ap.parse_args()

    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    # a run trained with its own prompt format (a base model such as Gemma 3 has none) keeps it beside
    # the adapter; the tokenizer takes it from there, checked, before any weights load
    template_file = args.adapter / TEMPLATE_FILE
    tok = load_tokenizer(args.model_dir, str(template_file) if adapter_chat_template(args.adapter) else None)
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = EOT
    convs = [m for _, m in read_chat_jsonl(args.data / f"{args.split}.jsonl")]
    meta = [json.loads(line) for line in (args.data / f"{args.split}.meta.jsonl").read_text().splitlines()]
    if args.limit:
        convs, meta = convs[: args.limit], meta[: args.limit]
    examples = load_dataset(args.data / f"{args.split}.jsonl", tok, 4096).examples[: len(convs)]
    args.out.mkdir(parents=True, exist_ok=True)
    base: Any = AutoModelForCausalLM.from_pretrained(str(args.model_dir), dtype=dtype).to(device).eval()
    report: dict[str, Any] = {"device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu"}
    for label in [m for m in ("untuned", "tuned") if m in args.models.split(",")]:
        model = (
            base
            if label == "untuned"
            else PeftModel.from_pretrained(base, str(args.adapter)).to(device).eval()
        )
        spec = f"hf:{args.model_dir}" + ("" if label == "untuned" else f",adapter={args.adapter}")
        t0 = time.perf_counter()
        answers = generate_all(spec, tok, convs)
        seconds = time.perf_counter() - t0
        loss = split_loss(model, examples, device)
        rows = "".join(
            json.dumps({"id": m["id"], "answer": a}) + "\n" for m, a in zip(meta, answers, strict=True)
        )
        (args.out / f"answers-{label}.jsonl").write_text(rows, encoding="utf-8")
        report[label] = {"loss": round(loss, 4), "n": len(answers), "generate_seconds": round(seconds, 1)}
        print(f"{label}: {args.split} loss {loss:.4f}, {len(answers)} answers in {seconds:.0f} s", flush=True)
    (args.out / f"answer_report-{args.models.replace(',', '-')}.json").write_text(
        json.dumps(report, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
