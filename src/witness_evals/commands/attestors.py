"""`witness-evals attestors`: list the attestors, print a schema, print an example predicate."""

from __future__ import annotations

import json
from typing import Annotated

import typer

attestors_app = typer.Typer(
    help="The 26 witness attestors: names, types, schemas, example predicates.", no_args_is_help=True
)


def _suffix(selection: str) -> str:
    if selection in ("always", "always-with-command"):
        return " (always run)"
    if selection == "default":
        return " (default)"
    return ""


@attestors_app.command("list")
def list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="JSON array instead of a table.")] = False,
) -> None:
    """Print Name | Type | RunType like `witness attestors list`."""
    from witness_evals.witness.attestors import ATTESTORS

    if as_json:
        rows = [
            {
                "name": s.name,
                "type": s.type,
                "aliases": list(s.aliases),
                "run_type": s.run_type,
                "selection": s.selection,
                "exporter": s.exporter,
            }
            for s in ATTESTORS.values()
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    table = [("Name", "Type", "RunType")] + [
        (s.name + _suffix(s.selection), s.type, s.run_type) for s in ATTESTORS.values()
    ]
    widths = [max(len(r[i]) for r in table) for i in range(3)]
    sep = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    lines = [sep]
    for i, row in enumerate(table):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if i == 0:
            lines.append(sep)
    lines.append(sep)
    typer.echo("\n".join(lines))


@attestors_app.command("schema")
def schema_cmd(
    name_or_type: Annotated[str, typer.Argument(help="Attestor name or predicate type URI.")],
) -> None:
    """Print an attestor's JSON schema (as `witness attestors schema`)."""
    from witness_evals.witness.attestors.schema import raw_schema

    typer.echo(json.dumps(raw_schema(name_or_type), indent=2))


@attestors_app.command("example")
def example_cmd(
    name_or_type: Annotated[str, typer.Argument(help="Attestor name or predicate type URI.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same output).")] = 0,
    with_type: Annotated[
        bool, typer.Option("--with-type", help="Wrap as a collection entry {type, attestation}.")
    ] = False,
) -> None:
    """Print a realistic wire-format predicate built from a random scenario."""
    import random

    from witness_evals.witness.attestors import Scenario, get

    spec = get(name_or_type)
    scenario = Scenario.random(random.Random(seed))
    predicate = spec.build(random.Random(seed), scenario)
    out = {"type": spec.predicate_type(predicate), "attestation": predicate} if with_type else predicate
    typer.echo(json.dumps(out, indent=2, ensure_ascii=False))


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    """Add `witness-evals attestors ...` to the CLI."""
    app.add_typer(attestors_app, name="attestors")
