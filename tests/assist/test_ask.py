"""`answer_with_fixes` and `witness-evals ask`: scripted rounds (answers: files) and a real tiny model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from assist_helpers import BAD, GOOD, write_answers

from witness_evals.assist import Checker, answer_many_with_fixes, answer_with_fixes, feedback, model_spec
from witness_evals.common.errors import InputError
from witness_evals.inference import GenerationSettings, Request, load_backend

QUESTION = "Write a command-run Rego policy and the witness run command for `make`."


def ask(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "witness_evals", "ask", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=300,
    )


def test_fix_rounds_feed_failures_back(scripted: Path) -> None:
    backend = load_backend(f"answers:{scripted}")
    with Checker() as checker:
        plain = answer_with_fixes(backend, [{"role": "user", "content": QUESTION}], 0, checker=checker)
        text, rounds, checks = plain
        assert text == BAD and len(rounds) == 1 and not checks.passed and plain.passed_round is None
        fixed = answer_with_fixes(backend, [{"role": "user", "content": QUESTION}], 2, checker=checker)
    assert fixed.passed_round is None  # the policy of the first answer is gone from the second
    assert [r.index for r in fixed.rounds] == [0, 1, 2] and fixed.rounds[2].error  # no scripted round 2
    assert any("keeps the policy" in c.name for c in fixed.rounds[1].report.failed)
    message = feedback(fixed.rounds[0].report)
    assert message.startswith("I checked your answer with an executable model of witness (v0.12.0)")
    assert "✗ rego module: evaluates on an example command-run predicate" in message


def test_first_passing_round_is_kept_and_batches_are_per_round(tmp_path: Path) -> None:
    rows = {
        "a": BAD.split("```rego")[0] + "`witness verfy -p p.json`",
        "a#fix1": "`witness verify -p p.json -k k.pub -a a.json -f bin/app`",
        "b": GOOD,
        "c": "just words",
    }
    backend = load_backend(f"answers:{write_answers(tmp_path / 'a.jsonl', rows)}")
    calls: list[tuple[int, int]] = []
    with Checker() as checker:
        results = answer_many_with_fixes(
            backend,
            [Request(i, [{"role": "user", "content": QUESTION}]) for i in ("a", "b", "c")],
            3,
            GenerationSettings(),
            checker,
            on_round=lambda k, n: calls.append((k, n)),
        )
    a, b, c = results
    assert calls == [(0, 3), (1, 1), (2, 1)]  # b and c passed at once; a's round 1 still lacks the policy
    assert b.passed_round == 0 and c.passed_round == 0 and c.checks.n_artifacts == 0
    assert a.passed_round is None and a.kept.index == 1  # fewer failures than round 0; round 2 is missing


def test_model_spec_accepts_runs_model_dirs_and_specs(assist_run: Path, tmp_path: Path) -> None:
    import yaml

    base = yaml.safe_load((assist_run / "config.yaml").read_text())["model"]
    assert model_spec(None) == "hf:default" == model_spec("default")
    assert model_spec(str(assist_run)) == f"hf:{base},adapter={assist_run}"
    assert model_spec(base) == f"hf:{base}"
    assert model_spec("openai:http://127.0.0.1:1/v1#m") == "openai:http://127.0.0.1:1/v1#m"
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no adapter"):
        model_spec(str(tmp_path / "empty"))
    with pytest.raises(InputError, match="not a model spec"):
        model_spec(str(tmp_path / "nothing-here"))


def test_ask_prints_checks_and_exit_codes(scripted: Path) -> None:
    bad = ask("--model", f"answers:{scripted}", QUESTION)
    assert bad.returncode == 1, bad.stderr
    out = bad.stdout
    assert out.startswith("Here is the policy:") and "Checks (witness-evals model of witness v0.12.0):" in out
    assert "✗ policy: loads, key ids match — " in out and "✓ command 1: `witness run" in out
    assert "✗ command 2: `witness verfy -p p.json` grammar and meaning — unknown command" in out
    fixed = ask("--model", f"answers:{scripted}", "--fix", "2", "--json", QUESTION)
    data = json.loads(fixed.stdout)
    assert data["rounds"][0]["passed"] is False and data["kept_round"] in (0, 1)
    only_rego = write_answers(
        scripted.parent / "r.jsonl",
        {
            "ask": BAD.split("Record")[0].split("```json")[0] + BAD.split("```\n\n", 1)[1].split("Record")[0],
            "ask#fix1": GOOD,
        },
    )
    good = ask("--model", f"answers:{only_rego}", "--fix", "2", "-", stdin=QUESTION)
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.rstrip().endswith("fix: round 1 passed (after 1 fix round(s))")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "hf:/no/such/dir", "q"], "no such file or directory"),
        (["--model", "answers:/no/such.jsonl", "q"], "no such answers file"),
        (["--witness-version", "9.9", "--model", "answers:/x", "q"], "9.9"),
        (["--fix", "9", "q"], "--fix must be between 0 and 5"),
        (["  "], "empty question"),
        (["--attestation", "/no/such.json", "--subject", "ab", "q"], "such"),
    ],
)
def test_ask_bad_input_is_one_line_exit_2(args: list[str], message: str) -> None:
    result = ask(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr


def test_ask_a_trained_run(assist_run: Path) -> None:
    result = ask("--model", str(assist_run), "--max-new-tokens", "12", "--json", "What does witness run do?")
    assert result.returncode in (0, 1), result.stderr
    data = json.loads(result.stdout)
    assert data["model"].endswith(f",adapter={assist_run}") and data["rounds"][0]["completion_tokens"] >= 1
    run_without_adapter = assist_run.parent / "no-adapter"
    run_without_adapter.mkdir(exist_ok=True)
    failed = ask("--model", str(run_without_adapter), "q")
    assert failed.returncode == 2 and "no adapter" in failed.stderr
