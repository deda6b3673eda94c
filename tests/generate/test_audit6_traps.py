"""Family `traps`, audit 6: a broken verdict needs the real cause, and weak fixes must meet the user's rule.

- cert-constraint/partial-glob: the cause is that `*@domain` is compared literally (go-witness v0.12.0
  policy/constraints.go checkCertConstraint, 136-173: a lone "*" allows all, any other value must equal a
  SAN); `["*"]` IS the wildcard, so calling it invalid is wrong, and widening `emails` to `["*"]` drops the
  user's identity pin;
- deny-not-a-set: the cause is a string `deny` (policy/rego.go 72-84: the value must decode to
  []interface{}, a set or an array, of strings), not a missing `import future.keywords`;
- weak/ci-attestation-not-required: the rule pins a workflow ref, so requiring the github attestation
  without Rego on `workflow_ref` is not a fix;
- weak/command-unpinned, weak/exit-code-only: the rule pins the whole command, so a module that checks only
  the tool is not a fix.
"""

from __future__ import annotations

import base64
import functools
import json
import random
import re
from collections.abc import Callable
from typing import Any

import pytest

from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate import traps_cases as C
from witness_evals.generate.example import Example
from witness_evals.generate.families import traps as T
from witness_evals.generate.worlds import policy as W
from witness_evals.witness import versions

RELEASE = versions.get(versions.DEFAULT)
JSON_BLOCK = re.compile(r"```json\n(.*?)\n```", re.S)
REGO_BLOCK = re.compile(r"```rego\n(.*?)\n```", re.S)


@functools.cache
def example(seed: int) -> Example:
    return T.make(random.Random(seed), RELEASE)


def found(pred: Callable[[Example], bool], limit: int = 1500, want: int = 2) -> list[Example]:
    out = []
    for seed in range(limit):
        ex = example(seed)
        if pred(ex):
            out.append(ex)
            if len(out) == want:
                break
    assert out, "no seed with that property"
    return out


def trap(prefix: str, want: int = 2) -> list[Example]:
    return found(lambda ex: ex.check["trap"].startswith(prefix), want=want)


def world_of(ex: Example) -> W.PolicyWorld:
    return W.policy_world(W.PolicySpec.from_json(ex.check["world"]))


def case_of(name: str, i: int = 0) -> Any:
    k = next(k for k in C.KINDS if k.name == name)
    w = W.policy_world(k.spec(i))
    return k.make(random.Random(f"{name}:{i}"), w, RELEASE), w


def policy_of(ex: Example) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(JSON_BLOCK.findall(ex.answer)[-1])
    return doc


def with_policy(ex: Example, edit: Callable[[dict[str, Any]], None]) -> str:
    """The reference answer with its corrected policy changed by `edit`."""
    block = JSON_BLOCK.findall(ex.answer)[-1]
    doc = json.loads(block)
    edit(doc)
    return ex.answer.replace(block, json.dumps(doc, indent=2))


def score(ex: Example, answer: str, ctx: ScoreContext) -> Any:
    return T.score(answer, ex.check, ctx)


def assert_fails(ex: Example, answer: str, ctx: ScoreContext, reason: str = "") -> None:
    res = score(ex, answer, ctx)
    assert not res.ok, f"{ex.check['trap']}: wrong answer accepted"
    assert reason in res.reason, res.reason


# ----------------------------------------------------------------------------- broken: the real cause


def test_partial_glob_needs_the_literal_match_not_a_claim_about_the_wildcard(ctx: ScoreContext) -> None:
    for ex in trap("cert-constraint/partial-glob"):
        assert score(ex, ex.answer, ctx).ok, ex.check["trap"]
        w = world_of(ex)
        email = w.emails[w.steps[0]]
        assert ex.check["require"][0] == [email]  # test_family_traps reads the pin from here
        assert all('["*"]' not in group for group in ex.check["require"])
        wrong = (
            f'This will fail: `"uris": ["*"]` is not a valid wildcard, go-witness has no wildcard values in a '
            f'certConstraint, so no certificate matches. Remove the `["*"]` entries and pin `{email}` instead.'
        )
        assert_fails(ex, wrong, ctx, "missing key term")
        also_glob = wrong.replace("instead.", f"instead of `*@{email.split('@')[1]}`.")
        assert_fails(ex, also_glob, ctx, "missing key term")


