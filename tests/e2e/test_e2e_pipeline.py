"""Acceptance: a signed two-step pipeline verifies (library and CLI), and each tampering fails for
the right reason (REFERENCE.md §4, traps 10, 12-15, 20-25)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from e2e_world import E2E, cli_args, resign, run_cli, write_case

from witness_evals.common.errors import InputError
from witness_evals.witness import simulate
from witness_evals.witness.dsse import Envelope
from witness_evals.witness.verify import SourceCollection, VerifyResult, verify
from witness_evals.witness.versions import NAMES

CMD = "https://witness.dev/attestations/command-run/v0.1"
GITHUB = "https://witness.dev/attestations/github/v0.1"
NOW = datetime(2026, 1, 15, tzinfo=UTC)


def library_verify(
    e2e: E2E, paths: dict[str, Path], *, allow_unsigned: bool = False, **kw: Any
) -> VerifyResult:
    """The library on exactly what the CLI reads (files parsed into in-memory objects)."""
    from witness_evals.witness.verify_command import load_policy_envelope

    env = load_policy_envelope(str(paths["policy"]), allow_unsigned=allow_unsigned)
    cols = [
        SourceCollection.load(paths[n].read_bytes(), str(paths[n]), version=kw.get("version"))
        for n in ("build", "package")
        if n in paths
    ]
    return verify(
        env,
        cols,
        [e2e.pipe.artifact_digest],
        policy_verifiers=[e2e.policy_key.verifier()],
        allow_unsigned_policy=allow_unsigned,
        **kw,
    )


@pytest.mark.parametrize("version", NAMES)
def test_pipeline_passes_library_and_cli(
    version: str,
    e2e: E2E,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths = write_case(tmp_path, e2e)
    res = library_verify(e2e, paths, version=version)
    assert res.passed, res.reasons
    assert res.witness_version == version
    assert set(res.steps) == {"build", "package"}
    code, out, err = run_cli(cli_args(paths, "--witness-version", version), monkeypatch, capsys)
    assert code == 0, out + err
    assert out.splitlines()[:3] == ["Verification succeeded", "Evidence:", "Step: build"]
    assert f"0: {paths['build']}" in out and str(paths["package"]) in out
    # comma-separated -a, like pflag `strings`
    args = ["verify", "-p", str(paths["policy"]), "-k", str(paths["pub"]), "-f", str(paths["artifact"])]
    code, out, _ = run_cli(
        [*args, "-a", f"{paths['build']},{paths['package']}", "--json"], monkeypatch, capsys
    )
    assert code == 0
    assert json.loads(out)["result"] == "PASS"


@dataclass
class Case:
    """A tampering: how to change the policy / envelopes, and the reason witness gives."""

    name: str
    reason: str
    policy: Callable[[E2E], Any] | None = None
    envelopes: Callable[[E2E], dict[str, Envelope]] | None = None
    policy_signer: Callable[[E2E], Any] | None = None
    caused_by: str | None = None
    extra: list[str] = field(default_factory=list)


def _wrong_key(e: E2E) -> dict[str, Envelope]:
    envs = e.envelopes()
    envs["build"] = resign(envs["build"], e.fail_key, lambda s: None)
    return envs


def _altered_product(e: E2E) -> dict[str, Envelope]:
    envs = e.envelopes()
    stmt = json.loads(envs["build"].payload)
    for att in stmt["predicate"]["attestations"]:
        if att["type"].endswith("/product/v0.1"):
            for prod in att["attestation"].values():
                prod["digest"]["sha256"] = "0" * 64
    # keep the original signature: the payload no longer matches it
    envs["build"] = Envelope(json.dumps(stmt).encode(), envs["build"].payload_type, envs["build"].signatures)
    return envs


def _mismatched_material(e: E2E) -> dict[str, Envelope]:
    envs = e.envelopes()

    def edit(stmt: dict[str, Any]) -> None:
        for att in stmt["predicate"]["attestations"]:
            if att["type"].endswith("/material/v0.1"):
                att["attestation"][e.pipe.artifact_path]["sha256"] = "f" * 64

    envs["package"] = resign(envs["package"], e.package_key, edit)
    return envs


def _key_mismatch(e: E2E) -> dict[str, Any]:
    pol = e.policy()
    entry = pol["publickeys"][e.build_key.keyid]
    entry["keyid"] = "0" * 64
    return pol


def _not_embedded(e: E2E) -> dict[str, Any]:
    return e.policy(
        functionaries={
            "build": [{"type": "publickey", "publickeyid": e.build_key.keyid}],
            "package": [e.package_key.verifier()],
        }
    )


def _step_key_mismatch(e: E2E) -> dict[str, Any]:
    pol = e.policy()
    pol["steps"]["build"]["name"] = "compile"
    return pol


def _rego_deny(e: E2E) -> dict[str, Any]:
    module = simulate.rego_module(
        "only tar",
        'package commandrun.onlytar\n\ndeny[msg] {\n\tinput.cmd[0] != "tar"\n\tmsg := sprintf("unexpected command %v", [input.cmd[0]])\n}\n',
    )
    return e.policy(rego={"build": {CMD: [module]}})


CASES = [
    Case(
        "collection signed by a key not in the policy",
        "collection rejected: build, Reason: no verifiers present to validate against collection verifiers",
        envelopes=_wrong_key,
        caused_by="failed to verify envelope: no valid signatures for the provided verifiers found for keyids",
    ),
    Case(
        "expired policy",
        "policy expired on 2020-01-01 00:00:00 +0000 UTC",
        policy=lambda e: e.policy(expires="2020-01-01T00:00:00Z"),
    ),
    Case(
        "missing attestation type: not found by the type pre-filter",
        "verification failure: Reason: predicate type  is not a collection predicate type",
        policy=lambda e: e.policy(
            attestation_types={
                "build": [a.type for a in e.pipe.steps["build"].collection.attestations] + [GITHUB]
            }
        ),
        caused_by="no collections found for step build",
    ),
    Case(
        "rego deny",
        f"rego policy evaluation failed for attestor type {CMD}: policy was denied due to: unexpected command",
        policy=_rego_deny,
    ),
    Case(
        "step key differs from step name",
        "failed to find step compile in step results map",
        policy=_step_key_mismatch,
    ),
    Case(
        "altered product digest without re-signing",
        "collection rejected: build, Reason: no verifiers present to validate against collection verifiers",
        envelopes=_altered_product,
        caused_by="no valid signatures for the provided verifiers found for keyids",
    ),
    Case(
        "package materials do not match build's artifacts",
        "mismatched digests for",
        envelopes=_mismatched_material,
    ),
    Case(
        "functionary key not embedded in publickeys",
        "collection rejected: build, Reason: no verifiers present to validate against collection verifiers",
        policy=_not_embedded,
    ),
    Case(
        "keyid mismatch in publickeys",
        "public key in policy has expected key id 0000000000000000000000000000000000000000000000000000000000000000 but got",
        policy=_key_mismatch,
    ),
    Case(
        "artifactsFrom names a step that does not exist",
        "failed to verify artifacts for step package",
        policy=lambda e: e.policy(artifacts_from={"package": ["test"]}),
    ),
    Case(
        "policy signed by another key",
        "failed to verify policy signature: could not verify policy: no valid signatures",
        policy_signer=lambda e: e.fail_key,
    ),
]


@pytest.mark.parametrize("version", NAMES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tampering_fails_with_reason(
    case: Case,
    version: str,
    e2e: E2E,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every tampering fails, for the same reason, under every release profile."""
    paths = write_case(
        tmp_path,
        e2e,
        policy=case.policy(e2e) if case.policy else None,
        envelopes=case.envelopes(e2e) if case.envelopes else None,
        policy_signer=case.policy_signer(e2e) if case.policy_signer else None,
    )
    res = library_verify(e2e, paths, version=version)
    assert not res.passed
    assert any(case.reason in r for r in res.reasons), res.reasons
    if case.caused_by:
        assert any(case.caused_by in r for r in res.reasons), res.reasons
    code, out, _ = run_cli(cli_args(paths, *case.extra, "--witness-version", version), monkeypatch, capsys)
    assert code == 1
    assert out.startswith("Verification failed\n")
    assert case.reason in out
    assert "failed to verify policy" in out


