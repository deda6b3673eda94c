"""Intents around the other subcommands: list attestors, show an attestor's schema, lint a policy
(`witness policy check`), shell completion, the installed version (REFERENCE §2.5)."""

from __future__ import annotations

import random
from typing import Any

from witness_evals.generate.families.cli_usage import names, workloads
from witness_evals.generate.families.cli_usage.built import Built
from witness_evals.generate.families.cli_usage.spec import Spec, check_line, render
from witness_evals.generate.families.cli_usage.text import fence, say
from witness_evals.generate.phrasing import pick
from witness_evals.generate.teach import Lesson
from witness_evals.witness.cli import grammar
from witness_evals.witness.versions import WitnessVersion

QUESTIONS: dict[str, tuple[str, ...]] = {
    "attestors list": (
        "How can I see which attestors my witness binary supports?",
        "Which witness command lists all available attestors?",
        "Is there a witness command that prints every attestor with its type and run type?",
        "Before I write the policy I want to know what `-a` accepts. Where do I see the attestor names?",
        "What do I run to get the table of witness attestors?",
        "Our witness build might be missing some attestors. How do I list the compiled-in ones?",
        "Before I pick values for `-a`, how do I see everything my witness binary can record?",
        "What kinds of evidence can witness collect on this machine? I want the full list of names.",
        "Does our witness build know about the maven attestor? Where can I see what it supports?",
        "I need the names and predicate types of all attestors for a design doc. Can witness print them?",
    ),
    "attestors schema": (
        "How do I print the JSON schema of the `{name}` attestor?",
        "I'm writing Rego against the {name} predicate and keep guessing field names. Can witness show me its schema?",
        "I need the predicate schema for `{name}`. What's the witness command?",
        "How can I see what fields the `{name}` attestor records?",
        "Dump the JSON schema of attestor `{name}` for me.",
        "Where does witness document the shape of a `{name}` attestation?",
        "What fields does the `{name}` predicate have? My Rego keeps reading the wrong keys.",
        "Show me the structure witness uses for `{name}` attestations, straight from the binary.",
    ),
    "policy check": (
        "How do I validate my witness policy `{file}` before signing it?{extra}",
        "Which witness command checks `{file}` for errors?{extra}",
        "Is there a way to lint the policy file `{file}` with witness?{extra}",
        "I want a CI check that statically validates `{file}` (Rego, expiry, keys).{extra} What's the command?",
        "Our policy `{file}` keeps failing at verify time for silly reasons; can witness check it up front?{extra}",
        "Lint `{file}` with witness please.{extra}",
        "I wrote `{file}` by hand. Before I sign it, how do I make sure it's valid?{extra}",
        "Can I catch a broken Rego module or a bad root certificate in `{file}` before anyone runs verify?{extra}",
        "Is `{file}` still well-formed and not expired? Quick way to find out with witness?{extra}",
        "Our pipeline should stop if someone commits a broken policy (`{file}`).{extra} What should that job run?",
    ),
    "completion": (
        "How do I generate {shell} completion for the witness CLI?",
        "What's the witness command that prints the {shell} completion script?",
        "I'd like tab completion for witness in {shell}. Which command produces the script?",
        "Set up witness autocompletion for {shell}?",
        "Can witness complete its own flags in {shell}?",
        "Which witness subcommand generates a {shell} completion script?",
    ),
    "version": (
        "How do I check which version of witness is installed?",
        "What's the witness command that prints its version?",
        "Our runners might have an old witness. How do I see which release they run?",
        "How can I print the version of my witness binary?",
        "Before upgrading I need to know our current witness version. Command?",
        "Which command shows the witness CLI version?",
    ),
}
SCHEMA_NAMES = (
    "git",
    "environment",
    "command-run",
    "product",
    "material",
    "slsa",
    "sbom",
    "github",
    "gitlab",
    "jenkins",
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
    "aws-codebuild",
    "lockfiles",
    "system-packages",
    "omnitrail",
    "jwt",
)
_LOAD = {
    "bash": "source <(witness completion bash)",
    "zsh": 'witness completion zsh > "${fpath[1]}/_witness"',
    "fish": "witness completion fish > ~/.config/fish/completions/witness.fish",
    "powershell": "witness completion powershell | Out-String | Invoke-Expression",
}


def policy_check_summary(version: WitnessVersion) -> str:
    """What `witness policy check` checks in `version` (REFERENCE §2.5; witness cmd/policy_check.go: the public
    key check exists since v0.11.0)."""
    keys = (
        " that every `publickeys` entry parses as a key (its keyid is not recomputed),"
        if version.policy_check_validates_keys
        else ""
    )
    return (
        "`witness policy check` validates the policy file statically: that it parses as JSON, that `expires` "
        "has not passed (an expired policy is an error; with `-v/--verbose` it also warns when fewer than 30 days "
        "are left), that every Rego module parses and compiles with OPA v1 syntax, that every "
        "`certConstraint.roots` id exists in `roots`," + keys + " that the root certificates "
        "are PEM, CA, self-signed, unexpired and do not expire before the policy, and that timestamp-authority "
        "certificates are PEM, CA and unexpired. `-v/--verbose` shows each check, `-q/--quiet` only errors, "
        "`--json` prints the result as JSON."
    )


