"""Builder `cli_intents`: a described intent -> the `witness` command line(s) that do it.

Each task draws the parameters of one intent (`run` with signers, attestors, exporters, hashes,
timestamp servers...; `verify` with keys, x509 CAs, KMS, subjects; `sign`; `attestors schema`;
`policy check`; or sign-then-verify), renders the reference command from them and the prompt from
the same parameters. Values the prompt leaves open are graded with `any_value`. The planted answer
changes one flag the way people get it wrong (a flag that does not exist, `-s` as a step name on
verify, `-t` for timestamps on sign, `-a` dropping the defaults the prompt wanted kept...).
"""

from __future__ import annotations

import random
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from witness_evals.bench.builders import Builder
from witness_evals.bench.builders._common import (
    ARTIFACTS,
    CA_FILES,
    CERT_FILES,
    INTERMEDIATE_FILES,
    KEY_FILES,
    OUT_FILES,
    POLICY_FILES,
    POLICY_PRIVS,
    POLICY_PUBS,
    SIGNED_POLICIES,
    STEPS,
    TSA_URLS,
    assemble,
    fenced,
    fill,
    join_words,
    names,
    opening,
    pick,
)
from witness_evals.bench.task import Task, task_from_mapping
from witness_evals.witness import attestors as attestor_registry

NAME = "cli_intents"
COUNT = 152


@dataclass
class Cmd:
    """A witness command as (flag, value) pairs; value True = bare boolean flag."""

    sub: str
    flags: list[tuple[str, Any]] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    argv: list[str] = field(default_factory=list)

    def render(self) -> str:
        out = ["witness", *self.sub.split()]
        for flag, value in self.flags:
            if value is True:
                out.append(flag)
            elif isinstance(value, list):
                out += [flag, ",".join(value)]
            else:
                out += [flag, shlex.quote(str(value))]
        out += [shlex.quote(a) for a in self.args]
        if self.argv:
            out += ["--", *(shlex.quote(a) for a in self.argv)]
        return " ".join(out)

    def without(self, flag: str) -> Cmd:
        return Cmd(self.sub, [(f, v) for f, v in self.flags if f != flag], list(self.args), list(self.argv))

    def replaced(self, flag: str, new_flag: str, new_value: Any = None) -> Cmd:
        flags = [
            (new_flag, v if new_value is None else new_value) if f == flag else (f, v) for f, v in self.flags
        ]
        return Cmd(self.sub, flags, list(self.args), list(self.argv))

    def plus(self, flag: str, value: Any) -> Cmd:
        return Cmd(self.sub, [*self.flags, (flag, value)], list(self.args), list(self.argv))

    def has(self, flag: str) -> bool:
        return any(f == flag for f, _ in self.flags)


@dataclass
class Intent:
    commands: list[Cmd]
    facts: list[str]
    constraints: list[str]
    planted: list[Cmd]
    mistake: str
    notes: list[str]
    any_value: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


COMMANDS_BY_STEP: dict[str, list[list[str]]] = {
    "compile": [
        ["go", "build", "-trimpath", "-o", "bin/{project}", "./cmd/{project}"],
        ["cargo", "build", "--release", "--locked"],
        ["make", "all"],
    ],
    "assemble": [["./gradlew", "assemble"], ["mvn", "-B", "-ntp", "package"]],
    "bundle": [
        ["pnpm", "run", "bundle"],
        ["npx", "vite", "build"],
        ["tar", "-czf", "dist/{project}.tar.gz", "build/"],
    ],
    "release": [["goreleaser", "release", "--clean"], ["make", "release"]],
    "unit-tests": [["go", "test", "./..."], ["pytest", "-q", "tests/"], ["cargo", "test", "--locked"]],
    "container": [
        [
            "docker",
            "buildx",
            "build",
            "--metadata-file",
            "meta.json",
            "-t",
            "ghcr.io/{team}/{project}:1.4.2",
            ".",
        ],
        ["docker", "save", "-o", "image.tar", "{project}:1.4.2"],
    ],
    "publish": [["npm", "publish", "--provenance=false"], ["twine", "upload", "dist/*"]],
    "lint": [["golangci-lint", "run", "./..."], ["ruff", "check", "."], ["eslint", "src/"]],
    "sast": [
        ["semgrep", "scan", "--config", "p/ci", "--sarif", "-o", "semgrep.sarif"],
        ["gosec", "-fmt", "sarif", "-out", "gosec.sarif", "./..."],
    ],
    "integration": [["make", "integration-test"], ["pytest", "-m", "integration"]],
    "codegen": [["buf", "generate"], ["go", "generate", "./..."]],
    "vet": [["go", "vet", "./..."]],
    "e2e": [["npx", "playwright", "test"]],
    "checksum": [["sha256sum", "dist/{project}.tar.gz"]],
    "docs": [["mkdocs", "build", "--strict"]],
    "fetch-deps": [["go", "mod", "download"], ["npm", "ci"]],
    "smoke": [["./scripts/smoke.sh"]],
    "notarize": [["xcrun", "notarytool", "submit", "dist/{project}.zip", "--wait"]],
}

