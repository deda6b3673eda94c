"""What each attestor records and needs (REFERENCE §1.2-1.4), and the facts built from it.

`INFO` says, per attestor, what its predicate holds, what people call the thing they want captured,
and what it needs to work. The facts ask "which attestor captures X?", "what does -a Y need?" and
"where is field Z in Rego?" (the field paths come from the Rego requirement catalogue, so facts and
Rego examples agree).
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from witness_evals.witness import cli as cli_spec
from witness_evals.witness.attestors import ATTESTORS


@dataclass(frozen=True)
class Info:
    records: str
    """What the predicate holds (a clause after "it records")."""
    captures: tuple[str, ...]
    """Noun phrases for what people want captured."""
    needs: str = ""
    """What it needs to work / when it fails ("" when nothing special)."""
    needs_terms: tuple[str, ...] = ()
    """Terms an answer about `needs` must contain (one of them)."""
    caveat: str = ""
    """A sentence every answer that recommends the attestor carries ("" when none): where `needs` warns that the
    attestor fails in a common setup, an answer offering it must say so too."""


INFO: dict[str, Info] = {
    "aws-codebuild": Info(
        "the CodeBuild build's `CODEBUILD_*` values (build id and ARN, project name, initiator, source repository "
        "and version, webhook event and ref, region) under `build_info`",
        (
            "which AWS CodeBuild project and build produced an artifact",
            "the CodeBuild initiator and webhook event",
        ),
    ),
    "aws": Info(
        "the EC2 instance identity document (account id, region, availability zone, instance id and type, AMI, "
        "architecture) together with the raw document and its signature",
        ("the EC2 instance identity of our build machine", "which AWS account and region the builder ran in"),
        "an EC2 instance (it reads the instance identity document from the instance metadata service); "
        "`--attestor-aws-region-cert` supplies the certificate used to check the document's signature",
        ("EC2", "metadata"),
    ),
    "command-run": Info(
        "the argv of the command after `--` (`cmd`), its exit code, its stdout/stderr and, with `--trace`, the "
        "processes it started",
        ("the exact command a build step ran", "the exit code and output of our build command"),
        "a command after `--`: `witness run ... -- <cmd>` adds it automatically, and `-a command-run` is ignored "
        "with a warning",
        ("--", "after `--`", "command follows"),
    ),
    "docker": Info(
        "the images a `docker buildx build` produced: for each image its references (tags), digest and the base "
        "images it was built from",
        ("the image digests and tags from `docker buildx build`", "the base images of our Docker build"),
        "a build run with `docker buildx build --metadata-file <file>`: the attestor reads that metadata file",
        ("--metadata-file", "metadata file"),
    ),
    "environment": Info(
        "the OS, hostname, user name and the environment variables of the step, with sensitive values masked "
        "as `******`",
        ("the environment variables of the build", "which user and host ran the build step"),
    ),
    "gcp-iit": Info(
        "the verified GCE instance identity token (`jwt`) and the VM's project, zone, instance and GKE cluster "
        "details (snake_case fields such as `project_id`, `instance_id`, `cluster_name`)",
        ("the GCP VM identity of our runner", "which GCP project and zone the build VM was in"),
        "a Google Compute Engine VM or GKE node (it asks the metadata server for an identity token); in every "
        "release up to v0.12 a token with a `google` claim (a plain GCE VM's full-format token) makes the attestor "
        "panic, so it only completes where the token has none, the case the code treats as GKE Workload Identity",
        ("metadata", "GCE", "Compute Engine"),
        "Caveat: in every release up to v0.12 it panics on a plain GCE VM, whose full-format identity token has a "
        "`google` claim (go-witness reads that claim with unchecked type assertions); it only completes where the "
        "token has no such claim, the case the code treats as GKE Workload Identity.",
    ),
    "git": Info(
        "the commit (hash, author, committer, message, signature), the branch, tags, remotes, parent hashes and "
        "the status of uncommitted files",
        ("the commit and branch that was built", "whether the work tree had uncommitted changes"),
        # go-witness v0.12.0 attestation/git/git.go:126-140 (go-git's `repository does not exist`, an unborn HEAD
        # is tolerated); witness options/run.go `DefaultAttestors` holds git, so a plain run fails there too
        "a git work tree: outside one it fails with `repository does not exist`, and since `git` is one of the "
        "defaults that includes a `witness run` without `-a` (there, pass an `-a` list without `git`, e.g. "
        "`-a environment`); a repository without commits yields an empty git attestation",
        ("work tree", "repository", "git repo"),
    ),
    "github": Info(
        "the GitHub Actions run (workflow, run id and URL, runner OS and arch, server URL) and the claims of the "
        "verified OIDC token under `jwt`",
        (
            "which GitHub Actions workflow run built an artifact",
            "the GitHub OIDC token claims (repository, ref, actor)",
        ),
        "a GitHub Actions job with `GITHUB_ACTIONS=true` and an OIDC token (job permission `id-token: write`); "
        "elsewhere it fails with `not in a github ci job`",
        ("GITHUB_ACTIONS", "id-token", "OIDC"),
    ),
    "gitlab": Info(
        "the GitLab CI job and pipeline (job name, stage, image, job/pipeline/project URLs, server URL) and, "
        "when `CI_JOB_JWT` is set, the job JWT claims under `jwt`",
        ("the GitLab pipeline and job that ran a build", "the GitLab job image and stage"),
        "a GitLab CI job (`GITLAB_CI=true`); the `jwt` part needs `CI_JOB_JWT`, which GitLab 17.0 removed",
        ("GITLAB_CI",),
    ),
    "jenkins": Info(
        "the Jenkins build (build number and tag, job name, node, executor, workspace, Jenkins URL, pipeline URL)",
        ("the Jenkins job and node that built an artifact", "the Jenkins build number of a release"),
        "`JENKINS_URL` in the environment, i.e. a Jenkins build",
        ("JENKINS_URL",),
    ),
    "jwt": Info(
        "the claims of a verified JWT and the JWKS key it was checked with",
        ("a verified OIDC token's claims on their own",),
        "a token handed to it in code: the CLI has no flag for one, so `witness run -a jwt` always fails; github, "
        "gitlab and gcp-iit embed a jwt predicate instead",
        ("fails", "no flag", "embed"),
    ),
    "k8smanifest": Info(
        "the Kubernetes manifests (`.yaml`, `.yml`, `.json`) that the step's command wrote or changed (its "
        "products), with ephemeral fields removed, the images each one references and, by default, the cluster "
        "of the kubeconfig's current context",
        ("the Kubernetes manifests we deploy", "the images referenced by our Kubernetes YAML"),
        "manifests written or changed by the wrapped command (only products are parsed: a manifest that is "
        "already in the checkout and untouched is a material and is not recorded), and, because "
        "`--attestor-k8smanifest-record-cluster-information` defaults to `true`, a kubeconfig with a current "
        "context (`$HOME/.kube/config` or `--attestor-k8smanifest-kubeconfig`); without one pass "
        "`--attestor-k8smanifest-record-cluster-information=false`, otherwise the run fails",
        ("record-cluster-information", "kubeconfig"),
    ),
    "link": Info(
        "an in-toto Link v0.3 predicate: the step name, the command, the materials and the environment",
        ("an in-toto link for a step", "in-toto link metadata next to the witness collection"),
    ),
    "lockfiles": Info(
        "the name, full content and sha256 of every known lock file (`go.sum`, `package-lock.json`, "
        "`yarn.lock`, `pnpm-lock.yaml`, `Cargo.lock`, `poetry.lock`, `Pipfile.lock`, `Gemfile.lock`, "
        "`composer.lock`, `Podfile.lock`, `gradle.lockfile`)",
        ("the lock files of our project", "the contents of `package-lock.json` or `go.sum` at build time"),
        "the lock files in the process's current directory: it does not look in `--workingdir`",
        ("current directory",),
    ),
    "material": Info(
        "the digest of every file in the working directory before the command runs (a map from path to digests)",
        ("the digests of the source files a step started from", "what was in the checkout before the build"),
    ),
    "maven": Info(
        "the POM's coordinates (`groupid`, `artifactid`, `version`, `projectname`) and its dependencies with "
        "their scope",
        ("the Maven dependencies of our project", "the coordinates from our pom.xml"),
        "a POM, by default `pom.xml` (change it with `--attestor-maven-pom-path`)",
        ("pom.xml", "--attestor-maven-pom-path"),
    ),
    "oci": Info(
        "an image tarball's tags, manifest, layer diff ids, image id and the digests of the tarball and manifest",
        ("the layers and tags of an image tarball", "the digest of an image saved with `docker save`"),
        "an image tarball written by the wrapped command (e.g. `docker save -o app.tar ghcr.io/acme/app:1.0.0`): it only reads "
        "the step's products",
        ("tarball", "tar"),
    ),
    "omnitrail": Info(
        "an omnitrail file trail: sha1, sha256 and gitoid digests of every file and directory under the working "
        "directory, under the key `Envelope`",
        ("a full file trail with gitoids of the working tree",),
        "a Linux or macOS build of witness: omnitrail is not compiled into Windows builds",
        ("Windows",),
    ),
    "policyverify": Info(
        "the SLSA verification summary of a `witness verify` run: the policy's digest, the input attestations "
        "and `PASSED` or `FAILED`",
        ("the verification summary (VSA) of a policy check",),
        "a `witness verify` run: it is produced only there (run type `verify`), and the CLI neither signs nor "
        "writes it out",
        ("witness verify",),
    ),
    "product": Info(
        "the digest and mime type of every file the command created or changed (`--attestor-product-include-glob` "
        "/ `--attestor-product-exclude-glob` only choose which of them become statement subjects; the product "
        "predicate still lists them all)",
        ("the digests of the files our build produced", "the output artifacts of a step"),
    ),
    "sarif": Info(
        "a SARIF report that the step's command wrote (one of its products), with its file name and digest",
        ("our static-analysis SARIF results", "the Semgrep or CodeQL report of a scan step"),
        "a SARIF report written or changed by the wrapped command: it only reads the step's products, so a "
        "report that is already in the checkout and untouched does not count",
        ("SARIF",),
    ),
    "sbom": Info(
        "an SPDX or CycloneDX JSON SBOM that the step's command wrote (one of its products), parsed into an SPDX "
        "document or CycloneDX BOM and re-encoded from it (not the file's original bytes: fields those types do "
        "not know are dropped); the attestation's type becomes the SBOM format's URI",
        ("the SBOM syft generated", "a CycloneDX or SPDX SBOM of the build"),
        "an SPDX or CycloneDX *JSON* file written by the wrapped command, i.e. among the products (XML is "
        "skipped); otherwise it fails with `no SBOM file found` (`no products to attest` when the command writes "
        "nothing)",
        ("no SBOM file found", "JSON"),
    ),
    "secretscan": Info(
        # go-witness v0.12.0 attestation/secretscan/scanner.go:432-466: Attest scans the completed attestors of the
        # earlier phases (scanAttestations, skipping other postproduct ones) and then the products
        "gitleaks findings over the step's products and over the attestations recorded before it (e.g. "
        "command-run's stdout and stderr); each secret is stored only as a digest, and a finding fails the run "
        "only with `--attestor-secretscan-fail-on-detection`",
        ("a secret scan of our build outputs", "leaked credentials in build artifacts"),
    ),
    "slsa": Info(
        "SLSA v1.0 provenance derived from the step: build type, external parameters, resolved dependencies, "
        "builder id and start/finish times",
        ("SLSA provenance for our builds", "SLSA v1 build provenance"),
    ),
    "system-packages": Info(
        "the distribution and its version (`ID` and `VERSION_ID` of /etc/os-release) and the installed packages of "
        "the build machine, from `rpm` on Fedora/RHEL-like systems (version without the release) and `dpkg-query` "
        "on every other one (so it fails where there is no dpkg, e.g. Alpine), with a digest of the predicate",
        (
            "the OS packages installed in the build container",
            "which Debian/Ubuntu packages were on the builder",
        ),
    ),
    "vex": Info(
        "an OpenVEX document that the step's command wrote (one of its products), with its file name and digest",
        ("our OpenVEX vulnerability statements", "VEX triage results for a release"),
        "an OpenVEX JSON document written or changed by the wrapped command: it only reads the step's products, "
        "so a VEX file that is already in the checkout and untouched is a material and the run fails with "
        "`no VEX file found` (or `no products to attest` when the command writes nothing)",
        ("product", "no VEX file found", "written"),
    ),
}


@dataclass(frozen=True)
class Fact:
    """One fact of the `facts` family: its question forms, its answer and the check of any answer."""

    fid: str
    kind: str
    questions: tuple[str, ...]
    answer: str
    check: dict[str, Any]
    why: tuple[str, ...] = ()
    """Context sentences, one of which may follow (or precede) the answer."""
    commands: tuple[str, ...] = ()
    """Commands that show the fact on the user's machine (valid for the release)."""
    answers: tuple[str, ...] = ()
    """Per-question answers, aligned with `questions`: "" (or a missing entry) means `answer` fits that question;
    otherwise the text answers that very question first (e.g. "No: ..." to "Does X have a --y flag?")."""

    def answer_to(self, t: int) -> str:
        """The answer to question `t`."""
        return (self.answers[t] if t < len(self.answers) else "") or self.answer


