"""Grammar of the released `witness` CLI as data, and a static analyser of witness command lines.

`COMMANDS` holds every subcommand with its flags (long, short, type, default, description,
deprecated/hidden). `parse_command(text)` tokenises a command line with shlex (nothing is ever
executed), parses it the way cobra + pflag would, and returns a `CommandAnalysis`: what the
command means (step, attestors recorded, signer, files) and a list of `Issue`s (errors make the
command invalid; warnings and notes do not). `parse_config_yaml(text)` reads a witness config file
(`-c`), whose values `parse_command(..., config=...)` merges like witness does.

Everything is table-driven and linear in the input; input longer than `MAX_INPUT_CHARS` is refused
with an issue, and no string input makes these functions raise.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from witness_evals.witness import cli_spec_data as data

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


GLOBAL_FLAGS: Final[tuple[Flag, ...]] = _flags(data.GLOBAL_FLAGS, is_global=True)

_ATTESTOR_FLAGS = tuple(Flag(*row, attestor=name) for name, row in data.ATTESTOR_OPTION_FLAGS)

_VERIFY_OWN = tuple(
    Flag(*row, deprecated="use --policy-ca-roots instead") if row[0] == "policy-ca" else Flag(*row)
    for row in data.VERIFY_OWN_FLAGS
)

COMMANDS: Final[dict[str, Command]] = {
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
                    *_ATTESTOR_FLAGS,
                    *_flags(data.RUN_OWN_FLAGS),
                    *_flags(data.SIGNER_FLAGS),
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
            _sorted((*_flags(data.SIGN_OWN_FLAGS), *_flags(data.SIGNER_FLAGS), _help("sign"))),
            args="ignored",
        ),
        Command(
            ("verify",),
            "verify",
            "Verifies a witness policy",
            _sorted((*_flags(data.ARCHIVISTA_FLAGS), *_VERIFY_OWN, _help("verify"), *_hidden_archivist())),
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


ATTESTOR_NAMES: Final[tuple[AttestorName, ...]] = tuple(AttestorName(*row) for row in data.ATTESTOR_ROWS)
"""The 26 attestors compiled into the released CLI, by CLI name (REFERENCE.md §1.3)."""

ATTESTOR_BY_NAME: Final[dict[str, AttestorName]] = {a.name: a for a in ATTESTOR_NAMES}
ATTESTOR_BY_TYPE: Final[dict[str, AttestorName]] = {
    uri: a for a in ATTESTOR_NAMES for uri in (a.type, *a.aliases)
}


def _index() -> tuple[dict[str, dict[str, Flag]], dict[str, dict[str, Flag]]]:
    longs: dict[str, dict[str, Flag]] = {}
    shorts: dict[str, dict[str, Flag]] = {}
    for name, cmd in COMMANDS.items():
        every = (*cmd.flags, *GLOBAL_FLAGS)
        longs[name] = {f.name: f for f in every}
        shorts[name] = {f.short: f for f in every if f.short}
    return longs, shorts


_LONG, _SHORT = _index()
_LOWER_LONG: Final = {name: {k.lower(): k for k in table} for name, table in _LONG.items()}
_CANDIDATES: Final = {name: tuple(sorted(table)) for name, table in _LONG.items()}
_LEAF_COMMANDS: Final = tuple(n for n, c in COMMANDS.items() if c.runnable)
_ALL_LONG_NAMES: Final = frozenset(k for table in _LONG.values() for k in table) | frozenset(
    data.NONEXISTENT_FLAGS
)
_TOP_LEVEL: Final = COMMANDS[""].subcommands
_BOOL_WORDS: Final = frozenset(
    {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}
)
_TRUE_WORDS: Final = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_CONTROL_OPS: Final = frozenset({"&&", "||", ";", "|", "&", "|&", ";;", ";&", "&;"})
_REDIRECT_OPS: Final = frozenset({">", ">>", "<", "<<", "<<<", ">&", "<&", "&>", "&>>", ">|", "<>"})
_PROGRAM_PREFIXES: Final = frozenset({"sudo", "exec", "time", "env", "command", "nohup", "builtin"})


def flag_counts() -> dict[str, dict[str, int]]:
    """Visible flags per command (with and without -h/--help) and hidden ones (REFERENCE.md §2.8)."""
    out: dict[str, dict[str, int]] = {}
    for name, cmd in COMMANDS.items():
        visible = cmd.visible_flags
        out[name or "witness"] = {
            "flags": len(visible),
            "without_help": sum(1 for f in visible if f.name != "help"),
            "hidden": len(cmd.flags) - len(visible),
        }
    out["global"] = {"flags": len(GLOBAL_FLAGS), "without_help": len(GLOBAL_FLAGS), "hidden": 0}
    return out


def lookup_flag(command: str, name: str) -> Flag | None:
    """The flag `--name` (or `-name` for one character) as seen by `witness <command>`."""
    table = _SHORT if len(name) == 1 else _LONG
    return table.get(command, {}).get(name)


def spec_to_dict() -> dict[str, Any]:
    """The whole grammar as JSON-ready data."""
    return {
        "global_flags": [f.to_dict() for f in GLOBAL_FLAGS],
        "commands": {
            (name or "witness"): {
                "use": c.use,
                "summary": c.summary,
                "runnable": c.runnable,
                "subcommands": list(c.subcommands),
                "flags": [f.to_dict() for f in c.flags],
            }
            for name, c in COMMANDS.items()
        },
        "attestors": [
            {"name": a.name, "type": a.type, "run_type": a.run_type, "selection": a.selection}
            for a in ATTESTOR_NAMES
        ],
    }


# --------------------------------------------------------------------------- Go value parsers


def parse_go_bool(text: str) -> bool | None:
    """strconv.ParseBool; None when Go would reject the text."""
    if text in _BOOL_WORDS:
        return text in _TRUE_WORDS
    return None


def parse_go_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64); None when Go would reject it."""
    s = text
    sign = 1
    if s[:1] in ("+", "-"):
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    if not s:
        return None
    base, digits = 10, s
    low = s[:2].lower()
    if low in ("0x", "0o", "0b"):
        base, digits = {"0x": 16, "0o": 8, "0b": 2}[low], s[2:]
        if digits.startswith("_"):
            digits = digits[1:]
    elif s[0] == "0" and len(s) > 1:
        base, digits = 8, s[1:].lstrip("_") if s[1] == "_" else s[1:]
    if not digits or digits.startswith("_") or digits.endswith("_") or "__" in digits:
        return None
    allowed = "0123456789abcdef"[:base]
    if any(c not in allowed for c in digits.replace("_", "").lower()):
        return None
    value = sign * int(digits.replace("_", ""), base)
    return value if -(2**63) <= value < 2**63 else None


_DURATION_UNITS: Final = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}


