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
        (["--mix", "facts=-1"], "error: --mix: weight of 'facts' must be a finite number above 0, got '-1'"),
        (["--mix", "facts=0"], "error: --mix: weight of 'facts' must be a finite number above 0, got '0'"),
        # used to be a 61-line multiprocessing traceback
        (
            ["--mix", "facts=nan"],
            "error: --mix: weight of 'facts' must be a finite number above 0, got 'nan'",
        ),
        # used to be accepted and written into manifest.json as Infinity (not JSON)
        (
            ["--mix", "facts=inf"],
            "error: --mix: weight of 'facts' must be a finite number above 0, got 'inf'",
        ),
        (
            ["--mix", "facts=1e999"],
            "error: --mix: weight of 'facts' must be a finite number above 0, got '1e999'",
        ),
        # used to be silently dropped
        (["--mix", "facts=1,policies=nan"], "error: --mix: weight of 'policies' must be a finite number"),
        # used to be accepted (weight 1, last duplicate wins)
        (["--mix", "facts"], "error: --mix: 'facts' has no weight: expected name=weight, e.g. facts=1"),
        (["--mix", "facts=1,facts=2"], "error: --mix: family 'facts' given twice"),
        (["--mix", "nope=1"], "error: --mix: unknown family 'nope' (known: facts, commands,"),
        (["--mix", ","], "error: --mix: no family given"),
        (["--families", "facts,facts"], "error: --families: family 'facts' given twice"),
        (["--families", ","], "error: --families: no family given"),
        # used to start 361 processes and never finish
        (["--workers", "100000"], "error: --workers: at most "),
        (["--n", "abc"], "error: generate: invalid value for '--n'"),
        (
            ["--split-by", "nope"],
            "error: generate:split_by: split_by must be one of template, group, got 'nope'",
        ),
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


def test_workers_cap_names_the_cores(tmp_path: Path) -> None:
    from witness_evals.generate.options import MAX_WORKERS_PER_CORE, available_cores

    cores = available_cores()
    cap = MAX_WORKERS_PER_CORE * cores
    proc = _cli("generate", "--out", "d", "--workers", str(cap + 1), "--no-progress", cwd=tmp_path)
    assert proc.returncode == 2
    assert (
        proc.stderr
        == f"error: --workers: at most {cap} ({MAX_WORKERS_PER_CORE} per CPU core, {cores} cores), got {cap + 1}\n"
    )


@pytest.mark.parametrize("out", ["", "  "])
def test_empty_out_is_refused(tmp_path: Path, out: str) -> None:
    """`--out ''` used to write the dataset into the current directory."""
    proc = _cli("generate", "--out", out, "--n", "5", cwd=tmp_path)
    assert proc.returncode == 2
    assert (
        proc.stderr
        == "error: --out: must name a directory (an empty path would write into the current one)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_unusable_out_is_refused_before_the_progress_bar(tmp_path: Path) -> None:
    """`--out README.md` used to draw a progress bar, then fail."""
    (tmp_path / "README.md").write_text("x")
    proc = _cli("generate", "--out", "README.md", "--n", "5", "--progress", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == "error: README.md: exists and is not a directory\n"


def test_existing_directory_holding_something_else_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("x")
    proc = _cli("generate", "--out", "notes", "--n", "5", "--no-progress", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: notes: is not empty and holds no dataset (todo.txt); choose an empty directory or pass --overwrite\n"
    )


def test_a_different_dataset_is_not_replaced_without_overwrite(tmp_path: Path) -> None:
    """Same settings: made again (same bytes); other settings: refused unless --overwrite."""
    base = [
        "generate",
        "--out",
        "data",
        "--n",
        "12",
        "--families",
        "facts",
        "--workers",
        "1",
        "--no-progress",
    ]
    assert _cli(*base, cwd=tmp_path).returncode == 0
    first = (tmp_path / "data" / "train.jsonl").read_bytes()
    again = _cli(*base, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "data" / "train.jsonl").read_bytes() == first
    other = _cli(*base, "--seed", "1", cwd=tmp_path)
    assert other.returncode == 2
    assert other.stderr == (
        "error: data: holds a dataset made with other settings (seed: 0 -> 1); "
        "pass --overwrite to replace it, or choose another directory\n"
    )
    assert (tmp_path / "data" / "train.jsonl").read_bytes() == first
    replaced = _cli(*base, "--seed", "1", "--overwrite", cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    assert json.loads((tmp_path / "data" / "manifest.json").read_text())["spec"]["seed"] == 1


def test_missing_matplotlib_is_one_warning_and_rate_counts_written_examples(tmp_path: Path) -> None:
    """stats.png used to be skipped silently; the examples/s figure counted attempted examples."""
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"  # makes `import matplotlib` raise ImportError
        "from witness_evals.cli import main\n"
        "sys.argv = ['witness-evals', 'generate', '--out', 'data', '--n', '12', '--families', 'facts',"
        " '--workers', '1', '--no-progress']\n"
        "main()\n"
    )
    env = dict(os.environ, RUST_LIB_BACKTRACE="0", COLUMNS="200")
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == (
        "warning: stats.png not written: matplotlib is not installed (the figures are in stats.json)\n"
    )
    assert not (tmp_path / "data" / "stats.png").exists()
    assert (tmp_path / "data" / "stats.json").exists()
    assert "examples written/s with 1 workers" in proc.stdout
