"""Static pre-check that makes regorus' v0 parser answer like OPA's v0 parser (`witness verify`).

regorus is more lenient than OPA in Rego v0 mode in two places that matter for Witness policies
(found empirically, see the README section "regorus vs OPA"):

* it treats `contains` as a keyword even without `import future.keywords.contains` /
  `import future.keywords` / `import rego.v1`, so `deny contains msg if {...}` (or
  `deny contains "x"`) is accepted; OPA's v0 parser reads `contains` as a variable and
  rejects the statement with ``var cannot be used for rule name``;
* it accepts a bare name as a whole statement (`allow`, or `allow if {...}` where `if` is a plain
  identifier without the import) and defines it as `true`; OPA rejects the statement with the
  same message.

The check works on tokens (strings, raw strings and comments are skipped), so it never executes
anything and runs in linear time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FUTURE_KEYWORDS = ("contains", "if", "in", "every")
# Tokens that can start a statement without being a rule name.
_STATEMENT_KEYWORDS = frozenset(
    {"package", "import", "default", "else", "not", "some", "with", "as", "true", "false", "null"}
)

_TOKEN = re.compile(
    r"""
    (?P<nl>\n)
  | (?P<ws>[ \t\r\f\v]+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>:=|==|!=|<=|>=|[{}\[\]().,;:=<>+\-*/%&|])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str  # nl, string, number, ident, op, other, eof
    text: str
    line: int
    depth: int  # bracket depth before this token


@dataclass(frozen=True)
class SyntaxIssue:
    """A parse error OPA's parser would report: 1-based line and OPA's message."""

    line: int
    message: str


def tokenize(source: str) -> list[Token]:
    """Split Rego source into significant tokens (newlines kept, comments/whitespace dropped)."""
    tokens: list[Token] = []
    line = 1
    depth = 0
    for m in _TOKEN.finditer(source):
        kind = m.lastgroup or "other"
        text = m.group()
        if kind in ("ws", "comment"):
            continue
        if kind == "raw":
            kind = "string"
        tokens.append(Token(kind, text, line, depth))
        if kind == "nl":
            line += 1
        elif kind == "string":
            line += text.count("\n")
        elif kind == "op":
            if text in "{[(":
                depth += 1
            elif text in "}])":
                depth = max(0, depth - 1)
    tokens.append(Token("eof", "", line, depth))
    return tokens


def enabled_keywords(tokens: list[Token]) -> tuple[set[str], bool]:
    """Future keywords enabled by the module's imports, and whether `import rego.v1` is present."""
    enabled: set[str] = set()
    rego_v1 = False
    for i, tok in enumerate(tokens):
        if tok.kind != "ident" or tok.text != "import" or tok.depth != 0:
            continue
        path: list[str] = []
        j = i + 1
        while j < len(tokens) and tokens[j].kind in ("ident", "op") and tokens[j].text not in ("as",):
            if tokens[j].kind == "ident":
                path.append(tokens[j].text)
            elif tokens[j].text != ".":
                break
            j += 1
        if path == ["rego", "v1"]:
            rego_v1 = True
            enabled.update(FUTURE_KEYWORDS)
        elif path == ["future", "keywords"]:
            enabled.update(FUTURE_KEYWORDS)
        elif len(path) == 3 and path[:2] == ["future", "keywords"] and path[2] in FUTURE_KEYWORDS:
            enabled.add(path[2])
    return enabled, rego_v1


def _next_significant(tokens: list[Token], i: int) -> Token:
    j = i + 1
    while tokens[j].kind == "nl":
        j += 1
    return tokens[j]


def _prev_significant(tokens: list[Token], i: int) -> Token | None:
    j = i - 1
    while j >= 0 and tokens[j].kind == "nl":
        j -= 1
    return tokens[j] if j >= 0 else None


_CONTINUING_WORDS = frozenset({"else", "with", "as", "not", "default", "import", "package", "some"})


def _continues(tok: Token | None) -> bool:
    """True when a line ending in `tok` continues on the next line (operator or keyword)."""
    if tok is None:
        return False
    if tok.kind == "op":
        return tok.text not in ("}", "]", ")")
    return tok.kind == "ident" and tok.text in _CONTINUING_WORDS


def v0_issues(source: str) -> list[SyntaxIssue]:
    """Statements OPA's v0 parser rejects but regorus' v0 mode accepts (see module docstring)."""
    tokens = tokenize(source)
    enabled, rego_v1 = enabled_keywords(tokens)
    issues: list[SyntaxIssue] = []
    seen_lines: set[int] = set()

    def add(line: int) -> None:
        if line not in seen_lines:
            seen_lines.add(line)
            issues.append(SyntaxIssue(line, "var cannot be used for rule name"))

    statement_start = True
    stmt_line = 1
    for i, tok in enumerate(tokens[:-1]):
        if tok.kind == "nl":
            prev_sig = _prev_significant(tokens, i)
            if tok.depth == 0 and not _continues(prev_sig):
                statement_start = True
            continue
        at_start = statement_start and tok.depth == 0
        statement_start = False
        if at_start:
            stmt_line = tok.line
        if tok.kind != "ident" or tok.depth != 0:
            continue
        prev = tokens[i - 1] if i else None
        after_dot = prev is not None and prev.kind == "op" and prev.text == "."
        nxt = tokens[i + 1]
        # `contains` used as a rule-head keyword without enabling it.
        if (
            tok.text == "contains"
            and "contains" not in enabled
            and not after_dot
            and not (nxt.kind == "op" and nxt.text == "(")
        ):
            add(stmt_line)
            continue
        # A bare name forming a whole statement (v0 reads it as a body, not a rule).
        if at_start and not rego_v1 and tok.text not in _STATEMENT_KEYWORDS:
            if tok.text in FUTURE_KEYWORDS and tok.text in enabled:
                continue
            follower = _next_significant(tokens, i)
            ends = follower.kind == "eof" or (follower.kind == "op" and follower.text == ";")
            if ends or follower.kind in ("ident", "string", "number"):
                if follower.kind == "ident" and follower.text in enabled and follower.text != "if":
                    continue
                if follower.kind == "ident" and follower.text == "if" and "if" in enabled:
                    continue
                add(tok.line)
    return issues