def _terms(require: list[list[str]], forbid: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "terms", "require": require, "forbid": forbid or []}
    out.update(extra)
    return out


PRODUCT_READERS: dict[str, tuple[str, str, str]] = {
    "sbom": ("sbom", "syft dir:. -o spdx-json=sbom.spdx.json", "sbom.spdx.json"),
    "sarif": ("scan", "semgrep scan --config auto --sarif --output results.sarif", "results.sarif"),
    "vex": ("vex", "cp security/app.openvex.json app.openvex.json", "app.openvex.json"),
    "k8smanifest": ("manifests", "kustomize build deploy/overlays/prod -o manifests.yaml", "manifests.yaml"),
    "oci": ("image", "docker save -o app.tar ghcr.io/acme/app:1.0.0", "app.tar"),
    "docker": (
        "image",
        "docker buildx build --metadata-file metadata.json -t ghcr.io/acme/app:1.0.0 --push .",
        "metadata.json",
    ),
}
"""Attestors that read the step's products (REFERENCE §1.4): (step, a wrapped command that writes the file they
read, that file). A file that is already in the checkout and untouched is a material, not a product."""


def _no_file(what: str, error: str) -> str:
    return (
        f"the run fails: with `no products to attest` when the step has no products at all, and with `{error}` "
        f"when none of its products is {what}"
    )


