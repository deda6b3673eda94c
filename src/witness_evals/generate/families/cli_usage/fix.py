"""Intent "fix my command": a witness command with one realistic mistake -> why it is wrong, the corrected
command (in the same shape the user pasted: a shell line or a CI step), how to check it.

Mistakes: flags that do not exist (stale docs, other tools, singular/plural), misspelled or builtin
attestor names, `-a` dropping the defaults, short flags whose meaning differs per subcommand (`-k` in
verify, `-s`, `-t` in sign), sign's required-together `-f`/`-o`, a positional policy file, missing
`--`, a value after a bool flag, a missing step or signer, unsupported hashes, two signers, the
passphrase flag removed in witness v0.11, subcommands that do not exist. Every quoted witness error is
taken from the core (the CLI analyser or the run simulator), never typed by hand.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from witness_evals.bench.scorers.command import blocking_issues
from witness_evals.common.errors import InputError
from witness_evals.generate import worlds as W
from witness_evals.generate.families.cli_usage import names, workloads
from witness_evals.generate.families.cli_usage.built import Built
from witness_evals.generate.families.cli_usage.other import policy_check_summary
from witness_evals.generate.families.cli_usage.run_plan import ALWAYS_EXPORTED, export_reason
from witness_evals.generate.families.cli_usage.sign_verify import required_together_message
from witness_evals.generate.families.cli_usage.spec import Spec, check_line, one_line, render
from witness_evals.generate.families.cli_usage.text import fence, say
from witness_evals.generate.phrasing import pick
from witness_evals.generate.teach import Lesson
from witness_evals.witness import simulate, versions
from witness_evals.witness.attestors import get as get_attestor
from witness_evals.witness.attestors.scenario import hex_id
from witness_evals.witness.cli import parse_command
from witness_evals.witness.verify_output import witness_output
from witness_evals.witness.versions import WitnessVersion


@dataclass
class Mistake:
    mid: str
    broken: Spec | str
    fixed: Spec
    context: str
    why: list[str]
    issue: str | None
    loose: dict[str, list[Any]] = field(default_factory=dict)
    any_value: list[str] = field(default_factory=list)


def core_message(text: str, code: str, version: WitnessVersion) -> str:
    """The analyser's message for issue `code` of the command `text` (asserts it is there)."""
    a = parse_command(text, version=version)
    for i in a.issues:
        if i.code == code:
            return i.message
    raise AssertionError(f"{text!r} has no {code}: {[i.code for i in a.issues]}")


def unknown_flag_error(text: str, flag: str, version: WitnessVersion) -> str:
    """pflag's `unknown flag: --x`, checked against the analyser."""
    msg = f"unknown flag: --{flag}"
    a = parse_command(text, version=version)
    assert any(i.message.startswith(msg) for i in a.issues), (text, [i.message for i in a.issues])
    return msg


def attestor_error(name: str) -> str:
    try:
        simulate.select_attestors(["environment", "git", name], command=True)
    except InputError as exc:
        return exc.message
    raise AssertionError(f"{name} should not be an attestor")


def hash_error(name: str) -> str:
    try:
        simulate._check_hashes([name])
    except InputError as exc:
        return exc.message
    raise AssertionError(f"{name} should be rejected")


def _quoted(message: str, pattern: str) -> str:
    m = re.search(pattern, message)
    assert m, (message, pattern)
    return m.group(1)


def _key(rng: random.Random, pr: workloads.Project) -> str:
    return names.fill(rng, names.KEYS, step=pr.step, project=pr.name, org=pr.org)


def base_run(rng: random.Random, pr: workloads.Project) -> Spec:
    out = names.outfile(rng, step=pr.step, project=pr.name, org=pr.org)
    return Spec(
        "run",
        [("step", pr.step), ("signer-file-key-path", _key(rng, pr)), ("outfile", out)],
        list(pr.work.command),
    )


def _exported(fixed: Spec, why: list[str]) -> Spec:
    """`fixed` with `--attestor-<x>-export` for every slsa/link it selects (`run_plan.ALWAYS_EXPORTED`: kept in
    the collection they make it unreadable for `witness verify`), and the reason appended to `why`."""
    xs = [x for x in ALWAYS_EXPORTED if x in (fixed.get("attestations") or [])]
    for x in xs:
        fixed = fixed.with_flag(f"attestor-{x}-export", True)
    if xs:
        why.append(export_reason(xs, str(fixed.get("outfile"))))
    return fixed


def base_sign(rng: random.Random, pr: workloads.Project) -> Spec:
    return Spec(
        "sign",
        [
            ("infile", names.fill(rng, names.POLICIES, project=pr.name, org=pr.org)),
            ("outfile", names.fill(rng, names.SIGNED, project=pr.name, org=pr.org)),
            ("signer-file-key-path", names.fill(rng, names.POLICY_KEYS, org=pr.org)),
        ],
    )


def base_verify(rng: random.Random, pr: workloads.Project) -> Spec:
    product = pr.work.products[0] if pr.work.products else f"{pr.name}-{pr.version}.tar.gz"
    return Spec(
        "verify",
        [
            ("policy", names.fill(rng, names.SIGNED, project=pr.name, org=pr.org)),
            ("publickey", names.fill(rng, names.POLICY_PUBS, org=pr.org)),
            ("attestations", [names.outfile(rng, step=pr.step, project=pr.name, org=pr.org)]),
            ("artifactfile", product),
        ],
    )


