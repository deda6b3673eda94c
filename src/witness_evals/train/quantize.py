"""A quantized frozen base (QLoRA): which quantizer serves `quantization`, checked before any weights load.

torch backend (`TORCH_QUANTIZERS`): the base is loaded through transformers' `quantization_config`:
- `nf4`: bitsandbytes 4-bit NormalFloat, blocks of 64, double quantization (the block scales are
  quantized too), compute in the training dtype (bf16 on CUDA);
- `int8`: bitsandbytes LLM.int8() (8-bit rows, outlier columns in 16-bit).
The embeddings, the LM head and the norms stay in the training dtype; PEFT puts its bitsandbytes-
aware LoRA layers on the quantized linears. Nothing else of `peft.prepare_model_for_kbit_training`
is needed here: every base weight is frozen already, norms stay as in the bf16 run (so the two runs
differ only by quantization) and gradient checkpointing is non-reentrant (no input-grad hook). LoRA
weights and their optimizer state stay fp32 as in the bf16 run; the saved adapter is an ordinary
PEFT adapter, loadable on the unquantized base.
A second quantizer (e.g. torchao) is one more `Quantizer` entry: a package to check and a function
returning the transformers quantization config.

mlx backend (`mlx_bits`): mlx-lm's affine group quantization, groups of `MLX_GROUP_SIZE` with a
scale and a bias each: `nf4` and `int4` -> 4 bits, `int8` -> 8 bits (mlx has no NormalFloat).

Refused up front (one line, exit 2): int4 on torch, bitsandbytes missing or too old, torch on MPS,
a base already quantized by another tool (the trainer quantizes unquantized weights itself), an
mlx-quantized base on torch or with another bit width than asked.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from witness_evals.common.errors import InputError

MLX_GROUP_SIZE = 64
BNB_CPU_BLOCK = 64  # bitsandbytes' CPU 4-bit kernels need in_features divisible by this

_WHERE = {"source": "config", "location": "quantization"}


def _bnb_nf4(dtype: Any) -> Any:
    import torch
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=dtype,
        bnb_4bit_quant_storage=torch.uint8,
    )


def _bnb_int8(dtype: Any) -> Any:
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_8bit=True)


@dataclass(frozen=True)
class Quantizer:
    """One way to hold the frozen base of the torch backend in fewer bits."""

    quantization: str  # the config value it serves
    package: str  # import name, checked before loading
    distribution: str  # pip name
    min_version: tuple[int, ...]
    make_config: Callable[[Any], Any]  # training dtype -> transformers quantization_config
    description: str

    def version(self) -> str | None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version(self.distribution)
        except PackageNotFoundError:
            return None


TORCH_QUANTIZERS: dict[str, Quantizer] = {
    "nf4": Quantizer(
        "nf4",
        "bitsandbytes",
        "bitsandbytes",
        (0, 50),
        _bnb_nf4,
        "bitsandbytes NF4, blocks of 64, double quantization",
    ),
    "int8": Quantizer("int8", "bitsandbytes", "bitsandbytes", (0, 50), _bnb_int8, "bitsandbytes LLM.int8()"),
}

MLX_BITS = {"nf4": 4, "int4": 4, "int8": 8}


def mlx_bits(quantization: str) -> int | None:
    """Bits of mlx's affine quantization for a config value (None: not quantized)."""
    return MLX_BITS.get(quantization)


def _parse_version(text: str) -> tuple[int, ...]:
    parts: list[int] = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def ensure_installed(quantizer: Quantizer) -> None:
    """Refuse, with the pip line to fix it, a quantizer whose package is missing or too old."""
    q = quantizer.quantization
    if importlib.util.find_spec(quantizer.package) is None:
        raise InputError(f"{q} needs {quantizer.distribution}: pip install 'witness-evals[qlora]'", **_WHERE)
    found = quantizer.version()
    if found is not None and _parse_version(found) < quantizer.min_version:
        wanted = ".".join(map(str, quantizer.min_version))
        raise InputError(
            f"{q} needs {quantizer.distribution} >= {wanted}, found {found}: pip install 'witness-evals[qlora]'",
            **_WHERE,
        )


def torch_quantizer(quantization: str) -> Quantizer | None:
    """The quantizer for the torch backend, after checking it can run here (package, version)."""
    if quantization == "none":
        return None
    if quantization not in TORCH_QUANTIZERS:
        raise InputError(
            f"{quantization} is the mlx backend's 4-bit format; the torch backend quantizes to "
            f"{', '.join(TORCH_QUANTIZERS)}",
            **_WHERE,
        )
    quantizer = TORCH_QUANTIZERS[quantization]
    ensure_installed(quantizer)
    return quantizer


