"""Family `commands`: from a described intent, the exact `witness` command line.

Sub-kinds: `run` (step, signer, outfile, attestors, exports, hashes, working dir, tracing, TSA,
env filters, the command after `--`), `sign` (a policy), `verify`, `other` (attestors list/schema,
policy check, completion, version) and `fix` (a command with one realistic mistake that the CLI
model flags -> explanation + corrected command).

Every reference command is built from a spec, analysed with `cli_spec.parse_command` and must be
valid; its parsed *meaning* (flags by long name with defaults dropped, list values as sets, the
effective attestor set of `run`, the command after `--`) is the check. `score` parses the witness
commands of an answer the same way, so flag aliases, `-a a,b` vs `-a a -a b`, flag order and
quoting do not matter; nothing in an answer is ever executed.
"""

from __future__ import annotations

import hashlib
import json
import random
import shlex
from dataclasses import dataclass, field
from typing import Any

from witness_evals.bench.scorers.base import Score, guarded
from witness_evals.bench.scorers.command import blocking_issues, meaning, score_command
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate import phrasing
from witness_evals.generate.example import Example
from witness_evals.generate.families import Family
from witness_evals.witness import simulate, versions
from witness_evals.witness.attestors.scenario import Scenario, hex_id
from witness_evals.witness.cli_spec import (
    LONG_FLAGS,
    CommandAnalysis,
    parse_command,
)
from witness_evals.witness.cli_spec_data import DEFAULT_ATTESTORS
from witness_evals.witness.errors import InputError
from witness_evals.witness.versions import WitnessVersion

NAME = "commands"
SUBCOMMANDS = (
    "run",
    "sign",
    "verify",
    "attestors list",
    "attestors schema",
    "policy check",
    "completion",
    "version",
)
KINDS = ("run", "sign", "verify", "other", "fix")
KIND_WEIGHTS = (30, 14, 20, 10, 26)


# --------------------------------------------------------------------------- specs and rendering


@dataclass
class Spec:
    """A witness command to render: subcommand, (long flag name, value) pairs, positional args."""

    sub: str
    flags: list[tuple[str, Any]] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    dashdash: bool = True

    def get(self, name: str) -> Any:
        for n, v in self.flags:
            if n == name:
                return v
        return None

    def replace(self, name: str, new_name: str, value: Any = None) -> Spec:
        flags = [(new_name, v if value is None else value) if n == name else (n, v) for n, v in self.flags]
        return Spec(self.sub, flags, list(self.args), self.dashdash)

    def without(self, name: str) -> Spec:
        return Spec(self.sub, [(n, v) for n, v in self.flags if n != name], list(self.args), self.dashdash)

    def with_flag(self, name: str, value: Any, at: int | None = None) -> Spec:
        flags = list(self.flags)
        flags.insert(len(flags) if at is None else at, (name, value))
        return Spec(self.sub, flags, list(self.args), self.dashdash)


def _q(value: str) -> str:
    return shlex.quote(value)


def _chunks(spec: Spec, rng: random.Random) -> list[str]:
    short_style = rng.random() < 0.75
    eq_style = rng.random() < 0.12
    table = LONG_FLAGS.get(spec.sub, {})
    out: list[str] = []
    for name, value in spec.flags:
        if name.startswith("-"):  # raw (possibly wrong) flag text
            out.append(name if value is None or value is True else f"{name} {_q(str(value))}")
            continue
        flag = table.get(name)
        short = flag.short if flag is not None and short_style else ""
        label = f"-{short}" if short else f"--{name}"
        if value is True:
            out.append(label)
        elif isinstance(value, list):
            if len(value) > 1 and rng.random() < 0.4:
                out.extend(f"{label} {_q(v)}" for v in value)
            else:
                out.append(f"{label} {_q(','.join(value))}")
        elif eq_style and not short:
            out.append(f"{label}={_q(str(value))}")
        else:
            out.append(f"{label} {_q(str(value))}")
    tail = " ".join(_q(x) for x in spec.args)
    if spec.args:
        out.append(f"-- {tail}" if spec.dashdash and spec.sub == "run" else tail)
    return out


def render(spec: Spec, rng: random.Random) -> str:
    """The command line (wrapped with backslashes when long)."""
    chunks = _chunks(spec, rng)
    head = "witness " + spec.sub
    line = " ".join([head, *chunks])
    if len(line) <= 100:
        return line
    return " \\\n  ".join([head + " " + chunks[0], *chunks[1:]]) if chunks else head


def analyse_reference(text: str, version: WitnessVersion | None = None) -> CommandAnalysis:
    """Parse a reference command and insist that real witness (of `version`) would accept it cleanly."""
    a = parse_command(text, version=version)
    bad = blocking_issues(a)
    if bad:
        raise AssertionError(f"reference command is not clean: {text!r}: {bad}")
    return a


# --------------------------------------------------------------------------- vocabularies

_KEYS = (
    "key.pem",
    "testkey.pem",
    "keys/build-key.pem",
    "/secrets/witness/signing-key.pem",
    "ci-signing.pem",
    "witness-key.pem",
    "keys/{step}.pem",
    "{project}-key.pem",
)
_OUTFILES = (
    "{step}.attestation.json",
    "attestations/{step}.json",
    "{step}.json",
    "{step}-attestation.json",
    "out/{project}-{step}.att.json",
    "{step}.witness.json",
)
_POLICIES = (
    "policy.json",
    "policy/policy.json",
    "{project}-policy.json",
    "witness-policy.json",
    "policies/release.json",
)
_SIGNED = ("policy-signed.json", "policy.signed.json", "{project}-policy.signed.json", "signed/policy.json")
_POLICY_KEYS = ("policy-key.pem", "keys/policy.pem", "policykey.pem", "/secrets/policy-signing.pem")
_POLICY_PUBS = ("policy-pub.pem", "keys/policy.pub.pem", "policypublic.pem", "pub.pem", "policy_pub.pem")
_TSAS = ("https://freetsa.org/tsr", "http://timestamp.digicert.com", "https://tsa.{org}.internal/tsr")
_CERTS = ("certs/signer.crt", "signer-cert.pem", "keys/{step}.crt")
_INTERMEDIATES = ("certs/intermediate.pem", "intermediate-ca.pem", "certs/issuing-ca.pem")
_ROOTS = ("root-ca.pem", "certs/root.pem", "ca/root-ca.crt")
_WORKDIRS = ("services/{project}", "src", "app", "{project}", "build")
_SENSITIVE = (
    "NPM_TOKEN",
    "*_PASSWORD",
    "SONAR_TOKEN",
    "*_SECRET",
    "DOCKER_AUTH_CONFIG",
    "ARTIFACTORY_API_KEY",
)
_ALLOW_SENSITIVE = ("GITHUB_TOKEN", "AWS_ACCESS_KEY_ID", "CI_JOB_TOKEN", "VAULT_TOKEN")
_PASSFILES = ("key-passphrase.txt", "/run/secrets/witness-passphrase", "secrets/key.pass")
_WHAT = {
    "build": "build",
    "test": "test run",
    "package": "packaging step",
    "sbom": "SBOM generation",
    "image": "container image build",
    "deploy": "manifest rendering",
    "scan": "security scan",
}
_ATTESTOR_TEXT = {
    "slsa": ("SLSA provenance", 0.5),
    "link": ("an in-toto link", 0.6),
    "sbom": ("the SBOM the step produces", 0.5),
    "docker": ("the docker build metadata", 1.0),
    "oci": ("the OCI image tarball", 1.0),
    "k8smanifest": ("the rendered Kubernetes manifests", 0.6),
    "sarif": ("the SARIF findings", 0.5),
    "vex": ("the VEX document", 0.5),
    "secretscan": ("a secret scan of the products", 0.6),
    "maven": ("the Maven project info", 0.7),
    "lockfiles": ("the dependency lockfiles", 0.6),
    "github": ("the GitHub Actions job metadata", 0.7),
    "gitlab": ("the GitLab CI job metadata", 0.7),
    "jenkins": ("the Jenkins build metadata", 0.7),
    "aws-codebuild": ("the AWS CodeBuild build info", 1.0),
    "system-packages": ("the installed system packages", 0.7),
    "omnitrail": ("an OmniTrail trail of the files", 1.0),
}
_STEP_EXTRAS = {
    "build": ("slsa", "link", "lockfiles", "system-packages"),
    "test": ("lockfiles", "secretscan", "link"),
    "package": ("slsa", "link", "secretscan", "omnitrail"),
    "sbom": ("sbom",),
    "image": ("docker", "slsa"),
    "deploy": ("k8smanifest", "link"),
    "scan": ("sarif", "secretscan"),
}
_CI_ATTESTOR = {
    "github": "github",
    "gitlab": "gitlab",
    "jenkins": "jenkins",
    "aws-codebuild": "aws-codebuild",
}


