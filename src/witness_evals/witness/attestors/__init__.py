"""The 26 attestors compiled into the witness CLI, as `AttestorSpec`s.

`get(name_or_type)` resolves like go-witness `GetAttestor` (CLI name, predicate type, or an alias such
as `https://spdx.dev/Document` for sbom); both lookups are single dict hits.
"""

from __future__ import annotations

from witness_evals.common.errors import InputError
from witness_evals.witness.attestors import (
    aws,
    aws_codebuild,
    command_run,
    docker,
    environment,
    gcp_iit,
    git,
    github,
    gitlab,
    jenkins,
    jwt,
    k8smanifest,
    link,
    lockfiles,
    material,
    maven,
    oci,
    omnitrail,
    policyverify,
    product,
    sarif,
    sbom,
    secretscan,
    slsa,
    system_packages,
    vex,
)
from witness_evals.witness.attestors.base import RUN_TYPES, SELECTIONS, AttestorSpec
from witness_evals.witness.attestors.material import materials
from witness_evals.witness.attestors.product import products
from witness_evals.witness.attestors.scenario import Scenario

__all__ = [
    "ALWAYS_RUN",
    "ATTESTORS",
    "DEFAULT_ATTESTORS",
    "RUN_TYPES",
    "SELECTIONS",
    "AttestorSpec",
    "Scenario",
    "by_type",
    "get",
    "materials",
    "products",
]

_MODULES = (
    aws_codebuild,
    aws,
    command_run,
    docker,
    environment,
    gcp_iit,
    git,
    github,
    gitlab,
    jenkins,
    jwt,
    k8smanifest,
    link,
    lockfiles,
    material,
    maven,
    oci,
    omnitrail,
    policyverify,
    product,
    sarif,
    sbom,
    secretscan,
    slsa,
    system_packages,
    vex,
)

ATTESTORS: dict[str, AttestorSpec] = {m.SPEC.name: m.SPEC for m in _MODULES}
"""CLI name -> spec, in the order of REFERENCE.md §1.3."""

ALWAYS_RUN: tuple[str, ...] = ("product", "material")
"""`alwaysRunAttestors` of `witness run` (command-run is added only when a command is given)."""

DEFAULT_ATTESTORS: tuple[str, ...] = ("environment", "git")
"""Default of `witness run -a`; giving `-a` replaces it."""

EXPORTERS: tuple[str, ...] = tuple(n for n, s in ATTESTORS.items() if s.exporter)

_BY_TYPE: dict[str, AttestorSpec] = {t: s for s in ATTESTORS.values() for t in s.types}
_LOOKUP: dict[str, AttestorSpec] = {**_BY_TYPE, **ATTESTORS}


def by_type(type_uri: str) -> AttestorSpec | None:
    """The attestor registered for a predicate type URI (aliases included), or None."""
    return _BY_TYPE.get(type_uri)


def get(name_or_type: str) -> AttestorSpec:
    """Resolve a CLI name or type URI; unknown -> `InputError("attestor not found: <x>")`."""
    spec = _LOOKUP.get(name_or_type)
    if spec is None:
        raise InputError(f"attestor not found: {name_or_type}")
    return spec
