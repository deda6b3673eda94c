"""Audit 6: what a policy's `keyid` is the hash of.

go-witness v0.12.0 never hashes the user's public key file: `policy.PublicKeyVerifiers` (policy/policy.go
~100-117) parses `key` (`cryptoutil.NewVerifierFromReader` -> `TryParseKeyFromReader`, which accepts any
parseable PEM: CRLF endings, no final newline, PKCS#1 `RSA PUBLIC KEY`), and compares `keyid` with
`verifier.KeyID()` = `GeneratePublicKeyID` (cryptoutil/util.go ~79-105): SHA-256 of the key re-encoded by
`x509.MarshalPKIXPublicKey` + `pem.EncodeToMemory` (64-character lines, LF, final newline); a difference is
`ErrKeyIDMismatch`. So `sha256sum` of the file is the id only for a file in that canonical form. The answers
used to say that a file whose `sha256sum` differs from the printed id (other line endings, say) should go into
the policy with its own `sha256sum` as `keyid`, which witness rejects.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import random
import re
import shutil
import subprocess

import pytest

from witness_evals.generate import worlds as W
from witness_evals.generate.build import derived_rng
from witness_evals.generate.example import Example
from witness_evals.generate.families import policies as P
from witness_evals.witness.policy import PolicyKeyError, PublicKey, public_key_verifier

N = 150
OLD_ADVICE = (
    "its own `sha256sum` and `base64 -w0` are what belong in the policy",
    "use its `sha256sum` as `keyid`",
    "`keyid` must be exactly `sha256sum` of the public key file",
    "the SHA-256 of the public PEM file (`sha256sum`)",
    "`keyid` is the SHA-256 of the public key file",
)


@functools.cache
def example(seed: int) -> Example:
    return P.make(derived_rng(0, "test-policies", seed))


def _with_files() -> list[Example]:
    out = [ex for ex in map(example, range(N)) if ex.check.get("files")]
    assert out
    return out


def _variants(pem: str) -> dict[str, bytes]:
    """The same key as files that differ from the canonical paste only in form."""
    return {"crlf": pem.replace("\n", "\r\n").encode(), "no final newline": pem.rstrip("\n").encode()}


def _note(derive: dict[str, tuple[str, W.Key]], seed: int) -> str:
    return P._derived_note(random.Random(seed), derive)


def _notes(derive: dict[str, tuple[str, W.Key]]) -> set[str]:
    out = {_note(derive, s) for s in range(40)}
    assert len(out) >= 2  # every form is drawn
    return out


def test_derived_note_never_tells_to_hash_the_file() -> None:
    key = W.Key("ed25519", 7)
    for derive in (
        {key.keyid: ("build-pub.pem", key)},
        {key.keyid: ("build-pub.pem", key), W.Key("rsa-2048", 3).keyid: ("a-pub.pem", W.Key("rsa-2048", 3))},
    ):
        for note in _notes(derive):
            for old in OLD_ADVICE:
                assert old not in note, note
            assert f"`sha256sum build-pub.pem` prints `{key.keyid}`" in note
            assert "PKIX" in note and "line endings" in note, note
            assert "the ids still hold" in note or "keeps the id above" in note, note
            first = min(pub for pub, _ in derive.values())
            assert f"`openssl pkey -pubin -in {first} | sha256sum`" in note, note


def test_why_key_sentences_state_when_sha256sum_is_the_id() -> None:
    """`sha256sum` of a file is the key id only when the file is the canonical PKIX PEM."""
    for sentence in (*P._WHY_KEYS, *P._WHY_DERIVED, *P._WHY_DERIVED_NEW):
        for old in OLD_ADVICE:
            assert old not in sentence, sentence
        if "sha256sum" in sentence or "SHA-256" in sentence:
            assert "PKIX" in sentence, sentence
    # `key` only has to parse; some sentence says so, none says it must be canonical
    assert any("only has to parse" in s for s in P._WHY_KEYS)


def test_answers_with_pasted_pems_explain_the_reencoding() -> None:
    for ex in _with_files():
        for old in OLD_ADVICE:
            assert old not in ex.answer, (ex.template, old)
        assert "re-encodes" in ex.answer and "PKIX" in ex.answer, ex.template
        first = min(ex.check["files"])
        assert f"`openssl pkey -pubin -in {first} | sha256sum`" in ex.answer, ex.template


def test_answers_with_given_ids_state_the_canonical_condition() -> None:
    seen = 0
    for ex in map(example, range(N)):
        if ex.check.get("files") or "publickeys" not in ex.answer:
            continue
        for sentence in P._WHY_KEYS:
            if sentence in ex.answer:
                seen += 1
                assert "PKIX" in sentence
        for old in OLD_ADVICE:
            assert old not in ex.answer, (ex.template, old)
    assert seen


def test_a_file_differing_in_form_keeps_the_printed_id() -> None:
    """The simulator's `PublicKeyVerifiers`: the printed id verifies a `key` with CRLF endings or no final
    newline, and the file's own `sha256sum` (what the old answers advised) is a key id mismatch."""
    checked = 0
    for ex in _with_files():
        for pem in ex.check["files"].values():
            printed = hashlib.sha256(pem.encode()).hexdigest()
            assert printed in ex.answer
            for form, data in _variants(pem).items():
                own = hashlib.sha256(data).hexdigest()
                assert own != printed, form
                assert public_key_verifier(PublicKey(keyid=printed, key=data)).keyid == printed, form
                with pytest.raises(PolicyKeyError, match=f"expected key id {own} but got {printed}"):
                    public_key_verifier(PublicKey(keyid=own, key=data))
                checked += 1
    assert checked


@pytest.mark.parametrize("kind", [k for k, _ in W.KEY_KINDS])
def test_openssl_pkey_gives_the_witness_key_id(kind: str, tmp_path) -> None:
    """The command the note names, `openssl pkey -pubin -in FILE | sha256sum`, prints witness's id for a
    file in any form (canonical, CRLF, no final newline; PKCS#1 for RSA)."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl")
    key = W.Key(kind, 11)
    forms = {"canonical": key.pem, **_variants(key.pem.decode())}
    if kind.startswith("rsa"):
        pkcs1 = subprocess.run(
            ["openssl", "rsa", "-pubin", "-RSAPublicKey_out"], input=key.pem, capture_output=True, check=True
        ).stdout
        assert pkcs1.startswith(b"-----BEGIN RSA PUBLIC KEY-----")
        forms["pkcs1"] = pkcs1
    for form, data in forms.items():
        path = tmp_path / f"{form}.pem"
        path.write_bytes(data)
        out = subprocess.run(
            ["openssl", "pkey", "-pubin", "-in", str(path)], capture_output=True, check=True
        ).stdout
        assert out == key.pem, form
        assert hashlib.sha256(out).hexdigest() == key.keyid, form
        # witness accepts the file's own bytes as `key` and still computes the canonical id
        assert public_key_verifier(PublicKey(keyid=key.keyid, key=data)).keyid == key.keyid, form


def test_key_field_is_base64_of_the_pasted_pem() -> None:
    """The policy's `key` stays the pasted text's `base64 -w0` (what the answer's sentences say)."""
    for ex in _with_files():
        for pem in ex.check["files"].values():
            assert base64.b64encode(pem.encode()).decode() in ex.answer
            assert re.search(rf"\b{hashlib.sha256(pem.encode()).hexdigest()}\b", ex.answer)
