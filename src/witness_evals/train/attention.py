"""Attention over packed rows without cross-example attention, registered with transformers.

`packed_attention` is a transformers attention function (name `PACKED_ATTENTION`). The caller passes
`seq_lens` (python ints) and, for the varlen kernel, `cu_seqlens` (int32 tensor on the device) as
model kwargs; transformers forwards them to every attention layer. Kernels:
- `varlen`: one FlashAttention varlen call over the whole row (`torch.nn.attention.varlen`, CUDA);
- `sdpa`: one causal `scaled_dot_product_attention` per example (any device; exact).
Without `seq_lens` the row is one causal sequence. Compiled models pass only `cu_seqlens` and a fixed
upper bound `max_seqlen` (so no python value changes between steps and nothing recompiles).
"""

from __future__ import annotations

import inspect
from functools import cache
from typing import Any

import torch
import torch.nn.functional as F

PACKED_ATTENTION = "witness_packed"
_MODE = {"kernel": "auto"}


@cache
def _varlen() -> tuple[Any, dict[str, Any]] | None:
    """The varlen kernel and the keyword arguments for causal GQA on this torch, if it has one."""
    try:
        from torch.nn.attention.varlen import varlen_attn
    except ImportError:
        return None
    params = inspect.signature(varlen_attn).parameters
    extra: dict[str, Any] = {}
    if "is_causal" in params:
        extra["is_causal"] = True
    elif "window_size" in params:
        extra["window_size"] = (-1, 0)
    else:
        return None
    if "enable_gqa" in params:
        extra["enable_gqa"] = True
    return varlen_attn, extra


def _varlen_call(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    cu: torch.Tensor,
    max_len: int,
    scaling: float | None,
) -> torch.Tensor:
    """FlashAttention varlen over one packed row: (1, H, T, D) in, (1, T, H, D) out."""
    found = _varlen()
    assert found is not None, "varlen kernel unavailable"
    fn, extra = found
    q, k, v = (t[0].transpose(0, 1) for t in (query, key, value))  # (T, H, D)
    if query.shape[1] != key.shape[1] and "enable_gqa" not in extra:
        rep = q.shape[1] // k.shape[1]
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
    out: torch.Tensor = fn(q, k, v, cu, cu, max_len, max_len, scale=scaling, **extra)
    return out.unsqueeze(0)


def varlen_available() -> bool:
    return _varlen() is not None and torch.cuda.is_available()


def set_kernel(kernel: str) -> None:
    """`auto` (varlen on CUDA when available, else sdpa), `varlen` or `sdpa`."""
    if kernel not in ("auto", "varlen", "sdpa"):
        raise ValueError(kernel)
    _MODE["kernel"] = kernel


def _use_varlen(query: torch.Tensor) -> bool:
    kernel = _MODE["kernel"]
    if kernel == "sdpa" or query.device.type != "cuda" or query.dtype not in (torch.float16, torch.bfloat16):
        return False
    return _varlen() is not None


def packed_attention(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float | None = None,
    dropout: float = 0.0,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """q (1, H, T, D), k/v (1, Hkv, T, D) -> (1, T, H, D), causal within each example."""
    seq_lens: tuple[int, ...] | None = kwargs.get("seq_lens")
    cu_fixed = kwargs.get("cu_seqlens")
    if seq_lens is None and cu_fixed is not None:
        if not _use_varlen(query):  # sdpa cannot split the row without seq_lens: refuse, never mix examples
            raise ValueError(
                "packed row with cu_seqlens but no seq_lens needs the varlen kernel "
                f"(CUDA, bf16/fp16, attention != sdpa); got {query.device.type} {query.dtype}, "
                f"attention={_MODE['kernel']}"
            )
        return _varlen_call(query, key, value, cu_fixed, int(kwargs["max_seqlen"]), scaling), None
    if query.shape[0] != 1 and seq_lens is not None:
        raise ValueError("packed attention expects one packed row")
    gqa = query.shape[1] != key.shape[1]
    if seq_lens is None or len(seq_lens) == 1:
        out = F.scaled_dot_product_attention(query, key, value, is_causal=True, scale=scaling, enable_gqa=gqa)
        return out.transpose(1, 2).contiguous(), None
    if _use_varlen(query):
        cu = cu_fixed
        if cu is None:
            cu = torch.tensor([0, *_cumsum(seq_lens)], dtype=torch.int32, device=query.device)
        return _varlen_call(query, key, value, cu, kwargs.get("max_seqlen") or max(seq_lens), scaling), None
    outs = []
    start = 0
    for n in seq_lens:
        sl = slice(start, start + n)
        outs.append(
            F.scaled_dot_product_attention(
                query[:, :, sl], key[:, :, sl], value[:, :, sl], is_causal=True, scale=scaling, enable_gqa=gqa
            )
        )
        start += n
    return torch.cat(outs, dim=2).transpose(1, 2).contiguous(), None


def _cumsum(xs: tuple[int, ...]) -> list[int]:
    out, total = [], 0
    for x in xs:
        total += x
        out.append(total)
    return out


def register() -> str:
    """Register the function with transformers (idempotent); return its name."""
    from transformers import AttentionInterface

    AttentionInterface.register(PACKED_ATTENTION, packed_attention)
    return PACKED_ATTENTION
