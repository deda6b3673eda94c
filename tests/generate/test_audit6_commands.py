"""Regressions from audit 6 of the commands family: each test fails on the generator before its fix.

Sources: witness cmd/policy_check.go (ValidationResult, the 30-day warning under `verbose && !jsonOutput`);
go-witness v0.12.0 attestation/product/product.go:195-211, attestation/file/file.go:51-80 and 212-215,
attestation/material/material.go:93 and attestation/k8smanifest/k8s.go:502-526.
"""

from __future__ import annotations

import random

import pytest

from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate.example import Example
from witness_evals.generate.families import cli_usage as fam
from witness_evals.generate.families.cli_usage import other, run
from witness_evals.witness import versions


def _examples(kind: str, n: int, version: str = "0.12") -> list[Example]:
    v = versions.get(version)
    return [fam.make_kind(random.Random(f"{kind}:{s}"), kind, v) for s in range(n)]


def _policy_checks(n: int = 400) -> list[Example]:
    return [ex for v in versions.NAMES for ex in _examples("other", n, v) if "policy-check" in ex.template]


def test_policy_check_expiry_warning_needs_verbose(ctx: ScoreContext) -> None:
    """The under-30-days warning is only added with `-v` and never with `--json`."""
    for name in versions.NAMES:
        summary = other.policy_check_summary(versions.get(name))
        assert "a warning under 30 days" not in summary
        assert "-v/--verbose` it also warns when fewer than 30 days" in summary
    seen = 0
    for ex in _policy_checks():
        seen += 1
        assert "a warning under 30 days" not in ex.answer, ex.answer
        assert fam.score(ex.answer, ex.check, ctx).ok
    assert seen >= 20


def test_policy_check_json_fields(ctx: ScoreContext) -> None:
    """`--json` always has valid/checks_performed/checks_passed/policy_file; `errors` and `warnings` are
    omitempty and a JSON result never carries `warnings`."""
    notes = {other.json_note(random.Random(s)) for s in range(50)}
    assert len(notes) >= 3
    for note in notes:
        assert "`warnings`" not in note
        for key in ("valid", "checks_performed", "checks_passed", "policy_file", "policy_expiration"):
            assert f"`{key}`" in note, (key, note)
    seen = 0
    for ex in _policy_checks():
        if ex.check["expect"]["flags"].get("json") is not True:
            continue
        seen += 1
        assert "`valid`, `errors` and `warnings`" not in ex.answer, ex.answer
        assert "`checks_performed`" in ex.answer, ex.answer
        assert fam.score(ex.answer, ex.check, ctx).ok
    assert seen >= 5


def _product_asks(ex: Example) -> bool:
    return any(
        s in ex.question
        for s in ("as products", "count as products", "show up as products", "Limit the products")
    )


def test_product_glob_answer_names_trace_and_dirhash(ctx: ScoreContext) -> None:
    """`-r/--trace` limits products to files the traced process opened and `--dirhash-glob` collapses a
    directory: an answer to "keep files out of the products" no longer says every file is still listed."""
    seen = 0
    for ex in _examples("run", 600):
        assert "every file the command creates or changes is still listed as a product" not in ex.answer
        has_glob = (
            "--attestor-product-exclude-glob" in ex.answer or "--attestor-product-include-glob" in ex.answer
        )
        if not (has_glob and _product_asks(ex)):
            continue
        seen += 1
        assert "`-r/--trace` keeps only the new or changed files the traced process opened" in ex.answer
        assert "`--dirhash-glob` collapses a matching directory into a single entry" in ex.answer
        assert fam.score(ex.answer, ex.check, ctx).ok
    assert seen >= 5


def test_dashdash_does_not_claim_witness_sees_reads() -> None:
    """Without `--trace` witness does not know what the command read: materials are the working directory
    hashed before the run, products what is new or changed afterwards."""
    outs = {run.dashdash_why(random.Random(s), ("make",)) for s in range(200)}
    assert not any("read and wrote" in o for o in outs), outs
    assert any("(the materials)" in o and "(the products)" in o for o in outs), outs
    for ex in _examples("run", 300):
        assert "attests what it read and wrote" not in ex.answer


@pytest.mark.parametrize("version", versions.NAMES)
def test_k8smanifest_cluster_needs_context_named_like_cluster(version: str, ctx: ScoreContext) -> None:
    """runRecordClusterInfo looks the context NAME up in `config.Clusters`: a valid kubeconfig whose context
    and cluster names differ still fails the run, so neither branch says "drop the flag where a kubeconfig
    exists"."""
    configured = off = 0
    for ex in _examples("run", 500, version) + _examples("ci", 300, version):
        if "k8smanifest" not in ex.check["expect"].get("attestors", []):
            continue
        assert "drop the flag on a runner that has one" not in ex.answer, ex.answer
        assert "unable to find context" in ex.answer or "name is also the name of one of its clusters" in (
            ex.answer
        ), ex.answer
        if ex.check["expect"]["flags"].get("attestor-k8smanifest-record-cluster-information") is False:
            off += 1
        else:
            configured += 1
            assert "--attestor-k8smanifest-record-cluster-information=false" in ex.answer, ex.answer
        assert fam.score(ex.answer, ex.check, ctx).ok
    assert configured >= 1 and off >= 3, (configured, off)
