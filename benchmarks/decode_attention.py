"""One decoding step's attention, SmolLM2-135M shapes: transformers' repeated key/value heads vs packed.

`repeat`: what transformers' `sdpa` attention does on a compiled (static-cache) step with a mask —
`repeat_kv` copies each key/value head for its 3 query heads, then SDPA over 9 heads. `packed`:
`witness_evals.inference._attention.packed_gqa_attention` — the group's query heads as rows of its
key/value head, no copy. Same inputs, outputs compared, median of `--reps` timed calls per layer,
times 30 layers for a step.

    python benchmarks/decode_attention.py --rows 512 --cache 3072          # CUDA, bf16
    python benchmarks/decode_attention.py --device cpu --rows 32 --cache 2048
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from transformers.integrations.sdpa_attention import repeat_kv

from witness_evals.inference._attention import packed_gqa_attention

HEADS, KV_HEADS, DIM, LAYERS = 9, 3, 64, 30  # SmolLM2-135M


class Layer(torch.nn.Module):
    num_key_value_groups = HEADS // KV_HEADS
    is_causal = True


def repeated(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    groups = HEADS // KV_HEADS
    out = torch.nn.functional.scaled_dot_product_attention(
        query, repeat_kv(key, groups), repeat_kv(value, groups), attn_mask=mask
    )
    return out.transpose(1, 2).contiguous()


def packed(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return packed_gqa_attention(Layer(), query, key, value, mask)[0]


def timed(fn: object, args: tuple[torch.Tensor, ...], reps: int, device: torch.device) -> float:
    for _ in range(3):
        fn(*args)  # type: ignore[operator]
    times = []
    for _ in range(reps):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn(*args)  # type: ignore[operator]
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--rows", type=int, default=512)
    ap.add_argument("--cache", type=int, default=3072, help="static cache length")
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args()
    device = torch.device(args.device)
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    gen = torch.Generator(device="cpu").manual_seed(0)

    def rand(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=gen).to(device, dtype)

    query = rand(args.rows, HEADS, 1, DIM)
    key, value = rand(args.rows, KV_HEADS, args.cache, DIM), rand(args.rows, KV_HEADS, args.cache, DIM)
    filled = torch.randint(args.cache // 4, args.cache, (args.rows,), generator=gen)
    mask = (torch.arange(args.cache)[None, :] < filled[:, None]).view(args.rows, 1, 1, args.cache).to(device)
    inputs = (query, key, value, mask)
    with torch.inference_mode():
        diff = (repeated(*inputs).float() - packed(*inputs).float()).abs().max().item()
        rows = [
            (name, timed(fn, inputs, args.reps, device))
            for name, fn in (("repeat", repeated), ("packed", packed))
        ]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"{name}, {dtype}, {args.rows} rows x {args.cache} cached positions, max |difference| {diff:.2e}")
    base = rows[0][1]
    for label, seconds in rows:
        print(
            f"{label:8} {1e3 * seconds:9.3f} ms a layer  {1e3 * seconds * LAYERS:9.1f} ms a step  {base / seconds:5.2f}x"
        )


if __name__ == "__main__":
    main()
