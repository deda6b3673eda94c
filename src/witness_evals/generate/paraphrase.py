"""Optional LLM paraphrasing of user prompts, verified: `generate --paraphrase openai:URL#MODEL`.

A seeded share of the examples (chosen by a hash of seed and example id, after split assignment)
has its last user turn rewritten by any OpenAI-compatible server through `witness_evals.inference`.
A rewrite is kept only if every protected span of the original prompt survives verbatim (fenced
blocks, `code spans`, paths and file names, flags, URLs, e-mails, numbers, dates, digests, quoted
strings, identifiers, and the check's and meta's string values that the prompt mentions), it adds
or drops no code fence, its prose is not far longer or shorter, it is new (not the original, not
another question of the dataset), and the example's reference answer still passes its family's
check with the new prompt in place. Anything else keeps the original prompt and is counted by reason.

Examples flow through in assembly order in batches of `BATCH` (a constant), so the output depends on
the seed and the server's replies, never on `--workers` or the request concurrency. Every reply is
appended to a cache under `<out>/.parts/` as it arrives, keyed by (example id, prompt hash): a
killed run, resumed, asks the server only for what it had not answered.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.common.errors import InputError
from witness_evals.generate import families
from witness_evals.generate.build import derived_rng
from witness_evals.generate.example import Example
from witness_evals.generate.splits import SPLITS, hash64, normalize_question
from witness_evals.inference import Backend, Completion, GenerationSettings, Request, load_backend, parse_spec

BATCH = 64
"""Examples per paraphrasing round (requests of a round run concurrently)."""
MAX_FAILURES_IN_A_ROW = 64
"""After this many failed requests in a row the server is taken for down: the rest is not asked."""
MAX_NEW_TOKENS = 8192
INSTRUCTIONS_VERSION = 1
"""Bump when SYSTEM_PROMPT or the request's wording changes (it invalidates cached replies)."""

REASONS = (
    "server_error",
    "server_down",
    "empty",
    "unchanged",
    "commentary",
    "missing_span",
    "code_blocks",
    "length",
    "duplicate",
    "check_failed",
)
"""Why a rewrite was not kept (the example keeps its original prompt)."""

SYSTEM_PROMPT = (
    "You rewrite messages that users send to a help desk for witness, the in-toto supply-chain "
    "attestation tool. Rewrite the user's message once, in a different voice: other wording, other "
    "sentence order, as if another person asked for exactly the same thing. Keep its meaning and every "
    "request in it. Copy every code block, command, flag, file name, path, URL, e-mail, key id, digest, "
    "number, date and every quoted or `backticked` value exactly as written, character for character. "
    "Do not answer the message, do not add code blocks or facts. Reply with the rewritten message "
    "only: no preamble, no quotes, no notes."
)
DELIMITER = "====="


def request_text(prompt: str) -> str:
    """The user turn sent to the paraphrasing model."""
    return (
        "Rewrite the message between the two ===== lines. Reply with the rewritten message only.\n\n"
        f"{DELIMITER}\n{prompt}\n{DELIMITER}"
    )


# -- protected spans ---------------------------------------------------------------------------------

_FENCE_LINE = re.compile(r"^[ \t]*(?:```|~~~)", re.M)
_FENCED = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?^[ \t]*\1[ \t]*$", re.M | re.S)
_CODE_SPAN = re.compile(r"(`+)([^`\n]+?)\1")
_URL = re.compile(r"https?://[^\s<>()\[\]\"'`]+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_QUOTED = re.compile(r"\"([^\"\n]{1,200})\"|“([^”\n]{1,200})”|(?<![\w'])'([^'\s][^'\n]{0,198}?)'(?![\w'])")
_TOKEN_STRIP = "()[]{}<>,;:!?\"'“”‘’*"
_PLAIN_SLASH = re.compile(r"^[A-Za-z]{1,5}/[A-Za-z]{1,5}$")  # CI/CD, and/or, I/O: words, not paths
_ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "vs", "cf", "a.k.a"})
_TRAILING_DOTS = re.compile(r"\.+$")


