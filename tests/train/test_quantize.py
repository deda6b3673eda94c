"""QLoRA on the torch backend: the `quantization` key, the up-front refusals and real 4-bit training.

bitsandbytes runs its 4-bit and 8-bit layers on the CPU too (slowly), so the whole path (quantized
load, LoRA on the quantized linears, packed loss, checkpoint/resume, PEFT adapter) is tested here on
a tiny Llama whose sizes are multiples of 64 (bitsandbytes' CPU block). CUDA-only checks are marked
`gpu`.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

from witness_evals.common.errors import InputError
from witness_evals.train import model as M
from witness_evals.train import quantize as Q
from witness_evals.train.config import TrainConfig, apply_overrides, load_config
from witness_evals.train.packing import pack
from witness_evals.train.trainer import Trainer, train_torch

REPO = Path(__file__).resolve().parents[2]
BNB = importlib.util.find_spec("bitsandbytes") is not None
needs_bnb = pytest.mark.skipif(
    not BNB, reason="bitsandbytes not installed (pip install 'witness-evals[qlora]')"
)


def gpu(fn: Any) -> Any:
    """Mark `gpu` and skip where no CUDA GPU is present."""
    return pytest.mark.gpu(pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")(fn))


def _quiet(_m: str) -> None:
    pass


def _cfg(data: Path, out: Path, **kw: Any) -> TrainConfig:
    base: dict[str, Any] = {
        "data": str(data),
        "out": str(out),
        "iters": 4,
        "eval_every": 2,
        "save_every": 2,
        "log_every": 1,
        "learning_rate": 5e-3,
        "lora_layers": 2,
        "progress": False,
    }
    base.update(kw)
    return TrainConfig(**base).validate()


@pytest.fixture(scope="module")
def model64(tmp_path_factory: pytest.TempPathFactory, model_factory: Any) -> Path:
    """A tiny Llama (hidden 64, 2 layers) that bitsandbytes' CPU 4-bit kernels accept."""
    return model_factory(tmp_path_factory.mktemp("model64"), hidden=64, layers=2)


# ---------------------------------------------------------------- the key and its refusals


def test_quantization_key() -> None:
    assert TrainConfig().quantization == "none"
    assert apply_overrides(TrainConfig(), ["quantization=nf4"]).quantization == "nf4"
    assert load_config(REPO / "configs" / "qlora.yaml").quantization == "nf4"
    with pytest.raises(InputError) as err:
        apply_overrides(TrainConfig(), ["quantization=nf3"])
    assert err.value.location == "quantization" and "none, nf4, int4, int8" in str(err.value)


def test_int4_and_mps_are_refused_on_torch() -> None:
    with pytest.raises(InputError, match="int4 is the mlx backend's 4-bit format") as err:
        Q.check_backend(TrainConfig(quantization="int4"))
    assert err.value.one_line().startswith("config:quantization: ")
    with pytest.raises(InputError, match="does not quantize on mps: on Apple silicon use backend: mlx"):
        Q.check_backend(TrainConfig(quantization="nf4", device="mps"))
    Q.check_backend(TrainConfig(quantization="none", device="mps"))  # nothing to check


def test_missing_or_old_package_is_refused() -> None:
    missing = Q.Quantizer(
        "nf4", "witness_evals_no_such_pkg", "witness-evals-no-such-pkg", (1,), Q._bnb_nf4, ""
    )
    with pytest.raises(InputError) as err:
        Q.ensure_installed(missing)
    assert err.value.one_line() == (
        "config:quantization: nf4 needs witness-evals-no-such-pkg: pip install 'witness-evals[qlora]'"
    )
    old = Q.Quantizer("int8", "yaml", "PyYAML", (999,), Q._bnb_int8, "")
    with pytest.raises(InputError, match=r"int8 needs PyYAML >= 999, found \d"):
        Q.ensure_installed(old)


@pytest.mark.parametrize(
    ("extra", "backend", "quantization", "fragment"),
    [
        (
            {"quantization_config": {"quant_method": "gptq", "bits": 4}},
            "torch",
            "nf4",
            "already quantized (gptq)",
        ),
        ({"quantization_config": {"quant_method": "bitsandbytes"}}, "torch", "none", "already quantized"),
        ({"quantization": {"group_size": 64, "bits": 4}}, "torch", "none", "quantized by mlx (4-bit)"),
        (
            {"quantization": {"group_size": 64, "bits": 8}},
            "mlx",
            "nf4",
            "mlx to 8 bits, but quantization: nf4",
        ),
    ],
)
def test_prequantized_bases_are_refused(
    tmp_path: Path, tiny_model: Path, extra: dict[str, Any], backend: str, quantization: str, fragment: str
) -> None:
    base = shutil.copytree(tiny_model, tmp_path / "base")
    config = json.loads((base / "config.json").read_text())
    (base / "config.json").write_text(json.dumps({**config, **extra}))
    with pytest.raises(InputError, match=fragment.replace("(", r"\(").replace(")", r"\)")) as err:
        Q.check_model_dir(base, TrainConfig(backend=backend, quantization=quantization))
    assert err.value.one_line().startswith(f"{base}: ")


