"""Family `rego`: Rego modules that enforce requirements on the predicates of all 25 attestors witness
runs (policyverify only exists inside `witness verify`), asked for in many ways.

A requirement (`rego_model.Req`, catalogues in `rego_reqs_*`) carries its deny rules and realistic
inputs built with the core attestor builders. Intents: `write` (portable v1 module), `portable` (must
also pass `witness policy check`), `v0` (classic syntax, `witness verify` only), `translate` (a
control from a security standard), `combo` (two requirements in one module), `extend` (multi-turn:
the previous answer's module plus one more requirement), `fix` (a syntax trap from REFERENCE §8:
v1 keywords without `import rego.v1`, `deny` as a string or boolean, a wrong input path, no `deny`
rule), `logic` (a module that compiles but denies the wrong things; `fix` and `logic` questions paste the
`witness verify` log of a real run of the core for `LOG_SHARE` of them), `narrative` (the need told in the
user's words, without the predicate path, sometimes with a pasted excerpt of a violating or compliant
attestation) and `jwt` (a rule asked for on the standalone jwt attestation, which the CLI cannot
record: it goes on github's embedded token). Core attestors (git, command-run, environment, product,
material) get the most examples, cloud-identity ones the fewest (`ATTESTOR_WEIGHTS`).

Answers teach: why (the fields read, the syntax witness needs), the whole module, sometimes the
policy's attestation entry with the module's real base64, and how to check it. Scoring runs every
module of an answer in the Rego sandbox in "verify" mode (OPA v0 parser, go-witness result
contract) and, where the question asks for it, parses it as `witness policy check` does (OPA v1).
"""

from __future__ import annotations

import functools
import json
import random
import re
from dataclasses import dataclass, field
from typing import Any

from witness_evals.bench.scorers.base import Score, guarded
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.bench.scorers.rego import score_rego
from witness_evals.generate import rego_questions as Q
from witness_evals.generate import rego_reqs_artifacts, rego_reqs_platform, rego_reqs_source
from witness_evals.generate import worlds as W
from witness_evals.generate.example import Example
from witness_evals.generate.facts_attestors import run_with
from witness_evals.generate.families import Family
from witness_evals.generate.families.cli_usage.text import cap
from witness_evals.generate.phrasing import dress, pick, system_prompt
from witness_evals.generate.rego_model import (
    Bug,
    Req,
    apply_bug,
    attestation_entry,
    b64,
    can_combine,
    combine,
    new_sentences,
    render,
)
from witness_evals.generate.rego_verify_log import verify_log
from witness_evals.generate.teach import Lesson
from witness_evals.generate.teach import render as teach
from witness_evals.generate.traps_requests import own_line_fences
from witness_evals.witness import cli, versions
from witness_evals.witness.attestors import get
from witness_evals.witness.rego import evaluate_deny
from witness_evals.witness.rego.syntax import v0_issues
from witness_evals.witness.versions import WitnessVersion

NAME = "rego"
MODULE_NAME = "policy.rego"

MAKERS = {**rego_reqs_source.MAKERS, **rego_reqs_platform.MAKERS, **rego_reqs_artifacts.MAKERS}
"""Requirement makers per attestor (every attestor `witness run` can record except `jwt`)."""

_CORE = {"git": 3.2, "command-run": 2.2, "environment": 2.2, "product": 2.0, "material": 1.5}
"""The attestors people write Rego for most (what a build ran, from which commit, where, and what it made)."""
_PLATFORM = {"aws": 0.7, "gcp-iit": 0.9, "aws-codebuild": 0.5}
"""Cloud-identity attestors: a small share (their requirements are few and narrow)."""
ATTESTOR_WEIGHTS: dict[str, float] = {a: _CORE.get(a, _PLATFORM.get(a, 0.75)) for a in MAKERS} | {
    "github": 1.3,
    "gitlab": 1.0,
    "jenkins": 0.8,
    "lockfiles": 1.2,
    "k8smanifest": 1.1,
    "sbom": 1.0,
    "jwt": 0.5,
    "slsa": 0.0,
}
"""Attestor draw weights: core attestors get the most examples, CI platforms and common artifact attestors a
middle share, cloud-identity ones the least. No Rego questions on slsa: `witness verify` never evaluates one
(exported, the provenance is not in the collection; kept in it, its protobuf `Struct`s make the collection
unreadable: go-witness attestation/slsa/slsa.go MarshalJSON/UnmarshalJSON over plain encoding/json,
docs/reference-corrections.md). Link stays: a link of a run without `environment` loads (`LINK_NOTE`)."""

INTENT_WEIGHTS: dict[str, float] = {
    "write": 20,
    "portable": 9,
    "v0": 4,
    "translate": 10,
    "combo": 13,
    "extend": 13,
    "fix": 15,
    "logic": 18,
    "narrative": 26,
}
"""Intent draw weights. Classic v0 syntax (`v0`) is a small share: SmolLM2 tuned with a larger one mixed
`deny[msg] {` into modules that `import rego.v1`, which neither parser accepts (witness-bench 2026-12-06)."""
ENTRY_SHARE = 0.15
"""Share of answers that also show the policy's attestation entry with the module's base64. A small model
cannot encode base64, so the blob (a few hundred tokens of the answer) only taught it to emit noise: the
SmolLM2 tuned with a 45 % share carried it in 26 of its 45 hand-written rego answers of witness-bench
(2026-12-06), never the base64 of its module."""
LOGIC_V0_SHARE = 0.3
"""Share of `logic` questions whose module is in classic v0 syntax (as witness's own docs write them); the
fix keeps that syntax in every rule. SmolLM2 tuned without them added `import rego.v1` above a pasted
`deny[msg] {` and left the rules as they were, which neither parser accepts (witness-bench 2026-12-06:
9 of the hand-written answers)."""
TRAPS = ("no-import", "string", "bool", "path", "no-deny")
JWT_TYPE = get("jwt").type


