"""DSSE: the real spdx-att.json, Go-faithful encoding, signing, verification semantics, hostile input."""

from __future__ import annotations

import base64
import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from witness_evals.common.errors import InputError
from witness_evals.witness import crypto, dsse

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "witness-test"
SPDX = (FIXTURES / "spdx-att.json").read_bytes()
TESTPUB = crypto.Verifier.from_pem((FIXTURES / "testpub.pem").read_bytes())
TESTPUB2 = crypto.Verifier.from_pem((FIXTURES / "testpub2.pem").read_bytes())
REAL = dsse.parse_envelope(SPDX, source="spdx-att.json")


def test_pae_matches_spec() -> None:
    assert dsse.pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )
    assert dsse.pae("t", b"") == b"DSSEv1 1 t 0 "
    assert dsse.pae("\u00e9", b"x") == b"DSSEv1 2 \xc3\xa9 1 x"  # byte lengths


def test_real_spdx_attestation_verifies_with_testpub() -> None:
    passed = dsse.verify_envelope(REAL, [TESTPUB])
    assert [p.keyid for p in passed] == [TESTPUB.keyid]
    assert REAL.signatures[0].keyid == TESTPUB.keyid


def test_real_envelope_reencodes_byte_identically() -> None:
    assert REAL.dumps() == SPDX.decode().rstrip("\n")
    assert list(json.loads(REAL.dumps())) == ["payload", "payloadType", "signatures"]


def test_real_envelope_rejected_by_other_key() -> None:
    with pytest.raises(
        dsse.DSSEError, match="no valid signatures for the provided verifiers found for keyids:"
    ) as exc:
        dsse.verify_envelope(REAL, [TESTPUB2])
    assert exc.value.checked == [(TESTPUB2.keyid, "crypto/rsa: verification error")]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(["payload", "sig", "type"]), pos=st.integers(min_value=0), bit=st.integers(0, 7))
def test_any_bit_flip_breaks_the_real_signature(where: str, pos: int, bit: int) -> None:
    payload, sig, ptype = REAL.payload, REAL.signatures[0].sig, REAL.payload_type
    if where == "payload":
        i = pos % len(payload)
        payload = payload[:i] + bytes([payload[i] ^ (1 << bit)]) + payload[i + 1 :]
    elif where == "sig":
        i = pos % len(sig)
        sig = sig[:i] + bytes([sig[i] ^ (1 << bit)]) + sig[i + 1 :]
    else:
        i = pos % len(ptype)
        ptype = ptype[:i] + chr(ord(ptype[i]) ^ (1 << bit) or 1) + ptype[i + 1 :]
        if ptype == REAL.payload_type:
            return
    env = dsse.Envelope(payload, ptype, (dsse.Signature(REAL.signatures[0].keyid, sig),))
    with pytest.raises(dsse.DSSEError):
        dsse.verify_envelope(env, [TESTPUB])


def test_signature_keyid_is_not_used_for_matching() -> None:
    env = dsse.Envelope(
        REAL.payload, REAL.payload_type, (dsse.Signature("wrong-keyid", REAL.signatures[0].sig),)
    )
    assert dsse.verify_envelope(env, [TESTPUB2, TESTPUB])[0].keyid == TESTPUB.keyid


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa-p256", "ecdsa-p384", "rsa-2048"])
@settings(max_examples=10, deadline=None)
@given(payload=st.binary(max_size=500), ptype=st.text(max_size=40))
def test_sign_roundtrip_through_json(kind: str, payload: bytes, ptype: str) -> None:
    signer = crypto.Signer(crypto.generate_private_key(kind, seed=11))
    env = dsse.sign_envelope(payload, ptype, [signer])
    text = env.dumps()
    back = dsse.parse_envelope(text.encode(), source="env.json")
    assert back == env
    assert dsse.sign_envelope(payload, ptype, [signer]).dumps() == text  # reproducible
    passed = dsse.verify_envelope(back, [signer.verifier()])
    assert passed[0].keyid == signer.keyid


