"""`witness-evals check policy` / `check rego`: output lines and exit codes (run as a real process)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
from policy_helpers import POLICY_JSON, PORTABLE_REGO, good_policy


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "witness_evals", "check", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_valid_policy_exit_0() -> None:
    out = cli("policy", POLICY_JSON)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines[-1].endswith("policy is valid (25/25 checks passed, 3 warning(s))")
    assert (
        "steps.build.attestations[1].regopolicies[0].module: warning: Rego module 'expected command' uses v0-only"
        in out.stdout
    )


def test_policy_check_mode_exit_1() -> None:
    out = cli("policy", POLICY_JSON, "--mode", "policy-check")
    assert out.returncode == 1
    assert "policy validation failed with 2 error(s)" in out.stdout.splitlines()[-1]


def test_invalid_policy_exit_1_lines(tmp_path: Path) -> None:
    obj = good_policy()
    obj["expires"] = "2020-01-01T00:00:00Z"
    obj["steps"]["build"]["name"] = "bld"
    path = write(tmp_path, "p.json", json.dumps(obj))
    out = cli("policy", path)
    assert out.returncode == 1
    assert (
        f"{path}:expires: error: Policy expired on 2020-01-01T00:00:00Z (Update the 'expires' field to a future date)"
        in out.stdout
    )
    assert any(
        line.startswith(f"{path}:steps.build.name: error: step 'build' has name 'bld'")
        for line in out.stdout.splitlines()
    )


def test_json_output(tmp_path: Path) -> None:
    path = write(tmp_path, "p.json", json.dumps(good_policy()))
    out = cli("policy", path, "--json")
    assert out.returncode == 0
    report = json.loads(out.stdout)
    assert report["valid"] is True and report["policy_file"] == str(path)
    assert report["policy_expiration"] == "2035-12-18T04:57:40Z"


@pytest.mark.parametrize(
    ("name", "data", "text"),
    [
        ("bin.json", b"\x00\x01\x02\x03", "not JSON (binary data)"),
        ("deep.json", b"[" * 600 + b"]" * 600, "nested deeper"),
        ("trunc.json", b'{"expires":', "invalid JSON"),
        ("p.yaml", b"expires: 2030-01-01\nsteps: {}\n", "looks like YAML"),
        ("missing.json", None, "no such file"),
    ],
)
def test_unreadable_exit_2(tmp_path: Path, name: str, data: bytes | None, text: str) -> None:
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)
    out = cli("policy", path)
    assert out.returncode == 2
    assert out.stderr.startswith(f"error: {path}") and text in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.splitlines()) == 1


def test_bad_mode_exit_2() -> None:
    out = cli("policy", POLICY_JSON, "--mode", "head")
    assert out.returncode == 2 and "unknown --mode" in out.stderr


def test_wrong_types_exit_1(tmp_path: Path) -> None:
    path = write(tmp_path, "p.json", json.dumps({"expires": "2030-01-01T00:00:00Z", "steps": []}))
    out = cli("policy", path)
    assert out.returncode == 1
    assert (
        "steps: error: failed to parse policy JSON: json: cannot unmarshal array into Go struct field Policy.steps"
        in out.stdout
    )


def test_envelope_with_bad_payload_json_exit_2(tmp_path: Path) -> None:
    env = {"payload": base64.b64encode(b"{not json").decode(), "payloadType": "x", "signatures": []}
    out = cli("policy", write(tmp_path, "env.json", json.dumps(env)))
    assert out.returncode == 2 and ":payload" in out.stderr


# ------------------------------------------------------------------ check rego


V0 = 'package x\n\ndeny[msg] {\n\tinput.a == 1\n\tmsg := "a is 1"\n}\n'


def test_rego_compiles_exit_0(tmp_path: Path) -> None:
    out = cli("rego", write(tmp_path, "m.rego", PORTABLE_REGO))
    assert out.returncode == 0
    assert "compiles (verify parser); packages: data.commandrun.exitcode" in out.stdout
    assert "warning" not in out.stdout


def test_rego_v0_warns_about_policy_check(tmp_path: Path) -> None:
    path = write(tmp_path, "m.rego", V0)
    out = cli("rego", path)
    assert out.returncode == 0 and "witness policy check (OPA v1) rejects this module" in out.stdout
    out = cli("rego", path, "--mode", "policy-check")
    assert out.returncode == 1 and "`if` keyword is required" in out.stdout


def test_rego_with_input_prints_deny(tmp_path: Path) -> None:
    module = write(tmp_path, "m.rego", PORTABLE_REGO)
    bad = write(tmp_path, "bad.json", '{"exitcode": 1}')
    good = write(tmp_path, "good.json", '{"exitcode": 0}')
    out = cli("rego", module, "--input", bad)
    assert out.returncode == 0 and out.stdout.splitlines()[-1] == '["exitcode not 0"]'
    out = cli("rego", module, "--input", good)
    assert out.returncode == 0 and out.stdout.splitlines()[-1] == "[]"


def test_rego_invalid_deny_exit_1(tmp_path: Path) -> None:
    module = write(tmp_path, "m.rego", 'package x\n\nimport rego.v1\n\ndeny := "no"\n')
    out = cli("rego", module, "--input", write(tmp_path, "i.json", "{}"))
    assert out.returncode == 1 and "expected []interface{} but got string" in out.stdout


def test_rego_syntax_error_exit_1(tmp_path: Path) -> None:
    out = cli("rego", write(tmp_path, "m.rego", "package x\n\ndeny[msg] {\n"))
    assert out.returncode == 1 and out.stdout.startswith(f"{tmp_path / 'm.rego'}: error:")


def test_rego_unreadable_exit_2(tmp_path: Path) -> None:
    module = write(tmp_path, "m.rego", PORTABLE_REGO)
    assert cli("rego", tmp_path / "nope.rego").returncode == 2
    assert cli("rego", write(tmp_path, "b.rego", b"\x00\xff")).returncode == 2
    out = cli("rego", module, "--input", write(tmp_path, "i.json", "{"))
    assert out.returncode == 2 and "invalid JSON" in out.stderr
