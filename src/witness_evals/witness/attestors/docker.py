"""docker: images built with `docker buildx build --metadata-file` (go-witness attestation/docker)."""

from __future__ import annotations

import json
import random
from typing import Any

from witness_evals.witness.attestors.artifacts import docker_metadata
from witness_evals.witness.attestors.base import AttestorSpec, DigestSet, Products, sha256_of
from witness_evals.witness.attestors.gotypes import DIGEST, STR, STRS, F, ListT, MapT, S
from witness_evals.witness.attestors.scenario import Scenario

TYPE = "https://witness.dev/attestations/docker/v0.1"

MATERIAL = S("docker.Material", F("uri", STR), F("architecture", STR), F("digest", DIGEST))
PRODUCT = S(
    "docker.DockerProduct",
    F("materials", MapT(ListT(MATERIAL))),
    F("imagereferences", STRS),
    F("imagedigest", DIGEST),
)
SHAPE = S("docker.Attestor", F("products", MapT(PRODUCT)))


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    raw = s.files_after.get("metadata.json")
    meta = json.loads(raw) if raw else docker_metadata(s)
    digest = meta["containerimage.digest"].removeprefix("sha256:")
    arch = f"linux/{s.arch}"
    mats = [
        {"uri": m["uri"], "architecture": arch, "digest": {"sha256": m["digest"]["sha256"]}}
        for m in meta["buildx.build.provenance"]["materials"]
    ]
    return {
        "products": {
            digest: {
                "materials": {arch: mats},
                "imagereferences": [meta["image.name"]],
                "imagedigest": {"sha256": digest},
            }
        }
    }


def subjects(pred: dict[str, Any], _products: Products | None) -> dict[str, DigestSet]:
    out: dict[str, DigestSet] = {}
    for p in (pred["products"] or {}).values():
        img = p["imagedigest"] or {}
        out[f"imagedigest:{img.get('sha256', '')}"] = img
        for ref in p["imagereferences"] or []:
            out[f"imagereference:{ref}"] = sha256_of(ref)
        for mats in (p["materials"] or {}).values():
            for m in mats or []:
                d = m["digest"] or {}
                out[f"materialdigest:{d.get('sha256', '')}"] = d
                out[f"materialuri:{m['uri']}"] = sha256_of(m["uri"])
    return out


SPEC = AttestorSpec(
    name="docker",
    type=TYPE,
    run_type="postproduct",
    selection="opt-in",
    builder=build,
    shape=SHAPE,
    subjecter=subjects,
)
