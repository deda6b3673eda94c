"""End-to-end runs of the torch trainer on a tiny model (CPU): outputs, resume, early stopping, errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file

from witness_evals.common.errors import InputError
from witness_evals.train.config import TrainConfig
from witness_evals.train.trainer import Dist, step_examples, train_torch


def _cfg(data: Path, out: Path, **kw: object) -> TrainConfig:
    base: dict[str, Any] = {
        "data": str(data),
        "out": str(out),
        "iters": 6,
        "eval_every": 3,
        "save_every": 2,
        "log_every": 1,
        "learning_rate": 5e-3,
        "lora_dropout": 0.1,
        "progress": False,
        "lora_layers": 2,
    }
    base.update(kw)
    return TrainConfig(**base).validate()


def _adapter(out: Path, sub: str = "adapter") -> dict[str, torch.Tensor]:
    return load_file(str(out / sub / "adapter_model.safetensors"))


def test_full_run_writes_everything(tiny_model: Path, chat_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    lines: list[str] = []
    summary = train_torch(_cfg(chat_data, out, iters=None), tiny_model, log=lines.append)
    assert (
        summary["finished"] and summary["steps"] == 6 == summary["steps_per_epoch"]
    )  # 24 examples / batch 4
    # no progress bar: a line per log_every steps and per evaluation, for logs and CI
    steps = [m for m in lines if m.startswith("step ") and "tokens/s" in m]
    assert [m.split(":")[0] for m in steps] == [f"step {i}/6" for i in range(1, 7)]
    assert next(m for m in lines if "validation loss" in m).startswith("step 3/6: validation loss ")
    assert summary["data"]["train"]["examples"] == 24 and summary["data"]["train"]["dropped_too_long"] == 0
    assert {"tokenize", "load_model", "eval", "checkpoint"} <= set(summary["phase_seconds"])
    for name in (
        "adapter/adapter_model.safetensors",
        "best/adapter_model.safetensors",
        "best/best.json",
        "loss.png",
        "metrics.jsonl",
        "summary.json",
        "config.yaml",
        "checkpoints/latest",
    ):
        assert (out / name).is_file(), name
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if r["event"] == "train"] == [1, 2, 3, 4, 5, 6]
    evals = [r for r in rows if r["event"] == "eval"]
    assert [r["step"] for r in evals] == [0, 3, 6]  # step 0: the untuned model
    assert summary["best_val_loss"] == min(r["val_loss"] for r in evals[1:])
    assert (out / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in (out / "checkpoints").iterdir() if p.is_dir()) == [
        "step-0000004",
        "step-0000006",
    ]
    assert not list(out.glob(".tmp*"))
    card = (out / "adapter" / "README.md").read_text()  # ours, not PEFT's template with a local base path
    assert "witness-evals export" in card and "More Information Needed" not in card
    assert str(tiny_model) not in card


def test_epochs_without_iters(tiny_model: Path, chat_data: Path, tmp_path: Path) -> None:
    summary = train_torch(
        _cfg(chat_data, tmp_path / "run", iters=None, epochs=2), tiny_model, log=lambda _m: None
    )
    assert summary["steps"] == 12 and summary["steps_per_epoch"] == 6 and summary["epochs"] == 2


def test_same_seed_same_weights(tiny_model: Path, chat_data: Path, tmp_path: Path) -> None:
    a = train_torch(_cfg(chat_data, tmp_path / "a", iters=3), tiny_model, log=lambda _m: None)
    b = train_torch(_cfg(chat_data, tmp_path / "b", iters=3), tiny_model, log=lambda _m: None)
    assert a["best_val_loss"] == b["best_val_loss"]
    wa, wb = _adapter(tmp_path / "a"), _adapter(tmp_path / "b")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_micro_batches_by_tokens_train_the_same_weights(
    tiny_model: Path, chat_data: Path, tmp_path: Path
) -> None:
    """`micro_batch_tokens` (with `checkpoint_over_tokens` and `checkpoint_keep_tokens`) changes memory, not the
    updates."""
    whole = train_torch(
        _cfg(chat_data, tmp_path / "a", iters=3, lora_dropout=0.0), tiny_model, log=lambda _m: None
    )
    cut = train_torch(
        _cfg(
            chat_data,
            tmp_path / "b",
            iters=3,
            lora_dropout=0.0,
            micro_batch_tokens=40,
            checkpoint_over_tokens=30,
            checkpoint_keep_tokens=80,
        ),
        tiny_model,
        log=lambda _m: None,
    )
    assert cut["best_val_loss"] == pytest.approx(whole["best_val_loss"], rel=1e-5)
    wa, wb = _adapter(tmp_path / "a"), _adapter(tmp_path / "b")
    for k in wa:  # float32 sums in another order, then Adam's division by small second moments
        torch.testing.assert_close(wb[k], wa[k], rtol=1e-3, atol=1e-4)


def test_kill_and_resume_equals_straight_run(tiny_model: Path, chat_data: Path, tmp_path: Path) -> None:
    straight = train_torch(_cfg(chat_data, tmp_path / "straight", iters=9), tiny_model, log=lambda _m: None)
    out = tmp_path / "killed"
    partial = train_torch(_cfg(chat_data, out, iters=9), tiny_model, stop_after=5, log=lambda _m: None)
    assert not partial["finished"] and partial["steps"] == 5
    # the "kill" lost step 5: the last checkpoint is step 4; simulate a half-written next checkpoint too
    assert (out / "checkpoints" / "latest").read_text().strip() == "step-0000004"
    (out / "checkpoints" / ".tmp-step-0000006-999").mkdir()
    resumed = train_torch(_cfg(chat_data, out, iters=9), tiny_model, log=lambda _m: None)
    assert resumed["finished"] and resumed["steps_this_run"] == 5
    ws, wr = _adapter(tmp_path / "straight"), _adapter(out)
    for k in ws:
        torch.testing.assert_close(wr[k], ws[k], rtol=1e-5, atol=1e-7)
    assert resumed["best_val_loss"] == pytest.approx(straight["best_val_loss"], rel=1e-6)
    steps = [
        json.loads(x)["step"]
        for x in (out / "metrics.jsonl").read_text().splitlines()
        if json.loads(x)["event"] == "train"
    ]
    assert steps == list(range(1, 10))


def test_resume_refuses_other_settings(tiny_model: Path, chat_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    train_torch(_cfg(chat_data, out, iters=2), tiny_model, log=lambda _m: None)
    with pytest.raises(InputError, match="batch_size"):
        train_torch(_cfg(chat_data, out, iters=4, batch_size=2), tiny_model, log=lambda _m: None)
    with pytest.raises(InputError, match="already holds checkpoints"):
        train_torch(_cfg(chat_data, out, iters=4), tiny_model, resume=False, log=lambda _m: None)


def test_early_stopping(tiny_model: Path, chat_data: Path, tmp_path: Path) -> None:
    # a huge learning rate makes validation loss go up after the first evaluation
    cfg = _cfg(
        chat_data,
        tmp_path / "run",
        iters=30,
        eval_every=1,
        learning_rate=5.0,
        early_stopping_patience=2,
        max_grad_norm=0.0,
        lora_dropout=0.0,
    )
    summary = train_torch(cfg, tiny_model, log=lambda _m: None)
    assert summary["stopped_early"] and summary["steps"] < 30
    assert json.loads((tmp_path / "run" / "best" / "best.json").read_text())["step"] == summary["best_step"]


def test_model_without_chat_template(tmp_path: Path, chat_data: Path, model_factory) -> None:
    model = model_factory(tmp_path / "m", layers=2, chat_template=False)
    with pytest.raises(InputError, match="no chat template"):
        train_torch(_cfg(chat_data, tmp_path / "run"), model, log=lambda _m: None)


def test_bad_dataset_fails_before_training(tiny_model: Path, chat_data: Path, tmp_path: Path) -> None:
    shutil.copy(chat_data / "train.jsonl", tmp_path / "train.jsonl")
    (tmp_path / "valid.jsonl").write_text('{"messages": [{"role": "user", "content": "q"}]}\n')
    with pytest.raises(InputError) as info:
        train_torch(_cfg(tmp_path, tmp_path / "run"), tiny_model, log=lambda _m: None)
    assert info.value.location == "line 1" and "valid.jsonl" in str(info.value.source)
    assert not (tmp_path / "run").exists()


def test_data_order_is_a_function_of_step() -> None:
    cfg = TrainConfig(batch_size=2, seed=3)
    one = [step_examples(10, cfg, s, Dist()) for s in range(10)]
    assert sorted(i for step in one[:5] for mb in step for i in mb) == list(range(10))  # one epoch covers all
    assert one[5] != one[0] or one[6] != one[1]  # next epoch reshuffled
    two = [
        [step_examples(10, TrainConfig(batch_size=1, seed=3), s, Dist(r, 2)) for r in range(2)]
        for s in range(5)
    ]
    for s in range(5):
        assert [two[s][0][0][0], two[s][1][0][0]] == one[s][0]
