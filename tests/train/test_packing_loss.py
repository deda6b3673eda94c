"""Packed rows equal unpacked examples; the chunked LM-head loss equals plain cross-entropy."""

from __future__ import annotations

import contextlib
import itertools
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F

from witness_evals.train import attention
from witness_evals.train.config import TrainConfig
from witness_evals.train.data import TokenizedExample
from witness_evals.train.loss import linear_cross_entropy
from witness_evals.train.model import (
    apply_lora,
    enable_checkpointing,
    packed_loss,
    per_example_loss,
    set_checkpointing,
    use_packed_attention,
)
from witness_evals.train.packing import pack, split_by_tokens
from witness_evals.train.step import accumulate


def _examples(n: int, vocab: int, seed: int) -> list[TokenizedExample]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        length = rng.randint(5, 40)
        prompt = rng.randint(1, length - 2)
        out.append(
            TokenizedExample(
                tuple(rng.randrange(vocab) for _ in range(length)),
                tuple([False] * prompt + [True] * (length - prompt)),
            )
        )
    return out


@pytest.fixture(scope="module")
def lora_model(tiny_model: Path):
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(str(tiny_model), dtype=torch.float64)
    model = apply_lora(model, TrainConfig(lora_layers=2))
    for name, p in model.named_parameters():  # non-zero LoRA B so adapters matter
        if "lora_B" in name:
            p.data.normal_(0, 0.1)
    use_packed_attention(model)
    attention.set_kernel("sdpa")
    return model


def test_packed_row_equals_unpacked_examples(lora_model) -> None:
    vocab = lora_model.config.vocab_size
    exs = _examples(5, vocab, seed=1)
    packed = per_example_loss(lora_model, pack(exs))
    alone = torch.cat([per_example_loss(lora_model, pack([e])) for e in exs])
    torch.testing.assert_close(packed, alone, rtol=1e-9, atol=1e-9)
    # against transformers' own loss on each example (no packing code involved)
    for e, mine in zip(exs, alone, strict=True):
        ids = torch.tensor([e.input_ids])
        labels = torch.tensor([[t if lab else -100 for t, lab in zip(e.input_ids, e.labels, strict=True)]])
        lora_model.config._attn_implementation = "sdpa"
        try:
            ref = lora_model(input_ids=ids, labels=labels).loss * e.n_targets
        finally:
            use_packed_attention(lora_model)
        torch.testing.assert_close(mine.double(), ref.detach().double(), rtol=1e-6, atol=1e-6)


