"""Realistic file contents for scenarios: project trees, build outputs, SBOM/SARIF/VEX documents,
Kubernetes manifests, docker buildx metadata, plus the mime-type detection go-witness applies to
products (gabriel-vasile/mimetype names, with go-witness's SPDX/CycloneDX/VEX JSON detectors).
"""

from __future__ import annotations

import gzip
import io
import json
import random
import zipfile
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from witness_evals.witness.digests import digest_set, sha1_hex, sha256_hex
from witness_evals.witness.jsonio import dumps_go

if TYPE_CHECKING:
    from witness_evals.witness.attestors.scenario import Scenario

SPDX_MIME = "application/spdx+json"
CDX_MIME = "application/vnd.cyclonedx+json"
SBOM_MIME_TYPES = (SPDX_MIME, CDX_MIME)
LOCKFILE_NAMES = (
    "Gemfile.lock",
    "package-lock.json",
    "yarn.lock",
    "Cargo.lock",
    "poetry.lock",
    "Pipfile.lock",
    "composer.lock",
    "go.sum",
    "Podfile.lock",
    "gradle.lockfile",
    "pnpm-lock.yaml",
)

DEPENDENCIES: dict[str, tuple[tuple[str, str], ...]] = {
    "go": (
        ("github.com/spf13/cobra", "v1.8.0"),
        ("github.com/sirupsen/logrus", "v1.9.3"),
        ("golang.org/x/sync", "v0.6.0"),
        ("github.com/google/uuid", "v1.6.0"),
        ("github.com/prometheus/client_golang", "v1.19.0"),
        ("gopkg.in/yaml.v3", "v3.0.1"),
        ("github.com/go-chi/chi/v5", "v5.0.12"),
    ),
    "node": (
        ("express", "4.19.2"),
        ("lodash", "4.17.21"),
        ("axios", "1.6.8"),
        ("pino", "8.19.0"),
        ("zod", "3.22.4"),
        ("dotenv", "16.4.5"),
        ("jsonwebtoken", "9.0.2"),
    ),
    "python": (
        ("requests", "2.31.0"),
        ("fastapi", "0.110.0"),
        ("pydantic", "2.6.4"),
        ("sqlalchemy", "2.0.29"),
        ("uvicorn", "0.29.0"),
        ("click", "8.1.7"),
        ("pyyaml", "6.0.1"),
    ),
    "rust": (
        ("serde", "1.0.197"),
        ("tokio", "1.36.0"),
        ("anyhow", "1.0.81"),
        ("clap", "4.5.4"),
        ("tracing", "0.1.40"),
        ("reqwest", "0.12.2"),
        ("thiserror", "1.0.58"),
    ),
    "java": (
        ("org.springframework.boot:spring-boot-starter-web", "3.2.4"),
        ("com.fasterxml.jackson.core:jackson-databind", "2.17.0"),
        ("org.slf4j:slf4j-api", "2.0.12"),
        ("com.google.guava:guava", "33.1.0-jre"),
        ("org.postgresql:postgresql", "42.7.3"),
        ("junit:junit", "4.13.2"),
        ("org.apache.commons:commons-lang3", "3.14.0"),
    ),
}
_PURL_TYPE = {"go": "golang", "node": "npm", "python": "pypi", "rust": "cargo", "java": "maven"}


def file_digest(data: bytes, hashes: Iterable[str] = ("sha256",)) -> dict[str, str]:
    """DigestSet of file bytes with the run's hash list."""
    return digest_set(data, hashes)


def mime_type(path: str, data: bytes) -> str:
    """Mime type as go-witness's product attestor detects it."""
    if data.startswith(b'{"spdxVersion":"SPDX-'):
        return SPDX_MIME
    if data.startswith(b'{"$schema":"http://cyclonedx.org/schema/bom-'):
        return CDX_MIME
    if data.startswith(b'{"@context":"https://openvex.dev/ns'):
        return "application/vex+json"
    if data.startswith(b"\x7fELF"):
        return "application/x-executable"
    if data.startswith(b"\x1f\x8b"):
        return "application/gzip"
    if data.startswith(b"PK\x03\x04"):
        return "application/jar" if path.endswith(".jar") else "application/zip"
    if data.startswith(b"<?xml"):
        return "text/xml; charset=utf-8"
    stripped = data.lstrip()
    if stripped[:1] in (b"{", b"["):
        try:
            json.loads(data)
            return "application/json"
        except ValueError:
            pass
    if not data:
        return "text/plain"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain; charset=utf-8"


def deps(rng: random.Random, language: str) -> list[tuple[str, str]]:
    """A sorted random subset (3..all) of the language's dependencies."""
    pool = list(DEPENDENCIES[language])
    return sorted(rng.sample(pool, rng.randint(3, len(pool))))


def _random_bytes(rng: random.Random, n: int) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(n))


def elf_binary(rng: random.Random) -> bytes:
    """A small blob with an ELF64 header (enough for mime detection and unique digests)."""
    header = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00"
    return header + _random_bytes(rng, rng.randint(200, 600))


