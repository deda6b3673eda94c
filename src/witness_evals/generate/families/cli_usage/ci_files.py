"""CI files as users paste them, and the same files with one command wrapped by `witness run`.

One function per system (GitHub Actions, GitLab CI, Jenkinsfile, Tekton Task, Makefile, shell script,
AWS CodeBuild buildspec). Each writes the whole file from a `Job`: the original (`wrapped=None`) or the
modified one, where the wrapped command's line is replaced by the witness command and the key or
token handling that CI needs is added (a step that writes a secret to a file, `withCredentials`, a
Secret volume, `id_tokens`...). The witness line is written so that `bench.answers.commands` finds it
(`run: |` blocks, `script:` items, `sh '...'`, recipe lines); nothing is ever executed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from witness_evals.generate.families.cli_usage.workloads import Project
from witness_evals.generate.phrasing import pick

SYSTEM_NAMES = {
    "github": "GitHub Actions",
    "gitlab": "GitLab CI",
    "jenkins": "Jenkins",
    "tekton": "Tekton",
    "make": "Makefile",
    "shell": "shell script",
    "codebuild": "CodeBuild",
}
UNITS = {
    "github": ("workflow", "workflow file", "job"),
    "gitlab": ("job", ".gitlab-ci.yml job", "pipeline job"),
    "jenkins": ("Jenkinsfile", "pipeline", "stage"),
    "tekton": ("Task", "Tekton Task"),
    "make": ("Makefile", "make target"),
    "shell": ("build script", "script"),
    "codebuild": ("buildspec", "buildspec.yml"),
}
WHERE = {
    "github": ("GitHub Actions workflow", "GitHub workflow", "Actions job"),
    "gitlab": ("GitLab CI job", ".gitlab-ci.yml job", "GitLab pipeline job"),
    "jenkins": ("Jenkins pipeline", "Jenkinsfile", "declarative pipeline"),
    "tekton": ("Tekton Task", "Tekton build Task"),
    "make": ("Makefile", "make target"),
    "shell": ("build script", "release shell script"),
    "codebuild": ("CodeBuild buildspec", "buildspec.yml"),
}
"""How a user refers to their file in a sentence."""
LANGS = {
    "github": "yaml",
    "gitlab": "yaml",
    "jenkins": "groovy",
    "tekton": "yaml",
    "make": "makefile",
    "shell": "bash",
    "codebuild": "yaml",
}


@dataclass
class Job:
    """The parts of one CI file, drawn once and rendered twice (as pasted, and modified)."""

    system: str
    pr: Project
    name: str
    """Job / stage / target / task name."""
    before: tuple[str, ...]
    command: str
    """The wrapped command as the user's file shows it."""
    image: str = ""
    runner: str = ""
    trigger: tuple[str, ...] = ()
    setup: tuple[str, ...] = ()
    """Extra YAML/Groovy lines of the file that stay as they are."""
    artifacts: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    label: str = ""
    secret: str = ""
    """Secret / credential / variable name the key or token comes from."""
    secret_item: str = ""
    has_id_token: bool = False
    extras: dict[str, str] = field(default_factory=dict)


_IMAGES = {
    "go": ("golang:1.23", "golang:1.22-bookworm"),
    "node": ("node:20-bookworm", "node:22-alpine"),
    "python": ("python:3.12-slim", "python:3.11"),
    "rust": ("rust:1.82", "rust:1.81-bookworm"),
    "java": ("maven:3.9-eclipse-temurin-21", "eclipse-temurin:21-jdk"),
    "any": ("alpine:3.20", "ubuntu:24.04", "cgr.dev/chainguard/wolfi-base"),
}
_GHA_SETUP = {
    "go": ("      - uses: actions/setup-go@v5", "        with:", "          go-version: '1.23'"),
    "node": ("      - uses: actions/setup-node@v4", "        with:", "          node-version: '20'"),
    "python": ("      - uses: actions/setup-python@v5", "        with:", "          python-version: '3.12'"),
    "java": (
        "      - uses: actions/setup-java@v4",
        "        with:",
        "          distribution: temurin",
        "          java-version: '21'",
    ),
    "rust": (),
    "any": (),
}
_TRIGGERS = (
    ("on:", "  push:", "    branches: [main]"),
    ("on: [push, pull_request]",),
    ("on:", "  push:", "    tags: ['v*']"),
    ("on:", "  workflow_dispatch:", "  push:", "    branches: [main, 'release/**']"),
)