SARIF_VARIANTS: dict[tuple[str, ...], list[str]] = {
    ("golangci-lint", "run", "./..."): ["golangci-lint", "run", "--output.sarif.path", "lint.sarif", "./..."],
    ("ruff", "check", "."): ["ruff", "check", "--output-format", "sarif", "--output-file", "ruff.sarif", "."],
    ("eslint", "src/"): [
        "eslint",
        "--format",
        "@microsoft/eslint-formatter-sarif",
        "--output-file",
        "eslint.sarif",
        "src/",
    ],
}
"""A lint command that writes no file -> the same tool writing a SARIF report (golangci-lint v2
`--output.sarif.path`, ruff `--output-format sarif --output-file`, ESLint with the
`@microsoft/eslint-formatter-sarif` formatter): the sarif attestor reads a SARIF product and fails
the run with `no sarif file found` when the command wrote none."""

IMAGE_ATTESTORS: dict[str, str] = {"docker": "--metadata-file", "oci": "save"}
"""What the container attestors need from the wrapped command: `docker` parses the buildx metadata
file (`--metadata-file`; else `no products to attest`), `oci` an image tarball (`docker save`; else
`no tar file found`)."""


def _fit_extras(argv: list[str], extras: list[str]) -> tuple[list[str], list[str]]:
    """Make the drawn extra attestors work with the wrapped command: a lint command writes SARIF when
    `sarif` is recorded, and an image attestor the command gives nothing to read becomes the one it
    does. The list keeps its length (a swap may repeat a name) so the prompt makes the same draws."""
    if "sarif" in extras and tuple(argv) in SARIF_VARIANTS:
        argv = list(SARIF_VARIANTS[tuple(argv)])
    fitted: list[str] = []
    for e in extras:
        if e in IMAGE_ATTESTORS and IMAGE_ATTESTORS[e] not in argv:
            e = next((o for o, need in IMAGE_ATTESTORS.items() if need in argv), e)
        fitted.append(e)
    return argv, fitted


def _extras_text(rng: random.Random, extras: list[str]) -> str:
    """The prompt's words for the extra attestors: one draw per entry, a repeated name said once."""
    texts: dict[str, str] = {}
    for e in extras:
        text = _attestor_text(rng, e)
        texts.setdefault(e, text)
    return join_words(list(texts.values()))


CWD_ATTESTORS = frozenset({"oci", "sarif"})
"""Attestors that open their product by its workdir-relative name from witness's own directory
(`cryptoutil.CalculateDigestSetFromFile(path, ...)` in oci.go / sarif.go getCandidate), so with
`-d <dir>` they fail (`error calculating digest set from file`): never combined with `-d`."""


# attestor -> descriptions used in prompts (the CLI name is also used verbatim sometimes)
ATTESTOR_WORDS: dict[str, tuple[str, ...]] = {
    "slsa": ("SLSA provenance", "a SLSA v1.0 provenance predicate"),
    "link": ("an in-toto link", "in-toto link metadata"),
    "sbom": ("the SBOM the command writes", "the generated SBOM"),
    "secretscan": ("a secret scan of the outputs", "gitleaks-style secret scanning of the products"),
    "lockfiles": ("the dependency lock files", "our lockfiles"),
    "maven": ("the Maven POM coordinates and dependencies", "the Maven project details"),
    "system-packages": ("the installed OS packages", "an inventory of system packages on the runner"),
    "github": ("the GitHub Actions run metadata (OIDC claims)", "the Actions job info"),
    "gitlab": ("the GitLab CI job metadata", "the GitLab pipeline/job info"),
    "jenkins": ("the Jenkins build metadata", "the Jenkins job details"),
    "aws-codebuild": ("the CodeBuild build info", "the AWS CodeBuild metadata"),
    "oci": ("the OCI image tarball details", "the image tarball (tags, layers, digests)"),
    "docker": ("the docker buildx metadata", "the docker build metadata file"),
    "k8smanifest": ("the rendered Kubernetes manifests", "the k8s manifests it writes"),
    "sarif": ("the SARIF report", "the static-analysis SARIF output"),
    "omnitrail": ("an OmniTrail record of the files", "OmniTrail file tracking"),
}
EXTRAS_BY_STEP: dict[str, tuple[str, ...]] = {
    "compile": ("slsa", "lockfiles", "system-packages", "link"),
    "assemble": ("maven", "slsa", "lockfiles"),
    "bundle": ("slsa", "secretscan", "link"),
    "release": ("slsa", "secretscan", "omnitrail"),
    "unit-tests": ("lockfiles", "link"),
    "container": ("docker", "oci", "slsa"),
    "publish": ("slsa", "link", "secretscan"),
    "lint": ("sarif", "lockfiles"),
    "sast": ("sarif", "secretscan"),
    "integration": ("link", "system-packages"),
    "codegen": ("link", "lockfiles"),
    "vet": ("link",),
    "e2e": ("link", "system-packages"),
    "checksum": ("link", "slsa"),
    "docs": ("link", "secretscan"),
    "fetch-deps": ("lockfiles",),
    "smoke": ("link", "system-packages"),
    "notarize": ("slsa", "link"),
}
CI_ATTESTORS = (
    ("GitHub Actions", "github"),
    ("GitLab CI", "gitlab"),
    ("Jenkins", "jenkins"),
    ("AWS CodeBuild", "aws-codebuild"),
)

_REQUESTS = (
    "What's the command line?",
    "Which `witness` invocation does that?",
    "Command please.",
    "How do I invoke witness for this?",
    "Give me the one-liner.",
    "What goes into the CI job?",
    "What should I type?",
    "Spell out the full command for me.",
    "How does that look as a witness call?",
)


