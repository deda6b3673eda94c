"""Static pre-checks of Rego source, run before (and instead of) anything regorus could get wrong.

All of them work on the text with comments and strings blanked out (or on tokens), never execute
anything and run in linear time.

1. **OPA's v0 parser** (`v0_issues`, `witness verify` mode). regorus is more lenient than OPA in
   Rego v0 mode in two places that matter for Witness policies (found empirically, see the README
   section "regorus vs OPA"):

   * it treats `contains` as a keyword even without `import future.keywords.contains` /
     `import future.keywords` / `import rego.v1`, so `deny contains msg if {...}` (or
     `deny contains "x"`) is accepted; OPA's v0 parser reads `contains` as a variable and
     rejects the statement with ``var cannot be used for rule name``;
   * it accepts a bare name as a whole statement (`allow`, or `allow if {...}` where `if` is a
     plain identifier without the import) and defines it as `true`; OPA rejects the statement with
     the same message.

2. **Nesting the engine cannot parse** (`nesting_problem`). regorus backtracks on every nested
   collection literal (it first tries to read `[`/`{` as a comprehension, then re-parses the first
   element as a literal), so parse time doubles with each level: a 20-deep array literal takes
   0.7 s, 23 levels 5.7 s, and 200,000 levels overflow its stack. OPA parses nested literals in
   linear time (up to its parser recursion limit, 100,000 frames by default). Modules nested
   deeper than `MAX_NESTING` brackets, or whose estimated backtracking cost exceeds
   `MAX_PARSE_COST`, are refused *before* regorus sees them, as an error of the checker ("too
   deeply nested for the engine"), not as a parse error or a denial.

3. **Built-ins that must never run silently** (`refused_calls`, `REFUSED_BUILTINS`). regorus
   implements `http.send` and `opa.runtime` as stubs that evaluate to *undefined*, so a rule built
   on them silently passes (or fails) where OPA would perform the request or return witness' own
   runtime environment. A call of any of these is refused whatever regorus would do:

   * `http.send` (OPA sends the HTTP request),
   * `net.lookup_ip_addr` (OPA resolves the name over DNS; regorus lacks it),
   * `opa.runtime` (OPA returns the runtime environment: environment variables, configuration).

   The other `net.*` built-ins (`net.cidr_contains`, `net.cidr_intersects`, `net.cidr_expand`,
   `net.cidr_merge`, `net.cidr_is_valid`, ...) are pure and allowed; `time.now_ns`, `rand.intn`,
   `uuid.rfc4122`, `trace` and `print` are harmless and allowed. `rego.parse_module` and the other
   built-ins regorus lacks fail at evaluation with "not implemented by regorus (OPA has it)".
"""

from __future__ import annotations

