"""Rego requirements over one attestor's predicate: the module, and the inputs it must pass and deny.

A `Req` states one requirement ("the branch must be `main`") as data: the deny rules that enforce it,
a few realistic predicates (`bases`, built with the core attestor builders), a mutation that makes a
base compliant (`good`) and mutations that each break exactly this requirement (`bads`). The inputs
follow: pass = good(base), deny = bad(good(base)). Two requirements on the same attestor that touch
disjoint fields combine into one module (`combine`) whose deny inputs violate one requirement at a
time; the "also require Y" follow-ups and two-condition requests use that.

`render` writes a module in portable v1 form (`import rego.v1`, `deny contains msg if`, valid for
`witness verify`'s OPA v0 parser and `witness policy check`'s v1 parser) or classic v0 form
(`deny[msg] {`, `witness verify` only). Nothing here decides whether a module is right: the family
scores every reference answer in the Rego sandbox against the inputs.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from witness_evals.witness.attestors import Scenario, get

Mut = Callable[[Any], Any]
"""A pure function from a predicate to a changed copy."""
Line = str | tuple[str, str]
"""A rule-body line; a (v0, v1) pair where the idiomatic forms differ."""


@dataclass(frozen=True)
class Rule:
    """One `deny` rule: its body lines and the Rego expression of its message."""

    body: tuple[Line, ...]
    msg: str


@dataclass(frozen=True)
class Req:
    """One requirement on one attestor's predicate, with the Rego that enforces it and its test inputs."""

    attestor: str
    rid: str
    """Requirement id, e.g. `branch` (stable: used in groups and templates)."""
    param: str
    """The requirement's parameter in one string (group key)."""
    rule: str
    """The requirement as a clause: "the commit must be on the `main` branch"."""
    ask: str
    """The same as a verb phrase: "only accept commits on the `main` branch"."""
    control: str
    """The same as a control from a security standard ("Release builds SHALL ...")."""
    package: str
    rules: tuple[Rule, ...]
    fields: str
    """One or two sentences on the input path(s) the rule reads."""
    bases: tuple[Any, ...]
    good: Mut
    bads: tuple[Mut, ...]
    bad_desc: tuple[str, ...]
    """What each bad input is, as a noun phrase ("a build from `develop`")."""
    touches: frozenset[str]
    """Top-level predicate keys that `good`/`bads` change (requirements combine only when disjoint)."""
    consts: tuple[str, ...] = ()
    helpers: tuple[tuple[str, tuple[Line, ...]], ...] = ()
    note: str = ""
    att_type: str = ""
    paths: tuple[tuple[str, str], ...] = ()
    """(Rego path, what it holds) pairs this requirement teaches (also used by the facts family)."""
    bugs: tuple[Bug, ...] = ()
    extra_pass: tuple[Mut, ...] = ()
    """More compliant inputs: each applied to good(bases[0]) (e.g. the other allowed value)."""
    story: tuple[str, ...] = ()
    """The need in a user's own words (what went wrong, the team's convention), each stating every value
    the module uses and never the predicate path; a narrative request picks one."""

    def type_uri(self) -> str:
        return self.att_type or get(self.attestor).type

    @property
    def key(self) -> str:
        return f"{self.attestor}/{self.rid}"

    def pass_inputs(self) -> list[Any]:
        return list(self._inputs[0])

    def deny_inputs(self) -> list[Any]:
        return list(self._inputs[1])

    @cached_property
    def _inputs(self) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        good = [self.good(b) for b in self.bases]
        passing = (*good, *(m(good[0]) for m in self.extra_pass))
        denied = tuple(bad(good[i % len(good)]) for i, bad in enumerate(self.bads))
        return passing, denied

    def file_name(self) -> str:
        return self.package.replace(".", "-").replace("_", "-") + ".rego"


@dataclass(frozen=True)
class Bug:
    """A logic mistake in a module: replace `old` by `new` in the v1 rendering; `why` explains it."""

    bid: str
    old: str
    new: str
    why: str


# ------------------------------------------------------------------------------------------ mutations


