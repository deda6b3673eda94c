"""Family `rego`: requirements over every attestor, intents, teaching answers, and the scorer's verdicts."""

from __future__ import annotations

import base64
import dataclasses
import json
import random
import re
from collections import Counter

import pytest

from witness_evals.bench.answers import code_blocks, rego_modules
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate.example import Example
from witness_evals.generate.families import rego
from witness_evals.generate.rego_model import (
    Req,
    apply_bug,
    attestation_entry,
    b64,
    can_combine,
    combine,
    render,
)
from witness_evals.generate.validate import placeholder_problems
from witness_evals.witness.attestors import ATTESTORS, get
from witness_evals.witness.rego import evaluate_deny
from witness_evals.witness.rego.syntax import v0_issues

SEEDS = range(300)
MAKERS = [(att, m) for att, ms in rego.MAKERS.items() for m in ms]


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    return [rego.make(random.Random(s)) for s in SEEDS]


def _fence(src: str, lang: str = "rego") -> str:
    return f"Here you go:\n\n```{lang}\n{src}```\n"


def _req(name: str, seed: int = 7) -> Req:
    fn = next(m for _, m in MAKERS if m.__name__ == name)
    return fn(random.Random(seed))


def _check(req: Req, *, policy_check: bool = False) -> dict[str, object]:
    return {
        "kind": "rego",
        "attestor": req.attestor,
        "pass_inputs": req.pass_inputs(),
        "deny_inputs": req.deny_inputs(),
        "policy_check": policy_check,
    }


def test_family_registered() -> None:
    assert rego.FAMILY.name == "rego"


def test_every_attestor_the_cli_records_has_requirements() -> None:
    """All 26 attestors: 24 with their own requirements, jwt redirected to github, policyverify not recordable."""
    assert set(rego.MAKERS) == set(ATTESTORS) - {"jwt", "policyverify"}
    assert sum(len(m) for m in rego.MAKERS.values()) >= 100
    assert "jwt" in rego.ATTESTOR_WEIGHTS


@pytest.mark.parametrize("seed", [0, 1, 17, 123, 9999])
def test_deterministic(seed: int) -> None:
    a = rego.make(random.Random(seed))
    b = rego.make(random.Random(seed))
    assert dataclasses.asdict(a) == dataclasses.asdict(b)


@pytest.mark.parametrize(("attestor", "maker"), MAKERS, ids=[m.__name__ for _, m in MAKERS])
def test_requirement_modules_are_right_in_both_parsers(attestor: str, maker: object) -> None:
    """v1 (portable) and v0 renderings: no v0 parse issue, pass every compliant input, deny every violating one,
    in `witness verify` mode and (v1) `witness policy check` mode; inputs keep the attestor's wire shape."""
    for seed in (3, 11, 29):
        req = maker(random.Random(seed))  # type: ignore[operator]
        assert req.attestor == attestor and len(req.bads) == len(req.bad_desc) >= 1
        spec = get(attestor)
        for inp in req.pass_inputs() + req.deny_inputs():
            assert spec.rego_input(inp) == inp, (req.key, "input is not a wire-format predicate")
        for style, mode in (("v1", "verify"), ("v1", "policy-check"), ("v0", "verify")):
            src = render(req, style)
            assert not v0_issues(src) or mode == "policy-check", (req.key, style)
            for want, inputs in (("pass", req.pass_inputs()), ("deny", req.deny_inputs())):
                for inp in inputs:
                    out = evaluate_deny({"p.rego": src}, inp, mode)
                    assert out.status == "ok", (req.key, style, mode, out.error)
                    assert bool(out.deny) == (want == "deny"), (req.key, style, mode, want, out.deny)