CURL_IMAGES = frozenset(
    {
        "golang:1.23",
        "golang:1.22-bookworm",
        "node:20-bookworm",
        "python:3.11",
        "rust:1.82",
        "rust:1.81-bookworm",
    }
)
"""Job images that ship curl and sha256sum (Debian buildpack-deps based), so a job can install witness itself."""


def release_asset(release: str) -> tuple[str, str]:
    """(download URL prefix, tarball name) of a witness release for linux/amd64 (GoReleaser names, as
    witness's install-witness.sh uses them)."""
    version = release.removeprefix("v")
    return (
        f"https://github.com/in-toto/witness/releases/download/{release}",
        f"witness_{version}_linux_amd64.tar.gz",
    )


def install_lines(release: str, dest: str, *, tmp: str = "/tmp", path_file: str = "") -> tuple[str, ...]:
    """Shell lines that download the witness `release` tarball into `tmp`, check it against the release's
    published SHA-256 list and put the binary into `dest` (in a subshell, so the working directory does not
    change); with `path_file` (`$GITHUB_PATH`) `dest` is created and added to the PATH of later steps."""
    base, name = release_asset(release)
    sums = f"witness_{release.removeprefix('v')}_checksums.txt"

    def q(path: str) -> str:
        return f'"{path}"' if "$" in path else path

    lines = [f"mkdir -p {q(dest)}"] if path_file else []
    lines += [
        f"(cd {q(tmp)} &&",
        f"  curl -sSfLO {base}/{name} &&",
        f"  curl -sSfL {base}/{sums} | grep ' {name}$' | sha256sum -c - &&",
        f"  tar -xzf {name} -C {q(dest)} witness)",
    ]
    if path_file:
        lines.append(f'echo {q(dest)} >> "{path_file}"')
    return tuple(lines)


def draw_job(rng: random.Random, system: str, pr: Project) -> Job:
    """The user's CI file for `pr` in `system` (names, images and surrounding steps drawn)."""
    lang = pr.work.language
    name = pr.step if rng.random() < 0.6 else pick(rng, ("build", "ci", f"{pr.work.kind}-job", pr.work.kind))
    job = Job(
        system,
        pr,
        name,
        pr.work.before if rng.random() < 0.8 else (),
        " ".join(_shell_word(t) for t in pr.work.command),
    )
    job.image = pick(rng, _IMAGES[lang])
    if system == "github":
        job.runner = pick(rng, ("ubuntu-latest", "ubuntu-24.04", "[self-hosted, linux]"))
        job.trigger = pick(rng, _TRIGGERS)
        job.setup = _GHA_SETUP[lang]
        job.secret = pick(rng, ("WITNESS_KEY", "WITNESS_SIGNING_KEY", "ATTESTATION_KEY", "BUILD_SIGNING_KEY"))
    elif system == "gitlab":
        job.secret = pick(rng, ("WITNESS_KEY", "WITNESS_SIGNING_KEY", "ATTESTATION_KEY_FILE", "SIGNING_KEY"))
        job.label = pick(rng, ("build", "test", "release", "package"))
        if pr.work.products and rng.random() < 0.5:
            job.artifacts = (pr.work.products[0],)
    elif system == "jenkins":
        job.label = pick(rng, ("linux", "docker", "build-agents", "linux-amd64"))
        job.secret = pick(rng, ("witness-signing-key", "witness-key", f"{pr.name}-attestation-key"))
    elif system == "tekton":
        job.secret = pick(rng, ("witness-signing-key", "witness-key", f"{pr.name}-witness"))
        job.secret_item = pick(rng, ("key.pem", "tls.key", "private.pem"))
        job.image = pick(rng, (f"registry.{pr.org}.internal/ci/{lang}-witness:latest", job.image))
    elif system == "codebuild":
        job.artifacts = pr.work.products[:1]
        job.image = pick(
            rng, ("aws/codebuild/standard:7.0", "aws/codebuild/amazonlinux2-x86_64-standard:5.0")
        )
    elif system == "shell":
        job.after = pick(rng, ((), ('echo "build finished"',), ("ls -l",)))
    return job


