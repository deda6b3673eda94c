"""aws (aws-iid): EC2 instance identity document (go-witness attestation/aws-iid).

IMDS returns `null` for the product-code lists of most instances, which go-witness re-marshals as
`null`; the published schema types them as arrays, so we emit arrays (empty or with codes).
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

from witness_evals.witness.attestors.base import AttestorSpec, DigestSet, Products, sha256_of
from witness_evals.witness.attestors.gotypes import STR, STRS, TIME, F, S
from witness_evals.witness.attestors.scenario import Scenario, hex_id

TYPE = "https://witness.dev/attestations/aws/v0.1"

SHAPE = S(
    "aws_iid.Attestor",
    F("devpayProductCodes", STRS),
    F("marketplaceProductCodes", STRS),
    F("availabilityZone", STR),
    F("privateIp", STR),
    F("version", STR),
    F("region", STR),
    F("instanceId", STR),
    F("billingProducts", STRS),
    F("instanceType", STR),
    F("accountId", STR),
    F("pendingTime", TIME),
    F("imageId", STR),
    F("kernelId", STR),
    F("ramdiskId", STR),
    F("architecture", STR),
    F("rawiid", STR),
    F("rawsig", STR),
    F("publickey", STR),
)


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    pending = s.start_time.replace(microsecond=0) - __import__("datetime").timedelta(
        hours=rng.randint(1, 2000)
    )
    doc: dict[str, Any] = {
        "accountId": str(rng.randint(10**11, 10**12 - 1)),
        "architecture": "x86_64" if s.arch == "amd64" else "arm64",
        "availabilityZone": s.region + rng.choice("abc"),
        "billingProducts": ["bp-6fa54006"] if rng.random() < 0.1 else [],
        "devpayProductCodes": [],
        "marketplaceProductCodes": [f"{hex_id(rng, 25)}"] if rng.random() < 0.1 else [],
        "imageId": f"ami-{hex_id(rng, 17)}",
        "instanceId": f"i-{hex_id(rng, 17)}",
        "instanceType": rng.choice(("c6i.2xlarge", "m5.large", "t3.medium", "c7g.xlarge", "m6a.4xlarge")),
        "kernelId": "",
        "pendingTime": pending.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "privateIp": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "ramdiskId": "",
        "region": s.region,
        "version": "2017-09-30",
    }
    raw = json.dumps(doc, indent=2)
    from cryptography.hazmat.primitives.asymmetric import ec  # only the builder needs it: keep import light
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = ec.derive_private_key(rng.getrandbits(128) + 1, ec.SECP256R1())
    pub = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    pred = {
        k: doc[k]
        for k in (
            "devpayProductCodes",
            "marketplaceProductCodes",
            "availabilityZone",
            "privateIp",
            "version",
            "region",
            "instanceId",
            "billingProducts",
            "instanceType",
            "accountId",
            "pendingTime",
            "imageId",
            "kernelId",
            "ramdiskId",
            "architecture",
        )
    }
    pred["rawiid"] = raw
    pred["rawsig"] = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(256))).decode()
    pred["publickey"] = pub
    return pred


def subjects(pred: dict[str, Any], _products: Products | None) -> dict[str, DigestSet]:
    out: dict[str, DigestSet] = {}
    for prefix, key in (
        ("instanceid", "instanceId"),
        ("accountid", "accountId"),
        ("imageid", "imageId"),
        ("privateip", "privateIp"),
    ):
        out[f"{prefix}:{pred[key]}"] = sha256_of(pred[key])
    return out


SPEC = AttestorSpec(
    name="aws",
    type=TYPE,
    run_type="prematerial",
    selection="opt-in",
    builder=build,
    shape=SHAPE,
    subjecter=subjects,
)
