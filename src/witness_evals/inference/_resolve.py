"""Where a spec's files are: the base model directory and the adapter folder (no heavy imports)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from witness_evals.common.errors import InputError
from witness_evals.inference._spec import ModelSpec


def spec_error(spec: str, message: str) -> InputError:
    return InputError(message, source=f"--model {spec}")


def model_dir(spec: str, model: ModelSpec, *, require_template: bool = True) -> Path:
    """HF model directory of `hf:`/`mlx:` specs: the embedded default, a `.gguf` (converted once), a dir.

    `require_template=False` accepts a base without a chat template (its adapter brings one)."""
    from witness_evals.train.model_source import resolve_model

    target: str | None = None if model.target == "default" else model.target
    gguf = model.options.get("gguf")
    if gguf is not None:
        if target is None:
            raise spec_error(spec, "gguf=FILE needs hf:DIR (the folder that holds FILE)")
        file = Path(gguf).expanduser()
        target = str(file if file.is_absolute() else Path(target).expanduser() / file)
        if not target.endswith(".gguf"):
            raise spec_error(spec, f"gguf= must name a .gguf file, got {gguf!r}")
    if target is not None and not Path(target).expanduser().exists():
        raise spec_error(spec, f"no such file or directory: {target}")
    try:
        return resolve_model(target, require_template=require_template)
    except InputError as exc:
        raise spec_error(spec, exc.one_line()) from None


def adapter_dir(spec: str, value: str, *, kind: str) -> Path:
    """The adapter folder named by `adapter=`: the folder itself, or that of a `witness-evals train` run.

    torch runs keep PEFT adapters in `adapter/` (final) and `best/`; mlx runs in `adapters/`.
    """
    path = Path(value).expanduser()
    if not path.is_dir():
        raise spec_error(spec, f"no such adapter directory: {value}")
    marker = "adapter_config.json" if kind == "hf" else "adapters.safetensors"
    subdirs = ("adapter", "best") if kind == "hf" else ("adapters", "adapters/best")
    for candidate in (path, *(path / sub for sub in subdirs)):
        if (candidate / marker).is_file():
            return candidate
    raise spec_error(
        spec,
        f"{value}: not an adapter folder (no {marker}) nor a training run with {' or '.join(subdirs)}/",
    )


def run_base_model(adapter: Path) -> str | None:
    """The `model:` of the training run's `config.yaml` next to (or above) the adapter, if any."""
    import yaml

    for folder in (adapter, adapter.parent, adapter.parent.parent):
        config = folder / "config.yaml"
        if config.is_file():
            try:
                data: Any = yaml.safe_load(config.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError):
                return None
            if isinstance(data, dict):
                return str(data.get("model") or "default")
    return None
