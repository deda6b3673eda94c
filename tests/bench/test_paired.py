"""Paired comparison of two runs: gained/lost tasks, the exact McNemar test, the CLI and the report."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from synthetic_runs import make_run
from typer.testing import CliRunner

from witness_evals.bench.paired import compare, format_comparison, mcnemar_exact
from witness_evals.bench.report import load_run, render_report
from witness_evals.cli import app, run


@pytest.mark.parametrize(
    ("gained", "lost", "p"),
    [
        (0, 0, 1.0),
        (0, 5, 2 / 32),  # the most uneven split of 5: 2 * (1/2)^5
        (9, 1, 2 * (1 + 10) / 2**10),
        (15, 16, 1.0),  # nearly even: capped at 1
        (68, 87, 2 * sum(math.comb(155, i) for i in range(69)) / 2**155),
    ],
)
def test_mcnemar_exact(gained: int, lost: int, p: float) -> None:
    assert mcnemar_exact(gained, lost) == pytest.approx(p)
    assert mcnemar_exact(lost, gained) == pytest.approx(p)


def test_mcnemar_rejects_negative_counts() -> None:
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 3)


def _s(task: str, source: str, passed: bool, *, tier: str = "bare", sample: int = 0) -> dict[str, Any]:
    return {"task": task, "source": source, "tier": tier, "sample": sample, "passed": passed}


def test_compare_counts_per_source_from_first_samples() -> None:
    a = [
        _s("h1", "hand", False),
        _s("h2", "hand", True),
        _s("g1", "generated", True),
        _s("g2", "generated", False),
        _s("g3", "generated", True),
        _s("only-a", "generated", True),
        _s("h1", "hand", True, sample=1),  # a later sample: not the task's result
        _s("g2", "generated", True, tier="context"),  # another tier
    ]
    b = [
        _s("h1", "hand", True),
        _s("h2", "hand", True),
        _s("g1", "generated", False),
        _s("g2", "generated", False),
        _s("g3", "generated", False),
        _s("only-b", "hand", False),
    ]
    c = compare(a, b, "bare")
    assert (c.only_a, c.only_b) == (1, 1)
    everything, hand, generated = c.groups["all"], c.groups["hand"], c.groups["generated"]
    assert everything.tasks == 5 and everything.gained == ("h1",) and everything.lost == ("g1", "g3")
    assert (everything.both_pass, everything.both_fail, everything.delta) == (1, 1, -1)
    assert (hand.tasks, hand.gained, hand.lost) == (2, ("h1",), ())
    assert (generated.tasks, generated.gained, generated.lost) == (3, (), ("g1", "g3"))
    assert everything.p_value == pytest.approx(1.0)
    text = format_comparison(c, "A", "B", list_tasks=True)
    assert "B vs A, tier bare" in text and "left out: 1 tasks only A answered, 1 only B answered" in text
    assert text.splitlines()[2].split() == ["all", "5", "3", "2", "1", "2", "1.000"]
    assert "  h1" in text.split("gained:")[1].split("lost:")[0] and "  g3" in text.split("lost:")[1]
    assert c.to_json()["groups"]["hand"]["gained_tasks"] == ["h1"]


def test_by_kind_adds_a_row_per_source_and_kind_in_kind_order() -> None:
    def s(task: str, source: str, kind: str, passed: bool) -> dict[str, Any]:
        return {**_s(task, source, passed), "kind": kind}

    a = [s("h1", "hand", "qa", False), s("h2", "hand", "rego", True), s("g1", "generated", "qa", True)]
    b = [s("h1", "hand", "qa", True), s("h2", "hand", "rego", False), s("g1", "generated", "qa", True)]
    plain = compare(a, b, "bare")
    assert list(plain.groups) == ["all", "hand", "generated"]
    c = compare(a, b, "bare", by_kind=True)
    assert list(c.groups) == ["all", "hand", "generated", "hand/rego", "hand/qa", "generated/qa"]
    assert (c.groups["hand/qa"].gained, c.groups["hand/rego"].lost) == (("h1",), ("h2",))
    assert (c.groups["generated/qa"].both_pass, c.groups["generated/qa"].tasks) == (1, 1)
    rows = format_comparison(c, "A", "B").splitlines()
    assert rows[6].split() == ["hand/qa", "1", "0", "1", "1", "0", "1.000"]


def test_compare_cli_text_json_and_bad_input(tmp_path: Path) -> None:
    base = make_run(tmp_path, "base", quality=0.6, seed=1, label="base")
    tuned = make_run(tmp_path, "tuned", quality=1.6, seed=2, label="tuned")
    runner = CliRunner()
    text = runner.invoke(app, ["bench", "compare", str(base), str(tuned)])
    assert text.exit_code == 0, text.output
    expected = compare(load_run(base).samples, load_run(tuned).samples, "bare")
    assert text.output.startswith("tuned vs base, tier bare")
    row = next(line.split() for line in text.output.splitlines() if line.startswith("all "))
    assert row[4:6] == [str(len(expected.groups["all"].gained)), str(len(expected.groups["all"].lost))]
    assert len(expected.groups["all"].gained) > len(expected.groups["all"].lost)  # the better run gains
    data = json.loads(runner.invoke(app, ["bench", "compare", str(base), str(tuned), "--json"]).output)
    assert data["groups"]["all"]["gained"] == len(expected.groups["all"].gained)
    assert data["tier"] == "bare" and set(data["groups"]) == {"all", "hand", "generated"}
    assert data["same_suite"] is True and "different suites" not in text.output
    kinds = json.loads(
        runner.invoke(app, ["bench", "compare", str(base), str(tuned), "--by-kind", "--json"]).output
    )
    assert {"hand/policy", "generated/rego"} <= set(kinds["groups"])
    assert (
        sum(g["tasks"] for name, g in kinds["groups"].items() if name.startswith("hand/"))
        == kinds["groups"]["hand"]["tasks"]
    )
    info = json.loads((tuned / "run.json").read_text(encoding="utf-8"))
    (tuned / "run.json").write_text(json.dumps({**info, "suite_version": "2"}), encoding="utf-8")
    other = runner.invoke(app, ["bench", "compare", str(base), str(tuned)])
    assert "scored with different suites (version 1 vs 2" in other.output


def test_compare_cli_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = make_run(tmp_path, "base", quality=0.6, seed=1)
    for args, message in (
        ([str(base), str(tmp_path / "nope")], f"error: {tmp_path / 'nope'}: not a run directory"),
        (
            [str(base), str(base), "--tier", "nope"],
            f"error: {base}: no task answered by both runs in tier 'nope'",
        ),
    ):
        with pytest.raises(SystemExit) as exc:
            run(["bench", "compare", *args])
        assert exc.value.code == 2
        assert capsys.readouterr().err.strip() == message


def test_report_has_the_paired_section_only_with_two_runs(tmp_path: Path) -> None:
    base = make_run(tmp_path, "base", quality=0.6, seed=1, label="base")
    tuned = make_run(tmp_path, "tuned", quality=1.6, seed=2, label="tuned")
    one, two = tmp_path / "one.html", tmp_path / "two.html"
    render_report([base], one)
    render_report([base, tuned], two)
    assert 'id="paired"' not in one.read_text(encoding="utf-8")
    page = two.read_text(encoding="utf-8")
    assert 'id="paired"' in page and "p (McNemar)" in page
    for tier in ("bare", "context"):
        c = compare(load_run(base).samples, load_run(tuned).samples, tier)
        assert (
            f"tuned: {len(c.groups['all'].gained)} gained, {len(c.groups['all'].lost)} lost ({tier})" in page
        )
