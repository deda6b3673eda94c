"""gcp-iit: GCE instance identity token and metadata (go-witness attestation/gcp-iit)."""

from __future__ import annotations

import random
from typing import Any

from witness_evals.witness.attestors import jwt
from witness_evals.witness.attestors.base import AttestorSpec, DigestSet, Products, sha256_of
from witness_evals.witness.attestors.gotypes import STR, STRS, F, S
from witness_evals.witness.attestors.scenario import Scenario, hex_id

TYPE = "https://witness.dev/attestations/gcp-iit/v0.1"

SHAPE = S(
    "gcp_iit.Attestor",
    F("jwt", S("jwt.Attestor", *jwt.SHAPE.fields, pointer=True)),
    *(
        F(k, STR)
        for k in (
            "project_id",
            "project_number",
            "zone",
            "instance_id",
            "instance_hostname",
            "instance_creation_timestamp",
            "instance_confidentiality",
        )
    ),
    F("licence_id", STRS),
    *(F(k, STR) for k in ("cluster_name", "cluster_uid", "cluster_location")),
)


def project_fields(email: str) -> tuple[str, str]:
    """`project_id`, `project_number` as go-witness `parseJWTProjectInfo` derives them from the email.

    It takes the first label of the email's domain, splits it at `-`, and returns the last piece as
    the "project id" and the rest as the "project number" (so neither holds the real value).
    """
    if email.count("@") != 1:
        return "", ""
    parts = email.split("@")[1].split(".")[0].split("-")
    return parts[-1], "-".join(parts[:-1])


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    """The one shape go-witness (v0.9.1 to v0.12.0 alike) can write: the workload-identity path.

    `Attest` asks for a `format=full` token; when it has a `google` claim, go-witness reads
    `project_id`, `zone`, ... directly under it, but Google nests them under
    `google.compute_engine` (some as numbers), so the type assertions panic. An attestation is
    written only when the token has no `google` claim: `zone` (`projects/<number>/zones/<zone>`),
    `instance_id`, `instance_hostname` and the `cluster_*` attributes come from the metadata server,
    `project_id`/`project_number` are parsed from the token's `email` (`project_fields`), and the
    creation time, confidentiality and licence fields stay empty (`licence_id` is `null`).
    """
    project_id = f"{s.org}-{rng.choice(('prod', 'ci', 'build'))}-{rng.randint(100, 999)}"
    project_number = str(rng.randint(10**11, 10**12 - 1))
    zone = rng.choice(("us-central1-a", "europe-west1-b", "us-east4-c", "asia-northeast1-a"))
    instance_id = str(rng.randint(10**18, 10**19 - 1))
    name = f"ci-runner-{rng.randint(1, 99)}"
    rng.randint(3600, 10**7)  # (the instance's creation time: not recorded on this path)
    gke = rng.random() < 0.4
    iat = int(s.start_time.timestamp()) - 10
    email = f"witness-ci@{project_id}.iam.gserviceaccount.com"
    claims = {
        "aud": "witness-node-attestor",
        "azp": str(rng.randint(10**20, 10**21 - 1)),
        "email": email,
        "email_verified": True,
        "exp": iat + 3600,
        "iat": iat,
        "iss": "https://accounts.google.com",
        "sub": str(rng.randint(10**20, 10**21 - 1)),
    }
    token = jwt.make(claims, "https://www.googleapis.com/oauth2/v3/certs", rng)
    parsed_id, parsed_number = project_fields(email)
    rng.randint(10**18, 10**19 - 1)  # (a licence id: not recorded on this path)
    return {
        "jwt": token,
        "project_id": parsed_id,
        "project_number": parsed_number,
        "zone": f"projects/{project_number}/zones/{zone}",
        "instance_id": instance_id,
        "instance_hostname": f"{name}.{zone}.c.{project_id}.internal",
        "instance_creation_timestamp": "",
        "instance_confidentiality": "",
        "licence_id": None,
        "cluster_name": f"{s.org}-ci" if gke else "",
        "cluster_uid": hex_id(rng, 32) if gke else "",
        "cluster_location": zone[:-2] if gke else "",
    }


def subjects(pred: dict[str, Any], _products: Products | None) -> dict[str, DigestSet]:
    """Computed at attestation time from the fields (cluster uid even when empty, as go-witness does)."""
    pairs = (
        ("instanceid", "instance_id"),
        ("instancename", "instance_hostname"),
        ("projectid", "project_id"),
        ("projectnumber", "project_number"),
        ("clusteruid", "cluster_uid"),
    )
    return {f"{prefix}:{pred[key]}": sha256_of(pred[key]) for prefix, key in pairs}


SPEC = AttestorSpec(
    name="gcp-iit",
    type=TYPE,
    run_type="prematerial",
    selection="opt-in",
    builder=build,
    shape=SHAPE,
    subjecter=subjects,
)
