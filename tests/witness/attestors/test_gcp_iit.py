"""gcp-iit: the predicate has the one shape go-witness can write (its workload-identity path)."""

from __future__ import annotations

import random

import pytest

from witness_evals.witness.attestors import gcp_iit
from witness_evals.witness.attestors.scenario import Scenario


@pytest.mark.parametrize("seed", range(20))
def test_predicate_is_the_workload_identity_path(seed: int) -> None:
    pred = gcp_iit.build(random.Random(seed), Scenario.random(random.Random(seed + 1000)))
    claims = pred["jwt"]["claims"]
    # a `google` claim makes go-witness's type assertions panic: no attestation is ever written with one
    assert "google" not in claims
    # project fields are parsed from the email as parseJWTProjectInfo does: last `-` piece, then the rest
    label = claims["email"].split("@")[1].split(".")[0]
    assert pred["project_id"] == label.rsplit("-", 1)[1]
    assert pred["project_number"] == label.rsplit("-", 1)[0]
    assert pred["zone"].startswith("projects/") and "/zones/" in pred["zone"]
    assert pred["instance_hostname"].endswith(".internal")
    assert (pred["instance_creation_timestamp"], pred["instance_confidentiality"], pred["licence_id"]) == (
        "",
        "",
        None,
    )


def test_project_fields_quirk() -> None:
    assert gcp_iit.project_fields("ci@acme-prod-123.iam.gserviceaccount.com") == ("123", "acme-prod")
    assert gcp_iit.project_fields("1234-compute@developer.gserviceaccount.com") == ("developer", "")
    assert gcp_iit.project_fields("no-at-sign") == ("", "")
