"""link: an in-toto Link v0.3 predicate, the protobuf struct marshalled with encoding/json.

`environment`/`byproducts` are protobuf Structs, so they serialize as
`{"fields": {"K": {"Kind": {"StringValue": "v"}}}}`. Reading that back with encoding/json fails
(`Kind` is a Go interface), which `check_wire` reports: see gotypes.PB_VALUE.
"""

from __future__ import annotations

import random
from typing import Any

from witness_evals.witness.attestors import environment
from witness_evals.witness.attestors.base import AttestorSpec, product_subjects
from witness_evals.witness.attestors.gotypes import (
    PB_STRUCT,
    RESOURCE_DESCRIPTOR,
    STR,
    STRS,
    F,
    ListT,
    S,
    pb_struct,
)
from witness_evals.witness.attestors.scenario import Scenario

TYPE = "https://in-toto.io/attestation/link/v0.3"
SHAPE = S(
    "v0.Link",
    F("name", STR, True),
    F("command", STRS, True),
    F("materials", ListT(RESOURCE_DESCRIPTOR), True),
    F("byproducts", PB_STRUCT, True),
    F("environment", PB_STRUCT, True),
)


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    pred: dict[str, Any] = {"name": s.step, "command": list(s.command)}
    pred["materials"] = [{"name": path, "digest": ds} for path, ds in s.materials().items()]
    if rng.random() < 0.5:  # environment attestor ran too (e.g. `-a environment,git,link`)
        pred["environment"] = pb_struct(environment.obfuscate(dict(sorted(s.env.items()))))
    return pred


SPEC = AttestorSpec(
    name="link",
    type=TYPE,
    run_type="postproduct",
    selection="opt-in",
    exporter=True,
    builder=build,
    shape=SHAPE,
    subjecter=product_subjects("file"),
)
