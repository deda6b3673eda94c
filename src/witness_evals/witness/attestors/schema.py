"""Validate wire-format predicates against the attestor JSON schemas shipped with witness.

Quirks handled (the schemas are reflected from Go structs, not from the wire format):
* material/product/sbom schemas describe a wrapper (`Materials`, `Products`, `SBOMDocument`) that
  is not on the wire, so the predicate is wrapped before validation;
* github/gitlab/gcp-iit embed the jwt schema as a sub-document with its own `$defs` but no `$id`,
  so its `#/$defs/...` references would resolve against the outer document; we give every embedded
  document an `$id` so they resolve inside it;
* `jose.JSONWebKey` is reflected as its Go fields, but go-jose marshals an RFC 7517 JWK object
  (`kty`, `kid`, `n`, ...); the definition is replaced by "any object";
* a Go slice is reflected as `"type": "array"`, but encoding/json writes a nil slice as `null`
  (e.g. gcp-iit's `licence_id`, never set on the only path that writes one): arrays also accept `null`;
* a Go map is reflected as `"type": "object"` with a schema for `additionalProperties`, but a nil map
  is written as `null` too (k8smanifest's `clusterinfo.nodes`, k8s.go:83, stays nil without a `Node`
  manifest, k8s.go:451-475): such objects also accept `null`.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from witness_evals.common.errors import InputError
from witness_evals.witness.attestors import get

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date-time")
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(_DATE_TIME.match(value))


def raw_schema(name_or_type: str) -> dict[str, Any]:
    """The schema file of an attestor, unchanged."""
    spec = get(name_or_type)
    text = resources.files("witness_evals.witness").joinpath("schemas", spec.schema_file).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _fix(node: Any, name: str, path: str, root: bool) -> None:
    if isinstance(node, dict):
        if not root and "$defs" in node and "$ref" in node and "$id" not in node:
            node["$id"] = f"urn:witness-evals:schema:{name}:{path or 'root'}"
        if node.get("type") == "array":
            node["type"] = ["array", "null"]
        elif node.get("type") == "object" and isinstance(node.get("additionalProperties"), dict):
            node["type"] = ["object", "null"]
        defs = node.get("$defs")
        if isinstance(defs, dict) and "JSONWebKey" in defs:
            defs["JSONWebKey"] = {"type": "object"}
        for key, value in node.items():
            _fix(value, name, f"{path}/{key}", False)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _fix(value, name, f"{path}/{i}", False)


@cache
def validator(name: str) -> Draft202012Validator:
    """Compiled (cached) validator for an attestor's wire format."""
    schema = copy.deepcopy(raw_schema(name))
    _fix(schema, name, "", True)
    return Draft202012Validator(schema, format_checker=_FORMATS)


def errors(name_or_type: str, predicate: Any) -> list[str]:
    """Schema violations of a wire-format predicate, as `<json path>: <message>` lines (empty = valid)."""
    spec = get(name_or_type)
    doc = {spec.schema_wrapper: predicate} if spec.schema_wrapper else predicate
    out = []
    for err in sorted(validator(spec.name).iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        parts = list(err.absolute_path)
        if spec.schema_wrapper and parts:
            parts = parts[1:]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".") or "(root)"
        out.append(f"{where}: {err.message}")
    return out


def validate(name_or_type: str, predicate: Any, *, source: str = "<predicate>") -> None:
    """Raise `InputError` (first violation located) if the predicate does not match the schema."""
    problems = errors(name_or_type, predicate)
    if problems:
        where, _, msg = problems[0].partition(": ")
        raise InputError(f"schema violation: {msg}", source=source, location=where)
