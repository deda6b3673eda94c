"""Training speed of the project's LoRA trainer vs a plain transformers + PEFT loop (same run).

Model: the Llama-3.2-3B architecture, randomly initialised (weights do not change speed), default
preset (LoRA rank 8 on q,k,v,o,gate,up,down of the last 16 layers, batch 4 examples, lr 1e-5).
Data: random token sequences whose (length, trained tokens) pairs are drawn (seeded) from a generated
dataset's examples: `--lengths` names a file written by `--write-lengths DATA.jsonl FILE` (the trainer's
own tokenisation with the embedded model's tokenizer); the default is the committed
`benchmarks/data/train-lengths.json` (the 20,000-example default dataset). `--lengths uniform`: lengths
uniform in [300, 1500], the first 10-40 % of each the masked "prompt" (the figures before 2026-12-05).
Every variant runs the same batches.

Reports real (non-pad) tokens/s, the ratio to the plain loop, peak GPU memory (allocated and
reserved by PyTorch's allocator, after the model is built: the training peak) and MFU: required
model FLOPs (see `step_flops`) over time, against a bf16 matmul rate measured in the same run.

Quantized variants (QLoRA) add `+nf4` or `+int8` to a packed variant: the same random weights are
saved once and loaded through the trainer's own quantized path (`train/quantize.py`: bitsandbytes
NF4 with double quantization and bf16 compute, or LLM.int8()), then trained by the same step. They
measure CUDA kernels, so on the CPU they run only with `--tiny` (a smoke test of the code path).

Memory levers, as variant tokens: `ckpt` (gradient checkpointing, every layer), `ckpt2` (every second
layer), `mbN` (each batch cut into micro-batches of at most N tokens: the trainer's `micro_batch_tokens`,
same gradients), `ckpt-overN` (checkpoint only micro-batches longer than N tokens: the trainer's
`checkpoint_over_tokens`), `keepN` (with checkpointing, the last N // T layers of a micro-batch of T tokens
keep their activations: the trainer's `checkpoint_keep_tokens`), `chunkN` (the loss's logits in chunks of N
rows instead of `--chunk`: the trainer's `loss_chunk_tokens`). `--list-memory` prints the variant list measured for the memory targets.

    python benchmarks/train_speed.py                 # CUDA, full size, bf16 variants
    python benchmarks/train_speed.py --variants "$(python benchmarks/train_speed.py --list-qlora)"
    python benchmarks/train_speed.py --variants "$(python benchmarks/train_speed.py --list-memory)"
    python benchmarks/train_speed.py --tiny --steps 2 --warmup 1 --device cpu   # smoke test
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from witness_evals.train import attention
from witness_evals.train.config import TrainConfig
from witness_evals.train.data import TokenizedExample
from witness_evals.train.model import (
    apply_lora,
    compile_layers,
    count_trainable,
    enable_checkpointing,
    freeze_prefix,
    use_packed_attention,
)
from witness_evals.train.packing import pack, split_by_tokens
from witness_evals.train.quantize import TORCH_QUANTIZERS, ensure_installed, load_quantized
from witness_evals.train.step import accumulate, make_optimizer, optimizer_step

LLAMA_3B: dict[str, Any] = {
    "hidden_size": 3072,
    "intermediate_size": 8192,
    "num_hidden_layers": 28,
    "num_attention_heads": 24,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "vocab_size": 128256,
    "max_position_embeddings": 131072,
    "rms_norm_eps": 1e-5,
    "rope_theta": 500000.0,
    "tie_word_embeddings": True,
    "hidden_act": "silu",
}
TINY: dict[str, Any] = {
    **LLAMA_3B,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "vocab_size": 512,
}


LENGTHS = Path(__file__).resolve().parent / "data" / "train-lengths.json"


def make_examples(
    n: int, vocab: int, lo: int, hi: int, seed: int, shapes: list[tuple[int, int]] | None = None
) -> list[TokenizedExample]:
    """`n` random examples: (length, trained tokens) drawn from `shapes`, else uniform lengths."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        if shapes:
            length, targets = rng.choice(shapes)
            prompt = length - targets
        else:
            length = rng.randint(lo, hi)
            prompt = int(length * rng.uniform(0.1, 0.4))
        ids = tuple(rng.randrange(3, vocab) for _ in range(length))
        out.append(TokenizedExample(ids, tuple([False] * prompt + [True] * (length - prompt))))
    return out


