"""Grammar of the released `witness` CLIs as data, and a static analyser of witness command lines.

`grammar(version)` is the grammar of one release (`versions.py`: `0.12` default, `0.11`, `0.10`);
the module-level tables (`COMMANDS`, `LONG_FLAGS`, ...) are the default release's. `COMMANDS` holds
every subcommand with its flags (long, short, type, default, description,
deprecated/hidden). `parse_command(text)` tokenises a command line with shlex (nothing is ever
executed), parses it the way cobra + pflag would, and returns a `CommandAnalysis`: what the
command means (step, attestors recorded, signer, files) and a list of `Issue`s (errors make the
command invalid; warnings and notes do not). `parse_config_yaml(text)` reads a witness config file
(`-c`), whose values `parse_command(..., config=...)` merges like witness does.

Everything is table-driven and linear in the input; input longer than `MAX_INPUT_CHARS` is refused
with an issue, and no string input makes these functions raise.

Layout: raw flag tables in `cli_spec_data`; Go value parsing in `cli_spec_values`; shell splitting
in `cli_spec_shell`; pflag/cobra emulation in `cli_spec_parse`; per-subcommand checks in
`cli_spec_checks`; explanations of wrong flags in `cli_spec_hints`; config files in `cli_spec_config`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from witness_evals.witness import cli_spec_data as data
from witness_evals.witness import versions
from witness_evals.witness.cli_spec_values import did_you_mean
from witness_evals.witness.versions import WitnessVersion

MAX_INPUT_CHARS: Final = 64 * 1024
MAX_ISSUES: Final = 200
MAX_SUGGESTIONS: Final = 16
POLICY_TYPE: Final = "https://witness.testifysec.com/policy/v0.1"
CLI_HASHES: Final = ("sha256", "sha1", "gitoid:sha256", "gitoid:sha1", "dirHash")
SIGNER_PROVIDERS: Final = ("file", "fulcio", "kms", "spiffe", "vault")
SEVERITIES: Final = ("error", "warning", "note")


# --------------------------------------------------------------------------- grammar


@dataclass(frozen=True, slots=True)
class Flag:
    """One pflag flag of a witness command."""

    name: str
    short: str
    type: str
    default: str | None
    description: str
    deprecated: str = ""
    hidden: bool = False
    replacement: str = ""
    attestor: str = ""
    is_global: bool = False

    @property
    def takes_value(self) -> bool:
        return self.type != "bool"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "short": self.short,
            "type": self.type,
            "default": self.default,
            "description": self.description,
            "deprecated": self.deprecated,
            "hidden": self.hidden,
        }


@dataclass(frozen=True, slots=True)
class Command:
    """A witness (sub)command: its path, usage, own flags (with -h/--help) and argument rule."""

    path: tuple[str, ...]
    use: str
    summary: str
    flags: tuple[Flag, ...]
    subcommands: tuple[str, ...] = ()
    runnable: bool = True
    args: str = "any"

    @property
    def name(self) -> str:
        return " ".join(self.path)

    @property
    def visible_flags(self) -> tuple[Flag, ...]:
        return tuple(f for f in self.flags if not f.hidden)


def _flags(rows: Iterable[data.FlagRow], **extra: Any) -> tuple[Flag, ...]:
    return tuple(Flag(*row, **extra) for row in rows)


def _help(name: str) -> Flag:
    return Flag("help", "h", "bool", "false", f"help for {name}")


def _hidden_archivist() -> tuple[Flag, ...]:
    return tuple(
        Flag(*row, deprecated=f"use --{new} instead", hidden=True, replacement=new)
        for row, new in data.HIDDEN_ARCHIVIST_FLAGS
    )


def _sorted(flags: Iterable[Flag]) -> tuple[Flag, ...]:
    return tuple(sorted(flags, key=lambda f: f.name))


def _commands(version: WitnessVersion) -> dict[str, Command]:
    attestor_flags = tuple(Flag(*row, attestor=name) for name, row in data.ATTESTOR_OPTION_FLAGS)
    verify_own = tuple(
        Flag(*row, deprecated="use --policy-ca-roots instead") if row[0] == "policy-ca" else Flag(*row)
        for row in data.verify_own_flags(version)
    )
    signer = _flags(data.signer_flags(version))
    return {
        c.name: c
        for c in (
            Command(
                (),
                "witness",
                "Collect and verify attestations about your build environments",
                (_help("witness"),),
                subcommands=("run", "sign", "verify", "attestors", "policy", "completion", "version"),
                runnable=False,
            ),
            Command(
                ("run",),
                "run [cmd]",
                "Runs the provided command and records attestations about the execution",
                _sorted(
                    (
                        *_flags(data.ARCHIVISTA_FLAGS),
                        *attestor_flags,
                        *_flags(data.RUN_OWN_FLAGS),
                        *signer,
                        _help("run"),
                        *_hidden_archivist(),
                    )
                ),
                args="command",
            ),
            Command(
                ("sign",),
                "sign [file]",
                "Signs a file",
                _sorted((*_flags(data.SIGN_OWN_FLAGS), *signer, _help("sign"))),
                args="ignored",
            ),
            Command(
                ("verify",),
                "verify",
                "Verifies a witness policy",
                _sorted((*_flags(data.ARCHIVISTA_FLAGS), *verify_own, _help("verify"), *_hidden_archivist())),
                args="ignored",
            ),
            Command(
                ("attestors",),
                "attestors",
                "Get information about available attestors",
                (_help("attestors"),),
                subcommands=("list", "schema"),
                runnable=False,
            ),
            Command(("attestors", "list"), "list", "List all available attestors", (_help("list"),)),
            Command(
                ("attestors", "schema"),
                "schema <attestor>",
                "Show the JSON schema of a specific attestor",
                (_help("schema"),),
                args="one-attestor",
            ),
            Command(
                ("policy",),
                "policy",
                "Commands for working with witness policies",
                (_help("policy"),),
                subcommands=("check",),
                runnable=False,
            ),
            Command(
                ("policy", "check"),
                "check [policy file]",
                "Check a policy file for errors",
                (*_flags(data.POLICY_CHECK_FLAGS), _help("check")),
                args="min-one",
            ),
            Command(
                ("completion",),
                "completion [bash|zsh|fish|powershell]",
                "Generate completion script",
                (_help("completion"),),
                args="one-shell",
            ),
            Command(("version",), "version", "Prints the version of witness", (_help("version"),)),
        )
    }


@dataclass(frozen=True, slots=True)
class AttestorName:
    """An attestor as the CLI knows it (grammar data; the full model lives in `attestors`)."""

    name: str
    type: str
    run_type: str
    selection: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Grammar:
    """The whole CLI grammar of one witness release, with its lookup tables."""

    version: WitnessVersion
    global_flags: tuple[Flag, ...]
    commands: dict[str, Command]
    attestor_names: tuple[AttestorName, ...]
    attestor_by_name: dict[str, AttestorName]
    attestor_by_type: dict[str, AttestorName]
    long_flags: dict[str, dict[str, Flag]]
    short_flags: dict[str, dict[str, Flag]]
    lower_long_flags: dict[str, dict[str, str]]
    flag_candidates: dict[str, tuple[str, ...]]
    leaf_commands: tuple[str, ...]
    all_long_names: frozenset[str]
    top_level_commands: tuple[str, ...]

    @classmethod
    def build(cls, version: WitnessVersion) -> Grammar:
        global_flags = _flags(data.global_flags(version), is_global=True)
        commands = _commands(version)
        attestors = tuple(AttestorName(*row) for row in data.attestor_rows(version))
        longs: dict[str, dict[str, Flag]] = {}
        shorts: dict[str, dict[str, Flag]] = {}
        for name, cmd in commands.items():
            every = (*cmd.flags, *global_flags)
            longs[name] = {f.name: f for f in every}
            shorts[name] = {f.short: f for f in every if f.short}
        return cls(
            version=version,
            global_flags=global_flags,
            commands=commands,
            attestor_names=attestors,
            attestor_by_name={a.name: a for a in attestors},
            attestor_by_type={uri: a for a in attestors for uri in (a.type, *a.aliases)},
            long_flags=longs,
            short_flags=shorts,
            lower_long_flags={name: {k.lower(): k for k in table} for name, table in longs.items()},
            flag_candidates={name: tuple(sorted(table)) for name, table in longs.items()},
            leaf_commands=tuple(n for n, c in commands.items() if c.runnable),
            all_long_names=frozenset(k for table in longs.values() for k in table)
            | frozenset(data.NONEXISTENT_FLAGS),
            top_level_commands=commands[""].subcommands,
        )

    def lookup_flag(self, command: str, name: str) -> Flag | None:
        """The flag `--name` (or `-name` for one character) as seen by `witness <command>`."""
        table = self.short_flags if len(name) == 1 else self.long_flags
        return table.get(command, {}).get(name)

    def has_flag(self, name: str) -> bool:
        """Whether some runnable command of this release has the long flag `--name`."""
        return any(name in self.long_flags[c] for c in self.leaf_commands)

    def parse(self, text: str, *, config: ConfigFile | str | None = None) -> CommandAnalysis:
        """`parse_command` with this release's grammar."""
        from witness_evals.witness.cli_spec_parse import analyse

        return analyse(text, config=config, grammar=self)

    def flag_counts(self) -> dict[str, dict[str, int]]:
        """Visible flags per command (with and without -h/--help) and hidden ones (REFERENCE.md §2.8)."""
        out: dict[str, dict[str, int]] = {}
        for name, cmd in self.commands.items():
            visible = cmd.visible_flags
            out[name or "witness"] = {
                "flags": len(visible),
                "without_help": sum(1 for f in visible if f.name != "help"),
                "hidden": len(cmd.flags) - len(visible),
            }
        n = len(self.global_flags)
        out["global"] = {"flags": n, "without_help": n, "hidden": 0}
        return out


