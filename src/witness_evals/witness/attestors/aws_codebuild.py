"""aws-codebuild: AWS CodeBuild build metadata (go-witness attestation/aws-codebuild)."""

from __future__ import annotations

import random
from typing import Any

from witness_evals.witness.attestors.base import AttestorSpec, DigestSet, Products, sha256_of
from witness_evals.witness.attestors.gotypes import STR, AnyT, F, S
from witness_evals.witness.attestors.scenario import Scenario

TYPE = "https://witness.dev/attestations/aws-codebuild/v0.1"

BUILD_INFO = S(
    "aws_codebuild.BuildInfo",
    F("build_id", STR),
    F("build_arn", STR, True),
    F("build_number", STR, True),
    F("project_name", STR, True),
    F("initiator", STR, True),
    F("source_version", STR, True),
    F("source_repo", STR, True),
    F("batch_build_id", STR, True),
    F("webhook_event", STR, True),
    F("webhook_head_ref", STR, True),
    F("webhook_actor_id", STR, True),
    F("region", STR, True),
    F("build_details", AnyT("types.Build", object_only=True), True),
)
SHAPE = S("aws_codebuild.Attestor", F("build_info", BUILD_INFO), F("raw_build_details", STR, True))


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    """Environment-derived metadata. `build_details` (BatchGetBuilds) is left out, as when the
    build role lacks `codebuild:BatchGetBuilds` (go-witness then only logs a warning). `project_name` is left
    out too: go-witness v0.12.0 reads it from `CODEBUILD_PROJECT_NAME` (aws-codebuild.go:45, 157), which CodeBuild
    does not set (it sets `CODEBUILD_BUILD_ID` = `<project>:<build uuid>` and `CODEBUILD_PROJECT_ARN`), so the
    `omitempty` field is absent on a real build; the project is the prefix of `build_id`."""
    build_uuid = (
        s.pipeline_url.rsplit(":", 1)[-1]
        if s.ci == "aws-codebuild"
        else s.token[:8] + "-" + s.token[8:12] + "-4a1b-9c2d-" + s.token[:12]
    )
    build_id = f"{s.project}:{build_uuid}"
    account = str(rng.randint(10**11, 10**12 - 1))
    info: dict[str, Any] = {
        "build_id": build_id,
        "build_arn": f"arn:aws:codebuild:{s.region}:{account}:build/{build_id}",
        "build_number": str(int(s.ci_run_id) % 10000),
        "initiator": rng.choice(
            ("GitHub-Hookshot/4a2c1e9", f"codepipeline/{s.project}-pipeline", f"{s.username}")
        ),
        "source_version": s.commit,
        "source_repo": s.repo_url,
    }
    if rng.random() < 0.5:
        info["webhook_event"] = rng.choice(("PUSH", "PULL_REQUEST_CREATED", "PULL_REQUEST_UPDATED"))
        info["webhook_head_ref"] = f"refs/heads/{s.branch}"
        info["webhook_actor_id"] = str(rng.randint(10**6, 10**8))
    info["region"] = s.region
    return {"build_info": info}


def subjects(pred: dict[str, Any], _products: Products | None) -> dict[str, DigestSet]:
    info = pred["build_info"]
    out: dict[str, DigestSet] = {}
    for prefix, key in (
        ("codebuild-build-id", "build_id"),
        ("codebuild-project", "project_name"),
        ("codebuild-source-version", "source_version"),
    ):
        if info.get(key):
            out[f"{prefix}:{info[key]}"] = sha256_of(info[key])
    return out


SPEC = AttestorSpec(
    name="aws-codebuild",
    type=TYPE,
    run_type="prematerial",
    selection="opt-in",
    builder=build,
    shape=SHAPE,
    subjecter=subjects,
    backreffer=lambda pred: subjects(pred, None),
)
