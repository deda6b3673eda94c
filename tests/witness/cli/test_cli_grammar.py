"""The witness CLI grammar as data matches REFERENCE.md §2 (counts, shorts, types, attestors)."""

from __future__ import annotations

import pytest

from witness_evals.witness import cli as cli_spec
from witness_evals.witness.cli import ATTESTOR_NAMES, COMMANDS, GLOBAL_FLAGS, flag_counts, lookup_flag


def test_flag_counts_match_reference_2_8() -> None:
    counts = flag_counts()
    expected = {
        "run": (73, 72),
        "sign": (43, 42),
        "verify": (43, 42),
        "policy check": (4, 3),
        "attestors": (1, 0),
        "attestors list": (1, 0),
        "attestors schema": (1, 0),
        "policy": (1, 0),
        "completion": (1, 0),
        "version": (1, 0),
    }
    for name, (with_help, without) in expected.items():
        assert (counts[name]["flags"], counts[name]["without_help"]) == (with_help, without), name
    assert counts["global"]["flags"] == 4
    assert counts["run"]["hidden"] == 2 and counts["verify"]["hidden"] == 2 and counts["sign"]["hidden"] == 0


def test_every_command_of_the_tree_and_no_invented_ones() -> None:
    assert set(COMMANDS) == {
        "",
        "run",
        "sign",
        "verify",
        "attestors",
        "attestors list",
        "attestors schema",
        "policy",
        "policy check",
        "completion",
        "version",
    }
    for name in ("attest", "keygen", "policy sign", "policy create", "inspect"):
        assert name not in COMMANDS


@pytest.mark.parametrize(
    ("command", "short", "long"),
    [
        ("run", "k", "signer-file-key-path"),
        ("sign", "k", "signer-file-key-path"),
        ("verify", "k", "publickey"),
        ("run", "s", "step"),
        ("verify", "s", "subjects"),
        ("run", "a", "attestations"),
        ("verify", "a", "attestations"),
        ("run", "o", "outfile"),
        ("sign", "o", "outfile"),
        ("sign", "f", "infile"),
        ("verify", "f", "artifactfile"),
        ("run", "t", "timestamp-servers"),
        ("sign", "t", "datatype"),
        ("verify", "p", "policy"),
        ("run", "d", "workingdir"),
        ("run", "r", "trace"),
        ("policy check", "v", "verbose"),
        ("policy check", "q", "quiet"),
    ],
)
def test_short_flags_per_subcommand_2_7(command: str, short: str, long: str) -> None:
    flag = lookup_flag(command, short)
    assert flag is not None and flag.name == long


@pytest.mark.parametrize(
    ("command", "short"),
    [
        ("sign", "s"),
        ("sign", "a"),
        ("verify", "o"),
        ("run", "f"),
        ("verify", "t"),
        ("run", "p"),
        ("sign", "d"),
    ],
)
def test_short_flags_absent_where_reference_says(command: str, short: str) -> None:
    assert lookup_flag(command, short) is None


def test_sign_timestamp_servers_has_no_shorthand() -> None:
    flag = lookup_flag("sign", "timestamp-servers")
    assert flag is not None and flag.short == ""


def test_types_and_defaults() -> None:
    def f(cmd: str, name: str) -> cli_spec.Flag:
        flag = lookup_flag(cmd, name)
        assert flag is not None, name
        return flag

    assert f("run", "attestations").type == "strings"
    assert f("run", "attestations").default == "[environment,git]"
    assert f("run", "hashes").default == "[sha256]"
    assert f("run", "archivista-headers").type == "stringArray"
    assert f("run", "signer-vault-ttl").type == "duration"
    assert f("run", "attestor-secretscan-max-decode-layers").type == "int"
    assert f("run", "attestor-secretscan-max-decode-layers").default == "3"
    assert f("run", "attestor-k8smanifest-record-cluster-information").default == "true"
    assert f("run", "trace").type == "bool"
    assert f("sign", "datatype").default == "https://witness.testifysec.com/policy/v0.1"
    assert f("verify", "policy-emails").default == "[*]"
    assert f("verify", "verifier-kms-hashType").description == "The hash type used for verifying"
    assert f("run", "signer-kms-hashType").description == "The hash type to use for signing"
    assert {flag.name for flag in GLOBAL_FLAGS} == {
        "config",
        "log-level",
        "debug-cpu-profile-file",
        "debug-mem-profile-file",
    }
    assert lookup_flag("version", "c") is not None  # persistent flags reach every command
    for cmd in COMMANDS.values():
        for flag in cmd.flags:
            assert flag.type in ("string", "strings", "stringArray", "bool", "int", "duration")


def test_deprecated_and_hidden_flags_2_6() -> None:
    for cmd in ("run", "verify"):
        hidden = {f.name for f in COMMANDS[cmd].flags if f.hidden}
        assert hidden == {"enable-archivist", "archivist-server"}
    ca = lookup_flag("verify", "policy-ca")
    assert ca is not None and ca.deprecated and not ca.hidden
    for missing in ("key", "certificate", "signer-file-key-passphrase", "insecure", "policy-ca-root"):
        for cmd in ("run", "sign", "verify"):
            assert lookup_flag(cmd, missing) is None


def test_attestor_names_from_reference_1_3() -> None:
    names = [a.name for a in cli_spec.grammar("0.11").attestor_names]
    assert len(names) == 26 == len(set(names))
    # witness v0.12 (go-witness v0.12.0) adds the experimental network-trace attestor
    assert [a.name for a in ATTESTOR_NAMES] == [
        *names[: names.index("oci")],
        "network-trace",
        *names[names.index("oci") :],
    ]
    by_name = {a.name: a for a in ATTESTOR_NAMES}
    assert by_name["k8smanifest"].type.endswith("/k8smanifest/v0.2")
    assert by_name["slsa"].type == "https://slsa.dev/provenance/v1.0"
    assert by_name["vex"].type == "https://openvex.dev/ns"
    assert by_name["link"].type == "https://in-toto.io/attestation/link/v0.3"
    assert by_name["policyverify"].type == "https://slsa.dev/verification_summary/v1"
    assert "network-trace" not in {a.name for a in cli_spec.grammar("0.11").attestor_names}
    assert cli_spec.ATTESTOR_BY_TYPE["https://spdx.dev/Document"].name == "sbom"
    assert cli_spec.ATTESTOR_BY_TYPE["https://cyclonedx.org/bom"].name == "sbom"


def test_attestor_names_equal_the_attestor_registry() -> None:
    try:
        from witness_evals.witness.attestors import ATTESTORS
    except ImportError as exc:
        pytest.skip(f"attestor registry witness_evals.witness.attestors.ATTESTORS not importable yet: {exc}")
    mine = {a.name: a for a in cli_spec.grammar("0.11").attestor_names}
    assert set(ATTESTORS) == set(mine)  # network-trace (witness v0.12) is in the grammar, not modelled
    for name, spec in ATTESTORS.items():
        assert spec.name == name
        assert spec.type == mine[name].type, name
        assert spec.run_type == mine[name].run_type, name
        assert spec.selection == mine[name].selection, name
        assert tuple(spec.aliases) == mine[name].aliases, name


def test_spec_to_dict_is_json_ready() -> None:
    import json

    doc = cli_spec.spec_to_dict()
    text = json.dumps(doc)
    assert json.loads(text) == doc
    assert len(doc["commands"]["run"]["flags"]) == 75  # 73 visible + 2 hidden
