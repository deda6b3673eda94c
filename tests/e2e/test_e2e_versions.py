"""End to end, per release profile: the trust behaviours that differ between witness releases
(x509 policy signers, failed policy verifiers, RFC 3161 checks, the v0.10.x CLI and library bugs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.x509.oid import ExtendedKeyUsageOID
from e2e_world import E2E, cli_args, resign, run_cli, write_case
from test_e2e_pipeline import _x509_case

from witness_evals.witness import crypto, simulate, timestamp, versions, x509
from witness_evals.witness.timestamp import TimestampError, verify_timestamp
from witness_evals.witness.verify import PolicySignerConstraints, SourceCollection, VerifyOptions, verify
from witness_evals.witness.versions import NAMES

NOW = datetime(2026, 1, 15, tzinfo=UTC)


def _collections(envs: dict[str, Any], version: str) -> list[SourceCollection]:
    return [SourceCollection.load(e.dumps().encode(), f"{n}.json", version=version) for n, e in envs.items()]


@pytest.mark.parametrize("version", NAMES)
def test_x509_policy_signer_needs_configured_constraints_in_the_library(e2e: E2E, version: str) -> None:
    pki = e2e.pki
    env = simulate.sign_policy(
        e2e.policy(), pki.leaf_signer(42, email="security@acme.example"), timestamper=pki.timestamper()
    )
    opts = VerifyOptions(
        version=version, policy_roots=[pki.root], policy_timestamp_authorities=[pki.tsa_root], now=NOW
    )
    cols = _collections(e2e.envelopes(), version)
    res = verify(env, cols, [e2e.pipe.artifact_digest], opts)
    if versions.get(version).x509_policy_signer_needs_constraints:
        assert not res.passed
        assert res.reasons == ["failed to verify policy signature: no policy verifiers passed verification"]
    else:
        assert res.passed, res.reasons
    # what the CLI passes (`--policy-*` default `*`) works in every release
    cli = opts.but(policy_constraints=PolicySignerConstraints())
    assert verify(env, cols, [e2e.pipe.artifact_digest], cli).passed


@pytest.mark.parametrize("version", NAMES)
def test_failed_policy_key_verifier_no_longer_confers_trust(
    version: str,
    e2e: E2E,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Policy signed by a certificate that fails `--policy-emails`, plus a `-k` key that did not sign it."""
    pki = e2e.pki
    env = simulate.sign_policy(
        e2e.policy(), pki.leaf_signer(42, email="security@acme.example"), timestamper=pki.timestamper()
    )
    paths = write_case(tmp_path, e2e, policy=env)
    (tmp_path / "root.pem").write_bytes(x509.cert_pem(pki.root))
    (tmp_path / "tsa.pem").write_bytes(x509.cert_pem(pki.tsa_root))
    args = cli_args(paths, "--policy-ca-roots", str(tmp_path / "root.pem"))
    args += ["--policy-timestamp-servers", str(tmp_path / "tsa.pem"), "--policy-emails", "other@acme.example"]
    code, out, _ = run_cli([*args, "--witness-version", version], monkeypatch, capsys)
    if versions.get(version).failed_policy_verifiers_ignored:
        assert code == 1
        assert "failed to verify policy signature: no policy verifiers passed verification" in out
    else:
        assert code == 0, out


def _weak_tsa(e2e: E2E, *, eku: bool) -> timestamp.Timestamper:
    """A TSA certificate whose timeStamping EKU is not critical (`eku`), or that has no EKU at all."""
    pki = e2e.pki
    key = crypto.generate_private_key("ecdsa-p256", seed=77)
    root_key = crypto.generate_private_key("ecdsa-p256", seed=33)  # the Acme TSA root's key
    leaf = x509.make_leaf(
        key.public_key(),
        pki.tsa_root,
        root_key,
        not_before=pki.start - timedelta(days=1),
        not_after=pki.start + timedelta(days=3650),
        common_name="Acme TSA (weak)",
        ext_key_usage=(ExtendedKeyUsageOID.TIME_STAMPING,) if eku else (),
    )
    return timestamp.Timestamper(key, leaf, pki.start + timedelta(minutes=5))


