"""Every attestor builds schema-valid, wire-valid, deterministic predicates over many seeds."""

from __future__ import annotations

import hashlib
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from witness_evals.common.errors import InputError
from witness_evals.witness import attestors as A
from witness_evals.witness.attestors import schema
from witness_evals.witness.attestors.scenario import LANGUAGES

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
# link/slsa hold protobuf Structs whose `Kind` encoding/json cannot read back (see gotypes.PB_VALUE)
PROTOBUF_STRUCTS = ("link", "slsa")


def _has_struct_values(name: str, pred: dict) -> bool:
    if name == "link":
        return any((pred.get(k) or {}).get("fields") for k in ("environment", "byproducts"))
    bd = pred.get("build_definition", {})
    return any((bd.get(k) or {}).get("fields") for k in ("external_parameters", "internal_parameters"))


@pytest.mark.parametrize("name", list(A.ATTESTORS))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=SEEDS)
def test_builds_valid_predicates(name: str, seed: int) -> None:
    spec = A.ATTESTORS[name]
    scenario = A.Scenario.random(random.Random(seed))
    pred = spec.build(random.Random(seed), scenario)
    assert schema.errors(name, pred) == []
    if name in PROTOBUF_STRUCTS and _has_struct_values(name, pred):
        with pytest.raises(InputError, match=r"structpb\.isValue_Kind"):
            spec.check_wire(pred)
    else:
        spec.check_wire(pred)
    # views never fail on what the builder produced and are JSON
    json.dumps(spec.rego_input(pred))
    for name_, ds in spec.subjects(pred, products=scenario.products()).items():
        assert ":" in name_ and ds
    spec.backrefs(pred)
    # same seed -> byte-identical predicate
    again = spec.build(random.Random(seed), A.Scenario.random(random.Random(seed)))
    assert json.dumps(again, sort_keys=False) == json.dumps(pred, sort_keys=False)


@settings(max_examples=25, deadline=None)
@given(seed=SEEDS)
def test_scenario_is_consistent(seed: int) -> None:
    s = A.Scenario.random(random.Random(seed))
    assert len(s.commit) == 40 and all(c in "0123456789abcdef" for c in s.commit)
    assert s.command and s.product_paths(), "every step changes or creates files"
    mats = s.materials()
    assert any(p.startswith(".git/") for p in mats)
    for path, p in s.products().items():
        assert p["digest"] == {"sha256": hashlib.sha256(s.files_after[path]).hexdigest()}
    assert A.get("command-run").build(random.Random(seed), s)["exitcode"] == 0
    if s.ci == "github":
        assert s.pipeline_url == f"https://github.com/{s.org}/{s.project}/actions/runs/{s.ci_run_id}"
    assert A.Scenario.random(random.Random(seed)) == s


def test_overrides_and_diversity() -> None:
    scen = [A.Scenario.random(random.Random(i)) for i in range(60)]
    assert {s.language for s in scen} == set(LANGUAGES)
    assert len({s.ci for s in scen}) == 5 and len({s.step_kind for s in scen}) >= 6
    s = A.Scenario.random(random.Random(1), ci="gitlab", sbom_kind="cyclonedx", language="rust")
    assert (s.ci, s.sbom_kind, s.language) == ("gitlab", "cyclonedx", "rust")
    assert "/-/pipelines/" in s.pipeline_url
    assert s.sbom_path() == "sbom.cdx.json"


@pytest.mark.parametrize(
    "kind,type_", [("spdx", "https://spdx.dev/Document"), ("cyclonedx", "https://cyclonedx.org/bom")]
)
def test_sbom_type_switch(kind: str, type_: str) -> None:
    s = A.Scenario.random(random.Random(7), step_kind="sbom", sbom_kind=kind)
    spec = A.get("sbom")
    pred = spec.build(random.Random(7), s)
    assert spec.predicate_type(pred) == type_
    assert A.get(spec.predicate_type(pred)) is spec
    prods = s.products()
    path = s.sbom_path()
    assert path is not None and prods[path]["mime_type"] == (
        "application/spdx+json" if kind == "spdx" else "application/vnd.cyclonedx+json"
    )
    # the embedded document is exactly the product file
    assert json.loads(s.files_after[path]) == pred
    subj = spec.subjects(pred, products=prods)
    assert subj[f"file:{path}"] == prods[path]["digest"]
    assert subj[f"name:{s.project}"]["sha256"] == hashlib.sha256(s.project.encode()).hexdigest()


