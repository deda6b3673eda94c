"""Builder `facts`: short questions whose answers are read from the core model, never typed here.

Sources: `witness.attestors` (type URIs, run types, default/opt-in/always selection, exporters, CLI
names), `witness.cli_spec` / `cli_spec_data` (flags, per-subcommand shorthands, defaults, flags and
subcommands that do not exist), wire constants (`witness.intoto`, `witness.policy`), the digest names
of `witness.digests`, and the search depth of `witness.verify`. The check requires the fact (with
generous alternatives) and forbids only wrong claims; the planted answer states a plausible wrong fact.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from witness_evals.bench.builders import Builder
from witness_evals.bench.builders._common import assemble, join_words, names, opening, pick
from witness_evals.bench.task import Task, task_from_mapping
from witness_evals.witness import attestors as A
from witness_evals.witness import cli as cli_spec
from witness_evals.witness import digests, intoto, policy
from witness_evals.witness import verify as wverify
from witness_evals.witness.cli import data as cli_spec_data

NAME = "facts"
COUNT = 121

NO_WORDS = [
    "no",
    "not",
    "doesn't",
    "does not",
    "isn't",
    "is not",
    "won't",
    "will not",
    "don't",
    "do not",
    "never",
    "there is no",
    "no such",
]
YES_WORDS = ["yes", "it does", "it is", "is recorded", "are recorded", "by default", "always"]


@dataclass
class Fact:
    question: list[str]
    """Alternative phrasings of the question (one is used)."""
    require: list[list[str]]
    reference: str
    planted: str
    forbid: list[str] = field(default_factory=list)
    not_start: list[str] = field(default_factory=list)
    kind: str = ""
    forbid_exact: list[str] = field(default_factory=list)
    """Wrong claims that fail wherever they occur (phrases no right answer contains, negated or not)."""
    require_if_asked: list[tuple[str, list[str]]] = field(default_factory=list)
    """(question text, alternatives): required only when the chosen question contains that text."""
    attestor: str | None = None
    context: list[str] = field(default_factory=list)


def _quote(x: str) -> str:
    return f"`{x}`"


# ------------------------------------------------------------------------------ attestors

_TYPED = sorted(n for n, s in A.ATTESTORS.items() if s.selection != "verify-only")


def _wrong_uris(uri: str, name: str) -> list[str]:
    out = []
    m = re.search(r"/v(\d+(?:\.\d+)*)$", uri)
    if m:
        base = uri[: m.start()]
        for v in ("v0.1", "v0.2", "v1", "v1.0", "v0.3"):
            cand = f"{base}/{v}"
            if cand != uri:
                out.append(cand)
    if not uri.startswith("https://witness.dev/attestations/"):
        out.append(f"https://witness.dev/attestations/{name}/v0.1")
    return out


def f_type_uri(rng: random.Random, name: str) -> Fact:
    spec = A.ATTESTORS[name]
    wrong = _wrong_uris(spec.type, name)
    bad = pick(rng, wrong)
    return Fact(
        [
            f"What predicate type URI does the `{name}` attestor use inside a witness collection?",
            f"In a policy step, which `type` string do I list to require the `{name}` attestation?",
            f"Exact type URI for `{name}` attestations, please — the policy compares it as a plain string.",
            f"Which URI identifies the {name} attestor's predicate?",
        ],
        [[spec.type]],
        f"The `{name}` attestor's type is `{spec.type}`; a policy step must list exactly that string.",
        f"It's `{bad}`.",
        forbid=[w for w in wrong if w != spec.type],
        kind="type-uri",
        attestor=name,
    )


def f_sbom_type(rng: random.Random, which: str) -> Fact:
    spec = A.ATTESTORS["sbom"]
    spdx, cdx = spec.aliases[0], spec.aliases[1]
    want = spdx if which == "SPDX" else cdx
    return Fact(
        [
            f"Our sbom step writes an {which} JSON document and we run witness with `-a sbom`. Which attestation type must the policy require for it?",
            f"The collection of our SBOM step — what `type` does the sbom attestation carry when the product is {which} JSON?",
        ],
        [[want]],
        f"When the product is {which} JSON the sbom attestation's type is `{want}` (not the registered `{spec.type}`), so the policy lists `{want}`.",
        f"Use `{spec.type}`, the sbom attestor's type.",
        forbid=[spec.type],
        kind="sbom-type",
        attestor="sbom",
    )


def f_reverse_type(rng: random.Random, name: str) -> Fact:
    spec = A.ATTESTORS[name]
    miss = sorted(k for k, v in cli_spec_data.ATTESTOR_MISSPELLINGS.items() if v == name)
    bad = miss[0] if miss else f"{name}-attestor"
    return Fact(
        [
            f"I see `{spec.type}` in a collection. What name do I give `witness run -a` to record that attestation?",
            f"Which attestor name (for `--attestations`) produces predicates of type `{spec.type}`?",
        ],
        [[name, f"-a {name}", f"--attestations {name}"]],
        f"That's the `{name}` attestor (`-a {name}`)."
        + (
            " It is recorded automatically when a command follows `--`, so you never pass it with `-a`."
            if name == "command-run"
            else ""
        ),
        f"Pass `-a {bad}`.",
        forbid=[m for m in miss if ("-" in m or "_" in m or m == name.replace("-", "")) and m != name],
        kind="reverse-type",
        attestor=name,
    )


def _run_type_terms(run_type: str) -> list[str]:
    """A run type as people write it: `prematerial`, `pre-material`, Go's `PreMaterialRunType`."""
    out = [run_type]
    for prefix in ("pre", "post"):
        if run_type.startswith(prefix):
            out.append(f"{prefix}-{run_type[len(prefix) :]}")
    go = "".join(p.capitalize() for p in re.sub(r"^(pre|post)", r"\1 ", run_type).split())
    return [*out, f"{go}RunType"]