def _shell_word(t: str) -> str:
    import shlex

    return shlex.quote(t)


def _indent(text: str, n: int) -> list[str]:
    return [" " * n + line for line in text.splitlines()]


def _yaml_run(key: str, text: str, indent: int, block: bool) -> list[str]:
    """`key: text` or `key: |` with the text as a block (witness lines always use a block)."""
    if (
        not block
        and "\n" not in text
        and ": " not in text
        and "#" not in text
        and not text.startswith(("'", '"'))
    ):
        return [" " * indent + f"{key}: {text}"]
    return [" " * indent + f"{key}: |", *_indent(text, indent + 2)]


# --------------------------------------------------------------------------- GitHub Actions


def github(
    job: Job,
    wrapped: str | None = None,
    *,
    key_file: str = "",
    id_token: bool = False,
    upload: tuple[str, ...] = (),
    install: tuple[str, ...] = (),
) -> str:
    lines = [f"name: {job.pr.name}-{job.name}", *job.trigger]
    if id_token:
        lines += ["permissions:", "  contents: read", "  id-token: write"]
    lines += [
        "jobs:",
        f"  {job.name}:",
        f"    runs-on: {job.runner}",
        "    steps:",
        "      - uses: actions/checkout@v4",
    ]
    lines += list(job.setup)
    if install:
        lines += ["      - name: Install witness", "        run: |", *[f"          {x}" for x in install]]
    for b in job.before:
        lines += [f"      - run: {b}"]
    if wrapped is not None and key_file:
        lines += [
            "      - name: Write the witness signing key",
            f'        run: printf \'%s\\n\' "$WITNESS_KEY" > "{key_file}"',
            "        env:",
            f"          WITNESS_KEY: ${{{{ secrets.{job.secret} }}}}",
        ]
    lines.append(f"      - name: {job.name}")
    lines += _yaml_run("run", wrapped if wrapped is not None else job.command, 8, wrapped is not None)
    if upload:
        lines += [
            "      - uses: actions/upload-artifact@v4",
            "        with:",
            f"          name: {job.name}-attestation",
        ]
        if len(upload) == 1:
            lines.append(f"          path: {upload[0]}")
        else:
            lines += ["          path: |", *[f"            {u}" for u in upload]]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- GitLab CI


def gitlab(
    job: Job,
    wrapped: str | None = None,
    *,
    token_lines: tuple[str, ...] = (),
    id_token: bool = False,
    upload: tuple[str, ...] = (),
    install: tuple[str, ...] = (),
) -> str:
    lines = [f"{job.name}:", f"  stage: {job.label}", f"  image: {job.image}"]
    if id_token:
        lines += ["  id_tokens:", "    SIGSTORE_ID_TOKEN:", "      aud: sigstore"]
    if job.before or install:
        lines.append("  before_script:")
        if install:
            lines += ["    - |", *[f"      {x}" for x in install]]
        lines += [f"    - {b}" for b in job.before]
    lines.append("  script:")
    if wrapped is None:
        lines += _yaml_item(job.command, 4, block=False)
    else:
        lines += [f"    - {t}" for t in token_lines]
        lines += _yaml_item(wrapped, 4, block=True)
    paths = [*job.artifacts, *upload]
    if paths:
        lines += ["  artifacts:", "    paths:", *[f"      - {p}" for p in paths]]
    return "\n".join(lines) + "\n"


def _yaml_item(text: str, indent: int, *, block: bool) -> list[str]:
    if not block and ": " not in text and "#" not in text and not text.startswith(("'", '"', "*", "&", "!")):
        return [" " * indent + f"- {text}"]
    return [" " * indent + "- |", *_indent(text, indent + 2)]


# --------------------------------------------------------------------------- Jenkins