def fenced_blocks(text: str) -> list[str]:
    """The fenced code blocks of a markdown text, fences included."""
    return [m.group(0).strip() for m in _FENCED.finditer(text)]


def fence_lines(text: str) -> int:
    """How many lines open or close a code fence (an unpaired fence counts too)."""
    return len(_FENCE_LINE.findall(text))


def prose(text: str) -> str:
    """`text` without its fenced code blocks."""
    return _FENCED.sub("\n", text)


def _valuelike(token: str) -> bool:
    """Whether a whitespace-separated word names a value a rewrite must keep: a path, file or domain
    name, flag, number, version, digest, date, identifier, e-mail, or key=value."""
    if len(token) < 2 or token.lower() in _ABBREVIATIONS:
        return False
    if token.startswith("-") and len(token) > 1 and (token[1].isalpha() or token[1] == "-"):
        return True
    if any(c.isdigit() for c in token) or any(c in token for c in "_@=\\$%"):
        return True
    if "/" in token:
        return not _PLAIN_SLASH.match(token)
    return bool(re.search(r"\w\.\w", token)) or (":" in token.strip(":"))


def _leaves(obj: Any) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, Mapping):
        for value in obj.values():
            yield from _leaves(value)
    elif isinstance(obj, list | tuple):
        for value in obj:
            yield from _leaves(value)


def protected_spans(prompt: str, slot_values: Iterable[str] = ()) -> list[str]:
    """Strings a rewrite of `prompt` must contain verbatim, in order of first appearance.

    Found generically: fenced blocks, inline code spans (with their backticks), URLs, e-mails, the
    contents of quoted strings, value-like words (see `_valuelike`), and each of `slot_values` (the
    example's check/meta strings) that the prose of `prompt` (outside code) mentions as a whole word."""
    out: dict[str, None] = {}
    for block in fenced_blocks(prompt):
        out[block] = None
    rest = _FENCED.sub("\n", prompt)
    for m in _CODE_SPAN.finditer(rest):
        out[m.group(0)] = None
    rest = _CODE_SPAN.sub(" ", rest)
    for pattern in (_URL, _EMAIL):
        for m in pattern.finditer(rest):
            out[m.group(0).rstrip(".,;:!?")] = None
    for m in _QUOTED.finditer(rest):
        out[next(g for g in m.groups() if g is not None)] = None
    for raw in rest.split():
        token = _TRAILING_DOTS.sub("", raw.strip(_TOKEN_STRIP))
        if _valuelike(token):
            out[token] = None
    for value in slot_values:
        plain = 3 <= len(value) <= 200 and "\n" not in value and value.strip() == value
        if plain and re.search(rf"(?<!\w){re.escape(value)}(?!\w)", rest):
            out[value] = None
    return list(out)


def slot_values(ex: Example) -> list[str]:
    """The string values of the example's check and meta (sorted, unique)."""
    return sorted(set(_leaves(ex.check)) | set(_leaves(ex.meta)))


# -- the model's reply -------------------------------------------------------------------------------

_THINK = re.compile(r"^\s*<think>.*?</think>\s*", re.S | re.I)
_PREAMBLE = re.compile(
    r"^(?:(?:sure|certainly|of course|okay|ok|absolutely)\b[^\n:]{0,40}?[!.,]\s*)?"
    r"(?:here(?:'s| is| are)|below is|this is)\b[^\n]{0,80}?"
    r"\b(?:rewrite|rewritten|rewording|reworded|paraphrase|paraphrased|rephrased|rephrasing|version)\b"
    r"[^\n]{0,60}?:[ \t]*\n?",
    re.I,
)
_LABEL = re.compile(
    r"^(?:\*\*)?(?:rewrite|rewritten|rewritten message|rewritten version|paraphrase|paraphrased|"
    r"paraphrased message|rephrased|rephrased message|revised message)(?:\*\*)?\s*:(?:\*\*)?[ \t]*\n?",
    re.I,
)
_ACK = re.compile(r"^(?:sure|certainly|of course|okay|ok|absolutely)\b[^\n]{0,40}?[!.]\s*\n", re.I)
_OUTRO = re.compile(
    r"\n\s*(?:I hope|Hope this|Let me know|Feel free|Note:|This (?:rewrite|version|paraphrase))[^\n]*\s*$",
    re.I,
)
_QUOTES = (('"', '"'), ("“", "”"), ("'", "'"), ("«", "»"))


