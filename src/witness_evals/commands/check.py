"""`witness-evals` commands: check."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""
    register_command_check(check_app)


def register_command_check(check_app: typer.Typer) -> None:
    """`witness-evals check command`: static analysis of a `witness ...` command line."""

    @check_app.command("command")
    def check_command(
        text: str = typer.Argument(..., help="The witness command line, quoted as one argument; `-` reads stdin."),
        as_json: bool = typer.Option(False, "--json", help="Print the analysis as JSON."),
        config: Path | None = typer.Option(
            None,
            "--config",
            help="Content of the file the command names with `-c`, so required-flag checks can use it.",
        ),
    ) -> None:
        """Explain a witness command line and report what is wrong with it (nothing is executed).

        Exit 0: no errors (warnings allowed); 1: the command is invalid; 2: unusable input.
        """
        import json

        from witness_evals.witness.cli_spec import MAX_INPUT_CHARS, parse_command
        from witness_evals.witness.errors import InputError

        source = text
        if text == "-":
            source = _read_stdin(MAX_INPUT_CHARS * 4)
        config_text = None
        if config is not None:
            from witness_evals.witness.jsonio import read_bytes

            raw = read_bytes(config, max_bytes=MAX_INPUT_CHARS * 4)
            try:
                config_text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError("not UTF-8 text", source=str(config), location=f"byte {exc.start}") from None
        analysis = parse_command(source, config=config_text)
        if as_json:
            typer.echo(json.dumps(analysis.to_dict(), indent=2, ensure_ascii=False))
        else:
            typer.echo(_render(analysis))
        raise typer.Exit(0 if analysis.valid else 1)


def _read_stdin(limit: int) -> str:
    """Read stdin as UTF-8 (bounded); unusable stdin is an InputError (exit 2)."""
    import sys

    from witness_evals.witness.errors import InputError

    try:
        raw = sys.stdin.buffer.read(limit + 1)
    except (OSError, ValueError, AttributeError) as exc:
        raise InputError(f"cannot read stdin: {exc}", source="<stdin>") from None
    if len(raw) > limit:
        raise InputError(f"more than {limit} bytes", source="<stdin>")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text", source="<stdin>", location=f"byte {exc.start}") from None


def _render(analysis: object) -> str:
    """Human-readable report of a CommandAnalysis."""
    from witness_evals.witness.cli_spec import CommandAnalysis

    assert isinstance(analysis, CommandAnalysis)
    a = analysis
    name = f"witness {a.subcommand}".strip() if a.subcommand is not None else "witness"
    verdict = "valid" if a.valid else "INVALID"
    counts = f"{len(a.errors)} error(s), {len(a.warnings)} warning(s), {len(a.notes)} note(s)"
    lines = [f"{name}: {verdict} ({counts})"]
    if a.meaning:
        lines.append("meaning:")
        lines.extend(f"  - {m}" for m in a.meaning)
    if a.issues:
        lines.append("issues:")
        for issue in a.issues:
            where = ""
            if 0 <= issue.token_index < len(a.tokens):
                where = f" at `{a.tokens[issue.token_index][:60]}`"
            lines.append(f"  {issue.severity} [{issue.code}]{where}: {issue.message}")
    return "\n".join(lines)
