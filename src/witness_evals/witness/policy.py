"""The Witness policy document, decoded with go-witness / Go encoding/json semantics.

What Go does and this module reproduces (REFERENCE.md §3):

* keys bind to struct fields by exact tag, else case-insensitively (`regoPolicies` works);
* unknown keys are silently dropped by Go; here they are reported as `PolicyWarning`s with their
  JSON path and a hint for the known typos (`artifacts_from` -> `artifactsFrom`, ...);
* `[]byte` fields (`key`, `certificate`, `intermediates[]`, `module`) are standard padded base64
  (Go's decoder, including its `illegal base64 data at input byte N` offsets and ignored CR/LF);
* `expires` is a metav1.Time: RFC3339 only, `null`/missing = zero time (always expired);
* wrong JSON types give Go's `json: cannot unmarshal X into Go struct field S.path of type T`.

`parse_policy` raises `InputError` with the error Go would report; `decode_policy` keeps going
and returns every problem (used by the static checker).
"""

from __future__ import annotations

import base64
import difflib
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from witness_evals.common import jsonio
from witness_evals.common.errors import InputError, WitnessError
from witness_evals.witness import crypto, x509
from witness_evals.witness.constraints import (
    FULCIO_EXTENSION_FIELDS,
    CertConstraint,
    TrustBundle,
    validate_functionary,
)
from witness_evals.witness.gocompat import Base64Error, go_b64decode, go_quote, go_time_quote

POLICY_PAYLOAD_TYPE = "https://witness.testifysec.com/policy/v0.1"
KMS_PREFIXES = ("awskms://", "gcpkms://", "hashivault://")
MAX_POLICY_BYTES = 16 * 1024 * 1024
RFC3339_LAYOUT = "2006-01-02T15:04:05Z07:00"

# Typos of trap 11 (and friends): unknown key -> the tag the author most likely meant.
KNOWN_TYPOS: dict[str, str] = {
    "artifacts_from": "artifactsFrom",
    "artifacts-from": "artifactsFrom",
    "rego_policies": "regopolicies",
    "rego-policies": "regopolicies",
    "public_keys": "publickeys",
    "public-keys": "publickeys",
    "public_key_id": "publickeyid",
    "public_keyid": "publickeyid",
    "publickey_id": "publickeyid",
    "key_id": "keyid",
    "cert_constraint": "certConstraint",
    "cert_constraints": "certConstraint",
    "certconstraints": "certConstraint",
    "timestamp_authorities": "timestampauthorities",
    "timestamp-authorities": "timestampauthorities",
    "common_name": "commonname",
    "dns_names": "dnsnames",
    "functionary": "functionaries",
    "attestation": "attestations",
    "regopolicy": "regopolicies",
    "policies": "regopolicies",
    "rego": "regopolicies",
    "step": "steps",
    "expiry": "expires",
    "expiration": "expires",
    "expires_at": "expires",
    "root": "roots",
    "email": "emails",
    "uri": "uris",
    "organization": "organizations",
    "intermediate": "intermediates",
}


class PolicyKeyError(WitnessError):
    """A policy public key cannot become a verifier (go-witness aborts the verification)."""


# --------------------------------------------------------------------------------------------
# Data model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyWarning:
    """Something Go accepts silently but that is very likely a mistake."""

    message: str
    location: str


@dataclass
class Root:
    """A trusted root (or timestamp authority) certificate with optional intermediates; PEM bytes."""

    certificate: bytes = b""
    intermediates: list[bytes] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"certificate": b64encode(self.certificate)}
        if self.intermediates:
            out["intermediates"] = [b64encode(b) for b in self.intermediates]
        return out


@dataclass
class PublicKey:
    """An embedded public key: `keyid` must equal the id recomputed from `key` (PEM bytes)."""

    keyid: str = ""
    key: bytes = b""

    @property
    def is_kms(self) -> bool:
        return self.keyid.startswith(KMS_PREFIXES)

    def to_json(self) -> dict[str, Any]:
        return {"keyid": self.keyid, "key": b64encode(self.key)}


