"""Family `rego`: determinism, reference answers pass, realistic wrong answers and garbage fail."""

from __future__ import annotations

import dataclasses
import json
import random

import pytest

from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate.example import Example
from witness_evals.generate.families import rego

SEEDS = range(240)


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    return [rego.make(random.Random(s)) for s in SEEDS]


def _fence(src: str, lang: str = "rego") -> str:
    return f"Here you go:\n\n```{lang}\n{src}```\n"


def _cond(name: str, seed: int = 7) -> rego.Cond:
    fn = next(f for f in rego.CONDITIONS if f.__name__ == name)
    return fn(random.Random(seed))


def _check(c: rego.Cond, *, policy_check: bool = False) -> dict[str, object]:
    return {
        "kind": "rego",
        "attestor": c.attestor,
        "pass_inputs": c.pass_inputs,
        "deny_inputs": c.deny_inputs,
        "policy_check": policy_check,
    }


def test_family_registered() -> None:
    assert rego.FAMILY.name == "rego"


@pytest.mark.parametrize("seed", [0, 1, 17, 123, 9999])
def test_deterministic(seed: int) -> None:
    a = rego.make(random.Random(seed))
    b = rego.make(random.Random(seed))
    assert dataclasses.asdict(a) == dataclasses.asdict(b)


def test_reference_answers_pass(examples: list[Example], ctx: ScoreContext) -> None:
    kinds = set()
    conds = set()
    for ex in examples:
        res = rego.score(ex.answer, ex.check, ctx)
        assert res.ok, (ex.template, ex.group, res.reason)
        assert json.loads(json.dumps(ex.check)) == ex.check
        assert ex.family == "rego" and ex.group.startswith(f"rego/{ex.check['attestor']}/")
        kinds.add(ex.template.split("/")[1])
        conds.add((ex.check["attestor"], ex.check["cond"]))
    assert kinds == {"write", "portable", "v0", "fix"}
    assert len(conds) >= 30


def test_every_condition_and_style_passes(ctx: ScoreContext) -> None:
    for fn in rego.CONDITIONS:
        c = fn(random.Random(3))
        check = _check(c, policy_check=True)
        assert rego.score(_fence(rego.render(c, "v1")), check, ctx).ok, fn.__name__
        v0 = rego.score(_fence(rego.render(c, "v0")), _check(c), ctx)
        assert v0.ok, (fn.__name__, v0.reason)


def test_templates_are_varied(examples: list[Example]) -> None:
    per_kind: dict[str, set[str]] = {}
    for ex in examples:
        kind = "/".join(ex.template.split("/")[1:-1])
        per_kind.setdefault(kind.split("/")[0], set()).add(ex.template.rsplit("/", 1)[1])
    for kind in ("write", "portable", "v0", "fix"):
        assert len(per_kind[kind]) >= 6, kind
    assert len({ex.question for ex in examples}) == len(examples)


def test_every_trap_module_fails(ctx: ScoreContext) -> None:
    """The broken module of each trap, given back as the answer, fails for every condition."""
    for fn in rego.CONDITIONS:
        c = fn(random.Random(11))
        for trap in rego.TRAPS:
            res = rego.score(_fence(rego._broken(c, trap)), _check(c), ctx)
            assert not res.ok, (fn.__name__, trap)


def test_trap_reasons(ctx: ScoreContext) -> None:
    c = _cond("_git_branch")
    check = _check(c)
    res = rego.score(_fence(rego._broken(c, "no-import")), check, ctx)
    assert "rego_parse_error" in res.reason
    res = rego.score(_fence(rego._broken(c, "string")), check, ctx)
    assert "expected []interface{} but got string" in res.reason
    res = rego.score(_fence(rego._broken(c, "bool")), check, ctx)
    assert "got bool" in res.reason
    res = rego.score(_fence(rego._broken(c, "no-deny")), check, ctx)
    assert "does not deny" in res.reason
    res = rego.score(_fence(rego._broken(c, "path")), check, ctx)
    assert "denies a compliant" in res.reason


def test_portable_rejects_classic_syntax(ctx: ScoreContext) -> None:
    c = _cond("_env_os")
    res = rego.score(_fence(rego.render(c, "v0")), _check(c, policy_check=True), ctx)
    assert not res.ok and "witness policy check" in res.reason


def test_fix_answer_repeating_broken_module_fails(examples: list[Example], ctx: ScoreContext) -> None:
    fixes = [ex for ex in examples if "broken" in ex.check]
    assert fixes
    for ex in fixes[:10]:
        res = rego.score(_fence(ex.check["broken"]), ex.check, ctx)
        assert not res.ok and "broken" in res.reason
        # quoting the broken module before the fixed one is fine
        both = _fence(ex.check["broken"]) + ex.answer
        assert rego.score(both, ex.check, ctx).ok


