"""The jenkins attestation and the environment attestation of one Jenkins run agree.

go-witness v0.12.0 attestation/jenkins/jenkins.go:109-118 copies every field from a variable (`buildid` =
`BUILD_ID`, ..., `workspace` = `WORKSPACE`); the environment attestor (a default one) records the same
process environment. So within one collection each jenkins field equals the variable the environment
attestation shows, for every branch, and after the scenario moves to another branch (`checked_out`, a bench
task's `set: {branch: ...}`). Jenkins' own values: core `Run.getCharacteristicEnvVars` (`BUILD_ID` =
`BUILD_NUMBER`, `BUILD_TAG` = "jenkins-${JOB_NAME}-${BUILD_NUMBER}" with `/` as `-`), branch-api
`NameEncoder` (a branch job's name escapes `/` as `%2F`), core `Util.rawEncode` (its URL segment escapes
that `%` again: `%252F`), branch-api `WorkspaceLocatorImpl` (workspace directory after the job name).
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from witness_evals.bench.worlds import apply_set
from witness_evals.witness import attestors as A
from witness_evals.witness import simulate
from witness_evals.witness.attestors.scenario import checked_out

JENKINS_VARS = {
    "buildid": "BUILD_ID",
    "buildnumber": "BUILD_NUMBER",
    "buildtag": "BUILD_TAG",
    "pipelineurl": "BUILD_URL",
    "executornumber": "EXECUTOR_NUMBER",
    "javahome": "JAVA_HOME",
    "jenkinsurl": "JENKINS_URL",
    "jobname": "JOB_NAME",
    "nodename": "NODE_NAME",
    "workspace": "WORKSPACE",
}
"""jenkins.go:109-118."""


def _recorded(sc: A.Scenario) -> tuple[dict[str, str], dict[str, Any]]:
    """(environment variables, jenkins predicate) of one simulated `witness run -a jenkins` of `sc`."""
    rec = simulate.record_step("build", sc, attestors=("environment", "jenkins"))
    by_type = {a.type: a.attestation for a in rec.collection.attestations}
    env = by_type[A.get("environment").type]["variables"]
    return env, by_type[A.get("jenkins").type]


def _assert_agree(sc: A.Scenario) -> dict[str, Any]:
    env, pred = _recorded(sc)
    assert {field: env.get(var) for field, var in JENKINS_VARS.items()} == pred, sc.branch
    return pred


def _expected_names(project: str, branch: str) -> tuple[str, str]:
    """(JOB_NAME, the branch's URL segment) of a multibranch job of `branch` in `project`."""
    item = branch.replace("%", "%25").replace("/", "%2F")
    return f"{project}/{item}", item.replace("%", "%25")


def _assert_names_branch(sc: A.Scenario, pred: dict[str, Any]) -> None:
    job, segment = _expected_names(sc.project, sc.branch)
    number = pred["buildnumber"]
    assert pred["jobname"] == job
    assert pred["buildid"] == number
    assert pred["buildtag"] == f"jenkins-{job.replace('/', '-')}-{number}"
    assert pred["pipelineurl"] == f"{pred['jenkinsurl']}job/{sc.project}/job/{segment}/{number}/"
    assert pred["pipelineurl"] == sc.pipeline_url == sc.job_url
    assert sc.env["BRANCH_NAME"] == sc.branch
    assert pred["workspace"].endswith("/" + job.replace("/", "_").replace("%2F", "_").replace("%25", "_"))


def test_every_jenkins_run_records_the_jenkins_fields_its_environment_shows() -> None:
    branches = set()
    for seed in range(120):
        sc = A.Scenario.random(random.Random(seed), ci="jenkins")
        pred = _assert_agree(sc)
        _assert_names_branch(sc, pred)
        branches.add(sc.branch)
    assert {"main", "release/1.4", "feature/sbom"} <= branches


@pytest.mark.parametrize("branch", ["main", "release/2.0", "feature/a%b", "develop"])
def test_checked_out_moves_every_jenkins_value_to_the_new_branch(branch: str) -> None:
    for seed in range(12):
        sc = checked_out(A.Scenario.random(random.Random(seed), ci="jenkins"), branch)
        pred = _assert_agree(sc)
        _assert_names_branch(sc, pred)
        assert sc.env["PWD"] == pred["workspace"]


def test_a_branch_change_keeps_node_executor_and_build_number() -> None:
    for seed in range(12):
        sc = A.Scenario.random(random.Random(seed), ci="jenkins")
        moved = checked_out(sc, "hotfix/x")
        same = ("BUILD_NUMBER", "NODE_NAME", "EXECUTOR_NUMBER", "JENKINS_URL", "JAVA_HOME")
        assert {k: moved.env[k] for k in same} == {k: sc.env[k] for k in same}
        assert moved.env["JOB_NAME"] != sc.env["JOB_NAME"]


def test_a_bench_branch_set_moves_the_jenkins_values_and_env_sets_still_win() -> None:
    sc = A.Scenario.random(random.Random(4), ci="jenkins")
    moved = apply_set(sc, {"branch": "release/9"})
    _assert_names_branch(moved, _assert_agree(moved))
    pinned = apply_set(sc, {"branch": "release/9", "env": {"NODE_NAME": "mac-agent"}})
    assert _assert_agree(pinned)["nodename"] == "mac-agent"


def test_a_later_step_of_the_pipeline_records_the_same_jenkins_build() -> None:
    for seed in range(6):
        first = A.Scenario.random(random.Random(seed), ci="jenkins", step_kind="build")
        later = simulate.next_step_scenario(first, "test", "test")
        assert _assert_agree(later) == _assert_agree(first)


def test_java_projects_record_their_own_jdk_and_others_the_agent_image_one() -> None:
    homes = set()
    for seed in range(40):
        sc = A.Scenario.random(random.Random(seed), ci="jenkins")
        pred = _assert_agree(sc)
        homes.add(pred["javahome"])
        assert pred["javahome"] != ""
    assert homes == {"/usr/lib/jvm/java-17-openjdk-amd64", "/opt/java/openjdk"}
