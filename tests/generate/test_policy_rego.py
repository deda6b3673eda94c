"""Rego rules a policy embeds (`generate.policy_rego`) and the requests that bring no module (`rego-new`):
every kind's reference passes, its typical wrong module fails, and the answer writes the module and its
base64 that the policy embeds."""

from __future__ import annotations

import base64
import functools
import json
import random
import re
from typing import Any

import pytest

from witness_evals.bench.answers import code_blocks
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.bench.scorers.policy import find_policy
from witness_evals.generate import policy_rego
from witness_evals.generate import worlds as W
from witness_evals.generate.build import derived_rng
from witness_evals.generate.example import Example
from witness_evals.generate.families import policies as P

ENV = "https://witness.dev/attestations/environment/v0.1"


@functools.cache
def _rego_examples() -> tuple[Example, ...]:
    out = []
    for seed in range(3000):
        ex = P.make(derived_rng(0, "test-policy-rego", seed))
        if ex.check.get("rego"):
            out.append(ex)
    return tuple(out)


def rego_example(kind: str, *, given: bool | None = None) -> Example:
    """The first `rego` request (not a follow-up) with a rule of `kind`."""
    for ex in _rego_examples():
        r = ex.check["rego"]
        if ex.check["sub"] == "rego" and r["kind"] == kind and (given is None or r["given"] == given):
            return ex
    raise AssertionError(f"no {kind} rule in 3000 seeds")


def with_module(ex: Example, module: str) -> str:
    """The reference answer whose policy embeds `module` instead."""
    doc = find_policy(ex.answer)
    assert doc is not None
    for step in doc["steps"].values():
        for a in step["attestations"]:
            for r in a.get("regopolicies", []):
                r["module"] = base64.b64encode(module.encode()).decode()
    block = "```json\n" + json.dumps(doc, indent=2) + "\n```"
    return re.sub(r"```json\n.*?\n```", lambda _m: block, ex.answer, flags=re.S)


@pytest.mark.parametrize("kind", policy_rego.KINDS)
def test_every_kind_passes_and_its_violation_fails(ctx: ScoreContext, kind: str) -> None:
    ex = rego_example(kind)
    assert P.score(ex.answer, ex.check, ctx).ok
    # a module that denies nothing lets the violating run through
    inert = 'package witness.none\n\nimport rego.v1\n\ndeny contains msg if {\n\tfalse\n\tmsg := "never"\n}\n'
    res = P.score(with_module(ex, inert), ex.check, ctx)
    assert not res.ok and "violating the Rego rule" in res.reason, res.reason


def test_exact_command_compared_with_a_string_denies_the_genuine_run(ctx: ScoreContext) -> None:
    ex = rego_example("exact")
    module = ex.check["rego"]["module"]
    argv = json.loads(re.search(r"input\.cmd != (\[.*\])", module).group(1))  # type: ignore[union-attr]
    wrong = module.replace(json.dumps(argv), json.dumps(" ".join(argv)))
    res = P.score(with_module(ex, wrong), ex.check, ctx)
    assert not res.ok and "genuine pipeline" in res.reason, res.reason


def test_author_rule_of_another_domain_denies_the_genuine_run(ctx: ScoreContext) -> None:
    ex = rego_example("author")
    wrong = re.sub(r'"@[^"]+"', '"@example.org"', ex.check["rego"]["module"])
    res = P.score(with_module(ex, wrong), ex.check, ctx)
    assert not res.ok and "genuine pipeline" in res.reason, res.reason


def test_environment_rule_reads_the_recorded_variable(ctx: ScoreContext) -> None:
    ex = rego_example("env")
    r = ex.check["rego"]
    var, bad = r["violate"]["value"]
    pipe = W.Pipeline.from_json(ex.check["pipe"])
    first = P._first(P._funcs(ex.check))
    genuine = W.run(pipe, first)
    broken = W.run(pipe, first, policy_rego.violation(r))

    def variables(world: W.World) -> dict[str, str]:
        att = next(a for a in world.results[r["step"]].collection.attestations if a.type == ENV)
        return dict(att.attestation["variables"])

    assert variables(broken)[var] == bad != variables(genuine)[var]
    # the variable's name spelled differently never matches, so the rule denies every run
    wrong = r["module"].replace(f'"{var}"', f'"{var.lower()}"')
    res = P.score(with_module(ex, wrong), ex.check, ctx)
    assert not res.ok and "genuine pipeline" in res.reason, res.reason


