"""CLI command groups; each module has `register(app, check_app)`."""

from witness_evals.commands import (
    ask,
    attestors,
    bench,
    check,
    data_tools,
    demo,
    export,
    generate,
    keys,
    serve,
    sign,
    train,
    verify,
)

COMMAND_MODULES = (
    attestors,
    keys,
    sign,
    verify,
    check,
    generate,
    data_tools,
    train,
    export,
    bench,
    ask,
    serve,
    demo,
)
