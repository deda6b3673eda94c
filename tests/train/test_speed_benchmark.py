"""`benchmarks/train_speed.py`: its example shapes and a CPU smoke run of the code paths it measures."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "train_speed.py"


def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("train_speed", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_examples_take_their_shapes_from_the_committed_dataset_lengths() -> None:
    """The default lengths file holds (length, trained tokens) pairs of real generated examples, and
    the synthetic examples are drawn from them: same lengths, the trained tokens at the end."""
    speed = script()
    record = json.loads(speed.LENGTHS.read_text(encoding="utf-8"))
    shapes = speed.read_lengths(str(speed.LENGTHS))
    assert len(shapes) == len(record["examples"]) >= 1000 and len(record["sha256"]) == 64
    assert all(0 < targets < length for length, targets in shapes)
    examples = speed.make_examples(64, 1000, 300, 1500, seed=0, shapes=shapes)
    assert {(len(e), sum(e.labels)) for e in examples} <= set(shapes)
    assert all(e.labels == tuple(sorted(e.labels)) for e in examples)  # masked prompt, then targets
    assert speed.make_examples(64, 1000, 300, 1500, seed=0, shapes=shapes) == examples
    assert speed.read_lengths("uniform") is None


def test_tiny_run_measures_plain_nf4_and_checkpointed_variants() -> None:
    """The variants run and train in training mode (checkpointing is skipped in eval mode, which a
    model loaded through the quantized path starts in): same first loss, one row each."""
    variants = "plain,packed-varlen+nograd+nf4,packed-varlen+nograd+nf4+ckpt,packed-varlen+nograd+nf4+ckpt2"
    args = ["--tiny", "--device", "cpu", "--steps", "1", "--warmup", "1", "--variants", variants]
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith('{"variant"')]
    assert [r["variant"] for r in rows] == variants.split(",")
    assert all("error" not in r for r in rows), rows
    assert [r["checkpointed_layers"] for r in rows] == [0, 0, 4, 2]  # of the tiny model's 4 layers
    quantized = [r for r in rows if r["quantization"] == "nf4"]
    assert len({round(r["first_loss"], 4) for r in quantized}) == 1  # checkpointing changes no numbers
