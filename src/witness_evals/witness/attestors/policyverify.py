"""policyverify: the SLSA verification summary `witness verify` produces internally (never with `run`)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from witness_evals.witness.attestors.base import AttestorSpec, DigestSet, Products
from witness_evals.witness.attestors.gotypes import DIGEST, STR, TIME, F, ListT, S
from witness_evals.witness.attestors.scenario import Scenario
from witness_evals.witness.digests import sha256_hex

TYPE = "https://slsa.dev/verification_summary/v1"
POLICY_TYPE = "https://witness.testifysec.com/policy/v0.1"
RESOURCE = S("policyverify.ResourceDescriptor", F("uri", STR), F("digest", DIGEST))
SHAPE = S(
    "policyverify.Attestor",
    F("verifier", S("policyverify.Verifier", F("id", STR))),
    F("timeVerified", TIME),
    F("policy", RESOURCE),
    F("inputAttestations", ListT(RESOURCE)),
    F("verificationResult", STR),
)


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    when = (s.end_time + timedelta(minutes=rng.randint(1, 600))).replace(microsecond=0)
    inputs = [f"{step}.attestation.json" for step in ("build", "test", "package")[: rng.randint(1, 3)]]
    return {
        "verifier": {"id": "witness"},
        "timeVerified": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "policy": {"uri": POLICY_TYPE, "digest": {"sha256": sha256_hex(f"{s.token}:policy")}},
        "inputAttestations": [{"uri": u, "digest": {"sha256": sha256_hex(f"{s.token}:{u}")}} for u in inputs],
        "verificationResult": "PASSED" if rng.random() < 0.8 else "FAILED",
    }


def subjects(pred: dict[str, Any], _products: Products | None) -> dict[str, DigestSet]:
    """Only the policy subject is derivable from the predicate; `artifact:<digest>` subjects come from
    the verify call's subject digests."""
    return {f"policy:{POLICY_TYPE}": pred["policy"]["digest"] or {}}


SPEC = AttestorSpec(
    name="policyverify",
    type=TYPE,
    run_type="verify",
    selection="verify-only",
    builder=build,
    shape=SHAPE,
    subjecter=subjects,
)