# (subcommand, wrong flag, right long flag)
RENAMES: tuple[tuple[str, str, str], ...] = (
    ("run", "key", "signer-file-key-path"),
    ("run", "private-key", "signer-file-key-path"),
    ("run", "output", "outfile"),
    ("run", "out", "outfile"),
    ("run", "attestor", "attestations"),
    ("run", "timestamp-server", "timestamp-servers"),
    ("run", "tsa", "timestamp-servers"),
    ("run", "working-dir", "workingdir"),
    ("run", "certificate", "signer-file-cert-path"),
    ("run", "fulcio-url", "signer-fulcio-url"),
    ("run", "kms-ref", "signer-kms-ref"),
    ("run", "spiffe-socket", "signer-spiffe-socket-path"),
    ("sign", "key", "signer-file-key-path"),
    ("sign", "output", "outfile"),
    ("verify", "key", "publickey"),
    ("verify", "public-key", "publickey"),
    ("verify", "pubkey", "publickey"),
    ("verify", "policy-file", "policy"),
    ("verify", "artifact", "artifactfile"),
    ("verify", "attestation", "attestations"),
    ("verify", "policy-ca-root", "policy-ca-roots"),
    ("verify", "ca-roots", "policy-ca-roots"),
)

RIGHT_FLAG_NOTES: dict[tuple[str, str], str] = {
    (
        "",
        "signer-file-key-path",
    ): "`-k` is the only signer flag with a short form; every other signer flag is spelled out.",
    (
        "verify",
        "publickey",
    ): "In `verify`, `-k` means `--publickey`: the public key of whoever signed the policy.",
    (
        "",
        "outfile",
    ): "Without `-o` the signed envelope would be printed to stdout instead of written to a file.",
    (
        "run",
        "attestations",
    ): "`-a` replaces the default `environment,git` list, which is why both stay in the list.",
    (
        "verify",
        "attestations",
    ): "In `verify`, `-a` takes attestation files; repeat it (or use commas) for several.",
    ("", "timestamp-servers"): "It takes RFC 3161 TSA URLs; in `run` its short form is `-t`.",
    ("", "workingdir"): "Its short form is `-d`; the command then runs inside that directory.",
    (
        "",
        "signer-file-cert-path",
    ): "It embeds the certificate in the signature, so a policy can trust the key through its root CA.",
    (
        "",
        "signer-fulcio-url",
    ): "Every Fulcio signer flag starts with `--signer-fulcio-`, like the OIDC issuer and "
    "client id flags here.",
    ("", "signer-kms-ref"): "On the verify side the same KMS reference goes to `--verifier-kms-ref`.",
    (
        "",
        "signer-spiffe-socket-path",
    ): "Signer flags carry their provider's name, like `--signer-spiffe-socket-path` "
    "and `--signer-fulcio-url`.",
    ("", "policy"): "`-p` must point at the signed policy envelope that `witness sign` wrote.",
    (
        "",
        "artifactfile",
    ): "verify hashes that file with sha256 to find the matching attestations; `-s` would take "
    "the digest itself.",
    ("", "policy-ca-roots"): "An intermediate CA, if there is one, goes to `--policy-ca-intermediates`.",
}
"""A second sentence for each corrected flag: what it does or how it is spelled. The `("", "outfile")` note
holds for `run` only: `sign` has no stdout fallback once `-f` is given (`sign_outfile_note`)."""


def sign_outfile_note(version: WitnessVersion) -> str:
    """What `-o` means in `witness sign`: witness options/sign.go (RequiredSignFlags = infile, outfile;
    `cmd.MarkFlagsRequiredTogether`) makes cobra refuse `-f` without `-o`, so the envelope never goes to stdout
    although the flag's help says "Defaults to stdout" (REFERENCE §2.3)."""
    return (
        "In `sign`, `-o` is not optional: it must come with `-f` (the signed policy never goes to stdout), and "
        f"`-f` without `-o` stops with `{required_together_message(version)}`."
    )


KEYLESS_WHY = (
    "Keep `--timestamp-servers` with keyless signing: the Fulcio certificate expires after about 10 minutes, "
    "and only a timestamped signature (with the TSA's CA in the policy's `timestampauthorities`) still verifies "
    "after that."
)

MISSPELLED = (
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
    ("buildx", "docker"),
    ("sarif-report", "sarif"),
    ("mvn", "maven"),
    ("packages", "system-packages"),
)
WHERE = {
    "aws": "on an EC2 instance",
    "gcp-iit": "where the GCP metadata server hands out an identity token without a `google` claim, as under GKE Workload Identity (on a plain GCE VM witness crashes)",
    "github": "inside GitHub Actions",
    "gitlab": "inside GitLab CI",
    "aws-codebuild": "inside AWS CodeBuild",
}


