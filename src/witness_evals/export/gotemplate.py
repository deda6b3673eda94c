"""Render the subset of Go `text/template` that Ollama chat templates need, as Ollama would.

Ollama renders a Modelfile's TEMPLATE with Go's text/template; this module follows Go's rules for
what it supports, so the export can check that a TEMPLATE it writes renders exactly like the
model's Jinja chat template before writing it:

- text and `{{ action }}`, with Go's trim markers (`{{- ` and ` -}}` remove all adjacent white
  space) and comments (`{{/* ... */}}`);
- `if` / `else if` / `else` / `end`, `range PIPELINE`, `range $v := PIPELINE`,
  `range $i, $v := PIPELINE` (with `else`), variables (`$x := ...`, `$x = ...`, `$`, `$x.Field`);
- operands: `.`, `.Field.Field`, string ("..." with Go escapes, `raw`), integer and boolean
  literals, `( ... )`; functions `eq`, `ne`, `and`, `or`, `not`, `len`, `index`, `slice`, `printf`
  (verbs %s, %d, %v, %%). No pipes (`|`), no `with`, `define`, `template` or `block`.

Anything outside this subset raises `GoTemplateError` instead of guessing. `render_ollama` prepares
the data the way Ollama's `template.Execute` does for a chat: messages of the same role in a row are
joined with a blank line (Ollama's `collate`), `.System` is the system messages joined likewise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

WHITESPACE = " \t\r\n"


class GoTemplateError(ValueError):
    """A template outside the supported subset, or an error Go would report while executing it."""


# ---------------------------------------------------------------- lexing


@dataclass
class _Action:
    text: str  # between the delimiters, trim markers removed


def _split(template: str) -> list[str | _Action]:
    """Text and actions, with Go's trim markers applied to the adjacent text."""
    parts: list[str | _Action] = []
    pos = 0
    trim_next = False
    while True:
        start = template.find("{{", pos)
        text = template[pos:] if start < 0 else template[pos:start]
        if trim_next:
            text = text.lstrip(WHITESPACE)
        if start < 0:
            parts.append(text)
            return parts
        end = template.find("}}", start + 2)
        if end < 0:
            raise GoTemplateError(f"unclosed action at offset {start}")
        inner = template[start + 2 : end]
        if inner.startswith("-") and inner[1:2] in tuple(WHITESPACE):
            text = text.rstrip(WHITESPACE)
            inner = inner[2:]
        trim_next = inner.endswith("-") and inner[-2:-1] in tuple(WHITESPACE)
        if trim_next:
            inner = inner[:-2]
        parts.append(text)
        stripped = inner.strip(WHITESPACE)
        if stripped.startswith("/*"):
            if not stripped.endswith("*/"):
                raise GoTemplateError(f"unclosed comment at offset {start}")
        else:
            parts.append(_Action(stripped))
        pos = end + 2


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\\n]|\\.)*")
    | (?P<raw>`[^`]*`)
    | (?P<number>-?\d+)
    | (?P<declare>:=)
    | (?P<assign>=)
    | (?P<close>\)(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    | (?P<punct>[(,|])
    | (?P<variable>\$[A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.X,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while text[pos:].strip(WHITESPACE):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise GoTemplateError(f"cannot read {text[pos:]!r} in {{{{ {text} }}}}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _unquote(token: str) -> str:
    if token.startswith("`"):
        return token[1:-1]
    body, out, i = token[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]
            if nxt not in _ESCAPES:
                raise GoTemplateError(f"unsupported escape \\{nxt} in {token}")
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


# ---------------------------------------------------------------- parsing

Expr = Any  # ("lit", v) | ("field", names) | ("var", name, names) | ("sub", expr, names) | ("call", fn, args)


def _names(dotted: str) -> tuple[str, ...]:
    return tuple(n for n in dotted.split(".") if n)


