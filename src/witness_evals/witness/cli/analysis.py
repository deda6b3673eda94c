"""Result of analysing a witness command line: `CommandAnalysis` with its `Issue`s, and `ConfigFile`."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from witness_evals.witness import versions
from witness_evals.witness.cli import data
from witness_evals.witness.cli.values import did_you_mean

MAX_ISSUES: Final = 200
MAX_SUGGESTIONS: Final = 16
SEVERITIES: Final = ("error", "warning", "note")


@functools.cache
def attestor_types(version: str) -> dict[str, str]:
    """Attestor CLI name -> predicate type URI in a release."""
    return {row[0]: row[1] for row in data.attestor_rows(versions.get(version))}


@dataclass(slots=True)
class Issue:
    """A problem found in a command line; `token_index` indexes `CommandAnalysis.tokens` (-1: none)."""

    code: str
    message: str
    token_index: int = -1
    severity: str = "error"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "token_index": self.token_index,
        }


@dataclass(slots=True)
class ConfigFile:
    """A parsed witness config file: `values[subcommand][flag name] = value` plus issues."""

    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)


@dataclass(slots=True)
class CommandAnalysis:
    """What a witness command line means and what is wrong with it."""

    tokens: list[str] = field(default_factory=list)
    witness_version: str = versions.DEFAULT
    """The release whose grammar the command was analysed with."""
    subcommand: str | None = None
    issues: list[Issue] = field(default_factory=list)
    flags: dict[str, Any] = field(default_factory=dict)
    flag_sources: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    help_requested: bool = False
    config_file: str | None = None
    config_applied: bool = False
    env: list[str] = field(default_factory=list)
    shell_redirects: list[str] = field(default_factory=list)
    meaning: list[str] = field(default_factory=list)
    # run / sign
    step: str | None = None
    command: list[str] = field(default_factory=list)
    attestors: list[str] = field(default_factory=list)
    exported: list[dict[str, str | None]] = field(default_factory=list)
    signer_providers: list[str] = field(default_factory=list)
    signer_key: str | None = None
    outfile: str | None = None
    infile: str | None = None
    datatype: str | None = None
    hashes: list[str] = field(default_factory=list)
    # verify
    policy: str | None = None
    publickey: str | None = None
    attestation_files: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    artifactfile: str | None = None
    directory_path: str | None = None
    policy_verifiers: list[str] = field(default_factory=list)
    _suggestions_left: int = MAX_SUGGESTIONS

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def notes(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "note"]

    def report(self) -> str:
        """Human-readable report (what `witness-evals check command` prints)."""
        name = f"witness {self.subcommand}".strip() if self.subcommand is not None else "witness"
        verdict = "valid" if self.valid else "INVALID"
        counts = f"{len(self.errors)} error(s), {len(self.warnings)} warning(s), {len(self.notes)} note(s)"
        lines = [f"{name}: {verdict} ({counts})"]
        if self.meaning:
            lines.append("meaning:")
            lines.extend(f"  - {m}" for m in self.meaning)
        if self.issues:
            lines.append("issues:")
            for issue in self.issues:
                where = ""
                if 0 <= issue.token_index < len(self.tokens):
                    where = f" at `{self.tokens[issue.token_index][:60]}`"
                lines.append(f"  {issue.severity} [{issue.code}]{where}: {issue.message}")
        return "\n".join(lines)

    @property
    def valid(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)

    @property
    def signer_provider(self) -> str | None:
        return self.signer_providers[0] if len(self.signer_providers) == 1 else None

    def add(self, code: str, message: str, token_index: int = -1, severity: str = "error") -> None:
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(Issue(code, message, token_index, severity))
        elif len(self.issues) == MAX_ISSUES:
            self.issues.append(Issue("too-many-issues", "further issues were not reported", -1, "error"))

    def suggest(self, word: str, candidates: Iterable[str]) -> str | None:
        if self._suggestions_left <= 0:
            return None
        self._suggestions_left -= 1
        return did_you_mean(word, candidates)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "witness_version": self.witness_version,
            "subcommand": self.subcommand,
            "valid": self.valid,
            "meaning": list(self.meaning),
            "issues": [i.to_dict() for i in self.issues],
            "tokens": list(self.tokens),
            "flags": dict(self.flags),
            "flag_sources": dict(self.flag_sources),
            "args": list(self.args),
            "help_requested": self.help_requested,
            "config_file": self.config_file,
            "config_applied": self.config_applied,
            "env": list(self.env),
            "shell_redirects": list(self.shell_redirects),
        }
        if self.subcommand == "run":
            types = attestor_types(self.witness_version)
            out.update(
                step=self.step,
                command=list(self.command),
                attestors=list(self.attestors),
                attestor_types=[types[a] for a in self.attestors if a in types],
                exported=[dict(e) for e in self.exported],
                hashes=list(self.hashes),
            )
        if self.subcommand in ("run", "sign"):
            out.update(
                signer_providers=list(self.signer_providers),
                signer_provider=self.signer_provider,
                signer_key=self.signer_key,
                outfile=self.outfile,
            )
        if self.subcommand == "sign":
            out.update(infile=self.infile, datatype=self.datatype)
        if self.subcommand == "verify":
            out.update(
                policy=self.policy,
                publickey=self.publickey,
                policy_verifiers=list(self.policy_verifiers),
                attestation_files=list(self.attestation_files),
                subjects=list(self.subjects),
                artifactfile=self.artifactfile,
                directory_path=self.directory_path,
            )
        return out
