"""omnitrail: an OmniTrail envelope mapping every path to its digests (go-witness attestation/omnitrail)."""

from __future__ import annotations

import random
from typing import Any

from witness_evals.witness.attestors.base import AttestorSpec
from witness_evals.witness.attestors.gotypes import STR, STRS, F, MapT, S
from witness_evals.witness.attestors.scenario import Scenario
from witness_evals.witness.digests import gitoid, sha1_hex, sha256_hex

TYPE = "https://witness.dev/attestations/omnitrail/v0.1"
POSIX = S(
    "omnitrail.Posix",
    *(
        F(k, STR, True)
        for k in (
            "atime",
            "ctime",
            "creation_time",
            "extended_attributes",
            "file_device_id",
            "file_flags",
            "file_inode",
            "file_system_id",
            "file_type",
            "hard_link_count",
            "mtime",
            "metadata_ctime",
            "owner_gid",
            "owner_uid",
            "permissions",
            "size",
        )
    ),
    pointer=True,
)
ELEMENT = S(
    "omnitrail.Element",
    F("type", STR),
    F("sha1", STR, True),
    F("sha256", STR, True),
    F("gitoid:sha1", STR, True),
    F("gitoid:sha256", STR, True),
    F("posix", POSIX, True),
)
HEADER = S("omnitrail.Header", F("features", MapT(S("omnitrail.Feature", F("algorithms", STRS, True)))))
ENVELOPE = S("omnitrail.Envelope", F("header", HEADER), F("mapping", MapT(ELEMENT)), pointer=True)
SHAPE = S("omnitrail.Attestor", F("Envelope", ENVELOPE))


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    root = s.env.get("PWD", f"/home/{s.username}/work/{s.project}")
    mapping: dict[str, Any] = {}
    dirs: dict[str, list[str]] = {}
    for path, data in sorted(s.files_before.items()):
        full = f"{root}/{path}"
        mapping[full] = {
            "type": "file",
            "sha1": sha1_hex(data),
            "sha256": sha256_hex(data),
            "gitoid:sha1": gitoid(data, "sha1"),
            "gitoid:sha256": gitoid(data, "sha256"),
        }
        parent = full.rsplit("/", 1)[0]
        while parent.startswith(root):
            dirs.setdefault(parent, []).append(full)
            parent = parent.rsplit("/", 1)[0]
    for d, members in dirs.items():
        listing = "".join(sorted(f"{mapping[m]['gitoid:sha1']} {m}\n" for m in members)).encode()
        mapping[d] = {
            "type": "directory",
            "sha1": sha1_hex(listing),
            "sha256": sha256_hex(listing),
            "gitoid:sha1": gitoid(listing, "sha1"),
            "gitoid:sha256": gitoid(listing, "sha256"),
        }
    features = {
        "sha1": {"algorithms": ["sha1"]},
        "sha256": {"algorithms": ["sha256"]},
        "gitoid": {"algorithms": ["sha1", "sha256"]},
    }
    return {
        "Envelope": {"header": {"features": features}, "mapping": {k: mapping[k] for k in sorted(mapping)}}
    }


SPEC = AttestorSpec(
    name="omnitrail", type=TYPE, run_type="prematerial", selection="opt-in", builder=build, shape=SHAPE
)
