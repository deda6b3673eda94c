"""`witness-evals sign`: `witness sign` with a file signer (REFERENCE §2.3, §3.6)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

POLICY_TYPE = "https://witness.testifysec.com/policy/v0.1"


def _passphrase(path: Path | None) -> bytes | None:
    """go-witness file signer: passphrase file (one line, trailing CR/LF dropped), else $WITNESS_KEY_PASSPHRASE."""
    from witness_evals.witness.errors import InputError
    from witness_evals.witness.jsonio import read_bytes

    if path is not None:
        try:
            raw = read_bytes(path, max_bytes=64 * 1024)
        except InputError as exc:
            raise InputError(f"failed to read key passphrase file: {exc.message}", source=str(path)) from None
        text = raw.rstrip(b"\r\n")
        if b"\r" in text or b"\n" in text:
            raise InputError("passphrase file must contain a single line", source=str(path))
        return text
    env = os.environ.get("WITNESS_KEY_PASSPHRASE", "")
    return env.encode() if env else None


def _cert(path: Path, what: str) -> object:
    from witness_evals.witness import crypto
    from witness_evals.witness.errors import InputError
    from witness_evals.witness.jsonio import read_bytes

    data = read_bytes(path, max_bytes=1024 * 1024)
    try:
        parsed = crypto.parse_pem(data, source=str(path))
    except InputError:
        raise InputError(f"failed to load {what}: failed to parse certificate", source=str(path)) from None
    if parsed.certificate is None:
        raise InputError(f"failed to load {what}: {path} is not a x509 certificate", source=str(path))
    return parsed.certificate


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
    from witness_evals.witness import crypto, dsse
    from witness_evals.witness.errors import InputError
    from witness_evals.witness.jsonio import read_bytes

    if (infile is None) != (outfile is None):
        missing = "outfile" if outfile is None else "infile"
        raise InputError(
            f"if any flags in the group [infile outfile] are set they must all be set; missing [{missing}]"
        )
    if infile is None or outfile is None:
        raise InputError("open : no such file or directory (pass both -f/--infile and -o/--outfile)")
    if key_path is None:
        raise InputError("failed to load any signers (give -k/--signer-file-key-path)")
    key_pem = read_bytes(key_path, max_bytes=1024 * 1024)
    key = crypto.load_private_key(key_pem, _passphrase(passphrase_path), source=str(key_path))
    cert = _cert(cert_path, "certificate") if cert_path is not None else None
    inters = [
        _cert(Path(p), "intermediate") for item in intermediate_paths for p in item.split(",") if p.strip()
    ]
    signer = crypto.Signer(key, cert, inters, check_certificate=False)  # type: ignore[arg-type]
    if not signer.certificate_matches_key:
        typer.echo(
            "warning: the certificate does not match the private key; the signature will not verify", err=True
        )
    payload = read_bytes(infile)
    env = dsse.sign_envelope(payload, datatype, [signer])
    try:
        outfile.parent.mkdir(parents=True, exist_ok=True)
        outfile.write_text(env.dumps() + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), source=str(outfile)) from None


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""
    app.command("sign", help="Sign a file into a DSSE envelope like `witness sign` (default type: policy).")(
        sign
    )