@dataclass
class RegoPolicy:
    """One Rego module (raw text bytes) and its name (used as the module file name)."""

    name: str = ""
    module: bytes = b""

    @property
    def text(self) -> str:
        return self.module.decode("utf-8", errors="replace")

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "module": b64encode(self.module)}


@dataclass
class AttestationPolicy:
    """A required attestation type of a step, with the Rego modules applied to it."""

    type: str = ""
    rego_policies: list[RegoPolicy] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "regopolicies": [r.to_json() for r in self.rego_policies]}


@dataclass
class Functionary:
    """Who may sign a step: a policy public key id, or an x509 identity (`cert_constraint`)."""

    type: str = ""
    cert_constraint: CertConstraint | None = None
    publickeyid: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.cert_constraint is not None:
            out["certConstraint"] = self.cert_constraint.to_json()
        if self.publickeyid:
            out["publickeyid"] = self.publickeyid
        return out

    def validate(self, passed_verifier: Any, **kwargs: Any) -> str | None:
        """go-witness `Functionary.Validate`: `None` if accepted, else the error text."""
        return validate_functionary(self, passed_verifier, **kwargs)


@dataclass
class Step:
    """A policy step; its map key must equal `name` (trap 10)."""

    name: str = ""
    functionaries: list[Functionary] = field(default_factory=list)
    attestations: list[AttestationPolicy] = field(default_factory=list)
    artifacts_from: list[str] = field(default_factory=list)

    @property
    def attestation_types(self) -> list[str]:
        return [a.type for a in self.attestations]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "functionaries": [f.to_json() for f in self.functionaries],
            "attestations": [a.to_json() for a in self.attestations],
        }
        if self.artifacts_from:
            out["artifactsFrom"] = list(self.artifacts_from)
        return out


@dataclass
class Policy:
    """A decoded witness policy (go-witness `policy.Policy`). `expires=None` is Go's zero time."""

    expires: datetime | None = None
    roots: dict[str, Root] = field(default_factory=dict)
    timestamp_authorities: dict[str, Root] = field(default_factory=dict)
    public_keys: dict[str, PublicKey] = field(default_factory=dict)
    steps: dict[str, Step] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON as witness examples write it (omitempty maps left out, expires as UTC `...Z`)."""
        out: dict[str, Any] = {"expires": format_rfc3339(self.expires) if self.expires else None}
        if self.roots:
            out["roots"] = {k: v.to_json() for k, v in self.roots.items()}
        if self.timestamp_authorities:
            out["timestampauthorities"] = {k: v.to_json() for k, v in self.timestamp_authorities.items()}
        if self.public_keys:
            out["publickeys"] = {k: v.to_json() for k, v in self.public_keys.items()}
        out["steps"] = {k: v.to_json() for k, v in self.steps.items()}
        return out

    def dumps(self, *, indent: int | None = 2) -> str:
        """Serialized policy (indented by default, like witness examples)."""
        if indent is None:
            return jsonio.dumps_go(self.to_json())
        return json.dumps(self.to_json(), indent=indent, ensure_ascii=False) + "\n"

    def is_expired(self, now: datetime | None = None) -> bool:
        """`time.Now().After(expires)`; the zero time is always expired."""
        if self.expires is None:
            return True
        return (now or datetime.now(UTC)) > self.expires


def b64encode(data: bytes) -> str:
    """Standard padded base64, as Go's encoding/json writes `[]byte`."""
    return base64.b64encode(data).decode("ascii")


# --------------------------------------------------------------------------------------------
# RFC3339 (Go time.Parse with time.RFC3339)
# --------------------------------------------------------------------------------------------


class TimeParseError(ValueError):
    """Go's `time.ParseError` text."""


def _getnum(value: str, fixed: bool) -> tuple[int, str] | None:
    if not value[:1].isdigit() or not value[:1].isascii():
        return None
    if len(value) < 2 or not (value[1].isascii() and value[1].isdigit()):
        if fixed:
            return None
        return int(value[0]), value[1:]
    return int(value[:2]), value[2:]


