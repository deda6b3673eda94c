"""Fact questions asked beside a settled neighbour (`generate.facts_beside`): the neighbour is a real contrast
(its answer fails the asked fact's check), and the example still answers the asked fact."""

from __future__ import annotations

import random

import pytest

from witness_evals.bench.scorers.terms import score_terms
from witness_evals.generate import facts_beside
from witness_evals.generate.families import facts
from witness_evals.witness import versions


@pytest.mark.parametrize("version", sorted(versions.PROFILES))
def test_neighbours_share_a_term_and_fail_each_others_check(version: str) -> None:
    v = versions.get(version)
    cat = facts.catalogue(v)
    pool = [f for kind in cat for f in cat[kind]]
    with_neighbours = 0
    for fact in pool[::7]:
        others = facts._neighbours(v.name, fact.fid)
        with_neighbours += bool(others)
        assert len(others) <= facts_beside.MAX_NEIGHBOURS
        for other in others:
            assert other.fid != fact.fid
            assert facts_beside.terms(fact.questions[0]) & facts_beside.terms(other.questions[0])
            assert not score_terms(other.answer, fact.check, v).ok, (fact.fid, other.fid)
            assert not score_terms(fact.answer, other.check, v).ok, (fact.fid, other.fid)
    assert with_neighbours > len(pool[::7]) // 2


def test_beside_examples_answer_the_asked_fact_not_the_settled_one() -> None:
    rng = random.Random(11)
    seen = 0
    for _ in range(600):
        ex = facts.make(rng)
        if not ex.template.endswith("/beside"):
            continue
        seen += 1
        fid = ex.group.removeprefix("facts/")
        others = facts._neighbours(versions.LATEST.name, fid)
        assert others, fid
        assert score_terms(ex.answer, ex.check, versions.LATEST).ok
        assert not any(score_terms(o.answer, ex.check, versions.LATEST).ok for o in others)
    assert 40 <= seen <= 200, seen


def test_beside_names_the_settled_question_and_keeps_the_asked_one() -> None:
    fact = facts.fact_by_id("flag/short/run/a")
    other = facts._neighbours(versions.LATEST.name, fact.fid)[0]
    for seed in range(20):
        text = facts_beside.beside(random.Random(seed), other, fact.questions[0])
        assert fact.questions[0] in text
        assert any(f'"{q}"' in text for q in other.questions)


def test_a_fact_without_quoted_terms_has_no_neighbours() -> None:
    fact = next(
        f for kind in facts.catalogue().values() for f in kind if not facts_beside.terms(f.questions[0])
    )
    assert facts_beside.neighbours(fact, [fact], versions.LATEST) == ()