def _ph(rng: random.Random, options: tuple[str, ...], **kw: Any) -> str:
    return pick(rng, options).format(**kw)


def _attestor_text(rng: random.Random, name: str) -> str:
    if rng.random() < 0.45 or name not in ATTESTOR_WORDS:
        return f"the `{name}` attestor"
    return pick(rng, ATTESTOR_WORDS[name])


# ------------------------------------------------------------------------------ run


def _signer_run(
    rng: random.Random, cmd: Cmd, facts: list[str], notes: list[str], nm: dict[str, str], step: str
) -> str:
    kind = rng.choices(("file", "fulcio", "kms", "x509", "passphrase"), (55, 12, 12, 11, 10))[0]
    if kind == "fulcio":
        issuer = pick(
            rng,
            (
                "https://token.actions.githubusercontent.com",
                "https://oauth2.sigstore.dev/auth",
                "https://gitlab.com",
            ),
        )
        cmd.flags += [
            ("--signer-fulcio-url", "https://fulcio.sigstore.dev"),
            ("--signer-fulcio-oidc-issuer", issuer),
        ]
        if rng.random() < 0.5:
            token = pick(rng, ("/var/run/sigstore/oidc-token", "$RUNNER_TEMP/oidc.jwt", "/tmp/id-token"))
            token = token.replace("$RUNNER_TEMP", "/home/runner/work/_temp")
            cmd.flags.append(("--signer-fulcio-token-path", token))
            tok = f" The OIDC token is written to `{token}`."
        else:
            cmd.flags.append(("--signer-fulcio-oidc-client-id", "sigstore"))
            tok = " Use the `sigstore` OIDC client id."
        facts.append(
            _ph(
                rng,
                (
                    "Keyless signing through the public Fulcio (`https://fulcio.sigstore.dev`), OIDC issuer `{i}`.",
                    "No key file: get a Fulcio cert from https://fulcio.sigstore.dev with issuer `{i}`.",
                ),
                i=issuer,
            )
            + tok
        )
        notes.append("Keyless signing uses the `--signer-fulcio-*` flags; there is no short form for them.")
        return kind
    if kind == "kms":
        ref = pick(
            rng,
            (
                "awskms:///arn:aws:kms:eu-west-1:{acct}:key/{kid}",
                "gcpkms://projects/{team}-ci/locations/global/keyRings/witness/cryptoKeys/{step}",
                "hashivault://{team}-{step}",
            ),
        ).format(
            acct=rng.randint(10**11, 10**12 - 1),
            kid=f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-4{rng.getrandbits(12):03x}-a{rng.getrandbits(12):03x}-{rng.getrandbits(48):012x}",
            team=nm["team"],
            step=step,
        )
        cmd.flags.append(("--signer-kms-ref", ref))
        facts.append(
            _ph(
                rng,
                (
                    "The signing key never leaves KMS: `{r}`.",
                    "Sign via the KMS key `{r}`.",
                    "We sign with a cloud KMS key, reference `{r}`.",
                ),
                r=ref,
            )
        )
        notes.append("A KMS signer is selected with `--signer-kms-ref`; `-k` is only for key files.")
        return kind
    key = fill(rng, KEY_FILES, step=step, team=nm["team"], project=nm["project"])
    cmd.flags.append(("-k", key))
    facts.append(
        _ph(
            rng,
            (
                "Sign with the private key at `{k}`.",
                "The functionary key lives in `{k}`.",
                "Signing key file: `{k}`.",
                "Use `{k}` to sign.",
            ),
            k=key,
        )
    )
    if kind == "x509":
        cert = fill(rng, CERT_FILES, step=step, team=nm["team"])
        cmd.flags.append(("--signer-file-cert-path", cert))
        extra = f"Its certificate is `{cert}`"
        if rng.random() < 0.6:
            inter = fill(rng, INTERMEDIATE_FILES, team=nm["team"])
            cmd.flags.append(("--signer-file-intermediate-paths", [inter]))
            extra += f", issued by the intermediate `{inter}`"
        facts.append(extra + "; both must travel with the signature.")
    elif kind == "passphrase":
        pw = pick(rng, ("/run/secrets/witness_pass", "secrets/{step}.pass", ".keys/passphrase.txt")).format(
            step=step
        )
        cmd.flags.append(("--signer-file-key-passphrase-path", pw))
        facts.append(
            _ph(
                rng,
                (
                    "The key is encrypted; its passphrase is in `{p}`.",
                    "That PEM is passphrase-protected (passphrase file: `{p}`).",
                ),
                p=pw,
            )
        )
        notes.append(
            "The passphrase is read from a file with `--signer-file-key-passphrase-path` "
            "(`--signer-file-key-passphrase` exists only in witness v0.10.x)."
        )
    return kind