def _rename(rng: random.Random, version: WitnessVersion) -> Mistake:
    sub, wrong, right = pick(rng, RENAMES)
    pr = workloads.draw(rng)
    if sub == "run":
        fixed = base_run(rng, pr)
        if right == "attestations":
            fixed = fixed.with_flag("attestations", ["environment", "git", pick(rng, pr.work.usable())])
        elif right == "timestamp-servers":
            fixed = fixed.with_flag("timestamp-servers", [names.fill(rng, names.TSAS, org=pr.org)])
        elif right == "workingdir":
            fixed = fixed.with_flag("workingdir", names.fill(rng, names.WORKDIRS, project=pr.name))
        elif right == "signer-file-cert-path":
            fixed = fixed.with_flag(
                "signer-file-cert-path",
                names.fill(rng, names.CERTS, step=pr.step, project=pr.name, org=pr.org),
            )
        elif right == "signer-fulcio-url":
            fixed = fixed.without("signer-file-key-path").with_flag(
                "signer-fulcio-url", "https://fulcio.sigstore.dev", 1
            )
            fixed = fixed.with_flag("signer-fulcio-oidc-issuer", "https://oauth2.sigstore.dev/auth", 2)
            fixed = fixed.with_flag("signer-fulcio-oidc-client-id", "sigstore", 3)
            fixed = fixed.with_flag("timestamp-servers", [names.fill(rng, names.TSAS, org=pr.org)])
        elif right == "signer-kms-ref":
            fixed = fixed.without("signer-file-key-path").with_flag(
                "signer-kms-ref", f"awskms:///alias/{pr.org}-build", 1
            )
        elif right == "signer-spiffe-socket-path":
            fixed = fixed.without("signer-file-key-path").with_flag(
                "signer-spiffe-socket-path", "unix:///run/spire/sockets/agent.sock", 1
            )
    elif sub == "sign":
        fixed = base_sign(rng, pr)
    else:
        fixed = base_verify(rng, pr)
        if right == "policy-ca-roots":
            fixed = fixed.without("publickey").with_flag(
                "policy-ca-roots", [names.fill(rng, names.ROOTS, org=pr.org)], 1
            )
    value = fixed.get(right)
    broken_val = ",".join(value) if isinstance(value, list) else value
    broken = fixed.replace(right, f"--{wrong}", broken_val)
    exports: list[str] = []
    fixed = _exported(fixed, exports)
    text = render(broken, rng, version)
    err = unknown_flag_error(text, wrong, version)
    hint = core_message(text, "nonexistent-flag", version).split(": ", 2)[-1]
    hint = re.sub(r" <[^>`]+>", "", hint)  # `--timestamp-servers <url>`: no placeholders in answers
    why = [
        f"witness stops with `{err}`: {hint[:1].lower() + hint[1:]}.",
        sign_outfile_note(version)
        if (sub, right) == ("sign", "outfile")
        else RIGHT_FLAG_NOTES.get((sub, right)) or RIGHT_FLAG_NOTES[("", right)],
    ]
    if right == "signer-fulcio-url":
        why.append(KEYLESS_WHY)
    if wrong == "policy-ca-root":
        why.append(
            "The deprecation warning of `--policy-ca` names that singular form, but it was never a flag."
        )
    return Mistake(f"rename/{sub}/{wrong}", broken, fixed, "", why + exports, "nonexistent-flag")


def _misspelled(rng: random.Random, version: WitnessVersion) -> Mistake:
    wrong, right = pick(rng, MISSPELLED)
    pr = workloads.draw_for(rng, right)
    why = [
        f"There is no attestor called `{wrong}`, so witness fails with `{attestor_error(wrong)}`; the CLI name is `{right}`."
    ]
    plain = base_run(rng, pr).with_flag("attestations", ["environment", "git", right], 3)
    broken = plain.replace("attestations", "attestations", ["environment", "git", wrong])
    fixed = _exported(plain, why)
    if right in WHERE:
        why.append(f"Note that `{right}` only works {WHERE[right]}.")
    if right == "vex":
        why.append("`vex` reads an OpenVEX JSON document among the step's products.")
    if right == "sbom":
        why.append("It picks up the SPDX or CycloneDX JSON file the step writes.")
    return Mistake(f"attestor/{wrong}", broken, fixed, "", why, "unknown-attestor")


def _commandrun(rng: random.Random, version: WitnessVersion) -> Mistake:
    pr = workloads.draw(rng)
    extra = pick(rng, pr.work.usable())
    wrong = pick(rng, ("commandrun", "command_run", "command-run"))
    fixed = base_run(rng, pr).with_flag("attestations", ["environment", "git", extra], 3)
    broken = fixed.replace("attestations", "attestations", ["environment", "git", wrong, extra])
    if wrong == "command-run":
        msg = core_message(render(broken, rng, version), "attestor-builtin", version)
        quoted = _quoted(msg, r"^(.*?builtin attestor.*?flag)")
        why = [
            f"`command-run` is a builtin attestor: witness skips it in `-a` (`{quoted}`) and records it anyway "
            "whenever a command follows `--`. Just drop it."
        ]
        issue = "attestor-builtin"
    else:
        why = [
            f"`{wrong}` is not an attestor name (`{attestor_error(wrong)}`). The command-run attestation is recorded "
            "automatically when a command follows `--`, so it does not belong in `-a` at all."
        ]
        issue = "unknown-attestor"
    return Mistake(f"commandrun/{wrong}", broken, fixed, "", why, issue)


