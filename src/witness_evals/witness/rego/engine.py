"""Rego evaluation as go-witness does it (go-witness:policy/rego.go `EvaluateRegoPolicy`).

All modules of one attestation entry are parsed; the distinct package paths (in module order)
form one conjunctive query ``data.<pkg>.deny`` per line; each expression value must be an array
(set) of strings; all strings are the deny reasons. If any line is undefined (a package without
`deny`) or false, the query has no result and the check passes silently, masking the other
packages of the entry (OPA query semantics).

The default engine is regorus (`gordon-to-regorus`), a Rust re-implementation of OPA; `mode`
selects the parser: "verify" = OPA v0 (what `witness verify` runs), "policy-check" = OPA v1 (what
`witness policy check` runs). This module runs regorus in-process: use it only for trusted
modules; untrusted ones go through `RegoSandbox`.

Known divergence: go-witness evaluates without `rego.StrictBuiltinErrors` (policy/rego.go), so in OPA a
builtin that fails on its input (`semver.compare("${x}", "1.0.0")`, `semver.is_valid(5)`) leaves that
expression undefined and only its rule body fails; regorus has no non-strict mode (nor a switch for it in
its Python binding, and an extension cannot return "undefined"), so here the whole query ends in a
`rego_eval_error` (kind `eval`). Generated modules guard such calls (`semver.is_valid` first).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

from .gofmt import opa_sprintf
from .outcome import MODES, RegoCheck, RegoError, RegoOutcome, invalid_data_message
from .syntax import REFUSED_BUILTINS, nesting_problem, refused_calls, v0_issues

os.environ.setdefault("RUST_LIB_BACKTRACE", "0")

DEFAULT_MAX_MODULE_BYTES = 1 << 20
_VAR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_OPA_KEYWORDS = frozenset(
    {"not", "package", "import", "as", "default", "else", "with", "null", "true", "false", "some"}
    | {"in", "every", "contains", "if"}
)
# Builtins OPA has and regorus lacks (prefixes / names) — calls fail only in regorus.
_UNSUPPORTED_PREFIXES = ("crypto.", "io.jwt.", "providers.", "rego.", "opa.", "http.", "net.lookup")
_UNSUPPORTED_NAMES = frozenset(
    {"any", "all", "re_match", "set_diff", "cast_array", "cast_set", "cast_string", "cast_boolean"}
    | {"cast_null", "cast_object", "net.cidr_overlap", "trace", "walk", "time.now_ns"}
)
Modules: TypeAlias = Mapping[str, str] | Sequence[tuple[str, str]]
"""Modules as name -> source, or as (name, source) pairs in policy order (names may repeat)."""

_LOCATION_RE = re.compile(r"-->\s*(?P<file>.*?):(?P<line>\d+):(?P<col>\d+)")


class RegoEngine(Protocol):
    """What the verifier needs from a Rego implementation."""

    def evaluate(self, modules: Modules, input: Any, mode: str = "verify") -> list[str]:
        """Deny reasons for `input` (empty = pass); raises RegoError."""
        ...

    def check(self, modules: Modules, mode: str = "verify") -> RegoCheck:
        """Compile only: parse errors and, per package, whether `deny` is defined."""
        ...


def module_pairs(modules: Modules) -> list[tuple[str, str]]:
    """(name, source) pairs in order, from a mapping or a sequence of pairs."""
    if isinstance(modules, Mapping):
        return list(modules.items())
    return [(name, source) for name, source in modules]


def modules_key(modules: Modules, mode: str) -> str:
    """Stable hash of a module set (order-sensitive, as go-witness builds the query in order)."""
    h = hashlib.sha256(mode.encode())
    for name, source in module_pairs(modules):
        for part in (name, source):
            data = part.encode("utf-8", "surrogatepass")
            h.update(len(data).to_bytes(8, "big"))
            h.update(data)
    return h.hexdigest()


def opa_ref_string(parts: list[str]) -> str:
    """OPA's `Ref.String()` of ``data.<parts>``: identifiers dotted, others bracketed and quoted."""
    out = "data"
    for p in parts:
        if _VAR_RE.match(p) and p not in _OPA_KEYWORDS:
            out += "." + p
        else:
            out += "[" + json.dumps(p) + "]"
    return out


