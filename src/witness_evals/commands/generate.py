"""`witness-evals generate`: verified training data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from witness_evals.common.errors import InputError


def _witness_version(name: str) -> str:
    """`--witness-version` as a profile name (`v0.11.0` -> `0.11`); InputError when unknown."""
    from witness_evals.witness import versions

    try:
        return versions.get(name).name
    except InputError as exc:
        raise exc.at(source="--witness-version") from None


def generate(
    out: str = typer.Option(..., "--out", "-o", help="Dataset directory to write."),
    n: int = typer.Option(20_000, "--n", help="Number of examples (all splits)."),
    seed: int = typer.Option(0, "--seed", help="Same seed and settings: byte-identical output."),
    workers: int = typer.Option(
        0, "--workers", help="Processes (0: one per CPU core, at most 16; at most 4 per core)."
    ),
    mix: str | None = typer.Option(None, "--mix", help="Family weights, e.g. facts=1,policies=2."),
    only: str | None = typer.Option(None, "--families", help="Only these families, e.g. commands,rego."),
    valid: float = typer.Option(0.05, "--valid", help="Share of examples in the validation split."),
    test: float = typer.Option(0.05, "--test", help="Share of examples in the test split."),
    max_per_group: int = typer.Option(3, "--max-per-group", help="Paraphrases kept per task."),
    split_by: str = typer.Option(
        "template",
        "--split-by",
        help="template: each question template in one split (test phrasings unseen in train); "
        "group: each task in one split, templates shared.",
    ),
    witness_version: str = typer.Option(
        "0.12",
        "--witness-version",
        help="Write and verify every answer for this witness release: 0.12 (latest), 0.11, 0.10.",
    ),
    paraphrase: str | None = typer.Option(
        None,
        "--paraphrase",
        help="openai:BASE_URL#MODEL: rewrite a share of the user prompts through this OpenAI-compatible "
        "server; a rewrite is kept only if every value survives and the answer still passes its check.",
    ),
    paraphrase_share: float = typer.Option(
        0.5, "--paraphrase-share", help="Share of examples offered for paraphrasing (seeded)."
    ),
    paraphrase_temperature: float = typer.Option(
        0.7, "--paraphrase-temperature", help="Sampling temperature of the paraphrasing model (seed: --seed)."
    ),
    paraphrase_concurrency: int = typer.Option(
        8, "--paraphrase-concurrency", help="Requests in flight to the paraphrasing server."
    ),
    paraphrase_timeout: float = typer.Option(
        120.0, "--paraphrase-timeout", help="Seconds to wait for one paraphrase."
    ),
    resume: bool = typer.Option(
        True, "--resume/--no-resume", help="Reuse finished chunks of an interrupted run."
    ),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace a dataset made with other settings in --out."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Generate a verified chat dataset: train/valid/test JSONL, hidden checks, stats.

    Every example's reference answer passed its own executable check (command grammar, policy
    verification, Rego evaluation in the sandbox...). Exit 0: written; 2: bad settings.
    """
    import sys

    from witness_evals.generate.dataset import DatasetSpec, build_dataset, check_output_dir
    from witness_evals.generate.options import check_workers, parse_mix

    if not out.strip():
        raise InputError(
            "must name a directory (an empty path would write into the current one)", source="--out"
        )
    out_dir = Path(out)
    spec = DatasetSpec(
        n=n,
        seed=seed,
        mix=parse_mix(mix, only),
        valid=valid,
        test=test,
        max_per_group=max_per_group,
        split_by=split_by,
        witness_version=_witness_version(witness_version),
        paraphrase=paraphrase,
        paraphrase_share=paraphrase_share,
        paraphrase_temperature=paraphrase_temperature,
    )
    spec.check()
    jobs = check_workers(workers)
    check_output_dir(out_dir, spec, overwrite=overwrite)  # before any progress bar
    backend = None
    if paraphrase is not None:  # a bad spec or an unreachable server: one line, before any work
        from witness_evals.generate.paraphrase import connect

        if paraphrase_concurrency < 1:
            raise InputError("must be at least 1", source="--paraphrase-concurrency")
        if not paraphrase_timeout > 0:
            raise InputError("must be above 0", source="--paraphrase-timeout")
        backend = connect(paraphrase, concurrency=paraphrase_concurrency, timeout=paraphrase_timeout)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n, unit="ex", desc="generate", dynamic_ncols=True)

    def tick(kept: int, made: int) -> None:
        if bar is not None:
            bar.update(kept - bar.n)
            bar.set_postfix(attempted=made, refresh=False)

    try:
        stats = build_dataset(
            spec,
            out_dir,
            workers=jobs,
            resume=resume,
            overwrite=overwrite,
            progress=tick,
            paraphraser=backend,
        )
    except OSError as exc:  # disk full, permissions... while writing: one line, exit 2
        raise InputError(
            f"cannot write: {exc.strerror or exc}", source=str(exc.filename or out_dir)
        ) from None
    finally:
        if bar is not None:
            bar.close()
        if backend is not None:
            backend.close()
    for warning in stats.get("_warnings", []):
        sys.stderr.write(f"warning: {warning}\n")
    _print_summary(stats, out_dir, jobs)


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""
    app.command("generate")(generate)


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
    written = sum(stats["examples"].values())
    console.print(
        f"{stats['attempted']} attempted, {stats['duplicates_removed']} duplicate questions and "
        f"{stats['group_capped']} extra paraphrases and {stats.get('group_split_dropped', 0)} paraphrases "
        f"in another split than their task dropped, {rejected} rejected by their checks; "
        f"{written / secs:,.0f} examples written/s with {jobs} workers"
    )
    if rejected:
        for line in stats["reject_samples"][:5]:
            console.print(f"  rejected {line}", markup=False)
    if "paraphrase" in stats:
        para, run = stats["paraphrase"], stats.get("_paraphrase", {})
        rejected_n = sum(para["rejected"].values())
        reasons = ", ".join(f"{n} {reason}" for reason, n in para["rejected"].items())
        console.print(
            f"paraphrased {para['kept']} of {para['chosen']} chosen prompts with {para['model']}"
            + (f"; {rejected_n} kept their original ({reasons})" if rejected_n else "")
            + f"; {run.get('requests', 0)} requests sent, {run.get('cached', 0)} replies reused from the cache",
            markup=False,
        )
        for line in run.get("errors", [])[:3]:
            console.print(f"  server error {line}", markup=False)
