"""Family `policies`: determinism, reference answers pass, realistic wrong answers and garbage fail."""

from __future__ import annotations

import base64
import copy
import dataclasses
import functools
import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate.example import Example
from witness_evals.generate.families import get
from witness_evals.generate.families import policies as P
from witness_evals.witness import crypto

COMMAND_RUN = "https://witness.dev/attestations/command-run/v0.1"
JSON_BLOCK = re.compile(r"```json\n(.*?)\n```", re.S)


@functools.cache
def example(seed: int) -> Example:
    return P.make(random.Random(seed))


def find(pred: Callable[[Example], bool], limit: int = 400) -> Example:
    for seed in range(limit):
        ex = example(seed)
        if pred(ex):
            return ex
    raise AssertionError("no seed with that property")


def kind(ex: Example) -> str:
    return ex.template.rsplit("/", 1)[0]


def policy_of(ex: Example) -> dict[str, Any]:
    blocks = JSON_BLOCK.findall(ex.answer)
    assert len(blocks) == 1
    doc: dict[str, Any] = json.loads(blocks[0])
    return doc


def with_policy(ex: Example, edit: Callable[[dict[str, Any]], object]) -> str:
    """The reference answer with its policy changed by `edit`."""
    doc = copy.deepcopy(policy_of(ex))
    edit(doc)
    return JSON_BLOCK.sub(lambda _m: "```json\n" + json.dumps(doc, indent=2) + "\n```", ex.answer)


def expect_fail(ctx: ScoreContext, ex: Example, answer: str, reason: str) -> None:
    res = P.score(answer, ex.check, ctx)
    assert not res.ok, f"wrong answer accepted for {ex.template}"
    assert reason in res.reason, res.reason


# ----------------------------------------------------------------------------- basics


def test_registered() -> None:
    assert get("policies") is P.FAMILY
    assert P.FAMILY.name == "policies"


@pytest.mark.parametrize("seed", [0, 1, 7, 35, 123])
def test_deterministic(seed: int) -> None:
    a = P.make(random.Random(seed))
    b = P.make(random.Random(seed))
    assert dataclasses.asdict(a) == dataclasses.asdict(b)


def test_reference_answers_pass(ctx: ScoreContext) -> None:
    kinds: Counter[str] = Counter()
    templates: dict[str, set[str]] = {}
    for seed in range(170):
        ex = example(seed)
        assert json.loads(json.dumps(ex.check)) == ex.check
        assert len(json.dumps(ex.check)) < 3000
        assert ex.family == "policies" and ex.group.startswith("policies/")
        res = P.score(ex.answer, ex.check, ctx)
        assert res.ok, f"seed {seed} {ex.template}: {res.reason}"
        kinds[kind(ex)] += 1
        templates.setdefault(ex.check["sub"], set()).add(ex.template)
    assert set(kinds) == {
        "policies/one-step",
        "policies/multi-step",
        "policies/rego",
        "policies/multi-functionary",
        "policies/update-add-step",
        "policies/update-add-key",
        "policies/update-expiry",
    }
    assert all(len(t) >= 5 for t in templates.values()), templates


def test_template_counts() -> None:
    for sub in P.SUBKINDS:
        assert len(P._INTROS[sub]) >= 6


def test_paraphrases_share_group() -> None:
    ex = example(3)
    assert (
        ex.group
        == f"policies/{ex.check['sub']}/"
        + hashlib.sha256(
            P._check_key({k: v for k, v in ex.check.items() if k != "policy_key_file"}).encode()
        ).hexdigest()[:16]
    )
    assert len({example(s).group for s in range(40)}) == 40


def test_question_facts_match_core() -> None:
    """keyid = sha256 of the PEM file, key = base64 of the PEM (REFERENCE §3.4) as the question states."""
    ex = find(lambda e: e.check["sub"] == "one-step")
    seed = ex.check["steps"][0]["keys"][0]
    signer = crypto.Signer(crypto.generate_private_key("ed25519", seed=seed))
    pem = signer.verifier().public_pem()
    assert signer.verifier().keyid == hashlib.sha256(pem).hexdigest()
    assert signer.verifier().keyid in ex.question
    assert base64.b64encode(pem).decode() in ex.question


