"""Hidden pipelines of policy tasks: a declarative spec, run through the `witness run` simulator.

    pipeline:
      seed: 7                                   # the project, commit, files... (Scenario.random)
      scenario: {language: go, ci: github, branch: main}
      artifact: build                           # whose first product `verify -f` gets (default: first step)
      steps:
        - {name: build, signer: build, attestors: [environment, git], export: [slsa]}
        - {name: package, signer: package, kind: package}     # later steps run on the previous end state
        - {name: sbom, signer: sbom, kind: sbom, sbom: spdx, attestors: [environment, git, sbom]}

A *variant* changes one run of that pipeline: `signers: {step: key}`, `attestors: {step: [...]}`,
`set: {step: {branch: .., env: {K: V}, command: [...], os: .., username: ..}}` (a `branch` set here or in
`scenario` is checked out; without one a GitLab or Jenkins run records `branch: HEAD`), `tamper: step` (the
products handed to `step` were modified after the previous step recorded them), `omit: [step]` (its
attestation is not passed to verify), `at: RFC3339` (when verify runs), `subject: hex` (the `-s` value
instead of the artifact's digest). Genuine variants must PASS a correct policy, tampered ones FAIL.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from witness_evals.bench.material import Material, material_for
from witness_evals.common.errors import InputError
from witness_evals.witness import simulate
from witness_evals.witness import verify as wverify
from witness_evals.witness.attestors.scenario import Scenario, checked_out
from witness_evals.witness.digests import sha256_hex

SETTABLE = frozenset(
    {
        "branch",
        "os",
        "arch",
        "username",
        "hostname",
        "env",
        "command",
        "commit_message",
        "author_email",
        "committer_email",
        "tags",
        "stdout",
    }
)
RANDOM_OVERRIDES = frozenset({"language", "ci", "step_kind", "sbom_kind"})


@dataclass(frozen=True)
class World:
    """What `witness verify` gets: the loaded `-a` collections, the subject digests, the time."""

    collections: tuple[wverify.SourceCollection, ...]
    subjects: tuple[str, ...]
    at: datetime | None
    artifact_path: str
    runs: dict[str, simulate.RunResult]
    scenarios: dict[str, Scenario]


def apply_set(sc: Scenario, changes: Mapping[str, Any]) -> Scenario:
    """`sc` with the task's field changes (`env` is merged; a None value removes the variable). A `branch`
    is checked out (`scenario.checked_out`: git records its name even where the CI starts detached, and
    Jenkins' variables follow it) before `env` changes apply."""
    if "branch" in changes:
        sc = checked_out(sc, str(changes["branch"]))
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in SETTABLE:
            raise InputError(f"cannot set scenario field {key!r} (settable: {', '.join(sorted(SETTABLE))})")
        if key == "env":
            env = dict(sc.env)
            for k, v in dict(value).items():
                if v is None:
                    env.pop(k, None)
                else:
                    env[str(k)] = str(v)
            out["env"] = env
        elif key in ("command", "tags"):
            out[key] = tuple(str(x) for x in value)
        else:
            out[key] = str(value)
    return sc.with_(**out)


def base_scenario(pipeline: Mapping[str, Any], first_step: str) -> Scenario:
    scen = dict(pipeline.get("scenario") or {})
    draw = {k: scen.pop(k) for k in list(scen) if k in RANDOM_OVERRIDES}
    draw.setdefault("step_kind", "build")
    draw.setdefault("sbom_kind", "none")
    sc = Scenario.random(random.Random(int(pipeline.get("seed", 0))), step=first_step, **draw)
    return apply_set(sc, scen) if scen else sc


def _parse_time(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"not an RFC 3339 time: {value!r}") from None


def build_world(pipeline: Mapping[str, Any], material: Material, variant: Mapping[str, Any]) -> World:
    """Run the pipeline with one variant applied; raise InputError if the spec is unusable."""
    steps: Sequence[Mapping[str, Any]] = pipeline.get("steps") or []
    if not steps:
        raise InputError("pipeline has no steps")
    signers = {**{s["name"]: s.get("signer", s["name"]) for s in steps}, **(variant.get("signers") or {})}
    attestors = {s["name"]: s.get("attestors", list(simulate.DEFAULT_ATTESTORS)) for s in steps}
    attestors.update(variant.get("attestors") or {})
    sets: dict[str, Any] = variant.get("set") or {}
    tamper = variant.get("tamper")
    scenarios: dict[str, Scenario] = {}
    runs: dict[str, simulate.RunResult] = {}
    prev: Scenario | None = None
    for i, spec in enumerate(steps):
        name = spec["name"]
        if prev is None:
            sc = base_scenario(pipeline, name)
        else:
            handed = simulate.tamper_products(prev) if tamper == name else prev
            sc = simulate.next_step_scenario(
                handed, name, spec.get("kind", "package"), sbom=spec.get("sbom", "spdx")
            )
        if spec.get("set"):
            sc = apply_set(sc, spec["set"])
        if name in sets:
            sc = apply_set(sc, sets[name])
        if i == 0 and tamper == name:
            raise InputError(f"cannot tamper with the input of the first step {name!r}")
        scenarios[name] = sc
        runs[name] = simulate.run_step(
            name, sc, material.signer(signers[name]), attestors=attestors[name], export=spec.get("export", ())
        )
        prev = sc
    art_step = pipeline.get("artifact") or steps[0]["name"]
    art_sc = scenarios[art_step]
    products = art_sc.product_paths()
    if not products:
        raise InputError(f"step {art_step} produced no products to verify")
    path = products[0]
    subject = variant.get("subject") or sha256_hex(art_sc.files_after[path])
    omit = set(variant.get("omit") or ())
    cols = tuple(
        wverify.SourceCollection.load(r.dumps().encode(), f"{name}.attestation.json")
        for name, r in runs.items()
        if name not in omit
    )
    at = _parse_time(variant["at"]) if variant.get("at") else None
    return World(cols, (str(subject),), at, path, runs, scenarios)


@functools.lru_cache(maxsize=1024)
def _cached(key: str) -> World:
    spec = json.loads(key)
    material = material_for(spec["keys"], dict(spec["pki"]))  # issuing order kept
    return build_world(spec["pipeline"], material, spec["variant"])


def world_for(
    pipeline: Mapping[str, Any],
    keys: Mapping[str, Any],
    pki: Mapping[str, Any] | None,
    variant: Mapping[str, Any],
) -> World:
    """`build_world`, cached by the JSON of its inputs (worlds are reused across answers and samples)."""
    key = json.dumps(
        {
            "pipeline": pipeline,
            "keys": keys,
            "pki": [[k, v] for k, v in (pki or {}).items()],
            "variant": variant,
        },
        sort_keys=True,
    )
    return _cached(key)