def parse_rfc3339(text: str) -> datetime:
    """Parse like Go `time.Parse(time.RFC3339, text)`; returns an aware UTC datetime."""
    whole = text

    def bad(rest: str, elem: str) -> TimeParseError:
        return TimeParseError(
            f"parsing time {go_time_quote(whole)} as {go_time_quote(RFC3339_LAYOUT)}: "
            f"cannot parse {go_time_quote(rest)} as {go_time_quote(elem)}"
        )

    def out_of_range(what: str) -> TimeParseError:
        return TimeParseError(f"parsing time {go_time_quote(whole)}: {what} out of range")

    value = text
    if len(value) < 4 or not all(c.isascii() and c.isdigit() for c in value[:4]):
        raise bad(value, "2006")
    year, value = int(value[:4]), value[4:]
    nums: list[int] = []
    for prefix, elem, fixed, limit, name in (
        ("-", "01", True, None, "month"),
        ("-", "02", True, None, "day"),
        ("T", "15", False, 24, "hour"),
        (":", "04", True, 60, "minute"),
        (":", "05", True, 60, "second"),
    ):
        if not value.startswith(prefix):
            raise bad(value, prefix)
        value = value[len(prefix) :]
        got = _getnum(value, fixed)
        if got is None:
            raise bad(value, elem)
        num, value = got
        if name == "month" and not 1 <= num <= 12:
            raise out_of_range("month")
        if name == "day" and num > 31:
            raise out_of_range("day")
        if limit is not None and num >= limit:
            raise out_of_range(name)
        nums.append(num)
    month, day, hour, minute, second = nums
    micro = 0
    if len(value) >= 2 and value[0] in ".," and value[1].isascii() and value[1].isdigit():
        i = 1
        while i < len(value) and value[i].isascii() and value[i].isdigit():
            i += 1
        frac = value[1:i]
        micro = int((frac + "000000")[:6])
        value = value[i:]
    offset = timedelta(0)
    if value.startswith("Z"):
        value = value[1:]
    else:
        if len(value) < 6 or value[3] != ":" or value[0] not in "+-":
            raise bad(value, "Z07:00")
        hh, mm = value[1:3], value[4:6]
        if not (hh.isascii() and hh.isdigit() and mm.isascii() and mm.isdigit()):
            raise bad(value, "Z07:00")
        if int(hh) > 24:
            raise out_of_range("time zone offset hour")
        if int(mm) > 60:
            raise out_of_range("time zone offset minute")
        offset = timedelta(hours=int(hh), minutes=int(mm)) * (1 if value[0] == "+" else -1)
        value = value[6:]
    if value:
        raise TimeParseError(f"parsing time {go_time_quote(whole)}: extra text: {go_time_quote(value)}")
    if year < 1:
        raise TimeParseError(f"parsing time {go_time_quote(whole)}: year {year} is not supported")
    try:
        local = datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    except ValueError:
        raise out_of_range("day") from None
    try:
        return local - offset
    except OverflowError:
        raise TimeParseError(f"parsing time {go_time_quote(whole)}: year out of range") from None


def format_rfc3339(dt: datetime) -> str:
    """metav1.Time's JSON form: UTC, whole seconds, `Z`."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_go_time(dt: datetime | None) -> str:
    """Go's `time.Time.String()` of a UTC time (`2030-01-01 00:00:00 +0000 UTC`); None = zero time."""
    if dt is None:
        return "0001-01-01 00:00:00 +0000 UTC"
    dt = dt.astimezone(UTC)
    frac = f".{dt.microsecond:06d}".rstrip("0") if dt.microsecond else ""
    return dt.strftime("%Y-%m-%d %H:%M:%S") + frac + " +0000 UTC"


# --------------------------------------------------------------------------------------------
# A small Go encoding/json decoder driven by struct descriptions
# --------------------------------------------------------------------------------------------


class _Pairs(list[tuple[str, Any]]):
    """A JSON object with its key order and duplicates kept (Go applies keys in order)."""


