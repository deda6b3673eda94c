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


FEATURES = {
    "directory": {"algorithms": ["gitoid:sha1", "gitoid:sha256"]},
    "file": {"algorithms": ["gitoid:sha1", "gitoid:sha256", "sha1", "sha256"]},
    "posix": {},
}
"""omnitrail-go's plugins: file (sorted algorithms), directory (ADG gitoids only) and posix (no algorithms)."""


def _gitoid(data: bytes, algo: str) -> str:
    """A gitoid as omnitrail-go writes it: the bare hex of git's blob hash (`GitOID.String()`)."""
    return gitoid(data, algo).rsplit(":", 1)[1]


def _posix(mode: str, uid: str, size: int = 0) -> dict[str, str]:
    """The posix plugin's fields: permissions, owner ids and (for a non-empty file) the size."""
    out = {"owner_gid": uid, "owner_uid": uid, "permissions": mode}
    if size:
        out["size"] = str(size)
    return out


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    root = s.env.get("PWD", f"/home/{s.username}/work/{s.project}")
    uid = "1001"
    mapping: dict[str, Any] = {}
    dirs: dict[str, list[str]] = {}
    for path, data in sorted(s.files_before.items()):
        full = f"{root}/{path}"
        mapping[full] = {
            "type": "file",
            "sha1": sha1_hex(data),
            "sha256": sha256_hex(data),
            "gitoid:sha1": _gitoid(data, "sha1"),
            "gitoid:sha256": _gitoid(data, "sha256"),
            "posix": _posix("-rw-r--r--", uid, len(data)),
        }
        parent = full.rsplit("/", 1)[0]
        while parent.startswith(root):
            dirs.setdefault(parent, []).append(full)
            parent = parent.rsplit("/", 1)[0]
    for d, members in dirs.items():
        # omnitrail-go derives a directory's gitoids from an OmniBOR tree of its members' gitoids; this
        # stands in for it with the same shape (bare hex of each hash)
        listing = "".join(sorted(f"{mapping[m]['gitoid:sha1']} {m}\n" for m in members)).encode()
        mapping[d] = {
            "type": "directory",
            "gitoid:sha1": _gitoid(listing, "sha1"),
            "gitoid:sha256": _gitoid(listing, "sha256"),
            "posix": _posix("drwxr-xr-x", uid),
        }
    return {
        "Envelope": {
            "header": {"features": {k: dict(v) for k, v in FEATURES.items()}},
            "mapping": {k: mapping[k] for k in sorted(mapping)},
        }
    }


SPEC = AttestorSpec(
    name="omnitrail", type=TYPE, run_type="prematerial", selection="opt-in", builder=build, shape=SHAPE
)
