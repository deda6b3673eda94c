"""Merge a PEFT LoRA adapter into its base model (float32, on the CPU) and compare logits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from witness_evals.common.errors import InputError


def load_base(model_dir: Path) -> Any:
    """The base causal LM in float32 (CPU)."""
    import torch
    from transformers import AutoModelForCausalLM

    try:
        return AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32).eval()
    except (OSError, ValueError, RuntimeError) as exc:
        raise InputError(
            f"cannot load base model: {' '.join(str(exc).split())[:300]}", source=str(model_dir)
        ) from None


def with_adapter(base: Any, adapter: Path) -> Any:
    """`base` wrapped with the adapter (unmerged: base + LoRA branch)."""
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(base, str(adapter)).eval()
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise InputError(
            f"adapter does not fit the base model: {' '.join(str(exc).split())[:300]}", source=str(adapter)
        ) from None


def merged_model(model_dir: Path, adapter: Path) -> Any:
    """Base + adapter with the LoRA weights folded into the base weights (a plain transformers model)."""
    return with_adapter(load_base(model_dir), adapter).merge_and_unload()


def max_logit_diff(a: Any, b: Any, prompts: list[list[int]]) -> float:
    """Largest |logit(a) - logit(b)| over every position of `prompts` (token id lists)."""
    import torch

    worst = 0.0
    with torch.inference_mode():
        for ids in prompts:
            x = torch.tensor([ids])
            worst = max(worst, float((a(input_ids=x).logits - b(input_ids=x).logits).abs().max()))
    return worst