def _is_object(v: Any) -> bool:
    return isinstance(v, (dict, _Pairs))


def _pairs(v: Any) -> Iterator[tuple[str, Any]]:
    return iter(v.items() if isinstance(v, dict) else v)


def _go_value_name(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list) and not isinstance(v, _Pairs):
        return "array"
    return "object"


def _fold(s: str) -> str:
    """Unicode simple case folding, close to Go's `bytes.EqualFold` (K/ſ included)."""
    out = []
    for ch in s:
        up = ch.upper()
        low = up.lower() if len(up) == 1 else ch.lower()
        out.append(low if len(low) == 1 else ch)
    return "".join(out)


@dataclass(frozen=True)
class _Kind:
    tag: Literal["string", "bytes", "time", "slice", "map", "struct"]
    elem: _Kind | None = None
    struct: _Struct | None = None

    def go_type(self) -> str:
        if self.tag == "string":
            return "string"
        if self.tag == "bytes":
            return "[]uint8"
        if self.tag == "time":
            return "v1.Time"
        if self.tag == "slice":
            assert self.elem is not None
            return "[]" + self.elem.go_type()
        if self.tag == "map":
            assert self.elem is not None
            return "map[string]" + self.elem.go_type()
        assert self.struct is not None
        return self.struct.go_type


@dataclass(frozen=True)
class _Struct:
    name: str  # Go type name, e.g. "Step"
    package: str  # e.g. "policy"
    fields: tuple[tuple[str, str, _Kind], ...]  # (json tag, python attribute, kind)

    @property
    def go_type(self) -> str:
        return f"{self.package}.{self.name}"

    def lookup(self, key: str) -> tuple[str, str, _Kind] | None:
        for f in self.fields:
            if f[0] == key:
                return f
        folded = _fold(key)
        for f in self.fields:
            if _fold(f[0]) == folded:
                return f
        return None


_STRING = _Kind("string")
_BYTES = _Kind("bytes")


def _slice(k: _Kind) -> _Kind:
    return _Kind("slice", elem=k)


def _map(k: _Kind) -> _Kind:
    return _Kind("map", elem=k)


def _struct(s: _Struct) -> _Kind:
    return _Kind("struct", struct=s)


_EXTENSIONS = _Struct(
    "Extensions", "certificate", tuple((tag, go, _STRING) for go, tag in FULCIO_EXTENSION_FIELDS)
)
_CERT_CONSTRAINT = _Struct(
    "CertConstraint",
    "policy",
    (
        ("commonname", "common_name", _STRING),
        ("dnsnames", "dns_names", _slice(_STRING)),
        ("emails", "emails", _slice(_STRING)),
        ("organizations", "organizations", _slice(_STRING)),
        ("uris", "uris", _slice(_STRING)),
        ("roots", "roots", _slice(_STRING)),
        ("extensions", "extensions", _struct(_EXTENSIONS)),
    ),
)
_FUNCTIONARY = _Struct(
    "Functionary",
    "policy",
    (
        ("type", "type", _STRING),
        ("certConstraint", "cert_constraint", _struct(_CERT_CONSTRAINT)),
        ("publickeyid", "publickeyid", _STRING),
    ),
)
_REGO_POLICY = _Struct("RegoPolicy", "policy", (("module", "module", _BYTES), ("name", "name", _STRING)))
_ATTESTATION = _Struct(
    "Attestation",
    "policy",
    (("type", "type", _STRING), ("regopolicies", "rego_policies", _slice(_struct(_REGO_POLICY)))),
)
_STEP = _Struct(
    "Step",
    "policy",
    (
        ("name", "name", _STRING),
        ("functionaries", "functionaries", _slice(_struct(_FUNCTIONARY))),
        ("attestations", "attestations", _slice(_struct(_ATTESTATION))),
        ("artifactsFrom", "artifacts_from", _slice(_STRING)),
    ),
)
_ROOT = _Struct(
    "Root",
    "policy",
    (("certificate", "certificate", _BYTES), ("intermediates", "intermediates", _slice(_BYTES))),
)
_PUBLIC_KEY = _Struct("PublicKey", "policy", (("keyid", "keyid", _STRING), ("key", "key", _BYTES)))
_POLICY = _Struct(
    "Policy",
    "policy",
    (
        ("expires", "expires", _Kind("time")),
        ("roots", "roots", _map(_struct(_ROOT))),
        ("timestampauthorities", "timestamp_authorities", _map(_struct(_ROOT))),
        ("publickeys", "public_keys", _map(_struct(_PUBLIC_KEY))),
        ("steps", "steps", _map(_struct(_STEP))),
    ),
)

