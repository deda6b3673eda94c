"""`witness run` simulator (REFERENCE.md §1.2, §5.4-5.7, traps 20-24)."""

from __future__ import annotations

import json
import random

import pytest
from verify_world import World, make_world

from witness_evals.common.errors import InputError
from witness_evals.witness import crypto, simulate
from witness_evals.witness.attestors.scenario import Scenario
from witness_evals.witness.collection import COLLECTION_TYPE
from witness_evals.witness.intoto import PAYLOAD_TYPE, STATEMENT_TYPE
from witness_evals.witness.verify import SourceCollection

ENV = "https://witness.dev/attestations/environment/v0.1"
GIT = "https://witness.dev/attestations/git/v0.1"
MAT = "https://witness.dev/attestations/material/v0.1"
CMD = "https://witness.dev/attestations/command-run/v0.1"
PROD = "https://witness.dev/attestations/product/v0.1"
SLSA = "https://slsa.dev/provenance/v1.0"


@pytest.fixture(scope="module")
def key() -> crypto.Signer:
    return crypto.Signer(crypto.generate_private_key("ed25519", seed=5))


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario.random(random.Random(3), step_kind="build", sbom_kind="none")


def test_same_seed_gives_byte_identical_output(world: World) -> None:
    again = make_world()
    assert again.pipe.envelopes["build"].dumps() == world.pipe.envelopes["build"].dumps()
    assert again.pipe.envelopes["package"].dumps() == world.pipe.envelopes["package"].dumps()
    other = simulate.pipeline(random.Random(8), world.build_key)
    assert other.envelopes["build"].dumps() != world.pipe.envelopes["build"].dumps()


def test_default_run_shape(key: crypto.Signer, scenario: Scenario) -> None:
    r = simulate.run_step("build", scenario, key)
    assert [a.type for a in r.collection.attestations] == [ENV, GIT, MAT, CMD, PROD]  # run-phase order
    env = json.loads(r.dumps())
    assert list(env) == ["payload", "payloadType", "signatures"]
    assert env["payloadType"] == PAYLOAD_TYPE and env["signatures"][0]["keyid"] == key.keyid
    stmt = json.loads(r.envelope.payload)
    assert stmt["_type"] == STATEMENT_TYPE and stmt["predicateType"] == COLLECTION_TYPE
    assert stmt["predicate"]["name"] == "build"
    assert all(
        s["name"].startswith(("https://witness.dev/attestations/", "https://spdx")) for s in stmt["subject"]
    )
    cmd = next(a.attestation for a in r.collection.attestations if a.type == CMD)
    assert cmd["cmd"] == list(scenario.command) and cmd["exitcode"] == 0
    starts = [a.starttime for a in r.collection.attestations]
    assert starts == sorted(starts)
    # products are exactly the files that are new or changed
    changed = {p for p, b in scenario.files_after.items() if scenario.files_before.get(p) != b}
    assert set(r.collection.products()) == changed and changed
    assert set(r.collection.materials()) == set(scenario.files_before)
    # it loads back like `witness verify -a` loads it
    loaded = SourceCollection.load(r.dumps().encode(), "build.json")
    assert loaded.types == {ENV, GIT, MAT, CMD, PROD}
    assert f"{PROD}/file:{sorted(changed)[0]}" in r.statement.subjects


def test_attestations_flag_replaces_defaults(key: crypto.Signer, scenario: Scenario) -> None:
    r = simulate.run_step("build", scenario, key, attestors=["environment"])
    assert GIT not in r.collection.types()
    r = simulate.run_step("build", scenario, key, attestors=["git,environment", "git", "command-run"])
    assert [a.type for a in r.collection.attestations] == [GIT, ENV, MAT, CMD, PROD]
    assert r.warnings == (
        "Attestor git already declared, skipping",
        "'command-run' is a builtin attestor and cannot be called with --attestations flag",
    )
    with pytest.raises(InputError, match="failed to create attestor: attestor not found: commandrun"):
        simulate.run_step("build", scenario, key, attestors=["commandrun"])
    with pytest.raises(InputError, match="step name is required"):
        simulate.run_step("", scenario, key)


def test_no_command_means_no_command_run_and_no_products(key: crypto.Signer, scenario: Scenario) -> None:
    r = simulate.run_step("build", scenario, key, command=None)
    assert CMD not in r.collection.types()
    assert r.collection.products() == {}


def test_hashes(key: crypto.Signer, scenario: Scenario) -> None:
    with pytest.raises(InputError, match="failed to parse hash: unsupported hash function: sha512"):
        simulate.run_step("build", scenario, key, hashes=["sha512"])
    r = simulate.run_step("build", scenario, key, hashes=["sha1"])
    assert all(set(ds) == {"sha1"} for ds in r.collection.products().values())
    r = simulate.run_step("build", scenario, key, hashes=["sha256", "gitoid:sha256"])
    assert all(set(ds) == {"sha256"} for ds in r.collection.products().values())


def test_exported_attestor_leaves_the_collection(key: crypto.Signer, scenario: Scenario) -> None:
    kept = simulate.run_step("build", scenario, key, attestors=["environment", "git", "slsa"])
    assert SLSA in kept.collection.types() and kept.exported_envelopes == {}
    r = simulate.run_step("build", scenario, key, attestors=["environment", "git", "slsa"], export=["slsa"])
    assert SLSA not in r.collection.types()
    stmt = json.loads(r.exported_envelopes["slsa"].payload)
    assert stmt["predicateType"] == SLSA
    assert all(s["name"].startswith("file:") for s in stmt["subject"])  # unprefixed
    assert "build_definition" in stmt["predicate"]
    assert set(r.files("build.json")) == {"build.json", "build.json-slsa.json"}


