"""Convert a PEFT LoRA adapter into an mlx-lm adapter folder (`mlx_lm.generate --adapter-path DIR`).

PEFT computes `W x + (alpha / r) * B (A x)` with `lora_A.weight` (r, in) and `lora_B.weight` (out, r);
mlx-lm's LoRALinear computes `W x + scale * (x @ lora_a) @ lora_b` with `lora_a` (in, r) and `lora_b`
(r, out). So `lora_a = A^T`, `lora_b = B^T`, `scale = alpha / r` (`alpha / sqrt(r)` with rsLoRA).
mlx-lm puts LoRA on the last `num_layers` decoder layers, so the adapter's layers must be those.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from witness_evals.common.errors import InputError

_KEY = re.compile(r"^base_model\.model\.model\.layers\.(\d+)\.(.+)\.lora_([AB])\.weight$")


def convert_adapter(adapter: Path, out_dir: Path, num_hidden_layers: int) -> dict[str, Any]:
    """Write `adapters.safetensors` + `adapter_config.json` into `out_dir`; return the config."""
    import numpy as np
    from safetensors.numpy import load_file, save_file

    source = str(adapter)
    peft = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    if peft.get("peft_type", "LORA") != "LORA" or peft.get("use_dora"):
        raise InputError("mlx export supports plain LoRA adapters only", source=source)
    rank = int(peft["r"])
    alpha = float(peft.get("lora_alpha", rank))
    scale = alpha / math.sqrt(rank) if peft.get("use_rslora") else alpha / rank
    weights = load_file(str(adapter / "adapter_model.safetensors"))
    out: dict[str, Any] = {}
    layers: set[int] = set()
    keys: set[str] = set()
    for name, value in weights.items():
        match = _KEY.match(name)
        if match is None:
            raise InputError(
                f"unexpected adapter tensor {name} (expected LoRA on decoder layers)", source=source
            )
        layer, path, which = int(match.group(1)), match.group(2), match.group(3)
        layers.add(layer)
        keys.add(path)
        target = f"model.layers.{layer}.{path}.lora_{which.lower()}"
        out[target] = np.ascontiguousarray(value.astype(np.float32).T)
    if not layers:
        raise InputError("adapter holds no LoRA weights", source=source)
    first = min(layers)
    if sorted(layers) != list(range(first, num_hidden_layers)):
        raise InputError(
            f"mlx-lm needs LoRA on the last layers; adapter has layers {sorted(layers)[:4]}...", source=source
        )
    config = {
        "fine_tune_type": "lora",
        "num_layers": num_hidden_layers - first,
        "lora_parameters": {
            "rank": rank,
            "scale": scale,
            "dropout": float(peft.get("lora_dropout", 0.0)),
            "keys": sorted(keys),
        },
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(out, str(out_dir / "adapters.safetensors"), metadata={"format": "mlx"})
    (out_dir / "adapter_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return config
