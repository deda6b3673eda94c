"""Go encoding/json semantics of policy decoding: case folding, unknown keys, base64, RFC3339, types."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from policy_helpers import b64, good_policy

from witness_evals.common.errors import InputError
from witness_evals.witness.policy import (
    KNOWN_TYPOS,
    Base64Error,
    TimeParseError,
    decode_policy,
    go_b64decode,
    parse_policy,
    parse_rfc3339,
)

# ------------------------------------------------------------------ case-insensitive binding


def test_keys_bind_case_insensitively() -> None:
    obj = {
        "Expires": "2035-01-01T00:00:00Z",
        "STEPS": {
            "build": {
                "Name": "build",
                "Attestations": [{"TYPE": "t", "regoPolicies": [{"Module": b64("x"), "NAME": "n"}]}],
                "Functionaries": [
                    {"PublicKeyID": "abc", "CertConstraint": {"CommonName": "*", "Roots": ["r"]}}
                ],
                "ArtifactsFrom": ["x"],
            }
        },
        "PublicKeys": {"k": {"KeyID": "k", "Key": b64("pem")}},
        "TimestampAuthorities": {"t": {"Certificate": b64("c")}},
    }
    policy, warnings = parse_policy(obj)
    assert warnings == []
    step = policy.steps["build"]
    assert step.name == "build" and step.artifacts_from == ["x"]
    assert step.attestations[0].rego_policies[0].module == b"x"
    f = step.functionaries[0]
    assert f.publickeyid == "abc"
    assert (
        f.cert_constraint is not None
        and f.cert_constraint.roots == ["r"]
        and f.cert_constraint.common_name == "*"
    )
    assert policy.public_keys["k"].key == b"pem"
    assert policy.timestamp_authorities["t"].certificate == b"c"


def test_kelvin_sign_folds_like_go() -> None:
    # Go's EqualFold folds U+212A KELVIN SIGN to "k": "\u212aeyid" binds to "keyid".
    policy, warnings = parse_policy({"publickeys": {"a": {"\u212aeyid": "x"}}})
    assert policy.public_keys["a"].keyid == "x" and warnings == []


def test_fulcio_extension_keys_bind_by_tag_or_field_name() -> None:
    obj = {
        "steps": {
            "s": {"functionaries": [{"certConstraint": {"extensions": {"issuer": "a", "BuildTrigger": "b"}}}]}
        }
    }
    policy, warnings = parse_policy(obj)
    cc = policy.steps["s"].functionaries[0].cert_constraint
    assert cc is not None and cc.extensions == {"Issuer": "a", "BuildTrigger": "b"} and warnings == []
    assert cc.to_json()["extensions"] == {"issuer": "a", "buildTrigger": "b"}


def test_case_colliding_keys_apply_in_order_maps_merge() -> None:
    text = '{"steps": {"a": {"name": "a"}}, "Steps": {"b": {"name": "b"}}, "expires": null}'
    result = decode_policy(text)
    assert list(result.policy.steps) == ["a", "b"]  # Go decodes the second object into the same map
    assert any("same field" in w.message for w in result.warnings)


def test_duplicate_keys_last_wins_with_warning() -> None:
    text = '{"steps": {"a": {"name": "first"}, "a": {"name": "second"}}}'
    result = decode_policy(text)
    assert result.policy.steps["a"].name == "second"
    assert any(w.message.startswith('duplicate key "a"') and w.location == "steps.a" for w in result.warnings)


# ------------------------------------------------------------------ unknown keys


@pytest.mark.parametrize(
    ("where", "key", "hint"),
    [
        ("step", "artifacts_from", "artifactsFrom"),
        ("attestation", "rego_policies", "regopolicies"),
        ("top", "public_keys", "publickeys"),
        ("functionary", "public_key_id", "publickeyid"),
        ("functionary", "cert_constraint", "certConstraint"),
        ("top", "timestamp_authorities", "timestampauthorities"),
        ("step", "functionary", "functionaries"),
    ],
)
def test_trap11_typos_are_warned_with_hint(where: str, key: str, hint: str) -> None:
    obj = good_policy()
    step = obj["steps"]["build"]
    target = {
        "top": obj,
        "step": step,
        "attestation": step["attestations"][0],
        "functionary": step["functionaries"][0],
    }[where]
    target[key] = target.get(hint.lower(), ["x"])
    policy, warnings = parse_policy(obj)
    assert len(warnings) == 1
    w = warnings[0]
    assert f'unknown key "{key}"' in w.message and f'did you mean "{hint}"' in w.message
    assert w.location.endswith(key)
    if key == "artifacts_from":
        assert policy.steps["build"].artifacts_from == []  # silently dropped, as in Go


def test_unknown_key_without_hint_and_path() -> None:
    obj = good_policy()
    obj["subjectscopes"] = {}
    obj["steps"]["build"]["attestations"][1]["regopolicies"][0]["comment"] = "hi"
    _, warnings = parse_policy(obj)
    locations = {w.location for w in warnings}
    assert locations == {"subjectscopes", "steps.build.attestations[1].regopolicies[0].comment"}
    assert all("did you mean" not in w.message for w in warnings)


def test_known_typos_map_to_real_tags() -> None:
    tags = {"artifactsFrom", "regopolicies", "publickeys", "publickeyid", "keyid", "certConstraint"}
    tags |= {"timestampauthorities", "commonname", "dnsnames", "functionaries", "attestations", "steps"}
    tags |= {"expires", "roots", "emails", "uris", "organizations", "intermediates"}
    assert set(KNOWN_TYPOS.values()) <= tags


# ------------------------------------------------------------------ base64 (Go StdEncoding)


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("YWJj*", 4),  # invalid character
        ("YWJjZA", 4),  # missing padding: start of the short quantum
        ("YQ", 0),
        ("YWI", 0),
        ("Y", 0),
        ("package x", 7),  # raw Rego text: the space
        ("YW-j", 2),  # URL-safe alphabet
        ("YW_j", 2),
        ("QQ==QQ==", 4),  # data after padding
        ("Q===", 1),  # padding after one symbol
        ("QQ=", 3),  # "==" expected, input ends
        ("QQ=x", 2),
        ("=QQ=", 0),
        ("QUJD\n\nRA=", 9),
    ],
)
def test_go_base64_errors(text: str, offset: int) -> None:
    with pytest.raises(Base64Error) as info:
        go_b64decode(text)
    assert info.value.offset == offset
    assert str(info.value) == f"illegal base64 data at input byte {offset}"


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("", b""),
        ("YWJj", b"abc"),
        ("YWJjZA==", b"abcd"),
        ("YW\nJj\r\n", b"abc"),
        ("QQ=\n=", b"A"),
        ("QR==", b"A"),
    ],
)
def test_go_base64_accepts(text: str, data: bytes) -> None:
    assert go_b64decode(text) == data


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_go_base64_round_trip(data: bytes) -> None:
    assert go_b64decode(base64.b64encode(data).decode()) == data


def test_raw_rego_module_fails_like_go() -> None:
    obj = good_policy()
    obj["steps"]["build"]["attestations"][1]["regopolicies"][0]["module"] = "package x\n\ndeny[msg] { false }"
    with pytest.raises(InputError) as info:
        parse_policy(obj, source="p.json")
    assert info.value.message == "illegal base64 data at input byte 7"
    assert info.value.location == "steps.build.attestations[1].regopolicies[0].module"


# ------------------------------------------------------------------ RFC3339


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2035-12-17T23:57:40-05:00", datetime(2035, 12, 18, 4, 57, 40, tzinfo=UTC)),
        ("2030-01-01T00:00:00Z", datetime(2030, 1, 1, tzinfo=UTC)),
        ("2030-01-01T00:00:00.123456789Z", datetime(2030, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)),
        ("2030-01-01T00:00:00+01:30", datetime(2029, 12, 31, 22, 30, tzinfo=UTC)),
        ("2024-02-29T12:00:00Z", datetime(2024, 2, 29, 12, tzinfo=UTC)),
    ],
)
def test_rfc3339_accepts(text: str, expected: datetime) -> None:
    assert parse_rfc3339(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2030-01-01", 'parsing time "2030-01-01" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"'),
        (
            "2030-01-01T00:00:00",
            'parsing time "2030-01-01T00:00:00" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00"',
        ),
        (
            "2030-01-01 00:00:00Z",
            'parsing time "2030-01-01 00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 00:00:00Z" as "T"',
        ),
        (
            "2030-1-01T00:00:00Z",
            'parsing time "2030-1-01T00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse "1-01T00:00:00Z" as "01"',
        ),
        (
            "30-01-01T00:00:00Z",
            'parsing time "30-01-01T00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse "30-01-01T00:00:00Z" as "2006"',
        ),
        ("2030-13-01T00:00:00Z", 'parsing time "2030-13-01T00:00:00Z": month out of range'),
        ("2030-02-30T00:00:00Z", 'parsing time "2030-02-30T00:00:00Z": day out of range'),
        ("2030-01-01T24:00:00Z", 'parsing time "2030-01-01T24:00:00Z": hour out of range'),
        ("2030-01-01T00:00:00Zjunk", 'parsing time "2030-01-01T00:00:00Zjunk": extra text: "junk"'),
        (
            "2030-01-01T00:00:00z",
            'parsing time "2030-01-01T00:00:00z" as "2006-01-02T15:04:05Z07:00": cannot parse "z" as "Z07:00"',
        ),
        (
            "December 17, 2035",
            'parsing time "December 17, 2035" as "2006-01-02T15:04:05Z07:00": cannot parse "December 17, 2035" as "2006"',
        ),
    ],
)
def test_rfc3339_rejects_like_go(text: str, message: str) -> None:
    with pytest.raises(TimeParseError) as info:
        parse_rfc3339(text)
    assert str(info.value) == message


@settings(max_examples=100, deadline=None)
@given(
    st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9998, 12, 30)),
    st.integers(min_value=-23 * 60, max_value=23 * 60),
)
def test_rfc3339_matches_isoformat(dt: datetime, minutes: int) -> None:
    aware = dt.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=minutes)))
    assert parse_rfc3339(aware.isoformat()) == aware


def test_expires_missing_or_null_is_zero_time() -> None:
    assert parse_policy({"steps": {}})[0].expires is None
    assert parse_policy({"expires": None})[0].expires is None


def test_expires_date_only_fails_like_go() -> None:
    with pytest.raises(InputError, match='cannot parse "" as "T"') as info:
        parse_policy({"expires": "2030-01-01", "steps": {}}, source="p.json")
    assert info.value.location == "expires"


# ------------------------------------------------------------------ wrong JSON types


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([], "json: cannot unmarshal array into Go value of type policy.Policy"),
        ('"x"', "json: cannot unmarshal string into Go value of type policy.Policy"),
        (
            {"steps": []},
            "json: cannot unmarshal array into Go struct field Policy.steps of type map[string]policy.Step",
        ),
        (
            {"steps": {"a": "b"}},
            "json: cannot unmarshal string into Go struct field Policy.steps of type policy.Step",
        ),
        (
            {"steps": {"a": {"functionaries": "x"}}},
            "json: cannot unmarshal string into Go struct field Step.steps.functionaries of type []policy.Functionary",
        ),
        (
            {"steps": {"a": {"attestations": [{"type": 3}]}}},
            "json: cannot unmarshal number into Go struct field Attestation.steps.attestations.type of type string",
        ),
        (
            {"steps": {"a": {"artifactsFrom": "b"}}},
            "json: cannot unmarshal string into Go struct field Step.steps.artifactsFrom of type []string",
        ),
        (
            {"roots": {"r": {"certificate": b64("c"), "intermediates": "x"}}},
            "json: cannot unmarshal string into Go struct field Root.roots.intermediates of type [][]uint8",
        ),
        (
            {"publickeys": {"k": {"key": True}}},
            "json: cannot unmarshal bool into Go struct field PublicKey.publickeys.key of type []uint8",
        ),
        (
            {"steps": {"a": {"functionaries": [{"certConstraint": {"emails": "a@b"}}]}}},
            "json: cannot unmarshal string into Go struct field CertConstraint.steps.functionaries.certConstraint.emails of type []string",
        ),
        ({"expires": 5}, "json: cannot unmarshal number into Go struct field Policy.expires of type string"),
        ({"expires": {}}, "json: cannot unmarshal object into Go struct field Policy.expires of type string"),
    ],
)
def test_wrong_types_give_go_messages(obj: object, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_policy(obj)
    assert info.value.message == message


def test_time_error_wins_over_earlier_saved_error() -> None:
    # Go saves type errors and keeps decoding, but an Unmarshaler error aborts and is returned.
    text = json.dumps({"steps": "x", "expires": "2030-01-01"})
    with pytest.raises(InputError, match="parsing time"):
        parse_policy(text)
    result = decode_policy(text)
    assert [e.kind for e in result.errors] == ["type", "time"]


def test_bytes_as_number_array_like_go() -> None:
    policy, _ = parse_policy({"publickeys": {"k": {"key": [104, 105]}}})
    assert policy.public_keys["k"].key == b"hi"
    with pytest.raises(
        InputError,
        match=r"cannot unmarshal number 300 into Go struct field PublicKey\.publickeys\.key of type uint8",
    ):
        parse_policy({"publickeys": {"k": {"key": [300]}}})


def test_null_values() -> None:
    obj = {
        "expires": None,
        "roots": None,
        "steps": {"a": {"name": None, "functionaries": None, "attestations": [None]}},
    }
    policy, _ = parse_policy(obj)
    assert policy.roots == {}
    assert policy.steps["a"].name == "" and policy.steps["a"].attestations[0].type == ""