WRONG = {
    "_git_author_domain": (
        "package git.author\n\nimport rego.v1\n\ndeny contains msg if {\n"
        '\tnot endswith(input.authoremail, "{dom}")\n\tmsg := "bad"\n}\n',
        "does not deny",
    ),
    "_cmd_prefix": (
        'package commandrun\n\ndeny[msg] {\n\tinput.cmd[0] != "{p0}"\n\tmsg := "bad"\n}\n',
        "does not deny",
    ),
    "_cmd_no_download": (
        'package commandrun\n\ndeny[msg] {\n\tinput.cmd[0] == "{tool}"\n\tmsg := "bad"\n}\n',
        "does not deny",
    ),
    "_env_equals": (
        'package env\n\ndeny[msg] {\n\tinput.variables["{var}"] != "{val}"\n\tmsg := "bad"\n}\n',
        "does not deny",
    ),
    "_mat_lockfile": (
        'package material\n\ndeny[msg] {\n\tnot input.Materials["{lock}"]\n\tmsg := "bad"\n}\n',
        "denies a compliant",
    ),
    "_prod_has": (
        'package product\n\ndeny[msg] {\n\tnot input.predicate["{want}"]\n\tmsg := "bad"\n}\n',
        "denies a compliant",
    ),
    "_cmd_exitcode": (
        'package commandrun\n\ndeny[msg] {\n\tinput.predicate.exitcode != 0\n\tmsg := "bad"\n}\n',
        "does not deny",
    ),
    "_git_branch": (
        'package git\n\ndeny = "not main" {\n\tinput.branch != "{want}"\n}\n',
        "got string",
    ),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_realistic_wrong_answers(name: str, ctx: ScoreContext) -> None:
    c = _cond(name)
    src, expected = WRONG[name]
    fill = {
        "{dom}": c.param,  # the domain without the "@": also accepts look-alike domains
        "{p0}": c.param.split(" ")[0],
        "{tool}": c.param,
        "{var}": c.param.split("=")[0],
        "{val}": c.param.split("=", 1)[-1],
        "{lock}": c.param,
        "{want}": c.param,
    }
    for k, v in fill.items():
        src = src.replace(k, v)
    res = rego.score(_fence(src), _check(c), ctx)
    assert not res.ok and expected in res.reason, res.reason


def test_correct_alternative_forms_pass(ctx: ScoreContext) -> None:
    c = _cond("_git_branch")
    alt = f'package git\n\ndeny[msg] {{\n\tinput.branch != "{c.param}"\n\tmsg := "wrong branch"\n}}\n'
    assert rego.score(_fence(alt, ""), _check(c), ctx).ok
    c = _cond("_prod_no_suffix")
    alt = (
        "package product\n\nimport rego.v1\n\ndeny contains msg if {\n\tsome path, _ in input\n"
        f'\tendswith(path, "{c.param}")\n\tmsg := path\n}}\n'
    )
    assert rego.score(_fence(alt), _check(c, policy_check=True), ctx).ok


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


@pytest.mark.parametrize(
    ("name", "src"),
    [
        # checks only the owner/namespace: accepts any other repo of the same org
        ("_gh_repo", 'not input.jwt.claims.repository_owner == "{org}"'),
        ("_gl_project", 'not input.jwt.claims.namespace_path == "{org}"'),
        ("_git_remote", 'not contains(input.remotes[0], "/{org}/")'),
        # a prefix match accepts look-alike repos such as `<org>/<project>-fork`
        ("_gh_repo", 'not startswith(input.jwt.claims.repository, "{slug}")'),
    ],
)
def test_owner_only_repo_checks_fail(name: str, src: str, ctx: ScoreContext) -> None:
    c = _cond(name)
    slug = (
        c.param.removeprefix("https://github.com/").removeprefix("https://gitlab.com/").removesuffix(".git")
    )
    body = src.replace("{org}", slug.split("/")[0]).replace("{slug}", slug)
    module = f'package repo\n\ndeny[msg] {{\n\t{body}\n\tmsg := "bad"\n}}\n'
    res = rego.score(_fence(module), _check(c), ctx)
    assert not res.ok and "does not deny" in res.reason, res.reason


def test_gitlab_project_url_alternative_passes(ctx: ScoreContext) -> None:
    c = _cond("_gl_project")
    module = (
        "package gitlab.project\n\nimport rego.v1\n\ndeny contains msg if {\n"
        f'\tnot endswith(input.projecturl, "/{c.param}")\n\tmsg := "wrong project"\n}}\n'
    )
    assert rego.score(_fence(module), _check(c, policy_check=True), ctx).ok


@pytest.mark.parametrize("name", ["_gl_ref", "_gl_project", "_gl_source"])
def test_gitlab_jwt_caveat_in_answers(name: str) -> None:
    """The gitlab attestor only records `jwt` from `CI_JOB_JWT` (removed in GitLab 17.0): answers say so."""
    c = _cond(name)
    assert "CI_JOB_JWT" in c.note and "17.0" in c.note
    for kind in ("write", "v0", "fix"):
        built = rego._build(random.Random(1), c, kind)
        assert "CI_JOB_JWT" in built.answer
