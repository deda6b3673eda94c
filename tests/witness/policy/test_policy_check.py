"""check_policy: every statically checkable trap of REFERENCE.md §8 fails, and its fix passes."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_helpers import (
    ED25519_KEYID,
    FIXTURES,
    POLICY_JSON,
    PORTABLE_REGO,
    SBOM_POLICY_JSON,
    b64,
    good_policy,
)

from witness_evals.common.errors import InputError
from witness_evals.witness import crypto, x509
from witness_evals.witness.policy import POLICY_PAYLOAD_TYPE
from witness_evals.witness.policy_check import PolicyReport, check_policy
from witness_evals.witness.rego import RegoSandbox

NOW = datetime(2030, 6, 1, tzinfo=UTC)
Obj = dict[str, Any]


@pytest.fixture(scope="module")
def box() -> Iterator[RegoSandbox]:
    with RegoSandbox() as sandbox:
        yield sandbox


def run(obj: Obj | bytes, box: RegoSandbox, mode: str = "verify") -> PolicyReport:
    data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return check_policy(data, source="p.json", now=NOW, mode=mode, rego=box)


def messages(findings: list[Any]) -> str:
    return "\n".join(f"{f.location}: {f.message} ({f.suggestion})" for f in findings)


def step(obj: Obj) -> Obj:
    return obj["steps"]["build"]


def test_good_policy_is_clean(box: RegoSandbox) -> None:
    report = run(good_policy(), box)
    assert report.valid, messages(report.errors)
    assert [w.category for w in report.warnings] == ["Signature"]  # only: not signed
    assert report.checks_performed == report.checks_passed > 10
    assert run(good_policy(), box, mode="policy-check").valid


@pytest.mark.parametrize("path", [POLICY_JSON, SBOM_POLICY_JSON])
def test_real_witness_policies_are_valid_for_verify(path: Any, box: RegoSandbox) -> None:
    report = check_policy(path.read_bytes(), source=str(path), now=NOW, rego=box)
    assert report.valid, messages(report.errors)


def test_real_policy_fails_witness_policy_check_mode(box: RegoSandbox) -> None:
    # REFERENCE §3.5: witness policy check (OPA v1 parser) rejects the repo's own classic Rego.
    report = check_policy(
        POLICY_JSON.read_bytes(), source="policy.json", now=NOW, mode="policy-check", rego=box
    )
    assert not report.valid
    assert len(report.errors) == 2
    assert all("v0-only syntax" in e.message for e in report.errors)
    assert report.errors[0].location == "steps.build.attestations[1].regopolicies[0].module"


# ------------------------------------------------------------------ traps: (break, fix, expected finding)


def _set_type(uri: str) -> Callable[[Obj], None]:
    def f(obj: Obj) -> None:
        step(obj)["attestations"][2]["type"] = uri

    return f


def _module(text: str) -> Callable[[Obj], None]:
    def f(obj: Obj) -> None:
        step(obj)["attestations"][1]["regopolicies"][0]["module"] = b64(text)

    return f


def _pem_der(obj: Obj) -> None:
    pem = (FIXTURES / "testpub.pem").read_text()
    obj["publickeys"][ED25519_KEYID]["key"] = "".join(pem.strip().splitlines()[1:-1])


def _keyid_of_file(obj: Obj) -> None:
    import hashlib

    der = crypto.first_pem_block((FIXTURES / "testpub.pem").read_bytes())
    assert der is not None
    wrong = hashlib.sha256(der.der).hexdigest()
    obj["publickeys"] = {wrong: {"keyid": wrong, "key": obj["publickeys"][ED25519_KEYID]["key"]}}
    step(obj)["functionaries"][0]["publickeyid"] = wrong


def _raw_rego(obj: Obj) -> None:
    step(obj)["attestations"][1]["regopolicies"][0]["module"] = PORTABLE_REGO


def _rename_step(obj: Obj) -> None:
    step(obj)["name"] = "Build"


def _drop_name(obj: Obj) -> None:
    del step(obj)["name"]


def _foreign_key(obj: Obj) -> None:
    step(obj)["functionaries"][0]["publickeyid"] = "f" * 64


def _no_expiry(obj: Obj) -> None:
    del obj["expires"]


def _date_only(obj: Obj) -> None:
    obj["expires"] = "2031-01-01"


def _expired(obj: Obj) -> None:
    obj["expires"] = "2023-12-17T23:57:40-05:00"


def _empty_attestations(obj: Obj) -> None:
    step(obj)["attestations"] = []


def _no_steps(obj: Obj) -> None:
    obj["steps"] = {}


def _artifacts_from_unknown(obj: Obj) -> None:
    step(obj)["artifactsFrom"] = ["compile"]


def _artifacts_from_self(obj: Obj) -> None:
    step(obj)["artifactsFrom"] = ["build"]


V1_NO_IMPORT = PORTABLE_REGO.replace("import rego.v1\n\n", "")
NO_DENY = "package commandrun.exitcode\n\nimport rego.v1\n\nallow if { input.exitcode == 0 }\n"
STRING_DENY = 'package commandrun.exitcode\n\nimport rego.v1\n\ndeny := "exit code must be 0"\n'
BROKEN = "package commandrun.exitcode\n\ndeny contains msg if {\n"

TRAPS: list[tuple[str, Callable[[Obj], None], str, str]] = [
    # (id, break the good policy, expected location, substring of the error)
    (
        "1-collection-type",
        _set_type("https://witness.dev/attestation-collection/v0.1"),
        "steps.build.attestations[2].type",
        "no witness attestor produces type",
    ),
    (
        "1-collection-predicate",
        _set_type("https://witness.testifysec.com/attestation-collection/v0.1"),
        "steps.build.attestations[2].type",
        "no witness attestor",
    ),
    (
        "2-slsa-v1",
        _set_type("https://slsa.dev/provenance/v1"),
        "steps.build.attestations[2].type",
        "no witness attestor",
    ),
    (
        "2-k8s-v0.1",
        _set_type("https://witness.dev/attestations/k8smanifest/v0.1"),
        "steps.build.attestations[2].type",
        "no witness attestor",
    ),
    (
        "2-typo",
        _set_type("https://witness.dev/attestations/products/v0.1"),
        "steps.build.attestations[2].type",
        "no witness attestor",
    ),
    (
        "3-sbom",
        _set_type("https://witness.dev/attestations/sbom/v0.1"),
        "steps.build.attestations[2].type",
        "no witness attestor",
    ),
    (
        "5-v1-no-import",
        _module(V1_NO_IMPORT),
        "steps.build.attestations[1].regopolicies[0].module",
        "without `import rego.v1`",
    ),
    ("5-broken", _module(BROKEN), "steps.build.attestations[1].regopolicies[0].module", "is invalid"),
    ("6-no-deny", _module(NO_DENY), "steps.build.attestations[1].regopolicies", "defines no deny rule"),
    (
        "6-string-deny",
        _module(STRING_DENY),
        "steps.build.attestations[1].regopolicies",
        "not a set of strings",
    ),
    (
        "7-raw-rego",
        _raw_rego,
        "steps.build.attestations[1].regopolicies[0].module",
        "illegal base64 data at input byte 7",
    ),
    ("7-der-key", _pem_der, f"publickeys.{ED25519_KEYID}.key", "invalid pem block"),
    ("8-keyid-of-der", _keyid_of_file, "publickeys.", "public key in policy has expected key id"),
    ("10-name-mismatch", _rename_step, "steps.build.name", "must be identical"),
    ("10-name-missing", _drop_name, "steps.build.name", "has no name"),
    (
        "13-foreign-key",
        _foreign_key,
        "steps.build.functionaries[0].publickeyid",
        "is not the keyid of any key",
    ),
    ("15-missing", _no_expiry, "expires", "always expired"),
    ("15-date-only", _date_only, "expires", 'cannot parse "" as "T"'),
    ("15-expired", _expired, "expires", "Policy expired on 2023-12-18T04:57:40Z"),
    (
        "head-empty-attestations",
        _empty_attestations,
        "steps.build.attestations",
        "declares no required attestations",
    ),
    ("head-no-steps", _no_steps, "steps", "policy has no steps"),
    (
        "24-artifacts-from-unknown",
        _artifacts_from_unknown,
        "steps.build.artifactsFrom[0]",
        "not a step of this policy",
    ),
    ("24-artifacts-from-self", _artifacts_from_self, "steps.build.artifactsFrom[0]", "from itself"),
]


@pytest.mark.parametrize(("trap", "breaker", "location", "text"), TRAPS, ids=[t[0] for t in TRAPS])
def test_trap_fails_with_finding(
    trap: str, breaker: Callable[[Obj], None], location: str, text: str, box: RegoSandbox
) -> None:
    obj = good_policy()
    breaker(obj)
    report = run(obj, box)
    assert not report.valid
    hits = [e for e in report.errors if e.location.startswith(location) and text in e.message]
    assert hits, messages(report.errors)


def test_keyid_trap_fixed_by_the_suggested_keyid(box: RegoSandbox) -> None:
    obj = good_policy()
    _keyid_of_file(obj)
    assert not run(obj, box).valid
    (wrong,) = obj["publickeys"]
    obj["publickeys"] = {ED25519_KEYID: {"keyid": ED25519_KEYID, "key": obj["publickeys"][wrong]["key"]}}
    step(obj)["functionaries"][0]["publickeyid"] = ED25519_KEYID
    assert run(obj, box).valid


def test_rego_traps_fixed_by_portable_form(box: RegoSandbox) -> None:
    for broken in (V1_NO_IMPORT, NO_DENY, STRING_DENY):
        obj = good_policy()
        _module(broken)(obj)
        assert not run(obj, box).valid
        _module(PORTABLE_REGO)(obj)
        assert run(obj, box).valid


@pytest.mark.parametrize(
    ("uri", "fix"),
    [
        ("https://witness.dev/attestations/sbom/v0.1", "https://spdx.dev/Document"),
        ("https://slsa.dev/provenance/v1", "https://slsa.dev/provenance/v1.0"),
        (
            "https://witness.dev/attestations/k8smanifest/v0.1",
            "https://witness.dev/attestations/k8smanifest/v0.2",
        ),
        ("https://witness.dev/attestations/link/v0.3", "https://in-toto.io/attestation/link/v0.3"),
    ],
)
def test_type_traps_suggest_the_real_type_and_fix_passes(uri: str, fix: str, box: RegoSandbox) -> None:
    obj = good_policy()
    _set_type(uri)(obj)
    (err,) = run(obj, box).errors
    assert fix in err.suggestion
    _set_type(fix)(obj)
    assert run(obj, box).valid


def test_keyid_trap_names_the_mistake_and_the_right_id(box: RegoSandbox) -> None:
    obj = good_policy()
    _keyid_of_file(obj)
    report = run(obj, box)
    err = next(e for e in report.errors if "expected key id" in e.message)
    assert "sha256 of the DER bytes" in err.message
    assert ED25519_KEYID in err.suggestion


def test_der_key_hint(box: RegoSandbox) -> None:
    obj = good_policy()
    _pem_der(obj)
    err = next(e for e in run(obj, box).errors if e.category == "Public Key")
    assert "base64 of DER" in err.suggestion and "LS0tLS1CRUdJTi" in err.suggestion


def test_v0_rego_is_a_portability_warning_in_verify_mode(box: RegoSandbox) -> None:
    obj = good_policy()
    _module('package commandrun.exitcode\n\ndeny[msg] {\n\tinput.exitcode != 0\n\tmsg := "x"\n}\n')(obj)
    report = run(obj, box)
    assert report.valid
    assert any("v0-only syntax" in w.message for w in report.warnings)
    assert not run(obj, box, mode="policy-check").valid


# ------------------------------------------------------------------ warnings (Go accepts, but it is a mistake)


@pytest.mark.parametrize(
    ("breaker", "location"),
    [
        (lambda o: step(o).__setitem__("artifacts_from", ["x"]), "steps.build.artifacts_from"),
        (
            lambda o: step(o)["attestations"][1].__setitem__(
                "rego_policies", step(o)["attestations"][1].pop("regopolicies")
            ),
            "steps.build.attestations[1].rego_policies",
        ),
        (lambda o: o.__setitem__("public_keys", o.pop("publickeys")), "public_keys"),
        (
            lambda o: step(o)["functionaries"][0].__setitem__("public_key_id", "x"),
            "steps.build.functionaries[0].public_key_id",
        ),
    ],
)
def test_trap11_typos_warn(breaker: Callable[[Obj], None], location: str, box: RegoSandbox) -> None:
    obj = good_policy()
    breaker(obj)
    report = run(obj, box)
    assert any(w.location == location and "did you mean" in w.message for w in report.warnings), messages(
        report.warnings
    )


def test_trap11_moving_keys_away_also_errors(box: RegoSandbox) -> None:
    obj = good_policy()
    obj["public_keys"] = obj.pop("publickeys")
    report = run(obj, box)
    assert any("is not the keyid of any key" in e.message for e in report.errors)


def test_expiring_soon_warns(box: RegoSandbox) -> None:
    obj = good_policy()
    obj["expires"] = (NOW + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    report = run(obj, box)
    assert report.valid and any(w.message == "Policy expires in 10 days" for w in report.warnings)


def test_trap14_envelope_is_read_and_unsigned_warned(box: RegoSandbox) -> None:
    bare = run(good_policy(), box)
    assert any("not signed" in w.message for w in bare.warnings)
    env = {
        "payload": b64(json.dumps(good_policy())),
        "payloadType": "https://witness.dev/policy/v0.1",
        "signatures": [],
    }
    report = run(json.dumps(env).encode(), box)
    assert report.valid and report.envelope
    assert any(w.location == "payloadType" for w in report.warnings)
    env["payloadType"] = POLICY_PAYLOAD_TYPE
    assert not any(w.location == "payloadType" for w in run(json.dumps(env).encode(), box).warnings)


def test_trap14_yaml_policy_is_input_error() -> None:
    with pytest.raises(InputError, match="looks like YAML"):
        check_policy(b"expires: 2030-01-01T00:00:00Z\nsteps:\n  build: {}\n", source="p.yaml")


# ------------------------------------------------------------------ x509 functionaries and roots (traps 12, 25)


@pytest.fixture(scope="module")
def certs() -> dict[str, bytes]:
    key = crypto.generate_private_key("ecdsa-p256", seed=11)
    long = x509.make_ca("Root", key, not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=3650))
    short = x509.make_ca("Short", key, not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=30))
    old = x509.make_ca("Old", key, not_before=NOW - timedelta(days=100), not_after=NOW - timedelta(days=1))
    leaf_key = crypto.generate_private_key("ed25519", seed=12)
    leaf = x509.make_leaf(
        leaf_key.public_key(),
        long,
        key,
        not_before=NOW,
        not_after=NOW + timedelta(days=3000),
        common_name="leaf",
    )
    return {
        name: x509.cert_pem(c) for name, c in [("long", long), ("short", short), ("old", old), ("leaf", leaf)]
    }


def x509_policy(certs: dict[str, bytes], **cc: Any) -> Obj:
    obj = good_policy()
    constraint = {
        "commonname": "*",
        "emails": ["*"],
        "uris": ["*"],
        "dnsnames": ["*"],
        "organizations": ["*"],
        "roots": ["fulcio"],
    }
    constraint.update(cc)
    step(obj)["functionaries"] = [{"type": "root", "certConstraint": constraint}]
    obj["roots"] = {"fulcio": {"certificate": b64(certs["long"])}}
    obj["timestampauthorities"] = {"tsa": {"certificate": b64(certs["long"])}}
    return obj


def test_x509_policy_is_clean(certs: dict[str, bytes], box: RegoSandbox) -> None:
    report = run(x509_policy(certs), box)
    assert report.valid, messages(report.errors)


@pytest.mark.parametrize(
    ("change", "location", "text"),
    [
        ({"roots": []}, "steps.build.functionaries[0].certConstraint.roots", "has no roots"),
        ({"roots": ["fulcio-root"]}, "steps.build.functionaries[0].certConstraint.roots", "doesn't exist"),
        (
            {"emails": ["*@example.com"]},
            "steps.build.functionaries[0].certConstraint.emails",
            "no partial globs",
        ),
        ({"uris": ["*", "https://x"]}, "steps.build.functionaries[0].certConstraint.uris", "sole element"),
        (
            {"extensions": {"issuer": "{a,b"}},
            "steps.build.functionaries[0].certConstraint.extensions.issuer",
            "invalid glob",
        ),
    ],
)
def test_trap12_constraint_errors(
    change: Obj, location: str, text: str, certs: dict[str, bytes], box: RegoSandbox
) -> None:
    report = run(x509_policy(certs, **change), box)
    assert any(e.location == location and text in e.message for e in report.errors), messages(report.errors)


def test_trap12_omitted_identity_warns(certs: dict[str, bytes], box: RegoSandbox) -> None:
    obj = x509_policy(certs)
    cc = step(obj)["functionaries"][0]["certConstraint"]
    del cc["emails"], cc["uris"]
    report = run(obj, box)
    assert report.valid
    assert any("omits both emails and uris" in w.message for w in report.warnings)


def test_trap25_no_tsa_warns(certs: dict[str, bytes], box: RegoSandbox) -> None:
    obj = x509_policy(certs)
    del obj["timestampauthorities"]
    report = run(obj, box)
    assert report.valid and any(w.category == "Timestamp Authority" for w in report.warnings)


@pytest.mark.parametrize(
    ("cert", "text"),
    [
        ("leaf", "is not a CA certificate"),
        ("old", "expired on"),
        ("short", "expires before the policy"),
    ],
)
def test_root_certificate_checks(cert: str, text: str, certs: dict[str, bytes], box: RegoSandbox) -> None:
    obj = x509_policy(certs)
    obj["roots"]["fulcio"]["certificate"] = b64(certs[cert])
    report = run(obj, box)
    assert any(e.location == "roots.fulcio" and text in e.message for e in report.errors), messages(
        report.errors
    )


def test_root_certificate_der_hint(certs: dict[str, bytes], box: RegoSandbox) -> None:
    obj = x509_policy(certs)
    block = crypto.first_pem_block(certs["long"])
    assert block is not None
    obj["roots"]["fulcio"]["certificate"] = b64(block.der)
    err = next(e for e in run(obj, box).errors if e.location == "roots.fulcio.certificate")
    assert "not a valid PEM block" in err.message and "base64 of DER" in err.suggestion


def test_private_key_in_policy_is_error(box: RegoSandbox) -> None:
    obj = good_policy()
    priv = crypto.private_pem(crypto.generate_private_key("ed25519", seed=5))
    obj["publickeys"][ED25519_KEYID]["key"] = b64(priv)
    assert any("PRIVATE key" in e.message for e in run(obj, box).errors)


def test_wrong_types_are_findings_not_crashes(box: RegoSandbox) -> None:
    obj = good_policy()
    step(obj)["functionaries"] = "x"
    report = run(obj, box)
    assert not report.valid
    assert report.errors[0].message.startswith(
        "failed to parse policy JSON: json: cannot unmarshal string into Go struct field Step.steps.functionaries"
    )


def test_report_json_shape(box: RegoSandbox) -> None:
    obj = copy.deepcopy(good_policy())
    _expired(obj)
    out = run(obj, box).to_json()
    assert out["valid"] is False
    assert out["errors"][0] == {
        "category": "Policy Expiration",
        "message": "Policy expired on 2023-12-18T04:57:40Z",
        "suggestion": "Update the 'expires' field to a future date",
        "location": "expires",
    }
    assert out["policy_file"] == "p.json" and out["policy_expiration"] == "2023-12-18T04:57:40Z"
    assert out["checks_performed"] > out["checks_passed"]


def test_star_root_is_fine_for_verify_but_reported_by_witness_policy_check(
    certs: dict[str, bytes], box: RegoSandbox
) -> None:
    obj = x509_policy(certs, roots=["*"])
    assert run(obj, box).valid
    report = run(obj, box, mode="policy-check")
    assert [e.message for e in report.errors] == [
        "Functionary references root '*' in step 'build' but it doesn't exist"
    ]


def test_null_cert_constraint_is_absent(box: RegoSandbox) -> None:
    obj = good_policy()
    step(obj)["functionaries"][0]["certConstraint"] = None
    report = run(obj, box)
    assert report.valid and report.policy is not None
    assert report.policy.steps["build"].functionaries[0].cert_constraint is None


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 300) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
_PATHS = [
    (),
    ("steps",),
    ("steps", "build"),
    ("steps", "build", "functionaries"),
    ("steps", "build", "functionaries", 0),
    ("steps", "build", "attestations", 1, "regopolicies"),
    ("steps", "build", "attestations", 1, "regopolicies", 0, "module"),
    ("publickeys",),
    ("publickeys", ED25519_KEYID, "key"),
    ("roots",),
    ("expires",),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(_PATHS), key=st.text("abcdefgKkS_-", min_size=1, max_size=12), value=_json)
def test_random_mutations_never_crash(path: tuple[Any, ...], key: str, value: Any, box: RegoSandbox) -> None:
    obj: Any = good_policy()
    target = obj
    for part in path:
        target = target.setdefault(part, {}) if isinstance(target, dict) else target[part]
    if isinstance(target, dict):
        target[key] = value
    elif isinstance(target, list):
        target.append(value)
    else:
        obj["expires"] = value
    report = run(obj, box)  # never raises: every problem is a finding
    assert report.checks_performed >= report.checks_passed
    assert report.valid == (not report.errors)


def test_recursive_rego_is_an_error() -> None:
    """OPA rejects recursive rules at compile time; regorus only fails when evaluating (or crashes)."""
    obj = good_policy()
    att = obj["steps"]["build"]["attestations"][0]
    att["regopolicies"] = [
        {"name": "rec.rego", "module": b64("package rec\n\ndeny[msg] {\n\tdeny[msg]\n}\n")}
    ]
    report = check_policy(json.dumps(obj).encode(), source="p.json")
    assert not report.valid
    assert any(
        "is recursive (rules referring to themselves: module 'rec.rego': deny): OPA rejects" in f.message
        for f in report.errors
    ), [f.message for f in report.errors]
