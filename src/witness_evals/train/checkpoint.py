"""Atomic checkpoints of a LoRA run: adapter weights plus the full trainer state.

A checkpoint directory holds the PEFT adapter (`adapter_model.safetensors`, `adapter_config.json`),
the run's `chat_template.jinja` when the config set one,
and `trainer_state.pt` (step, optimizer, scheduler, RNG states, best validation loss, ...). It is
written under a temporary name and renamed into place, and `latest` (a one-line file) is replaced
atomically afterwards, so a crash at any moment leaves the previous checkpoint intact.
"""

from __future__ import annotations

import os
import pickle
import random
import shutil
from pathlib import Path
from typing import Any

import torch

from witness_evals.train.files import write_text_atomic

STATE_FILE = "trainer_state.pt"
LATEST = "latest"


def replace_dir(tmp: Path, final: Path) -> None:
    """Move a finished `tmp` dir to `final`, replacing any old one (old removed after the swap)."""
    old = final.with_name(f".{final.name}.old{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


ADAPTER_CARD = """---
library_name: peft
tags:
- lora
- witness
- witness-evals
---

# A LoRA adapter trained by witness-evals

The base model and the training data are named in the run's `config.yaml` (`model:`, `data:`), as
paths on the machine that trained it. For a portable model card (the base model by name and sha256,
the dataset's manifest hash, the training configuration and witness-bench figures) and for llama.cpp,
Ollama or mlx-lm, export the run:

```sh
witness-evals export RUN_DIR --format adapter   # or merged, gguf, ollama, mlx
```

Use it as is with `witness-evals ask --model RUN_DIR "..."` or `--model hf:BASE,adapter=RUN_DIR`.
"""


def save_adapter(model: Any, directory: Path, *, chat_template: str | None = None) -> None:
    """PEFT adapter files (and the run's chat template, if it set one) into `directory` (created),
    with a short model card in place of PEFT's empty template, which names a local path as base model."""
    from witness_evals.train.chat_templates import save_template

    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(directory), safe_serialization=True)
    (directory / "README.md").write_text(ADAPTER_CARD, encoding="utf-8")
    save_template(directory, chat_template)


def save_checkpoint(
    root: Path,
    name: str,
    model: Any,
    state: dict[str, Any],
    keep: int,
    *,
    chat_template: str | None = None,
) -> Path:
    """Write `root/name` atomically, point `root/latest` at it, prune to the `keep` newest."""
    root.mkdir(parents=True, exist_ok=True)
    final = root / name
    tmp = root / f".tmp-{name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    save_adapter(model, tmp, chat_template=chat_template)
    torch.save(state, tmp / STATE_FILE)
    replace_dir(tmp, final)
    write_text_atomic(root / LATEST, name + "\n")
    steps = sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith("step-"))
    for old in steps[:-keep]:
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)
    return final


def latest_checkpoint(root: Path) -> Path | None:
    """The directory `root/latest` names, if it is complete."""
    pointer = root / LATEST
    if not pointer.is_file():
        return None
    target = root / pointer.read_text(encoding="utf-8").strip()
    return target if (target / STATE_FILE).is_file() else None


def load_state(directory: Path) -> dict[str, Any]:
    """The trainer state, unpickled with `weights_only=True`: a crafted file cannot run code."""
    from witness_evals.common.errors import InputError

    path = directory / STATE_FILE
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot load trainer state: {first}", source=str(path)) from None
    if not isinstance(state, dict):
        raise InputError("trainer state is not a mapping", source=str(path))
    return state


def load_adapter_weights(model: Any, directory: Path) -> None:
    """Load saved LoRA weights into an already wrapped PEFT model."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    weights = load_file(str(directory / "adapter_model.safetensors"))
    result = set_peft_model_state_dict(model, weights)
    unexpected = getattr(result, "unexpected_keys", [])
    if unexpected:
        raise RuntimeError(f"checkpoint {directory} has unexpected keys: {unexpected[:3]}")


PEFT_PREFIX = "base_model.model."


def check_adapter_shapes(directory: Path, meta: Any, config: Any) -> None:
    """A checkpoint's LoRA tensors must fit this base and recipe: same modules, rank and sizes.

    Reads only the safetensors header and the weightless `meta` model, so a checkpoint made on
    another base (other sizes, layer count or targets) is refused before any weights load.
    """
    from safetensors import safe_open

    from witness_evals.common.errors import InputError
    from witness_evals.train.model import lora_layer_indices

    source = str(directory / "adapter_model.safetensors")
    try:
        with safe_open(source, framework="pt") as handle:
            shapes = {key: tuple(handle.get_slice(key).get_shape()) for key in handle.keys()}  # noqa: SIM118
    except Exception as exc:  # a damaged or foreign file: the header parser fails in many ways
        raise InputError(f"cannot read adapter: {exc}", source=source) from None
    layers = meta.get_decoder().layers
    paths = {id(module): path for path, module in meta.named_modules()}
    targets = list(config.lora_targets)
    wanted: set[str] = set()
    for index in lora_layer_indices(len(layers), config.lora_layers):
        base = paths[id(layers[index])]
        for name, _module in layers[index].named_modules():
            full = f"{base}.{name}"
            if name and any(full == t or full.endswith("." + t) for t in targets):
                wanted.add(full)
    found: set[str] = set()
    for key, shape in shapes.items():
        if not key.startswith(PEFT_PREFIX) or not key.endswith((".lora_A.weight", ".lora_B.weight")):
            raise InputError(f"not a LoRA adapter of this trainer: tensor {key}", source=source)
        path = key[len(PEFT_PREFIX) : -len(".lora_A.weight")]
        found.add(path)
        try:
            module = meta.get_submodule(path)
        except AttributeError:
            raise InputError(
                f"made for another base: this model has no module {path}", source=source
            ) from None
        want = (
            (config.lora_rank, module.in_features)
            if key.endswith(".lora_A.weight")
            else (module.out_features, config.lora_rank)
        )
        if shape != want:
            raise InputError(
                f"made for another base or rank: {key} has shape {list(shape)}, this run needs {list(want)}",
                source=source,
            )
    if found != wanted:
        missing, extra = sorted(wanted - found), sorted(found - wanted)
        detail = f"missing {missing[0]}" if missing else f"unexpected {extra[0]}"
        raise InputError(f"LoRA modules differ from this run's ({detail})", source=source)