def test_omnitrail_has_the_shape_omnitrail_go_writes() -> None:
    """fkautz/omnitrail-go: features keyed by plugin, bare-hex gitoids, directories with gitoids only, a
    `posix` object on every entry (test/two-files.json). The model had features keyed by algorithm and
    `gitoid:blob:` prefixes (found by an audit of a hand-written task's inputs)."""
    pred = A.ATTESTORS["omnitrail"].build(random.Random(1), A.Scenario.random(random.Random(1)))
    env = pred["Envelope"]
    assert set(env["header"]["features"]) == {"file", "directory", "posix"}
    assert env["header"]["features"]["posix"] == {}
    kinds = {e["type"] for e in env["mapping"].values()}
    assert kinds == {"file", "directory"}
    for entry in env["mapping"].values():
        assert {"permissions", "owner_uid", "owner_gid"} <= set(entry["posix"])
        assert len(entry["gitoid:sha1"]) == 40 and len(entry["gitoid:sha256"]) == 64
        int(entry["gitoid:sha256"], 16)
        assert ("sha256" in entry) == (entry["type"] == "file")


def test_traced_environ_is_masked_like_the_environment_attestor() -> None:
    """go-witness tracing_linux.go passes /proc/<pid>/environ through the environment capturer."""
    masked = 0
    for seed in range(40):
        scenario = A.Scenario.random(random.Random(seed))
        scenario.env["CI_JOB_TOKEN"] = "db4419347c43b8005ea5"
        scenario.env["AAA_TOKEN"] = "db4419347c43b8005ea5"  # sorts first: always among the five shown
        pred = A.ATTESTORS["command-run"].build(random.Random(seed), scenario)
        for proc in pred.get("processes") or []:
            assert "db4419347c43b8005ea5" not in proc["environ"]
            masked += "AAA_TOKEN=******" in proc["environ"]
    assert masked > 0


def test_annotated_tags_are_in_tags_not_in_refs() -> None:
    """go-witness git.go keeps a ref only if it points at HEAD; an annotated tag's ref points at the tag
    object, so the tag shows under `tags` only (a hand task's inputs had both, which let an answer that
    matched `refs` pass although it would deny every real release)."""
    tagged = 0
    for seed in range(60):
        scenario = A.Scenario.random(random.Random(seed))
        pred = A.ATTESTORS["git"].build(random.Random(seed), scenario)
        assert not any(r.startswith("refs/tags/") for r in pred["refs"])
        tagged += bool(pred.get("tags"))
    assert tagged > 0


def test_system_packages_as_go_witness_lists_them() -> None:
    """RPM distributions list `%{VERSION}` without the release (rpm.go), every other distribution goes to
    dpkg (so no Alpine predicate: it has no dpkg), and `digest` is the SHA-256 of the predicate as Go
    marshals it with an empty digest (system-packages.go `Attest`). Before: RHEL versions such as
    `5.1.8-9.el9`, Alpine predicates, and a digest of a `name version` listing."""
    spec = A.ATTESTORS["system-packages"]
    seen = set()
    for seed in range(60):
        pred = spec.build(random.Random(seed), A.Scenario.random(random.Random(seed)))
        seen.add(pred["distribution"])
        assert pred["distribution"] != "alpine"
        if pred["distribution"] == "rhel":
            assert all("-" not in p["version"] for p in pred["packages"]), pred["packages"]
        body = {**pred, "digest": {}}
        marshalled = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        assert pred["digest"] == {"sha256": hashlib.sha256(marshalled).hexdigest()}
    assert {"rhel", "debian", "ubuntu"} <= seen
