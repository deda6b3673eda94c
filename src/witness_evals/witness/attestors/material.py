"""material: digests of every file in the working directory before the command (the Materialer).

On the wire the predicate is the bare map `{"<path>": DigestSet}` (no `Materials` wrapper).
"""

from __future__ import annotations

import random
from typing import Any

from witness_evals.witness.attestors.base import AttestorSpec, DigestSet
from witness_evals.witness.attestors.gotypes import DIGEST, MapT
from witness_evals.witness.attestors.scenario import Scenario

TYPE = "https://witness.dev/attestations/material/v0.1"
SHAPE = MapT(DIGEST)
SHAPE.go_name = "map[string]cryptoutil.DigestSet"


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    return s.materials()


def materials(predicate: Any) -> dict[str, DigestSet]:
    """path -> DigestSet of a material predicate (checked like go-witness's UnmarshalJSON)."""
    return SPEC.normalize(predicate) or {}


SPEC = AttestorSpec(
    name="material",
    type=TYPE,
    run_type="material",
    selection="always",
    builder=build,
    shape=SHAPE,
    schema_wrapper="Materials",
)
