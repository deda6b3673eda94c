"""Regressions from audit 9 (facts family): each test fails on the generator before its fix.

Go sources (go-witness at tag v0.12.0, witness CLI at the mirror's HEAD):

* `no collections found for step X` is never printed: policy/policy.go:253-255 wraps it in an empty
  placeholder result that checkFunctionaries rejects (policy.go:410-412, `predicate type  is not a collection
  predicate type`), and witness cmd/verify.go:219-231 prints only the rejection reasons. The attestor-type
  question quoted the unprinted error as witness output.
* aws-codebuild's back-references are all of its subjects (attestation/aws-codebuild/aws-codebuild.go:249-252,
  `return a.Subjects()`); the subjects fact named only the first.
* secretscan scans the attestations of the earlier phases as well as the products, and fails only with
  fail-on-detection (attestation/secretscan/scanner.go:432-466, constants.go:19 `defaultFailOnDetection =
  false`); the facts said it scans "the step's products".
* Run types (attestation/context.go; e.g. material/material.go:29 `MaterialRunType`, product/product.go:37,
  policyverify/policyverify.go:40): the run-type check required only the run type's word, which the attestor's
  own name (`material`, `product`) or `witness verify` already contains, so "material has run type
  prematerial" passed.
* `git` is a default attestor (witness options/run.go:28 `DefaultAttestors`) and fails outside a checkout
  (attestation/git/git.go:126-132, go-git `repository does not exist`): the needs fact said only "`-a git`
  outside one fails", as if a run without `-a` were safe.
* `no collections found for step X` had no fact saying what witness prints instead (see the first item); the
  new misconception fact `misc/no-collection-output` teaches the placeholder lines.
* link and slsa left in the collection make it unreadable for `witness verify` (attestation/link/link.go:142-151,
  slsa/slsa.go:271-280 marshal protobuf structs with encoding/json; structpb's `Kind` is an interface that
  encoding/json cannot fill), so every recommendation must export them; capture, name, cliname and selection
  answers showed `-a environment,git,link` without `--attestor-link-export` and "In a policy step its type is".
* Answers opening with "Yes"/"No" to questions that are not yes/no ("How do I enable network-trace?",
  "Which version has it?", "What is the difference between -k in run and sign?", "How do I make witness record
  sha512?", "How do I get X in a separate envelope?"); the facts themselves are unchanged (network-trace:
  import_linux.go + attestation/networktrace/networktrace.go:33-35; shorthands: witness options/run.go,
  sign.go, verify.go; hashes: cryptoutil/digestset.go:58-90, 117-123 and witness cmd/run.go:124-129;
  exporters: the `export` options of link, sbom and slsa only).
"""

from __future__ import annotations

import re

import pytest

from witness_evals.bench.scorers.terms import score_terms
from witness_evals.generate import facts_attestors as FA
from witness_evals.generate.families import facts as F

_YES_NO = re.compile(r"(?i)\s*(yes|no)\b")


def _ok(fact: F.Fact, t: int) -> bool:
    return score_terms(fact.answer_to(t), fact.check).ok


def test_type_questions_quote_what_witness_prints() -> None:
    for fact in F.catalogue()["attestor-type"]:
        for t, q in enumerate(fact.questions):
            assert "no collections found" not in q, (fact.fid, q)
            assert "no collections found" not in fact.answer_to(t), fact.fid
        assert any(F.PLACEHOLDER_LINE in q for q in fact.questions), fact.fid
        assert all(_ok(fact, t) for t in range(len(fact.questions))), fact.fid


def test_aws_codebuild_names_every_back_reference() -> None:
    answer = F.fact_by_id("attestor/subjects/aws-codebuild").answer
    sentence = next(s for s in answer.split(". ") if "back-reference" in s)
    for name in ("codebuild-build-id", "codebuild-source-version"):
        assert f"`{name}`" in sentence, sentence
    # `codebuild-project` exists only when the job sets CODEBUILD_PROJECT_NAME itself (CodeBuild does not)
    assert "`codebuild-project:...` subject is added only when `CODEBUILD_PROJECT_NAME` is set" in answer
    git = F.fact_by_id("attestor/subjects/git").answer
    assert "`commithash` is also a back-reference" in git


def test_secretscan_scans_attestations_too() -> None:
    records = FA.INFO["secretscan"].records
    assert "attestations" in records and "--attestor-secretscan-fail-on-detection" in records
    capture = next(
        f for f in F.catalogue()["attestor-capture"] if f.fid.startswith("attestor/capture/secretscan")
    )
    assert "attestations recorded before it" in capture.answer