_SIMPLE_KEY = re.compile(r"[A-Za-z0-9_\-:/@.]+")


def _key_path(base: str, key: str) -> str:
    if _SIMPLE_KEY.fullmatch(key) and "." not in key:
        return f"{base}.{key}" if base else key
    return f"{base}[{go_quote(key)}]"


@dataclass(frozen=True)
class DecodeError:
    """One problem Go's decoder would hit. `fatal` errors stop Go's decoder at once."""

    message: str
    location: str
    kind: Literal["type", "base64", "time", "syntax"]
    fatal: bool = False


@dataclass
class _Ctx:
    errors: list[DecodeError] = field(default_factory=list)
    warnings: list[PolicyWarning] = field(default_factory=list)

    def type_error(
        self,
        value: Any,
        go_type: str,
        path: str,
        struct: str,
        stack: tuple[str, ...],
        *,
        what: str | None = None,
    ) -> None:
        """Go's UnmarshalTypeError with its field context."""
        where = f"Go struct field {struct}.{'.'.join(stack)}" if stack else "Go value"
        what = what or _go_value_name(value)
        self.errors.append(
            DecodeError(f"json: cannot unmarshal {what} into {where} of type {go_type}", path or "$", "type")
        )


def _unknown_key_warning(struct: _Struct, key: str, path: str) -> PolicyWarning:
    tags = [f[0] for f in struct.fields]
    hint = KNOWN_TYPOS.get(key) or KNOWN_TYPOS.get(key.lower())
    if hint is not None and struct.lookup(hint) is None:
        hint = None
    if hint is None:
        norm = re.sub(r"[_\-\s]", "", key).lower()
        for tag in tags:
            if tag.lower() == norm:
                hint = tag
        if hint is None:
            close = difflib.get_close_matches(norm, [t.lower() for t in tags], n=1, cutoff=0.8)
            if close:
                hint = next(t for t in tags if t.lower() == close[0])
    msg = f"unknown key {go_quote(key)} in {struct.name} is ignored by witness (Go's encoding/json drops unknown keys)"
    if hint is not None:
        msg += f"; did you mean {go_quote(hint)}? As written, the setting has no effect"
    return PolicyWarning(msg, path)


