"""`witness-evals attestors ...` commands and their exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from witness_evals.cli import app

runner = CliRunner()


def test_list_table_and_json() -> None:
    out = runner.invoke(app, ["attestors", "list"])
    assert out.exit_code == 0
    assert "| Name" in out.output and "RunType" in out.output
    assert "product (always run)" in out.output and "command-run (always run)" in out.output
    assert "git (default)" in out.output and "environment (default)" in out.output
    rows = json.loads(runner.invoke(app, ["attestors", "list", "--json"]).output)
    assert (
        len(rows) == 26
        and rows[21]["name"] == "sbom"
        and rows[21]["aliases"] == ["https://spdx.dev/Document", "https://cyclonedx.org/bom"]
    )


def test_schema_and_example() -> None:
    out = runner.invoke(app, ["attestors", "schema", "https://spdx.dev/Document"])
    assert out.exit_code == 0 and json.loads(out.output)["$ref"] == "#/$defs/SBOMAttestor"
    a = runner.invoke(app, ["attestors", "example", "git", "--seed", "3"])
    b = runner.invoke(app, ["attestors", "example", "git", "--seed", "3"])
    assert a.exit_code == 0 and a.output == b.output
    assert len(json.loads(a.output)["commithash"]) == 40
    typed = json.loads(
        runner.invoke(app, ["attestors", "example", "sbom", "--seed", "1", "--with-type"]).output
    )
    assert typed["type"] in ("https://spdx.dev/Document", "https://cyclonedx.org/bom")


def test_unknown_attestor_exits_2_with_one_line() -> None:
    for args in (["schema", "aws-iid"], ["example", "commandrun"]):
        proc = subprocess.run(
            [sys.executable, "-m", "witness_evals", "attestors", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2
        assert proc.stderr.strip().splitlines() == [f"error: attestor not found: {args[1]}"]
        assert "Traceback" not in proc.stderr
