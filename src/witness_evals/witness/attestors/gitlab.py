"""gitlab: GitLab CI job metadata plus the verified ID token (go-witness attestation/gitlab)."""

from __future__ import annotations

import random
from typing import Any

from witness_evals.witness.attestors import jwt
from witness_evals.witness.attestors.base import (
    AttestorSpec,
    DigestSet,
    Products,
    pipelineurl_backrefs,
    sha256_of,
)
from witness_evals.witness.attestors.gotypes import STR, F, S
from witness_evals.witness.attestors.scenario import Scenario

TYPE = "https://witness.dev/attestations/gitlab/v0.1"

SHAPE = S(
    "gitlab.Attestor",
    F("jwt", S("jwt.Attestor", *jwt.SHAPE.fields, pointer=True), True),
    F("ciconfigpath", STR),
    F("jobid", STR),
    F("jobimage", STR),
    F("jobname", STR),
    F("jobstage", STR),
    F("joburl", STR),
    F("pipelineid", STR),
    F("pipelineurl", STR),
    F("projectid", STR),
    F("projecturl", STR),
    F("runnerid", STR),
    F("cihost", STR),
    F("ciserverurl", STR),
)


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    host = s.ci_host if s.ci == "gitlab" else "gitlab.com"
    proj = f"https://{host}/{s.repo_slug}"
    claims = jwt.gitlab_claims(rng, s.with_(ci_host=host))
    stage = rng.choice(("build", "test", "package", "deploy"))
    return {
        "jwt": jwt.make(claims, f"https://{host}/oauth/discovery/keys", rng),
        # CI_CONFIG_PATH (gitlab.go:162): the project's CI/CD configuration file, `.gitlab-ci.yml`
        # unless the project sets a custom path; a repository-relative file name, not a ref.
        "ciconfigpath": ".gitlab-ci.yml",
        "jobid": s.ci_job_id,
        "jobimage": rng.choice(
            ("golang:1.22", "node:20", "python:3.12", "rust:1.77", "maven:3.9-eclipse-temurin-17")
        ),
        "jobname": f"{stage}-{s.project}",
        "jobstage": stage,
        "joburl": f"{proj}/-/jobs/{s.ci_job_id}",
        "pipelineid": s.ci_run_id,
        "pipelineurl": f"{proj}/-/pipelines/{s.ci_run_id}",
        "projectid": claims["project_id"],
        "projecturl": proj,
        "runnerid": str(rng.randint(10**5, 10**7)),
        "cihost": host,
        "ciserverurl": f"https://{host}",
    }


def subjects(pred: dict[str, Any], _products: Products | None) -> dict[str, DigestSet]:
    return {f"{k}:{pred[k]}": sha256_of(pred[k]) for k in ("pipelineurl", "joburl", "projecturl")}


SPEC = AttestorSpec(
    name="gitlab",
    type=TYPE,
    run_type="prematerial",
    selection="opt-in",
    builder=build,
    shape=SHAPE,
    subjecter=subjects,
    backreffer=pipelineurl_backrefs,
)
