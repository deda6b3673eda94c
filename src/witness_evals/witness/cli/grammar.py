"""Typed, indexed grammar of one released `witness` CLI: flags, commands, attestor names.

`GrammarTables.build(version)` turns the raw rows of `data` into lookup tables; `spec.grammar()`
builds one per release (with parsing) and caches it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Self

from witness_evals.witness.cli import data
from witness_evals.witness.versions import WitnessVersion

MAX_INPUT_CHARS: Final = 64 * 1024
POLICY_TYPE: Final = "https://witness.testifysec.com/policy/v0.1"
CLI_HASHES: Final = ("sha256", "sha1", "gitoid:sha256", "gitoid:sha1", "dirHash")
SIGNER_PROVIDERS: Final = ("file", "fulcio", "kms", "spiffe", "vault")


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
class GrammarTables:
    """The whole CLI grammar of one witness release as lookup tables (parsing: `spec.Grammar`)."""

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
    def build(cls, version: WitnessVersion) -> Self:
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