def clean_reply(text: str, original: str) -> str:
    """The rewrite in a model's reply: reasoning, preambles ("Here is the rewrite:"), the request's
    delimiter lines, a closing remark, and quotes or a fence wrapped around the whole text removed."""
    t = _THINK.sub("", text).strip()
    for _ in range(3):
        before = t
        for pattern in (_ACK, _PREAMBLE, _LABEL):
            t = pattern.sub("", t, count=1).strip()
        lines = t.split("\n")
        while lines and lines[0].strip() == DELIMITER:
            lines.pop(0)
        while lines and lines[-1].strip() == DELIMITER:
            lines.pop()
        t = "\n".join(lines).strip()
        if not original.lstrip().startswith(("```", "~~~")) and fence_lines(t) == 2:
            m = re.fullmatch(r"(`{3,}|~{3,})[^\n]*\n(.*)\n[ \t]*\1", t, re.S)
            if m:
                t = m.group(2).strip()
        for left, right in _QUOTES:
            wrapped = len(t) > 2 and t.startswith(left) and t.endswith(right)
            if wrapped and not (original.startswith(left) and original.rstrip().endswith(right)):
                t = t[len(left) : -len(right)].strip()
        if t == before:
            break
    if not _OUTRO.search(original):
        t = _OUTRO.sub("", t).strip()
    return t


_COMMENTARY = re.compile(
    r"\b(?:re-?writ\w*|paraphras\w*|rephras\w*|reword\w*|original message|user'?s message|as an ai)\b", re.I
)


def judge(original: str, rewrite: str, spans: Sequence[str]) -> str | None:
    """Why `rewrite` cannot replace `original` (a REASONS name), or None when it can.

    `commentary`: the reply talks about rewriting or about the message (words the original does not
    use), e.g. "The original message was ..."."""
    if not rewrite.strip():
        return "empty"
    if normalize_question(rewrite) == normalize_question(original):
        return "unchanged"
    if _COMMENTARY.search(rewrite) and not _COMMENTARY.search(original):
        return "commentary"
    if fence_lines(rewrite) != fence_lines(original):
        return "code_blocks"
    if any(span not in rewrite for span in spans):
        return "missing_span"
    old, new = len(prose(original).strip()), len(prose(rewrite).strip())
    if new > 2 * old + 80 or new < old / 2 - 10:
        return "length"
    return None


# -- the reply cache ---------------------------------------------------------------------------------


