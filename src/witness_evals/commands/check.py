"""`witness-evals check command|policy|rego`: static checks of witness command lines, policies and Rego."""

from __future__ import annotations

from pathlib import Path

import typer


def _read_stdin(limit: int) -> str:
    """Read stdin as UTF-8 (bounded); unusable stdin is an InputError (exit 2)."""
    import sys

    from witness_evals.common.errors import InputError

    try:
        raw = sys.stdin.buffer.read(limit + 1)
    except (OSError, ValueError, AttributeError) as exc:
        raise InputError(f"cannot read stdin: {exc}", source="<stdin>") from None
    if len(raw) > limit:
        raise InputError(f"more than {limit} bytes", source="<stdin>")
    return _utf8(raw, "<stdin>")


def _utf8(raw: bytes, source: str) -> str:
    """Decode UTF-8; anything else is an InputError naming the first bad byte."""
    from witness_evals.common.errors import InputError

    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text", source=source, location=f"byte {exc.start}") from None


def _version(name: str) -> str:
    """`--witness-version`: a known release profile (InputError otherwise)."""
    from witness_evals.common.errors import InputError
    from witness_evals.witness import versions

    try:
        return versions.get(name).name
    except InputError as exc:
        raise exc.at(source="--witness-version") from None


def _check_mode(mode: str) -> None:
    """`--mode` of `check policy` / `check rego`: one of policy_check.CHECK_MODES."""
    from witness_evals.common.errors import InputError
    from witness_evals.witness.policy_check import CHECK_MODES

    if mode not in CHECK_MODES:
        raise InputError(
            f"unknown --mode {mode!r} (expected one of: {', '.join(CHECK_MODES)})", source="--mode"
        )


def _render(analysis: object) -> str:
    """Human-readable report of a CommandAnalysis."""
    from witness_evals.witness.cli import CommandAnalysis

    assert isinstance(analysis, CommandAnalysis)
    return analysis.report()


