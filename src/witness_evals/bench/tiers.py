"""Context tiers: the bare request, or the request plus the reference material `ask` can supply.

Tier `bare` is the conversation as a user would send it. Tier `context` appends to the last user turn
the relevant attestor's predicate schema (field outline from its real JSON schema) and one example
predicate as Rego sees it, and for policy, command and diagnose tasks a short card of the policy
format or the command's flags — so the value of giving a model the schema is measured.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from witness_evals.bench.task import Task
from witness_evals.witness import attestors
from witness_evals.witness.cli import COMMANDS

TIERS: tuple[str, ...] = ("bare", "context")
MAX_EXAMPLE_CHARS = 1800

POLICY_CARD = """Witness policy format (JSON, signed with `witness sign` before `witness verify`):
{"expires": "<RFC 3339 time>",
 "steps": {"<step>": {"name": "<step, same as the key and as witness run --step>",
   "attestations": [{"type": "<predicate type URI>", "regopolicies": [{"name": "<name>", "module": "<base64 of the Rego module>"}]}],
   "functionaries": [{"type": "publickey", "publickeyid": "<keyid>"} | {"type": "root", "certConstraint": {"commonname": "*", "dnsnames": ["*"], "emails": ["*"], "organizations": ["*"], "uris": ["*"], "roots": ["<root id>"]}}],
   "artifactsFrom": ["<earlier step>"]}},
 "publickeys": {"<keyid>": {"keyid": "<keyid>", "key": "<base64 of the PEM public key>"}},
 "roots": {"<root id>": {"certificate": "<base64 of the PEM certificate>", "intermediates": ["<base64 PEM>"]}}}
keyid = hex SHA-256 of the PEM public key file (PKIX). The collection predicate type is
https://witness.testifysec.com/attestation-collection/v0.1; material, product and (with a command)
command-run are always recorded; -a replaces the default environment,git."""


def _outline(node: Any, defs: dict[str, Any], indent: int, depth: int, out: list[str]) -> None:
    if depth > 3 or len(out) > 70:
        return
    props = node.get("properties") or {}
    for name, sub in props.items() if isinstance(props, dict) else ():
        kind, child = _kind(sub, defs)
        out.append(f"{'  ' * indent}{name}: {kind}")
        if child is not None:
            _outline(child, defs, indent + 1, depth + 1, out)


def _kind(sub: Any, defs: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    if not isinstance(sub, dict):  # `true` in a schema: any value
        return "any", None
    if "$ref" in sub:
        name = sub["$ref"].rsplit("/", 1)[-1]
        target = defs.get(name, {})
        if name == "DigestSet":
            return "object {<hash>: <hex>}", None
        return f"object ({name})", target if target.get("properties") else None
    t = sub.get("type", "any")
    if t == "array":
        kind, child = _kind(sub.get("items") or {}, defs)
        return f"array of {kind}", child
    if t == "object" and "additionalProperties" in sub and isinstance(sub["additionalProperties"], dict):
        kind, child = _kind(sub["additionalProperties"], defs)
        return f"map of string -> {kind}", child
    return str(t), None


@functools.lru_cache(maxsize=64)
def attestor_card(name: str) -> str:
    """Predicate type, run type, field outline and one example predicate of an attestor."""
    from witness_evals.bench.task import example_input
    from witness_evals.witness.attestors.schema import raw_schema

    spec = attestors.get(name)
    schema = raw_schema(spec.name)
    defs = schema.get("$defs", {})
    root = defs.get(schema.get("$ref", "").rsplit("/", 1)[-1], schema)
    lines: list[str] = []
    _outline(root, defs, 1, 0, lines)
    scenario: dict[str, Any] = {}
    if spec.name in ("github", "gitlab", "jenkins", "aws-codebuild"):
        scenario["ci"] = spec.name
    if spec.name == "sbom":
        scenario.update(step_kind="sbom", sbom_kind="spdx")
    example = example_input({"$example": spec.name, "$seed": 1, "$scenario": scenario})
    text = json.dumps(example, indent=1)
    if len(text) > MAX_EXAMPLE_CHARS:
        text = text[:MAX_EXAMPLE_CHARS] + "\n... (truncated)"
    outline = "\n".join(lines) if lines else "  (the predicate is a map; see the example)"
    return (
        f"Attestor `{spec.name}`: predicate type {spec.type}, run type {spec.run_type}.\n"
        f"Predicate fields (Rego `input` is the predicate):\n{outline}\n"
        f"Example predicate as Rego sees it:\n{text}"
    )


@functools.lru_cache(maxsize=16)
def command_card(sub: str) -> str:
    """The flags of one witness subcommand (long name, shorthand, type, default)."""
    cmd = COMMANDS.get(sub)
    if cmd is None:
        return ""
    rows = []
    for f in cmd.flags:
        if f.hidden or f.deprecated:
            continue
        short = f"-{f.short}, " if f.short else ""
        default = f" (default {f.default})" if f.default not in (None, "", "[]") else ""
        rows.append(f"  {short}--{f.name} {f.type}{default}")
    return f"Flags of `witness {sub}`:\n" + "\n".join(rows)


def context_for(task: Task) -> str:
    """The reference material of the `context` tier ("" if the task has none)."""
    parts: list[str] = []
    if task.attestor:
        parts.append(attestor_card(task.attestor))
    if task.kind in ("policy", "review", "diagnose"):
        parts.append(POLICY_CARD)
    if task.kind in ("command", "diagnose"):
        subs = [c.get("subcommand") for c in _command_checks(task.check)]
        for sub in dict.fromkeys(s for s in subs if isinstance(s, str)):
            parts.append(command_card(sub))
    return "\n\n".join(p for p in parts if p)


def _command_checks(check: dict[str, Any]) -> list[dict[str, Any]]:
    if check.get("type") == "command":
        return list(check.get("commands") or [])
    if check.get("type") == "all":
        return [c for sub in check.get("checks", []) for c in _command_checks(sub)]
    return []


def messages_for(task: Task, tier: str) -> list[dict[str, str]]:
    """The conversation the model gets for `task` in `tier`."""
    messages = [dict(m) for m in task.messages]
    if tier == "context":
        card = context_for(task)
        if card:
            messages[-1]["content"] += "\n\n---\nReference material:\n" + card
    elif tier != "bare":
        raise ValueError(f"unknown tier {tier!r}")
    return messages