@dataclass
class Built:
    template: str
    question: str
    answer: str
    check: dict[str, Any]
    history: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Names:
    """File and step names a question may state (an answer only uses the stated ones)."""

    step: str
    att_file: str
    policy_file: str
    setup: str
    """The sentence stating them ("" when the question states none)."""
    stated: frozenset[str]


def _names(rng: random.Random, req: Req, state: bool = True) -> Names:
    step = pick(rng, ("build", "release", "package", "deploy", "scan", "test", "sbom", "image"))
    if req.attestor == "link" and req.rid == "name":
        step = req.param  # a link's name is the step name
    # file names drawn as wide as the other families' (a model recalls a frequent name instead of copying)
    att_file = pick(rng, W.OUT_SCHEMES).format(s=step)
    policy = W.policy_files(rng)[0]
    template, mentions = pick(rng, Q.SETUPS)
    if not state or rng.random() >= 0.5:
        return Names(step, att_file, policy, "", frozenset())
    setup = template.format(step=step, att_file=att_file, policy_file=policy)
    return Names(step, att_file, policy, setup, mentions)


# ------------------------------------------------------------------------------------------ explanations

_V1_WHY = (
    "`import rego.v1` with `deny contains msg if {{ ... }}` parses under both parsers witness uses: OPA's v0 "
    "parser in `witness verify` and the v1 parser in `witness policy check`.",
    "The module imports `rego.v1`, so `contains` and `if` are accepted by `witness verify` (which parses with "
    "OPA's v0-compatible parser) as well as by `witness policy check` (v1 parser).",
    "Witness evaluates `data.{pkg}.deny` and needs it to be a set of strings, one per violation; writing it "
    "as `deny contains msg if` with `import rego.v1` keeps the module valid for `witness verify` and "
    "`witness policy check` alike.",
    "Each `deny contains msg if` rule adds a reason to the `deny` set; `witness verify` fails the step if the "
    "set is non-empty. With `import rego.v1` this syntax is valid for both witness parsers.",
    "`witness verify` evaluates the module inside its `policyverify` attestor: any string in `data.{pkg}.deny` "
    "fails the step and the verification summary becomes `FAILED`. `import rego.v1` keeps `deny contains msg "
    "if` valid for that v0-compatible parser and for `witness policy check`.",
)
_V0_WHY = (
    "`witness verify` parses modules with OPA's v0-compatible parser, so the classic `deny[msg] {{ ... }}` "
    "form works; `deny` is a set of strings, one per violation.",
    "This is the classic partial-set form: each `deny[msg]` body that holds adds `msg` to `data.{pkg}.deny`, "
    "and `witness verify` (v0 parser) fails the step when that set is not empty.",
    "`witness verify` runs the module inside its `policyverify` attestor with OPA's v0-compatible parser, so "
    "`deny[msg] {{ ... }}` works; every message in `data.{pkg}.deny` fails the step.",
)
_V0_NOTE = (
    "`witness policy check` parses with the Rego v1 parser and rejects `deny[msg] { ... }`; if you ever lint "
    "with it, switch to `import rego.v1` and `deny contains msg if { ... }`.",
    "Don't run this module through `witness policy check`: its v1 parser rejects the classic `deny[msg]` "
    "form. The portable spelling is `import rego.v1` plus `deny contains msg if`.",
)
_PLACE = (
    "It goes base64-encoded into `regopolicies[].module` of the `{type}` entry in the step's `attestations`.",
    "In the policy, put it in the `regopolicies` list of the step's `{type}` attestation: `module` holds the "
    "file's base64 and `name` is a label such as `{file}`.",
    "Save it as `{file}` and embed its base64 in the `regopolicies` of the `{type}` attestation of the step.",
)
"""Where the module goes; the encoding command itself is given once, in the check list."""
_ENTRY_LEAD = (
    "The step's attestation entry with the module embedded:",
    "In the policy step's `attestations` list (the `module` value is the base64 of exactly that file):",
    "Policy entry, module already base64-encoded:",
)
_B64_INTRO = (
    "The encoding command:",
    "To produce the base64 for `module`:",
    "Encode `{file}` with:",
)
_B64_REDO = (
    "If you edit `{file}`, regenerate `module` with:",
    "After any change to the file, re-encode it:",
)
_COMBINE_WHY = (
    "Several `deny` rules in one package are OR-ed: each adds its own reason, and any reason fails the step.",
    "Rules with the same head add to the same `deny` set, so each rule is an independent check.",
    "Keep one `deny` rule per requirement: witness collects every message, so a violation of any check "
    "fails verification and says which one.",
)
_SBOM_WHY = (
    "Attach it to `{type}`: once the sbom attestor has run, the collection's attestation type is the SBOM "
    "format's URI, not `https://witness.dev/attestations/sbom/v0.1`."
)
_FIX_EXPLAIN = {
    "no-import": (
        "`deny contains msg if {{ ... }}` is Rego v1 syntax, but `witness verify` parses modules with OPA's v0 "
        "parser, which only accepts `contains`/`if` after `import rego.v1` (or the matching `future.keywords` "
        "imports). Adding the import fixes it.",
        "The module uses the v1 keywords `contains` and `if` without `import rego.v1`; `witness verify` parses "
        "with OPA's v0-compatible parser and rejects them. With the import it parses in both witness commands.",
    ),
    "string": (
        "`deny = msg` makes `deny` a single string. Witness reads `{pkg}` and requires a set (or array) of "
        "strings, each one a denial reason, so declare `deny` as a partial set rule.",
        "Witness needs `{pkg}` to be a set of strings; `deny = msg` defines a complete rule whose value is one "
        "string, which witness reports as invalid data. A partial set rule fixes it.",
    ),
    "bool": (
        "`deny if {{ ... }}` makes `deny` a boolean. Witness reads `{pkg}` and requires a set (or array) of "
        "strings, each one a denial reason; `deny contains msg if` gives every rule a message.",
        "A rule without a message is a boolean, and witness rejects a boolean `deny` (it expects a set of "
        "strings at `{pkg}`). Give each rule a message with `deny contains msg if`.",
    ),
    "path": (
        "The Rego `input` is the attestor's predicate itself, not the in-toto statement, so there is no "
        "`input.predicate` wrapper: `input.predicate...` is undefined. {fields}",
        "`input` already *is* the {att} predicate (witness hands each attestation's predicate to Rego), so "
        "`input.predicate.…` never resolves. {fields}",
    ),
    "path-map": (
        "`input.{wrapper}[...]` is undefined: the `{wrapper}` wrapper exists only in the published JSON schema "
        "of the {att} attestor, not in the predicate Rego sees. {fields}",
        "The {att} predicate is a bare map; `{wrapper}` is only a wrapper in `witness attestors schema {att}`. "
        "{fields} Index `input` directly.",
    ),
    "no-deny": (
        "Witness only queries `{pkg}`; a package without a `deny` rule is silently a pass, so `violation` is "
        "never looked at. Rename the rule to `deny`.",
        "`witness verify` builds its query from `data.<package>.deny` and ignores every other rule name; with no "
        "`deny` rule the query is undefined and the check passes silently. Call the rule `deny`.",
    ),
}
_LOGIC_GENERIC = {
    "inverted": "The condition is inverted: a `deny` rule fires when its body is true, so the body must "
    "describe the violation. `{new}` holds for compliant attestations; it must be `{old}`.",
    "neq-missing": "`{new}` is undefined when the field is missing, so the body stops there and nothing is "
    "denied for that attestation; `{old}` is true for a missing field too.",
    "first-only": "`{new}` only looks at the first element, so a violation in any other position goes "
    "unnoticed; `{old}` iterates over all of them.",
    "contains": "`{new}` matches the text anywhere in the string, so values that merely contain it pass as "
    "well; anchor the match with `{old}`.",
    "boundary": "`{new}` is off by one at the limit: the requirement is `{old}`.",
}
_TRANSLATE_LEAD = (
    "In witness terms the control means: {rule}.",
    "Read against the {att} attestation, the control comes down to one condition: {rule}.",
    "For witness this is a check on the {att} predicate: {rule}.",
    "The control maps onto the {att} attestation like this: {rule}.",
)
_EXTEND_LEAD = (
    "Keep the existing rule and add one for the new requirement ({rule}).",
    "Add a second `deny` rule next to the first one; the new rule covers this: {rule}.",
    "The first rule stays as it is, and a new rule handles the added requirement ({rule}).",
    "One more `deny` rule does it; the existing one is unchanged. New requirement: {rule}.",
)
_LOGIC_LEAD = ("", "", "Nothing else in the module needs to change.", "The rest of the module was fine.")
_MSG_DEFAULT = (
    "The message uses `{expr}` rather than the bare field: `sprintf` over a missing (undefined) field is "
    "undefined, so the rule would add no message and an attestation without that field would pass.",
    "`{expr}` keeps the message defined when the field is absent. Built from the bare field, the message would "
    "be undefined for such an attestation, the rule would add nothing to `deny`, and verification would pass "
    "(the module would fail open).",
    "Reading the field through `{expr}` matters: if the field is missing, a message built from it is undefined, "
    "and a `deny` rule without a message denies nothing.",
)
"""Why a message reads a field with `object.get` and a default (`rego_model.got`): the module stays fail-closed."""
_MSG_GET = re.compile(r'^\tmsg := .*?(object\.get\((?:[^()"]|"(?:[^"\\]|\\.)*")*\))', re.M)


