"""The git attestor on a detached HEAD (GitLab CI, Jenkins) records `branch: "HEAD"`.

go-witness v0.12.0 attestation/git/git.go:134, 202 sets `branch` to go-git's `head.Name().Short()`: on a
detached checkout HEAD is not a symbolic ref, its name is `HEAD`. git.go:173-189 keeps every ref whose hash
is HEAD's; go-git v5.19.1 storage/filesystem/dotgit/dotgit.go:724-740, 1011 lists `HEAD` itself first, and a
detached HEAD is a hash ref, so `refs` starts with `HEAD`. The GitLab runner checks out the pipeline commit
(`git checkout -f -q <sha>`) and Jenkins' Git plugin the build revision; GitHub's actions/checkout puts a
push run on its branch. A job that runs `git checkout -B <branch>` records the branch name again.
"""

from __future__ import annotations

import random
from typing import Any

from witness_evals.bench.task import example_input
from witness_evals.bench.worlds import apply_set, base_scenario
from witness_evals.witness import attestors as A
from witness_evals.witness import simulate
from witness_evals.witness.attestors.scenario import checked_out


def _git(sc: A.Scenario) -> dict[str, Any]:
    spec = A.get("git")
    pred: dict[str, Any] = spec.build(sc.sub_rng("attestor:git"), sc)
    return pred


def _recorded(sc: A.Scenario, attestor: str) -> dict[str, Any]:
    """`attestor`'s predicate in a simulated `witness run` of `sc` (what the collection carries)."""
    rec = simulate.record_step("build", sc)
    att = next(a for a in rec.collection.attestations if a.type == A.get(attestor).type)
    pred: dict[str, Any] = att.attestation
    return pred


def _recorded_git(sc: A.Scenario) -> dict[str, Any]:
    return _recorded(sc, "git")


def test_gitlab_and_jenkins_jobs_record_head_and_github_pushes_their_branch() -> None:
    for seed in range(6):
        for ci in ("gitlab", "jenkins"):
            sc = A.Scenario.random(random.Random(seed), ci=ci)
            pred = _git(sc)
            assert pred["branch"] == "HEAD", (ci, seed)
            assert pred["refs"] == ["HEAD", f"refs/remotes/origin/{sc.branch}"]
            assert "refnameshort:HEAD" in A.get("git").subjects(pred)
        for ci in ("github", "none"):
            sc = A.Scenario.random(random.Random(seed), ci=ci)
            pred = _git(sc)
            assert pred["branch"] == sc.branch != "HEAD"
            assert pred["refs"] == [f"refs/heads/{sc.branch}", f"refs/remotes/origin/{sc.branch}"]


def test_ci_variables_still_name_the_branch_of_a_detached_run() -> None:
    sc = A.Scenario.random(random.Random(3), ci="gitlab")
    assert _recorded_git(sc)["branch"] == "HEAD"
    assert sc.env["CI_COMMIT_REF_NAME"] == sc.branch != "HEAD"


def test_a_job_that_checks_out_its_branch_records_the_name() -> None:
    sc = A.Scenario.random(random.Random(5), ci="gitlab")
    assert _recorded_git(sc)["branch"] == "HEAD"
    on = checked_out(sc, "release/2.0")
    pred = _recorded_git(on)
    assert pred["branch"] == "release/2.0"
    assert pred["refs"] == ["refs/heads/release/2.0", "refs/remotes/origin/release/2.0"]
    assert on.env["CI_COMMIT_REF_NAME"] == "release/2.0"


def test_bench_scenarios_record_head_unless_the_spec_names_a_branch() -> None:
    for ci in ("gitlab", "jenkins"):
        sc = base_scenario({"seed": 41, "scenario": {"ci": ci}}, "build")
        assert _git(sc)["branch"] == "HEAD"
        assert example_input({"$example": "git", "$seed": 41, "$scenario": {"ci": ci}})["branch"] == "HEAD"
        named = base_scenario({"seed": 41, "scenario": {"ci": ci, "branch": "main"}}, "build")
        assert _git(named)["branch"] == "main"
        assert _git(apply_set(sc, {"branch": "feature/x"}))["branch"] == "feature/x"


def test_a_detached_checkout_has_the_commit_in_head_and_no_local_branch() -> None:
    """`git checkout -f -q <sha>` writes the commit id to .git/HEAD; the branch exists only as the fetched
    `refs/remotes/origin/<branch>`. The material attestor digests .git like any file, so it shows."""
    for ci in ("gitlab", "jenkins"):
        sc = A.Scenario.random(random.Random(7), ci=ci)
        assert sc.files_before[".git/HEAD"] == f"{sc.commit}\n".encode()
        assert f".git/refs/heads/{sc.branch}" not in sc.files_before
        assert sc.files_before[f".git/refs/remotes/origin/{sc.branch}"] == f"{sc.commit}\n".encode()
        assert ".git/HEAD" in _recorded(sc, "material")
    gh = A.Scenario.random(random.Random(7), ci="github")
    assert gh.files_before[".git/HEAD"] == f"ref: refs/heads/{gh.branch}\n".encode()
    assert gh.files_before[f".git/refs/heads/{gh.branch}"] == f"{gh.commit}\n".encode()


def test_checking_out_a_branch_points_head_at_it() -> None:
    sc = A.Scenario.random(random.Random(5), ci="gitlab")
    on = checked_out(sc, "release/2.0")
    for files in (on.files_before, on.files_after):
        assert files[".git/HEAD"] == b"ref: refs/heads/release/2.0\n"
        assert files[".git/refs/heads/release/2.0"] == f"{sc.commit}\n".encode()
    assert _recorded(on, "material")[".git/HEAD"] != _recorded(sc, "material")[".git/HEAD"]
