"""Check every artifact of an answer against the executable model of witness (used by ask, serve, bench).

What is checked (answers are untrusted text: nothing in them is executed; Rego runs only in the
sandbox's killable worker processes):
- each policy (JSON object with `steps`): loads, key ids, Rego compiles and the rest of
  `witness-evals check policy`; when a pipeline is supplied (attestation files + subject digests),
  the core's `verify` runs the policy against it as the chosen witness release would;
- each Rego module: compiles as `witness verify` compiles it, defines `deny`, and evaluates without
  error on the example predicate of the attestor its package name or the question points at;
- each `witness` command: grammar (errors) and meaning (warnings) of the release's CLI; a bare
  `witness` or `witness SUBCOMMAND` in prose is a mention of the tool, not a command.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from witness_evals.common.errors import InputError

MAX_MODULES = 4
MAX_POLICIES = 4
MAX_COMMANDS = 24
MAX_DEPTH = 16
MARKS = {True: "✓", False: "✗", None: "·"}
BENIGN_POLICY_WARNINGS = frozenset({"Signature", "Policy Expiration", "Timestamp Authority"})
"""Warnings of `check policy` that do not make an answer's policy wrong (it is signed later, it
expires soon, ...); every other warning (ignored keys, settings without effect) fails a check."""


@dataclass(frozen=True)
class ArtifactCheck:
    """One check of one artifact; `ok` None: not run (a note)."""

    artifact: str  # "policy 1", "rego module 1", "command 1"
    kind: str  # policy | rego | command
    name: str  # what was checked
    ok: bool | None
    reason: str = ""

    def line(self) -> str:
        text = f"{MARKS[self.ok]} {self.artifact}: {self.name}"
        return text + (f" — {self.reason}" if self.reason else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "artifact": self.artifact,
            "kind": self.kind,
            "name": self.name,
            "ok": self.ok,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class CheckReport:
    """All checks of one answer."""

    checks: tuple[ArtifactCheck, ...] = ()
    artifacts: dict[str, int] = field(default_factory=dict)
    witness_version: str = ""

    @property
    def failed(self) -> list[ArtifactCheck]:
        return [c for c in self.checks if c.ok is False]

    @property
    def passed(self) -> bool:
        """No check failed (an answer without artifacts passes: there is nothing to fix)."""
        return not self.failed

    @property
    def n_artifacts(self) -> int:
        return sum(self.artifacts.values())

    def lines(self) -> list[str]:
        if not self.checks:
            return ["· no policy, Rego module or witness command in the answer: nothing to check"]
        return [c.line() for c in self.checks]

    def render(self) -> str:
        """The block printed under an answer."""
        head = f"Checks (witness-evals model of witness {self.witness_version}):"
        verdict = (
            "all checks pass"
            if self.passed
            else f"{len(self.failed)} of {sum(1 for c in self.checks if c.ok is not None)} checks fail"
        )
        return "\n".join([head, *self.lines(), verdict if self.checks else ""]).rstrip()

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "artifacts": dict(self.artifacts),
            "checks": [c.to_json() for c in self.checks],
            "witness_version": self.witness_version,
        }


@dataclass(frozen=True)
class Pipeline:
    """What `witness verify` would get: loaded attestation collections and subject digests."""

    collections: tuple[Any, ...]
    subjects: tuple[str, ...]
    names: tuple[str, ...] = ()

    @classmethod
    def from_files(
        cls, attestations: Sequence[Path], subjects: Sequence[str] = (), artifacts: Sequence[Path] = ()
    ) -> Pipeline:
        """Load `-a` files; subjects are digests and the sha256 of `artifacts` (InputError if unreadable)."""
        from witness_evals.common import jsonio
        from witness_evals.witness.verify import SourceCollection

        if not attestations:
            raise InputError("a pipeline needs at least one --attestation file")
        digests = [s.removeprefix("sha256:") for s in subjects]
        for file in artifacts:
            from witness_evals.export.run import sha256_file

            if not file.is_file():
                raise InputError("no such artifact file", source=str(file))
            digests.append(sha256_file(file))
        if not digests:
            raise InputError("a pipeline needs --subject DIGEST or --artifact FILE")
        loaded = tuple(SourceCollection.load(jsonio.read_bytes(str(p)), str(p)) for p in attestations)
        return cls(loaded, tuple(digests), tuple(p.name for p in attestations))


# ---------------------------------------------------------------- attestor hints for Rego modules


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def guess_attestor(module: str, question: str = "") -> str | None:
    """The attestor a module is about: its package name, else a type URI or attestor named in the question."""
    from witness_evals.witness import attestors

    names = {_norm(n): n for n in attestors.ATTESTORS}
    package = re.search(r"^\s*package\s+([\w.]+)", module, re.M)
    if package:
        for segment in package.group(1).split("."):
            if _norm(segment) in names:
                return names[_norm(segment)]
    for uri in re.findall(r"https?://[^\s\"'`)]+", module + "\n" + question):
        spec = attestors.by_type(uri.rstrip(".,"))
        if spec is not None:
            return spec.name
    found: list[tuple[int, int, str]] = []
    lowered = question.lower()
    for name in attestors.ATTESTORS:
        pattern = r"(?<![\w-])" + re.escape(name).replace(r"\-", r"[- ]?") + r"(?![\w-])"
        match = re.search(pattern, lowered)
        if match:
            found.append((match.start(), -len(name), name))
    return min(found)[2] if found else None


def example_input(attestor: str) -> Any:
    """The Rego input of the attestor's predicate in a seeded example scenario."""
    from witness_evals.bench.task import example_input as bench_example

    return bench_example({"$example": attestor, "$seed": 1})


