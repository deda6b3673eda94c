"""A fact question asked beside a neighbouring one that the user says is settled.

Tuned models answered hand-written fact questions with the answer of a *neighbouring* fact, the one whose
question shares the most words (`-a` on `witness run` when asked which attestors always run; the environment
type when asked for the collection's; docs/analysis/hand-failures-gemma-2026-12-07.md). Here the prompt names
that neighbour as answered already ("Not asking ...; I found that one") and asks the fact; the answer stays
the fact's own. Neighbours share a quoted term (`witness run`, `-a`, an attestor's name) with the question and
have answers that fail each other's check, so a model that answers the neighbour instead fails the example.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

from witness_evals.bench.scorers.terms import score_terms
from witness_evals.generate import phrasing
from witness_evals.generate.facts_attestors import Fact
from witness_evals.witness.versions import WitnessVersion

BESIDE_SHARE = 0.25
"""Share of fact questions (not the grouped ones) asked beside a settled neighbour, when the fact has one."""

MAX_NEIGHBOURS = 12
"""Neighbours kept per fact: enough variety, bounded cost."""

_QUOTED = re.compile(r"`([^`]+)`")

LEADS = (
    'Not asking "{other}" (I found that one). What I need to know: {q}',
    'Someone already answered "{other}" for me. A different question: {q}',
    'I know the answer to "{other}", so skip that part. {q}',
    '{q} (Not the same as "{other}"; that one I already know.)',
    'Two related things, and the first is settled: "{other}" The one I am stuck on: {q}',
    'The docs answered "{other}" but not this: {q}',
    'When I ask this I keep getting answers to "{other}" instead, which is not what I mean. {q}',
)


def terms(question: str) -> frozenset[str]:
    """The quoted terms of a question (`witness run`, `-a`, `aws-codebuild`, ...)."""
    return frozenset(_QUOTED.findall(question))


def neighbours(fact: Fact, pool: Iterable[Fact], version: WitnessVersion) -> tuple[Fact, ...]:
    """Up to `MAX_NEIGHBOURS` facts of `pool` whose first question shares a quoted term with `fact`'s, those
    sharing the most first (the most confusable), whose answers fail each other's check (so the two
    questions really ask different things)."""
    own = terms(fact.questions[0])
    if not own:
        return ()
    shared = [(len(own & terms(o.questions[0])), i, o) for i, o in enumerate(pool) if o.fid != fact.fid]
    out: list[Fact] = []
    for _, _, other in sorted((s for s in shared if s[0]), key=lambda s: (-s[0], s[1])):
        if (
            score_terms(fact.answer, other.check, version).ok
            or score_terms(other.answer, fact.check, version).ok
        ):
            continue
        out.append(other)
        if len(out) == MAX_NEIGHBOURS:
            break
    return tuple(out)


def beside(rng: random.Random, other: Fact, question: str) -> str:
    """`question` asked with one of `other`'s questions named as already answered."""
    settled = phrasing.pick(rng, other.questions)
    return phrasing.pick(rng, LEADS).format(other=settled, q=question)


__all__ = ["BESIDE_SHARE", "LEADS", "beside", "neighbours", "terms"]
