"""The working directory of a build step: project trees, build outputs as bytes, file digests, and
the mime-type detection go-witness applies to products (gabriel-vasile/mimetype names, with
go-witness's SPDX/CycloneDX/VEX JSON detectors).
"""

from __future__ import annotations

import gzip
import io
import json
import random
import zipfile
from collections.abc import Iterable
from typing import Any

from witness_evals.witness.digests import digest_set, sha1_hex, sha256_hex

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


def _random_bytes_slow(rng: random.Random, n: int) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(n))


def word_top_bytes(rng: random.Random, n: int) -> bytes:
    """The top byte of each of the next `n` 32-bit Mersenne Twister words of a plain `random.Random`, in
    one call: `getrandbits(32 * n)` returns the next n words, the first least significant, so byte 3 of
    each little-endian word is its top byte. That is `_random_bytes_slow` (`getrandbits(8)` is the top
    byte of one word), leaving the generator in the same state; `scenario.hex_id` builds on it too."""
    return rng.getrandbits(32 * n).to_bytes(4 * n, "little")[3::4] if n > 0 else b""


def _fast_bytes_match() -> bool:
    """Whether this Python's `getrandbits` draws as `word_top_bytes` assumes (checked at import)."""
    a, b = random.Random(20240601), random.Random(20240601)
    return (
        all(word_top_bytes(a, n) == _random_bytes_slow(b, n) for n in (1, 7, 96, 160))
        and a.random() == b.random()
    )


_FAST_BYTES = _fast_bytes_match()


def _random_bytes(rng: random.Random, n: int) -> bytes:
    if _FAST_BYTES and type(rng) is random.Random:
        return word_top_bytes(rng, n)
    return _random_bytes_slow(rng, n)


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


def git_head_files(commit: str, branch: str, *, detached: bool) -> dict[str, bytes]:
    """`.git/HEAD` and the ref it names: on a branch, `ref: refs/heads/<branch>` and that local branch;
    detached, the commit id itself and only `refs/remotes/origin/<branch>` (what the runner fetched)."""
    if detached:
        return {
            ".git/HEAD": f"{commit}\n".encode(),
            f".git/refs/remotes/origin/{branch}": f"{commit}\n".encode(),
        }
    return {
        ".git/HEAD": f"ref: refs/heads/{branch}\n".encode(),
        f".git/refs/heads/{branch}": f"{commit}\n".encode(),
    }


NODE_ENTRY = "dist/index.js"
"""A node project's compiled entry point unless a scenario names another (`Scenario.random(node_entry=...)`)."""


def node_layout(entry: str) -> tuple[str, str]:
    """(outDir, source stem) of a node entry point `OUTDIR/STEM.js`: `tsc` compiles `src/STEM.ts` there."""
    out_dir, _, name = entry.rpartition("/")
    if not out_dir or "/" in out_dir or not name.endswith(".js"):
        raise ValueError(f"node entry must be OUTDIR/STEM.js, got {entry!r}")
    return out_dir, name.removesuffix(".js")


def project_files(
    rng: random.Random,
    language: str,
    org: str,
    project: str,
    version: str,
    commit: str,
    branch: str,
    remote: str,
    *,
    detached: bool = False,
    node_entry: str = NODE_ENTRY,
) -> dict[str, bytes]:
    """Working directory of a checked-out project (sources, manifests, lockfile, .git internals; `remote`
    is the origin URL it was cloned from). `detached`: HEAD holds the commit itself and `branch` exists only
    as the fetched remote-tracking ref (a CI runner's `git checkout -f <sha>`; see `git_head_files`).
    `node_entry`: a node project's compiled entry point, `OUTDIR/STEM.js` from `src/STEM.ts` (package.json
    `main`, tsconfig `outDir`)."""
    dep_list = deps(rng, language)
    out_dir, stem = node_layout(node_entry)
    ignore = "" if language != "node" or out_dir in ("bin", "dist", "target") else f"{out_dir}/\n"
    files: dict[str, bytes] = {
        "README.md": f"# {project}\n\nService of {org}. Build with `make`.\n".encode(),
        ".gitignore": f"bin/\ndist/\n{ignore}target/\nnode_modules/\n*.log\n".encode(),
        "LICENSE": b"Apache License\nVersion 2.0, January 2004\nhttp://www.apache.org/licenses/\n",
        **git_head_files(commit, branch, detached=detached),
        ".git/config": (
            "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n"
            f'[remote "origin"]\n\turl = {remote}\n'
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
            "main": node_entry,
            "scripts": {"build": "tsc -p .", "test": "jest"},
            "dependencies": dict(dep_list),
        }
        files["package.json"] = (json.dumps(pkg, indent=2) + "\n").encode()
        files[f"src/{stem}.ts"] = (
            b'import express from "express";\nconst app = express();\napp.listen(3000);\n'
        )
        files["tsconfig.json"] = (
            f'{{\n  "compilerOptions": {{"outDir": "{out_dir}", "target": "es2022"}}\n}}\n'.encode()
        )
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