_RUN_TYPE_CLAIMS = (
    "{s} is {a} {w}",
    "{s} runs in the {w}",
    "{s} runs in {w}",
    "{s} runs during the {w}",
    "{s} executes in the {w}",
    "{s} has run type {w}",
)


def _run_type_claims(name: str, right: str) -> tuple[list[str], list[str]]:
    """Wrong run types stated about this attestor (its name or "it" as the subject), and the wrong
    run types an answer must not open with; other attestors' run types may still be mentioned."""
    subjects = (name, f"`{name}`", f"the {name} attestor", f"the `{name}` attestor", "it")
    owners = (f"{name}'s", f"`{name}`'s", f"the {name} attestor's", f"the `{name}` attestor's", "its")
    claims: list[str] = []
    starts: list[str] = []
    for w in A.RUN_TYPES:
        if w == right:
            continue
        terms = _run_type_terms(w)[:-1]
        if w != "verify":
            starts += terms
        for f in (form for t in terms for form in (t, f"`{t}`")):
            a = "an" if w[0] in "aeiou" else "a"
            claims += [tpl.format(s=s, a=a, w=f) for tpl in _RUN_TYPE_CLAIMS for s in subjects]
            claims.append(f"it's {a} {f}")
            claims += [f"{o} run type is {f}" for o in owners]
    return sorted(set(claims)), starts


def _self_named_run_type(name: str, run_type: str) -> list[str]:
    """Where the attestor is named like its run type (`material`), the bare word proves nothing."""
    forms = [f for t in _run_type_terms(run_type)[:-1] for f in (t, f"`{t}`")]
    out = [_run_type_terms(run_type)[-1]]
    for f in forms:
        out += [
            f"{f} phase",
            f"{f} stage",
            f"{f} run type",
            f"run type {f}",
            f"run type is {f}",
            f"run type: {f}",
            f"a {f} attestor",
            f"runs in {f}",
        ]
    return out


def f_run_type(rng: random.Random, name: str) -> Fact:
    spec = A.ATTESTORS[name]
    others = [r for r in A.RUN_TYPES if r not in (spec.run_type, "verify")]
    bad = pick(rng, others)
    wrong, wrong_starts = _run_type_claims(name, spec.run_type)
    right = (
        _self_named_run_type(name, spec.run_type)
        if name in _run_type_terms(spec.run_type)
        else _run_type_terms(spec.run_type)
    )
    return Fact(
        [
            f"In which run phase does the `{name}` attestor execute during `witness run`?",
            f"Lifecycle question: is `{name}` a prematerial, material, execute, product or postproduct attestor?",
            f"When, relative to the wrapped command, does witness run the `{name}` attestor (its run type)?",
        ],
        [right],
        f"`{name}` has run type `{spec.run_type}`.",
        f"It runs in the `{bad}` phase.",
        not_start=wrong_starts,
        kind="run-type",
        attestor=name,
        forbid_exact=wrong,
    )