# ------------------------------------------------------------------------------------------ traps and bugs


def broken(req: Req, trap: str) -> str:
    """The module with one syntax trap applied."""
    if trap == "no-import":
        return render(req, "v1").replace("import rego.v1\n\n", "")
    if trap == "string":
        return render(req, "v0").replace("deny[msg] {", "deny = msg {")
    if trap == "bool":
        src = render(req, "v1")
        lines = [line for line in src.splitlines() if not line.startswith("\tmsg := ")]
        return "\n".join(lines).replace("deny contains msg if {", "deny if {") + "\n"
    if trap == "path":
        src = render(req, "v1")
        if req.attestor in ("material", "product"):
            wrapper = "Materials" if req.attestor == "material" else "Products"
            return re.sub(
                r"\binput\[",
                f"input.{wrapper}[",
                re.sub(r" in input$", f" in input.{wrapper}", src, flags=re.M),
            )
        # a message's `object.get(input, [...], default)` (`rego_model.got`) takes the same wrong root
        return src.replace("input.", "input.predicate.").replace(
            "object.get(input, ", "object.get(input.predicate, "
        )
    return render(req, "v1").replace("deny contains msg if", "violation contains msg if")


def _outcomes(req: Req, module: str) -> tuple[list[int], list[int], str]:
    """(pass inputs denied, deny inputs passed, first error) of `module` in `witness verify` mode."""
    mods = {MODULE_NAME: module}
    denied_ok: list[int] = []
    passed_bad: list[int] = []
    for i, inp in enumerate(req.pass_inputs()):
        out = evaluate_deny(mods, inp)
        if out.status != "ok":
            return [], [], out.error or out.status
        if out.deny:
            denied_ok.append(i)
    for i, inp in enumerate(req.deny_inputs()):
        out = evaluate_deny(mods, inp)
        if out.status != "ok":
            return [], [], out.error or out.status
        if not out.deny:
            passed_bad.append(i)
    return denied_ok, passed_bad, ""


def symptom(req: Req, module: str) -> str:
    """What `witness verify` does with a wrong module, as a clause ("" when it behaves correctly)."""
    issues = v0_issues(module)
    if issues:
        return f"`witness verify` fails with `rego_parse_error: {issues[0].message}`"
    denied_ok, passed_bad, error = _outcomes(req, module)
    if error:
        if "rego_parse_error: " in error:
            return (
                f"`witness verify` fails with `rego_parse_error: {error.split('rego_parse_error: ', 1)[1]}`"
            )
        if error.startswith("invalid data from rego"):
            return f"`witness verify` fails with `{error}`"
        return "`witness verify` fails with a Rego error"
    n_pass, n_deny = len(req.pass_inputs()), len(req.deny_inputs())
    if denied_ok and passed_bad:
        return f"it rejects compliant attestations and still lets {req.bad_desc[passed_bad[0]]} through"
    if denied_ok:
        return (
            "it rejects every attestation, even compliant ones"
            if len(denied_ok) == n_pass
            else ("it also rejects attestations that meet the requirement")
        )
    if passed_bad:
        if len(passed_bad) == n_deny:
            return f"it never denies anything, not even {req.bad_desc[passed_bad[0]]}"
        return f"{req.bad_desc[passed_bad[0]]} still passes verification"
    return ""


