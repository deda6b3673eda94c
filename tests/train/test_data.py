"""Chat JSONL validation and assistant-only labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from witness_evals.common.errors import InputError
from witness_evals.train.data import end_of_turn_ids, load_dataset, tokenize_conversation


def _write(path: Path, records: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def test_labels_cover_assistant_turns_and_end_of_turn(tiny_tokenizer: Any) -> None:
    msgs = [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "verify policy"},
        {"role": "assistant", "content": "sign digest"},
        {"role": "user", "content": "step"},
        {"role": "assistant", "content": "material product"},
    ]
    ex = tokenize_conversation(tiny_tokenizer, msgs, end_of_turn_ids(tiny_tokenizer))
    full = tiny_tokenizer.apply_chat_template(msgs, tokenize=False)
    assert tiny_tokenizer.decode(list(ex.input_ids)) == full
    trained = [ex.input_ids[i] for i, lab in enumerate(ex.labels) if lab]
    text = tiny_tokenizer.decode(trained)
    assert text == "sign digest<|im_end|>material product<|im_end|>"
    # the prompt, the role headers and the newline after <|im_end|> are never trained on
    assert not ex.labels[0] and not ex.labels[-1]


def test_malformed_lines_are_located(tmp_path: Path, tiny_tokenizer: Any) -> None:
    good = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}
    cases = [
        ("{not json", "line 2", "invalid JSON"),
        ({"msgs": []}, "line 2", "messages"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "line 2: messages[0]", "role must be"),
        ({"messages": [{"role": "user", "content": 3}]}, "line 2: messages[0]", "content must be a string"),
        ({"messages": [{"role": "user", "content": "only a question"}]}, "line 2", "no assistant turn"),
        (
            {"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "q"}]},
            "line 2: messages[0]",
            "starts with an assistant turn",
        ),
    ]
    for bad, location, fragment in cases:
        path = _write(tmp_path / "train.jsonl", [good, bad, good])
        with pytest.raises(InputError) as info:
            load_dataset(path, tiny_tokenizer, 2048)
        assert info.value.source == str(path) and info.value.location == location
        assert fragment in info.value.message


def test_empty_and_missing_files(tmp_path: Path, tiny_tokenizer: Any) -> None:
    (tmp_path / "empty.jsonl").write_text("\n\n")
    with pytest.raises(InputError, match="no examples"):
        load_dataset(tmp_path / "empty.jsonl", tiny_tokenizer, 2048)
    with pytest.raises(InputError, match="no such file"):
        load_dataset(tmp_path / "absent.jsonl", tiny_tokenizer, 2048)


def test_too_long_examples_are_dropped_and_counted(tmp_path: Path, tiny_tokenizer: Any) -> None:
    short = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}
    long = {
        "messages": [{"role": "user", "content": "witness " * 200}, {"role": "assistant", "content": "b"}]
    }
    ds = load_dataset(_write(tmp_path / "t.jsonl", [short, long, short]), tiny_tokenizer, 64)
    assert len(ds.examples) == 2 and ds.dropped_too_long == 1 and ds.longest_dropped > 64
    assert ds.summary()["dropped_too_long"] == 1
    with pytest.raises(InputError, match="every example is longer"):
        load_dataset(_write(tmp_path / "l.jsonl", [long]), tiny_tokenizer, 64)


def test_batched_tokenisation_matches_one_call_per_piece(
    tmp_path: Path, tiny_tokenizer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from witness_evals.train import data

    def conversation(i: int) -> dict[str, Any]:
        turns = [{"role": "system", "content": f"system {i}"}] if i % 3 == 0 else []
        for t in range(1 + i % 3):
            turns += [
                {"role": "user", "content": f"question {i}.{t} about policy step {i * 7}"},
                {"role": "assistant", "content": f"answer {i}.{t}: sign digest " + "material " * (i % 5)},
            ]
        return {"messages": turns}

    records = [conversation(i) for i in range(40)]
    path = _write(tmp_path / "t.jsonl", records)
    eot = end_of_turn_ids(tiny_tokenizer)
    one_by_one = []
    for r in records:  # the reference: every piece tokenised on its own
        ids: list[int] = []
        labels: list[bool] = []
        for text, train in data.render_pieces(tiny_tokenizer, r["messages"]):
            piece = tiny_tokenizer(text, add_special_tokens=False)["input_ids"]
            stop = next((j + 1 for j, tok in enumerate(piece) if tok in eot), len(piece)) if train else 0
            ids += piece
            labels += [True] * stop + [False] * (len(piece) - stop)
        one_by_one.append((tuple(ids), tuple(labels)))
    monkeypatch.setattr(data, "ENCODE_BATCH_PIECES", 7)  # many batched calls, each of whole conversations
    ds = load_dataset(path, tiny_tokenizer, 4096)
    assert [(e.input_ids, e.labels) for e in ds.examples] == one_by_one
    assert [(e.input_ids, e.labels) for e in ds.examples] == [
        (e.input_ids, e.labels)
        for e in (tokenize_conversation(tiny_tokenizer, r["messages"], eot) for r in records)
    ]