_PRODUCT_NEEDS: dict[str, tuple[str, str]] = {
    "sbom": (
        "the SPDX or CycloneDX JSON SBOM",
        _no_file("an SPDX or CycloneDX JSON SBOM", "no SBOM file found"),
    ),
    "sarif": ("the SARIF report", _no_file("a SARIF report", "no sarif file found")),
    "vex": ("the OpenVEX JSON document", _no_file("an OpenVEX document", "no VEX file found")),
    "oci": ("the image tarball", _no_file("an image tarball", "no tar file found")),
    "docker": ("the buildx metadata file", "there is nothing to record"),
    "k8smanifest": ("the manifests", "it is not recorded"),
}
"""What each product-reading attestor reads, and what happens when the command does not write it (go-witness
v0.12.0 attestation/*: sbom, sarif, vex and oci fail with `no products to attest` when the step has no products
and with `no ... file found` when none of them fits; k8smanifest skips non-products)."""

K8S_NO_CLUSTER = "--attestor-k8smanifest-record-cluster-information=false"
"""What a `witness run` with k8smanifest needs where no kubeconfig is set up (the option defaults to true and
the run fails without a current context, or where that context's name is not also a cluster name:
go-witness v0.12.0 attestation/k8smanifest/k8s.go runRecordClusterInfo)."""


