"""Every jenkins predicate the Rego requirements (generator and witness-bench) pass or deny is one build
Jenkins could run: changing the URL, job, number or node rewrites what Jenkins derives from them
(`jenkins.rebuilt`), so no `buildtag`, `pipelineurl` or `workspace` is left from another build."""

from __future__ import annotations

import random
from typing import Any

import pytest

from witness_evals.bench.builders import rego_fields
from witness_evals.generate import rego_reqs_platform as platform
from witness_evals.witness.attestors import jenkins
from witness_evals.witness.attestors.scenario import Scenario


def _consistent(p: dict[str, Any]) -> None:
    job, number = p["jobname"], p["buildnumber"]
    assert p["buildid"] == number
    assert p["buildtag"] == f"jenkins-{job.replace('/', '-')}-{number}"
    assert p["pipelineurl"].startswith(p["jenkinsurl"] + "job/")
    assert p["pipelineurl"].endswith(f"/{number}/")
    assert p["pipelineurl"].count("/job/") == job.count("/") + 1
    controller = p["nodename"] in ("built-in", "master")
    assert p["workspace"].startswith("/var/jenkins_home/" if controller else "/home/jenkins/agent/")


def test_rebuilt_rewrites_the_derived_fields() -> None:
    base = jenkins.build(random.Random(0), _scenario())
    moved = jenkins.rebuilt(
        base, job="release/api/feature%2Fsbom", node="built-in", url="https://ci.example.com/"
    )
    assert (
        moved["pipelineurl"]
        == f"https://ci.example.com/job/release/job/api/job/feature%252Fsbom/{base['buildnumber']}/"
    )
    assert moved["workspace"] == "/var/jenkins_home/workspace/release_api_feature_sbom"
    assert moved["executornumber"] == base["executornumber"] and moved["javahome"] == base["javahome"]
    _consistent(moved)
    assert jenkins.rebuilt(base) == base


def _scenario() -> Scenario:
    return Scenario.random(random.Random(7), ci="jenkins")


@pytest.mark.parametrize("maker", [platform.jk_node, platform.jk_url, platform.jk_folder])
@pytest.mark.parametrize("seed", range(6))
def test_generator_inputs_are_real_builds(maker: Any, seed: int) -> None:
    req = maker(random.Random(seed))
    for p in (*req.pass_inputs(), *req.deny_inputs()):
        _consistent(p)


@pytest.mark.parametrize("maker", [rego_fields.r_jk_url, rego_fields.r_jk_node, rego_fields.r_jk_job])
@pytest.mark.parametrize("seed", range(4))
def test_bench_inputs_are_real_builds(maker: Any, seed: int) -> None:
    req = maker(random.Random(seed), 100 + seed)
    for p in (*req.passes, *req.denies):
        _consistent(p)
