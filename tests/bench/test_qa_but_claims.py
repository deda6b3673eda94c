"""A forbidden claim in a sentence joined by "but" is still a claim: "but" is no negation cue
(`scorers.terms.NEGATION`), so "Same flags, but `-t` is the timestamp server" states the wrong fact while
"`-t` is not the timestamp server but the payload type" does not."""

from __future__ import annotations

from witness_evals.bench.scorers.terms import claimed, score_terms

CHECK = {"require": [["-t"]], "forbid": ["the witness records the exit code and continues"]}


def test_but_does_not_hide_a_claim() -> None:
    text = "It is optional, but the witness records the exit code and continues anyway."
    assert claimed(text, "the witness records the exit code and continues")
    assert not score_terms(f"`-t`: {text}", CHECK).ok


def test_a_negated_clause_joined_by_but_is_no_claim() -> None:
    text = (
        "`-t` is fine, but the witness records the exit code and continues is not true: nothing is written."
    )
    assert score_terms(text, CHECK).ok
