"""Family `facts`: factual Q&A about the witness CLI, its attestors and wire constants, with the reason.

Facts come from the core model (`cli`, `attestors`, `intoto`, `digests`, `policy`, `versions`), never
typed by hand: what each flag does, its short form and default per command, the same short flag across
subcommands (REFERENCE §2.7, trap 16), flags that do not exist (trap 17), required flag groups (trap
18), attestor type URIs / run types / selection / exporters / CLI names / subjects (trap 2), which
attestor captures what and what it needs (`facts_attestors`), where a predicate keeps a field in Rego
(from the Rego requirement catalogue), wire-format constants (trap 1), digest names (trap 9), key ids
(trap 8), and what people get wrong, stated per release (`facts_misconceptions`).

Answers are composed (`compose`): the fact, usually one sentence of why/context, and often a command
that shows it on the user's machine (`witness attestors list`, `witness attestors schema X`,
`witness run --help`, a full `witness run` line), in varied order; every command parses under the
release's grammar and every composed answer still passes the fact's check.

check = {"kind": "terms", "require": [[alternatives...], ...], "forbid": [...], "case": bool,
"valid_command": "<subcommand>"|None}: every inner `require` list needs one alternative in the answer;
no `forbid` term may appear as a claim (a sentence with a negation cue does not count as a claim);
with `valid_command`, the answer must hold a `witness <subcommand>` line that `parse_command` accepts.
"""

from __future__ import annotations

import functools
import hashlib
import math
import random
import re
from collections import Counter
from typing import Any

from witness_evals.bench import answers
from witness_evals.bench.scorers.base import Score, guarded
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.bench.scorers.terms import score_terms
from witness_evals.generate import facts_beside, phrasing
from witness_evals.generate.example import Example
from witness_evals.generate.facts_attestors import (
    CYCLONEDX_RUN,
    INFO,
    K8S_NO_CLUSTER,
    PRODUCT_READERS,
    Fact,
    capture_facts,
    export_note,
    field_facts,
    needs_facts,
    product_note,
    run_exported,
    run_with,
    subject_facts,
)
from witness_evals.generate.facts_misconceptions import misconception_facts
from witness_evals.generate.families import Family
from witness_evals.witness import cli as cli_spec
from witness_evals.witness import versions
from witness_evals.witness.attestors import ALWAYS_RUN, ATTESTORS, DEFAULT_ATTESTORS, EXPORTERS
from witness_evals.witness.cli import data
from witness_evals.witness.digests import ALLOWED_HASHES
from witness_evals.witness.intoto import COLLECTION_TYPE, PAYLOAD_TYPE, STATEMENT_TYPE
from witness_evals.witness.policy import POLICY_PAYLOAD_TYPE
from witness_evals.witness.versions import WitnessVersion

NAME = "facts"
MAX_CHARS = answers.MAX_ANSWER_CHARS
MAX_COMMANDS = 20

# --------------------------------------------------------------------------- the fact catalogue


NEG_ALTS = [
    "does not exist",
    "doesn't exist",
    "not exist",
    "no such",
    "not a valid",
    "not a witness",
    "is not a",
    "isn't a",
    "unknown flag",
    "not recognized",
    "not recognised",
    "no `--",
    "has no",
    "there is no",
    "not supported",
    "isn't supported",
    "unsupported",
    "invalid",
    "not available",
    "never registered",
    "exists only in",
    "in no witness release",
    "no longer registers",
    "only in go-witness",
    "not in the released",
    "not in this cli",
    "cosign flag",
    "not part of",
]
NOSHORT_ALTS = [
    "no short",
    "no shorthand",
    "no one-letter",
    "no single-letter",
    "no single letter",
    "not have a short",
    "n't have a short",
    "only the long",
    "only a long",
    "only long",
    "long form only",
    "no abbreviation",
]
BASE_FLAGS: dict[str, tuple[tuple[str, str], ...]] = {
    "run": (("step", "build"), ("signer-file-key-path", "key.pem"), ("outfile", "build.json")),
    "sign": (
        ("infile", "policy.json"),
        ("outfile", "policy-signed.json"),
        ("signer-file-key-path", "key.pem"),
    ),
    "verify": (
        ("policy", "policy-signed.json"),
        ("publickey", "pub.pem"),
        ("attestations", "build.json"),
        ("artifactfile", "app"),
    ),
    "policy check": (),
}
SAMPLES: dict[str, str] = {
    "signer-file-key-path": "key.pem",
    "publickey": "pub.pem",
    "outfile": "out.json",
    "infile": "policy.json",
    "policy": "policy-signed.json",
    "artifactfile": "app",
    "subjects": "54c5b3dd459d5ef778bb2fa1e23a5fb0e1b62ae66970bcb436e8f81a1a1a8e41",
    "attestations": "build.json",
    "step": "build",
    "workingdir": "src",
    "signer-file-cert-path": "cert.pem",
    "signer-file-intermediate-paths": "intermediate.pem",
    "signer-file-key-passphrase-path": "passphrase.txt",
    "signer-spiffe-socket-path": "/run/spire/sockets/agent.sock",
    "signer-fulcio-url": "https://fulcio.sigstore.dev",
    "signer-fulcio-token": "$OIDC_TOKEN",
    "signer-fulcio-token-path": "token.txt",
    "signer-kms-ref": "awskms:///alias/witness",
    "verifier-kms-ref": "awskms:///alias/witness",
    "timestamp-servers": "https://freetsa.org/tsr",
    "policy-ca-roots": "root-ca.pem",
    "policy-ca-intermediates": "intermediate-ca.pem",
    "policy-timestamp-servers": "tsa-ca.pem",
    "env-add-sensitive-key": "MY_TOKEN",
    "dirhash-glob": "node_modules",
    "hashes": "sha256,sha1",
    "directory-path": "dist",
    "log-level": "debug",
    "config": "witness.yaml",
    "datatype": "https://witness.testifysec.com/policy/v0.1",
}
RUN_TAIL = " -- make"
_KEYLESS_TSA = ("timestamp-servers", "https://freetsa.org/tsr")
"""A Fulcio certificate lives ~10 minutes: keyless examples always timestamp the signature (REFERENCE §8 25)."""
EXAMPLE_COMPANIONS: dict[str, tuple[tuple[str, str], ...]] = {
    **{
        f"signer-fulcio-{opt}": (("signer-fulcio-url", "https://fulcio.sigstore.dev"), _KEYLESS_TSA)
        for opt in ("token", "token-path", "use-http", "oidc-issuer", "oidc-client-id", "oidc-redirect-url")
    },
    "signer-fulcio-url": (_KEYLESS_TSA,),
    "policy-ca-intermediates": (("policy-ca-roots", "root-ca.pem"),),
    # the file signer drops the intermediates unless a certificate is given (go-witness cryptoutil/signer.go
    # builds an X509 signer only with a cert), so the chain flag never appears without the cert flag
    "signer-file-intermediate-paths": (("signer-file-cert-path", "cert.pem"),),
}
BOOL_EXAMPLE_VALUES: dict[str, str] = {"attestor-k8smanifest-record-cluster-information": "false"}
"""Bool flags whose useful spelling is `--flag=<value>` (the default is `true`)."""


def example_command(
    cmd: str, flag: str | None = None, value: str | None = None, gr: cli_spec.Grammar | None = None
) -> str | None:
    """A valid one-line `witness <cmd>` featuring `--flag` (None where no valid example is known) in the
    grammar `gr` (default: the latest release)."""
    gr = gr or cli_spec.grammar()
    base = dict(BASE_FLAGS.get(cmd, ()))
    if flag is not None:
        if flag.startswith(("signer-", "verifier-", "policy-ca")) and not flag.startswith("signer-file-"):
            base.pop("signer-file-key-path", None)
            base.pop("publickey", None)
        base.pop(flag, None)
        # companions without which the featured flag cannot work at runtime: the fulcio signer fails
        # with `fulcio URL must include a host` without --signer-fulcio-url, and a policy signed with
        # x.509 cannot chain to a trusted root from intermediates alone
        for name, val in EXAMPLE_COMPANIONS.get(flag, ()):
            if gr.lookup_flag(cmd, name) is not None:
                base.setdefault(name, val)
    tail = RUN_TAIL
    featured = gr.lookup_flag(cmd, flag) if flag is not None else None
    owner = featured.attestor if featured is not None and cmd == "run" else ""
    if owner and ATTESTORS[owner].selection == "opt-in":
        # an attestor option does nothing unless the attestor runs (`-a` replaces the defaults, so keep them)
        base.setdefault("attestations", f"environment,git,{owner}")
        if owner in PRODUCT_READERS:
            tail = f" -- {PRODUCT_READERS[owner][1]}"
    parts = ["witness", cmd]
    for name, val in base.items():
        f = gr.lookup_flag(cmd, name)
        assert f is not None
        parts += [f"-{f.short}" if f.short else f"--{name}", val]
    if owner == "k8smanifest" and flag not in (
        "attestor-k8smanifest-record-cluster-information",
        "attestor-k8smanifest-kubeconfig",
        "attestor-k8smanifest-context",
        "attestor-k8smanifest-server-side-dry-run",
    ):
        parts.append(K8S_NO_CLUSTER)  # no kubeconfig assumed: recording the cluster would fail the run
    if flag is not None:
        f = featured
        if f is None:
            return None
        if f.type == "bool":
            parts.append(
                f"--{flag}={BOOL_EXAMPLE_VALUES[flag]}" if flag in BOOL_EXAMPLE_VALUES else f"--{flag}"
            )
        else:
            v = value if value is not None else SAMPLES.get(flag)
            if v is None:
                return None
            parts += [f"--{flag}", v]
    text = " ".join(parts) + (tail if cmd == "run" else "")
    if cmd == "policy check":
        text += " policy.json"
    a = gr.parse(text)
    return text if a.valid and a.subcommand == cmd else None


def _global_example(flag: str, gr: cli_spec.Grammar) -> str | None:
    """`witness --<global flag> <value> run ...` if valid."""
    base = example_command("run", gr=gr)
    if base is None or flag not in SAMPLES:
        return None
    text = base.replace("witness run", f"witness --{flag} {SAMPLES[flag]} run", 1)
    return text if gr.parse(text).valid else None


def _cmd_label(cmd: str) -> str:
    """How questions name the command of a flag: `witness <cmd>`, or `witness` for a global (root) flag."""
    return f"`witness {cmd}`" if cmd else "`witness`"


def _with_short(ex: str | None, flag: cli_spec.Flag, gr: cli_spec.Grammar) -> str | None:
    """The example command `ex` with the featured `--flag` written as its shorthand (for facts about the
    shorthand); `ex` itself where that does not parse."""
    if ex is None or not flag.short:
        return ex
    text = re.sub(rf"(?<=\s)--{re.escape(flag.name)}(?=[\s=])", f"-{flag.short}", ex, count=1)
    return text if gr.parse(text).valid else ex


