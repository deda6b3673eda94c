"""`witness-evals keys ...`: generate key pairs and compute go-witness key ids."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import typer

MAX_PASSPHRASE_BYTES = 1023

keys_app = typer.Typer(
    help="Generate key pairs (reproducibly with --seed) and compute go-witness key ids.", no_args_is_help=True
)


def _write(path: Path, data: bytes, *, private: bool) -> None:
    from witness_evals.common.errors import InputError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        fd = os.open(path, flags, 0o600 if private else 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), source=str(path)) from None


def _read_passphrase(path: Path) -> bytes:
    """One line of at most 1023 bytes (OpenSSL's PKCS#8 limit), trailing CR/LF dropped, not empty."""
    from witness_evals.common.errors import InputError
    from witness_evals.common.jsonio import read_bytes

    text = read_bytes(path, max_bytes=4096).rstrip(b"\r\n")
    if b"\r" in text or b"\n" in text:
        raise InputError("passphrase file must contain a single line", source=str(path))
    if not text:
        raise InputError("passphrase file is empty (the key would not be encrypted)", source=str(path))
    if len(text) > MAX_PASSPHRASE_BYTES:
        raise InputError(
            f"passphrase is {len(text)} bytes long, at most {MAX_PASSPHRASE_BYTES} are supported",
            source=str(path),
        )
    return text


@keys_app.command("generate")
def generate(
    key_type: str = typer.Option(
        "ed25519", "--type", "-t", help="ed25519, ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072 or rsa-4096."
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Where to write the private key (PKCS#8 PEM, mode 0600)."
    ),
    pub: Path | None = typer.Option(None, "--pub", help="Also write the canonical PKIX public key PEM here."),
    seed: int | None = typer.Option(
        None, "--seed", help="Derive the key from this seed (same seed, same key)."
    ),
    passphrase_path: Path | None = typer.Option(
        None, "--passphrase-path", help="Encrypt the private key with the passphrase in this file."
    ),
) -> None:
    """Generate a private key; print its keyid (sha256 of the canonical public PEM) on stdout."""
    from witness_evals.witness import crypto

    passphrase = None
    if passphrase_path is not None:
        passphrase = _read_passphrase(passphrase_path)
    key = crypto.generate_private_key(key_type, seed=seed)
    _write(out, crypto.private_pem(key, passphrase), private=True)
    if pub is not None:
        _write(pub, crypto.public_pem(key.public_key()), private=False)
    typer.echo(crypto.keyid(key))


@keys_app.command("id")
def key_id(
    path: Path = typer.Argument(..., help="Public key (PKIX or PKCS#1 PEM), certificate or private key."),
    pem: bool = typer.Option(
        False, "--pem", help="Print the canonical PKIX public key PEM instead of the keyid."
    ),
) -> None:
    """Print the go-witness keyid of a key or certificate (its public key's canonical PEM, SHA-256)."""
    from witness_evals.common.errors import InputError
    from witness_evals.common.jsonio import read_bytes
    from witness_evals.witness import crypto

    data = read_bytes(path, max_bytes=1024 * 1024)
    try:
        parsed = crypto.parse_pem(data, source=str(path))
    except InputError as exc:
        if "ENCRYPTED" in exc.message:
            raise InputError(
                f"{exc.message} (an encrypted private key: give its public key instead)", source=str(path)
            ) from None
        raise
    pub = parsed.public_key
    canonical = crypto.public_pem(pub)
    if pem:
        sys.stdout.write(canonical.decode("ascii"))
        return
    kid = crypto.keyid(pub)
    typer.echo(kid)
    file_hash = hashlib.sha256(data).hexdigest()
    if parsed.kind == "certificate":
        typer.echo(
            "note: for a certificate the keyid is that of its public key, not a certificate fingerprint",
            err=True,
        )
    elif parsed.kind == "private":
        typer.echo("note: this is a private key; the keyid shown is that of its public key", err=True)
    elif file_hash != kid:
        what = (
            "a PKCS#1 'RSA PUBLIC KEY'" if "RSA PUBLIC KEY" in parsed.label else "not the canonical PKIX PEM"
        )
        typer.echo(
            f"note: this file is {what}, so `sha256sum {path}` ({file_hash}) differs from the keyid; "
            f"witness computes the keyid from the canonical PKIX PEM (`witness-evals keys id --pem {path}`)",
            err=True,
        )


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""
    app.add_typer(keys_app, name="keys")
