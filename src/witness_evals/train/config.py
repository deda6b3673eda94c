"""One training configuration for every backend (PyTorch + PEFT and mlx-lm).

`TrainConfig` is a flat dataclass so YAML presets stay readable and `--set key=value` overrides are
simple. Loading is strict: unknown keys and values of the wrong type raise `InputError` naming the
file and the key, before any model is loaded.

Semantics shared by the backends:
- one *step* consumes `batch_size` examples (packed into one row without cross-attention by the
  torch backend); `iters: null` means `epochs` full epochs of ceil(n_train / batch_size) steps;
- LoRA goes on `lora_targets` of the last `lora_layers` decoder layers (`-1`: all layers);
- loss is computed on assistant tokens only, the end-of-turn token included;
- examples longer than `max_seq_length` tokens are dropped and counted, never truncated;
- `quantization` holds the frozen base in fewer bits (QLoRA): `nf4` (4-bit; bitsandbytes NF4 with
  double quantization on torch, mlx's 4-bit affine groups on mlx), `int4` (mlx only) or `int8`;
  the LoRA weights stay in full precision (`train/quantize.py`);
- `chat_template` renders the conversations: a built-in name (`chatml`, `gemma`, `llama3`) or a
  Jinja file, for models whose tokenizer has no template (`train/chat_templates.py`).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from witness_evals.common.errors import InputError

MAX_CONFIG_BYTES = 1 << 20
"""A training config (YAML) larger than this is refused before it is read."""

DEFAULT_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")

CHOICES: dict[str, tuple[str, ...]] = {
    "backend": ("torch", "mlx"),
    "lr_schedule": ("constant", "cosine", "linear"),
    "precision": ("auto", "bf16", "fp16", "fp32"),
    "device": ("auto", "cuda", "cpu", "mps"),
    "attention": ("auto", "varlen", "sdpa"),
    "quantization": ("none", "nf4", "int4", "int8"),
}


NO_DATASET = "no dataset: pass --data DIR (with train.jsonl and valid.jsonl)"


@dataclass
class TrainConfig:
    """Every knob of a fine-tuning run; defaults are the project's recipe."""

    # what to train on and where to write
    model: str | None = None  # HF causal-LM dir; None -> the embedded SmolLM2-135M-Instruct
    data: str | None = None  # dir with train.jsonl and valid.jsonl
    out: str = "runs/train"
    backend: str = "torch"
    seed: int = 0
    # LoRA
    lora_rank: int = 8
    lora_alpha: float = 16.0
    lora_dropout: float = 0.0
    lora_layers: int = 16  # last N decoder layers; -1 = all
    lora_targets: list[str] = field(default_factory=lambda: list(DEFAULT_TARGETS))
    quantization: str = "none"  # frozen base in nf4 / int4 (mlx) / int8 bits (QLoRA); none = bf16/fp32
    chat_template: str | None = None  # chatml | gemma | llama3 | path to a .jinja file; None: the model's
    # optimisation
    batch_size: int = 4  # examples per step (per process)
    grad_accum: int = 1
    learning_rate: float = 1e-5
    lr_schedule: str = "constant"
    warmup_steps: int = 0
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0  # <= 0 disables clipping
    iters: int | None = None  # None -> `epochs` full epochs
    epochs: int = 1  # used only when iters is null
    max_seq_length: int = 4096
    # evaluation and checkpoints
    eval_every: int = 100
    val_batches: int = -1  # -1 = the whole validation set
    save_every: int = 100
    keep_checkpoints: int = 2  # most recent step checkpoints kept (the best one is kept apart)
    early_stopping_patience: int = 0  # evaluations without improvement before stopping; 0 = off
    log_every: int = 10
    # speed
    precision: str = "auto"  # auto: bf16 where supported, else fp32
    device: str = "auto"
    attention: str = "auto"  # packed attention kernel: varlen (flash, CUDA) or per-example sdpa
    loss_chunk_tokens: int = 1024  # tokens per chunk of the fused LM-head + cross-entropy
    gradient_checkpointing: bool = False
    micro_batch_tokens: int = 0  # cut each batch into micro-batches of at most this many tokens; 0 = off
    checkpoint_over_tokens: int = 0  # > 0: checkpoint only micro-batches longer than this; 0 = off
    checkpoint_keep_tokens: int = 0  # > 0: of a checkpointed micro-batch of T tokens, the last N // T layers
    # keep their activations (no recompute); implies checkpointing; 0 = off
    compile: bool = True  # torch.compile the decoder layers (CUDA with the varlen kernel only)
    progress: bool = True

    def validate(self, source: str = "config") -> TrainConfig:
        """Check ranges and choices; raise `InputError` naming the key."""
        for key, allowed in CHOICES.items():
            if getattr(self, key) not in allowed:
                raise InputError(
                    f"must be one of {', '.join(allowed)}, got {getattr(self, key)!r}",
                    source=source,
                    location=key,
                )
        positive: tuple[str, ...] = (
            "lora_rank",
            "batch_size",
            "grad_accum",
            "max_seq_length",
            "eval_every",
            "save_every",
            "epochs",
        )
        positive += ("log_every", "loss_chunk_tokens", "keep_checkpoints")
        for key in positive:
            if getattr(self, key) <= 0:
                raise InputError(f"must be > 0, got {getattr(self, key)}", source=source, location=key)
        for key in (
            "warmup_steps",
            "early_stopping_patience",
            "micro_batch_tokens",
            "checkpoint_over_tokens",
            "checkpoint_keep_tokens",
        ):
            if getattr(self, key) < 0:
                raise InputError(f"must be >= 0, got {getattr(self, key)}", source=source, location=key)
        if self.iters is not None and self.iters <= 0:
            raise InputError(f"must be > 0 or null, got {self.iters}", source=source, location="iters")
        if self.lora_layers == 0 or self.lora_layers < -1:
            raise InputError(
                f"must be > 0 or -1 (all), got {self.lora_layers}", source=source, location="lora_layers"
            )
        if self.val_batches == 0 or self.val_batches < -1:
            raise InputError(
                f"must be > 0 or -1 (all), got {self.val_batches}", source=source, location="val_batches"
            )
        for key in ("learning_rate", "lora_alpha"):
            value = getattr(self, key)
            if not math.isfinite(value) or value <= 0:
                raise InputError(f"must be a finite number > 0, got {value}", source=source, location=key)
        if not 0.0 <= self.lora_dropout < 1.0:
            raise InputError(
                f"must be in [0, 1), got {self.lora_dropout}", source=source, location="lora_dropout"
            )
        if not math.isfinite(self.weight_decay) or self.weight_decay < 0:
            raise InputError(f"must be >= 0, got {self.weight_decay}", source=source, location="weight_decay")
        if not math.isfinite(self.max_grad_norm):
            raise InputError("must be finite", source=source, location="max_grad_norm")
        if self.chat_template is not None and not self.chat_template.strip():
            raise InputError(
                "must be a template name or a file path, or null", source=source, location="chat_template"
            )
        if not self.lora_targets or any(not t for t in self.lora_targets):
            raise InputError(
                "must be a non-empty list of module names", source=source, location="lora_targets"
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (YAML/JSON-ready), keys in declaration order."""
        return dataclasses.asdict(self)


def _field_types() -> dict[str, Any]:
    hints = typing.get_type_hints(TrainConfig)
    return {f.name: hints[f.name] for f in dataclasses.fields(TrainConfig)}


def _base_and_optional(tp: Any) -> tuple[Any, bool]:
    """(type without None, whether None is allowed)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0], len(args) < len(typing.get_args(tp))
    return tp, False


