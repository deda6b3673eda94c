"""`witness-evals export`: every format from a real (tiny) training run, checked by reading it back."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from witness_evals.export import FORMATS, export_run, staged

PROMPTS = [
    [{"role": "user", "content": "Write a witness run command for `make build`."}],
    [
        {"role": "system", "content": "You are a witness expert."},
        {"role": "user", "content": "What is a policy? 3 33 333"},
    ],
]
MERGE_TOLERANCE = 1e-4  # float32 logits, merged weights vs base + LoRA branch


def prompt_ids(model_dir: Path) -> list[list[int]]:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    return [
        tok(tok.apply_chat_template(p, tokenize=False, add_generation_prompt=True), add_special_tokens=False)[
            "input_ids"
        ]
        for p in PROMPTS
    ]


def base_dir(run: Path) -> Path:
    import yaml

    return Path(yaml.safe_load((run / "config.yaml").read_text())["model"])


def base_plus_adapter(run: Path) -> Any:
    from witness_evals.export.merge import load_base, with_adapter

    return with_adapter(load_base(base_dir(run)), run / "adapter")


def no_local_paths(folder: Path, *paths: Path) -> None:
    for file in folder.iterdir():
        if file.suffix in (".md", ".json", "") and file.is_file() and file.stat().st_size < 1 << 20:
            text = file.read_text(encoding="utf-8", errors="replace")
            for p in paths:
                assert str(p) not in text, f"{file.name} holds the local path {p}"


def test_merged_model_gives_the_logits_of_base_plus_adapter(tiny_run: Path, tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM

    info = export_run(tiny_run, "merged", tmp_path / "merged")
    out = tmp_path / "merged"
    assert {
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "chat_template.jinja",
        "README.md",
        "export.json",
    } <= {p.name for p in out.iterdir()}
    merged = AutoModelForCausalLM.from_pretrained(str(out), dtype=torch.float32).eval()
    reference = base_plus_adapter(tiny_run)
    from witness_evals.export.merge import max_logit_diff

    ids = prompt_ids(out)
    diff = max_logit_diff(merged, reference, ids)
    assert diff < MERGE_TOLERANCE, diff
    base_only = reference.get_base_model()
    with reference.disable_adapter():  # the adapter changes the model: the comparison means something
        assert max_logit_diff(merged, base_only, ids) > 1e-2
    assert json.loads((out / "config.json").read_text())["rope_theta"] == 100000.0
    assert (
        info["base_model"]["name"] == "base" and len(info["base_model"]["sha256"]["model.safetensors"]) == 64
    )
    no_local_paths(out, tiny_run, base_dir(tiny_run).parent)


def test_adapter_export_has_a_portable_card(tiny_run: Path, tmp_path: Path) -> None:
    from witness_evals.export.merge import load_base, max_logit_diff, with_adapter

    info = export_run(tiny_run, "adapter", tmp_path / "a")
    out = tmp_path / "a"
    config = json.loads((out / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == "base"
    card = (out / "README.md").read_text()
    assert card.startswith("---\nbase_model: base\nlibrary_name: peft\n")
    assert info["dataset"]["manifest_sha256"] and info["training_config"]["model"] == "base"
    assert info["training_config"]["data"] == "data" and "out" not in info["training_config"]
    no_local_paths(out, tiny_run, base_dir(tiny_run).parent)
    exported = with_adapter(load_base(base_dir(tiny_run)), out)
    assert max_logit_diff(exported, base_plus_adapter(tiny_run), prompt_ids(base_dir(tiny_run))) == 0.0


def test_the_default_base_is_named_by_hub_id_and_hash(tmp_path: Path, default_cache: Path) -> None:
    from witness_evals.export.run import DEFAULT_BASE_NAME, load_run, resolve_base
    from witness_evals.train.model_source import default_model_gguf, sha256_file

    run = tmp_path / "run"
    (run / "adapter").mkdir(parents=True)
    (run / "adapter" / "adapter_config.json").write_text("{}")
    (run / "adapter" / "adapter_model.safetensors").write_bytes(b"")
    (run / "config.yaml").write_text("model: null\n")
    base = resolve_base(load_run(run))
    gguf = default_model_gguf()
    assert base.name == DEFAULT_BASE_NAME == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert base.files == {gguf.name: sha256_file(gguf)}
    assert str(base.local_dir) not in json.dumps(base.to_json())


def read_gguf(file: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    import gguf

    reader = gguf.GGUFReader(str(file))
    fields = {}
    for key, field in reader.fields.items():
        try:
            fields[key] = field.contents()
        except Exception:
            continue
    return fields, {t.name: t for t in reader.tensors}


def test_gguf_f16_and_q8_0_carry_the_merged_weights_and_the_tokenizer(tiny_run: Path, tmp_path: Path) -> None:
    import gguf
    from transformers import AutoTokenizer

    from witness_evals.export.gguf_export import unpermute_rope_rows
    from witness_evals.export.merge import merged_model

    merged = merged_model(base_dir(tiny_run), tiny_run / "adapter").state_dict()
    tok = AutoTokenizer.from_pretrained(str(base_dir(tiny_run)))
    for quant, tolerance in (("f16", 2e-3), ("q8_0", 2e-2)):
        info = export_run(tiny_run, "gguf", tmp_path / quant, quant=quant)
        fields, tensors = read_gguf(tmp_path / quant / info["gguf"]["file"])
        assert fields["general.architecture"] == "llama"
        assert fields["tokenizer.ggml.model"] == "gpt2" and fields["tokenizer.ggml.pre"] == "gpt-2"
        assert fields["tokenizer.chat_template"] == tok.chat_template
        assert fields["tokenizer.ggml.eos_token_id"] == tok.eos_token_id
        assert fields["tokenizer.ggml.add_bos_token"] is False
        assert (
            len(fields["tokenizer.ggml.tokens"]) == len(tok) and len(fields["tokenizer.ggml.merges"]) > 40000
        )
        assert fields["llama.rope.freq_base"] == 100000.0 and fields["llama.block_count"] == 2
        assert "output.weight" not in tensors  # tied embeddings
        want_type = gguf.GGMLQuantizationType.Q8_0 if quant == "q8_0" else gguf.GGMLQuantizationType.F16
        for name, hf, heads in (
            ("blk.1.attn_q.weight", "model.layers.1.self_attn.q_proj.weight", 4),
            ("blk.1.attn_k.weight", "model.layers.1.self_attn.k_proj.weight", 2),
            ("blk.0.ffn_down.weight", "model.layers.0.mlp.down_proj.weight", 0),
            ("token_embd.weight", "model.embed_tokens.weight", 0),
        ):
            t = tensors[name]
            assert t.tensor_type == want_type
            got = gguf.quants.dequantize(t.data, t.tensor_type).reshape(merged[hf].shape)
            want = merged[hf].numpy()
            if heads:
                want = unpermute_rope_rows(want, heads)
            assert np.abs(got - want).max() < tolerance * max(1.0, float(np.abs(want).max()))
        assert tensors["blk.0.attn_norm.weight"].tensor_type == gguf.GGMLQuantizationType.F32


def test_llama3_rope_and_pre_tokenizer(llama3_run: Path, tmp_path: Path) -> None:
    from witness_evals.export.gguf_export import llama3_rope_factors

    info = export_run(llama3_run, "gguf", tmp_path / "g")
    fields, tensors = read_gguf(tmp_path / "g" / info["gguf"]["file"])
    assert fields["tokenizer.ggml.pre"] == "llama-bpe"
    assert fields["tokenizer.ggml.add_bos_token"] is True and fields["tokenizer.ggml.bos_token_id"] == 3
    factors = np.asarray(tensors["rope_freqs.weight"].data)
    config = json.loads((base_dir(llama3_run) / "config.json").read_text())
    assert (
        np.allclose(factors, llama3_rope_factors(config)) and factors.min() == 1.0 and factors.max() == 32.0
    )


def _modelfile_template(text: str) -> str:
    import re

    match = re.search(r'^TEMPLATE """(.*?)"""$', text, re.S | re.M)
    assert match, text
    return match.group(1)


def test_ollama_directory(tiny_run: Path, tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    from witness_evals.export.gotemplate import render_ollama
    from witness_evals.export.ollama import PROBES

    info = export_run(tiny_run, "ollama", tmp_path / "o")
    out = tmp_path / "o"
    modelfile = (out / "Modelfile").read_text()
    gguf_name = info["gguf"]["file"]
    assert f"FROM ./{gguf_name}\n" in modelfile and (out / gguf_name).is_file()
    assert 'TEMPLATE """{{- range .Messages }}<|im_start|>{{ .Role }}' in modelfile
    assert 'SYSTEM """You are an expert on in-toto/witness' in modelfile
    assert 'PARAMETER stop "<|im_end|>"' in modelfile
    num_ctx = int(modelfile.split("PARAMETER num_ctx ")[1].split()[0])
    assert num_ctx >= 4096
    assert info["ollama"] == {"name": "base-witness", "template": "chatml", "system": True}
    readme = (out / "README.md").read_text()
    assert "ollama create base-witness -f Modelfile" in readme and "ollama run base-witness" in readme
    tok = AutoTokenizer.from_pretrained(str(base_dir(tiny_run)))
    for messages in [*PROBES, *PROMPTS[1:]]:  # the TEMPLATE as written, rendered by Go's rules
        assert tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True) == render_ollama(
            _modelfile_template(modelfile), messages
        )


