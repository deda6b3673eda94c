"""`witness-evals check command`: output and exit codes (0 valid, 1 invalid, 2 unusable input)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from witness_evals.cli import app

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "witness-test"
runner = CliRunner()


def test_valid_command_exit_0_and_meaning() -> None:
    cmd = "witness run -s build -k key.pem -o out.json -a slsa --attestor-slsa-export -- go build ./..."
    result = runner.invoke(app, ["check", "command", cmd])
    assert result.exit_code == 0, result.output
    assert "witness run: valid" in result.output
    assert "out.json-slsa.json" in result.output
    assert "environment and git NOT recorded" in result.output


def test_invalid_command_exit_1() -> None:
    result = runner.invoke(app, ["check", "command", "witness run -s build --key key.pem -- make"])
    assert result.exit_code == 1
    assert "INVALID" in result.output and "[nonexistent-flag] at `--key`" in result.output


def test_warnings_only_exit_0() -> None:
    result = runner.invoke(app, ["check", "command", "witness run -s b -k k.pem -a command-run -- make"])
    assert result.exit_code == 0 and "warning [attestor-builtin]" in result.output


def test_json_output() -> None:
    result = runner.invoke(app, ["check", "command", "--json", "witness verify -k pub.pem -p p.json"])
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["subcommand"] == "verify" and doc["valid"] is False
    assert {"required-group", "missing-attestations"} <= {i["code"] for i in doc["issues"]}


def test_stdin_and_config_file() -> None:
    result = runner.invoke(
        app,
        ["check", "command", "-", "--config", str(FIXTURES / "test.yaml")],
        input="witness -c test.yaml verify\n",
    )
    assert result.exit_code == 0, result.output
    assert "build.attestation.json, package.attestation.json" in result.output


def _main(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    code = "from witness_evals.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, "check", "command", *args], input=stdin, capture_output=True, timeout=60
    )


def test_unusable_input_exit_2() -> None:
    bad_stdin = _main("-", stdin=b"witness \xff\xfe version")
    assert bad_stdin.returncode == 2
    assert bad_stdin.stderr.decode().startswith("error: <stdin>:byte 8: not UTF-8 text")
    assert b"Traceback" not in bad_stdin.stderr
    missing = _main("witness version", "--config", "/nonexistent/witness.yaml")
    assert missing.returncode == 2 and b"Traceback" not in missing.stderr
