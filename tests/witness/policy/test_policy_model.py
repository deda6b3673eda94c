"""The policy model: real witness policies load, round-trip, keys verify (policy.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from policy_helpers import (
    ED25519_KEYID,
    POLICY_JSON,
    RSA_KEYID,
    SBOM_POLICY_JSON,
    b64,
    good_policy,
    real_policy,
)

from witness_evals.common.errors import InputError
from witness_evals.witness.constraints import CertConstraint
from witness_evals.witness.policy import (
    POLICY_PAYLOAD_TYPE,
    AttestationPolicy,
    Functionary,
    Policy,
    PolicyKeyError,
    PublicKey,
    RegoPolicy,
    Root,
    Step,
    format_go_time,
    load_policy_file,
    parse_policy,
    public_key_verifiers,
)


def test_real_policy_json_loads() -> None:
    policy, warnings = load_policy_file(POLICY_JSON)
    assert warnings == []
    assert list(policy.steps) == ["build", "package"]
    assert policy.expires == datetime(2035, 12, 18, 4, 57, 40, tzinfo=UTC)
    build = policy.steps["build"]
    assert build.name == "build"
    assert build.attestation_types == [
        "https://witness.dev/attestations/material/v0.1",
        "https://witness.dev/attestations/command-run/v0.1",
        "https://witness.dev/attestations/product/v0.1",
    ]
    module = build.attestations[1].rego_policies[0]
    assert module.name == "expected command"
    assert module.text.startswith("package commandrun.cmd\n\ndeny[msg] {")
    assert build.functionaries[0].publickeyid == ED25519_KEYID
    assert policy.steps["package"].functionaries[0].publickeyid == RSA_KEYID
    assert set(policy.public_keys) == {ED25519_KEYID, RSA_KEYID}
    assert policy.public_keys[ED25519_KEYID].key.startswith(b"-----BEGIN PUBLIC KEY-----\n")


def test_real_policy_keys_have_the_right_keyids() -> None:
    policy, _ = load_policy_file(POLICY_JSON)
    verifiers = public_key_verifiers(policy)
    assert set(verifiers) == {ED25519_KEYID, RSA_KEYID}
    assert verifiers[ED25519_KEYID].kind == "ed25519"


def test_real_sbom_policy_requires_spdx_type() -> None:
    policy, warnings = load_policy_file(SBOM_POLICY_JSON)
    assert warnings == []
    assert "https://spdx.dev/Document" in policy.steps["sbom"].attestation_types
    assert list(public_key_verifiers(policy)) == [ED25519_KEYID]


def test_keyid_mismatch_is_go_error() -> None:
    obj = real_policy()
    obj["publickeys"][ED25519_KEYID]["keyid"] = "0" * 64
    policy, _ = parse_policy(obj)
    with pytest.raises(
        PolicyKeyError, match=f"public key in policy has expected key id {'0' * 64} but got {ED25519_KEYID}"
    ):
        public_key_verifiers(policy)


def test_kms_key_cannot_be_verified_offline() -> None:
    policy = Policy(public_keys={"k": PublicKey(keyid="awskms:///arn:aws:kms:us-east-1:1:key/abc", key=b"")})
    with pytest.raises(PolicyKeyError, match="KMS"):
        public_key_verifiers(policy)
    assert public_key_verifiers(policy, kms="skip") == {}


def test_der_key_is_invalid_pem_block() -> None:
    obj = real_policy()
    pem = (POLICY_JSON.parent / "testpub.pem").read_text()
    der_b64 = "".join(pem.strip().splitlines()[1:-1])  # base64(DER): "MCow..."
    obj["publickeys"][ED25519_KEYID]["key"] = der_b64
    policy, _ = parse_policy(obj)
    with pytest.raises(PolicyKeyError, match="invalid pem block"):
        public_key_verifiers(policy)


def test_round_trip_real_policy() -> None:
    policy, _ = load_policy_file(POLICY_JSON)
    again, warnings = parse_policy(policy.to_json())
    assert again == policy and warnings == []
    # and text form, both compact and indented
    assert parse_policy(policy.dumps(indent=None).encode())[0] == policy
    assert parse_policy(policy.dumps())[0] == policy


def test_to_json_expires_is_utc_z_and_base64_back() -> None:
    policy, _ = parse_policy(good_policy())
    out = policy.to_json()
    assert out["expires"] == "2035-12-18T04:57:40Z"
    assert out["publickeys"][ED25519_KEYID]["key"].startswith("LS0tLS1CRUdJTi")
    assert out["steps"]["build"]["attestations"][0]["regopolicies"] == []
    assert "artifactsFrom" not in out["steps"]["build"]


def test_dsse_envelope_payload_is_used() -> None:
    payload = json.dumps(good_policy()).encode()
    env = {"payload": b64(payload), "payloadType": POLICY_PAYLOAD_TYPE, "signatures": []}
    policy, _ = parse_policy(json.dumps(env).encode())
    assert list(policy.steps) == ["build"]


def test_format_go_time() -> None:
    assert format_go_time(None) == "0001-01-01 00:00:00 +0000 UTC"
    assert format_go_time(datetime(2030, 1, 1, tzinfo=UTC)) == "2030-01-01 00:00:00 +0000 UTC"


def test_is_expired() -> None:
    assert Policy().is_expired()
    p = Policy(expires=datetime(2030, 1, 1, tzinfo=UTC))
    assert not p.is_expired(datetime(2029, 12, 31, tzinfo=UTC))
    assert p.is_expired(datetime(2030, 1, 1, 0, 0, 1, tzinfo=UTC))


# ------------------------------------------------------------------ property: to_json round trip

_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
_names = st.text("abcdefghijklmnopqrstuvwxyz-_0123456789", min_size=1, max_size=10)
_bytes = st.binary(max_size=40)


@st.composite
def _policies(draw: st.DrawFn) -> Policy:
    cc = st.builds(
        CertConstraint,
        common_name=_text,
        dns_names=st.lists(_text, max_size=2),
        emails=st.lists(_text, max_size=2),
        organizations=st.lists(_text, max_size=2),
        uris=st.lists(_text, max_size=2),
        roots=st.lists(_names, max_size=2),
        extensions=st.dictionaries(
            st.sampled_from(["Issuer", "BuildTrigger", "GithubWorkflowSHA"]), _names, max_size=2
        ),
    )
    functionary = st.builds(Functionary, type=_text, cert_constraint=st.none() | cc, publickeyid=_text)
    att = st.builds(
        AttestationPolicy,
        type=_text,
        rego_policies=st.lists(st.builds(RegoPolicy, name=_text, module=_bytes), max_size=2),
    )
    steps = draw(
        st.dictionaries(
            _names,
            st.builds(
                Step,
                name=_names,
                functionaries=st.lists(functionary, max_size=2),
                attestations=st.lists(att, max_size=3),
                artifacts_from=st.lists(_names, max_size=2),
            ),
            max_size=3,
        )
    )
    root = st.builds(Root, certificate=_bytes, intermediates=st.lists(_bytes, max_size=2))
    expires = draw(
        st.none()
        | st.datetimes(
            min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
        ).map(lambda d: d.replace(microsecond=0))
    )
    return Policy(
        expires=expires,
        roots=draw(st.dictionaries(_names, root, max_size=2)),
        timestamp_authorities=draw(st.dictionaries(_names, root, max_size=2)),
        public_keys=draw(st.dictionaries(_names, st.builds(PublicKey, keyid=_text, key=_bytes), max_size=2)),
        steps=steps,
    )


@settings(max_examples=60, deadline=None)
@given(_policies())
def test_round_trip_property(policy: Policy) -> None:
    again, _ = parse_policy(json.dumps(policy.to_json()).encode())
    assert again == policy


def test_hostile_inputs_raise_input_error(tmp_path: Path) -> None:
    cases = {
        "binary.json": b"\x00\x01\x02PK\x03\x04" * 10,
        "deep.json": b"[" * 5000 + b"]" * 5000,
        "empty.json": b"  ",
        "bad.json": b'{"expires": ',
        "latin1.json": b'{"expires": "\xff"}',
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(InputError) as info:
            load_policy_file(path)
        assert info.value.source == str(path)
    huge = tmp_path / "huge.json"
    with huge.open("wb") as fh:
        fh.truncate(17 * 1024 * 1024)
    with pytest.raises(InputError, match="too large"):
        load_policy_file(huge)


def test_wrong_types_raise_input_error() -> None:
    with pytest.raises(
        InputError, match=r"cannot unmarshal string into Go struct field Step\.steps\.functionaries"
    ):
        parse_policy(
            {"expires": "2030-01-01T00:00:00Z", "steps": {"a": {"functionaries": "x"}}}, source="p.json"
        )