def signed_name(infile: str) -> str:
    """The signed copy's file name next to `infile` (`policies/release.json` -> `policies/release.signed.json`)."""
    stem, dot, ext = infile.rpartition(".")
    if dot and "/" not in ext and stem and not stem.endswith("/"):
        return f"{stem}.signed.{ext}"
    return f"{infile}.signed"


def _sign_no_outfile(rng: random.Random, version: WitnessVersion) -> Mistake:
    base = base_sign(rng, workloads.draw(rng))
    # the question shows only the input file: name the output after it rather than inventing a project name
    infile = str(base.get("infile"))
    fixed = base.replace("outfile", "outfile", signed_name(infile))
    broken = fixed.without("outfile")
    msg = core_message(render(broken, rng, version), "required-together", version)
    why = [
        f"`-f/--infile` and `-o/--outfile` must be given together, so witness fails with `{msg}`. Add `-o`; "
        f"`{fixed.get('outfile')}` (named after `{infile}`) is only a suggestion, any path works."
    ]
    return Mistake("sign-no-outfile", broken, fixed, "", why, "required-together", any_value=["outfile"])


def _sign_positional(rng: random.Random, version: WitnessVersion) -> Mistake:
    fixed = base_sign(rng, workloads.draw(rng))
    broken = fixed.without("infile")
    broken.args = [fixed.get("infile")]
    why = [
        "`witness sign` does not read a positional file (the `[file]` in its usage line is ignored); the input "
        "must be given with `-f/--infile`, together with `-o`."
    ]
    return Mistake("sign-positional", broken, fixed, "", why, "positional-ignored")


def _sign_t(rng: random.Random, version: WitnessVersion) -> Mistake:
    pr = workloads.draw(rng)
    url = names.fill(rng, names.TSAS, org=pr.org)
    fixed = base_sign(rng, pr).with_flag("timestamp-servers", [url])
    broken = fixed.without("timestamp-servers").with_flag("-t", url)
    why = [
        "In `witness sign`, `-t` is `--datatype` (the envelope's payload type), so the URL became the payloadType "
        "and no timestamp was requested. The timestamp flag is the long `--timestamp-servers`; it has no short "
        "form in sign."
    ]
    return Mistake("sign-t", broken, fixed, "", why, "short-flag-meaning")


def _verify_s_step(rng: random.Random, version: WitnessVersion) -> Mistake:
    pr = workloads.draw(rng)
    fixed = base_verify(rng, pr)
    broken = fixed.without("artifactfile").with_flag("-s", pr.step)
    ctx = f"I want to verify `{fixed.get('artifactfile')}` for the `{pr.step}` step."
    why = [
        "In `verify`, `-s` is `--subjects` (artifact digests), not a step name; the steps come from the policy. "
        "Pass the artifact with `-f/--artifactfile` (or its sha256 with `-s`)."
    ]
    return Mistake("verify-s-step", broken, fixed, ctx, why, "short-flag-meaning")


def _verify_private_key(rng: random.Random, version: WitnessVersion) -> Mistake:
    fixed = base_verify(rng, workloads.draw(rng))
    priv = pick(rng, ("policy-key.pem", "keys/private.key", "policy-private.key", "keys/policy-signer.key"))
    broken = fixed.replace("publickey", "publickey", priv)
    ctx = (
        f"`{priv}` is the private key I signed the policy with; its public key is `{fixed.get('publickey')}`."
    )
    why = [
        "In `verify`, `-k` is `--publickey`: the policy signer's PUBLIC key. The private key is only for "
        "`witness sign` (and `witness run`, where `-k` does mean the private key)."
    ]
    return Mistake("verify-private-key", broken, fixed, ctx, why, "short-flag-meaning")


def _verify_no_attestations(rng: random.Random, version: WitnessVersion) -> Mistake:
    pr = workloads.draw(rng)
    fixed = base_verify(rng, pr)
    broken = fixed.without("attestations")
    msg = core_message(render(broken, rng, version), "missing-attestations", version)
    ctx = f"The attestation from the `{pr.step}` step is in `{fixed.get('attestations')[0]}`."
    why = [f"verify has no evidence to check: `{msg}`. Pass the attestation files with `-a`."]
    return Mistake("verify-no-attestations", broken, fixed, ctx, why, "missing-attestations")


def _hashes(rng: random.Random, version: WitnessVersion) -> Mistake:
    bad = pick(rng, ("sha512", "SHA256", "sha-256", "md5", "sha384"))
    fixed = base_run(rng, workloads.draw(rng))
    broken = fixed.with_flag("hashes", [bad], 3)
    why = [
        f"`{bad}` is not a supported hash (`{hash_error(bad)}`). Only `sha256`, `sha1`, `gitoid:sha256`, "
        "`gitoid:sha1` and `dirHash` (case-sensitive) are accepted; the default is sha256, so the flag can simply go."
    ]
    return Mistake(
        f"hashes/{bad}", broken, fixed, "", why, "bad-hash", loose={"hashes": [None, ["sha1", "sha256"]]}
    )