def test_every_verifier_tried_on_every_signature_and_threshold() -> None:
    a = crypto.Signer(crypto.generate_private_key("ed25519", seed=1))
    b = crypto.Signer(crypto.generate_private_key("ecdsa-p256", seed=2))
    c = crypto.Signer(crypto.generate_private_key("ed25519", seed=3))
    env = dsse.sign_envelope(b"{}", "t", [a, b])
    passed = dsse.verify_envelope(env, [a.verifier(), b.verifier(), c.verifier()], threshold=2)
    assert sorted(p.keyid for p in passed) == sorted([a.keyid, b.keyid])
    with pytest.raises(dsse.DSSEError, match=r"expected 3 valid verifiers but got 6"):
        # go-witness reports the number of *checked* verifiers (2 signatures x 3 verifiers)
        dsse.verify_envelope(env, [a.verifier(), b.verifier(), c.verifier()], threshold=3)
    with pytest.raises(dsse.DSSEError, match=r"invalid threshold \(0\)"):
        dsse.verify_envelope(env, [a.verifier()], threshold=0)


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa-p256"])
def test_a_wrong_key_reports_what_go_witness_prints(kind: str) -> None:
    """cryptoutil's Ed25519 and ECDSA verifiers both return `ErrVerifyFailed` ("verification failed",
    go-witness v0.12.0 cryptoutil/ed25519.go:75, ecdsa.go:27); Ed25519 said "failed to verify signature"."""
    signer = crypto.Signer(crypto.generate_private_key(kind, seed=1))
    other = crypto.Signer(crypto.generate_private_key(kind, seed=2))
    with pytest.raises(dsse.DSSEError) as exc:
        dsse.verify_envelope(dsse.sign_envelope(b"{}", "t", [signer]), [other.verifier()])
    assert exc.value.checked == [(other.keyid, "verification failed")]


def test_no_signatures() -> None:
    env = dsse.parse_envelope(b'{"payload":"e30=","payloadType":"t"}')
    with pytest.raises(dsse.DSSEError, match=r"^no signatures in dsse envelope$"):
        dsse.verify_envelope(env, [TESTPUB])
    # a bare policy document decodes as an envelope without signatures (trap 14)
    bare = dsse.parse_envelope((FIXTURES / "policy.json").read_bytes(), source="policy.json")
    assert bare.signatures == () and bare.payload == b""


def test_go_json_decoding_rules() -> None:
    text = json.dumps(
        {
            "PAYLOAD": "aGk=",
            "payloadtype": "x",
            "Signatures": [{"KeyID": "k", "SIG": "YQ==\n", "extra": 1}],
            "unknown": [1, 2],
        }
    )
    env = dsse.parse_envelope(text.encode())
    assert env == dsse.Envelope(b"hi", "x", (dsse.Signature("k", b"a"),))
    nulls = dsse.parse_envelope(b'{"payload":null,"payloadType":null,"signatures":null}')
    assert nulls == dsse.Envelope(b"", "", ())