def _parse_command(tokens: list[tuple[str, str]], pos: int, nested: bool) -> tuple[Expr, int]:
    """A command: one operand, or a function name and its arguments; inside `( )` up to the `)`."""
    operands: list[Expr] = []
    while pos < len(tokens):
        kind, value = tokens[pos]
        if kind == "close":
            if not nested:
                raise GoTemplateError("unexpected )")
            break
        pos += 1
        if kind == "punct" and value == "(":
            inner, pos = _parse_command(tokens, pos, True)
            if pos >= len(tokens):
                raise GoTemplateError("unclosed (")
            operands.append(("sub", inner, _names(tokens[pos][1][1:])))
            pos += 1
        elif kind == "punct":
            raise GoTemplateError(f"{value!r} is not supported (no pipes)")
        elif kind in ("string", "raw"):
            operands.append(("lit", _unquote(value)))
        elif kind == "number":
            operands.append(("lit", int(value)))
        elif kind == "word" and value in ("true", "false"):
            operands.append(("lit", value == "true"))
        elif kind == "word" and value == "nil":
            operands.append(("lit", None))
        elif kind == "word":
            if value not in FUNCS:
                raise GoTemplateError(f"function {value!r} not defined")
            operands.append(("fn", value))
        elif kind == "field":
            operands.append(("field", _names(value)))
        elif kind == "variable":
            name, _, rest = value.partition(".")
            operands.append(("var", name, _names(rest)))
        else:
            raise GoTemplateError(f"unexpected {value!r}")
    if not operands:
        raise GoTemplateError("missing value")
    head = operands[0]
    if any(o[0] == "fn" for o in operands[1:]):
        raise GoTemplateError("a function name used as an argument")
    if head[0] == "fn":
        return ("call", head[1], tuple(operands[1:])), pos
    if len(operands) > 1:
        raise GoTemplateError("can't give an argument to a non-function")
    return head, pos


def _parse_pipeline(text: str) -> Expr:
    tokens = _tokens(text)
    expr, pos = _parse_command(tokens, 0, False)
    if pos != len(tokens):
        raise GoTemplateError(f"unexpected {tokens[pos][1]!r} in {{{{ {text} }}}}")
    return expr


@dataclass
class _Node:
    kind: str  # text | output | declare | assign | if | range
    value: Any = None
    names: tuple[str, ...] = ()
    branches: list[tuple[Expr, list[_Node]]] = field(default_factory=list)
    otherwise: list[_Node] = field(default_factory=list)
    body: list[_Node] = field(default_factory=list)


_DECL = re.compile(r"^(\$[A-Za-z0-9_]*)\s*(:=|=)\s*(.+)$", re.S)
_RANGE_VARS = re.compile(r"^(\$[A-Za-z0-9_]*)(?:\s*,\s*(\$[A-Za-z0-9_]*))?\s*:=\s*(.+)$", re.S)


def parse(template: str) -> list[_Node]:
    """The template's node tree; `GoTemplateError` outside the supported subset."""
    items = _split(template)
    nodes, rest = _parse_nodes(items, 0, top=True)
    assert rest == len(items)
    return nodes


def _parse_nodes(items: list[str | _Action], pos: int, *, top: bool = False) -> tuple[list[_Node], int]:
    nodes: list[_Node] = []
    while pos < len(items):
        item = items[pos]
        if isinstance(item, str):
            if item:
                nodes.append(_Node("text", item))
            pos += 1
            continue
        word = item.text.split(None, 1)[0] if item.text else ""
        if word in ("end", "else"):
            if top:
                raise GoTemplateError(f"unexpected {{{{{word}}}}}")
            return nodes, pos
        if word in ("with", "define", "template", "block", "break", "continue"):
            raise GoTemplateError(f"{{{{{word}}}}} is not supported")
        if word == "if":
            node, pos = _parse_if(items, pos)
            nodes.append(node)
            continue
        if word == "range":
            node, pos = _parse_range(items, pos)
            nodes.append(node)
            continue
        decl = _DECL.match(item.text)
        if decl:
            kind = "declare" if decl.group(2) == ":=" else "assign"
            nodes.append(_Node(kind, _parse_pipeline(decl.group(3)), (decl.group(1),)))
        else:
            nodes.append(_Node("output", _parse_pipeline(item.text)))
        pos += 1
    if not top:
        raise GoTemplateError("missing {{end}}")
    return nodes, pos


def _close(items: list[str | _Action], pos: int) -> tuple[str, int]:
    item = items[pos]
    assert isinstance(item, _Action)
    return item.text, pos


