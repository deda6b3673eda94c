"""slsa: SLSA provenance v1.0 as go-witness writes it (protobuf struct via encoding/json: snake_case,
Struct values as `{"fields": {...{"Kind": ...}}}`, timestamps as `{"seconds", "nanos"}`)."""

from __future__ import annotations

import random
from typing import Any

from witness_evals.witness.attestors import environment
from witness_evals.witness.attestors.base import AttestorSpec, product_subjects
from witness_evals.witness.attestors.gotypes import (
    PB_STRUCT,
    PB_TIMESTAMP,
    RESOURCE_DESCRIPTOR,
    STR,
    STRMAP,
    F,
    ListT,
    S,
)

TYPE = "https://slsa.dev/provenance/v1.0"
BUILD_TYPE = "https://witness.dev/slsa-build@v0.1"
BUILDER_IDS = {
    "none": "https://witness.dev/witness-default-builder@v0.1",
    "github": "https://witness.dev/witness-github-action-builder@v0.1",
    "gitlab": "https://witness.dev/witness-gitlab-component-builder@v0.1",
    "jenkins": "https://witness.dev/witness-jenkins-component-builder@v0.1",
    "aws-codebuild": "https://witness.dev/witness-aws-codebuild-builder@v0.1",
}
BUILD_DEFINITION = S(
    "v1.BuildDefinition",
    F("build_type", STR, True),
    F("external_parameters", PB_STRUCT, True),
    F("internal_parameters", PB_STRUCT, True),
    F("resolved_dependencies", ListT(RESOURCE_DESCRIPTOR), True),
    pointer=True,
)
BUILDER = S(
    "v1.Builder",
    F("id", STR, True),
    F("version", STRMAP, True),
    F("builder_dependencies", ListT(RESOURCE_DESCRIPTOR), True),
    pointer=True,
)
METADATA = S(
    "v1.BuildMetadata",
    F("invocation_id", STR, True),
    F("started_on", PB_TIMESTAMP, True),
    F("finished_on", PB_TIMESTAMP, True),
    pointer=True,
)
RUN_DETAILS = S(
    "v1.RunDetails",
    F("builder", BUILDER, True),
    F("metadata", METADATA, True),
    F("byproducts", ListT(RESOURCE_DESCRIPTOR), True),
    pointer=True,
)
SHAPE = S("v1.Provenance", F("build_definition", BUILD_DEFINITION, True), F("run_details", RUN_DETAILS, True))


def _ts(dt: Any) -> dict[str, int]:
    out = {"seconds": int(dt.timestamp())}
    if dt.microsecond:
        out["nanos"] = dt.microsecond * 1000
    return out


def _value(v: Any) -> dict[str, Any]:
    if isinstance(v, dict):
        return {"Kind": {"StructValue": {"fields": {k: _value(v[k]) for k in v}}}}
    return {"Kind": {"StringValue": v}}


def build(rng: random.Random, s: Any) -> dict[str, Any]:
    """Provenance as if produced together with command-run, material and product (+ git/environment/CI)."""
    with_env = rng.random() < 0.6
    with_git = rng.random() < 0.7
    internal: dict[str, Any] = {}
    if with_env:
        internal["env"] = environment.obfuscate(dict(sorted(s.env.items())))
    deps: list[dict[str, Any]] = []
    if with_git:
        deps.append({"name": s.repo_url, "digest": {"sha1": s.commit}})
    deps += [{"name": path, "digest": ds} for path, ds in s.materials().items()]
    definition: dict[str, Any] = {
        "build_type": BUILD_TYPE,
        "external_parameters": {"fields": {"command": _value(" ".join(s.command))}},
        "internal_parameters": {"fields": {k: _value(v) for k, v in internal.items()}} if internal else {},
        "resolved_dependencies": deps,
    }
    ci = s.ci if rng.random() < 0.8 else "none"
    metadata: dict[str, Any] = {}
    if ci in ("github", "gitlab", "jenkins"):
        metadata["invocation_id"] = s.pipeline_url
    metadata["started_on"] = _ts(s.start_time)
    metadata["finished_on"] = _ts(s.end_time)
    return {
        "build_definition": definition,
        "run_details": {"builder": {"id": BUILDER_IDS[ci]}, "metadata": metadata},
    }


SPEC = AttestorSpec(
    name="slsa",
    type=TYPE,
    run_type="postproduct",
    selection="opt-in",
    exporter=True,
    builder=build,
    shape=SHAPE,
    subjecter=product_subjects("file"),
)