_OPT_IN_WORDS = [
    "-a",
    "--attestations",
    "opt-in",
    "opt in",
    "not selected by default",
    "not by default",
    "not a default",
    "not one of the default",
    "not one of the defaults",
    "not part of the default",
    "not in the default",
    "not included by default",
    "not recorded by default",
    "isn't a default",
    "isn't one of the default",
    "isn't one of the defaults",
    "isn't part of the default",
    "isn't in the default",
    "isn't included by default",
    "isn't recorded by default",
    "only environment and git",
    "only `environment` and `git`",
    "must be selected",
    "has to be selected",
    "needs to be selected",
    "must select",
    "must be added",
    "has to be added",
    "needs to be added",
    "must add",
]
"""Ways to say an attestor must be asked for (the flag itself, or that it is not a default)."""


def f_selection(rng: random.Random, name: str) -> Fact:
    spec = A.ATTESTORS[name]
    cmd = "witness run -s build -k signer.pem -o out.json -- make"
    q = [
        f"Does a plain `{cmd}` (no `-a`) record the `{name}` attestation?",
        f"Without any `--attestations` flag, will my collection contain `{name}`?",
    ]
    if spec.selection in ("default", "always", "always-with-command"):
        why = {
            "default": "it is one of the defaults of `-a` (`environment,git`)",
            "always": "product and material are always recorded",
            "always-with-command": "command-run is added whenever a command follows `--`",
        }[spec.selection]
        return Fact(
            q,
            [["yes", "it does", "is recorded", "it will", "included"]],
            f"Yes — {why}.",
            f"No, you have to add `-a {name}`.",
            not_start=["no"],
            kind="selection",
            attestor=name,
        )
    return Fact(
        q,
        [NO_WORDS, _OPT_IN_WORDS, [name]],
        f"No. `{name}` is opt-in: add it with `-a`, e.g. `-a environment,git,{name}` to keep the defaults as well.",
        f"Yes, `{name}` is part of the default attestor set.",
        not_start=["yes"],
        kind="selection",
        attestor=name,
    )


def f_exporters(rng: random.Random, name: str) -> Fact:
    flag = f"attestor-{name}-export"
    assert flag in cli_spec.LONG_FLAGS["run"]
    wrong = [f"--export-{name}", f"--{name}-export", f"--attestor-{name}-exporter"]
    return Fact(
        [
            f"How do I make `witness run` write the `{name}` predicate as its own signed file instead of keeping it inside the collection?",
            f"Which flag exports the {name} attestation separately?",
        ],
        [[f"--{flag}"]],
        f"Select the attestor and add `--{flag}`, e.g. `-a environment,git,{name} --{flag}`; witness then writes `<outfile>-{name}.json` next to the collection.",
        f"Use `{wrong[0]}`.",
        forbid=wrong,
        kind="exporter",
        attestor=name,
    )


def f_exporter_set(rng: random.Random, non: str) -> Fact:
    ex = list(A.EXPORTERS)
    flag = f"--attestor-{non}-export"
    exports = non in ex
    return Fact(
        [
            "Which attestors can witness export into a separate attestation file (`--attestor-<name>-export`)?",
            f"Can `{non}` be exported to its own file like SLSA provenance? Which attestors support exporting at all?",
        ],
        [[n] for n in ex],
        f"Only {join_words([_quote(n) for n in ex])} are exporters (`--attestor-<name>-export`); `{non}` is not.",
        f"{join_words([_quote(n) for n in ex[:1]] + [_quote(non)])} can be exported.",
        forbid=[] if exports else [flag, f"{non} can be exported", f"{non}` can be exported"],
        not_start=["no"] if exports else ["yes"],
        kind="exporter-set",
    )


def f_defaults(rng: random.Random, which: str) -> Fact:
    d = list(A.DEFAULT_ATTESTORS)
    always = list(A.ALWAYS_RUN)
    if which == "default":
        return Fact(
            [
                "What does `-a/--attestations` default to on `witness run`?",
                "If I leave out `-a`, which selectable attestors does witness run use?",
            ],
            [[x] for x in d],
            f"The default is `[{','.join(d)}]`; giving `-a` replaces it (product and material are added anyway).",
            "It defaults to all attestors.",
            kind="defaults",
        )
    return Fact(
        [
            "Which attestors end up in every collection no matter what `-a` says?",
            "Which attestations can't be turned off with `-a` on `witness run`?",
        ],
        [[x] for x in always],
        f"{join_words([_quote(x) for x in always])} always run (plus `command-run` whenever a command follows `--`).",
        "Only `environment` and `git`.",
        kind="always-run",
    )