def tarball(rng: random.Random, names: Iterable[str]) -> bytes:
    """gzip bytes (deterministic mtime) of a fake tar listing."""
    payload = "".join(f"{n}\n" for n in names).encode() + _random_bytes(rng, 128)
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:
        gz.write(payload)
    return buf.getvalue()


def zip_archive(files: dict[str, bytes]) -> bytes:
    """A real zip (fixed timestamps) of the given members."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            zf.writestr(info, files[name])
    return buf.getvalue()


# ---------------------------------------------------------------- project trees
def _lockfile(
    rng: random.Random, language: str, project: str, version: str, dep_list: list[tuple[str, str]]
) -> tuple[str, bytes] | None:
    if language == "go":
        lines = []
        for name, ver in dep_list:
            lines.append(f"{name} {ver} h1:{sha256_hex(name + ver)[:43]}=\n")
            lines.append(f"{name} {ver}/go.mod h1:{sha1_hex(name + ver)[:40]}abc=\n")
        return "go.sum", "".join(lines).encode()
    if language == "node":
        packages: dict[str, Any] = {"": {"name": project, "version": version}}
        for name, ver in dep_list:
            packages[f"node_modules/{name}"] = {
                "version": ver,
                "resolved": f"https://registry.npmjs.org/{name}/-/{name}-{ver}.tgz",
                "integrity": "sha512-" + sha256_hex(name + ver)[:43] + "==",
            }
        doc = {
            "name": project,
            "version": version,
            "lockfileVersion": 3,
            "requires": True,
            "packages": packages,
        }
        return "package-lock.json", (json.dumps(doc, indent=2) + "\n").encode()
    if language == "python":
        blocks = [
            f'[[package]]\nname = "{n}"\nversion = "{v}"\ndescription = ""\noptional = false\npython-versions = ">=3.8"\n'
            for n, v in dep_list
        ]
        return "poetry.lock", (
            "# This file is automatically @generated by Poetry 1.8.2.\n\n" + "\n".join(blocks)
        ).encode()
    if language == "rust":
        blocks = [f'[[package]]\nname = "{project}"\nversion = "{version}"\n']
        blocks += [
            f'[[package]]\nname = "{n}"\nversion = "{v}"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n'
            f'checksum = "{sha256_hex(n + v)}"\n'
            for n, v in dep_list
        ]
        return "Cargo.lock", (
            "# This file is automatically @generated by Cargo.\nversion = 3\n\n" + "\n".join(blocks)
        ).encode()
    if language == "java" and rng.random() < 0.3:
        lines = [f"{n}:{v}=compileClasspath,runtimeClasspath\n" for n, v in dep_list]
        return "gradle.lockfile", (
            "# This is a Gradle generated file for dependency locking.\n" + "".join(lines) + "empty=\n"
        ).encode()
    return None


def pom_xml(org: str, project: str, version: str, dep_list: list[tuple[str, str]]) -> bytes:
    """A Maven POM with the given dependencies (junit gets scope test)."""
    dep_xml = "".join(
        f"    <dependency>\n      <groupId>{ga.split(':')[0]}</groupId>\n      <artifactId>{ga.split(':')[1]}</artifactId>\n"
        f"      <version>{v}</version>\n"
        + ("      <scope>test</scope>\n" if ga.startswith("junit") else "")
        + "    </dependency>\n"
        for ga, v in dep_list
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        "  <modelVersion>4.0.0</modelVersion>\n"
        f"  <groupId>com.{org.replace('-', '')}</groupId>\n  <artifactId>{project}</artifactId>\n"
        f"  <version>{version}</version>\n  <name>{project}</name>\n  <dependencies>\n{dep_xml}  </dependencies>\n</project>\n"
    ).encode()


def project_files(
    rng: random.Random, language: str, org: str, project: str, version: str, commit: str, branch: str
) -> dict[str, bytes]:
    """Working directory of a checked-out project (sources, manifests, lockfile, .git internals)."""
    dep_list = deps(rng, language)
    files: dict[str, bytes] = {
        "README.md": f"# {project}\n\nService of {org}. Build with `make`.\n".encode(),
        ".gitignore": b"bin/\ndist/\ntarget/\nnode_modules/\n*.log\n",
        "LICENSE": b"Apache License\nVersion 2.0, January 2004\nhttp://www.apache.org/licenses/\n",
        ".git/HEAD": f"ref: refs/heads/{branch}\n".encode(),
        f".git/refs/heads/{branch}": f"{commit}\n".encode(),
        ".git/config": (
            "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n"
            f'[remote "origin"]\n\turl = https://github.com/{org}/{project}.git\n'
            "\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
        ).encode(),
        ".git/description": b"Unnamed repository; edit this file 'description' to name the repository.\n",
        ".git/index": b"DIRC\x00\x00\x00\x02" + _random_bytes(rng, 96),
        f".git/objects/pack/pack-{sha1_hex(commit)}.pack": b"PACK\x00\x00\x00\x02" + _random_bytes(rng, 160),
    }
    if language == "go":
        mod = f"github.com/{org}/{project}"
        files["go.mod"] = (
            f"module {mod}\n\ngo 1.22\n\nrequire (\n" + "".join(f"\t{n} {v}\n" for n, v in dep_list) + ")\n"
        ).encode()
        files[f"cmd/{project}/main.go"] = (
            f'package main\n\nimport "{mod}/internal/server"\n\nfunc main() {{ server.Run() }}\n'.encode()
        )
        files["internal/server/server.go"] = (
            b'package server\n\nimport "net/http"\n\nfunc Run() { _ = http.ListenAndServe(":8080", nil) }\n'
        )
        files["Makefile"] = f"build:\n\tgo build -o bin/{project} ./cmd/{project}\n".encode()
    elif language == "node":
        pkg = {
            "name": project,
            "version": version,
            "main": "dist/index.js",
            "scripts": {"build": "tsc -p .", "test": "jest"},
            "dependencies": dict(dep_list),
        }
        files["package.json"] = (json.dumps(pkg, indent=2) + "\n").encode()
        files["src/index.ts"] = b'import express from "express";\nconst app = express();\napp.listen(3000);\n'
        files["tsconfig.json"] = b'{\n  "compilerOptions": {"outDir": "dist", "target": "es2022"}\n}\n'
    elif language == "python":
        pkg_name = project.replace("-", "_")
        files["pyproject.toml"] = (
            f'[tool.poetry]\nname = "{project}"\nversion = "{version}"\n\n[tool.poetry.dependencies]\npython = "^3.11"\n'
            + "".join(f'{n} = "^{v}"\n' for n, v in dep_list)
        ).encode()
        files[f"src/{pkg_name}/__init__.py"] = f'__version__ = "{version}"\n'.encode()
        files[f"src/{pkg_name}/app.py"] = b"from fastapi import FastAPI\n\napp = FastAPI()\n"
        files["tests/test_app.py"] = b"def test_ok():\n    assert True\n"
    elif language == "rust":
        files["Cargo.toml"] = (
            f'[package]\nname = "{project}"\nversion = "{version}"\nedition = "2021"\n\n[dependencies]\n'
            + "".join(f'{n} = "{v}"\n' for n, v in dep_list)
        ).encode()
        files["src/main.rs"] = b'fn main() {\n    println!("hello");\n}\n'
    else:
        files["pom.xml"] = pom_xml(org, project, version, dep_list)
        files[f"src/main/java/com/{org.replace('-', '')}/App.java"] = (
            f"package com.{org.replace('-', '')};\n\npublic class App {{ public static void main(String[] a) {{}} }}\n"
        ).encode()
    lock = _lockfile(rng, language, project, version, dep_list)
    if lock is not None:
        files[lock[0]] = lock[1]
    if rng.random() < 0.4:
        files["Dockerfile"] = b'FROM gcr.io/distroless/static:nonroot\nCOPY app /app\nENTRYPOINT ["/app"]\n'
    return files


# ---------------------------------------------------------------- step execution
def run_step(rng: random.Random, s: Scenario) -> Scenario:
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


def _build_outputs(rng: random.Random, s: Scenario) -> tuple[tuple[str, ...], dict[str, bytes], str]:
    p, v = s.project, s.version
    if s.language == "go":
        return (("go", "build", "-o", f"bin/{p}", f"./cmd/{p}"), {f"bin/{p}": elf_binary(rng)}, "")
    if s.language == "node":
        js = b'"use strict";\nconst express_1 = require("express");\nconst app = (0, express_1.default)();\napp.listen(3000);\n'
        return (
            ("npm", "run", "build"),
            {
                "dist/index.js": js,
                "dist/index.js.map": b'{"version":3,"file":"index.js","sources":["../src/index.ts"],"mappings":"AAAA"}',
            },
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


# ---------------------------------------------------------------- documents
def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def spdx_document(s: Scenario) -> dict[str, Any]:
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


def cyclonedx_document(s: Scenario) -> dict[str, Any]:
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


def sbom_document(s: Scenario, kind: str | None = None) -> dict[str, Any]:
    kind = kind or (s.sbom_kind if s.sbom_kind != "none" else "spdx")
    return spdx_document(s) if kind == "spdx" else cyclonedx_document(s)


def sbom_bytes(s: Scenario, kind: str | None = None) -> bytes:
    """The SBOM file as syft writes it (compact JSON + newline)."""
    return (dumps_go(sbom_document(s, kind)) + "\n").encode()


def sarif_report(s: Scenario) -> dict[str, Any]:
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


def vex_document(s: Scenario) -> dict[str, Any]:
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


def k8s_objects(s: Scenario) -> list[dict[str, Any]]:
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


def k8s_manifests(s: Scenario) -> str:
    """The objects as a multi-document YAML file."""
    import yaml

    return "---\n".join(yaml.safe_dump(o, sort_keys=False) for o in k8s_objects(s))


def docker_metadata(s: Scenario) -> dict[str, Any]:
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