def parse_go_duration(text: str) -> int | None:
    """time.ParseDuration in nanoseconds; None when Go would reject the text (linear scan)."""
    s = text
    neg = False
    if s[:1] in ("+", "-"):
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        return None
    total = 0.0
    i, n = 0, len(s)
    while i < n:
        start = i
        while i < n and s[i].isascii() and s[i].isdigit():
            i += 1
        whole = s[start:i]
        frac = ""
        if i < n and s[i] == ".":
            i += 1
            fstart = i
            while i < n and s[i].isascii() and s[i].isdigit():
                i += 1
            frac = s[fstart:i]
        if not whole and not frac:
            return None
        ustart = i
        while i < n and not (s[i] == "." or (s[i].isascii() and s[i].isdigit())):
            i += 1
        unit = _DURATION_UNITS.get(s[ustart:i])
        if unit is None:
            return None
        total += float(f"{whole or '0'}.{frac or '0'}") * unit
        if total > 2**63 - 1:
            return None
    return int(-total if neg else total)


def split_csv(value: str) -> list[str] | None:
    """pflag stringSlice parsing (encoding/csv, one record); None on a quoting error."""
    if value == "":
        return []
    if '"' not in value:
        return value.split(",")
    out: list[str] = []
    i, n = 0, len(value)
    while True:
        if i < n and value[i] == '"':
            i += 1
            buf: list[str] = []
            while True:
                j = value.find('"', i)
                if j < 0:
                    return None
                buf.append(value[i:j])
                if j + 1 < n and value[j + 1] == '"':
                    buf.append('"')
                    i = j + 2
                    continue
                i = j + 1
                break
            out.append("".join(buf))
            if i < n and value[i] != ",":
                return None
        else:
            j = value.find(",", i)
            end = n if j < 0 else j
            if '"' in value[i:end]:
                return None
            out.append(value[i:end])
            i = end
        if i >= n:
            return out
        i += 1  # skip the comma
        if i == n:
            out.append("")
            return out


# --------------------------------------------------------------------------- suggestions


def _bounded_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or limit + 1 as soon as it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        best = i
        for j, cb in enumerate(b, 1):
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            cur.append(v)
            best = min(best, v)
        if best > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate: same letters in another case, a `-word` suffix, edit distance, prefix."""
    if not word or len(word) > 64:
        return None
    cands = tuple(candidates)
    low = word.lower()
    for c in cands:
        if c.lower() == low:
            return c
    limit = 1 if len(word) <= 4 else 2 if len(word) <= 10 else 3
    best: tuple[int, int, str] | None = None
    for c in cands:
        d = _bounded_distance(low, c.lower(), limit)
        if d <= limit and (best is None or (d, len(c), c) < best):
            best = (d, len(c), c)
    if best is not None:
        return best[2]
    if len(word) >= 3:
        ends = [c for c in cands if c.endswith("-" + word)]
        if ends:
            return min(ends, key=lambda c: (len(c), c))
        starts = [c for c in cands if c.startswith(word)]
        if starts:
            return min(starts, key=lambda c: (len(c), c))
    return None


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
            out.update(
                step=self.step,
                command=list(self.command),
                attestors=list(self.attestors),
                attestor_types=[ATTESTOR_BY_NAME[a].type for a in self.attestors if a in ATTESTOR_BY_NAME],
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


# --------------------------------------------------------------------------- config file


def _go_string(value: Any) -> str | None:
    """viper GetString of a YAML value; None where cast.ToString gives up (lists, maps)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return None


def parse_config_yaml(text: str, *, source: str = "config") -> ConfigFile:
    """Read a witness config file: keys `<subcommand>.<long flag>` (REFERENCE.md §2.9)."""
    cfg = ConfigFile()
    if not isinstance(text, str):
        cfg.issues.append(Issue("config-yaml-error", f"{source}: not text"))
        return cfg
    if len(text) > MAX_INPUT_CHARS:
        cfg.issues.append(Issue("config-too-long", f"{source}: longer than {MAX_INPUT_CHARS} characters"))
        return cfg
    import yaml

    try:
        doc = yaml.safe_load(text)
    except Exception as exc:  # yaml raises many types (and RecursionError on deep nesting)
        where = getattr(exc, "problem_mark", None)
        at = f":{where.line + 1}:{where.column + 1}" if where is not None else ""
        cfg.issues.append(Issue("config-yaml-error", f"{source}{at}: invalid YAML ({type(exc).__name__})"))
        return cfg
    if doc is None:
        return cfg
    if not isinstance(doc, dict):
        cfg.issues.append(Issue("config-not-mapping", f"{source}: the config file must be a YAML mapping"))
        return cfg
    for top, section in doc.items():
        key = str(top).lower()
        if key not in _TOP_LEVEL:
            hint = (
                data.NONEXISTENT_FLAGS.get(key)
                or "keys are `<subcommand>.<long flag name>`, e.g. `run.signer-file-key-path`"
            )
            cfg.issues.append(
                Issue(
                    "config-unknown-key", f"{source}: top-level key `{top}` is ignored: {hint}", -1, "warning"
                )
            )
            continue
        if not isinstance(section, dict):
            if section is not None:
                cfg.issues.append(
                    Issue(
                        "config-bad-value",
                        f"{source}: `{top}` must be a mapping of flag names",
                        -1,
                        "warning",
                    )
                )
            continue
        if COMMANDS[key].subcommands:
            cfg.issues.append(
                Issue(
                    "config-unknown-key",
                    f"{source}: `{top}`: nested subcommands (`{key} ...`) cannot be configured",
                    -1,
                    "warning",
                )
            )
            continue
        lower = _LOWER_LONG[key]
        values = cfg.values.setdefault(key, {})
        for fkey, value in section.items():
            name = lower.get(str(fkey).lower())
            if name is None:
                cfg.issues.append(
                    Issue(
                        "config-unknown-key",
                        f"{source}: `{key}.{fkey}` is ignored: {_unknown_long_hint(key, str(fkey))}",
                        -1,
                        "warning",
                    )
                )
                continue
            flag = _LONG[key][name]
            if flag.type == "strings":
                items: list[Any] = value if isinstance(value, list) else str(_go_string(value) or "").split()
                strs = [_go_string(v) for v in items]
                if any(s is None for s in strs):
                    cfg.issues.append(
                        Issue(
                            "config-bad-value",
                            f"{source}: `{key}.{fkey}` must be a list of strings",
                            -1,
                            "warning",
                        )
                    )
                    continue
                parsed = split_csv(",".join(s for s in strs if s is not None))
                if parsed is None:
                    cfg.issues.append(
                        Issue("config-bad-value", f"{source}: `{key}.{fkey}`: bad quoting", -1, "warning")
                    )
                    continue
                if parsed:
                    values[name] = parsed
                continue
            s = _go_string(value)
            if s is None:
                cfg.issues.append(
                    Issue(
                        "config-bad-value",
                        f"{source}: `{key}.{fkey}` is a {type(value).__name__}; witness reads it as an empty "
                        "string and ignores it",
                        -1,
                        "warning",
                    )
                )
                continue
            if s == "":
                continue
            converted = _convert(flag, s)
            if isinstance(converted, str) and flag.type in ("bool", "int", "duration"):
                cfg.issues.append(
                    Issue(
                        "config-bad-value",
                        f"{source}: `{key}.{fkey}`: {converted}; witness logs `failed to set config value` "
                        "and ignores it",
                        -1,
                        "warning",
                    )
                )
                continue
            values[name] = [s] if flag.type == "stringArray" else converted
    return cfg


