"""Audit 6: attestor-selection checks judge claims about the asked attestor only; a SAN constraint fix must list
the certificate's set exactly (or be exactly ["*"]); the SBOM predicate is re-encoded, not embedded as is."""

from __future__ import annotations

import json
import random
import re
from typing import Any

import pytest

from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate.facts_attestors import INFO
from witness_evals.generate.families import diagnose as d
from witness_evals.generate.families import facts as F


def _fact(fid: str) -> F.Fact:
    return F.fact_by_id(fid)


# true sentences (witness options/run.go DefaultAttestors = environment, git; cmd/run.go alwaysRunAttestors =
# product, material, plus command-run when a command follows `--`) that a generic term used to refuse
TRUE_SENTENCES = [
    "Environment and git are recorded by default.",
    "Only product and material are always recorded.",
    "{name} is opt-in and never runs by default.",
    "command-run always runs when you give a command.",
]


@pytest.mark.parametrize("name", ["github", "gcp-iit", "slsa", "jwt", "policyverify"])
@pytest.mark.parametrize("sentence", TRUE_SENTENCES)
def test_selection_accepts_true_sentences_about_other_attestors(
    ctx: ScoreContext, name: str, sentence: str
) -> None:
    fact = _fact(f"attestor/selection/{name}")
    answer = f"{fact.answer} {sentence.format(name=name)}"
    res = F.score(answer, fact.check, ctx)
    assert res.ok, (name, sentence, res.reason)


@pytest.mark.parametrize("name", ["github", "jwt", "policyverify"])
@pytest.mark.parametrize(
    "claim",
    [
        "`{name}` is recorded by default.",
        "The {name} attestor always runs.",
        "{name} runs by default.",
        "{name} is always recorded.",
        "It is enabled by default.",
        "It's on by default.",
        "{name} is one of the default attestors.",
    ],
)
def test_selection_still_refuses_the_false_claim(ctx: ScoreContext, name: str, claim: str) -> None:
    fact = _fact(f"attestor/selection/{name}")
    res = F.score(f"{fact.answer} {claim.format(name=name)}", fact.check, ctx)
    assert not res.ok, (name, claim)


@pytest.mark.parametrize(
    ("name", "other"), [("environment", "github"), ("material", "github"), ("git", "sbom")]
)
def test_default_and_always_accept_other_opt_in_attestors(ctx: ScoreContext, name: str, other: str) -> None:
    fact = _fact(f"attestor/selection/{name}")
    for extra in (f"`{other}` is opt-in.", f"{other} is not recorded by default; it is opt-in."):
        res = F.score(f"{fact.answer} {extra}", fact.check, ctx)
        assert res.ok, (name, extra, res.reason)
    for wrong in (
        f"`{name}` is opt-in.",
        f"{name} is not recorded by default.",
        "It is opt-in, add it with -a.",
    ):
        assert not F.score(f"{fact.answer} {wrong}", fact.check, ctx).ok, (name, wrong)


def _san_fault(wildcard: bool) -> tuple[d.Fault, dict[str, Any]]:
    for seed in range(200):
        f = d.FAULTS["cert_san_omitted"](random.Random(f"cert_san_omitted:{seed}"))
        if ("since any is fine" in f.context) == wildcard:
            check = {
                "kind": "diagnosis",
                "cause": "cert_san_omitted",
                "require": f.require,
                "forbid": f.forbid,
            }
            return f, {**check, "checks": f.checks}
    raise AssertionError("no such fault")


def _with_constraint(answer: str, field: str, vals: list[str]) -> str:
    """`answer` whose every certConstraint lists `vals` for `field`."""

    def fix(m: re.Match[str]) -> str:
        doc = json.loads(m.group(1))
        for st in doc["steps"].values():
            for fn in st["functionaries"]:
                fn["certConstraint"][field] = vals
        return "```json\n" + json.dumps(doc, indent=2) + "\n```"

    return re.sub(r"```json\n(.*?)\n```", fix, answer, flags=re.S)


def test_san_fix_must_list_exactly_the_certificates_set(ctx: ScoreContext) -> None:
    """go-witness policy/constraints.go checkCertConstraint: unless the list is exactly ["*"], every listed value
    must be on the certificate ("Did not pass all constraints" otherwise), so an extra email fails."""
    f, check = _san_fault(wildcard=False)
    field, value = f.checks[0]["field"], f.checks[0]["value"]
    assert d.score(f.answer, check, ctx).ok
    assert d.score(_with_constraint(f.answer, field, [value]), check, ctx).ok
    assert d.score(_with_constraint(f.answer, field, ["*"]), check, ctx).ok
    for bad in ([value, "release-bot@example.com"], ["*", value], ["other@example.com"], []):
        res = d.score(_with_constraint(f.answer, field, bad), check, ctx)
        assert not res.ok and "does not allow the certificate's" in res.reason, bad


def test_san_fix_keeps_the_wildcard_the_user_asked_for(ctx: ScoreContext) -> None:
    f, check = _san_fault(wildcard=True)
    field, value = f.checks[0]["field"], f.checks[0]["value"]
    assert d.score(f.answer, check, ctx).ok
    res = d.score(_with_constraint(f.answer, field, [value]), check, ctx)
    assert not res.ok and "accepts any" in res.reason
    assert not d.score(_with_constraint(f.answer, field, [value, "x@example.com"]), check, ctx).ok


def test_sbom_is_re_encoded_not_embedded_as_is() -> None:
    """go-witness attestation/sbom/sbom.go: getCandidate decodes into spdx.Document / cyclonedx.BOM and
    MarshalJSON marshals that object, so unknown fields are dropped."""
    text = INFO["sbom"].records
    assert "as is" not in text
    assert "re-encoded" in text and "dropped" in text
