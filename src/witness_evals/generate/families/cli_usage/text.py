"""Small wording helpers shared by the request and answer builders of this family."""

from __future__ import annotations

import random
from collections.abc import Sequence

from witness_evals.generate.phrasing import pick


def join_and(items: Sequence[str], word: str = "and") -> str:
    items = list(items)
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {word} " + items[-1]


def code_list(names: Sequence[str], word: str = "and") -> str:
    return join_and([f"`{n}`" for n in names], word)


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def lower_first(s: str) -> str:
    return s[:1].lower() + s[1:] if s[:2] != "I " else s


def bullets(parts: Sequence[str]) -> str:
    """Requests as a terse list: one `- ` line each, lower-cased start, no closing full stop."""
    return "\n".join(f"- {lower_first(p.rstrip('.'))}" for p in parts)


def sentences(rng: random.Random, parts: Sequence[str], *, shuffle: bool = True) -> str:
    """Sentences joined with spaces, in a seeded order when `shuffle`."""
    items = [p.strip() for p in parts if p and p.strip()]
    if shuffle:
        rng.shuffle(items)
    return " ".join(items)


def say(rng: random.Random, options: Sequence[str], **values: str) -> str:
    """One phrasing of a sentence, with values filled in."""
    return pick(rng, options).format(**values)


def fence(lang: str, body: str) -> str:
    return f"```{lang}\n{body.rstrip()}\n```"
