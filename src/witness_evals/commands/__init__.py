"""CLI command groups; each module has `register(app, check_app)`."""

from witness_evals.commands import attestors, bench, check, demo, generate, keys, sign, train, verify

COMMAND_MODULES = (attestors, keys, sign, verify, check, generate, train, bench, demo)
