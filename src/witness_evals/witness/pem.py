"""PEM and DER encodings as Go writes and reads them (`encoding/pem`, `x509.MarshalPKIXPublicKey`)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey

_PEM_RE = re.compile(rb"(?:^|\n)-----BEGIN ([^\r\n]*?)-----[ \t\r]*\n(.*?)-----END \1-----", re.S)


@dataclass(frozen=True)
class PemBlock:
    """One decoded PEM block: its type label, `Key: value` headers and DER bytes."""

    type: str
    headers: dict[str, str]
    der: bytes


def _iter_pem_blocks(data: bytes) -> Iterator[PemBlock]:
    for m in _PEM_RE.finditer(data):
        label = m.group(1).decode("latin-1")
        body = m.group(2).replace(b"\r", b"")
        headers: dict[str, str] = {}
        lines = body.split(b"\n")
        if lines and b":" in lines[0]:
            i = 0
            while i < len(lines) and b":" in lines[i]:
                k, _, v = lines[i].partition(b":")
                headers[k.decode("latin-1").strip()] = v.decode("latin-1").strip()
                i += 1
            if i < len(lines) and lines[i].strip() == b"":
                i += 1
            lines = lines[i:]
        b64 = b"".join(line.strip() for line in lines)
        try:
            der = base64.b64decode(b64, validate=True)
        except ValueError:
            continue
        yield PemBlock(label, headers, der)


def pem_blocks(data: bytes) -> list[PemBlock]:
    """All well-formed PEM blocks in `data`, in order (malformed ones are skipped, like Go)."""
    return list(_iter_pem_blocks(data))


def first_pem_block(data: bytes) -> PemBlock | None:
    """The first PEM block (`pem.Decode`); None when there is none."""
    return next(_iter_pem_blocks(data), None)


def encode_pem(label: str, der: bytes) -> bytes:
    """`pem.EncodeToMemory`: 64-column base64 lines, `\\n` endings, trailing newline."""
    b64 = base64.b64encode(der).decode("ascii")
    body = "".join(b64[i : i + 64] + "\n" for i in range(0, len(b64), 64))
    return f"-----BEGIN {label}-----\n{body}-----END {label}-----\n".encode("ascii")


def public_der(pub: PublicKey) -> bytes:
    """`x509.MarshalPKIXPublicKey`: DER SubjectPublicKeyInfo."""
    return pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
