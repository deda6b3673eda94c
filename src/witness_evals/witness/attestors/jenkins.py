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
from witness_evals.witness.attestors.scenario import Scenario

TYPE = "https://witness.dev/attestations/jenkins/v0.1"

SHAPE = S(
    "jenkins.Attestor",
    *(
        F(k, STR)
        for k in (
            "buildid",
            "buildnumber",
            "buildtag",
            "pipelineurl",
            "executornumber",
            "javahome",
            "jenkinsurl",
            "jobname",
            "nodename",
            "workspace",
        )
    ),
)


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    host = s.ci_host if s.ci == "jenkins" else f"jenkins.{s.org}.com"
    number = str(int(s.ci_run_id) % 5000)
    job = f"{s.project}/{s.branch.replace('/', '%2F')}"
    return {
        "buildid": number,
        "buildnumber": number,
        "buildtag": f"jenkins-{s.project}-{s.branch.replace('/', '-')}-{number}",
        "pipelineurl": f"https://{host}/job/{s.project}/job/{s.branch.replace('/', '%2F')}/{number}/",
        "executornumber": str(rng.randint(0, 3)),
        "javahome": "/opt/java/openjdk",
        "jenkinsurl": f"https://{host}/",
        "jobname": job,
        "nodename": rng.choice(("built-in", "linux-agent-1", "k8s-agent-x7h2p", "docker-agent")),
        "workspace": f"/var/jenkins_home/workspace/{s.project}_{s.branch.replace('/', '_')}",
    }


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
