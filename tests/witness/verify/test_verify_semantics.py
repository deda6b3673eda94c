"""Policy.Verify semantics (REFERENCE.md §4.3-4.8); release differences are in test_verify_versions.py."""

from __future__ import annotations

from typing import Any

import pytest
from verify_world import World, as_source, resign

from witness_evals.common.errors import InputError
from witness_evals.witness import simulate
from witness_evals.witness.collection import COLLECTION_TYPE
from witness_evals.witness.rego import RegoSandbox
from witness_evals.witness.verify import TRUSTED_REGO, MemorySource, SourceCollection
from witness_evals.witness.versions import NAMES

CMD = "https://witness.dev/attestations/command-run/v0.1"
GIT = "https://witness.dev/attestations/git/v0.1"


@pytest.fixture(scope="module")
def sandbox() -> Any:
    with RegoSandbox() as sb:
        yield sb


def test_pass_finds_package_only_through_the_git_backref(world: World) -> None:
    res = world.verify()
    assert res.passed, res.reasons
    assert res.log[:3] == ["Verification succeeded", "Evidence:", "Step: build"]
    assert res.steps["package"].passed[0].keyids == (world.package_key.keyid,)
    # the package collection has no subject with the artifact digest: it is found via build's backref
    package = world.collections()[1]
    assert world.pipe.artifact_digest not in package.digest_values
    # backrefs of a passed step count from the next search: with package listed first and a
    # search depth of 1, package is searched before build's backref is known
    pol = world.policy()
    pol["steps"] = {"package": pol["steps"]["package"], "build": pol["steps"]["build"]}
    assert world.verify(pol, search_depth=2).passed
    shallow = world.verify(pol, search_depth=1)
    assert not shallow.passed
    assert (
        "verification failure: Reason: predicate type  is not a collection predicate type" in shallow.reasons
    )
    assert "  caused by: no collections found for step package" in shallow.reasons


def test_v011_appends_duplicates_v012_deduplicates(world: World) -> None:
    old = world.verify(version="0.11")
    new = world.verify(version="0.12")
    assert old.passed and new.passed
    assert len(old.steps["build"].passed) == 3  # found again at every depth
    assert len(new.steps["build"].passed) == 1


def test_subject_digest_values_match_regardless_of_algorithm_key(world: World) -> None:
    res = world.verify(subjects=["0" * 64, world.pipe.artifact_digest])
    assert res.passed
    assert not world.verify(subjects=["0" * 64]).passed


def test_collection_name_must_equal_step_name(world: World) -> None:
    env = world.pipe.steps["build"].envelope
    renamed = resign(env, world.build_key, lambda s: s["predicate"].update(name="compile"))
    res = world.verify(collections=[as_source(renamed, "b.json"), world.collections()[1]])
    assert not res.passed  # searched by step name: never found
    assert any("no collections found for step build" in r for r in res.reasons)


@pytest.mark.parametrize("version", NAMES)
def test_non_collection_predicate_type_is_rejected(world: World, version: str) -> None:
    env = world.pipe.steps["build"].envelope
    other = resign(env, world.build_key, lambda s: s.update(predicateType="https://example.com/other/v1"))
    cols = [as_source(other, "b.json"), world.collections()[1]]
    # every release records the rejection but the signed collection also passes (it is in both
    # lists): go-witness v0.12.0 policy/policy.go:410-412 still does not skip it
    res = world.verify(collections=cols, version=version)
    assert res.passed
    assert res.steps["build"].rejected[0].reason == (
        "predicate type https://example.com/other/v1 is not a collection predicate type"
    )
    assert COLLECTION_TYPE.startswith("https://witness.testifysec.com/")


def test_memory_source_rejects_duplicate_reference(world: World) -> None:
    cols = world.collections()
    with pytest.raises(InputError, match="references may only appear once in a memory source: build"):
        MemorySource([cols[0], cols[0]])


def test_rego_parse_error_and_invalid_deny_data_reject(world: World) -> None:
    bad_syntax = simulate.rego_module("v1", 'package x\n\ndeny contains msg if {\n\tmsg := "no"\n}\n')
    pol = world.policy(rego={"build": {CMD: [bad_syntax]}})
    res = world.verify(pol, rego=TRUSTED_REGO)
    assert not res.passed and any("collection validation failed" in r for r in res.reasons)
    string_deny = simulate.rego_module("s", 'package x\n\ndeny := "nope"\n')
    res = world.verify(world.policy(rego={"build": {CMD: [string_deny]}}), rego=TRUSTED_REGO)
    assert any(
        "invalid data from rego at data.x.deny, expected []interface{} but got string" in r
        for r in res.reasons
    )


def test_rego_opens_its_own_sandbox_when_none_given(world: World) -> None:
    allow = simulate.rego_module(
        "ok", 'package git.ok\n\ndeny[msg] {\n\tinput.commithash == ""\n\tmsg := "x"\n}\n'
    )
    assert world.verify(world.policy(rego={"build": {GIT: [allow]}})).passed


def test_policy_payload_that_is_not_a_policy(world: World) -> None:
    from witness_evals.witness.dsse import sign_envelope
    from witness_evals.witness.policy import POLICY_PAYLOAD_TYPE

    env = sign_envelope(b"[1, 2]", POLICY_PAYLOAD_TYPE, [world.policy_key])
    res = world.verify(env)
    assert not res.passed
    assert res.reasons[0].startswith("failed to unmarshal policy from envelope: ")


def test_missing_subjects_is_an_invalid_option(world: World) -> None:
    res = world.verify(subjects=[])
    assert res.reasons == [
        "failed to verify policy: invalid option (subject digests): at least one subject digest is required"
    ]


def test_version_is_checked(world: World) -> None:
    with pytest.raises(InputError, match=r"unknown witness version '0.9' \(choose one of 0.10, 0.11, 0.12\)"):
        world.verify(version="0.9")


def test_source_collection_indexes(world: World) -> None:
    col: SourceCollection = world.collections()[0]
    assert col.name == "build"
    assert GIT in col.types
    assert world.pipe.scenario.commit in col.backref_values