def _decode(
    value: Any,
    kind: _Kind,
    current: Any,
    ctx: _Ctx,
    path: str,
    struct: str,
    stack: tuple[str, ...],
) -> Any:
    """Decode `value` into a Go value of `kind` whose present content is `current`."""
    tag = kind.tag
    if value is None:  # JSON null
        if tag in ("slice", "map", "bytes"):
            return None
        if tag == "time":
            return None
        return current
    if tag == "string":
        if isinstance(value, str):
            return value
        ctx.type_error(value, kind.go_type(), path, struct, stack)
        return current
    if tag == "bytes":
        if isinstance(value, str):
            try:
                return go_b64decode(value)
            except Base64Error as exc:
                ctx.errors.append(DecodeError(str(exc), path, "base64"))
                return current
        if isinstance(value, list) and not isinstance(value, _Pairs):
            out = bytearray()
            for i, item in enumerate(value):  # Go also accepts []byte as an array of numbers
                if isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= 255:
                    out.append(item)
                    continue
                if item is not None:
                    number = isinstance(item, (int, float)) and not isinstance(item, bool)
                    what = f"number {item}" if number else None
                    ctx.type_error(item, "uint8", f"{path}[{i}]", struct, stack, what=what)
                out.append(0)
            return bytes(out)
        ctx.type_error(value, kind.go_type(), path, struct, stack)
        return current
    if tag == "time":  # metav1.Time.UnmarshalJSON: its error aborts Go's decoder (fatal)
        if not isinstance(value, str):
            where = f"Go struct field {struct}.{'.'.join(stack)}" if stack else "Go value"
            what = _go_value_name(value)
            message = f"json: cannot unmarshal {what} into {where} of type string"
            ctx.errors.append(DecodeError(message, path, "time", fatal=True))
            return current
        try:
            return parse_rfc3339(value)
        except TimeParseError as exc:
            ctx.errors.append(DecodeError(str(exc), path, "time", fatal=True))
            return current
    if tag == "slice":
        assert kind.elem is not None
        if not isinstance(value, list) or isinstance(value, _Pairs):
            ctx.type_error(value, kind.go_type(), path, struct, stack)
            return current
        old = list(current) if current else []
        out_list = []
        for i, item in enumerate(value):
            base = old[i] if i < len(old) else _zero(kind.elem)
            out_list.append(_decode(item, kind.elem, base, ctx, f"{path}[{i}]", struct, stack))
        return out_list
    if tag == "map":
        assert kind.elem is not None
        if not _is_object(value):
            ctx.type_error(value, kind.go_type(), path, struct, stack)
            return current
        out_map: dict[str, Any] = dict(current) if current else {}
        seen: set[str] = set()
        for key, item in _pairs(value):
            kpath = _key_path(path, key)
            if key in seen:
                ctx.warnings.append(
                    PolicyWarning(f"duplicate key {go_quote(key)}: Go keeps the last one", kpath)
                )
            seen.add(key)
            out_map[key] = _decode(item, kind.elem, _zero(kind.elem), ctx, kpath, struct, stack)
        return out_map
    # struct
    st = kind.struct
    assert st is not None
    if not _is_object(value):
        ctx.type_error(value, kind.go_type(), path, struct, stack)
        return current
    obj: dict[str, Any] = dict(current) if current else _zero(kind)
    bound: dict[str, str] = {}
    for key, item in _pairs(value):
        kpath = _key_path(path, key)
        f = st.lookup(key)
        if f is None:
            ctx.warnings.append(_unknown_key_warning(st, key, kpath))
            continue
        tagname, attr, fkind = f
        if attr in bound:
            ctx.warnings.append(
                PolicyWarning(
                    f"key {go_quote(key)} sets the same field as {go_quote(bound[attr])} ({tagname}); "
                    "Go applies both in order",
                    kpath,
                )
            )
        bound[attr] = key
        obj[attr] = _decode(item, fkind, obj.get(attr), ctx, kpath, st.name, (*stack, tagname))
        if item is not None:
            obj["__present__"] = {*obj.get("__present__", ()), attr}
    return obj


def _zero(kind: _Kind) -> Any:
    if kind.tag == "string":
        return ""
    if kind.tag == "struct":
        assert kind.struct is not None
        return {attr: _zero(k) for _, attr, k in kind.struct.fields}
    return None


# --------------------------------------------------------------------------------------------
# From decoded Go values to dataclasses
# --------------------------------------------------------------------------------------------


def _build_cert_constraint(d: dict[str, Any]) -> CertConstraint:
    ext = d.get("extensions") or {}
    return CertConstraint(
        common_name=d.get("common_name") or "",
        dns_names=list(d.get("dns_names") or []),
        emails=list(d.get("emails") or []),
        organizations=list(d.get("organizations") or []),
        uris=list(d.get("uris") or []),
        roots=list(d.get("roots") or []),
        extensions={go: ext[go] for go, _ in FULCIO_EXTENSION_FIELDS if ext.get(go)},
    )


def _build_root(d: dict[str, Any]) -> Root:
    return Root(
        certificate=d.get("certificate") or b"",
        intermediates=[b or b"" for b in d.get("intermediates") or []],
    )


