"""The recipe's LoRA placement: 6,946,816 trainable parameters on Llama-3.2-3B (meta device)."""

from __future__ import annotations

import torch

from witness_evals.train.config import TrainConfig
from witness_evals.train.model import apply_lora, count_trainable, lora_layer_indices


def test_llama_3b_trainable_parameters() -> None:
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(
        hidden_size=3072,
        intermediate_size=8192,
        num_hidden_layers=28,
        num_attention_heads=24,
        num_key_value_heads=8,
        vocab_size=128256,
        tie_word_embeddings=True,
    )
    with torch.device("meta"):
        model = LlamaForCausalLM(cfg)
    peft_model = apply_lora(model, TrainConfig())
    assert count_trainable(peft_model) == 6_946_816
    names = {n for n, p in peft_model.named_parameters() if p.requires_grad}
    layers = {int(n.split(".layers.")[1].split(".")[0]) for n in names}
    assert layers == set(range(12, 28))
    assert {n.split(".")[-4] for n in names} == {
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    }


def test_layer_indices() -> None:
    assert lora_layer_indices(28, 16) == list(range(12, 28))
    assert lora_layer_indices(4, 16) == [0, 1, 2, 3]
    assert lora_layer_indices(6, -1) == list(range(6))
