"""Attestation collections (go-witness attestation/collection.go, REFERENCE §5.4-5.5).

A collection is the predicate of a witness run's statement: `{"name": step, "attestations": [...]}`.
Loading checks every attestation against the attestor registry (`witness_evals.witness.attestors`):
an unknown `type` is `attestation not found: <type>`, a bad DigestSet `unsupported hash function: <k>`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from witness_evals.common.errors import InputError
from witness_evals.common.jsonio import join_path, loads
from witness_evals.witness import versions
from witness_evals.witness.dsse import Envelope, parse_envelope
from witness_evals.witness.gocompat import go_json_kind as _go_type
from witness_evals.witness.intoto import COLLECTION_TYPE, STATEMENT_TYPE, Statement, new_statement
from witness_evals.witness.versions import NETWORK_TRACE_TYPE, WitnessVersion

if TYPE_CHECKING:
    from witness_evals.witness.attestors import AttestorSpec

ZERO_TIME = "0001-01-01T00:00:00Z"
"""Go's zero `time.Time` as JSON (what a missing starttime/endtime becomes)."""

DigestSet = dict[str, str]

_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _registry_get(type_uri: str) -> AttestorSpec | None:
    from witness_evals.witness import attestors

    return attestors.by_type(type_uri)


@dataclass
class CollectionAttestation:
    """One entry of `attestations`: the attestor type URI, its predicate and its RFC 3339 times."""

    type: str
    attestation: Any
    starttime: str = ZERO_TIME
    endtime: str = ZERO_TIME

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "attestation": self.attestation,
            "starttime": self.starttime,
            "endtime": self.endtime,
        }

    def spec(self) -> AttestorSpec | None:
        return _registry_get(self.type)


@dataclass
class Collection:
    """A witness attestation collection (step name + attestations in run order)."""

    name: str
    attestations: list[CollectionAttestation] = field(default_factory=list)

    def types(self) -> set[str]:
        return {a.type for a in self.attestations}

    def _each(self) -> list[tuple[CollectionAttestation, AttestorSpec]]:
        out = []
        for att in self.attestations:
            spec = att.spec()
            if spec is not None:
                out.append((att, spec))
        return out

    def subjects(self) -> dict[str, DigestSet]:
        """Statement subjects: `<attestation type>/<subject name>` for every subjecter (later wins).

        Attestors whose subjects come from the run's products (sbom, link, slsa, secretscan) get the
        collection's product predicate, as they had it in go-witness when the run was signed."""
        each = self._each()
        products = None
        for att, spec in each:
            if spec.name == "product" and isinstance(att.attestation, dict):
                products = att.attestation
        out: dict[str, DigestSet] = {}
        for att, spec in each:
            for name, ds in spec.subjects(att.attestation, products=products).items():
                out[f"{att.type}/{name}"] = dict(ds)
        return out

    def backrefs(self) -> dict[str, DigestSet]:
        """Back-references (git commithash, CI pipeline URLs), prefixed `<type>/` like the subjects."""
        out: dict[str, DigestSet] = {}
        for att, spec in self._each():
            for name, ds in spec.backrefs(att.attestation).items():
                out[f"{att.type}/{name}"] = dict(ds)
        return out

    def _path_digests(self, attestor: str, read: Callable[[Any], Mapping[str, Any]]) -> dict[str, DigestSet]:
        """path -> DigestSet merged over every `attestor` attestation (`read` decodes one)."""
        out: dict[str, DigestSet] = {}
        for att, spec in self._each():
            if spec.name == attestor:
                out.update({k: dict(v or {}) for k, v in read(att.attestation).items()})  # null: nil set
        return out

    def materials(self) -> dict[str, DigestSet]:
        """Material attestor map path -> DigestSet (merged over all material attestations)."""
        from witness_evals.witness.attestors.material import materials

        return self._path_digests("material", materials)

    def products(self) -> dict[str, DigestSet]:
        """Product attestor map path -> DigestSet."""
        from witness_evals.witness.attestors.product import products

        return self._path_digests("product", products)

    def artifacts(self) -> dict[str, DigestSet]:
        """End state of the files: materials overlaid with products (go `Collection.Artifacts`)."""
        out = self.materials()
        out.update(self.products())
        return out

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "attestations": [a.to_json() for a in self.attestations]}

    @classmethod
    def from_json(
        cls,
        obj: Any,
        *,
        source: str = "<collection>",
        location: str = "",
        extra_types: frozenset[str] = frozenset(),
    ) -> Collection:
        """Decode like go-witness (case-insensitive keys); each attestation is checked by its attestor.

        `extra_types`: attestor types the loading release also knows without a model here (their
        predicate is kept as decoded JSON, e.g. witness v0.12's experimental `network-trace`)."""
        return _collection_from_obj(obj, source, location, extra_types)


def _match(obj: dict[str, Any], names: tuple[str, ...]) -> dict[str, tuple[str, Any]]:
    folded = {n.casefold(): n for n in names}
    out: dict[str, tuple[str, Any]] = {}
    for key, value in obj.items():
        name = folded.get(key.casefold())
        if name:
            out[name] = (key, value)
    return out