def chain(*muts: Mut) -> Mut:
    def run(x: Any) -> Any:
        for m in muts:
            x = m(x)
        return x

    return run


def identity(x: Any) -> Any:
    return x


def _walk(x: Any, path: Sequence[Any]) -> Any:
    for p in path:
        x = x[p]
    return x


def setp(*path: Any, value: Any) -> Mut:
    """Set the value at `path` (dict keys / list indices), creating dicts on the way."""

    def run(x: Any) -> Any:
        out = copy.deepcopy(x)
        cur = out
        for p in path[:-1]:
            if isinstance(cur, dict) and p not in cur:
                cur[p] = {}
            cur = cur[p]
        cur[path[-1]] = copy.deepcopy(value)
        return out

    return run


def delp(*path: Any) -> Mut:
    """Remove the key at `path` (no-op when absent)."""

    def run(x: Any) -> Any:
        out = copy.deepcopy(x)
        try:
            parent = _walk(out, path[:-1])
        except (KeyError, IndexError, TypeError):
            return out
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
        return out

    return run


def edit(fn: Callable[[Any], object]) -> Mut:
    """A mutation written as an in-place edit of a deep copy (`fn`'s return value is ignored)."""

    def run(x: Any) -> Any:
        out = copy.deepcopy(x)
        fn(out)
        return out

    return run


def predicate(name: str, s: Scenario) -> Any:
    """The Rego input of attestor `name` for scenario `s` (wire format, re-marshalled)."""
    spec = get(name)
    return spec.rego_input(spec.build(s.sub_rng(name), s))


def q(value: str) -> str:
    """A Rego string literal (JSON escaping is valid Rego)."""
    return json.dumps(value)


def rset(values: Sequence[str]) -> str:
    """A Rego set literal of strings."""
    return "{" + ", ".join(q(v) for v in values) + "}"


def rarr(values: Sequence[str]) -> str:
    """A Rego array literal of strings."""
    return "[" + ", ".join(q(v) for v in values) + "]"


_REF_PART = re.compile(r'\.(\w+)|\[("(?:[^"\\]|\\.)*"|\d+)\]')


def got(ref: str, default: Any = "(none)") -> str:
    """`ref` read with a default, for a deny message: `got("input.jwt.claims.ref")` is
    `object.get(input, ["jwt", "claims", "ref"], "(none)")`, `got("p.mime_type")` is
    `object.get(p, "mime_type", "(none)")`, `got("input.cmd[0]")` is `object.get(input, ["cmd", 0], "(none)")`.

    A rule whose body also holds when the field is missing (`not input.x == v`, `not allowed[input.x]`,
    `not startswith(input.x, ...)`) must not read the bare field in its message: `sprintf` over an undefined
    value is undefined, the rule adds no message and the module passes the attestation (it fails open).
    `object.get` returns the default when any key of the path is missing or its parent is not an object, in
    OPA (array paths since v0.44; witness builds with v1.15, v1/topdown/object.go `builtinObjectGet`) and in
    regorus alike. The root (`input`, an iteration variable) is always defined where the message is built."""
    root = re.match(r"\w+", ref)
    assert root, ref
    parts: list[str] = []
    rest = ref[root.end() :]
    while rest:
        m = _REF_PART.match(rest)
        assert m, ref
        parts.append(q(m.group(1)) if m.group(1) else m.group(2))
        rest = rest[m.end() :]
    assert parts, ref
    path = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    return f"object.get({root.group(0)}, {path}, {json.dumps(default)})"


def md_list(values: Sequence[str], word: str = "or") -> str:
    """`a`, `b` or `c` in prose."""
    items = [f"`{v}`" for v in values]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


# ------------------------------------------------------------------------------------------ rendering

_ITER = re.compile(r"^(\w+) := (.+)\[_\]$")


def _line(line: Line, v1: bool) -> str:
    if isinstance(line, tuple):
        return line[1] if v1 else line[0]
    if v1:
        m = _ITER.match(line)
        if m and "[_]" not in m.group(2):
            return f"some {m.group(1)} in {m.group(2)}"
    return line


