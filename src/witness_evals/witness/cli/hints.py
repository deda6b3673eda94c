"""Explanations for flags that a witness subcommand does not have (REFERENCE.md §2.6, §2.7, §8)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from witness_evals.witness.cli import data
from witness_evals.witness.cli.grammar import GrammarTables
from witness_evals.witness.cli.values import did_you_mean


def unknown_long_hint(command: str, name: str, g: GrammarTables) -> str:
    """Why `--name` is not a flag of `command` (in `g`'s release), and what to use instead."""
    base = name.split("=", 1)[0]
    if base in data.NONEXISTENT_FLAGS and not g.has_flag(base):
        return data.NONEXISTENT_FLAGS[base]
    for prefix, why in data.NONEXISTENT_FLAG_PREFIXES.items():
        if base.startswith(prefix):
            return why
    owners = [c for c in g.leaf_commands if c != command and base in g.long_flags[c]]
    if owners:
        return (
            f"`--{base}` is a flag of {command_names(owners)}, not of `witness {command}`"
            + OTHER_HINTS.get((command, base), "")
        )
    guess = did_you_mean(base, g.flag_candidates.get(command, ()))
    return f"did you mean `--{guess}`?" if guess else "no such flag"


def command_names(commands: Iterable[str]) -> str:
    return ", ".join(f"`witness {c}`" for c in commands)


OTHER_HINTS: Final[dict[tuple[str, str], str]] = {
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


def short_meanings(char: str, exclude: str, g: GrammarTables) -> str:
    """What the short flag `-char` means in the other runnable commands of `g`'s release."""
    parts = [
        f"in `witness {c}` it is `--{g.short_flags[c][char].name}`"
        for c in g.leaf_commands
        if c != exclude and char in g.short_flags[c]
    ]
    return "; ".join(parts)


def looks_like_digest(value: str) -> bool:
    v = value.split(":", 1)[1] if value.startswith(("sha256:", "sha1:")) else value
    return len(v) in (40, 64) and all(c in "0123456789abcdefABCDEF" for c in v)


def is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))
