"""`witness-evals serve`: the checked assistant as an OpenAI-compatible HTTP endpoint."""

from __future__ import annotations

import typer


def serve(
    model: str | None = typer.Option(
        None, "--model", "-m", help="default | RUN_DIR (a trained adapter) | MODEL_DIR | inference spec"
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    fix: int = typer.Option(0, "--fix", help="Default fix rounds (a request's `witness_fix` overrides)."),
    witness_version: str | None = typer.Option(
        None, "--witness-version", help="Check as this witness release."
    ),
    name: str = typer.Option("witness-assistant", "--name", help="Model id reported by /v1/models."),
) -> None:
    """Serve /v1/chat/completions and /v1/models: answers with their ✓/✗ checks (text + `witness` field).

    Exit 2 (one line): port in use, bad model, missing fastapi/uvicorn.
    """
    from witness_evals.assist import MAX_FIX_ROUNDS
    from witness_evals.assist.server import serve as run_server
    from witness_evals.common.errors import InputError

    if not 0 <= fix <= MAX_FIX_ROUNDS:
        raise InputError(f"--fix must be between 0 and {MAX_FIX_ROUNDS}")
    if not 0 <= port <= 65535:
        raise InputError("--port must be between 0 and 65535")
    run_server(model, host=host, port=port, fix=fix, witness_version=witness_version, model_name=name)


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""
    app.command("serve")(serve)
