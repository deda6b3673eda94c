"""`witness-evals` commands: attestors."""

from __future__ import annotations

import typer


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""
