"""`has_term` skips the regex for an ASCII answer that lacks the term's letters: that shortcut must never
change an answer's verdict, whatever the case, the flag form or non-ASCII letters that case-fold to ASCII."""

from __future__ import annotations

import random

import pytest

from witness_evals.bench.scorers.terms import has_term, near, term_pattern

TERMS = [
    "--step",
    "-t",
    "git",
    "GitHub",
    "sha256",
    "key.pem",
    "Kubernetes",
    "s",
    "ref: refs/heads/main",
    "ßeta",
]
ALPHABET = "abcgitGITksSK-._:/ \n\u212a\u017f\u00df0123456789"  # Kelvin sign, long s, sharp s


@pytest.mark.parametrize("case", [False, True])
def test_the_shortcut_agrees_with_the_regex(case: bool) -> None:
    rng = random.Random(7)
    for _ in range(3000):
        term = rng.choice(TERMS)
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40)))
        if rng.random() < 0.3:
            cut = rng.randint(0, len(text))
            text = text[:cut] + rng.choice([term, term.upper(), term.lower()]) + text[cut:]
        expected = term_pattern(term, case).search(text) is not None
        assert has_term(text, term, case) is expected, (term, text, case)


def test_non_ascii_folding_still_goes_through_the_regex() -> None:
    assert has_term("use the \u212aubernetes attestor", "kubernetes")  # Kelvin sign folds to k
    assert not has_term("use the kubernetes attestor", "--kubernetes")
    assert near("On sign, `-t` is `--datatype`.", "-t", ["--datatype"])
    assert not has_term("ON SIGN, -T IS THE TYPE", "-t")  # short flags are case-sensitive
