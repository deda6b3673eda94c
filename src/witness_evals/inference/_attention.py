"""Decoding attention on the key/value heads: grouped-query attention without repeating keys and values.

transformers' `sdpa` attention repeats every key/value head for the query heads of its group
(`repeat_kv`) whenever a mask is given and the step is compiled — which is every decoding step of a
padded batch on a static cache (the `static` engine). For SmolLM2-135M (9 query heads, 3 key/value
heads) that copies the whole cache three times per layer per step. With one query token the query
heads of a group can instead be stacked as that group's rows: `(batch, heads, 1, dim)` becomes
`(batch, kv_heads, group, dim)`, attention runs on the cache as it is, and the mask `(batch, 1, 1,
length)` broadcasts over the stacked rows. The same arithmetic per head, a third of the memory
traffic; every other case (prefill, no groups, position biases, masks per head) goes to `sdpa`.
"""

from __future__ import annotations

from typing import Any

import torch

NAME = "witness_packed_gqa"


def packed_gqa_attention(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """An attention function for transformers' `AttentionInterface`: output `(batch, q_len, heads, dim)`."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    groups = int(getattr(module, "num_key_value_groups", 1))
    packable = (
        groups > 1
        and query.shape[2] == 1
        and attention_mask is not None
        and attention_mask.shape[1] == 1
        and kwargs.get("position_bias") is None
        and kwargs.get("softcap") is None
    )
    if not packable:
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
        )
    batch, heads, _, dim = query.shape
    out = torch.nn.functional.scaled_dot_product_attention(
        query.reshape(batch, heads // groups, groups, dim),
        key,
        value,
        attn_mask=attention_mask,
        dropout_p=dropout,
        scale=scaling,
    )
    return out.reshape(batch, heads, 1, value.shape[-1]).transpose(1, 2).contiguous(), None


def use_packed_gqa(model: Any) -> bool:
    """Switch `model` to the packed attention (its masks as for `sdpa`); False where it does not use
    `sdpa` (eager, flash kernels, ...) and is left as it is."""
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, AttentionMaskInterface, sdpa_mask

    if getattr(model.config, "_attn_implementation", None) not in ("sdpa", NAME):
        return False
    AttentionInterface.register(NAME, packed_gqa_attention)
    if NAME not in ALL_MASK_ATTENTION_FUNCTIONS:
        AttentionMaskInterface.register(NAME, sdpa_mask)
    model.set_attn_implementation(NAME)
    return True
