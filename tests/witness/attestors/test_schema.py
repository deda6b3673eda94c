"""Schema validation of wire-format predicates, including the real spdx-att.json collection."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from witness_evals.common.errors import InputError
from witness_evals.witness import attestors as A
from witness_evals.witness.attestors import schema

BOMS = Path(__file__).resolve().parents[2] / "fixtures" / "go-witness-testdata" / "sbom-boms"


def test_real_collection_predicates_validate(spdx_statement: dict[str, Any]) -> None:
    entries = spdx_statement["predicate"]["attestations"]
    assert [A.get(e["type"]).name for e in entries] == ["material", "command-run", "product", "sbom"]
    for i, e in enumerate(entries):
        spec = A.get(e["type"])
        assert schema.errors(e["type"], e["attestation"]) == []
        spec.check_wire(e["attestation"], location=f"predicate.attestations[{i}].attestation")


@pytest.mark.parametrize("name", ["alpine.cyclonedx.json", "alpine.spdx-2-2.json", "alpine.spdx-2-3.json"])
def test_real_sbom_documents(name: str) -> None:
    doc = json.loads((BOMS / name).read_text())
    assert schema.errors("sbom", doc) == []
    expected = "https://cyclonedx.org/bom" if "cyclonedx" in name else "https://spdx.dev/Document"
    assert A.get("sbom").predicate_type(doc) == expected


def test_wrappers_are_not_on_the_wire() -> None:
    s = A.Scenario.random(random.Random(4))
    mats = A.get("material").build(random.Random(4), s)
    prods = A.get("product").build(random.Random(4), s)
    assert schema.errors("material", mats) == [] and schema.errors("product", prods) == []
    assert schema.errors("material", {"Materials": mats})
    assert schema.errors("product", {"Products": prods})
    with pytest.raises(InputError, match="schema violation"):
        schema.validate("command-run", {"cmd": ["echo"], "exitcode": 0, "Stdout": "x"})


def test_embedded_jwt_schema_resolves_inside_itself() -> None:
    s = A.Scenario.random(random.Random(8), ci="github")
    gh = A.get("github").build(random.Random(8), s)
    assert schema.errors("github", gh) == []
    gh["jwt"]["surprise"] = 1
    assert any("surprise" in e for e in schema.errors("github", gh))


def test_schema_lookup_by_alias_and_raw_file() -> None:
    assert schema.raw_schema("https://cyclonedx.org/bom") == schema.raw_schema("sbom")
    assert schema.raw_schema("material")["required"] == ["Materials"]
    with pytest.raises(InputError, match="attestor not found"):
        schema.raw_schema("nope")
