"""sarif: a SARIF report found among the products (go-witness attestation/sarif)."""

from __future__ import annotations

import json
import random
from typing import Any

from witness_evals.witness.attestors.artifacts import sarif_report
from witness_evals.witness.attestors.base import AttestorSpec
from witness_evals.witness.attestors.gotypes import DIGEST, OBJ, STR, F, S
from witness_evals.witness.attestors.scenario import Scenario
from witness_evals.witness.digests import sha256_hex

TYPE = "https://witness.dev/attestations/sarif/v0.1"
SHAPE = S("sarif.Attestor", F("report", OBJ), F("reportFileName", STR), F("reportDigestSet", DIGEST))


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    raw = s.files_after.get("results.sarif") or (json.dumps(sarif_report(s), indent=2) + "\n").encode()
    return {
        "report": json.loads(raw),
        "reportFileName": "results.sarif",
        "reportDigestSet": {"sha256": sha256_hex(raw)},
    }


SPEC = AttestorSpec(
    name="sarif", type=TYPE, run_type="postproduct", selection="opt-in", builder=build, shape=SHAPE
)
