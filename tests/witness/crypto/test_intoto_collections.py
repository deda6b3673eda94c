"""in-toto statements and attestation collections, against the real spdx-att.json."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from witness_evals.common.errors import InputError
from witness_evals.witness import crypto, dsse
from witness_evals.witness.collection import (
    COLLECTION_TYPE,
    ZERO_TIME,
    Collection,
    CollectionAttestation,
    collection_statement,
    load_collection_envelope,
)
from witness_evals.witness.intoto import PAYLOAD_TYPE, STATEMENT_TYPE, Statement, new_statement

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "witness-test"
SPDX = (FIXTURES / "spdx-att.json").read_bytes()

try:  # the attestor registry is written by another engineer; these tests run once it exists
    from witness_evals.witness import attestors as _attestors

    HAVE_REGISTRY = hasattr(_attestors, "by_type")
except ImportError:  # pragma: no cover
    HAVE_REGISTRY = False
needs_registry = pytest.mark.skipif(not HAVE_REGISTRY, reason="attestor registry not available yet")


def test_constants() -> None:
    assert STATEMENT_TYPE == "https://in-toto.io/Statement/v0.1"
    assert PAYLOAD_TYPE == "application/vnd.in-toto+json"
    assert COLLECTION_TYPE == "https://witness.testifysec.com/attestation-collection/v0.1"


def test_statement_json_shape_and_roundtrip() -> None:
    st = new_statement(
        "https://example.com/p", {"k": 1}, {"b": {"sha256": "bb", "sha1": "aa"}, "a": {"sha256": "11"}}
    )
    obj = st.to_json()
    assert list(obj) == ["_type", "subject", "predicateType", "predicate"]
    assert [s["name"] for s in obj["subject"]] == ["a", "b"]
    assert list(obj["subject"][1]["digest"]) == ["sha1", "sha256"]  # Go sorts map keys
    back = Statement.from_json(json.loads(json.dumps(obj)))
    assert back == st


def test_statement_decoding_is_go_like() -> None:
    st = Statement.from_json({"_TYPE": "x", "Subject": None, "PredicateType": "p", "extra": 1})
    assert (st.type, st.subjects, st.predicate_type, st.predicate, st.has_predicate) == (
        "x",
        {},
        "p",
        None,
        False,
    )
    with pytest.raises(
        InputError, match=r"cannot unmarshal number into Go struct field Subject\.subject\.digest"
    ) as exc:
        Statement.from_json(
            {"subject": [{"name": "n", "digest": {"sha256": 5}}]}, source="s.json", location="payload"
        )
    assert exc.value.location == "payload.subject[0].digest.sha256"
    with pytest.raises(InputError, match=r"of type intoto\.Statement"):
        Statement.from_json([1])


@needs_registry
def test_real_collection_loads_and_reproduces_signed_payload() -> None:
    env, st, coll = load_collection_envelope(SPDX, source="spdx-att.json")
    assert coll is not None and coll.name == "sbom"
    assert st.predicate_type == COLLECTION_TYPE and st.type == STATEMENT_TYPE
    assert [a.type for a in coll.attestations] == [
        "https://witness.dev/attestations/material/v0.1",
        "https://witness.dev/attestations/command-run/v0.1",
        "https://witness.dev/attestations/product/v0.1",
        "https://spdx.dev/Document",
    ]
    assert coll.subjects() == st.subjects
    assert coll.subjects()["https://witness.dev/attestations/product/v0.1/file:sbom.spdx.json"] == {
        "sha256": "35b97f352c102b21ed6678172bcc102ab69aad034af3ff42064856f11ef2f106"
    }
    assert coll.subjects()["https://spdx.dev/Document/name:alpine"] == {
        "sha256": "54c5b3dd459d5ef778bb2fa1e23a5fb0e1b62ae66970bcb436e8f81a1a1a8e41"
    }
    assert coll.products() == {
        "sbom.spdx.json": {"sha256": "35b97f352c102b21ed6678172bcc102ab69aad034af3ff42064856f11ef2f106"}
    }
    assert "failkey.pem" in coll.materials()
    assert coll.artifacts()["sbom.spdx.json"] == coll.products()["sbom.spdx.json"]
    assert coll.backrefs() == {}
    # re-building the statement from the collection gives the exact bytes that were signed
    assert dsse.dumps_go(collection_statement(coll).to_json()).encode() == env.payload


def _envelope_with(statement: Any) -> bytes:
    payload = json.dumps(statement).encode()
    return json.dumps(
        {"payload": base64.b64encode(payload).decode(), "payloadType": PAYLOAD_TYPE, "signatures": []}
    ).encode()


def _real_statement() -> dict[str, Any]:
    return json.loads(dsse.parse_envelope(SPDX).payload)


@needs_registry
def test_unknown_attestation_type_fails_whole_file() -> None:
    st = _real_statement()
    st["predicate"]["attestations"][1]["type"] = "https://witness.dev/attestations/commandrun/v0.1"
    with pytest.raises(InputError) as exc:
        load_collection_envelope(_envelope_with(st), source="a.json")
    assert exc.value.message == "attestation not found: https://witness.dev/attestations/commandrun/v0.1"
    assert exc.value.source == "a.json"
    assert exc.value.location == "payload.predicate.attestations[1].type"


@needs_registry
def test_unsupported_hash_function_in_digest_set() -> None:
    st = _real_statement()
    mats = st["predicate"]["attestations"][0]["attestation"]
    first = next(iter(mats))
    mats[first] = {"sha512": "00"}
    with pytest.raises(InputError, match="unsupported hash function: sha512") as exc:
        load_collection_envelope(_envelope_with(st), source="a.json")
    assert exc.value.source == "a.json"
    assert exc.value.location is not None and exc.value.location.startswith(
        "payload.predicate.attestations[0]"
    )


@pytest.mark.parametrize(
    ("mutate", "message", "location"),
    [
        (
            lambda st: st.__setitem__("predicate", 5),
            "cannot unmarshal number into Go value of type attestation.Collection",
            "payload.predicate",
        ),
        (lambda st: st.pop("predicate"), "unexpected end of JSON input", "payload.predicate"),
        (
            lambda st: st["predicate"].__setitem__("name", ["x"]),
            "Collection.name of type string",
            "payload.predicate.name",
        ),
        (
            lambda st: st["predicate"].__setitem__("attestations", {}),
            "Collection.attestations",
            "payload.predicate.attestations",
        ),
        (
            lambda st: st["predicate"]["attestations"][0].__setitem__("starttime", "yesterday"),
            'parsing time "yesterday"',
            "payload.predicate.attestations[0].starttime",
        ),
        (
            lambda st: st["predicate"]["attestations"][0].__setitem__("endtime", 7),
            "of type time.Time",
            "payload.predicate.attestations[0].endtime",
        ),
    ],
)
@needs_registry
def test_malformed_collections(mutate, message: str, location: str) -> None:  # type: ignore[no-untyped-def]
    st = _real_statement()
    mutate(st)
    with pytest.raises(InputError, match=message) as exc:
        load_collection_envelope(_envelope_with(st), source="a.json")
    assert exc.value.location == location


def test_payload_not_json() -> None:
    env = json.dumps(
        {"payload": base64.b64encode(b"\x00\x01binary").decode(), "payloadType": PAYLOAD_TYPE}
    ).encode()
    with pytest.raises(InputError, match="payload") as exc:
        load_collection_envelope(env, source="a.json")
    assert exc.value.source == "a.json" and exc.value.location == "payload"


@needs_registry
def test_build_sign_load_verify_cycle() -> None:
    coll = Collection(
        "build",
        [
            CollectionAttestation(
                "https://witness.dev/attestations/material/v0.1",
                {"main.go": {"sha256": "a" * 64}},
                "2024-06-15T15:27:55.794841-05:00",
                "2024-06-15T15:27:55.817512-05:00",
            ),
            CollectionAttestation(
                "https://witness.dev/attestations/product/v0.1",
                {"app": {"mime_type": "application/x-executable", "digest": {"sha256": "b" * 64}}},
            ),
        ],
    )
    assert coll.attestations[1].starttime == ZERO_TIME
    signer = crypto.Signer(crypto.generate_private_key("ed25519", seed=1))
    st = collection_statement(coll)
    env = dsse.sign_envelope(dsse.dumps_go(st.to_json()).encode(), PAYLOAD_TYPE, [signer])
    env2, st2, coll2 = load_collection_envelope(env.dumps().encode(), source="b.json")
    assert coll2 == coll and st2 == st
    assert st2.subjects == {"https://witness.dev/attestations/product/v0.1/file:app": {"sha256": "b" * 64}}
    assert coll2.artifacts() == {"main.go": {"sha256": "a" * 64}, "app": {"sha256": "b" * 64}}
    assert dsse.verify_envelope(env2, [signer.verifier()])[0].keyid == signer.keyid


def test_collection_json_shape() -> None:
    c = Collection(
        "s", [CollectionAttestation("t", {"a": 1}, "2024-01-01T00:00:00Z", "2024-01-01T00:00:01Z")]
    )
    assert c.to_json() == {
        "name": "s",
        "attestations": [
            {
                "type": "t",
                "attestation": {"a": 1},
                "starttime": "2024-01-01T00:00:00Z",
                "endtime": "2024-01-01T00:00:01Z",
            }
        ],
    }
    assert c.types() == {"t"}
