"""Arms of several runs (`bench.arms`, `bench arms`): mean passed tasks, flips within an arm, a bootstrap interval
over tasks and runs that widens with the training-to-training spread, deterministic for a seed."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from synthetic_runs import make_run
from typer.testing import CliRunner

from witness_evals.bench.arms import compare_arms, format_arms
from witness_evals.bench.report import load_run
from witness_evals.cli import app, run


def _run(passes: list[bool], *, hand: int = 0, tier: str = "bare") -> list[dict[str, Any]]:
    """Samples of one run: task i passes when passes[i]; the first `hand` tasks are hand-written."""
    return [
        {
            "task": f"t{i:03d}",
            "source": "hand" if i < hand else "generated",
            "kind": "rego",
            "tier": tier,
            "sample": 0,
            "passed": p,
        }
        for i, p in enumerate(passes)
    ]


def _draw(rate: float, n: int, seed: int) -> list[bool]:
    rng = random.Random(seed)
    return [rng.random() < rate for _ in range(n)]


def test_identical_arms_differ_by_nothing() -> None:
    base = _run(_draw(0.3, 200, 1))
    c = compare_arms([base, base], [base, base], "bare", draws=2_000)
    g = c.groups["all"]
    assert g.tasks == 200 and g.delta == 0 and g.low == 0 and g.high == 0
    assert g.a.flips == 0 and g.b.flips == 0 and g.a.passed == g.b.passed


def test_a_clearly_better_arm_has_an_interval_above_zero_and_a_mark() -> None:
    weak = [_run(_draw(0.2, 300, s)) for s in (1, 2)]
    strong = [_run(_draw(0.6, 300, s)) for s in (3, 4)]
    c = compare_arms(weak, strong, "bare", draws=2_000)
    g = c.groups["all"]
    assert g.low > 0 and g.delta == pytest.approx(g.b.mean - g.a.mean)
    text = format_arms(c, ["w1", "w2"], ["s1", "s2"])
    assert text.startswith("arm B (2 runs: s1; s2) vs arm A (2 runs: w1; w2), tier bare")
    assert next(line for line in text.splitlines() if line.startswith("all ")).endswith(" *")
    assert "an arm of one run" not in text


def test_flips_count_the_tasks_two_runs_disagree_on() -> None:
    one = [True] * 10 + [False] * 10
    other = [False] * 3 + [True] * 7 + [True] * 2 + [False] * 8  # 3 + 2 tasks differ
    c = compare_arms([_run(one), _run(other)], [_run(one)], "bare", draws=200)
    assert c.groups["all"].a.flips == 5 and c.groups["all"].b.flips is None
    assert c.groups["all"].a.passed == (10, 9)


def test_the_training_spread_widens_the_interval() -> None:
    """Trainings that differ as a whole (one passes the easiest 25 % of tasks, one the easiest 55 %) leave
    more doubt than three identical trainings at the same mean: 5 points over the baseline show with the
    steady arm and not with the spread one."""
    rng = random.Random(5)
    difficulty = [rng.random() for _ in range(300)]

    def trained(rate: float) -> list[dict[str, Any]]:
        return _run([d < rate for d in difficulty])

    base = [trained(0.35)] * 3
    tight = compare_arms(base, [trained(0.4)] * 3, "bare", draws=3_000).groups["all"]
    wide = compare_arms(base, [trained(r) for r in (0.25, 0.4, 0.55)], "bare", draws=3_000).groups["all"]
    assert wide.delta == pytest.approx(tight.delta, abs=3)
    assert tight.low > 0 and wide.low < 0 < wide.high
    assert wide.high - wide.low > 2 * (tight.high - tight.low)


def test_groups_tasks_left_out_and_determinism() -> None:
    a = _run(_draw(0.3, 120, 1), hand=40)
    b = _run(_draw(0.5, 120, 2), hand=40)
    b_short = b[:-5]  # five tasks this run did not answer
    c = compare_arms([a], [b, b_short], "bare", by_kind=True, draws=1_000, seed=3)
    assert c.left_out == 5 and c.groups["all"].tasks == 115
    assert c.groups["hand"].tasks == 40 and c.groups["generated"].tasks == 75
    assert set(c.groups) == {"all", "hand", "generated", "hand/rego", "generated/rego"}
    again = compare_arms([a], [b, b_short], "bare", by_kind=True, draws=1_000, seed=3)
    assert again.to_json() == c.to_json()
    other = compare_arms([a], [b, b_short], "bare", by_kind=True, draws=1_000, seed=4)
    assert other.groups["all"].delta == c.groups["all"].delta
    assert "an arm of one run" in format_arms(c, ["a"], ["b", "b-short"])
    with pytest.raises(ValueError):
        compare_arms([], [b], "bare")
    nothing = compare_arms([a], [b], "context", draws=100)
    assert not nothing.groups and format_arms(nothing, ["a"], ["b"]).endswith("no task answered by every run")


def test_arms_cli_text_json_and_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = [make_run(tmp_path, f"base{s}", quality=0.6, seed=s, label=f"base {s}") for s in (1, 2)]
    tuned = [make_run(tmp_path, f"tuned{s}", quality=1.6, seed=s, label=f"tuned {s}") for s in (3, 4)]
    args = [
        "bench",
        "arms",
        "--a",
        str(base[0]),
        "--a",
        str(base[1]),
        "--b",
        str(tuned[0]),
        "--b",
        str(tuned[1]),
    ]
    runner = CliRunner()
    text = runner.invoke(app, args)
    assert text.exit_code == 0, text.output
    assert text.output.startswith(
        "arm B (2 runs: tuned 3; tuned 4) vs arm A (2 runs: base 1; base 2), tier bare"
    )
    expected = compare_arms([load_run(r).samples for r in base], [load_run(r).samples for r in tuned], "bare")
    data = json.loads(runner.invoke(app, [*args, "--json"]).output)
    assert data["groups"]["all"] == json.loads(json.dumps(expected.to_json()["groups"]["all"]))
    assert data["same_suite"] is True and data["groups"]["all"]["ci95"][0] > 0
    with pytest.raises(SystemExit) as exc:
        run(["bench", "arms", "--a", str(base[0]), "--b", str(tmp_path / "nope")])
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'nope'}: not a run directory"
    with pytest.raises(SystemExit) as exc:
        run(["bench", "arms", "--a", str(base[0]), "--b", str(tuned[0]), "--tier", "nope"])
    assert exc.value.code == 2
    assert (
        capsys.readouterr().err.strip() == f"error: {tuned[0]}: no task answered by every run in tier 'nope'"
    )
