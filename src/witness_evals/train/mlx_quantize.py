"""An MLX-quantized copy of a Hugging Face model dir, made once by mlx-lm's own converter and cached.

`mlx_lm.convert(hf_path, mlx_path, quantize=True, q_bits=..., q_group_size=64)` writes mlx's affine
group quantization (per group of 64 weights: a scale and a bias; every linear and the embedding
whose input size is a multiple of 64). Training on it is what mlx-lm calls QLoRA. The copy lives at
`<cache>/mlx/<name>-q<bits>/<key>` (name: the source dir's, or the model's for a converted GGUF), where the key hashes the source dir's path, its weight and config
files' sizes and modification times, the bits, the group size and the mlx-lm version: a changed
source is converted again. It is written in a temporary directory and renamed into place, with a
marker written last, so a killed conversion leaves nothing that looks complete. It doubles as the
base of the run's adapters (`mlx_lm.generate --model <copy> --adapter-path out/adapters`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from witness_evals.common.errors import InputError
from witness_evals.train.model_source import MARKER as MODEL_SOURCE_MARKER
from witness_evals.train.model_source import _locked, add_legacy_rope_theta, cache_root
from witness_evals.train.quantize import MLX_GROUP_SIZE

MARKER = "witness-evals-mlx-quantized.json"
Log = Callable[[str], None]


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def source_key(model_dir: Path, bits: int, group_size: int = MLX_GROUP_SIZE) -> str:
    """Hex key of (source dir, its files' sizes and mtimes, bits, group size, mlx-lm version)."""
    digest = hashlib.sha256()
    digest.update(f"{model_dir.resolve()}\0{bits}\0{group_size}\0{_version('mlx-lm')}\n".encode())
    for file in sorted(model_dir.iterdir()):
        if file.is_file() and (file.suffix in (".safetensors", ".json") or file.name.endswith(".index.json")):
            stat = file.stat()
            digest.update(f"{file.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def quantized_dir(
    model_dir: Path,
    bits: int,
    *,
    cache_dir: Path | None = None,
    log: Log | None = None,
) -> Path:
    """The cached mlx-quantized copy of `model_dir` at `bits` (converted first if missing)."""
    say = log or (lambda m: print(f"[mlx] {m}", file=sys.stderr, flush=True))
    key = source_key(model_dir, bits)
    name = model_dir.parent.name if (model_dir / MODEL_SOURCE_MARKER).is_file() else model_dir.name
    root = (cache_dir if cache_dir is not None else cache_root()) / "mlx" / f"{name}-q{bits}"
    target = root / key
    if (target / MARKER).is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / ".lock"):
        if (target / MARKER).is_file():  # converted by another process while we waited
            return target
        if target.exists():
            shutil.rmtree(target)
        tmp = root / f".tmp-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            started = time.perf_counter()
            say(f"quantizing {model_dir} to {bits} bits (groups of {MLX_GROUP_SIZE}) with mlx-lm, once")
            from mlx_lm import convert

            with contextlib.redirect_stdout(sys.stderr):  # mlx-lm prints progress; stdout is the summary's
                try:
                    convert(
                        str(model_dir),
                        str(tmp / "model"),
                        quantize=True,
                        q_bits=bits,
                        q_group_size=MLX_GROUP_SIZE,
                    )
                except (ValueError, KeyError, OSError) as exc:
                    raise InputError(
                        f"mlx-lm cannot convert this model: {exc}", source=str(model_dir)
                    ) from None
            out = tmp / "model"
            config = json.loads((out / "config.json").read_text(encoding="utf-8"))
            if not isinstance(config.get("quantization"), dict):
                raise InputError(
                    f"mlx-lm quantized no layer (input sizes must be multiples of {MLX_GROUP_SIZE})",
                    source=str(model_dir),
                )
            add_legacy_rope_theta(out / "config.json")
            marker = {"source": str(model_dir.resolve()), "bits": bits, "group_size": MLX_GROUP_SIZE}
            marker["mlx_lm"] = _version("mlx-lm")
            (out / MARKER).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            os.rename(out, target)
            say(f"quantized in {time.perf_counter() - started:.1f}s: {target}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target
