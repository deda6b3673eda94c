"""End-to-end smoke run of the torch trainer on a tiny random model (CUDA path included when present).

    PYTHONPATH=src python benchmarks/train_smoke.py [--quantization nf4|int8]
Trains 8 steps, "kills" after 5 and resumes, then checks the outputs; prints the run summary.
With `--quantization` the frozen base is 4-bit / 8-bit (QLoRA; needs bitsandbytes).
"""

from __future__ import annotations

import argparse
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
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quantization", default="none", choices=("none", "nf4", "int8"))
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="train-smoke-"))
    # hidden 64: bitsandbytes' CPU 4-bit kernels need input sizes divisible by 64
    model = make_model_dir(root / "model", hidden=64 if args.quantization != "none" else 32)
    data = make_chat_data(root / "data", n_train=40, n_valid=8)
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
        quantization=args.quantization,
    )
    t0 = time.perf_counter()
    part = train_torch(cfg, model, stop_after=5)
    assert not part["finished"] and part["steps"] == 5
    summary = train_torch(cfg, model)
    assert summary["finished"] and summary["steps_this_run"] == 3
    for name in ("adapter/adapter_model.safetensors", "best/best.json", "loss.png", "summary.json"):
        assert (root / "run" / name).is_file(), name
    print(json.dumps(summary, indent=1, sort_keys=True))
    print(
        f"smoke OK in {time.perf_counter() - t0:.1f} s on {summary['device']} ({summary['dtype']}), "
        f"base weights: {summary['quantization']}"
    )
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
