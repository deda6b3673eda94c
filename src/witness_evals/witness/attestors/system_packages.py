"""system-packages: installed OS packages (go-witness attestation/system-packages).

go-witness v0.12.0 reads `ID` and `VERSION_ID` of /etc/os-release; RPM distributions (fedora, rhel, ...)
list `rpm -qa --qf '%{NAME}\t%{VERSION}'` (no release), every other ID lists `dpkg-query -W -f
'${Package}\t${Version}'` (the full Debian version), so on Alpine, which has no dpkg, the attestor
fails and there is no predicate. `digest` is the SHA-256 of the predicate marshalled with an empty
digest (system-packages.go `Attest`).
"""

from __future__ import annotations

import random
from typing import Any

from witness_evals.witness.attestors.base import AttestorSpec
from witness_evals.witness.attestors.gotypes import DIGEST, STR, F, ListT, S
from witness_evals.witness.attestors.scenario import Scenario
from witness_evals.witness.digests import sha256_hex
from witness_evals.witness.gocompat import go_json_marshal

TYPE = "https://witness.dev/attestations/system-packages/v0.1"
SHAPE = S(
    "system_packages.Attestor",
    F("os", STR),
    F("distribution", STR),
    F("version", STR),
    F("packages", ListT(S("system_packages.Package", F("name", STR), F("version", STR)))),
    F("digest", DIGEST),
)

_DISTROS = {
    "ubuntu": (
        "22.04",
        [
            ("bash", "5.1-6ubuntu1.1"),
            ("coreutils", "8.32-4.1ubuntu1.2"),
            ("libc6", "2.35-0ubuntu3.7"),
            ("openssl", "3.0.2-0ubuntu1.15"),
            ("git", "1:2.34.1-1ubuntu1.11"),
            ("curl", "7.81.0-1ubuntu1.16"),
            ("ca-certificates", "20230311ubuntu0.22.04.1"),
            ("tar", "1.34+dfsg-1ubuntu0.1.22.04.2"),
        ],
    ),
    "debian": (
        "12",
        [
            ("bash", "5.2.15-2+b7"),
            ("coreutils", "9.1-1"),
            ("libc6", "2.36-9+deb12u7"),
            ("openssl", "3.0.13-1~deb12u1"),
            ("git", "1:2.39.2-1.1"),
            ("curl", "7.88.1-10+deb12u6"),
        ],
    ),
    "rhel": (
        "9.3",
        [
            ("bash", "5.1.8"),
            ("coreutils", "8.32"),
            ("glibc", "2.34"),
            ("openssl", "3.0.7"),
            ("git", "2.39.3"),
            ("curl", "7.76.1"),
        ],
    ),
}


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    distro = rng.choice(sorted(_DISTROS))
    version, pool = _DISTROS[distro]
    pkgs = sorted(rng.sample(pool, rng.randint(3, len(pool))))
    pred: dict[str, Any] = {
        "os": "linux",
        "distribution": distro,
        "version": version,
        "packages": [{"name": n, "version": v} for n, v in pkgs],
        "digest": {},
    }
    pred["digest"] = {"sha256": sha256_hex(go_json_marshal(pred))}
    return pred


SPEC = AttestorSpec(
    name="system-packages", type=TYPE, run_type="prematerial", selection="opt-in", builder=build, shape=SHAPE
)
