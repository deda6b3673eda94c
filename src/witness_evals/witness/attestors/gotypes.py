"""Go struct shapes of attestor predicates, for `json.Unmarshal` checks and re-marshalling.

go-witness decodes each attestation into its Go struct with encoding/json: keys match field tags
case-insensitively (exact match preferred), unknown keys are ignored, `null` leaves the zero value,
and a JSON value of the wrong type is an error. Marshalling back writes every field in struct order
with zero values for missing ones, except `omitempty` fields whose value is empty. These classes
model exactly that much, which is what `check_wire` and `rego_input` need.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from witness_evals.common.errors import InputError
from witness_evals.witness.digests import ALLOWED_HASHES
from witness_evals.witness.gocompat import go_json_kind as _json_kind


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class GoType:
    """A Go type reachable from an attestor struct."""

    go_name = "interface {}"

    def check(self, value: Any, path: str, field_name: str) -> None:
        """Raise `InputError` where Go's json.Unmarshal would fail (value is never None here)."""

    def marshal(self, value: Any) -> Any:
        """What json.Marshal writes back for a decoded, already-checked value (None = missing)."""
        return value

    def _type_error(self, value: Any, path: str, field_name: str) -> InputError:
        kind = _json_kind(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            kind = f"number {value}"
        where = f"Go struct field {field_name}" if field_name else "Go value"
        return InputError(f"json: cannot unmarshal {kind} into {where} of type {self.go_name}", location=path)


class AnyT(GoType):
    """interface{} / json.RawMessage / map[string]interface{} kept as is."""

    def __init__(self, go_name: str = "interface {}", *, object_only: bool = False) -> None:
        self.go_name = go_name
        self.object_only = object_only

    def check(self, value: Any, path: str, field_name: str) -> None:
        if self.object_only and not isinstance(value, dict):
            raise self._type_error(value, path, field_name)


class StrT(GoType):
    go_name = "string"

    def check(self, value: Any, path: str, field_name: str) -> None:
        if not isinstance(value, str):
            raise self._type_error(value, path, field_name)

    def marshal(self, value: Any) -> Any:
        return "" if value is None else value


class IntT(GoType):
    def __init__(self, go_name: str = "int") -> None:
        self.go_name = go_name

    def check(self, value: Any, path: str, field_name: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._type_error(value, path, field_name)
        if self.go_name.startswith("uint") and value < 0:
            raise self._type_error(value, path, field_name)

    def marshal(self, value: Any) -> Any:
        return 0 if value is None else value


class FloatT(GoType):
    go_name = "float64"

    def check(self, value: Any, path: str, field_name: str) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._type_error(value, path, field_name)

    def marshal(self, value: Any) -> Any:
        return 0 if value is None else value


class BoolT(GoType):
    go_name = "bool"

    def check(self, value: Any, path: str, field_name: str) -> None:
        if not isinstance(value, bool):
            raise self._type_error(value, path, field_name)

    def marshal(self, value: Any) -> Any:
        return False if value is None else value


class BytesT(GoType):
    """[]byte: a standard base64 string."""

    go_name = "[]uint8"

    def check(self, value: Any, path: str, field_name: str) -> None:
        if not isinstance(value, str):
            raise self._type_error(value, path, field_name)
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise InputError("illegal base64 data in []byte field", location=path) from None


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


class TimeT(GoType):
    """time.Time: an RFC 3339 string."""

    go_name = "time.Time"

    def check(self, value: Any, path: str, field_name: str) -> None:
        if not isinstance(value, str):
            raise self._type_error(value, path, field_name)
        if not _RFC3339.match(value):
            raise InputError(f'parsing time "{value}" as RFC 3339 failed', location=path)

    def marshal(self, value: Any) -> Any:
        return "0001-01-01T00:00:00Z" if value is None else value


class DigestSetT(GoType):
    """cryptoutil.DigestSet: only the five known hash names, string values."""

    go_name = "cryptoutil.DigestSet"

    def check(self, value: Any, path: str, field_name: str) -> None:
        if not isinstance(value, dict):
            kind = _json_kind(value)
            raise InputError(
                f"json: cannot unmarshal {kind} into Go value of type map[string]string", location=path
            )
        for name, digest in value.items():
            if not isinstance(digest, str):
                raise InputError(
                    f"json: cannot unmarshal {_json_kind(digest)} into Go value of type string",
                    location=_join(path, name),
                )
        for name in value:
            if name not in ALLOWED_HASHES:
                raise InputError(f"unsupported hash function: {name}", location=path)

    def marshal(self, value: Any) -> Any:
        return None if value is None else {k: value[k] for k in sorted(value)}


class ListT(GoType):
    def __init__(self, item: GoType) -> None:
        self.item = item
        self.go_name = f"[]{item.go_name}"

    def check(self, value: Any, path: str, field_name: str) -> None:
        if not isinstance(value, list):
            raise self._type_error(value, path, field_name)
        if self.item.__class__ is StrT and all(v.__class__ is str or v is None for v in value):
            return  # []string: nothing more to check
        for i, item in enumerate(value):
            if item is not None:
                self.item.check(item, f"{path}[{i}]", field_name)

    def marshal(self, value: Any) -> Any:
        if value is None:
            return None
        return [self.item.marshal(v) for v in value]


class MapT(GoType):
    def __init__(self, item: GoType) -> None:
        self.item = item
        self.go_name = f"map[string]{item.go_name}"

    def check(self, value: Any, path: str, field_name: str) -> None:
        if not isinstance(value, dict):
            raise self._type_error(value, path, field_name)
        if self.item.__class__ is StrT and all(v.__class__ is str or v is None for v in value.values()):
            return  # map[string]string: nothing more to check
        for key, item in value.items():
            if item is not None:
                self.item.check(item, _join(path, key), field_name)

    def marshal(self, value: Any) -> Any:
        if value is None:
            return None
        return {k: self.item.marshal(value[k]) for k in sorted(value)}


@dataclass(frozen=True)
class Field:
    """One struct field: JSON name, Go type, omitempty flag."""

    name: str
    type: GoType
    omitempty: bool = False


class StructT(GoType):
    """A Go struct with json-tagged fields."""

    def __init__(self, go_name: str, fields: tuple[Field, ...], pointer: bool = False) -> None:
        self.go_name = go_name
        self.fields = fields
        self.pointer = pointer  # *Struct: missing/null marshals as null
        self._exact: dict[str, Field] = {f.name: f for f in fields}
        self._lower: dict[str, Field] = {}
        for f in fields:
            self._lower.setdefault(f.name.lower(), f)
        self._short = go_name.rsplit(".", 1)[-1]

    def _resolve(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Field name -> value, as encoding/json binds keys (exact first, then case-insensitive; last wins)."""
        bound: dict[str, Any] = {}
        for key, value in obj.items():
            f = self._exact.get(key) or self._lower.get(key.lower())
            if f is not None:
                bound[f.name] = value
        return bound

    def check(self, value: Any, path: str, field_name: str) -> None:
        if not isinstance(value, dict):
            raise self._type_error(value, path, field_name)
        for key, item in value.items():
            f = self._exact.get(key) or self._lower.get(key.lower())
            if f is None or item is None or (f.type.__class__ is StrT and item.__class__ is str):
                continue  # unknown key (dropped), null (zero value), or a string where one belongs
            f.type.check(item, _join(path, key), f"{self._short}.{f.name}")

    def marshal(self, value: Any) -> Any:
        if value is None and self.pointer:
            return None
        bound = self._resolve(value or {})
        out: dict[str, Any] = {}
        for f in self.fields:
            v = f.type.marshal(bound.get(f.name))
            if f.omitempty and (v is None or v == "" or (v == 0 and not isinstance(v, bool)) or v is False):
                continue
            if f.omitempty and isinstance(v, (list, dict)) and not v and not isinstance(f.type, StructT):
                continue
            out[f.name] = v
        return out


class CustomT(GoType):
    """A type with its own check/marshal functions (custom UnmarshalJSON/MarshalJSON)."""

    def __init__(
        self, go_name: str, check: Callable[[Any, str], None], marshal: Callable[[Any], Any] | None = None
    ) -> None:
        self.go_name = go_name
        self._check = check
        self._marshal = marshal or (lambda v: v)

    def check(self, value: Any, path: str, field_name: str) -> None:
        self._check(value, path)

    def marshal(self, value: Any) -> Any:
        return self._marshal(value)


STR = StrT()
INT = IntT()
BOOL = BoolT()
FLOAT = FloatT()
ANY = AnyT()
DIGEST = DigestSetT()
TIME = TimeT()
BYTES = BytesT()
STRS = ListT(STR)
STRMAP = MapT(STR)
OBJ = AnyT("map[string]interface {}", object_only=True)


def F(name: str, type_: GoType, omitempty: bool = False) -> Field:
    """Shorthand for a struct field."""
    return Field(name, type_, omitempty)


def S(go_name: str, *fields: Field, pointer: bool = False) -> StructT:
    """Shorthand for a struct."""
    return StructT(go_name, tuple(fields), pointer)


def check_top(shape: GoType, value: Any, location: str) -> None:
    """Check a whole predicate; null is accepted (Go leaves the zero struct)."""
    if value is None:
        return
    shape.check(value, location, "")


# protobuf structpb.Struct / Value / Timestamp as encoding/json writes the generated Go structs
_PB_LENIENT: ContextVar[bool] = ContextVar("pb_lenient", default=False)


@contextlib.contextmanager
def pb_lenient() -> Iterator[None]:
    """Accept protobuf `Kind` values (for views computed before serialization: subjects, Rego input)."""
    token = _PB_LENIENT.set(True)
    try:
        yield
    finally:
        _PB_LENIENT.reset(token)


def _check_pb_value(value: Any, path: str) -> None:
    """structpb.Value.Kind is a Go interface with methods: encoding/json cannot decode an object into it,
    so a non-empty Struct written by go-witness cannot be read back by go-witness (derived from the
    encoding/json rules, not executed against a Go build)."""
    if not isinstance(value, dict):
        raise InputError(
            f"json: cannot unmarshal {_json_kind(value)} into Go value of type structpb.Value", location=path
        )
    kind = value.get("Kind")
    if kind is not None and not _PB_LENIENT.get():
        # isValue_Kind is an interface: encoding/json cannot unmarshal into a non-empty interface
        raise InputError(
            "json: cannot unmarshal object into Go struct field Value.Kind of type structpb.isValue_Kind",
            location=_join(path, "Kind"),
        )


PB_VALUE = CustomT("structpb.Value", _check_pb_value)
PB_STRUCT = S("structpb.Struct", F("fields", MapT(PB_VALUE), True), pointer=True)
PB_TIMESTAMP = S(
    "timestamppb.Timestamp", F("seconds", IntT("int64"), True), F("nanos", IntT("int32"), True), pointer=True
)
RESOURCE_DESCRIPTOR = S(
    "v1.ResourceDescriptor",
    F("name", STR, True),
    F("uri", STR, True),
    F("digest", STRMAP, True),
    F("content", BYTES, True),
    F("download_location", STR, True),
    F("media_type", STR, True),
    F("annotations", PB_STRUCT, True),
    pointer=True,
)


def pb_struct(values: dict[str, str]) -> dict[str, Any]:
    """A protobuf Struct of string values as encoding/json writes it."""
    return {"fields": {k: {"Kind": {"StringValue": v}} for k, v in values.items()}}
