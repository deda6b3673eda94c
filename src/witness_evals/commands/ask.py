"""`witness-evals ask`: ask the model, then check every policy, Rego module and command of its answer."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer


def ask(
    question: str = typer.Argument(..., help="The question ('-' reads it from stdin)."),
    model: str | None = typer.Option(
        None,
        "--model",
        "-m",
        help="default | RUN_DIR (a trained adapter) | MODEL_DIR | hf:/openai:/ollama:/mlx:/answers: spec",
    ),
    fix: int = typer.Option(
        0, "--fix", help="Feed failed checks back to the model for up to N rounds (0-5)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (answer, checks, rounds)."),
    witness_version: str | None = typer.Option(
        None, "--witness-version", help="Check as this witness release (0.12, 0.11, 0.10)."
    ),
    system: str | None = typer.Option(None, "--system", help="A system message to send first."),
    max_new_tokens: int = typer.Option(1024, "--max-new-tokens", help="Generation budget per answer."),
    attestations: list[Path] = typer.Option(
        [],
        "--attestation",
        "-a",
        help="Attestation file of a pipeline: policies are verified against it (repeatable).",
    ),
    subjects: list[str] = typer.Option(
        [], "--subject", "-s", help="Subject digest for that verification (repeatable)."
    ),
    artifacts: list[Path] = typer.Option(
        [], "--artifact", help="Artifact file whose sha256 is a subject (repeatable)."
    ),
) -> None:
    """Answer a Witness question and check the answer: ✓/✗ per policy, Rego module and command.

    Exit 0: every check passes (or nothing to check); 1: a check fails; 2: bad input.
    """
    from witness_evals.assist import (
        MAX_FIX_ROUNDS,
        Checker,
        Pipeline,
        answer_with_fixes,
        model_spec,
        render,
    )
    from witness_evals.common.errors import InputError
    from witness_evals.inference import GenerationSettings, load_backend

    text = sys.stdin.read() if question == "-" else question
    if not text.strip():
        raise InputError("empty question")
    if not 0 <= fix <= MAX_FIX_ROUNDS:
        raise InputError(f"--fix must be between 0 and {MAX_FIX_ROUNDS}")
    if max_new_tokens < 1:
        raise InputError("--max-new-tokens must be at least 1")
    pipeline = (
        Pipeline.from_files(attestations, subjects, artifacts)
        if attestations or subjects or artifacts
        else None
    )
    spec = model_spec(model)
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": text}
    ]
    with Checker(witness_version=witness_version, pipeline=pipeline) as checker:
        backend = load_backend(spec)
        try:
            result = answer_with_fixes(
                backend,
                messages,
                fix,
                GenerationSettings(max_new_tokens=max_new_tokens),
                checker,
                question=text,
            )
        finally:
            backend.close()
    if result.kept.error is not None:
        raise InputError(f"the model failed: {result.kept.error}", source=f"--model {spec}")
    if as_json:
        typer.echo(
            json.dumps(
                {"model": spec, "answer": result.text, **result.to_json()}, indent=1, ensure_ascii=False
            )
        )
    else:
        typer.echo(render(result, fix=fix))
    raise typer.Exit(0 if result.checks.passed else 1)


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""
    app.command("ask")(ask)
