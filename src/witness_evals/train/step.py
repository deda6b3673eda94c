"""One optimisation step of the torch backend (shared by the trainer and the benchmark)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from witness_evals.train.model import compute_context, packed_loss, set_checkpointing
from witness_evals.train.packing import PackedBatch


def make_optimizer(model: torch.nn.Module, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    """AdamW over the trainable (LoRA) parameters; fused kernel on CUDA."""
    params = [p for p in model.parameters() if p.requires_grad]
    fused = bool(params) and params[0].device.type == "cuda"
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, fused=fused)


def accumulate(
    model: Any,
    micro_batches: Sequence[PackedBatch],
    *,
    dtype: torch.dtype,
    device: torch.device,
    total_targets: int,
    chunk: int = 1024,
    checkpoint_over: int = 0,
    checkpoint_keep: int = 0,
) -> torch.Tensor:
    """Forward+backward over micro-batches; gradients are of (sum of token losses) / total_targets.

    Returns the summed token loss (a 0-dim tensor: no device sync). With data parallelism
    `total_targets` is the global count and the trainer sums (not averages) gradients across
    processes, so the update is that of the global token mean. `checkpoint_over` > 0: only
    micro-batches of more tokens than that are gradient-checkpointed (set up by `enable_checkpointing`).
    `checkpoint_keep` > 0: of a checkpointed micro-batch of T tokens, the last `checkpoint_keep // T`
    layers keep their activations (memory for about `checkpoint_keep` layer-tokens, less recompute).
    """
    loss_sum = torch.zeros((), dtype=torch.float32, device=device)
    for mb in micro_batches:
        if checkpoint_over > 0 or checkpoint_keep > 0:
            keep = checkpoint_keep // max(mb.n_tokens, 1)
            set_checkpointing(model, mb.n_tokens > checkpoint_over, keep_last=keep)
        with compute_context(model, dtype, device):
            loss = packed_loss(model, mb, chunk)
        (loss / max(total_targets, 1)).backward()
        loss_sum += loss.detach()
    return loss_sum


def optimizer_step(
    model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any | None, max_grad_norm: float
) -> torch.Tensor | None:
    """Clip, step, zero; return the gradient norm tensor (None when clipping is off)."""
    norm = None
    if max_grad_norm > 0:
        params = [p for p in model.parameters() if p.requires_grad]
        norm = torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
    optimizer.step()
    if scheduler is not None:
        scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return norm
