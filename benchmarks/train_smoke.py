"""End-to-end smoke run of the torch trainer on a tiny random model (CUDA path included when present).

    PYTHONPATH=src python benchmarks/train_smoke.py
Trains 8 steps, "kills" after 5 and resumes, then checks the outputs; prints the run summary.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "train")]

from conftest import make_chat_data, make_model_dir  # noqa: E402

from witness_evals.train.config import TrainConfig  # noqa: E402
from witness_evals.train.trainer import train_torch  # noqa: E402


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="train-smoke-"))
    model, data = make_model_dir(root / "model"), make_chat_data(root / "data", n_train=40, n_valid=8)
    cfg = TrainConfig(
        data=str(data),
        out=str(root / "run"),
        iters=8,
        eval_every=2,
        save_every=1,
        log_every=1,
        learning_rate=1e-3,
        lora_layers=2,
        progress=False,
    )
    t0 = time.perf_counter()
    part = train_torch(cfg, model, stop_after=5)
    assert not part["finished"] and part["steps"] == 5
    summary = train_torch(cfg, model)
    assert summary["finished"] and summary["steps_this_run"] == 3
    for name in ("adapter/adapter_model.safetensors", "best/best.json", "loss.png", "summary.json"):
        assert (root / "run" / name).is_file(), name
    print(json.dumps(summary, indent=1, sort_keys=True))
    print(f"smoke OK in {time.perf_counter() - t0:.1f} s on {summary['device']} ({summary['dtype']})")
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