@pytest.mark.parametrize(
    ("fid", "wrong", "right"),
    [
        (
            "attestor/runtype/material",
            "`material` has run type `prematerial`.",
            "`material` has run type `material`.",
        ),
        (
            "attestor/runtype/product",
            "The product attestor runs in the postproduct phase.",
            "`product`: run type `product`.",
        ),
        (
            "attestor/runtype/policyverify",
            "`policyverify` has RunType postproduct; it runs in witness verify.",
            "`policyverify` has run type `verify`: only inside `witness verify`.",
        ),
        (
            "attestor/runtype/aws",
            "aws has run type postproduct, after prematerial ones.",
            "aws has run type prematerial.",
        ),
    ],
)
def test_runtype_check_refuses_a_wrong_run_type(fid: str, wrong: str, right: str) -> None:
    check = F.fact_by_id(fid).check
    assert not score_terms(wrong, check).ok
    assert score_terms(right, check).ok


def test_network_trace_answers_match_the_question_form() -> None:
    fact = F.fact_by_id("attestor/network-trace")
    for t, q in enumerate(fact.questions):
        yes_no = q.startswith(("Does", "Can", "Is"))
        assert bool(_YES_NO.match(fact.answer_to(t))) == yes_no, (q, fact.answer_to(t)[:60])
        assert _ok(fact, t)
    assert fact.answer_to(4).startswith("The network connections")


def test_shorthand_comparisons_answer_non_yes_no_questions_head_on() -> None:
    for fid in ("flag/across/k/run/sign", "flag/across/k/run/verify", "flag/across/o/run/sign"):
        fact = F.fact_by_id(fid)
        for t, q in enumerate(fact.questions):
            yes_no = q.startswith(("Does", "Is", "I use"))
            assert bool(_YES_NO.match(fact.answer_to(t))) == yes_no, (q, fact.answer_to(t)[:60])
            assert _ok(fact, t), (fid, t)


def test_how_and_why_questions_are_not_answered_with_no() -> None:
    for fid, ts in (
        ("digest/unsupported/sha512", (3, 4)),
        ("attestor/export/maven", (2,)),
        ("attestor/export/slsa", (2,)),
    ):
        fact = F.fact_by_id(fid)
        for t in ts:
            assert not _YES_NO.match(fact.answer_to(t)), (fid, fact.questions[t], fact.answer_to(t)[:60])
            assert _ok(fact, t), (fid, t)
    assert "failed to parse hash: unsupported hash function: sha512" in F.fact_by_id(
        "digest/unsupported/sha512"
    ).answer_to(4)


def test_missing_collection_output_is_taught_as_witness_prints_it() -> None:
    fact = F.fact_by_id("misc/no-collection-output")
    for t in range(len(fact.questions)):
        assert _ok(fact, t), t
        assert "predicate type  is not a collection predicate type" in fact.answer_to(t)
    assert fact.answer_to(0).startswith("No: witness never prints `no collections found")
    wrong = "Witness prints `no collections found for step build` when the collection is missing."
    assert not score_terms(wrong, fact.check).ok


def test_git_needs_says_a_plain_run_fails_outside_a_checkout() -> None:
    fact = F.fact_by_id("attestor/needs/git")
    assert "repository does not exist" in fact.answer
    assert "without `-a`" in fact.answer
    assert all(_ok(fact, t) for t in range(len(fact.questions)))


@pytest.mark.parametrize("name", ["link", "slsa"])
def test_link_and_slsa_recommendations_export_them(name: str) -> None:
    flag = f"--attestor-{name}-export"
    facts = [
        *(f for f in F.catalogue()["attestor-capture"] if f.fid.startswith(f"attestor/capture/{name}/")),
        F.fact_by_id(f"attestor/name/{name}"),
        F.fact_by_id(f"attestor/selection/{name}"),
        *(
            f
            for f in F.catalogue()["attestor-cliname"]
            if f.fid.startswith("attestor/cliname/") and f"`{name}`" in f.answer
        ),
    ]
    assert len(facts) >= 4
    for fact in facts:
        runs = [c for c in (*fact.commands, fact.answer) if f"-a environment,git,{name}" in c]
        assert runs and all(flag in c for c in runs), fact.fid
        assert "In a policy step its type is" not in fact.answer, fact.fid