def check_command(
    text: str = typer.Argument(
        ..., help="The witness command line, quoted as one argument; `-` reads stdin."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the analysis as JSON."),
    config: Path | None = typer.Option(
        None,
        "--config",
        help="Content of the file the command names with `-c` (witness v0.10: or of `.witness.yaml`), "
        "so required-flag checks can use it.",
    ),
    witness_version: str = typer.Option(
        "0.12", "--witness-version", help="Grammar of this witness release: 0.12 (latest), 0.11, 0.10."
    ),
) -> None:
    """Explain a witness command line and report what is wrong with it (nothing is executed).

    Exit 0: no errors (warnings allowed); 1: the command is invalid; 2: unusable input.
    """
    import json

    from witness_evals.witness.cli import MAX_INPUT_CHARS, parse_command

    version = _version(witness_version)

    source = text
    if text == "-":
        source = _read_stdin(MAX_INPUT_CHARS * 4)
    config_text = None
    if config is not None:
        from witness_evals.common.jsonio import read_bytes

        config_text = _utf8(read_bytes(config, max_bytes=MAX_INPUT_CHARS * 4), str(config))
    analysis = parse_command(source, config=config_text, version=version)
    if as_json:
        typer.echo(json.dumps(analysis.to_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo(_render(analysis))
    raise typer.Exit(0 if analysis.valid else 1)


def check_policy_cmd(
    file: Path = typer.Argument(..., help="Policy JSON or DSSE envelope of one (signature not checked)."),
    as_json: bool = typer.Option(
        False, "--json", help="Print the report as JSON (witness policy check shape)."
    ),
    mode: str = typer.Option(
        "verify",
        "--mode",
        help="verify: judge as `witness verify` uses it; policy-check: also fail what `witness policy check` rejects.",
    ),
    witness_version: str = typer.Option(
        "0.12", "--witness-version", help="Judge for this witness release: 0.12 (latest), 0.11, 0.10."
    ),
) -> None:
    """Check a witness policy without attestations: structure, expiry, keys, steps, types, Rego.

    Exit 0: valid (warnings allowed); 1: invalid; 2: unreadable or not JSON.
    """
    import json

    from witness_evals.common.jsonio import read_bytes
    from witness_evals.witness.policy import MAX_POLICY_BYTES
    from witness_evals.witness.policy_check import check_policy

    _check_mode(mode)
    version = _version(witness_version)
    data = read_bytes(file, max_bytes=MAX_POLICY_BYTES)
    report = check_policy(data, source=str(file), mode=mode, version=version)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        for finding in report.errors:
            typer.echo(finding.line("error", str(file)))
        for finding in report.warnings:
            typer.echo(finding.line("warning", str(file)))
        counts = f"{report.checks_passed}/{report.checks_performed} checks passed, {len(report.warnings)} warning(s)"
        if report.valid:
            typer.echo(f"{file}: policy is valid ({counts})")
        else:
            typer.echo(f"{file}: policy validation failed with {len(report.errors)} error(s) ({counts})")
    raise typer.Exit(0 if report.valid else 1)


def check_rego_cmd(
    file: Path = typer.Argument(..., help="A Rego module (text, not base64); compiled in the sandbox."),
    input_file: Path | None = typer.Option(
        None, "--input", help="JSON input (an attestor predicate): print the deny set as a JSON array."
    ),
    mode: str = typer.Option(
        "verify", "--mode", help="Parser: verify (OPA v0, as witness verify) or policy-check (OPA v1)."
    ),
) -> None:
    """Compile a Rego module as go-witness would, and optionally evaluate its deny set.

    Exit 0: compiles (and, with --input, evaluated; the deny set is printed whatever it holds);
    1: does not compile, or evaluation fails (deny not a set of strings, ...); 2: unreadable input,
    or a module nested too deeply for the engine (no verdict possible).
    """
    import json

    from witness_evals.common.errors import InputError
    from witness_evals.common.jsonio import loads, read_bytes
    from witness_evals.witness.policy_check import check_rego
    from witness_evals.witness.rego import TOO_DEEP, RegoEngineLimitError
    from witness_evals.witness.rego.sandbox import DEFAULT_MAX_INPUT_BYTES

    _check_mode(mode)
    raw = read_bytes(file, max_bytes=1 << 20)
    if b"\x00" in raw:
        raise InputError("not text (binary data)", source=str(file))
    module = _utf8(raw, str(file))
    payload = None
    if input_file is not None:  # the sandbox's input cap, checked (stat) before reading
        data = read_bytes(input_file, max_bytes=DEFAULT_MAX_INPUT_BYTES)
        payload = loads(data, source=str(input_file))
    report = check_rego(module, name=file.name, mode=mode, input=payload)
    if report.error_kind == TOO_DEEP:  # no verdict is possible: an error of the checker
        raise RegoEngineLimitError(report.error, source=str(file))
    if not report.compiled:
        typer.echo(f"{file}: error: {report.error}")
        raise typer.Exit(1)
    for pkg, has_deny in report.packages.items():
        if not has_deny:
            typer.echo(f"{file}: warning: package {pkg} defines no deny rule: go-witness passes it silently")
    if report.other_mode_error:
        other = "witness policy check (OPA v1)" if mode == "verify" else "witness verify (OPA v0)"
        typer.echo(f"{file}: warning: {other} rejects this module: {report.other_mode_error}")
    if input_file is None:
        typer.echo(f"{file}: compiles ({mode} parser); packages: {', '.join(report.packages) or '-'}")
        raise typer.Exit(0)
    if report.deny is None:
        typer.echo(f"{file}: error: {report.eval_error}")
        raise typer.Exit(1)
    typer.echo(json.dumps(report.deny, ensure_ascii=False))
    raise typer.Exit(0)


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    """Add `check command`, `check policy` and `check rego` to the CLI."""
    check_app.command("command")(check_command)
    check_app.command("policy")(check_policy_cmd)
    check_app.command("rego")(check_rego_cmd)