def test_commands_in_questions_and_answers_are_valid() -> None:
    from witness_evals.bench.answers import commands
    from witness_evals.witness.cli_spec import parse_command

    for seed in range(40):
        ex = example(seed)
        for text in (ex.question, ex.answer):
            for cmd in commands(text):
                assert not parse_command(cmd).errors, cmd


# ----------------------------------------------------------------------------- wrong answers


def test_missing_attestation_type(ctx: ScoreContext) -> None:
    ex = find(lambda e: e.check["sub"] == "one-step")

    def edit(doc: dict[str, Any]) -> None:
        atts = doc["steps"]["build"]["attestations"]
        atts[:] = [a for a in atts if a["type"] != COMMAND_RUN]

    expect_fail(ctx, ex, with_policy(ex, edit), "attestations missing")


def test_trap_exported_slsa_still_required(ctx: ScoreContext) -> None:
    """Trap 22: with --attestor-slsa-export the slsa predicate is not in the collection."""
    ex = find(lambda e: "slsa" in e.check["steps"][0].get("x", []))
    assert "--attestor-slsa-export" in ex.question

    def edit(doc: dict[str, Any]) -> None:
        doc["steps"]["build"]["attestations"].append(
            {"type": "https://slsa.dev/provenance/v1.0", "regopolicies": []}
        )

    expect_fail(ctx, ex, with_policy(ex, edit), "not recorded")


def test_trap_wrong_type_uri(ctx: ScoreContext) -> None:
    """Trap 2: `commandrun` is not the command-run type."""
    ex = find(lambda e: e.check["sub"] == "one-step")

    def edit(doc: dict[str, Any]) -> None:
        for a in doc["steps"]["build"]["attestations"]:
            if a["type"] == COMMAND_RUN:
                a["type"] = "https://witness.dev/attestations/commandrun/v0.1"

    assert not P.score(with_policy(ex, edit), ex.check, ctx).ok


def test_trap_sbom_type(ctx: ScoreContext) -> None:
    ex = find(lambda e: any(s["kind"] == "sbom" for s in e.check["steps"]))

    def edit(doc: dict[str, Any]) -> None:
        for a in doc["steps"]["sbom"]["attestations"]:
            if a["type"] in ("https://spdx.dev/Document", "https://cyclonedx.org/bom"):
                a["type"] = "https://witness.dev/attestations/sbom/v0.1"

    expect_fail(ctx, ex, with_policy(ex, edit), "sbom")


def test_default_attestors_assumed_with_a_flag(ctx: ScoreContext) -> None:
    """Trap 20: `-a` replaces environment,git; requiring them anyway cannot pass."""
    ex = find(
        lambda e: (
            e.check["sub"] == "one-step"
            and e.check["steps"][0]["a"]
            and "environment" not in e.check["steps"][0]["a"]
        )
    )

    def edit(doc: dict[str, Any]) -> None:
        doc["steps"]["build"]["attestations"].append(
            {"type": "https://witness.dev/attestations/environment/v0.1", "regopolicies": []}
        )

    expect_fail(ctx, ex, with_policy(ex, edit), "not recorded")


def test_keyid_of_der(ctx: ScoreContext) -> None:
    """Trap 8: keyid computed over the DER instead of the PEM file."""
    ex = find(lambda e: e.check["sub"] == "one-step")

    def edit(doc: dict[str, Any]) -> None:
        ((_kid, entry),) = doc["publickeys"].items()
        pem = base64.b64decode(entry["key"])
        der = base64.b64decode("".join(pem.decode().splitlines()[1:-1]))
        new = hashlib.sha256(der).hexdigest()
        doc["publickeys"] = {new: {"keyid": new, "key": entry["key"]}}
        doc["steps"]["build"]["functionaries"][0]["publickeyid"] = new

    expect_fail(ctx, ex, with_policy(ex, edit), "policy check")


def test_key_base64_of_der(ctx: ScoreContext) -> None:
    """Trap 7: `key` holding base64 of the DER (MCow...) instead of base64 of the PEM."""
    ex = find(lambda e: e.check["sub"] == "one-step")

    def edit(doc: dict[str, Any]) -> None:
        for entry in doc["publickeys"].values():
            pem = base64.b64decode(entry["key"]).decode()
            entry["key"] = "".join(pem.splitlines()[1:-1])

    expect_fail(ctx, ex, with_policy(ex, edit), "policy check")