# ------------------------------------------------------------------------------ CLI flags


def _flag_forms(sub: str, long: str) -> list[str]:
    f = cli_spec.LONG_FLAGS[sub][long]
    return [f"--{long}"] + ([f"-{f.short}"] if f.short else [])


def f_shorthand(rng: random.Random, key: str) -> Fact:
    sub, short = key.split(":")
    long = cli_spec.SHORT_FLAGS[sub][short].name
    elsewhere = sorted(
        {
            cli_spec.SHORT_FLAGS[o][short].name
            for o in ("run", "sign", "verify")
            if o != sub and short in cli_spec.SHORT_FLAGS[o]
        }
        - {long}
    )
    bad = (
        elsewhere[0]
        if elsewhere
        else pick(rng, [n for n in ("step", "key", "subject", "timestamp") if n != long])
    )
    return Fact(
        [
            f"On `witness {sub}`, what does `-{short}` stand for?",
            f"What's the long form of `-{short}` for `witness {sub}`?",
            f"In `witness {sub} ... -{short} <value>`, which flag is that?",
        ],
        [[f"--{long}"]],
        f"On `witness {sub}`, `-{short}` is `--{long}`.",
        f"It's `--{bad}`.",
        kind="shorthand",
        context=[sub],
    )


def f_long_to_short(rng: random.Random, key: str) -> Fact:
    sub, name = key.split(":")
    f = cli_spec.LONG_FLAGS[sub][name]
    if f.short:
        others = [o for o in ("a", "k", "s", "t", "f", "o", "p", "d", "r") if o != f.short]
        return Fact(
            [
                f"Does `--{f.name}` have a one-letter form on `witness {sub}`? Which?",
                f"Short flag for `--{f.name}` in `witness {sub}`?",
            ],
            [[f"-{f.short}"]],
            f"`-{f.short}` is the short form of `--{f.name}` there.",
            f"It's `-{pick(rng, others)}`.",
            not_start=["no"],
            kind="long-to-short",
            context=[sub],
        )
    run_short = cli_spec.LONG_FLAGS.get("run", {}).get(f.name)
    extra = (
        f" (on `witness run` it is `-{run_short.short}`)"
        if run_short is not None and run_short.short and sub != "run"
        else ""
    )
    return Fact(
        [
            f"Does `--{f.name}` have a one-letter form on `witness {sub}`?",
            f"Is there a short flag for `--{f.name}` in `witness {sub}`?",
        ],
        [NO_WORDS],
        f"No, on `witness {sub}` `--{f.name}` has no shorthand; spell it out{extra}.",
        f"Yes, `-{f.name[0]}`.",
        not_start=["yes"],
        kind="long-to-short",
        context=[sub],
    )


_DEFAULT_FLAGS = (
    ("run", "hashes"),
    ("run", "archivista-server"),
    ("run", "attestor-product-include-glob"),
    ("run", "attestor-maven-pom-path"),
    ("run", "attestor-secretscan-max-file-size-mb"),
    ("run", "attestor-secretscan-max-decode-layers"),
    ("run", "attestor-k8smanifest-record-cluster-information"),
    ("run", "signer-kms-hashType"),
    ("run", "signer-kms-hashivault-auth-method"),
    ("run", "signer-vault-pki-secrets-engine-path"),
    ("run", "signer-kms-hashivault-transit-secret-engine-path"),
    ("sign", "datatype"),
    ("verify", "policy-commonname"),
    ("verify", "policy-emails"),
    ("verify", "verifier-kms-aws-remote-verify"),
    ("run", "attestor-secretscan-fail-on-detection"),
    ("run", "trace"),
    ("run", "attestor-k8smanifest-server-side-dry-run"),
    ("run", "env-filter-sensitive-vars"),
    ("verify", "enable-archivista"),
)
_WRONG_DEFAULTS = {
    "true": "false",
    "false": "true",
    "sha256": "sha512",
    "pom.xml": "./build.gradle",
    "token": "kubernetes",
    "pki": "secret",
    "transit": "kv",
    "*": "empty",
}