CYCLONEDX_RUN = ("syft dir:. -o cyclonedx-json=sbom.cdx.json", "sbom.cdx.json")
"""An sbom step for users who asked about CycloneDX."""


def product_note(name: str, run: tuple[str, str] | None = None) -> str:
    """What a product-reading attestor needs from the wrapped command ("" for the others); `run` is the (command,
    file) shown, by default the attestor's `PRODUCT_READERS` entry."""
    if name not in PRODUCT_READERS:
        return ""
    cmd, file = run or PRODUCT_READERS[name][1:]
    what, consequence = _PRODUCT_NEEDS[name]
    text = (
        f"The wrapped command must write (or change) {what} (for example `{cmd}` writing `{file}`): `{name}` only "
        f"reads the step's products, and a file that is already in the checkout and untouched is a material, so "
        f"{consequence}."
    )
    if name == "k8smanifest":
        text += (
            f" Add `{K8S_NO_CLUSTER}` unless the runner has a kubeconfig whose current context is named like one "
            "of its clusters: recording the cluster is on by default and fails otherwise."
        )
    return text


def run_with(
    gr: cli_spec.Grammar, name: str, step: str | None = None, run: tuple[str, str] | None = None
) -> str:
    """A valid `witness run` that records `name`, keeps the default attestors and can succeed: product-reading
    attestors wrap a command that writes what they read, k8smanifest does not record the cluster, and `jwt` (which
    always fails from the CLI) is replaced by `github`, which embeds a verified JWT."""
    spec = ATTESTORS[name]
    tail = "make"
    if name in PRODUCT_READERS:
        step = step or PRODUCT_READERS[name][0]
        tail = (run or PRODUCT_READERS[name][1:])[0]
    step = step or "build"
    if name == "jwt":
        cmd = f"witness run -s {step} -k key.pem -a environment,git,github -o {step}.json -- {tail}"
    elif spec.selection in ("always", "always-with-command", "verify-only", "default"):
        cmd = f"witness run -s {step} -k key.pem -o {step}.json -- {tail}"
    else:
        extra = f" {K8S_NO_CLUSTER}" if name == "k8smanifest" else ""
        cmd = f"witness run -s {step} -k key.pem -a environment,git,{name}{extra} -o {step}.json -- {tail}"
    assert gr.parse(cmd).valid, cmd
    return cmd


