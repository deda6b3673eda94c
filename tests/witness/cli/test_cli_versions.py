"""The CLI grammar per witness release (`versions.py`): flag sets, `-c` default, `policy check`, network-trace."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from witness_evals.witness import cli as cli_spec
from witness_evals.witness import versions
from witness_evals.witness.cli import flag_counts, grammar, lookup_flag, parse_command
from witness_evals.witness.versions import NAMES

RUN = "witness run -s build -k key.pem -o build.json"
CONFIG = "run:\n  signer-file-key-path: key.pem\n  step: build\n  outfile: build.json\n"


def test_flag_counts_per_release_match_docs_commands_md() -> None:
    # witness v0.10.2 and v0.11.0 docs/commands.md (each count includes -h/--help); v0.12 = v0.11 flags
    expected = {"0.10": (64, 34, 34), "0.11": (73, 43, 43), "0.12": (73, 43, 43)}
    for name, (run, sign, verify) in expected.items():
        counts = flag_counts(name)
        assert (counts["run"]["flags"], counts["sign"]["flags"], counts["verify"]["flags"]) == (
            run,
            sign,
            verify,
        )
        assert counts["policy check"]["flags"] == 4


@pytest.mark.parametrize("version", NAMES)
def test_passphrase_flag_only_in_v010(version: str) -> None:
    a = parse_command(f"{RUN} --signer-file-key-passphrase secret -- make", version=version)
    assert a.witness_version == version
    if versions.get(version).passphrase_flag:
        assert a.valid, a.report()
        assert a.flags["signer-file-key-passphrase"] == "secret"
        return
    assert not a.valid
    issue = next(i for i in a.errors if i.code == "nonexistent-flag")
    assert "exists only in witness v0.10.x" in issue.message
    assert "--signer-file-key-passphrase-path" in issue.message


@pytest.mark.parametrize("version", NAMES)
def test_older_kms_flag_set_in_v010(version: str) -> None:
    v = versions.get(version)
    for cmd, name in (
        ("run", "signer-kms-hashivault-addr"),
        ("sign", "signer-kms-gcp-service-account"),
        ("verify", "verifier-kms-hashivault-role"),
        ("verify", "verifier-kms-gcp-authorized-user"),
        ("run", "signer-fulcio-use-http"),
    ):
        assert (lookup_flag(cmd, name, version) is not None) is (
            v.kms_hashivault
            if "hashivault" in name
            else v.fulcio_use_http_flag
            if "fulcio" in name
            else v.kms_gcp_credential_types
        ), (cmd, name)
    for name in ("signer-kms-aws-profile", "signer-kms-gcp-credentials-file", "signer-kms-ref"):
        assert lookup_flag("run", name, version) is not None


@pytest.mark.parametrize("version", NAMES)
def test_config_default_and_dotwitness(version: str) -> None:
    v = versions.get(version)
    config = next(f for f in grammar(version).global_flags if f.name == "config")
    assert config.default == v.config_default
    # the supplied config without `-c`: read as `.witness.yaml` up to v0.10.x, never read since v0.11
    a = parse_command("witness run -- make", config=CONFIG, version=version)
    codes = {i.code for i in a.issues}
    if v.dotwitness_error:
        assert "config-not-loaded" in codes and not a.config_applied
        assert not a.valid  # -s, the signer and -o are missing
    else:
        assert "config-default-file" in codes and a.config_applied
        assert a.config_file == ".witness.yaml" and a.valid, a.report()
        assert a.step == "build"
    # with -c every release reads it
    assert parse_command("witness -c witness.yaml run -- make", config=CONFIG, version=version).valid


@pytest.mark.parametrize("version", NAMES)
def test_policy_check_exists_and_v010_says_since_when(version: str) -> None:
    a = parse_command("witness policy check policy.json", version=version)
    assert a.valid
    notes = [i.message for i in a.notes if i.code == "policy-check-release"]
    if version == "0.10":
        assert notes and "v0.10.2" in notes[0] and "v0.10.0 and v0.10.1" in notes[0]
    else:
        assert not notes


@pytest.mark.parametrize("version", NAMES)
def test_network_trace_attestor_only_in_v012(version: str) -> None:
    a = parse_command(f"{RUN} -a network-trace -- make", version=version)
    names = {x.name for x in grammar(version).attestor_names}
    if versions.get(version).network_trace:
        assert a.valid, a.report()
        assert "network-trace" in a.attestors and "network-trace" in names
        assert any(i.code == "attestor-environment" and "experimental" in i.message for i in a.issues)
        assert a.to_dict()["attestor_types"][-1] == versions.NETWORK_TRACE_TYPE
    else:
        assert not a.valid and "network-trace" not in names
        issue = next(i for i in a.errors if i.code == "attestor-not-in-build")
        assert "since witness v0.12" in issue.message and f"this is witness v{version}" in issue.message
    # options of the attestor exist in no release
    bad = parse_command(f"{RUN} --attestor-network-trace-proxy-port 8080 -- make", version=version)
    assert any(i.code == "nonexistent-flag" for i in bad.errors)


def test_default_tables_are_the_latest_release() -> None:
    assert cli_spec.COMMANDS is grammar("0.12").commands is grammar(None).commands
    assert parse_command("witness version").witness_version == "0.12"
    assert cli_spec.spec_to_dict("0.10")["witness_version"] == "0.10"


@pytest.mark.parametrize(("version", "code"), [("0.10", 0), ("0.11", 1), ("0.12", 1)])
def test_check_command_cli_takes_the_release(version: str, code: int) -> None:
    cmd = f"{RUN} --signer-file-key-passphrase secret -- make"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "witness_evals",
            "check",
            "command",
            cmd,
            "--json",
            "--witness-version",
            version,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == code, out.stderr
    assert json.loads(out.stdout)["witness_version"] == version