def generic_bugs(req: Req) -> list[Bug]:
    """Logic mistakes derivable from any module: an inverted `not`, `!=` on a field that can be missing."""
    out: list[Bug] = []
    src = render(req, "v1")
    m = re.search(r"^\tnot (.+)$", src, re.M)
    if m:
        out.append(Bug("inverted", f"\tnot {m.group(1)}\n", f"\t{m.group(1)}\n", _LOGIC_GENERIC["inverted"]))
    m = re.search(r"^\t(input\.\S+) != (.+)$", src, re.M)
    if m:
        out.append(
            Bug(
                "inverted",
                f"\t{m.group(1)} != {m.group(2)}\n",
                f"\t{m.group(1)} == {m.group(2)}\n",
                _LOGIC_GENERIC["inverted"],
            )
        )
    m = re.search(r"^\tnot (input\.[\w.\[\]\"-]+) == (.+)$", src, re.M)
    if m:
        out.append(
            Bug(
                "neq-missing",
                f"\tnot {m.group(1)} == {m.group(2)}\n",
                f"\t{m.group(1)} != {m.group(2)}\n",
                _LOGIC_GENERIC["neq-missing"],
            )
        )
    return out + _more_generic_bugs(src)


def _more_generic_bugs(src: str) -> list[Bug]:
    out: list[Bug] = []
    m = re.search(r"^\tsome (\w+) in (\S+)$", src, re.M)
    if m:
        out.append(
            Bug(
                "first-only",
                f"\tsome {m.group(1)} in {m.group(2)}\n",
                f"\t{m.group(1)} := {m.group(2)}[0]\n",
                _LOGIC_GENERIC["first-only"],
            )
        )
    m = re.search(r"^\t(not )?(startswith|endswith)\((.+), (\"[^\"]*\")\)$", src, re.M)
    if m:
        old = m.group(0).strip()
        new = f"{m.group(1) or ''}contains({m.group(3)}, {m.group(4)})"
        out.append(Bug("contains", old, new, _LOGIC_GENERIC["contains"]))
    m = re.search(r"^\t(.+) (>|<|>=|<=) (\d+(?:\.\d+)?)$", src, re.M)
    if m:
        flip = {">": ">=", "<": "<=", ">=": ">", "<=": "<"}[m.group(2)]
        out.append(
            Bug(
                "boundary",
                m.group(0).strip(),
                f"{m.group(1)} {flip} {m.group(3)}",
                _LOGIC_GENERIC["boundary"],
            )
        )
    return out


_LOGIC_ALT = {
    "inverted": (
        "The test is the wrong way round. A `deny` rule fires when every line of its body holds, so the body has "
        "to describe the *violation*: `{new}` is true for good attestations, the line must read `{old}`.",
        "That rule denies exactly the compliant case: `{new}` holds when the requirement is met. Negate it "
        "(`{old}`) so the body describes a violation.",
    ),
    "neq-missing": (
        "When the field is absent, `{new}` is undefined rather than true, so the rule silently stops matching; "
        "`{old}` also covers the missing case.",
    ),
    "first-only": ("`{new}` checks a single element; `{old}` looks at all of them.",),
    "contains": ("`contains` accepts the text anywhere; the requirement needs `{old}`.",),
    "boundary": ("The comparison is off by one: `{new}` instead of `{old}`.",),
}


def _bug_why(bug: Bug, rng: random.Random | None = None) -> str:
    if bug.bid not in _LOGIC_GENERIC:
        return bug.why
    options = (bug.why, *_LOGIC_ALT.get(bug.bid, ()))
    text = pick(rng, options) if rng is not None else bug.why
    return text.format(old=bug.old.strip(), new=bug.new.strip())


# ------------------------------------------------------------------------------------------ answers


def _ci(rng: random.Random, req: Req, names: Names) -> str:
    """A CI job that records the requirement's attestor (the CI system of the attestor, if it is one); it
    writes the attestation to `names.att_file`, so it never contradicts a setup sentence naming that file.
    A link job records no `environment` (`rego_reqs_artifacts.LINK_NOTE`: only then can verify load it)."""
    system = req.attestor if req.attestor in ("github", "gitlab", "jenkins", "aws-codebuild") else ""
    system = system or pick(rng, ("github", "gitlab", "jenkins", "make"))
    cmd = run_with(cli.grammar(), req.attestor, names.step)
    if req.attestor == "link":  # a run that also records environment writes a collection verify cannot load
        cmd = cmd.replace("-a environment,git,link ", "-a git,link ", 1)
        assert "environment" not in cmd, cmd
    out = f" -o {names.step}.json "
    assert cmd.count(out) == 1, cmd
    return Q.ci_snippet(system, cmd.replace(out, f" -o {names.att_file} "))


def _fill(template: str, req: Req, names: Names, rng: random.Random, **extra: str) -> str:
    situation = pick(rng, Q.SITUATIONS.get(req.attestor, ("",)))
    if "{ci}" in template:
        extra = {**extra, "ci": _ci(rng, req, names)}
    text = template.format(
        att=req.attestor,
        type=req.type_uri(),
        rule=req.rule,
        ask=req.ask,
        control=req.control,
        situation=situation,
        setup=names.setup if "{setup}" in template else "",
        jwt_type=JWT_TYPE,
        **extra,
    )
    text = re.sub(r"(?<=\S)  +", " ", text).strip()
    if names.setup and "{setup}" not in template:
        if rng.random() < 0.5:
            text = names.setup + ("\n\n" if text.startswith("```") else " ") + text
        else:
            text = text + ("\n\n" if text.endswith("```") else " ") + names.setup
    return text


