"""The released `witness` CLIs as data, and a static analyser of witness command lines.

Modules, bottom to top: `data` (raw flag rows per release), `values` (Go value parsing),
`grammar` (typed lookup tables), `analysis` (`CommandAnalysis`, `Issue`, `ConfigFile`), `shell`
(splitting pasted shell text), `hints` (why a flag is wrong), `checks` (per-subcommand semantics),
`config` (witness config files), `parse` (pflag/cobra emulation) and `spec` (per-release grammars
and the entry points re-exported here).
"""

from __future__ import annotations

from witness_evals.witness.cli.analysis import MAX_ISSUES, SEVERITIES, CommandAnalysis, ConfigFile, Issue
from witness_evals.witness.cli.grammar import (
    CLI_HASHES,
    MAX_INPUT_CHARS,
    POLICY_TYPE,
    SIGNER_PROVIDERS,
    AttestorName,
    Command,
    Flag,
)
from witness_evals.witness.cli.spec import (
    ALL_LONG_NAMES,
    ATTESTOR_BY_NAME,
    ATTESTOR_BY_TYPE,
    ATTESTOR_NAMES,
    COMMANDS,
    FLAG_CANDIDATES,
    GLOBAL_FLAGS,
    LEAF_COMMANDS,
    LONG_FLAGS,
    LOWER_LONG_FLAGS,
    SHORT_FLAGS,
    TOP_LEVEL_COMMANDS,
    Grammar,
    flag_counts,
    grammar,
    lookup_flag,
    parse_command,
    parse_config_yaml,
    spec_to_dict,
)

__all__ = [
    "ALL_LONG_NAMES",
    "ATTESTOR_BY_NAME",
    "ATTESTOR_BY_TYPE",
    "ATTESTOR_NAMES",
    "CLI_HASHES",
    "COMMANDS",
    "FLAG_CANDIDATES",
    "GLOBAL_FLAGS",
    "LEAF_COMMANDS",
    "LONG_FLAGS",
    "LOWER_LONG_FLAGS",
    "MAX_INPUT_CHARS",
    "MAX_ISSUES",
    "POLICY_TYPE",
    "SEVERITIES",
    "SHORT_FLAGS",
    "SIGNER_PROVIDERS",
    "TOP_LEVEL_COMMANDS",
    "AttestorName",
    "Command",
    "CommandAnalysis",
    "ConfigFile",
    "Flag",
    "Grammar",
    "Issue",
    "flag_counts",
    "grammar",
    "lookup_flag",
    "parse_command",
    "parse_config_yaml",
    "spec_to_dict",
]