def jenkins(job: Job, wrapped: str | None = None, *, variable: str = "", upload: tuple[str, ...] = ()) -> str:
    stage = job.name[:1].upper() + job.name[1:]
    lines = [
        "pipeline {",
        f"    agent {{ label '{job.label}' }}",
        "    stages {",
        f"        stage('{stage}') {{",
        "            steps {",
    ]
    for b in job.before:
        lines += [f"                {line}" for line in _sh(b).splitlines()]
    if wrapped is None:
        lines += [f"                {line}" for line in _sh(job.command).splitlines()]
    else:
        lines.append(
            f"                withCredentials([file(credentialsId: '{job.secret}', variable: '{variable}')]) {{"
        )
        lines += [f"                    {line}" for line in _sh(wrapped).splitlines()]
        lines.append("                }")
        if upload:
            lines.append(f"                archiveArtifacts artifacts: '{', '.join(upload)}'")
    lines += ["            }", "        }", "    }", "}"]
    return "\n".join(lines) + "\n"


def _sh(command: str) -> str:
    """A Jenkins `sh` step: single quotes (the shell, not Groovy, expands `$VAR`), or a `'''` block."""
    if "'" not in command and "\\" not in command:
        return f"sh '{command}'"
    return "sh '''\n    " + command + "\n'''"


# --------------------------------------------------------------------------- Tekton


def tekton(job: Job, wrapped: str | None = None, *, mount: str = "") -> str:
    pr = job.pr
    lines = [
        "apiVersion: tekton.dev/v1",
        "kind: Task",
        "metadata:",
        f"  name: {pr.name}-{job.name}",
        "spec:",
        "  workspaces:",
        "    - name: source",
    ]
    if wrapped is not None and mount:
        lines += [
            "  volumes:",
            "    - name: witness-key",
            "      secret:",
            f"        secretName: {job.secret}",
        ]
    lines += [
        "  steps:",
        f"    - name: {job.name}",
        f"      image: {job.image}",
        "      workingDir: $(workspaces.source.path)",
    ]
    if wrapped is not None and mount:
        lines += [
            "      volumeMounts:",
            "        - name: witness-key",
            f"          mountPath: {mount}",
            "          readOnly: true",
        ]
    body = ["#!/bin/sh", "set -e", *job.before, wrapped if wrapped is not None else job.command]
    lines += ["      script: |", *_indent("\n".join(body), 8)]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- Makefile


_TARGETS = {
    "build": "build",
    "test": "test",
    "lint": "lint",
    "package": "package",
    "sbom": "sbom",
    "image": "image",
    "scan": "scan",
    "deploy": "manifests",
    "release": "release",
    "docs": "docs",
}


def make_target(job: Job) -> str:
    return _TARGETS[job.pr.work.kind]


def makefile(job: Job, wrapped: str | None = None) -> str:
    target = make_target(job)
    lines = [f".PHONY: {target} clean", "", f"{target}:"]
    lines += [f"\t{b}" for b in job.before]
    if wrapped is None:
        lines.append(f"\t{job.command}")
    else:
        lines += [("\t" if i == 0 else "\t  ") + line.strip() for i, line in enumerate(wrapped.splitlines())]
    lines += ["", "clean:", "\trm -rf bin dist build"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- shell script


def shell(job: Job, wrapped: str | None = None) -> str:
    lines = ["#!/usr/bin/env bash", "set -euo pipefail", ""]
    lines += list(job.before)
    lines.append(wrapped if wrapped is not None else job.command)
    lines += list(job.after)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- CodeBuild


def codebuild(
    job: Job, wrapped: str | None = None, *, upload: tuple[str, ...] = (), install: tuple[str, ...] = ()
) -> str:
    lines = ["version: 0.2", "phases:"]
    if job.before or install:
        lines += ["  install:", "    commands:"]
        if install:
            lines += ["      - |", *[f"        {x}" for x in install]]
        lines += [f"      - {b}" for b in job.before]
    lines += ["  build:", "    commands:"]
    lines += _yaml_item(wrapped if wrapped is not None else job.command, 6, block=wrapped is not None)
    files = [*job.artifacts, *upload]
    if files:
        lines += ["artifacts:", "  files:", *[f"    - {f}" for f in files]]
    return "\n".join(lines) + "\n"