@pytest.mark.parametrize(
    ("text", "location", "message"),
    [
        (
            b'{"payload":"e30=","signatures":[{"keyid":"k","sig":"abc!"}]}',
            "signatures[0].sig",
            "illegal base64 data at input byte 3",
        ),
        (b'{"payload":"e30"}', "payload", "illegal base64 data at input byte 0"),
        (b'{"payload":"e=="}', "payload", "illegal base64 data at input byte 1"),
        (b'{"payload":"e30=x"}', "payload", "illegal base64 data at input byte 4"),
        (b'{"payload":"e-0="}', "payload", "illegal base64 data at input byte 1"),
        (
            b'{"payload":12}',
            "payload",
            "cannot unmarshal number into Go struct field Envelope.payload of type []uint8",
        ),
        (
            b'{"payloadType":true}',
            "payloadType",
            "cannot unmarshal bool into Go struct field Envelope.payloadType of type string",
        ),
        (
            b'{"signatures":{}}',
            "signatures",
            "cannot unmarshal object into Go struct field Envelope.signatures",
        ),
        (
            b'{"signatures":["x"]}',
            "signatures[0]",
            "cannot unmarshal string into Go struct field Envelope.signatures of type dsse.Signature",
        ),
        (
            b'{"signatures":[{"timestamps":[{"data":"%"}]}]}',
            "signatures[0].timestamps[0].data",
            "illegal base64",
        ),
        (b'{"signatures":[{"intermediates":"x"}]}', "signatures[0].intermediates", "cannot unmarshal string"),
        (b"[1,2]", None, "cannot unmarshal array into Go value of type dsse.Envelope"),
    ],
)
def test_malformed_envelopes_are_located(text: bytes, location: str | None, message: str) -> None:
    with pytest.raises(InputError) as exc:
        dsse.parse_envelope(text, source="env.json")
    assert exc.value.source == "env.json"
    assert exc.value.location == location
    assert message in exc.value.message
    assert exc.value.one_line().startswith("env.json:")


@pytest.mark.parametrize(
    "data",
    [
        SPDX[: len(SPDX) // 2],
        b"\x00\x01\x02binary",
        b"",
        b"   ",
        b"\xff\xfe{}",
        b"[" * 5000 + b"]" * 5000,
        b"{" * 3,
    ],
)
def test_truncated_binary_and_deep_input(data: bytes) -> None:
    with pytest.raises(InputError) as exc:
        dsse.parse_envelope(data, source="x.json")
    assert exc.value.source == "x.json"


def test_huge_input_rejected_fast() -> None:
    from witness_evals.common.jsonio import MAX_JSON_BYTES

    with pytest.raises(InputError, match="too large"):
        dsse.parse_envelope(b" " * (MAX_JSON_BYTES + 1), source="big.json")


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda c: (
            st.lists(c, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "payload",
                        "payloadType",
                        "signatures",
                        "sig",
                        "keyid",
                        "certificate",
                        "intermediates",
                        "timestamps",
                        "data",
                        "type",
                        "x",
                    ]
                ),
                c,
                max_size=4,
            )
        ),
        max_leaves=12,
    )
)
def test_random_json_never_tracebacks(obj: object) -> None:
    try:
        env = dsse.parse_envelope(json.dumps(obj).encode(), source="r.json")
    except InputError as exc:
        assert exc.source == "r.json"
        return
    assert isinstance(env, dsse.Envelope)
    with contextlib.suppress(dsse.DSSEError):
        dsse.verify_envelope(env, [TESTPUB])


def test_go_base64_decoder_edge_cases() -> None:
    assert dsse.go_b64decode("") == b""
    assert dsse.go_b64decode("YWJj\r\nZA==") == b"abcd"
    assert dsse.go_b64decode("YR==") == b"a"  # non-strict: trailing bits ignored
    for bad, pos in (("Y", 0), ("YQ=", 3), ("YQ==YQ==", 4), ("====", 0), ("YQ", 0)):
        with pytest.raises(ValueError, match=f"at input byte {pos}$"):
            dsse.go_b64decode(bad)


def test_go_escaping_in_dumps() -> None:
    env = dsse.Envelope(b"x", "a<b>&c\u2028", ())
    assert '"payloadType":"a\\u003cb\\u003e\\u0026c\\u2028"' in env.dumps()
    assert env.to_json()["signatures"] == []
    sig = dsse.Signature("k", b"s", b"CERT", (b"I1",), (("tsp", b"T"),))
    assert list(sig.to_json()) == ["keyid", "sig", "certificate", "intermediates", "timestamps"]
    assert sig.to_json()["timestamps"] == [{"type": "tsp", "data": base64.b64encode(b"T").decode()}]


def test_sign_requires_signers() -> None:
    with pytest.raises(dsse.DSSEError):
        dsse.sign_envelope(b"x", "t", [])