def test_unknown_digest_name_is_a_load_error(
    e2e: E2E, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    envs = e2e.envelopes()

    def edit(stmt: dict[str, Any]) -> None:
        for att in stmt["predicate"]["attestations"]:
            if att["type"].endswith("/material/v0.1"):
                first = next(iter(att["attestation"].values()))
                first["sha512"] = first.pop("sha256")

    envs["build"] = resign(envs["build"], e2e.build_key, edit)
    paths = write_case(tmp_path, e2e, envelopes=envs)
    with pytest.raises(InputError, match="unsupported hash function: sha512"):
        SourceCollection.load(paths["build"].read_bytes(), str(paths["build"]))
    code, out, err = run_cli(cli_args(paths), monkeypatch, capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"error: {paths['build']}:") and "unsupported hash function: sha512" in err
    assert len(err.strip().splitlines()) == 1


def test_unsigned_policy_needs_allow_unsigned(
    e2e: E2E, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = (json.dumps(e2e.policy(), indent=2) + "\n").encode()
    paths = write_case(tmp_path, e2e, policy=bare)
    res = library_verify(e2e, paths)
    assert not res.passed and any("no signatures in dsse envelope" in r for r in res.reasons)
    code, out, _ = run_cli(cli_args(paths), monkeypatch, capsys)
    assert code == 1 and "no signatures in dsse envelope" in out
    assert library_verify(e2e, paths, allow_unsigned=True).passed
    code, out, _ = run_cli(cli_args(paths, "--allow-unsigned-policy"), monkeypatch, capsys)
    assert code == 0, out


def _x509_case(e2e: E2E, emails: list[str], *, with_tsa: bool) -> tuple[dict[str, Any], dict[str, Envelope]]:
    pki = e2e.pki
    leaf = pki.leaf_signer(41, email="builder@acme.example")
    envs = e2e.envelopes()
    envs["build"] = resign(envs["build"], leaf, lambda s: None, timestamper=pki.timestamper())
    root_functionary = {
        "type": "root",
        "certConstraint": {
            "commonname": "",
            "dnsnames": [],
            "emails": emails,
            "organizations": [],
            "uris": [],
            "roots": ["acme-root"],
            "extensions": {"issuer": "https://accounts.example.*"},
        },
    }
    pol = e2e.policy(
        functionaries={"build": [root_functionary], "package": [e2e.package_key.verifier()]},
        roots=pki.roots_json(),
        timestamp_authorities=pki.tsa_json() if with_tsa else None,
    )
    return pol, envs


def test_x509_functionary_with_constraints_and_timestamps(
    e2e: E2E, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the leaf expired long ago; a TSA timestamp inside its validity makes it verify
    pol, envs = _x509_case(e2e, ["builder@acme.example"], with_tsa=True)
    paths = write_case(tmp_path, e2e, policy=pol, envelopes=envs)
    res = library_verify(e2e, paths, now=NOW)
    assert res.passed, res.reasons
    assert res.steps["build"].passed[0].keyids == (
        e2e.pki.leaf_signer(41, email="builder@acme.example").keyid,
    )
    code, out, _ = run_cli(cli_args(paths), monkeypatch, capsys)
    assert code == 0, out

    # constraint on another email: the functionary does not match
    pol, envs = _x509_case(e2e, ["someone-else@acme.example"], with_tsa=True)
    paths = write_case(tmp_path, e2e, policy=pol, envelopes=envs)
    res = library_verify(e2e, paths, now=NOW)
    assert not res.passed
    assert (
        "collection rejected: build, Reason: no verifiers matched with allowed functionaries for step build"
        in res.reasons
    )
    code, out, _ = run_cli(cli_args(paths), monkeypatch, capsys)
    assert code == 1 and "no verifiers matched with allowed functionaries for step build" in out

    # without timestampauthorities the chain is checked now, after the leaf expired
    pol, envs = _x509_case(e2e, ["builder@acme.example"], with_tsa=False)
    paths = write_case(tmp_path, e2e, policy=pol, envelopes=envs)
    res = library_verify(e2e, paths, now=NOW)
    assert not res.passed
    assert any("certificate has expired or is not yet valid" in r for r in res.reasons), res.reasons


def test_x509_functionary_constraint_texts(e2e: E2E, tmp_path: Path) -> None:
    """The per-verifier error carries go-witness's constraint texts (logged as warnings by witness)."""
    from witness_evals.witness.constraints import validate_functionary
    from witness_evals.witness.policy import parse_policy, trust_bundles

    pol, envs = _x509_case(e2e, ["someone-else@acme.example"], with_tsa=True)
    policy, _ = parse_policy(json.dumps(pol).encode())
    from witness_evals.witness.dsse import verify_envelope
    from witness_evals.witness.x509 import load_certificate

    tsa = [load_certificate(r.certificate) for r in policy.timestamp_authorities.values()]
    bundles = trust_bundles(policy.roots)
    passed = verify_envelope(
        envs["build"],
        [],
        roots=[b.root for b in bundles.values()],
        intermediates=[],
        timestamp_authorities=tsa,
        now=NOW,
    )
    err = validate_functionary(policy.steps["build"].functionaries[0], passed[0], trust_bundles=bundles)
    assert err is not None and "cert failed constraints check" in err
    assert "cert has an unexpected email builder@acme.example" in err


def test_x509_signed_policy_with_cli_constraints(
    e2e: E2E, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--policy-ca-roots` + `--policy-timestamp-servers` (CA files) + `--policy-emails` (default `*`)."""
    from witness_evals.witness import x509

    pki = e2e.pki
    signer = pki.leaf_signer(42, email="security@acme.example")
    env = simulate.sign_policy(e2e.policy(), signer, timestamper=pki.timestamper())
    paths = write_case(tmp_path, e2e, policy=env)
    (tmp_path / "root.pem").write_bytes(x509.cert_pem(pki.root))
    (tmp_path / "tsa.pem").write_bytes(x509.cert_pem(pki.tsa_root))
    base = ["verify", "-p", str(paths["policy"]), "-f", str(paths["artifact"])]
    base += [
        "-a",
        str(paths["build"]),
        "-a",
        str(paths["package"]),
        "--policy-ca-roots",
        str(tmp_path / "root.pem"),
    ]
    code, out, _ = run_cli(
        [*base, "--policy-timestamp-servers", str(tmp_path / "tsa.pem")], monkeypatch, capsys
    )
    assert code == 0, out
    code, out, _ = run_cli(
        [
            *base,
            "--policy-timestamp-servers",
            str(tmp_path / "tsa.pem"),
            "--policy-emails",
            "security@acme.example",
        ],
        monkeypatch,
        capsys,
    )
    assert code == 0, out
    code, out, _ = run_cli(
        [
            *base,
            "--policy-timestamp-servers",
            str(tmp_path / "tsa.pem"),
            "--policy-emails",
            "other@acme.example",
        ],
        monkeypatch,
        capsys,
    )
    assert code == 1 and "failed to verify policy signature: no policy verifiers passed verification" in out
    # without the TSA the policy signer's certificate is checked now, long after it expired
    code, out, _ = run_cli(base, monkeypatch, capsys)
    assert code == 1 and "certificate has expired or is not yet valid" in out