def _build_step(d: dict[str, Any]) -> Step:
    functionaries = []
    for f in d.get("functionaries") or []:
        cc = f.get("cert_constraint")
        has_cc = "cert_constraint" in f.get("__present__", set()) and cc is not None
        functionaries.append(
            Functionary(
                type=f.get("type") or "",
                cert_constraint=_build_cert_constraint(cc) if has_cc else None,
                publickeyid=f.get("publickeyid") or "",
            )
        )
    attestations = [
        AttestationPolicy(
            type=a.get("type") or "",
            rego_policies=[
                RegoPolicy(name=r.get("name") or "", module=r.get("module") or b"")
                for r in a.get("rego_policies") or []
            ],
        )
        for a in d.get("attestations") or []
    ]
    return Step(
        name=d.get("name") or "",
        functionaries=functionaries,
        attestations=attestations,
        artifacts_from=list(d.get("artifacts_from") or []),
    )


def _build_policy(d: dict[str, Any]) -> Policy:
    return Policy(
        expires=d.get("expires"),
        roots={k: _build_root(v) for k, v in (d.get("roots") or {}).items()},
        timestamp_authorities={k: _build_root(v) for k, v in (d.get("timestamp_authorities") or {}).items()},
        public_keys={
            k: PublicKey(keyid=v.get("keyid") or "", key=v.get("key") or b"")
            for k, v in (d.get("public_keys") or {}).items()
        },
        steps={k: _build_step(v) for k, v in (d.get("steps") or {}).items()},
    )


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


@dataclass
class DecodedPolicy:
    """Everything known after decoding: the policy as Go would hold it, and every problem met."""

    policy: Policy
    errors: list[DecodeError]
    warnings: list[PolicyWarning]
    envelope: bool = False
    payload_type: str | None = None

    @property
    def go_error(self) -> DecodeError | None:
        """The error `json.Unmarshal` returns: a fatal one, else the first saved one."""
        for e in self.errors:
            if e.fatal:
                return e
        return self.errors[0] if self.errors else None


def _parse_pairs(data: bytes | str, source: str) -> Any:
    """Strict JSON (jsonio's checks and located errors) keeping key order and duplicates."""
    return jsonio.loads(data, source=source, object_pairs_hook=_Pairs)


def _envelope_payload(obj: Any) -> tuple[bytes | None, str | None]:
    """witness `ReadPolicy`: a JSON that decodes as a DSSE envelope with a payload is an envelope."""
    if not _is_object(obj):
        return None, None
    payload: bytes | None = None
    payload_type: str | None = None
    ok = True
    for key, value in _pairs(obj):
        k = _fold(key)
        if k == "payload":
            if value is None:
                payload = None
            elif isinstance(value, str):
                try:
                    payload = go_b64decode(value)
                except Base64Error:
                    ok = False
            else:
                ok = False
        elif k == "payloadtype":
            if isinstance(value, str):
                payload_type = value
            elif value is not None:
                ok = False
        elif k == "signatures" and not (
            value is None or (isinstance(value, list) and not isinstance(value, _Pairs))
        ):
            ok = False
    if not ok or payload is None:
        return None, None
    return payload, payload_type


def decode_policy(data: bytes | str | Mapping[str, Any] | Any, *, source: str = "<policy>") -> DecodedPolicy:
    """Decode a policy (JSON bytes/text, a decoded JSON value, or a DSSE envelope of one).

    Raises `InputError` only when the input is not JSON at all; Go decoding problems are collected.
    """
    obj = _parse_pairs(data, source) if isinstance(data, (bytes, str)) else data
    envelope = False
    payload, payload_type = _envelope_payload(obj)
    if payload is not None:
        envelope = True
        psource = f"{source}:payload"
        if not payload.strip():
            raise InputError("DSSE payload is empty, expected a policy JSON", source=psource)
        obj = _parse_pairs(payload, psource)
    ctx = _Ctx()
    kind = _struct(_POLICY)
    decoded = _decode(obj, kind, _zero(kind), ctx, "", "Policy", ())
    if not isinstance(decoded, dict):
        decoded = _zero(kind)
    policy = _build_policy(decoded)
    return DecodedPolicy(policy, ctx.errors, ctx.warnings, envelope=envelope, payload_type=payload_type)


