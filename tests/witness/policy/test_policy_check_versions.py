"""check_policy findings that depend on the witness release say which release (`versions.py`)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from policy_helpers import good_policy

from witness_evals.witness import versions
from witness_evals.witness.policy_check import check_policy
from witness_evals.witness.versions import NAMES, NETWORK_TRACE_TYPE

NOW = datetime(2030, 6, 1, tzinfo=UTC)


def _messages(obj: dict, version: str) -> list[str]:
    report = check_policy(json.dumps(obj).encode(), now=NOW, version=version)
    assert report.witness_version == version and report.to_json()["witness_version"] == version
    return [e.message for e in report.errors]


@pytest.mark.parametrize("version", NAMES)
def test_zero_steps_and_empty_attestations_name_the_release(version: str) -> None:
    v = versions.get(version)
    obj = good_policy()
    obj["steps"]["build"]["attestations"] = []
    [msg] = [m for m in _messages(obj, version) if "declares no required attestations" in m]
    assert msg.startswith(versions.EMPTY_ATTESTATIONS_ERROR.format(step="build"))
    if v.empty_attestations_fails:
        assert "witness v0.12 fails verification with exactly this text" in msg
    else:
        assert f"{v.label} accepts it and checks nothing; it fails since witness v0.12" in msg
    obj = good_policy()
    obj["steps"] = {}
    [msg] = [m for m in _messages(obj, version) if "policy has no steps" in m]
    assert ("fails it" in msg) is v.zero_step_fails and v.label in msg


@pytest.mark.parametrize("version", NAMES)
def test_network_trace_type_is_known_from_v012(version: str) -> None:
    obj = good_policy()
    obj["steps"]["build"]["attestations"].append({"type": NETWORK_TRACE_TYPE, "regopolicies": []})
    found = [m for m in _messages(obj, version) if "network-trace" in m or NETWORK_TRACE_TYPE in m]
    if versions.get(version).network_trace:
        assert not found
    else:
        assert found and "exists since witness v0.12" in found[0]


def test_check_policy_cli_takes_the_release(tmp_path: Path) -> None:
    obj = good_policy()
    obj["steps"] = {}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(obj))
    for version in NAMES:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "witness_evals",
                "check",
                "policy",
                str(path),
                "--json",
                "--witness-version",
                version,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert out.returncode == 1, out.stderr
        doc = json.loads(out.stdout)
        assert doc["witness_version"] == version
        assert any(f"witness v{version}" in e["message"] for e in doc["errors"])