def intent_run(rng: random.Random, nm: dict[str, str]) -> Intent:
    step = pick(rng, STEPS)
    argv = [a.format(project=nm["project"], team=nm["team"]) for a in pick(rng, COMMANDS_BY_STEP[step])]
    cmd = Cmd("run", [("-s", step)], argv=argv)
    facts: list[str] = [
        _ph(
            rng,
            (
                "The step is called `{s}`.",
                "Step name: `{s}`.",
                "It's our `{s}` stage.",
                "Record it as step `{s}`.",
            ),
            s=step,
        ),
        _ph(
            rng,
            (
                "It runs `{c}`.",
                "The actual work is `{c}`.",
                "Wrapped command: `{c}`.",
                "Under the hood it's `{c}`.",
            ),
            c=shlex.join(argv),
        ),
    ]
    notes: list[str] = []
    constraints: list[str] = []
    any_value: list[str] = []
    tags: list[str] = []
    signer = _signer_run(rng, cmd, facts, notes, nm, step)
    tags.append(f"signer:{signer}")
    # output
    if rng.random() < 0.2:
        out = f"{step}.json"
        cmd.flags.append(("-o", out))
        any_value.append("outfile")
        constraints.append(
            pick(
                rng,
                (
                    "Write the attestation to a file; the name doesn't matter.",
                    "Save it to any file name you like (not stdout).",
                ),
            )
        )
    else:
        out = fill(rng, OUT_FILES, step=step, project=nm["project"])
        cmd.flags.append(("-o", out))
        facts.append(
            _ph(
                rng,
                (
                    "Write the envelope to `{o}`.",
                    "Save the signed attestation as `{o}`.",
                    "Output path: `{o}`.",
                    "The result should land in `{o}`.",
                ),
                o=out,
            )
        )
    # attestors
    mode = rng.choices(("default", "keep", "only", "ci"), (25, 35, 15, 25))[0]
    extras = list(rng.sample(EXTRAS_BY_STEP[step], min(len(EXTRAS_BY_STEP[step]), rng.choice((1, 1, 2)))))
    drawn = extras
    if mode in ("keep", "only"):
        fitted_argv, drawn = _fit_extras(argv, extras)
        extras = list(dict.fromkeys(drawn))
        if fitted_argv != argv:
            facts[1] = facts[1].replace(f"`{shlex.join(argv)}`", f"`{shlex.join(fitted_argv)}`")
            argv[:] = fitted_argv
    attestors: list[str] = []
    planted_a: list[str] | None = None
    if mode == "keep":
        attestors = ["environment", "git", *extras]
        planted_a = extras
        facts.append(
            _ph(
                rng,
                (
                    "Besides the default environment and git info, also record {x}.",
                    "Keep the usual git/environment data and add {x}.",
                    "On top of what witness records by default, we want {x}.",
                ),
                x=_extras_text(rng, drawn),
            )
        )
    elif mode == "only":
        attestors = extras
        planted_a = ["environment", "git", *extras] if rng.random() < 0.5 else None
        facts.append(
            _ph(
                rng,
                (
                    "Record {x} — no environment or git attestation for this one (the runner has no checkout).",
                    "This step runs outside the repo, so skip the git and environment attestors; just {x} plus whatever witness always adds.",
                ),
                x=_extras_text(rng, drawn),
            )
        )
    elif mode == "ci":
        ci_name, ci = pick(rng, CI_ATTESTORS)
        keep = rng.random() < 0.7
        attestors = (["environment", "git"] if keep else []) + [ci]
        planted_a = [ci] if keep else None
        tags.append(f"ci:{ci}")
        if keep:
            facts.append(
                _ph(
                    rng,
                    (
                        "It runs on {n}; capture the CI metadata too, without losing the default environment and git attestations.",
                        "We're on {n} — add {d} next to the default git and environment records.",
                    ),
                    n=ci_name,
                    d=_attestor_text(rng, ci),
                )
            )
        else:
            facts.append(
                _ph(
                    rng,
                    (
                        "It runs on {n}. Only {d} is wanted from the selectable attestors (drop environment and git).",
                        "On {n}; record {d} instead of the default environment/git pair.",
                    ),
                    n=ci_name,
                    d=_attestor_text(rng, ci),
                )
            )
    else:
        if rng.random() < 0.5:
            facts.append(pick(rng, ("The default attestors are fine.", "Default attestor set is OK.")))
    if attestors:
        cmd.flags.append(("-a", attestors))
    tags.append(f"attestors:{mode}")
    # exporter
    exported = None
    exportable = [a for a in attestors if a in ("slsa", "link", "sbom")]
    if exportable and rng.random() < 0.6:
        exported = pick(rng, exportable)
        cmd.flags.append((f"--attestor-{exported}-export", True))
        facts.append(
            _ph(
                rng,
                (
                    "The {x} predicate should be written as a separate signed file, not kept inside the collection.",
                    "Export {x} into its own attestation file.",
                ),
                x=exported,
            )
        )
        notes.append(
            f"With `--attestor-{exported}-export` witness writes `<outfile>-{exported}.json` next to the collection."
        )
    # options
    options = rng.sample(
        ("tsa", "hashes", "workdir", "trace", "glob", "env", "archivista", "secretscan", "maven"),
        rng.choice((0, 1, 1, 2)),
    )
    for opt in options:
        if opt == "tsa":
            if rng.random() < 0.25:
                cmd.flags.append(("-t", ["https://freetsa.org/tsr"]))
                any_value.append("timestamp-servers")
                constraints.append(
                    "Get the signature timestamped by some RFC 3161 authority — any public one will do."
                )
            else:
                url = fill(rng, TSA_URLS, team=nm["team"])
                cmd.flags.append(("-t", [url]))
                facts.append(
                    _ph(
                        rng,
                        (
                            "Timestamp the signature with `{u}`.",
                            "Our TSA is `{u}`; use it.",
                            "Add a trusted timestamp from `{u}`.",
                        ),
                        u=url,
                    )
                )
        elif opt == "hashes":
            cmd.flags.append(("--hashes", ["sha256", "sha1"]))
            facts.append(
                pick(
                    rng,
                    (
                        "Digests should be computed with both sha256 and sha1.",
                        "We need sha1 digests in addition to sha256.",
                    ),
                )
            )
        elif opt == "workdir":
            wd = pick(rng, ("services/{p}", "apps/{p}", "go/{p}")).format(p=nm["project"])
            text = _ph(
                rng,
                ("The command must run inside `{d}`.", "Working directory for the step: `{d}`."),
                d=wd,
            )
            if not set(attestors) & CWD_ATTESTORS:
                cmd.flags.append(("-d", wd))
                facts.append(text)
        elif opt == "trace":
            cmd.flags.append(("-r", True))
            facts.append(
                pick(rng, ("Trace the process tree as well (Linux runner).", "Turn on process tracing."))
            )
        elif opt == "glob":
            g = pick(rng, ("dist/*", "build/*.tar.gz", "*.whl"))
            if rng.random() < 0.5:
                cmd.flags.append(("--attestor-product-include-glob", g))
                facts.append(f"Only files matching `{g}` should become product subjects.")
            else:
                cmd.flags.append(("--attestor-product-exclude-glob", g))
                facts.append(f"Leave files matching `{g}` out of the product subjects.")
        elif opt == "env":
            if rng.random() < 0.5:
                k = pick(rng, ("MY_API_*", "*_DSN", "SENTRY_AUTH"))
                cmd.flags.append(("--env-add-sensitive-key", [k]))
                facts.append(f"Treat `{k}` as sensitive in the environment attestation too.")
            else:
                cmd.flags.append(("--env-filter-sensitive-vars", True))
                facts.append(
                    pick(
                        rng,
                        (
                            "Sensitive variables should be removed from the environment record entirely, not masked.",
                            "Drop secret-looking env vars completely instead of writing `******`.",
                        ),
                    )
                )
        elif opt == "archivista":
            cmd.flags.append(("--enable-archivista", True))
            if rng.random() < 0.5:
                srv = f"https://archivista.{nm['team']}.example.net"
                cmd.flags.append(("--archivista-server", srv))
                facts.append(f"Also upload the envelope to our Archivista at `{srv}`.")
            else:
                facts.append("Also push it to the default public Archivista instance.")
        elif opt == "secretscan" and "secretscan" in attestors:
            cmd.flags.append(("--attestor-secretscan-fail-on-detection", True))
            facts.append("If the secret scan finds anything, the run itself should fail.")
        elif opt == "maven" and "maven" in attestors:
            pom = f"services/{nm['project']}/pom.xml"
            cmd.flags.append(("--attestor-maven-pom-path", pom))
            facts.append(f"The POM is at `{pom}`.")
    # planted
    candidates: list[tuple[str, Cmd]] = []
    if cmd.has("-k"):
        candidates.append(("nonexistent --key", cmd.replaced("-k", "--key")))
    if cmd.has("--signer-kms-ref"):
        candidates.append(("nonexistent --kms-ref", cmd.replaced("--signer-kms-ref", "--kms-ref")))
    if cmd.has("--signer-fulcio-url"):
        candidates.append(("nonexistent --fulcio-url", cmd.replaced("--signer-fulcio-url", "--fulcio-url")))
    if cmd.has("--signer-file-key-passphrase-path"):
        candidates.append(
            (
                "passphrase value flag",
                cmd.replaced("--signer-file-key-passphrase-path", "--signer-file-key-passphrase"),
            )
        )
    if planted_a is not None:
        candidates.append(("-a drops or keeps the defaults wrongly", cmd.replaced("-a", "-a", planted_a)))
    if mode == "default" and rng.random() < 0.5:
        # witness only warns about `command-run` in `-a` (cmd/run.go skips it), but `-a` replaces
        # the default environment,git list
        candidates.append(("-a command-run replaces the defaults", cmd.plus("-a", ["command-run"])))
    if exported:
        wrong_a = [a for a in attestors if a != exported]
        candidates.append(
            (
                "export flag without the attestor",
                cmd.replaced("-a", "-a", wrong_a) if wrong_a else cmd.without("-a"),
            )
        )
    if cmd.has("-t"):
        candidates.append(("singular --timestamp-server", cmd.replaced("-t", "--timestamp-server")))
    if cmd.has("--hashes"):
        candidates.append(
            ("unsupported hash name", cmd.replaced("--hashes", "--hashes", ["sha256", "sha512"]))
        )
    if "outfile" not in any_value:
        candidates.append(("nonexistent --output", cmd.replaced("-o", "--output")))
    candidates.append(("missing -s", cmd.without("-s")))
    mistake, bad = pick(rng, candidates)
    return Intent([cmd], facts, constraints, [bad], mistake, notes, any_value, tags)