@pytest.mark.parametrize("version", NAMES)
def test_rfc3161_timestamping_eku_is_enforced(e2e: E2E, version: str) -> None:
    pol, envs = _x509_case(e2e, ["builder@acme.example"], with_tsa=True)
    leaf = e2e.pki.leaf_signer(41, email="builder@acme.example")
    envs["build"] = resign(envs["build"], leaf, lambda s: None, timestamper=_weak_tsa(e2e, eku=True))
    env = simulate.sign_policy(pol, e2e.policy_key)
    res = verify(
        env,
        _collections(envs, version),
        [e2e.pipe.artifact_digest],
        VerifyOptions(version=version, policy_verifiers=[e2e.policy_key.verifier()], now=NOW),
    )
    if versions.get(version).tsa_requires_eku:
        assert not res.passed
        assert any("no valid timestamps found" in r for r in res.reasons), res.reasons
    else:
        assert res.passed, res.reasons


def test_rfc3161_error_texts(e2e: E2E) -> None:
    pki = e2e.pki
    good = pki.timestamper()
    token = good(b"sig")
    assert verify_timestamp(token, b"sig", [pki.tsa_root], require_eku=True) == good.at
    weak = _weak_tsa(e2e, eku=True)
    token = weak(b"sig")
    assert verify_timestamp(token, b"sig", [pki.tsa_root]) == weak.at  # before witness v0.12
    with pytest.raises(TimestampError, match=versions.TSA_EKU_NOT_CRITICAL):
        verify_timestamp(token, b"sig", [pki.tsa_root], require_eku=True)
    none = _weak_tsa(e2e, eku=False)
    with pytest.raises(TimestampError, match="only EKU"):
        verify_timestamp(none(b"sig"), b"sig", [pki.tsa_root], require_eku=True)


@pytest.mark.parametrize("version", NAMES)
def test_v010_cli_trusts_policy_ca_intermediates_as_roots(
    version: str,
    e2e: E2E,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """witness v0.10.x cmd/verify.go:146: `--policy-ca-intermediates` replaces the roots, so a policy
    signed under an intermediate of an UNTRUSTED root passes."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    far = start + timedelta(days=36500)
    rogue_root_key = crypto.generate_private_key("ecdsa-p256", seed=90)
    rogue_root = x509.make_ca("Rogue Root", rogue_root_key, not_before=start, not_after=far)
    inter_key = crypto.generate_private_key("ecdsa-p256", seed=91)
    inter = x509.make_ca(
        "Rogue Intermediate",
        inter_key,
        not_before=start,
        not_after=far,
        issuer=rogue_root,
        issuer_key=rogue_root_key,
    )
    leaf_key = crypto.generate_private_key("ecdsa-p256", seed=92)
    leaf = x509.make_leaf(
        leaf_key.public_key(), inter, inter_key, not_before=start, not_after=far, emails=["x@rogue.example"]
    )
    env = simulate.sign_policy(e2e.policy(), crypto.Signer(leaf_key, leaf, [inter]))
    paths = write_case(tmp_path, e2e, policy=env)
    (tmp_path / "root.pem").write_bytes(x509.cert_pem(e2e.pki.root))
    (tmp_path / "inter.pem").write_bytes(x509.cert_pem(inter))
    args = ["verify", "-p", str(paths["policy"]), "-f", str(paths["artifact"])]
    args += ["-a", str(paths["build"]), "-a", str(paths["package"])]
    args += [
        "--policy-ca-roots",
        str(tmp_path / "root.pem"),
        "--policy-ca-intermediates",
        str(tmp_path / "inter.pem"),
    ]
    code, out, _ = run_cli([*args, "--witness-version", version], monkeypatch, capsys)
    if versions.get(version).policy_ca_intermediates_replace_roots:
        assert code == 0, out
    else:
        assert code == 1 and "x509: certificate signed by unknown authority" in out


@pytest.mark.parametrize("version", NAMES)
def test_v010_ignores_the_intermediates_of_policy_roots(e2e: E2E, version: str) -> None:
    """go-witness v0.9.1 policyverify.go:179 drops `roots.<id>.intermediates`: a collection whose signature
    does not carry its intermediate no longer chains."""
    pki = e2e.pki
    pol, envs = _x509_case(e2e, ["builder@acme.example"], with_tsa=True)
    full = pki.leaf_signer(41, email="builder@acme.example")
    bare = crypto.Signer(full.key, certificate=full.certificate)
    envs["build"] = resign(envs["build"], bare, lambda s: None, timestamper=pki.timestamper())
    res = verify(
        simulate.sign_policy(pol, e2e.policy_key),
        _collections(envs, version),
        [e2e.pipe.artifact_digest],
        VerifyOptions(version=version, policy_verifiers=[e2e.policy_key.verifier()], now=NOW),
    )
    assert res.passed is versions.get(version).policy_root_intermediates, res.reasons