def _lower_first(text: str) -> str:
    """`text` with its first letter lowered to run on in a sentence, unless the first word is an acronym or
    written in capitals (`HTTP/REST mode ...`, `OIDC issuer ...`)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _ref(flag: cli_spec.Flag) -> str:
    return f"`-{flag.short}/--{flag.name}`" if flag.short else f"`--{flag.name}`"


def _desc(flag: cli_spec.Flag) -> str:
    return flag.description.strip().rstrip(".")


def _flag_alts(flag: cli_spec.Flag) -> list[str]:
    return [f"--{flag.name}"] + ([f"-{flag.short}"] if flag.short else [])


def _with_example(text: str, cmd: str | None) -> str:
    return f"{text}\n\n```bash\n{cmd}\n```" if cmd else text


def _terms(require: list[list[str]], forbid: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "terms", "require": require, "forbid": forbid or []}
    out.update(extra)
    return out


def _sentence(text: str, note: str) -> str:
    """`text` closed with a period, then the note: a parenthesised release note (`release_note`) becomes its own
    sentence about the flag, so it never reads as part of the help text before it."""
    if note.startswith(" (") and note.endswith(")"):
        inner = note[2:-1].replace("; removed in", "; it was removed in")
        return f"{text}. The flag exists {inner}."
    return f"{text}.{note}"


def release_note(cmd: str, name: str) -> str:
    """` (since witness v0.11)`-style note for a flag that not every release has ("" when all have it)."""
    have = [v for v in versions.PROFILES.values() if cli_spec.grammar(v).lookup_flag(cmd, name) is not None]
    if len(have) == len(versions.PROFILES) or not have:
        return ""
    if have[-1] is versions.LATEST:
        return f" (since witness v{have[0].name})"
    later = [v for v in versions.PROFILES.values() if v not in have]
    return f" (only in {' and '.join(v.label + '.x' for v in have)}; removed in witness v{later[0].name})"


_STOP = frozenset(
    [
        "should",
        "which",
        "their",
        "there",
        "these",
        "those",
        "about",
        "after",
        "before",
        "using",
        "from",
        "with",
        "that",
        "this",
        "when",
        "will",
        "into",
        "used",
        "specify",
        "specified",
        "provide",
        "provided",
    ]
)


def _keywords(description: str) -> list[str]:
    """Up to three distinctive words of a flag description (what an explanation must mention)."""
    words = [w.strip(".,()'\"`").lower() for w in description.split()]
    words = [w for w in words if len(w) >= 6 and w.isalpha() and w not in _STOP]
    return sorted(set(words), key=lambda w: (-len(w), w))[:3]


def _fact_commands(gr: cli_spec.Grammar) -> list[tuple[str, cli_spec.Flag]]:
    """(command, flag) for visible flags of run/sign/verify/policy check and the global flags, deduped."""
    out: list[tuple[str, cli_spec.Flag]] = []
    seen: set[tuple[str, str, str]] = set()
    for cmd in ("run", "sign", "verify", "policy check"):
        for f in gr.commands[cmd].visible_flags:
            if f.name == "help" or f.deprecated:
                continue
            key = (f.name, f.short, f.description)
            if key in seen:
                continue
            seen.add(key)
            out.append((cmd, f))
    out += [("", f) for f in gr.global_flags]
    return out


_X509_FIELD = {
    "policy-commonname": "subject common name",
    "policy-dns-names": "DNS SANs",
    "policy-emails": "email SANs",
    "policy-organizations": "subject Organization values",
    "policy-uris": "URI SANs",
}
_FULCIO_EXT = (
    "policy-fulcio-oidc-issuer",
    "policy-fulcio-build-trigger",
    "policy-fulcio-run-invocation-uri",
    "policy-fulcio-source-repository-digest",
    "policy-fulcio-source-repository-identifier",
    "policy-fulcio-source-repository-ref",
)


_POLICY_VERIFIERS = (
    "`-k/--publickey`, `--policy-ca-roots`, `--policy-ca-intermediates` or `--verifier-kms-ref` (or the deprecated "
    "`--policy-ca`, an alias of `--policy-ca-roots`)"
)
"""The flag group of which `witness verify` needs one (witness options/verify.go `OneRequiredPKVerifyFlags`)."""


def flag_need(cmd: str, flag: cli_spec.Flag) -> tuple[str, str]:
    """Whether a user needs `flag` on `witness <cmd>` (REFERENCE §2.2-2.4, §3.6): (the answer to "Do I need
    `--x`?", the same as a plain statement with no leading "Yes"/"Usually not", for answers to the other
    questions), ("", "") where nothing specific is known."""
    name = flag.name
    if cmd == "verify" and name in _X509_FIELD:
        shown = "`*`" if flag.default == "*" else f"`{flag.default}`"
        rest = (
            "only matters when the policy itself is signed with an X.509 certificate (e.g. from Fulcio) that you "
            "trust through `--policy-ca-roots`; any other value must then match the certificate's "
            f"{_X509_FIELD[name]} exactly"
            + (" (as a set)" if flag.type == "strings" else "")
            + ". With `-k/--publickey` it has no effect."
        )
        return (
            f"Usually not: the default {shown} accepts any value. It {rest}",
            f"The default {shown} accepts any value; the flag {rest}",
        )
    if cmd == "verify" and name in _FULCIO_EXT:
        rest = (
            "only matters when the policy is signed with a Fulcio certificate trusted through `--policy-ca-roots`, "
            "where it pins the extension with a glob. With `-k/--publickey` it has no effect."
        )
        return (
            f"Usually not: left empty (the default) that certificate extension is not checked. It {rest}",
            f"Left empty (the default), that certificate extension is not checked; the flag {rest}",
        )
    if cmd == "verify" and name in ("policy-ca-roots", "policy-ca-intermediates"):
        rest = f"verify needs one of {_POLICY_VERIFIERS} to check the policy signature."
        return (
            f"Only when the policy is signed with a certificate instead of a plain key: {rest}",
            f"It is for a policy signed with a certificate instead of a plain key: {rest}",
        )
    if cmd == "verify" and name == "publickey":
        rest = f"verify needs one of {_POLICY_VERIFIERS} to check the policy signature."
        return (
            f"Yes, when the policy was signed with a key: {rest}",
            f"It is for a policy signed with a plain key: {rest}",
        )
    if cmd == "verify" and name in ("artifactfile", "subjects"):
        rest = "one of `-f/--artifactfile` and `-s/--subjects` is required (`--directory-path` alone is not enough)."
        return f"Yes, {rest}", rest[0].upper() + rest[1:]
    if cmd == "verify" and name == "attestations":
        return (
            "Yes, unless the attestations come from Archivista (`--enable-archivista`).",
            "Verify needs it unless the attestations come from Archivista (`--enable-archivista`).",
        )
    if cmd == "verify" and name == "policy":
        return (
            "Yes: without a policy there is nothing to verify against.",
            "It is required: without a policy there is nothing to verify against.",
        )
    if cmd == "run" and name == "step":
        return (
            "Yes: without it the run fails with `step name is required`.",
            "It is required: without it the run fails with `step name is required`.",
        )
    if cmd in ("run", "sign") and name == "signer-file-intermediate-paths":
        rest = "without a certificate witness signs with the bare key and the intermediates are dropped."
        return (
            f"Only with `--signer-file-cert-path`: {rest}",
            f"It only takes effect together with `--signer-file-cert-path`: {rest}",
        )
    if cmd == "run" and name == "outfile":
        return (
            "Not strictly: without it the signed envelope is written to stdout.",
            "Without it the signed envelope is written to stdout.",
        )
    if cmd == "sign" and name in ("infile", "outfile"):
        return (
            "Yes: pass both `-f/--infile` and `-o/--outfile`, or sign fails.",
            "Sign needs both `-f/--infile` and `-o/--outfile`; without either it fails.",
        )
    if cmd == "run" and name in ("attestor-product-exclude-glob", "attestor-product-include-glob"):
        rest = (
            "which products become statement subjects (what verify can find the attestation by): the product "
            "attestation still lists every new or changed file."
        )
        return f"Only to choose {rest}", f"It only chooses {rest}"
    if cmd == "run" and name == "attestor-k8smanifest-record-cluster-information":
        text = (
            "Set it to `false` unless the runner has a kubeconfig whose current context is named like one of its "
            "clusters: it defaults to `true`, and with `-a k8smanifest` the run then fails."
        )
        return text, text
    if cmd == "run" and flag.attestor and ATTESTORS[flag.attestor].selection == "opt-in":
        return (
            f"Only with `-a {flag.attestor}`: it has no effect unless the `{flag.attestor}` attestor runs.",
            f"It has no effect unless the `{flag.attestor}` attestor runs (`-a {flag.attestor}`).",
        )
    return "", ""


def _flag_facts(gr: cli_spec.Grammar) -> list[Fact]:
    facts: list[Fact] = []
    descs = {
        cmd: Counter(f.description.strip().lower() for f in gr.commands[cmd].visible_flags)
        for cmd in ("run", "sign", "verify", "policy check")
    }
    for cmd, f in _fact_commands(gr):
        w = _cmd_label(cmd)
        ex = example_command(cmd, f.name, gr=gr) if cmd else _global_example(f.name, gr)
        ref = _ref(f)
        keys = _keywords(f.description)
        if keys:
            need, use = flag_need(cmd, f) if cmd else ("", "")
            text = _sentence(f"{ref} (type `{f.type}`): {_desc(f)}", release_note(cmd, f.name))
            facts.append(
                Fact(
                    f"flag/what/{cmd or 'global'}/{f.name}",
                    "flag-what",
                    (
                        f"What does `--{f.name}` do in {w}?",
                        f"What is the `--{f.name}` flag of {w} for?",
                        f"I found `--{f.name}` in our CI script ({w}). What does it do?",
                        f"Explain {w} `--{f.name}` to me.",
                        # "Do I need it?" only where the answer says whether it is needed
                        f"Do I need `--{f.name}` on {w}? What is it for?"
                        if need
                        else f"When would I use `--{f.name}` on {w}?",
                        f"`--{f.name}` ({w}): purpose?",
                    ),
                    _with_example(f"{text} {use}" if use else text, ex),
                    _terms([_flag_alts(f), keys]),
                    # only the "Do I need it?" question gets the yes/no answer first
                    answers=("", "", "", "", _with_example(f"{need} {text}", ex)) if need else (),
                )
            )
        # which flag does X
        if cmd and descs[cmd][f.description.strip().lower()] == 1:
            d = _desc(f)
            facts.append(
                Fact(
                    f"flag/which/{cmd}/{f.name}",
                    "flag-which",
                    (
                        f'Which flag of {w} is described as "{d}"?',
                        f"Which {w} flag do I use for this: {_lower_first(d)}?",
                        f"Name the {w} flag for: {_lower_first(d)}.",
                        f"In {w}, what flag does this: {_lower_first(d)}?",
                        f"I need {w} to do the following: {_lower_first(d)}. Which option is it?",
                        f'What\'s the {w} option whose help text reads "{d}"?',
                    ),
                    _with_example(
                        _sentence(f"Use {ref} (type `{f.type}`): {d}", release_note(cmd, f.name)), ex
                    ),
                    _terms([_flag_alts(f)]),
                )
            )
        if f.short:
            facts.append(
                Fact(
                    f"flag/short/{cmd or 'global'}/{f.short}",
                    "flag-short",
                    (
                        f"What does `-{f.short}` mean in {w}?",
                        f"In {w}, which long flag is `-{f.short}` short for?",
                        f"What is `-{f.short}` in {w}?",
                        f"{w} `-{f.short}`: what does it stand for?",
                        f"Expand the short option `-{f.short}` of {w} to its long name.",
                        f"I saw `-{f.short}` in a {w} command line. What is it?",
                    ),
                    _with_example(
                        f"In {w}, `-{f.short}` is the shorthand for `--{f.name}`: {_desc(f)}."
                        if cmd
                        else f"`-{f.short}` is the shorthand for the global flag `--{f.name}`, the same before or "
                        f"after any subcommand: {_desc(f)}.",
                        _with_short(ex, f, gr),
                    ),
                    _terms([[f"--{f.name}"]]),
                )
            )
            facts.append(
                Fact(
                    f"flag/long2short/{cmd or 'global'}/{f.name}",
                    "flag-long2short",
                    (
                        f"What is the short form of `--{f.name}` in {w}?",
                        f"Is there a one-letter alias for `--{f.name}` on {w}?",
                        f"Which single-dash shorthand does {w} accept for `--{f.name}`?",
                        f"Can I abbreviate `--{f.name}` in {w}? To what?",
                        f"Short flag for `--{f.name}` ({w})?",
                        f"What's the shorthand of the {w} flag `--{f.name}`?",
                    ),
                    _with_example(
                        f"`-{f.short}` is the shorthand of `--{f.name}` in {w}."
                        if cmd
                        else f"`-{f.short}` is the shorthand of `--{f.name}`, a global flag, so it is the same on "
                        "every witness subcommand.",
                        _with_short(ex, f, gr),
                    ),
                    _terms([[f"-{f.short}"]]),
                )
            )
        if f.default not in (None, "", "false"):
            default = f.default or ""
            if default.startswith("[") and default.endswith("]") and default != "[*]":
                items = [x for x in default[1:-1].split(",") if x]
                require = [[x] for x in items]
                shown = "`[" + ",".join(items) + "]`"
            elif default == "$HOME/.kube/config":
                require = [["$HOME/.kube/config", "~/.kube/config", ".kube/config"]]
                shown = "`$HOME/.kube/config` (the invoking user's home directory, expanded at runtime)"
            elif default in ("*", "[*]"):
                require = [["[*]", "`*`", '"*"', "'*'"]]
                shown = f"`{default}`"
            elif default == "true":
                require = [["true", "enabled", "on by default"]]
                shown = "`true`"
            else:
                require = [[default]]
                shown = f"`{default}`"
            note = release_note(cmd, f.name)
            if f.name == "config" and not cmd:
                note = (
                    f" In {gr.version.label}.x witness reads that file when it exists; since witness v0.11 `-c` "
                    "has no default and a `.witness.yaml` without `-c` is an error."
                )
            if f.name == "attestations" and cmd == "run":
                note = " Giving `-a` replaces this default; `product` and `material` are always recorded."
            facts.append(
                Fact(
                    f"flag/default/{cmd or 'global'}/{f.name}",
                    "flag-default",
                    (
                        f"What is the default value of `--{f.name}` in {w}?",
                        f"If I omit `--{f.name}` on {w}, what value is used?",
                        f"Default of {w} `--{f.name}`?",
                        f"What does `--{f.name}` default to in {w}?",
                        f"When I don't set `--{f.name}`, what does {w} assume?",
                        f"What's the out-of-the-box setting of `--{f.name}` for {w}?",
                    ),
                    _sentence(f"{ref} defaults to {shown} (type `{f.type}`)", note),
                    _terms(require),
                )
            )
    return facts


def _no_short_facts(gr: cli_spec.Grammar) -> list[Fact]:
    """Long flags that have a shorthand in one subcommand but not in another (e.g. sign --timestamp-servers)."""
    facts: list[Fact] = []
    cmds = ("run", "sign", "verify")
    for cmd in cmds:
        for f in gr.commands[cmd].visible_flags:
            if f.short or f.name == "help":
                continue
            others = [(o, g) for o in cmds if o != cmd for g in [gr.lookup_flag(o, f.name)] if g and g.short]
            if not others:
                continue
            o, g = others[0]
            assert g is not None
            holder = gr.lookup_flag(cmd, g.short)
            extra = f" In {_cmd_label(cmd)}, `-{g.short}` means `--{holder.name}`." if holder else ""
            w = _cmd_label(cmd)
            facts.append(
                Fact(
                    f"flag/long2short/{cmd}/{f.name}",
                    "flag-long2short",
                    (
                        f"What is the short form of `--{f.name}` in {w}?",
                        f"Is there a one-letter alias for `--{f.name}` on {w}?",
                        f"In `witness {o}` I use `-{g.short}` for `--{f.name}`. Does the same work in {w}?",
                        f"Can I abbreviate `--{f.name}` in {w}? To what?",
                        f"Short flag for `--{f.name}` ({w})?",
                        f"What's the shorthand of the {w} flag `--{f.name}`?",
                    ),
                    f"None: in {w} `--{f.name}` has no shorthand (only `witness {o}` has `-{g.short}`); "
                    f"write `--{f.name}` in full.{extra}",
                    _terms(
                        [[*NOSHORT_ALTS, "none", "no"]], [f"-{g.short} for --{f.name}"], not_start=["yes"]
                    ),
                )
            )
    return facts


def _across_facts(gr: cli_spec.Grammar) -> list[Fact]:
    facts: list[Fact] = []
    cmds = ("run", "sign", "verify")
    for letter in ("k", "s", "a", "t", "f", "o"):
        for i, c1 in enumerate(cmds):
            for c2 in cmds[i + 1 :]:
                f1, f2 = gr.lookup_flag(c1, letter), gr.lookup_flag(c2, letter)
                if f1 is None or f2 is None:
                    continue
                same = f1.name == f2.name
                if same:
                    plain = f"in both `witness {c1}` and `witness {c2}`, `-{letter}` is `--{f1.name}` ({_desc(f1)})."
                    body = f"Yes: {plain}"
                    diff = f"There is none: {plain}"
                else:
                    plain = (
                        f"in `witness {c1}`, `-{letter}` is `--{f1.name}` ({_desc(f1)}); in `witness {c2}` it is "
                        f"`--{f2.name}` ({_desc(f2)})."
                    )
                    body = f"No. {plain[0].upper()}{plain[1:]}"
                    diff = f"{plain[0].upper()}{plain[1:]}"
                # "Yes"/"No" only for the yes/no questions (0, 2, 5); the others are answered head-on
                head = f"{plain[0].upper()}{plain[1:]}"
                facts.append(
                    Fact(
                        f"flag/across/{letter}/{c1}/{c2}",
                        "short-across",
                        (
                            f"Does `-{letter}` mean the same thing in `witness {c1}` and `witness {c2}`?",
                            f"What is the difference between `-{letter}` in `witness {c1}` and in `witness {c2}`?",
                            f"I use `-{letter}` with `witness {c1}`. Is `-{letter}` on `witness {c2}` the same flag?",
                            f"Compare `witness {c1} -{letter}` and `witness {c2} -{letter}`.",
                            f"Which long flags does `-{letter}` stand for in `witness {c1}` and `witness {c2}`?",
                            f"Is `-{letter}` consistent across `witness {c1}` and `witness {c2}`?",
                        ),
                        body,
                        _terms([[f"--{f1.name}"], [f"--{f2.name}"]], not_start=[] if same else ["yes"]),
                        answers=("", diff, "", head, head, ""),
                    )
                )
    return facts


_HINT_FLAG = re.compile(r"`(?:-\w/)?--([\w-]+)")
_NONEXISTENT_NOTES = {
    "intermediates": " The intermediates only take effect together with `--signer-file-cert-path` (the old "
    "`--certificate`): without a certificate witness signs with the bare key and drops the chain.",
    "certificate": " Add `--signer-file-intermediate-paths` (the old `--intermediates`) when the certificate needs "
    "intermediates to chain to a root.",
}


def _nonexistent_facts(gr: cli_spec.Grammar) -> list[Fact]:
    facts: list[Fact] = []
    for bad, hint in data.NONEXISTENT_FLAGS.items():
        if gr.has_flag(bad):  # e.g. `--signer-file-key-passphrase` is real in witness v0.10.x
            continue
        repl = [n for n in _HINT_FLAG.findall(hint) if n != bad]
        cmd, good = "run", None
        for n in repl:
            hit = next((c for c in ("run", "sign", "verify") if gr.lookup_flag(c, n)), None)
            if hit:
                cmd, good = hit, gr.lookup_flag(hit, n)
                break
        w = _cmd_label(cmd)
        require: list[list[str]] = [NEG_ALTS]
        if good is not None:
            # e.g. `--artifacthash`: `-f/--artifactfile <file>` and `-s/--subjects <digest>` both replace it
            alts = [t for n in repl for g in [gr.lookup_flag(cmd, n)] if g for t in _flag_alts(g)]
            require.append(list(dict.fromkeys(alts)))
        ex = example_command(cmd, good.name, gr=gr) if good is not None else None
        facts.append(
            Fact(
                f"flag/nonexistent/{bad}",
                "nonexistent-flag",
                (
                    f"How do I use the `--{bad}` flag with {w}?",
                    f"What does `--{bad}` do in {w}?",
                    f"Is `--{bad}` a valid flag for {w}?",
                    f"{w} complains about `--{bad}`. Why?",
                    f"I copied `--{bad}` from a blog post into my {w} command. Is that right?",
                    f"What value should I give to `--{bad}` on {w}?",
                ),
                _with_example(hint[0].upper() + hint[1:] + "." + _NONEXISTENT_NOTES.get(bad, ""), ex),
                _terms(require, not_start=["yes"], forbid_flag=[f"--{bad}"]),
            )
        )
    return facts


# ---- attestors

SELECTION_TEXT = {
    "always": "Yes, always: `witness run` records `{name}` in every run, whatever `-a` says.",
    "always-with-command": "Only when a command follows `--`: `witness run ... -- <cmd>` adds `command-run` "
    "automatically; passing `-a command-run` is ignored with a warning.",
    "default": "Yes: `{name}` is in the default of `-a/--attestations` (`environment`, `git`). Giving `-a` "
    "replaces that default, so add `{name}` explicitly when you pass `-a`.",
    "opt-in": "No: `{name}` is opt-in; enable it with `-a {name}` on `witness run`.",
    "verify-only": "No: `{name}` (run type `verify`) is produced only inside `witness verify`; it cannot be used "
    "with `witness run`.",
}
# per-attestor overrides of the selection answer: REFERENCE §1.2, `-a jwt` always fails from the CLI
JWT_SELECTION = (
    "No: `jwt` is not recorded by default, and it is not usable on its own from the CLI: `witness run -a jwt` "
    "always fails because there is no flag to pass a token. The JWT predicate is embedded by the `github`, "
    "`gitlab` and `gcp-iit` attestors, so enable one of those (opt-in) instead."
)
SELECTION_REQUIRE = {
    "always": [["always"]],
    "always-with-command": [["--", "command follows", "command is given", "after `--`"]],
    "default": [["default", "defaults"]],
    "opt-in": [
        [
            "-a {name}",
            "--attestations {name}",
            "--attestations={name}",
            "opt-in",
            "not by default",
            "not enabled by default",
            "explicitly",
            "must enable",
            "need to enable",
            "have to enable",
        ]
    ],
    "verify-only": [["witness verify", "verify"]],
}
# The wrong claims a selection answer must not make, phrased about THIS attestor (options/run.go
# DefaultAttestors = environment, git; cmd/run.go alwaysRunAttestors = product, material, plus command-run when
# a command follows `--`). Generic phrases ("recorded by default", "always runs") also hit true sentences about
# other attestors ("environment and git are recorded by default", "command-run always runs when you give a
# command") or negated ones ("never runs by default"), so each term names its subject.
_IS_DEFAULT = [
    "is enabled by default",
    "is recorded by default",
    "is on by default",
    "is included by default",
    "is collected by default",
    "is a default attestor",
    "is one of the default",
    "is in the default",
    "is always recorded",
    "is always enabled",
    "is always on",
    "gets recorded by default",
    "runs by default",
    "always runs",
]
_NOT_DEFAULT = [
    "is opt-in",
    "is an opt-in",
    "is not enabled by default",
    "is not recorded by default",
    "is not on by default",
    "isn't enabled by default",
    "isn't recorded by default",
    "isn't on by default",
    "is not a default",
    "isn't a default",
]
_SUBJECTS = (
    "{name}",
    "`{name}`",
    "{name} attestor",
    "`{name}` attestor",
    "{name} attestation",
    "`{name}` attestation",
)
_PRONOUNS = ("it", "it's", "it\N{RIGHT SINGLE QUOTATION MARK}s")


def _about(name: str, claims: list[str], subjects: tuple[str, ...] = _SUBJECTS) -> list[str]:
    """`claims` ("is recorded by default") stated about `name` (or a pronoun when `subjects` are pronouns)."""
    out: list[str] = []
    for subj in subjects:
        subj = subj.format(name=name)
        for claim in claims:
            if subj in _PRONOUNS[1:]:  # "it's": drop the claim's leading "is"
                if not claim.startswith("is "):
                    continue
                claim = claim[3:]
            out.append(f"{subj} {claim}")
    return out


def selection_forbid(selection: str, name: str) -> tuple[list[str], list[str]]:
    """(`forbid`, `forbid_exact`) of the selection check of attestor `name`: the false claim about it, with
    its name as an exact phrase (a negated sentence does not contain it), or with "it" as a claim (a sentence
    with a negation cue does not count)."""
    extra = {"always-with-command": ["-a command-run"], "verify-only": ["-a policyverify"]}.get(selection, [])
    if selection in ("opt-in", "verify-only"):
        return extra + _about(name, _IS_DEFAULT, _PRONOUNS), _about(name, _IS_DEFAULT)
    if selection in ("always", "default"):
        wrong = _about(name, _NOT_DEFAULT)
        # "it is opt-in" is a claim; "it is not recorded by default" carries its own negation, so it is exact
        return _about(name, _NOT_DEFAULT[:2], _PRONOUNS), wrong + _about(name, _NOT_DEFAULT[2:], _PRONOUNS)
    return extra, []


SELECTION_NOT_START = {
    "always": ["no"],
    "always-with-command": [],
    "default": ["no"],
    "opt-in": ["yes"],
    "verify-only": ["yes"],
}
JWT_SELECTION_CHECK: dict[str, Any] = {
    "kind": "terms",
    "require": [
        ["not recorded by default", "not by default", "not enabled by default", "opt-in", "not usable"],
        # and that it does not work stand-alone (rather than recommending `-a jwt`)
        [
            "fails",
            "fail",
            "error",
            "not usable",
            "cannot be used",
            "can't be used",
            "no way to pass",
            "no flag",
            "embedded",
        ],
    ],
    "forbid": ["-a jwt", "--attestations jwt", *selection_forbid("opt-in", "jwt")[0]],
    "forbid_exact": selection_forbid("opt-in", "jwt")[1],
    "not_start": ["yes"],
}
_URI_VERSION = re.compile(r"/v(\d+(?:\.\d+)?)$")


def wrong_uri_variants(uri: str) -> list[str]:
    """Plausible wrong spellings of a type URI (other versions, witness.dev vs testifysec domain)."""
    out: list[str] = []
    m = _URI_VERSION.search(uri)
    if m:
        for v in ("v0.1", "v0.2", "v1", "v1.0", "v0.3"):
            alt = uri[: m.start()] + "/" + v
            if alt != uri:
                out.append(alt)
    else:
        out.append(uri + "/v0.1")
    if "witness.testifysec.com" in uri:
        out.append(uri.replace("witness.testifysec.com", "witness.dev"))
    return out


JWT_NAME_ANSWER = (
    "The CLI name is `jwt` (run type `prematerial`), but no `-a` value gets you a standalone one: `witness run "
    '-a jwt` always fails (`invalid token: ""`) because the CLI has no way to hand the attestor a token. JWT claims '
    "are recorded inside the `github`, `gitlab` and `gcp-iit` attestations (their `jwt` field), so enable one of "
    "those where it applies; a standalone `{uri}` attestation only comes from go-witness used as a library "
    "(`jwt.WithToken`)."
)


def _name_answer(name: str, uri: str) -> tuple[str, dict[str, Any]]:
    """Answer and check of "which attestor has type X / what do I pass to `-a`": the attestor and how it gets
    selected (never `-a jwt`, which always fails from the CLI, nor `-a policyverify`)."""
    spec = ATTESTORS[name]
    forbid = [
        t
        for k, v in data.ATTESTOR_MISSPELLINGS.items()
        if v == name and len(k) > 3
        for t in (f"`{k}`", f"-a {k}")
    ]
    if name == "jwt":
        return JWT_NAME_ANSWER.format(uri=uri), _terms(
            [["jwt"], ["github", "gitlab", "gcp-iit"], ["fails", "fail", "cannot", "can't", "no way"]],
            [*forbid, "pass `-a jwt`", "use `-a jwt`", "add `-a jwt`", "-a jwt works"],
        )
    head = f"It comes from the `{name}` attestor (run type `{spec.run_type}`)."
    how = {
        "always": " `witness run` records it in every run, so no `-a` is needed.",
        "always-with-command": " It is added automatically when a command follows `--`; `-a command-run` is "
        "ignored with a warning.",
        "default": f" `{name}` is one of the defaults (`environment`, `git`): it is recorded without `-a`, and when "
        f"you pass `-a` (which replaces the defaults) list `{name}` explicitly.",
        "opt-in": f" Pass `-a {name}` (and `environment,git` too if you want them, since `-a` replaces the "
        "defaults).",
        "verify-only": " You don't pass it to `-a`: it is produced only inside `witness verify` and cannot be used "
        "with `witness run`.",
    }[spec.selection]
    note = product_note(name) or export_note(name)
    if spec.selection == "verify-only":
        forbid += [f"-a {name}"]
    return head + how + (f" {note}" if note else ""), _terms([[name]], forbid)


PLACEHOLDER_LINE = "verification failure: Reason: predicate type  is not a collection predicate type"
"""What `witness verify` logs for a step it found no collection for (go-witness v0.12.0 policy/policy.go:253-255
adds an empty placeholder result, rejected at policy.go:410-412; witness cmd/verify.go:229-231 prints it). The
`no collections found for step X` error inside the placeholder is never printed."""


RUN_TYPES = ("prematerial", "material", "execute", "product", "postproduct", "verify")
"""go-witness v0.12.0 attestation/context.go run-type strings."""


def runtype_forbid(run_type: str) -> list[str]:
    """Claims of another run type: the run type's own word alone is no proof (`material`, `product` and
    `policyverify`'s `verify` are also in the attestor's name or in `witness verify`), so an answer naming a
    wrong run type must fail even though it mentions the right word somewhere."""
    return [
        t
        for r in RUN_TYPES
        if r != run_type
        for t in (
            f"run type `{r}`",
            f"run type {r}",
            f"run type is `{r}`",
            f"run type is {r}",
            f"run type: {r}",
            f"RunType `{r}`",
            f"RunType {r}",
            f"RunType is {r}",
            f"`{r}` phase",
            f"{r} phase",
            f"`{r}` stage",
            f"{r} stage",
            f"{r} run type",
            f"`{r}` run type",
        )
    ]


def _type_questions(name: str, uri: str) -> tuple[str, ...]:
    """More ways to ask for an attestor's type, some with the symptom of a wrong one (the answers:
    `_type_answers`)."""
    wrong = wrong_uri_variants(uri)[0]
    an = "an" if name[0] in "aeio" else "a"
    return (
        f"Is the type of {an} {name} attestation `{wrong}`?",
        # witness never prints `no collections found for step X` (policy.go wraps it in an empty placeholder that
        # checkFunctionaries rejects): the user quotes the placeholder line witness cmd/verify.go logs
        f"Our policy step requires `{wrong}` for the {name} attestation and `witness verify` prints `Step: build` "
        f"followed by `{PLACEHOLDER_LINE}`. What's the right type?",
        f"What is the exact type string of {an} {name} attestation?",
        f"Does the {name} attestor's type follow the `https://witness.dev/attestations/<name>/v0.1` pattern?",
        f"We filter {name} attestations by type in our attestation store. Which value do we match?",
        f"Copy-paste ready, please: the policy `type` for `{name}`.",
    )


def _type_answers(name: str, uri: str, general: str) -> tuple[str, ...]:
    """Answers aligned with the type fact's questions: the general one for the first six, then direct answers to
    `_type_questions` (sbom keeps its general answer, which already says the registered type is not the one
    a collection carries)."""
    if name == "sbom":
        return ()
    usual = uri == f"https://witness.dev/attestations/{name}/v0.1"
    return (
        *("" for _ in range(6)),
        f"No: the `{name}` attestor's type is `{uri}`, and policy types are compared as exact strings.",
        f"`{uri}`. A step that requires a type its collection does not have finds no collection at all; that "
        "placeholder line is what witness prints for a step it found no collection for (not a problem with your "
        "keys or the collection's predicate type).",
        "",
        f"Yes: it is `{uri}`."
        if usual
        else f"No: it is `{uri}`; policy types are compared as exact strings, so copy it as is.",
        "",
        "",
    )


def _attestor_facts(gr: cli_spec.Grammar) -> list[Fact]:
    facts: list[Fact] = []
    for name, spec in ATTESTORS.items():
        uri = spec.type
        a = f"`{name}`"
        if name == "sbom":
            type_answer = (
                f"It is registered as `{uri}`, but inside a collection the attestation's `type` is "
                f"`{spec.aliases[0]}` (SPDX JSON) or `{spec.aliases[1]}` (CycloneDX JSON); all three resolve to "
                "the `sbom` attestor, and policies must require the SPDX/CycloneDX URI."
            )
            type_req = [[uri], [spec.aliases[0]], [spec.aliases[1]]]
        else:
            type_answer = f"The `{name}` attestor's type is `{uri}`."
            type_req = [[uri]]
        facts.append(
            Fact(
                f"attestor/type/{name}",
                "attestor-type",
                (
                    f"What is the predicate type URI of the {a} attestor?",
                    f"I'm writing the policy step for our {name} attestations. Which `type` string goes into "
                    "`attestations`?",
                    f"What type does witness give a {name} attestation, exactly? Our ingestion filters on it.",
                    f"What `type` does a {a} attestation carry in a witness collection?",
                    f"In a policy step's `attestations` list, what `type` string do I use for {a}?",
                    f"Which type URI should I expect for the {name} attestor inside a collection?",
                    *_type_questions(name, uri),
                ),
                type_answer,
                _terms(type_req, wrong_uri_variants(uri), case=True),
                answers=_type_answers(name, uri, type_answer),
            )
        )
        if name != "sbom":
            facts.append(
                Fact(
                    f"attestor/name/{name}",
                    "attestor-name",
                    (
                        f"Which witness attestor has the type `{uri}`?",
                        f"What attestor produces `{uri}`?",
                        f"A collection I'm reading has an attestation of type `{uri}`. Which attestor made it?",
                        f"`{uri}` belongs to which witness attestor?",
                        f"What do I pass to `-a` to get attestations of type `{uri}`?",
                        f"Which CLI attestor name corresponds to `{uri}`?",
                    ),
                    *_name_answer(name, uri),
                )
            )
        facts.append(
            Fact(
                f"attestor/runtype/{name}",
                "attestor-runtype",
                (
                    f"What is the run type of the {a} attestor?",
                    f"In which phase does the {a} attestor run?",
                    f"When does witness run the {a} attestor (its RunType)?",
                    f"Does the {name} attestor run before my command, during it or after it?",
                    f"Does {a} run before or after the command? What is its lifecycle phase?",
                    f"What does `witness attestors list` show as the RunType of {a}?",
                ),
                f"{a} has run type `{spec.run_type}`. `witness run` executes the phases in the order "
                "prematerial, material, execute, product, postproduct.",
                _terms([[spec.run_type]], runtype_forbid(spec.run_type)),
            )
        )
        facts.append(
            Fact(
                f"attestor/selection/{name}",
                "attestor-selection",
                (
                    f"Does `witness run` record the {a} attestor by default?",
                    f"Is {a} enabled by default in `witness run`?",
                    f"Do I get a {a} attestation from `witness run` without passing any `-a`?",
                    f"Is the {a} attestor on without any `-a` flag?",
                    f"Will my `witness run` collection contain {a} if I don't configure anything?",
                    f"Is {a} among the attestors that `witness run` records when `-a` is not given?",
                ),
                JWT_SELECTION if name == "jwt" else SELECTION_TEXT[spec.selection].format(name=name),
                JWT_SELECTION_CHECK
                if name == "jwt"
                else _terms(
                    [[t.format(name=name) for t in alts] for alts in SELECTION_REQUIRE[spec.selection]],
                    selection_forbid(spec.selection, name)[0],
                    forbid_exact=selection_forbid(spec.selection, name)[1],
                    not_start=SELECTION_NOT_START[spec.selection],
                ),
            )
        )
        flag = f"--attestor-{name}-export"
        if spec.exporter:
            ex = example_command("run", f"attestor-{name}-export", gr=gr)
            assert ex is not None and f"-a environment,git,{name}" in ex, ex
            note = product_note(name)
            body = _with_example(
                f"Yes: {a} is an exporter. With `{flag}` (and `-a {name}`, which replaces the default "
                f"`environment,git`, so list them too) it is removed from the collection and written as its own "
                f"statement to `<outfile>-{name}.json`." + (f" {note}" if note else ""),
                ex,
            )
            check = _terms([[flag]])
            how = body.replace(f"Yes: {a} is an exporter. With", f"{a} is an exporter: with", 1)
        else:
            where = (
                f"{a} is produced only inside `witness verify` and is not written out by the CLI"
                if spec.selection == "verify-only"
                else f"{a} always stays inside the attestation collection"
            )
            body = (
                f"No: only `{'`, `'.join(EXPORTERS)}` can be exported (`--attestor-<name>-export`); `{flag}` does "
                f"not exist, {where}."
            )
            check = _terms([[*NEG_ALTS, "no", "only", "cannot", "can't"]], [flag], not_start=["yes"])
            how = body.replace("No: only", "You can't: only", 1)
        facts.append(
            Fact(
                f"attestor/export/{name}",
                "attestor-exporter",
                (
                    f"Can the {a} attestor be exported as its own attestation?",
                    f"Is there an `--attestor-{name}-export` flag?",
                    f"How do I get the {a} predicate in a separate envelope instead of inside the collection?",
                    f"Does witness support exporting {a} attestations?",
                    f"Can I emit {a} as a standalone in-toto statement with witness?",
                    f"Is {a} one of the exporter attestors?",
                ),
                body,
                check,
                answers=("", "", how),  # "How do I ...?" is not answered with "Yes"/"No"
            )
        )
    ex_names = "`, `".join(EXPORTERS)
    facts.append(
        Fact(
            "attestor/exporters",
            "attestor-exporter",
            (
                "Which witness attestors can be exported to their own attestation?",
                "List the attestors that support `--attestor-<name>-export`.",
                "What are the exporter attestors in witness?",
                "Which predicates can witness write as separate statements instead of inside the collection?",
                "Which `--attestor-*-export` flags exist?",
                "Which attestors can I export with witness run?",
            ),
            f"`{ex_names}`: `witness run` has "
            + ", ".join(f"`--attestor-{n}-export`" for n in EXPORTERS)
            + "; an exported attestation is removed from the collection and written to `<outfile>-<name>.json`.",
            _terms(
                [[n] for n in EXPORTERS], [f"--attestor-{n}-export" for n in ATTESTORS if n not in EXPORTERS]
            ),
        )
    )
    facts.append(
        Fact(
            "attestor/defaults",
            "attestor-selection",
            (
                "Which attestors does `witness run` record when I don't pass `-a`?",
                "What is the default attestor set of `witness run`?",
                "Without `-a`, what ends up in a witness collection?",
                "Which attestors are on by default in witness?",
                "If I run `witness run -s build -k key.pem -o out.json -- make`, which attestors run?",
                "What does `witness run` attest out of the box?",
            ),
            f"`{'`, `'.join(DEFAULT_ATTESTORS)}` (the default of `-a`), plus `{'` and `'.join(ALWAYS_RUN)}`, which "
            "always run, and `command-run` because a command follows `--`. Giving `-a` replaces the "
            f"`{','.join(DEFAULT_ATTESTORS)}` default.",
            _terms([[n] for n in (*DEFAULT_ATTESTORS, *ALWAYS_RUN)]),
        )
    )
    facts.append(_network_trace_fact(gr))
    for wrong, right in data.ATTESTOR_MISSPELLINGS.items():
        spec = ATTESTORS[right]
        head = f"There is no `{wrong}` attestor (`attestor not found: {wrong}`); the CLI name is `{right}`"
        if right == "jwt":
            body = f"{head}. " + JWT_NAME_ANSWER.format(uri=spec.type)
        elif spec.selection == "opt-in":
            if right == "sbom":  # the registered URI is not the type a collection carries (trap 3)
                typed = (
                    f"; in a collection (and in a policy step) its type is `{spec.aliases[0]}` for SPDX or "
                    f"`{spec.aliases[1]}` for CycloneDX, not the registered `{spec.type}`"
                )
            else:
                typed = f" (type `{spec.type}`)"
            run = CYCLONEDX_RUN if wrong in ("cyclonedx", "cdx") else None
            note = product_note(right, run) or export_note(right)
            body = _with_example(
                f"{head}{typed}. `-a` replaces the default `environment,git`, so list them too."
                + (f" {note}" if note else ""),
                run_with(gr, right, run=run) if run else run_exported(gr, right),
            )
        else:
            # the selection text answers "is it on by default?"; drop its leading Yes/No here
            if spec.selection == "always-with-command":
                note = (
                    f"`{right}` is added automatically when a command follows `--` "
                    f"(`witness run ... -- <cmd>`); passing `-a {right}` is ignored with a warning."
                )
            else:
                note = re.sub(
                    r"^(?:Yes, always|Yes|No): ", "", SELECTION_TEXT[spec.selection].format(name=right)
                )
            body = f"{head}. {note[0].upper()}{note[1:]}"
        facts.append(
            Fact(
                f"attestor/cliname/{wrong}",
                "attestor-cliname",
                (
                    f"`witness run -a {wrong}` says `attestor not found: {wrong}`. What's the right name?",
                    f"What is the correct `-a` value instead of `{wrong}`?",
                    f"Is `{wrong}` a valid witness attestor name?",
                    f"How do I reference the `{wrong}` attestor on the witness command line?",
                    f"I wrote `-a {wrong}` in CI and witness fails. Fix?",
                    f"Which attestor name does witness expect when I mean `{wrong}`?",
                ),
                body,
                _terms([[right]], not_start=["yes"]),
            )
        )
    return facts


def _network_trace_fact(gr: cli_spec.Grammar) -> Fact:
    """`network-trace`: compiled in since witness v0.12 (go-witness v0.12.0), experimental, Linux only."""
    v = gr.version
    nt_type, attr = data.VERSIONED_ATTESTORS["network-trace"]
    first = versions.first_with(attr)
    questions = (
        "How do I enable the `network-trace` attestor in `witness run`?",
        "Does the witness CLI have a `network-trace` attestor?",
        "Can I pass `-a network-trace` to witness?",
        "Is `network-trace` available in the released witness CLI?",
        "What does `-a network-trace` record?",
        "Which witness version has the `network-trace` attestor?",
    )
    if v.network_trace:
        ex = (example_command("run", gr=gr) or "").replace(" -- make", " -a network-trace -- make")
        assert gr.parse(ex).valid, ex
        since = f"{versions.since(attr)} (go-witness {first.go_witness if first else '?'})"
        rel = versions.since(attr).removeprefix("since ")
        embeds = f"go-witness {first.go_witness}" if first else "go-witness"
        rest = (
            f"`-a network-trace` records the network connections of the command (type `{nt_type}`, run type "
            "`execute`). It is experimental, compiled into Linux builds only, and has no options. Older releases "
            "(witness v0.11 and before) fail with `failed to create attestor: attestor not found: network-trace`."
        )
        # only the yes/no questions (1-3) get a "Yes": "How do I enable it?", "What does it record?" and "Which
        # version has it?" are answered head-on (go-witness v0.12.0 import_linux.go, attestation/networktrace)
        yes = _with_example(f"Yes, {since}: {rest}", ex)
        return Fact(
            "attestor/network-trace",
            "attestor-cliname",
            questions,
            yes,
            _terms(
                [
                    ["-a network-trace", "--attestations network-trace", "--attestations=network-trace"],
                    ["experimental", "linux"],
                ],
                not_start=["no", "not", "there is no", "it does not", "it doesn't"],
            ),
            answers=(
                _with_example(f"Pass `-a network-trace` ({rel} and later, built on {embeds}). {rest}", ex),
                "",
                "",
                "",
                _with_example(
                    "The network connections the command makes (destination, protocol, timing and the process "
                    f"that opened each, plus a summary), in an attestation of type `{nt_type}` (run type "
                    f"`execute`), {since}. {rest.split('. ', 1)[1]}",
                    ex,
                ),
                _with_example(f"{rel[0].upper()}{rel[1:]} and later (built on {embeds}): {rest}", ex),
            ),
        )
    return Fact(
        "attestor/network-trace",
        "attestor-cliname",
        questions,
        f"Not in {v.label}: `-a network-trace` fails with `failed to create attestor: attestor not found: "
        f"network-trace`. The attestor (`{nt_type}`, experimental, Linux only) exists {versions.since(attr)}.",
        _terms([[*NEG_ALTS, "not found", "not in"], ["v0.12", "0.12"]], not_start=["yes"]),
    )


# ---- wire constants, digests, key ids


def _wire_facts() -> list[Fact]:
    rows = (
        (
            "collection-type",
            COLLECTION_TYPE,
            (
                "What is the predicateType of a witness attestation collection?",
                "Which `predicateType` does `witness run` put in its in-toto statement?",
                "What predicate type URI identifies a witness attestation collection?",
                "Give the exact collection predicate type that witness verify accepts.",
                "My statement uses a different predicateType and verify says it is not a collection predicate "
                "type. What should it be?",
                "What's the predicateType string of witness collections?",
            ),
            "`{v}`. A statement with any other predicateType is rejected as not a collection.",
        ),
        (
            "policy-payload-type",
            POLICY_PAYLOAD_TYPE,
            (
                "What is the DSSE payloadType of a signed witness policy?",
                "Which payloadType does `witness sign` use for a policy by default?",
                "What is the default `--datatype` of `witness sign`?",
                "Which type URI identifies a witness policy envelope?",
                "What payloadType must a signed policy envelope have?",
                "What's the policy type URI in witness?",
            ),
            "`{v}` (the default of `witness sign -t/--datatype`).",
        ),
        (
            "statement-type",
            STATEMENT_TYPE,
            (
                "What `_type` does a witness in-toto statement have?",
                "Which in-toto Statement version does witness write?",
                "What is the `_type` field of statements produced by `witness run`?",
                "Does witness use in-toto Statement v1? What is the exact `_type`?",
                "Give the statement `_type` URI that witness emits.",
                "Which in-toto statement type URI is inside a witness attestation envelope?",
            ),
            "`{v}` (in-toto Statement v0.1, not v1).",
        ),
        (
            "envelope-payload-type",
            PAYLOAD_TYPE,
            (
                "What payloadType does the DSSE envelope of a witness attestation have?",
                "Which `payloadType` does `witness run` write in its output envelope?",
                "What's the DSSE payloadType for witness attestations (not policies)?",
                "What media type is in the `payloadType` of a witness collection envelope?",
                "Which payloadType string identifies an in-toto payload in witness envelopes?",
                "Give the exact DSSE payloadType of `witness run` output.",
            ),
            "`{v}`.",
        ),
    )
    facts = []
    for fid, value, qs, ans in rows:
        forbid = wrong_uri_variants(value) if value.startswith("http") else []
        if value == PAYLOAD_TYPE:
            forbid = [POLICY_PAYLOAD_TYPE]
        extra = WIRE_MORE.get(fid, ())
        facts.append(
            Fact(
                f"wire/{fid}",
                "wire-constant",
                (*qs, *(q for q, _ in extra)),
                ans.format(v=value),
                _terms([[value]], forbid, case=True),
                answers=(*("" for _ in qs), *(a for _, a in extra)),
            )
        )
    return facts


WIRE_MORE: dict[str, tuple[tuple[str, str], ...]] = {
    "collection-type": (
        (
            "`witness verify` prints `predicate type https://slsa.dev/provenance/v1.0 is not a collection predicate "
            "type` for one of the files I pass with `-a`. What does it expect?",
            f"A statement whose predicateType is `{COLLECTION_TYPE}`, i.e. the collection `witness run` writes "
            "(`-o`). An exported attestation (`<outfile>-slsa.json`) is a separate statement, not a collection, "
            "so verify rejects it as an `-a` input.",
        ),
        (
            "Is the predicate type of a witness collection under `witness.dev` like the attestor types?",
            f"No: it is `{COLLECTION_TYPE}`, on the old `witness.testifysec.com` domain, while most attestor types "
            "use `https://witness.dev/attestations/...`.",
        ),
        (
            "Our ingestion service filters statements by predicateType. Which value selects witness collections?",
            "",
        ),
        ("Which predicateType does a statement need for `witness verify` to treat it as a collection?", ""),
        (
            "I decoded the payload of `build.json`. What should `predicateType` say?",
            f"`{COLLECTION_TYPE}`: `witness run` signs an in-toto statement whose predicate is the attestation "
            "collection.",
        ),
        ("Collection predicateType URI, exactly?", ""),
    ),
    "statement-type": (
        (
            "Our attestation store accepts only `https://in-toto.io/Statement/v1` and rejects what `witness run` "
            "writes. Why?",
            f"Witness writes `{STATEMENT_TYPE}` (in-toto Statement v0.1), so a store that requires the v1 `_type` "
            "rejects it.",
        ),
        (
            "Is the `_type` of witness statements `https://in-toto.io/Statement/v1`?",
            f"No: it is `{STATEMENT_TYPE}`; witness still writes in-toto Statement v0.1.",
        ),
        ("Which in-toto Statement version do witness v0.12 attestations use?", ""),
        ("I'm writing a parser for witness envelopes. What `_type` is in the decoded payload?", ""),
        (
            "Did witness switch to in-toto Statement v1 in a recent release?",
            f"No: witness v0.12 still writes `{STATEMENT_TYPE}` (Statement v0.1).",
        ),
        ("What exact `_type` string does `witness run` put into the statement?", ""),
    ),
    "policy-payload-type": (
        ("What `payloadType` does `witness sign` put on a policy envelope when I don't pass `-t`?", ""),
        (
            "Is a signed witness policy's payloadType `application/vnd.in-toto+json`?",
            f"No: `witness sign` uses `{POLICY_PAYLOAD_TYPE}` (the default of `-t/--datatype`); "
            f"`{PAYLOAD_TYPE}` is the payloadType of `witness run` attestation envelopes.",
        ),
        ("What does `-t` default to on `witness sign`?", ""),
    ),
    "envelope-payload-type": (
        ("Which payloadType does a `witness run` DSSE envelope carry?", ""),
        (
            "Is the payloadType of `witness run` output the same as that of a signed policy?",
            f"No: attestation envelopes carry `{PAYLOAD_TYPE}`, signed policies `{POLICY_PAYLOAD_TYPE}`.",
        ),
        ("Our DSSE parser dispatches on payloadType. What value marks a witness attestation envelope?", ""),
    ),
}
"""More questions about the wire constants people get wrong, with their answers ("" = the general one)."""


def _digest_questions(bad: str) -> tuple[str, ...]:
    """The ways people ask whether hash name `bad` works."""
    return (
        f"Can I use `--hashes {bad}` with `witness run`?",
        f"Does witness support `{bad}` digests?",
        f"Is `{bad}` a valid key in a witness DigestSet?",
        f'I put `"{bad}": ...` in a product digest and witness refuses to load it. Why?',
        f"How do I make witness record `{bad}` hashes?",
        f"Will `witness run --hashes {bad}` work?",
    )


def _digest_facts(gr: cli_spec.Grammar) -> list[Fact]:
    names = "`, `".join(ALLOWED_HASHES)
    facts = [
        Fact(
            "digest/allowed",
            "digest",
            (
                "Which digest algorithm names can appear in a witness DigestSet?",
                "Which values does `witness run --hashes` accept?",
                "What hash names are valid keys in witness digest sets?",
                "List the supported hash functions of witness.",
                "Which hashes can I choose with `--hashes`?",
                "Which digest keys can a material or product entry use in witness?",
            ),
            f"Exactly `{names}` (case-sensitive). The CLI default is `--hashes sha256`; any other name fails with "
            "`unsupported hash function: <name>`.",
            _terms([[n] for n in ALLOWED_HASHES], ["sha512", "sha384", "md5"], case=True),
        )
    ]
    for bad in ("sha512", "sha384", "md5", "blake2b"):
        ex = example_command("run", "hashes", "sha256,sha1", gr=gr)
        facts.append(
            Fact(
                f"digest/unsupported/{bad}",
                "digest",
                _digest_questions(bad),
                _with_example(
                    f"No: `{bad}` is not a supported hash name (`unsupported hash function: {bad}`). Only "
                    f"`{names}` exist (case-sensitive).",
                    ex,
                ),
                _terms(
                    [[*NEG_ALTS, "no", "not", "only"], ["sha256"]],
                    [f"--hashes {bad} works"],
                    not_start=["yes"],
                ),
                # "Why?" and "How do I ...?" are not answered with "No" (go-witness v0.12.0
                # cryptoutil/digestset.go:58-90, 117-123; witness cmd/run.go:124-129)
                answers=(
                    "",
                    "",
                    "",
                    _with_example(
                        f"`{bad}` is not a supported hash name, so the DigestSet does not unmarshal "
                        f"(`unsupported hash function: {bad}`). Only `{names}` exist (case-sensitive).",
                        ex,
                    ),
                    _with_example(
                        f"You can't: `{bad}` is not a supported hash name (`--hashes {bad}` fails with `failed to "
                        f"parse hash: unsupported hash function: {bad}`). Only `{names}` exist (case-sensitive).",
                        ex,
                    ),
                ),
            )
        )
    # other spellings of SHA-256: the algorithm is supported (it is the default), only the name is wrong,
    # so neither a plain "No" (witness does use SHA-256) nor a plain "Yes" (the spelling fails) is right
    for bad in ("SHA256", "sha-256", "SHA-256"):
        ex = example_command("run", "hashes", "sha256", gr=gr)
        facts.append(
            Fact(
                f"digest/spelling/{bad}",
                "digest",
                _digest_questions(bad),
                _with_example(
                    f"SHA-256 is supported and is what witness records by default (`--hashes` defaults to "
                    f"`sha256`), but hash names are case-sensitive and exact: it must be spelled `sha256`. "
                    f"`--hashes {bad}` fails with `failed to parse hash: unsupported hash function: {bad}`, and "
                    f'a `"{bad}"` key in a DigestSet makes the collection fail to load. The accepted names are '
                    f"`{names}`.",
                    ex,
                ),
                why=(
                    "Names are looked up exactly in witness's table of hash names (go-witness "
                    "`cryptoutil.HashFromString`); case and dashes are not normalised.",
                ),
                check=_terms(
                    [
                        ["sha256"],
                        ["default"],
                        ["case-sensitive", "case sensitive", "lowercase", "lower-case"],
                    ],
                    [f"--hashes {bad} works", "sha-256 is not supported", "sha256 is not supported"],
                    case=True,
                ),
            )
        )
    return facts


_CANON = "the lowercase hex SHA-256 of the key's canonical PKIX `PUBLIC KEY` PEM (64-column base64 lines, trailing newline)"
KEYID_HOW_MORE: tuple[tuple[str, str], ...] = (
    (
        "Our policy's keyid is the sha256 of the DER-encoded public key and verify rejects it. Why?",
        f"Witness hashes the PEM text, not the DER bytes: the keyid is {_CANON}. Recompute it with `sha256sum "
        "pub.pem` of a PEM written by `openssl pkey -pubout`.",
    ),
    (
        "Is a witness keyid the same as an `ssh-keygen -lf` fingerprint?",
        f"No: the keyid is {_CANON}, e.g. `sha256sum pub.pem` of an `openssl pkey -pubout` PEM.",
    ),
    ("Which command prints the keyid witness expects for our public key?", ""),
    (
        "Do I compute the keyid from the private key file or from the public key?",
        f"From the public key: the keyid is {_CANON}. Derive it from a private key with `openssl pkey -in key.pem "
        "-pubout | sha256sum`.",
    ),
    (
        "Our RSA public key is a PKCS#1 `RSA PUBLIC KEY` block. How is its witness keyid computed?",
        f"From the PKIX form, not the PKCS#1 block: the keyid is {_CANON}, e.g. `openssl rsa -RSAPublicKey_in -in "
        "pub.pem -pubout | sha256sum`.",
    ),
    (
        "Why does `sha256sum` of my public key file not give the keyid witness computes?",
        f"Witness computes {_CANON}. `sha256sum` of your file matches only when the file is in exactly that form, "
        "as `openssl pkey -pubout` writes it (a different line width, extra text or a missing newline change the "
        "hash).",
    ),
)
"""More keyid questions (answer "" = the general one)."""
KEYID_MISMATCH_MORE: tuple[tuple[str, str], ...] = (
    (
        "After I replaced the key in `publickeys`, verify aborts with `public key in policy has expected key id` "
        "followed by two different ids. What do I fix?",
        "",
    ),
    (
        "I copied the keyid from `sha256sum key.pem` of our signing key and verify says the key id is wrong. Why?",
        f"That hashes the private key file. The keyid is {_CANON}: use `openssl pkey -in key.pem -pubout | "
        "sha256sum`, and the same id in the functionaries' `publickeyid`.",
    ),
    (
        "Does witness trust the `keyid` written in the policy, or does it check it?",
        f"It checks it: for each `publickeys` entry witness recomputes {_CANON} from the embedded key and aborts "
        "verification with `public key in policy has expected key id ... but got ...` when the keyid differs.",
    ),
)
"""More keyid-mismatch questions (answer "" = the general one)."""


def _keyid_facts() -> list[Fact]:
    return [
        Fact(
            "keyid/how",
            "keyid",
            (
                "How does witness compute the `keyid` of a public key in a policy?",
                "What is a witness key ID, exactly?",
                "How do I compute the keyid for `publickeys` in a witness policy?",
                "Is the witness keyid the SHA-256 of the DER key?",
                "Which bytes are hashed to get a witness public key ID?",
                "How do I get the right keyid for my ed25519 public key in a witness policy?",
                *(q for q, _ in KEYID_HOW_MORE),
            ),
            "keyid = lowercase hex SHA-256 of the canonical PKIX `PUBLIC KEY` PEM (64-column base64 lines, "
            "trailing newline), not of the DER bytes. For a PEM written by `openssl pkey -pubout`:\n\n"
            "```bash\nopenssl pkey -in key.pem -pubout -out pub.pem\nsha256sum pub.pem | cut -d' ' -f1\n```",
            _terms([["sha256", "sha-256"], ["pem"]], ["sha256 of the DER", "fingerprint of the certificate"]),
            answers=(*("" for _ in range(6)), *(a for _, a in KEYID_HOW_MORE)),
        ),
        Fact(
            "keyid/mismatch",
            "keyid",
            (
                "`witness verify` fails with `public key in policy has expected key id X but got Y`. Why?",
                "What does `public key in policy has expected key id ... but got ...` mean?",
                "Verification aborts with an expected key id mismatch. How do I fix the policy?",
                "Why does witness say my policy's key id is wrong?",
                "How do I fix `has expected key id` errors in witness verify?",
                "My policy `publickeys` entry is rejected because of the keyid. What is checked?",
                *(q for q, _ in KEYID_MISMATCH_MORE),
            ),
            "Witness recomputes each `publickeys.<id>.keyid` as the hex SHA-256 of the key's canonical PKIX "
            "`PUBLIC KEY` PEM and aborts if it differs. Set the map key and `keyid` to that value, e.g. "
            "`sha256sum pub.pem` of an `openssl pkey -pubout` PEM, and use the same id in functionaries' "
            "`publickeyid`.",
            _terms([["sha256", "sha-256"], ["keyid", "key id"]]),
            answers=(*("" for _ in range(6)), *(a for _, a in KEYID_MISMATCH_MORE)),
        ),
    ]


# ---- required flag groups (trap 18): built per example with rng-chosen names

STEPS = ("build", "test", "package", "lint", "compile", "scan", "release")
KEYS = ("key.pem", "build-key.pem", "keys/ci.pem", "signing.pem", "witness-key.pem")
PUBS = ("pub.pem", "keys/policy-pub.pem", "policy-key.pub.pem", "testpub.pem")
ARTS = ("app", "dist/app.tar.gz", "bin/server", "testapp", "target/app.jar")
ATTS = ("build.json", "build.attestation.json", "attestations/build.json", "att.json")
POLICIES = ("policy-signed.json", "policies/release-signed.json", "signed-policy.json")
TOOLS = ("make", "go build ./...", "npm ci", "cargo build --release", "mvn package")

GROUP_CASES: tuple[tuple[str, str, str, list[str], str], ...] = (
    # (id, broken template, expected issue code, required alternatives, fix sentence)
    (
        "sign-outfile",
        "witness sign -f policy.json -k {key}",
        "required-together",
        ["-o", "--outfile"],
        "`--infile` and `--outfile` must be given together; add `-o`:",
    ),
    (
        "sign-infile",
        "witness sign -o policy-signed.json -k {key}",
        "required-together",
        ["-f", "--infile"],
        "`--infile` and `--outfile` must be given together (the positional file is not read); add `-f`:",
    ),
    (
        "verify-subject",
        "witness verify -p {policy} -k {pub} -a {att} --directory-path dist",
        "required-group",
        ["-f", "--artifactfile", "-s", "--subjects"],
        "`--directory-path` alone does not satisfy the `[artifactfile subjects]` group; give `-f <artifact>` "
        "or `-s <digest>`:",
    ),
    (
        "verify-key",
        "witness verify -p {policy} -a {att} -f {art}",
        "required-group",
        ["-k", "--publickey", "--policy-ca-roots", "--policy-ca-intermediates", "--verifier-kms-ref"],
        "verify needs a way to check the policy signature: `-k <policy signer public key>` (or "
        "`--policy-ca-roots`/`--verifier-kms-ref`):",
    ),
    (
        "verify-attestations",
        "witness verify -p {policy} -k {pub} -f {art}",
        "missing-attestations",
        ["-a", "--attestations", "--enable-archivista"],
        "give the attestation files with `-a` (or use `--enable-archivista`):",
    ),
    (
        "run-step",
        "witness run -k {key} -o {att} -- {tool}",
        "missing-step",
        ["-s", "--step"],
        "a step name is required; add `-s <step>` (it must equal the step name in the policy):",
    ),
    (
        "run-signer",
        "witness run -s {step} -o {att} -- {tool}",
        "missing-signer",
        [
            "-k",
            "--signer-file-key-path",
            "--signer-kms-ref",
            "--signer-fulcio-url",
            "--signer-spiffe-socket-path",
            "--signer-vault-url",
        ],
        "`witness run` always signs and needs exactly one signer, e.g. a key file with `-k`:",
    ),
    (
        "run-two-signers",
        "witness run -s {step} -k {key} --signer-kms-ref awskms:///alias/witness -o {att} -- {tool}",
        "multiple-signers",
        [
            "only one signer",
            "one signer",
            "exactly one",
            "single signer",
            "only one",
            "two signers",
            "multiple signers",
            "more than one",
        ],
        "use exactly one signer provider; drop either `-k` or `--signer-kms-ref`:",
    ),
)
# verbatim witness/cobra error per case (REFERENCE §2.2-2.4, trap 18)
GROUP_ERRORS: dict[str, str] = {
    "sign-outfile": "if any flags in the group [infile outfile] are set they must all be set; missing [outfile]",
    "sign-infile": "if any flags in the group [infile outfile] are set they must all be set; missing [infile]",
    "verify-subject": "at least one of the flags in the group [artifactfile subjects] is required",
    "verify-key": "at least one of the flags in the group [publickey policy-ca policy-ca-roots "
    "policy-ca-intermediates verifier-kms-ref] is required",
    "verify-attestations": "must either specify attestation file paths or enable archivista as an attestation "
    "source",
    "run-step": "step name is required",
    "run-signer": "failed to load signers: failed to load any signers",
    "run-two-signers": "only one signer is supported",
}
GROUP_FIXES: dict[str, str] = {
    "sign-outfile": "witness sign -f policy.json -o policy-signed.json -k {key}",
    "sign-infile": "witness sign -f policy.json -o policy-signed.json -k {key}",
    "verify-subject": "witness verify -p {policy} -k {pub} -a {att} -f {art}",
    "verify-key": "witness verify -p {policy} -k {pub} -a {att} -f {art}",
    "verify-attestations": "witness verify -p {policy} -k {pub} -a {att} -f {art}",
    "run-step": "witness run -s {step} -k {key} -o {att} -- {tool}",
    "run-signer": "witness run -s {step} -k {key} -o {att} -- {tool}",
    "run-two-signers": "witness run -s {step} -k {key} -o {att} -- {tool}",
}
GROUP_WHY: dict[str, tuple[str, ...]] = {
    "sign-outfile": (
        "`witness sign` declares `--infile` and `--outfile` as a flag group: give both or neither.",
    ),
    "sign-infile": (
        "`witness sign` reads only `-f/--infile`; a positional file name is not read, and the flag group needs "
        "both `--infile` and `--outfile`.",
    ),
    "verify-subject": (
        "Verify needs a subject to look attestations up by digest: `-f` hashes a file, `-s` takes a digest; "
        "`--directory-path` does not count for that check.",
    ),
    "verify-key": (
        "On `witness verify`, `-k` is the public key of whoever signed the *policy*; the keys that signed the "
        "attestations are inside the policy.",
    ),
    "verify-attestations": ("On `witness verify`, `-a` takes attestation *files* (repeat it for several).",),
    "run-step": ("The step name must match the step's key and `name` in the policy.",),
    "run-signer": ("`witness run` always signs; there is no unsigned mode.",),
    "run-two-signers": (
        "Witness builds one signer from the `--signer-*` flags you set; two providers are refused.",
    ),
}
GROUP_QUESTIONS = (
    "Why does this fail?\n\n```bash\n{cmd}\n```",
    "`{cmd}` exits with an error. What's missing?",
    "What is wrong with this witness command: `{cmd}`?",
    "My CI step runs\n\n```bash\n{cmd}\n```\n\nand witness refuses it. How do I fix it?",
    "Fix this command for me: `{cmd}`",
    "Witness rejects `{cmd}` before doing anything. Which flag is required?",
)


def _make_group(rng: random.Random, gr: cli_spec.Grammar) -> tuple[str, str, str, dict[str, Any], str]:
    case_id, broken_t, code, alts, fix_text = phrasing.pick(rng, GROUP_CASES)
    names = {
        "step": phrasing.pick(rng, STEPS),
        "key": phrasing.pick(rng, KEYS),
        "pub": phrasing.pick(rng, PUBS),
        "art": phrasing.pick(rng, ARTS),
        "att": phrasing.pick(rng, ATTS),
        "policy": phrasing.pick(rng, POLICIES),
        "tool": phrasing.pick(rng, TOOLS),
    }
    broken = broken_t.format(**names)
    fixed = GROUP_FIXES[case_id].format(**names)
    a = gr.parse(broken)
    errs = [i for i in a.errors if i.code == code]
    assert errs, (broken, a.issues)
    assert gr.parse(fixed).valid, fixed
    t = rng.randrange(len(GROUP_QUESTIONS))
    question = GROUP_QUESTIONS[t].format(cmd=broken)
    answer = f"Witness fails with `{GROUP_ERRORS[case_id]}`. Fix: {fix_text}\n\n```bash\n{fixed}\n```"
    if rng.random() < 0.5:
        answer += "\n\n" + phrasing.pick(rng, GROUP_WHY[case_id])
    sub = broken.split()[1]
    return (
        f"required/{case_id}/{hashlib.sha256(broken.encode()).hexdigest()[:10]}",
        question,
        answer,
        _terms([alts], valid_command=sub),
        f"facts/required-group/{t}",
    )


# --------------------------------------------------------------------------- assembly


_PAIR_QUESTIONS = (
    "What do `-{x}` and `-{y}` stand for in `witness {c}`?",
    "Which long flags are `-{x}` and `-{y}` in a `witness {c}` command?",
    "I keep forgetting the `witness {c}` shorthands. `-{x}` and `-{y}`: what are they?",
    "Explain the two short options `-{x}` and `-{y}` of `witness {c}`.",
    "Reading a CI script: `witness {c} -{x} ... -{y} ...`. What do those two flags mean?",
    "`witness {c}` with `-{x}` and `-{y}`: which options are these, spelled out?",
)
_PAIR_PREMISE = (
    "Do `-{x}` and `-{y}` on `witness {c}` work like on `witness {o}`, where they are {guess}?",
    "My guess is that `witness {c}` uses `-{x}`/`-{y}` for {guess}, the way `witness {o}` does. Correct?",
)


def _pair_facts(gr: cli_spec.Grammar) -> list[Fact]:
    """Two shorthands of one subcommand in one question, sometimes with the wrong guess that they mean what they
    mean on another subcommand: the answer names the subcommand and both long flags first. (Hand-written
    questions ask like this; one flag per question in the data taught a small model to answer about the first
    flag on the wrong subcommand, witness-bench 2026-12-07.)"""
    facts: list[Fact] = []
    cmds = ("run", "sign", "verify")
    for c in cmds:
        shorts = sorted(
            {f.short: f for f in gr.commands[c].visible_flags if f.short and f.name != "help" and not f.deprecated}.items()
        )  # fmt: skip
        for i, (x, fx) in enumerate(shorts):
            for y, fy in shorts[i + 1 :]:
                plain = f"in `witness {c}`, `-{x}` is `--{fx.name}` ({_desc(fx)}) and `-{y}` is `--{fy.name}` ({_desc(fy)})."
                head = plain[0].upper() + plain[1:]
                questions = [q.format(c=c, x=x, y=y) for q in _PAIR_QUESTIONS]
                answers = [""] * len(questions)
                for o in cmds:
                    gx, gy = gr.lookup_flag(o, x), gr.lookup_flag(o, y)
                    if o == c or gx is None or gy is None or (gx.name, gy.name) == (fx.name, fy.name):
                        continue
                    guess = f"`--{gx.name}` and `--{gy.name}`"
                    differ = [
                        (s, g) for s, g in ((x, gx), (y, gy)) if g.name != (fx.name if s == x else fy.name)
                    ]
                    there = " and ".join(f"`-{s}` is `--{g.name}`" for s, g in differ)
                    fix = f"No: {plain} In `witness {o}`, {there}: each subcommand has its own shorthands."
                    for q in _PAIR_PREMISE:
                        questions.append(q.format(c=c, x=x, y=y, o=o, guess=guess))
                        answers.append(fix)
                    break
                facts.append(
                    Fact(
                        f"flag/pair/{c}/{x}{y}",
                        "short-pair",
                        tuple(questions),
                        head,
                        _terms([[f"--{fx.name}"], [f"--{fy.name}"]]),
                        answers=tuple(answers),
                    )
                )
    return facts


def catalogue(version: str | WitnessVersion | None = None) -> dict[str, tuple[Fact, ...]]:
    """All static facts of a witness release by sub-kind (stable order; default: the latest release)."""
    return _catalogue(versions.get(version).name)


def fact_by_id(fid: str, version: str | WitnessVersion | None = None) -> Fact:
    """The static fact `fid` of a release (`KeyError` if there is none)."""
    for facts in catalogue(version).values():
        for f in facts:
            if f.fid == fid:
                return f
    raise KeyError(fid)


_FLAG_WHY: dict[str, tuple[str, ...]] = {
    "flag-which": (
        "`{help}` lists every flag of the command with this description.",
        "Flags belong to a subcommand, so check `{help}` of the release you run.",
    ),
    "flag-short": (
        "Shorthands are defined per subcommand (`-k` is a private key on `run`/`sign` but the policy's public "
        "key on `verify`), so read them from `{help}`.",
        "`{help}` shows each flag with its shorthand.",
    ),
    "flag-long2short": (
        "Shorthands are defined per subcommand, so the same long flag can have a shorthand in one command and "
        "none in another; `{help}` shows them.",
        "`{help}` prints the shorthand in front of each long flag that has one.",
    ),
    "flag-what": (
        "`{help}` shows this description next to the flag.",
        "It is one of the flags of `{help}`; flags with the same name can mean something else on other "
        "subcommands.",
    ),
    "flag-default": (
        "`{help}` prints each flag's default next to its description.",
        "Defaults can change between releases; `{help}` shows the ones of your binary.",
    ),
    "short-across": (
        "Each subcommand defines its own shorthands, so one letter can stand for different flags; `--help` on "
        "each command shows them.",
    ),
    "short-pair": (
        "`{help}` prints each flag with its shorthand; the same letter can stand for another flag on another "
        "subcommand.",
    ),
    "nonexistent-flag": (
        "Witness rejects a flag it doesn't know before doing anything; `{help}` lists the real ones for your "
        "release.",
        "Old docs and other tools (cosign, in-toto) use flag names the witness CLI doesn't have; `{help}` is "
        "the reference.",
    ),
}
_GLOBAL_FLAG_WHY: dict[str, tuple[str, ...]] = {
    "flag-short": (
        "Global flags are defined once on the root command, so the shorthand is the same on every subcommand; "
        "`{help}` lists them.",
        "Each subcommand's `--help` shows the global flags, with their shorthands, under `Global Flags`.",
    ),
    "flag-what": (
        "Global flags are defined on the root command and work the same with every subcommand; `{help}` lists "
        "them.",
        "`witness <subcommand> --help` shows it under `Global Flags`.",
    ),
}
"""`_FLAG_WHY` for the global (persistent) flags of the root command (witness options/root.go)."""
_GLOBAL_FLAG_WHY["flag-long2short"] = _GLOBAL_FLAG_WHY["flag-short"]
_PHASE = {
    "prematerial": "before the working directory is hashed, i.e. before the command starts",
    "material": "when the working directory is hashed, before the command",
    "execute": "while the command runs",
    "product": "right after the command, when new or changed files are hashed",
    "postproduct": "after the products are known, so it can read what the command produced",
    "verify": "only inside `witness verify`",
}
_TYPE_NOTES = {
    "k8smanifest": "Note the version: `v0.2`, not `v0.1`.",
    "slsa": "It is `v1.0` with the `.0`, not `https://slsa.dev/provenance/v1`.",
    "vex": "The OpenVEX namespace has no version suffix and is not a `witness.dev` URI.",
    "link": "It is in-toto's own Link type (`v0.3`), not a `witness.dev` URI.",
    "policyverify": "It is the SLSA verification summary type, and only `witness verify` produces it.",
}
_WIRE_WHY = {
    "wire/collection-type": "The statement is the base64 `payload` of the DSSE envelope `witness run` writes; "
    "its predicate is the attestation collection.",
    "wire/policy-payload-type": "`witness sign` puts it in the envelope's `payloadType` (`-t/--datatype` changes "
    "it); verification does not check it.",
    "wire/statement-type": "Witness still writes the v0.1 statement layout (`subject`, `predicateType`, "
    "`predicate`), so stores that accept only Statement v1 reject it.",
    "wire/envelope-payload-type": "It is not the payloadType of a signed policy, which `witness sign` sets to the "
    "policy type, so the two envelopes are easy to tell apart.",
}


_VERIFY_INPUT_WHY = {
    "policy": "The `policyverify` attestor that runs inside `witness verify` records the policy's digest in its "
    "verification summary.",
    "attestations": "`witness verify` loads each file as a signed collection and searches them for each step of "
    "the policy; a file that matches no step is not used.",
    "artifactfile": "The file's sha256 becomes an `artifact:` subject of the `policyverify` verification summary "
    "and is the digest verify searches collections for.",
    "subjects": "Each value is searched as a digest and becomes an `artifact:` subject of the `policyverify` "
    "verification summary.",
}


def _enrich(fact: Fact, gr: cli_spec.Grammar) -> Fact:
    """The fact with context sentences and commands that show it (derived from its kind and id)."""
    parts = fact.fid.split("/")
    why: tuple[str, ...] = fact.why
    cmds: tuple[str, ...] = fact.commands
    if fact.kind in _FLAG_WHY:
        cmd = ""
        if (
            fact.kind in ("flag-which", "flag-what", "flag-short", "flag-long2short", "flag-default")
            and parts[2] != "global"
        ):
            cmd = parts[2] if parts[2] != "policy check" else "policy check"
        elif fact.kind == "short-across":
            cmd = parts[3]
        elif fact.kind == "short-pair":
            cmd = parts[2]
        elif fact.kind == "nonexistent-flag":
            found = re.search(r"witness (run|sign|verify)\b", fact.answer)
            cmd = found.group(1) if found else "run"
        help_cmd = f"witness {cmd} --help" if cmd else "witness --help"
        table = _GLOBAL_FLAG_WHY if parts[2] == "global" and fact.kind in _GLOBAL_FLAG_WHY else _FLAG_WHY
        why = why or tuple(w.format(help=help_cmd) for w in table[fact.kind])
        if cmd == "verify" and parts[-1] in _VERIFY_INPUT_WHY:
            why += (_VERIFY_INPUT_WHY[parts[-1]],)
        if gr.parse(help_cmd).valid:
            cmds = cmds or (help_cmd,)
    elif fact.kind.startswith("attestor-") and len(parts) >= 3 and parts[2] in INFO:
        name = parts[2]
        spec = ATTESTORS[name]
        records = f"The {name} attestor records {INFO[name].records}."
        if fact.kind == "attestor-type":
            why = why or (
                (
                    "Policy steps compare types as exact strings, so copy it from `witness attestors list`. "
                    + _TYPE_NOTES.get(name, "")
                ).strip(),
                records,
            )
            cmds = cmds or ("witness attestors list", f"witness attestors schema {name}")
        elif fact.kind == "attestor-runtype":
            why = why or (f"`{spec.run_type}` means it runs {_PHASE[spec.run_type]}.", records)
            cmds = cmds or ("witness attestors list",)
        elif fact.kind in ("attestor-name", "attestor-selection", "attestor-exporter"):
            why = why or (records,)
            if name not in ("jwt", "policyverify"):
                cmds = cmds or (run_exported(gr, name), "witness attestors list")
        elif fact.kind == "attestor-cliname":
            why = why or (
                "`witness attestors list` prints the exact names `-a` accepts (it also accepts type URIs).",
            )
            cmds = cmds or ("witness attestors list",)
    elif fact.kind == "attestor-cliname":
        why = why or (
            "`witness attestors list` prints the exact names `-a` accepts (it also accepts type URIs).",
        )
        cmds = cmds or ("witness attestors list",)
    elif fact.kind == "wire-constant" and fact.fid in _WIRE_WHY:
        why = why or (_WIRE_WHY[fact.fid],)
    elif fact.kind == "digest":
        why = why or (
            "`--hashes` on `witness run` picks the algorithms for material and product digests; the default is "
            "`sha256`.",
        )
        cmds = cmds or ("witness run --help",)
    for c in cmds:
        assert gr.parse(c).valid, (fact.fid, c)
    return Fact(
        fact.fid,
        fact.kind,
        fact.questions,
        fact.answer,
        fact.check,
        tuple(w for w in why if w),
        cmds,
        fact.answers,
    )


NO_COLLECTION_OUTPUT = (
    "Witness never prints `no collections found for step <step>`: for a step it found no collection for, go-witness "
    "puts an empty placeholder into the step's results, and `witness verify` logs that placeholder's rejections "
    "under `Step: <step>`: `verification failure: Reason: predicate type  is not a collection predicate type` (two "
    "spaces: the placeholder has no type), `verification failure: Reason: no verifiers present to validate against "
    "collection verifiers` and `verification failure: Reason: failed to verify artifacts for step <step>: no passed "
    "collections present`. They mean that no attestation matched the step (its collection name, a subject digest "
    "equal to the verified one or to a back-reference, and every required attestation type), not that a key or a "
    "predicate type is wrong."
)
"""go-witness policy/policy.go (v0.12.0:253-255, 410-412, 435, 449; the same in v0.9.1 and v0.10.0): the
`ErrNoCollections` error rides in the placeholder and is never logged; witness cmd/verify.go:219-231 logs the
rejection reasons."""


def _no_collection_fact() -> Fact:
    """What witness prints for a step it found no collection for (asked with the error people expect)."""
    return Fact(
        "misc/no-collection-output",
        "misconception",
        (
            "A step's attestation is missing. Does `witness verify` print `no collections found for step "
            "build`?",
            "What does `witness verify` print for a policy step it found no attestation for?",
            "I grepped our verify log for `no collections found for step` and found nothing, yet the `build` "
            "step failed. What do I look for instead?",
            "Why does verify say `predicate type  is not a collection predicate type` for a step when all our "
            "attestations are witness collections?",
            "What do `no verifiers present to validate against collection verifiers` lines under a step with "
            "no `collection rejected` line mean?",
            "Is the `predicate type  is not a collection predicate type` line about a wrong predicateType in "
            "my attestation?",
            "Verify logs `failed to verify artifacts for step package: no passed collections present`. Does that "
            "mean the signature was bad?",
            "Why does the `test` step show `predicate type  is not a collection predicate type` with two spaces?",
            "What has to match for witness to find a collection for a step?",
            "Is it true that `no verifiers present to validate against collection verifiers` means our public key is "
            "wrong?",
            "`witness verify -p policy.signed.json -k policy-pub.pem -f dist/app -a test.json` failed, and under "
            "`Step: deploy` there are only `verification failure` lines, no `collection rejected`. What does that "
            "mean?",
            "So should I grep verify output for `no passed collections present` to spot a missing step attestation?",
        ),
        NO_COLLECTION_OUTPUT,
        _terms(
            [
                ["not a collection predicate type"],
                ["placeholder", "empty", "no collection", "found no", "nothing"],
            ],
            ["witness prints `no collections found", "it prints `no collections found"],
            not_start=["yes"],
        ),
        answers=(f"No: w{NO_COLLECTION_OUTPUT[1:]}", "", "", "", "", f"No: w{NO_COLLECTION_OUTPUT[1:]}"),
    )


@functools.cache
def _catalogue(version: str) -> dict[str, tuple[Fact, ...]]:
    gr = cli_spec.grammar(version)
    facts = (
        _flag_facts(gr)
        + _no_short_facts(gr)
        + _across_facts(gr)
        + _pair_facts(gr)
        + _nonexistent_facts(gr)
        + _attestor_facts(gr)
        + _wire_facts()
        + _digest_facts(gr)
        + _keyid_facts()
        + (
            capture_facts(gr)
            + needs_facts(gr)
            + field_facts(gr)
            + subject_facts(gr)
            + misconception_facts(gr)
            + [_no_collection_fact()]
        )
    )
    facts = [_enrich(f, gr) for f in facts]
    for f in facts:  # a direct answer to one question must be as right as the general answer
        assert len(f.answers) <= len(f.questions), f.fid
        for i, a in enumerate(f.answers):
            assert not a or score_terms(a, f.check, gr.version).ok, (f.fid, i, a)
    ids = [f.fid for f in facts]
    assert len(ids) == len(set(ids)), [k for k, n in Counter(ids).items() if n > 1]
    by_kind: dict[str, list[Fact]] = {}
    for f in facts:
        assert len(set(f.questions)) >= 6, f.fid
        by_kind.setdefault(f.kind, []).append(f)
    return {k: tuple(v) for k, v in by_kind.items()}


KIND_BOOST: dict[str, float] = {
    "attestor-capture": 2.0,
    "attestor-needs": 1.4,
    "predicate-field": 1.4,
    "misconception": 9.0,
    "wire-constant": 2.5,
    "keyid": 2.5,
    "attestor-type": 1.8,
    "attestor-name": 1.3,
    "attestor-runtype": 1.2,
    "attestor-selection": 1.4,
    "attestor-exporter": 1.2,
    "attestor-subjects": 1.5,
    "flag-which": 0.8,
    "flag-what": 0.9,
    "required-group": 0.9,
    "short-pair": 1.2,
}
"""Multipliers on the sqrt-size weight of each kind (facts about attestors and common mistakes first)."""


MISCONCEPTION_GROUPS = "facts/misc/"
"""Group prefix of the misconceptions (`facts_misconceptions`), the hottest of the hot groups."""
HOT_GROUPS = (MISCONCEPTION_GROUPS, "facts/wire/", "facts/keyid/", "facts/attestor/type/")
"""Groups of the facts people get wrong (misconceptions, wire constants and type URIs, key ids, version-dependent
behaviour): the dataset keeps more paraphrases of each (`max_per_group`)."""
HOT_GROUP_FACTOR = 4
"""How many times the dataset's paraphrase cap a hot group other than the misconceptions may have (12 with the
default cap of 3)."""


FACT_GROUP_FACTOR = 2
"""How many times the dataset's paraphrase cap every other fact may have (6 with the default cap of 3). A fact
is one short answer (about 110 tokens), so at the default cap the facts family filled less than its share of
the mix (2,946 of 40,000 examples, about 1 % of the training tokens): a fact that is to be recalled under new
wording needs to be seen under several."""


MISCONCEPTION_GROUP_FACTOR = 12
"""How many times the dataset's paraphrase cap a misconception may have (36 with the default cap of 3): each has
12 question forms, and a fact asked in a user's own words is recalled only after many forms and many exposures
(at 12 paraphrases, about 9 a fact in a 20,000-example set, two-epoch models still answered the common
misconceptions wrong in new wording)."""


def max_per_group(group: str, default: int) -> int:
    """Paraphrases of `group` the dataset keeps when its cap is `default` (read by `generate.dataset`): the most
    for the misconceptions, then the other facts people get wrong, twice `default` for the rest."""
    if group.startswith(MISCONCEPTION_GROUPS):
        return default * MISCONCEPTION_GROUP_FACTOR
    return default * (HOT_GROUP_FACTOR if group.startswith(HOT_GROUPS) else FACT_GROUP_FACTOR)


def kind_weights(version: str | WitnessVersion | None = None) -> tuple[tuple[str, ...], tuple[float, ...]]:
    cat = catalogue(version)
    kinds = (*cat, "required-group")
    weights = tuple(
        (math.sqrt(len(cat[k])) if k in cat else math.sqrt(len(GROUP_CASES) * 4)) * KIND_BOOST.get(k, 1.0)
        for k in kinds
    )
    return kinds, weights


_CMD_LEADS = (
    "For example:",
    "As a full command:",
    "In a command line:",
    "E.g.:",
)
LOOKUP_COMMAND = re.compile(r"^witness (?:[\w ]+ )?--help$|^witness attestors (?:list|schema)\b")
"""Commands that only look something up (`--help`, `attestors list/schema`): named in a sentence at most, never
appended as a block (a model copies such a block instead of stating the fact)."""
USAGE_KINDS = frozenset(
    {
        "attestor-capture",
        "attestor-selection",
        "attestor-name",
        "attestor-exporter",
        "attestor-cliname",
        "misconception",
        "digest",
    }
)
"""Kinds whose questions are about using a command, where a full command line may follow the fact."""


def usage_commands(fact: Fact) -> tuple[str, ...]:
    """The fact's commands that show a real use (a `witness run/sign/verify ...` line), for kinds about usage."""
    if fact.kind not in USAGE_KINDS:
        return ()
    return tuple(c for c in fact.commands if not LOOKUP_COMMAND.match(c))