def _fmt(rng: random.Random, options: tuple[str, ...], sc: Scenario, step: str) -> str:
    return phrasing.pick(rng, options).format(step=step, project=sc.project, org=sc.org)


def _attestor_phrase(rng: random.Random, name: str) -> str:
    text, p_name = _ATTESTOR_TEXT[name]
    return f"{text} (`{name}`)" if rng.random() < p_name else text


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


# --------------------------------------------------------------------------- results of make


@dataclass
class Built:
    kind: str
    template: str
    question: str
    intro: str
    spec: Spec
    notes: list[str]
    extra_check: dict[str, Any] = field(default_factory=dict)
    explanation: str = ""


# --------------------------------------------------------------------------- run

_RUN_Q = (
    "What's the witness command to record the `{step}` step? It runs `{cmd}`, signs with the key `{key}` "
    "and writes the attestation to `{out}`.{extra}",
    "Give me the exact `witness run` invocation for our {lang} {what}: step name `{step}`, command `{cmd}`, "
    "private key `{key}`, output file `{out}`.{extra}",
    "I want to wrap `{cmd}` with witness so that it produces a signed attestation for step `{step}` in "
    "`{out}`, using `{key}` as the signing key.{extra} What command do I run?",
    "How do I attest our {what} with witness? Step `{step}`, command `{cmd}`, signing key file `{key}`, "
    "attestation written to `{out}`.{extra}",
    "Write the witness command line for this CI step:\n- step: `{step}`\n- command: `{cmd}`\n"
    "- signing key: `{key}`\n- output: `{out}`{bullets}",
    "Our pipeline needs a witness attestation for the `{step}` step of {project}. The step executes `{cmd}`; "
    "sign with `{key}` and save it as `{out}`.{extra} Which command?",
    "Command please: witness should run `{cmd}` as step `{step}`, sign the collection with `{key}`, "
    "output `{out}`.{extra}",
)


