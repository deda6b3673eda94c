"""Packed grouped-query attention for decoding steps: the numbers of transformers' `sdpa` attention."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from transformers.integrations import sdpa_attention

from witness_evals.inference import GenerationSettings, Request, load_backend
from witness_evals.inference._attention import packed_gqa_attention


class Layer(torch.nn.Module):
    def __init__(self, groups: int) -> None:
        super().__init__()
        self.num_key_value_groups = groups
        self.is_causal = True


def decode_step(batch: int, kv_heads: int, groups: int, length: int) -> tuple[torch.Tensor, ...]:
    """One query token per row against a left-padded cache: a boolean mask (batch, 1, 1, length)."""
    gen = torch.Generator().manual_seed(0)
    query = torch.randn(batch, kv_heads * groups, 1, 16, generator=gen)
    key = torch.randn(batch, kv_heads, length, 16, generator=gen)
    value = torch.randn(batch, kv_heads, length, 16, generator=gen)
    mask = torch.ones(batch, 1, 1, length, dtype=torch.bool)
    for row in range(batch):
        mask[row, ..., : row * 3] = False  # row r has 3r padding positions
    return query, key, value, mask


def test_a_decoding_step_equals_sdpa_with_repeated_heads(monkeypatch: pytest.MonkeyPatch) -> None:
    query, key, value, mask = decode_step(batch=4, kv_heads=3, groups=3, length=40)
    expected, _ = sdpa_attention.sdpa_attention_forward(Layer(3), query, key, value, mask, scaling=0.25)

    def not_called(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a decoding step must not fall back to sdpa_attention_forward")

    monkeypatch.setattr(sdpa_attention, "sdpa_attention_forward", not_called)
    got, _ = packed_gqa_attention(Layer(3), query, key, value, mask, scaling=0.25)
    assert got.shape == expected.shape == (4, 1, 9, 16)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_prefill_and_ungrouped_layers_go_to_sdpa(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, ...]] = []
    real = sdpa_attention.sdpa_attention_forward

    def counted(module: Any, query: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        calls.append(tuple(query.shape))
        return real(module, query, *args, **kwargs)

    monkeypatch.setattr(sdpa_attention, "sdpa_attention_forward", counted)
    query, key, value, mask = decode_step(batch=2, kv_heads=3, groups=1, length=8)
    packed_gqa_attention(Layer(1), query, key, value, mask)  # no groups
    prefill = torch.randn(2, 9, 5, 16)
    packed_gqa_attention(Layer(3), prefill, key, value, mask.expand(2, 1, 5, 8))  # five query tokens
    assert calls == [(2, 3, 1, 16), (2, 9, 5, 16)]


@pytest.mark.parametrize("engine", ["batched", "static"])
def test_engines_answer_the_same_with_and_without_packing(default_model_dir: Path, engine: str) -> None:
    """SmolLM2-135M has 9 query heads on 3 key/value heads: greedy answers are the same tokens."""
    asks = ["Say hi.", "Which flag of `witness verify` names the policy?", "What is DSSE? One line."]
    requests = [Request(f"q{i}", [{"role": "user", "content": q}]) for i, q in enumerate(asks)]
    settings = GenerationSettings(max_new_tokens=16)
    answers = []
    for packed in ("1", "0"):
        backend: Any = load_backend(
            f"hf:{default_model_dir},engine={engine},packed_gqa={packed}", device="cpu", batch_size=3
        )
        try:
            assert backend.describe()["packed_gqa"] is (packed == "1")
            answers.append([(c.text, c.completion_tokens) for c in backend.generate(requests, settings)])
        finally:
            backend.close()
    assert answers[0] == answers[1] and all(tokens for _, tokens in answers[0])
