"""product: files created or changed by the command, with mime type (go-witness attestation/product).

On the wire the predicate is the bare map `{"<path>": {"mime_type": ..., "digest": DigestSet}}`.
"""

from __future__ import annotations

import random
from typing import Any

from witness_evals.witness.attestors.base import AttestorSpec, DigestSet, Products
from witness_evals.witness.attestors.gotypes import DIGEST, STR, F, MapT, S
from witness_evals.witness.attestors.scenario import Scenario

TYPE = "https://witness.dev/attestations/product/v0.1"
PRODUCT = S("attestation.Product", F("mime_type", STR), F("digest", DIGEST))
SHAPE = MapT(PRODUCT)
SHAPE.go_name = "map[string]attestation.Product"
DIRECTORY_MIME = "text/directory"


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    return s.products()


def products(predicate: Any) -> dict[str, DigestSet]:
    """path -> DigestSet of a product predicate (for artifactsFrom)."""
    norm = SPEC.normalize(predicate) or {}
    return {path: p["digest"] or {} for path, p in norm.items()}


def subjects(pred: dict[str, Any] | None, _products: Products | None) -> dict[str, DigestSet]:
    """`file:<path>` per product (`dir:<path>` for dirhash-collapsed directories)."""
    out: dict[str, DigestSet] = {}
    for path, p in (pred or {}).items():
        prefix = "dir" if p["mime_type"] == DIRECTORY_MIME else "file"
        out[f"{prefix}:{path}"] = p["digest"] or {}
    return out


SPEC = AttestorSpec(
    name="product",
    type=TYPE,
    run_type="product",
    selection="always",
    builder=build,
    shape=SHAPE,
    schema_wrapper="Products",
    subjecter=subjects,
)