def _make_run(rng: random.Random, version: WitnessVersion) -> Built:
    sc = Scenario.random(rng)
    step = sc.step if rng.random() < 0.75 else f"{sc.step}-{rng.choice(('linux', 'amd64', 'ci', 'release'))}"
    key = _fmt(rng, _KEYS, sc, step)
    out = _fmt(rng, _OUTFILES, sc, step)
    cmd = list(sc.command)
    reqs: list[str] = []
    notes: list[str] = []
    # attestors (trap 20: -a replaces environment,git)
    pool = list(_STEP_EXTRAS[sc.step_kind])
    if sc.language == "java" and rng.random() < 0.3:
        pool.append("maven")
    ci_att = _CI_ATTESTOR.get(sc.ci)
    mode = rng.choices(("default", "extra", "only", "nogit"), (30, 40, 15, 15))[0]
    extras: list[str] = []
    if mode != "default":
        extras = rng.sample(pool, min(len(pool), rng.choice((1, 1, 2))))
        if ci_att and rng.random() < 0.4:
            extras.append(ci_att)
    described = _join([_attestor_phrase(rng, x) for x in extras]) if extras else ""
    if mode == "default":
        selected: list[str] | None = None
        if rng.random() < 0.3:
            reqs.append(rng.choice(("The default attestors are fine.", "No extra attestors needed.")))
    elif mode == "extra":
        selected = ["environment", "git", *extras]
        reqs.append(
            rng.choice(
                (
                    f"Besides the default environment and git attestors, also record {described}.",
                    f"Keep the usual environment and git attestations and add {described}.",
                    f"In addition to the defaults, it should capture {described}.",
                )
            )
        )
        notes.append(
            "`-a` replaces the default `environment,git`, so both are listed explicitly next to "
            + ", ".join(f"`{x}`" for x in extras)
            + "."
        )
    elif mode == "only":
        selected = list(extras)
        reqs.append(
            rng.choice(
                (
                    f"Record only {described} besides what witness always records; "
                    "no environment or git attestation.",
                    f"We don't want the environment or git attestors, just {described}.",
                )
            )
        )
        notes.append(
            "Giving `-a` drops the default environment and git attestors; product and material are always "
            "recorded, and command-run is added because a command follows `--`."
        )
    else:
        selected = ["environment", *extras]
        more = f", and add {described}" if extras else ""
        reqs.append(
            rng.choice(
                (
                    f"The job runs outside a git checkout, so skip the git attestor but keep environment{more}.",
                    f"There is no .git directory in the build container: record environment but not git{more}.",
                )
            )
        )
        notes.append("`-a` replaces the default list, so naming only `environment` leaves git out.")
    exports = [x for x in extras if x in ("slsa", "link", "sbom") and rng.random() < 0.45]
    for x in exports:
        reqs.append(
            rng.choice(
                (
                    f"Export the {x} predicate as its own file.",
                    f"The {x} attestation should be written to a separate file, not inside the collection.",
                )
            )
        )
        notes.append(f"With `--attestor-{x}-export` the {x} predicate is written to `{out}-{x}.json`.")
    if any(x in extras for x in ("github", "gitlab", "jenkins", "aws-codebuild")):
        notes.append("CI attestors fail when the command runs outside that CI system.")
    flags: list[tuple[str, Any]] = [("step", step), ("signer-file-key-path", key), ("outfile", out)]
    if selected is not None:
        flags.append(("attestations", selected))
    flags += [(f"attestor-{x}-export", True) for x in exports]
    # options
    opts = [
        "hashes",
        "workingdir",
        "trace",
        "tsa",
        "env-filter",
        "env-add",
        "cert",
        "passphrase",
        "exclude",
        "archivista",
    ]
    if selected is not None and "environment" not in selected:
        opts = [o for o in opts if not o.startswith("env-")]
    if "maven" in extras:
        opts.append("pom")
    chosen = rng.sample(opts, rng.choice((0, 1, 1, 2, 2, 3)))
    for o in sorted(chosen, key=opts.index):
        if o == "hashes":
            flags.append(("hashes", ["sha256", "sha1"]))
            reqs.append(
                rng.choice(
                    ("Record both sha256 and sha1 digests.", "Compute sha1 digests as well as sha256.")
                )
            )
        elif o == "workingdir":
            d = _fmt(rng, _WORKDIRS, sc, step)
            flags.append(("workingdir", d))
            reqs.append(rng.choice((f"The command must run from `{d}`.", f"Run it in the `{d}` directory.")))
        elif o == "trace":
            flags.append(("trace", True))
            reqs.append(rng.choice(("Enable process tracing.", "Trace the processes the command starts.")))
            notes.append("Tracing (`-r/--trace`) is Linux-only and experimental.")
        elif o == "tsa":
            url = _fmt(rng, _TSAS, sc, step)
            flags.append(("timestamp-servers", [url]))
            reqs.append(rng.choice((f"Timestamp the signature with {url}.", f"Use the TSA at {url}.")))
        elif o == "env-filter":
            flags.append(("env-filter-sensitive-vars", True))
            reqs.append("Sensitive environment variables must be removed entirely, not obfuscated.")
        elif o == "env-add":
            k = rng.choice(_SENSITIVE)
            flags.append(("env-add-sensitive-key", [k]))
            reqs.append(f"Treat `{k}` as a sensitive environment variable too.")
        elif o == "cert":
            cert = _fmt(rng, _CERTS, sc, step)
            flags.append(("signer-file-cert-path", cert))
            if rng.random() < 0.5:
                inter = rng.choice(_INTERMEDIATES)
                flags.append(("signer-file-intermediate-paths", [inter]))
                reqs.append(f"The key has a certificate `{cert}` issued via the intermediate `{inter}`.")
            else:
                reqs.append(f"Attach the key's certificate `{cert}` to the signature.")
        elif o == "passphrase":
            pf = rng.choice(_PASSFILES)
            flags.append(("signer-file-key-passphrase-path", pf))
            reqs.append(f"The key is encrypted; its passphrase is in `{pf}`.")
            if version.passphrase_flag:
                notes.append(
                    f"{version.label}.x also has `--signer-file-key-passphrase <secret>`, but that puts the secret "
                    "on the command line (and witness v0.11 removed it); the file keeps it out of the process list."
                )
            else:
                notes.append(
                    "There is no `--signer-file-key-passphrase` flag since witness v0.11 (only v0.10.x had it); "
                    "the passphrase comes from a file (or WITNESS_KEY_PASSPHRASE)."
                )
        elif o == "exclude":
            g = rng.choice(("*.log", "*.tmp", "*.map"))
            flags.append(("attestor-product-exclude-glob", g))
            reqs.append(f"Don't record `{g}` files as products.")
        elif o == "archivista":
            flags.append(("enable-archivista", True))
            reqs.append("Also upload the attestation to Archivista (default server).")
        elif o == "pom":
            flags.append(("attestor-maven-pom-path", f"{sc.project}/pom.xml"))
            reqs.append(f"The POM is `{sc.project}/pom.xml`.")
    spec = Spec("run", flags, cmd)
    i = rng.randrange(len(_RUN_Q))
    extra = (" " + " ".join(reqs)) if reqs else ""
    bullets = "".join(f"\n- {r[:1].lower() + r[1:]}" for r in reqs)
    q = _RUN_Q[i].format(
        step=step,
        cmd=shlex.join(cmd),
        key=key,
        out=out,
        extra=extra,
        bullets=bullets,
        lang=sc.language,
        what=_WHAT[sc.step_kind],
        project=sc.project,
    )
    intro = rng.choice(
        (
            f"Run the command under `witness run` with step `{step}`:",
            f"Wrap `{cmd[0]}` with `witness run`; everything after `--` is the command witness executes:",
            f"This records step `{step}` and signs the collection with `{key}`:",
        )
    )
    return Built("run", f"commands/run/{i}", q, intro, spec, notes)


def _check_run_semantics(spec: Spec, m: dict[str, Any]) -> None:
    """Cross-check the analyser's attestor set with the simulator (`simulate.select_attestors`)."""
    sel = spec.get("attestations")
    specs, _ = simulate.select_attestors(
        sel if sel is not None else DEFAULT_ATTESTORS, command=bool(spec.args)
    )
    if sorted(s.name for s in specs) != m["attestors"]:
        raise AssertionError(f"attestor sets disagree: {m['attestors']} vs {[s.name for s in specs]}")
    hashes = spec.get("hashes")
    if hashes is not None:
        simulate._check_hashes(hashes)


# --------------------------------------------------------------------------- sign

_SIGN_Q = (
    "How do I sign my witness policy `{policy}` with {key} and write the signed envelope to `{out}`?{extra}",
    "What's the witness command to sign `{policy}`? The signed policy should go to `{out}`, signing key: "
    "{key}.{extra}",
    "I wrote a policy in `{policy}`. Give me the command that signs it with {key} into `{out}`.{extra}",
    "Exact `witness sign` command: input `{policy}`, output `{out}`, key {key}.{extra}",
    "Before `witness verify` can use `{policy}` it has to be signed. Which command signs it with {key} and "
    "saves `{out}`?{extra}",
    "Sign the policy file `{policy}` using {key}; result in `{out}`.{extra} What do I type?",
)


