"""Term checks of short answers: required alternatives, forbidden claims, an optional valid command.

check = {"require": [[alternatives...], ...], "forbid": [...], "forbid_exact": [...], "not_start": [...],
"near": [[term, [alternatives...]], ...], "not_bound": [[subcommand, term, [wrong...]], ...], "case": bool,
"valid_command": "<subcommand>"|None, "forbid_flag": ["--flag", ...]}: every inner `require` list needs one
alternative in the answer (word boundaries); every `near` pair needs one sentence holding its term and one
of its alternatives (which flag a short flag stands for); no `not_bound` term may be put beside a wrong
alternative (nearer than any of its `near` ones) in what the answer says about that subcommand (`about`);
no `forbid` term may appear as a claim (a
sentence with a negation cue does not count as a claim); with `valid_command`, the answer must hold a
`witness <subcommand>` line that the CLI grammar accepts; no `witness` command of the answer may pass a
`forbid_flag` flag (one that does not exist), unless the answer quotes witness's `unknown flag` error.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from typing import Any

from witness_evals.bench import answers
from witness_evals.bench.scorers.base import Score
from witness_evals.bench.scorers.context import version_of
from witness_evals.witness import cli as cli_spec
from witness_evals.witness.versions import WitnessVersion

MAX_CHARS = answers.MAX_ANSWER_CHARS
MAX_COMMANDS = 20

NEGATION = re.compile(
    r"(?i)(?:\bnot\b|\bno\b|\bnever\b|n't\b|\bcannot\b|\bwrong\b|\binstead\b|\brather\b|\bunsupported\b|"
    r"\binvalid\b|\breject|\bfails?\b|\berror\b|\bdeprecated\b|\bignored\b|\bunknown\b|\bstale\b|\bnor\b|"
    r"\bavoid\b|\bincorrect\b|\bmistake|\boutdated\b|\bdoes not\b|\bunlike\b|\bwhereas\b)"
)
_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")


@functools.lru_cache(maxsize=8192)
def term_pattern(term: str, case: bool = False) -> re.Pattern[str]:
    """A regex for `term` with boundaries: `--step` does not match `--step-x`, `git` not `github`."""
    body = re.escape(term)
    if term[:1] == "-":
        body = r"(?<![\w-])" + body
    elif term[:1].isalnum() or term[:1] in "_$~*.":
        body = r"(?<![\w:/-])" + body
    if term[:1] == "-" and (term[-1:].isalnum() or term[-1:] in "-_"):
        body += r"(?![\w-])"
    elif term[-1:].isalnum() or term[-1:] in "-_*":
        body += r"(?![\w/-]|[.:][\w])"
    return re.compile(body, 0 if case or term[:1] == "-" else re.IGNORECASE)


def _absent(text: str, term: str, case: bool) -> bool:
    """True when `term` cannot match in `text` (an ASCII text without the term's letters, in any case):
    spares compiling a pattern for a term the answer does not hold. Non-ASCII text always goes to the
    regex, whose case folding matches a few non-ASCII letters to ASCII ones."""
    if not (text.isascii() and term.isascii()):
        return False
    if case or term[:1] == "-":  # the pattern is case-sensitive (see `term_pattern`)
        return term not in text
    return term.lower() not in text.lower()


def has_term(text: str, term: str, case: bool = False) -> bool:
    if _absent(text, term, case):
        return False
    return term_pattern(term, case).search(text) is not None


def _sentences_with(text: str, term: str, case: bool) -> Iterator[str]:
    """The sentence around each occurrence of `term` in `text`."""
    if _absent(text, term, case):
        return
    for m in term_pattern(term, case).finditer(text):
        start = max((e.end() for e in _SENTENCE_END.finditer(text, 0, m.start())), default=0)
        end_m = _SENTENCE_END.search(text, m.end())
        yield text[start : end_m.start() if end_m else len(text)]


def claimed(text: str, term: str, case: bool = False) -> bool:
    """True if `term` occurs in a sentence without a negation cue (i.e. is stated as a fact)."""
    return any(not NEGATION.search(sentence) for sentence in _sentences_with(text, term, case))


def near(text: str, term: str, alts: list[str], case: bool = False) -> bool:
    """True if one sentence of `text` holds `term` and one of `alts` (e.g. `-t` beside `--datatype`)."""
    return any(has_term(sentence, a, case) for sentence in _sentences_with(text, term, case) for a in alts)


SUBCOMMAND_WORDS = ("run", "sign", "verify", "policy", "attestors", "completion", "version", "help")
"""witness's subcommands: a mention of one starts what a sentence says about it (`about`)."""


def about(text: str, subcommand: str) -> Iterator[str]:
    """The pieces of `text` that speak of `witness <subcommand>`: each sentence is cut at every mention
    of a subcommand, a piece runs from one mention to the next, and the words before a sentence's first
    mention belong to it ("`-t` on sign is ..."). "On `run`, `-t` is X (sign's own Y ...)" gives `sign`
    only "sign's own Y ..."."""
    words = [(w, term_pattern(w)) for w in SUBCOMMAND_WORDS]
    start = 0
    for end_m in [*_SENTENCE_END.finditer(text), None]:
        end = end_m.start() if end_m else len(text)
        sentence = text[start:end]
        marks = sorted((m.start(), w) for w, pat in words for m in pat.finditer(sentence))
        for i, (pos, word) in enumerate(marks):
            if word == subcommand:
                lo = 0 if i == 0 else pos
                hi = marks[i + 1][0] if i + 1 < len(marks) else len(sentence)
                yield sentence[lo:hi].strip()
        start = end_m.end() if end_m else len(text)


def _spans(text: str, terms: Sequence[str], case: bool) -> list[tuple[int, int]]:
    return [
        m.span() for t in terms if not _absent(text, t, case) for m in term_pattern(t, case).finditer(text)
    ]


def _gap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(b[0] - a[1], a[0] - b[1], 0)


def bound(
    text: str, subcommand: str, term: str, alts: list[str], case: bool = False, right: Sequence[str] = ()
) -> bool:
    """True if a piece of `text` about `subcommand` (`about`) puts `term` beside one of the wrong `alts`
    with no negation cue: `witness sign`'s `-t` stated to be `--timestamp-servers`. Where the piece also
    names a `right` alternative, an occurrence of `term` is bound to whichever is nearer (a tie is not
    bound), so "`-t` is `--datatype`, and `--timestamp-servers` takes the TSA URL" passes."""
    for piece in about(text, subcommand):
        if NEGATION.search(piece):
            continue
        terms, wrong = _spans(piece, [term], case), _spans(piece, alts, case)
        if not terms or not wrong:
            continue
        good = _spans(piece, right, case)
        for t in terms:
            if min(_gap(t, w) for w in wrong) < min((_gap(t, g) for g in good), default=len(piece) + 1):
                return True
    return False


def right_alternatives(check: dict[str, Any], term: str) -> list[str]:
    """The alternatives a `near` entry of `check` gives `term` (what it should be bound to), or none."""
    return [a for t, alts in check.get("near", []) if t == term for a in alts]


def score_terms(answer: str, check: dict[str, Any], version: str | WitnessVersion | None = None) -> Score:
    """Judge `answer` against a terms check (see module doc); never raises on strings. Commands are
    judged with the grammar of `version` (default: the release the check records, else the latest)."""
    text = answer[:MAX_CHARS]
    case = bool(check.get("case", False))
    head = text.lstrip(" \t\n*_#>`").lower()
    for word in check.get("not_start", []):
        if re.match(rf"{re.escape(word)}\b", head):
            return Score.failed(f"answers {word!r}")
    for alts in check.get("require", []):
        if not any(has_term(text, t, case) for t in alts):
            return Score.failed(f"missing {' / '.join(alts[:4])}")
    for term, alts in check.get("near", []):
        if not near(text, term, alts, case):
            return Score.failed(f"does not say {term} is {' / '.join(alts[:2])}")
    for sub, term, alts in check.get("not_bound", []):
        if bound(text, sub, term, alts, case, right_alternatives(check, term)):
            return Score.failed(f"says {term} of `witness {sub}` is {alts[0]}")
    for term in check.get("forbid", []):
        if claimed(text, term, case):
            return Score.failed(f"states the wrong {term}")
    for term in check.get("forbid_exact", []):
        if has_term(text, term, case):
            return Score.failed(f"wrong claim: {term}")
    bad_flags = check.get("forbid_flag", [])
    if bad_flags and "unknown flag" not in text.lower():
        for c in answers.commands(text)[:MAX_COMMANDS]:
            used = [f for f in bad_flags for tok in c.split() if tok == f or tok.startswith(f + "=")]
            if used:
                return Score.failed(f"passes {used[0]}, which witness does not have")
    sub = check.get("valid_command")
    if sub:
        cmds = [c for c in answers.commands(text)[:MAX_COMMANDS] if len(c) < 4000]
        ok = False
        for c in cmds:
            a = cli_spec.parse_command(c, version=version_of(check, version))
            if a.subcommand == sub and a.valid:
                ok = True
                break
        if not ok:
            return Score.failed(f"no valid `witness {sub}` command")
    return Score.passed()