def test_partial_glob_fix_keeps_the_identity_pin(ctx: ScoreContext) -> None:
    for ex in trap("cert-constraint/partial-glob"):
        w = world_of(ex)
        first = w.steps[0]

        def widen(doc: dict[str, Any], steps: tuple[str, ...] = (first,)) -> None:
            for s in steps:
                doc["steps"][s]["functionaries"][0]["certConstraint"]["emails"] = ["*"]

        # go-witness accepts the widened constraint (a lone "*" is the wildcard): only the pin check rejects it
        widened = policy_of(ex)
        widen(widened)
        assert W.verify_policy(widened, W.genuine(w), RELEASE).passed
        assert_fails(ex, with_policy(ex, widen), ctx, "emails")
        assert_fails(ex, with_policy(ex, functools.partial(widen, steps=tuple(w.steps))), ctx, "emails")


def test_deny_not_a_set_needs_the_string_cause(ctx: ScoreContext) -> None:
    for ex in trap("deny-not-a-set"):
        assert score(ex, ex.answer, ctx).ok, ex.check["trap"]
        wrong = (
            "This will fail: the module uses `contains` and `if` without `import future.keywords`, so OPA "
            "cannot parse it. Add `import future.keywords.contains` and `import future.keywords.if`, then set "
            "the module in the policy again (base64) and reset the signature."
        )
        assert_fails(ex, wrong, ctx, "missing key term")
        blames_import = wrong.replace("cannot parse it.", "cannot parse the `deny contains` rule.")
        assert_fails(ex, blames_import, ctx, "missing key term")
        right = (
            "This will fail: `deny` is a single string, and go-witness rejects anything but a set or array of "
            "strings (`invalid data from rego`). Make it a partial set rule, `deny contains msg if`."
        )
        assert score(ex, right, ctx).ok


def test_an_array_deny_is_accepted_and_the_wording_says_so(ctx: ScoreContext) -> None:
    """go-witness v0.12.0 policy/rego.go 75-84: `deny` must decode to []interface{} of strings; OPA returns
    both a set and an array as []interface{}, so an array is as good as a set."""
    ex = trap("deny-not-a-set", want=1)[0]
    array = (
        "This will fail: `deny` is a single string; witness wants a set or an array of strings. An array "
        'works too:\n\n```rego\npackage a.b\n\nimport rego.v1\n\ndeny := [msg | input.cmd != ["x"]; '
        'msg := "unexpected command"]\n```'
    )
    assert score(ex, array, ctx).ok
    for i in range(6):
        case, _w = case_of("deny-not-a-set", i)
        for head in case.heads:
            assert "set (or array) of strings" in head, head
        assert not any("to be a set of strings" in h for h in case.heads)


# ----------------------------------------------------------------------------- weak: the user's rule


def _rego_atts(doc: dict[str, Any], w: W.PolicyWorld) -> list[dict[str, Any]]:
    assert w.rego is not None
    return [a for a in doc["steps"][w.rego.step]["attestations"] if a["type"] == w.rego.type]


def test_requiring_the_github_attestation_without_the_workflow_pin_fails(ctx: ScoreContext) -> None:
    for ex in trap("weak/ci-attestation-not-required"):
        assert score(ex, ex.answer, ctx).ok, ex.check["trap"]
        w = world_of(ex)
        assert w.rego is not None

        def unpinned(doc: dict[str, Any], w: W.PolicyWorld = w) -> None:  # required, nothing checked
            for a in _rego_atts(doc, w):
                a["regopolicies"] = []

        only_type = policy_of(ex)
        unpinned(only_type)
        assert W.verify_policy(only_type, W.genuine(w), RELEASE).passed
        assert_fails(ex, with_policy(ex, unpinned), ctx, "attack")


def test_ci_attestation_prose_is_backed_by_the_verifier() -> None:
    """The answer says a run without `-a github` passes the pasted policy, and that requiring the attestation
    makes it fail with `no passed collections present`."""
    for i in range(3):
        case, w = case_of("weak/ci-attestation-not-required", i)
        assert w.rego is not None and case.attack is not None and case.fixed is not None
        step = w.rego.step
        local = W.attacked(w, W.Attack("local", step, "github"))
        assert W.verify_policy(case.shown, local, RELEASE).passed
        res = W.verify_policy(case.fixed, local, RELEASE)
        assert not res.passed
        assert f"failed to verify artifacts for step {step}: no passed collections present" in "\n".join(
            res.reasons
        ), res.reasons
        assert case.attack.kind == "branch"
        assert case.must == [f'"type": "{W.TYPE_OF["github"]}"']


