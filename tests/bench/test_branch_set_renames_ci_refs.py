"""A bench world that sets `branch` moves the CI's own variables with it: `GITHUB_REF` and GitLab's
`CI_COMMIT_REF_NAME` name the branch the git attestation records (`scenario.checked_out`), so the
environment attestation of the same collection does not name the scenario's first branch."""

from __future__ import annotations

import random

import pytest

from witness_evals.bench.worlds import apply_set
from witness_evals.witness.attestors.scenario import Scenario


@pytest.mark.parametrize(
    ("ci", "var", "value"),
    [("github", "GITHUB_REF", "refs/heads/release/2.0"), ("gitlab", "CI_COMMIT_REF_NAME", "release/2.0")],
)
def test_branch_set_renames_the_ci_ref(ci: str, var: str, value: str) -> None:
    for seed in range(5):
        sc = Scenario.random(random.Random(seed), ci=ci)
        if sc.branch == "release/2.0":
            continue
        moved = apply_set(sc, {"branch": "release/2.0"})
        assert moved.env[var] == value
        assert moved.head_name == "release/2.0"
        assert sc.branch not in {
            v for k, v in moved.env.items() if k.startswith(("GITHUB_REF", "CI_COMMIT_REF"))
        }


def test_an_env_change_after_the_branch_wins() -> None:
    sc = Scenario.random(random.Random(1), ci="github")
    moved = apply_set(sc, {"branch": "dev", "env": {"GITHUB_REF": "refs/tags/v1.0"}})
    assert moved.env["GITHUB_REF"] == "refs/tags/v1.0"
