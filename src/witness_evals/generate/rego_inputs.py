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
    elif name == "k8smanifest":
        pred["recordeddocs"] = (pred.get("recordeddocs") or [])[:2]
        nodes = (pred.get("clusterinfo") or {}).get("nodes")
        if isinstance(nodes, dict):
            pred["clusterinfo"]["nodes"] = dict(list(nodes.items())[:1])
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
