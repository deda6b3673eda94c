"""Token-by-token streaming of an `hf:` model (a real tiny trained run), and through the fix loop."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from witness_evals.assist import Checker, answer_with_fixes, model_spec
from witness_evals.bench.scorers.context import NOW
from witness_evals.inference import GenerationSettings, Request, load_backend

QUESTION = [{"role": "user", "content": "What does witness run do?"}]


@pytest.fixture(scope="module")
def backend(assist_run: Path) -> Iterator[Any]:
    b = load_backend(model_spec(str(assist_run)))
    yield b
    b.close()


def test_stream_pieces_are_the_generated_tokens_as_they_come(backend: Any) -> None:
    settings = GenerationSettings(max_new_tokens=24)
    pieces: list[str] = []
    streamed = backend.stream(Request("q", QUESTION), settings, pieces.append)
    generated = backend.generate([Request("q", QUESTION)], settings)[0]
    assert streamed.text == generated.text and streamed.completion_tokens == generated.completion_tokens
    assert "".join(pieces) == streamed.text
    assert len(pieces) > 1 and len(pieces) >= (streamed.completion_tokens or 0) // 2  # not one block


def test_a_failing_consumer_stops_generation(backend: Any) -> None:
    settings = GenerationSettings(max_new_tokens=600)
    started = time.perf_counter()
    full = backend.stream(Request("q", QUESTION), settings, lambda _p: None)
    full_seconds = time.perf_counter() - started

    class Gone(Exception):
        pass

    def hang_up(_piece: str) -> None:
        raise Gone

    started = time.perf_counter()
    with pytest.raises(Gone):
        backend.stream(Request("q", QUESTION), settings, hang_up)
    assert (full.completion_tokens or 0) > 100, full  # a long answer, so stopping early is visible
    assert time.perf_counter() - started < full_seconds / 3


def test_the_fix_loop_streams_each_round(backend: Any) -> None:
    seen: list[tuple[int, str]] = []
    rounds: list[int] = []
    with Checker(now=NOW) as checker:
        result = answer_with_fixes(
            backend,
            QUESTION,
            1,
            GenerationSettings(max_new_tokens=16),
            checker,
            on_text=lambda k, piece: seen.append((k, piece)),
            on_checked=lambda r: rounds.append(r.index),
        )
    assert rounds == [r.index for r in result.rounds]
    assert "".join(p for k, p in seen if k == 0) == result.rounds[0].text
    assert len([p for k, p in seen if k == 0]) > 1
