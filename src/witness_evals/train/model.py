"""Model side of the torch backend: LoRA setup and the fast packed loss.

The forward pass runs the decoder on one packed row (attention in `attention.py`), keeps only the
hidden states whose next token is trained on, and feeds them to the chunked LM-head cross-entropy
(`loss.py`). LoRA sits on the last `lora_layers` layers only, so nothing before them needs a
backward pass: their outputs carry no gradient and autograd stores nothing for them.
Frozen weights are kept in bf16 on CUDA; LoRA weights and optimizer state stay fp32 (autocast).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, cast

import torch

from witness_evals.train import attention
from witness_evals.train.config import TrainConfig
from witness_evals.train.loss import linear_cross_entropy, per_row_cross_entropy
from witness_evals.train.packing import PackedBatch


def lora_layer_indices(num_layers: int, lora_layers: int) -> list[int]:
    """Indices of the last `lora_layers` decoder layers (-1: all)."""
    if lora_layers == -1 or lora_layers >= num_layers:
        return list(range(num_layers))
    return list(range(num_layers - lora_layers, num_layers))


def lora_config(config: TrainConfig, num_layers: int) -> Any:
    """The PEFT `LoraConfig` of the recipe."""
    from peft import LoraConfig

    return LoraConfig(
        r=config.lora_rank,
        lora_alpha=cast(Any, config.lora_alpha),  # PEFT types it int; a float scale is fine
        lora_dropout=config.lora_dropout,
        target_modules=list(config.lora_targets),
        layers_to_transform=lora_layer_indices(num_layers, config.lora_layers),
        layers_pattern="layers",
        bias="none",
        task_type="CAUSAL_LM",
    )


def apply_lora(model: Any, config: TrainConfig) -> Any:
    """Wrap `model` with LoRA adapters (fp32) per the recipe; every other weight is frozen."""
    from peft import get_peft_model

    model.config.use_cache = False
    peft_model = get_peft_model(model, lora_config(config, model.config.num_hidden_layers))
    for name, param in peft_model.named_parameters():
        if param.requires_grad and "lora_" not in name:
            raise RuntimeError(f"unexpected trainable parameter {name}")
    return peft_model


def count_trainable(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def use_packed_attention(model: Any) -> None:
    """Switch a transformers model (and its sub-configs) to the packed attention function."""
    name = attention.register()
    if hasattr(model, "set_attn_implementation"):
        try:
            model.set_attn_implementation(name)
            return
        except (ValueError, TypeError, AttributeError):
            pass
    model.config._attn_implementation = name


def _parts(model: Any) -> tuple[Any, Any]:
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    head = base.get_output_embeddings()
    if getattr(head, "bias", None) is not None:
        raise ValueError("LM heads with a bias are not supported")
    return base.get_decoder(), head


def enable_checkpointing(model: Any) -> None:
    """Gradient checkpointing on every decoder layer (non-reentrant: works under `torch.compile`)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    kwargs = {"use_reentrant": False}
    if hasattr(base, "activation_checkpointing_enable"):  # transformers >= 5.2x; the old name warns there
        base.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
    else:
        base.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)


def set_checkpointing(model: Any, on: bool, keep_last: int = 0) -> None:
    """Switch the checkpointing that `enable_checkpointing` set up on or off for the next passes; with
    `keep_last` > 0 the last that many decoder layers (the LoRA layers come last) stay off: they keep
    their activations for backward instead of recomputing them."""
    decoder, _ = _parts(model)
    first_kept = len(decoder.layers) - keep_last
    for k, layer in enumerate(decoder.layers):
        layer.gradient_checkpointing = on and k < first_kept


def freeze_prefix(model: Any) -> int:
    """Run the decoder layers before the first LoRA layer under `no_grad`; return how many."""
    decoder, _ = _parts(model)
    n = 0
    for layer in decoder.layers:
        if any(p.requires_grad for p in layer.parameters()):
            break
        if not getattr(layer, "_witness_no_grad", False):
            layer.forward = torch.no_grad()(layer.forward)
            layer._witness_no_grad = True
        n += 1
    return n


