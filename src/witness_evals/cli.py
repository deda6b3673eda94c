"""The `witness-evals` command line: parses arguments and calls the layers.

Each area registers its commands from `witness_evals.commands.<area>`; heavy imports (torch,
transformers) happen inside the command bodies so `witness-evals check ...` starts fast.
Bad input anywhere ends as one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import os
import sys

import typer

from witness_evals.commands import COMMAND_MODULES
from witness_evals.witness.errors import InputError

app = typer.Typer(
    name="witness-evals",
    help="Executable model of in-toto/witness, verified training data, witness-bench and fine-tuning.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
check_app = typer.Typer(
    help="Static checks of policies, Rego modules and witness commands.", no_args_is_help=True
)
app.add_typer(check_app, name="check")

for _module in COMMAND_MODULES:
    _module.register(app, check_app)


def fail(message: str, code: int = 2) -> None:
    """Print one line to stderr and exit."""
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def main() -> None:
    os.environ.setdefault("RUST_LIB_BACKTRACE", "0")
    try:
        app()
    except InputError as exc:
        fail(exc.one_line())
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except BrokenPipeError:
        sys.stderr.close()
        raise SystemExit(1) from None
    except MemoryError:
        fail("out of memory", 2)


if __name__ == "__main__":
    main()