import itertools
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
  | (?P<string>"[^"\\\n]*(?:\\.[^"\\\n]*)*")
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


# --------------------------------------------------------------------------- code skeleton

_SKIPPED = re.compile(
    r"""\#[^\n]*|"[^"\\\n]*(?:\\.[^"\\\n]*)*"?|`[^`]*`?""",  # comment | string | raw string
    re.DOTALL,
)


def _blank(m: re.Match[str]) -> str:
    """A comment or string becomes its newlines (line numbers stay right) or one space."""
    return "\n" * m.group().count("\n") or " "


def code_skeleton(source: str) -> str:
    """`source` with comments and string literals blanked (an unterminated string runs to the end
    of its line, an unterminated raw string to the end of the file, as the parser would read them)."""
    return _SKIPPED.sub(_blank, source)


# --------------------------------------------------------------------------- nesting

MAX_NESTING = 16
"""Deepest bracket nesting (`[`, `{`, `(` counted together) a module may have for the engine.

regorus 0.13 (gordon-to-regorus), backtraces off, one core of a 2-vCPU AMD EPYC VM: an array literal
nested 16 deep parses in 0.04 s, an object literal 16 deep inside a rule body in 0.12 s; each level
doubles it (20 levels: 0.7 / 1.5 s). OPA's own parser has no such cost."""

MAX_PARSE_COST = 1 << 17
"""Limit of the estimated backtracking cost (see `nesting`): at most about 0.3 s of regorus parsing
on that machine (measured: 0.7 to 2 microseconds per step). It catches bushy literals that stay under `MAX_NESTING` (a balanced tree of arrays 14
deep, 16,000 leaves, parses in 2.4 s)."""

_NOT_STRUCTURE = re.compile(r"[^\[\](){},\n]+")
_DELTA = {"[": 1, "{": 1, "(": 1, "]": -1, "}": -1, ")": -1, ",": 0, "\n": 0}


@dataclass(frozen=True)
class Nesting:
    """Bracket nesting of a module: deepest level (and its line), estimated backtracking cost (and
    the line of the outermost literal that made it exceed `MAX_PARSE_COST`, 0 if none).

    The cost is only measured when the depth is within `MAX_NESTING` (0 otherwise), and it stops
    counting just above `MAX_PARSE_COST`."""

    depth: int
    depth_line: int
    cost: int
    cost_line: int


def nesting(source: str) -> Nesting:
    """Measure the bracket nesting of `source` (comments and strings skipped) in linear time.

    Cost model of regorus' parser: a bracket costs 1 plus its contents, where everything before
    the first comma at its own level (the first element, or the first key and value) counts twice
    (parsed once as a would-be comprehension, then again as a literal), except inside parentheses
    (grouping and call arguments are not re-parsed). The backtracking cost is that total minus
    the cost of reading everything once, so long flat literals cost nothing: only nesting does.
    """
    skeleton = _NOT_STRUCTURE.sub("", code_skeleton(source))
    # the depth in C-speed steps: running sum of +1/-1, its maximum and where it is reached
    running = list(itertools.accumulate(map(_DELTA.__getitem__, skeleton)))
    best = max(running, default=0)
    if best <= 0:
        return Nesting(0, 1, 0, 0)
    best_line = skeleton.count("\n", 0, running.index(best)) + 1
    if best > MAX_NESTING:
        return Nesting(best, best_line, 0, 0)
    limit = MAX_PARSE_COST
    # one frame per open bracket: [total cost of its first element, of the rest, single-read cost
    # of its first element, of the rest, in first element?, is a parenthesis, line it opened on]
    stack: list[list[int]] = []
    totals = [0, 0]  # the module's total cost, its single-read cost

    def close() -> int:
        """Pop a frame into its parent; the line to blame once the excess is over the limit, else 0."""
        first, rest, first1, rest1, _in_first, paren, opened = stack.pop()
        cost = 1 + (first if paren else 2 * first) + rest
        cost1 = 1 + first1 + rest1
        if stack:
            parent = stack[-1]
            slot = 0 if parent[4] else 1
            parent[slot] += cost
            parent[slot + 2] += cost1
        else:
            totals[0] += cost
            totals[1] += cost1
        if cost - cost1 > limit or totals[0] - totals[1] > limit:  # only grows: refused anyway
            return stack[0][6] if stack else opened
        return 0

    line = 1
    for ch in skeleton:
        if ch == "\n":
            line += 1
        elif ch == ",":
            if stack:
                stack[-1][4] = 0
        elif ch in "[{(":
            stack.append([0, 0, 0, 0, 1, ch == "(", line])
        elif stack and (blame := close()):
            return Nesting(best, best_line, limit + 1, blame)
    while stack:  # unclosed brackets: the parser fails there, but only after the backtracking
        if blame := close():
            return Nesting(best, best_line, limit + 1, blame)
    return Nesting(best, best_line, totals[0] - totals[1], 0)


def nesting_problem(source: str) -> tuple[int, str] | None:
    """(line, message) when the module is too deeply nested for the engine, else None."""
    found = nesting(source)
    if found.depth > MAX_NESTING:
        return (
            found.depth_line,
            f"too deeply nested for the engine (depth {found.depth} > limit {MAX_NESTING})",
        )
    if found.cost > MAX_PARSE_COST:
        return (
            found.cost_line,
            "too deeply nested for the engine (its nested literals exceed the limit of "
            f"{MAX_PARSE_COST} estimated parser backtracking steps)",
        )
    return None


# --------------------------------------------------------------------------- refused built-ins

REFUSED_BUILTINS: dict[str, str] = {
    "http.send": "OPA would send the HTTP request when witness verifies",
    "net.lookup_ip_addr": "OPA would resolve the host name over DNS when witness verifies",
    "opa.runtime": "OPA would return witness' own runtime environment (environment variables, configuration)",
}
"""Built-ins never evaluated here, and why (see the module docstring)."""

_REFUSED_CALL = re.compile(
    r"(?<![\w.])("
    + "|".join(r"\s*\.\s*".join(map(re.escape, name.split("."))) for name in REFUSED_BUILTINS)
    + r")\s*\("
)


def refused_calls(source: str) -> list[tuple[int, str]]:
    """(line, built-in) for every call of a `REFUSED_BUILTINS` entry (comments and strings skipped)."""
    skeleton = code_skeleton(source)
    out: list[tuple[int, str]] = []
    for m in _REFUSED_CALL.finditer(skeleton):
        name = re.sub(r"\s+", "", m.group(1))
        out.append((skeleton.count("\n", 0, m.start()) + 1, name))
    return out


# --------------------------------------------------------------------------- recursion

_NOT_RULE_HEADS = frozenset({"package", "import", "else", "not", "some", "every", "with", "as"})


def rule_references(source: str) -> dict[str, set[str]]:
    """Rule name -> names of the module's rules that its definitions mention (by tokens).

    A statement starts at a line break at bracket depth 0 unless the previous line ends in an
    operator or keyword; its rule is its first identifier (after `default`; an `else` line
    continues the rule before it). Names after a `.` are fields, not rules. Local variables that
    shadow a rule name count as references (a rare false positive, on the safe side).
    """
    tokens = tokenize(source)
    statements: list[list[Token]] = []
    current: list[Token] = []
    for i, tok in enumerate(tokens[:-1]):
        if tok.kind == "nl":
            if tok.depth == 0 and not _continues(_prev_significant(tokens, i)) and current:
                statements.append(current)
                current = []
            continue
        current.append(tok)
    if current:
        statements.append(current)
    refs: dict[str, set[str]] = {}
    named: list[tuple[str, list[Token]]] = []
    head = ""
    for toks in statements:
        first = toks[0]
        if first.kind == "ident" and first.text == "else" and head:
            named.append((head, toks[1:]))
            continue
        if first.kind == "ident" and first.text == "default" and len(toks) > 1:
            toks = toks[1:]
            first = toks[0]
        if first.kind != "ident" or first.text in _NOT_RULE_HEADS:
            head = ""
            continue
        head = first.text
        refs.setdefault(head, set())
        named.append((head, toks[1:]))
    for name, toks in named:
        for j, tok in enumerate(toks):
            after_dot = j > 0 and toks[j - 1].kind == "op" and toks[j - 1].text == "."
            if tok.kind == "ident" and tok.text in refs and not after_dot:
                refs[name].add(tok.text)
    return refs


def recursive_rules(source: str) -> list[str]:
    """Names of the rules that (directly or through other rules) refer to themselves, sorted.

    OPA rejects such modules at compile time (`rego_recursion_error`); regorus does not (a
    recursive function overflows its stack, mutually recursive rules fail at evaluation)."""
    graph = rule_references(source)
    on_cycle: set[str] = set()
    for start in graph:
        # is `start` reachable from its own successors?
        seen: set[str] = set()
        todo = list(graph[start])
        while todo:
            node = todo.pop()
            if node == start:
                on_cycle.add(start)
                break
            if node in seen:
                continue
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return sorted(on_cycle)