def _convert(flag: Flag, value: str) -> Any:
    """Typed value of a flag, or an error text (str) for bool/int/duration flags that reject it."""
    if flag.type == "bool":
        b = parse_go_bool(value)
        return b if b is not None else f'strconv.ParseBool: parsing "{value}": invalid syntax'
    if flag.type == "int":
        i = parse_go_int(value)
        return i if i is not None else f'strconv.ParseInt: parsing "{value}": invalid syntax'
    if flag.type == "duration":
        return value if parse_go_duration(value) is not None else f'time: invalid duration "{value}"'
    return value


def _unknown_long_hint(command: str, name: str) -> str:
    """Why `--name` is not a flag of `command`, and what to use instead."""
    base = name.split("=", 1)[0]
    if base in data.NONEXISTENT_FLAGS:
        return data.NONEXISTENT_FLAGS[base]
    for prefix, why in data.NONEXISTENT_FLAG_PREFIXES.items():
        if base.startswith(prefix):
            return why
    owners = [c for c in _LEAF_COMMANDS if c != command and base in _LONG[c]]
    if owners:
        return f"`--{base}` is a flag of {_names(owners)}, not of `witness {command}`" + _OTHER_HINTS.get(
            (command, base), ""
        )
    guess = did_you_mean(base, _CANDIDATES.get(command, ()))
    return f"did you mean `--{guess}`?" if guess else "no such flag"


def _names(commands: Iterable[str]) -> str:
    return ", ".join(f"`witness {c}`" for c in commands)


_OTHER_HINTS: Final[dict[tuple[str, str], str]] = {
    (
        "verify",
        "signer-file-key-path",
    ): "; verify does not sign: the policy signer's public key is `-k/--publickey`",
    ("verify", "step"): "; verify finds steps through the policy, `-s` here means `--subjects`",
    ("verify", "outfile"): "; verify writes nothing (results are logged)",
    ("run", "publickey"): "; run signs with a private key: `-k/--signer-file-key-path`",
    ("run", "policy"): "; policies are checked by `witness verify -p`",
    ("sign", "step"): "; sign signs a file, steps are recorded by `witness run -s`",
    ("sign", "attestations"): "; sign signs one file given with `-f/--infile`",
    ("run", "infile"): "; run records a command, files are signed by `witness sign -f`",
    ("run", "artifactfile"): "; the artifact is named at verify time (`witness verify -f`)",
    ("run", "datatype"): "; run always signs an in-toto statement",
}


# --------------------------------------------------------------------------- command parsing


def _short_meanings(char: str, exclude: str) -> str:
    parts = [
        f"in `witness {c}` it is `--{_SHORT[c][char].name}`"
        for c in _LEAF_COMMANDS
        if c != exclude and char in _SHORT[c]
    ]
    return "; ".join(parts)


def _looks_like_digest(value: str) -> bool:
    v = value.split(":", 1)[1] if value.startswith(("sha256:", "sha1:")) else value
    return len(v) in (40, 64) and all(c in "0123456789abcdefABCDEF" for c in v)


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