def test_combined_requirements_enforce_both() -> None:
    pairs = 0
    for _, makers in rego.MAKERS.items():
        for i, a in enumerate(makers):
            for b in makers[i + 1 :]:
                ra, rb = a(random.Random(1)), b(random.Random(2))
                if not can_combine(ra, rb):
                    continue
                both = combine(ra, rb)
                src = render(both, "v1")
                assert len(both.deny_inputs()) == len(ra.bads) + len(rb.bads)
                for inp in both.pass_inputs():
                    assert not evaluate_deny({"p.rego": src}, inp).deny, both.key
                for inp in both.deny_inputs():
                    assert evaluate_deny({"p.rego": src}, inp).deny, both.key
                pairs += 1
    assert pairs >= 150


def test_declared_bugs_change_behaviour() -> None:
    """Every hand-written logic bug compiles and misbehaves on the requirement's own inputs."""
    for _, maker in MAKERS:
        req = maker(random.Random(5))
        for bug in req.bugs:
            module = apply_bug(req, bug)
            assert module and module != render(req, "v1"), (req.key, bug.bid)
            sym = rego.symptom(req, module)
            assert sym and not sym.startswith("`witness verify` fails"), (req.key, bug.bid, sym)


def test_declared_bugs_change_classic_modules_too() -> None:
    """Most logic bugs also apply to the classic v0 rendering, and the module still compiles and misbehaves."""
    applied = total = 0
    for _, maker in MAKERS:
        req = maker(random.Random(5))
        for bug in req.bugs:
            total += 1
            module = apply_bug(req, bug, "v0")
            if not module:
                continue
            applied += 1
            assert "import rego.v1" not in module and module != render(req, "v0"), (req.key, bug.bid)
            sym = rego.symptom(req, module)
            assert sym and not sym.startswith("`witness verify` fails"), (req.key, bug.bid, sym)
    assert applied > total * 0.8, (applied, total)


def test_classic_logic_questions_keep_their_syntax_in_every_rule(examples: list[Example]) -> None:
    """A module pasted in v0 syntax is fixed in v0 syntax: no `import rego.v1` above `deny[msg] {` rules,
    which neither of witness's parsers accepts (what SmolLM2 wrote for 9 hand-written bench tasks)."""
    classic = [
        ex
        for ex in examples
        if ex.template.startswith("rego/logic/") and "import rego.v1" not in ex.check["broken"]
    ]
    assert len(classic) >= 5, len(classic)
    for ex in classic:
        modules = rego_modules(ex.answer)
        assert modules and all("import rego.v1" not in m and "deny[msg] {" in m for m in modules), ex.answer
        assert not v0_issues(modules[0]), ex.answer


def test_reference_answers_pass(examples: list[Example], ctx: ScoreContext) -> None:
    kinds: Counter[str] = Counter()
    attestors = set()
    for ex in examples:
        res = rego.score(ex.answer, ex.check, ctx)
        assert res.ok, (ex.template, ex.group, res.reason)
        assert json.loads(json.dumps(ex.check)) == ex.check
        assert ex.group.startswith(f"rego/{ex.check['attestor']}/")
        kinds[ex.template.split("/")[1]] += 1
        attestors.add(ex.check["attestor"])
    assert set(kinds) == {
        "write",
        "portable",
        "v0",
        "translate",
        "combo",
        "combo-list",
        "extend",
        "fix",
        "logic",
        "jwt",
        "narrative",
        "narrative-bad",
        "narrative-good",
    }
    assert len(attestors) >= 22


def test_answers_teach_without_placeholders(examples: list[Example]) -> None:
    """No placeholder anywhere; every module is whole; embedded base64 is the module's real base64."""
    entries = 0
    for ex in examples:
        for text in [ex.answer] + [m["content"] for m in ex.history if m["role"] == "assistant"]:
            assert not placeholder_problems(text), (ex.group, placeholder_problems(text))
            code = "".join(b for _, b in code_blocks(text)).replace("./...", "")  # Go's package pattern
            assert "<base64" not in text and "..." not in code
            modules = rego_modules(text)
            assert modules and all(m.startswith("package ") and "deny" in m for m in modules)
            for lang, body in code_blocks(text):
                if lang == "json":
                    entry = json.loads(body)
                    module = base64.b64decode(entry["regopolicies"][0]["module"]).decode()
                    assert module in modules, ex.group
                    entries += 1
        assert "base64 -w0" in ex.answer
    assert entries >= 30  # ENTRY_SHARE (15 %) of 300 answers, give or take the draw


