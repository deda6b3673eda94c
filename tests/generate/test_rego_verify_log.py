"""Rego fix and logic questions that paste a real `witness verify` log (`generate.rego_verify_log`)."""

from __future__ import annotations

import random
import re

import pytest

from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate import rego_verify_log
from witness_evals.generate.example import Example
from witness_evals.generate.families import rego
from witness_evals.generate.rego_model import Req, apply_bug, render
from witness_evals.generate.rego_verify_log import VerifyLog, verify_log
from witness_evals.witness import versions

LOG_LINE = re.compile(r"^(\$ witness verify |INFO    |ERROR   |level=(info|error) msg=| - )")


def _req(name: str, seed: int = 7) -> Req:
    fn = next(m for ms in rego.MAKERS.values() for m in ms if m.__name__ == name)
    return fn(random.Random(seed))


def _log(req: Req, module: str, seed: int = 0, tty: bool = True) -> VerifyLog | None:
    return verify_log(
        req,
        module,
        render(req, "v1"),
        step="build",
        att_file="build.json",
        policy_file="policy.json",
        rng=random.Random(seed),
        version=versions.LATEST,
        tty=tty,
    )


def test_parse_error_fails_a_compliant_build() -> None:
    req = _req("git_branch")
    log = _log(req, rego.broken(req, "no-import"))
    assert log is not None and not log.passed and log.compliant
    lines = log.text.splitlines()
    assert lines[0] == f"$ {log.command}"
    assert re.fullmatch(r"witness verify -p \S*policy\S*\.json -k \S+ -a build\.json -f \S+", log.command)
    assert "ERROR   collection rejected: build, Reason: collection validation failed:" in log.text
    assert "rego_parse_error" in log.text
    assert all(LOG_LINE.match(ln) for ln in lines), lines


def test_a_module_that_never_denies_lets_a_violation_through() -> None:
    req = _req("git_branch")
    log = _log(req, rego.broken(req, "no-deny"), tty=False)
    assert log is not None and log.passed and not log.compliant
    assert 'level=info msg="Verification succeeded"' in log.text
    assert 0 <= log.index < len(req.deny_inputs())


def test_a_wrong_type_of_deny_is_an_error_not_a_denial() -> None:
    req = _req("git_branch")
    log = _log(req, rego.broken(req, "string"))
    assert log is not None and not log.passed and not log.compliant
    assert "invalid data from rego at data." in log.text and "but got string" in log.text


def test_the_correct_module_has_no_log_and_runs_are_deterministic() -> None:
    req = _req("git_branch")
    assert _log(req, render(req, "v1")) is None
    broken = rego.broken(req, "path")
    assert _log(req, broken, seed=3) == _log(req, broken, seed=3)


@pytest.fixture(scope="module")
def logged() -> list[Example]:
    out = []
    for s in range(1500):
        ex = rego.make(random.Random(s))
        if "/log-" in ex.template:
            out.append(ex)
    return out


def test_logged_questions_paste_the_log_verbatim_and_answers_pass(logged: list[Example]) -> None:
    kinds = {ex.template.split("/")[1] for ex in logged}
    assert kinds == {"fix", "logic"}
    assert any("/log-passes" in ex.template for ex in logged)
    errors = [ex for ex in logged if "/log-errors" in ex.template]
    assert errors and all(
        "invalid data from rego" in ex.question or "rego_parse_error" in ex.question for ex in errors
    )
    ctx = ScoreContext()
    for ex in logged[:60]:
        block = re.search(r"```[a-z]*\n(\$ witness verify .*?)\n```", ex.question, re.S)
        assert block, ex.question
        assert all(LOG_LINE.match(ln) for ln in block.group(1).splitlines()), block.group(1)
        assert rego.score(ex.answer, ex.check, ctx).ok, ex.template
        assert not rego.score(f"```rego\n{ex.check['broken']}```", ex.check, ctx).ok


def test_answers_read_the_log_and_name_the_changed_line(logged: list[Example]) -> None:
    readings = [s.split("{")[0] for v in rego._READ_LOG.values() for s in v]
    assert all(any(r in ex.answer for r in readings) for ex in logged)
    changed = ("becomes `", "→ `", "line to add", "Added line")
    assert sum(any(c in ex.answer for c in changed) for ex in logged) > len(logged) // 4


def test_with_change_names_one_changed_or_added_line() -> None:
    rng = random.Random(0)
    one = rego._with_change(rng, "Why.", "a\nb := 1\nc\n", "a\nb := 2\nc\n")
    assert "`b := 1`" in one and "`b := 2`" in one
    added = rego._with_change(rng, "Why.", "a\nc\n", "a\nimport rego.v1\nc\n")
    assert added.startswith("Why. ") and "`import rego.v1`" in added
    assert rego._with_change(rng, "Why.", "a\nb\n", "x\ny\n") == "Why."


def test_on_the_product_attestation_the_named_file_is_the_verified_one() -> None:
    """`-f` names the product whose sha256 verify is given, not merely the first product (a directory's
    dirhash entry has none)."""
    pred = {
        "dist/": {"mime_type": "text/directory", "digest": {"dirHash": "ab" * 32}},
        "dist/app.tar.gz": {"mime_type": "application/gzip", "digest": {"sha256": "cd" * 32}},
    }
    made = rego_verify_log._collection("build", rego_verify_log.PRODUCT, pred, "ignored")
    assert made is not None and made[1:] == ("dist/app.tar.gz", "cd" * 32)
    assert (
        rego_verify_log._collection("build", rego_verify_log.PRODUCT, {"dist/": pred["dist/"]}, "x") is None
    )


def test_an_argv_compared_with_a_string_denies_the_exact_command() -> None:
    """`input.cmd != "make release"` is true for every argv array: verify rejects the very command it names,
    printing the array in the module's message."""
    req = _req("cmd_exact")
    (bug,) = [b for b in req.bugs if b.bid == "argv-string"]
    log = _log(req, apply_bug(req, bug))
    want = " ".join(req.param.split())
    assert log is not None and log.compliant and not log.passed
    assert f'input.cmd != "{want}"' in apply_bug(req, bug)
    assert "policy was denied due to: unexpected command [" in log.text
