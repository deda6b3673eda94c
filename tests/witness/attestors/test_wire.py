"""check_wire mirrors what go-witness's json.Unmarshal rejects; rego_input mirrors re-marshalling."""

from __future__ import annotations

import pytest

from witness_evals.common.errors import InputError
from witness_evals.witness import attestors as A

GOOD_DIGEST = {"sha256": "a" * 64}


@pytest.mark.parametrize("bad", ["sha512", "sha384", "SHA256", "sha-256", "md5", "gitoid"])
def test_unsupported_hash_names(bad: str) -> None:
    cases = [
        ("material", {"main.go": {bad: "00"}}),
        ("product", {"app": {"mime_type": "text/plain", "digest": {bad: "00"}}}),
        ("git", {"commithash": "c" * 40, "commitdigest": {bad: "c" * 40}}),
        (
            "command-run",
            {
                "cmd": ["go"],
                "exitcode": 0,
                "processes": [{"processid": 1, "parentpid": 0, "exedigest": {bad: "0"}}],
            },
        ),
        ("oci", {"diffids": [GOOD_DIGEST, {bad: "00"}]}),
        ("secretscan", {"findings": [{"ruleId": "x", "secret": {bad: "00"}}]}),
    ]
    for name, pred in cases:
        with pytest.raises(InputError, match=f"unsupported hash function: {bad}") as info:
            A.get(name).check_wire(pred, location="attestations[0].attestation")
        assert info.value.location and info.value.location.startswith("attestations[0].attestation")


def test_all_allowed_hash_names_pass() -> None:
    ds = {
        "sha256": "a" * 64,
        "sha1": "b" * 40,
        "gitoid:sha256": "gitoid:blob:sha256:" + "c" * 64,
        "gitoid:sha1": "gitoid:blob:sha1:" + "d" * 40,
        "dirHash": "e" * 64,
    }
    A.get("material").check_wire({"x": ds})


@pytest.mark.parametrize(
    "name,pred,where",
    [
        ("command-run", {"cmd": ["echo"], "exitcode": "0"}, "exitcode"),
        ("command-run", {"cmd": ["echo"], "exitcode": 1.5}, "exitcode"),
        ("command-run", {"cmd": "echo hello", "exitcode": 0}, "cmd"),
        ("command-run", {"cmd": ["echo", 1], "exitcode": 0}, "cmd[1]"),
        ("material", {"Materials": {"a": GOOD_DIGEST}}, "Materials.a"),
        ("material", ["a"], ""),
        ("product", {"a": {"mime_type": 3, "digest": GOOD_DIGEST}}, "a.mime_type"),
        ("environment", {"os": "linux", "variables": {"A": 1}}, "variables.A"),
        ("git", {"parenthashes": "abc"}, "parenthashes"),
        (
            "slsa",
            {"run_details": {"metadata": {"started_on": {"seconds": "1"}}}},
            "run_details.metadata.started_on.seconds",
        ),
        ("lockfiles", {"lockfiles": {}}, "lockfiles"),
        ("oci", {"manifestraw": "not base64!"}, "manifestraw"),
        ("aws", {"pendingTime": "2024-01-01"}, "pendingTime"),
        ("k8smanifest", {"serversidedryrun": "true"}, "serversidedryrun"),
        ("github", {"jwt": {"claims": [], "verifiedBy": None}}, "jwt.claims"),
        ("jwt", {"claims": {}, "verifiedBy": {"jwksUrl": "u", "jwk": {"kty": "XYZ"}}}, "verifiedBy.jwk"),
    ],
)
def test_wrong_types_are_rejected(name: str, pred: object, where: str) -> None:
    with pytest.raises(InputError) as info:
        A.get(name).check_wire(pred)
    assert (info.value.location or "") == where


def test_go_decoding_leniency() -> None:
    # null leaves the zero value; unknown keys are ignored; keys match case-insensitively
    A.get("command-run").check_wire({"cmd": None, "exitcode": None, "surprise": {"x": 1}})
    A.get("command-run").check_wire(None)
    spec = A.get("command-run")
    assert spec.rego_input({"CMD": ["go", "build"], "ExitCode": 0, "extra": 1}) == {
        "cmd": ["go", "build"],
        "exitcode": 0,
    }
    # omitempty fields vanish, non-omitempty get zero values
    assert spec.rego_input({}) == {"cmd": None, "exitcode": 0}
    env = A.get("environment").rego_input({"os": "linux", "variables": {"B": "2", "A": "1"}})
    assert env == {"os": "linux", "hostname": "", "username": "", "variables": {"A": "1", "B": "2"}}
    # sbom is interface{}: anything goes, kept as is
    A.get("sbom").check_wire([1, "x"])
    assert A.get("sbom").rego_input({"spdxVersion": "SPDX-2.3", "x": None}) == {
        "spdxVersion": "SPDX-2.3",
        "x": None,
    }


def test_protobuf_struct_values_do_not_decode() -> None:
    pred = {"name": "build", "environment": {"fields": {"HOME": {"Kind": {"StringValue": "/root"}}}}}
    with pytest.raises(InputError, match=r"structpb\.isValue_Kind") as info:
        A.get("link").check_wire(pred)
    assert info.value.location == "environment.fields.HOME.Kind"
    A.get("link").check_wire({"name": "build", "environment": {"fields": {}}, "command": ["make"]})
    # the in-memory views still work
    assert A.get("link").rego_input(pred)["environment"] == pred["environment"]