def use_compiled_varlen(config: TrainConfig, device: torch.device, dtype: torch.dtype) -> bool:
    """Whether to compile the layers for the varlen kernel: CUDA, half precision, kernel not forced to sdpa.

    The compiled path passes only `cu_seqlens`, which nothing but the varlen kernel can honour.
    """
    return (
        config.compile
        and device.type == "cuda"
        and dtype in (torch.bfloat16, torch.float16)
        and config.attention != "sdpa"
        and attention.varlen_available()
    )


def compile_layers(model: Any, max_seqlen: int) -> None:
    """`torch.compile` every decoder layer (dynamic length); attention gets a fixed `max_seqlen` bound."""
    decoder, _ = _parts(model)
    # every layer runs the same code: graphs for LoRA and frozen layers, with and without gradients or
    # checkpointing, add up; past dynamo's default limit of 8 recompiles the rest would run uncompiled
    torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, 64)
    for layer in decoder.layers:
        layer.compile(dynamic=True)
    decoder._witness_max_seqlen = max_seqlen


def hidden_states(model: Any, batch: PackedBatch) -> torch.Tensor:
    """Final-norm hidden states (T, d) of a packed row."""
    decoder, _ = _parts(model)
    kwargs: dict[str, Any] = {"seq_lens": batch.seq_lens}
    fixed = getattr(decoder, "_witness_max_seqlen", None)
    if fixed is not None and batch.input_ids.device.type == "cuda" and attention.varlen_available():
        kwargs = {"max_seqlen": max(fixed, *batch.seq_lens)}
    if batch.input_ids.device.type == "cuda":
        cu = [0]
        for n in batch.seq_lens:
            cu.append(cu[-1] + n)
        kwargs["cu_seqlens"] = torch.tensor(cu, dtype=torch.int32).to(
            batch.input_ids.device, non_blocking=True
        )
    out = decoder(input_ids=batch.input_ids, position_ids=batch.position_ids, use_cache=False, **kwargs)
    hidden: torch.Tensor = out.last_hidden_state if hasattr(out, "last_hidden_state") else out[0]
    return hidden[0]


def packed_loss(model: Any, batch: PackedBatch, chunk: int = 1024) -> torch.Tensor:
    """Summed cross-entropy (fp32 scalar) over the batch's target tokens."""
    _, head = _parts(model)
    hidden = hidden_states(model, batch)
    selected = hidden.index_select(0, batch.target_pos)
    return linear_cross_entropy(selected, head.weight, batch.target_ids, chunk)


def per_example_loss(model: Any, batch: PackedBatch, chunk: int = 1024) -> torch.Tensor:
    """Summed loss per example (fp32, no grad), shape (n_examples,)."""
    _, head = _parts(model)
    with torch.no_grad():
        hidden = hidden_states(model, batch)
        rows = per_row_cross_entropy(
            hidden.index_select(0, batch.target_pos), head.weight, batch.target_ids, chunk
        )
        sums = torch.zeros(len(batch.seq_lens), dtype=rows.dtype, device=rows.device)
        return sums.index_add_(0, batch.target_example, rows)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device=cuda but no CUDA GPU is available")
    return torch.device(name)


def resolve_dtype(precision: str, device: torch.device) -> torch.dtype:
    """Dtype of the frozen weights: bf16 on CUDA when supported (auto), fp32 elsewhere."""
    if precision == "fp32":
        return torch.float32
    if precision == "fp16":
        raise ValueError("precision fp16 is not supported by the torch backend (use bf16 or fp32)")
    if precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


@contextlib.contextmanager
def compute_context(model: Any, dtype: torch.dtype, device: torch.device) -> Iterator[None]:
    """Autocast to the weights' dtype with fp32 LoRA weights, without PEFT's input upcasts."""
    if dtype == torch.float32:
        yield
        return
    disable_input_casts(model)
    with torch.autocast(device.type, dtype=dtype):
        yield


def disable_input_casts(model: Any) -> None:
    """Turn PEFT's cast of a LoRA layer's input to its weights' dtype off for good (autocast does it).

    For good, not for the forward only: a checkpointed layer recomputes its forward during backward,
    and a compiled layer whose recompute saw the casts back on ran another graph (transformers 5.17
    checkpoints around the compiled call: `CheckpointError`, recomputed tensors differ).
    """
    from peft.tuners.tuners_utils import BaseTunerLayer

    for module in model.modules():
        if isinstance(module, BaseTunerLayer):
            module.cast_input_dtype_enabled = False  # type: ignore[attr-defined]  # set per instance by PEFT
