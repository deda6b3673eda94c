"""Shared wording helpers so that questions vary in more than their nouns."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

SYSTEM_PROMPTS: tuple[str | None, ...] = (
    None,
    None,
    "You are an expert on in-toto/witness, the supply-chain attestation framework.",
    "You are a DevSecOps assistant. Answer questions about in-toto/witness precisely.",
    "You help engineers use the witness CLI, write witness policies and Rego rules.",
    "Answer as a senior supply-chain security engineer who knows in-toto/witness well.",
)

OPENERS: tuple[str, ...] = (
    "",
    "",
    "",
    "Quick question: ",
    "I'm new to witness. ",
    "Witness question. ",
    "Hi! ",
    "Can you help? ",
    "In our CI, ",
)

CLOSERS: tuple[str, ...] = (
    "",
    "",
    "",
    " Thanks!",
    " Please be exact.",
    " Keep it short.",
    " Show the exact syntax.",
)


def pick(rng: random.Random, options: Sequence[T]) -> T:
    """One element of `options` (seeded)."""
    return options[rng.randrange(len(options))]


def dress(rng: random.Random, question: str) -> str:
    """Add an optional opener/closer; the opener lower-cases the question's first letter after 'In our CI, '."""
    opener = pick(rng, OPENERS)
    closer = pick(rng, CLOSERS)
    if opener.endswith(", ") and question[:1].isupper() and not question[:2].isupper():
        question = question[:1].lower() + question[1:]
    return f"{opener}{question}{closer}"


def system_prompt(rng: random.Random) -> str | None:
    return pick(rng, SYSTEM_PROMPTS)
