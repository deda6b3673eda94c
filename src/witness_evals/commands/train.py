"""`witness-evals` commands: train."""

from __future__ import annotations

import os
from pathlib import Path

import typer


def train(
    config: Path | None = typer.Option(
        None, "--config", help="YAML preset (see configs/); defaults: the recipe."
    ),
    model: str | None = typer.Option(
        None, "--model", help="HF model dir or .gguf; default: SmolLM2-135M-Instruct."
    ),
    data: Path | None = typer.Option(
        None, "--data", help="Dir with train.jsonl and valid.jsonl (chat format)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Run directory (checkpoints, metrics, adapter)."),
    backend: str | None = typer.Option(None, "--backend", help="torch (CUDA/CPU) or mlx (Apple silicon)."),
    overrides: list[str] = typer.Option(
        [], "--set", help="Override a config key: --set key=value (repeatable)."
    ),
    resume: bool = typer.Option(
        True, "--resume/--no-resume", help="Continue from the run dir's last checkpoint."
    ),
) -> None:
    """Fine-tune LoRA adapters on chat JSONL data and print the run summary as JSON.

    Exit 0: trained; 2: bad config, dataset or model, or out of memory (one line on stderr).
    """
    import json

    from witness_evals.train.config import NO_DATASET, apply_overrides, load_config

    cfg = load_config(config)
    direct = [
        f"{k}={v}" for k, v in (("model", model), ("data", data), ("out", out), ("backend", backend)) if v
    ]
    cfg = apply_overrides(cfg, [*direct, *overrides])
    if cfg.data is None:
        from witness_evals.common.errors import InputError

        raise InputError(NO_DATASET, source="config", location="data")
    from witness_evals.train.model_source import resolve_model
    from witness_evals.train.preflight import preflight

    preflight(cfg)  # what cannot work here is refused before a GGUF is converted
    model_dir = resolve_model(cfg.model, require_template=cfg.chat_template is None)
    if cfg.backend == "mlx":
        from witness_evals.train.mlx_backend import train_mlx

        summary = train_mlx(cfg, model_dir=model_dir)
    else:
        from witness_evals.train.trainer import train_torch

        summary = train_torch(cfg, model_dir, resume=resume)
    if int(os.environ.get("RANK", "0")) == 0:
        typer.echo(json.dumps(summary, indent=1, sort_keys=True))


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""
    app.command("train")(train)
