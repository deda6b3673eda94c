"""`witness-evals export`: a trained adapter as a merged model, PEFT adapter, GGUF, Ollama or mlx-lm folder."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def export(
    run_dir: Path = typer.Argument(..., help="A `witness-evals train` run directory (holds adapter/)."),
    fmt: str = typer.Option(..., "--format", "-f", help="merged | adapter | gguf | ollama | mlx"),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output directory (default RUN_DIR/export/FORMAT)."
    ),
    quant: str = typer.Option("f16", "--quant", help="GGUF weights (gguf, ollama): f16 | q8_0"),
    bench: Path | None = typer.Option(
        None,
        "--bench",
        help="A witness-bench run of this adapter for the model card (default RUN_DIR/bench*).",
    ),
    base: str | None = typer.Option(
        None,
        "--base",
        help="Base model (.gguf or Hugging Face directory; `default`: the embedded one) when the "
        "run's config.yaml `model:` is not on this machine.",
    ),
) -> None:
    """Export a trained adapter so it runs in transformers, llama.cpp, Ollama or mlx-lm.

    Prints export.json. Exit 2 (one line, nothing written): no adapter, base model not found,
    architecture or tokenizer GGUF cannot carry, output directory not empty.
    """
    from witness_evals.export import export_run

    info = export_run(run_dir, fmt, out, quant=quant, bench=bench, base_spec=base)
    typer.echo(json.dumps(info, indent=1, sort_keys=True))


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""
    app.command("export")(export)
