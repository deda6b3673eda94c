"""The data passed to and from every inference backend, and the backend protocol."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class GenerationSettings:
    """How to generate. `temperature == 0` is greedy decoding (top_p then does nothing)."""

    max_new_tokens: int = 1024
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0  # base seed; a request's own seed is `request_seed(seed, request.id)`

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


@dataclass(frozen=True)
class Request:
    """One chat to answer. `id` is opaque here and unique within one `generate` call."""

    id: str
    messages: list[dict[str, str]] = field(hash=False)  # OpenAI chat messages, the last one from the user
    max_new_tokens: int | None = None  # overrides GenerationSettings.max_new_tokens

    def budget(self, settings: GenerationSettings) -> int:
        """New tokens this request may generate."""
        return self.max_new_tokens if self.max_new_tokens is not None else settings.max_new_tokens


@dataclass(frozen=True)
class Completion:
    """The answer to one `Request`.

    `seconds` is this request's share of the wall time: a batch's time divided by its size, or the
    time since the previous completion for continuous batching; summed over a call it is the call's
    wall time (for concurrent HTTP backends: each request's own latency).
    `error` is one line, set when the request failed (then `text` is "").
    """

    id: str
    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    seconds: float
    error: str | None = None


OnDone = Callable[[Completion], None]


@runtime_checkable
class Backend(Protocol):
    """Something that answers chats: a local model, a server, or a file of pre-made answers."""

    spec: str

    def describe(self) -> dict[str, Any]:
        """JSON-able facts: kind, model, adapter, device, dtype, package versions."""
        ...

    def generate(
        self, requests: Sequence[Request], settings: GenerationSettings, on_done: OnDone | None = None
    ) -> list[Completion]:
        """Completions in request order; `on_done` is called once per request as each finishes."""
        ...

    def close(self) -> None:
        """Free the model / connections. Safe to call twice."""
        ...


def request_seed(seed: int, request_id: str) -> int:
    """A 31-bit seed for one request, derived from the base seed and the request id (stable everywhere)."""
    digest = hashlib.sha256(f"{seed}\x00{request_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def one_line(text: object, limit: int = 300) -> str:
    """`text` squeezed onto one line, at most `limit` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def check_unique_ids(requests: Sequence[Request]) -> None:
    """Raise ValueError when two requests share an id (completions are matched by id)."""
    seen: set[str] = set()
    for request in requests:
        if request.id in seen:
            raise ValueError(f"duplicate request id {request.id!r}")
        seen.add(request.id)
