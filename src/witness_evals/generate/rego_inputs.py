"""Realistic Rego inputs for requirement checks: core-built predicates, trimmed to what rules read.

Each base predicate comes from the core attestor builder for a random `Scenario` (the JSON `witness
verify` hands to Rego) and loses only bulk that no rule reads (long file lists, raw signatures), so
the check stays small while keeping the real shape.
"""

from __future__ import annotations

import random
from typing import Any

from witness_evals.generate.rego_model import predicate
from witness_evals.witness.attestors import Scenario


def trim(name: str, pred: Any) -> Any:
    """Drop bulky parts of a predicate that no requirement reads."""
    if name == "material":
        pred = {
            k: v for k, v in pred.items() if not k.startswith(".git/") or k in (".git/HEAD", ".git/config")
        }
    elif name == "command-run":
        pred.pop("processes", None)
        pred.pop("stdout", None)
    elif name == "sbom":
        for key in ("packages", "components"):
            if isinstance(pred.get(key), list):
                pred[key] = pred[key][:3]
        if isinstance(pred.get("relationships"), list):
            pred["relationships"] = pred["relationships"][:1]
    elif name == "lockfiles":
        for lf in pred.get("lockfiles") or []:
            lf["content"] = lf["content"][:160]
    elif name == "link":
        pred["materials"] = [m for m in pred.get("materials") or [] if not m["name"].startswith(".git/")][:6]
        env = (pred.get("environment") or {}).get("fields")
        if isinstance(env, dict):
            pred["environment"]["fields"] = dict(list(env.items())[:4])
    elif name == "slsa":
        deps = pred["build_definition"].get("resolved_dependencies") or []
        pred["build_definition"]["resolved_dependencies"] = [
            d for d in deps if not d["name"].startswith(".git/")
        ][:4]
    elif name == "omnitrail":
        mapping = pred["Envelope"]["mapping"]
        keep = [k for k in mapping if "/.git" not in k][:6]
        pred["Envelope"]["mapping"] = {k: mapping[k] for k in keep}
    elif name == "gcp-iit":
        pred = gcp_v012(pred)
    elif name == "k8smanifest":
        pred["recordeddocs"] = (pred.get("recordeddocs") or [])[:2]
        nodes = (pred.get("clusterinfo") or {}).get("nodes")
        if isinstance(nodes, dict):
            pred["clusterinfo"]["nodes"] = dict(list(nodes.items())[:1])
    return pred


def gcp_project_fields(email: str) -> tuple[str, str]:
    """`project_id`, `project_number` as go-witness v0.12 `parseJWTProjectInfo` derives them from the email.

    It takes the first label of the email's domain, splits it at `-`, and returns the last piece as
    the "project id" and the rest as the "project number" (so neither holds the real value).
    """
    if email.count("@") != 1:
        return "", ""
    parts = email.split("@")[1].split(".")[0].split("-")
    return parts[-1], "-".join(parts[:-1])


def gcp_v012(pred: Any) -> Any:
    """The one gcp-iit shape go-witness v0.12 can write: the workload-identity path.

    v0.12 `Attest` reads `project_id`, `zone`, ... directly under the token's `google` claim, but a
    `format=full` token nests them under `google.compute_engine` (and types some as numbers), so the
    type assertions panic whenever the claim exists. An attestation is only written when the token
    has no `google` claim: `zone`, `instance_id`, `instance_hostname` and the `cluster_*` fields
    come from the metadata server (`zone` is `projects/<number>/zones/<zone>`), `project_id` and
    `project_number` are parsed from the token's `email`, and the confidentiality, creation time
    and licence fields stay empty.
    """
    claims = pred["jwt"]["claims"]
    engine = (claims.pop("google", None) or {}).get("compute_engine") or {}
    project = engine.get("project_id") or "build-project"
    if claims.get("email", "").endswith("@developer.gserviceaccount.com"):
        claims["email"] = f"witness-ci@{project}.iam.gserviceaccount.com"
    pred["project_id"], pred["project_number"] = gcp_project_fields(claims.get("email", ""))
    pred["instance_creation_timestamp"] = ""
    pred["instance_confidentiality"] = ""
    pred["licence_id"] = None
    return pred


def bases(rng: random.Random, name: str, n: int = 2, **overrides: Any) -> tuple[Any, ...]:
    """`n` trimmed predicates of attestor `name` from independent random scenarios."""
    return tuple(trim(name, predicate(name, Scenario.random(rng, **overrides))) for _ in range(n))


def scenario_bases(
    rng: random.Random, name: str, n: int = 2, **overrides: Any
) -> tuple[list[Scenario], tuple[Any, ...]]:
    """The scenarios and their trimmed predicates (when a requirement needs scenario values)."""
    scenarios = [Scenario.random(rng, **overrides) for _ in range(n)]
    return scenarios, tuple(trim(name, predicate(name, s)) for s in scenarios)