@functools.cache
def _grammar(name: str) -> Grammar:
    return Grammar.build(versions.get(name))


def grammar(version: str | WitnessVersion | None = None) -> Grammar:
    """The grammar of a witness release (default: the latest, `0.12`); built once per release."""
    return _grammar(versions.get(version).name)


_DEFAULT = grammar()
# the default (latest) release's tables, for code that does not care about versions
GLOBAL_FLAGS: Final[tuple[Flag, ...]] = _DEFAULT.global_flags
COMMANDS: Final[dict[str, Command]] = _DEFAULT.commands
ATTESTOR_NAMES: Final[tuple[AttestorName, ...]] = _DEFAULT.attestor_names
"""The attestors compiled into the latest release, by CLI name (REFERENCE.md §1.3)."""
ATTESTOR_BY_NAME: Final[dict[str, AttestorName]] = _DEFAULT.attestor_by_name
ATTESTOR_BY_TYPE: Final[dict[str, AttestorName]] = _DEFAULT.attestor_by_type
LONG_FLAGS: Final = _DEFAULT.long_flags
SHORT_FLAGS: Final = _DEFAULT.short_flags
LOWER_LONG_FLAGS: Final = _DEFAULT.lower_long_flags
FLAG_CANDIDATES: Final = _DEFAULT.flag_candidates
LEAF_COMMANDS: Final = _DEFAULT.leaf_commands
ALL_LONG_NAMES: Final = _DEFAULT.all_long_names
TOP_LEVEL_COMMANDS: Final = _DEFAULT.top_level_commands


