"""Running the command of a scenario's step: the command line, its stdout and the files after it."""

from __future__ import annotations

import json
import random
from typing import TypeVar

from witness_evals.common.jsonio import dumps_go
from witness_evals.witness.attestors.artifacts import (
    ScenarioFacts,
    docker_metadata,
    k8s_manifests,
    sarif_report,
    sbom_bytes,
    vex_document,
)
from witness_evals.witness.attestors.workdir import NODE_ENTRY, elf_binary, node_layout, tarball, zip_archive

S = TypeVar("S", bound=ScenarioFacts)


def run_step(rng: random.Random, s: S) -> S:
    """Choose the command for the step kind and compute the files after it ran."""
    after = dict(s.files_before)
    lang = s.language
    kind = s.step_kind
    stdout = ""
    if kind == "build":
        cmd, outputs, stdout = _build_outputs(rng, s)
        after.update(outputs)
    elif kind == "test":
        cmd, report = {
            "go": (("go", "test", "-coverprofile=coverage.out", "./..."), "coverage.out"),
            "node": (("npm", "test", "--", "--ci", "--reporters=jest-junit"), "junit.xml"),
            "python": (("pytest", "--junitxml=report.xml"), "report.xml"),
            "rust": (("cargo", "test", "--release"), "target/nextest/junit.xml"),
            "java": (("mvn", "-B", "test"), "target/surefire-reports/TEST-AppTest.xml"),
        }[lang]
        if report.endswith(".xml"):
            after[report] = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<testsuite name="{s.project}" tests="{rng.randint(5, 400)}" failures="0" time="{rng.uniform(0.5, 90):.3f}"/>\n'
            ).encode()
        else:
            after[report] = (
                b"mode: set\n"
                + f"github.com/{s.org}/{s.project}/internal/server/server.go:5.13,5.60 1 1\n".encode()
            )
        stdout = "ok\n" if lang == "go" else "All tests passed\n"
    elif kind == "package":
        name = f"{s.project}-{s.version}.tar.gz"
        cmd = ("tar", "czf", name, "README.md", "LICENSE")
        after[name] = tarball(rng, ("README.md", "LICENSE"))
    elif kind == "sbom":
        path = "sbom.spdx.json" if s.sbom_kind == "spdx" else "sbom.cdx.json"
        fmt = "spdx-json" if s.sbom_kind == "spdx" else "cyclonedx-json"
        cmd = ("syft", "dir:.", "-o", f"{fmt}={path}")
        after[path] = sbom_bytes(s)
    elif kind == "image":
        cmd = ("docker", "buildx", "build", "--metadata-file", "metadata.json", "-t", s.image, "--push", ".")
        after["metadata.json"] = (json.dumps(docker_metadata(s), indent=2) + "\n").encode()
        stdout = f"#12 pushing {s.image} with docker-container driver\n"
    elif kind == "deploy":
        cmd = ("kustomize", "build", "deploy/overlays/prod", "-o", "manifests.yaml")
        after["deploy/overlays/prod/kustomization.yaml"] = b"resources:\n- ../../base\n"
        s_before = dict(s.files_before)
        s_before["deploy/overlays/prod/kustomization.yaml"] = after["deploy/overlays/prod/kustomization.yaml"]
        s = s.with_(files_before=s_before)
        after["manifests.yaml"] = k8s_manifests(s).encode()
    else:  # scan
        cmd = ("semgrep", "scan", "--config", "auto", "--sarif", "--output", "results.sarif")
        after["results.sarif"] = (json.dumps(sarif_report(s), indent=2) + "\n").encode()
        if rng.random() < 0.5:
            after["vex.json"] = dumps_go(vex_document(s)).encode()
            cmd = ("make", "scan")
    if s.sbom_kind != "none" and kind != "sbom":
        path = "sbom.spdx.json" if s.sbom_kind == "spdx" else "sbom.cdx.json"
        after[path] = sbom_bytes(s)
        cmd = ("make", "release")
    return s.with_(command=cmd, stdout=stdout, files_after=after)


def _build_outputs(rng: random.Random, s: ScenarioFacts) -> tuple[tuple[str, ...], dict[str, bytes], str]:
    p, v = s.project, s.version
    if s.language == "go":
        return (("go", "build", "-o", f"bin/{p}", f"./cmd/{p}"), {f"bin/{p}": elf_binary(rng)}, "")
    if s.language == "node":
        js = b'"use strict";\nconst express_1 = require("express");\nconst app = (0, express_1.default)();\napp.listen(3000);\n'
        entry = s.extras.get("node_entry", NODE_ENTRY)
        stem = node_layout(entry)[1]
        source_map = f'{{"version":3,"file":"{stem}.js","sources":["../src/{stem}.ts"],"mappings":"AAAA"}}'
        return (
            ("npm", "run", "build"),
            {entry: js, f"{entry}.map": source_map.encode()},
            f"\n> {p}@{v} build\n> tsc -p .\n\n",
        )
    if s.language == "python":
        pkg = p.replace("-", "_")
        wheel = zip_archive(
            {
                f"{pkg}/__init__.py": f'__version__ = "{v}"\n'.encode(),
                f"{pkg}-{v}.dist-info/METADATA": f"Name: {p}\nVersion: {v}\n".encode(),
            }
        )
        return (
            ("python", "-m", "build", "--wheel"),
            {f"dist/{pkg}-{v}-py3-none-any.whl": wheel},
            f"* Building wheel...\nSuccessfully built {pkg}-{v}-py3-none-any.whl\n",
        )
    if s.language == "rust":
        return (("cargo", "build", "--release", "--locked"), {f"target/release/{p}": elf_binary(rng)}, "")
    jar = zip_archive(
        {"META-INF/MANIFEST.MF": f"Manifest-Version: 1.0\nImplementation-Version: {v}\n".encode()}
    )
    return (("mvn", "-B", "-DskipTests", "package"), {f"target/{p}-{v}.jar": jar}, "[INFO] BUILD SUCCESS\n")