def _make_sign(rng: random.Random, version: WitnessVersion) -> Built:
    sc = Scenario.random(rng)
    policy = _fmt(rng, _POLICIES, sc, "policy")
    out = _fmt(rng, _SIGNED, sc, "policy")
    reqs: list[str] = []
    notes = ["`-f` and `-o` must be given together (witness rejects one without the other)."]
    signer = rng.choices(("file", "x509", "kms"), (60, 25, 15))[0]
    flags: list[tuple[str, Any]] = [("infile", policy), ("outfile", out)]
    if signer == "kms":
        ref = rng.choice(
            (
                f"awskms:///arn:aws:kms:{sc.region}:{rng.randint(10**11, 10**12 - 1)}:key/{hex_id(rng, 8)}-"
                f"{hex_id(rng, 4)}-{hex_id(rng, 4)}-{hex_id(rng, 4)}-{hex_id(rng, 12)}",
                f"gcpkms://projects/{sc.org}/locations/global/keyRings/witness/cryptoKeys/policy-signer",
                # the HashiCorp Vault KMS provider exists since witness v0.11 (go-witness v0.10.0)
                *((f"hashivault://{sc.org}-policy-signer",) if version.kms_hashivault else ()),
            )
        )
        key = ref
        flags.append(("signer-kms-ref", ref))
        notes.append("A KMS key is selected with `--signer-kms-ref`; `-k` is only for key files.")
        if ref.startswith("hashivault://"):
            notes.append("The HashiCorp Vault KMS provider (`hashivault://`) exists since witness v0.11.")
    else:
        key = _fmt(rng, _POLICY_KEYS, sc, "policy")
        flags.append(("signer-file-key-path", key))
        if signer == "x509":
            cert = rng.choice(("policy-signer.crt", "certs/policy-signer.pem"))
            flags.append(("signer-file-cert-path", cert))
            reqs.append(f"The key has the certificate `{cert}`, which must go into the signature.")
            if rng.random() < 0.5:
                inter = rng.choice(_INTERMEDIATES)
                flags.append(("signer-file-intermediate-paths", [inter]))
                reqs.append(f"Include the intermediate `{inter}` too.")
    if rng.random() < 0.35:
        url = _fmt(rng, _TSAS, sc, "policy")
        flags.append(("timestamp-servers", [url]))
        reqs.append(rng.choice((f"Timestamp it with {url}.", f"Use the timestamp authority {url}.")))
        notes.append("In `sign`, `--timestamp-servers` has no short form: `-t` is `--datatype`.")
    i = rng.randrange(len(_SIGN_Q))
    key_text = f"the KMS key `{key}`" if signer == "kms" else f"`{key}`"
    q = _SIGN_Q[i].format(policy=policy, key=key_text, out=out, extra=(" " + " ".join(reqs)) if reqs else "")
    intro = rng.choice(
        (
            "Use `witness sign` with the policy as `-f` and the signed envelope as `-o`:",
            "Sign the policy with `witness sign`:",
            "`witness sign` wraps the raw policy bytes in a signed DSSE envelope:",
        )
    )
    return Built("sign", f"commands/sign/{i}", q, intro, Spec("sign", flags), notes)


# --------------------------------------------------------------------------- verify

_VERIFY_Q = (
    "How do I verify {subject} against my signed policy `{policy}` with witness? {verifier} "
    "The attestations are {atts}.{extra}",
    "Give me the `witness verify` command: policy `{policy}`, attestations {atts}, subject {subject}. "
    "{verifier}{extra}",
    "Our release gate must check {subject} with witness. Signed policy: `{policy}`; evidence: {atts}. "
    "{verifier}{extra} What's the command?",
    "What command verifies {subject} using the policy `{policy}` and the attestation files {atts}? "
    "{verifier}{extra}",
    "Write the witness verification command for this:\n- policy: `{policy}`\n- attestations: {atts}\n"
    "- subject: {subject}\n- {verifier_l}{bullets}",
    "I need to check that {subject} satisfies `{policy}`. {verifier} The attestation envelopes are {atts}."
    "{extra} Exact command?",
)


def _make_verify(rng: random.Random, version: WitnessVersion) -> Built:
    sc = Scenario.random(rng, step_kind=rng.choice(("build", "package")))
    policy = _fmt(rng, _SIGNED, sc, "policy")
    reqs: list[str] = []
    notes: list[str] = []
    flags: list[tuple[str, Any]] = [("policy", policy)]
    vmode = rng.choices(("key", "x509", "kms"), (70, 20, 10))[0]
    if vmode == "key":
        pub = rng.choice(_POLICY_PUBS)
        flags.append(("publickey", pub))
        verifier = rng.choice(
            (
                f"The policy was signed with the key whose public half is `{pub}`.",
                f"The policy signer's public key is `{pub}`.",
            )
        )
        notes.append(
            "In `verify`, `-k` is the policy signer's public key; functionary keys live in the policy."
        )
    elif vmode == "x509":
        root = rng.choice(_ROOTS)
        flags.append(("policy-ca-roots", [root]))
        verifier = f"The policy is signed with an x.509 certificate that chains to the root `{root}`."
        if rng.random() < 0.5:
            inter = rng.choice(_INTERMEDIATES)
            flags.append(("policy-ca-intermediates", [inter]))
            verifier += f" The intermediate is `{inter}`."
        if rng.random() < 0.4:
            email = f"{rng.choice(('security', 'release', 'platform'))}@{sc.org}.com"
            flags.append(("policy-emails", [email]))
            verifier += f" Only accept a signing certificate for {email}."
        notes.append("`--policy-ca-roots` (plural) replaces the deprecated `--policy-ca`.")
    else:
        ref = f"gcpkms://projects/{sc.org}/locations/global/keyRings/witness/cryptoKeys/policy-signer"
        flags.append(("verifier-kms-ref", ref))
        verifier = f"The policy was signed with the KMS key `{ref}`."
    src = rng.choices(("files", "archivista"), (85, 15))[0]
    steps = [
        sc.step,
        *rng.sample([s for s in ("build", "test", "package", "scan", "sbom") if s != sc.step], 2),
    ]
    files: list[str] = []
    if src == "files":
        n = rng.choice((1, 1, 2, 3))
        pattern = rng.choice(("{s}.json", "{s}.attestation.json", "attestations/{s}.json"))
        files = [pattern.format(s=s) for s in steps[:n]]
        flags.append(("attestations", files))
        atts = _join([f"`{f}`" for f in files])
        notes.append("In `verify`, `-a` takes attestation files (it is repeatable).")
    else:
        flags.append(("enable-archivista", True))
        atts = "in Archivista (no local files)"
        if rng.random() < 0.5:
            server = f"https://archivista.{sc.org}.internal"
            flags.append(("archivista-server", server))
            atts = f"in our Archivista at {server} (no local files)"
    smode = rng.choices(("file", "digest", "dir"), (60, 25, 15))[0]
    products = sc.product_paths()
    artifact = products[0] if products else f"{sc.project}.tar.gz"
    if smode == "file":
        flags.append(("artifactfile", artifact))
        subject = f"the artifact `{artifact}`"
    elif smode == "digest":
        digest = hex_id(rng, 64)
        flags.append(("subjects", [digest]))
        subject = f"the artifact with sha256 `{digest}` (I don't have the file locally)"
        notes.append("`-s` in `verify` takes subject digests (in `run` it is the step name).")
    else:
        d = rng.choice(("dist", "build/out", "release"))
        artifact = f"{d}/{artifact.rsplit('/', 1)[-1]}"
        flags.append(("directory-path", d))
        flags.append(("artifactfile", artifact))
        subject = f"the directory `{d}` together with the file `{artifact}`"
        notes.append("`--directory-path` alone does not satisfy the `-f`/`-s` requirement, so `-f` is kept.")
    i = rng.randrange(len(_VERIFY_Q))
    q = _VERIFY_Q[i].format(
        subject=subject,
        policy=policy,
        atts=atts,
        verifier=verifier,
        verifier_l=verifier[:1].lower() + verifier[1:],
        extra=(" " + " ".join(reqs)) if reqs else "",
        bullets="".join(f"\n- {r}" for r in reqs),
    )
    intro = rng.choice(
        (
            "Use `witness verify`; it exits 0 only if the policy passes:",
            "Verify with the signed policy and the attestations:",
            "`witness verify` checks the policy signature, then the attestations against the policy:",
        )
    )
    return Built("verify", f"commands/verify/{i}", q, intro, Spec("verify", flags), notes)


