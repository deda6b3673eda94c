"""`witness-evals generate`: verified training data."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from witness_evals.witness.errors import InputError


def parse_mix(text: str | None, only: str | None) -> dict[str, float]:
    """`--mix facts=2,rego=1` (weights) and/or `--families facts,rego` (default weights of those)."""
    from witness_evals.generate.families import DEFAULT_MIX

    mix = dict(DEFAULT_MIX)
    if text:
        mix = {}
        for part in (p.strip() for p in text.split(",") if p.strip()):
            name, sep, value = part.partition("=")
            try:
                mix[name.strip()] = float(value) if sep else 1.0
            except ValueError:
                raise InputError(
                    f"weight of {name.strip()!r} is not a number: {value!r}", source="--mix"
                ) from None
    if only:
        names = [n.strip() for n in only.split(",") if n.strip()]
        unknown = [n for n in names if n not in DEFAULT_MIX]
        if unknown:
            raise InputError(
                f"unknown family {unknown[0]!r} (known: {', '.join(DEFAULT_MIX)})", source="--families"
            )
        mix = {n: mix.get(n, DEFAULT_MIX[n]) or DEFAULT_MIX[n] for n in names}
    return mix


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""

    @app.command("generate")
    def generate(
        out: Path = typer.Option(..., "--out", "-o", help="Dataset directory to write."),
        n: int = typer.Option(20_000, "--n", help="Number of examples (all splits)."),
        seed: int = typer.Option(0, "--seed", help="Same seed and settings: byte-identical output."),
        workers: int = typer.Option(0, "--workers", help="Processes (0: one per CPU core, at most 16)."),
        mix: str | None = typer.Option(None, "--mix", help="Family weights, e.g. facts=1,policies=2."),
        only: str | None = typer.Option(None, "--families", help="Only these families, e.g. commands,rego."),
        valid: float = typer.Option(0.05, "--valid", help="Share of groups in the validation split."),
        test: float = typer.Option(0.05, "--test", help="Share of groups in the test split."),
        max_per_group: int = typer.Option(3, "--max-per-group", help="Paraphrases kept per task."),
        resume: bool = typer.Option(
            True, "--resume/--no-resume", help="Reuse finished chunks of an interrupted run."
        ),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    ) -> None:
        """Generate a verified chat dataset: train/valid/test JSONL, hidden checks, stats.

        Every example's reference answer passed its own executable check (command grammar, policy
        verification, Rego evaluation in the sandbox...). Exit 0: written; 2: bad settings.
        """
        from witness_evals.generate.dataset import DatasetSpec, build_dataset

        spec = DatasetSpec(
            n=n, seed=seed, mix=parse_mix(mix, only), valid=valid, test=test, max_per_group=max_per_group
        )
        spec.check()
        if workers < 0:
            raise InputError(f"must be 0 (one per core) or more, got {workers}", source="--workers")
        jobs = workers if workers > 0 else min(16, os.cpu_count() or 1)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=n, unit="ex", desc="generate", dynamic_ncols=True)

        def tick(kept: int, made: int) -> None:
            if bar is not None:
                bar.update(kept - bar.n)
                bar.set_postfix(attempted=made, refresh=False)

        try:
            stats = build_dataset(spec, out, workers=jobs, resume=resume, progress=tick)
        except OSError as exc:  # disk full, permissions... while writing: one line, exit 2
            raise InputError(
                f"cannot write: {exc.strerror or exc}", source=str(exc.filename or out)
            ) from None
        finally:
            if bar is not None:
                bar.close()
        _print_summary(stats, out, jobs)


def _print_summary(stats: dict[str, Any], out: Path, jobs: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{out}  ({sum(stats['examples'].values())} examples)")
    for col in ("family", "train", "valid", "test", "templates", "p50 tokens"):
        table.add_column(col, justify="left" if col == "family" else "right")
    for fam, counts in stats["families"].items():
        table.add_row(
            fam,
            *(str(counts[s]) for s in ("train", "valid", "test")),
            str(stats["templates"].get(fam, 0)),
            str(stats["approx_tokens"].get(fam, {}).get("p50", "")),
        )
    console = Console()
    console.print(table)
    rejected = sum(stats["rejected"].values())
    secs = stats.get("_seconds", 0) or 1e-9
    console.print(
        f"{stats['attempted']} attempted, {stats['duplicates_removed']} duplicate questions and "
        f"{stats['group_capped']} extra paraphrases dropped, {rejected} rejected by their checks; "
        f"{stats['attempted'] / secs:,.0f} examples/s with {jobs} workers"
    )
    if rejected:
        for line in stats["reject_samples"][:5]:
            console.print(f"  rejected {line}", markup=False)
