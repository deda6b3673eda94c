"""What people wrap with `witness run`: real build/test/scan/release commands, what they write, and the
opt-in attestors that can work for them (REFERENCE §1.3/§1.4).

An attestor is listed for a workload only if it can succeed there: `sbom` needs an SPDX/CycloneDX JSON
product, `sarif` a SARIF product, `docker` a buildx `--metadata-file`, `oci` an image tarball,
`k8smanifest` rendered YAML, `vex` an OpenVEX document, `maven` a `pom.xml`; `lockfiles` reads the
lockfiles of the current directory. `slsa`, `link`, `secretscan`, `system-packages` and `omnitrail`
work for any step on Linux; CI attestors (`github`, `gitlab`, `jenkins`, `aws-codebuild`) only inside
their CI, `aws` only on an EC2 instance, `gcp-iit` only under GKE Workload Identity (go-witness panics on a
plain GCE VM's identity token).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

from witness_evals.generate.phrasing import pick
from witness_evals.witness.attestors import scenario

ANYWHERE = ("slsa", "link", "secretscan", "system-packages", "omnitrail")
"""Opt-in attestors that work for any step."""
CI_ATTESTORS = ("github", "gitlab", "jenkins", "aws-codebuild")

PROJECTS = (
    *scenario.PROJECTS,
    "checkout",
    "geo-router",
    "mailer",
    "reports",
    "sso-bridge",
    "feature-flags",
    "media-transcoder",
    "audit-log",
)
ORGS = ("acme", "globex", "initech", "hooli", "umbrella", "stark", "wayne", "tyrell", "soylent", "vandelay")
VERSIONS = ("0.4.2", "1.0.0", "1.3.7", "2.11.0", "3.2.1", "0.19.5", "5.0.0-rc.1", "2024.6.1")


@dataclass(frozen=True)
class Workload:
    """One command a step runs, in a project of some language."""

    kind: str
    """build, test, lint, package, sbom, image, scan, deploy, release, docs."""
    language: str
    command: tuple[str, ...]
    products: tuple[str, ...]
    """Files the command writes (candidates for `witness verify -f`); may be empty."""
    attestors: tuple[str, ...]
    """Opt-in attestors (besides `ANYWHERE`) that work for this command."""
    lockfile: bool = True
    """The project keeps a lockfile in the working directory (so `lockfiles` records something)."""
    before: tuple[str, ...] = ()
    """Commands a CI job usually runs first (dependency install...), not wrapped."""

    @property
    def what(self) -> str:
        return _WHAT[self.kind]

    def usable(self) -> tuple[str, ...]:
        """Every opt-in attestor that works for this workload outside of CI specifics."""
        return (*self.attestors, *ANYWHERE, *(("lockfiles",) if self.lockfile else ()))


_WHAT = {
    "build": "build",
    "test": "test run",
    "lint": "lint step",
    "package": "packaging step",
    "sbom": "SBOM generation",
    "image": "container image build",
    "scan": "security scan",
    "deploy": "manifest rendering",
    "release": "release step",
    "docs": "docs build",
}
STEP_NAMES = {
    "build": ("build", "compile", "build-binary", "build-linux-amd64"),
    "test": ("test", "unit-tests", "tests", "integration-test"),
    "lint": ("lint", "static-analysis", "lint-and-vet"),
    "package": ("package", "pack", "bundle", "archive"),
    "sbom": ("sbom", "generate-sbom", "sbom-scan"),
    "image": ("image", "docker-build", "container-build", "image-build"),
    "scan": ("scan", "sast", "vuln-scan", "security-scan"),
    "deploy": ("render-manifests", "deploy", "kustomize", "manifests"),
    "release": ("release", "publish", "release-build"),
    "docs": ("docs", "build-docs", "site"),
}


@functools.lru_cache(maxsize=4096)
def workloads(project: str, version: str, org: str) -> tuple[Workload, ...]:
    """Every workload for one project (values filled in)."""
    p, v = project, version
    image = f"ghcr.io/{org}/{p}:{v}"
    return (
        # ---------------------------------------------------------------- go
        Workload(
            "build",
            "go",
            ("go", "build", "-trimpath", "-o", f"bin/{p}", f"./cmd/{p}"),
            (f"bin/{p}",),
            (),
            before=("go mod download",),
        ),
        Workload("build", "go", ("make", "build"), (f"bin/{p}",), ()),
        Workload(
            "build",
            "go",
            ("go", "build", "-ldflags=-s -w", "-o", f"dist/{p}-linux-amd64", "."),
            (f"dist/{p}-linux-amd64",),
            (),
        ),
        Workload(
            "test",
            "go",
            ("go", "test", "-race", "-coverprofile=coverage.out", "./..."),
            ("coverage.out",),
            (),
        ),
        Workload("lint", "go", ("golangci-lint", "run", "--timeout", "5m", "./..."), (), ()),
        # ---------------------------------------------------------------- node
        Workload("build", "node", ("npm", "run", "build"), ("dist/index.js",), (), before=("npm ci",)),
        Workload(
            "build",
            "node",
            ("pnpm", "run", "build"),
            ("dist/main.js",),
            (),
            before=("pnpm install --frozen-lockfile",),
        ),
        Workload(
            "build",
            "node",
            ("yarn", "build"),
            ("build/index.html",),
            (),
            before=("yarn install --immutable",),
        ),
        Workload(
            "test",
            "node",
            ("npm", "test", "--", "--ci", "--reporters=jest-junit"),
            ("junit.xml",),
            (),
            before=("npm ci",),
        ),
        Workload(
            "lint",
            "node",
            ("npx", "eslint", ".", "--format", "json", "--output-file", "eslint-report.json"),
            ("eslint-report.json",),
            (),
            before=("npm ci",),
        ),
        Workload("package", "node", ("npm", "pack"), (f"{p}-{v}.tgz",), (), before=("npm ci",)),
        # ---------------------------------------------------------------- python
        Workload(
            "build",
            "python",
            ("python", "-m", "build"),
            (f"dist/{p.replace('-', '_')}-{v}.tar.gz",),
            (),
            before=("pip install build",),
        ),
        Workload(
            "build",
            "python",
            ("poetry", "build"),
            (f"dist/{p.replace('-', '_')}-{v}.tar.gz",),
            (),
            before=("poetry install --no-root",),
        ),
        Workload(
            "build",
            "python",
            ("uv", "build"),
            (f"dist/{p.replace('-', '_')}-{v}.tar.gz",),
            (),
            before=("uv sync --frozen",),
        ),
        Workload(
            "test",
            "python",
            ("pytest", "-q", "--junitxml=report.xml"),
            ("report.xml",),
            (),
            before=("pip install -r requirements-dev.txt",),
        ),
        Workload("lint", "python", ("ruff", "check", "."), (), (), before=("pip install ruff",)),
        Workload(
            "docs", "python", ("mkdocs", "build", "--strict", "--site-dir", "site"), ("site/index.html",), ()
        ),
        # ---------------------------------------------------------------- rust
        Workload("build", "rust", ("cargo", "build", "--release", "--locked"), (f"target/release/{p}",), ()),
        Workload("test", "rust", ("cargo", "test", "--locked"), (), ()),
        Workload("lint", "rust", ("cargo", "clippy", "--all-targets", "--", "-D", "warnings"), (), ()),
        # ---------------------------------------------------------------- java
        Workload(
            "build",
            "java",
            ("mvn", "-B", "-DskipTests", "package"),
            (f"target/{p}-{v}.jar",),
            ("maven",),
            lockfile=False,
        ),
        Workload(
            "build",
            "java",
            ("./gradlew", "--no-daemon", "assemble"),
            (f"build/libs/{p}-{v}.jar",),
            (),
            lockfile=False,
        ),
        Workload(
            "test", "java", ("mvn", "-B", "verify"), (f"target/{p}-{v}.jar",), ("maven",), lockfile=False
        ),
        Workload("test", "java", ("./gradlew", "--no-daemon", "test"), (), (), lockfile=False),
        Workload(
            "release",
            "java",
            ("mvn", "-B", "-ntp", "clean", "install"),
            (f"target/{p}-{v}.jar",),
            ("maven",),
            lockfile=False,
        ),
        Workload("scan", "any", ("./scripts/vex.sh",), ("vex.json",), ("vex",)),
        # ---------------------------------------------------------------- any language
        Workload(
            "sbom", "any", ("syft", "dir:.", "-o", "spdx-json=sbom.spdx.json"), ("sbom.spdx.json",), ("sbom",)
        ),
        Workload(
            "sbom",
            "any",
            ("syft", "dir:.", "-o", "cyclonedx-json=sbom.cdx.json"),
            ("sbom.cdx.json",),
            ("sbom",),
        ),
        Workload(
            "sbom",
            "any",
            ("trivy", "fs", "--format", "cyclonedx", "--output", "bom.json", "."),
            ("bom.json",),
            ("sbom",),
        ),
        Workload(
            "image",
            "any",
            ("docker", "buildx", "build", "--metadata-file", "metadata.json", "-t", image, "--push", "."),
            ("metadata.json",),
            ("docker",),
        ),
        Workload("image", "any", ("docker", "save", "-o", f"{p}.tar", image), (f"{p}.tar",), ("oci",)),
        Workload(
            "scan",
            "any",
            ("semgrep", "scan", "--config", "auto", "--sarif", "--output", "results.sarif"),
            ("results.sarif",),
            ("sarif",),
        ),
        Workload(
            "scan",
            "any",
            ("trivy", "fs", "--format", "sarif", "--output", "trivy.sarif", "."),
            ("trivy.sarif",),
            ("sarif",),
        ),
        Workload(
            "scan",
            "any",
            ("grype", "dir:.", "-o", "sarif", "--file", "grype.sarif"),
            ("grype.sarif",),
            ("sarif",),
        ),
        Workload("scan", "any", ("make", "vex"), ("vex.json",), ("vex",)),
        Workload(
            "deploy",
            "any",
            ("kustomize", "build", "deploy/overlays/prod", "-o", "manifests.yaml"),
            ("manifests.yaml",),
            ("k8smanifest",),
        ),
        Workload(
            "deploy",
            "any",
            ("helm", "template", p, f"charts/{p}", "--output-dir", "rendered"),
            (f"rendered/{p}/templates/deployment.yaml",),
            ("k8smanifest",),
        ),
        Workload(
            "package", "any", ("tar", "czf", f"{p}-{v}.tar.gz", "bin/", "README.md"), (f"{p}-{v}.tar.gz",), ()
        ),
        Workload("package", "any", ("zip", "-r", f"{p}-{v}.zip", "dist"), (f"{p}-{v}.zip",), ()),
        Workload("release", "any", ("make", "release"), (f"dist/{p}_{v}_linux_amd64.tar.gz",), ()),
        Workload("release", "any", ("./scripts/release.sh", v), (f"dist/{p}-{v}.tar.gz",), ()),
    )


@dataclass(frozen=True)
class Project:
    """A project of an org, at a version, and one of its workloads."""

    org: str
    name: str
    version: str
    work: Workload
    step: str


def draw(rng: random.Random, *, kinds: tuple[str, ...] = (), languages: tuple[str, ...] = ()) -> Project:
    """A project and a workload (optionally of given kinds / languages), seeded."""
    org, name, version = pick(rng, ORGS), pick(rng, PROJECTS), pick(rng, VERSIONS)
    pool = [
        w
        for w in workloads(name, version, org)
        if (not kinds or w.kind in kinds) and (not languages or w.language in languages)
    ]
    kind = pick(
        rng, sorted({w.kind for w in pool})
    )  # every kind equally often, whatever its number of commands
    work = pick(rng, [w for w in pool if w.kind == kind])
    step = pick(rng, STEP_NAMES[work.kind]) if rng.random() < 0.6 else work.kind
    return Project(org, name, version, work, step)


_KIND_FOR = {
    "sbom": ("sbom",),
    "sarif": ("scan",),
    "vex": ("scan",),
    "docker": ("image",),
    "oci": ("image",),
    "k8smanifest": ("deploy",),
    "maven": ("build", "test"),
}


def draw_for(rng: random.Random, attestor: str) -> Project:
    """A project whose workload can run `attestor` (any workload for CI and host attestors)."""
    kinds = _KIND_FOR.get(attestor, ())
    languages = ("java",) if attestor == "maven" else ()
    for _ in range(50):
        pr = draw(rng, kinds=kinds, languages=languages)
        if not kinds or attestor in pr.work.attestors:
            return pr
    raise AssertionError(f"no workload for {attestor}")