# --------------------------------------------------------------------------- other commands

_OTHER_Q: dict[str, tuple[str, ...]] = {
    "attestors list": (
        "How can I see which attestors my witness binary supports?",
        "Which witness command lists all available attestors?",
        "Is there a witness command that prints every attestor with its type and run type?",
        "How do I list the attestors compiled into witness?",
        "What do I run to get the table of witness attestors (name, type, run type)?",
        "Show me how to print the available witness attestors.",
    ),
    "attestors schema": (
        "How do I print the JSON schema of the `{name}` attestor with witness?",
        "Which witness command shows the schema of the {name} attestor?",
        "I need the predicate schema for `{name}`. What's the witness command?",
        "How can I see what fields the `{name}` attestor records?",
        "Give me the witness command that dumps the JSON schema of attestor `{name}`.",
        "What do I run to view the `{name}` attestor's schema?",
    ),
    "policy check": (
        "How do I validate my witness policy `{file}` before signing it?{extra}",
        "Which witness command checks `{file}` for errors?{extra}",
        "Is there a way to lint the policy file `{file}` with witness?{extra}",
        "I want to statically check `{file}` (Rego, expiry, keys) with witness.{extra} What's the command?",
        "Give me the command that checks the witness policy `{file}`.{extra}",
        "What do I run to make witness check my policy document `{file}`?{extra}",
    ),
    "completion": (
        "How do I generate {shell} completion for the witness CLI?",
        "What's the witness command that prints the {shell} completion script?",
        "I'd like tab completion for witness in {shell}. Which command produces the script?",
        "Give me the command to output witness shell completions for {shell}.",
        "How can I get witness autocompletion for {shell}?",
        "Which witness subcommand generates a {shell} completion script?",
    ),
    "version": (
        "How do I check which version of witness is installed?",
        "What's the witness command that prints its version?",
        "Which command shows the witness CLI version?",
        "How can I print the version of my witness binary?",
        "Give me the command to display the witness version.",
        "What do I run to see the installed witness version?",
    ),
}
_SCHEMA_NAMES = (
    "git",
    "environment",
    "command-run",
    "product",
    "material",
    "slsa",
    "sbom",
    "github",
    "gitlab",
    "k8smanifest",
    "docker",
    "oci",
    "secretscan",
    "link",
    "sarif",
    "vex",
    "maven",
    "aws",
    "gcp-iit",
)


def _make_other(rng: random.Random, version: WitnessVersion) -> Built:
    sub = rng.choice(tuple(_OTHER_Q))
    i = rng.randrange(len(_OTHER_Q[sub]))
    flags: list[tuple[str, Any]] = []
    args: list[str] = []
    notes: list[str] = []
    fmt: dict[str, str] = {"extra": ""}
    if sub == "attestors schema":
        name = rng.choice(_SCHEMA_NAMES)
        args = [name]
        fmt["name"] = name
        intro = "`witness attestors schema` takes exactly one attestor name:"
    elif sub == "policy check":
        files: tuple[str, ...] = (
            "policy.json",
            "policy/policy.json",
            "witness-policy.json",
            "policy-signed.json",
        )
        if "before signing" in _OTHER_Q[sub][i]:  # an already signed file cannot be checked "before signing"
            files = files[:-1]
        f = rng.choice(files)
        args = [f]
        fmt["file"] = f
        opt = rng.choice((None, None, "json", "verbose", "quiet"))
        if opt is not None:
            flags.append((opt, True))
            fmt["extra"] = {
                "json": " I need the result as JSON for our CI.",
                "verbose": " Show detailed validation progress.",
                "quiet": " Only errors should be printed.",
            }[opt]
        intro = "`witness policy check` validates a policy file (raw JSON or a signed envelope):"
        notes.append("It does not verify the envelope signature, and it parses Rego with OPA v1 syntax.")
        if version.policy_check_note:
            notes.append(version.policy_check_note[0].upper() + version.policy_check_note[1:] + ".")
    elif sub == "completion":
        shell = rng.choice(("bash", "zsh", "fish", "powershell"))
        args = [shell]
        fmt["shell"] = shell
        intro = "`witness completion` prints the script for one shell:"
    elif sub == "attestors list":
        intro = "`witness attestors list` prints a table with Name, Type and RunType:"
    else:
        intro = "Run:"
    q = _OTHER_Q[sub][i].format(**fmt)
    tag = sub.replace(" ", "-")
    return Built("other", f"commands/other/{tag}/{i}", q, intro, Spec(sub, flags, args), notes)


# --------------------------------------------------------------------------- fix my command


@dataclass
class Mistake:
    mid: str
    broken: str
    fixed: Spec
    context: str
    why: str
    issue: str | None
    loose: dict[str, list[Any]] = field(default_factory=dict)
    any_value: list[str] = field(default_factory=list)


_FIX_Q = (
    "This witness command doesn't work:\n\n```bash\n{broken}\n```\n\n{context}What's wrong, and what is the "
    "correct command?",
    "{context}I ran\n\n```\n{broken}\n```\n\nbut witness complains or does the wrong thing. Can you fix it?",
    "Can you fix my witness command?\n\n```bash\n{broken}\n```\n\n{context}What should I run instead?",
    "{context}Why does this fail, and how should it look?\n\n    {broken_inline}\n\nPlease give the corrected line.",
    "Please correct this command:\n\n```sh\n{broken}\n```\n\n{context}What is the right version?",
    "What's the mistake in `{broken_inline}`? {context}Give me the fixed command.",
    "My CI step runs:\n\n```bash\n{broken}\n```\n\n{context}It isn't working as intended. What should it be?",
)


def _base_run(rng: random.Random, sc: Scenario) -> Spec:
    step = sc.step
    key = _fmt(rng, _KEYS, sc, step)
    out = _fmt(rng, _OUTFILES, sc, step)
    return Spec("run", [("step", step), ("signer-file-key-path", key), ("outfile", out)], list(sc.command))


