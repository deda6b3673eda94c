"""Family `traps`: the defects a review of generated examples found stay fixed.

- the github workflow is pinned through the OIDC token (`jwt.claims.workflow_ref`), never through
  `ciconfigpath` (GITHUB_ACTION_PATH in go-witness: empty in a plain `run:` step);
- what a mistake causes is what go-witness does (a Rego parse error rejects the step's collections; a
  DER root aborts at `failed to load policy trust bundles`);
- a "Yes"/"No" opener agrees with the user's question, and a question about the Rego gets an answer
  about the Rego;
- no detail the question does not give (the leaf certificates' expiry date);
- prose that lists attestation types matches the policy it shows; no "version" for a misspelt name;
- pasted code fences open on a line of their own.
"""

from __future__ import annotations

import base64
import functools
import json
import random
import re
from typing import Any

import pytest

from witness_evals.bench import answers
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate import traps_cases as C
from witness_evals.generate import traps_requests as R
from witness_evals.generate.example import Example
from witness_evals.generate.families import traps as T
from witness_evals.generate.traps_case import SHORT
from witness_evals.generate.worlds import policy as W
from witness_evals.witness import versions

SEEDS = range(400)
JSON_BLOCK = re.compile(r"```json\n(.*?)\n```", re.S)
INLINE_FENCE = re.compile(r"[^\n]```")


@functools.cache
def example(seed: int) -> Example:
    return T.make(random.Random(seed), versions.LATEST)


def examples(pred: Any = lambda ex: True) -> list[Example]:
    return [ex for ex in map(example, SEEDS) if pred(ex)]


def kind(name: str) -> C.Kind:
    return next(k for k in C.KINDS if k.name == name)


def case_of(name: str, i: int = 0, version: versions.WitnessVersion = versions.LATEST) -> Any:
    k = kind(name)
    w = W.policy_world(k.spec(i))
    return k.make(random.Random(f"{name}:{i}"), w, version), w


def modules_of(policy: dict[str, Any]) -> list[str]:
    out = []
    for st in policy["steps"].values():
        for a in st["attestations"]:
            for rp in a.get("regopolicies") or []:
                out.append(base64.b64decode(rp["module"]).decode())
    return out


# ----------------------------------------------------------------------------- the github workflow


def test_the_workflow_module_reads_the_token_claims() -> None:
    for i in range(4):
        case, w = case_of("weak/ci-attestation-unchecked", i)
        assert w.rego is not None
        assert "input.jwt.claims.workflow_ref" in w.rego.text
        assert "ciconfigpath" not in w.rego.text
        github = next(
            a.attestation
            for a in w.runs.results[w.rego.step].collection.attestations
            if a.type == W.TYPE_OF["github"]
        )
        assert github["ciconfigpath"] == ""
        assert f'"{github["jwt"]["claims"]["workflow_ref"]}"' in w.rego.text
        assert W.verify_policy(w.policy, W.genuine(w)).passed
        assert not W.verify_policy(w.policy, W.attacked(w, case.attack)).passed


def test_pinning_ciconfigpath_rejects_the_real_build() -> None:
    """The rule the old generator taught: it denies every genuine run (ciconfigpath is "")."""
    _case, w = case_of("weak/ci-attestation-unchecked", 1)
    assert w.rego is not None
    path = f"{w.scenarios[w.steps[0]].repo_slug}/.github/workflows/build.yml@refs/heads/{w.scenarios[w.steps[0]].branch}"
    bad = w.rego.text.replace("input.jwt.claims.workflow_ref", "input.ciconfigpath")
    assert f'input.ciconfigpath != "{path}"' in bad
    policy = json.loads(json.dumps(w.policy))
    for a in policy["steps"][w.rego.step]["attestations"]:
        if a["type"] == w.rego.type:
            a["regopolicies"][0]["module"] = base64.b64encode(bad.encode()).decode()
    res = W.verify_policy(policy, W.genuine(w))
    assert not res.passed
    assert "unexpected workflow " in " ".join(res.reasons)


def test_an_answer_that_pins_ciconfigpath_fails(ctx: ScoreContext) -> None:
    ex = next(iter(examples(lambda e: e.check["trap"] == "weak/ci-attestation-unchecked")))
    assert T.score(ex.answer, ex.check, ctx).ok
    block = JSON_BLOCK.findall(ex.answer)[-1]
    doc = json.loads(block)
    for st in doc["steps"].values():
        for a in st["attestations"]:
            for rp in a.get("regopolicies") or []:
                src = base64.b64decode(rp["module"]).decode()
                src = src.replace("input.jwt.claims.workflow_ref", "input.ciconfigpath")
                rp["module"] = base64.b64encode(src.encode()).decode()
    answer = (
        "It needs tightening: the github attestation is required without Rego; pin the workflow "
        f"(`jwt.claims` hold it).\n\n```json\n{json.dumps(doc, indent=2)}\n```\n"
    )
    res = T.score(answer, ex.check, ctx)
    assert not res.ok and "does not verify the pipeline" in res.reason, res.reason