def _check_time(value: Any, where: str, source: str, go_field: str) -> str:
    if value is None:
        return ZERO_TIME
    if not isinstance(value, str):
        raise InputError(
            f"cannot unmarshal {_go_type(value)} into Go struct field {go_field} of type time.Time",
            source=source,
            location=where,
        )
    m = _RFC3339.match(value)
    ok = m is not None
    if m is not None:
        try:
            iso = value[:19].replace("t", "T")
            datetime.fromisoformat(iso)
            off = m.group(8)
            if off not in ("Z", "z") and (int(off[1:3]) > 23 or int(off[4:6]) > 59):
                ok = False
        except ValueError:
            ok = False
    if not ok:
        raise InputError(f'parsing time "{value}" as RFC 3339: cannot parse', source=source, location=where)
    return value


def _collection_from_obj(
    obj: Any, source: str, location: str, extra_types: frozenset[str] = frozenset()
) -> Collection:
    if obj is None:
        return Collection("", [])
    if not isinstance(obj, dict):
        raise InputError(
            f"cannot unmarshal {_go_type(obj)} into Go value of type attestation.Collection",
            source=source,
            location=location or None,
        )
    f = _match(obj, ("name", "attestations"))
    name = ""
    if "name" in f and f["name"][1] is not None:
        key, value = f["name"]
        if not isinstance(value, str):
            raise InputError(
                f"cannot unmarshal {_go_type(value)} into Go struct field Collection.name of type string",
                source=source,
                location=join_path(location, key),
            )
        name = value
    atts: list[CollectionAttestation] = []
    if "attestations" in f and f["attestations"][1] is not None:
        akey, raw = f["attestations"]
        apath = join_path(location, akey)
        if not isinstance(raw, list):
            raise InputError(
                f"cannot unmarshal {_go_type(raw)} into Go struct field Collection.attestations of type "
                "[]attestation.CollectionAttestation",
                source=source,
                location=apath,
            )
        for i, item in enumerate(raw):
            atts.append(_attestation_from_obj(item, source, f"{apath}[{i}]", extra_types))
    return Collection(name, atts)


def _attestation_from_obj(
    item: Any, source: str, ipath: str, extra_types: frozenset[str] = frozenset()
) -> CollectionAttestation:
    if item is None:
        item = {}
    if not isinstance(item, dict):
        raise InputError(
            f"cannot unmarshal {_go_type(item)} into Go value of type attestation.CollectionAttestation",
            source=source,
            location=ipath,
        )
    f = _match(item, ("type", "attestation", "starttime", "endtime"))
    type_uri = ""
    if "type" in f and f["type"][1] is not None:
        key, value = f["type"]
        if not isinstance(value, str):
            raise InputError(
                f"cannot unmarshal {_go_type(value)} into Go struct field .type of type string",
                source=source,
                location=f"{ipath}.{key}",
            )
        type_uri = value
    start = (
        _check_time(f["starttime"][1], f"{ipath}.{f['starttime'][0]}", source, ".starttime")
        if "starttime" in f
        else ZERO_TIME
    )
    end = (
        _check_time(f["endtime"][1], f"{ipath}.{f['endtime'][0]}", source, ".endtime")
        if "endtime" in f
        else ZERO_TIME
    )
    spec = _registry_get(type_uri)
    if spec is None and type_uri not in extra_types:
        raise InputError(f"attestation not found: {type_uri}", source=source, location=f"{ipath}.type")
    att_key = f["attestation"][0] if "attestation" in f else "attestation"
    pred = f["attestation"][1] if "attestation" in f else None
    if "attestation" not in f:
        raise InputError("unexpected end of JSON input", source=source, location=f"{ipath}.{att_key}")
    apath = f"{ipath}.{att_key}"
    if spec is None:  # known to the release, not modelled: any JSON object (or null) decodes
        if pred is not None and not isinstance(pred, dict):
            raise InputError(
                f"cannot unmarshal {_go_type(pred)} into Go value of type map[string]interface {{}}",
                source=source,
                location=apath,
            )
        return CollectionAttestation(type_uri, pred, start, end)
    try:
        spec.check_wire(pred, location=apath)
    except InputError as exc:
        raise exc.at(source, apath) from None
    return CollectionAttestation(type_uri, pred, start, end)


def collection_statement(collection: Collection) -> Statement:
    """The statement go-witness signs for a run: subjects from the collection, collection predicate."""
    return new_statement(COLLECTION_TYPE, collection.to_json(), collection.subjects())


def load_collection_envelope(
    data: bytes, *, source: str = "<attestation>", version: WitnessVersion | None = None
) -> tuple[Envelope, Statement, Collection | None]:
    """Load a `witness run` output file like `witness verify -a` does (go-witness source/memory.go).

    The payload must be a JSON statement; like go-witness, its predicate is always decoded as a
    collection (so a bad attestation fails the whole file). The collection is returned whatever the
    predicateType; verification rejects non-collection predicate types later. `version`: the
    release loading it (default: the latest); an attestation type it lacks does not load.
    """
    env = parse_envelope(data, source=source)
    try:
        obj = loads(env.payload, source=source)
    except InputError as exc:
        raise InputError(f"payload: {exc.message}", source=source, location="payload") from None
    stmt = Statement.from_json(obj, source=source, location="payload")
    if not stmt.has_predicate:
        raise InputError("unexpected end of JSON input", source=source, location="payload.predicate")
    extra = frozenset({NETWORK_TRACE_TYPE}) if versions.get(version).network_trace else frozenset()
    coll = Collection.from_json(
        stmt.predicate, source=source, location="payload.predicate", extra_types=extra
    )
    return env, stmt, coll


__all__ = [
    "COLLECTION_TYPE",
    "STATEMENT_TYPE",
    "Collection",
    "CollectionAttestation",
    "collection_statement",
    "load_collection_envelope",
]