def _head(head: str, v1: bool) -> str:
    return f"{head} if {{" if v1 else f"{head} {{"


def render(req: Req, style: str = "v1") -> str:
    """The module in portable v1 (`import rego.v1`) or classic v0 (`deny[msg] {`) syntax."""
    v1 = style == "v1"
    lines = [f"package {req.package}", ""]
    if v1:
        lines += ["import rego.v1", ""]
    for const in req.consts:
        lines += [const, ""]
    for rule in req.rules:
        lines.append("deny contains msg if {" if v1 else "deny[msg] {")
        lines += [f"\t{_line(b, v1)}" for b in rule.body]
        lines += [f"\tmsg := {rule.msg}", "}", ""]
    for head, body in req.helpers:
        lines.append(_head(head, v1))
        lines += [f"\t{_line(b, v1)}" for b in body]
        lines += ["}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def apply_bug(req: Req, bug: Bug, style: str = "v1") -> str:
    """The module (`render` style) with `bug` applied ("" when its text does not occur)."""
    src = render(req, style)
    v1 = style == "v1"
    old, new = bug.old, bug.new
    if "\n" not in old and "\n" not in new:
        old, new = _line(old, v1), _line(new, v1) if new else new
    if old not in src:
        return ""
    return src.replace(old, new, 1)


def b64(module: str) -> str:
    """Standard padded base64 of the module's bytes: what `regopolicies[].module` holds."""
    return base64.b64encode(module.encode()).decode()


def attestation_entry(req: Req, module: str, name: str | None = None) -> str:
    """The policy step's `attestations` entry carrying the module (pretty JSON)."""
    entry = {
        "type": req.type_uri(),
        "regopolicies": [{"name": name or req.file_name(), "module": b64(module)}],
    }
    return json.dumps(entry, indent=2)


# ------------------------------------------------------------------------------------------ combining


def _names(req: Req) -> set[str]:
    out = {c.split(":=")[0].split()[-1].strip() for c in req.consts if ":=" in c}
    out |= {h.split("(")[0].split()[0] for h, _ in req.helpers}
    return out


_SENTENCE = re.compile(r"(?<=[.)])\s+(?=[`A-Z(])")


def new_sentences(known: str, text: str) -> str:
    """The sentences of `text` that `known` does not already say (for two requirements on one attestor)."""
    have = set(_SENTENCE.split(known))
    return " ".join(x for x in _SENTENCE.split(text) if x not in have)


def can_combine(a: Req, b: Req) -> bool:
    return (
        a.attestor == b.attestor
        and a.type_uri() == b.type_uri()
        and a.rid != b.rid
        and not (a.touches & b.touches)
        and not (_names(a) & _names(b))
    )


def combine(a: Req, b: Req) -> Req:
    """One module enforcing both requirements (same attestor, disjoint fields)."""
    assert can_combine(a, b), (a.key, b.key)
    if a.note and a.note in b.note:
        notes = b.note
    elif b.note in a.note:
        notes = a.note
    else:  # the same caveat (e.g. gitlab's jwt note) is said once
        notes = " ".join(n for n in (a.note, b.note) if n)
    return replace(
        a,
        rid=f"{a.rid}+{b.rid}",
        param=f"{a.param}+{b.param}",
        rule=f"{a.rule}, and {b.rule}",
        ask=f"{a.ask} and {b.ask}",
        control=f"{a.control} {b.control}",
        rules=a.rules + b.rules,
        fields=f"{a.fields} {new_sentences(a.fields, b.fields)}".strip(),
        good=chain(a.good, b.good),
        bads=a.bads + b.bads,
        extra_pass=a.extra_pass + b.extra_pass,
        bad_desc=a.bad_desc + b.bad_desc,
        touches=a.touches | b.touches,
        consts=a.consts + tuple(c for c in b.consts if c not in a.consts),
        helpers=a.helpers + b.helpers,
        note=notes,
        paths=a.paths + b.paths,
        bugs=(),
        story=(),
    )
