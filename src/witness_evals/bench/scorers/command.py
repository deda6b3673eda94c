"""Commands in answers: what a witness command line means, and whether an answer's command means the expected.

A command is parsed with the CLI grammar (never executed); its *meaning* is a canonical JSON form:
subcommand, flags by long name with defaults dropped, the attestor set witness would really record
(`run`), the wrapped command after `--`, positional arguments. check = {"subcommand", "expect": meaning,
"loose": {flag: [allowed values]}, "any_value": [flags that must be set to anything], "strict_warnings":
[issue codes of warnings witness only logs, still wrong here]}.
"""

from __future__ import annotations

import json
from typing import Any

from witness_evals.bench import answers
from witness_evals.bench.scorers.base import OUTCOMES, Check, Outcome, Score
from witness_evals.bench.scorers.context import version_of
from witness_evals.witness.cli import CommandAnalysis, Flag, Issue, grammar, parse_command
from witness_evals.witness.cli.values import clean_path
from witness_evals.witness.versions import WitnessVersion

ALLOWED_WARNINGS = frozenset({"attestor-environment"})
"""Warnings a correct command may carry (e.g. `-a github` only works inside GitHub Actions)."""
IGNORED_FLAGS = frozenset({"log-level", "debug-cpu-profile-file", "debug-mem-profile-file", "help"})
MAX_COMMANDS = 24


def _clean_path(value: str) -> str:
    while value.startswith("./") and len(value) > 2:
        value = value[2:]
    return value


DIRECTORY_FLAGS = frozenset({"directory-path", "workingdir"})
"""Flags whose value is a directory that witness cleans before use: `verify --directory-path` goes to
`cryptoutil.CalculateDigestSetFromDir` -> `dirhash.HashDir`, which walks `filepath.Clean(dir)` and hashes
paths relative to it, so `dist/`, `dist` and `./dist/` are the same subject; `run -d/--workingdir` becomes the
wrapped command's directory and the base the material/product walks record paths relative to (go-witness
v0.12.0 commandrun.go:171, attestation/file/file.go:41-46, product.go:124), so `services/billing/` and
`services/billing` are the same run."""


def _same_dir(want: Any, have: Any) -> bool:
    """Equal directory values up to `filepath.Clean` (trailing `/`, `./`, `//`, `a/../`)."""
    if not isinstance(want, str) or not isinstance(have, str) or not want or not have:
        return False
    return clean_path(want) == clean_path(have)


def _flag_default(flag: Flag) -> Any:
    d = flag.default
    if d is None:
        return None
    if flag.type == "bool":
        return d == "true"
    if flag.type in ("strings", "stringArray"):
        inner = d[1:-1] if d.startswith("[") and d.endswith("]") else d
        return sorted({_clean_path(x) for x in inner.split(",") if x})
    if flag.type == "int":
        try:
            return int(d)
        except ValueError:
            return d
    return _clean_path(d)