def _checks(rng: random.Random, req: Req, names: Names, style: str, version: WitnessVersion) -> list[str]:
    file = req.file_name()
    cmds = [f"base64 -w0 {file}"]
    if "att_file" in names.stated:
        pred = f"{req.attestor}-input.json"
        cmds.append(
            f"jq -r .payload {names.att_file} | base64 -d | jq '.predicate.attestations[] | "
            f'select(.type == "{req.type_uri()}") | .attestation\' > {pred}'
        )
        if rng.random() < 0.5:
            v0 = " --v0-compatible" if style == "v0" else ""
            cmds.append(f"opa eval{v0} -d {file} -i {pred} 'data.{req.package}.deny'")
        else:
            mode = "" if style == "v0" or rng.random() < 0.5 else " --mode policy-check"
            cmds.append(f"witness-evals check rego {file} --input {pred}{mode}")
    if style == "v1" and "policy_file" in names.stated:
        cmds.append(f"witness policy check {names.policy_file}")
    return cmds


def _lesson(
    rng: random.Random,
    req: Req,
    names: Names,
    style: str,
    version: WitnessVersion,
    lead: list[str],
    extra_notes: list[str] | None = None,
    said: str = "",
) -> str:
    """One answer; `said` is what earlier turns already told the user (not repeated here)."""
    module = render(req, style)
    file = req.file_name()
    pkg = req.package
    why = [*lead]
    if len(why) < 3 and not any(req.fields in w for w in why):
        why.append(req.fields)
    if len(why) < 3:
        why.append(pick(rng, _V1_WHY if style == "v1" else _V0_WHY).format(pkg=pkg))
    artifact = f"```rego\n{module}```"
    notes: list[str] = []
    if req.attestor == "sbom":
        notes.append(_SBOM_WHY.format(type=req.type_uri()))
    with_entry = rng.random() < ENTRY_SHARE
    if with_entry:
        entry = attestation_entry(req, module, file)
        artifact += "\n\n" + pick(rng, _ENTRY_LEAD).format(file=file) + f"\n\n```json\n{entry}\n```"
    elif not _said(_PLACE, said, type=req.type_uri(), file=file):
        notes.append(pick(rng, _PLACE).format(type=req.type_uri(), file=file))
    if req.note:
        notes.append(req.note)
    get = _MSG_GET.search(module)
    if get and not _said(_MSG_DEFAULT, said, expr=get.group(1)):
        notes.append(pick(rng, _MSG_DEFAULT).format(expr=get.group(1)))
    if style == "v0" and not _said(_V0_NOTE, said):
        notes.append(pick(rng, _V0_NOTE))
    notes += extra_notes or []
    checks = _checks(rng, req, names, style, version)
    if any(c.startswith("witness policy check") for c in checks) and version.policy_check_note:
        notes.append(version.policy_check_note + ".")
    if rng.random() < 0.12 and len(req.bases) > 1:
        if version.rego_on_every_attestation:
            notes.append(
                f"In {version.label} the module runs against every `{req.type_uri()}` attestation of a collection "
                "(older releases, up to witness v0.11, evaluated only the last one of each type)."
            )
        else:
            notes.append(
                f"In {version.label} witness evaluates the module against the last `{req.type_uri()}` attestation "
                f"of a collection only; {versions.since('rego_on_every_attestation')} it runs on every one."
            )
    notes = [n for n in dict.fromkeys(notes) if n not in said]
    intro = pick(rng, _B64_REDO if with_entry else _B64_INTRO).format(file=file) if len(checks) == 1 else ""
    return teach(rng, Lesson(why=why, artifact=artifact, check=checks, check_intro=intro, notes=notes))


def _said(variants: tuple[str, ...], said: str, **fmt: str) -> bool:
    """Whether an earlier turn already gave one of these sentences."""
    return bool(said) and any((v.format(**fmt) if fmt else v) in said for v in variants)


def _check(req: Req, *, policy_check: bool) -> dict[str, Any]:
    return {
        "kind": "rego",
        "attestor": req.attestor,
        "type": req.type_uri(),
        "cond": req.rid,
        "param": req.param,
        "policy_check": policy_check,
        "pass_inputs": req.pass_inputs(),
        "deny_inputs": req.deny_inputs(),
    }


def _pick_template(rng: random.Random, intent: str) -> tuple[int, str]:
    forms = Q.INTENTS[intent]
    idx = rng.randrange(len(forms))
    return idx, forms[idx]


NEAR_MISS_SHARE = 0.35
"""Share of `write`/`translate` questions that also name a near-miss case that must fail (a look-alike branch,
an extra tag): the module's value is the requirement's, not the other one the prompt mentions (Gemma 3 270M
took values from a prompt's aside, witness-bench 2026-12-07)."""
_NEAR_MISS = (
    "Careful: {b} must fail.",
    "To be clear, {b} has to be rejected.",
    "For example, {b} must not pass.",
    "(We were bitten by {b} once; that has to be denied.)",
)


def _with_near_miss(rng: random.Random, question: str, req: Req) -> str:
    """`question` with one of the requirement's denied cases named before or after it."""
    said = pick(rng, _NEAR_MISS).format(b=pick(rng, req.bad_desc))
    if question.endswith("```"):
        return said + " " + question if not question.startswith("```") else question + "\n\n" + said
    return question + " " + said


def _write(rng: random.Random, req: Req, intent: str, version: WitnessVersion) -> Built:
    names = _names(rng, req)
    idx, form = _pick_template(rng, intent)
    style = "v0" if intent == "v0" else "v1"
    question = _fill(form, req, names, rng)
    if intent in ("write", "translate") and req.bad_desc and rng.random() < NEAR_MISS_SHARE:
        question = _with_near_miss(rng, question, req)
    lead: list[str] = []
    if intent == "translate":
        lead.append(pick(rng, _TRANSLATE_LEAD).format(rule=req.rule, att=req.attestor))
    answer = _lesson(rng, req, names, style, version, lead)
    return Built(f"rego/{intent}/{idx}", question, answer, _check(req, policy_check=intent == "portable"))


