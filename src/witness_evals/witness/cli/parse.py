"""pflag/cobra emulation for witness command lines: finds the subcommand, parses flags, merges config."""

from __future__ import annotations

import functools
from typing import Final

from witness_evals.witness.cli import data
from witness_evals.witness.cli.analysis import CommandAnalysis, ConfigFile
from witness_evals.witness.cli.checks import SemanticChecks
from witness_evals.witness.cli.config import read_config
from witness_evals.witness.cli.grammar import MAX_INPUT_CHARS, Flag, GrammarTables
from witness_evals.witness.cli.hints import short_meanings, unknown_long_hint
from witness_evals.witness.cli.shell import split_commands, strip_shell, tokenize
from witness_evals.witness.cli.values import BOOL_WORDS, convert_value, split_csv

PROGRAM_PREFIXES: Final = frozenset({"sudo", "exec", "time", "env", "command", "nohup", "builtin"})


class Parser(SemanticChecks):
    """pflag/cobra emulation over a token list, filling a CommandAnalysis."""

    def __init__(self, a: CommandAnalysis, config: ConfigFile | str | None, g: GrammarTables) -> None:
        self.g = g
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
        while i < len(tokens) and tokens[i] in PROGRAM_PREFIXES:
            i += 1
        if i >= len(tokens):
            a.add("empty-input", "no witness command found")
            return
        prog = tokens[i].replace("\\", "/").rsplit("/", 1)[-1]
        if prog in ("witness", "witness.exe"):
            i += 1
        elif not (
            tokens[i].startswith("-")
            or tokens[i] in self.g.top_level_commands
            or tokens[i] in data.NONEXISTENT_COMMANDS
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
        self.check_semantics(path)

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
            cmd = self.g.commands[current]
            if not cmd.subcommands:
                break
            child = " ".join((*path, s))
            if child in self.g.commands:
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
        if not self.g.commands[current].runnable:
            if self._has_help(tokens, start):
                a.help_requested = True
            a.subcommand = current
            subs = ", ".join(self.g.commands[current].subcommands)
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
        f = self.g.long_flags[current].get(name)
        return f is not None and not f.takes_value

    def _is_bool_short(self, current: str, ch: str) -> bool:
        f = self.g.short_flags[current].get(ch)
        return f is not None and not f.takes_value

    def _unknown_command(self, path: list[str], word: str, j: int) -> None:
        a = self.a
        full = " ".join((*path, word))
        if not path and word == "help":  # cobra's implicit `help [command]`
            a.subcommand = "help"
            a.help_requested = True
            a.add("help-requested", "`witness help ...` prints usage and does nothing", j, "note")
            return
        where = "witness" + "".join(f" {p}" for p in path)
        known = data.NONEXISTENT_COMMANDS.get(full)
        if known is None:
            subs = self.g.commands[" ".join(path)].subcommands
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
        flag = self.g.long_flags[cmd].get(name)
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
            if k < len(order) and tokens[order[k]] in BOOL_WORDS:
                self._bool_separated(f"--{name}", tokens[order[k]], order[k])
        else:
            value, k = self._next_value(tokens, order, k, j, f"--{name}")
        if value is not None:
            self._set(flag, value, j, f"--{name}")
        return k

    def _short_cluster(self, tokens: list[str], order: list[int], k: int, j: int, body: str, cmd: str) -> int:
        a = self.a
        name = body.split("=", 1)[0]
        if len(name) > 1 and name in self.g.all_long_names and name[0] not in "0123456789":
            parsed = f"-{body[0]} {body[1:]}"
            first = self.g.short_flags[cmd].get(body[0])
            if first is not None and first.takes_value:
                parsed = f"`-{body[0]}` (`--{first.name}`) with the value `{body[1:][:80]}`"
            else:
                parsed = f"the shorthand cluster `{parsed[:80]}`"
            why = ""
            if name not in self.g.long_flags[cmd]:
                why = " " + unknown_long_hint(cmd, name, self.g)
            a.add(
                "single-dash-long-flag",
                f"`-{body[:80]}` is parsed as {parsed}, not as `--{name}`; long flags need two dashes.{why}",
                j,
            )
            flag = self.g.long_flags[cmd].get(name)
            if flag is None:
                return k + 1 if "=" not in body and self._guess_takes_value(name) and k < len(order) else k
            return self._long(tokens, order, k, j, body, cmd)
        pos = 0
        while pos < len(body):
            ch = body[pos]
            flag = self.g.short_flags[cmd].get(ch)
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
                if not rest and k < len(order) and tokens[order[k]] in BOOL_WORDS:
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
        shorts = self.g.short_flags
        return any(ch in shorts[c] and shorts[c][ch].takes_value for c in self.g.leaf_commands)

    def _guess_takes_value(self, name: str) -> bool:
        for c in self.g.leaf_commands:
            f = self.g.long_flags[c].get(name)
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
        g = self.g
        if (name in data.NONEXISTENT_FLAGS and not g.has_flag(name)) or any(
            name.startswith(p) for p in data.NONEXISTENT_FLAG_PREFIXES
        ):
            a.add("nonexistent-flag", f"{prefix}: {unknown_long_hint(cmd, name, g)}", j)
            return
        owners = [c for c in g.leaf_commands if c != cmd and name in g.long_flags[c]]
        if owners:
            a.add("flag-of-other-subcommand", f"{prefix}: {unknown_long_hint(cmd, name, g)}", j)
            return
        guess = a.suggest(name, g.flag_candidates[cmd])
        if guess is None and len(name) == 1 and name in g.short_flags[cmd]:
            guess = g.short_flags[cmd][name].name
            a.add("unknown-flag", f"{prefix}: did you mean `-{name}` (`--{guess}`)?", j)
            return
        a.add("unknown-flag", f"{prefix}" + (f": did you mean `--{guess}`?" if guess else ""), j)

    def _unknown_short(self, ch: str, body: str, j: int, cmd: str) -> None:
        a = self.a
        if ch == "h":
            a.help_requested = True
            return
        prefix = f"unknown shorthand flag: '{ch}' in -{body[:80]}"
        elsewhere = short_meanings(ch, cmd, self.g)
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
        target = self.g.long_flags[a.subcommand or ""].get(name, flag)
        converted, err = convert_value(target.type, value)
        if err is not None:
            a.add("bad-value", f'invalid argument "{value[:80]}" for "{label}" flag: {err[:200]}', j)
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
        version = self.g.version
        cfg = self.config if isinstance(self.config, ConfigFile) else _cached_config(self.config, self.g)
        if a.config_file is None and version.config_default:
            # up to witness v0.10.x `-c` defaults to `.witness.yaml`, read when it exists
            a.config_file = version.config_default
            a.add(
                "config-default-file",
                f"no `-c`: {version.label} reads `{version.config_default}` from the working directory by "
                "default (the supplied config is taken to be that file); since witness v0.11 that file "
                "without `-c` is a hard error",
                -1,
                "note",
            )
        elif a.config_file is None:
            a.add(
                "config-not-loaded",
                "a config file was supplied but the command has no `-c/--config`: witness never loads a config "
                "implicitly since v0.11 (a `.witness.yaml` in the working directory is even a hard error)",
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
            flag = self.g.long_flags[top].get(name)
            if flag is None:  # read with another release's grammar: witness would ignore the key
                continue
            if flag.replacement and flag.replacement in self.set_at:
                continue
            target = flag.replacement or name
            a.flags[target] = list(value) if isinstance(value, list) else value
            a.flag_sources[target] = "config"
            self.set_at[target] = -1


@functools.lru_cache(maxsize=32)
def _cached_config(text: str, g: GrammarTables) -> ConfigFile:
    """Parsed config text; the parser only reads it, so repeated configs are parsed once."""
    return read_config(text, grammar=g)


def analyse(text: str, *, config: ConfigFile | str | None = None, grammar: GrammarTables) -> CommandAnalysis:
    """Analyse a `witness ...` command line without executing anything; never raises on text input.

    `config`: the content (YAML text or `parse_config_yaml` result) of the file named by `-c`;
    `grammar`: the release's grammar.
    """
    g = grammar
    a = CommandAnalysis(witness_version=g.version.name)
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
        tokens = strip_shell(a, tokens)
        a.tokens = tokens
        Parser(a, config, g).run(tokens)
    except (RecursionError, MemoryError):  # pragma: no cover - bounded input makes these unreachable
        a.add("internal-error", "analysis aborted: input too complex")
    return a
