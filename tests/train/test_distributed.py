"""Data parallelism: 2 CPU processes (torchrun, gloo) train the same adapter as 1 process with twice the batch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file


def _train(args: list[str], out: Path, data: Path, model: Path, extra: list[str]) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    cmd = [
        *args,
        "-m",
        "witness_evals",
        "train",
        "--model",
        str(model),
        "--data",
        str(data),
        "--out",
        str(out),
        "--set",
        "iters=4",
        "--set",
        "eval_every=2",
        "--set",
        "save_every=2",
        "--set",
        "learning_rate=5e-3",
        "--set",
        "lora_layers=2",
        "--set",
        "progress=false",
        *extra,
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_two_processes_match_one(tiny_model: Path, chat_data: Path, tmp_path: Path) -> None:
    _train([sys.executable], tmp_path / "one", chat_data, tiny_model, ["--set", "batch_size=4"])
    torchrun = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        "0",
        "--rdzv_backend",
        "c10d",
        "--rdzv_endpoint",
        "localhost:0",
    ]
    _train(torchrun, tmp_path / "two", chat_data, tiny_model, ["--set", "batch_size=2"])
    one = load_file(str(tmp_path / "one" / "adapter" / "adapter_model.safetensors"))
    two = load_file(str(tmp_path / "two" / "adapter" / "adapter_model.safetensors"))
    assert one.keys() == two.keys()
    moved = 0
    for k in one:
        torch.testing.assert_close(two[k], one[k], rtol=1e-4, atol=1e-6)
        moved += int(not torch.all(one[k] == 0))
    assert moved == len(one)  # every LoRA matrix trained
    import json

    s1 = json.loads((tmp_path / "one" / "summary.json").read_text())
    s2 = json.loads((tmp_path / "two" / "summary.json").read_text())
    assert s2["processes"] == 2 and s1["tokens_seen"] == s2["tokens_seen"]
    assert abs(s1["best_val_loss"] - s2["best_val_loss"]) < 1e-5
