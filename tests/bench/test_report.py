"""The HTML report: renders 1 and 3 runs, escapes untrusted answers, reports bad input by file:line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from synthetic_runs import KIND_COUNTS, make_run

from witness_evals.bench.report import build_html, load_run, render_report
from witness_evals.common.errors import InputError


def test_report_one_run(tmp_path: Path) -> None:
    run = make_run(tmp_path, "a", quality=1.0, seed=1, label="synthetic base")
    out = tmp_path / "report.html"
    render_report([run], out)
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    for section in (
        'id="runs"',
        'id="headline"',
        'id="kinds"',
        'id="taxonomy"',
        'id="attestors"',
        'id="failures"',
    ):
        assert section in page
    assert "synthetic base" in page
    assert page.count("<svg") == 4  # kind chart + taxonomy, for each of two tiers
    assert "http://" not in page and "https://" not in page  # self-contained
    assert "pass@5" not in page  # one sample: no pass@k columns
    n_fail = sum(1 for line in (run / "samples.jsonl").read_text().splitlines() if '"passed": false' in line)
    assert page.count('<tr data-run="0"') == n_fail


def test_report_three_runs_with_pass_at_k_and_same_labels(tmp_path: Path) -> None:
    runs = [
        make_run(tmp_path, "base", quality=0.6, seed=1, samples=5, summary=True),
        make_run(tmp_path, "tuned", quality=1.6, seed=2, samples=5, label="tuned"),
        make_run(tmp_path, "other", quality=0.9, seed=3, samples=5),  # same model spec as "base"
    ]
    out = tmp_path / "r.html"
    render_report(runs, out)
    page = out.read_text(encoding="utf-8")
    assert "hf:default (base)" in page and "hf:default (other)" in page and ">tuned<" in page
    assert "pass@5" in page
    assert "bootstrap" in page
    assert "Δ vs first" in page
    assert "showing" not in page  # under the cap of 2000 failures per run
    capped = build_html([load_run(r) for r in runs], generated="test", max_failures=50)
    assert capped.count('<tr data-run="1"') == 50
    assert "showing 50 of" in capped
    # the capped rows are spread over every tier and kind
    kinds = set(re.findall(r'<tr data-run="0" data-kind="(\w+)"', capped))
    assert kinds == set(KIND_COUNTS)
    # colours of three runs in the legend
    for colour in ("#0072B2", "#E69F00", "#009E73"):
        assert colour in page


def test_answers_are_escaped(tmp_path: Path) -> None:
    payload = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'

    def hook(task: str, answer: str) -> str:
        return answer + payload

    run = make_run(tmp_path, "evil", quality=0.5, seed=4, answer_hook=hook, label="<b>label</b>")
    page = build_html([load_run(run)], generated="test")
    assert payload not in page
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in page
    assert page.count("<script") == 1  # only the report's own filter script
    assert "<b>label</b>" not in page and "&lt;b&gt;label&lt;/b&gt;" in page


def test_corrupt_line_names_file_and_line(tmp_path: Path) -> None:
    run = make_run(tmp_path, "bad", quality=1.0, seed=5)
    lines = (run / "samples.jsonl").read_text().splitlines()
    lines[6] = lines[6][:40]  # truncated JSON on line 7
    (run / "samples.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as exc:
        render_report([run], tmp_path / "out.html")
    msg = str(exc.value)
    assert f"{run / 'samples.jsonl'}:line 7" in msg
    assert "\n" not in msg
    assert not (tmp_path / "out.html").exists()


def test_missing_samples_and_wrong_field(tmp_path: Path) -> None:
    run = make_run(tmp_path, "r", quality=1.0, seed=6)
    (run / "samples.jsonl").unlink()
    with pytest.raises(InputError, match=re.escape(str(run / "samples.jsonl"))):
        render_report([run], tmp_path / "out.html")
    (run / "samples.jsonl").write_text(
        '{"task": "t", "kind": "qa", "source": "hand", "tier": "bare", "passed": "yes"}\n'
    )
    with pytest.raises(InputError, match=r"line 1: \"passed\" missing or not a bool"):
        render_report([run], tmp_path / "out.html")


def test_summary_json_is_used_when_present(tmp_path: Path) -> None:
    run = make_run(tmp_path, "s", quality=1.0, seed=7, summary=True)
    data = json.loads((run / "summary.json").read_text())
    data["tiers"]["bare"]["pass@1"] = 0.12345
    (run / "summary.json").write_text(json.dumps(data))
    page = build_html([load_run(run)], generated="test")
    assert "12.3%" in page


def test_malformed_summary_json_is_reported(tmp_path: Path) -> None:
    run = make_run(tmp_path, "m", quality=1.0, seed=8, summary=True)
    data = json.loads((run / "summary.json").read_text())
    del data["tiers"]["context"]["by_source"]
    (run / "summary.json").write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"summary\.json: tiers\.context has no \"by_source\""):
        load_run(run)


def test_report_cli_caps_the_failure_table(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from witness_evals.cli import app

    run = make_run(tmp_path, "a", quality=0.6, seed=4)
    out = tmp_path / "capped.html"
    result = CliRunner().invoke(app, ["report", str(run), "--out", str(out), "--max-failures", "7"])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.count('<tr data-run="0"') == 7
    assert "showing 7 of" in page