def _no_dashdash(rng: random.Random, version: WitnessVersion) -> Mistake:
    for _ in range(30):
        pr = workloads.draw(rng)
        if any(t.startswith("-") for t in pr.work.command[1:]):
            break
    opts = [t for t in pr.work.command[1:] if t.startswith("-")]
    if not opts:  # pragma: no cover - most workloads have options
        raise AssertionError("no command with options")
    fixed = base_run(rng, pr)
    broken = Spec("run", list(fixed.flags), list(fixed.args), dashdash=False)
    why = [
        f"The command has to follow `--`. Without it, witness parses the command's options (here `{opts[0]}`) as "
        f"its own flags instead of passing them to `{pr.work.command[0]}`."
    ]
    return Mistake("no-dashdash", broken, fixed, "", why, None)


def _bool_value(rng: random.Random, version: WitnessVersion) -> Mistake:
    x = pick(rng, ("slsa", "link"))
    fixed = (
        base_run(rng, workloads.draw(rng))
        .with_flag("attestations", ["environment", "git", x])
        .with_flag(f"attestor-{x}-export", True)
    )
    broken = fixed.replace(f"attestor-{x}-export", f"--attestor-{x}-export", "true")
    why = [
        f"`--attestor-{x}-export` is a bool flag: it takes no separate value, so `true` became part of the command "
        f"witness runs. Write `--attestor-{x}-export` (or `--attestor-{x}-export=true`)."
    ]
    return Mistake(f"bool/{x}", broken, fixed, "", why, "bool-value-separated")


def _run_no_step(rng: random.Random, version: WitnessVersion) -> Mistake:
    pr = workloads.draw(rng)
    fixed = base_run(rng, pr)
    broken = fixed.without("step")
    msg = _quoted(
        core_message(render(broken, rng, version), "missing-step", version), r"`(step name is required)`"
    )
    ctx = f"The policy calls this step `{pr.step}`."
    why = [f"`witness run` needs a step name (`{msg}`), and it must match the step name in the policy."]
    return Mistake("run-no-step", broken, fixed, ctx, why, "missing-step")


def _run_no_signer(rng: random.Random, version: WitnessVersion) -> Mistake:
    fixed = base_run(rng, workloads.draw(rng))
    broken = fixed.without("signer-file-key-path")
    msg = _quoted(
        core_message(render(broken, rng, version), "missing-signer", version),
        r"`(failed to load signers: [^`]+)`",
    )
    key = fixed.get("signer-file-key-path")
    ctx = f"Our signing key is `{key}`."
    why = [
        f"witness always signs: without a signer it fails with `{msg}` (there is no unsigned mode). Add `-k {key}`."
    ]
    return Mistake("run-no-signer", broken, fixed, ctx, why, "missing-signer")


def _two_signers(rng: random.Random, version: WitnessVersion) -> Mistake:
    pr = workloads.draw(rng)
    fixed = (
        base_run(rng, pr)
        .without("signer-file-key-path")
        .with_flag("signer-fulcio-url", "https://fulcio.sigstore.dev", 1)
    )
    fixed = fixed.with_flag("signer-fulcio-oidc-issuer", "https://oauth2.sigstore.dev/auth", 2)
    fixed = fixed.with_flag("signer-fulcio-oidc-client-id", "sigstore", 3)
    fixed = fixed.with_flag("timestamp-servers", [names.fill(rng, names.TSAS, org=pr.org)])
    key = _key(rng, pr)
    broken = fixed.with_flag("signer-file-key-path", key, 1)
    msg = _quoted(
        core_message(render(broken, rng, version), "multiple-signers", version),
        r"^(only one signer is supported)",
    )
    ctx = "I switched to keyless signing but kept the key file just in case."
    why = [
        f"Each signer flag family selects a provider, and witness takes exactly one: `{msg}`. For keyless signing "
        f"drop `-k {key}`.",
        KEYLESS_WHY,
    ]
    return Mistake("two-signers", broken, fixed, ctx, why, "multiple-signers")


def _dropped_defaults(rng: random.Random, version: WitnessVersion) -> Mistake:
    pr = workloads.draw(rng)
    extra = pick(rng, pr.work.usable())
    plain = base_run(rng, pr).with_flag("attestations", ["environment", "git", extra], 3)
    broken = plain.replace("attestations", "attestations", [extra])
    exports: list[str] = []
    fixed = _exported(plain, exports)
    specs, _ = simulate.select_attestors([extra], command=True)
    if any(s.name in ("git", "environment") for s in specs):  # pragma: no cover
        raise AssertionError("expected -a to drop the defaults")
    ctx = (
        f"Our policy's `{pr.step}` step requires the git and environment attestations, but verification says they "
        "are missing."
    )
    why = [
        "`-a` replaces the default `environment,git` instead of adding to it, so this run records only product, "
        f"material, command-run and {extra}. List the defaults explicitly."
    ]
    return Mistake(f"defaults/{extra}", broken, fixed, ctx, why + exports, None)