def json_note(rng: random.Random) -> str:
    """witness cmd/policy_check.go: `ValidationResult` always carries `valid`, `checks_performed`,
    `checks_passed` and `policy_file`; `policy_expiration` is set once the file parses; `errors` and `warnings`
    are `omitempty`, and the only warning (under 30 days left) is added under `verbose && !jsonOutput`, so a
    `--json` result never has `warnings`."""
    return pick(
        rng,
        (
            "With `--json` the result is one object with `valid`, `checks_performed`, `checks_passed` and "
            "`policy_file`, plus `policy_expiration` once the file parses; an `errors` array (each entry with a "
            "`category` and a `message`) appears only when the policy is invalid.",
            "The `--json` object always has `valid`, `policy_file`, `checks_performed` and `checks_passed`; "
            "`policy_expiration` is there as soon as the policy parses, and `errors` only when it fails. The "
            "under-30-days expiry warning is a `-v` feature and never shows up in the JSON.",
            "For CI, read `valid` from the `--json` output (it also reports `checks_performed`, `checks_passed`, "
            "`policy_file` and, once the file parses, `policy_expiration`); `errors` is omitted when the policy "
            "is valid.",
        ),
    )


def make_other(rng: random.Random, version: WitnessVersion) -> Built:
    sub = pick(rng, tuple(QUESTIONS))
    i = rng.randrange(len(QUESTIONS[sub]))
    flags: list[tuple[str, Any]] = []
    args: list[str] = []
    fmt: dict[str, str] = {"extra": ""}
    notes: list[str] = []
    check: list[str] = []
    g = grammar(version)
    if sub == "attestors schema":
        name = pick(rng, SCHEMA_NAMES)
        args = [name]
        fmt["name"] = name
        a = g.attestor_by_name[name]
        why = [
            "`witness attestors schema` takes exactly one attestor, by CLI name or by predicate type, and prints "
            "its JSON schema.",
            f"For `{name}` the predicate type is `{a.type}`, so `witness attestors schema {a.type}` prints the same.",
        ]
        if name in ("product", "material"):
            notes.append(
                f"The schema shows a wrapper property, but on the wire the {name} predicate is the bare map of "
                "paths."
            )
        if name == "sbom":
            notes.append(
                "In a real collection the sbom attestation's type is the SPDX or CycloneDX document type."
            )
    elif sub == "policy check":
        pr = workloads.draw(rng)
        files = [names.fill(rng, names.POLICIES, project=pr.name, org=pr.org)]
        if "sign" not in QUESTIONS[sub][i]:  # a signed envelope is accepted too
            files.append(names.fill(rng, names.SIGNED, project=pr.name, org=pr.org))
        f = pick(rng, files)
        args = [f]
        fmt["file"] = f
        opt = pick(rng, (None, None, "json", "verbose", "quiet"))
        if opt is not None:
            flags.append((opt, True))
            fmt["extra"] = {
                "json": " I need the result as JSON for our CI.",
                "verbose": " Show detailed validation progress.",
                "quiet": " Only errors should be printed.",
            }[opt]
        why = [
            policy_check_summary(version),
            "It accepts a raw policy or a signed envelope (it reads the payload and does not verify the signature).",
        ]
        if opt == "json":
            notes.append(json_note(rng))
        notes.append("It parses Rego with OPA v1 syntax, while `witness verify` evaluates with v0 defaults.")
        if version.policy_check_note:
            notes.append(version.policy_check_note[0].upper() + version.policy_check_note[1:] + ".")
    elif sub == "completion":
        shell = pick(rng, tuple(_LOAD))
        args = [shell]
        fmt["shell"] = shell
        why = [
            f"`witness completion {shell}` prints the completion script for {shell} to stdout; load it in your shell."
        ]
        check = [_LOAD[shell]]
    elif sub == "attestors list":
        why = [
            "`witness attestors list` prints a table with Name, Type and RunType for every attestor compiled into "
            "the binary.",
            "`product`, `material` and `command-run` are marked `(always run)`, `environment` and `git` `(default)`.",
        ]
        check = ["witness attestors schema git"] if rng.random() < 0.5 else []
    else:
        why = [
            "`witness version` prints the release of the binary (`dev` for a build without a release tag).",
            "Flags and defaults differ between releases (`-c` defaulting to `.witness.yaml` only up to v0.10.x, "
            "the passphrase flag removed in v0.11), so it is worth knowing.",
        ]
    question = QUESTIONS[sub][i].format(**fmt)
    spec = Spec(sub, flags, args)
    text = render(spec, rng, version)
    tag = sub.replace(" ", "-")
    intro = ""
    if sub == "completion":
        if args[0] in ("bash", "powershell"):
            intro = say(
                rng,
                ("To load it in the current {s} session:", "Load it into this {s} session with:"),
                s=args[0],
            )
        else:
            intro = say(
                rng,
                ("To install it where {s} looks for completions:", "Install it for new {s} shells:"),
                s=args[0],
            )
    elif sub == "attestors list" and check:
        intro = "Then look at one of them in detail:"
    elif sub == "attestors schema":
        check = [f"witness attestors schema {args[0]} | jq '.[\"$defs\"] | keys'"]
        intro = pick(
            rng, ("To see which type definitions the schema holds:", "Pipe it through jq to browse it:")
        )
    elif sub == "policy check":
        check = [check_line(text, version)]
        intro = pick(
            rng,
            (
                "It exits non-zero when the policy has errors, so it can gate a pipeline. The command itself lints "
                "cleanly:",
                "Lint the command line too, if you wire it into CI:",
            ),
        )
    # the powershell loading line (`| Out-String | Invoke-Expression`) is PowerShell, not bash
    lang = "powershell" if sub == "completion" and args[0] == "powershell" else "bash"
    lesson = Lesson(
        why=why, artifact=fence(lang, text), check=check, check_intro=intro, notes=notes[:3], check_lang=lang
    )
    return Built("other", f"commands/other/{tag}/{i}", question, text, lesson)
