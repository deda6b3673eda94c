"""Chat JSONL datasets (OpenAI format) -> token ids with assistant-only labels.

Every line is `{"messages": [{"role": "system|user|assistant", "content": "..."}]}`. The whole file is
validated before any training starts; the first bad line raises `InputError` with file and line.

Labels: each assistant turn's tokens are trained on, up to and including the end-of-turn token
(so the model learns to stop); everything else (system, user, template scaffolding) is masked.
Each turn is rendered with the model's own chat template, and the prompt before an assistant turn is
tokenised exactly as at inference (`add_generation_prompt=True`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from witness_evals.common.errors import InputError
from witness_evals.common.jsonio import iter_jsonl

ROLES = ("system", "user", "assistant")
MAX_DATA_BYTES = 4 * 1024 * 1024 * 1024
END_OF_TURN_TOKENS = ("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>")


@dataclass(frozen=True)
class TokenizedExample:
    """One tokenised conversation: `labels[i]` says whether token i is trained on."""

    input_ids: tuple[int, ...]
    labels: tuple[bool, ...]

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def n_targets(self) -> int:
        """Number of predicted tokens (label positions after the first token)."""
        return sum(self.labels[1:])


@dataclass
class Dataset:
    """Tokenised examples that fit, plus what was dropped and why."""

    examples: list[TokenizedExample]
    n_lines: int
    dropped_too_long: int
    longest_dropped: int = 0

    def summary(self) -> dict[str, int]:
        return {
            "lines": self.n_lines,
            "examples": len(self.examples),
            "dropped_too_long": self.dropped_too_long,
            "longest_dropped_tokens": self.longest_dropped,
            "tokens": sum(len(e) for e in self.examples),
            "target_tokens": sum(e.n_targets for e in self.examples),
        }


def read_chat_jsonl(path: Path) -> list[tuple[int, list[dict[str, str]]]]:
    """Read and validate every line; return (line number, messages) pairs."""
    source = str(path)
    conversations = [
        (lineno, _check_record(record, source, f"line {lineno}"))
        for lineno, record in iter_jsonl(path, max_bytes=MAX_DATA_BYTES)
    ]
    if not conversations:
        raise InputError("no examples", source=source)
    return conversations


def _check_record(record: Any, source: str, where: str) -> list[dict[str, str]]:
    if not isinstance(record, dict) or "messages" not in record:
        raise InputError('expected an object with a "messages" list', source=source, location=where)
    messages = record["messages"]
    if not isinstance(messages, list) or not messages:
        raise InputError('"messages" must be a non-empty list', source=source, location=where)
    out: list[dict[str, str]] = []
    for i, msg in enumerate(messages):
        at = f"{where}: messages[{i}]"
        if not isinstance(msg, dict):
            raise InputError("message must be an object", source=source, location=at)
        role, content = msg.get("role"), msg.get("content")
        if role not in ROLES:
            raise InputError(
                f"role must be one of {', '.join(ROLES)}, got {role!r}", source=source, location=at
            )
        if not isinstance(content, str):
            raise InputError("content must be a string", source=source, location=at)
        out.append({"role": role, "content": content})
    if not any(m["role"] == "assistant" for m in out):
        raise InputError("no assistant turn to learn from", source=source, location=where)
    if out[0]["role"] == "assistant":
        raise InputError(
            "conversation starts with an assistant turn; put a user (or system) message first",
            source=source,
            location=f"{where}: messages[0]",
        )
    return out


def end_of_turn_ids(tokenizer: Any) -> set[int]:
    """Token ids that close an assistant turn for this tokenizer."""
    ids: set[int] = set()
    vocab = tokenizer.get_vocab()
    for tok in END_OF_TURN_TOKENS:
        if tok in vocab:
            ids.add(int(vocab[tok]))
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    return ids


def _render(tokenizer: Any, messages: Sequence[dict[str, str]], generation_prompt: bool) -> str:
    text = tokenizer.apply_chat_template(
        list(messages), tokenize=False, add_generation_prompt=generation_prompt
    )
    return str(text)


def render_pieces(tokenizer: Any, messages: list[dict[str, str]]) -> list[tuple[str, bool]]:
    """The conversation as (text, trained) pieces in order: each assistant turn's prompt scaffolding
    (not trained) and its answer up to the end of turn (trained), rendered with the chat template."""
    pieces: list[tuple[str, bool]] = []
    rendered = ""
    for i, msg in enumerate(messages):
        if msg["role"] != "assistant":
            continue
        prompt = _render(tokenizer, messages[:i], True)  # i > 0: the first message is never an assistant's
        full = _render(tokenizer, messages[: i + 1], False)
        if not prompt.startswith(rendered) or not full.startswith(prompt):
            raise ValueError("chat template does not render conversations incrementally")
        pieces += [
            (t, train) for t, train in ((prompt[len(rendered) :], False), (full[len(prompt) :], True)) if t
        ]
        rendered = full
    return pieces


def _assemble(pieces: Sequence[tuple[Sequence[int], bool]], eot: set[int]) -> TokenizedExample:
    """Token ids and labels of tokenised pieces: a trained piece is labelled up to its first end-of-turn."""
    ids: list[int] = []
    labels: list[bool] = []
    for piece, train in pieces:
        stop = 0
        if train:
            stop = len(piece)
            for j, tok in enumerate(piece):
                if tok in eot:
                    stop = j + 1
                    break
        ids.extend(piece)
        labels.extend([True] * stop + [False] * (len(piece) - stop))
    return TokenizedExample(tuple(ids), tuple(labels))


def _encode(tokenizer: Any, texts: list[str]) -> list[list[int]]:
    """Token ids of each text, in one batched call (a fast tokenizer encodes a batch on all cores)."""
    return [list(x) for x in tokenizer(texts, add_special_tokens=False)["input_ids"]] if texts else []


def tokenize_conversation(tokenizer: Any, messages: list[dict[str, str]], eot: set[int]) -> TokenizedExample:
    """Token ids and assistant-only labels for one conversation (see module docstring)."""
    pieces = render_pieces(tokenizer, messages)
    encoded = _encode(tokenizer, [t for t, _ in pieces])
    return _assemble(list(zip(encoded, (train for _, train in pieces), strict=True)), eot)


ENCODE_BATCH_PIECES = 4096
"""Pieces tokenised per batched call: large enough to keep every core busy, small enough to bound memory."""


def load_dataset(path: Path, tokenizer: Any, max_seq_length: int) -> Dataset:
    """Validate and tokenise a chat JSONL; drop (and count) examples over `max_seq_length` tokens.

    Every conversation is rendered first and the pieces are tokenised in large batches: the same ids as one
    call per piece, several times faster with a fast (Rust) tokenizer on a machine with many cores."""
    conversations = read_chat_jsonl(path)
    eot = end_of_turn_ids(tokenizer)
    examples: list[TokenizedExample] = []
    dropped = longest = 0
    batch: list[tuple[int, list[tuple[str, bool]]]] = []

    def flush() -> None:
        nonlocal dropped, longest
        encoded = iter(_encode(tokenizer, [t for _, pieces in batch for t, _ in pieces]))
        for lineno, pieces in batch:
            example = _assemble([(next(encoded), train) for _, train in pieces], eot)
            if len(example) > max_seq_length:
                dropped += 1
                longest = max(longest, len(example))
                continue
            if example.n_targets == 0:
                raise InputError(
                    "assistant turn produced no tokens", source=str(path), location=f"line {lineno}"
                )
            examples.append(example)
        batch.clear()

    n_pieces = 0
    for lineno, messages in conversations:
        try:
            pieces = render_pieces(tokenizer, messages)
        except Exception as exc:  # template errors come from jinja with many types
            raise InputError(
                f"cannot render with the chat template: {exc}", source=str(path), location=f"line {lineno}"
            ) from None
        batch.append((lineno, pieces))
        n_pieces += len(pieces)
        if n_pieces >= ENCODE_BATCH_PIECES:
            flush()
            n_pieces = 0
    flush()
    if not examples:
        raise InputError(f"every example is longer than max_seq_length={max_seq_length}", source=str(path))
    return Dataset(examples, len(conversations), dropped, longest)