class _Parser:
    """pflag/cobra emulation over a token list, filling a CommandAnalysis."""

    def __init__(self, a: CommandAnalysis, config: ConfigFile | str | None) -> None:
        self.a = a
        self.config = config
        self.set_at: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.value_at: dict[str, list[int]] = {}  # token index of each item of a list flag
        self.dash_at: int | None = None  # token index of `--`
        self.arg_tokens: list[int] = []
        self.config_unknown = False

    # ---- entry
    def run(self, tokens: list[str]) -> None:
        a = self.a
        i = 0
        while i < len(tokens) and "=" in tokens[i] and tokens[i].split("=", 1)[0].isidentifier():
            a.env.append(tokens[i])
            i += 1
        while i < len(tokens) and tokens[i] in _PROGRAM_PREFIXES:
            i += 1
        if i >= len(tokens):
            a.add("empty-input", "no witness command found")
            return
        prog = tokens[i].replace("\\", "/").rsplit("/", 1)[-1]
        if prog in ("witness", "witness.exe"):
            i += 1
        elif not (
            tokens[i].startswith("-") or tokens[i] in _TOP_LEVEL or tokens[i] in data.NONEXISTENT_COMMANDS
        ):
            a.add("not-witness", f"`{tokens[i][:80]}` is not the witness CLI", i)
            return
        path, cmd_idx = self._find(tokens, i)
        if path is None:
            return
        a.subcommand = path
        skip = set(cmd_idx)
        self._parse_flags(tokens, [j for j in range(i, len(tokens)) if j not in skip])
        self._apply_config()
        self._check(path)

    # ---- cobra Find
    def _find(self, tokens: list[str], start: int) -> tuple[str | None, list[int]]:
        a = self.a
        path: list[str] = []
        idx: list[int] = []
        j = start
        current = ""
        while j < len(tokens):
            s = tokens[j]
            if s == "--":
                break
            if s.startswith("-") and len(s) > 1:
                takes = "=" not in s and (
                    (s.startswith("--") and not self._is_bool_long(current, s[2:]))
                    or (len(s) == 2 and not self._is_bool_short(current, s[1]))
                )
                if takes:
                    if j + 2 >= len(tokens) and j + 1 < len(tokens):  # cobra stops on a last value
                        break
                    j += 2
                    continue
                j += 1
                continue
            cmd = COMMANDS[current]
            if not cmd.subcommands:
                break
            child = " ".join((*path, s))
            if child in COMMANDS:
                path.append(s)
                idx.append(j)
                current = child
                j += 1
                continue
            self._unknown_command(path, s, j)
            return None, idx
        if not path and current == "":
            if self._has_help(tokens, start):
                a.help_requested = True
                a.subcommand = ""
                a.add("help-requested", "`witness --help` prints the usage and does nothing", -1, "note")
                return None, idx
            a.add(
                "missing-subcommand",
                "no subcommand: `witness` alone only prints help; use run, sign, verify, ...",
            )
            return None, idx
        if not COMMANDS[current].runnable:
            if self._has_help(tokens, start):
                a.help_requested = True
            a.subcommand = current
            subs = ", ".join(COMMANDS[current].subcommands)
            a.add(
                "missing-subcommand",
                f"`witness {current}` only prints help; give a subcommand ({subs})",
                idx[-1] if idx else -1,
                "note" if a.help_requested else "error",
            )
            return None, idx
        return current, idx

    def _has_help(self, tokens: list[str], start: int) -> bool:
        for t in tokens[start:]:
            if t == "--":
                return False
            if t in ("-h", "--help") or (t.startswith("-") and not t.startswith("--") and "h" in t[1:2]):
                return True
        return False

    def _is_bool_long(self, current: str, name: str) -> bool:
        f = _LONG[current].get(name)
        return f is not None and not f.takes_value

    def _is_bool_short(self, current: str, ch: str) -> bool:
        f = _SHORT[current].get(ch)
        return f is not None and not f.takes_value

    def _unknown_command(self, path: list[str], word: str, j: int) -> None:
        a = self.a
        full = " ".join((*path, word))
        if path == ["help"] or (not path and word == "help"):
            return
        where = "witness" + "".join(f" {p}" for p in path)
        known = data.NONEXISTENT_COMMANDS.get(full)
        if known is None:
            subs = COMMANDS[" ".join(path)].subcommands
            guess = a.suggest(word, subs)
            known = f"did you mean `{where} {guess}`?" if guess else f"available: {', '.join(subs)}"
        if not path:
            msg = f'unknown command "{word[:80]}" for "witness": {known}'
        else:
            msg = f"`{where}` has no subcommand `{word[:80]}` (it would only print help): {known}"
        a.subcommand = " ".join(path) or None
        a.add("unknown-subcommand", msg, j)

    # ---- pflag
    def _parse_flags(self, tokens: list[str], order: list[int]) -> None:
        a = self.a
        cmd = a.subcommand or ""
        k = 0
        while k < len(order):
            j = order[k]
            s = tokens[j]
            k += 1
            if s == "--":
                self.dash_at = j
                self.arg_tokens.extend(order[k:])
                break
            if len(s) < 2 or s[0] != "-":
                self.arg_tokens.append(j)
                continue
            if s[1] == "-":
                k = self._long(tokens, order, k, j, s[2:], cmd)
            else:
                k = self._short_cluster(tokens, order, k, j, s[1:], cmd)
        a.args = [tokens[j] for j in self.arg_tokens]

    def _next_value(
        self, tokens: list[str], order: list[int], k: int, j: int, label: str
    ) -> tuple[str | None, int]:
        if k >= len(order):
            self.a.add("missing-value", f"flag needs an argument: {label}", j)
            return None, k
        value = tokens[order[k]]
        if value.startswith("-") and len(value) > 1:
            self.a.add(
                "value-looks-like-flag",
                f"`{label}` takes `{value[:80]}` as its value (pflag consumes the next token); the value is missing",
                order[k],
                "warning",
            )
        return value, k + 1

    def _long(self, tokens: list[str], order: list[int], k: int, j: int, body: str, cmd: str) -> int:
        a = self.a
        if not body or body[0] in "-=":
            a.add("bad-flag-syntax", f"bad flag syntax: --{body[:80]}", j)
            return k
        name, eq, inline = body.partition("=")
        flag = _LONG[cmd].get(name)
        if flag is None:
            self._unknown_long(name, j)
            if (
                not eq
                and k < len(order)
                and not tokens[order[k]].startswith("-")
                and self._guess_takes_value(name)
            ):
                k += 1
            return k
        if eq:
            value: str | None = inline
        elif not flag.takes_value:
            value = "true"
            if k < len(order) and tokens[order[k]] in _BOOL_WORDS:
                self._bool_separated(f"--{name}", tokens[order[k]], order[k])
        else:
            value, k = self._next_value(tokens, order, k, j, f"--{name}")
        if value is not None:
            self._set(flag, value, j, f"--{name}")
        return k

    def _short_cluster(self, tokens: list[str], order: list[int], k: int, j: int, body: str, cmd: str) -> int:
        a = self.a
        name = body.split("=", 1)[0]
        if len(name) > 1 and name in _ALL_LONG_NAMES and name[0] not in "0123456789":
            parsed = f"-{body[0]} {body[1:]}"
            first = _SHORT[cmd].get(body[0])
            if first is not None and first.takes_value:
                parsed = f"`-{body[0]}` (`--{first.name}`) with the value `{body[1:][:80]}`"
            else:
                parsed = f"the shorthand cluster `{parsed[:80]}`"
            why = ""
            if name not in _LONG[cmd]:
                why = " " + _unknown_long_hint(cmd, name)
            a.add(
                "single-dash-long-flag",
                f"`-{body[:80]}` is parsed as {parsed}, not as `--{name}`; long flags need two dashes.{why}",
                j,
            )
            flag = _LONG[cmd].get(name)
            if flag is None:
                return k + 1 if "=" not in body and self._guess_takes_value(name) and k < len(order) else k
            return self._long(tokens, order, k, j, body, cmd)
        pos = 0
        while pos < len(body):
            ch = body[pos]
            flag = _SHORT[cmd].get(ch)
            rest = body[pos + 1 :]
            if flag is None:
                self._unknown_short(ch, body, j, cmd)
                if (
                    not rest
                    and k < len(order)
                    and not tokens[order[k]].startswith("-")
                    and self._other_short_takes(ch)
                ):
                    k += 1
                return k
            if rest.startswith("="):
                self._set(flag, rest[1:], j, f"-{ch}")
                return k
            if not flag.takes_value:
                self._set(flag, "true", j, f"-{ch}")
                if not rest and k < len(order) and tokens[order[k]] in _BOOL_WORDS:
                    self._bool_separated(f"-{ch}", tokens[order[k]], order[k])
                pos += 1
                continue
            if rest:
                self._set(flag, rest, j, f"-{ch}")
                return k
            value, k = self._next_value(tokens, order, k, j, f"-{ch}")
            if value is not None:
                self._set(flag, value, j, f"-{ch}")
            return k
        return k

    def _other_short_takes(self, ch: str) -> bool:
        return any(ch in _SHORT[c] and _SHORT[c][ch].takes_value for c in _LEAF_COMMANDS)

    def _guess_takes_value(self, name: str) -> bool:
        for c in _LEAF_COMMANDS:
            f = _LONG[c].get(name)
            if f is not None:
                return f.takes_value
        return name not in ("insecure", "yes", "verbose", "quiet", "json")

    def _bool_separated(self, label: str, word: str, j: int) -> None:
        becomes = (
            "the command witness runs"
            if self.a.subcommand == "run" and self.dash_at is None
            else "a positional argument"
        )
        sev = "error" if self.a.subcommand == "run" and self.dash_at is None else "warning"
        self.a.add(
            "bool-value-separated",
            f"`{label} {word}`: a bool flag does not take a separate value; `{word}` becomes {becomes}. "
            f"Write `{label}={word}`"
            if label.startswith("--")
            else f"Write `{label}={word}`",
            j,
            sev,
        )

    def _unknown_long(self, name: str, j: int) -> None:
        a = self.a
        cmd = a.subcommand or ""
        if name == "help":
            a.help_requested = True
            return
        prefix = f"unknown flag: --{name[:80]}"
        if name in data.NONEXISTENT_FLAGS or any(name.startswith(p) for p in data.NONEXISTENT_FLAG_PREFIXES):
            a.add("nonexistent-flag", f"{prefix}: {_unknown_long_hint(cmd, name)}", j)
            return
        owners = [c for c in _LEAF_COMMANDS if c != cmd and name in _LONG[c]]
        if owners:
            a.add("flag-of-other-subcommand", f"{prefix}: {_unknown_long_hint(cmd, name)}", j)
            return
        guess = a.suggest(name, _CANDIDATES[cmd])
        if guess is None and len(name) == 1 and name in _SHORT[cmd]:
            guess = _SHORT[cmd][name].name
            a.add("unknown-flag", f"{prefix}: did you mean `-{name}` (`--{guess}`)?", j)
            return
        a.add("unknown-flag", f"{prefix}" + (f": did you mean `--{guess}`?" if guess else ""), j)

    def _unknown_short(self, ch: str, body: str, j: int, cmd: str) -> None:
        a = self.a
        if ch == "h":
            a.help_requested = True
            return
        prefix = f"unknown shorthand flag: '{ch}' in -{body[:80]}"
        elsewhere = _short_meanings(ch, cmd)
        if elsewhere:
            a.add(
                "short-flag-of-other-subcommand",
                f"{prefix}: `-{ch}` is not a flag of `witness {cmd}`; {elsewhere}",
                j,
            )
        else:
            a.add("unknown-flag", prefix, j)

    def _set(self, flag: Flag, value: str, j: int, label: str, source: str = "command") -> None:
        a = self.a
        name = flag.replacement or flag.name
        if flag.deprecated and source == "command":
            if flag.hidden:
                msg = f"Flag --{flag.name} has been deprecated, {flag.deprecated}"
            else:
                msg = (
                    f"`--{flag.name}` is deprecated ({flag.deprecated}); the CLI's own warning names "
                    "`--policy-ca-root`/`--policy-ca-intermediate`, which do not exist"
                )
            a.add("deprecated-flag", msg, j, "warning")
        if flag.name == "help":
            a.help_requested = True
            return
        target = _LONG[a.subcommand or ""].get(name, flag)
        converted = _convert(target, value)
        if isinstance(converted, str) and target.type in ("bool", "int", "duration"):
            a.add("bad-value", f'invalid argument "{value[:80]}" for "{label}" flag: {converted[:200]}', j)
            return
        count = self.counts.get(name, 0) + 1
        self.counts[name] = count
        if target.type == "strings":
            items = split_csv(value)
            if items is None:
                a.add("bad-value", f'invalid argument "{value[:80]}" for "{label}" flag: bad CSV quoting', j)
                return
            prev = a.flags.get(name) if name in self.set_at else None
            a.flags[name] = [*prev, *items] if isinstance(prev, list) else items
            self.value_at.setdefault(name, []).extend([j] * len(items))
        elif target.type == "stringArray":
            prev = a.flags.get(name) if name in self.set_at else None
            a.flags[name] = [*prev, value] if isinstance(prev, list) else [value]
            self.value_at.setdefault(name, []).append(j)
        else:
            if count > 1 and source == "command" and not flag.is_global:
                extra = (
                    "; only one allowlist entry reaches the attestor from the command line"
                    if name.startswith("attestor-secretscan-allowlist")
                    else ""
                )
                a.add(
                    "repeated-flag",
                    f"`--{name}` given {count} times: pflag keeps only the last value{extra}",
                    j,
                    "warning",
                )
            a.flags[name] = converted
        self.set_at[name] = j
        a.flag_sources[name] = source

    # ---- config
    def _apply_config(self) -> None:
        a = self.a
        cfg_path = a.flags.get("config")
        if isinstance(cfg_path, str) and cfg_path:
            a.config_file = cfg_path
        if self.config is None:
            if a.config_file is not None:
                self.config_unknown = True
                a.add(
                    "config-not-seen",
                    f"`-c {a.config_file[:80]}`: the config file may set flags, so required-flag checks are "
                    "only notes (pass the config content to check them)",
                    self.set_at.get("config", -1),
                    "note",
                )
            return
        cfg = self.config if isinstance(self.config, ConfigFile) else parse_config_yaml(self.config)
        if a.config_file is None:
            a.add(
                "config-not-loaded",
                "a config file was supplied but the command has no `-c/--config`: witness never loads a config "
                "implicitly (a `.witness.yaml` in the working directory is even a hard error)",
                -1,
                "warning",
            )
            return
        for issue in cfg.issues:
            a.add(issue.code, issue.message, -1, issue.severity)
        top = (a.subcommand or "").split(" ")[0]
        if top != a.subcommand:
            return
        a.config_applied = True
        for name, value in cfg.values.get(top, {}).items():
            if name in self.set_at:
                continue  # command-line flags override config values
            flag = _LONG[top][name]
            if flag.replacement and flag.replacement in self.set_at:
                continue
            target = flag.replacement or name
            a.flags[target] = list(value) if isinstance(value, list) else value
            a.flag_sources[target] = "config"
            self.set_at[target] = -1

    # ---- semantics
    def given(self, name: str) -> bool:
        return name in self.set_at

    def require(self, code: str, message: str, token_index: int = -1) -> None:
        if self.a.help_requested:
            return
        if self.config_unknown:
            self.a.add(code, message + " (unless the config file sets it)", token_index, "note")
        else:
            self.a.add(code, message, token_index)

    def _check(self, path: str) -> None:
        a = self.a
        if a.help_requested:
            a.add(
                "help-requested",
                f"`-h/--help`: `witness {path}` prints its usage and does nothing",
                -1,
                "note",
            )
        level = a.flags.get("log-level")
        if isinstance(level, str) and level not in data.LOG_LEVELS:
            a.add(
                "bad-log-level",
                f"log level `{level[:40]}` is not one of {', '.join(data.LOG_LEVELS)}",
                self.set_at.get("log-level", -1),
                "warning",
            )
        checker = {
            "run": self._check_run,
            "sign": self._check_sign,
            "verify": self._check_verify,
            "attestors schema": self._check_schema,
            "policy check": self._check_policy_check,
            "completion": self._check_completion,
        }.get(path)
        if path in ("attestors list", "version") and a.args:
            a.add(
                "positional-ignored", f"`witness {path}` ignores its arguments", self.arg_tokens[0], "warning"
            )
        if checker is not None:
            checker()
        if path in ("attestors list", "version"):
            a.meaning.append(
                "prints the attestor table (Name | Type | RunType)"
                if path == "attestors list"
                else "prints `witness <version>`"
            )

    def _signers(self) -> None:
        a = self.a
        providers = sorted({n.split("-")[1] for n in self.set_at if n.startswith("signer-")})
        a.signer_providers = providers
        key = a.flags.get("signer-file-key-path")
        a.signer_key = key if isinstance(key, str) else None
        if not providers:
            self.require(
                "missing-signer",
                "no signer: give exactly one signer provider, e.g. `-k key.pem` "
                "(`failed to load signers: failed to load any signers`)",
            )
            return
        if len(providers) > 1:
            a.add(
                "multiple-signers",
                f"only one signer is supported (flags of {', '.join(providers)} providers given)",
                min(self.set_at[n] for n in self.set_at if n.startswith("signer-")),
            )
        needs = {"file": "signer-file-key-path", "kms": "signer-kms-ref"}
        for p in providers:
            want = needs.get(p)
            if want and not self.given(want):
                self.require("incomplete-signer", f"the {p} signer needs `--{want}`")
        if "fulcio" in providers and not self.given("signer-fulcio-url"):
            a.add(
                "incomplete-signer", "the fulcio signer normally needs `--signer-fulcio-url`", -1, "warning"
            )
        if "vault" in providers and not (self.given("signer-vault-url") and self.given("signer-vault-role")):
            a.add(
                "incomplete-signer",
                "the vault signer needs `--signer-vault-url` and `--signer-vault-role`",
                -1,
                "warning",
            )
        desc = {
            "file": f"the private key file `{a.signer_key}`" if a.signer_key else "a file key",
            "kms": f"the KMS key `{a.flags.get('signer-kms-ref')}`",
            "fulcio": "a Fulcio (keyless) certificate",
            "spiffe": "a SPIFFE SVID",
            "vault": "a Vault PKI certificate",
        }
        if len(providers) == 1:
            a.meaning.append(f"signs with {desc[providers[0]]} ({providers[0]} signer)")
        if self.given("signer-file-cert-path"):
            a.meaning.append("the signature carries the certificate from `--signer-file-cert-path`")

    def _timestamp_urls(self, name: str) -> None:
        for v, at in self._items(name):
            if not _is_url(v):
                self.a.add(
                    "timestamp-url-expected",
                    f"`--{name}` takes RFC3161 TSA URLs (e.g. https://freetsa.org/tsr), not `{v[:80]}`",
                    at,
                    "warning",
                )

    def _item_at(self, name: str, n: int) -> int:
        at = self.value_at.get(name, [])
        return at[n] if n < len(at) else self.set_at.get(name, -1)

    def _items(self, name: str) -> list[tuple[str, int]]:
        return [(v, self._item_at(name, n)) for n, v in enumerate(self._list(name))]

    def _list(self, name: str) -> list[str]:
        v = self.a.flags.get(name)
        return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []

    def _str(self, name: str) -> str | None:
        v = self.a.flags.get(name)
        return v if isinstance(v, str) else None

    def _check_run(self) -> None:
        a = self.a
        step = self._str("step")
        a.step = step or None
        if not step:
            self.require("missing-step", "`-s/--step` is required (go-witness: `step name is required`)")
        elif _looks_like_digest(step):
            a.add(
                "short-flag-meaning",
                f"in `run`, `-s` is the step name; `{step[:80]}` looks like a digest (subjects belong to `verify -s`)",
                self.set_at.get("step", -1),
                "warning",
            )
        self._signers()
        a.outfile = self._str("outfile") or None
        # command
        a.command = list(a.args)
        if a.args:
            before = [j for j in self.arg_tokens if self.dash_at is None or j < self.dash_at]
            if before:
                a.add(
                    "command-without-dashdash",
                    "the command is not preceded by `--`: witness parses any of its options as witness flags; "
                    f"write `witness run ... -- {' '.join(a.args)[:80]}`",
                    before[0],
                    "warning",
                )
            if len(a.args) == 1 and any(c in a.args[0] for c in " \t"):
                a.add(
                    "command-is-one-word",
                    f"the command is the single argument `{a.args[0][:80]}`: witness executes it without a shell; "
                    "use `-- bash -c '...'` or split the words",
                    self.arg_tokens[0],
                    "warning",
                )
        # attestors
        recorded = list(data.ALWAYS_RUN_ATTESTORS)
        if a.args:
            recorded.append("command-run")
        explicit = self.given("attestations")
        values = self._list("attestations") if explicit else list(data.DEFAULT_ATTESTORS)
        for n, v in enumerate(values):
            self._add_attestor(v, recorded, self._item_at("attestations", n))
        # options of attestors not selected
        for name in self.set_at:
            flag = _LONG["run"].get(name)
            if flag is not None and flag.attestor and flag.attestor not in recorded:
                a.add(
                    "attestor-option-unused",
                    f"`--{name}` only takes effect if the `{flag.attestor}` attestor is selected (`-a {flag.attestor}`)",
                    self.set_at[name],
                    "warning",
                )
        exported = [
            n for n in data.EXPORTERS if n in recorded and a.flags.get(f"attestor-{n}-export") is True
        ]
        a.attestors = [n for n in recorded if n not in exported]
        a.exported = [
            {
                "name": n,
                "type": ATTESTOR_BY_NAME[n].type,
                "file": f"{a.outfile}-{n}.json" if a.outfile else None,
            }
            for n in exported
        ]
        if exported and not a.outfile:
            a.add(
                "export-without-outfile",
                "exported attestations are written to `<outfile>-<name>.json`; give `-o` to name them",
                -1,
                "warning",
            )
        # hashes
        hashes = self._list("hashes") if self.given("hashes") else ["sha256"]
        a.hashes = hashes
        for n, h in enumerate(hashes):
            if h not in CLI_HASHES:
                a.add(
                    "bad-hash",
                    f"failed to parse hash: unsupported hash function: {h[:80]} (allowed: {', '.join(CLI_HASHES)})",
                    self._item_at("hashes", n),
                )
            elif h.startswith("gitoid") or h == "dirHash":
                a.add(
                    "hash-downgraded",
                    f"`--hashes {h}`: the CLI builds plain digests, so `{h}` silently becomes "
                    f"`{'sha1' if h.endswith('sha1') else 'sha256'}`",
                    self._item_at("hashes", n),
                    "warning",
                )
        if (
            hashes
            and all(h in CLI_HASHES for h in hashes)
            and not any(h in ("sha256", "gitoid:sha256", "dirHash") for h in hashes)
        ):
            a.add(
                "no-sha256",
                "without sha256 in `--hashes`, `witness verify -f` (which hashes the artifact with sha256 only) "
                "can never find this attestation",
                self.set_at.get("hashes", -1),
                "warning",
            )
        self._timestamp_urls("timestamp-servers")
        # meaning
        m = a.meaning
        m.insert(
            0, f"records step `{step}`" if step else "records an attestation collection (no step name given)"
        )
        if a.command:
            m.append(f"runs the command {a.command!r} (recorded by command-run)")
        else:
            m.append("runs no command: no command-run attestation; products are only files changed meanwhile")
        m.append("collection attestors: " + ", ".join(a.attestors))
        if explicit:
            dropped = [d for d in data.DEFAULT_ATTESTORS if d not in recorded]
            if dropped:
                m.append(f"`-a` replaces the default environment,git: {' and '.join(dropped)} NOT recorded")
        if "sbom" in a.attestors:
            m.append(
                "sbom is recorded under the type https://spdx.dev/Document or https://cyclonedx.org/bom "
                "(whichever SBOM product was found), not its registered type"
            )
        for e in a.exported:
            m.append(
                f"exports {e['name']} ({e['type']}) as a separate envelope to {e['file'] or '<outfile>-' + str(e['name']) + '.json'}"
            )
        m.append(
            f"writes the signed collection envelope to {a.outfile}"
            if a.outfile
            else "writes the signed envelope to stdout"
        )
        if a.flags.get("trace") is True:
            m.append("traces the command's processes (Linux ptrace, experimental)")
        if a.flags.get("enable-archivista") is True:
            m.append("also uploads every envelope to Archivista")
        if a.shell_redirects:
            m.append(f"shell redirections {a.shell_redirects} apply to witness itself, not to the command")

    def _add_attestor(self, value: str, recorded: list[str], at: int) -> None:
        a = self.a
        if value == "command-run":
            a.add(
                "attestor-builtin",
                "'command-run' is a builtin attestor and cannot be called with --attestations flag "
                "(it is recorded automatically when a command follows `--`)",
                at,
                "warning",
            )
            return
        if value in recorded:
            why = " (always recorded)" if value in data.ALWAYS_RUN_ATTESTORS else ""
            a.add("attestor-duplicate", f"Attestor {value} already declared, skipping{why}", at, "warning")
            return
        spec = ATTESTOR_BY_NAME.get(value)
        if spec is None:
            spec = ATTESTOR_BY_TYPE.get(value)
            if spec is not None and spec.name in recorded:
                a.add(
                    "attestor-duplicate",
                    f"`{value}` is the type of `{spec.name}`, which is already selected: it is recorded twice",
                    at,
                    "warning",
                )
        if spec is None:
            self._unknown_attestor(value, at)
            return
        if spec.run_type == "verify":
            a.add(
                "attestor-verify-type",
                f"`{value}`: attestors of type verify cannot be run in conjunction with other attestor types "
                "(policyverify only runs inside `witness verify`)",
                at,
            )
            return
        if spec.name == "command-run":
            a.add(
                "attestor-builtin",
                "command-run given by type URI: it is recorded automatically when a command follows `--`",
                at,
                "warning",
            )
        env = data.ATTESTOR_ENVIRONMENT.get(spec.name)
        if env is not None and not (spec.name == "git" and not self.given("attestations")):
            a.add("attestor-environment", f"`-a {spec.name}` {env[1]}", at, env[0])
        recorded.append(spec.name)

    def _unknown_attestor(self, value: str, at: int) -> None:
        a = self.a
        base = f"failed to create attestor: attestor not found: {value[:80]}"
        if value in data.HEAD_ONLY_ATTESTORS:
            a.add(
                "attestor-not-in-build",
                f"{base} (`{value}` exists only in go-witness HEAD, not in this CLI)",
                at,
            )
            return
        hint = ""
        stripped = value.strip()
        if stripped != value and (stripped in ATTESTOR_BY_NAME or stripped in ATTESTOR_BY_TYPE):
            hint = f"; `-a` values are split on commas without trimming spaces: write `{stripped}` without the space"
        elif value.lower() in data.ATTESTOR_MISSPELLINGS or value.lower() in ATTESTOR_BY_NAME:
            right = data.ATTESTOR_MISSPELLINGS.get(value.lower(), value.lower())
            hint = f"; the CLI name is `{right}`"
        elif _is_url(value):
            stem = value.rstrip("/").rsplit("/", 1)[0]
            same = [t for t in ATTESTOR_BY_TYPE if t.startswith(stem + "/") or t == stem]
            if same:
                hint = f"; did you mean `{same[0]}` (CLI name `{ATTESTOR_BY_TYPE[same[0]].name}`)?"
        elif value.endswith((".json", ".pem")) or "/" in value:
            hint = "; in `run`, `-a` takes attestor names (attestation files are for `verify -a`)"
        else:
            guess = a.suggest(value, ATTESTOR_BY_NAME)
            if guess:
                hint = f"; did you mean `{guess}`?"
        a.add("unknown-attestor", base + hint, at)

    def _check_sign(self) -> None:
        a = self.a
        a.infile = self._str("infile") or None
        a.outfile = self._str("outfile") or None
        dt = self._str("datatype")
        a.datatype = dt or POLICY_TYPE
        f, o = self.given("infile"), self.given("outfile")
        if f != o:
            missing = "outfile" if f else "infile"
            self.require(
                "required-together",
                f"if any flags in the group [infile outfile] are set they must all be set; missing [{missing}]",
                self.set_at.get("infile" if f else "outfile", -1),
            )
        elif not f:
            self.require(
                "missing-infile",
                "nothing to sign: give `-f/--infile <file>` and `-o/--outfile <file>` (the positional [file] is not read)",
            )
        if a.args:
            a.add(
                "positional-ignored",
                f"`witness sign` does not read the positional `{a.args[0][:80]}`; use `-f {a.args[0][:80]}`",
                self.arg_tokens[0],
                "warning",
            )
        self._signers()
        if dt is not None and self.given("datatype") and dt != POLICY_TYPE:
            low = dt.lower()
            if "tsr" in low or "timestamp" in low or "tsa" in low:
                a.add(
                    "short-flag-meaning",
                    f"in `sign`, `-t` is `--datatype`; `{dt[:80]}` looks like a timestamp server "
                    "(use `--timestamp-servers`, which has no shorthand in sign)",
                    self.set_at.get("datatype", -1),
                    "warning",
                )
            else:
                a.add(
                    "non-policy-datatype",
                    f"payloadType will be `{dt[:80]}`, not the policy type; `witness verify -p` needs a policy",
                    self.set_at.get("datatype", -1),
                    "note",
                )
        if a.infile and a.infile.endswith((".yaml", ".yml")):
            a.add(
                "yaml-policy",
                "sign puts the raw file bytes in the payload: a YAML policy fails to load at verify time; convert it to JSON",
                self.set_at.get("infile", -1),
                "warning",
            )
        self._timestamp_urls("timestamp-servers")
        a.meaning.insert(
            0,
            f"signs the raw bytes of `{a.infile}` as a DSSE envelope (payloadType `{a.datatype}`)"
            if a.infile
            else "signs a file given with -f (none given)",
        )
        a.meaning.append(
            f"writes the envelope to {a.outfile}" if a.outfile else "writes the envelope to stdout"
        )

    def _check_verify(self) -> None:
        a = self.a
        a.policy = self._str("policy") or None
        a.publickey = self._str("publickey") or None
        a.attestation_files = self._list("attestations")
        a.subjects = self._list("subjects")
        a.artifactfile = self._str("artifactfile") or None
        a.directory_path = self._str("directory-path") or None
        group1 = ("publickey", "policy-ca", "policy-ca-roots", "policy-ca-intermediates", "verifier-kms-ref")
        a.policy_verifiers = [g for g in group1 if self.given(g)]
        if not a.policy_verifiers:
            self.require(
                "required-group",
                "at least one of the flags in the group [publickey policy-ca policy-ca-roots "
                "policy-ca-intermediates verifier-kms-ref] is required",
            )
        if not (self.given("artifactfile") or self.given("subjects")):
            extra = " (`--directory-path` alone does not satisfy this group)" if a.directory_path else ""
            self.require(
                "required-group",
                "at least one of the flags in the group [artifactfile subjects] is required" + extra,
            )
        if not a.policy:
            self.require("missing-policy", "`-p/--policy` is required (without it opening the policy fails)")
        elif a.policy.endswith((".yaml", ".yml")):
            a.add(
                "yaml-policy",
                "verify needs a signed JSON policy envelope, not YAML",
                self.set_at["policy"],
                "warning",
            )
        archivista = a.flags.get("enable-archivista") is True
        if not a.attestation_files and not archivista:
            self.require(
                "missing-attestations",
                "must either specify attestation file paths or enable archivista as an attestation source",
            )
        pk = a.publickey or ""
        base = pk.replace("\\", "/").rsplit("/", 1)[-1].lower()
        if base and "pub" not in base and ("priv" in base or base.endswith(("key.pem", ".key"))):
            a.add(
                "short-flag-meaning",
                f"in `verify`, `-k` is the policy signer's PUBLIC key; `{pk[:80]}` looks like a private key",
                self.set_at.get("publickey", -1),
                "warning",
            )
        for v, at in self._items("attestations"):
            if v in ATTESTOR_BY_NAME:
                a.add(
                    "short-flag-meaning",
                    f"in `verify`, `-a` takes attestation FILES; `{v}` is an attestor name",
                    at,
                    "warning",
                )
        for v, at in self._items("subjects"):
            if not _looks_like_digest(v):
                a.add(
                    "short-flag-meaning",
                    f"in `verify`, `-s` takes subject digests; `{v[:80]}` does not look like a hex digest",
                    at,
                    "warning",
                )
        for v, at in self._items("policy-timestamp-servers"):
            if _is_url(v):
                a.add(
                    "timestamp-path-expected",
                    f"`--policy-timestamp-servers` takes paths to TSA CA certificate files, not URLs (`{v[:80]}`)",
                    at,
                    "warning",
                )
        if a.args:
            a.add(
                "positional-ignored",
                f"`witness verify` ignores positional arguments (`{a.args[0][:80]}`); "
                "attestations go with `-a`, the artifact with `-f`",
                self.arg_tokens[0],
                "warning",
            )
        m = a.meaning
        how = ", ".join(f"--{v}" for v in a.policy_verifiers) or "nothing"
        m.append(
            f"verifies the signed policy `{a.policy}` (policy signature checked with {how})"
            if a.policy
            else f"verifies a signed policy (none given; policy signature checked with {how})"
        )
        if a.publickey:
            m.append(
                f"`{a.publickey}` is the policy signer's public key (functionary keys live in the policy)"
            )
        if a.attestation_files:
            m.append("against the attestation files " + ", ".join(a.attestation_files))
        if archivista:
            m.append("fetching attestations from Archivista")
        if a.artifactfile:
            m.append(f"for the subject sha256 of the file `{a.artifactfile}`")
        if a.subjects:
            m.append("for the subject digests " + ", ".join(a.subjects))
        if a.directory_path:
            m.append(f"for the dirHash of the directory `{a.directory_path}`")
        m.append("exit 0 only if the policy passes")

    def _check_schema(self) -> None:
        a = self.a
        if not a.args:
            self.a.add(
                "wrong-arg-count",
                "you must specify an attestor to view the schema of. Use 'witness attestors' for a list of "
                "available attestors",
            )
            return
        if len(a.args) > 1:
            a.add("wrong-arg-count", "you can only get one attestor schema at a time", self.arg_tokens[1])
        name = a.args[0]
        spec = ATTESTOR_BY_NAME.get(name) or ATTESTOR_BY_TYPE.get(name)
        if spec is None:
            guess = data.ATTESTOR_MISSPELLINGS.get(name.lower()) or a.suggest(name, ATTESTOR_BY_NAME)
            a.add(
                "unknown-attestor",
                f"attestor not found: {name[:80]}" + (f"; did you mean `{guess}`?" if guess else ""),
                self.arg_tokens[0],
            )
            return
        a.meaning.append(f"prints the JSON schema of the {spec.name} attestor ({spec.type})")

    def _check_policy_check(self) -> None:
        a = self.a
        if not a.args:
            self.a.add("wrong-arg-count", "requires at least 1 arg(s), only received 0 (the policy file)")
            return
        if len(a.args) > 1:
            a.add(
                "positional-ignored",
                f"only the first file is checked; `{a.args[1][:80]}` is ignored",
                self.arg_tokens[1],
                "warning",
            )
        a.policy = a.args[0]
        a.meaning.append(
            f"statically checks the policy `{a.args[0]}` (raw JSON or DSSE envelope; signature not verified; "
            "Rego parsed with OPA v1 syntax)"
        )

    def _check_completion(self) -> None:
        a = self.a
        if len(a.args) != 1:
            a.add("wrong-arg-count", f"accepts 1 arg(s), received {len(a.args)}")
            return
        if a.args[0] not in data.COMPLETION_SHELLS:
            a.add(
                "bad-argument",
                f'invalid argument "{a.args[0][:80]}" for "witness completion" '
                f"(one of {', '.join(data.COMPLETION_SHELLS)})",
                self.arg_tokens[0],
            )
            return
        a.meaning.append(f"prints the {a.args[0]} completion script")