def _default_terms(value: str, name: str = "") -> list[list[str]]:
    inner = value[1:-1] if value.startswith("[") and value.endswith("]") else value
    if inner == "*":
        return [["`*`", '"*"', "[*]", "wildcard", "`[*]`", "'*'"]]
    if value == "true":
        return [["true", "enabled", "on by default", "defaults to on", "default is on", "default on"]]
    if value == "false":
        return [["false", "off", "disabled", "not enabled", "opt-in"]]
    if inner.isdigit() and name.endswith("-mb"):
        return [[inner, f"{inner}MB", f"{inner}MiB", f"{inner}M", f"{inner}-MB"]]
    parts = [p for p in inner.split(",") if p]
    return [[p] for p in parts]


_BOOL_WORDS = {"true": ("true", "on", "enabled"), "false": ("false", "off", "disabled")}


def _bool_default_claims(wrong: str) -> tuple[list[str], list[str]]:
    """Statements that a boolean flag defaults to `wrong`: (phrases a right answer never holds, and
    phrases it may hold negated, e.g. "it is not off by default")."""
    words = _BOOL_WORDS[wrong]
    right = _BOOL_WORDS["true" if wrong == "false" else "false"]
    exact = [
        f"{lead} {f}"
        for lead in ("defaults to", "default is", "default value is", "default:", "default value:")
        for f in (wrong, f"`{wrong}`", f"**{wrong}**")
    ] + [f"{neg} {w} by default" for neg in ("not", "isn't") for w in (*right, f"`{right[0]}`")]
    claims = [f"{w} by default" for w in words] + [f"`{wrong}` by default", f"defaults to {words[1]}"]
    return exact, claims


def f_default_value(rng: random.Random, key: str) -> Fact:
    sub, name = key.split(":")
    flag = cli_spec.LONG_FLAGS[sub][name]
    value = flag.default or ""
    inner = value[1:-1] if value.startswith("[") else value
    wrong = _WRONG_DEFAULTS.get(inner)
    if wrong is None:
        wrong = str(int(inner) * 2) if inner.isdigit() else "nothing (it must be set)"
    shown = "`*`" if inner == "*" else f"`{value}`"
    q = [
        f"What is the default of `--{name}` on `witness {sub}`?",
        f"If I don't pass `--{name}` to `witness {sub}`, what value does it take?",
        f"`witness {sub} --{name}`: default value?",
    ]
    if flag.type == "bool":
        q = [
            f"Is `--{name}` on or off by default for `witness {sub}`?",
            f"Default of the boolean `--{name}` (`witness {sub}`)?",
        ]
    exact, claims = _bool_default_claims(wrong) if value in ("true", "false") else ([], [])
    return Fact(
        q,
        _default_terms(value, name),
        f"`--{name}` defaults to {shown} on `witness {sub}`.",
        f"It defaults to `{wrong}`.",
        forbid=claims,
        kind="default",
        context=[sub],
        forbid_exact=exact,
    )


_BACKTICK = re.compile(r"`([^`]+)`")


def _replacements(expl: str, bogus: str) -> list[tuple[str, str]]:
    """(subcommand, real long flag) pairs named (in long form) in an explanation of a nonexistent flag."""
    found: list[tuple[str, str]] = []
    for span in _BACKTICK.findall(expl):
        for tok in re.split(r"[/ ]", span):
            if not tok.startswith("--") or tok[2:] == bogus:
                continue
            for sub in ("run", "sign", "verify"):
                if tok[2:] in cli_spec.LONG_FLAGS[sub]:
                    found.append((sub, tok[2:]))
    return found


def _valid_flag_claims(name: str, sub: str) -> list[str]:
    """Ways of calling the nonexistent `--name` real on `witness sub` (no right answer holds them)."""
    out = []
    for f in (f"--{name}", f"--{name}`"):
        out += [f"{f} {v}" for v in ("is a valid flag", "is a real flag")]
        out += [
            f"{f} {v} {w}"
            for v in ("works on", "is valid on", "is supported on", "is accepted by")
            for w in (f"witness {sub}", f"`witness {sub}`")
        ]
    return out


_EXISTS_STARTS = [
    "yes",
    "real flag",
    "it's real",
    "it's a real",
    "it's valid",
    "it's a valid",
    "it exists",
    "it works",
]
"""Openings that call a nonexistent flag real."""

_NONEXISTENT = sorted(
    (name, expl) for name, expl in cli_spec_data.NONEXISTENT_FLAGS.items() if _replacements(expl, name)
)