def test_ollama_llama3_template_and_bos(llama3_run: Path, tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    from witness_evals.export.gotemplate import render_ollama

    info = export_run(llama3_run, "ollama", tmp_path / "o")
    modelfile = (tmp_path / "o" / "Modelfile").read_text()
    assert info["ollama"]["template"] == "llama3" and "<|start_header_id|>" in _modelfile_template(modelfile)
    assert 'PARAMETER stop "<|eot_id|>"' in modelfile
    fields, _ = read_gguf(tmp_path / "o" / info["gguf"]["file"])
    assert fields["tokenizer.ggml.add_bos_token"] is True  # llama.cpp writes the BOS the template starts with
    tok = AutoTokenizer.from_pretrained(str(base_dir(llama3_run)))
    messages = [{"role": "system", "content": "Be brief."}, *PROMPTS[0]]
    want = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert want == "<|begin_of_text|>" + render_ollama(_modelfile_template(modelfile), messages)


def test_ollama_refuses_a_template_it_cannot_translate(tiny_run: Path, tmp_path: Path) -> None:
    run = shutil.copytree(tiny_run, tmp_path / "inst-run")  # as if trained with `chat_template: inst.jinja`
    shutil.copy(Path(__file__).parent / "templates" / "inst.jinja", run / "adapter" / "chat_template.jinja")
    line = one_error_line(run_cli("export", str(run), "--format", "ollama", "--out", str(tmp_path / "o")))
    assert "chat template not recognised for an Ollama TEMPLATE" in line and "[INST], [/INST]" in line
    assert not (tmp_path / "o").exists()


def test_mlx_adapter_gives_the_logits_of_the_peft_adapter(tiny_run: Path, tmp_path: Path) -> None:
    pytest.importorskip("mlx_lm")
    import mlx.core as mx
    from mlx_lm import load

    from witness_evals.train.model_source import legacy_rope_theta

    info = export_run(tiny_run, "mlx", tmp_path / "m")
    assert info["mlx"]["num_layers"] == 2 and info["mlx"]["lora_parameters"]["scale"] == 2.0
    base = base_dir(tiny_run)
    config = json.loads((base / "config.json").read_text())
    model, _ = load(str(base), model_config=legacy_rope_theta(config), adapter_path=str(tmp_path / "m"))
    reference = base_plus_adapter(tiny_run)
    worst = 0.0
    for ids in prompt_ids(base):
        got = np.array(model(mx.array([ids])).astype(mx.float32))
        with torch.inference_mode():
            want = reference(input_ids=torch.tensor([ids])).logits.numpy()
        worst = max(worst, float(np.abs(got - want).max()))
    assert worst < 1e-3, worst


# ---------------------------------------------------------------- bad input


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "witness_evals", *args], capture_output=True, text=True, timeout=300
    )