def test_no_answer_pins_ciconfigpath() -> None:
    for ex in examples():
        docs = [json.loads(b) for b in JSON_BLOCK.findall(ex.answer)]
        sources = [m for d in docs if isinstance(d, dict) and "steps" in d for m in modules_of(d)]
        sources += answers.rego_modules(ex.answer)
        assert not any("ciconfigpath" in s for s in sources), ex.check["trap"]
        if ex.check["trap"] == "weak/ci-attestation-unchecked":
            assert "workflow_ref" in ex.answer


# ----------------------------------------------------------------------------- what a mistake causes


def test_a_rego_parse_error_rejects_the_collections_not_the_whole_run() -> None:
    case, w = case_of("rego-v1-without-import")
    res = W.verify_policy(case.shown, W.genuine(w))
    assert not res.passed
    assert any("rego_parse_error" in r for r in res.reasons)
    assert case.world.rego is not None and res.steps[case.world.rego.step].rejected
    for reason in case.reasons:
        assert "before any step" not in reason and "errors out" not in reason
        assert "reject" in reason and f"`{case.world.rego.step}`" in reason


def test_a_der_root_aborts_loading_the_trust_bundles() -> None:
    case, w = case_of("root-cert-der")
    res = W.verify_policy(case.shown, W.genuine(w))
    assert not res.passed
    assert "failed to load policy trust bundles: invalid pem block" in (res.error or "") + " ".join(
        res.reasons
    )
    for reason in case.reasons:
        assert "failed to load policy trust bundles: invalid pem block" in reason
        assert "no x509 signer verifies" not in reason


def test_a_misspelt_attestor_name_is_not_called_a_version() -> None:
    for name in ("type-version/commandrun", "type-version/k8smanifest-v0.1", "type-version/vex-versioned"):
        case, _w = case_of(name)
        for reason in case.reasons:
            assert "version you wrote" not in reason
        assert any("type you wrote" in r for r in case.reasons)


# ----------------------------------------------------------------------------- openers and questions


def test_ask_polarities_line_up_with_the_asks() -> None:
    assert set(R.ASK_POLARITY) == set(R.ASKS)
    for intent, asks in R.ASKS.items():
        assert len(R.ASK_POLARITY[intent]) == len(asks), intent
        assert set(R.ASK_POLARITY[intent]) <= {"fine", "fault", ""}
    assert R.ASKS["ci"][2].endswith("Is the policy the problem?") and R.ASK_POLARITY["ci"][2] == "fault"


def test_yes_and_no_openers_agree_with_the_question() -> None:
    no_rejects = "No, `witness verify` rejects this policy: {h}"
    assert not T.fits_question(no_rejects, "broken", "fault")  # "Is the policy the problem?" -> "No" (old)
    assert T.fits_question(no_rejects, "broken", "fine")  # "Will it work?" -> "No"
    assert not T.fits_question(no_rejects, "broken", "")  # "What did I break?" -> no yes/no at all
    assert not T.fits_question("Yes, it will verify. {H}", "ok", "fault")  # "Anything you'd change?"
    assert T.fits_question("No, that's fine. {H}", "ok", "fault")
    assert T.fits_question("No problems here. {H}", "ok", "")
    assert T.fits_question("Yes, that's a real weakness: {h}", "weak", "fault")
    seen = 0
    for ex in examples():
        intent, idx = ex.template.split("/")[1:]
        polarity = R.ASK_POLARITY[intent][int(idx)]
        first = T.prose(ex.answer).strip()
        if re.match(r"(Yes|No)\b[,.:]", first):
            seen += 1
            assert T.fits_question(first, ex.check["verdict"], polarity), (ex.template, first[:80])
    assert seen > 10


def test_the_policy_problem_question_never_gets_a_no() -> None:
    found = examples(lambda e: e.template == "traps/ci/2")
    assert found
    for ex in found:
        assert not T.prose(ex.answer).strip().startswith("No,"), ex.answer[:120]


FAULTY_REGO = (
    "rego-",
    "deny-not-a-set",
    "no-deny-rule",
    "module-not-base64",
    "weak/branch-deny-list",
    "weak/exit-code-only",
)
"""Trap kinds whose fault lies in the module itself: their answers never call the Rego fine."""


def test_rego_questions_need_rego_and_get_an_answer_about_it() -> None:
    asked = examples(lambda e: e.template.startswith("traps/rego/"))
    assert asked
    for ex in asked:
        shown = json.loads(JSON_BLOCK.findall(ex.question)[0])
        assert R.carries_rego(shown), ex.check["trap"]
    fine = [
        ex
        for ex in asked
        if ex.check["verdict"] != "ok"
        and not ex.check["trap"].startswith(("snake-case-tag/rego_policies", *FAULTY_REGO))
    ]
    assert fine
    for ex in fine:
        w = W.policy_world(W.PolicySpec.from_json(ex.check["world"]))
        assert w.rego is not None
        said = [s.format(name=w.rego.name) for s in T.REGO_FINE]
        assert any(s in ex.answer for s in said), (ex.check["trap"], ex.answer[:300])
    for ex in asked:
        if ex.check["trap"].startswith(FAULTY_REGO):
            assert not any(s.split("`")[0] in ex.answer for s in T.REGO_FINE), ex.check["trap"]


