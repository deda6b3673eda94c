"""Regressions from audit 8 (facts family checks): each test fails on the generator before its fix.

Sources: go-witness v0.12.0 source/memory.go:106-118 (subjects are matched by digest, never by name); witness
options/verify.go:72 (`--policy-timestamp-servers` takes CA certificate paths; the URL form is
`--timestamp-servers` on run/sign); no `--rekor-server` flag in witness cmd/ or options/.
"""

from __future__ import annotations

from witness_evals.bench.scorers.terms import score_terms
from witness_evals.generate.families import facts as F


def test_renaming_questions_accept_a_plain_no() -> None:
    check = F.fact_by_id("misc/subject-by-digest").check
    assert score_terms("No, you do not have to keep the name: witness matches by digest.", check).ok
    assert score_terms("Copying it elsewhere is fine; verify looks subjects up by digest.", check).ok
    assert not score_terms(
        "Witness matches by file name, so you must keep the same name (and digest).", check
    ).ok


def test_policy_timestamp_servers_yes_answer_fails() -> None:
    check = F.fact_by_id("misc/policy-timestamp-servers").check
    wrong = "Yes, both take the TSA URL (e.g. https://freetsa.org/tsr); witness fetches the TSA certificate."
    assert not score_terms(wrong, check).ok
    assert score_terms(F.fact_by_id("misc/policy-timestamp-servers").answer, check).ok


def test_nonexistent_flag_used_in_a_command_fails() -> None:
    fact = F.fact_by_id("flag/nonexistent/rekor-server")
    assert score_terms(fact.answer, fact.check).ok
    wrong = (
        "Pass the Rekor URL: `witness run --rekor-server https://rekor.sigstore.dev -s build -k key.pem "
        "-o build.json -- make`. The flag has no short form."
    )
    assert not score_terms(wrong, fact.check).ok
    quoted = (
        "There is no such flag: `witness run --rekor-server x` fails with `unknown flag: --rekor-server`."
    )
    assert score_terms(quoted, fact.check).ok


def test_every_nonexistent_flag_reference_passes_its_check() -> None:
    for facts in F.catalogue().values():
        for fact in facts:
            if fact.fid.startswith("flag/nonexistent/"):
                assert fact.check.get("forbid_flag"), fact.fid
                assert score_terms(fact.answer, fact.check).ok, fact.fid