PROGRESS = re.compile(r"\d+%\|.*\|")


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    # `[model] ...` log lines and, when the default model is converted for the first time (a fresh
    # cache), transformers' progress bars come before the error
    lines = [
        line
        for line in result.stderr.splitlines()
        if line.strip() and not line.startswith("[") and not PROGRESS.search(line)
    ]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_cli_exports_and_prints_export_json(tiny_run: Path, tmp_path: Path) -> None:
    result = run_cli("export", str(tiny_run), "--format", "adapter", "--out", str(tmp_path / "cli"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["format"] == "adapter"


def test_base_option_replaces_a_base_path_from_another_machine(tiny_run: Path, tmp_path: Path) -> None:
    moved = tmp_path / "trained-elsewhere"
    shutil.copytree(tiny_run / "adapter", moved / "adapter")
    (moved / "config.yaml").write_text("model: /gpu-machine/tmp/base\n")
    result = run_cli(
        "export",
        str(moved),
        "--format",
        "adapter",
        "--base",
        str(base_dir(tiny_run)),
        "--out",
        str(tmp_path / "a"),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["format"] == "adapter"
    # an adapter trained on one GGUF (its converted folder is named by the GGUF's sha256) refuses another
    config = json.loads((moved / "adapter" / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = "/gpu-machine/cache/models/smollm2/0123456789abcdef"
    (moved / "adapter" / "adapter_config.json").write_text(json.dumps(config))
    line = one_error_line(
        run_cli(
            "export", str(moved), "--format", "adapter", "--base", "default", "--out", str(tmp_path / "b")
        )
    )
    assert "trained on a GGUF with sha256 0123456789abcdef" in line
    assert not (tmp_path / "b").exists()


def test_bad_input_is_one_line_exit_2_and_writes_nothing(tiny_run: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty-run"
    empty.mkdir()
    assert "no adapter" in one_error_line(
        run_cli("export", str(empty), "--format", "gguf", "--out", str(tmp_path / "x"))
    )
    missing = tmp_path / "missing-base"
    shutil.copytree(tiny_run / "adapter", missing / "adapter")
    (missing / "config.yaml").write_text(f"model: {tmp_path / 'no-such-model'}\n")
    line = one_error_line(run_cli("export", str(missing), "--format", "merged", "--out", str(tmp_path / "x")))
    assert "base model not found" in line and "--base" in line
    line = one_error_line(
        run_cli(
            "export",
            str(missing),
            "--format",
            "merged",
            "--base",
            str(tmp_path / "nope"),
            "--out",
            str(tmp_path / "x"),
        )
    )
    assert "base model not found" in line and "(--base)" in line
    gpt2 = tmp_path / "gpt2-run"
    shutil.copytree(tiny_run / "adapter", gpt2 / "adapter")
    other = shutil.copytree(base_dir(tiny_run), tmp_path / "gpt2-base")
    config = json.loads((other / "config.json").read_text())
    config.update(model_type="gpt2", architectures=["GPT2LMHeadModel"])
    (other / "config.json").write_text(json.dumps(config))
    (gpt2 / "config.yaml").write_text(f"model: {other}\n")
    line = one_error_line(
        run_cli("export", str(gpt2), "--format", "gguf", "--out", str(tmp_path / "x" / "y"))
    )
    assert "unsupported architecture for GGUF: GPT2LMHeadModel" in line
    assert "bad" in one_error_line(
        run_cli("export", str(tiny_run), "--format", "bad", "--out", str(tmp_path / "x"))
    )
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    assert "not empty" in one_error_line(
        run_cli("export", str(tiny_run), "--format", "adapter", "--out", str(busy))
    )
    assert not (tmp_path / "x").exists() and [p.name for p in busy.iterdir()] == ["keep.txt"]
    assert sorted(FORMATS) == ["adapter", "gguf", "merged", "mlx", "ollama"]


def test_a_failed_export_leaves_no_output_directory(tmp_path: Path) -> None:
    out = tmp_path / "new" / "deep" / "out"
    with pytest.raises(RuntimeError), staged(out) as tmp:
        (tmp / "half.gguf").write_bytes(b"GGUF")
        raise RuntimeError("killed mid-write")
    assert not (tmp_path / "new").exists()
    with staged(out) as tmp:
        (tmp / "whole.gguf").write_bytes(b"GGUF")
    assert [p.name for p in out.parent.iterdir()] == ["out"] and (out / "whole.gguf").is_file()


# ---------------------------------------------------------------- a run's own chat template


@pytest.fixture(scope="module")
def chatml_run(tmp_path_factory: pytest.TempPathFactory, smol_tok_dir: Path) -> Path:
    """A base whose own template is Llama 3's (`<|start_header_id|>`), trained with `chat_template: chatml`."""
    from tinyruns import chat_data, llama3_tokenizer, tiny_llama, train_run

    root = tmp_path_factory.mktemp("chatml-run")
    model = tiny_llama(root / "base", llama3_tokenizer(root / "tok", smol_tok_dir), seed=2)
    return train_run(root / "run", str(model), chat_data(root / "data", seed=2), chat_template="chatml")


def test_merged_and_adapter_exports_carry_the_runs_template(chatml_run: Path, tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    from witness_evals.train.chat_templates import BUILTIN

    chatml = BUILTIN["chatml"]
    assert AutoTokenizer.from_pretrained(str(base_dir(chatml_run))).chat_template != chatml
    info = export_run(chatml_run, "merged", tmp_path / "m")
    tok = AutoTokenizer.from_pretrained(str(tmp_path / "m"))
    assert tok.chat_template == chatml
    prompt = tok.apply_chat_template(PROMPTS[0], tokenize=False, add_generation_prompt=True)
    assert prompt.startswith("<|im_start|>user\n") and "<|start_header_id|>" not in prompt
    assert info["training_config"]["chat_template"] == "chatml"
    export_run(chatml_run, "adapter", tmp_path / "a")
    assert (tmp_path / "a" / "chat_template.jinja").read_text(encoding="utf-8") == chatml


def test_gguf_metadata_holds_the_runs_template(chatml_run: Path, tmp_path: Path) -> None:
    from witness_evals.train.chat_templates import BUILTIN

    info = export_run(chatml_run, "gguf", tmp_path / "g")
    fields, _ = read_gguf(tmp_path / "g" / info["gguf"]["file"])
    assert fields["tokenizer.chat_template"] == BUILTIN["chatml"]
    # the same run on a base without any chat template (Gemma 3 270M's case): the run's is the only one
    base = shutil.copytree(base_dir(chatml_run), tmp_path / "bare")
    (base / "chat_template.jinja").unlink(missing_ok=True)
    tok_config = json.loads((base / "tokenizer_config.json").read_text(encoding="utf-8"))
    tok_config.pop("chat_template", None)
    (base / "tokenizer_config.json").write_text(json.dumps(tok_config), encoding="utf-8")
    run = shutil.copytree(chatml_run, tmp_path / "run", ignore=shutil.ignore_patterns("export"))
    config = (run / "config.yaml").read_text(encoding="utf-8")
    (run / "config.yaml").write_text(config.replace(str(base_dir(chatml_run)), str(base)), encoding="utf-8")
    assert base_dir(run) == base
    info = export_run(run, "gguf", tmp_path / "g2")
    fields, _ = read_gguf(tmp_path / "g2" / info["gguf"]["file"])
    assert fields["tokenizer.chat_template"] == BUILTIN["chatml"]


def test_a_template_file_is_recorded_by_name_only(tmp_path: Path) -> None:
    from witness_evals.export.run import BaseModel, Run, portable_config

    jinja = tmp_path / "templates" / "mine.jinja"
    run = Run(tmp_path, tmp_path / "adapter", {"model": "x", "chat_template": str(jinja)}, "x")
    config = portable_config(run, BaseModel("org/base", "dir", {}, tmp_path))
    assert config["chat_template"] == "mine.jinja" and str(tmp_path) not in json.dumps(config)
