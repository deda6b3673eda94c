"""`witness-evals train` at the command line: one-line errors with exit 2, a summary on success."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "witness_evals", "train", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--set", "nope=1"], "error: --set:nope: unknown key"),
        (["--set", "iters=many"], "error: --set:iters: expected integer or null"),
        (["--backend", "jax"], "error: --set:backend: must be one of torch, mlx"),
        ([], "error: config:data: no dataset"),
    ],
)
def test_bad_settings_exit_2(args: list[str], fragment: str) -> None:
    proc = _cli(*args)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith(fragment), proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_config_file_exit_2(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("batch_size: [4]\n")
    proc = _cli("--config", str(cfg))
    assert (
        proc.returncode == 2 and proc.stderr.strip() == f"error: {cfg}:batch_size: expected integer, got list"
    )


def test_bad_dataset_exit_2(tiny_model: Path, chat_data: Path) -> None:
    (chat_data / "train.jsonl").write_text('{"messages": [}\n')
    proc = _cli("--model", str(tiny_model), "--data", str(chat_data), "--out", str(chat_data / "run"))
    assert proc.returncode == 2
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith(f"error: {chat_data / 'train.jsonl'}:line 1: invalid JSON"), proc.stderr


def test_train_prints_summary(tiny_model: Path, chat_data: Path) -> None:
    proc = _cli(
        "--model",
        str(tiny_model),
        "--data",
        str(chat_data),
        "--out",
        str(chat_data / "run"),
        "--config",
        str(Path(__file__).resolve().parents[2] / "configs" / "smoke.yaml"),
        "--set",
        "iters=2",
        "--set",
        "progress=false",
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout)
    assert summary["finished"] and summary["steps"] == 2 and summary["processes"] == 1