def write_lengths(data: Path, out: Path, sample: int = 4000, seed: int = 0) -> None:
    """(length, trained tokens) of up to `sample` examples of a chat JSONL, tokenised as the trainer does."""
    import hashlib

    from witness_evals.train.data import end_of_turn_ids, read_chat_jsonl, tokenize_conversation
    from witness_evals.train.model_source import resolve_model
    from witness_evals.train.trainer import load_tokenizer

    conversations = read_chat_jsonl(data)
    picked = random.Random(seed).sample(conversations, min(sample, len(conversations)))
    tokenizer = load_tokenizer(resolve_model(None))
    eot = end_of_turn_ids(tokenizer)
    shapes = []
    for _, messages in sorted(picked, key=lambda item: item[0]):
        example = tokenize_conversation(tokenizer, messages, eot)
        shapes.append([len(example), sum(example.labels)])
    record = {
        "source": data.name,
        "sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
        "tokenizer": "SmolLM2-135M-Instruct (the embedded default model)",
        "examples": shapes,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, separators=(",", ":")) + "\n", encoding="utf-8")
    lengths = sorted(length for length, _ in shapes)
    print(f"{out}: {len(shapes)} examples, median {lengths[len(lengths) // 2]} tokens, max {lengths[-1]}")


def read_lengths(spec: str) -> list[tuple[int, int]] | None:
    """The (length, trained tokens) pairs of a `--write-lengths` file; None for `uniform`."""
    if spec == "uniform":
        return None
    record = json.loads(Path(spec).read_text(encoding="utf-8"))
    return [(int(length), int(targets)) for length, targets in record["examples"]]


def step_flops(cfg: dict[str, Any], lens: list[int], n_targets: int, lora_layers: int, rank: int) -> float:
    """FLOPs a LoRA step must do: forward of every layer, backward (input grads) of the LoRA layers,
    LoRA weight grads, causal attention (half the square), LM head on target positions only."""
    d, i, nl = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    hq = cfg["num_attention_heads"] * cfg["head_dim"]
    kv = cfg["num_key_value_heads"] * cfg["head_dim"]
    lin = d * hq * 2 + 2 * d * kv + 3 * d * i
    lora = rank * ((d + hq) * 2 + 2 * (d + kv) + 3 * (d + i))
    t = sum(lens)
    attn = sum(2 * n * n * hq for n in lens)  # causal QK^T + PV
    fwd = nl * (2 * lin * t + attn) + lora_layers * 2 * lora * t + 2 * d * cfg["vocab_size"] * n_targets
    bwd = lora_layers * (2 * lin * t + 2 * attn + 4 * lora * t) + 2 * d * cfg["vocab_size"] * n_targets
    return float(fwd + bwd)


def matmul_tflops(device: torch.device) -> float:
    n = 8192
    a = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    for _ in range(5):
        a @ b
    times = []
    for _ in range(30):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        a @ b
        e.record()
        torch.cuda.synchronize()
        times.append(s.elapsed_time(e) / 1e3)
    return 2 * n**3 / statistics.median(times) / 1e12


def build(cfg: dict[str, Any], device: torch.device, dtype: torch.dtype, attn: str, seed: int) -> Any:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(**cfg)
    config._attn_implementation = attn
    with torch.device(device):
        model = cast(Any, LlamaForCausalLM(config)).to(dtype)
    return model


