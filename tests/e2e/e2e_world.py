"""End-to-end world: keys, a signed build -> package pipeline and a signed policy, as files."""

from __future__ import annotations

import base64
import json
import random
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from witness_evals.common.jsonio import dumps_go
from witness_evals.witness import crypto, simulate, timestamp, x509
from witness_evals.witness.dsse import Envelope, sign_envelope
from witness_evals.witness.intoto import PAYLOAD_TYPE


@dataclass
class PKI:
    """A Fulcio-like CA (root + intermediate) and a TSA, all deterministic."""

    root: Any
    intermediate: Any
    inter_key: Any
    tsa_root: Any
    tsa_leaf: Any
    tsa_key: Any
    start: datetime = field(default_factory=lambda: datetime(2025, 6, 1, 12, 0, tzinfo=UTC))

    def leaf_signer(self, seed: int, *, email: str, minutes: int = 10) -> crypto.Signer:
        key = crypto.generate_private_key("ecdsa-p256", seed=seed)
        leaf = x509.make_leaf(
            key.public_key(),
            self.intermediate,
            self.inter_key,
            not_before=self.start,
            not_after=self.start + timedelta(minutes=minutes),
            emails=[email],
            extensions={"Issuer": "https://accounts.example.com"},
        )
        return crypto.Signer(key, certificate=leaf, intermediates=[self.intermediate])

    def timestamper(self, minutes_after_start: int = 5) -> timestamp.Timestamper:
        return timestamp.Timestamper(
            self.tsa_key, self.tsa_leaf, self.start + timedelta(minutes=minutes_after_start)
        )

    def roots_json(self) -> dict[str, Any]:
        return {
            "acme-root": {
                "certificate": b64(x509.cert_pem(self.root)),
                "intermediates": [b64(x509.cert_pem(self.intermediate))],
            }
        }

    def tsa_json(self) -> dict[str, Any]:
        return {"acme-tsa": {"certificate": b64(x509.cert_pem(self.tsa_root))}}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass
class E2E:
    build_key: crypto.Signer
    package_key: crypto.Signer
    policy_key: crypto.Signer
    fail_key: crypto.Signer
    pipe: simulate.Pipeline
    pki: PKI

    def policy(self, **kw: Any) -> dict[str, Any]:
        funcs = kw.pop(
            "functionaries", {"build": [self.build_key.verifier()], "package": [self.package_key.verifier()]}
        )
        return simulate.policy_for(self.pipe, funcs, **kw)

    def envelopes(self) -> dict[str, Envelope]:
        return dict(self.pipe.envelopes)


def resign(env: Envelope, signer: crypto.Signer, edit: Any, **kw: Any) -> Envelope:
    """Decode the statement, let `edit(statement_json)` change it, and sign it again."""
    stmt = json.loads(env.payload)
    edit(stmt)
    return sign_envelope(dumps_go(stmt).encode(), PAYLOAD_TYPE, [signer], **kw)


def write_case(
    tmp: Path,
    e2e: E2E,
    *,
    policy: dict[str, Any] | bytes | Envelope | None = None,
    envelopes: dict[str, Envelope] | None = None,
    policy_signer: crypto.Signer | None = None,
) -> dict[str, Path]:
    """Write keys, the signed policy, attestations and the artifact like witness's test.sh does."""
    paths: dict[str, Path] = {}
    (tmp / "policypub.pem").write_bytes(e2e.policy_key.verifier().public_pem())
    paths["pub"] = tmp / "policypub.pem"
    pol = e2e.policy() if policy is None else policy
    if isinstance(pol, Envelope):
        text = pol.dumps() + "\n"
    elif isinstance(pol, bytes):
        text = pol.decode()
    else:
        (tmp / "policy.json").write_text(json.dumps(pol, indent=2) + "\n")
        text = simulate.sign_policy(pol, policy_signer or e2e.policy_key).dumps() + "\n"
    (tmp / "policy-signed.json").write_text(text)
    paths["policy"] = tmp / "policy-signed.json"
    for name, env in (envelopes or e2e.envelopes()).items():
        p = tmp / f"{name}.attestation.json"
        p.write_text(env.dumps())
        paths[name] = p
    art = tmp / Path(e2e.pipe.artifact_path).name
    art.write_bytes(e2e.pipe.artifact)
    paths["artifact"] = art
    return paths


def cli_args(paths: dict[str, Path], *extra: str) -> list[str]:
    args = ["verify", "-p", str(paths["policy"]), "-k", str(paths["pub"]), "-f", str(paths["artifact"])]
    for name in ("build", "package"):
        if name in paths:
            args += ["-a", str(paths[name])]
    return args + list(extra)


def run_cli(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """Run `witness-evals <args>` in-process through the real entry point; (exit code, stdout, stderr)."""
    from witness_evals import cli

    monkeypatch.setattr(sys, "argv", ["witness-evals", *args])
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = int(exc.code or 0) if not isinstance(exc.code, str) else 1
    out, err = capsys.readouterr()
    return code, out, err


def make_e2e() -> E2E:
    keys = [crypto.Signer(crypto.generate_private_key("ed25519", seed=s)) for s in (21, 22, 23, 24)]
    pipe = simulate.pipeline(random.Random(2024), {"build": keys[0], "package": keys[1]})
    start = datetime(2025, 6, 1, 0, 0, tzinfo=UTC)
    far = start + timedelta(days=3650)
    root_key = crypto.generate_private_key("ecdsa-p256", seed=31)
    inter_key = crypto.generate_private_key("ecdsa-p256", seed=32)
    root = x509.make_ca("Acme Root CA", root_key, not_before=start, not_after=far)
    inter = x509.make_ca(
        "Acme Intermediate CA", inter_key, not_before=start, not_after=far, issuer=root, issuer_key=root_key
    )
    tsa_root_key = crypto.generate_private_key("ecdsa-p256", seed=33)
    tsa_key = crypto.generate_private_key("ecdsa-p256", seed=34)
    tsa_root = x509.make_ca("Acme TSA Root", tsa_root_key, not_before=start, not_after=far)
    tsa_leaf = x509.make_leaf(
        tsa_key.public_key(),
        tsa_root,
        tsa_root_key,
        not_before=start,
        not_after=far,
        common_name="Acme TSA",
        timestamping=True,
    )
    pki = PKI(root, inter, inter_key, tsa_root, tsa_leaf, tsa_key)
    return E2E(keys[0], keys[1], keys[2], keys[3], pipe, pki)