UNREADABLE_UNEXPORTED = ("link", "slsa")
"""Exporters whose predicate, left in the collection, makes it unreadable for `witness verify`: go-witness v0.12.0
attestation/link/link.go:142-151 and slsa/slsa.go:271-280 marshal protobuf messages (structpb `environment`,
`external_parameters`) with encoding/json, which cannot read them back into their interface-typed `Kind`."""


def export_note(name: str) -> str:
    """Why a recommendation of link/slsa carries `--attestor-<name>-export` ("" for the other attestors)."""
    if name not in UNREADABLE_UNEXPORTED:
        return ""
    return (
        f"Record it with `--attestor-{name}-export`: a {name} predicate left in the collection makes the collection "
        f"unreadable for `witness verify`; exported, it is written as its own statement to `<outfile>-{name}.json`, "
        "so a policy step cannot require its type in the collection."
    )


def run_exported(gr: cli_spec.Grammar, name: str, step: str | None = None) -> str:
    """`run_with`, plus `--attestor-<name>-export` for link and slsa (see `UNREADABLE_UNEXPORTED`)."""
    cmd = run_with(gr, name, step)
    if name in UNREADABLE_UNEXPORTED:
        cmd = cmd.replace(f",{name} -o ", f",{name} --attestor-{name}-export -o ", 1)
        assert f"--attestor-{name}-export" in cmd and gr.parse(cmd).valid, cmd
    return cmd


_CAPTURE_Q = (
    "Which attestor do I need to capture {c}?",
    "What do I add to `witness run` so the attestation includes {c}?",
    "Is there a witness attestor for {c}?",
    "I want {c} in our attestations. Which `-a` value is that?",
    "Our auditors asked for {c}. How do I get witness to record that?",
    "how do i get {c} into the witness collection",
)