def test_answers_only_use_names_from_the_prompt(examples: list[Example]) -> None:
    """Attestation and policy files in the check commands are ones the question named."""
    for ex in examples:
        for line in "\n".join(b for lang, b in code_blocks(ex.answer) if lang == "bash").splitlines():
            m = re.match(r"jq -r \.payload (\S+) ", line)
            if m:
                assert m.group(1) in ex.question, (ex.group, m.group(1))
            m = re.match(r"witness policy check (\S+)$", line)
            if m:
                assert m.group(1) in ex.question, (ex.group, m.group(1))


def test_answer_structure_varies(examples: list[Example]) -> None:
    openings = Counter(ex.answer[:40] for ex in examples)
    assert len(openings) >= len(examples) // 3
    assert openings.most_common(1)[0][1] < len(examples) // 10
    assert sum(1 for ex in examples if ex.answer.startswith("```rego")) < len(examples) // 2


def test_request_shapes_vary(examples: list[Example]) -> None:
    templates = Counter(ex.template.split("/")[1] + "/" + ex.template.rsplit("/", 1)[1] for ex in examples)
    assert len(templates) >= 50
    assert len({ex.question for ex in examples}) == len(examples)
    firsts = {re.split(r"(?<=[.?!:])\s", ex.question, maxsplit=1)[0] for ex in examples}
    assert len(firsts) >= len(examples) // 3
    # slot values are stated in sentences, never as a `key: value` list
    assert not any(re.search(r"^\s*-?\s*\w+: `", ex.question, re.M) for ex in examples)


def test_extend_is_multi_turn_and_keeps_the_first_rule(examples: list[Example]) -> None:
    extends = [ex for ex in examples if ex.template.startswith("rego/extend/")]
    assert extends
    for ex in extends:
        assert [m["role"] for m in ex.history] == ["user", "assistant"]
        first = rego_modules(ex.history[1]["content"])[0]
        final = rego_modules(ex.answer)[0]
        first_rule = first.split("deny", 1)[1].split("}", 1)[0].replace("[msg] {", " contains msg if {")
        assert first_rule.split("{", 1)[1].strip() in final
        assert final.count("deny") > first.count("deny")
        msgs = ex.messages()
        assert [m["role"] for m in msgs if m["role"] != "system"] == [
            "user",
            "assistant",
            "user",
            "assistant",
        ]


def test_fix_answers_repeating_the_broken_module_fail(examples: list[Example], ctx: ScoreContext) -> None:
    fixes = [ex for ex in examples if "broken" in ex.check]
    assert {ex.template.split("/")[1] for ex in fixes} == {"fix", "logic"}
    for ex in fixes[:16]:
        assert ex.check["broken"] in ex.question
        res = rego.score(_fence(ex.check["broken"]), ex.check, ctx)
        assert not res.ok and "broken" in res.reason
        assert rego.score(_fence(ex.check["broken"]) + ex.answer, ex.check, ctx).ok


def test_logic_bug_symptoms_come_from_evaluation(examples: list[Example], ctx: ScoreContext) -> None:
    """The module a logic question pastes really misbehaves, and it compiles."""
    logic = [ex for ex in examples if ex.template.startswith("rego/logic/")]
    assert len(logic) >= 20
    for ex in logic:
        res = rego.score(
            _fence(ex.check["broken"]), {k: v for k, v in ex.check.items() if k != "broken"}, ctx
        )
        assert not res.ok and ("denies a compliant" in res.reason or "does not deny" in res.reason), (
            res.reason
        )


