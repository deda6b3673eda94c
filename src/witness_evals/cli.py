"""The `witness-evals` command line: parses arguments and calls the layers.

Each area registers its commands from `witness_evals.commands.<area>`; heavy imports (torch,
transformers) happen inside the command bodies so `witness-evals check ...` starts fast.
Bad input anywhere, usage errors included (unknown option, bad value, missing argument), ends as
one line `error: ...` on stderr and exit code 2, never a traceback or a framed box. Under torchrun
only rank 0 prints it; every rank exits 2 and records the line in torchrun's error file.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, NoReturn

import typer

from witness_evals.commands import COMMAND_MODULES
from witness_evals.common.errors import InputError
from witness_evals.common.version import package_version

try:  # typer >= 0.20 vendors click; older releases use click itself
    from typer._click import exceptions as _click_exc
except ImportError:  # pragma: no cover - depends on the installed typer
    from click import exceptions as _click_exc  # type: ignore[no-redef]

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


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"witness-evals {package_version()}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        is_eager=True,
        callback=_show_version,
        help="Print `witness-evals <version>` and exit.",
    ),
) -> None:
    """Executable model of in-toto/witness, verified training data, witness-bench and fine-tuning."""


def _torchrun_rank() -> int | None:
    """This process's rank when launched by torchrun (several processes), else None."""
    try:
        if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
            return None
        return int(os.environ.get("RANK", "0"))
    except ValueError:
        return None


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line `error: <message>` to stderr and exit with `code`.

    Under torchrun only rank 0 prints (every rank meets the same bad input); each rank writes the
    line into its `TORCHELASTIC_ERROR_FILE`, so torchrun's failure summary shows it for the rank
    where it happened instead of a pointer to its documentation."""
    line = "error: " + " ".join(message.split())
    rank = _torchrun_rank()
    if rank is None or rank == 0:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    if rank is not None:
        _record_for_torchrun(line)
    raise SystemExit(code)


def _record_for_torchrun(line: str) -> None:
    path = os.environ.get("TORCHELASTIC_ERROR_FILE")
    if not path:
        return
    try:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({"message": line, "timestamp": int(time.time())}, fh)
    except OSError:
        pass


def _lower_first(text: str) -> str:
    """`No such option` -> `no such option`, keeping acronyms (`JSON`) as they are."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _one_line(exc: Any) -> str:
    """A click error message on one line, lower-cased start, no final period."""
    message = _lower_first(" ".join(str(exc.format_message()).split()))
    return message[:-1] if message.endswith(".") and not message.endswith("..") else message


def _subcommand_path(args: list[str]) -> str:
    """`check rego` for `check rego x.rego --bad`: the subcommands named before the first option."""
    command: Any = typer.main.get_command(app)
    path: list[str] = []
    for arg in args:
        commands = getattr(command, "commands", None)
        if not commands or arg not in commands:
            break
        command = commands[arg]
        path.append(arg)
    return " ".join(path)


def _usage_line(exc: Any, args: list[str]) -> str:
    """One line for a click usage error: `<subcommand path>: <message>`."""
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        path = ctx.command_path.split(" ", 1)[1] if " " in ctx.command_path else ""
    else:  # errors of the option parser carry no context
        path = _subcommand_path(args)
    message = _one_line(exc)
    return f"{path}: {message}" if path else message


def run(args: list[str] | None = None) -> int:
    """Run the CLI on `args` (default: sys.argv[1:]) and return the exit code; errors as `fail`."""
    if args is None:
        args = sys.argv[1:]
    try:
        rc = app(args=args, prog_name="witness-evals", standalone_mode=False)
    except _click_exc.NoArgsIsHelpError as exc:  # `witness-evals`, `witness-evals check`: the help
        text = str(exc.format_message())  # empty with rich help, which is already printed
        if text.strip():
            typer.echo(text)
        return 2
    except _click_exc.UsageError as exc:
        fail(_usage_line(exc, args))
    except _click_exc.ClickException as exc:
        fail(_one_line(exc))
    except typer.Abort:
        fail("aborted")
    except InputError as exc:
        fail(exc.one_line())
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except MemoryError:
        fail("out of memory", 2)
    return rc if isinstance(rc, int) else 0


def main() -> None:
    os.environ.setdefault("RUST_LIB_BACKTRACE", "0")
    try:
        code = run()
    except BrokenPipeError:
        sys.stderr.close()
        raise SystemExit(1) from None
    raise SystemExit(code)


if __name__ == "__main__":
    main()
