"""system-packages: installed OS packages (go-witness attestation/system-packages)."""

from __future__ import annotations

import random
from typing import Any

from witness_evals.witness.attestors.base import AttestorSpec
from witness_evals.witness.attestors.gotypes import DIGEST, STR, F, ListT, S
from witness_evals.witness.attestors.scenario import Scenario
from witness_evals.witness.digests import sha256_hex

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
    "alpine": (
        "3.19.1",
        [
            ("busybox", "1.36.1-r15"),
            ("musl", "1.2.4_git20230717-r4"),
            ("libssl3", "3.1.4-r6"),
            ("ca-certificates", "20240226-r0"),
            ("git", "2.43.0-r0"),
            ("curl", "8.5.0-r0"),
        ],
    ),
    "rhel": (
        "9.3",
        [
            ("bash", "5.1.8-9.el9"),
            ("coreutils", "8.32-35.el9"),
            ("glibc", "2.34-100.el9"),
            ("openssl", "3.0.7-25.el9_3"),
            ("git", "2.39.3-1.el9_2"),
            ("curl", "7.76.1-26.el9_3.3"),
        ],
    ),
}


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    distro = rng.choice(sorted(_DISTROS))
    version, pool = _DISTROS[distro]
    pkgs = sorted(rng.sample(pool, rng.randint(3, len(pool))))
    listing = "".join(f"{n} {v}\n" for n, v in pkgs)
    return {
        "os": "linux",
        "distribution": distro,
        "version": version,
        "packages": [{"name": n, "version": v} for n, v in pkgs],
        "digest": {"sha256": sha256_hex(listing)},
    }


SPEC = AttestorSpec(
    name="system-packages", type=TYPE, run_type="prematerial", selection="opt-in", builder=build, shape=SHAPE
)
