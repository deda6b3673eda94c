"""Regressions from audit 9 (rego family): deny rules fail closed when the field they test is missing.

A rule such as `not input.jenkinsurl == "https://ci/"` also holds when `jenkinsurl` is missing, but a message
`sprintf("build is from %v", [input.jenkinsurl])` is then undefined, so the rule adds nothing to `deny` and the
module passes the attestation (fails open). Messages read such fields with `object.get(root, path, default)`
(`rego_model.got`): OPA returns the default when any key of an array path is missing or its parent is not an
object (v1/topdown/object.go `builtinObjectGet`, array paths since v0.44; witness builds with OPA v1.15.2), and
regorus does the same (checked here). Where witness really omits a field, the check carries a missing-field deny
input: gitlab `jwt` (go-witness v0.12.0 attestation/gitlab/gitlab.go `json:"jwt,omitempty"`, nil without a token
variable), aws-codebuild `build_info.*` (all `omitempty`), and an OpenVEX vulnerability's `name` (go-vex v0.2.8
pkg/vex/vulnerability.go `json:"name,omitempty"`). The CodeBuild project rule reads `build_id` (`<project>:<uuid>`):
go-witness fills `project_name` from `CODEBUILD_PROJECT_NAME`, which CodeBuild does not set.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from witness_evals.generate.families import rego
from witness_evals.generate.rego_model import Req, got, render
from witness_evals.generate.rego_reqs_artifacts import vex_justified, vex_status
from witness_evals.generate.rego_reqs_platform import (
    cb_initiator,
    cb_project,
    cb_source_repo,
    gl_project,
    gl_ref,
    gl_source,
    jk_url,
)
from witness_evals.witness.rego import evaluate_deny

SEEDS = range(3)


def _deny(module: str, inp: Any, mode: str = "verify") -> list[str]:
    out = evaluate_deny({"p.rego": module}, inp, mode)
    assert out.status == "ok", out.error
    return out.deny


def _paths(x: Any, pre: tuple[Any, ...] = (), depth: int = 0) -> Iterator[tuple[Any, ...]]:
    """Every key path of `x` (dict keys; the first three list elements), a few levels deep."""
    if depth > 4:
        return
    if isinstance(x, dict):
        for k, v in x.items():
            yield (*pre, k)
            yield from _paths(v, (*pre, k), depth + 1)
    elif isinstance(x, list):
        for i, v in enumerate(x[:3]):
            yield from _paths(v, (*pre, i), depth + 1)


def _without(x: Any, path: tuple[Any, ...]) -> Any:
    out = copy.deepcopy(x)
    cur = out
    for k in path[:-1]:
        cur = cur[k]
    del cur[path[-1]]
    return out


def test_got_writes_object_get_with_a_default() -> None:
    assert got("input.jenkinsurl") == 'object.get(input, "jenkinsurl", "(none)")'
    assert got("input.jwt.claims.ref") == 'object.get(input, ["jwt", "claims", "ref"], "(none)")'
    assert got("input.cmd[0]") == 'object.get(input, ["cmd", 0], "(none)")'
    assert got('input.variables["CI"]', "(unset)") == 'object.get(input, ["variables", "CI"], "(unset)")'
    assert got("p.mime_type") == 'object.get(p, "mime_type", "(none)")'
    assert got("input.cmd", []) == 'object.get(input, "cmd", [])'


@pytest.mark.parametrize("mode", ["verify", "policy-check"])
def test_regorus_object_get_array_path_defaults_like_opa(mode: str) -> None:
    module = (
        "package t\n\nimport rego.v1\n\ndeny contains msg if {\n"
        '\tmsg := sprintf("%v", [object.get(input, ["jwt", "claims", "ref"], "(none)")])\n}\n'
    )
    assert _deny(module, {"jwt": {"claims": {"ref": "main"}}}, mode) == ["main"]
    missing_jwt: tuple[dict[str, Any], ...] = (
        {},
        {"jwt": {}},
        {"jwt": {"claims": {}}},
        {"jwt": None},
        {"jwt": "token"},
    )
    for missing in missing_jwt:
        assert _deny(module, missing, mode) == ["(none)"], missing
    index = 'package t\n\ndeny[msg] {\n\tmsg := sprintf("%v", [object.get(input, ["cmd", 0], "(none)")])\n}\n'
    assert _deny(index, {"cmd": ["make", "all"]}) == ["make"]
    assert _deny(index, {"cmd": []}) == ["(none)"]


def test_a_bare_field_message_fails_open_and_got_fixes_it() -> None:
    """The reported defect, evaluated: the module of before the fix passes an attestation without the field."""
    req = jk_url(random.Random(0))
    module = render(req)
    bare = module.replace(got("input.jenkinsurl"), "input.jenkinsurl")
    assert bare != module
    good = req.pass_inputs()[0]
    missing = _without(good, ("jenkinsurl",))
    assert _deny(bare, missing) == []  # fails open
    assert _deny(module, missing) == ["build is from (none)"]
    assert _deny(module, good) == []


def _rule_fails_open(req: Req, index: int) -> list[tuple[Any, ...]]:
    """Key paths whose removal from a check input makes rule `index` hold with an undefined message, for keys that
    the rule's body reads (a message-only field witness always writes is not this defect)."""
    rule = req.rules[index]
    body = " ".join(b if isinstance(b, str) else b[1] for b in rule.body)
    probe = replace(
        req, rules=tuple(replace(r, msg='"PROBE"') if i == index else r for i, r in enumerate(req.rules))
    )
    real, probed = render(req), render(probe)
    bad: list[tuple[Any, ...]] = []
    for inp in req.pass_inputs() + req.deny_inputs():
        for path in _paths(inp):
            if not isinstance(path[-1], str) or not re.search(rf"\b{re.escape(path[-1])}\b", body):
                continue
            cut = _without(inp, path)
            hit = evaluate_deny({"p.rego": probed}, cut)
            if hit.status != "ok" or "PROBE" not in hit.deny:
                continue
            out = evaluate_deny({"p.rego": real}, cut)
            if out.status == "ok" and len(out.deny) < len(hit.deny):
                bad.append(path)
    return bad