def split_commands(text: str) -> tuple[list[str], bool]:
    """Split shell text into command lines at unquoted newlines, dropping comments and `$ ` prompts.

    Backslash-newline continuations are joined. Returns the non-empty commands and whether every
    quote was closed. One linear pass; nothing is interpreted beyond quoting.
    """
    text = text.replace("\r\n", "\n").replace("\\\n", " ")
    commands: list[str] = []
    buf: list[str] = []
    quote = ""
    i, n = 0, len(text)
    start = 0
    while i < n:
        c = text[i]
        if quote == "'":
            if c == "'":
                quote = ""
        elif c == "\\":
            i += 2
            continue
        elif quote == '"':
            if c == '"':
                quote = ""
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == start or text[i - 1] in " \t\n;&|"):
            buf.append(text[start:i])
            j = text.find("\n", i)
            i = n if j < 0 else j
            start = i
            continue
        elif c == "\n":
            buf.append(text[start:i])
            commands.append("".join(buf))
            buf = []
            start = i + 1
        i += 1
    buf.append(text[start:])
    commands.append("".join(buf))
    out = []
    for cmd in commands:
        cmd = cmd.strip()
        while cmd.startswith("$") and (len(cmd) == 1 or cmd[1] in " \t"):
            cmd = cmd[1:].lstrip()
        if cmd:
            out.append(cmd)
    return out, quote == ""


