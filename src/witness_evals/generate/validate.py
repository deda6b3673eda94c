"""Re-run the checks on any chat JSONL file: ours (with `<split>.meta.jsonl`) or anyone's.

A file `X.jsonl` with a line-aligned `X.meta.jsonl` next to it is one of ours: the last assistant message
of each line is scored by its family against the stored hidden check (checks named `<family>/<kind>`).
Any other file gets the generic checks on every assistant message:

* `json`: every ```json code block parses;
* `policy`: every JSON policy (an object with `steps` and `expires`, or a DSSE envelope of a policy) passes
  `witness.policy_check.check_policy` (verify mode, the fixed scoring clock) without errors;
* `rego`: every Rego module compiles in the sandbox in `witness verify` mode and defines `deny`;
* `command`: every `witness ...` command line of a code block parses with `witness.cli_spec.parse_command`
  without errors;
* `placeholders` (both kinds of file): no `<base64 ...>` / `<unchanged ...>`-style placeholders in code
  blocks, no `...` inside a JSON block, no `TODO`/`FIXME`.

Nothing in an answer is executed: commands are parsed, Rego runs in the sandbox, policies are decoded.
Bad input (not JSON, no `messages` list, meta not aligned) is an `InputError` naming file and line.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import re
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from witness_evals.common.errors import InputError

CHUNK = 64
MAX_SHOWN = 5

_JSON_LANGS = ("json", "jsonc")
_ANGLE = re.compile(
    r"<\s*(?:base64|unchanged|same\b|omitted|truncated|redacted|snip|elided|rest of|insert\b|placeholder"
    r"|\.\.\.|…)[^<>\n]{0,80}>",
    re.I,
)
_TODO = re.compile(r"\b(?:TODO|FIXME)\b")
_POLICY_TYPE = "https://witness.testifysec.com/policy/v0.1"

Item = tuple[int, list[dict[str, Any]], dict[str, Any] | None]
"""(line number, messages, meta row or None)."""
Verdict = tuple[str, bool, str]
"""(check name, ok, reason)."""


# ------------------------------------------------------------------------------------------ reading


def meta_path(path: Path) -> Path:
    """`X.meta.jsonl` for `X.jsonl`."""
    return path.with_name(path.name.removesuffix(".jsonl") + ".meta.jsonl")


def _messages(raw: bytes, where: str) -> list[dict[str, Any]]:
    try:
        record = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("invalid UTF-8", source=where) from None
    except ValueError as exc:
        raise InputError(f"invalid JSON: {exc}", source=where) from None
    messages = record.get("messages") if isinstance(record, dict) else None
    if not isinstance(messages, list) or not messages:
        raise InputError('expected an object with a non-empty "messages" list', source=where)
    for i, m in enumerate(messages):
        if (
            not isinstance(m, dict)
            or not isinstance(m.get("role"), str)
            or not isinstance(m.get("content"), str)
        ):
            raise InputError(f"messages[{i}] must be an object with string role and content", source=where)
    return messages


def _meta(raw: bytes, where: str) -> dict[str, Any]:
    from witness_evals.generate import families

    try:
        row = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"invalid meta line: {exc}", source=where) from None
    if not isinstance(row, dict) or not isinstance(row.get("check"), dict):
        raise InputError('meta line must be an object with a "check" object', source=where)
    if row.get("family") not in families.NAMES:
        raise InputError(f"unknown family {row.get('family')!r}", source=where)
    return row


def iter_items(path: Path) -> Iterator[Item]:
    """(line, messages, meta row) of a chat JSONL file; the meta row when `X.meta.jsonl` exists.

    Blank lines are skipped (and must be blank in the meta file too)."""
    meta = meta_path(path)
    with contextlib.ExitStack() as stack:
        try:
            fc = stack.enter_context(path.open("rb"))
            fm = stack.enter_context(meta.open("rb")) if meta.is_file() else None
        except OSError as exc:
            raise InputError(exc.strerror or str(exc), source=str(exc.filename or path)) from None
        count = 0
        for lineno, raw in enumerate(fc, 1):
            count = lineno
            mraw = fm.readline() if fm else b""
            where = f"{path}:{lineno}"
            if fm and not mraw:
                raise InputError(f"{meta.name} has only {lineno - 1} lines", source=where)
            if not raw.strip():
                continue
            yield lineno, _messages(raw, where), _meta(mraw, f"{meta}:{lineno}") if fm else None
        if fm and fm.readline():
            raise InputError(f"has more lines than {path.name} ({count})", source=str(meta))


# ------------------------------------------------------------------------------------------ checks


_CTX: Any = None


def _context() -> Any:
    global _CTX
    if _CTX is None:
        from witness_evals.bench.scorers.context import ScoreContext

        _CTX = ScoreContext()
    return _CTX


def close_context() -> None:
    global _CTX
    if _CTX is not None:
        _CTX.close()
        _CTX = None


def _one_line(text: object, limit: int = 160) -> str:
    return " ".join(str(text).split())[:limit]


def _json_blocks(text: str) -> list[str]:
    from witness_evals.bench.answers import code_blocks

    blocks = [body for lang, body in code_blocks(text) if lang in _JSON_LANGS]
    blocks += [body for lang, body in code_blocks(text) if lang == "" and body.lstrip()[:1] in ("{", "[")]
    if not blocks and text.strip()[:1] == "{":
        blocks.append(text.strip())
    return blocks


def command_lines(text: str) -> list[str]:
    """`witness ...` command lines in the code blocks of an answer (CI wrappers such as `- run:` removed;
    JSON, Rego and output blocks skipped). Prose and inline `code` are not commands: they mention
    fragments (`witness run --step build`) more often than they give full command lines."""
    from witness_evals.bench.answers import _logical_lines, code_blocks, unwrap_ci

    start = re.compile(r"^(?:sudo\s+)?witness(?:\s|$)")
    found: list[str] = []
    for lang, body in code_blocks(text):
        if lang in (*_JSON_LANGS, "rego", "text", "console", "output"):
            continue
        found += [c for c in (unwrap_ci(line) for line in _logical_lines(body)) if start.match(c)]
    return found


def _is_policy(doc: Any) -> bool:
    """A whole policy (`steps` and `expires`) or a DSSE envelope of one; an object with `steps` but no
    `expires` is taken for a fragment (a patch showing the keys to change), not judged as a policy."""
    if not isinstance(doc, dict):
        return False
    if "payloadType" in doc and "payload" in doc:
        return doc.get("payloadType") == _POLICY_TYPE
    return "steps" in doc and "expires" in doc


def placeholder_problems(text: str) -> list[str]:
    """Why `text` looks unfinished: angle-bracket placeholders (`<base64 ...>`, `<unchanged ...>`) in a
    code block or bare JSON answer, `...` inside JSON, TODO/FIXME anywhere. In prose or inline code an
    angle placeholder describes a format (`"module": "<base64 of the file>"`) and is not flagged."""
    from witness_evals.bench.answers import code_blocks

    artifacts = [body for _, body in code_blocks(text)] or ([text] if text.strip()[:1] in ("{", "[") else [])
    out = [f"placeholder {m.group(0)[:60]!r}" for body in artifacts for m in _ANGLE.finditer(body)]
    out += [f"{m.group(0)} marker" for m in _TODO.finditer(text)]
    for body in _json_blocks(text):
        if "..." in body or "…" in body:
            out.append("`...` inside a JSON block")
    return out


def generic_verdicts(text: str, ctx: Any) -> list[Verdict]:
    """The generic checks of one assistant message (one verdict per artifact found)."""
    from witness_evals.bench.answers import rego_modules
    from witness_evals.witness.cli import parse_command
    from witness_evals.witness.policy_check import check_policy

    out: list[Verdict] = []
    for i, body in enumerate(_json_blocks(text), 1):
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError) as exc:
            out.append(("json", False, f"JSON block {i} does not parse: {_one_line(exc, 80)}"))
            continue
        out.append(("json", True, ""))
        if _is_policy(doc):
            try:
                report = check_policy(body, now=ctx.now, mode="verify", rego=ctx.rego)
            except InputError as exc:
                out.append(("policy", False, f"policy {i}: {_one_line(exc.one_line())}"))
                continue
            if report.errors:
                e = report.errors[0]
                where = f" at {e.location}" if e.location else ""
                more = f" (+{len(report.errors) - 1} more)" if len(report.errors) > 1 else ""
                out.append(("policy", False, f"policy {i}{where}: {_one_line(e.message)}{more}"))
            else:
                out.append(("policy", True, ""))
    for i, module in enumerate(rego_modules(text), 1):
        res = ctx.rego.check({f"answer{i}.rego": module}, "verify")
        if not res.ok:
            out.append(("rego", False, f"module {i} does not compile: {_one_line(res.error)}"))
        elif not any(res.packages.values()):
            out.append(("rego", False, f"module {i} defines no deny rule"))
        else:
            out.append(("rego", True, ""))
    for cmd in command_lines(text):
        analysis = parse_command(cmd)
        if analysis.valid:
            out.append(("command", True, ""))
        else:
            out.append(("command", False, f"`{_one_line(cmd, 80)}`: {_one_line(analysis.errors[0].message)}"))
    return out


def item_verdicts(messages: list[dict[str, Any]], meta: dict[str, Any] | None, ctx: Any) -> list[Verdict]:
    """Every verdict for one conversation: the family's check (ours) or the generic checks, plus
    placeholders on every assistant message."""
    answers = [m["content"] for m in messages if m.get("role") == "assistant"]
    out: list[Verdict] = []
    if meta is not None:
        from witness_evals.generate import families

        name = f"{meta['family']}/{meta['check'].get('kind', 'check')}"
        if not answers:
            out.append((name, False, "no assistant message"))
        else:
            s = families.get(meta["family"]).score(answers[-1], meta["check"], ctx)
            out.append((name, s.ok, "" if s.ok else _one_line(s.reason)))
    else:
        if not answers:
            out.append(("messages", False, "no assistant message"))
        for text in answers:
            try:
                out += generic_verdicts(text, ctx)
            except Exception as exc:  # a checker bug must not hide the rest of the file: report it
                out.append(("checker", False, f"{type(exc).__name__}: {_one_line(exc)}"))
    for text in answers:
        problems = placeholder_problems(text)
        out.append(("placeholders", not problems, "; ".join(problems)[:160]))
    return out


def _work(items: list[Item]) -> list[list[Verdict]]:
    ctx = _context()
    return [item_verdicts(messages, meta, ctx) for _, messages, meta in items]


def _worker_init() -> None:
    import atexit

    atexit.register(close_context)


# ------------------------------------------------------------------------------------------ report


@dataclass
class CheckTally:
    examined: int = 0
    failed: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ValidationReport:
    """Counts per check (and per family for our files), the first failures of each, per-file modes."""

    files: list[dict[str, Any]] = field(default_factory=list)
    checks: dict[str, CheckTally] = field(default_factory=dict)
    families: dict[str, dict[str, int]] = field(default_factory=dict)
    conversations: int = 0
    max_shown: int = MAX_SHOWN

    @property
    def failed(self) -> int:
        return sum(c.failed for c in self.checks.values())

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def add(self, file: str, line: int, meta: dict[str, Any] | None, verdicts: list[Verdict]) -> None:
        self.conversations += 1
        for name, ok, reason in verdicts:
            tally = self.checks.setdefault(name, CheckTally())
            tally.examined += 1
            if not ok:
                tally.failed += 1
                if len(tally.failures) < self.max_shown:
                    tally.failures.append({"file": file, "line": line, "reason": reason})
        if meta is not None:
            fam = self.families.setdefault(meta["family"], {"examples": 0, "failed": 0})
            fam["examples"] += 1
            fam["failed"] += any(not ok for name, ok, _ in verdicts if name != "placeholders")

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "conversations": self.conversations,
            "failed": self.failed,
            "files": self.files,
            "checks": {
                name: {"examined": c.examined, "failed": c.failed, "failures": c.failures}
                for name, c in sorted(self.checks.items())
            },
            "families": dict(sorted(self.families.items())),
        }


def validate_files(
    paths: Sequence[Path], *, workers: int = 1, max_shown: int = MAX_SHOWN
) -> ValidationReport:
    """Validate every conversation of `paths` (in order; `workers` processes); InputError on bad input."""
    for p in paths:
        if not p.is_file():
            raise InputError("no such file", source=str(p))
    report = ValidationReport(max_shown=max_shown)

    def chunks() -> Iterator[tuple[str, list[Item]]]:
        for p in paths:
            has_meta = meta_path(p).is_file()
            entry: dict[str, Any] = {"path": str(p), "mode": "meta" if has_meta else "generic"}
            report.files.append(entry)
            entry["conversations"] = 0
            buf: list[Item] = []
            for item in iter_items(p):
                entry["conversations"] += 1
                buf.append(item)
                if len(buf) >= CHUNK:
                    yield str(p), buf
                    buf = []
            if buf:
                yield str(p), buf

    def record(name: str, items: list[Item], verdicts: list[list[Verdict]]) -> None:
        for (line, _, meta), v in zip(items, verdicts, strict=True):
            report.add(name, line, meta, v)

    if workers <= 1:
        try:
            for name, items in chunks():
                record(name, items, _work(items))
        finally:
            close_context()
        return report
    with mp.get_context("spawn").Pool(workers, initializer=_worker_init) as pool:
        pending: deque[tuple[str, list[Item], Any]] = deque()
        for name, items in chunks():
            pending.append((name, items, pool.apply_async(_work, (items,))))
            while len(pending) > 2 * workers:  # a bounded window: big files are not read ahead
                n, i, r = pending.popleft()
                record(n, i, r.get())
        while pending:
            n, i, r = pending.popleft()
            record(n, i, r.get())
    return report


def format_report(report: ValidationReport) -> str:
    """Plain-text tables: one row per check (examined, failed, first failure), then failures in full."""
    lines = []
    for f in report.files:
        kind = "hidden checks from the .meta.jsonl" if f["mode"] == "meta" else "generic checks"
        lines.append(f"{f['path']}: {f['conversations']} conversations ({kind})")
    lines.append("")
    width = max([len("check"), *(len(n) for n in report.checks)])
    lines.append(f"{'check'.ljust(width)}  {'examined':>8}  {'failed':>7}  rate")
    for name, c in sorted(report.checks.items()):
        rate = f"{100 * (c.examined - c.failed) / c.examined:5.1f}%" if c.examined else "    -"
        lines.append(f"{name.ljust(width)}  {c.examined:8d}  {c.failed:7d}  {rate}")
    if report.families:
        lines.append("")
        lines.append(f"{'family'.ljust(width)}  {'examples':>8}  {'failed':>7}")
        for fam, per in report.families.items():
            lines.append(f"{fam.ljust(width)}  {per['examples']:8d}  {per['failed']:7d}")
    failing = [(n, c) for n, c in sorted(report.checks.items()) if c.failed]
    if failing:
        lines.append("")
        lines.append("first failures:")
        for name, c in failing:
            for f in c.failures:
                lines.append(f"  [{name}] {f['file']}:{f['line']}: {f['reason']}")
    lines.append("")
    verdict = "all checks passed" if report.ok else f"{report.failed} check(s) failed"
    lines.append(f"{report.conversations} conversations, {verdict}")
    return "\n".join(lines)
