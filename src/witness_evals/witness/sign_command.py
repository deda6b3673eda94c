"""`witness sign` as its command runs it (cmd/sign.go): a file signer from key, certificate and
passphrase files (REFERENCE §2.3, §3.6), and the signed DSSE envelope of one file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from witness_evals.common.errors import InputError
from witness_evals.common.jsonio import read_bytes
from witness_evals.witness import crypto, dsse


def read_passphrase(path: Path | None) -> bytes | None:
    """go-witness file signer: passphrase file (one line, trailing CR/LF dropped), else $WITNESS_KEY_PASSPHRASE."""
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


def load_signer_certificate(path: Path, what: str) -> object:
    """A certificate for the file signer, with witness's `failed to load <what>` errors."""
    data = read_bytes(path, max_bytes=1024 * 1024)
    try:
        parsed = crypto.parse_pem(data, source=str(path))
    except InputError:
        raise InputError(f"failed to load {what}: failed to parse certificate", source=str(path)) from None
    if parsed.certificate is None:
        raise InputError(f"failed to load {what}: {path} is not a x509 certificate", source=str(path))
    return parsed.certificate


def run_sign(
    *,
    infile: Path | None,
    outfile: Path | None,
    key_path: Path | None,
    datatype: str,
    cert_path: Path | None,
    intermediate_paths: list[str],
    passphrase_path: Path | None,
    warn: Callable[[str], None],
) -> None:
    """Sign `infile` into a DSSE envelope written to `outfile` exactly like `witness sign` (payload =
    the raw file bytes); `warn` gets warnings. Flag-group and file errors are `InputError`s."""
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
    key = crypto.load_private_key(key_pem, read_passphrase(passphrase_path), source=str(key_path))
    cert = load_signer_certificate(cert_path, "certificate") if cert_path is not None else None
    inters = [
        load_signer_certificate(Path(p), "intermediate")
        for item in intermediate_paths
        for p in item.split(",")
        if p.strip()
    ]
    signer = crypto.Signer(key, cert, inters, check_certificate=False)  # type: ignore[arg-type]
    if not signer.certificate_matches_key:
        warn("the certificate does not match the private key; the signature will not verify")
    payload = read_bytes(infile)
    env = dsse.sign_envelope(payload, datatype, [signer])
    try:
        outfile.parent.mkdir(parents=True, exist_ok=True)
        outfile.write_text(env.dumps() + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), source=str(outfile)) from None