def _ref_parts(node: Any) -> list[str] | None:
    """Path parts of a regorus AST ref node (Var / RefDot / RefBrack with string index)."""
    if not isinstance(node, dict) or len(node) != 1:
        return None
    ((tag, body),) = node.items()
    if tag == "Var":
        return [str(body["value"])]
    if tag == "RefDot":
        head = _ref_parts(body["refr"])
        return None if head is None else [*head, str(body["field"][1])]
    if tag == "RefBrack":
        head = _ref_parts(body["refr"])
        index = body.get("index", {})
        if head is None or "String" not in index:
            return None
        return [*head, str(index["String"]["value"])]
    return None


def _rule_root(rule: Any) -> str | None:
    """Name of the first segment of a rule head (`deny` for `deny[msg]`, `deny.x`, `default deny`)."""
    if not isinstance(rule, dict) or len(rule) != 1:
        return None
    ((tag, body),) = rule.items()
    refr = None
    if tag == "Spec":
        head = body.get("head", {})
        if isinstance(head, dict) and len(head) == 1:
            refr = next(iter(head.values())).get("refr")
    elif tag == "Default":
        refr = body.get("refr")
    parts = _ref_parts(refr) if refr is not None else None
    return parts[0] if parts else None


def _error_location(text: str) -> tuple[str, str]:
    """(`file:line` or "", last `error:` line) of a regorus error text."""
    loc = ""
    m = _LOCATION_RE.search(text)
    if m:
        loc = f"{m.group('file')}:{m.group('line')}"
    message = ""
    for line in text.strip().splitlines():
        if line.startswith("error:"):
            message = line[len("error:") :].strip()
    if not message:
        message = " ".join(text.split()) or "unknown error"
    return loc, message


def parse_error_text(name: str, line: int | str, message: str) -> str:
    """OPA's `ast.Errors` text for one parse error, as go-witness returns it."""
    return f"1 error occurred: {name}:{line}: rego_parse_error: {message}"


def _regorus_error(exc: BaseException, *, kind: str) -> RegoError:
    loc, message = _error_location(str(exc))
    where = f"{loc}: " if loc else ""
    if kind == "parse":
        return RegoError(f"1 error occurred: {where}rego_parse_error: {message}", kind="parse")
    m = re.match(r"could not find function (\S+)", message)
    if m:
        fn = m.group(1)
        if fn in _UNSUPPORTED_NAMES or fn.startswith(_UNSUPPORTED_PREFIXES):
            return RegoError(
                f"{where}builtin function {fn} is not implemented by regorus (OPA has it)", kind="unsupported"
            )
        return RegoError(f"1 error occurred: {where}rego_type_error: undefined function {fn}", kind="eval")
    return RegoError(f"{where}rego_eval_error: {message}", kind="eval")


@dataclass
class CompiledPolicy:
    """A parsed module set ready for many inputs (one regorus Engine, one query)."""

    engine: Any
    packages: list[str]  # OPA-formatted package paths, first-appearance order
    has_deny: dict[str, bool]
    query: str

    def evaluate(self, input_json: str) -> list[str]:
        """Deny reasons for an input given as JSON text; raises RegoError."""
        try:
            self.engine.set_input_json(input_json)
        except Exception as exc:
            raise RegoError(f"invalid input: {' '.join(str(exc).split())}", kind="limit") from None
        try:
            result = self.engine.eval_query(self.query)
        except TypeError as exc:
            raise self._unconvertible(exc) from None
        except Exception as exc:
            raise _regorus_error(exc, kind="eval") from None
        return deny_from_result(result, self.packages)

    def _unconvertible(self, exc: TypeError) -> RegoError:
        """The error of a result regorus cannot hand to Python: it returns a set as a Python set, so a
        set holding an object, array or set (`deny[{"msg": msg}]`) fails with "unhashable type". OPA
        has no such limit: go-witness gets the set as an array and rejects its first non-string element
        (policy/rego.go, `ErrRegoInvalidData{Expected: "string"}`). Read the result as JSON, where sets
        are arrays, and apply the same contract."""
        if "unhashable" in str(exc):
            try:
                result = json.loads(self.engine.eval_query_as_json(self.query))
            except Exception:
                result = None
            if result is not None:
                deny_from_result(result, self.packages)  # raises invalid_data for the element
        return _regorus_error(exc, kind="eval")