def test_packed_gradients_equal_unpacked(lora_model) -> None:
    exs = _examples(3, lora_model.config.vocab_size, seed=2)
    params = [p for p in lora_model.parameters() if p.requires_grad]
    lora_model.zero_grad()
    packed_loss(lora_model, pack(exs)).backward()
    g_packed = [p.grad.clone() for p in params]
    lora_model.zero_grad()
    for e in exs:
        packed_loss(lora_model, pack([e])).backward()
    for a, p in zip(g_packed, params, strict=True):
        torch.testing.assert_close(a, p.grad, rtol=1e-8, atol=1e-10)
    lora_model.zero_grad()


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_linear_cross_entropy_matches_reference(chunk: int) -> None:
    g = torch.Generator().manual_seed(chunk)
    hidden = torch.randn(50, 16, dtype=torch.float64, generator=g, requires_grad=True)
    weight = torch.randn(300, 16, dtype=torch.float64, generator=g)
    targets = torch.randint(0, 300, (50,), generator=g)
    loss = linear_cross_entropy(hidden, weight, targets, chunk)
    (grad,) = torch.autograd.grad(loss * 0.5, hidden)
    h2 = hidden.detach().clone().requires_grad_(True)
    ref = F.cross_entropy(h2 @ weight.T, targets, reduction="sum")
    (ref * 0.5).backward()
    torch.testing.assert_close(loss.double(), ref.detach(), rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(grad, h2.grad, rtol=1e-6, atol=1e-8)


def test_linear_cross_entropy_refuses_trainable_head() -> None:
    with pytest.raises(ValueError):
        linear_cross_entropy(torch.randn(2, 4), torch.randn(5, 4, requires_grad=True), torch.tensor([0, 1]))


def test_pack_layout() -> None:
    exs = [TokenizedExample((5, 6, 7), (False, True, True)), TokenizedExample((8, 9), (False, True))]
    b = pack(exs)
    assert b.input_ids.tolist() == [[5, 6, 7, 8, 9]] and b.position_ids.tolist() == [[0, 1, 2, 0, 1]]
    assert b.seq_lens == (3, 2)
    assert b.target_pos.tolist() == [0, 1, 3] and b.target_ids.tolist() == [6, 7, 9]
    assert b.target_example.tolist() == [0, 0, 1]


def test_split_by_tokens_keeps_order_and_budget() -> None:
    exs = _examples(12, 100, seed=4)
    for budget in (0, 1, 30, 64, 10_000):
        groups = split_by_tokens(exs, budget)
        assert [e for g in groups for e in g] == exs and all(groups)
        if budget == 0:
            assert groups == [exs]
            continue
        for g in groups:  # within budget, unless one example is longer on its own
            assert sum(len(e) for e in g) <= budget or len(g) == 1
        for a, b in itertools.pairwise(groups):  # greedy: the next example did not fit
            assert sum(len(e) for e in a) + len(b[0]) > budget
    assert split_by_tokens([], 64) == [] and split_by_tokens([], 0) == []


@contextlib.contextmanager
def _checkpointed(model: Any) -> Iterator[None]:
    """Checkpointing on for the block; the shared fixture left as it was (off, eval mode, no gradients)."""
    enable_checkpointing(model)
    try:
        yield
    finally:
        set_checkpointing(model, False)
        model.eval()
        model.zero_grad()


def test_micro_batches_and_partial_checkpointing_give_the_same_gradients(lora_model) -> None:
    """A step cut into micro-batches by tokens, checkpointing only the long ones, computes the same
    gradients as the whole step in one packed row (the trainer's `micro_batch_tokens` and
    `checkpoint_over_tokens`)."""
    exs = _examples(6, lora_model.config.vocab_size, seed=3)
    params = [p for p in lora_model.parameters() if p.requires_grad]

    def grads(budget: int, over: int) -> list[torch.Tensor]:
        lora_model.zero_grad()
        mbs = [pack(g) for g in split_by_tokens(exs, budget)]
        total = sum(mb.n_targets for mb in mbs)
        accumulate(
            lora_model,
            mbs,
            dtype=torch.float64,
            device=torch.device("cpu"),
            total_targets=total,
            checkpoint_over=over,
        )
        return [p.grad.clone() for p in params]

    lora_model.train()
    whole = grads(0, 0)
    with _checkpointed(lora_model):
        cut = grads(50, 30)
        assert len(split_by_tokens(exs, 50)) > 1
    for a, b in zip(whole, cut, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-10)


def test_keeping_the_last_layers_activations_gives_the_same_gradients(lora_model) -> None:
    """`checkpoint_keep_tokens`: of a checkpointed micro-batch of T tokens, the last N // T decoder layers
    skip checkpointing (fewer for longer micro-batches); the gradients stay those of the plain step."""
    exs = _examples(6, lora_model.config.vocab_size, seed=5)
    params = [p for p in lora_model.parameters() if p.requires_grad]
    layers = lora_model.get_base_model().get_decoder().layers
    mb = pack(exs)

    def grads(keep: int) -> tuple[list[torch.Tensor], list[bool]]:
        lora_model.zero_grad()
        accumulate(
            lora_model,
            [mb],
            dtype=torch.float64,
            device=torch.device("cpu"),
            total_targets=mb.n_targets,
            checkpoint_keep=keep,
        )
        return [p.grad.clone() for p in params], [bool(layer.gradient_checkpointing) for layer in layers]

    lora_model.train()
    whole, _ = grads(0)
    assert len(layers) >= 2
    with _checkpointed(lora_model):
        kept, on = grads(mb.n_tokens)  # room for one layer's activations: the last layer keeps them
        assert on == [True] * (len(layers) - 1) + [False]
        assert grads(mb.n_tokens - 1)[1] == [True] * len(layers)  # not even one layer fits
        assert grads(mb.n_tokens * len(layers))[1] == [False] * len(layers)
    for a, b in zip(whole, kept, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-10)


def test_compiled_layers_may_recompile_past_dynamos_default(tiny_model: Path) -> None:
    """LoRA and frozen layers, gradients on and off, checkpointing on and off: more graphs of the one
    layer code than dynamo's default limit (8), past which layers would silently run uncompiled."""
    from transformers import AutoModelForCausalLM

    from witness_evals.train.model import compile_layers

    model = apply_lora(AutoModelForCausalLM.from_pretrained(str(tiny_model)), TrainConfig(lora_layers=2))
    before = torch._dynamo.config.recompile_limit
    try:
        torch._dynamo.config.recompile_limit = 8
        compile_layers(model, 64)
        assert torch._dynamo.config.recompile_limit >= 64
        assert all(
            layer._compiled_call_impl is not None for layer in model.get_base_model().get_decoder().layers
        )
    finally:
        torch._dynamo.config.recompile_limit = before


def test_recompute_in_backward_sees_the_forwards_input_casts(tiny_model: Path) -> None:
    """A checkpointed layer recomputes its forward during backward, outside `compute_context`: PEFT's
    input casts must be off there too, or a compiled layer runs another graph for the recompute
    (transformers 5.17, which checkpoints around the compiled call, raised `CheckpointError` on CUDA)."""
    from peft.tuners.tuners_utils import BaseTunerLayer
    from transformers import AutoModelForCausalLM

    from witness_evals.train.model import compute_context

    model = AutoModelForCausalLM.from_pretrained(str(tiny_model), dtype=torch.bfloat16)
    model = apply_lora(model, TrainConfig(lora_layers=2))
    tuners = [m for m in model.modules() if isinstance(m, BaseTunerLayer)]
    assert tuners and all(m.cast_input_dtype_enabled for m in tuners)
    with compute_context(model, torch.bfloat16, torch.device("cpu")):
        inside = [m.cast_input_dtype_enabled for m in tuners]
    assert inside == [m.cast_input_dtype_enabled for m in tuners] == [False] * len(tuners)