def _strip_shell(a: CommandAnalysis, tokens: list[str]) -> list[str]:
    """Drop shell operators: cut at the first control operator, collect redirections."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t in _CONTROL_OPS:
            rest = len(tokens) - i - 1
            a.add(
                "shell-continuation",
                f"`{t}` ends the witness command; the rest ({rest} tokens) is another shell command, not analysed",
                -1,
                "note",
            )
            break
        if t in _REDIRECT_OPS:
            target = tokens[i + 1] if i + 1 < len(tokens) else ""
            if out and out[-1].isdigit():
                t = out.pop() + t
            a.shell_redirects.append(f"{t} {target}".strip())
            i += 2
            continue
        if t in ("(", ")"):
            i += 1
            continue
        out.append(t)
        i += 1
    return out


def tokenize(text: str) -> tuple[list[str], bool]:
    """shlex tokens of one shell command (operators split off); bool: quoting was balanced."""
    lex = shlex.shlex(text, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = ""
    try:
        return list(lex), True
    except ValueError:
        return text.split(), False


def parse_command(text: str, *, config: ConfigFile | str | None = None) -> CommandAnalysis:
    """Analyse a `witness ...` command line without executing anything; never raises on text input.

    `config`: the content (YAML text or `parse_config_yaml` result) of the file named by `-c`.
    """
    a = CommandAnalysis()
    if not isinstance(text, str):
        a.add("bad-input", f"expected text, got {type(text).__name__}")
        return a
    if len(text) > MAX_INPUT_CHARS:
        a.add(
            "input-too-long", f"command longer than {MAX_INPUT_CHARS} characters ({len(text)}); not analysed"
        )
        return a
    try:
        commands, balanced = split_commands(text)
        if not commands:
            a.add("empty-input", "no witness command found")
            return a
        if len(commands) > 1:
            a.add(
                "several-commands",
                f"{len(commands)} commands given; only the first is analysed",
                -1,
                "note",
            )
        tokens, ok = tokenize(commands[0])
        if not (ok and balanced):
            a.add(
                "unbalanced-quote",
                "unbalanced quotes: the shell would not run this line (No closing quotation)",
            )
        tokens = _strip_shell(a, tokens)
        a.tokens = tokens
        _Parser(a, config).run(tokens)
    except (RecursionError, MemoryError):  # pragma: no cover - bounded input makes these unreachable
        a.add("internal-error", "analysis aborted: input too complex")
    return a