def test_requests_without_a_module_get_one_written() -> None:
    ex = rego_example("branch", given=False)
    r = ex.check["rego"]
    assert ex.template.startswith("policies/rego-new/")
    b64 = base64.b64encode(r["module"].encode()).decode()
    assert "```rego" not in ex.question and b64 not in ex.question and "package " not in ex.question
    blocks = code_blocks(ex.answer)
    langs = [lang for lang, _ in blocks]
    assert langs.index("rego") < langs.index("text") < langs.index("json")
    assert ("rego", r["module"].rstrip("\n")) in [(lang, body.rstrip("\n")) for lang, body in blocks]
    assert ("text", b64) in [(lang, body.strip()) for lang, body in blocks]
    doc = find_policy(ex.answer)
    assert doc is not None
    modules = [
        e["module"] for a in doc["steps"][r["step"]]["attestations"] for e in a.get("regopolicies", [])
    ]
    assert modules == [b64]
    assert r["field"] in ex.answer


def test_requests_that_bring_a_module_are_not_given_it_back() -> None:
    ex = rego_example("command", given=True)
    assert "```rego" in ex.question and "```rego" not in ex.answer
    assert ex.template.startswith("policies/rego/")


def test_both_forms_are_drawn() -> None:
    forms = {(ex.check["rego"]["kind"], ex.check["rego"]["given"]) for ex in _rego_examples()}
    assert {(k, g) for k in policy_rego.KINDS for g in (True, False)} <= forms


def test_env_vars_set_on_top_of_the_environment() -> None:
    rng = random.Random(7)
    pipe = W.draw_pipeline(rng, max_steps=1)
    while "environment" not in pipe.steps[0].recorded:
        pipe = W.draw_pipeline(rng, max_steps=1)
    step = pipe.steps[0].name
    funcs: dict[str, Any] = {step: W.draw_key(rng)}
    variant = W.Variant(sets=((step, (("env_vars", (("WITNESS_TEST_VAR", "on"),)),)),))

    def variables(world: W.World) -> dict[str, str]:
        att = next(a for a in world.results[step].collection.attestations if a.type == ENV)
        return dict(att.attestation["variables"])

    before, after = variables(W.run(pipe, funcs)), variables(W.run(pipe, funcs, variant))
    assert after.pop("WITNESS_TEST_VAR") == "on" and "WITNESS_TEST_VAR" not in before
    assert after == before


def test_a_second_turn_adds_a_rule_to_the_first_policy(ctx: ScoreContext) -> None:
    ex = next(e for e in _rego_examples() if e.check.get("change", {}).get("kind") == "add-rego")
    r = ex.check["rego"]
    assert ex.template.startswith("policies/followup-add-rego/") and not r["given"]
    first = find_policy(ex.history[1]["content"])
    second = find_policy(ex.answer)
    assert first is not None and second is not None
    assert "regopolicies" not in json.dumps(first) or all(
        not a.get("regopolicies") for s in first["steps"].values() for a in s["attestations"]
    )
    b64 = base64.b64encode(r["module"].encode()).decode()
    assert b64 in ex.answer and b64 not in ex.history[1]["content"]
    # the rest of the policy is the first one
    for step in second["steps"].values():
        for a in step["attestations"]:
            a.pop("regopolicies", None)
    for step in first["steps"].values():
        for a in step["attestations"]:
            a.pop("regopolicies", None)
    assert first == second
    assert P.score(ex.answer, ex.check, ctx).ok
    # the first turn's policy, without the rule, lets the violating run through
    res = P.score(ex.history[1]["content"], ex.check, ctx)
    assert not res.ok and "regopolicies" in res.reason, res.reason


def test_tag_rule_is_broken_by_a_tag_without_its_v(ctx: ScoreContext) -> None:
    ex = rego_example("tag")
    r = ex.check["rego"]
    pipe = W.Pipeline.from_json(ex.check["pipe"])
    first = P._first(P._funcs(ex.check))
    git = "https://witness.dev/attestations/git/v0.1"

    def tags(world: W.World) -> list[str]:
        att = next(a for a in world.results[r["step"]].collection.attestations if a.type == git)
        return [t["name"] for t in att.attestation.get("tags", [])]

    genuine, broken = tags(W.run(pipe, first)), tags(W.run(pipe, first, policy_rego.violation(r)))
    assert len(genuine) == 1 and genuine[0].startswith("v") and broken == [genuine[0][1:]]
    # reading the tag list as strings never matches, so the rule denies every run
    wrong = r["module"].replace("startswith(tag.name,", "startswith(tag,")
    res = P.score(with_module(ex, wrong), ex.check, ctx)
    assert not res.ok, res.reason