def flag_counts(version: str | WitnessVersion | None = None) -> dict[str, dict[str, int]]:
    """Visible flags per command (with and without -h/--help) and hidden ones (REFERENCE.md §2.8)."""
    return grammar(version).flag_counts()


def lookup_flag(command: str, name: str, version: str | WitnessVersion | None = None) -> Flag | None:
    """The flag `--name` (or `-name` for one character) as seen by `witness <command>`."""
    return grammar(version).lookup_flag(command, name)


def spec_to_dict(version: str | WitnessVersion | None = None) -> dict[str, Any]:
    """The whole grammar of a release as JSON-ready data."""
    g = grammar(version)
    return {
        "witness_version": g.version.name,
        "global_flags": [f.to_dict() for f in g.global_flags],
        "commands": {
            (name or "witness"): {
                "use": c.use,
                "summary": c.summary,
                "runnable": c.runnable,
                "subcommands": list(c.subcommands),
                "flags": [f.to_dict() for f in c.flags],
            }
            for name, c in g.commands.items()
        },
        "attestors": [
            {"name": a.name, "type": a.type, "run_type": a.run_type, "selection": a.selection}
            for a in g.attestor_names
        ],
    }


# --------------------------------------------------------------------------- results


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
            by_name = grammar(self.witness_version).attestor_by_name
            out.update(
                step=self.step,
                command=list(self.command),
                attestors=list(self.attestors),
                attestor_types=[by_name[a].type for a in self.attestors if a in by_name],
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


def parse_command(
    text: str, *, config: ConfigFile | str | None = None, version: str | WitnessVersion | None = None
) -> CommandAnalysis:
    """Analyse a `witness ...` command line without executing anything; never raises on text input.

    `config`: the content (YAML text or `parse_config_yaml` result) of the file named by `-c` (up to
    witness v0.10.x also of a `.witness.yaml` read by default); `version`: the release (default 0.12).
    """
    return grammar(version).parse(text, config=config)


def parse_config_yaml(
    text: str, *, source: str = "config", version: str | WitnessVersion | None = None
) -> ConfigFile:
    """Read a witness config file: keys `<subcommand>.<long flag>` (REFERENCE.md §2.9)."""
    from witness_evals.witness.cli_spec_config import read_config

    return read_config(text, source=source, grammar=grammar(version))