class ReplyCache:
    """Replies by (example id, prompt hash), appended to a JSONL file as they arrive.

    Only offsets stay in memory. A line cut short by a kill is dropped when the file is opened."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._index: dict[int, int] = {}
        if path.exists():
            offset = 0
            with path.open("r+b") as fh:
                for line in fh:
                    if not line.endswith(b"\n"):  # cut short by a kill: dropped, so appends stay whole
                        fh.truncate(offset)
                        break
                    try:
                        row = json.loads(line)
                        self._index[hash64(f"{row['id']}\x00{row['prompt']}")] = offset
                    except (ValueError, KeyError, TypeError):
                        pass  # a damaged line is simply asked again
                    offset += len(line)
        self._fh = path.open("ab")
        self._reader = path.open("rb")

    @staticmethod
    def prompt_key(prompt: str) -> str:
        return hashlib.sha256(prompt.encode("utf-8")).hexdigest()[:16]

    def get(self, ident: str, prompt: str) -> str | None:
        offset = self._index.get(hash64(f"{ident}\x00{self.prompt_key(prompt)}"))
        if offset is None:
            return None
        self._reader.seek(offset)
        row = json.loads(self._reader.readline())
        return str(row["text"])

    def put(self, ident: str, prompt: str, text: str) -> None:
        key = self.prompt_key(prompt)
        raw = (json.dumps({"id": ident, "prompt": key, "text": text}, ensure_ascii=False) + "\n").encode()
        self._fh.seek(0, os.SEEK_END)
        offset = self._fh.tell()
        self._fh.write(raw)
        self._fh.flush()
        self._index[hash64(f"{ident}\x00{key}")] = offset

    def close(self) -> None:
        self._fh.close()
        self._reader.close()


# -- settings ----------------------------------------------------------------------------------------


def check_model(spec: str) -> str:
    """`--paraphrase` must be `openai:BASE_URL#MODEL`; InputError (one line) otherwise."""
    try:
        model = parse_spec(spec)
    except InputError as exc:
        raise InputError(exc.message, source="--paraphrase") from None
    if model.kind != "openai":
        raise InputError(
            f"expected openai:BASE_URL#MODEL (an OpenAI-compatible server), got {spec!r}",
            source="--paraphrase",
        )
    return spec.strip()


def connect(spec: str, *, concurrency: int = 8, timeout: float = 120.0, retries: int = 3) -> Backend:
    """The paraphrasing server's backend; InputError when the spec is bad or the server unreachable."""
    check_model(spec)
    try:
        return load_backend(spec, concurrency=concurrency, timeout=timeout, retries=retries)
    except InputError as exc:
        raise InputError(exc.message, source="--paraphrase") from None