def check_backend(config: Any) -> None:
    """Checks that need nothing but the config and the installed packages (before the model is resolved)."""
    q = config.quantization
    if q == "none":
        return
    if config.backend == "mlx":
        from witness_evals.train.mlx_env import mlx_available

        ok, why = mlx_available()
        if not ok:
            raise InputError(f"{q} on the mlx backend: {why}", **_WHERE)
        return
    if config.device == "mps":
        raise InputError(
            "the torch backend does not quantize on mps: on Apple silicon use backend: mlx (mlx-lm's "
            "4-bit or 8-bit groups)",
            **_WHERE,
        )
    torch_quantizer(q)


# ---------------------------------------------------------------- the model directory


def _config_json(model_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def mlx_quantization(model_dir: Path) -> dict[str, Any] | None:
    """`{"bits", "group_size", ...}` when `model_dir` holds weights quantized by mlx, else None."""
    value = _config_json(model_dir).get("quantization")
    if isinstance(value, dict) and isinstance(value.get("bits"), int):
        return value
    return None


def hf_quantization(model_dir: Path) -> str | None:
    """The `quant_method` of a checkpoint saved already quantized (bitsandbytes, gptq, awq, fp8, ...)."""
    value = _config_json(model_dir).get("quantization_config")
    if isinstance(value, dict) and isinstance(value.get("quant_method"), str):
        return str(value["quant_method"])
    return None


def check_model_dir(model_dir: Path, config: Any) -> None:
    """Refuse a base this backend cannot fine-tune at the asked quantization (reads config.json only)."""
    source = str(model_dir)
    method = hf_quantization(model_dir)
    if method is not None:
        raise InputError(
            f"already quantized ({method}); fine-tune from the unquantized weights "
            "(quantization: nf4 or int8 quantizes them at load)",
            source=source,
        )
    mlx = mlx_quantization(model_dir)
    if mlx is None:
        return
    if config.backend != "mlx":
        raise InputError(f"quantized by mlx ({mlx['bits']}-bit): train it with backend: mlx", source=source)
    wanted = mlx_bits(config.quantization)
    if wanted is not None and wanted != mlx["bits"]:
        raise InputError(
            f"already quantized by mlx to {mlx['bits']} bits, but quantization: {config.quantization} "
            f"asks for {wanted}; use the unquantized model or quantization: none",
            source=source,
        )


def check_cpu_shapes(meta_model: Any, quantization: str) -> None:
    """bitsandbytes' CPU 4-bit kernels need every quantized linear's input size divisible by 64."""
    if quantization != "nf4":
        return
    import torch

    head = meta_model.get_output_embeddings()
    for name, module in meta_model.named_modules():
        if isinstance(module, torch.nn.Linear) and module is not head and module.in_features % BNB_CPU_BLOCK:
            raise InputError(
                f"nf4 on the CPU needs linear input sizes divisible by {BNB_CPU_BLOCK}; {name} has "
                f"{module.in_features} (train on CUDA or with quantization: none)",
                **_WHERE,
            )


def load_quantized(model_dir: Path, quantizer: Quantizer, dtype: Any, device: Any) -> Any:
    """The causal LM with its linears quantized on `device` while loading (never whole in 16 bits)."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(
        str(model_dir),
        dtype=dtype,
        quantization_config=quantizer.make_config(dtype),
        device_map={"": device},
    )
    if str(device).startswith("cpu"):
        keep_cpu_weights_differentiable(model)
    return model


def keep_cpu_weights_differentiable(model: Any) -> int:
    """Stop bitsandbytes repacking 4-bit weights for its CPU inference kernel; return how many layers.

    bitsandbytes (0.50) repacks a CPU `Linear4bit` for its AVX512-BF16 kernel at the first forward
    in eval mode without grad (our step-0 validation) and uses that kernel from then on, in training
    too, where it has no backward: the gradient through the frozen weight is silently wrong (tested in
    tests/train/test_quantize.py). With the flag off it keeps the dequantize + matmul path.
    """
    n = 0
    for module in model.modules():
        if hasattr(module, "support_avx512bf16_for_cpu"):
            module.support_avx512bf16_for_cpu = False
            n += 1
    return n


def describe(config: Any, dtype: Any = None) -> str:
    """One line for logs and the run summary."""
    q = config.quantization
    if q == "none":
        return "none"
    if config.backend == "mlx":
        return f"mlx affine {MLX_BITS[q]}-bit, groups of {MLX_GROUP_SIZE}"
    text = TORCH_QUANTIZERS[q].description
    if q == "nf4" and dtype is not None:
        text += f", {str(dtype).removeprefix('torch.')} compute"
    return text
