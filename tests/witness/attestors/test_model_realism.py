"""The aws and k8smanifest models record what go-witness v0.12.0 records (citations at that tag).

aws-iid.go `Verify` records the PKIX PEM of the RSA key in the region certificate built into
aws-certs.go and verifies a PKCS#1 v1.5 signature with it; k8s.go fills `clusterinfo.nodes` only from
`Node` manifests. The models used to emit an EC P-256 key, 256-byte signatures and 1-3 invented nodes.
"""

from __future__ import annotations

import base64
import random
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

from witness_evals.witness import attestors as A
from witness_evals.witness.attestors import aws, k8smanifest
from witness_evals.witness.attestors.scenario import _REGIONS

MIRROR = Path("/work/.mirror/in-toto+go-witness/repo")
SEEDS = range(40)

# us-east-1's key (aws-certs.go:33-51), shared by every scenario region.
US_EAST_1_KEY = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCHvRjf/0kStpJ248khtIaN8qkD\n"
    "N3tkw4VjvA9nvPl2anJO+eIBUqPfQG09kZlwpWpmyO8bGB2RWqWxCwuB/dcnIob6\n"
    "w420k9WY5C0IIGtDRNauN3kuvGXkw3HEnF0EjYr0pcyWUvByWY4KswZV42X7Y7XS\n"
    "S13hOIcL6NLA+H94/QIDAQAB\n"
    "-----END PUBLIC KEY-----\n"
)


def _aws_certs() -> dict[str, str]:
    """region -> certificate PEM of go-witness v0.12.0 attestation/aws-iid/aws-certs.go."""
    if not (MIRROR / "HEAD").exists():
        pytest.skip("go-witness mirror not present")
    src = subprocess.run(
        ["git", "-C", str(MIRROR), "show", "v0.12.0:attestation/aws-iid/aws-certs.go"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pat = r'"([a-z0-9-]+)": `(-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----)`'
    return dict(re.findall(pat, src, re.S))


def test_region_keys_are_the_go_witness_certificate_keys() -> None:
    # aws-iid.go:198-207: x509.MarshalPKIXPublicKey + pem.EncodeToMemory of the certificate's key;
    # aws-iid.go:272-276 refuses anything but RSA.
    certs = _aws_certs()
    assert set(aws.REGION_KEYS) == set(certs)
    for region, pem in certs.items():
        cert = x509.load_pem_x509_certificate(pem.encode())
        assert isinstance(cert.public_key(), rsa.RSAPublicKey)
        want = cert.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
        assert aws.region_public_key(region) == want, region


@pytest.mark.parametrize("seed", SEEDS)
def test_aws_records_the_region_rsa_key_and_a_128_byte_signature(seed: int) -> None:
    s = A.Scenario.random(random.Random(seed))
    pred = A.ATTESTORS["aws"].build(random.Random(seed), s)
    assert pred["publickey"] == US_EAST_1_KEY == aws.region_public_key(s.region)
    key = load_pem_public_key(pred["publickey"].encode())
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 1024
    assert len(base64.b64decode(pred["rawsig"], validate=True)) == 128  # rsa.VerifyPKCS1v15, 1024-bit
    again = A.ATTESTORS["aws"].build(random.Random(seed), A.Scenario.random(random.Random(seed)))
    assert again == pred


def test_every_scenario_region_has_a_certificate() -> None:
    # aws-certs.go:19-26: a region without a built-in certificate fails the attestor.
    assert set(_REGIONS) <= set(aws.REGION_KEYS)


def test_aws_refuses_a_region_without_a_certificate() -> None:
    s = A.Scenario.random(random.Random(1)).with_(region="xx-nowhere-1")
    with pytest.raises(ValueError, match="no certificate"):
        A.ATTESTORS["aws"].build(random.Random(1), s)


@pytest.mark.parametrize("seed", SEEDS)
def test_k8smanifest_records_no_nodes_without_node_manifests(seed: int) -> None:
    # k8s.go:83 `json:"nodes"` (no omitempty) stays a nil map -> null; recordclusterinfo defaults to
    # true (k8s.go:165-168) and the server comes from the kubeconfig (k8s.go:520-521).
    s = A.Scenario.random(random.Random(seed))
    pred = A.ATTESTORS["k8smanifest"].build(random.Random(seed), s)
    assert not any(d["kind"] == "Node" for d in pred["recordeddocs"])
    assert pred["recordclusterinfo"] is True
    assert pred["clusterinfo"]["server"].startswith("https://")
    assert pred["clusterinfo"]["nodes"] is None
    assert A.ATTESTORS["k8smanifest"].shape.marshal(pred)["clusterinfo"]["nodes"] is None


def _node(name: str, machine_id: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/os": "linux"}},
        "status": {"nodeInfo": {"machineID": machine_id, "kubeletVersion": "v1.29.3"}},
    }


def test_k8smanifest_records_node_manifests_keyed_by_machine_id() -> None:
    # k8s.go:451-475 key RecordedNodes by NodeInfo.MachineID. A top-level Node is decoded after
    # `status` is stripped (k8s.go:52-59, 411-421): empty nodeInfo, key ""; List items keep theirs.
    listed = {"apiVersion": "v1", "kind": "List", "items": [_node("n1", "m1"), _node("n2", "m2")]}
    manifests = yaml.safe_dump_all([_node("top", "m0"), listed]).encode()
    s = A.Scenario.random(random.Random(3))
    s = s.with_(files_after={**s.files_after, "manifests.yaml": manifests})
    nodes = k8smanifest.build(random.Random(3), s)["clusterinfo"]["nodes"]
    assert sorted(nodes) == ["", "m1", "m2"]
    assert nodes["m1"]["name"] == "n1" and nodes["m1"]["labels"] == {"kubernetes.io/os": "linux"}
    assert nodes["m2"]["nodeInfo"]["kubeletVersion"] == "v1.29.3"
    assert nodes[""]["name"] == "top" and set(nodes[""]["nodeInfo"].values()) == {""}


def test_a_clean_secret_scan_is_null() -> None:
    """go-witness never initialises `Findings` and only appends to it (scanner.go:260, 393; no `omitempty`
    in types.go:74), so a scan that finds nothing marshals as `"findings": null`, never `[]`."""
    spec = A.get("secretscan")
    seen: dict[str, int] = {"null": 0, "list": 0}
    for seed in SEEDS:
        s = A.Scenario.random(random.Random(seed), step_kind="build")
        pred = spec.build(random.Random(seed), s)
        assert pred["findings"] is None or pred["findings"], pred
        seen["null" if pred["findings"] is None else "list"] += 1
        assert spec.shape.marshal(pred) == pred  # the wire form keeps null
    assert seen["null"] and seen["list"], seen
