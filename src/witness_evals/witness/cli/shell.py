"""Shell-level handling of a pasted command: lines, prompts, comments, quoting and operators.

Nothing is executed or expanded: `$VAR`, `$(...)` and globs stay literal text.
"""

from __future__ import annotations

import re
import shlex
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from witness_evals.witness.cli.analysis import CommandAnalysis

CONTROL_OPS: Final = frozenset({"&&", "||", ";", "|", "&", "|&", ";;", ";&", "&;"})
REDIRECT_OPS: Final = frozenset({">", ">>", "<", "<<", "<<<", ">&", "<&", "&>", "&>>", ">|", "<>"})


_OUTSIDE = re.compile(r"['\"\\\\#\n]")
_IN_DOUBLE = re.compile(r'["\\\\]')
_PLAIN_WHITESPACE_ONLY = frozenset("\x0b\x0c\x1c\x1d\x1e\x1f")
_SHELL_SPECIAL = "'\"\\;&|<>()"


def split_commands(text: str) -> tuple[list[str], bool]:
    """Split shell text into command lines at unquoted newlines, dropping comments and `$ ` prompts.

    Backslash-newline continuations are joined. Returns the non-empty commands and whether every
    quote was closed. One linear pass (jumping between quote/escape/comment/newline characters).
    """
    text = text.replace("\r\n", "\n").replace("\\\n", " ")
    commands: list[str] = []
    buf: list[str] = []
    quote = ""
    i, n = 0, len(text)
    start = 0
    while i < n:
        if quote == "'":
            j = text.find("'", i)
            if j < 0:
                break
            quote, i = "", j + 1
            continue
        m = (_IN_DOUBLE if quote else _OUTSIDE).search(text, i)
        if m is None:
            break
        i = m.start()
        c = text[i]
        if c == "\\":
            i += 2
        elif quote:  # the closing double quote
            quote, i = "", i + 1
        elif c in "'\"":
            quote, i = c, i + 1
        elif c == "#":
            if i == start or text[i - 1] in " \t;&|":
                buf.append(text[start:i])
                j = text.find("\n", i)
                i = start = n if j < 0 else j
            else:
                i += 1
        else:  # an unquoted newline ends a command
            buf.append(text[start:i])
            commands.append("".join(buf))
            buf = []
            i = start = i + 1
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


def strip_shell(a: CommandAnalysis, tokens: list[str]) -> list[str]:
    """Drop shell operators: cut at the first control operator, collect redirections."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t in CONTROL_OPS:
            rest = len(tokens) - i - 1
            a.add(
                "shell-continuation",
                f"`{t}` ends the witness command; the rest ({rest} tokens) is another shell command, not analysed",
                -1,
                "note",
            )
            break
        if t in REDIRECT_OPS:
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
    if (
        text.isascii()
        and not any(c in text for c in _SHELL_SPECIAL)
        and _PLAIN_WHITESPACE_ONLY.isdisjoint(text)
    ):
        return text.split(), True  # nothing to unquote: identical to shlex, much faster
    lex = shlex.shlex(text, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = ""
    try:
        return list(lex), True
    except ValueError:
        return text.split(), False
