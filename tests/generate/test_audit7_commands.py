"""Regressions from audit 7 of the commands family: each test fails on the generator before its fix.

Sources: go-witness v0.12.0 attestation/product/product.go:238-261 (the product globs filter `Subjects()` only),
attestation/slsa/slsa.go:228-235 and 283-289 and attestation/link/link.go:135-136 and 154-161 (an exported
slsa or link statement takes its subjects from the unfiltered products), run.go:168-176 (an exported attestor
is signed with its own `Subjects()`); Groovy: a `'...'` string ends at the next `'`, so a Jenkins `sh` step
whose command holds one needs a `'''...'''` block (families/cli_usage/ci_files.py `_sh`).
"""

from __future__ import annotations

import random
import re

from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate.example import Example
from witness_evals.generate.families import cli_usage as fam
from witness_evals.generate.families.cli_usage import ci, ci_files, run_plan, workloads
from witness_evals.witness import versions

GLOBS = ("attestor-product-exclude-glob", "attestor-product-include-glob")
EXPORT_SENTENCE = "The glob only filters the collection's subjects: the exported"


def _examples(kind: str, n: int, version: str = "0.12") -> list[Example]:
    v = versions.get(version)
    return [fam.make_kind(random.Random(f"{kind}:{s}"), kind, v) for s in range(n)]


def _line(answer: str) -> str:
    m = re.search(r"```bash\n(.*?)\n```", answer, re.S)
    assert m, answer
    return m.group(1)


def test_jenkins_line_quoting_follows_sh(ctx: ScoreContext) -> None:
    """A Jenkins line with its own `'` quotes (or line breaks) goes in a `sh '''` block, as `ci_files._sh` writes
    it; only a plain one is told to stay in single quotes."""
    quoted = plain = 0
    for ex in _examples("ci-line", 700):
        if "/jenkins/" not in ex.template:
            continue
        line = _line(ex.answer)
        assert "(single quotes, so the shell expands the variable)" not in ex.answer, ex.answer
        if ci_files._sh(line).startswith("sh '''"):
            quoted += 1
            assert "Put it in a `sh '''` block" in ex.answer, ex.answer
            assert "in single quotes" not in ex.answer, ex.answer
            if "'" in line:
                assert "would end a single-quoted `sh` string early" in ex.answer, ex.answer
        else:
            plain += 1
            assert "Keep the `sh` string in single quotes" in ex.answer, ex.answer
        assert fam.score(ex.answer, ex.check, ctx).ok
    assert quoted >= 20 and plain >= 1, (quoted, plain)


def test_jenkins_quoting_sentence() -> None:
    assert "Keep the `sh` string in single quotes" in ci._jenkins_quoting("witness run -s a -- make", "KEY")
    with_quote = ci._jenkins_quoting(
        "witness run -s a --attestor-product-exclude-glob 'coverage/*' -- make", "K"
    )
    assert "`sh '''` block" in with_quote and "`$K`" in with_quote and "string early" in with_quote
    multi = ci._jenkins_quoting("witness run -s a \\\n  -- make", "K")
    assert "`sh '''` block" in multi and "spans several lines" in multi


def _plans(n: int = 1500) -> list[run_plan.RunPlan]:
    plans = []
    for s in range(n):
        rng = random.Random(f"plan:{s}")
        pr = workloads.draw(rng)
        plans.append(run_plan.plan(rng, pr, out="out.json", options=(3, 4)))
    return plans


def test_glob_with_exported_slsa_or_link_says_that_statement_keeps_every_product() -> None:
    """The globs filter the collection's subjects only: an exported slsa/link statement lists every product,
    so whenever the plan exports one, a must-keep sentence says so; without an export it is not said."""
    with_export = without = 0
    for p in _plans():
        flags = dict(p.flags)
        if not any(g in flags for g in GLOBS):
            continue
        exported = [x for x in ("slsa", "link") if flags.get(f"attestor-{x}-export") is True]
        said = [m for m in p.must if m.startswith(EXPORT_SENTENCE)]
        text = " ".join([*p.why, *p.must])
        assert "statement's subjects" not in text and "subjects of the statement" not in text, text
        if exported:
            with_export += 1
            assert len(said) == 1, p.must
            for x in exported:
                assert f"`{x}`" not in said[0] and x in said[0]
            assert "still list" in said[0] and "every product" in said[0]
        else:
            without += 1
            assert not said, p.must
    assert with_export >= 10 and without >= 10, (with_export, without)


def test_glob_export_sentence_reaches_the_answer(ctx: ScoreContext) -> None:
    seen = 0
    for kind in ("run", "ci", "ci-line"):
        for ex in _examples(kind, 400):
            flags = ex.check["expect"]["flags"]
            if not any(g in flags for g in GLOBS):
                continue
            assert "keeps matching files out of the statement's subjects" not in ex.answer
            if not any(flags.get(f"attestor-{x}-export") is True for x in ("slsa", "link")):
                continue
            seen += 1
            assert EXPORT_SENTENCE in ex.answer, ex.answer
            assert fam.score(ex.answer, ex.check, ctx).ok
    assert seen >= 20, seen


def test_ci_lead_mentions_key_handling_only_when_the_file_handles_one(ctx: ScoreContext) -> None:
    """A KMS signer (CodeBuild), a GitLab File-type variable or a key path on disk adds no key handling to the
    file, so the lead does not claim any; GitHub, Jenkins and Tekton key files still get it."""
    kms = handled = 0
    for ex in _examples("ci", 700):
        lead = ex.answer
        system = ex.template.split("/")[2]
        flags = ex.check["expect"]["flags"]
        if system == "codebuild" or (
            system in ("gitlab", "make", "shell") and "signer-file-key-path" in flags
        ):
            assert "key handling" not in lead, ex.answer
            if system == "codebuild":
                kms += 1
                assert "signer-kms-ref" in flags
        elif "key handling" in lead:
            handled += 1
            assert system in ("github", "jenkins", "tekton"), ex.answer
        assert fam.score(ex.answer, ex.check, ctx).ok
    assert kms >= 20 and handled >= 10, (kms, handled)


def test_edit_adding_an_exclude_glob_next_to_an_export_says_the_export_keeps_every_product(
    ctx: ScoreContext,
) -> None:
    """The edit intent's exclude change (families/cli_usage/changes.py `exclude`) on a command that exports slsa
    or link says the exported statement still lists the excluded files as subjects."""
    seen = 0
    for ex in _examples("edit", 900):
        lines = [m.group(1) for m in re.finditer(r"```bash\n(.*?)\n```", ex.answer, re.S)]
        final = lines[-1] if lines else ""
        exported = "--attestor-slsa-export" in final or "--attestor-link-export" in final
        if "--attestor-product-exclude-glob" not in final or not exported:
            continue
        if "--attestor-product-exclude-glob" in ex.question + str(ex.history):
            continue  # the glob was already there: not this change
        seen += 1
        assert EXPORT_SENTENCE in ex.answer, ex.answer
        assert "out of the statement's subjects" not in ex.answer, ex.answer
        assert fam.score(ex.answer, ex.check, ctx).ok
    assert seen >= 3, seen
