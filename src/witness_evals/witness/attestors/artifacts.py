"""Documents a build step produces, drawn from its scenario: SBOM (SPDX, CycloneDX), SARIF, OpenVEX,
Kubernetes manifests and docker buildx metadata.

They read a scenario through `ScenarioFacts` (what `scenario.Scenario` provides), so this module
sits below `scenario` and `step`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol, Self

from witness_evals.common.jsonio import dumps_go
from witness_evals.witness.attestors.workdir import deps
from witness_evals.witness.digests import sha256_hex

_PURL_TYPE = {"go": "golang", "node": "npm", "python": "pypi", "rust": "cargo", "java": "maven"}


class ScenarioFacts(Protocol):
    """The facts of a build step that documents and the step's command are drawn from (read-only)."""

    @property
    def token(self) -> str: ...
    @property
    def step_kind(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def org(self) -> str: ...
    @property
    def project(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def image(self) -> str: ...
    @property
    def image_digest(self) -> str: ...
    @property
    def sbom_kind(self) -> str: ...
    @property
    def arch(self) -> str: ...
    @property
    def start_time(self) -> datetime: ...
    @property
    def files_before(self) -> Mapping[str, bytes]: ...
    @property
    def extras(self) -> Mapping[str, Any]: ...
    def sub_rng(self, purpose: str) -> random.Random: ...
    def with_(self, **changes: Any) -> Self: ...


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def spdx_document(s: ScenarioFacts) -> dict[str, Any]:
    """An SPDX 2.3 JSON document in syft's key order (so the SPDX mime detector matches)."""
    rng = s.sub_rng("spdx")
    packages = []
    for name, ver in deps(rng, s.language):
        ident = sha256_hex(name + ver)[:16]
        packages.append(
            {
                "name": name,
                "SPDXID": f"SPDXRef-Package-{_PURL_TYPE[s.language]}-{name.replace('/', '-').replace(':', '-')}-{ident}",
                "versionInfo": ver,
                "supplier": "NOASSERTION",
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": False,
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": rng.choice(("MIT", "Apache-2.0", "BSD-3-Clause", "NOASSERTION")),
                "copyrightText": "NOASSERTION",
                "externalRefs": [
                    {
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": f"pkg:{_PURL_TYPE[s.language]}/{name}@{ver}",
                    }
                ],
            }
        )
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": s.project,
        "documentNamespace": f"https://anchore.com/syft/dir/{s.project}-{sha256_hex(s.token)[:8]}",
        "creationInfo": {
            "licenseListVersion": "3.24",
            "creators": ["Organization: Anchore, Inc", f"Tool: syft-1.{rng.randint(4, 18)}.0"],
            "created": _iso(s.start_time),
        },
        "packages": packages,
        "relationships": [
            {
                "spdxElementId": "SPDXRef-DOCUMENT",
                "relatedSpdxElement": p["SPDXID"],
                "relationshipType": "DESCRIBES",
            }
            for p in packages[:1]
        ],
    }


def cyclonedx_document(s: ScenarioFacts) -> dict[str, Any]:
    """A CycloneDX 1.5 JSON BOM in syft's key order (so the CycloneDX mime detector matches)."""
    rng = s.sub_rng("cyclonedx")
    h = sha256_hex(s.token + "cdx")
    components = [
        {
            "bom-ref": f"pkg:{_PURL_TYPE[s.language]}/{name}@{ver}?package-id={sha256_hex(name)[:16]}",
            "type": "library",
            "name": name,
            "version": ver,
            "purl": f"pkg:{_PURL_TYPE[s.language]}/{name}@{ver}",
        }
        for name, ver in deps(rng, s.language)
    ]
    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.5.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}",
        "version": 1,
        "metadata": {
            "timestamp": _iso(s.start_time),
            "tools": {
                "components": [
                    {"type": "application", "author": "anchore", "name": "syft", "version": "1.6.0"}
                ]
            },
            "component": {
                "bom-ref": sha256_hex(s.project)[:16],
                "type": "file",
                "name": s.project,
                "version": s.version,
            },
        },
        "components": components,
    }


def sbom_document(s: ScenarioFacts, kind: str | None = None) -> dict[str, Any]:
    kind = kind or (s.sbom_kind if s.sbom_kind != "none" else "spdx")
    return spdx_document(s) if kind == "spdx" else cyclonedx_document(s)


def sbom_bytes(s: ScenarioFacts, kind: str | None = None) -> bytes:
    """The SBOM file as syft writes it (compact JSON + newline)."""
    return (dumps_go(sbom_document(s, kind)) + "\n").encode()