def test_pinning_the_branch_elsewhere_still_needs_the_github_attestation(ctx: ScoreContext) -> None:
    ex = trap("weak/ci-attestation-not-required", want=1)[0]
    w = world_of(ex)
    assert w.rego is not None
    branch = w.scenarios[w.rego.step].branch
    module = (
        f'package git.release\n\nimport rego.v1\n\ndeny contains msg if {{\n\tinput.branch != "{branch}"\n'
        '\tmsg := "wrong branch"\n}\n'
    )

    step, github = w.rego.step, w.rego.type

    def git_pin(doc: dict[str, Any]) -> None:
        st = doc["steps"][step]
        st["attestations"] = [a for a in st["attestations"] if a["type"] != github]
        git = [a for a in st["attestations"] if a["type"] == W.TYPE_OF["git"]]
        if not git:
            st["attestations"].append({"type": W.TYPE_OF["git"]})
            git = st["attestations"][-1:]
        git[0]["regopolicies"] = [{"name": "branch", "module": base64.b64encode(module.encode()).decode()}]

    # go-witness accepts it and it rejects the wrong-branch run, but a run outside GitHub Actions passes
    pinned = policy_of(ex)
    git_pin(pinned)
    assert W.verify_policy(pinned, W.genuine(w), RELEASE).passed
    assert not W.verify_policy(pinned, W.attacked(w, W.Attack.from_json(ex.check["attack"])), RELEASE).passed
    assert W.verify_policy(pinned, W.attacked(w, W.Attack("local", step, "github")), RELEASE).passed
    assert_fails(ex, with_policy(ex, git_pin), ctx, "lacks")


def _tool_only(ex: Example, w: W.PolicyWorld) -> str:
    """The reference answer with its exact-argv module replaced by one that checks only the tool."""
    assert w.rego is not None
    tool = w.scenarios[w.rego.step].command[0]
    module = (
        f"package {w.rego.package}\n\nimport rego.v1\n\ndeny contains msg if {{\n"
        f'\tinput.cmd[0] != "{tool}"\n\tmsg := sprintf("unexpected build tool %v", [input.cmd[0]])\n}}\n'
    )

    def edit(doc: dict[str, Any]) -> None:
        for a in _rego_atts(doc, w):
            for rp in a["regopolicies"]:
                rp["module"] = base64.b64encode(module.encode()).decode()

    answer = with_policy(ex, edit)
    for block in REGO_BLOCK.findall(answer):
        answer = answer.replace(block, module.rstrip())
    return answer


@pytest.mark.parametrize("name", ["weak/command-unpinned", "weak/exit-code-only"])
def test_a_tool_only_pin_is_no_command_pin(name: str, ctx: ScoreContext) -> None:
    # examples whose tool is not `make`: the old attack (`make quick`, `./build.sh`...) differed in the tool
    exs = found(
        lambda ex: (
            ex.check["trap"] == name and not world_of(ex).commands[world_of(ex).steps[0]].startswith("make")
        )
    )
    for ex in exs:
        assert score(ex, ex.answer, ctx).ok, name
        w = world_of(ex)
        assert w.rego is not None
        assert_fails(ex, _tool_only(ex, w), ctx, "attack")
        attack = W.Attack.from_json(ex.check["attack"])
        assert attack.kind == "command"
        pinned = w.scenarios[w.rego.step].command
        near = tuple(attack.value.split())
        assert near[0] == pinned[0] and set(pinned) < set(near), (pinned, near)


@pytest.mark.parametrize("name", ["weak/command-unpinned", "weak/exit-code-only"])
def test_the_pasted_policy_accepts_the_commands_the_prose_names(name: str) -> None:
    """The answer says a different command and the near miss both verify with the pasted policy."""
    for i in range(3):
        case, w = case_of(name, i)
        assert w.rego is not None and case.attack is not None and case.fixed is not None
        step = w.rego.step
        assert case.attack.value in " ".join(case.reasons)
        for words in (*W.ATTACK_COMMANDS[:2], tuple(case.attack.value.split())):
            run = W.attacked(w, W.Attack("command", step, " ".join(words)))
            assert W.verify_policy(case.shown, run, RELEASE).passed, words
            assert not W.verify_policy(case.fixed, run, RELEASE).passed, words