def test_step_key_differs_from_name(ctx: ScoreContext) -> None:
    ex = find(lambda e: e.check["sub"] == "one-step")

    def edit(doc: dict[str, Any]) -> None:
        doc["steps"]["build"]["name"] = "Build"

    assert not P.score(with_policy(ex, edit), ex.check, ctx).ok


def test_wrong_or_bad_expiry(ctx: ScoreContext) -> None:
    ex = find(lambda e: e.check["sub"] == "one-step")
    expect_fail(
        ctx, ex, with_policy(ex, lambda d: d.update(expires="2035-12-17T23:57:40Z")), "expires is not"
    )
    expect_fail(ctx, ex, with_policy(ex, lambda d: d.update(expires="2031-05-01")), "")
    expect_fail(ctx, ex, with_policy(ex, lambda d: d.pop("expires")), "")
    expect_fail(ctx, ex, with_policy(ex, lambda d: d.update(expires="2023-12-17T23:57:40-05:00")), "")


def test_sign_command_required(ctx: ScoreContext) -> None:
    ex = find(lambda e: e.check["sub"] == "one-step")
    sign = next(line for line in ex.answer.splitlines() if line.startswith("witness sign"))
    expect_fail(ctx, ex, ex.answer.replace(sign, ""), "no `witness sign` command")
    no_out = re.sub(r" -o \S+", "", sign)
    expect_fail(ctx, ex, ex.answer.replace(sign, no_out), "invalid sign command")
    other_key = re.sub(r"-k \S+", "-k some-other.pem", sign)
    expect_fail(ctx, ex, ex.answer.replace(sign, other_key), "does not use the policy key")


def test_multi_step_without_artifacts_from(ctx: ScoreContext) -> None:
    ex = find(lambda e: e.check["sub"] == "multi-step")
    expect_fail(
        ctx,
        ex,
        with_policy(ex, lambda d: [s.pop("artifactsFrom", None) for s in d["steps"].values()]),
        "consumed artifacts that differ",
    )


def test_three_steps_middle_artifacts_from_dropped(ctx: ScoreContext) -> None:
    """Every hand-over is required ("each later step takes its artifacts from the step before it"),
    not only the last one: dropping `package`'s artifactsFrom in build → package → x must fail."""
    ex = find(lambda e: e.check["sub"] == "multi-step" and len(e.check["steps"]) == 3)
    expect_fail(
        ctx,
        ex,
        with_policy(ex, lambda d: d["steps"]["package"].pop("artifactsFrom")),
        "package consumed artifacts that differ from build's products",
    )


def test_update_answer_quoting_current_policy_first(ctx: ScoreContext) -> None:
    """An update answer that shows the current policy before the updated one is graded on the latter."""
    for k in ("policies/update-expiry", "policies/update-add-key", "policies/update-add-step"):

        def is_kind(e: Example, k: str = k) -> bool:
            return kind(e) == k

        ex = find(is_kind)
        old = JSON_BLOCK.findall(ex.question)[0]
        answer = f"Current policy:\n```json\n{old}\n```\n\nUpdated:\n\n{ex.answer}"
        res = P.score(answer, ex.check, ctx)
        assert res.ok, f"{k}: {res.reason}"
        # and the other way round (updated first, stale one last) is graded on the stale one
        stale = f"{ex.answer}\n\nFor comparison, the old one:\n```json\n{old}\n```\n"
        assert not P.score(stale, ex.check, ctx).ok


def test_trap_artifacts_from_snake_case(ctx: ScoreContext) -> None:
    """Trap 11: `artifacts_from` is silently ignored."""
    ex = find(lambda e: e.check["sub"] == "multi-step")

    def edit(doc: dict[str, Any]) -> None:
        for s in doc["steps"].values():
            if "artifactsFrom" in s:
                s["artifacts_from"] = s.pop("artifactsFrom")

    expect_fail(ctx, ex, with_policy(ex, edit), "consumed artifacts that differ")


