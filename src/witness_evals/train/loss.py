"""Cross-entropy over a large vocabulary without materialising the logits.

`linear_cross_entropy(hidden, weight, targets)` returns the summed token loss of
`softmax(hidden @ weight.T)` against `targets`. It works in chunks of rows: each chunk's logits
exist only inside the forward pass (in the weight's dtype, log-sum-exp in fp32), and the gradient
with respect to `hidden` is computed right there, so the backward pass is a multiply. The output
weight (the LM head, frozen under LoRA) gets no gradient.
"""

from __future__ import annotations

from typing import Any

import torch


class _LinearCrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any, hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, chunk: int
    ) -> torch.Tensor:
        need_grad = ctx.needs_input_grad[0]
        acc = torch.promote_types(hidden.dtype, torch.float32)  # fp32, or fp64 for fp64 inputs
        total = torch.zeros((), dtype=acc, device=hidden.device)
        grad = torch.empty_like(hidden) if need_grad else None
        for start in range(0, hidden.shape[0], chunk):
            h = hidden[start : start + chunk]
            t = targets[start : start + chunk]
            logits = (h @ weight.T).to(acc)
            lse = torch.logsumexp(logits, dim=-1)
            total += (lse - logits.gather(1, t[:, None]).squeeze(1)).sum()
            if grad is not None:
                probs = logits.sub_(lse[:, None]).exp_()
                probs.scatter_add_(1, t[:, None], torch.full_like(lse[:, None], -1.0))
                grad[start : start + chunk] = probs.to(weight.dtype) @ weight
                del probs
            del logits
        ctx.save_for_backward(grad if grad is not None else torch.empty(0))
        return total

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, None, None, None]:
        (grad,) = ctx.saved_tensors
        if not ctx.needs_input_grad[0]:
            return None, None, None, None
        return grad * grad_out.to(grad.dtype), None, None, None


def linear_cross_entropy(
    hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, chunk: int = 1024
) -> torch.Tensor:
    """Summed cross-entropy (fp32 scalar) of `hidden @ weight.T` against `targets` (N,)."""
    if weight.requires_grad:
        raise ValueError("linear_cross_entropy does not train the output weight")
    if hidden.shape[0] == 0:
        return hidden.sum().float() * 0.0
    if hidden.dtype != weight.dtype:
        hidden = hidden.to(weight.dtype)
    out: torch.Tensor = _LinearCrossEntropy.apply(hidden, weight, targets, chunk)
    return out


def per_row_cross_entropy(
    hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, chunk: int = 1024
) -> torch.Tensor:
    """Per-row losses (fp32, no grad), for evaluation and tests."""
    rows = []
    with torch.no_grad():
        for start in range(0, hidden.shape[0], chunk):
            logits = (hidden[start : start + chunk].to(weight.dtype) @ weight.T).to(
                torch.promote_types(weight.dtype, torch.float32)
            )
            t = targets[start : start + chunk]
            rows.append(torch.logsumexp(logits, -1) - logits.gather(1, t[:, None]).squeeze(1))
    return torch.cat(rows) if rows else hidden.new_zeros(0, dtype=torch.float32)
