"""Run statistics: unbiased pass@k, Wilson and bootstrap intervals, breakdowns, the failure taxonomy."""

from __future__ import annotations

import itertools
import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

from witness_evals.bench.summary import (
    OUTCOMES,
    bootstrap_interval,
    format_table,
    pass_at_k,
    summarize,
    wilson_interval,
    write_summary,
)
from witness_evals.common.errors import InputError

RUN_INFO = {
    "suite": "default",
    "suite_version": "1",
    "model": "hf:default",
    "settings": {"samples": 1, "temperature": 0.0, "tiers": ["bare", "context"]},
}


def sample(
    task: str, *, passed: bool, tier: str = "bare", outcome: str | None = None, **extra: Any
) -> dict[str, Any]:
    kind = task.split("/")[0]
    row = {
        "task": task,
        "kind": kind,
        "source": extra.pop("source", "hand"),
        "attestor": extra.pop("attestor", None),
        "tier": tier,
        "sample": extra.pop("sample", 0),
        "passed": passed,
        "outcome": outcome or ("pass" if passed else "partial"),
        "reason": "",
        "completion_tokens": extra.pop("completion_tokens", 100),
        "seconds": extra.pop("seconds", 0.5),
        "error": extra.pop("error", None),
    }
    row.update(extra)
    return row


def brute_force_pass_at_k(n: int, c: int, k: int) -> float:
    """Share of k-subsets of the n samples (c correct) that contain at least one correct sample."""
    samples = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    return sum(any(samples[i] for i in s) for s in subsets) / len(subsets)


@pytest.mark.parametrize("n", range(1, 9))
def test_pass_at_k_matches_enumeration(n: int) -> None:
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(brute_force_pass_at_k(n, c, k), abs=1e-12)
            assert pass_at_k(n, c, k) == pytest.approx(1 - math.comb(n - c, k) / math.comb(n, k), abs=1e-12)


def test_pass_at_k_is_stable_for_large_n() -> None:
    assert pass_at_k(200, 1, 1) == pytest.approx(1 / 200)
    assert 0.0 < pass_at_k(1000, 3, 10) < 1.0  # the comb form would overflow floats
    assert pass_at_k(1000, 995, 10) == 1.0
    with pytest.raises(ValueError):
        pass_at_k(5, 6, 1)
    with pytest.raises(ValueError):
        pass_at_k(5, 1, 6)


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        (8, 10, 0.4902, 0.9433),  # textbook values (Newcombe 1998 method 3)
        (0, 10, 0.0, 0.2775),
        (50, 100, 0.4038, 0.5962),
        (10, 10, 0.7225, 1.0),
        (1, 1, 0.2065, 1.0),
    ],
)
def test_wilson_known_values(successes: int, trials: int, low: float, high: float) -> None:
    lo, hi = wilson_interval(successes, trials)
    assert lo == pytest.approx(low, abs=1e-4)
    assert hi == pytest.approx(high, abs=1e-4)


def test_bootstrap_is_deterministic_and_sane() -> None:
    values = [0.0, 0.2, 0.4, 1.0, 1.0, 0.6, 0.8, 0.0, 0.2, 1.0] * 3
    a = bootstrap_interval(values)
    assert a == bootstrap_interval(values)
    mean = sum(values) / len(values)
    assert a[0] < mean < a[1]
    assert bootstrap_interval(values, seed=7) != a
    assert bootstrap_interval([1.0] * 5) == (1.0, 1.0)


def test_single_sample_summary_uses_wilson_and_counts_outcomes() -> None:
    samples = [
        sample("rego/a", passed=True, attestor="git"),
        sample("rego/b", passed=False, outcome="invalid", attestor="git", source="generated"),
        sample("rego/c", passed=False, outcome="no_artifact", source="generated", error="timeout"),
        sample("policy/a", passed=True, source="generated", completion_tokens=None),
        sample("policy/b", passed=False, outcome="wrong_artifact"),
        sample("qa/a", passed=False, outcome="partial"),
        sample("qa/a", passed=True, tier="context"),
    ]
    s = summarize(samples, RUN_INFO)
    assert list(s["tiers"]) == ["bare", "context"]
    bare = s["tiers"]["bare"]
    assert bare["ci_method"] == "wilson"
    assert bare["n_tasks"] == 6 and bare["passed"] == 2
    assert bare["pass@1"] == round(2 / 6, 4)
    lo, hi = wilson_interval(2, 6)
    assert (bare["ci_low"], bare["ci_high"]) == (round(lo, 4), round(hi, 4))
    assert list(bare["pass@k"]) == ["1"]  # k=5, 10 need at least that many samples per task
    assert s["headline"] == {
        "tier": "bare",
        "n_tasks": 6,
        "pass@1": bare["pass@1"],
        "ci_low": bare["ci_low"],
        "ci_high": bare["ci_high"],
    }
    assert bare["outcomes"]["overall"] == {
        "no_artifact": 1,
        "wrong_artifact": 1,
        "invalid": 1,
        "partial": 1,
        "pass": 2,
    }
    assert bare["outcomes"]["by_kind"]["rego"] == {
        "no_artifact": 1,
        "wrong_artifact": 0,
        "invalid": 1,
        "partial": 0,
        "pass": 1,
    }
    assert list(bare["outcomes"]["by_kind"]) == ["rego", "policy", "qa"]
    assert bare["by_kind"]["rego"]["n_tasks"] == 3 and bare["by_kind"]["rego"]["pass@1"] == 0.3333
    assert bare["by_attestor"]["git"] == {**bare["by_attestor"]["git"], "n_tasks": 2, "passed": 1.0}
    assert bare["by_attestor"]["(none)"]["n_tasks"] == 4
    assert list(bare["by_source"]) == ["hand", "generated"]
    assert bare["by_kind_source"]["rego/generated"]["n_tasks"] == 2
    assert bare["errors"] == 1
    assert bare["completion_tokens_mean"] == 100.0  # the None is left out
    assert s["tiers"]["context"]["pass@1"] == 1.0
    assert s["totals"]["samples"] == 7 and s["totals"]["seconds"] == 3.5
    json.dumps(s, allow_nan=False)  # JSON-able


