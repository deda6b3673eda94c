"""Untuned vs tuned: validation loss, exact-match accuracy and greedy sample answers.

Independent of the trainer's forward path: plain transformers + PEFT (`PeftModel.from_pretrained`
on the saved `adapter/`), so it also checks that the adapter the trainer wrote loads and works.
The loss is the trainer's definition (mean over assistant tokens, end-of-turn token included,
tokenised by `witness_evals.train.data`), so its tuned value should match the trainer's last eval.

    python benchmarks/real_run/before_after.py --model-dir DIR --data .carry/data \
        --adapter runs/real/adapter --samples 5 --json out.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch
from answer import split_loss as val_loss  # same directory: one definition of the trainer's loss

from witness_evals.train.data import load_dataset, read_chat_jsonl
from witness_evals.train.trainer import load_tokenizer


def generate(spec: str, prompts: list[list[dict[str, str]]]) -> list[str]:
    """Greedy answers (max 64 new tokens) through the shared inference module."""
    from witness_evals.inference import GenerationSettings, Request, load_backend

    backend = load_backend(spec)
    try:
        done = backend.generate(
            [Request(str(i), p) for i, p in enumerate(prompts)], GenerationSettings(max_new_tokens=64)
        )
        return [c.text.strip() for c in done]
    finally:
        backend.close()


def measure(
    label: str, model: Any, spec: str, data: dict[str, Any], device: torch.device, n_samples: int
) -> dict[str, Any]:
    """Loss on valid, exact match on valid and on an equal-size slice of train, sample answers."""
    start = time.perf_counter()
    res: dict[str, Any] = {"model": label, "val_loss": val_loss(model, data["valid_examples"], device)}
    for split in ("valid", "train"):
        convs = data[f"{split}_convs"]
        answers = generate(spec, [c[:-1] for c in convs])
        hits = sum(a == c[-1]["content"] for a, c in zip(answers, convs, strict=True))
        res[f"{split}_exact_match"] = hits / len(convs)
        res[f"{split}_n"] = len(convs)
        if split == "valid":
            res["samples"] = [
                {"question": c[1]["content"], "reference": c[-1]["content"], "answer": a}
                for c, a in zip(convs[:n_samples], answers[:n_samples], strict=True)
            ]
    res["seconds"] = round(time.perf_counter() - start, 2)
    return res


def pick_samples(convs: list[list[dict[str, str]]], n: int) -> list[list[dict[str, str]]]:
    """First conversation of each question kind (by answer shape), then the rest, stable."""
    firsts: list[list[dict[str, str]]] = []
    rest: list[list[dict[str, str]]] = []
    seen: set[str] = set()
    for c in convs:
        kind = c[-1]["content"][:2]
        (firsts if kind not in seen and len(firsts) < n else rest).append(c)
        seen.add(kind)
    return firsts + rest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--adapter", type=Path, required=True)
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    tok = load_tokenizer(args.model_dir)
    tok.padding_side = "left"
    if tok.pad_token is None:  # the GGUF-converted tokenizer may carry no pad token
        tok.pad_token = "<|im_end|>"
    valid = [m for _, m in read_chat_jsonl(args.data / "valid.jsonl")]
    train = [m for _, m in read_chat_jsonl(args.data / "train.jsonl")][: len(valid)]
    data = {
        "valid_examples": load_dataset(args.data / "valid.jsonl", tok, 2048).examples,
        "valid_convs": pick_samples(valid, args.samples),
        "train_convs": train,
    }
    base: Any = AutoModelForCausalLM.from_pretrained(str(args.model_dir), dtype=dtype)
    base = base.to(device).eval()
    before = measure("untuned", base, f"hf:{args.model_dir}", data, device, args.samples)
    tuned = PeftModel.from_pretrained(base, str(args.adapter)).to(device).eval()
    after = measure("tuned", tuned, f"hf:{args.model_dir},adapter={args.adapter}", data, device, args.samples)
    report: dict[str, Any] = {
        "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "dtype": str(dtype),
    }
    report.update({"untuned": before, "tuned": after})
    for r in (before, after):
        print(
            f"{r['model']:8s} val_loss {r['val_loss']:.4f}  exact match valid {r['valid_exact_match']:.3f} "
            f"(n={r['valid_n']})  train {r['train_exact_match']:.3f} (n={r['train_n']})  [{r['seconds']}s]"
        )
    for i, (b, a) in enumerate(zip(before["samples"], after["samples"], strict=True)):
        print(f"\n[{i + 1}] Q: {b['question']}\n    reference: {b['reference']}")
        print(f"    untuned:   {b['answer']!r}\n    tuned:     {a['answer']!r}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
