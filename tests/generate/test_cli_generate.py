"""`witness-evals generate` from the command line: writes a dataset; bad settings -> one line, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, RUST_LIB_BACKTRACE="0")
    return subprocess.run(
        [sys.executable, "-m", "witness_evals", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_generate_writes_a_dataset(tmp_path: Path) -> None:
    proc = _cli(
        "generate",
        "--out",
        "data",
        "--n",
        "40",
        "--families",
        "facts,commands",
        "--workers",
        "1",
        "--no-progress",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    stats = json.loads((tmp_path / "data" / "stats.json").read_text())
    assert sum(stats["examples"].values()) == 40
    assert set(stats["families"]) <= {"facts", "commands"}
    assert "0 rejected" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mix", "facts=x"], "error: --mix: weight of 'facts' is not a number: 'x'"),
        (["--families", "nope"], "error: --families: unknown family 'nope'"),
        (["--n", "0"], "error: generate:n: n must be at least 1"),
        (["--workers", "-1"], "error: --workers: must be 0 (one per core) or more, got -1"),
        (["--valid", "0.7", "--test", "0.4"], "error: generate: valid and test fractions must be in [0, 1)"),
        (["--mix", "facts=-1"], "error: mix: family weights must be >= 0 with a positive sum"),
    ],
)
def test_bad_settings_give_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    proc = _cli("generate", "--out", "data", "--no-progress", *args, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith(message), proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("make", "message"), [("file", "exists and is not a directory"), ("parent-file", "cannot create")]
)
def test_unusable_output_directory_is_one_line(tmp_path: Path, make: str, message: str) -> None:
    (tmp_path / "taken").write_text("x")
    out = "taken" if make == "file" else "taken/sub"
    proc = _cli("generate", "--out", out, "--n", "5", "--no-progress", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {out}: {message}"), proc.stderr
    assert proc.stderr.count("\n") == 1