def test_every_trap_module_fails(ctx: ScoreContext) -> None:
    for _, maker in MAKERS[::3]:
        req = maker(random.Random(11))
        for trap in rego.TRAPS:
            module = rego.broken(req, trap)
            if not rego.symptom(req, module):
                continue  # e.g. a path trap that does not apply: the family never asks about it
            assert not rego.score(_fence(module), _check(req), ctx).ok, (req.key, trap)


def test_trap_reasons(ctx: ScoreContext) -> None:
    req = _req("git_branch")
    check = _check(req)
    assert "rego_parse_error" in rego.score(_fence(rego.broken(req, "no-import")), check, ctx).reason
    assert (
        "expected []interface{} but got string"
        in rego.score(_fence(rego.broken(req, "string")), check, ctx).reason
    )
    assert "got bool" in rego.score(_fence(rego.broken(req, "bool")), check, ctx).reason
    assert "does not deny" in rego.score(_fence(rego.broken(req, "no-deny")), check, ctx).reason
    assert "denies a compliant" in rego.score(_fence(rego.broken(req, "path")), check, ctx).reason


def test_portable_rejects_classic_syntax(ctx: ScoreContext) -> None:
    req = _req("env_os")
    res = rego.score(_fence(render(req, "v0")), _check(req, policy_check=True), ctx)
    assert not res.ok and "witness policy check" in res.reason
    assert rego.score(_fence(render(req, "v1")), _check(req, policy_check=True), ctx).ok


def test_attestation_entry_carries_the_real_base64() -> None:
    req = _req("sarif_no_errors")
    module = render(req, "v1")
    entry = json.loads(attestation_entry(req, module))
    assert entry["type"] == "https://witness.dev/attestations/sarif/v0.1"
    assert (
        base64.b64decode(entry["regopolicies"][0]["module"]).decode()
        == module
        == base64.b64decode(b64(module)).decode()
    )


