"""in-toto Statement v0.1 as go-witness writes and reads it (intoto/statement.go, REFERENCE §5.3).

`_type` is `https://in-toto.io/Statement/v0.1` and is not checked on load; subject digests are plain
string maps (not validated as DigestSets); subjects are written sorted by name (Go's map order is
random, so any order is faithful; sorting makes output reproducible).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from witness_evals.common.errors import InputError
from witness_evals.common.jsonio import join_path
from witness_evals.witness.gocompat import go_json_kind as _go_type

STATEMENT_TYPE = "https://in-toto.io/Statement/v0.1"
COLLECTION_TYPE = "https://witness.testifysec.com/attestation-collection/v0.1"
"""predicateType of a witness attestation collection statement."""
PAYLOAD_TYPE = "application/vnd.in-toto+json"

DigestSet = dict[str, str]


@dataclass
class Statement:
    """An in-toto statement; `subjects` maps subject name -> digest map."""

    type: str
    subjects: dict[str, DigestSet]
    predicate_type: str
    predicate: Any = None
    subject_order: list[str] = field(default_factory=list, repr=False, compare=False)
    has_predicate: bool = field(default=True, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """Go field order `_type`, `subject`, `predicateType`, `predicate`; digest keys sorted like Go maps."""
        names = (
            self.subject_order
            if sorted(self.subject_order) == sorted(self.subjects)
            else sorted(self.subjects)
        )
        return {
            "_type": self.type,
            "subject": [{"name": n, "digest": dict(sorted(self.subjects[n].items()))} for n in names],
            "predicateType": self.predicate_type,
            "predicate": self.predicate,
        }

    @classmethod
    def from_json(cls, obj: Any, *, source: str = "<statement>", location: str = "") -> Statement:
        """Decode like Go's json.Unmarshal into `intoto.Statement` (case-insensitive keys, nulls empty)."""
        return _statement_from_obj(obj, source, location)


def new_statement(predicate_type: str, predicate: Any, subjects: dict[str, DigestSet]) -> Statement:
    """go-witness `intoto.NewStatement`: `_type` v0.1, subjects sorted by name."""
    return Statement(
        STATEMENT_TYPE, {n: dict(subjects[n]) for n in sorted(subjects)}, predicate_type, predicate
    )


def _statement_from_obj(obj: Any, source: str, location: str) -> Statement:
    def fail(msg: str, where: str) -> InputError:
        return InputError(msg, source=source, location=where or None)

    if obj is None:
        return Statement("", {}, "", None)
    if not isinstance(obj, dict):
        raise fail(f"cannot unmarshal {_go_type(obj)} into Go value of type intoto.Statement", location)
    folded = {
        "_type": "_type",
        "subject": "subject",
        "predicatetype": "predicateType",
        "predicate": "predicate",
    }
    f: dict[str, tuple[str, Any]] = {}
    for key, value in obj.items():
        name = folded.get(key.casefold())
        if name:
            f[name] = (key, value)

    def string(name: str) -> str:
        if name not in f or f[name][1] is None:
            return ""
        key, value = f[name]
        if not isinstance(value, str):
            raise fail(
                f"cannot unmarshal {_go_type(value)} into Go struct field Statement.{name} of type string",
                join_path(location, key),
            )
        return value

    subjects: dict[str, DigestSet] = {}
    order: list[str] = []
    if "subject" in f and f["subject"][1] is not None:
        skey, raw = f["subject"]
        spath = join_path(location, skey)
        if not isinstance(raw, list):
            raise fail(
                f"cannot unmarshal {_go_type(raw)} into Go struct field Statement.subject of type []intoto.Subject",
                spath,
            )
        for i, item in enumerate(raw):
            ipath = f"{spath}[{i}]"
            if item is None:
                item = {}
            if not isinstance(item, dict):
                raise fail(
                    f"cannot unmarshal {_go_type(item)} into Go struct field Statement.subject of type intoto.Subject",
                    ipath,
                )
            name, digest = "", {}
            for key, value in item.items():
                k = key.casefold()
                if k == "name" and value is not None:
                    if not isinstance(value, str):
                        raise fail(
                            f"cannot unmarshal {_go_type(value)} into Go struct field Subject.subject.name of type string",
                            f"{ipath}.{key}",
                        )
                    name = value
                elif k == "digest" and value is not None:
                    if not isinstance(value, dict):
                        raise fail(
                            f"cannot unmarshal {_go_type(value)} into Go struct field Subject.subject.digest of type map[string]string",
                            f"{ipath}.{key}",
                        )
                    for alg, dv in value.items():
                        if not isinstance(dv, str):
                            raise fail(
                                f"cannot unmarshal {_go_type(dv)} into Go struct field Subject.subject.digest of type string",
                                f"{ipath}.{key}.{alg}",
                            )
                    digest = dict(value)
            if name not in subjects:
                order.append(name)
            subjects[name] = digest
    predicate = f["predicate"][1] if "predicate" in f else None
    return Statement(string("_type"), subjects, string("predicateType"), predicate, order, "predicate" in f)
