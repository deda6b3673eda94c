"""vex: an OpenVEX document found among the products (go-witness attestation/vex)."""

from __future__ import annotations

import json
import random
from typing import Any

from witness_evals.common.jsonio import dumps_go
from witness_evals.witness.attestors.artifacts import vex_document
from witness_evals.witness.attestors.base import AttestorSpec
from witness_evals.witness.attestors.gotypes import DIGEST, OBJ, STR, F, S
from witness_evals.witness.attestors.scenario import Scenario
from witness_evals.witness.digests import sha256_hex

TYPE = "https://openvex.dev/ns"
SHAPE = S(
    "vex.Attestor", F("vexDocument", OBJ), F("reportFileName", STR, True), F("reportDigestSet", DIGEST, True)
)


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    raw = s.files_after.get("vex.json") or dumps_go(vex_document(s)).encode()
    return {
        "vexDocument": json.loads(raw),
        "reportFileName": "vex.json",
        "reportDigestSet": {"sha256": sha256_hex(raw)},
    }


SPEC = AttestorSpec(
    name="vex", type=TYPE, run_type="postproduct", selection="opt-in", builder=build, shape=SHAPE
)
