"""`witness-evals sign`: `witness sign` with a file signer (REFERENCE §2.3, §3.6)."""

from __future__ import annotations

from pathlib import Path

import typer

POLICY_TYPE = "https://witness.testifysec.com/policy/v0.1"


def sign(
    infile: Path | None = typer.Option(None, "--infile", "-f", help="Witness policy file to sign"),
    outfile: Path | None = typer.Option(None, "--outfile", "-o", help="File to write signed data"),
    key_path: Path | None = typer.Option(
        None, "--signer-file-key-path", "-k", help="Path to the file containing the private key"
    ),
    datatype: str = typer.Option(
        POLICY_TYPE, "--datatype", "-t", help="The URI reference to the type of data being signed"
    ),
    cert_path: Path | None = typer.Option(
        None,
        "--signer-file-cert-path",
        help="Path to the file containing the certificate for the private key",
    ),
    intermediate_paths: list[str] = typer.Option(
        [],
        "--signer-file-intermediate-paths",
        help="Paths to files containing intermediates (repeat the flag or separate with commas)",
    ),
    passphrase_path: Path | None = typer.Option(
        None,
        "--signer-file-key-passphrase-path",
        help="Path to a file containing the private key passphrase.",
    ),
) -> None:
    """Sign a file into a DSSE envelope exactly like `witness sign` (payload = the raw file bytes)."""
    from witness_evals.witness.sign_command import run_sign

    run_sign(
        infile=infile,
        outfile=outfile,
        key_path=key_path,
        datatype=datatype,
        cert_path=cert_path,
        intermediate_paths=intermediate_paths,
        passphrase_path=passphrase_path,
        warn=lambda text: typer.echo(f"warning: {text}", err=True),
    )


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""
    app.command("sign", help="Sign a file into a DSSE envelope like `witness sign` (default type: policy).")(
        sign
    )
