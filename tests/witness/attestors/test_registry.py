"""Registry: the 26 attestors, exact type URIs, lookup by name / type / alias."""

from __future__ import annotations

import pytest

from witness_evals.common.errors import InputError
from witness_evals.witness import attestors as A

EXPECTED = {
    "aws-codebuild": ("https://witness.dev/attestations/aws-codebuild/v0.1", "prematerial"),
    "aws": ("https://witness.dev/attestations/aws/v0.1", "prematerial"),
    "command-run": ("https://witness.dev/attestations/command-run/v0.1", "execute"),
    "docker": ("https://witness.dev/attestations/docker/v0.1", "postproduct"),
    "environment": ("https://witness.dev/attestations/environment/v0.1", "prematerial"),
    "gcp-iit": ("https://witness.dev/attestations/gcp-iit/v0.1", "prematerial"),
    "git": ("https://witness.dev/attestations/git/v0.1", "prematerial"),
    "github": ("https://witness.dev/attestations/github/v0.1", "prematerial"),
    "gitlab": ("https://witness.dev/attestations/gitlab/v0.1", "prematerial"),
    "jenkins": ("https://witness.dev/attestations/jenkins/v0.1", "prematerial"),
    "jwt": ("https://witness.dev/attestations/jwt/v0.1", "prematerial"),
    "k8smanifest": ("https://witness.dev/attestations/k8smanifest/v0.2", "postproduct"),
    "link": ("https://in-toto.io/attestation/link/v0.3", "postproduct"),
    "lockfiles": ("https://witness.dev/attestations/lockfiles/v0.1", "prematerial"),
    "material": ("https://witness.dev/attestations/material/v0.1", "material"),
    "maven": ("https://witness.dev/attestations/maven/v0.1", "prematerial"),
    "oci": ("https://witness.dev/attestations/oci/v0.1", "postproduct"),
    "omnitrail": ("https://witness.dev/attestations/omnitrail/v0.1", "prematerial"),
    "policyverify": ("https://slsa.dev/verification_summary/v1", "verify"),
    "product": ("https://witness.dev/attestations/product/v0.1", "product"),
    "sarif": ("https://witness.dev/attestations/sarif/v0.1", "postproduct"),
    "sbom": ("https://witness.dev/attestations/sbom/v0.1", "postproduct"),
    "secretscan": ("https://witness.dev/attestations/secretscan/v0.1", "postproduct"),
    "slsa": ("https://slsa.dev/provenance/v1.0", "postproduct"),
    "system-packages": ("https://witness.dev/attestations/system-packages/v0.1", "prematerial"),
    "vex": ("https://openvex.dev/ns", "postproduct"),
}


def test_exactly_the_reference_catalogue() -> None:
    assert list(A.ATTESTORS) == list(EXPECTED)
    for name, (type_, run_type) in EXPECTED.items():
        spec = A.ATTESTORS[name]
        assert (spec.name, spec.type, spec.run_type) == (name, type_, run_type)
        assert spec.run_type in A.RUN_TYPES and spec.selection in A.SELECTIONS


def test_selection_defaults_and_exporters() -> None:
    assert A.DEFAULT_ATTESTORS == ("environment", "git")
    assert set(A.ALWAYS_RUN) == {"product", "material"}
    assert A.get("command-run").selection == "always-with-command"
    assert {n for n, s in A.ATTESTORS.items() if s.selection == "default"} == {"environment", "git"}
    assert {n for n, s in A.ATTESTORS.items() if s.exporter} == {"link", "sbom", "slsa"}
    assert A.get("policyverify").selection == "verify-only"


@pytest.mark.parametrize("name", list(EXPECTED))
def test_lookup_by_name_and_type(name: str) -> None:
    spec = A.get(name)
    assert A.get(spec.type) is spec
    assert A.by_type(spec.type) is spec


def test_sbom_aliases() -> None:
    for uri in ("https://spdx.dev/Document", "https://cyclonedx.org/bom"):
        assert A.get(uri).name == "sbom"
        assert A.by_type(uri) is A.get("sbom")


@pytest.mark.parametrize(
    "wrong",
    [
        "aws-iid",
        "commandrun",
        "gcp",
        "k8s",
        "network-trace",
        "https://slsa.dev/provenance/v1",
        "https://witness.dev/attestations/k8smanifest/v0.1",
        "SBOM",
        "",
    ],
)
def test_unknown_names_are_input_errors(wrong: str) -> None:
    with pytest.raises(InputError, match=r"attestor not found:"):
        A.get(wrong)
    assert A.by_type(wrong) is None