def compose(rng: random.Random, fact: Fact, gr: cli_spec.Grammar, t: int | None = None) -> str:
    """The answer to question `t` of the fact (its general answer when None), always first, with (usually) a
    reason after it and, for questions about usage, sometimes a full command line; falls back to the bare answer
    when the additions would break the check."""
    answer = fact.answer if t is None else fact.answer_to(t)
    parts = [answer]
    if fact.why and (len(answer) < 80 or rng.random() < 0.8):
        parts.append(phrasing.pick(rng, fact.why))
    cmds = usage_commands(fact)
    if cmds and "```" not in answer and rng.random() < 0.5:
        block = phrasing.pick(rng, cmds)
        parts.append(phrasing.pick(rng, _CMD_LEADS) + f"\n\n```bash\n{block}\n```")
    text = parts[0]
    for p in parts[1:]:
        sep = "\n\n" if "```" in p or text.rstrip().endswith("```") else " "
        text += sep + p
    if text != answer and not score_terms(text, fact.check, gr.version).ok:
        return answer
    return text


COMMON_ATTESTORS = ("git", "environment", "material", "product", "command-run")
"""Attestors every other family already mentions; attestor facts favour the others."""
RARE_ATTESTORS = ("aws", "gcp-iit", "maven", "vex", "oci", "jwt", "policyverify", "sarif")
"""Attestors no other family covers much: drawn most often."""


