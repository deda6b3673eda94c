"""sbom: the SPDX or CycloneDX JSON document found among the products (go-witness attestation/sbom).

The predicate IS the raw document (no `SBOMDocument` wrapper), and the attestation's type in a
collection is `https://spdx.dev/Document` or `https://cyclonedx.org/bom`, not the registered
`https://witness.dev/attestations/sbom/v0.1` (all three resolve to this attestor).
"""

from __future__ import annotations

import json
import random
from typing import Any

from witness_evals.witness.attestors.artifacts import sbom_bytes
from witness_evals.witness.attestors.base import AttestorSpec, DigestSet, Products, sha256_of
from witness_evals.witness.attestors.gotypes import ANY
from witness_evals.witness.attestors.scenario import Scenario
from witness_evals.witness.attestors.workdir import CDX_MIME, SPDX_MIME

TYPE = "https://witness.dev/attestations/sbom/v0.1"
SPDX_TYPE = "https://spdx.dev/Document"
CYCLONEDX_TYPE = "https://cyclonedx.org/bom"


def sbom_type(document: Any) -> str:
    """Predicate type of an SBOM document: SPDX, CycloneDX, or the registered type if neither."""
    if isinstance(document, dict):
        if "spdxVersion" in document:
            return SPDX_TYPE
        if document.get("bomFormat") == "CycloneDX" or str(document.get("$schema", "")).startswith(
            "http://cyclonedx.org"
        ):
            return CYCLONEDX_TYPE
    return TYPE


def build(rng: random.Random, s: Scenario) -> Any:
    path = s.sbom_path()
    raw = s.files_after[path] if path else sbom_bytes(s, rng.choice(("spdx", "cyclonedx")))
    return json.loads(raw)


def subjects(doc: Any, products: Products | None) -> dict[str, DigestSet]:
    """`name:`/`version:` from the document, plus `file:<path>` of the SBOM product when `products` is given."""
    out: dict[str, DigestSet] = {}
    kind = sbom_type(doc)
    if products:
        mime = SPDX_MIME if kind == SPDX_TYPE else CDX_MIME
        for path in sorted(products):
            p = products[path]
            if isinstance(p, dict) and p.get("mime_type") == mime:
                out[f"file:{path}"] = dict(p.get("digest") or {})
                break
    if kind == SPDX_TYPE and isinstance(doc.get("name"), str) and doc["name"]:
        out[f"name:{doc['name']}"] = sha256_of(doc["name"])
    elif kind == CYCLONEDX_TYPE:
        comp = (doc.get("metadata") or {}).get("component") or {}
        if isinstance(comp, dict):
            if isinstance(comp.get("name"), str) and comp["name"]:
                out[f"name:{comp['name']}"] = sha256_of(comp["name"])
            if isinstance(comp.get("version"), str) and comp["version"]:
                out[f"version:{comp['version']}"] = sha256_of(comp["version"])
    return out


SPEC = AttestorSpec(
    name="sbom",
    type=TYPE,
    aliases=(SPDX_TYPE, CYCLONEDX_TYPE),
    run_type="postproduct",
    selection="opt-in",
    exporter=True,
    builder=build,
    shape=ANY,
    schema_wrapper="SBOMDocument",
    subjecter=subjects,
    type_of=sbom_type,
)
