"""Subject and BackRef naming per REFERENCE.md §1.3 / §5.5."""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

from witness_evals.witness import attestors as A


def sha(text: str | bytes) -> dict[str, str]:
    data = text.encode() if isinstance(text, str) else text
    return {"sha256": hashlib.sha256(data).hexdigest()}


def test_real_collection_subjects_are_reproduced(spdx_statement: dict[str, Any]) -> None:
    """Recomputing Subjects() of witness:test/spdx-att.json gives exactly its statement subjects."""
    entries = spdx_statement["predicate"]["attestations"]
    products = next(e["attestation"] for e in entries if e["type"] == A.get("product").type)
    got: dict[str, dict[str, str]] = {}
    for e in entries:
        spec = A.get(e["type"])
        assert spec.predicate_type(e["attestation"]) == e["type"]
        for name, ds in spec.subjects(e["attestation"], products=products).items():
            got[f"{e['type']}/{name}"] = ds
    expected = {s["name"]: s["digest"] for s in spdx_statement["subject"]}
    assert got == expected
    assert expected["https://spdx.dev/Document/name:alpine"] == sha("alpine")


def test_git_commithash_is_sha1_of_the_commit_itself() -> None:
    s = A.Scenario.random(random.Random(11))
    spec = A.get("git")
    pred = spec.build(random.Random(11), s)
    subj = spec.subjects(pred)
    assert subj[f"commithash:{s.commit}"] == {"sha1": s.commit}
    assert subj[f"authoremail:{s.author_email}"] == sha(s.author_email)
    for parent in s.parents:
        assert subj[f"parenthash:{parent}"] == sha(parent)
    assert subj[f"refnameshort:{s.branch}"] == sha(s.branch)
    assert spec.backrefs(pred) == {f"commithash:{s.commit}": {"sha1": s.commit}}


def test_product_subjects_digest_the_real_bytes() -> None:
    s = A.Scenario.random(random.Random(5), step_kind="build", language="go")
    spec = A.get("product")
    pred = spec.build(random.Random(5), s)
    subj = spec.subjects(pred)
    binary = f"bin/{s.project}"
    assert subj[f"file:{binary}"] == sha(s.files_after[binary])
    assert pred[binary]["mime_type"] == "application/x-executable"
    assert A.products(pred)[binary] == sha(s.files_after[binary])
    assert A.materials(A.get("material").build(random.Random(5), s))["go.mod"] == sha(
        s.files_before["go.mod"]
    )
    # dirhash-collapsed directory products are named dir:
    assert spec.subjects({"vendor/": {"mime_type": "text/directory", "digest": {"dirHash": "ab" * 32}}}) == {
        "dir:vendor/": {"dirHash": "ab" * 32}
    }


def test_docker_subjects() -> None:
    s = A.Scenario.random(random.Random(3), step_kind="image")
    spec = A.get("docker")
    pred = spec.build(random.Random(3), s)
    subj = spec.subjects(pred)
    assert subj[f"imagedigest:{s.image_digest}"] == {"sha256": s.image_digest}
    assert subj[f"imagereference:{s.image}"] == sha(s.image)
    mats = [m for p in pred["products"].values() for ms in p["materials"].values() for m in ms]
    for m in mats:
        assert subj[f"materialdigest:{m['digest']['sha256']}"] == m["digest"]
        assert subj[f"materialuri:{m['uri']}"] == sha(m["uri"])


def test_oci_maven_k8s_ci_subjects() -> None:
    s = A.Scenario.random(random.Random(9), language="java", step_kind="deploy", ci="gitlab")
    oci = A.get("oci").build(random.Random(9), s)
    subj = A.get("oci").subjects(oci)
    assert subj[f"manifestdigest:{oci['manifestdigest']['sha256']}"] == oci["manifestdigest"]
    assert subj[f"imagetag:{s.image}"] == sha(s.image)
    assert "layerdiffid00:" + oci["diffids"][0]["sha256"] in subj

    maven = A.get("maven").build(random.Random(9), s)
    msubj = A.get("maven").subjects(maven)
    project = f"project:com.{s.org.replace('-', '')}/{s.project}@{s.version}"
    assert msubj[project] == sha(project)
    assert any(k.startswith("dependency:org.") for k in msubj)

    k8s = A.get("k8smanifest").build(random.Random(9), s)
    ksubj = A.get("k8smanifest").subjects(k8s)
    assert f"k8smanifest:manifests.yaml:Deployment:{s.project}" in ksubj
    dep = next(d for d in k8s["recordeddocs"] if d["kind"] == "Deployment")
    canon = json.dumps(dep["data"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert ksubj[dep["subjectkey"]] == sha(canon)

    gl = A.get("gitlab").build(random.Random(9), s)
    assert set(A.get("gitlab").subjects(gl)) == {
        f"pipelineurl:{gl['pipelineurl']}",
        f"joburl:{gl['joburl']}",
        f"projecturl:{gl['projecturl']}",
    }
    assert A.get("gitlab").backrefs(gl) == {f"pipelineurl:{gl['pipelineurl']}": sha(gl["pipelineurl"])}


def test_exporters_take_file_subjects_from_products() -> None:
    s = A.Scenario.random(random.Random(21), step_kind="build")
    prods = s.products()
    for name in ("link", "slsa"):
        spec = A.get(name)
        pred = spec.build(random.Random(21), s)
        assert spec.subjects(pred, products=prods) == {f"file:{p}": v["digest"] for p, v in prods.items()}
        assert spec.subjects(pred) == {}
    ss = A.get("secretscan")
    assert set(ss.subjects(ss.build(random.Random(21), s), products=prods)) == {f"product:{p}" for p in prods}


def test_codebuild_subjects_only_non_empty() -> None:
    spec = A.get("aws-codebuild")
    pred = {"build_info": {"build_id": "api:1234", "project_name": ""}}
    assert spec.subjects(pred) == {"codebuild-build-id:api:1234": sha("api:1234")}
    assert spec.backrefs(pred) == spec.subjects(pred)


def test_attestors_without_subjects() -> None:
    s = A.Scenario.random(random.Random(2))
    for name in (
        "command-run",
        "environment",
        "jwt",
        "material",
        "omnitrail",
        "sarif",
        "system-packages",
        "vex",
    ):
        spec = A.get(name)
        assert not spec.is_subjecter
        assert spec.subjects(spec.build(random.Random(2), s)) == {}