def _type_label(tp: Any) -> str:
    base, optional = _base_and_optional(tp)
    name = "list of strings" if typing.get_origin(base) is list else getattr(base, "__name__", str(base))
    name = {"int": "integer", "float": "number", "bool": "boolean", "str": "string"}.get(name, name)
    return f"{name} or null" if optional else name


def check_value(key: str, value: Any, *, source: str) -> Any:
    """Type-check one YAML value for `key`; ints are accepted where floats are expected."""
    types_ = _field_types()
    if key not in types_:
        raise InputError(f"unknown key (known: {', '.join(types_)})", source=source, location=key)
    base, optional = _base_and_optional(types_[key])
    wrong = InputError(
        f"expected {_type_label(types_[key])}, got {_yaml_type(value)}", source=source, location=key
    )
    if value is None:
        if optional:
            return None
        raise wrong
    if base is bool:
        if not isinstance(value, bool):
            raise wrong
        return value
    if base is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong
        return value
    if base is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong
        return float(value)
    if base is str:
        if not isinstance(value, str):
            raise wrong
        return value
    if typing.get_origin(base) is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise wrong
        return list(value)
    raise wrong  # pragma: no cover - every field type is handled above


def _yaml_type(value: Any) -> str:
    if value is None:
        return "null"
    return {
        "bool": "boolean",
        "int": "integer",
        "float": "number",
        "str": "string",
        "list": "list",
        "dict": "mapping",
    }.get(type(value).__name__, type(value).__name__)


