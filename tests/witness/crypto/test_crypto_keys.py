"""Key ids, deterministic keys, PEM loading and signatures of every key type."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from witness_evals.common.errors import InputError
from witness_evals.witness import crypto

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "witness-test"
TESTPUB_ID = "ae2dcc989ea9c109a36e8eba5c4bc16d8fafcfe8e1a614164670d50aedacd647"
TESTPUB2_ID = "5e8c57df8ae58fe9a29b29f9993e2fc3b25bd75eb2754f353880bad4b9ebfdb3"

FAST_KINDS = ("ed25519", "ecdsa-p256", "ecdsa-p384", "rsa-2048")


def test_keyid_of_real_witness_keys() -> None:
    ed = crypto.Verifier.from_pem((FIXTURES / "testpub.pem").read_bytes())
    rs = crypto.Verifier.from_pem((FIXTURES / "testpub2.pem").read_bytes())
    assert (ed.keyid, ed.kind) == (TESTPUB_ID, "ed25519")
    assert (rs.keyid, rs.kind) == (TESTPUB2_ID, "rsa-4096")
    # the canonical PEM round-trips byte for byte, which is why sha256sum works for these files
    assert crypto.public_pem(ed.public_key) == (FIXTURES / "testpub.pem").read_bytes()
    assert crypto.public_pem(rs.public_key) == (FIXTURES / "testpub2.pem").read_bytes()


def test_keyids_in_real_policy_match_embedded_keys() -> None:
    policy = json.loads((FIXTURES / "policy.json").read_text())
    assert len(policy["publickeys"]) == 2
    for entry in policy["publickeys"].values():
        pem = base64.b64decode(entry["key"])
        assert crypto.Verifier.from_pem(pem).keyid == entry["keyid"]


def test_pkcs1_public_key_loads_but_keyid_comes_from_pkix() -> None:
    pub = crypto.Verifier.from_pem((FIXTURES / "testpub2.pem").read_bytes()).public_key
    pkcs1 = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    assert pkcs1.startswith(b"-----BEGIN RSA PUBLIC KEY-----")
    v = crypto.Verifier.from_pem(pkcs1)
    assert v.keyid == TESTPUB2_ID
    assert hashlib.sha256(pkcs1).hexdigest() != TESTPUB2_ID


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b.replace(b"\n", b"\r\n"),  # CRLF file
        lambda b: b.rstrip(b"\n"),  # no trailing newline
        lambda b: b"junk before the block\n" + b,
    ],
)
def test_noncanonical_files_keep_the_keyid(mangle) -> None:  # type: ignore[no-untyped-def]
    data = mangle((FIXTURES / "testpub.pem").read_bytes())
    assert crypto.Verifier.from_pem(data).keyid == TESTPUB_ID
    assert hashlib.sha256(data).hexdigest() != TESTPUB_ID


@pytest.mark.parametrize("kind", crypto.KEY_TYPES)
def test_generate_unseeded_every_kind(kind: str) -> None:
    key = crypto.generate_private_key(kind)
    assert crypto.key_kind(key) == kind
    pem = crypto.private_pem(key)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert crypto.keyid(crypto.load_private_key(pem)) == crypto.keyid(key)


@pytest.mark.parametrize("kind", FAST_KINDS)
def test_seeded_generation_is_reproducible(kind: str) -> None:
    a = crypto.generate_private_key(kind, seed=42)
    crypto._seeded_key.cache_clear()
    b = crypto.generate_private_key(kind, seed=42)
    c = crypto.generate_private_key(kind, seed=43)
    assert crypto.private_pem(a) == crypto.private_pem(b)
    assert crypto.keyid(a) != crypto.keyid(c)
    assert crypto.key_kind(a) == kind


def test_seeded_rsa_is_a_sound_key() -> None:
    key = crypto.generate_private_key("rsa-2048", seed=5)
    assert isinstance(key, rsa.RSAPrivateKey)
    nums = key.private_numbers()
    assert nums.p * nums.q == nums.public_numbers.n
    assert nums.public_numbers.n.bit_length() == 2048
    assert nums.public_numbers.e == 65537
    # OpenSSL accepts it (key validation ran in private_key()) and can sign with it
    sig = key.sign(b"x", padding.PKCS1v15(), hashes.SHA256())
    key.public_key().verify(sig, b"x", padding.PKCS1v15(), hashes.SHA256())


def test_unknown_kind_is_input_error() -> None:
    with pytest.raises(InputError, match="unsupported key type: dsa"):
        crypto.generate_private_key("dsa")


def test_encrypted_private_key_roundtrip() -> None:
    key = crypto.generate_private_key("ecdsa-p256", seed=9)
    pem = crypto.private_pem(key, b"s3cret")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert crypto.keyid(crypto.load_private_key(pem, b"s3cret")) == crypto.keyid(key)
    with pytest.raises(InputError, match="passphrase is required"):
        crypto.load_private_key(pem, source="k.pem")
    with pytest.raises(InputError, match="wrong passphrase"):
        crypto.load_private_key(pem, b"nope", source="k.pem")


def test_legacy_pkcs1_and_sec1_private_keys_load() -> None:
    rk = crypto.generate_private_key("rsa-2048", seed=1)
    ek = crypto.generate_private_key("ecdsa-p256", seed=1)
    pk1 = rk.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    sec1 = ek.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    assert pk1.startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    assert sec1.startswith(b"-----BEGIN EC PRIVATE KEY-----")
    assert crypto.Signer.from_pem(pk1).keyid == crypto.keyid(rk)
    assert crypto.Signer.from_pem(sec1).keyid == crypto.keyid(ek)
    legacy = ek.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.BestAvailableEncryption(b"pw"),
    )
    assert b"Proc-Type" in legacy
    assert crypto.Signer.from_pem(legacy, b"pw").keyid == crypto.keyid(ek)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "invalid pem block"),
        (b"not a key at all", "invalid pem block"),
        (b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "unsupported pem type: PUBLIC KEY"),
        (b"\x00\xff\xfe" * 100, "invalid pem block"),
    ],
)
def test_bad_key_files(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as exc:
        crypto.Verifier.from_pem(data, source="bad.pem")
    assert exc.value.source == "bad.pem"
    with pytest.raises(InputError):
        crypto.Signer.from_pem(data, source="bad.pem")


def test_public_key_is_not_a_signer_and_private_is_not_a_verifier() -> None:
    with pytest.raises(InputError, match="not a private key"):
        crypto.Signer.from_pem((FIXTURES / "testpub.pem").read_bytes())
    with pytest.raises(InputError, match="unsupported key type"):
        crypto.Verifier.from_pem(crypto.private_pem(crypto.generate_private_key("ed25519", seed=1)))


def test_unsupported_key_algorithm() -> None:
    from cryptography.hazmat.primitives.asymmetric import ed448

    pem = (
        ed448.Ed448PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(InputError, match="unsupported key type"):
        crypto.Verifier.from_pem(pem)


@pytest.mark.parametrize("kind", crypto.KEY_TYPES)
@settings(max_examples=8, deadline=None)
@given(data=st.binary(max_size=300))
def test_sign_verify_roundtrip_every_kind(kind: str, data: bytes) -> None:
    key = crypto.generate_private_key(kind, seed=7) if kind in FAST_KINDS else _unseeded(kind)
    signer = crypto.Signer(key)
    sig = signer.sign(data)
    v = crypto.Verifier(key.public_key())
    assert v.verify(data, sig)
    assert signer.sign(data) == sig  # deterministic
    assert not v.verify(data + b"!", sig)
    assert not v.verify(data, bytes([sig[0] ^ 1]) + sig[1:])


_UNSEEDED: dict[str, crypto.PrivateKey] = {}


def _unseeded(kind: str) -> crypto.PrivateKey:
    if kind not in _UNSEEDED:
        _UNSEEDED[kind] = crypto.generate_private_key(kind)
    return _UNSEEDED[kind]


def test_rsa_signature_is_pss_with_max_salt_and_pkcs1v15_also_verifies() -> None:
    key = crypto.generate_private_key("rsa-2048", seed=7)
    assert isinstance(key, rsa.RSAPrivateKey)
    sig = crypto.Signer(key).sign(b"payload")
    pub = key.public_key()
    pss_max = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH)
    pub.verify(sig, b"payload", pss_max, hashes.SHA256())  # raises if not PSS with max salt
    v15 = key.sign(b"payload", padding.PKCS1v15(), hashes.SHA256())
    assert crypto.Verifier(pub).verify(b"payload", v15)  # AWS KMS style fallback


def test_ecdsa_p384_signs_sha256_digest() -> None:
    key = crypto.generate_private_key("ecdsa-p384", seed=7)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    sig = crypto.Signer(key).sign(b"m")
    key.public_key().verify(sig, b"m", ec.ECDSA(hashes.SHA256()))


def test_verifier_never_raises_on_garbage() -> None:
    for kind in FAST_KINDS:
        v = crypto.Verifier(crypto.generate_private_key(kind, seed=3).public_key())
        for sig in (b"", b"\x00", b"\xff" * 600):
            assert v.verify(b"data", sig) is False


def test_verifier_cache_returns_same_object() -> None:
    pem = (FIXTURES / "testpub.pem").read_bytes()
    assert crypto.Verifier.from_pem(pem) is crypto.Verifier.from_pem(bytes(pem))