def _parse_if(items: list[str | _Action], pos: int) -> tuple[_Node, int]:
    item = items[pos]
    assert isinstance(item, _Action)
    node = _Node("if")
    cond = _parse_pipeline(item.text[2:])
    while True:
        body, pos = _parse_nodes(items, pos + 1)
        node.branches.append((cond, body))
        text, pos = _close(items, pos)
        if text == "end":
            return node, pos + 1
        if text.startswith("else if "):
            cond = _parse_pipeline(text[len("else if ") :])
            continue
        if text == "else":
            node.otherwise, pos = _parse_nodes(items, pos + 1)
            text, pos = _close(items, pos)
            if text != "end":
                raise GoTemplateError(f"expected {{{{end}}}}, got {{{{{text}}}}}")
            return node, pos + 1
        raise GoTemplateError(f"unsupported {{{{{text}}}}}")


def _parse_range(items: list[str | _Action], pos: int) -> tuple[_Node, int]:
    item = items[pos]
    assert isinstance(item, _Action)
    spec = item.text[len("range") :].strip()
    names: tuple[str, ...] = ()
    match = _RANGE_VARS.match(spec)
    if match:
        names = tuple(n for n in (match.group(1), match.group(2)) if n)
        spec = match.group(3)
    node = _Node("range", _parse_pipeline(spec), names)
    node.body, pos = _parse_nodes(items, pos + 1)
    text, pos = _close(items, pos)
    if text == "else":
        node.otherwise, pos = _parse_nodes(items, pos + 1)
        text, pos = _close(items, pos)
    if text != "end":
        raise GoTemplateError(f"expected {{{{end}}}}, got {{{{{text}}}}}")
    return node, pos + 1


# ---------------------------------------------------------------- execution


def truth(value: Any) -> bool:
    """Go's truth: false, 0, nil and empty strings, lists and maps are false."""
    if value is None:
        return False
    if isinstance(value, (bool, int, str, list, tuple, dict)):
        return bool(value)
    return True


def _printf(fmt: str, *args: Any) -> str:
    out, i, arg = [], 0, 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        verb = fmt[i + 1 : i + 2]
        if verb == "%":
            out.append("%")
        elif verb in ("s", "d", "v"):
            if arg >= len(args):
                out.append(f"%!{verb}(MISSING)")
            else:
                out.append(_text(args[arg]))
                arg += 1
        else:
            raise GoTemplateError(f"printf verb %{verb} is not supported")
        i += 2
    return "".join(out)


def _eq(a: Any, *others: Any) -> bool:
    if not others:
        raise GoTemplateError("missing argument for comparison")
    return any(type(a) is type(b) and a == b for b in others)


def _index(value: Any, *keys: Any) -> Any:
    for key in keys:
        try:
            value = value[key]
        except (IndexError, KeyError, TypeError):
            raise GoTemplateError(f"error calling index: index {key!r} out of range") from None
    return value


def _slice(value: Any, *bounds: int) -> Any:
    if len(bounds) > 2:
        raise GoTemplateError("slice with three indexes is not supported")
    start = bounds[0] if bounds else 0
    stop = bounds[1] if len(bounds) > 1 else len(value)
    if not 0 <= start <= stop <= len(value):
        raise GoTemplateError(f"error calling slice: index out of range [{start}:{stop}]")
    return value[start:stop]


FUNCS: dict[str, Callable[..., Any]] = {
    "eq": _eq,
    "ne": lambda a, b: not _eq(a, b),
    "not": lambda a: not truth(a),
    "len": lambda a: len(a),
    "index": _index,
    "slice": _slice,
    "printf": _printf,
}
LAZY = ("and", "or")  # evaluated argument by argument, as Go does since 1.18
FUNCS.update({name: lambda *a: None for name in LAZY})


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<no value>"
    if isinstance(value, (str, int)):
        return str(value)
    raise GoTemplateError(f"cannot print a {type(value).__name__} value")


class _State:
    def __init__(self, data: Any) -> None:
        self.vars: list[tuple[str, Any]] = [("$", data)]

    def get(self, name: str) -> Any:
        for var, value in reversed(self.vars):
            if var == name:
                return value
        raise GoTemplateError(f"undefined variable: {name}")

    def set(self, name: str, value: Any) -> None:
        for i in range(len(self.vars) - 1, -1, -1):
            if self.vars[i][0] == name:
                self.vars[i] = (name, value)
                return
        raise GoTemplateError(f"undefined variable: {name}")