def parse_policy(
    data: bytes | str | Mapping[str, Any] | Any, *, source: str = "<policy>"
) -> tuple[Policy, list[PolicyWarning]]:
    """Decode a policy as go-witness does; raises `InputError` with Go's error where Go fails.

    Accepts JSON bytes/text, a decoded JSON object, or a DSSE envelope (its payload is used; the
    signature is NOT checked here).
    """
    result = decode_policy(data, source=source)
    err = result.go_error
    if err is not None:
        raise InputError(err.message, source=source, location=err.location)
    return result.policy, result.warnings


def load_policy_file(path: str | os.PathLike[str]) -> tuple[Policy, list[PolicyWarning]]:
    """Read and decode a policy file (bare JSON or DSSE envelope)."""
    data = jsonio.read_bytes(path, max_bytes=MAX_POLICY_BYTES)
    return parse_policy(data, source=str(path))


# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------


def pem_block_type(data: bytes) -> str | None:
    """Type of the first PEM block in `data` (like Go's pem.Decode), or None if there is none."""
    block = crypto.first_pem_block(data)
    return block.type if block is not None else None


def looks_like_der(data: bytes) -> bool:
    """True for raw DER (an ASN.1 SEQUENCE), i.e. base64(DER) was stored instead of base64(PEM)."""
    return len(data) > 2 and data[0] == 0x30 and data[1] in (*range(0x01, 0x80), 0x81, 0x82, 0x83)


def public_key_verifier(pk: PublicKey) -> Any:
    """A `crypto.Verifier` for one embedded key, checking its keyid like go-witness does."""
    if pk.is_kms:
        raise PolicyKeyError(
            f"failed to create kms verifier: key {pk.keyid} is a KMS reference; KMS keys cannot be "
            "used offline (witness would call the KMS service and ignore the embedded key)"
        )
    try:
        verifier = crypto.Verifier.from_pem(pk.key, source=f"publickeys.{pk.keyid}")
    except InputError as exc:
        raise PolicyKeyError(exc.message) from None
    if verifier.keyid != pk.keyid:
        raise PolicyKeyError(f"public key in policy has expected key id {pk.keyid} but got {verifier.keyid}")
    return verifier


def public_key_verifiers(policy: Policy, *, kms: Literal["error", "skip"] = "error") -> dict[str, Any]:
    """go-witness `Policy.PublicKeyVerifiers`: verifier per recomputed key id.

    Raises `PolicyKeyError` (`public key in policy has expected key id X but got Y`, `invalid pem
    block`, ...). KMS keys cannot be verified offline: error, or left out with `kms="skip"`.
    """
    out: dict[str, Any] = {}
    for pk in policy.public_keys.values():
        if pk.is_kms and kms == "skip":
            continue
        v = public_key_verifier(pk)
        out[v.keyid] = v
    return out


def trust_bundles(roots: Mapping[str, Root], *, source: str = "roots") -> dict[str, TrustBundle]:
    """Parse policy `roots` (or `timestampauthorities`) into certificates; `InputError` if one is bad."""
    out: dict[str, TrustBundle] = {}
    for rid, root in roots.items():
        cert = x509.load_certificate(root.certificate, source=f"{source}.{rid}.certificate")
        inter = [
            x509.load_certificate(b, source=f"{source}.{rid}.intermediates[{i}]")
            for i, b in enumerate(root.intermediates)
        ]
        out[rid] = TrustBundle(cert, inter)
    return out


def iter_rego(policy: Policy) -> Iterator[tuple[str, int, int, AttestationPolicy, RegoPolicy]]:
    """(step key, attestation index, module index, attestation, module) for every Rego module."""
    for skey, step in policy.steps.items():
        for ai, att in enumerate(step.attestations):
            for ri, rp in enumerate(att.rego_policies):
                yield skey, ai, ri, att, rp