def test_multi_step_keys_pooled(ctx: ScoreContext) -> None:
    ex = find(lambda e: e.check["sub"] == "multi-step")

    def edit(doc: dict[str, Any]) -> None:
        funcs = [f for s in doc["steps"].values() for f in s["functionaries"]]
        for s in doc["steps"].values():
            s["functionaries"] = list(funcs)

    expect_fail(ctx, ex, with_policy(ex, edit), "signed by the build key")


def test_multi_step_missing_step(ctx: ScoreContext) -> None:
    ex = find(lambda e: e.check["sub"] == "multi-step")
    expect_fail(ctx, ex, with_policy(ex, lambda d: d["steps"].pop("package")), "policy steps")


def rego_example(violation: str = "command") -> Example:
    return find(lambda e: e.check["sub"] == "rego" and e.check["rego"]["violate"]["kind"] == violation)


def _rego_entries(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for s in doc["steps"].values():
        for a in s["attestations"]:
            yield from a["regopolicies"]


def test_rego_module_raw_text(ctx: ScoreContext) -> None:
    """Trap 7: raw Rego text in `module` makes the policy undecodable."""
    ex = rego_example()

    def edit(doc: dict[str, Any]) -> None:
        for r in _rego_entries(doc):
            r["module"] = ex.check["rego"]["module"]

    expect_fail(ctx, ex, with_policy(ex, edit), "policy check")


def test_rego_on_wrong_attestation(ctx: ScoreContext) -> None:
    ex = rego_example()

    def edit(doc: dict[str, Any]) -> None:
        atts = doc["steps"]["build"]["attestations"]
        mods = [r for a in atts for r in a["regopolicies"]]
        for a in atts:
            a["regopolicies"] = mods if a["type"].endswith("/product/v0.1") else []

    expect_fail(ctx, ex, with_policy(ex, edit), "no regopolicies")


def test_rego_that_never_denies(ctx: ScoreContext) -> None:
    """A module whose rule cannot fire (wrong input field) lets the violating run through."""
    ex = rego_example()
    module = ex.check["rego"]["module"].replace("input.cmd[0]", "input.command[0]")

    def edit(doc: dict[str, Any]) -> None:
        for r in _rego_entries(doc):
            r["module"] = base64.b64encode(module.encode()).decode()

    expect_fail(ctx, ex, with_policy(ex, edit), "violating the Rego rule")


def test_rego_branch_rule_dropped(ctx: ScoreContext) -> None:
    ex = rego_example("branch")

    def edit(doc: dict[str, Any]) -> None:
        for s in doc["steps"].values():
            for a in s["attestations"]:
                a["regopolicies"] = []

    expect_fail(ctx, ex, with_policy(ex, edit), "no regopolicies")


def test_rego_without_name(ctx: ScoreContext) -> None:
    ex = rego_example()

    def edit(doc: dict[str, Any]) -> None:
        for r in _rego_entries(doc):
            r["name"] = ""

    expect_fail(ctx, ex, with_policy(ex, edit), "no name")


def test_rego_v1_syntax_without_import(ctx: ScoreContext) -> None:
    """Trap 5: `deny contains msg if` without `import rego.v1` does not parse in witness verify."""
    ex = rego_example()
    module = ex.check["rego"]["module"].replace("import rego.v1\n\n", "")

    def edit(doc: dict[str, Any]) -> None:
        for r in _rego_entries(doc):
            r["module"] = base64.b64encode(module.encode()).decode()

    assert not P.score(with_policy(ex, edit), ex.check, ctx).ok


def test_multi_functionary_single_key(ctx: ScoreContext) -> None:
    ex = find(lambda e: e.check["sub"] == "multi-functionary")

    def edit(doc: dict[str, Any]) -> None:
        doc["steps"]["build"]["functionaries"] = doc["steps"]["build"]["functionaries"][:1]

    expect_fail(ctx, ex, with_policy(ex, edit), "genuine pipeline #1")


def test_multi_functionary_key_not_embedded(ctx: ScoreContext) -> None:
    """Trap 13: a functionary whose key is missing from `publickeys` never matches."""
    ex = find(lambda e: e.check["sub"] == "multi-functionary")
    second = crypto.Signer(crypto.generate_private_key("ed25519", seed=ex.check["steps"][0]["keys"][1]))

    def edit(doc: dict[str, Any]) -> None:
        doc["publickeys"].pop(second.verifier().keyid)

    expect_fail(ctx, ex, with_policy(ex, edit), "is not the keyid of any key in 'publickeys'")


def test_update_add_key_unchanged_policy(ctx: ScoreContext) -> None:
    ex = find(lambda e: kind(e) == "policies/update-add-key")
    old = JSON_BLOCK.findall(ex.question)[0]
    expect_fail(
        ctx, ex, JSON_BLOCK.sub(lambda _m: "```json\n" + old + "\n```", ex.answer), "genuine pipeline #1"
    )


def test_update_add_step_unchanged_policy(ctx: ScoreContext) -> None:
    ex = find(lambda e: kind(e) == "policies/update-add-step")
    old = JSON_BLOCK.findall(ex.question)[0]
    expect_fail(ctx, ex, JSON_BLOCK.sub(lambda _m: "```json\n" + old + "\n```", ex.answer), "policy steps")


def test_update_expiry_unchanged_policy(ctx: ScoreContext) -> None:
    ex = find(lambda e: kind(e) == "policies/update-expiry")
    old = JSON_BLOCK.findall(ex.question)[0]
    expect_fail(ctx, ex, JSON_BLOCK.sub(lambda _m: "```json\n" + old + "\n```", ex.answer), "expires is not")


def test_yaml_policy(ctx: ScoreContext) -> None:
    ex = find(lambda e: e.check["sub"] == "one-step")
    answer = JSON_BLOCK.sub(lambda _m: "```yaml\nexpires: 2030-01-01T00:00:00Z\nsteps: {}\n```", ex.answer)
    expect_fail(ctx, ex, answer, "no JSON policy")


# ----------------------------------------------------------------------------- garbage


@pytest.mark.parametrize(
    "answer",
    [
        "",
        "   ",
        "I am not sure, maybe use cosign?",
        "x" * 250_000,
        "```json\n" + "[" * 50_000 + "]" * 50_000 + "\n```",
        '```json\n{"steps": ' + "{" * 5000 + "}" * 5000 + "}\n```",
        "```json\n{not json at all\n```",
        '```json\n{"steps": 5}\n```',
        '```json\n{"steps": [], "expires": 7}\n```',
        '```json\n{"steps": {"build": null}, "publickeys": "x", "expires": "2030-01-01T00:00:00Z"}\n```',
        "```\n\x00\x01 garbage \ufffd\n```",
        '```json\n{"steps": {"a": {"name": "a", "attestations": [{"type": 1}]}}}\n```',
    ],
)
def test_garbage(ctx: ScoreContext, answer: str) -> None:
    ex = example(0)
    res = P.score(answer, ex.check, ctx)
    assert not res.ok
    assert res.reason and "\n" not in res.reason


def test_garbage_check_fields_do_not_crash(ctx: ScoreContext) -> None:
    ex = example(1)
    res = P.score(ex.answer.replace("witness sign", "witness  sign"), ex.check, ctx)
    assert isinstance(res.ok, bool)


# ----------------------------------------------------------------------------- question/answer wording


def test_add_step_answer_describes_only_runs_shown() -> None:
    """The add-step question shows only the new step's `witness run`; the answer must not invent the
    `-a` flags of the existing steps (it keeps them as they are in the given policy)."""
    seen = 0
    for seed in range(400):
        ex = example(seed)
        if kind(ex) != "policies/update-add-step":
            continue
        seen += 1
        new = ex.check["steps"][-1]["name"]
        described = [line for line in ex.answer.splitlines() if "⇒" in line]
        assert described and all(line.startswith(f"- `{new}`: ") for line in described), described
        for old in ex.check["steps"][:-1]:
            assert f"witness run -s {old['name']} " not in ex.question
    assert seen >= 3


def test_rego_question_names_step_and_reads_well() -> None:
    """Which step the Rego rule gates is stated (it matters for two-step pipelines)."""
    seen = 0
    for seed in range(400):
        ex = example(seed)
        if ex.check["sub"] != "rego":
            continue
        seen += 1
        assert f"it applies to the `{ex.check['rego']['step']}` step" in ex.question
        assert "team wants the" not in ex.question
    assert seen >= 10
