"""The HTML report: renders 1 and 3 runs, escapes untrusted answers, reports bad input by file:line."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from witness_evals.bench.report import build_html, load_run, render_report
from witness_evals.bench.summary import write_summary
from witness_evals.common.errors import InputError

KIND_COUNTS = {"rego": 70, "policy": 60, "command": 60, "diagnose": 45, "review": 35, "qa": 30}
ATTESTORS = [
    "git",
    "environment",
    "command-run",
    "material",
    "product",
    "github",
    "gitlab",
    "sbom",
    "slsa",
    "oci",
]
FAILURES = {
    "rego": [
        ("invalid", "module does not compile: rego_parse_error: unexpected eof token"),
        ("partial", "module does not deny a non-compliant attestation (deny input 2)"),
        ("wrong_artifact", "expected a Rego module, found a Witness policy document"),
        ("no_artifact", "no fenced code block in the answer"),
    ],
    "policy": [
        ("invalid", 'policy does not load: json: unknown field "step"'),
        ("partial", "witness verify rejects the compliant attestation collection"),
        ("no_artifact", "no JSON policy document in the answer"),
    ],
    "command": [
        ("invalid", "unknown flag: --attestor"),
        ("partial", "the run records no product attestor"),
        ("wrong_artifact", "expected a witness command line, found a shell script"),
    ],
    "diagnose": [("partial", "names the wrong cause (expected: expired certificate)")],
    "review": [("partial", "misses the unpinned functionary key")],
    "qa": [("partial", "answer does not state the default value (sha256)")],
}
SKILL = {"rego": 0.35, "policy": 0.45, "command": 0.6, "diagnose": 0.5, "review": 0.4, "qa": 0.7}


def synthetic_samples(
    *, quality: float, seed: int, samples: int = 1, answer_hook: Any = None
) -> list[dict[str, Any]]:
    """~300 realistic tasks × tiers bare/context with outcomes drawn from a per-kind skill."""
    rng = random.Random(seed)
    task_rng = random.Random(1234)  # the suite is the same for every run
    out: list[dict[str, Any]] = []
    for kind, count in KIND_COUNTS.items():
        for i in range(count):
            source = "hand" if task_rng.random() < 0.2 else "generated"
            attestor = task_rng.choice([*ATTESTORS, None]) if kind in ("rego", "policy", "command") else None
            task = f"{kind}/{attestor or 'general'}-{i:03d}"
            prompt = [
                {
                    "role": "user",
                    "content": f"Write a {kind} answer for the {attestor or 'witness'} attestor, case {i}. "
                    "Only the artifact, in one fenced block.",
                }
            ]
            for tier in ("bare", "context"):
                p = min(
                    0.97,
                    SKILL[kind] * quality
                    + (0.12 if tier == "context" else 0.0)
                    + (0.1 if source == "hand" else 0),
                )
                for sample in range(samples):
                    passed = rng.random() < p
                    if passed:
                        outcome, reason = "pass", ""
                    else:
                        outcome, reason = rng.choice(FAILURES[kind])
                    answer = f"```{kind}\npackage witness.verify\n# answer {i}.{sample}\n```"
                    if answer_hook is not None:
                        answer = answer_hook(task, answer)
                    out.append(
                        {
                            "task": task,
                            "kind": kind,
                            "source": source,
                            "attestor": attestor,
                            "tier": tier,
                            "sample": sample,
                            "prompt": prompt,
                            "answer": answer,
                            "passed": passed,
                            "outcome": outcome,
                            "reason": reason,
                            "checks": [
                                {
                                    "name": "compiles (witness verify)",
                                    "ok": outcome in ("partial", "pass"),
                                    "reason": "",
                                },
                                {"name": "denies input 2", "ok": passed, "reason": "" if passed else reason},
                            ],
                            "artifacts": {"rego": int(kind == "rego"), "policy": 0, "command": 0},
                            "completion_tokens": rng.randint(40, 900),
                            "seconds": round(rng.uniform(0.1, 2.0), 3),
                            "error": "backend timeout after 120 s" if rng.random() < 0.005 else None,
                        }
                    )
    return out


def make_run(
    root: Path,
    name: str,
    *,
    quality: float,
    seed: int,
    label: str | None = None,
    model: str = "hf:default",
    samples: int = 1,
    answer_hook: Any = None,
    summary: bool = False,
) -> Path:
    """A run directory (run.json + samples.jsonl, optionally summary.json) of synthetic data."""
    run = root / name
    run.mkdir(parents=True)
    info: dict[str, Any] = {
        "suite": "default",
        "suite_version": "1",
        "model": model,
        "backend": {"name": "hf", "dtype": "bfloat16", "device": "cuda:0"},
        "settings": {
            "samples": samples,
            "temperature": 0.0 if samples == 1 else 0.8,
            "max_new_tokens": 1024,
            "tiers": ["bare", "context"],
            "limit": None,
            "witness_version": "0.12",
        },
        "started": "2025-06-01T10:00:00Z",
        "finished": "2025-06-01T10:42:00Z",
        "hardware": "synthetic (no hardware)",
    }
    if label is not None:
        info["label"] = label
    (run / "run.json").write_text(json.dumps(info), encoding="utf-8")
    rows = synthetic_samples(quality=quality, seed=seed, samples=samples, answer_hook=answer_hook)
    (run / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    if summary:
        write_summary(run)
    return run


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