def _fact_attestor(fact: Fact) -> str:
    """The attestor a fact is about ("" for general facts)."""
    parts = fact.fid.split("/")
    if parts[0] != "attestor" or len(parts) < 3:
        return ""
    if parts[1] == "cliname":
        return data.ATTESTOR_MISSPELLINGS.get(parts[2], "")
    return parts[2] if parts[2] in ATTESTORS else ""


@functools.cache
def _by_attestor(version: str, kind: str) -> dict[str, tuple[Fact, ...]]:
    """The kind's facts by attestor ("" for general ones); empty when no fact of the kind has an attestor."""
    out: dict[str, list[Fact]] = {}
    for f in catalogue(version)[kind]:
        out.setdefault(_fact_attestor(f), []).append(f)
    return {k: tuple(v) for k, v in out.items()} if set(out) != {""} else {}


def pick_fact(rng: random.Random, version: WitnessVersion, kind: str) -> Fact:
    """A fact of `kind`; per-attestor kinds draw the attestor first (rarely covered attestors more often)."""
    by_att = _by_attestor(version.name, kind)
    if not by_att:
        return phrasing.pick(rng, catalogue(version)[kind])
    names = sorted(by_att)
    weights = [0.35 if n in COMMON_ATTESTORS else 1.7 if n in RARE_ATTESTORS else 1.0 for n in names]
    return phrasing.pick(rng, by_att[rng.choices(names, weights=weights)[0]])