def _fields(value: Any, names: Sequence[str]) -> Any:
    for name in names:
        if not isinstance(value, dict) or name not in value:
            raise GoTemplateError(f"can't evaluate field {name}")
        value = value[name]
    return value


def _eval(expr: Expr, dot: Any, state: _State) -> Any:
    kind = expr[0]
    if kind == "lit":
        return expr[1]
    if kind == "field":
        return _fields(dot, expr[1])
    if kind == "var":
        return _fields(state.get(expr[1]), expr[2])
    if kind == "sub":
        return _fields(_eval(expr[1], dot, state), expr[2])
    if kind == "call":
        name, args = expr[1], expr[2]
        if name in LAZY:
            if not args:
                raise GoTemplateError(f"wrong number of args for {name}")
            value = None
            for arg in args:
                value = _eval(arg, dot, state)
                if truth(value) == (name == "or"):
                    return value
            return value
        try:
            return FUNCS[name](*(_eval(a, dot, state) for a in args))
        except TypeError as exc:
            raise GoTemplateError(f"error calling {name}: {exc}") from None
    raise GoTemplateError(f"cannot evaluate {kind}")  # pragma: no cover


def _run(nodes: list[_Node], dot: Any, state: _State, out: list[str]) -> None:
    for node in nodes:
        if node.kind == "text":
            out.append(node.value)
        elif node.kind == "output":
            out.append(_text(_eval(node.value, dot, state)))
        elif node.kind == "declare":
            state.vars.append((node.names[0], _eval(node.value, dot, state)))
        elif node.kind == "assign":
            state.set(node.names[0], _eval(node.value, dot, state))
        elif node.kind == "if":
            for cond, body in node.branches:
                if truth(_eval(cond, dot, state)):
                    _scoped(body, dot, state, out)
                    break
            else:
                _scoped(node.otherwise, dot, state, out)
        elif node.kind == "range":
            items = _eval(node.value, dot, state)
            if isinstance(items, dict):
                pairs = [(k, items[k]) for k in sorted(items)]
            elif isinstance(items, (list, tuple)):
                pairs = list(enumerate(items))
            elif isinstance(items, int) and not isinstance(items, bool):
                pairs = [(i, i) for i in range(items)]
            elif items is None:
                pairs = []
            else:
                raise GoTemplateError(f"range can't iterate over {items!r}")
            if not pairs:
                _scoped(node.otherwise, dot, state, out)
            for key, item in pairs:
                mark = len(state.vars)
                if len(node.names) == 1:
                    state.vars.append((node.names[0], item))
                elif len(node.names) == 2:
                    state.vars += [(node.names[0], key), (node.names[1], item)]
                _run(node.body, item, state, out)
                del state.vars[mark:]


def _scoped(nodes: list[_Node], dot: Any, state: _State, out: list[str]) -> None:
    mark = len(state.vars)
    _run(nodes, dot, state, out)
    del state.vars[mark:]


def execute(template: str, data: Any) -> str:
    """Render `template` with `data` (maps for Go structs and maps, lists for slices)."""
    out: list[str] = []
    _run(parse(template), data, _State(data), out)
    return "".join(out)


def collate(messages: Sequence[dict[str, str]]) -> tuple[str, list[dict[str, str]]]:
    """Ollama's `collate`: the system text, and the messages with same-role runs joined by a blank line."""
    system: list[str] = []
    out: list[dict[str, str]] = []
    for m in messages:
        if m["role"] == "system":
            system.append(m["content"])
        if out and out[-1]["Role"] == m["role"]:
            out[-1]["Content"] += "\n\n" + m["content"]
        else:
            out.append({"Role": m["role"], "Content": m["content"]})
    return "\n\n".join(system), out


def render_ollama(template: str, messages: Sequence[dict[str, str]]) -> str:
    """What Ollama's chat endpoint makes of `messages` (OpenAI-style role/content) with `template`."""
    system, collated = collate(messages)
    return execute(template, {"System": system, "Messages": collated, "Tools": None, "Response": ""})
