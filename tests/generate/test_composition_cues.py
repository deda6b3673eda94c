"""Answers that state their composition before the artifact (the policy's steps and keys, the attestors of a
run), requests with several keys, requirements or flags at once, and the shares that favour them."""

from __future__ import annotations

import json
import random
import re
from collections import Counter

from witness_evals.bench.answers import code_blocks
from witness_evals.bench.scorers.policy import find_policy
from witness_evals.generate.families import facts as F
from witness_evals.generate.families import policies as P
from witness_evals.generate.families import rego
from witness_evals.generate.families.cli_usage import make_kind, run_plan
from witness_evals.generate.families.cli_usage.run_plan import RunPlan
from witness_evals.witness import cli

COUNTS = ("no", "one", "two", "three", "four", "five", "six")


def _policies(n: int = 160) -> list:
    return [P.make(random.Random(seed)) for seed in range(n)]


def test_fresh_policies_list_keys_first_without_empty_rego_lists() -> None:
    fresh = [ex for ex in _policies() if ex.check["sub"] != "update"]
    assert len(fresh) > 80
    for ex in fresh:
        body = next(b for lang, b in code_blocks(ex.answer) if lang == "json")
        top = list(json.loads(body))
        signers = [k for k in top if k in ("publickeys", "roots")]
        assert signers and top.index(signers[0]) < top.index("steps"), (ex.template, top)
        assert '"regopolicies": []' not in body, ex.template


def test_plan_before_the_policy_counts_its_steps_and_keys() -> None:
    for ex in _policies():
        policy = find_policy(ex.answer)
        assert policy is not None, ex.template
        paragraphs = ex.answer[: ex.answer.index("```json")].rstrip().split("\n\n")
        plan = (
            paragraphs[-2] if re.fullmatch(r"`[^`]+`:", paragraphs[-1]) else paragraphs[-1]
        )  # the file's name
        for name in policy["steps"]:
            assert f"`{name}`" in plan, (ex.template, plan)
        n = len(policy["steps"])
        if not plan.startswith("Steps:"):
            assert re.search(rf"\b{COUNTS[n]} steps?\b", plan, re.I), (ex.template, plan)
        keys = len(policy.get("publickeys", {}))
        if keys:
            assert f"{COUNTS[keys]} key" in plan, (ex.template, plan)


def test_keys_come_in_every_pasted_shape_and_the_prompt_has_each_id_and_base64() -> None:
    rng = random.Random(3)
    key = P.W.draw_key(rng)
    other = P.W.draw_key(rng)
    items = [("build", key, "keys/build.pub"), ("package", other, "keys/package.pub")]
    shapes = set()
    for style in range(len(P.KEY_STYLES)):
        text = P._key_lines(random.Random(style), items, style)
        if style != 2:  # 2: the PEM files alone, the answer derives the ids
            for _label, k, pub in items:
                assert k.keyid in text and k.b64 in text and pub in text, style
        shapes.add(text.splitlines()[0][:12])
    assert len(shapes) >= 6, shapes


def test_rego_combinations_are_asked_as_lists_of_two_or_three() -> None:
    made = [rego.make(random.Random(seed)) for seed in range(900)]
    kinds = Counter(ex.template.split("/")[1] for ex in made)
    share = (kinds["combo"] + kinds["combo-list"] + kinds["extend"]) / len(made)
    assert share > 0.12, kinds
    three = [
        ex for ex in made if ex.template.startswith("rego/combo-list") and ex.check["cond"].count("+") == 2
    ]
    assert three, kinds
    for ex in three:
        items = re.findall(r"(?m)^(?:\d\.|-|\*) (.+)$", ex.question)
        assert len(items) == 3, ex.question


def test_run_answers_settle_the_attestors_above_the_command() -> None:
    for mode, selected in (
        ("default", None),
        ("extra", ["environment", "git", "sbom"]),
        ("only", ["sbom"]),
        ("nogit", ["environment", "sbom"]),
    ):
        line = run_plan.attestor_line(random.Random(1), RunPlan(selected=selected, mode=mode))
        for name in selected or ("environment", "git"):
            assert f"`{name}`" in line, (mode, line)
        if mode == "only":
            assert "leaves out `environment` and `git`" in line
        if mode == "nogit":
            assert "leaves out `git`" in line


def test_a_run_answer_with_the_attestor_line_does_not_repeat_it_below() -> None:
    lines = 0
    for seed in range(300):
        answer = make_kind(random.Random(seed), "run").answer
        top = re.search(r"(?m)^(Attestors: .*|`-a` gets .*|No `-a` flag.*)$", answer)
        if top is None:
            continue
        lines += 1
        assert not re.search(r"replaces (the )?default", answer[top.end() :]), answer
    assert 150 < lines < 260  # about 70 % of the answers carry the line


def test_two_shorthands_of_one_subcommand_in_one_question() -> None:
    gr = cli.grammar()
    pairs = F.catalogue()["short-pair"]
    assert len(pairs) >= 20
    premises = 0
    for fact in pairs:
        c = fact.fid.split("/")[2]
        for t, q in enumerate(fact.questions):
            answer = fact.answer_to(t)
            assert f"witness {c}`" in answer.split(":")[0] + answer[:40], (q, answer)
            for alts in fact.check["require"]:
                assert any(a in answer for a in alts), (q, answer)
            if "witness" in q.split(c, 1)[-1]:  # a wrong guess from another subcommand
                premises += 1
                assert answer.startswith("No: in `witness "), answer
        assert F.score_terms(F.compose(random.Random(0), fact, gr, 0), fact.check, gr.version).ok
    assert premises >= 10