def capture_facts(gr: cli_spec.Grammar) -> list[Fact]:
    out: list[Fact] = []
    for name, info in INFO.items():
        spec = ATTESTORS[name]
        for i, c in enumerate(info.captures):
            if name == "jwt":
                answer = (
                    f"Not `jwt` itself: the `jwt` attestor records {info.records}, but {info.needs}. For GitHub "
                    "Actions, `-a github` records the verified OIDC token claims under `jwt`."
                )
                check = _terms([["github", "gitlab", "gcp-iit"]], ["-a jwt works"], not_start=["yes"])
            elif spec.selection == "verify-only":
                answer = (
                    f"`{name}`: it records {info.records}. You don't enable it: {info.needs}; its type is "
                    f"`{spec.type}`."
                )
                check = _terms([[name]], [f"-a {name}"])
            else:
                how = {
                    "always": "`witness run` always records it, whatever `-a` says",
                    "always-with-command": "it is added automatically when a command follows `--`",
                    "default": "it is one of the defaults of `-a` (`environment`, `git`), so keep it in the list "
                    "if you pass `-a`",
                    "opt-in": f"it is opt-in: add `-a {name}` (listing the defaults too, since `-a` replaces "
                    "them)",
                }[spec.selection]
                if name == "sbom":
                    typed = (
                        f"In a policy step its type is `{spec.aliases[0]}` (SPDX) or `{spec.aliases[1]}` "
                        f"(CycloneDX), not the registered `{spec.type}`."
                    )
                elif name in UNREADABLE_UNEXPORTED:
                    typed = f"{export_note(name)} Its type is `{spec.type}`."
                else:
                    typed = f"In a policy step its type is `{spec.type}`."
                answer = (
                    f"The `{name}` attestor: it records {info.records}. {how[0].upper()}{how[1:]}. {typed}"
                )
                note = product_note(name)
                if note:
                    answer += " " + note
                if info.caveat:
                    answer += " " + info.caveat
                check = _terms([[name]])
            cmd = run_exported(gr, name)
            out.append(
                Fact(
                    f"attestor/capture/{name}/{i}",
                    "attestor-capture",
                    tuple(q.format(c=c) for q in _CAPTURE_Q),
                    answer,
                    check,
                    why=(
                        "`witness attestors list` prints every attestor with its type and run type.",
                        f"`witness attestors schema {name}` shows the fields of its predicate.",
                    ),
                    commands=(cmd, "witness attestors list", f"witness attestors schema {name}"),
                )
            )
    return out


_NEEDS_Q = (
    "What does the `{a}` attestor need in order to work?",
    "`witness run -a {a}` fails for me. What does that attestor require?",
    "Before I add `-a {a}` to our pipeline: what has to be in place?",
    "When does the {a} attestor fail?",
    "Is there anything special about running the `{a}` attestor?",
    "Prerequisites for `-a {a}`?",
)


def needs_facts(gr: cli_spec.Grammar) -> list[Fact]:
    out: list[Fact] = []
    for name, info in INFO.items():
        if not info.needs:
            continue
        answer = f"`{name}` needs {info.needs}."
        if name not in ("command-run", "policyverify", "jwt"):
            answer += (
                " Any attestor error makes the whole `witness run` fail (`attestors failed with error messages`), "
                "and nothing is written."
            )
        out.append(
            Fact(
                f"attestor/needs/{name}",
                "attestor-needs",
                tuple(q.format(a=name) for q in _NEEDS_Q),
                answer,
                _terms([list(info.needs_terms)]),
                why=(f"It records {info.records}.",),
                commands=(f"witness attestors schema {name}",),
            )
        )
    return out


_FIELD_Q = (
    "In a Rego rule on the {a} attestation, how do I read {w}?",
    "Where does the {a} predicate keep {w}?",
    "What's the Rego path for {w} in the `{a}` attestation?",
    "Which input field holds {w} when my policy checks the {a} attestation?",
    "I need {w} from the `{a}` attestation in a witness policy. What's the path?",
    "{a} attestation, Rego: which key is {w}?",
)


@functools.cache
def _paths() -> dict[tuple[str, str], tuple[str, str]]:
    """(attestor, path) -> (what it holds, the requirement's field sentence), from the Rego catalogue."""
    from witness_evals.generate import rego_reqs_artifacts, rego_reqs_platform, rego_reqs_source

    out: dict[tuple[str, str], tuple[str, str]] = {}
    makers: list[tuple[str, Callable[[random.Random], Any]]] = [
        (a, m)
        for mod in (rego_reqs_source, rego_reqs_platform, rego_reqs_artifacts)
        for a, ms in mod.MAKERS.items()
        for m in ms
    ]
    for attestor, maker in makers:
        req = maker(random.Random(0))
        for path, what in req.paths:
            out.setdefault((attestor, path), (what, req.fields))
    return out


@functools.cache
def _schema_properties(attestor: str) -> frozenset[str]:
    """Every property name the attestor's published schema declares (at any depth)."""
    from witness_evals.witness.attestors.schema import raw_schema

    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                names.update(props)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(raw_schema(attestor))
    return frozenset(names)


