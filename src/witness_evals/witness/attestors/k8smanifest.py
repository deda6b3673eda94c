"""k8smanifest (v0.2): Kubernetes objects found in YAML products, cleaned of ephemeral fields."""

from __future__ import annotations

import random
from typing import Any

from witness_evals.common.jsonio import dumps_go
from witness_evals.witness.attestors.artifacts import k8s_objects
from witness_evals.witness.attestors.base import AttestorSpec, DigestSet, Products
from witness_evals.witness.attestors.gotypes import ANY, BOOL, INT, STR, STRMAP, STRS, F, ListT, MapT, S
from witness_evals.witness.attestors.scenario import Scenario
from witness_evals.witness.digests import sha256_hex

TYPE = "https://witness.dev/attestations/k8smanifest/v0.2"

RECORDED_IMAGE = S("k8smanifest.RecordedImage", F("reference", STR), F("digest", STRMAP))
RECORDED_OBJECT = S(
    "k8smanifest.RecordedObject",
    F("filepath", STR),
    F("kind", STR),
    F("name", STR),
    F("data", ANY),
    F("subjectkey", STR),
    F("recordedimages", ListT(RECORDED_IMAGE)),
)
NODE_INFO = S(
    "v1.NodeSystemInfo",
    *(
        F(k, STR)
        for k in (
            "machineID",
            "systemUUID",
            "bootID",
            "kernelVersion",
            "osImage",
            "containerRuntimeVersion",
            "kubeletVersion",
            "kubeProxyVersion",
            "operatingSystem",
            "architecture",
        )
    ),
    F("swap", S("v1.NodeSwapStatus", F("capacity", INT, True), pointer=True), True),
)
NODE = S("k8smanifest.RecordedNode", F("name", STR), F("labels", STRMAP), F("nodeInfo", NODE_INFO))
CLUSTER = S("k8smanifest.ClusterInfo", F("server", STR), F("nodes", MapT(NODE)))
SHAPE = S(
    "k8smanifest.Attestor",
    F("serversidedryrun", BOOL, True),
    F("recordclusterinfo", BOOL, True),
    F("kubeconfig", STR, True),
    F("kubecontext", STR, True),
    F("ignorefields", STRS, True),
    F("ignoreannotations", STRS, True),
    F("recordeddocs", ListT(RECORDED_OBJECT), True),
    F("clusterinfo", CLUSTER),
)


def object_digest(data: Any) -> DigestSet:
    """sha256 of the cleaned object as Go's json.Marshal writes a map (sorted keys, compact)."""
    import json

    return {"sha256": sha256_hex(dumps_go(json.loads(json.dumps(data, sort_keys=True))))}


def _images(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec", {}).get("template", {}).get("spec", {})
    out = []
    for c in spec.get("containers", []):
        ref = c.get("image", "")
        digest = {"sha256": ref.split("@sha256:", 1)[1]} if "@sha256:" in ref else {}
        out.append({"reference": ref, "digest": digest})
    return out


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    import yaml  # only the builder needs it: keep import light

    path = "manifests.yaml"
    raw = s.files_after.get(path)
    loader = getattr(
        yaml, "CSafeLoader", yaml.SafeLoader
    )  # libyaml's parser when present: same objects, 10x faster
    objs = [o for o in yaml.load_all(raw, Loader=loader) if isinstance(o, dict)] if raw else k8s_objects(s)
    docs = []
    seen: dict[str, int] = {}
    for obj in objs:
        kind = obj.get("kind") or "UnknownKind"
        name = (obj.get("metadata") or {}).get("name") or "unknown"
        base = f"k8smanifest:{path}:{kind}:{name}"
        seen[base] = seen.get(base, 0) + 1
        key = base if seen[base] == 1 else f"{base}#{seen[base]}"
        docs.append(
            {
                "filepath": path,
                "kind": kind,
                "name": name,
                "data": obj,
                "subjectkey": key,
                "recordedimages": _images(obj),
            }
        )
    pred: dict[str, Any] = {"recordclusterinfo": True}
    if rng.random() < 0.3:
        pred["serversidedryrun"] = True
    pred["kubeconfig"] = f"/home/{s.username}/.kube/config"
    pred["recordeddocs"] = docs
    nodes = {}
    for i in range(rng.randint(1, 3)):
        name = (
            f"ip-10-0-{rng.randint(0, 255)}-{rng.randint(1, 254)}.ec2.internal"
            if rng.random() < 0.5
            else f"gke-{s.org}-pool-{i}"
        )
        nodes[name] = {
            "name": name,
            "labels": {
                "kubernetes.io/arch": s.arch,
                "kubernetes.io/os": "linux",
                "kubernetes.io/hostname": name,
            },
            "nodeInfo": {
                "machineID": sha256_hex(name)[:32],
                "systemUUID": sha256_hex(name + "uuid")[:32],
                "bootID": sha256_hex(name + "boot")[:32],
                "kernelVersion": "6.1.0-1029-aws",
                "osImage": "Ubuntu 22.04.4 LTS",
                "containerRuntimeVersion": "containerd://1.7.13",
                "kubeletVersion": "v1.29.3",
                "kubeProxyVersion": "v1.29.3",
                "operatingSystem": "linux",
                "architecture": s.arch,
            },
        }
    pred["clusterinfo"] = {
        "server": f"https://{sha256_hex(s.token)[:32].upper()}.gr7.{s.region}.eks.amazonaws.com",
        "nodes": nodes,
    }
    return pred


def subjects(pred: dict[str, Any], _products: Products | None) -> dict[str, DigestSet]:
    return {d["subjectkey"]: object_digest(d["data"]) for d in pred["recordeddocs"] or [] if d}


SPEC = AttestorSpec(
    name="k8smanifest",
    type=TYPE,
    run_type="postproduct",
    selection="opt-in",
    builder=build,
    shape=SHAPE,
    subjecter=subjects,
)
