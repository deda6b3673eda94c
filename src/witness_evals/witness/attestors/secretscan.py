"""secretscan: gitleaks scan of the products; secrets are recorded as digests only."""

from __future__ import annotations

import random
from typing import Any

from witness_evals.witness.attestors.base import AttestorSpec, product_subjects
from witness_evals.witness.attestors.gotypes import BOOL, DIGEST, FLOAT, INT, STR, STRS, F, ListT, S
from witness_evals.witness.attestors.scenario import Scenario
from witness_evals.witness.digests import sha256_hex

TYPE = "https://witness.dev/attestations/secretscan/v0.1"
FINDING = S(
    "secretscan.Finding",
    F("ruleId", STR),
    F("description", STR),
    F("location", STR),
    F("startLine", INT),
    F("secret", DIGEST, True),
    F("match", STR, True),
    F("entropy", FLOAT, True),
    F("encodingPath", STRS, True),
    F("locationApproximate", BOOL, True),
)
SHAPE = S("secretscan.Attestor", F("findings", ListT(FINDING)))
_RULES = (
    ("generic-api-key", "Detected a Generic API Key, potentially exposing access to various services."),
    (
        "aws-access-token",
        "Identified a pattern that may indicate AWS credentials, risking unauthorized cloud resource access.",
    ),
    (
        "github-pat",
        "Uncovered a GitHub Personal Access Token, potentially leading to unauthorized repository access.",
    ),
    (
        "private-key",
        "Identified a Private Key, which may compromise cryptographic security and sensitive data encryption.",
    ),
)


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    findings = []
    texts = [p for p in s.product_paths() if s.files_after[p][:4] not in (b"\x7fELF", b"PK\x03\x04")]
    if texts and rng.random() < 0.4:
        for _ in range(rng.randint(1, 2)):
            rule, desc = rng.choice(_RULES)
            secret = f"{rule}-{rng.getrandbits(64):016x}"
            finding: dict[str, Any] = {
                "ruleId": rule,
                "description": desc,
                # go-witness setProductLocation: "product:<path as in the products map>"
                "location": f"product:{rng.choice(texts)}",
                "startLine": rng.randint(1, 200),
                "secret": {"sha256": sha256_hex(secret)},
                "match": f'{rule.split("-")[0]}_key = "[SENSITIVE-VALUE]"',
                "entropy": round(rng.uniform(3.5, 5.5), 6),
            }
            if rng.random() < 0.3:
                finding["encodingPath"] = ["base64"]
                finding["locationApproximate"] = True
            findings.append(finding)
    # go-witness appends each file's findings to a nil slice: a clean scan marshals as `"findings": null`
    return {"findings": findings or None}


SPEC = AttestorSpec(
    name="secretscan",
    type=TYPE,
    run_type="postproduct",
    selection="opt-in",
    builder=build,
    shape=SHAPE,
    subjecter=product_subjects("product"),
)