def deny_from_result(result: Any, packages: list[str]) -> list[str]:
    """Apply go-witness' result contract to a regorus query result."""
    rows = result.get("result") if isinstance(result, dict) else None
    if not rows:
        return []
    reasons: list[str] = []
    for row in rows:
        exprs = row.get("expressions", [])
        # OPA: an expression evaluating to false fails the (conjunctive) query => no result.
        if any(e.get("value") is False for e in exprs):
            continue
        for idx, expr in enumerate(exprs):
            value = expr.get("value")
            path = packages[idx] + ".deny" if idx < len(packages) else str(expr.get("text", ""))
            if isinstance(value, set | frozenset):
                items: list[Any] = sorted(value, key=_sort_key)
            elif isinstance(value, list):
                items = value
            else:
                raise RegoError(invalid_data_message(path, "[]interface{}", value), kind="invalid_data")
            for item in items:
                if not isinstance(item, str):
                    # go-witness passes the whole deny value as `Actual`, so %T is []interface {}.
                    raise RegoError(invalid_data_message(path, "string", items), kind="invalid_data")
                reasons.append(item)
    return reasons


def _sort_key(value: Any) -> tuple[int, str]:
    """OPA set order: null < bool < number < string < others; strings by byte order."""
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, str(value))
    if isinstance(value, int | float):
        return (2, f"{value:040.10f}")
    if isinstance(value, str):
        return (3, value)
    return (4, json.dumps(value, sort_keys=True, default=str))


class RegorusEngine:
    """`RegoEngine` on regorus, with the OPA-parser pre-check of `syntax.py` for "verify" mode."""

    def __init__(self, *, max_module_bytes: int = DEFAULT_MAX_MODULE_BYTES, cache_size: int = 256) -> None:
        self.max_module_bytes = max_module_bytes
        self.cache_size = cache_size
        self._cache: dict[str, CompiledPolicy] = {}

    def compile(self, modules: Modules, mode: str = "verify") -> CompiledPolicy:
        """Parse a module set (cached by content); raises RegoError."""
        key = modules_key(modules, mode)
        hit = self._cache.pop(key, None)
        if hit is None:
            hit = compile_modules(modules, mode, max_module_bytes=self.max_module_bytes)
        self._cache[key] = hit  # most recently used last
        while len(self._cache) > self.cache_size:
            self._cache.pop(next(iter(self._cache)))
        return hit

    def evaluate(self, modules: Modules, input: Any, mode: str = "verify") -> list[str]:
        if not modules:
            return []  # go-witness: no policies => nil
        return self.compile(modules, mode).evaluate(json.dumps(input))

    def check(self, modules: Modules, mode: str = "verify") -> RegoCheck:
        try:
            compiled = self.compile(modules, mode)
        except RegoError as exc:
            return RegoCheck("error", error=exc.message, kind=exc.kind)
        return RegoCheck("ok", packages=dict(compiled.has_deny))


def _new_engine(mode: str, max_module_bytes: int) -> Any:
    import regorus

    engine = regorus.Engine()
    engine.set_rego_v0(mode == "verify")
    engine.set_policy_length_config(
        max_col=max_module_bytes, max_file_bytes=max_module_bytes, max_lines=max_module_bytes
    )
    engine.set_gather_prints(True)
    # OPA's sprintf is Go's fmt.Sprintf: `%!v(MISSING)` / `%!(EXTRA ...)` where regorus' raises an error.
    engine.add_extension("sprintf", 2, opa_sprintf)
    return engine


