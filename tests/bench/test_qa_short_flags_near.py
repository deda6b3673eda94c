"""Short-flag questions pin which long flag a short one stands for: an answer that names every long flag
but gives `witness sign`'s `-t` to `--timestamp-servers` must fail (`near` in `scorers.terms`)."""

from __future__ import annotations

from witness_evals.bench.scorers.qa import score_qa
from witness_evals.bench.scorers.terms import about, bound, near
from witness_evals.bench.suites import hand_tasks


def _task(task_id: str):  # type: ignore[no-untyped-def]
    return next(t for t in hand_tasks() if t.id == task_id)


def test_near_needs_both_in_one_sentence() -> None:
    assert near("On sign, `-t` is `--datatype`.", "-t", ["--datatype"])
    assert not near("On sign, `-t` is `--timestamp-servers`. The type is --datatype.", "-t", ["--datatype"])


def test_sign_t_given_to_timestamp_servers_fails() -> None:
    task = _task("hand/qa/sign-t-and-f-meaning")
    wrong = (
        "Same as on run: on `witness sign`, `-t` is `--timestamp-servers` and `-f` is `--infile`, the file "
        "to sign. The payload type is set with `--datatype`. On verify, `-f` is `--artifactfile`."
    )
    outcome = score_qa(wrong, task.check)
    assert outcome.outcome != "pass"
    assert any(c.name == "states -t is --datatype" and not c.ok for c in outcome.checks)
    assert score_qa(task.reference, task.check).outcome == "pass"


def test_verify_s_given_to_step_fails() -> None:
    task = _task("hand/qa/verify-s-and-a-meaning")
    wrong = (
        "On verify `-s` is the step, like run. Subject digests go in `--subjects`; `-a` takes attestation "
        "files."
    )
    assert score_qa(wrong, task.check).outcome != "pass"
    assert score_qa(task.reference, task.check).outcome == "pass"


def test_a_flag_bound_both_ways_fails() -> None:
    """`near` is met by the right sentence; `not_bound` catches a second one that gives sign's `-t` to
    `--timestamp-servers` (or verify's `-s` to `--step`), wherever the subcommand stands in the sentence."""
    task = _task("hand/qa/sign-t-and-f-meaning")
    both = (
        "On `witness sign`, `-t` is `--datatype` and `-f` is `--infile`, the file to sign. `-t` on sign also "
        "takes the timestamp servers, same as `--timestamp-servers` on run; on verify, `-f` is `--artifactfile`."
    )
    outcome = score_qa(both, task.check)
    assert outcome.outcome != "pass"
    assert any(
        c.name == "does not give sign's -t to --timestamp-servers" and not c.ok for c in outcome.checks
    )
    negated = both.replace("`-t` on sign also takes", "`-t` on sign never takes")
    assert score_qa(negated, task.check).outcome == "pass"
    task = _task("hand/qa/verify-s-and-a-meaning")
    both = (
        "On verify `-s` is `--subjects` (subject digests) and `-a` is `--attestations`, attestation files. "
        "With verify, -s also picks the step name as on run."
    )
    assert score_qa(both, task.check).outcome != "pass"


def test_about_gives_each_subcommand_its_own_words() -> None:
    text = "On `run`, `-t` is `--timestamp-servers` (sign's own `--timestamp-servers` has no shorthand). `-t` on sign is X."
    assert list(about(text, "sign")) == [
        "sign's own `--timestamp-servers` has no shorthand)",
        "`-t` on sign is X.",
    ]
    assert list(about(text, "run")) == ["On `run`, `-t` is `--timestamp-servers` ("]
    assert not bound(text, "sign", "-t", ["--timestamp-servers"])
    assert bound(text, "run", "-t", ["--timestamp-servers"])


def test_the_nearer_alternative_binds_the_flag() -> None:
    """Sign's own `--timestamp-servers` (no shorthand) may be named in the same sentence as its `-t`:
    the flag is bound to the nearer alternative, so a right answer that mentions both passes."""
    task = _task("hand/qa/sign-t-and-f-meaning")
    right = (
        "On `witness sign`, `-t` is `--datatype` and `-f` is `--infile`, the file to sign, and `--timestamp-servers` "
        "takes the TSA URLs there without a short form. On run, `-t` is `--timestamp-servers`; on verify, `-f` is "
        "`--artifactfile`."
    )
    assert score_qa(right, task.check).outcome == "pass"
    wrong = right.replace(
        "`-t` is `--datatype` and", "`-t` is `--timestamp-servers`, `--datatype` sets the type, and"
    )
    assert score_qa(wrong, task.check).outcome != "pass"
    # without right alternatives any wrong one in the piece binds; with them, the nearer one does
    assert bound("On sign -t is --datatype or --timestamp-servers.", "sign", "-t", ["--timestamp-servers"])
    assert bound("On sign -t is Y or --datatype.", "sign", "-t", ["Y"], right=["--datatype"])
    assert not bound("On sign -t is --datatype; Y is later.", "sign", "-t", ["Y"], right=["--datatype"])
