"""Trainer guards: input errors before the model loads, resume checks, safe state loading, attention choice, step-0 logging."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest
import torch

from witness_evals.common.errors import InputError
from witness_evals.train import attention
from witness_evals.train import checkpoint as ckpt
from witness_evals.train import model as M
from witness_evals.train.config import TrainConfig
from witness_evals.train.trainer import Trainer, train_torch


def _cfg(data: Path, out: Path, **kw: object) -> TrainConfig:
    base: dict[str, Any] = {
        "data": str(data),
        "out": str(out),
        "iters": 3,
        "eval_every": 3,
        "save_every": 3,
        "log_every": 3,
        "learning_rate": 6e-3,
        "progress": False,
        "lora_layers": 2,
    }
    base.update(kw)
    return TrainConfig(**base).validate()


def _quiet(_m: str) -> None:
    pass


@pytest.fixture
def no_weights(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count weight loads (and refuse them): the checks under test must fire before any."""
    calls: list[int] = []

    def refuse(self: Trainer, model_dir: Path) -> Any:
        calls.append(1)
        raise AssertionError("weights loaded before the input was checked")

    monkeypatch.setattr(Trainer, "_load_model", refuse)
    return calls


def test_unknown_lora_target_is_an_input_error_before_loading(
    tiny_model: Path, chat_data: Path, tmp_path: Path, no_weights: list[int]
) -> None:
    cfg = _cfg(chat_data, tmp_path / "run", lora_targets=["q_proj", "qkv_proj"])
    with pytest.raises(InputError) as info:
        train_torch(cfg, tiny_model, log=_quiet)
    assert info.value.source == "config" and info.value.location == "lora_targets"
    assert "'qkv_proj'" in info.value.message and "'q_proj'" not in info.value.message
    assert not no_weights


def test_dotted_lora_target_is_accepted(tiny_model: Path, chat_data: Path, tmp_path: Path) -> None:
    from witness_evals.train.trainer import check_lora_targets

    check_lora_targets(tiny_model, ["self_attn.q_proj", "mlp.down_proj"])  # PEFT suffix matching


def test_resume_checks_come_before_the_model_loads(
    tiny_model: Path, chat_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "run"
    train_torch(_cfg(chat_data, out), tiny_model, log=_quiet)
    calls: list[int] = []
    monkeypatch.setattr(Trainer, "_load_model", lambda self, d: calls.append(1))
    with pytest.raises(InputError, match="already holds checkpoints"):
        train_torch(_cfg(chat_data, out, iters=4), tiny_model, resume=False, log=_quiet)
    with pytest.raises(InputError) as info:  # max_seq_length changes which examples are dropped
        train_torch(_cfg(chat_data, out, iters=4, max_seq_length=1024), tiny_model, log=_quiet)
    assert info.value.location == "max_seq_length"
    assert not calls


def test_step_zero_eval_and_per_step_lr(tiny_model: Path, chat_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    # warmup makes every step's lr differ; log_every=3 logs steps 1-3 together at step 3
    train_torch(_cfg(chat_data, out, warmup_steps=3), tiny_model, log=_quiet)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows[0]["event"] == "eval" and rows[0]["step"] == 0 and rows[0]["val_loss"] > 0
    lrs = [r["lr"] for r in rows if r["event"] == "train"]
    assert lrs == pytest.approx([6e-3 / 3, 2 * 6e-3 / 3, 6e-3])
    evals = [r for r in rows if r["event"] == "eval"]
    assert [r["step"] for r in evals] == [0, 3]
    # the untuned loss is a reference point, not a candidate for best/
    assert json.loads((out / "best" / "best.json").read_text())["step"] == 3


class _Boom:
    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (Path(_Boom.marker),))

    marker = ""


def test_crafted_trainer_state_does_not_run_code(tmp_path: Path) -> None:
    _Boom.marker = str(tmp_path / "pwned")
    (tmp_path / "ck").mkdir()
    with (tmp_path / "ck" / ckpt.STATE_FILE).open("wb") as fh:
        pickle.dump({"step": _Boom()}, fh)
    with pytest.raises(InputError) as info:
        ckpt.load_state(tmp_path / "ck")
    assert ckpt.STATE_FILE in str(info.value.source)
    assert not (tmp_path / "pwned").exists()


def test_real_trainer_state_loads_weights_only(tiny_model: Path, chat_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    train_torch(_cfg(chat_data, out, iters=2, save_every=1), tiny_model, log=_quiet)
    found = ckpt.latest_checkpoint(out / "checkpoints")
    assert found is not None
    state = ckpt.load_state(found)
    assert state["step"] == 2 and state["config"]["max_seq_length"] == 4096 and "python" in state["rng"]


def test_packed_row_without_seq_lens_refuses_sdpa() -> None:
    q = torch.randn(1, 4, 6, 8)
    k = v = torch.randn(1, 2, 6, 8)
    cu = torch.tensor([0, 3, 6], dtype=torch.int32)
    with pytest.raises(ValueError, match="varlen kernel"):
        attention.packed_attention(torch.nn.Identity(), q, k, v, None, cu_seqlens=cu, max_seqlen=6)


def test_compiled_varlen_only_for_half_precision_and_varlen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attention, "varlen_available", lambda: True)
    cuda, cpu = torch.device("cuda", 0), torch.device("cpu")
    on = TrainConfig(compile=True)
    assert M.use_compiled_varlen(on, cuda, torch.bfloat16)
    assert not M.use_compiled_varlen(on, cuda, torch.float32)
    assert not M.use_compiled_varlen(TrainConfig(compile=True, attention="sdpa"), cuda, torch.bfloat16)
    assert not M.use_compiled_varlen(TrainConfig(compile=False), cuda, torch.bfloat16)
    assert not M.use_compiled_varlen(on, cpu, torch.bfloat16)