def _norm_value(value: Any) -> Any:
    if isinstance(value, list):
        return sorted({_clean_path(str(x)) for x in value})
    if isinstance(value, str):
        return _clean_path(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    return str(value)


def meaning(a: CommandAnalysis) -> dict[str, Any]:
    """What a (valid) parsed command does, in a canonical JSON-able form."""
    sub = a.subcommand or ""
    g = grammar(a.witness_version)
    table = g.long_flags.get(sub, {})
    flags: dict[str, Any] = {}
    for name, value in a.flags.items():
        if name in IGNORED_FLAGS:
            continue
        v = _norm_value(value)
        flag = table.get(name)
        if flag is not None and v == _flag_default(flag):
            continue
        flags[name] = v
    out: dict[str, Any] = {"subcommand": sub}
    if sub == "run":
        flags.pop("attestations", None)
        out["attestors"] = sorted(set(a.attestors) | {str(e["name"]) for e in a.exported})
        out["command"] = list(a.command)
    else:
        args = [_clean_path(x) for x in a.args]
        if sub == "attestors schema":
            by_type = g.attestor_by_type
            args = [by_type[x].name if x in by_type else x for x in args]
        out["args"] = args
    out["flags"] = flags
    return out


def blocking_issues(
    a: CommandAnalysis, *, answer: bool = False, strict: frozenset[str] = frozenset()
) -> list[str]:
    """Issues that make a command wrong. In an answer, naming an attestor that is already selected
    (e.g. `-a environment,git,product,material`) only makes witness log `Attestor <x> already declared,
    skipping`, and `command-run` in `-a` only `'command-run' is a builtin attestor ...` (witness
    cmd/run.go skips both): the run is the same, so that redundancy is tolerated there (never in a
    reference, nor for the issue codes in `strict`: a check asking to fix that very warning)."""
    return [f"{i.code}: {i.message}" for i in a.issues if _blocks(i, answer and i.code not in strict)]


def _blocks(issue: Issue, tolerant: bool) -> bool:
    if issue.severity == "error":
        return True
    if issue.severity != "warning" or issue.code in ALLOWED_WARNINGS:
        return False
    return not (tolerant and _skipped_by_witness(issue))


def _skipped_by_witness(issue: Issue) -> bool:
    """An `-a` entry witness skips with a warning, leaving the run unchanged: a name given twice
    (`Attestor X already declared, skipping`) or `command-run` by name (cmd/run.go). By type URI, the
    same attestors are recorded twice (`attestor-type-duplicate`) or fail the run (`attestor-builtin-type`)."""
    return issue.code in ("attestor-duplicate", "attestor-builtin")


def _diff(expect: dict[str, Any], got: dict[str, Any], check: dict[str, Any]) -> str | None:
    raw_loose = check.get("loose")
    loose: dict[str, Any] = raw_loose if isinstance(raw_loose, dict) else {}
    raw_any = check.get("any_value")
    any_value: list[Any] = raw_any if isinstance(raw_any, list) else []
    for key in ("attestors", "command", "args"):
        if key in expect and expect[key] != got.get(key):
            return f"{key}: expected {json.dumps(expect[key])[:200]}, got {json.dumps(got.get(key))[:200]}"
    ef = expect.get("flags")
    gf = got.get("flags")
    if not isinstance(ef, dict) or not isinstance(gf, dict):
        return "malformed check"
    for name in sorted(set(ef) | set(gf)):
        want, have = ef.get(name), gf.get(name)
        if name in any_value:
            if have in (None, "", []):
                return f"--{name} is required"
            continue
        if name in loose:
            allowed = loose[name] if isinstance(loose[name], list) else []
            if have in allowed or have == want:
                continue
        if name in DIRECTORY_FLAGS and _same_dir(want, have):
            continue
        if want != have:
            if want is None:
                return f"unexpected --{name} {json.dumps(have)[:120]}"
            if have is None:
                return f"missing --{name} (expected {json.dumps(want)[:120]})"
            return f"--{name}: expected {json.dumps(want)[:120]}, got {json.dumps(have)[:120]}"
    return None


def expected(command: str, version: str | WitnessVersion | None = None) -> dict[str, Any]:
    """The check entry of a reference command: its subcommand and meaning; ValueError if not clean."""
    a = parse_command(command, version=version)
    bad = blocking_issues(a)
    if bad:
        raise ValueError(f"reference command is not clean: {bad[0]}")
    return {"subcommand": a.subcommand or "", "expect": meaning(a)}


def _one(found: list[CommandAnalysis], entry: dict[str, Any]) -> tuple[str, str]:
    """(outcome, reason) of one expected command against the answer's parsed commands."""
    expect = entry.get("expect")
    sub = entry.get("subcommand")
    if not isinstance(expect, dict) or not isinstance(sub, str):
        return "invalid", "malformed check"
    candidates = [a for a in found if a.subcommand == sub]
    if not candidates:
        others = sorted({a.subcommand or "?" for a in found})
        return "wrong_artifact", f"no `witness {sub}` command (found: {', '.join(others)[:120]})"
    strict = frozenset(entry.get("strict_warnings") or ())
    clean = [a for a in candidates if not blocking_issues(a, answer=True, strict=strict)]
    if not clean:
        issue = blocking_issues(candidates[-1], answer=True, strict=strict)[0]
        return "invalid", f"`witness {sub}` command rejected: {issue[:200]}"
    problem = _diff(expect, meaning(clean[-1]), entry)
    if problem is not None:
        return "partial", f"wrong `witness {sub}` command: {problem}"
    return "pass", f"`witness {sub}` command means what was asked"


def score_commands(
    answer: str, check: dict[str, Any], version: str | WitnessVersion | None = None
) -> Outcome:
    """Every expected command (`check["commands"]`, or the check itself) must be the answer's last clean
    command of its subcommand, with the expected meaning, in the grammar of `version` (default: the
    release the check records, else the latest)."""
    listed = check.get("commands")
    entries: list[Any] = listed if isinstance(listed, list) else [check]
    texts = answers.commands(answer)[:MAX_COMMANDS]
    release = version_of(check, version)
    found = [parse_command(t, version=release) for t in texts]
    artifacts = {"command": len(found)}
    if not found:
        return Outcome("no_artifact", "no witness command found in the answer", artifacts=artifacts)
    checks: list[Check] = []
    worst = "pass"
    for entry in entries:
        outcome, reason = _one(found, entry if isinstance(entry, dict) else {})
        label = f"witness {entry.get('subcommand', '?')}" if isinstance(entry, dict) else "command"
        checks.append(Check(label, outcome == "pass", "" if outcome == "pass" else reason))
        if OUTCOMES.index(outcome) < OUTCOMES.index(worst):
            worst = outcome
    if worst != "pass" and worst != "partial" and any(c.ok for c in checks):
        worst = "partial"
    failed = [c for c in checks if not c.ok]
    return Outcome(
        worst,
        failed[0].reason
        if failed
        else checks[0].reason
        if len(checks) == 1
        else f"{len(checks)} commands mean what was asked",
        tuple(checks),
        artifacts,
    )


def score_command(answer: str, check: dict[str, Any], version: str | WitnessVersion | None = None) -> Score:
    """Judge an answer: its last clean `witness <subcommand>` command must mean what the check expects."""
    if not isinstance(check.get("expect"), dict) or not isinstance(check.get("subcommand"), str):
        return Score.failed("malformed check")
    out = score_commands(answer, check, version)
    if out.outcome == "no_artifact":
        return Score.failed(out.reason)
    return Score(
        out.passed,
        out.reason.replace("wrong `witness " + check["subcommand"] + "` command", "wrong command")
        if not out.passed
        else "ok",
    )
