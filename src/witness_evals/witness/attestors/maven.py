"""maven: project coordinates and dependencies from pom.xml (go-witness attestation/maven)."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from typing import Any

from witness_evals.witness.attestors.base import AttestorSpec, DigestSet, Products, sha256_of
from witness_evals.witness.attestors.gotypes import STR, F, ListT, S
from witness_evals.witness.attestors.scenario import Scenario
from witness_evals.witness.attestors.workdir import DEPENDENCIES, pom_xml

TYPE = "https://witness.dev/attestations/maven/v0.1"
DEPENDENCY = S(
    "maven.MavenDependency", F("groupid", STR), F("artifactid", STR), F("version", STR), F("scope", STR)
)
SHAPE = S(
    "maven.Attestor",
    F("groupid", STR),
    F("artifactid", STR),
    F("version", STR),
    F("projectname", STR),
    F("dependencies", ListT(DEPENDENCY)),
)
_NS = "{http://maven.apache.org/POM/4.0.0}"


def parse_pom(data: bytes) -> dict[str, Any]:
    """The attestor's view of a POM (trusted, generated input)."""
    root = ET.fromstring(data)

    def text(el: ET.Element | None, tag: str) -> str:
        found = el.find(_NS + tag) if el is not None else None
        return (found.text or "").strip() if found is not None else ""

    deps = [
        {
            "groupid": text(d, "groupId"),
            "artifactid": text(d, "artifactId"),
            "version": text(d, "version"),
            "scope": text(d, "scope"),
        }
        for d in root.iter(_NS + "dependency")
    ]
    return {
        "groupid": text(root, "groupId"),
        "artifactid": text(root, "artifactId"),
        "version": text(root, "version"),
        "projectname": text(root, "name"),
        "dependencies": deps,
    }


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    pom = s.files_before.get("pom.xml") or pom_xml(
        s.org, s.project, s.version, list(DEPENDENCIES["java"][:4])
    )
    return parse_pom(pom)


def subjects(pred: dict[str, Any], _products: Products | None) -> dict[str, DigestSet]:
    out: dict[str, DigestSet] = {}
    name = f"project:{pred['groupid']}/{pred['artifactid']}@{pred['version']}"
    out[name] = sha256_of(name)
    for d in pred["dependencies"] or []:
        if d:
            name = f"dependency:{d['groupid']}/{d['artifactid']}@{d['version']}"
            out[name] = sha256_of(name)
    return out


SPEC = AttestorSpec(
    name="maven",
    type=TYPE,
    run_type="prematerial",
    selection="opt-in",
    builder=build,
    shape=SHAPE,
    subjecter=subjects,
)