def test_weak_cases_without_rego_are_not_asked_about_rego() -> None:
    for name in (
        "weak/ci-attestation-unchecked",
        "weak/command-unpinned",
        "weak/branch-unpinned",
        "weak/ci-attestation-not-required",
    ):
        case, _w = case_of(name)
        assert not R.carries_rego(case.shown)
        assert "rego" not in R.intents_for(case)


# ----------------------------------------------------------------------------- details and consistency


def test_answers_do_not_invent_the_certificates_expiry_date() -> None:
    x509 = examples(lambda e: e.check["world"]["signing"] == "x509")
    noted = 0
    for ex in x509:
        w = W.policy_world(W.PolicySpec.from_json(ex.check["world"]))
        for s in w.steps:
            leaf = w.signers[s].certificate
            assert leaf is not None
            date = leaf.not_valid_after_utc.strftime("%Y-%m-%d")
            if date not in ex.question:
                assert date not in ex.answer, ex.check["trap"]
        noted += "timestampauthorities" in ex.answer
    assert noted


def test_listed_types_match_the_corrected_policy() -> None:
    found = examples(lambda e: e.check["trap"] == "empty-attestations")
    assert found
    checked = 0
    for ex in found:
        m = re.search(r"Require what `([^`]+)` (?:actually )?records: ([^\n]*?)\.(?:\s|$)", ex.answer)
        if m is None:
            continue
        checked += 1
        doc = json.loads(JSON_BLOCK.findall(ex.answer)[-1])
        types = [a["type"] for a in doc["steps"][m.group(1)]["attestations"]]
        for t in types:
            assert SHORT.get(t, f"`{t}`") in m.group(2), (t, m.group(2))
        assert "actually records: material, command-run, product." not in ex.answer
    for i in range(6):  # worlds with extra attestations (sbom, OpenVEX, ...) in the step
        case, w = case_of("empty-attestations", i)
        step = next(s for s in w.steps if not case.shown["steps"][s]["attestations"])
        listing = case.fixes[1]
        for t in w.step_types(step):
            assert SHORT.get(t, f"`{t}`") in listing, (t, listing)
    assert checked


def test_the_release_label_is_not_repeated_back_to_back() -> None:
    for ex in examples(lambda e: e.check["trap"] == "empty-attestations"):
        label = versions.LATEST.label
        assert not re.search(re.escape(label) + r"\.\s+" + re.escape(label), ex.answer), ex.answer[:300]


# ----------------------------------------------------------------------------- fences


def test_own_line_fences() -> None:
    text = "Could you help with this? ```rego\npackage x\n```\n\nThanks"
    assert R.own_line_fences(text) == "Could you help with this?\n\n```rego\npackage x\n```\n\nThanks"
    fine = "Here:\n\n```json\n{}\n```"
    assert R.own_line_fences(fine) == fine


@pytest.mark.parametrize("start", [0, 200])
def test_questions_open_fences_on_their_own_line(start: int) -> None:
    for seed in range(start, start + 200):
        ex = example(seed)
        assert not INLINE_FENCE.search(ex.question), ex.question[:200]


def test_every_opener_table_has_an_opener_for_every_question_and_verdict() -> None:
    """An ask that is no yes/no question, or one whose yes/no would contradict the verdict, still finds
    an opener (an audit table of only "Yes, ..." openers once left none: `randrange` on an empty range)."""
    from witness_evals.generate.families import traps as T

    for table in (T.OPENERS, T.AUDIT_OPENERS):
        for cls, openers in table.items():
            for polarity in ("", "fine", "fault", "other"):
                for verdict in ("ok", "broken", "weak"):
                    assert any(T.fits_question(o, verdict, polarity) for o in openers), (
                        cls,
                        polarity,
                        verdict,
                    )


def test_a_branch_rule_in_the_answer_says_detached_checkouts_record_head() -> None:
    """git's `branch` is `HEAD` on a detached checkout (Jenkins, GitLab CI by default): an answer whose
    policy carries a branch rule says how to check out the branch (review finding)."""
    with_branch = [ex for ex in examples() if "input.branch !=" in ex.answer]
    assert with_branch
    assert all("`HEAD`" in ex.answer for ex in with_branch)
    # how depends on the CI the question shows (test_family_traps_audit): Jenkins, GitLab CI, GitHub Actions
    assert all(
        any(how in ex.answer for how in ("LocalBranch", "CI_COMMIT_REF_NAME", "actions/checkout"))
        for ex in with_branch
    )
