"""How people ask: a compositional layer over every family's question.

A family states *what* is asked (its request, with the slot values in natural language); this module
decides *how*: who asks (a persona with its own situation sentences), how much they say around the
request (terse, plain, rambling), whether a typo slips into their prose, and how they sign off. The
parts multiply: hundreds of openers × tones × closers × the families' own request forms give
thousands of surface forms per intent, so a model cannot learn one sentence per skill.

Nothing here touches code, slot values or pasted text: typos only change a small list of ordinary
English words outside backticks and code fences, and closers never ask for a format ("keep it
short") that the answer might not follow.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

SYSTEM_PROMPTS: tuple[str | None, ...] = (
    None,
    None,
    None,
    "You are an expert on in-toto/witness, the supply-chain attestation framework.",
    "You are a DevSecOps assistant. Answer questions about in-toto/witness precisely.",
    "You help engineers use the witness CLI, write witness policies and Rego rules.",
    "Answer as a senior supply-chain security engineer who knows in-toto/witness well.",
    "You are a helpful assistant for software supply-chain security tooling.",
    "You answer questions about build provenance with in-toto witness. Give working files and commands.",
    "You are a platform engineering assistant.",
)


@dataclass(frozen=True)
class Persona:
    """Who asks: the sentences they open with and what they add when they ramble."""

    name: str
    openers: tuple[str, ...]
    asides: tuple[str, ...]


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "newcomer",
        (
            "I'm new to witness.",
            "First time using witness here.",
            "I just started with in-toto witness for our builds.",
            "Still learning witness, sorry if this is basic.",
            "We're evaluating witness for build provenance.",
            "Beginner question about witness.",
            "I've read the witness docs but I'm still confused.",
        ),
        (
            "The docs didn't make this clear to me.",
            "I tried a few things from the README and got lost.",
            "I'm not sure I understand how the pieces fit together.",
        ),
    ),
    Persona(
        "ci-admin",
        (
            "I maintain our CI pipelines.",
            "I'm wiring witness into our build pipeline.",
            "Platform engineer here.",
            "We run witness in CI for every release.",
            "I own the release pipeline for our team.",
            "Our build runners already have the witness binary installed.",
            "We're rolling out attestations across a few repos.",
        ),
        (
            "This needs to land before our next release.",
            "We have a lot of repos, so I want to get this right once.",
            "A colleague set this up originally and left.",
        ),
    ),
    Persona(
        "auditor",
        (
            "I'm reviewing our supply-chain controls.",
            "Security review question.",
            "I'm auditing how we verify build provenance.",
            "Our compliance team asked me to check this.",
            "I need to sign off on our attestation setup.",
        ),
        (
            # asides ask for nothing an answer might not give: no "what this enforces" on a question about a
            # config file or a command name
            "I want to be sure this is right before I sign off.",
            "I have to document the reasoning for the audit.",
        ),
    ),
    Persona(
        "developer",
        (
            "Our security team asked us to add witness to the build.",
            "I got handed the witness setup for our service.",
            "Working on our release process.",
            "Quick one.",
            "Hi,",
            "Hey,",
            "Hello!",
        ),
        (
            "Been stuck on this for a while.",
            "I'd rather not guess at this one.",
            "Our pipeline is pretty standard otherwise.",
        ),
    ),
)

TONES: tuple[str, ...] = ("terse", "plain", "plain", "plain", "polite", "rambling")
"""How much is said around the request (drawn with these weights)."""

POLITE_LEADS: tuple[str, ...] = (
    "Could you help with this? ",
    "Can you help me out? ",
    "Would appreciate some help. ",
    "Hoping you can help. ",
)

CLOSERS: tuple[str, ...] = (
    "Thanks!",
    "Thanks in advance.",
    "thx",
    "Any help appreciated.",
    "Cheers.",
    "Much appreciated!",
    "Thank you!",
)
"""Sign-offs. None of them asks for a format, so no answer can contradict its question."""

OPENERS: tuple[str, ...] = tuple(o for p in PERSONAS for o in p.openers) + POLITE_LEADS
"""Every fixed opening sentence (for tests that keep other prompts' wording disjoint)."""

FIXED_PHRASES: tuple[str, ...] = OPENERS + CLOSERS + tuple(a for p in PERSONAS for a in p.asides)
"""Every fixed sentence this module may add to a question."""

_TYPOS: dict[str, tuple[str, ...]] = {
    "please": ("pls", "plese"),
    "would": ("woudl",),
    "should": ("shoudl", "shuold"),
    "because": ("becuase", "bc"),
    "something": ("somthing",),
    "exactly": ("exaclty",),
    "actually": ("acutally",),
    "already": ("alredy",),
    "correct": ("corect",),
    "working": ("workign",),
    "trying": ("tryign",),
    "which": ("whcih",),
    "their": ("thier",),
    "pipeline": ("pipline",),
    "separate": ("seperate",),
    "really": ("realy",),
    "the": ("teh",),
    "need": ("ned",),
    "know": ("konw",),
}
_PROTECTED = re.compile(r"```.*?```|`[^`\n]*`", re.S)


def pick(rng: random.Random, options: Sequence[T]) -> T:
    """One element of `options` (seeded)."""
    return options[rng.randrange(len(options))]


def system_prompt(rng: random.Random) -> str | None:
    return pick(rng, SYSTEM_PROMPTS)


def typo(rng: random.Random, text: str, keep: Sequence[str] = ()) -> str:
    """`text` with one ordinary English word misspelled, outside code spans, fences and the phrases in
    `keep` (slot values said in words, e.g. a deadline "the end of June 2031").

    Only words from a fixed list are touched, so no slot value, flag, file name or pasted output can
    change; returns `text` unchanged when no such word occurs.
    """
    spans: list[tuple[int, int]] = [(m.start(), m.end()) for m in _PROTECTED.finditer(text)]
    spans += [(m.start(), m.end()) for k in keep if k for m in re.finditer(re.escape(k), text)]
    hits = [
        m
        for m in re.finditer(r"\b[a-z]+\b", text)
        if m.group(0) in _TYPOS and not any(a <= m.start() < b for a, b in spans)
    ]
    if not hits:
        return text
    m = pick(rng, hits)
    return text[: m.start()] + pick(rng, _TYPOS[m.group(0)]) + text[m.end() :]


def _lower_first(text: str) -> str:
    if text[:1].isupper() and not text[1:2].isupper() and not text.startswith(("I ", "I'")):
        return text[:1].lower() + text[1:]
    return text


def _terse(question: str) -> str:
    """Drop polite framing from the start of a request ("Can you write ..." -> "write ...")."""
    for lead in ("Can you ", "Could you ", "Please ", "Would you "):
        if question.startswith(lead):
            rest = question[len(lead) :]
            return rest[:1].upper() + rest[1:] if rest else question
    return question


def _join(*parts: str) -> str:
    """Join sentences; a part that ends a code fence is followed by a blank line, never glued text."""
    out = ""
    for part in parts:
        if not part:
            continue
        if not out:
            out = part
        elif "\n" in out.strip() or "\n" in part.strip() or part.lstrip().startswith("```"):
            # multi-line text (a list, a pasted block): never glue a sentence onto its last line
            out = out.rstrip() + "\n\n" + part.lstrip()
        elif "\n" in out.rstrip()[-2:] or out.endswith("\n"):
            out = out + part
        else:
            out = out + " " + part
    return out


def dress(rng: random.Random, question: str, keep: Sequence[str] = ()) -> str:
    """`question` as one of many people would send it: persona, tone, maybe a typo, maybe a sign-off.

    The request itself (slot values, pasted blocks, the phrases in `keep`) is kept verbatim; only words
    around it change.
    """
    persona = pick(rng, PERSONAS)
    tone = pick(rng, TONES)
    opener = pick(rng, persona.openers) if rng.random() < 0.55 else ""
    closer = pick(rng, CLOSERS) if rng.random() < 0.3 else ""
    if tone == "terse":
        body, opener, closer = _terse(question), "", ""
    elif tone == "polite":
        lead = pick(rng, POLITE_LEADS)
        # a request that opens with a pasted block gets the lead on its own line, never "help. ```yaml"
        body = _join(lead.strip(), question) if question.startswith("```") else lead + question
    elif tone == "rambling":
        aside = pick(rng, persona.asides)
        body = _join(aside, question) if rng.random() < 0.5 else _join(question, aside)
    else:
        body = question
    if opener.endswith(",") and not opener.endswith("?,") and not body.startswith("```"):
        text = opener + " " + _lower_first(body)
    else:
        text = _join(opener, body)
    text = _join(text, closer)
    if rng.random() < 0.12:
        text = typo(rng, text, keep)
    return text