def test_mlx_prequantized_base_at_its_width_is_accepted(tmp_path: Path, tiny_model: Path) -> None:
    base = shutil.copytree(tiny_model, tmp_path / "base")
    config = json.loads((base / "config.json").read_text())
    (base / "config.json").write_text(json.dumps({**config, "quantization": {"group_size": 64, "bits": 4}}))
    for q in ("none", "nf4", "int4"):
        Q.check_model_dir(base, TrainConfig(backend="mlx", quantization=q))


@needs_bnb
def test_trainer_refuses_before_loading_weights(tmp_path: Path, tiny_model: Path, chat_data: Path) -> None:
    """hidden 32 is no multiple of bitsandbytes' CPU block: refused from the config alone."""
    if torch.cuda.is_available():
        pytest.skip("the CPU-only shape rule")
    with pytest.raises(InputError, match="nf4 on the CPU needs linear input sizes divisible by 64"):
        Trainer(_cfg(chat_data, tmp_path / "run", quantization="nf4"), tiny_model, log=_quiet)
    assert not (tmp_path / "run").exists()


# ---------------------------------------------------------------- real 4-bit training (CPU)


def _dequantized_reference(model_dir: Path, quantized: Any) -> Any:
    """The fp32 model whose linears hold exactly the values the 4-bit ones stand for."""
    import bitsandbytes as bnb
    from transformers import AutoModelForCausalLM

    ref = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32)
    n = 0
    for name, module in quantized.named_modules():
        if isinstance(module, bnb.nn.Linear4bit):
            weight = bnb.functional.dequantize_4bit(module.weight.data, module.weight.quant_state)
            ref.get_submodule(name).weight.data.copy_(weight.float())
            n += 1
    assert n == 2 * 7  # q, k, v, o, gate, up, down in both layers
    return ref


@needs_bnb
def test_nf4_loss_and_gradients_match_the_dequantized_model(model64: Path, tiny_tokenizer: Any) -> None:
    """The packed loss and LoRA gradients on the NF4 base equal those on its dequantized fp32 twin.

    An eval forward comes first: bitsandbytes would repack the CPU weights there and silently drop
    the gradient through them (`keep_cpu_weights_differentiable` prevents it).
    """
    from witness_evals.train.data import tokenize_conversation

    cfg = TrainConfig(lora_layers=2, lora_rank=4)
    quantized = Q.load_quantized(model64, Q.TORCH_QUANTIZERS["nf4"], torch.float32, torch.device("cpu"))
    reference = _dequantized_reference(model64, quantized)
    messages = [{"role": "user", "content": "witness run step"}, {"role": "assistant", "content": "sign key"}]
    example = tokenize_conversation(tiny_tokenizer, messages, {tiny_tokenizer.eos_token_id})
    batch = pack([example, example])
    results = []
    for base in (quantized, reference):
        torch.manual_seed(0)
        model = M.apply_lora(base, cfg)
        for name, param in model.named_parameters():
            if "lora_B" in name:  # non-zero B, so every LoRA gradient is non-trivial
                torch.nn.init.normal_(param, std=0.2)
        model.eval()
        with torch.no_grad():
            M.packed_loss(model, batch)
        model.train()
        loss = M.packed_loss(model, batch)
        loss.backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
        results.append((float(loss), grads))
    (q_loss, q_grads), (r_loss, r_grads) = results
    assert q_loss == pytest.approx(r_loss, rel=1e-5)
    assert q_grads.keys() == r_grads.keys() and len(q_grads) == 2 * 7 * 2
    for name, grad in q_grads.items():
        torch.testing.assert_close(grad, r_grads[name], rtol=1e-3, atol=1e-6, msg=name)
        assert grad.abs().sum() > 0, name


