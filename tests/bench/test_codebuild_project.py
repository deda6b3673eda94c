"""CodeBuild project rules (suite v11): go-witness v0.12.0 fills `build_info.project_name` from
`CODEBUILD_PROJECT_NAME` (attestation/aws-codebuild/aws-codebuild.go:45, 157), a variable CodeBuild does not
set, so the field is absent (`omitempty`) on a real build and a rule on it denies every build. The tasks
that ask for the project read it from `build_id` (`<project>:<build uuid>`): a `project_name` answer fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from witness_evals.bench.scorers import ScoreContext, score
from witness_evals.bench.suites import load_suite
from witness_evals.bench.task import Task


@pytest.fixture(scope="module")
def ctx() -> Iterator[ScoreContext]:
    with ScoreContext() as c:
        yield c


def _task(tid: str) -> Task:
    return next(t for t in load_suite("default") if t.id == tid)


def _rego(body: str) -> str:
    return f"```rego\npackage codebuild.project\n\nimport rego.v1\n\n{body}\n```\n"


def test_the_model_writes_no_project_name() -> None:
    from witness_evals.bench.builders.rego_fields import ex

    info = ex("aws-codebuild", 3, {"ci": "aws-codebuild"})["build_info"]
    assert "project_name" not in info and ":" in info["build_id"]


def test_generated_project_task_refuses_project_name_and_accepts_build_id(ctx: ScoreContext) -> None:
    t = _task("gen/rego_fields/0059")
    assert score(t.check, t.reference, ctx).passed
    wrong = _rego(
        'deny contains msg if {\n\tnot input.build_info.project_name == "payments"\n'
        '\tmsg := "wrong project"\n}'
    )
    assert not score(t.check, wrong, ctx).passed
    loose = _rego(  # a prefix without the colon lets `payments-adhoc` through
        'deny contains msg if {\n\tnot startswith(input.build_info.build_id, "payments")\n'
        '\tmsg := "wrong project"\n}'
    )
    assert not score(t.check, loose, ctx).passed


def test_hand_webhook_task_refuses_project_name(ctx: ScoreContext) -> None:
    t = _task("hand/rego/codebuild-webhook-push-main")
    assert score(t.check, t.reference, ctx).passed
    assert not score(t.check, t.planted, ctx).passed
    wrong = t.reference.replace(
        'not startswith(input.build_info.build_id, "ledger-release:")',
        'not input.build_info.project_name == "ledger-release"',
    )
    assert wrong != t.reference
    assert not score(t.check, wrong, ctx).passed
