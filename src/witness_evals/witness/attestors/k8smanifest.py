"""k8smanifest (v0.2): Kubernetes objects found in YAML products, cleaned of ephemeral fields.

`recordclusterinfo` is the CLI option's default, true (k8s.go:165-168), so `clusterinfo.server` is the
kubeconfig cluster's server (k8s.go:502-526). `clusterinfo.nodes` (`json:"nodes"`, no omitempty,
k8s.go:83) is only filled from `Node` objects among the manifests (k8s.go:451-475), keyed by
`status.nodeInfo.machineID`; otherwise the map stays nil and is written as `null`.
"""

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


_NODE_INFO_KEYS = tuple(f.name for f in NODE_INFO.fields if f.name != "swap")


def _recorded_node(obj: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """k8s.go:671-681 recordNode: name, labels (nil -> null) and status.nodeInfo of a corev1.Node."""
    md = obj.get("metadata") or {}
    raw = (obj.get("status") or {}).get("nodeInfo") or {}
    info: dict[str, Any] = {k: str(raw.get(k) or "") for k in _NODE_INFO_KEYS}
    if isinstance(raw.get("swap"), dict):
        info["swap"] = raw["swap"]
    return info["machineID"], {"name": md.get("name") or "", "labels": md.get("labels"), "nodeInfo": info}


def _nodes(objs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """k8s.go:441-475: Node objects fill ClusterInfo.RecordedNodes[machineID]; nil (null) without one.

    A top-level Node loses `status` to the ephemeral-field removal before it is decoded (k8s.go:52-59,
    411-421), so its nodeInfo is empty and its key is ""; Nodes inside a v1 List keep theirs."""
    nodes: dict[str, Any] | None = None
    for obj in objs:
        if obj.get("kind") == "List" and obj.get("apiVersion") == "v1":
            found = [i for i in obj.get("items") or [] if isinstance(i, dict)]
        else:
            found = [{k: v for k, v in obj.items() if k != "status"}]
        for item in found:
            if item.get("kind") == "Node" and item.get("apiVersion") == "v1":
                key, node = _recorded_node(item)
                nodes = nodes if nodes is not None else {}
                nodes[key] = node
    return nodes


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
    pred["clusterinfo"] = {
        "server": f"https://{sha256_hex(s.token)[:32].upper()}.gr7.{s.region}.eks.amazonaws.com",
        "nodes": _nodes(objs),
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