def sarif_report(s: ScenarioFacts) -> dict[str, Any]:
    """A SARIF 2.1.0 report with a few findings."""
    rng = s.sub_rng("sarif")
    rules = [
        ("go.lang.security.audit.net.use-tls.use-tls", "Use TLS for HTTP servers", "warning"),
        ("generic.secrets.security.detected-generic-secret", "Generic secret detected", "error"),
        ("python.lang.security.audit.subprocess-shell-true", "subprocess call with shell=True", "error"),
        ("javascript.express.security.audit.xss.direct-response-write", "Direct response write", "warning"),
    ]
    chosen = rng.sample(rules, rng.randint(1, len(rules)))
    src = sorted(p for p in s.files_before if not p.startswith(".git/"))
    results = [
        {
            "ruleId": rid,
            "level": level,
            "message": {"text": desc},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": rng.choice(src)},
                        "region": {"startLine": rng.randint(1, 120), "startColumn": 1},
                    }
                }
            ],
        }
        for rid, desc, level in chosen
    ]
    return {
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "Semgrep OSS",
                        "version": "1.66.0",
                        "informationUri": "https://semgrep.dev",
                        "rules": [
                            {"id": r, "name": r, "shortDescription": {"text": d}} for r, d, _ in chosen
                        ],
                    }
                },
                "results": results,
            }
        ],
    }


def vex_document(s: ScenarioFacts) -> dict[str, Any]:
    """An OpenVEX document (key order so the VEX mime detector matches)."""
    rng = s.sub_rng("vex")
    stamp = _iso(s.start_time)
    cves = [f"CVE-{rng.randint(2019, 2025)}-{rng.randint(1000, 49999)}" for _ in range(rng.randint(1, 3))]
    statements = []
    for cve in cves:
        status = rng.choice(("not_affected", "affected", "fixed", "under_investigation"))
        st: dict[str, Any] = {
            "vulnerability": {"name": cve},
            "timestamp": stamp,
            "products": [{"@id": f"pkg:oci/{s.project}@sha256:{s.image_digest}"}],
            "status": status,
        }
        if status == "not_affected":
            st["justification"] = "vulnerable_code_not_in_execute_path"
        if status == "affected":
            st["action_statement"] = "Upgrade to the next release"
        statements.append(st)
    return {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": f"https://openvex.dev/docs/public/vex-{sha256_hex(s.token + 'vex')}",
        "author": f"security@{s.org}.com",
        "role": "Document Creator",
        "timestamp": stamp,
        "version": 1,
        "tooling": "vexctl/0.2.6",
        "statements": statements,
    }


def k8s_objects(s: ScenarioFacts) -> list[dict[str, Any]]:
    """Deployment + Service (+ ConfigMap) for the project image."""
    labels = {"app.kubernetes.io/name": s.project, "app.kubernetes.io/version": s.version}
    objs: list[dict[str, Any]] = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": s.project, "namespace": "prod", "labels": labels},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app.kubernetes.io/name": s.project}},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "containers": [
                            {
                                "name": s.project,
                                "image": f"{s.image.rsplit(':', 1)[0]}@sha256:{s.image_digest}",
                                "ports": [{"containerPort": 8080}],
                            }
                        ]
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": s.project, "namespace": "prod", "labels": labels},
            "spec": {
                "selector": {"app.kubernetes.io/name": s.project},
                "ports": [{"port": 80, "targetPort": 8080}],
            },
        },
    ]
    if s.sub_rng("k8s").random() < 0.5:
        objs.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"{s.project}-config", "namespace": "prod"},
                "data": {"LOG_LEVEL": "info"},
            }
        )
    return objs


def k8s_manifests(s: ScenarioFacts) -> str:
    """The objects as a multi-document YAML file (`yaml.safe_dump`, through libyaml where PyYAML has
    it: the same text for these plain objects, several times faster)."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return "---\n".join(yaml.dump(o, Dumper=dumper, sort_keys=False) for o in k8s_objects(s))


def docker_metadata(s: ScenarioFacts) -> dict[str, Any]:
    """`docker buildx build --metadata-file` output with min provenance."""
    rng = s.sub_rng("docker")
    base = rng.choice(
        (
            "golang:1.22-alpine",
            "node:20-bookworm-slim",
            "python:3.12-slim",
            "rust:1.77",
            "eclipse-temurin:17-jre",
        )
    )
    return {
        "buildx.build.provenance": {
            "buildType": "https://mobyproject.org/buildkit@v1",
            "materials": [
                {
                    "uri": f"pkg:docker/{base}?platform=linux%2F{s.arch}",
                    "digest": {"sha256": sha256_hex(base + s.arch)},
                },
                {
                    "uri": f"pkg:docker/gcr.io/distroless/static@nonroot?platform=linux%2F{s.arch}",
                    "digest": {"sha256": sha256_hex("distroless" + s.arch)},
                },
            ],
        },
        "buildx.build.ref": f"builder/builder0/{sha256_hex(s.token)[:25]}",
        "containerimage.config.digest": f"sha256:{sha256_hex(s.token + 'config')}",
        "containerimage.digest": f"sha256:{s.image_digest}",
        "image.name": s.image,
    }