@functools.cache
def _shape(maker: Any) -> tuple[str, frozenset[str], str]:
    """(type URI, touched fields, id) of a maker's requirement, drawn once (to pick partners cheaply)."""
    req = maker(random.Random(0))
    return req.type_uri(), req.touches, req.rid


def _partner(rng: random.Random, req: Req) -> Req | None:
    makers = []
    for m in MAKERS[req.attestor]:
        type_uri, touches, rid = _shape(m)
        if type_uri == req.type_uri() and not (touches & req.touches) and rid not in req.rid.split("+"):
            makers.append(m)
    rng.shuffle(makers)
    for mk in makers[:2]:
        other = mk(rng)
        if can_combine(req, other):
            return other
    return None


def _combo(rng: random.Random, req: Req, other: Req, version: WitnessVersion) -> Built:
    """Two requirements in one module, or three (a third partner of the pair, a third of the time): asked in one
    sentence, or as a numbered or bulleted list (always for three), which people write and a small model must
    not cut short after the first item (Gemma 3 270M wrote only the first of a listed pair, witness-bench
    2026-12-07)."""
    both = combine(req, other)
    third = _partner(rng, both) if rng.random() < 0.35 else None
    parts = [req, other] if third is None else [req, other, third]
    if third is not None:
        both = combine(both, third)
    names = _names(rng, req)
    if len(parts) == 2 and rng.random() < 0.5:
        idx, form = _pick_template(rng, "combo")
        template, question = f"rego/combo/{idx}", _fill(form, both, names, rng)
    else:
        idx, form = _pick_template(rng, "combo-list")
        mark = pick(rng, ("1.", "-", "*"))
        listed = "\n".join(
            f"{f'{i}.' if mark == '1.' else mark} {cap(p.rule)}" for i, p in enumerate(parts, 1)
        )
        n = ("two", "three")[len(parts) - 2]
        template = f"rego/combo-list/{idx}"
        question = _fill(form, both, names, rng, listed=listed, n=cap(n) if form.startswith("{n}") else n)
    answer = _lesson(rng, both, names, "v1", version, [both.fields, pick(rng, _COMBINE_WHY)])
    return Built(template, question, answer, _check(both, policy_check=False))


def _extend(rng: random.Random, req: Req, other: Req, version: WitnessVersion) -> Built:
    names = _names(rng, req, state=False)
    style = "v0" if rng.random() < 0.3 else "v1"
    first = _pick_template(rng, "write")[1]
    first = pick(rng, Q.FIRST_TURN) if rng.random() < 0.5 else first
    prev_q = _fill(first, req, names, rng)
    prev_a = _lesson(rng, req, names, style, version, [])
    both = combine(req, other)
    idx, form = _pick_template(rng, "extend")
    question = _fill(form, other, names, rng)
    lead = [
        pick(rng, _EXTEND_LEAD).format(rule=other.rule),
        new_sentences(req.fields, other.fields),
        pick(rng, _COMBINE_WHY),
    ]
    answer = _lesson(rng, both, names, style, version, lead, said=prev_a)
    history = [{"role": "user", "content": _dress(rng, prev_q)}, {"role": "assistant", "content": prev_a}]
    return Built(f"rego/extend/{idx}", question, answer, _check(both, policy_check=False), history)


def _fix(rng: random.Random, req: Req, version: WitnessVersion) -> Built | None:
    traps = list(TRAPS)
    rng.shuffle(traps)
    for trap in traps:
        module = broken(req, trap)
        sym = symptom(req, module)
        if sym:
            break
    else:
        return None
    names = _names(rng, req)
    key, wrapper = trap, ""
    if trap == "path" and req.attestor in ("material", "product"):
        key, wrapper = "path-map", "Materials" if req.attestor == "material" else "Products"
    lead = pick(rng, _FIX_EXPLAIN[key]).format(
        pkg=f"data.{req.package}.deny", fields=req.fields, att=req.attestor, wrapper=wrapper
    )
    template, question, answer = _asked(rng, req, names, ("fix", trap), module, sym, "v1", version, lead)
    check = _check(req, policy_check=False) | {"broken": module, "trap": trap}
    return Built(template, question, answer, check)


def _logic(rng: random.Random, req: Req, version: WitnessVersion) -> Built | None:
    own, generic = list(req.bugs), generic_bugs(req)
    rng.shuffle(own)
    rng.shuffle(generic)
    if rng.random() < 0.6:  # inverted conditions fit every module: prefer the other mistakes
        generic.sort(key=lambda b: b.bid == "inverted")
    bugs = own + generic if rng.random() < 0.7 else generic + own
    style = "v0" if rng.random() < LOGIC_V0_SHARE else "v1"
    for bug in bugs:
        module = apply_bug(req, bug, style)
        sym = symptom(req, module) if module else ""
        if sym and not sym.startswith("`witness verify` fails"):
            break
    else:
        return None
    names = _names(rng, req)
    lead = " ".join(x for x in (_bug_why(bug, rng), pick(rng, _LOGIC_LEAD)) if x)
    template, question, answer = _asked(
        rng, req, names, ("logic", bug.bid), module, sym, style, version, lead
    )
    check = _check(req, policy_check=False) | {"broken": module, "bug": bug.bid}
    return Built(template, question, answer, check)


def _asked(
    rng: random.Random,
    req: Req,
    names: Names,
    kind: tuple[str, str],
    module: str,
    sym: str,
    style: str,
    version: WitnessVersion,
    lead: str,
) -> tuple[str, str, str]:
    """(template, question, answer) of a question about the broken `module`: its real `witness verify` log
    (`_logged`) or else `sym` in words; `kind` = (intent, trap or bug id); `lead` explains the mistake."""
    intent, tag = kind
    logged = _logged(rng, req, names, module, style, version)
    if logged is not None:
        question, suffix, reading = logged
        template, lead = f"rego/{intent}/{tag}/{suffix}", f"{reading} {lead}"
    else:
        idx, form = _pick_template(rng, intent)
        question = _fill(form, req, names, rng, symptom=sym, Symptom=sym[:1].upper() + sym[1:], module=module)
        template = f"rego/{intent}/{tag}/{idx}"
    answer = _lesson(rng, req, names, style, version, [_with_change(rng, lead, module, render(req, style))])
    return template, question, answer


