"""Grammar of the released `witness` CLIs, and the entry points of the static command analyser.

`grammar(version)` is the grammar of one release (`versions.py`: `0.12` default, `0.11`, `0.10`),
built once and cached; the module-level tables (`COMMANDS`, `LONG_FLAGS`, ...) are the default
release's. `parse_command(text)` tokenises a command line with shlex (nothing is ever executed),
parses it the way cobra + pflag would, and returns a `CommandAnalysis`: what the command means
(step, attestors recorded, signer, files) and a list of `Issue`s (errors make the command invalid;
warnings and notes do not). `parse_config_yaml(text)` reads a witness config file (`-c`), whose
values `parse_command(..., config=...)` merges like witness does.

Everything is table-driven and linear in the input; input longer than `MAX_INPUT_CHARS` is refused
with an issue, and no string input makes these functions raise.
"""

from __future__ import annotations

import functools
from typing import Any, Final

from witness_evals.witness import versions
from witness_evals.witness.cli.analysis import CommandAnalysis, ConfigFile
from witness_evals.witness.cli.config import read_config
from witness_evals.witness.cli.grammar import AttestorName, Command, Flag, GrammarTables
from witness_evals.witness.cli.parse import analyse
from witness_evals.witness.versions import WitnessVersion


class Grammar(GrammarTables):
    """The grammar of one witness release: its lookup tables, and parsing with them."""

    def parse(self, text: str, *, config: ConfigFile | str | None = None) -> CommandAnalysis:
        """`parse_command` with this release's grammar."""
        return analyse(text, config=config, grammar=self)


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
    return read_config(text, source=source, grammar=grammar(version))