def _base_sign(rng: random.Random, sc: Scenario) -> Spec:
    return Spec(
        "sign",
        [
            ("infile", _fmt(rng, _POLICIES, sc, "p")),
            ("outfile", _fmt(rng, _SIGNED, sc, "p")),
            ("signer-file-key-path", _fmt(rng, _POLICY_KEYS, sc, "p")),
        ],
    )


def _base_verify(rng: random.Random, sc: Scenario) -> Spec:
    products = sc.product_paths()
    return Spec(
        "verify",
        [
            ("policy", _fmt(rng, _SIGNED, sc, "p")),
            ("publickey", rng.choice(_POLICY_PUBS)),
            ("attestations", [f"{sc.step}.json"]),
            ("artifactfile", products[0] if products else f"{sc.project}.tar.gz"),
        ],
    )


_RENAMES: tuple[tuple[str, str, str, str], ...] = (
    # (subcommand, wrong long flag, right long flag, why)
    (
        "run",
        "--key",
        "signer-file-key-path",
        "`--key` does not exist; the signing key is `-k/--signer-file-key-path`.",
    ),
    ("run", "--output", "outfile", "`--output` does not exist; the output file is `-o/--outfile`."),
    ("run", "--out", "outfile", "`--out` does not exist; the output file is `-o/--outfile`."),
    (
        "run",
        "--private-key",
        "signer-file-key-path",
        "`--private-key` does not exist; use `-k/--signer-file-key-path`.",
    ),
    (
        "run",
        "--attestor",
        "attestations",
        "`--attestor` does not exist; attestors are selected with `-a/--attestations`.",
    ),
    ("run", "--timestamp-server", "timestamp-servers", "The flag is plural: `--timestamp-servers`."),
    ("run", "--tsa", "timestamp-servers", "`--tsa` does not exist; use `--timestamp-servers <url>`."),
    ("run", "--working-dir", "workingdir", "`--working-dir` does not exist; it is `-d/--workingdir`."),
    (
        "run",
        "--certificate",
        "signer-file-cert-path",
        "`--certificate` (stale docs) does not exist; use `--signer-file-cert-path`.",
    ),
    (
        "run",
        "-step",
        "step",
        "`-step` is not `--step`: pflag reads it as `-s` with the value `tep` (a step named `tep`); long flags "
        "need two dashes: `--step <name>` or `-s <name>`.",
    ),
    (
        "sign",
        "--key",
        "signer-file-key-path",
        "`--key` does not exist; the signing key is `-k/--signer-file-key-path`.",
    ),
    ("sign", "--output", "outfile", "`--output` does not exist; use `-o/--outfile`."),
    (
        "verify",
        "--key",
        "publickey",
        "`--key` does not exist; in `verify` the policy signer's public key is `-k/--publickey`.",
    ),
    ("verify", "--public-key", "publickey", "`--public-key` does not exist; use `-k/--publickey`."),
    ("verify", "--pubkey", "publickey", "`--pubkey` does not exist; use `-k/--publickey`."),
    (
        "verify",
        "--policy-file",
        "policy",
        "`--policy-file` does not exist; the signed policy is `-p/--policy`.",
    ),
    (
        "verify",
        "--artifact",
        "artifactfile",
        "`--artifact` does not exist; the artifact is `-f/--artifactfile`.",
    ),
    (
        "verify",
        "--attestation",
        "attestations",
        "`--attestation` does not exist; attestation files go with `-a/--attestations`.",
    ),
)

_MISSPELLED = (
    ("aws-iid", "aws"),
    ("aws-iit", "aws"),
    ("gcp", "gcp-iit"),
    ("k8s", "k8smanifest"),
    ("provenance", "slsa"),
    ("slsa-provenance", "slsa"),
    ("spdx", "sbom"),
    ("cyclonedx", "sbom"),
    ("secret-scan", "secretscan"),
    ("gitleaks", "secretscan"),
    ("github-actions", "github"),
    ("gitlab-ci", "gitlab"),
    ("codebuild", "aws-codebuild"),
    ("lockfile", "lockfiles"),
    ("openvex", "vex"),
)
_MISSPELLED_STEP: dict[str, dict[str, str]] = {
    # `-a sbom` fails (`no SBOM file found`) unless the step writes an SPDX/CycloneDX JSON product, and
    # k8smanifest only records rendered YAML manifests: draw a step that produces them.
    "spdx": {"step_kind": "sbom", "sbom_kind": "spdx"},
    "cyclonedx": {"step_kind": "sbom", "sbom_kind": "cyclonedx"},
    "k8s": {"step_kind": "deploy"},
}