def test_no_requirement_message_fails_open_on_a_missing_field() -> None:
    failing = []
    for makers in rego.MAKERS.values():
        for maker in makers:
            for seed in SEEDS:
                req = maker(random.Random(seed))
                for i, rule in enumerate(req.rules):
                    if rule.msg.startswith('"'):
                        continue
                    paths = _rule_fails_open(req, i)
                    if paths:
                        failing.append((req.key, rule.msg, paths[0]))
    assert not failing, failing[:5]


@pytest.mark.parametrize("maker", [gl_ref, gl_project, gl_source])
def test_gitlab_jwt_rules_deny_an_attestation_without_jwt(maker: Any) -> None:
    """GL_JWT_NOTE tells the user the rule denies when `jwt` is absent; the check now enforces it."""
    for seed in SEEDS:
        req = maker(random.Random(seed))
        assert req.note.startswith(rego.MAKERS["gitlab"][0](random.Random(0)).note[:40])
        no_jwt = [d for d in req.deny_inputs() if "jwt" not in d]
        assert len(no_jwt) == 1
        assert _deny(render(req), no_jwt[0])
        assert _deny(render(req, "v0"), no_jwt[0])


def test_gl_source_before_the_fix_passed_a_pipeline_without_jwt() -> None:
    req = gl_source(random.Random(0))
    bare = render(req).replace(got("input.jwt.claims.pipeline_source"), "input.jwt.claims.pipeline_source")
    no_jwt = next(d for d in req.deny_inputs() if "jwt" not in d)
    assert _deny(bare, no_jwt) == []
    assert rego.symptom(req, bare).endswith("still passes verification")


@pytest.mark.parametrize(("maker", "key"), [(cb_initiator, "initiator"), (cb_source_repo, "source_repo")])
def test_codebuild_checks_deny_an_omitted_build_info_field(maker: Any, key: str) -> None:
    req = maker(random.Random(1))
    dropped = [d for d in req.deny_inputs() if key not in d["build_info"]]
    assert len(dropped) == 1
    assert _deny(render(req), dropped[0])


