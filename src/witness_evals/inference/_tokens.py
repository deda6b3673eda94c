"""Tokenizer facts shared by the local backends (no torch import)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

END_OF_TURN_NAMES = ("<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "<|endoftext|>", "</s>")
_MARK = "\u2063witness-evals-mark\u2063"


def stop_token_ids(tokenizer: Any, extra_eos: Any = None) -> list[int]:
    """eos of the tokenizer, `extra_eos` (the generation config's), and the template's end-of-turn token."""
    ids: list[int] = []

    def add(value: Any) -> None:
        for token in value if isinstance(value, list | tuple) else [value]:
            if isinstance(token, int) and token >= 0 and token not in ids:
                ids.append(token)

    add(tokenizer.eos_token_id)
    add(extra_eos)
    special = set(getattr(tokenizer, "all_special_ids", []) or [])
    special |= set(getattr(tokenizer, "added_tokens_decoder", {}) or {})
    try:  # the token that closes an assistant turn in the template
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": "x"}, {"role": "assistant", "content": _MARK}], tokenize=False
        )
        tail = str(text).split(_MARK, 1)[1]
        tail_ids = tokenizer(tail, add_special_tokens=False)["input_ids"] if tail.strip() else []
        if tail_ids and tail_ids[0] in special:
            add(int(tail_ids[0]))
    except Exception:  # a template that rejects this chat: fall back to the names below
        pass
    template = str(getattr(tokenizer, "chat_template", "") or "")
    vocab = tokenizer.get_vocab()
    for name in END_OF_TURN_NAMES:
        if name in template and name in vocab and name != tokenizer.bos_token:
            add(int(vocab[name]))
    if not ids:
        raise ValueError("the model has no eos or end-of-turn token")
    return ids


def model_dir_name(path: Path) -> str:
    """`SmolLM2-135M-Instruct` for a cached conversion `<cache>/models/<name>/<sha>`, else the dir name."""
    return path.parent.name if path.parent.parent.name == "models" else path.name