def _passphrase(rng: random.Random, version: WitnessVersion) -> Mistake:
    pr = workloads.draw(rng)
    pf = names.fill(rng, names.PASSFILES, step=pr.step)
    fixed = base_run(rng, pr).with_flag("signer-file-key-passphrase-path", pf, 2)
    broken = fixed.replace(
        "signer-file-key-passphrase-path", "--signer-file-key-passphrase", "$KEY_PASSPHRASE"
    )
    text = render(broken, rng, version)
    err = unknown_flag_error(text, "signer-file-key-passphrase", version)
    ctx = f"This worked on witness v0.10 and broke after the upgrade to {version.label}. The passphrase is also in `{pf}`."
    why = [
        f"{version.label} fails with `{err}`: `--signer-file-key-passphrase` existed only in witness v0.10.x. "
        "Its file form, `--signer-file-key-passphrase-path` (already in v0.10.x), remains, as does the "
        "`WITNESS_KEY_PASSPHRASE` environment variable; either keeps the passphrase out of the process list."
    ]
    return Mistake("passphrase", broken, fixed, ctx, why, "nonexistent-flag")


def _verify_signer_kms(rng: random.Random, version: WitnessVersion) -> Mistake:
    pr = workloads.draw(rng)
    ref = f"gcpkms://projects/{pr.org}-supply/locations/global/keyRings/witness/cryptoKeys/policy-signer"
    fixed = base_verify(rng, pr).without("publickey").with_flag("verifier-kms-ref", ref, 1)
    broken = fixed.replace("verifier-kms-ref", "--signer-kms-ref", ref)
    text = render(broken, rng, version)
    err = unknown_flag_error(text, "signer-kms-ref", version)
    ctx = "The policy was signed with our Cloud KMS key."
    why = [
        f"`--signer-kms-ref` belongs to `run` and `sign`; verify answers `{err}`. On the verify side the same "
        "reference goes to `--verifier-kms-ref`."
    ]
    return Mistake("verify-signer-kms", broken, fixed, ctx, why, "flag-of-other-subcommand")


def _policy_sign(rng: random.Random, version: WitnessVersion) -> Mistake:
    fixed = base_sign(rng, workloads.draw(rng))
    text = render(fixed, rng, version).replace("witness sign", "witness policy sign", 1)
    why = ["There is no `witness policy sign`; policies are signed with the top-level `witness sign`."]
    return Mistake("policy-sign", text, fixed, "", why, "unknown-subcommand")


def _attest(rng: random.Random, version: WitnessVersion) -> Mistake:
    fixed = base_run(rng, workloads.draw(rng))
    text = render(fixed, rng, version).replace("witness run", "witness attest", 1)
    why = ["There is no `witness attest`; a step is recorded with `witness run`."]
    return Mistake("attest", text, fixed, "", why, "unknown-subcommand")


def _policy_validate(rng: random.Random, version: WitnessVersion) -> Mistake:
    pr = workloads.draw(rng)
    file = names.fill(rng, names.POLICIES, project=pr.name, org=pr.org)
    verb = pick(rng, ("validate", "verify", "lint"))
    fixed = Spec("policy check", [], [file])
    text = f"witness policy {verb} {file}"
    why = [
        f"`witness policy` has only the `check` subcommand (`witness policy {verb}` just prints help); use "
        "`witness policy check` with the file."
    ]
    if version.policy_check_note:
        why.append(version.policy_check_note[0].upper() + version.policy_check_note[1:] + ".")
    else:
        why.append(policy_check_summary(version))
    return Mistake(
        f"policy/{verb}", text, fixed, "I want to check my policy file for errors.", why, "unknown-subcommand"
    )


def _verify_digest_prefix(rng: random.Random, version: WitnessVersion) -> Mistake:
    """`-s sha256:<hex>`: verify compares `-s` values as they are with the subjects' digest values (bare hex;
    go-witness source/memory.go matches values only), so the prefixed value finds nothing."""
    pr = workloads.draw(rng)
    digest = hex_id(rng, 64)
    fixed = base_verify(rng, pr).without("artifactfile").with_flag("subjects", [digest])
    broken = fixed.replace("subjects", "subjects", [f"sha256:{digest}"])
    lines = no_collection_lines(pr.step, version)
    placeholder, artifacts = lines[0], lines[-1]
    ctx = say(
        rng,
        (
            "Only the digest of the artifact is available on the gate host. Verification fails and the log shows "
            "`{a}`, although the attestation is right there.",
            "The attestation for the `{s}` step definitely exists, yet verify fails: under `Step: {s}` it prints "
            "`{p}`.",
            "I pass the artifact's digest because the file isn't on this machine, and every run ends with "
            "`{a}`.",
            "The artifact isn't on the gate host, so I give verify its digest. It says it found nothing for the "
            "`{s}` step, although that attestation is in the file I pass.",
        ),
        s=pr.step,
        a=artifacts,
        p=placeholder,
    )
    why = [
        "`-s`/`--subjects` values are compared as they are with the digest values of the attestations' subjects, "
        "and those are bare lowercase hex: the algorithm is a separate key, not part of the value. With the "
        f"`sha256:` prefix the value matches no subject, so the `{pr.step}` step finds no collection. Pass the hex "
        "digest alone."
    ]
    if "Reason: " in ctx:  # an output line is quoted: say what it is
        first, second, third = (line.split("Reason: ", 1)[-1] for line in lines)
        why.append(
            f"For a step with no collection witness prints the rejections of an empty placeholder (`{first}`, "
            f"`{second}`) and then `{third}`: they mean nothing was found, not that a key or an attestation is "
            "wrong."
        )
    return Mistake("verify-digest-prefix", broken, fixed, ctx, why, None)