LOG_SHARE = 0.45
"""Share of fix and logic questions that paste what `witness verify` printed (a real run of the core,
`rego_verify_log`) instead of naming the symptom: people paste the log, and Gemma 3 270M tuned on
one-line symptoms repeated the broken module for 7 hand-written tasks that did (witness-bench 2026-12-07)."""
_READ_LOG = {
    "parse": (
        "The rejection ends in `rego_parse_error`: `witness verify` could not even parse the module, so no "
        "attestation can pass it.",
        "`rego_parse_error` in the log means the rule never ran: the module does not parse under "
        "`witness verify`'s parser.",
    ),
    "data": (
        "The log says `invalid data from rego`, not `policy was denied`: the module ran, but `deny` is not a set "
        "of strings.",
        "That rejection is an error, not a denial: `invalid data from rego at data.{pkg}.deny` means the value "
        "of `deny` has the wrong type.",
    ),
    "denied": (
        "The step was rejected with your own message (`{msg}`) although the attestation meets the rule, so the "
        "condition is wrong, not the build.",
        "`policy was denied due to: {msg}` on a compliant build means the rule fires when it should not.",
    ),
    "passed": (
        "`Verification succeeded` for {case}: the module's `deny` set stayed empty, so its condition never "
        "matched.",
        "Verification passed {case}, so nothing was added to `deny` for it: the rule does not catch the case it "
        "exists for.",
    ),
}
_DENIED = re.compile(r"policy was denied due to: (.+?) ?\"?$", re.M)


def _logged(
    rng: random.Random, req: Req, names: Names, module: str, style: str, version: WitnessVersion
) -> tuple[str, str, str] | None:
    """(question, template suffix, the answer's reading of the log) of a question that pastes the real
    `witness verify` log of `module`, for `LOG_SHARE` of the calls; None otherwise or when no log shows
    the mistake."""
    if rng.random() >= LOG_SHARE:
        return None
    log = verify_log(
        req, module, render(req, style), step=names.step, att_file=names.att_file, policy_file=names.policy_file,
        rng=rng, version=version, tty=rng.random() < 0.6,
    )  # fmt: skip
    if log is None:
        return None
    case = "" if log.compliant else req.bad_desc[log.index]
    error = (
        "parse" if "rego_parse_error" in log.text else "data" if "invalid data from rego" in log.text else ""
    )
    if log.passed:
        which, forms, reading = "passes", Q.FIX_LOG_PASSES, "passed"
    elif log.compliant:
        which, forms, reading = "fails", Q.FIX_LOG_FAILS, error or "denied"
    elif error:
        which, forms, reading = "errors", Q.FIX_LOG_ERRORS, error
    else:  # a violating build denied with another message: the log shows no mistake a user would ask about
        return None
    idx = rng.randrange(len(forms))
    # the log goes in after `_fill`, which collapses runs of spaces (the log's padded levels are exact)
    question = _fill(forms[idx], req, names, rng, module=module, log="\x00", case=case)
    question = question.replace("\x00", log.text)
    m = _DENIED.search(log.text)
    sentence = pick(rng, _READ_LOG[reading]).format(pkg=req.package, msg=m.group(1) if m else "", case=case)
    return question, f"log-{which}{idx}", sentence


def _with_change(rng: random.Random, lead: str, broken_module: str, fixed: str) -> str:
    """`lead` plus the one line that changes between the user's module and the fix, when it is one line
    (an answer that names it does not copy the broken module back)."""
    old = [ln.strip() for ln in broken_module.splitlines() if ln.strip()]
    new = [ln.strip() for ln in fixed.splitlines() if ln.strip()]
    removed = [ln for ln in old if ln not in new]
    added = [ln for ln in new if ln not in old]
    if len(removed) == 1 and len(added) == 1:
        line = pick(rng, ("The line that changes: `{a}` becomes `{b}`.", "Changed line: `{a}` → `{b}`."))
        return f"{lead} {line.format(a=removed[0], b=added[0])}"
    if not removed and len(added) == 1:
        return f"{lead} " + pick(rng, ("The one line to add: `{b}`.", "Added line: `{b}`.")).format(
            b=added[0]
        )
    return lead


_NARRATIVE_LEAD = (
    "This is a check on the `{att}` attestation of the step: {rule}.",
    "Witness already records what you need in the {att} attestation; the rule to enforce is that {rule}.",
    "In policy terms: {rule}. That is a Rego module on the `{type}` attestation.",
    "The `{att}` attestor's predicate has the data, so a `deny` rule on `{type}` covers it: {rule}.",
)

_EXCERPT_CONTEXT = 3
_EXCERPT_MAX = 1400


def _focus(value: Any, other: Any, depth: int = 0) -> Any:
    """`value` reduced to what differs from `other`, plus a little context (a pasted attestation excerpt).

    Only differing entries are reduced further: a context entry is shown whole, and so is a record with a
    `digest` (a product or material: go-witness always writes its `digest`, attestation/context.go), so the
    excerpt never shows a record shape witness does not write."""
    if not isinstance(value, dict) or not isinstance(other, dict) or depth > 1 or "digest" in value:
        return value
    diff = [k for k in value if value.get(k) != other.get(k)]
    context = [
        k
        for k in value
        if k not in diff and not k.startswith(".git/") and not isinstance(value[k], (dict, list))
    ][:_EXCERPT_CONTEXT]
    if not context:
        context = [k for k in value if k not in diff and not k.startswith(".git/")][:_EXCERPT_CONTEXT]
    keep = [k for k in value if k in diff or k in context]
    return {k: _focus(value[k], other.get(k), depth + 1) if k in diff else value[k] for k in keep}


