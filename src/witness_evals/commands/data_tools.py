"""`witness-evals validate` and `witness-evals stats`: check and describe any chat JSONL dataset."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def validate(
    files: list[Path] = typer.Argument(..., help='Chat JSONL files ({"messages": [...]} per line).'),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    workers: int = typer.Option(1, "--workers", help="Processes (each with its own Rego sandbox)."),
    show: int = typer.Option(5, "--show", help="Failures listed per check."),
) -> None:
    """Re-run every check on chat JSONL files: ours (the hidden checks of the `.meta.jsonl` next to
    them) or anyone's (JSON parses, policies pass `check policy`, Rego compiles and defines deny,
    `witness` commands parse; no placeholders). Exit 0: all pass; 1: some fail; 2: bad input."""
    from witness_evals.generate.options import check_workers
    from witness_evals.generate.validate import format_report, validate_files

    report = validate_files(files, workers=check_workers(workers), max_shown=max(0, show))
    typer.echo(json.dumps(report.to_json(), indent=1) if as_json else format_report(report))
    raise typer.Exit(0 if report.ok else 1)


def stats(
    files: list[Path] = typer.Argument(..., help='Chat JSONL files ({"messages": [...]} per line).'),
    plot: Path | None = typer.Option(None, "--plot", help="Also write the figures to this PNG file."),
    tokenizer: str | None = typer.Option(
        None,
        "--tokenizer",
        help="`default` (the embedded model's), a tokenizer.json or HF directory; "
        "whitespace words if not given.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as JSON."),
) -> None:
    """Counts per split/family/template, token lengths, prompt openings, attestor coverage, PEM key
    types, answer lengths and placeholders of chat JSONL files. Exit 0, or 2 on bad input."""
    from witness_evals.common.jsonio import write_atomic
    from witness_evals.generate.stats import file_stats, format_stats, plot_file_stats

    result = file_stats(files, tokenizer=tokenizer).to_json()
    typer.echo(json.dumps(result, indent=1) if as_json else format_stats(result))
    if plot is not None:
        write_atomic(plot, plot_file_stats(result))
        if not as_json:
            typer.echo(f"figure: {plot}")


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""
    app.command("validate")(validate)
    app.command("stats")(stats)
