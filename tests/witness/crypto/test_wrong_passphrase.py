"""A wrong passphrase for an encrypted private key always says so: about once in 256 tries the CBC padding
of the wrongly decrypted bytes still checks out, the garbage then fails to parse, and the key used to be
reported as an `unsupported pem type` (seen as a flaky CLI test)."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from witness_evals.common.errors import InputError
from witness_evals.witness.crypto import load_private_key


def test_every_wrong_passphrase_is_reported_as_such() -> None:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"the right one"),
    )
    errors = set()
    for i in range(1200):  # ~99 % sure to meet the padding case at least once
        try:
            load_private_key(pem, f"wrong {i}", source="k.pem")
        except InputError as exc:
            errors.add(str(exc))
    assert errors == {"k.pem: failed to decrypt private key: wrong passphrase"}
