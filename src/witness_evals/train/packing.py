"""Packing several examples into one row with no attention between them.

A packed row concatenates examples; position ids restart at 0 for each example and `seq_lens` tells
the attention kernel where each example ends (see `attention.py`), so every example sees only its own
tokens: the per-example loss equals the unpacked one up to numerics. Targets are precomputed as
(position, next token) pairs so the loss never touches masked positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from witness_evals.train.data import TokenizedExample


@dataclass
class PackedBatch:
    """One packed row: `input_ids`/`position_ids` of shape (1, T); targets at `target_pos`."""

    input_ids: torch.Tensor
    position_ids: torch.Tensor
    seq_lens: tuple[int, ...]
    target_pos: torch.Tensor  # (n,) positions whose next token is trained on
    target_ids: torch.Tensor  # (n,) the token expected after each of those positions
    target_example: torch.Tensor  # (n,) index of the example each target belongs to

    @property
    def n_tokens(self) -> int:
        return sum(self.seq_lens)

    @property
    def n_targets(self) -> int:
        return int(self.target_ids.numel())

    def to(self, device: torch.device | str) -> PackedBatch:
        nb = torch.device(device).type == "cuda"
        return PackedBatch(
            self.input_ids.to(device, non_blocking=nb),
            self.position_ids.to(device, non_blocking=nb),
            self.seq_lens,
            self.target_pos.to(device, non_blocking=nb),
            self.target_ids.to(device, non_blocking=nb),
            self.target_example.to(device, non_blocking=nb),
        )


def split_by_tokens(examples: Sequence[TokenizedExample], budget: int) -> list[list[TokenizedExample]]:
    """`examples` cut, in order, into consecutive groups of at most `budget` tokens (0: one group).

    An example longer than the budget is a group of its own; it is never cut. The groups are micro-batches
    of one step: gradients of (sum of token losses) / (the step's targets) are the same however the step
    is cut, but activation memory follows the largest group instead of the whole step.
    """
    if budget <= 0:
        return [list(examples)] if examples else []
    groups: list[list[TokenizedExample]] = []
    size = 0
    for ex in examples:
        if not groups or size + len(ex) > budget:
            groups.append([])
            size = 0
        groups[-1].append(ex)
        size += len(ex)
    return groups


def pack(examples: Sequence[TokenizedExample]) -> PackedBatch:
    """Concatenate `examples` into one row (positions restart per example)."""
    ids: list[int] = []
    pos: list[int] = []
    tpos: list[int] = []
    tids: list[int] = []
    tex: list[int] = []
    for k, ex in enumerate(examples):
        start = len(ids)
        n = len(ex.input_ids)
        ids.extend(ex.input_ids)
        pos.extend(range(n))
        for t in range(n - 1):
            if ex.labels[t + 1]:
                tpos.append(start + t)
                tids.append(ex.input_ids[t + 1])
                tex.append(k)
    pin = torch.cuda.is_available()
    as_long = lambda xs: torch.tensor(xs, dtype=torch.long)  # noqa: E731
    batch = PackedBatch(
        as_long(ids).unsqueeze(0),
        as_long(pos).unsqueeze(0),
        tuple(len(ex.input_ids) for ex in examples),
        as_long(tpos),
        as_long(tids),
        as_long(tex),
    )
    if pin:
        batch = PackedBatch(
            batch.input_ids.pin_memory(),
            batch.position_ids.pin_memory(),
            batch.seq_lens,
            batch.target_pos.pin_memory(),
            batch.target_ids.pin_memory(),
            batch.target_example.pin_memory(),
        )
    return batch