def in_schema(attestor: str, path: str) -> bool:
    """Whether `witness attestors schema <attestor>` names every field of the Rego `path`.

    It does not for values under an untyped object: `jwt.claims` is only `{"type": "object"}`, so a
    claim name such as `runner_environment` never appears in the schema output.
    """
    fields = re.findall(r"\.([A-Za-z_]\w*)", path.removeprefix("input"))
    return bool(fields) and all(f in _schema_properties(attestor) for f in fields)


_DOTTED = re.compile(r"input(\.[A-Za-z_]\w*)+")
_VALUE_ONLY = re.compile(r"the string |`[^`]+`(?: or `[^`]+`)+$|[\w ]+ -> ")
"""A catalogue "what" that only describes the value (`the string "true" or "false"`, `github-hosted` or
`self-hosted`, `path -> {...}`) and so names no field."""


def field_subject(path: str, what: str) -> str:
    """How a question names the field at `path`: `what` where it names one, otherwise the field's key with
    `what` after it (`the `ref_protected` claim (the string "true" or "false")`)."""
    if what.startswith("iterates over "):  # `input[path]` of a bare map
        return "the " + what.removeprefix("iterates over ").replace(
            "(bare map)", "(the keys of the bare map)"
        )
    if not _VALUE_ONLY.match(what):
        return what
    keys = re.findall(r"\.([A-Za-z_]\w*)", path)
    if not keys:
        return f"the value at `{path}` ({what})"
    noun = "claim" if ".jwt.claims." in path else "field"
    return f"the `{keys[-1]}` {noun} ({what})"


def decode_command(attestor: str, path: str) -> str:
    """A jq pipeline that prints `path` from a real attestation file (`att.json`)."""
    type_uri = ATTESTORS[attestor].type
    return (
        f"jq -r .payload att.json | base64 -d | jq '.predicate.attestations[] | "
        f'select(.type=="{type_uri}") | .attestation{path.removeprefix("input")}\''
    )


_REGO_CAVEAT = {
    "slsa": " `witness verify` never runs Rego on it, though: exported (`--attestor-slsa-export`) the provenance "
    "is not in the collection, and kept in it, its protobuf `Struct`s make the collection unreadable "
    "(go-witness writes them with plain encoding/json), so read the field with jq or another tool.",
    "link": " `witness verify` runs Rego on a link only while it stays in the collection (not exported) and the "
    "run did not record `environment`: link copies those variables into a protobuf `Struct` that go-witness "
    "cannot read back.",
}
"""Where Rego on a predicate is evaluated rarely or never (docs/reference-corrections.md)."""


def field_facts(gr: cli_spec.Grammar) -> list[Fact]:
    out: list[Fact] = []
    for (attestor, path), (what, fields) in _paths().items():
        alts = [path, path.removeprefix("input.")]
        # the field sentence often restates `what` ("`x` is `a` or `b`"): say it once
        answer = f"The path is `{path}`. {fields}" if what in fields else f"`{path}`: {what}. {fields}"
        answer += _REGO_CAVEAT.get(attestor, "")
        where: tuple[str, ...] = (
            f"`witness attestors schema {attestor}` prints all fields of the predicate.",
        )
        commands: tuple[str, ...] = (f"witness attestors schema {attestor}",)
        if not in_schema(attestor, path):
            # the schema types this part as a generic object (or a map): it cannot show the field
            where = ()
            commands = ()
        if not in_schema(attestor, path) and _DOTTED.fullmatch(path) and attestor != "sbom":
            # show the value from a real attestation instead (an sbom's type is its document format's URI)
            answer += (
                f" `witness attestors schema {attestor}` does not list it (the schema only types that part as an "
                "open object); decode a real attestation to see the value:\n\n"
                f"```bash\n{decode_command(attestor, path)}\n```"
            )
        out.append(
            Fact(
                f"attestor/field/{attestor}/{path}",
                "predicate-field",
                tuple(q.format(a=attestor, w=field_subject(path, what)) for q in _FIELD_Q),
                answer,
                _terms([list(dict.fromkeys(alts))]),
                why=(
                    "Rego's `input` is the attestor's predicate itself (no `predicate` wrapper, no statement "
                    "around it).",
                    *where,
                ),
                commands=commands,
            )
        )
    return out