def from_mapping(data: Any, *, source: str = "config") -> TrainConfig:
    """Build a validated config from a parsed YAML mapping (missing keys take their defaults)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"expected a mapping of settings, got {_yaml_type(data)}", source=source)
    values = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise InputError("setting names must be strings", source=source, location=str(key))
        values[key] = check_value(key, value, source=source)
    return TrainConfig(**values).validate(source)


def load_config(path: str | Path | None) -> TrainConfig:
    """Read a YAML preset strictly; `None` gives the default recipe."""
    if path is None:
        return TrainConfig().validate("defaults")
    from witness_evals.common.jsonio import read_bytes

    source = str(path)
    raw = read_bytes(path, max_bytes=MAX_CONFIG_BYTES)  # size checked (stat) before reading
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text", source=source, location=f"byte {exc.start}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.line + 1}:{mark.column + 1}" if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"invalid YAML: {problem}", source=source, location=where) from None
    return from_mapping(data, source=source)


def coerce(key: str, text: str, *, source: str = "--set") -> Any:
    """Turn the text of a `--set key=value` override into the key's type."""
    types_ = _field_types()
    if key not in types_:
        raise InputError(f"unknown key (known: {', '.join(types_)})", source=source, location=key)
    base, optional = _base_and_optional(types_[key])
    stripped = text.strip()
    if optional and stripped.lower() in ("null", "none", "~", ""):
        return None
    bad = InputError(f"expected {_type_label(types_[key])}, got {text!r}", source=source, location=key)
    if base is bool:
        lowered = stripped.lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0"):
            return False
        raise bad
    if base is int:
        try:
            return int(stripped, 10)
        except ValueError:
            raise bad from None
    if base is float:
        try:
            value = float(stripped)
        except ValueError:
            raise bad from None
        if not math.isfinite(value):
            raise bad
        return value
    if base is str:
        return text
    if typing.get_origin(base) is list:
        items = [t.strip() for t in stripped.strip("[]").split(",")]
        if not all(items):
            raise bad
        return items
    raise bad  # pragma: no cover


def apply_overrides(config: TrainConfig, overrides: list[str] | tuple[str, ...]) -> TrainConfig:
    """Apply `key=value` strings (later ones win) and re-validate."""
    values = config.to_dict()
    for item in overrides:
        key, sep, text = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise InputError(f"expected key=value, got {item!r}", source="--set")
        values[key] = coerce(key, text)
    return TrainConfig(**values).validate("--set")
