"""github: GitHub Actions run metadata plus the verified OIDC token (go-witness attestation/github)."""

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

TYPE = "https://witness.dev/attestations/github/v0.1"

SHAPE = S(
    "github.Attestor",
    F("jwt", S("jwt.Attestor", *jwt.SHAPE.fields, pointer=True), True),
    F("ciconfigpath", STR),
    F("pipelineid", STR),
    F("pipelinename", STR),
    F("pipelineurl", STR),
    F("projecturl", STR),
    F("runnerid", STR),
    F("cihost", STR),
    F("ciserverurl", STR),
    F("runnerarch", STR),
    F("runneros", STR),
)


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    proj = f"https://github.com/{s.repo_slug}"
    return {
        "jwt": jwt.make(
            jwt.github_claims(rng, s), "https://token.actions.githubusercontent.com/.well-known/jwks", rng
        ),
        # go-witness sets `ciconfigpath` from GITHUB_ACTION_PATH (attestation/github/github.go:157 in
        # v0.10.0-v0.12.0), which GitHub only defines inside composite actions (the action's directory
        # on the runner). `witness run` in an ordinary `run:` step records "". The workflow file and
        # ref are in the embedded OIDC token: `jwt.claims.workflow_ref` / `job_workflow_ref`.
        "ciconfigpath": "",
        "pipelineid": s.ci_run_id,
        "pipelinename": "build",
        "pipelineurl": f"{proj}/actions/runs/{s.ci_run_id}",
        "projecturl": proj,
        "runnerid": f"GitHub Actions {rng.randint(2, 999)}",
        "cihost": "",  # declared by go-witness's github attestor but never assigned (github.go)
        "ciserverurl": "https://github.com",
        "runnerarch": "X64" if s.arch == "amd64" else "ARM64",
        "runneros": "Linux",
    }


def subjects(pred: dict[str, Any], _products: Products | None) -> dict[str, DigestSet]:
    return {
        f"pipelineurl:{pred['pipelineurl']}": sha256_of(pred["pipelineurl"]),
        f"projecturl:{pred['projecturl']}": sha256_of(pred["projecturl"]),
    }


SPEC = AttestorSpec(
    name="github",
    type=TYPE,
    run_type="prematerial",
    selection="opt-in",
    builder=build,
    shape=SHAPE,
    subjecter=subjects,
    backreffer=pipelineurl_backrefs,
)