# ------------------------------------------------------------------------------ verify


def _digest(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def intent_verify(rng: random.Random, nm: dict[str, str]) -> Intent:
    policy = fill(rng, SIGNED_POLICIES, team=nm["team"], project=nm["project"])
    cmd = Cmd("verify", [("-p", policy)])
    facts = [
        _ph(
            rng,
            ("The signed policy is `{p}`.", "Policy envelope: `{p}`.", "We keep the signed policy at `{p}`."),
            p=policy,
        )
    ]
    notes: list[str] = ["`-a` on verify takes attestation *files*."]
    constraints: list[str] = []
    tags: list[str] = []
    trust = rng.choices(("key", "x509", "kms"), (65, 22, 13))[0]
    tags.append(f"trust:{trust}")
    candidates: list[tuple[str, Callable[[Cmd], Cmd]]] = []
    if trust == "key":
        pub = fill(rng, POLICY_PUBS, team=nm["team"])
        cmd.flags.append(("-k", pub))
        facts.append(
            _ph(
                rng,
                (
                    "It was signed by the key whose public half is `{k}`.",
                    "Policy signer's public key: `{k}`.",
                    "Trust the policy if it's signed by `{k}` (public key).",
                ),
                k=pub,
            )
        )
        candidates.append(("nonexistent --public-key", lambda c: c.replaced("-k", "--public-key")))
        notes.append("On verify, `-k` is the policy signer's *public* key.")
    elif trust == "kms":
        ref = pick(
            rng,
            (
                "awskms:///arn:aws:kms:us-east-1:{a}:alias/policy-signer",
                "gcpkms://projects/{t}-sec/locations/global/keyRings/policy/cryptoKeys/signer",
            ),
        ).format(a=rng.randint(10**11, 10**12 - 1), t=nm["team"])
        cmd.flags.append(("--verifier-kms-ref", ref))
        facts.append(f"The policy was signed with the KMS key `{ref}`; verify against that key.")
        candidates.append(("nonexistent --kms-ref", lambda c: c.replaced("--verifier-kms-ref", "--kms-ref")))
        candidates.append(
            ("signer flag on verify", lambda c: c.replaced("--verifier-kms-ref", "--signer-kms-ref"))
        )
    else:
        root = fill(rng, CA_FILES, team=nm["team"])
        cmd.flags.append(("--policy-ca-roots", [root]))
        text = f"The policy is signed with a certificate from our internal CA; root certificate `{root}`"
        candidates.append(
            ("singular --policy-ca-root", lambda c: c.replaced("--policy-ca-roots", "--policy-ca-root"))
        )
        if rng.random() < 0.6:
            inter = fill(rng, INTERMEDIATE_FILES, team=nm["team"])
            cmd.flags.append(("--policy-ca-intermediates", [inter]))
            text += f", intermediate `{inter}`"
        facts.append(text + ".")
        notes.append(
            "An x509-signed policy is trusted through `--policy-ca-roots`/`--policy-ca-intermediates` (plural flag names)."
        )
        constraint = rng.choice(("email", "cn", "none"))
        if constraint == "email":
            email = f"release-bot@{nm['team']}.example.net"
            cmd.flags.append(("--policy-emails", [email]))
            facts.append(f"Only accept it if the signing certificate's email is `{email}`.")
        elif constraint == "cn":
            cn = f"{nm['team']} policy signer"
            cmd.flags.append(("--policy-commonname", cn))
            facts.append(f"The signer certificate's common name must be `{cn}`.")
        if rng.random() < 0.3:
            tsa = pick(rng, ("trust/freetsa-ca.pem", "pki/tsa-root.crt"))
            cmd.flags.append(("--policy-timestamp-servers", [tsa]))
            facts.append(f"The policy signature carries a timestamp; the TSA's CA certificate is `{tsa}`.")
            candidates.append(
                (
                    "TSA URL instead of CA file",
                    lambda c: c.replaced(
                        "--policy-timestamp-servers",
                        "--policy-timestamp-servers",
                        ["https://freetsa.org/tsr"],
                    ),
                )
            )
    # evidence
    if rng.random() < 0.15:
        cmd.flags.append(("--enable-archivista", True))
        facts.append(
            pick(
                rng,
                (
                    "The attestations are stored in Archivista, not on disk.",
                    "Fetch the evidence from Archivista (default server).",
                ),
            )
        )
    else:
        steps = rng.sample(STEPS, rng.choice((1, 2, 2, 3)))
        pattern = pick(rng, ("evidence/{s}.dsse.json", "att/{s}.json", "{s}.signed-att.json"))
        files = [pattern.format(s=s) for s in steps]
        cmd.flags.append(("-a", files))
        facts.append(
            _ph(
                rng,
                ("Evidence files: {f}.", "The steps left {f} behind.", "Attestations to check: {f}."),
                f=join_words([f"`{x}`" for x in files]),
            )
        )
        if rng.random() < 0.3:
            candidates.append(("attestor names instead of files", lambda c: c.replaced("-a", "-a", steps)))
    # subject
    subject = rng.choices(("file", "digest", "dir"), (65, 20, 15))[0]
    tags.append(f"subject:{subject}")
    if subject == "file":
        art = fill(rng, ARTIFACTS, project=nm["project"])
        cmd.flags.append(("-f", art))
        facts.append(
            _ph(
                rng,
                (
                    "The thing to check is `{a}`.",
                    "Subject: the file `{a}`.",
                    "We're about to ship `{a}` and want it verified.",
                ),
                a=art,
            )
        )
        candidates.append(("-s as step name", lambda c: c.plus("-s", pick(rng, STEPS))))
        candidates.append(("nonexistent --artifact", lambda c: c.replaced("-f", "--artifact")))
    elif subject == "digest":
        d = _digest(rng)
        cmd.flags.append(("-s", [d]))
        facts.append(
            _ph(
                rng,
                ("We only have the artifact's sha256: `{d}`.", "No file at hand, just its digest `{d}`."),
                d=d,
            )
        )
        candidates.append(("nonexistent --subject", lambda c: c.replaced("-s", "--subject")))
    else:
        dirp = pick(rng, ("dist/", "site/", "build/output/"))
        d = _digest(rng)
        cmd.flags += [("--directory-path", dirp), ("-s", [d])]
        facts.append(
            f"The subject is the directory `{dirp}`; we also know the sha256 of its main file, `{d}`, so pass that as an extra subject."
        )
        candidates.append(("directory only", lambda c: c.without("-s")))
    mistake, make_bad = pick(rng, candidates)
    return Intent([cmd], facts, constraints, [make_bad(cmd)], mistake, notes, [], tags)


# ------------------------------------------------------------------------------ sign


def intent_sign(rng: random.Random, nm: dict[str, str]) -> Intent:
    src = fill(rng, POLICY_FILES, team=nm["team"], project=nm["project"])
    dst = fill(rng, SIGNED_POLICIES, team=nm["team"], project=nm["project"])
    cmd = Cmd("sign", [("-f", src), ("-o", dst)])
    facts = [
        _ph(
            rng,
            ("The policy I wrote is `{s}`.", "Unsigned policy: `{s}`.", "`{s}` holds the draft policy."),
            s=src,
        ),
        _ph(
            rng,
            ("The signed envelope should be `{d}`.", "Output: `{d}`.", "It has to end up in `{d}`."),
            d=dst,
        ),
    ]
    notes = ["`-f` and `-o` must be given together on `witness sign`."]
    candidates: list[tuple[str, Callable[[Cmd], Cmd]]] = [("missing -o", lambda c: c.without("-o"))]
    signer = rng.choices(("file", "kms", "x509"), (65, 20, 15))[0]
    if signer == "kms":
        ref = (
            f"hashivault://{nm['team']}-policy"
            if rng.random() < 0.5
            else f"gcpkms://projects/{nm['team']}-sec/locations/europe-west1/keyRings/gate/cryptoKeys/policy"
        )
        cmd.flags.append(("--signer-kms-ref", ref))
        facts.append(f"The signing key is in KMS: `{ref}`.")
        candidates.append(
            ("verifier flag on sign", lambda c: c.replaced("--signer-kms-ref", "--verifier-kms-ref"))
        )
    else:
        key = fill(rng, POLICY_PRIVS, team=nm["team"])
        cmd.flags.append(("-k", key))
        facts.append(_ph(rng, ("Sign it with `{k}`.", "Policy signing key (private): `{k}`."), k=key))
        candidates.append(("nonexistent --key", lambda c: c.replaced("-k", "--key")))
        if signer == "x509":
            cert = fill(rng, CERT_FILES, step="policy", team=nm["team"])
            cmd.flags.append(("--signer-file-cert-path", cert))
            facts.append(f"The key's certificate `{cert}` has to be embedded in the signature.")
            candidates.append(
                (
                    "nonexistent --certificate",
                    lambda c: c.replaced("--signer-file-cert-path", "--certificate"),
                )
            )
    if rng.random() < 0.4:
        url = fill(rng, TSA_URLS, team=nm["team"])
        cmd.flags.append(("--timestamp-servers", [url]))
        facts.append(
            _ph(rng, ("Timestamp it with `{u}`.", "Include an RFC 3161 timestamp from `{u}`."), u=url)
        )
        candidates.append(
            ("-t means datatype on sign", lambda c: c.replaced("--timestamp-servers", "-t", url))
        )
        candidates.append(
            ("-t means datatype on sign", lambda c: c.replaced("--timestamp-servers", "-t", url))
        )
    mistake, make_bad = pick(rng, candidates)
    return Intent([cmd], facts, [], [make_bad(cmd)], mistake, notes, [], [f"signer:{signer}"])


# ------------------------------------------------------------------------------ attestors / policy check / combined


_SCHEMA_ATTESTORS = (
    "git",
    "github",
    "gitlab",
    "environment",
    "command-run",
    "product",
    "material",
    "slsa",
    "sbom",
    "oci",
    "docker",
    "k8smanifest",
    "lockfiles",
    "secretscan",
    "maven",
    "aws-codebuild",
    "system-packages",
    "vex",
    "sarif",
    "link",
    "jenkins",
    "omnitrail",
)


def intent_schema(rng: random.Random, nm: dict[str, str]) -> Intent:
    name = pick(rng, _SCHEMA_ATTESTORS)
    spec = attestor_registry.get(name)
    by_uri = rng.random() < 0.3
    cmd = Cmd("attestors schema", args=[spec.type if by_uri else name])
    what = f"`{spec.type}`" if by_uri else f"the `{name}` attestor"
    facts = [
        _ph(
            rng,
            (
                "I'm writing Rego against {w} and want to see every field it can have.",
                "Where do I get the JSON schema of {w} from the CLI?",
                "Need the field list of {w}, straight from witness itself.",
            ),
            w=what,
        )
    ]
    wrong_name = {
        "command-run": "commandrun",
        "k8smanifest": "k8s",
        "aws-codebuild": "codebuild",
        "system-packages": "packages",
    }.get(name)
    if wrong_name:
        bad = Cmd("attestors schema", args=[wrong_name])
        mistake = "misspelled attestor name"
    else:
        bad = Cmd(pick(rng, ("attestors show", "attestors get")), args=[name])
        mistake = "nonexistent subcommand"
    return Intent(
        [cmd], facts, [], [bad], mistake, ["`witness attestors schema` takes one attestor name or type URI."]
    )


def intent_policy_check(rng: random.Random, nm: dict[str, str]) -> Intent:
    src = fill(rng, POLICY_FILES, team=nm["team"], project=nm["project"])
    cmd = Cmd("policy check", args=[src])
    facts = [
        _ph(
            rng,
            (
                "Before signing `{s}` I'd like witness to lint it (Rego, keys, expiry).",
                "Is there a witness command that sanity-checks `{s}` before we sign it?",
                "Pre-sign validation of `{s}` in CI.",
            ),
            s=src,
        )
    ]
    variant = rng.choice(("plain", "json", "quiet"))
    if variant == "json":
        cmd.flags.append(("--json", True))
        facts.append("The CI step parses the result, so it must be JSON.")
    elif variant == "quiet":
        cmd.flags.append(("-q", True))
        facts.append("Only errors should be printed, no success chatter.")
    candidates = [
        ("nonexistent `policy validate`", Cmd("policy validate", list(cmd.flags), [src])),
        ("file passed with -f", Cmd("policy check", [*cmd.flags, ("-f", src)])),
    ]
    if variant == "json":
        candidates.append(("-o json instead of --json", Cmd("policy check", [("-o", "json")], [src])))
    mistake, bad = pick(rng, candidates)
    return Intent(
        [cmd], facts, [], [bad], mistake, ["`witness policy check` takes the policy file as its argument."]
    )


def intent_sign_verify(rng: random.Random, nm: dict[str, str]) -> Intent:
    s = intent_sign(rng, nm)
    src = s.commands[0]
    signed = dict(src.flags)["-o"]
    pub = fill(rng, POLICY_PUBS, team=nm["team"])
    step = pick(rng, STEPS)
    att = pick(rng, ("evidence/{s}.dsse.json", "{s}.signed-att.json")).format(s=step)
    art = fill(rng, ARTIFACTS, project=nm["project"])
    ver = Cmd("verify", [("-p", signed), ("-k", pub), ("-a", [att]), ("-f", art)])
    facts = [
        *s.facts,
        f"Then check `{art}` against it, using the attestation `{att}`; the policy key's public half is `{pub}`.",
    ]
    bad_choice = rng.random()
    if bad_choice < 0.5:
        planted = [s.planted[0], ver]
        mistake = s.mistake
    else:
        planted = [src, pick(rng, (ver.replaced("-p", "-p", dict(src.flags)["-f"]), ver.plus("-s", step)))]
        mistake = "verify uses the unsigned policy or -s as step"
    return Intent(
        [src, ver],
        facts,
        [],
        planted,
        mistake,
        [*s.notes, "`witness verify` needs the *signed* envelope."],
        [],
        ["sign+verify", *s.tags],
    )


INTENTS: tuple[tuple[Callable[[random.Random, dict[str, str]], Intent], int], ...] = (
    (intent_run, 50),
    (intent_verify, 24),
    (intent_sign, 10),
    (intent_schema, 5),
    (intent_policy_check, 5),
    (intent_sign_verify, 6),
)


def build(rng: random.Random, task_id: str) -> Task:
    nm = names(rng)
    fn = rng.choices([f for f, _ in INTENTS], [w for _, w in INTENTS])[0]
    it = fn(rng, nm)
    request = (
        pick(rng, _REQUESTS)
        if len(it.commands) == 1
        else pick(
            rng,
            (
                "Which two commands do I need?",
                "Both commands, please.",
                "What are the sign and verify invocations?",
            ),
        )
    )
    prompt = assemble(
        rng, opening_text=opening(rng, nm), facts=it.facts, request=request, constraints=it.constraints
    )
    rendered = [c.render() for c in it.commands]
    lead = pick(rng, ("Here it is:", "This does it:", "Use:", ""))
    reference = (f"{lead}\n\n" if lead else "") + fenced("\n".join(rendered), "bash")
    if it.notes:
        reference += "\n\n" + " ".join(it.notes[:2])
    planted = fenced("\n".join(c.render() for c in it.planted), "bash")
    expect: list[Any] = []
    for r in rendered:
        entry: dict[str, Any] = {"command": r}
        if it.any_value:
            entry["any_value"] = list(it.any_value)
        expect.append(entry)
    raw = {
        "id": task_id,
        "kind": "command",
        "prompt": prompt,
        "check": {"type": "command", "expect": expect},
        "reference": reference,
        "planted": planted,
        "tags": ["generated", f"intent:{fn.__name__[7:]}", f"mistake:{it.mistake}", *it.tags],
        "title": f"{fn.__name__[7:]}: {rendered[0][:120]}",
    }
    return task_from_mapping(raw, source="generated")


BUILDER = Builder(NAME, "command", COUNT, build)
