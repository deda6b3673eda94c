"""`witness-evals demo`: the end-to-end walk-through run by `make demo`."""

from __future__ import annotations

from pathlib import Path

import typer


def demo(
    out: Path = typer.Option(Path("demo-out"), "--out", help="Directory for the demo's files."),
    seed: int = typer.Option(7, help="Seed: the same seed writes byte-identical files."),
    model: bool = typer.Option(True, "--model/--no-model", help="Also load the embedded default model."),
) -> None:
    """Walk through keys, a signed two-step pipeline, a signed policy, verify PASS and FAIL."""
    from witness_evals.demo import walkthrough

    if not walkthrough(out, seed=seed, model=model):
        raise typer.Exit(1)


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    app.command()(demo)