@needs_bnb
@pytest.mark.parametrize("quantization", ["nf4", "int8"])
def test_qlora_run_resumes_and_its_adapter_loads_on_the_full_base(
    tmp_path: Path, model64: Path, chat_data: Path, quantization: str
) -> None:
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    straight = train_torch(_cfg(chat_data, tmp_path / "a", quantization=quantization), model64, log=_quiet)
    cfg = _cfg(chat_data, tmp_path / "b", quantization=quantization)
    part = train_torch(cfg, model64, stop_after=2, log=_quiet)
    assert not part["finished"] and part["steps"] == 2
    resumed = train_torch(cfg, model64, log=_quiet)
    assert resumed["finished"] and resumed["steps_this_run"] == 2

    def metrics(run: str) -> list[Any]:
        lines = (tmp_path / run / "metrics.jsonl").read_text().splitlines()
        return [(r["step"], r.get("loss"), r.get("val_loss")) for r in map(json.loads, lines)]

    assert metrics("a") == metrics("b")  # a killed and resumed run is the straight run
    evals = [v for _s, _l, v in metrics("a") if v is not None]
    assert evals[-1] < evals[0]  # it learns
    expected = "bitsandbytes NF4, blocks of 64, double quantization, float32 compute"
    assert straight["quantization"] == (expected if quantization == "nf4" else "bitsandbytes LLM.int8()")

    adapter = tmp_path / "a" / "adapter"
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["r"] == 8
    saved = load_file(str(adapter / "adapter_model.safetensors"))
    assert all(v.dtype == torch.float32 for v in saved.values())
    base = AutoModelForCausalLM.from_pretrained(str(model64), dtype=torch.float32)
    full = PeftModel.from_pretrained(base, str(adapter))  # an ordinary PEFT adapter on the fp32 base
    loaded = {k: v for k, v in full.state_dict().items() if "lora_" in k}
    assert len(loaded) == len(saved)
    for key, value in saved.items():
        torch.testing.assert_close(loaded[key.replace(".weight", ".default.weight")], value, rtol=0, atol=0)


@needs_bnb
def test_resume_refuses_another_quantization_or_base(
    tmp_path: Path, model64: Path, chat_data: Path, model_factory: Any
) -> None:
    cfg = _cfg(chat_data, tmp_path / "run", quantization="nf4")
    train_torch(cfg, model64, stop_after=2, log=_quiet)
    with pytest.raises(InputError, match="made with quantization='nf4'") as err:
        Trainer(_cfg(chat_data, tmp_path / "run"), model64, log=_quiet)
    assert err.value.location == "quantization"
    other = model_factory(tmp_path / "wider", hidden=128, layers=2)  # same recipe, other sizes
    with pytest.raises(
        InputError,
        match=r"made for another base or rank: \S+\.lora_A\.weight has shape \[8, 128\], this run needs \[8, 256\]",
    ):
        Trainer(cfg, other, log=_quiet)
    deeper = model_factory(tmp_path / "deeper", hidden=64, layers=3)  # LoRA now on layers 1, 2
    with pytest.raises(InputError, match="LoRA modules differ from this run's"):
        Trainer(cfg, deeper, log=_quiet)


# ---------------------------------------------------------------- CUDA


@gpu
@needs_bnb
def test_nf4_on_cuda_trains_in_less_memory(tmp_path: Path, model_factory: Any, chat_data: Path) -> None:
    """On CUDA: bf16 compute, quantized linears, a falling loss, and fewer bytes than the bf16 base."""
    import bitsandbytes as bnb

    model_dir = model_factory(tmp_path / "m", hidden=256, layers=4)
    sizes = {}
    for quantization in ("none", "nf4"):
        trainer = Trainer(
            _cfg(chat_data, tmp_path / quantization, quantization=quantization), model_dir, log=_quiet
        )
        base = trainer.model.get_base_model()
        sizes[quantization] = base.get_memory_footprint()
        if quantization == "nf4":
            linears = [m for m in base.modules() if isinstance(m, bnb.nn.Linear4bit)]
            assert len(linears) == 4 * 7 and linears[0].compute_dtype == torch.bfloat16
        summary = trainer.run()
        assert summary["finished"] and summary["dtype"] == "bfloat16"
        assert (
            summary["best_val_loss"]
            < json.loads((tmp_path / quantization / "metrics.jsonl").read_text().splitlines()[0])["val_loss"]
        )
    assert sizes["nf4"] < 0.7 * sizes["none"]


@needs_bnb
def test_cli_trains_with_set_quantization_nf4(tmp_path: Path, model64: Path, chat_data: Path) -> None:
    """`witness-evals train --set quantization=nf4`: the user's command, end to end."""
    import os
    import subprocess
    import sys

    sets = ["quantization=nf4", "iters=2", "lora_layers=2", "progress=false"]
    args = ["--model", str(model64), "--data", str(chat_data), "--out", str(tmp_path / "run")]
    args += [arg for item in sets for arg in ("--set", item)]
    proc = subprocess.run(
        [sys.executable, "-m", "witness_evals", "train", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout)
    assert summary["finished"] and summary["quantization"].startswith("bitsandbytes NF4")
    assert (tmp_path / "run" / "adapter" / "adapter_model.safetensors").is_file()