@functools.lru_cache(maxsize=64)
def _no_collection_lines(step: str, version_name: str) -> tuple[str, ...]:
    version = versions.get(version_name)
    key = W.Key("ecdsa-p256", 1)
    policy = {
        "expires": "2035-01-01T00:00:00Z",
        "steps": {
            step: {
                "name": step,
                "attestations": [{"type": get_attestor("command-run").type, "regopolicies": []}],
                "functionaries": [{"type": "publickey", "publickeyid": key.keyid}],
            }
        },
        "publickeys": {key.keyid: {"keyid": key.keyid, "key": key.b64}},
    }
    now = datetime(2026, 1, 1, tzinfo=UTC)
    result = W.verify(policy, [], "sha256:" + "0" * 64, policy_key=key, version=version, now=now)
    assert not result.passed and result.log[-1].startswith("error: "), result.log
    lines = tuple(dict.fromkeys(result.log[result.log.index(f"Step: {step}") + 1 : -1]))  # v0.11 repeats them
    printed = witness_output(result, tty=True)
    assert all(line in printed for line in lines) and len(lines) == 3, (lines, printed)
    return lines


def no_collection_lines(step: str, version: WitnessVersion) -> tuple[str, ...]:
    """What `witness verify` prints under `Step: <step>` for a step it finds no collection for (the core's
    verify of a one-step policy over no attestations): the empty placeholder's two rejections (go-witness
    policy.go gives it the error `no collections found`, which witness never prints) and the artifacts
    check's, each as `verification failure: Reason: ...` (witness cmd/verify.go), each once (witness before
    v0.12 prints the placeholder's once per search depth)."""
    return _no_collection_lines(step, version.name)


def _verify_policy_ca(rng: random.Random, version: WitnessVersion) -> Mistake:
    """`--policy-ca` is the deprecated alias of `--policy-ca-roots` (REFERENCE §2.3; its warning names singular
    flags that do not exist)."""
    pr = workloads.draw(rng)
    root = names.fill(rng, names.ROOTS, org=pr.org)
    fixed = base_verify(rng, pr).without("publickey").with_flag("policy-ca-roots", [root], 1)
    broken = fixed.replace("policy-ca-roots", "policy-ca")
    text = render(broken, rng, version)
    core_message(text, "deprecated-flag", version)  # the analyser flags it
    ctx = say(
        rng,
        (
            "It works, but witness prints a deprecation warning for `--policy-ca`.",
            "Our policy is signed with a certificate under `{r}`. The command passes, yet it warns that "
            "`--policy-ca` is deprecated.",
            "We're upgrading our scripts to {v} and want to get rid of deprecated flags.",
        ),
        r=root,
        v=version.label,
    )
    why = [
        f"`--policy-ca` still works in {version.label} (it fills the same list as `--policy-ca-roots`) but is "
        "deprecated; the replacement is `--policy-ca-roots`.",
        "Its warning tells you to use `--policy-ca-root` and `--policy-ca-intermediate`, but those singular flags "
        "do not exist (`unknown flag`): the real ones are the plurals `--policy-ca-roots` and "
        "`--policy-ca-intermediates`.",
    ]
    return Mistake("verify-policy-ca", broken, fixed, ctx, why, "deprecated-flag")


MISTAKES: tuple[tuple[Callable[[random.Random, WitnessVersion], Mistake], int], ...] = (
    (_rename, 5),
    (_misspelled, 3),
    (_commandrun, 1),
    (_sign_no_outfile, 1),
    (_sign_positional, 1),
    (_sign_t, 1),
    (_verify_s_step, 1),
    (_verify_private_key, 2),
    (_verify_no_attestations, 1),
    (_hashes, 1),
    (_no_dashdash, 2),
    (_bool_value, 1),
    (_run_no_step, 1),
    (_run_no_signer, 1),
    (_two_signers, 1),
    (_dropped_defaults, 3),
    (_passphrase, 1),
    (_verify_signer_kms, 1),
    (_policy_sign, 1),
    (_attest, 1),
    (_policy_validate, 1),
    (_verify_digest_prefix, 2),
    (_verify_policy_ca, 2),
)


# --------------------------------------------------------------------------- where the command sits


def wrap_ci(system: str, text: str, name: str) -> tuple[str, str]:
    """(language, snippet) with the command inside a minimal CI step of `system`."""
    if system == "github":
        body = "\n".join("          " + line for line in text.splitlines())
        return "yaml", f"      - name: {name}\n        run: |\n{body}\n"
    if system == "gitlab":
        body = "\n".join("      " + line for line in text.splitlines())
        return "yaml", f"{name}:\n  script:\n    - |\n{body}\n"
    if system == "jenkins":
        line = one_line(text)
        sh = f"sh '{line}'" if "'" not in line else f"sh '''\n    {line}\n'''"
        body = "\n".join("        " + x for x in sh.splitlines())
        return "groovy", f"stage('{name}') {{\n    steps {{\n{body}\n    }}\n}}\n"
    lines = text.splitlines()
    body = "\n".join(("\t" if i == 0 else "\t  ") + x.strip() for i, x in enumerate(lines))
    return "makefile", f"{name}:\n{body}\n"