def compile_modules(
    modules: Modules, mode: str = "verify", *, max_module_bytes: int = DEFAULT_MAX_MODULE_BYTES
) -> CompiledPolicy:
    """Parse modules into one regorus Engine and build go-witness' deny query.

    As in OPA's `rego.ParsedModule` (a map keyed by file name), a later module with the same
    name replaces an earlier one for evaluation, while the query still names the earlier
    module's package: if that package is left without `deny`, the whole entry passes.
    """
    if mode not in MODES:
        raise ValueError(f"unknown rego mode {mode!r} (expected one of {', '.join(MODES)})")
    pairs = module_pairs(modules)
    engine = _new_engine(mode, max_module_bytes)
    for name, source in pairs:
        if not isinstance(source, str):
            raise RegoError(f"module {name}: not text", kind="parse")
        size = len(source.encode("utf-8", "surrogatepass"))
        if size > max_module_bytes:
            raise RegoError(
                f"module {name} is {size} bytes, over the limit of {max_module_bytes}", kind="limit"
            )
        if "\x00" in source:
            raise RegoError(parse_error_text(name, 1, "illegal token: NUL byte"), kind="parse")
        deep = nesting_problem(source)  # before regorus: it would parse this in exponential time
        if deep is not None:
            raise RegoError(
                f"{name}:{deep[0]}: {deep[1]}: regorus parses nested literals in exponential time, "
                "so witness-evals cannot judge this module",
                kind="too_deep",
            )
        try:
            engine.add_policy(name, source)
        except Exception as exc:
            raise _regorus_error(exc, kind="parse") from None
        if mode == "verify":
            issues = v0_issues(source)
            if issues:
                raise RegoError(parse_error_text(name, issues[0].line, issues[0].message), kind="parse")
        refused = refused_calls(source)
        if refused:
            line, fn = refused[0]
            raise RegoError(
                f"{name}:{line}: builtin function {fn} is refused: {REFUSED_BUILTINS[fn]}; witness-evals "
                "cannot reproduce that and never evaluates it as undefined, so this module cannot pass",
                kind="unsupported",
            )
    asts = json.loads(engine.get_ast_as_json())
    packages: list[str] = []
    has_deny: dict[str, bool] = {}
    for entry in asts:
        ast = entry.get("ast", {})
        parts = _ref_parts(ast.get("package", {}).get("refr"))
        if parts is None:
            raise RegoError("unsupported package path", kind="parse")
        path = opa_ref_string(parts)
        defines = any(_rule_root(rule) == "deny" for rule in ast.get("rules", []))
        if path not in has_deny:
            packages.append(path)
            has_deny[path] = False
        has_deny[path] = has_deny[path] or defines
    effective = dict(pairs)
    if len(effective) != len(pairs):
        engine = _new_engine(mode, max_module_bytes)
        for name, source in effective.items():
            engine.add_policy(name, source)
        has_deny = dict.fromkeys(packages, False)
        for entry in json.loads(engine.get_ast_as_json()):
            ast = entry.get("ast", {})
            parts = _ref_parts(ast.get("package", {}).get("refr"))
            if parts is not None and any(_rule_root(rule) == "deny" for rule in ast.get("rules", [])):
                has_deny[opa_ref_string(parts)] = True
    query = "".join(f"{p}.deny\n" for p in packages)
    return CompiledPolicy(engine=engine, packages=packages, has_deny=has_deny, query=query)


_DEFAULT_ENGINE: RegorusEngine | None = None


def evaluate_deny(modules: Modules, input: Any, mode: str = "verify") -> RegoOutcome:
    """In-process evaluation for TRUSTED modules (our own generators); never raises RegoError."""
    global _DEFAULT_ENGINE
    if _DEFAULT_ENGINE is None:
        _DEFAULT_ENGINE = RegorusEngine()
    try:
        return RegoOutcome("ok", deny=_DEFAULT_ENGINE.evaluate(modules, input, mode))
    except RegoError as exc:
        return RegoOutcome("error", error=exc.message, kind=exc.kind)