def f_nonexistent_flag(rng: random.Random, key: str) -> Fact:
    name, sub = key.split(":")
    expl = cli_spec_data.NONEXISTENT_FLAGS[name]
    repl = _replacements(expl, name)
    real = next(r for s_, r in repl if s_ == sub)
    forms = sorted({form for s, r in repl for form in _flag_forms(s, r)})
    return Fact(
        [
            f"Is `--{name}` a valid flag for `witness {sub}`? If not, what do I use?",
            f"A blog post uses `witness {sub} --{name} ...`. Does that flag exist in the current CLI?",
            f"`--{name}` on `witness {sub}` — real flag or not?",
        ],
        [NO_WORDS],
        f"No, `--{name}` does not exist. Use `--{real}`"
        + (f" (`-{cli_spec.LONG_FLAGS[sub][real].short}`)" if cli_spec.LONG_FLAGS[sub][real].short else "")
        + ".",
        f"Yes, `--{name}` works on `witness {sub}`.",
        not_start=_EXISTS_STARTS,
        kind="nonexistent-flag",
        context=[sub],
        forbid_exact=_valid_flag_claims(name, sub),
        require_if_asked=[("what do I use", forms)],
    )


_NONEXISTENT_CMDS = sorted(cli_spec_data.NONEXISTENT_COMMANDS.items())


def _cmd_hint(expl: str) -> list[str]:
    """The real commands / tools an explanation of a nonexistent subcommand points to."""
    out: list[str] = []
    for span in _BACKTICK.findall(expl)[1:]:
        for part in span.split("|"):
            words = part.split()
            if not words:
                continue
            if words[0] == "witness" and len(words) > 1:
                real = " ".join(words[1:3]) if " ".join(words[1:3]) in cli_spec.COMMANDS else words[1]
                if real in cli_spec.COMMANDS:
                    out += [f"witness {real}", f"`{real}`"]
            elif words[0].isalpha():
                out.append(words[0])
    return sorted(set(out))


def f_nonexistent_cmd(rng: random.Random, path: str) -> Fact:
    expl = cli_spec_data.NONEXISTENT_COMMANDS[path]
    hint = _cmd_hint(expl)
    return Fact(
        [
            f"How do I use `witness {path}`?",
            f"Is there a `witness {path}` command? What's the real way to do it?",
            f"My colleague swears by `witness {path}`. Does it exist?",
        ],
        [NO_WORDS, hint],
        f"{expl[0].upper() + expl[1:]}.",
        f"Run `witness {path}` with the usual flags.",
        not_start=["yes"],
        kind="nonexistent-command",
    )


def _flag_on_sub_pairs() -> list[str]:
    subs = ("run", "sign", "verify")
    pairs = []
    for a in subs:
        for b in subs:
            if a == b:
                continue
            for name, f in cli_spec.LONG_FLAGS[a].items():
                if (
                    f.is_global
                    or f.hidden
                    or name.startswith(("signer-", "verifier-", "attestor-", "archivist", "help"))
                ):
                    continue
                if name not in cli_spec.LONG_FLAGS[b]:
                    pairs.append(f"{b}:{name}")
    return sorted(set(pairs))


def f_flag_on_sub(rng: random.Random, key: str) -> Fact:
    lacks, name = key.split(":")
    owners = [s for s in ("run", "sign", "verify") if name in cli_spec.LONG_FLAGS[s]]
    return Fact(
        [
            f"Can I pass `--{name}` to `witness {lacks}`?",
            f"Does `witness {lacks}` accept `--{name}`?",
        ],
        [
            NO_WORDS,
            [
                form.format(s)
                for s in owners
                for form in (
                    "witness {}",
                    "`{}`",
                    "{} command",
                    "{} subcommand",
                    "only on {}",
                    "{}-only",
                    "only for {}",
                    "only in {}",
                    "{} flag",
                    "flag of {}",
                    "belongs to {}",
                )
            ],
        ],
        f"No — `--{name}` belongs to {join_words([f'`witness {o}`' for o in owners])}; `witness {lacks}` rejects it as an unknown flag.",
        f"Yes, `witness {lacks}` takes `--{name}` as well.",
        not_start=["yes"],
        kind="flag-on-subcommand",
        context=[lacks],
    )


