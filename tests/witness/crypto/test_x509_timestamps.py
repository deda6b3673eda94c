"""X.509 chains (ExtKeyUsageAny), signer identity, RFC 3161 tokens and certificate-signed envelopes."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from witness_evals.common.errors import InputError
from witness_evals.witness import crypto, dsse
from witness_evals.witness import x509 as wx
from witness_evals.witness.timestamp import TimestampError, make_timestamp_token, verify_timestamp

T0 = datetime(2024, 6, 15, 20, 27, 55, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "witness-test"


def test_chain_valid_expired_and_not_yet_valid(pki) -> None:  # type: ignore[no-untyped-def]
    at = T0 + timedelta(minutes=5)
    assert wx.verify_chain(pki.leaf, [pki.inter], [pki.root], at)
    late = wx.chain_error(pki.leaf, [pki.inter], [pki.root], T0 + timedelta(hours=1))
    assert late is not None and late.startswith(
        "x509: certificate has expired or is not yet valid: current time"
    )
    assert "is after 2024-06-15T20:37:55Z" in late
    early = wx.chain_error(pki.leaf, [pki.inter], [pki.root], T0 - timedelta(seconds=1))
    assert early is not None and "is before" in early


def test_chain_needs_intermediate_and_right_root(pki) -> None:  # type: ignore[no-untyped-def]
    at = T0 + timedelta(minutes=1)
    assert wx.chain_error(pki.leaf, [], [pki.root], at) == "x509: certificate signed by unknown authority"
    assert not wx.verify_chain(pki.leaf, [pki.inter], [pki.other_root], at)
    assert not wx.verify_chain(pki.leaf, [pki.inter], [], at)
    # the intermediate itself may be trusted as a root (Go: a root pool is just a set of anchors)
    assert wx.verify_chain(pki.leaf, [], [pki.inter], at)
    assert wx.chained_root_ids(pki.leaf, [pki.inter], {"a": pki.root, "b": pki.other_root}, at) == {"a"}


def test_expired_intermediate_breaks_chain(pki) -> None:  # type: ignore[no-untyped-def]
    ik = crypto.generate_private_key("ed25519", seed=201)
    old_inter = wx.make_ca(
        "old",
        ik,
        not_before=T0 - timedelta(days=10),
        not_after=T0 - timedelta(days=1),
        issuer=pki.root,
        issuer_key=pki.root_key,
    )
    leaf = wx.make_leaf(
        pki.leaf_key.public_key(),
        old_inter,
        ik,
        not_before=T0 - timedelta(days=5),
        not_after=T0 + timedelta(days=5),
        emails=["a@b"],
    )
    err = wx.chain_error(leaf, [old_inter], [pki.root], T0)
    assert err is not None and "expired" in err
    assert wx.verify_chain(leaf, [old_inter], [pki.root], T0 - timedelta(days=2))


def test_non_ca_cannot_issue(pki) -> None:  # type: ignore[no-untyped-def]
    k = crypto.generate_private_key("ed25519", seed=202)
    # a leaf certificate (CA=false) used as an issuer
    fake = wx.make_leaf(
        k.public_key(),
        pki.inter,
        pki.inter_key,
        not_before=T0,
        not_after=T0 + timedelta(days=1),
        common_name="x",
    )
    k2 = crypto.generate_private_key("ed25519", seed=203)
    child = wx.make_leaf(
        k2.public_key(), fake, k, not_before=T0, not_after=T0 + timedelta(days=1), common_name="y"
    )
    assert not wx.verify_chain(child, [fake, pki.inter], [pki.root], T0 + timedelta(minutes=1))


def test_path_length_zero_intermediate_cannot_have_sub_ca(pki) -> None:  # type: ignore[no-untyped-def]
    k = crypto.generate_private_key("ed25519", seed=204)
    sub = wx.make_ca(
        "sub", k, not_before=T0, not_after=T0 + timedelta(days=9), issuer=pki.inter, issuer_key=pki.inter_key
    )
    k2 = crypto.generate_private_key("ed25519", seed=205)
    leaf = wx.make_leaf(
        k2.public_key(), sub, k, not_before=T0, not_after=T0 + timedelta(days=1), common_name="z"
    )
    err = wx.chain_error(leaf, [sub, pki.inter], [pki.root], T0 + timedelta(minutes=1))
    assert err is not None and "unknown authority" in err


def test_cert_identity_and_fulcio_extensions(pki) -> None:  # type: ignore[no-untyped-def]
    ident = wx.cert_identity(pki.leaf)
    assert ident.common_name == ""
    assert ident.emails == ("builder@example.com",)
    assert ident.extensions == {"Issuer": "https://accounts.google.com", "BuildTrigger": "push"}
    assert ident.extension_error is None
    k = crypto.generate_private_key("ed25519", seed=206)
    c = wx.make_leaf(
        k.public_key(),
        pki.inter,
        pki.inter_key,
        not_before=T0,
        not_after=T0 + timedelta(days=1),
        common_name="svc",
        dns_names=["svc.example.com"],
        uris=["spiffe://example.com/svc"],
        organizations=["Example Org"],
        extensions={"GithubWorkflowRef": "refs/heads/main", "SourceRepositoryURI": "https://github.com/o/r"},
    )
    ident = wx.cert_identity(c)
    assert (ident.common_name, ident.dns_names, ident.uris, ident.organizations) == (
        "svc",
        ("svc.example.com",),
        ("spiffe://example.com/svc",),
        ("Example Org",),
    )
    assert ident.extensions == {
        "GithubWorkflowRef": "refs/heads/main",
        "SourceRepositoryURI": "https://github.com/o/r",
    }
    with pytest.raises(InputError, match="unknown fulcio extension field"):
        wx.make_leaf(
            k.public_key(), pki.inter, pki.inter_key, not_before=T0, not_after=T0, extensions={"issuer": "x"}
        )


def test_pki_is_deterministic(pki) -> None:  # type: ignore[no-untyped-def]
    again = wx.make_ca(
        "sigstore", pki.root_key, not_before=T0 - timedelta(days=900), not_after=T0 + timedelta(days=3650)
    )
    assert wx.cert_pem(again) == wx.cert_pem(pki.root)


def test_load_certificate_errors() -> None:
    with pytest.raises(InputError, match="invalid pem block"):
        wx.load_certificate(b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n", source="c.pem")
    with pytest.raises(InputError, match="malformed certificate"):
        wx.load_certificate(wx.encode_pem("CERTIFICATE", b"\x30\x03\x02\x01\x01"), source="c.pem")


def test_der_certificates_are_refused_like_go_witness(pki: object) -> None:
    """cryptoutil.TryParseCertificate pem.Decodes first: a DER root is `invalid pem block` (REFERENCE §8.7)."""
    der = wx.cert_der(pki.root)  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="invalid pem block"):
        wx.load_certificate(der, source="root.der")
    assert wx.cert_der(wx.load_certificate(wx.cert_pem(pki.root))) == der  # type: ignore[attr-defined]
    freetsa = wx.load_certificates((FIXTURES / "freetsa.pem").read_bytes())
    assert freetsa and freetsa[0].subject.rfc4514_string()


# --------------------------------------------------------------------------- timestamps


def test_timestamp_roundtrip_and_tampering(pki) -> None:  # type: ignore[no-untyped-def]
    at = T0 + timedelta(minutes=3)
    tok = make_timestamp_token(b"signature bytes", pki.tsa_key, pki.tsa_cert, at)
    assert make_timestamp_token(b"signature bytes", pki.tsa_key, pki.tsa_cert, at) == tok  # deterministic
    assert verify_timestamp(tok, b"signature bytes", [pki.tsa_root]) == at
    with pytest.raises(TimestampError, match="signed payload does not match timestamped payload"):
        verify_timestamp(tok, b"other", [pki.tsa_root])
    with pytest.raises(TimestampError, match="unknown authority"):
        verify_timestamp(tok, b"signature bytes", [pki.other_root])
    from asn1crypto import cms

    tst_der = cms.ContentInfo.load(tok)["content"]["encap_content_info"]["content"].contents
    tst_at = tok.find(tst_der)  # the signed TSTInfo (imprint, genTime)
    assert tst_at > 0
    cert_at = tok.find(wx.cert_der(pki.tsa_cert))
    for i in (len(tok) - 5, tst_at + 20, cert_at + 200):
        bad = tok[:i] + bytes([tok[i] ^ 0x40]) + tok[i + 1 :]
        with pytest.raises(TimestampError):
            verify_timestamp(bad, b"signature bytes", [pki.tsa_root])
    for junk in (b"", b"\x00" * 10, tok[:100]):
        with pytest.raises(TimestampError):
            verify_timestamp(junk, b"signature bytes", [pki.tsa_root])


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")
def test_openssl_accepts_our_tokens(pki, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    at = T0 + timedelta(minutes=3)
    (tmp_path / "data").write_bytes(b"abc")
    (tmp_path / "tok").write_bytes(make_timestamp_token(b"abc", pki.tsa_key, pki.tsa_cert, at))
    (tmp_path / "ca.pem").write_bytes(wx.cert_pem(pki.tsa_root))
    out = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-data",
            "data",
            "-in",
            "tok",
            "-token_in",
            "-CAfile",
            "ca.pem",
            "-attime",
            str(int(at.timestamp())),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Verification: OK" in out.stdout, out.stdout + out.stderr


# --------------------------------------------------------------------------- DSSE with certificates


def _cert_envelope(pki, at=None):  # type: ignore[no-untyped-def]
    signer = crypto.Signer(pki.leaf_key, pki.leaf, [pki.inter])
    stamper = pki.stamper(at) if at else None
    return signer, dsse.sign_envelope(
        b'{"x":1}', "application/vnd.in-toto+json", [signer], timestamper=stamper
    )


def test_cert_signature_carries_pem_chain(pki) -> None:  # type: ignore[no-untyped-def]
    signer, env = _cert_envelope(pki)
    sig = env.signatures[0]
    assert sig.keyid == crypto.keyid(pki.leaf_key) == signer.keyid
    assert sig.certificate is not None and sig.certificate.startswith(b"-----BEGIN CERTIFICATE-----\n")
    assert len(sig.intermediates) == 1
    back = dsse.parse_envelope(env.dumps().encode())
    assert back == env


def test_cert_signature_checked_at_now_without_tsa(pki) -> None:  # type: ignore[no-untyped-def]
    _, env = _cert_envelope(pki)
    passed = dsse.verify_envelope(env, [], roots=[pki.root], now=T0 + timedelta(minutes=2))
    assert passed[0].certificate == pki.leaf and passed[0].verifier.is_x509
    assert passed[0].keyid == crypto.keyid(pki.leaf_key)
    with pytest.raises(dsse.DSSEError, match="certificate has expired"):
        dsse.verify_envelope(env, [], roots=[pki.root], now=T0 + timedelta(days=1))
    with pytest.raises(dsse.DSSEError, match="unknown authority"):
        dsse.verify_envelope(env, [], roots=[pki.other_root], now=T0 + timedelta(minutes=2))
    # the policy may supply the intermediate instead of the signature
    bare = dsse.Envelope(
        env.payload,
        env.payload_type,
        (dsse.Signature(env.signatures[0].keyid, env.signatures[0].sig, env.signatures[0].certificate),),
    )
    with pytest.raises(dsse.DSSEError):
        dsse.verify_envelope(bare, [], roots=[pki.root], now=T0 + timedelta(minutes=2))
    assert dsse.verify_envelope(
        bare, [], roots=[pki.root], intermediates=[pki.inter], now=T0 + timedelta(minutes=2)
    )


def test_timestamp_makes_expired_cert_verify_at_timestamp_time(pki) -> None:  # type: ignore[no-untyped-def]
    stamp_at = T0 + timedelta(minutes=4)
    _, env = _cert_envelope(pki, stamp_at)
    assert env.signatures[0].timestamps[0][0] == "tsp"
    much_later = T0 + timedelta(days=400)
    passed = dsse.verify_envelope(
        env, [], roots=[pki.root], timestamp_authorities=[pki.tsa_root], now=much_later
    )
    assert passed[0].timestamps == (stamp_at,) and passed[0].verifier.trusted_time == stamp_at
    bundle = dsse.verify_envelope(
        env, [], roots=[pki.root], timestamp_authorities=[[pki.other_root, pki.tsa_root]], now=much_later
    )
    assert bundle[0].timestamps == (stamp_at,)
    # wrong TSA: no valid timestamp, the certificate signature does not count
    with pytest.raises(dsse.DSSEError, match="no valid timestamps found"):
        dsse.verify_envelope(
            env, [], roots=[pki.root], timestamp_authorities=[pki.other_root], now=much_later
        )
    # without TSAs the chain is checked at now and the cert has expired (trap 25)
    with pytest.raises(dsse.DSSEError, match="expired"):
        dsse.verify_envelope(env, [], roots=[pki.root], now=much_later)


def test_timestamp_outside_cert_validity_fails(pki) -> None:  # type: ignore[no-untyped-def]
    _, env = _cert_envelope(pki, T0 + timedelta(hours=2))  # stamped after the 10-minute cert expired
    with pytest.raises(dsse.DSSEError):
        dsse.verify_envelope(env, [], roots=[pki.root], timestamp_authorities=[pki.tsa_root], now=T0)


def test_timestamp_of_other_signature_is_rejected(pki) -> None:  # type: ignore[no-untyped-def]
    _, env = _cert_envelope(pki, T0 + timedelta(minutes=4))
    sig = env.signatures[0]
    foreign = make_timestamp_token(
        b"not this signature", pki.tsa_key, pki.tsa_cert, T0 + timedelta(minutes=4)
    )
    forged = dsse.Envelope(
        env.payload,
        env.payload_type,
        (dsse.Signature(sig.keyid, sig.sig, sig.certificate, sig.intermediates, (("tsp", foreign),)),),
    )
    with pytest.raises(dsse.DSSEError, match="no valid timestamps found"):
        dsse.verify_envelope(
            forged, [], roots=[pki.root], timestamp_authorities=[pki.tsa_root], now=T0 + timedelta(days=2)
        )


def test_garbage_certificate_skips_the_signature_like_go(pki) -> None:  # type: ignore[no-untyped-def]
    k = crypto.Signer(crypto.generate_private_key("ed25519", seed=300))
    env = dsse.sign_envelope(b"p", "t", [k])
    s = env.signatures[0]
    broken = dsse.Envelope(env.payload, env.payload_type, (dsse.Signature(s.keyid, s.sig, b"not a cert"),))
    with pytest.raises(dsse.DSSEError, match="no valid signatures"):
        dsse.verify_envelope(broken, [k.verifier()])
    assert dsse.verify_envelope(env, [k.verifier()])


def test_certificate_as_policy_public_key_never_verifies_without_roots(pki) -> None:  # type: ignore[no-untyped-def]
    _, env = _cert_envelope(pki)
    v = crypto.Verifier.from_pem(wx.cert_pem(pki.leaf))
    assert v.keyid == crypto.keyid(pki.leaf_key) and v.is_x509
    with pytest.raises(dsse.DSSEError):
        dsse.verify_envelope(
            dsse.Envelope(env.payload, env.payload_type, (dsse.Signature("", env.signatures[0].sig),)), [v]
        )
    chained = v.with_chain([pki.inter], [pki.root], T0 + timedelta(minutes=1))
    assert chained.verify(dsse.pae(env.payload_type, env.payload), env.signatures[0].sig)


def test_signer_rejects_mismatched_certificate(pki) -> None:  # type: ignore[no-untyped-def]
    other = crypto.generate_private_key("ecdsa-p256", seed=301)
    with pytest.raises(InputError, match="does not match"):
        crypto.Signer(other, pki.leaf)
    assert not crypto.Signer(other, pki.leaf, check_certificate=False).certificate_matches_key
