"""oci: an image tarball written by `docker save` found among the products (go-witness attestation/oci)."""

from __future__ import annotations

import base64
import json
import random
from typing import Any

from witness_evals.witness.attestors.base import AttestorSpec, DigestSet, Products, sha256_of
from witness_evals.witness.attestors.gotypes import BYTES, DIGEST, STR, STRS, F, ListT, S
from witness_evals.witness.attestors.scenario import Scenario
from witness_evals.witness.digests import sha256_hex

TYPE = "https://witness.dev/attestations/oci/v0.1"
MANIFEST = S("oci.Manifest", F("Config", STR), F("RepoTags", STRS), F("Layers", STRS))
SHAPE = S(
    "oci.Attestor",
    F("tardigest", DIGEST),
    F("manifest", ListT(MANIFEST)),
    F("imagetags", STRS),
    F("diffids", ListT(DIGEST)),
    F("imageid", DIGEST),
    F("manifestraw", BYTES),
    F("manifestdigest", DIGEST),
)


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    layers = [sha256_hex(f"{s.token}:layer{i}") for i in range(rng.randint(1, 6))]
    config = sha256_hex(f"{s.token}:config")
    manifest = [
        {
            "Config": f"blobs/sha256/{config}",
            "RepoTags": [s.image],
            "Layers": [f"blobs/sha256/{h}" for h in layers],
        }
    ]
    raw = json.dumps(manifest, separators=(",", ":")).encode() + b"\n"
    return {
        "tardigest": {"sha256": sha256_hex(f"{s.token}:tar")},
        "manifest": manifest,
        "imagetags": [s.image],
        "diffids": [{"sha256": sha256_hex(f"{s.token}:diff{i}")} for i in range(len(layers))],
        "imageid": {"sha256": config},
        "manifestraw": base64.b64encode(raw).decode(),
        "manifestdigest": {"sha256": sha256_hex(raw)},
    }


def subjects(pred: dict[str, Any], _products: Products | None) -> dict[str, DigestSet]:
    out: dict[str, DigestSet] = {}
    for key in ("manifestdigest", "tardigest", "imageid"):
        ds = pred[key] or {}
        out[f"{key}:{ds.get('sha256', '')}"] = ds
    for tag in pred["imagetags"] or []:
        out[f"imagetag:{tag}"] = sha256_of(tag)
    for i, ds in enumerate(pred["diffids"] or []):
        ds = ds or {}
        out[f"layerdiffid{i:02d}:{ds.get('sha256', '')}"] = ds
    return out


SPEC = AttestorSpec(
    name="oci",
    type=TYPE,
    run_type="postproduct",
    selection="opt-in",
    builder=build,
    shape=SHAPE,
    subjecter=subjects,
)