def _mistake(rng: random.Random) -> Mistake:
    sc = Scenario.random(rng)
    mid = rng.choice(
        (
            "rename",
            "rename",
            "rename",
            "misspelled-attestor",
            "misspelled-attestor",
            "commandrun",
            "sign-no-outfile",
            "sign-positional",
            "sign-t",
            "verify-s-step",
            "verify-private-key",
            "verify-no-attestations",
            "hashes",
            "no-dashdash",
            "bool-value",
            "run-no-step",
            "run-no-signer",
            "dropped-defaults",
            "policy-sign",
            "attest",
            "policy-ca-root",
            "policy-validate",
        )
    )
    if mid == "rename":
        sub, wrong, right, why = rng.choice(_RENAMES)
        if sub == "run":
            fixed = _base_run(rng, sc)
            if right == "attestations":
                fixed = fixed.with_flag(
                    "attestations", ["environment", "git", rng.choice(_STEP_EXTRAS[sc.step_kind])]
                )
            elif right == "timestamp-servers":
                fixed = fixed.with_flag("timestamp-servers", [_fmt(rng, _TSAS, sc, "x")])
            elif right == "workingdir":
                fixed = fixed.with_flag("workingdir", _fmt(rng, _WORKDIRS, sc, "x"))
            elif right == "signer-file-cert-path":
                fixed = fixed.with_flag("signer-file-cert-path", _fmt(rng, _CERTS, sc, sc.step))
        elif sub == "sign":
            fixed = _base_sign(rng, sc)
        else:
            fixed = _base_verify(rng, sc)
        value = fixed.get(right)
        broken_val = ",".join(value) if isinstance(value, list) else value
        broken = fixed.replace(right, wrong, broken_val)
        issue = "single-dash-long-flag" if wrong == "-step" else "nonexistent-flag"
        if wrong == "--timestamp-server":
            issue = "nonexistent-flag"
        return Mistake(f"rename/{sub}/{wrong.lstrip('-')}", render(broken, rng), fixed, "", why, issue)
    if mid == "misspelled-attestor":
        wrong, right = rng.choice(_MISSPELLED)
        fit = _MISSPELLED_STEP.get(wrong)
        if fit is not None:  # sbom/k8smanifest need the step's own products (an SBOM, manifests)
            sc = Scenario.random(rng, **fit)
        fixed = _base_run(rng, sc).with_flag("attestations", ["environment", "git", right], 3)
        broken = fixed.replace("attestations", "attestations", ["environment", "git", wrong])
        why = (
            f"There is no attestor called `{wrong}` (`failed to create attestor: attestor not found: {wrong}`); "
            f"the CLI name is `{right}`."
        )
        where = {
            "aws": "on an EC2 instance",
            "gcp-iit": "on a GCP VM",
            "github": "inside GitHub Actions",
            "gitlab": "inside GitLab CI",
            "aws-codebuild": "inside AWS CodeBuild",
        }.get(right)
        if where:
            why += f" Note that `{right}` only works {where}."
        if right == "vex":
            why += (
                " Note that `vex` looks for an OpenVEX JSON document among the step's products and fails "
                "(`no VEX file found`) if no product decodes as one."
            )
        return Mistake(f"attestor/{wrong}", render(broken, rng), fixed, "", why, "unknown-attestor")
    if mid == "commandrun":
        extra = rng.choice(_STEP_EXTRAS[sc.step_kind])
        wrong = rng.choice(("commandrun", "command_run", "command-run"))
        fixed = _base_run(rng, sc).with_flag("attestations", ["environment", "git", extra], 3)
        broken = fixed.replace("attestations", "attestations", ["environment", "git", wrong, extra])
        if wrong == "command-run":
            why = (
                "`command-run` is a builtin attestor: witness ignores it in `-a` with a warning and records it "
                "automatically whenever a command follows `--`. Just drop it."
            )
            issue = "attestor-builtin"
        else:
            why = (
                f"`{wrong}` is not an attestor name (`attestor not found`). The command-run attestation is "
                "recorded automatically when a command follows `--`, so it does not belong in `-a` at all."
            )
            issue = "unknown-attestor"
        return Mistake(f"commandrun/{wrong}", render(broken, rng), fixed, "", why, issue)
    if mid == "sign-no-outfile":
        fixed = _base_sign(rng, sc)
        broken = fixed.without("outfile")
        why = (
            "`-f/--infile` and `-o/--outfile` must be given together: witness fails with `if any flags in the "
            "group [infile outfile] are set they must all be set; missing [outfile]`. Add `-o`."
        )
        return Mistake(mid, render(broken, rng), fixed, "", why, "required-together", any_value=["outfile"])
    if mid == "sign-positional":
        fixed = _base_sign(rng, sc)
        broken = fixed.without("infile")
        broken.args = [fixed.get("infile")]
        why = (
            "`witness sign` does not read a positional file; the input must be given with `-f/--infile` "
            "(and `-f` and `-o` are required together)."
        )
        return Mistake(mid, render(broken, rng), fixed, "", why, "positional-ignored")
    if mid == "sign-t":
        url = _fmt(rng, _TSAS, sc, "x")
        fixed = _base_sign(rng, sc).with_flag("timestamp-servers", [url])
        broken = fixed.without("timestamp-servers").with_flag("-t", url)
        why = (
            "In `witness sign`, `-t` is `--datatype` (the payload type), so the URL became the envelope's "
            "payloadType. Timestamp servers need the long flag `--timestamp-servers`, which has no short form in sign."
        )
        return Mistake(mid, render(broken, rng), fixed, "", why, "short-flag-meaning")
    if mid == "verify-s-step":
        fixed = _base_verify(rng, sc)
        broken = fixed.without("artifactfile").with_flag("-s", sc.step)
        ctx = f"I want to verify the artifact `{fixed.get('artifactfile')}` for the `{sc.step}` step. "
        why = (
            "In `verify`, `-s` is `--subjects` (artifact digests), not a step name; steps come from the policy. "
            "Pass the artifact with `-f/--artifactfile` (or its sha256 with `-s`)."
        )
        return Mistake(mid, render(broken, rng), fixed, ctx, why, "short-flag-meaning")
    if mid == "verify-private-key":
        fixed = _base_verify(rng, sc)
        priv = rng.choice(("policy-key.pem", "keys/private.key", "policy-private.key"))
        broken = fixed.replace("publickey", "publickey", priv)
        ctx = f"`{priv}` is the private key I signed the policy with; its public key is `{fixed.get('publickey')}`. "
        why = "In `verify`, `-k/--publickey` is the policy signer's PUBLIC key, not the private key used by `witness sign`."
        return Mistake(mid, render(broken, rng), fixed, ctx, why, "short-flag-meaning")
    if mid == "verify-no-attestations":
        fixed = _base_verify(rng, sc)
        broken = fixed.without("attestations")
        ctx = f"The attestation from the `{sc.step}` step is in `{sc.step}.json`. "
        why = (
            "verify needs the attestations: `must either specify attestation file paths or enable archivista as "
            "an attestation source`. Pass the files with `-a`."
        )
        return Mistake(mid, render(broken, rng), fixed, ctx, why, "missing-attestations")
    if mid == "hashes":
        bad = rng.choice(("sha512", "SHA256", "sha-256", "md5", "sha384"))
        fixed = _base_run(rng, sc)
        broken = fixed.with_flag("hashes", [bad], 3)
        try:
            simulate._check_hashes([bad])
        except InputError:
            pass
        else:  # pragma: no cover - guards the vocabulary
            raise AssertionError(f"{bad} should be rejected")
        why = (
            f"`{bad}` is not a supported hash (`failed to parse hash: unsupported hash function: {bad}`). Only "
            "`sha256`, `sha1`, `gitoid:sha256`, `gitoid:sha1` and `dirHash` (case-sensitive) are accepted; "
            "the default is sha256, so the flag can simply be dropped."
        )
        return Mistake(
            f"hashes/{bad}",
            render(broken, rng),
            fixed,
            "",
            why,
            "bad-hash",
            loose={"hashes": [None, ["sha1", "sha256"]]},
        )
    if mid == "no-dashdash":
        for _ in range(12):  # a command with options of its own, which witness would steal
            if any(t.startswith("-") and t != "--" for t in sc.command):
                break
            sc = Scenario.random(rng, step_kind=rng.choice(("test", "image", "deploy", "sbom")))
        opts = [t for t in sc.command if t.startswith("-") and t != "--"]
        if not opts:  # pragma: no cover - the step kinds above all have options
            raise AssertionError("no command with options")
        fixed = _base_run(rng, sc)
        broken = Spec("run", list(fixed.flags), list(fixed.args), dashdash=False)
        why = (
            f"The command has to follow `--`. Without it, witness parses the command's options (here `{opts[0]}`) "
            f"as its own flags instead of passing them to `{sc.command[0]}`."
        )
        return Mistake(mid, render(broken, rng), fixed, "", why, None)
    if mid == "bool-value":
        x = rng.choice(("slsa", "link"))
        fixed = (
            _base_run(rng, sc)
            .with_flag("attestations", ["environment", "git", x])
            .with_flag(f"attestor-{x}-export", True)
        )
        broken = fixed.replace(f"attestor-{x}-export", f"--attestor-{x}-export", "true")
        why = (
            f"`--attestor-{x}-export` is a bool flag: it takes no separate value, so `true` became part of the "
            f"command witness runs. Write `--attestor-{x}-export` (or `--attestor-{x}-export=true`)."
        )
        return Mistake(f"bool/{x}", render(broken, rng), fixed, "", why, "bool-value-separated")
    if mid == "run-no-step":
        fixed = _base_run(rng, sc)
        broken = fixed.without("step")
        ctx = f"The policy calls this step `{sc.step}`. "
        why = "`witness run` needs a step name (`step name is required`); it must match the step name in the policy."
        return Mistake(mid, render(broken, rng), fixed, ctx, why, "missing-step")
    if mid == "run-no-signer":
        fixed = _base_run(rng, sc)
        broken = fixed.without("signer-file-key-path")
        ctx = f"Our signing key is `{fixed.get('signer-file-key-path')}`. "
        why = (
            "witness always signs: without a signer it fails with `failed to load signers: failed to load any "
            "signers` (there is no unsigned mode). Add `-k <key>`."
        )
        return Mistake(mid, render(broken, rng), fixed, ctx, why, "missing-signer")
    if mid == "dropped-defaults":
        extra = rng.choice(_STEP_EXTRAS[sc.step_kind])
        fixed = _base_run(rng, sc).with_flag("attestations", ["environment", "git", extra], 3)
        broken = fixed.replace("attestations", "attestations", [extra])
        specs, _ = simulate.select_attestors([extra], command=True)
        if any(s.name in ("git", "environment") for s in specs):  # pragma: no cover
            raise AssertionError("expected -a to drop the defaults")
        ctx = (
            f"Our policy's `{sc.step}` step requires the git and environment attestations, but verification "
            "says they are missing. "
        )
        why = (
            "`-a` replaces the default `environment,git` instead of adding to it, so this run records only "
            f"product, material, command-run and {extra}. List the defaults explicitly."
        )
        return Mistake(f"defaults/{extra}", render(broken, rng), fixed, ctx, why, None)
    if mid == "policy-sign":
        fixed = _base_sign(rng, sc)
        text = render(fixed, rng).replace("witness sign", "witness policy sign", 1)
        why = "There is no `witness policy sign`; policies are signed with the top-level `witness sign`."
        return Mistake(mid, text, fixed, "", why, "unknown-subcommand")
    if mid == "attest":
        fixed = _base_run(rng, sc)
        text = render(fixed, rng).replace("witness run", "witness attest", 1)
        why = "There is no `witness attest`; a step is recorded with `witness run`."
        return Mistake(mid, text, fixed, "", why, "unknown-subcommand")
    if mid == "policy-ca-root":
        fixed = (
            _base_verify(rng, sc).without("publickey").with_flag("policy-ca-roots", [rng.choice(_ROOTS)], 1)
        )
        wrong = rng.choice(("--policy-ca-root", "--ca-roots"))
        broken = fixed.replace("policy-ca-roots", wrong, fixed.get("policy-ca-roots")[0])
        why = (
            f"`{wrong}` does not exist (the deprecation warning of `--policy-ca` even names the singular form); "
            if wrong == "--policy-ca-root"
            else f"`{wrong}` does not exist; "
        ) + "the flag is `--policy-ca-roots` (and `--policy-ca-intermediates`)."
        return Mistake(f"ca/{wrong.lstrip('-')}", render(broken, rng), fixed, "", why, "nonexistent-flag")
    # policy-validate
    file = rng.choice(("policy.json", "policy/policy.json", "witness-policy.json"))
    verb = rng.choice(("validate", "verify", "create"))
    fixed = Spec("policy check", [], [file])
    text = f"witness policy {verb} {file}"
    why = (
        f"`witness policy` has only the `check` subcommand (`witness policy {verb}` just prints help); "
        "use `witness policy check <file>`."
    )
    ctx = "I want to check my policy file for errors. "
    return Mistake(f"policy/{verb}", text, fixed, ctx, why, "unknown-subcommand")


