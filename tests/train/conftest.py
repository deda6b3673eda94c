"""Fixtures for the trainer tests: a tiny random Llama with a real (small) BPE tokenizer and chat template."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch

# tiny models: one thread per process is ~10x faster than oversubscribed OpenMP on a shared 2-core box
torch.set_num_threads(1)

CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
WORDS = [
    "witness",
    "attestation",
    "policy",
    "step",
    "material",
    "product",
    "command",
    "run",
    "sign",
    "verify",
    "key",
    "digest",
    "sha256",
    "collection",
]


def make_model_dir(path: Path, *, layers: int = 4, chat_template: bool = True, hidden: int = 32) -> Path:
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    path.mkdir(parents=True, exist_ok=True)
    rng = random.Random(0)
    corpus = [" ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(200)]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        corpus,
        vocab_size=300,
        min_frequency=1,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        show_progress=False,
    )
    tok = PreTrainedTokenizerFast(
        tokenizer_object=bpe._tokenizer,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        bos_token="<|im_start|>",
    )
    if chat_template:
        tok.chat_template = CHAT_TEMPLATE
    tok.save_pretrained(str(path))
    torch.manual_seed(0)
    cfg = LlamaConfig(
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=len(tok),
        max_position_embeddings=512,
        tie_word_embeddings=True,
        eos_token_id=tok.eos_token_id,
        bos_token_id=tok.bos_token_id,
    )
    LlamaForCausalLM(cfg).save_pretrained(str(path), safe_serialization=True)
    return path


def make_chat_data(path: Path, n_train: int = 24, n_valid: int = 8, seed: int = 0) -> Path:
    rng = random.Random(seed)
    path.mkdir(parents=True, exist_ok=True)

    def conv() -> dict[str, object]:
        q = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8)))
        a = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
        msgs = [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        if rng.random() < 0.5:
            msgs.insert(0, {"role": "system", "content": "You are a witness expert."})
        return {"messages": msgs}

    for name, n in (("train.jsonl", n_train), ("valid.jsonl", n_valid)):
        (path / name).write_text("".join(json.dumps(conv()) + "\n" for _ in range(n)), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_model_dir(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_model: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_model))


@pytest.fixture()
def chat_data(tmp_path: Path) -> Path:
    return make_chat_data(tmp_path / "data")


@pytest.fixture(scope="session")
def model_factory():
    return make_model_dir