_SUBJECTS_Q = (
    "Which subjects does the {a} attestation add to the in-toto statement?",
    "Does the `{a}` attestor contribute subjects that `witness verify` can match?",
    "What subject names come from the {a} attestor?",
    "I'm debugging why verify can't find a collection. What subjects does `{a}` produce?",
    "Which statement subjects should I expect from `-a {a}`?",
    "How does the {a} attestor show up in the statement's `subject` list?",
)
_NO_SUBJECT = ["no subject", "no subjects", "none", "doesn't add", "does not add", "adds no"]


@functools.cache
def _subject_prefixes() -> dict[str, tuple[list[str], list[str]]]:
    """attestor -> (subject name prefixes, backref prefixes), computed by the core on sample scenarios."""
    from witness_evals.witness.attestors import Scenario

    kinds = {"sbom": {"step_kind": "sbom"}, "oci": {"step_kind": "image"}, "docker": {"step_kind": "image"}}
    kinds["k8smanifest"] = {"step_kind": "deploy"}
    out: dict[str, tuple[list[str], list[str]]] = {}
    for name, spec in ATTESTORS.items():
        if name == "policyverify":
            continue
        kw: dict[str, Any] = dict(kinds.get(name, {}))
        if name in ("github", "gitlab", "jenkins", "aws-codebuild"):
            kw["ci"] = name
        subj: set[str] = set()
        back: set[str] = set()
        for seed in range(3):
            s = Scenario.random(random.Random(seed), **kw)
            pred = spec.build(s.sub_rng(name), s)
            subj |= {k.split(":")[0] for k in spec.subjects(pred, products=s.products())}
            back |= {k.split(":")[0] for k in spec.backrefs(pred)}
        collapsed = sorted({"layerdiffidNN" if p.startswith("layerdiffid") else p for p in subj})
        out[name] = (collapsed, sorted(back))
    return out


def subject_facts(gr: cli_spec.Grammar) -> list[Fact]:
    out: list[Fact] = []
    for name, (prefixes, back) in _subject_prefixes().items():
        spec = ATTESTORS[name]
        if prefixes:
            listed = ", ".join(f"`{p}:...`" for p in prefixes)
            prefix = (
                # the type the attestation carries once it ran: the SBOM format's URI (REFERENCE §5.5)
                f"`{spec.aliases[0]}/<name>` for SPDX, `{spec.aliases[1]}/<name>` for CycloneDX"
                if name == "sbom"
                else f"`{spec.type}/<name>`"
            )
            answer = (
                f"`{name}` reports these subject names: {listed}. Inside the collection's statement each one is "
                f"prefixed with the attestor type ({prefix}); verify matches subjects by digest value only."
            )
            if back:
                # every back-reference, not only the first: aws-codebuild's BackRefs() returns all of its subjects
                # (go-witness v0.12.0 attestation/aws-codebuild/aws-codebuild.go:249-252)
                one = len(back) == 1
                refs = " and ".join(", ".join(f"`{b}`" for b in back).rsplit(", ", 1))
                answer += (
                    f" {refs} {'is' if one else 'are'} also {'a back-reference' if one else 'back-references'}: "
                    f"once this step passes, verify searches for other steps' collections with "
                    f"{'that digest' if one else 'those digests'}."
                )
            if name == "aws-codebuild":
                answer += (
                    " A `codebuild-project:...` subject is added only when `CODEBUILD_PROJECT_NAME` is set, which "
                    "CodeBuild itself does not do (the project is the part of `build_id` before the `:`)."
                )
            check = _terms([[p] for p in prefixes[:2]])
        else:
            answer = (
                f"`{name}` adds no subjects, so a collection is never found through it; steps are found through "
                "the subjects of other attestors (e.g. `product` files, git's `commithash`)."
            )
            check = _terms([_NO_SUBJECT], not_start=["yes"])
        out.append(
            Fact(
                f"attestor/subjects/{name}",
                "attestor-subjects",
                tuple(q.format(a=name) for q in _SUBJECTS_Q),
                answer,
                check,
                why=(f"It records {INFO[name].records}.",),
            )
        )
    return out