def _make_fix(rng: random.Random, version: WitnessVersion) -> Built:
    m = _mistake(rng)
    a = parse_command(m.broken, version=version)
    codes = {i.code for i in a.issues}
    if m.issue is not None and m.issue not in codes:
        raise AssertionError(f"broken command {m.broken!r} lacks issue {m.issue}: {codes}")
    if m.mid == "no-dashdash" and not blocking_issues(a):
        raise AssertionError(f"broken command {m.broken!r} is not flagged")
    i = rng.randrange(len(_FIX_Q))
    q = _FIX_Q[i].format(
        broken=m.broken, broken_inline=" ".join(m.broken.split()).replace(" \\ ", " "), context=m.context
    )
    intro = "Corrected command:"
    b = Built("fix", f"commands/fix/{i}", q.strip(), intro, m.fixed, [], explanation=m.why)
    b.extra_check = {"mistake": m.mid}
    if m.loose:
        b.extra_check["loose"] = m.loose
    if m.any_value:
        b.extra_check["any_value"] = m.any_value
    return b


# --------------------------------------------------------------------------- make

_MAKERS = {
    "run": _make_run,
    "sign": _make_sign,
    "verify": _make_verify,
    "other": _make_other,
    "fix": _make_fix,
}


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


def make(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Example:
    kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
    return make_kind(rng, kind, version)


def make_kind(rng: random.Random, kind: str, version: WitnessVersion = versions.LATEST) -> Example:
    """An example of one sub-kind (`run`, `sign`, `verify`, `other`, `fix`) for the release `version`."""
    b = _MAKERS[kind](rng, version)
    text = render(b.spec, rng)
    a = analyse_reference(text, version)
    m = meaning(a)
    if b.spec.sub == "run":
        _check_run_semantics(b.spec, m)
    check: dict[str, Any] = {"kind": "command", "subcommand": m["subcommand"], "expect": m, **b.extra_check}
    parts: list[str] = []
    if b.explanation:
        parts.append(b.explanation)
    parts.append(b.intro)
    parts.append(f"```bash\n{text}\n```")
    if b.notes:
        parts.append(" ".join(b.notes[:3]))
    answer = "\n\n".join(parts)
    system = phrasing.system_prompt(rng)
    question = phrasing.dress(rng, b.question)
    group = f"commands/{b.kind}/{_digest({k: v for k, v in check.items()})}"
    return Example(
        family=NAME,
        group=group,
        template=b.template,
        question=question,
        answer=answer,
        check=check,
        system=system,
        meta={"kind": b.kind},
    )


# --------------------------------------------------------------------------- score


@guarded
def score(answer: str, check: dict[str, Any], ctx: ScoreContext) -> Score:
    """Judge an answer: its last clean `witness <subcommand>` command must mean what the check expects
    (in the grammar of the release the check was made for)."""
    return score_command(answer, check, ctx.version(check))


FAMILY = Family(
    name=NAME,
    description="From a described intent, the exact witness command line (run, sign, verify, other, fix)",
    make=make,
    score=score,
)
