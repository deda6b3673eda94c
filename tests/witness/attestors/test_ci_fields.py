"""The CI attestors record what go-witness reads from the CI environment, nothing the runner never sets.

go-witness v0.10.0-v0.12.0 (attestation/github/github.go) fills the github predicate's `ciconfigpath`
from GITHUB_ACTION_PATH, which GitHub defines only inside composite actions, and never assigns
`cihost`; the workflow file and ref are in the embedded OIDC token (`jwt.claims.workflow_ref`).
GitLab's `ciconfigpath` is CI_CONFIG_PATH, a repository file name (`.gitlab-ci.yml` by default).
"""

from __future__ import annotations

import random

import pytest

from witness_evals.witness import attestors as A


def _github(seed: int, **changes: str) -> tuple[A.Scenario, dict]:
    sc = A.Scenario.random(random.Random(seed), ci="github")
    if changes:
        sc = sc.with_(**changes)
    return sc, A.ATTESTORS["github"].build(random.Random(seed), sc)


@pytest.mark.parametrize("seed", range(12))
def test_github_ciconfigpath_and_cihost_are_empty_in_a_run_step(seed: int) -> None:
    _sc, pred = _github(seed)
    assert pred["ciconfigpath"] == ""
    assert pred["cihost"] == ""


@pytest.mark.parametrize("seed", range(12))
def test_github_workflow_identity_is_in_the_token_claims(seed: int) -> None:
    sc, pred = _github(seed)
    claims = pred["jwt"]["claims"]
    wf = f"{sc.repo_slug}/.github/workflows/build.yml@refs/heads/{sc.branch}"
    assert claims["workflow_ref"] == claims["job_workflow_ref"] == wf
    assert claims["ref"] == f"refs/heads/{sc.branch}"
    assert claims["repository"] == sc.repo_slug
    assert claims["aud"] == "witness"  # github.go fetches the token for the audience "witness"
    assert claims["iss"] == "https://token.actions.githubusercontent.com"


def test_github_workflow_ref_follows_the_branch_and_ciconfigpath_does_not() -> None:
    _a, main = _github(3, branch="main")
    _b, dev = _github(3, branch="dev")
    assert main["jwt"]["claims"]["workflow_ref"].endswith("@refs/heads/main")
    assert dev["jwt"]["claims"]["workflow_ref"].endswith("@refs/heads/dev")
    assert main["ciconfigpath"] == dev["ciconfigpath"] == ""


@pytest.mark.parametrize("seed", range(6))
def test_gitlab_ciconfigpath_is_the_config_file_name(seed: int) -> None:
    sc = A.Scenario.random(random.Random(seed), ci="gitlab")
    pred = A.ATTESTORS["gitlab"].build(random.Random(seed), sc)
    assert pred["ciconfigpath"] == ".gitlab-ci.yml"