def excerpt(req: Req, rng: random.Random) -> tuple[str, str]:
    """("bad" | "good", JSON excerpt of a violating or compliant predicate around the fields the requirement
    reads), or ("", "") when no short excerpt exists."""
    goods, bads = req.pass_inputs(), req.deny_inputs()
    i = rng.randrange(len(bads))
    good, bad = goods[i % len(req.bases)], bads[i]
    which = "bad" if rng.random() < 0.6 else "good"
    value, other = (bad, good) if which == "bad" else (good, bad)
    shown = _focus(value, other)
    text = json.dumps(shown, indent=2)
    if (
        not isinstance(shown, dict)
        or len(shown) < 2
        or len(text) > _EXCERPT_MAX
        or not _visible(value, other)
    ):
        return "", ""
    return which, text


def _visible(value: Any, other: Any, depth: int = 0) -> bool:
    """Whether `_focus(value, other)` shows a difference: not when `value` only lacks keys that `other` has (a
    deny input that removes a field, such as a gitlab attestation without `jwt`, would paste bare context)."""
    if not isinstance(value, dict) or not isinstance(other, dict) or depth > 1 or "digest" in value:
        return value != other
    return any(_visible(value[k], other.get(k), depth + 1) for k in value if value[k] != other.get(k))


def _narrative(rng: random.Random, req: Req, version: WitnessVersion) -> Built | None:
    """The need told in the user's own words (no predicate path), sometimes with a pasted excerpt."""
    if not req.story:
        return None
    names = _names(rng, req)
    story = pick(rng, req.story)
    which, text = excerpt(req, rng) if rng.random() < 0.45 else ("", "")
    forms = {"bad": Q.NARRATIVE_BAD, "good": Q.NARRATIVE_GOOD}.get(which, Q.NARRATIVE)
    idx = rng.randrange(len(forms))
    kind = f"narrative-{which}" if which else "narrative"
    question = _fill(forms[idx], req, names, rng, story=story, excerpt=text)
    lead = [pick(rng, _NARRATIVE_LEAD).format(att=req.attestor, type=req.type_uri(), rule=req.rule)]
    answer = _lesson(rng, req, names, "v1", version, lead)
    return Built(f"rego/{kind}/{idx}", question, answer, _check(req, policy_check=False))


_JWT_WHY = (
    "The standalone `jwt` attestor is never in a CLI collection: `witness run -a jwt` always fails because the "
    "CLI has no flag to hand it a token. The verified GitHub OIDC token is embedded in the `github` "
    "attestation as `jwt` (gitlab and gcp-iit embed one too), so attach the rule to `{type}` and read "
    "`input.jwt.claims`.",
    "You can't attach it to `{jwt_type}` in practice: the jwt attestor only works embedded, and `-a jwt` "
    "on `witness run` fails (there is no way to pass it a token). The `github` attestor records the verified "
    "OIDC token under `jwt`, so the rule goes on the `{type}` attestation.",
)


def _jwt(rng: random.Random, version: WitnessVersion) -> Built:
    makers = [m for m in MAKERS["github"] if m.__name__ != "gh_runner_os"]
    req = pick(rng, makers)(rng)
    names = _names(rng, req)
    idx, form = _pick_template(rng, "jwt")
    question = _fill(form, req, names, rng)
    lead = [pick(rng, _JWT_WHY).format(type=req.type_uri(), jwt_type=JWT_TYPE), req.fields]
    answer = _lesson(rng, req, names, "v1", version, lead)
    return Built(f"rego/jwt/{idx}", question, answer, _check(req, policy_check=False))


def _dress(rng: random.Random, question: str) -> str:
    """`phrasing.dress`, with a pasted module's fence on a line of its own (a polite lead such as
    "Could you help with this? " is glued onto the question, which may open with the module)."""
    return own_line_fences(dress(rng, question))


def make(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Example:
    attestors = list(ATTESTOR_WEIGHTS)
    att = rng.choices(attestors, weights=[ATTESTOR_WEIGHTS[a] for a in attestors])[0]
    if att == "jwt":
        intent, built, req = "jwt", _jwt(rng, version), None
    else:
        intents = list(INTENT_WEIGHTS)
        intent = rng.choices(intents, weights=[INTENT_WEIGHTS[i] for i in intents])[0]
        req = pick(rng, MAKERS[att])(rng)
        made: Built | None = None
        if intent in ("combo", "extend"):
            other = _partner(rng, req)
            # another requirement of the attestor, not a plain `write`, when this one has no partner
            for _ in range(4):
                if other is not None:
                    break
                req = pick(rng, MAKERS[att])(rng)
                other = _partner(rng, req)
            if other is not None:
                made = (
                    _combo(rng, req, other, version)
                    if intent == "combo"
                    else _extend(rng, req, other, version)
                )
        elif intent == "fix":
            made = _fix(rng, req, version)
        elif intent == "logic":
            made = _logic(rng, req, version) or _fix(rng, req, version)
        elif intent == "narrative":
            made = _narrative(rng, req, version)
        if made is None:
            intent = "write" if intent in ("combo", "extend", "fix", "logic", "narrative") else intent
            made = _write(rng, req, intent, version)
        built = made
    check = built.check
    param = re.sub(r"\s+", "_", str(check["param"]))[:80]
    kind = built.template.split("/")[1]
    return Example(
        family=NAME,
        group=f"rego/{check['attestor']}/{check['cond']}/{param}/{kind}",
        template=built.template,
        question=_dress(rng, built.question),
        answer=built.answer,
        check=check,
        system=system_prompt(rng),
        meta={"subkind": kind, "attestor": check["attestor"], "cond": check["cond"]},
        history=built.history,
    )


# ------------------------------------------------------------------------------------------ scoring


@guarded
def score(answer: str, check: dict[str, Any], ctx: ScoreContext) -> Score:
    return score_rego(answer, check, ctx).score()


FAMILY = Family(
    name=NAME,
    description="Rego modules over every attestor's predicate: write, portable, v0, translate, combine, "
    "extend (multi-turn), fix syntax traps and logic bugs.",
    make=make,
    score=score,
)

__all__ = ["FAMILY", "MAKERS", "TRAPS", "b64", "broken", "generic_bugs", "make", "score", "symptom"]