def test_codebuild_project_is_read_from_the_build_id(ctx: Any) -> None:
    """go-witness v0.12.0 fills `project_name` from `CODEBUILD_PROJECT_NAME`, which CodeBuild does not set: the
    project is the part of `build_id` (`CODEBUILD_BUILD_ID`, `<project>:<uuid>`) before the colon."""
    req = cb_project(random.Random(1))
    assert all("project_name" not in d["build_info"] for d in req.pass_inputs() + req.deny_inputs())
    assert all(d["build_info"]["build_id"].startswith(req.param + ":") for d in req.pass_inputs())
    check = rego._check(req, policy_check=False)
    assert rego.score(f"```rego\n{render(req)}```", check, ctx).ok
    by_name = (
        f"package codebuild.project\n\nimport rego.v1\n\ndeny contains msg if {{\n"
        f'\tnot input.build_info.project_name == {json.dumps(req.param)}\n\tmsg := "wrong project"\n}}\n'
    )
    assert not rego.score(f"```rego\n{by_name}```", check, ctx).ok
    no_colon = rego.apply_bug(req, req.bugs[0])
    assert "still passes" in rego.symptom(req, no_colon)


@pytest.mark.parametrize("maker", [vex_status, vex_justified])
def test_vex_statement_identified_by_id_only_is_denied(maker: Any) -> None:
    req = maker(random.Random(0))
    id_only = [
        d
        for d in req.deny_inputs()
        if any("name" not in st["vulnerability"] for st in d["vexDocument"]["statements"])
    ]
    assert len(id_only) == 1
    assert all("@id" in st["vulnerability"] for st in id_only[0]["vexDocument"]["statements"])
    module = render(req)
    assert any("(unnamed)" in m for m in _deny(module, id_only[0]))
    bare = module.replace(got("st.vulnerability.name", "(unnamed)"), "st.vulnerability.name")
    assert _deny(bare, id_only[0]) == []


def test_neq_missing_logic_bug_now_has_a_real_symptom_on_gitlab() -> None:
    req = gl_ref(random.Random(0))
    bug = next(b for b in rego.generic_bugs(req) if b.bid == "neq-missing")
    sym = rego.symptom(req, rego.apply_bug(req, bug))
    assert "without a job token" in sym


_NOT_EQ = re.compile(r"^\s*not (input(?:\.\w+|\[[^\]]+\])+) == .+$", re.M)


def test_generated_answers_never_read_a_negated_field_bare_in_the_message() -> None:
    """Over generated examples: no rule `not input.X == v` whose message reads `input.X`, and answers whose module
    reads a message field through `object.get` say why (once)."""
    explained = 0
    for i in range(400):
        ex = rego.make(random.Random(i))
        for module in re.findall(r"```rego\n(.*?)```", ex.answer, re.S):
            for body in re.findall(r"(?:deny contains msg if|deny\[msg\]) \{\n(.*?)\n\}", module, re.S):
                msg = next((ln for ln in body.splitlines() if ln.strip().startswith("msg :=")), "")
                for m in _NOT_EQ.finditer(body):
                    assert not re.search(rf"{re.escape(m.group(1))}(?![\w.\[])", msg), (i, body)
            if re.search(r"^\tmsg := .*object\.get\(", module, re.M):
                said = [v.split("`{expr}`")[-1][:40] for v in rego._MSG_DEFAULT]
                told = ex.answer + "".join(h["content"] for h in ex.history)
                assert any(s in told for s in said), i
                explained += 1
    assert explained > 40


def test_path_trap_moves_the_message_default_root_too() -> None:
    req = gl_source(random.Random(0))
    module = rego.broken(req, "path")
    assert "object.get(input.predicate, " in module
    assert "object.get(input, " not in module
    assert rego.symptom(req, module).startswith("it never denies anything")


def test_narrative_excerpt_is_never_bare_context_of_a_removed_field() -> None:
    req = gl_source(random.Random(0))
    good = req.pass_inputs()[0]
    no_jwt = next(d for d in req.deny_inputs() if "jwt" not in d)
    assert not rego._visible(no_jwt, good)
    assert rego._visible(good, no_jwt)
    assert rego._visible(req.deny_inputs()[0], good)


def test_link_ci_jobs_record_no_environment() -> None:
    """A link job that also records environment writes a collection `witness verify` cannot load (go-witness
    v0.12.0 attestation/link/link.go:142-151: the protobuf `environment` Struct does not unmarshal), so the
    CI snippet of a link question runs `-a git,link` (witness options/run.go:28: `-a` replaces the defaults)."""
    from witness_evals.generate.rego_reqs_artifacts import link_name

    names = rego.Names(
        step="build",
        att_file="attestations/build.json",
        policy_file="policy.json",
        setup="",
        stated=frozenset(),
    )
    for seed in range(8):
        text = rego._ci(random.Random(seed), link_name(random.Random(seed)), names)
        assert "-a git,link " in text and "environment" not in text, text
