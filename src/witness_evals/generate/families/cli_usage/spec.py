"""A witness command as data (`Spec`), rendered in the many spellings people use, and checked by the core.

A `Spec` is a subcommand, (long flag name, value) pairs and positional arguments. `render` writes it
with short or long flags, `--flag=value` or `--flag value`, comma lists or repeated flags, on one
line or wrapped with backslashes; `analyse_reference` parses the text with the CLI grammar of the
target release and refuses anything real witness would reject, so no reference command is wrong.
"""

from __future__ import annotations

import random
import shlex
from dataclasses import dataclass, field
from typing import Any

from witness_evals.bench.scorers.command import blocking_issues
from witness_evals.witness import versions
from witness_evals.witness.cli import CommandAnalysis, grammar, parse_command
from witness_evals.witness.versions import WitnessVersion


@dataclass
class Spec:
    """A witness command to render: subcommand, (long flag name, value) pairs, positional args.

    A flag name starting with `-` is raw (possibly wrong) flag text, used for broken commands."""

    sub: str
    flags: list[tuple[str, Any]] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    dashdash: bool = True

    def get(self, name: str) -> Any:
        for n, v in self.flags:
            if n == name:
                return v
        return None

    def replace(self, name: str, new_name: str, value: Any = None) -> Spec:
        flags = [(new_name, v if value is None else value) if n == name else (n, v) for n, v in self.flags]
        return Spec(self.sub, flags, list(self.args), self.dashdash)

    def without(self, name: str) -> Spec:
        return Spec(self.sub, [(n, v) for n, v in self.flags if n != name], list(self.args), self.dashdash)

    def with_flag(self, name: str, value: Any, at: int | None = None) -> Spec:
        flags = list(self.flags)
        flags.insert(len(flags) if at is None else at, (name, value))
        return Spec(self.sub, flags, list(self.args), self.dashdash)


def quote(value: str) -> str:
    """Shell-quote a value, but keep `"$VAR/..."` references double-quoted as people write them."""
    if value.startswith("$") and all(c not in value for c in "\"'`\\ \t\n"):
        return f'"{value}"'
    return shlex.quote(value)


def chunks(spec: Spec, rng: random.Random, version: WitnessVersion | None = None) -> list[str]:
    """The command's flag/value chunks in a seeded spelling (short or long flags, `=` or a space)."""
    short_style = rng.random() < 0.7
    eq_style = rng.random() < 0.15
    table = grammar(version).long_flags.get(spec.sub, {})
    out: list[str] = []
    for name, value in spec.flags:
        if name.startswith("-"):  # raw (possibly wrong) flag text
            out.append(name if value is None or value is True else f"{name} {quote(str(value))}")
            continue
        flag = table.get(name)
        short = flag.short if flag is not None and short_style else ""
        label = f"-{short}" if short else f"--{name}"
        if value is True:
            out.append(label)
        elif isinstance(value, list):
            if len(value) > 1 and rng.random() < 0.35:
                out.extend(f"{label} {quote(v)}" for v in value)
            else:
                out.append(f"{label} {quote(','.join(value))}")
        elif eq_style and not short:
            out.append(f"{label}={quote(str(value))}")
        else:
            out.append(f"{label} {quote(str(value))}")
    tail = " ".join(quote(x) for x in spec.args)
    if spec.args:
        out.append(f"-- {tail}" if spec.dashdash and spec.sub == "run" else tail)
    return out


def render(
    spec: Spec,
    rng: random.Random,
    version: WitnessVersion | None = None,
    *,
    width: int = 100,
    prefix: str = "witness",
) -> str:
    """The command line; wrapped with backslash continuations when longer than `width` (0: never)."""
    return wrap(f"{prefix} {spec.sub}", chunks(spec, rng, version), width)


def wrap(head: str, parts: list[str], width: int = 100) -> str:
    """`head` and the flag/value `parts` on one line, or with backslash continuations when longer than
    `width` (0: never)."""
    line = " ".join([head, *parts])
    if not width or len(line) <= width or not parts:
        return line
    return " \\\n  ".join([head + " " + parts[0], *parts[1:]])


def one_line(text: str) -> str:
    """A possibly wrapped command on one line."""
    return " ".join(text.replace("\\\n", " ").split())


def analyse_reference(text: str, version: WitnessVersion | None = None) -> CommandAnalysis:
    """Parse a reference command and insist that real witness (of `version`) would accept it cleanly."""
    a = parse_command(text, version=version)
    bad = blocking_issues(a)
    if bad:
        raise AssertionError(f"reference command is not clean: {text!r}: {bad}")
    return a


def shell_arg(text: str) -> str:
    """`text` as one shell word, quoted the way a person would: single quotes, else double quotes."""
    if "'" not in text:
        return f"'{text}'"
    if not any(c in text for c in '"$`\\!'):
        return f'"{text}"'
    return shlex.quote(text)


def check_line(text: str, version: WitnessVersion) -> str:
    """`witness-evals check command '<command>'` for the release (one line)."""
    opt = "" if version.name == versions.DEFAULT else f" --witness-version {version.name}"
    return f"witness-evals check command{opt} {shell_arg(one_line(text))}"
