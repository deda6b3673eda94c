"""jenkins: Jenkins build metadata from the job environment (go-witness attestation/jenkins)."""

from __future__ import annotations

import random
from typing import Any

from witness_evals.witness.attestors.base import (
    AttestorSpec,
    DigestSet,
    Products,
    pipelineurl_backrefs,
    sha256_of,
)
from witness_evals.witness.attestors.gotypes import STR, F, S
from witness_evals.witness.attestors.scenario import (
    JENKINS_JAVA_HOME,
    Scenario,
    jenkins_env,
    jenkins_job_vars,
)

TYPE = "https://witness.dev/attestations/jenkins/v0.1"

FIELDS = (
    ("buildid", "BUILD_ID"),
    ("buildnumber", "BUILD_NUMBER"),
    ("buildtag", "BUILD_TAG"),
    ("pipelineurl", "BUILD_URL"),
    ("executornumber", "EXECUTOR_NUMBER"),
    ("javahome", "JAVA_HOME"),
    ("jenkinsurl", "JENKINS_URL"),
    ("jobname", "JOB_NAME"),
    ("nodename", "NODE_NAME"),
    ("workspace", "WORKSPACE"),
)
"""(predicate field, the variable `Attest` copies into it): go-witness v0.12.0 attestation/jenkins/jenkins.go:109-118."""

SHAPE = S("jenkins.Attestor", *(F(k, STR) for k, _ in FIELDS))


def job_env(s: Scenario) -> dict[str, str]:
    """The environment the attestor reads: the scenario's, where it is a Jenkins build (`JENKINS_URL` is
    set, jenkins.go:105); elsewhere, where go-witness fails with `ErrNotJenkins`, the variables Jenkins
    would set for the scenario (`scenario.jenkins_env`), so a predicate can still be shown."""
    if "JENKINS_URL" in s.env:
        return s.env
    return {"JAVA_HOME": JENKINS_JAVA_HOME, **s.env, **jenkins_env(s)}


def build(_rng: random.Random, s: Scenario) -> dict[str, Any]:
    """Each field is `os.Getenv` of its variable, "" when unset (jenkins.go:109-118)."""
    env = job_env(s)
    return {field: env.get(var, "") for field, var in FIELDS}


def rebuilt(
    pred: dict[str, Any],
    *,
    url: str | None = None,
    job: str | None = None,
    number: str | None = None,
    node: str | None = None,
) -> dict[str, Any]:
    """`pred` of another build: its `jenkinsurl`, `jobname`, `buildnumber` or `nodename` changed, and
    what Jenkins derives from them (`buildid`, `buildtag`, `pipelineurl`, `workspace`) following, so
    no field is left from the old build (`scenario.jenkins_job_vars`)."""
    env = jenkins_job_vars(
        url or pred["jenkinsurl"],
        job or pred["jobname"],
        number or pred["buildnumber"],
        node or pred["nodename"],
    )
    return {**pred, **{field: env[var] for field, var in FIELDS if var in env}}


def subjects(pred: dict[str, Any], _products: Products | None) -> dict[str, DigestSet]:
    return {f"{k}:{pred[k]}": sha256_of(pred[k]) for k in ("pipelineurl", "jenkinsurl")}


SPEC = AttestorSpec(
    name="jenkins",
    type=TYPE,
    run_type="prematerial",
    selection="opt-in",
    builder=build,
    shape=SHAPE,
    subjecter=subjects,
    backreffer=pipelineurl_backrefs,
)