WRONG = {
    # a realistic near miss per field kind: each must fail against the requirement's inputs
    "git_author_domain": ('not endswith(input.authoremail, "{domain}")', "does not deny"),
    "gh_protected": ("not input.jwt.claims.ref_protected == true", "denies a compliant"),
    "aws_account": ('not input.account_id == "{param}"', "denies a compliant"),
    "k8s_replicas": (
        "doc := input.recordeddocs[_]\n\tdoc.data.spec.replicas <= {param}",
        "denies a compliant",
    ),
    "sarif_no_errors": ('result := input.runs[_].results[_]\n\tresult.level == "error"', "does not deny"),
    "slsa_command": (
        'not startswith(input.build_definition.external_parameters.command, "{param} ")',
        "denies a compliant",
    ),
    "mat_lockfile": ('not input.Materials["{param}"]', "denies a compliant"),
    "vex_status": ('st := input.statements[_]\n\tnot st.status == "fixed"', "does not deny"),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_realistic_wrong_answers(name: str, ctx: ScoreContext) -> None:
    req = _req(name)
    body, expected = WRONG[name]
    body = body.replace("{param}", req.param).replace("{domain}", req.param)
    module = f'package wrong\n\nimport rego.v1\n\ndeny contains msg if {{\n\t{body}\n\tmsg := "bad"\n}}\n'
    res = rego.score(_fence(module), _check(req), ctx)
    assert not res.ok and expected in res.reason, res.reason


def test_correct_alternative_forms_pass(ctx: ScoreContext) -> None:
    req = _req("git_branch")
    alt = f'package git\n\ndeny[msg] {{\n\tnot input.branch == "{req.param}"\n\tmsg := "wrong branch"\n}}\n'
    assert rego.score(_fence(alt, ""), _check(req), ctx).ok
    req = _req("prod_no_suffix")
    alt = (
        "package product\n\nimport rego.v1\n\ndeny contains msg if {\n\tsome path, _ in input\n"
        f'\tendswith(path, "{req.param}")\n\tmsg := path\n}}\n'
    )
    assert rego.score(_fence(alt), _check(req, policy_check=True), ctx).ok


@pytest.mark.parametrize(
    ("name", "src"),
    [
        ("gh_repo", 'not input.jwt.claims.repository_owner == "{org}"'),
        ("gl_project", 'not input.jwt.claims.namespace_path == "{org}"'),
        ("git_remote", 'not contains(input.remotes[0], "/{org}/")'),
        ("gh_repo", 'not startswith(input.jwt.claims.repository, "{slug}")'),
    ],
)
def test_owner_only_repo_checks_fail(name: str, src: str, ctx: ScoreContext) -> None:
    req = _req(name)
    slug = (
        req.param.removeprefix("https://github.com/").removeprefix("https://gitlab.com/").removesuffix(".git")
    )
    body = src.replace("{org}", slug.split("/")[0]).replace("{slug}", slug)
    module = f'package repo\n\ndeny[msg] {{\n\t{body}\n\tmsg := "bad"\n}}\n'
    res = rego.score(_fence(module), _check(req), ctx)
    assert not res.ok and "does not deny" in res.reason, res.reason


@pytest.mark.parametrize("name", ["gl_ref", "gl_project", "gl_source"])
def test_gitlab_jwt_caveat_in_answers(name: str) -> None:
    """The gitlab attestor only records `jwt` from `CI_JOB_JWT` (removed in GitLab 17.0): answers say so."""
    req = _req(name)
    assert "CI_JOB_JWT" in req.note and "17.0" in req.note
    built = rego._write(random.Random(1), req, "write", rego.versions.LATEST)
    assert "CI_JOB_JWT" in built.answer


def test_jwt_requests_go_to_the_github_attestation(examples: list[Example]) -> None:
    jwt = [ex for ex in examples if ex.template.startswith("rego/jwt/")]
    assert jwt
    for ex in jwt:
        assert ex.check["type"] == "https://witness.dev/attestations/github/v0.1"
        assert "-a jwt" in ex.answer and "fails" in ex.answer


GARBAGE = [
    "",
    "I don't know, maybe use OPA?",
    "lorem ipsum " * 20000,
    "```json\n" + "[" * 5000 + "]" * 5000 + "\n```",
    "```rego\n!!! not rego at all {{{\n```",
    "```rego\npackage x\n\nimport rego.v1\n\ndeny contains m if { m := "
    + "[" * 3000
    + "]" * 3000
    + " }\n```",
    "```rego\npackage x\n\ndeny[msg] { msg := 1 }\n```",
    "```rego\n\n```",
]


@pytest.mark.parametrize("idx", range(len(GARBAGE)))
def test_garbage_answers_fail(idx: int, examples: list[Example], ctx: ScoreContext) -> None:
    res = rego.score(GARBAGE[idx], examples[0].check, ctx)
    assert not res.ok and res.reason


def test_malformed_checks_fail(ctx: ScoreContext) -> None:
    ex = rego.make(random.Random(1))
    bads: list[dict[str, object]] = [
        {},
        {"pass_inputs": "x"},
        {"pass_inputs": [], "deny_inputs": []},
        {"deny_inputs": [{}]},
    ]
    for bad in bads:
        assert not rego.score(ex.answer, bad, ctx).ok


def test_release_tags_are_said_to_be_annotated_ones() -> None:
    """go-witness v0.12.0 attestation/git/git.go fills `tags` from `repo.TagObjects()`: annotated tags only,
    so an answer that pins a release tag says a lightweight one is not recorded."""
    from witness_evals.generate.rego_reqs_source import git_semver_tag

    req = git_semver_tag(random.Random(0))
    assert "annotated" in req.fields and "lightweight" in req.fields


def test_no_rego_questions_on_slsa_which_witness_verify_never_evaluates() -> None:
    """An exported slsa predicate is not in the collection, and a kept one (protobuf Structs over plain
    encoding/json) makes the collection unreadable: Rego on slsa never runs in `witness verify`."""
    assert rego.ATTESTOR_WEIGHTS["slsa"] == 0.0
    for seed in range(300):
        ex = rego.make(random.Random(seed))
        assert "https://slsa.dev/provenance" not in json.dumps(ex.check), ex.question