def f_option_flag(rng: random.Random, name: str) -> Fact:
    att, row = next((a, r) for a, r in cli_spec_data.ATTESTOR_OPTION_FLAGS if r[0] == name)
    _name, _short, _type, _default, desc = row
    decoys = [r[0] for a, r in cli_spec_data.ATTESTOR_OPTION_FLAGS if a == att and r[0] != name] or [
        f"{att}-{name.rsplit('-', 1)[-1]}"
    ]
    return Fact(
        [
            f"Which `witness run` flag of the `{att}` attestor is documented as: “{desc.rstrip('.')}”?",
            f"`{att}` attestor option — the one whose help says “{desc.rstrip('.')}”. What's it called?",
        ],
        [[f"--{name}"]],
        f"`--{name}` (it only takes effect when `{att}` is selected with `-a`).",
        f"`--{pick(rng, decoys)}`.",
        kind="attestor-option",
        attestor=att if att in A.ATTESTORS else None,
    )


# ------------------------------------------------------------------------------ wire constants and digests


def f_wire(rng: random.Random, which: str) -> Fact:
    if which == "collection":
        wrong = intoto.COLLECTION_TYPE.replace("witness.testifysec.com", "witness.dev")
        return Fact(
            [
                "What `predicateType` does the in-toto statement inside a `witness run` envelope have?",
                "Which predicate type marks a witness attestation collection?",
            ],
            [[intoto.COLLECTION_TYPE]],
            f"`{intoto.COLLECTION_TYPE}`.",
            f"`{wrong}`.",
            forbid=[wrong, "https://witness.dev/attestation-collection/v1"],
            kind="wire",
        )
    if which == "statement":
        wrong = "https://in-toto.io/Statement/v1"
        return Fact(
            [
                "Which in-toto statement `_type` does witness write?",
                "`_type` of the statements in witness attestations?",
            ],
            [[intoto.STATEMENT_TYPE]],
            f"`{intoto.STATEMENT_TYPE}`.",
            f"`{wrong}`.",
            forbid=[wrong],
            kind="wire",
        )
    if which == "envelope":
        return Fact(
            [
                "What's the DSSE `payloadType` of a witness attestation envelope?",
                "An attestation file from `witness run` is a DSSE envelope — with which payloadType?",
            ],
            [[intoto.PAYLOAD_TYPE]],
            f"`{intoto.PAYLOAD_TYPE}`.",
            f"`{policy.POLICY_PAYLOAD_TYPE}`.",
            forbid=["application/json"],
            kind="wire",
        )
    return Fact(
        [
            "Which `payloadType` does `witness sign` put on a signed policy by default?",
            "The DSSE envelope of a signed witness policy carries which payload type?",
        ],
        [[policy.POLICY_PAYLOAD_TYPE]],
        f"`{policy.POLICY_PAYLOAD_TYPE}` (the default of `witness sign --datatype`).",
        f"`{intoto.PAYLOAD_TYPE}`.",
        kind="wire",
    )


def f_search_depth(rng: random.Random, _key: str) -> Fact:
    d = wverify.DEFAULT_SEARCH_DEPTH
    words = {3: "three", 4: "four", 2: "two"}
    return Fact(
        [
            "How many rounds of back-reference following does `witness verify` do when looking for a policy's steps?",
            "What search depth does the witness CLI use when it links steps through back-references (git commit, pipeline URL)?",
        ],
        [[str(d), words.get(d, str(d))]],
        f"The library default depth of {d} applies (the CLI does not change it).",
        f"It follows back-references up to {d + 7} levels.",
        kind="search-depth",
    )


def f_hashes(rng: random.Random, bad: str) -> Fact:
    allowed = list(digests.ALLOWED_HASHES)
    if bad != "list":
        return Fact(
            [
                f"Will `witness run --hashes {bad}` work?",
                f"Can I record `{bad}` digests with `--hashes {bad}`?",
            ],
            [NO_WORDS, ["sha256", "sha1"]],
            f"No: `{bad}` is not a supported hash (`failed to parse hash: unsupported hash function: {bad}`). The accepted names are {join_words([_quote(h) for h in allowed], 'and')}.",
            f"Yes, `--hashes {bad}` is supported.",
            not_start=["yes"],
            kind="hashes",
        )
    return Fact(
        [
            "Which hash names does `--hashes` accept?",
            "List the digest algorithms witness knows for `--hashes` and digest sets.",
        ],
        [[h] for h in allowed if h in ("sha256", "sha1")] + [["gitoid:sha256", "gitoid:sha1", "gitoid"]],
        f"{join_words([_quote(h) for h in allowed])}; the default is `sha256`.",
        "sha256, sha384 and sha512.",
        forbid=["sha512", "sha384", "md5"],
        kind="hashes",
    )


FactFn = Callable[[random.Random, str], Fact]