def _f_doesnt_work(rng: random.Random, v: dict[str, str]) -> str:
    return f"This witness command doesn't work:\n\n{v['block']}\n\n{v['context']}What's wrong, and what is the correct command?"


def _f_ran(rng: random.Random, v: dict[str, str]) -> str:
    return f"{v['context']}I ran\n\n{v['block']}\n\nbut witness complains or does the wrong thing. Can you fix it?"


def _f_fix(rng: random.Random, v: dict[str, str]) -> str:
    return f"Can you fix my witness command?\n\n{v['block']}\n\n{v['context']}What should I run instead?"


def _f_inline(rng: random.Random, v: dict[str, str]) -> str:
    return f"What's the mistake in `{v['inline']}`? {v['context']}Give me the corrected line."


def _f_ci(rng: random.Random, v: dict[str, str]) -> str:
    return say(
        rng,
        (
            "Our {system} step is\n\n{block}\n\n{context}It isn't doing what we expect. What should it be?",
            "{context}This is in our {file}:\n\n{block}\n\nWhat needs to change?",
        ),
        **v,
    )


def _f_review(rng: random.Random, v: dict[str, str]) -> str:
    return f"{v['context']}Could you review this before I merge it?\n\n{v['block']}"


def _f_copied(rng: random.Random, v: dict[str, str]) -> str:
    return f"I copied this from a blog post and adapted it:\n\n{v['block']}\n\n{v['context']}Is it right? If not, please correct it."


FORMS: tuple[Callable[[random.Random, dict[str, str]], str], ...] = (
    _f_doesnt_work,
    _f_ran,
    _f_fix,
    _f_inline,
    _f_ci,
    _f_review,
    _f_copied,
)


_TARGET_NAMES = {
    "run": ("build", "attest", "record-build", "ci"),
    "sign": ("sign-policy", "policy", "release-policy"),
    "verify": ("verify", "gate", "verify-release"),
    "policy check": ("lint-policy", "policy-check"),
}


def make_fix(rng: random.Random, version: WitnessVersion) -> Built:
    fns = [f for f, _ in MISTAKES if f is not _passphrase or not version.passphrase_flag]
    weights = [w for f, w in MISTAKES if f is not _passphrase or not version.passphrase_flag]
    m = rng.choices(fns, weights)[0](rng, version)
    broken = m.broken if isinstance(m.broken, str) else render(m.broken, rng, version)
    a = parse_command(broken, version=version)
    codes = {i.code for i in a.issues}
    if m.issue is not None and m.issue not in codes:
        raise AssertionError(f"broken command {broken!r} lacks issue {m.issue}: {codes}")
    if m.mid == "no-dashdash" and not blocking_issues(a):
        raise AssertionError(f"broken command {broken!r} is not flagged")
    fixed = render(m.fixed, rng, version)
    i = rng.randrange(len(FORMS))
    system = ""
    if FORMS[i] is _f_ci or (FORMS[i] in (_f_review, _f_copied) and rng.random() < 0.5):
        system = pick(rng, ("github", "gitlab", "jenkins", "make"))
    name = pick(rng, _TARGET_NAMES[m.fixed.sub])
    if system:
        lang, snippet = wrap_ci(system, broken, name)
        block = fence(lang, snippet)
        _, fixed_snippet = wrap_ci(system, fixed, name)
        artifact = fence(lang, fixed_snippet)
    else:
        block = fence(pick(rng, ("bash", "sh", "")), broken)
        artifact = fence("bash", fixed)
    v = {
        "block": block,
        "inline": one_line(broken),
        "context": (m.context + " ") if m.context else "",
        "system": {
            "github": "GitHub Actions",
            "gitlab": "GitLab CI",
            "jenkins": "Jenkins",
            "make": "make",
            "": "CI",
        }[system],
        "file": {
            "github": "workflow",
            "gitlab": ".gitlab-ci.yml",
            "jenkins": "Jenkinsfile",
            "make": "Makefile",
            "": "CI",
        }[system],
    }
    if FORMS[i] is _f_ci and not system:  # pragma: no cover - _f_ci always draws a system
        raise AssertionError("CI form without a system")
    question = FORMS[i](rng, v)
    lead = pick(
        rng,
        (
            "Corrected:" if not system else "Corrected step:",
            "Here is the fixed version:",
            "It should be:",
            "",
        ),
    )
    why = list(m.why)
    lesson = Lesson(
        why=why,
        artifact=((lead + "\n\n") if lead else "") + artifact,
        check=[check_line(fixed, version)],
        check_intro=pick(
            rng, ("Check the corrected line:", "The analyser should now report no errors:", "To confirm:")
        ),
    )
    extra: dict[str, Any] = {"mistake": m.mid}
    if m.loose:
        extra["loose"] = m.loose
    if m.any_value:
        extra["any_value"] = m.any_value
    if m.issue == "attestor-builtin":  # the question is that warning: keeping it is no fix
        extra["strict_warnings"] = [m.issue]
    return Built("fix", f"commands/fix/{i}", question, fixed, lesson, extra, group=m.mid)