@dataclass(frozen=True)
class ParaphraseSettings:
    """What changes the paraphrases: the server/model, the share of examples, the sampling."""

    model: str
    share: float = 0.5
    temperature: float = 0.7
    seed: int = 0

    def check(self) -> None:
        check_model(self.model)
        if not 0 < self.share <= 1:
            raise InputError(f"must be in (0, 1], got {self.share}", source="--paraphrase-share")
        if not 0 <= self.temperature <= 2:
            raise InputError(f"must be in [0, 2], got {self.temperature}", source="--paraphrase-temperature")

    def cache_key(self) -> str:
        text = json.dumps(
            {
                "v": INSTRUCTIONS_VERSION,
                "model": self.model,
                "temperature": self.temperature,
                "seed": self.seed,
                "system": SYSTEM_PROMPT,
                "request": request_text("{}"),
            },
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def cache_path(out: Path, settings: ParaphraseSettings) -> Path:
    return out / ".parts" / f"paraphrase-{settings.cache_key()}.jsonl"


def chosen(seed: int, ident: str, share: float) -> bool:
    """Whether example `ident` is offered for paraphrasing (a seeded hash, independent of its split)."""
    return derived_rng(seed, "paraphrase", ident).random() < share


def budget(prompt: str) -> int:
    """New tokens a rewrite of `prompt` may take (about twice its own length)."""
    return min(MAX_NEW_TOKENS, 64 + len(prompt) // 2)


# -- the paraphrasing stage --------------------------------------------------------------------------


class Sink(Protocol):
    def write(self, split: str, ident: str, ex: Example, *, paraphrased: bool = False) -> None: ...


@dataclass
class _Pending:
    split: str
    ident: str
    ex: Example
    asked: bool


class Paraphraser:
    """Sits in front of the dataset writer: buffers examples, rewrites the chosen ones, verifies,
    and passes every example on in the order received (rewritten or original).

    `seen` holds the dedup hashes of the dataset's questions (shared with assembly): a kept rewrite
    must be new and is added to it."""

    def __init__(
        self,
        settings: ParaphraseSettings,
        backend: Backend,
        sink: Sink,
        cache: ReplyCache,
        seen: set[int],
    ) -> None:
        self.settings = settings
        self.backend = backend
        self.sink = sink
        self.cache = cache
        self.seen = seen
        self.generation = GenerationSettings(
            max_new_tokens=MAX_NEW_TOKENS, temperature=settings.temperature, seed=settings.seed
        )
        self._pending: list[_Pending] = []
        self._ctx: ScoreContext | None = None
        self.chosen: Counter[str] = Counter()
        self.kept: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self.errors: list[str] = []
        """The first server errors, one line each (not written: they may name ports and timings)."""
        self.requests = 0
        self.cached = 0
        self._failures_in_a_row = 0

    def write(self, split: str, ident: str, ex: Example) -> None:
        asked = chosen(self.settings.seed, ident, self.settings.share)
        self._pending.append(_Pending(split, ident, ex, asked))
        if len(self._pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Rewrite and pass on every buffered example."""
        batch, self._pending = self._pending, []
        replies = self._replies([p for p in batch if p.asked])
        for p in batch:
            if not p.asked:
                self.sink.write(p.split, p.ident, p.ex)
                continue
            self.chosen[p.split] += 1
            text, reason = replies[p.ident]
            ex = None
            if text is not None:
                ex, reason = self._verify(p.ex, text)
            if ex is None:
                self.rejected[reason or "server_error"] += 1
                self.sink.write(p.split, p.ident, p.ex)
            else:
                self.kept[p.split] += 1
                self.sink.write(p.split, p.ident, ex, paraphrased=True)

    def _replies(self, asked: list[_Pending]) -> dict[str, tuple[str | None, str | None]]:
        """Example id -> (the reply's text, None), or (None, a REASONS name) when there is none."""
        out: dict[str, tuple[str | None, str | None]] = {}
        todo: list[Request] = []
        prompts: dict[str, str] = {}
        for p in asked:
            hit = self.cache.get(p.ident, p.ex.question)
            if hit is not None:
                out[p.ident] = (hit, None)
                self.cached += 1
            elif self._failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
                out[p.ident] = (None, "server_down")
            else:
                prompts[p.ident] = p.ex.question
                messages = [
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": request_text(p.ex.question)},
                ]
                todo.append(Request(p.ident, messages, max_new_tokens=budget(p.ex.question)))
        if not todo:
            return out

        def done(c: Completion) -> None:
            if c.error is None:
                self.cache.put(c.id, prompts[c.id], c.text)

        self.requests += len(todo)
        try:
            completions = self.backend.generate(todo, self.generation, on_done=done)
        except Exception as exc:  # the server's trouble must not end the run: keep the originals
            completions = [Completion(r.id, "", None, None, 0.0, error=str(exc)) for r in todo]
        for c in completions:  # in request order: the failure streak does not depend on timing
            if c.error is None:
                out[c.id] = (c.text, None)
                self._failures_in_a_row = 0
            else:
                out[c.id] = (None, "server_error")
                self._failures_in_a_row += 1
                if len(self.errors) < 10:
                    self.errors.append(f"{c.id}: {c.error}"[:300])
        return out

    def _verify(self, ex: Example, reply: str) -> tuple[Example | None, str | None]:
        original = ex.question
        rewrite = clean_reply(reply, original)
        reason = judge(original, rewrite, protected_spans(original, slot_values(ex)))
        if reason is not None:
            return None, reason
        key = hash64(normalize_question(rewrite))
        if key in self.seen:
            return None, "duplicate"
        new = replace(ex, question=rewrite)
        if self._ctx is None:
            self._ctx = ScoreContext()
        score = families.get(ex.family).score(new.answer, new.check, self._ctx)
        if not score.ok:
            return None, "check_failed"
        self.seen.add(key)
        return new, None

    def summary(self) -> dict[str, Any]:
        """Counts for stats.json and manifest.json (nothing here depends on the cache or the clock)."""
        chosen_n, kept_n = sum(self.chosen.values()), sum(self.kept.values())
        return {
            "model": self.settings.model,
            "share": self.settings.share,
            "temperature": self.settings.temperature,
            "chosen": chosen_n,
            "kept": kept_n,
            "rejected": {r: self.rejected[r] for r in REASONS if self.rejected[r]},
            "by_split": {s: {"chosen": self.chosen[s], "kept": self.kept[s]} for s in SPLITS},
        }

    def close(self) -> None:
        self.cache.close()
        if self._ctx is not None:
            self._ctx.close()
            self._ctx = None
