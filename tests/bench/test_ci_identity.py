"""Generated bench tasks pin a GitHub workflow through the OIDC token, never through `ciconfigpath`.

go-witness fills the github predicate's `ciconfigpath` from GITHUB_ACTION_PATH (attestation/github/
github.go), which GitHub sets only inside composite actions: a `witness run` in a plain `run:` step
records "". A module that pins it to `owner/repo/.github/workflows/<file>@<ref>` rejects every real
build; the workflow file and ref are the token's `workflow_ref` claim.
"""

from __future__ import annotations

import random
import re

from witness_evals.bench.builders import rego_fields
from witness_evals.bench.scorers import ScoreContext, score
from witness_evals.bench.suites import generated_tasks, validate


def _github_tasks() -> list:
    return [t for t in generated_tasks() if t.id.startswith("gen/rego_fields/") and t.attestor == "github"]


def test_no_generated_reference_reads_ciconfigpath() -> None:
    tasks = _github_tasks()
    assert tasks
    for t in tasks:
        assert "input.ciconfigpath" not in t.reference, t.id
        for inp in t.check["pass_inputs"] + t.check["deny_inputs"]:
            assert inp.get("ciconfigpath", "") == "", t.id
            assert inp.get("cihost", "") == "", t.id


def test_the_workflow_requirement_reads_workflow_ref() -> None:
    req = rego_fields.r_gh_workflow(random.Random(0), 5)
    assert any("input.jwt.claims.workflow_ref" in b for b in req.body)
    assert [("input.jwt.claims.workflow_ref", "input.ciconfigpath")] in req.wrong
    for inp in req.passes:
        assert inp["ciconfigpath"] == ""
        assert re.fullmatch(
            r"[\w.-]+/[\w.-]+/\.github/workflows/[\w.-]+@refs/\S+", inp["jwt"]["claims"]["workflow_ref"]
        )


def test_workflow_tasks_validate_and_a_ciconfigpath_answer_fails() -> None:
    tasks = [t for t in _github_tasks() if "workflow_ref" in t.reference]
    assert tasks
    with ScoreContext() as ctx:
        assert validate(tasks, ctx) == []
        for t in tasks:
            wrong = t.reference.replace("input.jwt.claims.workflow_ref", "input.ciconfigpath")
            assert wrong != t.reference
            assert not score(t.check, wrong, ctx).passed, t.id