def test_policy_requiring_an_exported_or_unselected_attestor_fails(world: World, key: crypto.Signer) -> None:
    """Traps 20 and 22: the collection no longer has the type, so the step is never found."""
    scenario = world.pipe.scenarios["build"]
    run = simulate.run_step(
        "build", scenario, world.build_key, attestors=["environment", "git", "slsa"], export=["slsa"]
    )
    cols = [SourceCollection.load(run.dumps().encode(), "build.json"), world.collections()[1]]
    types = [a.type for a in world.pipe.steps["build"].collection.attestations] + [SLSA]
    res = world.verify(world.policy(attestation_types={"build": types}), collections=cols)
    assert not res.passed and "  caused by: no collections found for step build" in res.reasons


def test_step_without_git_is_not_linked(world: World) -> None:
    """Trap 24: package run without git has no backref link to build and is never found."""
    sc = world.pipe.scenarios["package"]
    run = simulate.run_step("package", sc, world.package_key, attestors=["environment"])
    cols = [world.collections()[0], SourceCollection.load(run.dumps().encode(), "package.json")]
    pol = world.policy(attestation_types={"package": [ENV, MAT, CMD, PROD]})
    res = world.verify(pol, collections=cols)
    assert not res.passed
    assert "  caused by: no collections found for step package" in res.reasons


def test_sha1_run_is_not_found_by_artifact_file(world: World) -> None:
    """Trap 23: `verify -f` hashes with sha256, a `--hashes sha1` run never matches."""
    sc = world.pipe.scenarios["build"]
    run = simulate.run_step("build", sc, world.build_key, hashes=["sha1"])
    cols = [SourceCollection.load(run.dumps().encode(), "build.json"), world.collections()[1]]
    assert not world.verify(collections=cols).passed


def test_pipeline_links_steps(world: World) -> None:
    build, package = world.pipe.steps["build"], world.pipe.steps["package"]
    assert build.collection.backrefs() == package.collection.backrefs()  # same commit
    arts = build.collection.artifacts()
    mats = package.collection.materials()
    assert (
        world.pipe.artifact_path in mats and mats[world.pipe.artifact_path] == arts[world.pipe.artifact_path]
    )
    assert world.pipe.artifact_digest == arts[world.pipe.artifact_path]["sha256"]
    tar = world.pipe.scenarios["package"].command
    assert tar[:2] == ("tar", "czf")


def test_attestor_values_are_split_like_pflag_without_trimming() -> None:
    """`-a "git, environment"`: pflag keeps the space, so witness looks up ' environment' and fails."""
    import re

    import pytest

    from witness_evals.common.errors import InputError
    from witness_evals.witness.simulate import select_attestors

    specs, _ = select_attestors(["git,environment"], command=False)
    assert [s.name for s in specs] == ["product", "material", "git", "environment"]
    with pytest.raises(InputError, match=r"attestor not found: +environment"):
        select_attestors(["git, environment"])
    with pytest.raises(InputError, match="attestor not found"):
        select_attestors(["git,,environment"])
    with pytest.raises(
        InputError, match=re.escape('invalid argument "\\"git" for "-a, --attestations" flag')
    ):
        select_attestors(['"git'])


def test_ci_attestors_fail_outside_their_ci_and_jwt_always_fails() -> None:
    """REFERENCE §1.2: the CLI never ignores attestor errors, so the run writes nothing."""
    import random

    import pytest

    from witness_evals.common.errors import InputError
    from witness_evals.witness import crypto
    from witness_evals.witness.attestors.scenario import Scenario
    from witness_evals.witness.simulate import run_step

    signer = crypto.Signer(crypto.generate_private_key("ed25519", seed=3))
    jenkins = Scenario.random(random.Random(1), ci="jenkins")
    with pytest.raises(InputError, match="attestor github failed: not in a github ci job"):
        run_step("build", jenkins, signer, attestors=["git", "github"])
    with pytest.raises(InputError, match='attestor jwt failed: invalid token: ""'):
        run_step("build", jenkins, signer, attestors=["jwt"])
    assert run_step("build", jenkins, signer, attestors=["jenkins"]).collection.name == "build"


def test_sbom_needs_an_sbom_product_and_pipelines_take_per_step_attestors() -> None:
    """REFERENCE §1.4: `-a sbom` on a step that writes no SPDX/CycloneDX file fails the run."""
    import random

    import pytest

    from witness_evals.common.errors import InputError
    from witness_evals.witness import crypto
    from witness_evals.witness.simulate import pipeline

    signer = crypto.Signer(crypto.generate_private_key("ed25519", seed=5))
    with pytest.raises(InputError, match="attestor sbom failed: no SBOM file found"):
        pipeline(random.Random(2), signer, attestors=["environment", "git", "sbom"], sbom_kind="spdx")
    per_step = {"build": ["environment", "git", "sbom"], "package": ["environment", "git"]}
    pipe = pipeline(random.Random(2), signer, attestors=per_step, sbom_kind="spdx")
    types = {s: {a.type for a in r.collection.attestations} for s, r in pipe.steps.items()}
    assert "https://spdx.dev/Document" in types["build"]
    assert not any("spdx" in t for t in types["package"])