# ---------------------------------------------------------------- the checker


class Checker:
    """Checks answers; holds the Rego sandbox (started on first use). Close it, or use `with`."""

    def __init__(
        self,
        *,
        witness_version: str | None = None,
        pipeline: Pipeline | None = None,
        now: datetime | None = None,
        rego_timeout: float = 2.0,
    ) -> None:
        from witness_evals.witness import versions

        self.version = versions.get(witness_version)
        self.pipeline = pipeline
        self.now = now
        from witness_evals.bench.scorers.context import ScoreContext

        self._sandbox = ScoreContext(rego_timeout=rego_timeout)  # the one lazily started sandbox holder

    @property
    def rego(self) -> Any:
        return self._sandbox.rego

    def close(self) -> None:
        self._sandbox.close()

    def __enter__(self) -> Checker:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def check(self, answer: str, question: str = "") -> CheckReport:
        """Every check of every artifact in `answer`; never raises on untrusted text."""
        from witness_evals.bench import answers

        text = answer[: answers.MAX_ANSWER_CHARS]
        policies = _policies(text, question)[:MAX_POLICIES]
        modules = [m for m in answers.rego_modules(text) if m.strip()][:MAX_MODULES]
        commands = [c for c in answers.commands(text) if not _mention(c, text, self.version)][:MAX_COMMANDS]
        checks: list[ArtifactCheck] = []
        for i, doc in enumerate(policies, 1):
            label = f"policy {i}" if len(policies) > 1 else "policy"
            checks += self._guard(label, "policy", lambda d=doc, lb=label: self.check_policy(d, lb))
        for i, module in enumerate(modules, 1):
            label = f"rego module {i}" if len(modules) > 1 else "rego module"
            checks += self._guard(
                label, "rego", lambda m=module, lb=label: self.check_module(m, lb, question)
            )
        for i, command in enumerate(commands, 1):
            label = f"command {i}" if len(commands) > 1 else "command"
            checks += self._guard(label, "command", lambda c=command, lb=label: self.check_command(c, lb))
        return CheckReport(
            tuple(checks),
            {"policy": len(policies), "rego": len(modules), "command": len(commands)},
            self.version.release,
        )

    @staticmethod
    def _guard(label: str, kind: str, run: Any) -> list[ArtifactCheck]:
        try:
            return list(run())
        except RecursionError:
            return [ArtifactCheck(label, kind, "analysable", False, "too deeply nested to analyse")]
        except Exception as exc:  # untrusted input must never crash the assistant
            return [
                ArtifactCheck(label, kind, "analysable", False, f"{type(exc).__name__}: {_one_line(exc)}")
            ]

    # -- policies
    def check_policy(self, doc: dict[str, Any], label: str) -> list[ArtifactCheck]:
        from witness_evals.bench.scorers.policy import has_rego
        from witness_evals.witness.policy_check import check_policy

        data = (json.dumps(doc, indent=2) + "\n").encode("utf-8")
        rego = has_rego(data)
        report = check_policy(data, now=self.now or datetime.now(UTC), rego=self.rego if rego else None)
        name = "loads, key ids match, Rego compiles" if rego else "loads, key ids match"
        if report.errors:
            more = f" (+{len(report.errors) - 1} more)" if len(report.errors) > 1 else ""
            out = [
                ArtifactCheck(label, "policy", name, False, _one_line(report.errors[0].line("error")) + more)
            ]
        else:
            steps = sorted(report.policy.steps) if report.policy is not None else []
            reason = f"{report.checks_passed} checks pass; steps {', '.join(steps)}"
            out = [ArtifactCheck(label, "policy", name, True, reason)]
            defects = [w for w in report.warnings if w.category not in BENIGN_POLICY_WARNINGS]
            if defects:
                more = f" (+{len(defects) - 1} more)" if len(defects) > 1 else ""
                why = _one_line(defects[0].line("warning")) + more
                out.append(ArtifactCheck(label, "policy", "every setting takes effect", False, why))
        if self.pipeline is not None and not report.errors:
            out.append(self._verify(data, label, rego))
        return out

    def _verify(self, data: bytes, label: str, rego: bool) -> ArtifactCheck:
        from witness_evals.witness import dsse
        from witness_evals.witness.policy import POLICY_PAYLOAD_TYPE
        from witness_evals.witness.verify import verify

        assert self.pipeline is not None
        name = f"witness verify (v{self.version.release.lstrip('v')}) on the supplied pipeline"
        result = verify(
            dsse.Envelope(data, POLICY_PAYLOAD_TYPE, ()),
            self.pipeline.collections,
            self.pipeline.subjects,
            allow_unsigned_policy=True,
            rego=self.rego if rego else None,
            now=self.now or datetime.now(UTC),
            version=self.version,
        )
        if result.passed:
            return ArtifactCheck(
                label, "policy", name, True, f"PASS with {len(self.pipeline.collections)} attestation(s)"
            )
        why = (result.reasons or [result.error or "FAIL"])[0].splitlines()[0]
        return ArtifactCheck(label, "policy", name, False, f"FAIL: {_one_line(why)}")

    # -- Rego
    def check_module(self, module: str, label: str, question: str) -> list[ArtifactCheck]:
        from witness_evals.witness.policy_check import check_rego
        from witness_evals.witness.rego.syntax import rule_references, tokenize

        depth = max((t.depth for t in tokenize(module)), default=0)
        if depth > MAX_DEPTH:
            return [
                ArtifactCheck(
                    label, "rego", "compiles", False, f"brackets nested {depth} deep (limit {MAX_DEPTH})"
                )
            ]
        attestor = guess_attestor(module, question)
        data = None
        if attestor is not None:
            try:
                data = example_input(attestor)
            except Exception:  # no example for this attestor: compile only
                attestor = None
        report = check_rego(module, name="module.rego", mode="verify", input=data, rego=self.rego)
        if not report.compiled:
            return [
                ArtifactCheck(
                    label, "rego", "compiles (witness verify, OPA v0)", False, _one_line(report.error)
                )
            ]
        out = [ArtifactCheck(label, "rego", "compiles (witness verify, OPA v0)", True, _package(module))]
        defines = "deny" in rule_references(module)
        out.append(
            ArtifactCheck(
                label, "rego", "defines deny", defines, "" if defines else "witness reads only `deny` rules"
            )
        )
        if attestor is None:
            out.append(
                ArtifactCheck(
                    label, "rego", "evaluated", None, "no attestor named in the package or the question"
                )
            )
        elif report.eval_error:
            out.append(
                ArtifactCheck(
                    label,
                    "rego",
                    f"evaluates on an example {attestor} predicate",
                    False,
                    _one_line(report.eval_error),
                )
            )
        else:
            deny = report.deny or []
            result = "allows it" if not deny else f"denies it: {_one_line(deny[0], 100)}"
            out.append(
                ArtifactCheck(label, "rego", f"evaluates on an example {attestor} predicate", True, result)
            )
        if report.other_mode_error:
            out.append(
                ArtifactCheck(
                    label,
                    "rego",
                    "note",
                    None,
                    f"`witness policy check` (OPA v1) rejects it: {_one_line(report.other_mode_error, 120)}",
                )
            )
        return out

    # -- commands
    def check_command(self, command: str, label: str) -> list[ArtifactCheck]:
        from witness_evals.bench.scorers.command import blocking_issues
        from witness_evals.witness.cli import parse_command

        shown = f"`{command if len(command) <= 60 else command[:57] + '...'}`"
        analysis = parse_command(command, version=self.version)
        name = f"{shown} grammar and meaning"
        if analysis.subcommand is None:
            why = analysis.errors[0].message if analysis.errors else "no witness subcommand"
            return [ArtifactCheck(label, "command", name, False, _one_line(why))]
        issues = blocking_issues(analysis, answer=True)
        if issues:
            return [ArtifactCheck(label, "command", name, False, _one_line(issues[0]))]
        meaning = "; ".join(analysis.meaning[:2]) or f"witness {analysis.subcommand}"
        return [ArtifactCheck(label, "command", name, True, _one_line(meaning, 160))]


def _mention(command: str, text: str, version: Any) -> bool:
    """`witness` or `witness run` in prose (an inline span or a plain line) names the tool or a
    subcommand, it is not a command to run; the same words on a line of a code block are a command
    (an incomplete one), and so is a misspelt subcommand anywhere."""
    from witness_evals.bench import answers
    from witness_evals.witness.cli import parse_command

    words = len(command.split())
    if words > 2 or (words == 2 and parse_command(command, version=version).subcommand is None):
        return False
    return not any(
        line.strip() == command for _lang, body in answers.code_blocks(text) for line in body.splitlines()
    )


def _policies(text: str, question: str = "") -> list[dict[str, Any]]:
    """JSON policies in the answer, and those its script writes from key files pasted in the question."""
    from witness_evals.bench import answers
    from witness_evals.bench.scorers.policy import policy_documents

    return policy_documents(text, answers.pasted_files(question))


def _package(module: str) -> str:
    match = re.search(r"^\s*package\s+([\w.]+)", module, re.M)
    return f"package {match.group(1)}" if match else "no package"


def _one_line(text: object, limit: int = 240) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
