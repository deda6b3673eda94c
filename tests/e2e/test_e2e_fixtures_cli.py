"""The real witness test files (test.sh's SBOM check) and the CLI's flag handling and exit codes."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from e2e_world import E2E, cli_args, run_cli, write_case

from witness_evals.witness import crypto, simulate
from witness_evals.witness.cli.values import split_strings
from witness_evals.witness.digests import dir_hash, directory_digest
from witness_evals.witness.versions import NAMES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "witness-test"
ALPINE = "54c5b3dd459d5ef778bb2fa1e23a5fb0e1b62ae66970bcb436e8f81a1a1a8e41"  # sha256("alpine")


@pytest.fixture
def spdx_case(tmp_path: Path) -> dict[str, Path]:
    """test.sh: `witness sign -k testkey.pem -f spdx-sbom-policy.json -o spdx-sbom-policy-signed.json`,
    with a key of ours for the policy signature (the functionary stays testpub.pem's keyid)."""
    key = crypto.Signer(crypto.generate_private_key("ed25519", seed=99))
    policy = (FIXTURES / "spdx-sbom-policy.json").read_bytes()
    (tmp_path / "spdx-sbom-policy-signed.json").write_text(simulate.sign_policy(policy, key).dumps() + "\n")
    (tmp_path / "policypub.pem").write_bytes(key.verifier().public_pem())
    return {
        "policy": tmp_path / "spdx-sbom-policy-signed.json",
        "pub": tmp_path / "policypub.pem",
        "att": FIXTURES / "spdx-att.json",
    }


def test_real_spdx_attestation_passes_the_real_policy(
    spdx_case: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = json.loads((FIXTURES / "spdx-sbom-policy.json").read_text())
    step = policy["steps"]["sbom"]
    # the real policy carries no Rego at all; its functionary is testpub.pem's key id
    assert all(a["regopolicies"] == [] for a in step["attestations"])
    keyid = step["functionaries"][0]["publickeyid"]
    assert crypto.Verifier.from_pem((FIXTURES / "testpub.pem").read_bytes()).keyid == keyid
    assert base64.b64decode(policy["publickeys"][keyid]["key"]) == (FIXTURES / "testpub.pem").read_bytes()
    args = [
        "verify",
        "-p",
        str(spdx_case["policy"]),
        "-k",
        str(spdx_case["pub"]),
        "-a",
        str(spdx_case["att"]),
    ]
    code, out, err = run_cli([*args, "-s", ALPINE], monkeypatch, capsys)
    assert code == 0, out + err
    assert "Step: sbom" in out and str(spdx_case["att"]) in out
    # the real files verify under every release profile
    for version in NAMES:
        code, out, err = run_cli([*args, "-s", ALPINE, "--witness-version", version], monkeypatch, capsys)
        assert code == 0, (version, out + err)
        # a subject no statement carries: the step's collection is never found
        code, out, _ = run_cli([*args, "-s", "1" * 64, "--witness-version", version], monkeypatch, capsys)
        assert code == 1 and "no collections found for step sbom" in out


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        ("-f", "at least one of the flags in the group [artifactfile subjects] is required"),
        (
            "-k",
            "at least one of the flags in the group [publickey policy-ca policy-ca-roots policy-ca-intermediates verifier-kms-ref] is required",
        ),
        ("-a", "must either specify attestation file paths or enable archivista as an attestation source"),
    ],
)
def test_flag_group_errors(
    drop: str,
    message: str,
    e2e: E2E,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths = write_case(tmp_path, e2e)
    args = cli_args(paths)
    while drop in args:
        i = args.index(drop)
        del args[i : i + 2]
    code, out, err = run_cli(args, monkeypatch, capsys)
    assert code == 2 and out == ""
    assert err == f"error: {message}\n"


def test_bad_input_files_exit_2_with_file_and_place(
    e2e: E2E, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = write_case(tmp_path, e2e)
    broken = tmp_path / "broken.json"
    broken.write_text('{"payload": "abc",\n "signatures": [}\n')
    code, _, err = run_cli(cli_args({**paths, "policy": broken}), monkeypatch, capsys)
    assert code == 2 and err.startswith(f"error: {broken}:2:")
    code, _, err = run_cli(cli_args({**paths, "build": tmp_path / "missing.json"}), monkeypatch, capsys)
    assert code == 2 and "missing.json: no such file" in err
    code, _, err = run_cli([*cli_args(paths), "-a", str(paths["build"])], monkeypatch, capsys)
    assert code == 2 and "references may only appear once in a memory source" in err
    bad_sig = tmp_path / "bad-sig.json"
    env = json.loads(paths["build"].read_text())
    env["signatures"][0]["sig"] = "not base64!"
    bad_sig.write_text(json.dumps(env))
    code, _, err = run_cli(cli_args({**paths, "build": bad_sig}), monkeypatch, capsys)
    assert code == 2 and f"{bad_sig}:signatures[0].sig: illegal base64 data" in err
    code, _, err = run_cli([*cli_args(paths), "--witness-version", "0.9"], monkeypatch, capsys)
    assert (
        code == 2
        and err
        == "error: --witness-version: unknown witness version '0.9' (choose one of 0.10, 0.11, 0.12)\n"
    )
    code, _, err = run_cli([*cli_args(paths), "--mode", "head"], monkeypatch, capsys)
    assert code == 2 and "no such option: --mode" in err


def test_directory_subject_is_dirhash(tmp_path: Path) -> None:
    files = {"a.txt": b"hello\n", "sub/b.bin": b"\x00\x01", "sub/deeper/c": b"c"}
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    assert directory_digest(str(tmp_path)) == dir_hash(files)


def test_split_strings_is_pflag_csv() -> None:
    assert split_strings(["a,b", "c", '"d,e",f']) == ["a", "b", "c", "d,e", "f"]
    assert split_strings(None) == []
