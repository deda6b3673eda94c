"""lockfiles: contents of well-known dependency lock files (go-witness attestation/lockfiles)."""

from __future__ import annotations

import random
from typing import Any

from witness_evals.witness.attestors.base import AttestorSpec, DigestSet, Products
from witness_evals.witness.attestors.gotypes import DIGEST, STR, F, ListT, S
from witness_evals.witness.attestors.scenario import Scenario
from witness_evals.witness.attestors.workdir import LOCKFILE_NAMES
from witness_evals.witness.digests import sha256_hex

TYPE = "https://witness.dev/attestations/lockfiles/v0.1"
LOCKFILE = S("lockfiles.LockfileInfo", F("filename", STR), F("content", STR), F("digest", DIGEST))
SHAPE = S("lockfiles.Attestor", F("lockfiles", ListT(LOCKFILE)))


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    """Top-level lock files only (filepath.Glob of the bare names in the process's cwd)."""
    found = [name for name in LOCKFILE_NAMES if name in s.files_before]
    return {
        "lockfiles": [
            {
                "filename": n,
                "content": s.files_before[n].decode("utf-8", "replace"),
                "digest": {"sha256": sha256_hex(s.files_before[n])},
            }
            for n in found
        ]
    }


def subjects(pred: dict[str, Any], _products: Products | None) -> dict[str, DigestSet]:
    return {f"file:{lf['filename']}": lf["digest"] or {} for lf in pred["lockfiles"] or [] if lf}


SPEC = AttestorSpec(
    name="lockfiles",
    type=TYPE,
    run_type="prematerial",
    selection="opt-in",
    builder=build,
    shape=SHAPE,
    subjecter=subjects,
)