def checkpointed_layers(model: Any) -> int:
    """Decoder layers that recompute their activations in backward (transformers checkpoints a layer
    only in training mode)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    layers = base.get_decoder().layers
    return sum(bool(getattr(layer, "gradient_checkpointing", False)) and layer.training for layer in layers)


def variant_quantization(variant: str) -> str:
    """`nf4` / `int8` when the variant names one (`...+nf4`), else `none`."""
    named = [t for t in variant.split("+") if t in TORCH_QUANTIZERS]
    return named[0] if named else "none"


def build_quantized(
    cfg: dict[str, Any], device: torch.device, dtype: torch.dtype, quantization: str, seed: int, saved: Path
) -> Any:
    """The same random weights as `build`, saved once under `saved` and loaded quantized like the trainer."""
    if not (saved / "config.json").is_file():
        model = build(cfg, device, dtype, "sdpa", seed)
        model.save_pretrained(str(saved), safe_serialization=True)
        del model
        gc.collect()
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return load_quantized(saved, TORCH_QUANTIZERS[quantization], dtype, device)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def run_plain(
    model: Any, batches: list[list[TokenizedExample]], device: torch.device, warmup: int
) -> tuple[float, list[float]]:
    """The plain loop: right-padded batches, SDPA, `model(..., labels=...)`, default AdamW."""
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    losses = []
    t0 = 0.0
    for k, exs in enumerate(batches):
        if k == warmup:
            sync(device)
            t0 = time.perf_counter()
        width = max(len(e) for e in exs)
        ids = torch.zeros(len(exs), width, dtype=torch.long)
        mask = torch.zeros(len(exs), width, dtype=torch.long)
        labels = torch.full((len(exs), width), -100, dtype=torch.long)
        for r, e in enumerate(exs):
            n = len(e)
            ids[r, :n] = torch.tensor(e.input_ids)
            mask[r, :n] = 1
            labels[r, :n] = torch.tensor(
                [t if lab else -100 for t, lab in zip(e.input_ids, e.labels, strict=True)]
            )
        out = model(input_ids=ids.to(device), attention_mask=mask.to(device), labels=labels.to(device))
        out.loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(out.loss.detach())
    sync(device)
    return time.perf_counter() - t0, [float(x) for x in losses]


def run_packed(
    model: Any,
    batches: list[list[TokenizedExample]],
    device: torch.device,
    dtype: torch.dtype,
    warmup: int,
    chunk: int,
    *,
    budget: int = 0,
    checkpoint_over: int = 0,
    checkpoint_keep: int = 0,
) -> tuple[float, list[float]]:
    """The project's step (`witness_evals.train.step`), exactly as the trainer calls it: each batch in
    micro-batches of at most `budget` tokens (0: one), checkpointed when longer than `checkpoint_over`,
    the last `checkpoint_keep // tokens` layers not."""
    opt = make_optimizer(model, 1e-5, 0.0)
    losses = []
    t0 = 0.0
    for k, exs in enumerate(batches):
        if k == warmup:
            sync(device)
            t0 = time.perf_counter()
        mbs = [pack(group).to(device) for group in split_by_tokens(exs, budget)]
        n_targets = sum(mb.n_targets for mb in mbs)
        loss_sum = accumulate(
            model,
            mbs,
            dtype=dtype,
            device=device,
            total_targets=n_targets,
            chunk=chunk,
            checkpoint_over=checkpoint_over,
            checkpoint_keep=checkpoint_keep,
        )
        optimizer_step(model, opt, None, 1.0)
        losses.append(loss_sum / n_targets)
    sync(device)
    return time.perf_counter() - t0, [float(x) for x in losses]


def profile(
    model: Any, batches: list[list[TokenizedExample]], device: torch.device, dtype: torch.dtype, chunk: int
) -> None:
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as prof

    with prof(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as p:
        t0 = time.perf_counter()
        run_packed(model, batches, device, dtype, 0, chunk)
        wall = time.perf_counter() - t0
    events = p.key_averages()
    gpu = sum(e.self_device_time_total for e in events) / 1e3
    print(
        f"profile: wall {1e3 * wall:.0f} ms, GPU kernel time {gpu:.0f} ms, {len(batches)} steps", flush=True
    )
    print(events.table(sort_by="self_device_time_total", row_limit=18, max_name_column_width=50), flush=True)


VARIANTS = (
    "plain",
    "packed-varlen+nograd",
    "packed-varlen+nograd+compile",
)  # also: packed-sdpa, +ckpt, +ckpt2
QLORA_VARIANTS = (
    "plain",
    "packed-varlen+nograd+compile",
    "packed-varlen+nograd+nf4",
    "packed-varlen+nograd+compile+nf4",
    "packed-varlen+nograd+compile+nf4+ckpt",
    "packed-varlen+nograd+compile+nf4+ckpt2",
    "packed-varlen+nograd+compile+int8",
)
MEMORY_VARIANTS = (  # checkpointing with the last layers' activations kept (`keepN`), smaller loss chunks
    "plain",
    "packed-varlen+nograd+compile+nf4+ckpt",
    "packed-varlen+nograd+compile+nf4+ckpt+keep16384",
    "packed-varlen+nograd+compile+nf4+ckpt+keep16384+chunk512",
    "packed-varlen+nograd+compile+nf4+ckpt+keep24576+chunk512",
    "packed-varlen+nograd+compile+ckpt",
    "packed-varlen+nograd+compile+ckpt+keep40960",
    "packed-varlen+nograd+compile+ckpt+keep49152+chunk512",
    "packed-varlen+nograd+compile+nf4",
    "packed-varlen+nograd+compile",
)  # the most telling first: a run cut by its time limit keeps the rows it printed


def token_value(tokens: list[str], name: str) -> int:
    """N of a variant token `nameN` (`mb4096`, `ckpt-over2048`), 0 when there is none."""
    for token in tokens:
        if token.startswith(name) and token[len(name) :].isdigit():
            return int(token[len(name) :])
    return 0


def refuse(message: str) -> None:
    """One line on stderr, exit 2 (bad input), before anything is built."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tiny", action="store_true", help="tiny model (smoke test)")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--steps", type=int, default=30, help="measured steps per variant")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--chunk", type=int, default=1024, help="loss_chunk_tokens")
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    ap.add_argument("--profile", default="", help="variant to profile for 3 steps after timing")
    ap.add_argument("--list-qlora", action="store_true", help="print the bf16-vs-QLoRA variant list and exit")
    ap.add_argument("--list-memory", action="store_true", help="print the memory-lever variant list and exit")
    ap.add_argument("--lengths", default=str(LENGTHS), help="a --write-lengths file, or `uniform`")
    ap.add_argument("--write-lengths", nargs=2, type=Path, metavar=("DATA_JSONL", "OUT_JSON"))
    args = ap.parse_args()
    if args.list_qlora or args.list_memory:
        print(",".join(QLORA_VARIANTS if args.list_qlora else MEMORY_VARIANTS))
        return
    if args.write_lengths:
        write_lengths(*args.write_lengths)
        return
    import os

    os.environ.setdefault("PYTORCH_ALLOC_CONF", "expandable_segments:True")

    device = torch.device(args.device)
    variants = args.variants.split(",")
    quantized = sorted({variant_quantization(v) for v in variants} - {"none"})
    if quantized and device.type != "cuda" and not args.tiny:
        refuse(
            f"{', '.join(quantized)} variants measure CUDA kernels; on {device.type} only --tiny "
            "(a smoke test of the code path) runs them"
        )
    if any(variant_quantization(v) != "none" and v.startswith("plain") for v in variants):
        refuse("quantization applies to the packed variants (packed-...+nf4), not to plain")
    for q in quantized:
        try:
            ensure_installed(TORCH_QUANTIZERS[q])
        except Exception as exc:
            refuse(str(exc))
    saved_dir = Path(tempfile.mkdtemp(prefix="train-speed-weights-"))
    cfg = TINY if args.tiny else LLAMA_3B
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    preset = TrainConfig()
    lo, hi = (30, 150) if args.tiny else (300, 1500)
    shapes = None if args.tiny else read_lengths(args.lengths)
    if shapes is not None:  # the trainer drops examples longer than max_seq_length
        shapes = [shape for shape in shapes if shape[0] <= preset.max_seq_length]
    n_batches = args.warmup + args.steps
    examples = make_examples(n_batches * preset.batch_size, cfg["vocab_size"], lo, hi, seed=0, shapes=shapes)
    batches = [examples[k * preset.batch_size : (k + 1) * preset.batch_size] for k in range(n_batches)]
    measured = batches[args.warmup :]
    real_tokens = sum(len(e) for b in measured for e in b)
    padded_tokens = sum(max(len(e) for e in b) * len(b) for b in measured)
    flops = sum(
        step_flops(
            cfg, [len(e) for e in b], sum(e.n_targets for e in b), preset.lora_layers, preset.lora_rank
        )
        for b in measured
    )
    peak = matmul_tflops(device) if device.type == "cuda" else float("nan")
    env = {
        "torch": torch.__version__,
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "bf16_matmul_tflops": peak,
        "varlen_available": attention.varlen_available(),
        "lengths": "uniform" if shapes is None else Path(args.lengths).name,
    }
    print(json.dumps(env), flush=True)

    rows: list[dict[str, Any]] = []
    for variant in variants:
        # each variant compiles from scratch: dynamo's cache is per code object, shared by every model of
        # this process; left alone, earlier variants' graphs count against the recompile limit (8) of
        # later ones, which then run partly uncompiled (2026-12-05, H100: a CheckpointError and slow rows)
        torch._dynamo.reset()
        gc.collect()
        if device.type == "cuda":
            torch.cuda.empty_cache()
        try:
            plain = variant == "plain"
            quantization = variant_quantization(variant)
            if quantization == "none":
                model = build(cfg, device, dtype, "sdpa", seed=0)
            else:
                model = build_quantized(cfg, device, dtype, quantization, 0, saved_dir)
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)  # the training peak (weights resident)
            model = apply_lora(model, preset)
            model.train()  # as the trainer does: from_pretrained (the quantized path) returns eval mode,
            # where transformers skips gradient checkpointing
            trainable = count_trainable(model)
            if plain:
                seconds, losses = run_plain(model, batches, device, args.warmup)
            else:
                use_packed_attention(model)
                attention.set_kernel("varlen" if "varlen" in variant else "sdpa")
                tokens = variant.split("+")
                budget, over = token_value(tokens, "mb"), token_value(tokens, "ckpt-over")
                keep = token_value(tokens, "keep")
                if "ckpt" in tokens or "ckpt2" in tokens or over or keep:
                    enable_checkpointing(model)
                    if "ckpt2" in tokens:  # every second layer only: half the recompute, half the saving
                        for k, layer in enumerate(model.get_base_model().get_decoder().layers):
                            layer.gradient_checkpointing = k % 2 == 0
                if "nograd" in variant:
                    freeze_prefix(model)
                if "compile" in variant:
                    compile_layers(model, 2048)
                seconds, losses = run_packed(
                    model,
                    batches,
                    device,
                    dtype,
                    args.warmup,
                    token_value(tokens, "chunk") or args.chunk,
                    budget=budget,
                    checkpoint_over=over,
                    checkpoint_keep=keep,
                )
            if args.profile == variant:
                profile(model, batches[: args.warmup], device, dtype, args.chunk)
            row = {
                "variant": variant,
                "tokens_per_s": real_tokens / seconds,
                "step_ms": 1e3 * seconds / args.steps,
                "peak_alloc_gib": torch.cuda.max_memory_allocated(device) / 2**30
                if device.type == "cuda"
                else 0.0,
                "peak_reserved_gib": torch.cuda.max_memory_reserved(device) / 2**30
                if device.type == "cuda"
                else 0.0,
                "mfu": flops / seconds / 1e12 / peak,
                "first_loss": losses[0],
                "last_loss": losses[-1],
                "trainable": trainable,
                "quantization": quantization,
                "checkpointed_layers": checkpointed_layers(model),
            }
        except Exception as exc:  # keep measuring the other variants
            row = {"variant": variant, "error": f"{type(exc).__name__}: {exc}"[:300]}
        rows.append(row)
        print(json.dumps(row), flush=True)
        model = None
        attention.set_kernel("auto")
    shutil.rmtree(saved_dir, ignore_errors=True)

    base = next((r["tokens_per_s"] for r in rows if r["variant"] == "plain" and "tokens_per_s" in r), None)
    print(f"\n{env['gpu']}  torch {env['torch']}  bf16 matmul {peak:.0f} TFLOP/s (measured)")
    print(
        f"{args.steps} steps x {preset.batch_size} examples, {real_tokens} real tokens "
        f"({padded_tokens} padded in the plain loop); lengths: "
        f"{'uniform 30-150' if args.tiny else 'uniform 300-1500' if shapes is None else args.lengths}"
    )
    print(
        f"{'variant':38} {'tokens/s':>10} {'x plain':>8} {'peak alloc':>11} {'peak resv':>10} {'MFU':>6} "
        f"{'loss@1':>8} {'loss@end':>8}"
    )
    for r in rows:
        if "error" in r:
            print(f"{r['variant']:38} ERROR {r['error']}")
            continue
        ratio = r["tokens_per_s"] / base if base else float("nan")
        print(
            f"{r['variant']:38} {r['tokens_per_s']:10.0f} {ratio:8.2f} {r['peak_alloc_gib']:9.2f}Gi "
            f"{r['peak_reserved_gib']:8.2f}Gi {100 * r['mfu']:5.1f}% {r['first_loss']:8.4f} {r['last_loss']:8.4f}"
        )
    if args.json:
        args.json.write_text(json.dumps({"env": env, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