def test_several_samples_use_unbiased_pass_at_k_and_bootstrap() -> None:
    # task a: 3/10 pass, task b: 0/10, task c: 10/10
    samples = []
    for task, c in (("rego/a", 3), ("command/b", 0), ("qa/c", 10)):
        for i in range(10):
            samples.append(sample(task, passed=i < c, sample=i))
    s = summarize(reversed(samples), RUN_INFO)  # order does not matter
    bare = s["tiers"]["bare"]
    assert bare["ci_method"] == "bootstrap"
    assert bare["samples_per_task"] == {"min": 10, "max": 10}
    assert bare["pass@1"] == round((0.3 + 0 + 1) / 3, 4)
    want5 = (pass_at_k(10, 3, 5) + 0 + 1) / 3
    assert bare["pass@k"]["5"]["value"] == round(want5, 4)
    assert bare["pass@k"]["10"]["value"] == round((1 + 0 + 1) / 3, 4)
    assert bare["pass@k"]["1"]["value"] == bare["pass@1"]
    assert bare["ci_low"] <= bare["pass@1"] <= bare["ci_high"]
    again = summarize(samples, RUN_INFO)
    assert json.dumps(again, sort_keys=True) == json.dumps(s, sort_keys=True)


def test_outcome_taxonomy_is_exhaustive() -> None:
    samples = [sample(f"review/{i}", passed=o == "pass", outcome=o) for i, o in enumerate(OUTCOMES * 3)]
    bare = summarize(samples, RUN_INFO)["tiers"]["bare"]
    assert bare["outcomes"]["overall"] == dict.fromkeys(OUTCOMES, 3)
    assert sum(bare["outcomes"]["by_kind"]["review"].values()) == len(samples)


def write_run(tmp_path: Path, rows: list[Any]) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps(RUN_INFO))
    (run / "samples.jsonl").write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)
    )
    return run


def test_write_summary_is_atomic_and_stable(tmp_path: Path) -> None:
    run = write_run(
        tmp_path, [sample("rego/a", passed=True), "", sample("qa/b", passed=False, outcome="invalid")]
    )
    s = write_summary(run)
    text = (run / "summary.json").read_text()
    assert json.loads(text) == s
    assert text == json.dumps(s, indent=2, sort_keys=True) + "\n"
    assert [p.name for p in run.iterdir() if p.name.startswith(".")] == []  # no temporary left
    mtime = os.stat(run / "summary.json").st_mtime_ns
    write_summary(run)
    assert (run / "summary.json").read_text() == text
    assert os.stat(run / "summary.json").st_mtime_ns >= mtime


def test_bad_samples_name_file_and_line(tmp_path: Path) -> None:
    run = write_run(tmp_path, [sample("rego/a", passed=True), '{"task": "rego/b", "kind": '])
    with pytest.raises(InputError, match=r"samples\.jsonl:line 2: invalid JSON"):
        write_summary(run)
    (run / "samples.jsonl").write_text(json.dumps(sample("rego/a", passed=True, outcome="great")) + "\n")
    with pytest.raises(InputError, match=r"line 1: unknown outcome 'great'"):
        write_summary(run)
    (run / "run.json").unlink()
    with pytest.raises(InputError, match=r"run\.json: no such file"):
        write_summary(run)


def test_format_table() -> None:
    samples = [
        sample("rego/a", passed=True),
        sample("rego/b", passed=False),
        sample("qa/c", passed=True, tier="context"),
    ]
    samples += [sample("policy/d", passed=True, source="generated")]
    table = format_table(summarize(samples, RUN_INFO))
    lines = table.splitlines()
    assert lines[0].startswith("witness-bench  suite default v1  model hf:default")
    assert "bare pass@1 [95% CI]" in lines[1] and "context pass@1 [95% CI]" in lines[1]
    rego = next(line for line in lines if line.startswith("rego"))
    assert "50.0% [" in rego and "n=2" in rego
    assert any(line.startswith("generated") for line in lines)
    assert lines[-1].startswith("CI: wilson")
    assert format_table(summarize([], RUN_INFO)).endswith("no samples")