@functools.cache
def _neighbours(version: str, fid: str) -> tuple[Fact, ...]:
    """The facts a question about `fid` is asked beside (`facts_beside`), computed once per release."""
    cat = catalogue(version)
    pool = [f for kind in cat for f in cat[kind]]
    return facts_beside.neighbours(fact_by_id(fid, version), pool, versions.get(version))


def make(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Example:
    gr = cli_spec.grammar(version)
    kinds, weights = kind_weights(version)
    kind = rng.choices(kinds, weights=weights)[0]
    if kind == "required-group":
        group, question, answer, check, template = _make_group(rng, gr)
    else:
        fact = pick_fact(rng, version, kind)
        t = rng.randrange(len(fact.questions))
        group, question, check = fact.fid, fact.questions[t], fact.check
        answer = compose(rng, fact, gr, t)
        template = f"facts/{kind}/{t}"
        others = _neighbours(version.name, fact.fid) if rng.random() < facts_beside.BESIDE_SHARE else ()
        if others:
            question = facts_beside.beside(rng, phrasing.pick(rng, others), question)
            template += "/beside"
        for lang, body in answers.code_blocks(answer):
            for line in body.splitlines():
                if lang == "bash" and line.startswith("witness "):
                    assert gr.parse(line).valid, line
    return Example(
        family=NAME,
        group=f"facts/{group}",
        template=template,
        question=phrasing.dress(rng, question),
        answer=answer,
        check=check,
        system=phrasing.system_prompt(rng),
        meta={"kind": kind},
    )


@guarded
def score(answer: str, check: dict[str, Any], ctx: ScoreContext) -> Score:
    if check.get("kind") != "terms":
        return Score.failed("unknown check kind")
    return score_terms(answer, check, ctx.version(check))


FAMILY = Family(
    name=NAME,
    description="Factual Q&A with reasons: witness CLI flags, attestors (what they capture, need, record), "
    "predicate fields, wire constants, digests, key ids and common misconceptions per release.",
    make=make,
    score=score,
    max_per_group=max_per_group,
)