def _keys() -> list[tuple[FactFn, list[str], int]]:
    """Every family with all its possible subjects and how many tasks it gets."""
    nonexist = [f"{n}:{s}" for n, e in _NONEXISTENT for s in sorted({s for s, _ in _replacements(e, n)})]
    run_sign_verify = ("run", "sign", "verify")
    shorts = [
        f"{s}:{k}"
        for s in run_sign_verify
        for k in sorted(cli_spec.SHORT_FLAGS[s])
        if k not in ("h", "c", "l")
    ]
    longs = [
        f"{s}:{f.name}"
        for s in run_sign_verify
        for f in cli_spec.LONG_FLAGS[s].values()
        if not f.is_global and f.name != "help" and not f.hidden
    ]
    with_short = [k for k in longs if cli_spec.LONG_FLAGS[k.split(":")[0]][k.split(":")[1]].short]
    options = [r[0] for _a, r in cli_spec_data.ATTESTOR_OPTION_FLAGS if r[0] in cli_spec.LONG_FLAGS["run"]]
    return [
        (f_type_uri, [n for n in _TYPED if n != "sbom"], 14),
        (f_sbom_type, ["SPDX", "CycloneDX"], 2),
        (f_reverse_type, list(_TYPED), 7),
        (f_run_type, [n for n in _TYPED if n != "policyverify"], 11),
        (f_selection, [n for n in _TYPED if n not in ("jwt", "policyverify")], 11),
        (f_exporters, list(A.EXPORTERS), 3),
        (f_exporter_set, ["git", "environment", "oci", "docker", "k8smanifest", "secretscan", "vex"], 2),
        (f_defaults, ["default", "always"], 2),
        (f_shorthand, shorts, 10),
        (f_long_to_short, with_short + sorted(set(longs) - set(with_short)), 6),
        (f_default_value, [f"{s}:{n}" for s, n in _DEFAULT_FLAGS], 11),
        (f_nonexistent_flag, nonexist, 12),
        (f_nonexistent_cmd, [p for p, e in _NONEXISTENT_CMDS if _cmd_hint(e)], 6),
        (f_flag_on_sub, _flag_on_sub_pairs(), 8),
        (f_option_flag, options, 6),
        (f_wire, ["collection", "statement", "envelope", "policy"], 4),
        (f_search_depth, ["depth"], 1),
        (f_hashes, ["list", "sha512", "sha384", "md5", "SHA256", "sha-256"], 5),
    ]


def _items() -> list[tuple[FactFn, str]]:
    """The suite's facts: a fixed, distinct selection per family, in a fixed interleaved order."""
    out: list[tuple[FactFn, str]] = []
    for fn, keys, quota in _keys():
        keys = sorted(set(keys))
        random.Random(f"facts:{fn.__name__}").shuffle(keys)
        out += [(fn, k) for k in keys[:quota]]
    random.Random("facts:order").shuffle(out)
    return out


ITEMS = _items()

_TAILS = (
    "",
    "",
    "",
    "A one-liner is enough.",
    "No need for a long explanation.",
    "Just the answer, then a sentence of why.",
    "I'd like to be sure before I put it in our runbook.",
    "Answer for witness v0.12.",
)


def build(rng: random.Random, task_id: str) -> Task:
    idx = int(task_id.rsplit("/", 1)[1])
    fn, key = ITEMS[idx % len(ITEMS)]
    fact = fn(rng, key)
    nm = names(rng)
    question = pick(rng, fact.question)
    prompt = assemble(
        rng,
        opening_text=opening(rng, nm) if rng.random() < 0.5 else "",
        facts=[],
        request=question,
        constraints=[pick(rng, _TAILS)],
    )
    require = fact.require + [alts for asked, alts in fact.require_if_asked if asked in question]
    check: dict[str, Any] = {"type": "qa", "require": require}
    if fact.forbid:
        check["forbid"] = fact.forbid
    if fact.forbid_exact:
        check["forbid_exact"] = fact.forbid_exact
    if fact.not_start:
        check["not_start"] = fact.not_start
    raw = {
        "id": task_id,
        "kind": "qa",
        "prompt": prompt,
        "check": check,
        "reference": fact.reference,
        "planted": fact.planted,
        "tags": ["generated", f"fact:{fact.kind}", *fact.context],
        "title": question[:160],
    }
    if fact.attestor:
        raw["attestor"] = fact.attestor
    return task_from_mapping(raw, source="generated")


BUILDER = Builder(NAME, "qa", COUNT, build)
