"""`AttestorSpec`: one go-witness attestor as data plus its builder, subjects and wire shape.

Predicates are handled in their *wire* format, i.e. what go-witness serializes inside a collection:
material and product are bare maps, sbom is the raw SPDX/CycloneDX document, link/slsa use the
protobuf structs as encoding/json writes them. The published JSON schemas show wrapper objects
for material/product/sbom (`Materials`, `Products`, `SBOMDocument`); `schema.py` applies them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from witness_evals.witness.attestors.gotypes import GoType, check_top, pb_lenient
from witness_evals.witness.digests import sha256_hex

if TYPE_CHECKING:
    from witness_evals.witness.attestors.scenario import Scenario

RUN_TYPES = ("prematerial", "material", "execute", "product", "postproduct", "verify")
SELECTIONS = ("always", "always-with-command", "default", "opt-in", "verify-only")

DigestSet = dict[str, str]
Products = Mapping[str, Mapping[str, Any]]
"""A product predicate: path -> {"mime_type": ..., "digest": DigestSet}."""

SubjectFn = Callable[[Any, "Products | None"], dict[str, DigestSet]]
BackrefFn = Callable[[Any], dict[str, DigestSet]]
BuildFn = Callable[[random.Random, "Scenario"], Any]


def sha256_of(text: str) -> DigestSet:
    """DigestSet of a string's UTF-8 bytes (`CalculateDigestSetFromBytes` with sha256)."""
    return {"sha256": sha256_hex(text)}


def pipelineurl_backrefs(pred: dict[str, Any]) -> dict[str, DigestSet]:
    """`BackRefs()` of the CI attestors (github, gitlab, jenkins): the pipeline URL subject."""
    return {f"pipelineurl:{pred['pipelineurl']}": sha256_of(pred["pipelineurl"])}


def product_subjects(prefix: str) -> SubjectFn:
    """Subjects `<prefix>:<path>` per product of the same run (link, slsa: `file`; secretscan: `product`)."""

    def subjects(_pred: Any, products: Products | None) -> dict[str, DigestSet]:
        return {
            f"{prefix}:{path}": dict((p or {}).get("digest") or {})
            for path, p in sorted((products or {}).items())
        }

    return subjects


@dataclass(frozen=True, slots=True, eq=False)
class AttestorSpec:
    """A go-witness attestor: identity, lifecycle, and functions over its wire-format predicate."""

    name: str
    type: str
    run_type: str
    selection: str
    builder: BuildFn
    shape: GoType
    aliases: tuple[str, ...] = ()
    exporter: bool = False
    schema_wrapper: str | None = None
    subjecter: SubjectFn | None = None
    backreffer: BackrefFn | None = None
    type_of: Callable[[Any], str] | None = None

    @property
    def schema_file(self) -> str:
        """File name under `witness_evals/witness/schemas/`."""
        return f"{self.name}.json"

    @property
    def is_subjecter(self) -> bool:
        return self.subjecter is not None

    @property
    def is_backreffer(self) -> bool:
        return self.backreffer is not None

    @property
    def types(self) -> tuple[str, ...]:
        """Every predicate type URI that resolves to this attestor."""
        return (self.type, *self.aliases)

    def build(self, rng: random.Random, scenario: Scenario) -> Any:
        """A realistic wire-format predicate for the scenario (deterministic given rng and scenario)."""
        return self.builder(rng, scenario)

    def check_wire(self, predicate: Any, *, location: str = "") -> None:
        """Raise `InputError` where go-witness's json.Unmarshal into the attestor would fail."""
        check_top(self.shape, predicate, location)

    def normalize(self, predicate: Any, *, location: str = "", strict: bool = False) -> Any:
        """Decode like go-witness then re-marshal: canonical keys, zero values, unknown keys dropped.

        Not strict by default: protobuf Struct values (link/slsa) pass, as they exist in memory at
        attestation time even though go-witness cannot read them back (`check_wire` reports that).
        """
        if strict:
            self.check_wire(predicate, location=location)
        else:
            with pb_lenient():
                self.check_wire(predicate, location=location)
        return self.shape.marshal(predicate)

    def rego_input(self, predicate: Any) -> Any:
        """The JSON a Rego policy sees as `input` for this attestation."""
        return self.normalize(predicate)

    def subjects(self, predicate: Any, *, products: Products | None = None) -> dict[str, DigestSet]:
        """`Subjects()` as the attestor reports them (names NOT prefixed with the type).

        link, slsa, sbom and secretscan derive (some of) their subjects from the products of the same
        run, which are not part of their own predicate: pass the product predicate as `products`.
        """
        if self.subjecter is None:  # nothing to decode for: go-witness's attestor has no Subjects()
            return {}
        return self.subjecter(self.normalize(predicate), products)

    def backrefs(self, predicate: Any) -> dict[str, DigestSet]:
        """`BackRefs()`: the subjects used to link this step to others during verification."""
        if self.backreffer is None:
            return {}
        return self.backreffer(self.normalize(predicate))

    def predicate_type(self, predicate: Any) -> str:
        """The type the attestation carries in a collection (sbom: SPDX or CycloneDX URI)."""
        return self.type_of(predicate) if self.type_of else self.type

    def __repr__(self) -> str:
        return f"AttestorSpec({self.name!r}, {self.type!r})"
