"""The canonical workflows of REFERENCE.md §7 parse as valid commands with the right meaning."""

from __future__ import annotations

from pathlib import Path

import pytest

from witness_evals.witness.cli import parse_command, parse_config_yaml

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "witness-test"
TEST_YAML = (FIXTURES / "test.yaml").read_text()

GETTING_STARTED = [
    "witness run --step build -o test-att.json -a slsa --attestor-slsa-export "
    "--signer-file-key-path testkey.pem -- go build -o=testapp .",
    "witness sign -f policy.json --signer-file-key-path testkey.pem --outfile policy-signed.json",
    "witness verify -f testapp -a test-att.json -p policy-signed.json -k testpub.pem",
]

ARTIFACT_POLICY = [
    "witness run -s build -a environment -k buildkey.pem -o build-attestation.json -- "
    "bash -c \"echo 'hello' > hello.txt\"",
    "witness sign -k policykey.pem -f policy.json -o policy.signed.json",
    "witness verify -k policypublic.pem -p policy.signed.json -a build-attestation.json -f hello.txt",
]

KEYLESS = [
    "witness run -s test -o test.json --signer-fulcio-url https://fulcio.sigstore.dev "
    "--signer-fulcio-oidc-client-id sigstore --signer-fulcio-oidc-issuer https://oauth2.sigstore.dev/auth "
    '--timestamp-servers https://freetsa.org/tsr -- echo "hello" > test.txt',
    "witness verify -p policy-signed.json -a test.json -k testpub.pem -f test.txt",
]

KMS = [
    "witness run -s build -o att.json "
    "--signer-kms-ref=gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k -- make",
    "witness sign -f policy.json -o policy-signed.json "
    "--signer-kms-ref=gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k",
    "witness verify -p policy-signed.json -a att.json -f app "
    "--verifier-kms-ref=gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k",
]

TEST_SH_SBOM = [
    "witness sign -k testkey.pem -f spdx-sbom-policy.json -o spdx-sbom-policy-signed.json",
    "witness verify -p spdx-sbom-policy-signed.json -a spdx-att.json -k testpub.pem "
    "-s 54c5b3dd459d5ef778bb2fa1e23a5fb0e1b62ae66970bcb436e8f81a1a1a8e41",
]


@pytest.mark.parametrize("text", GETTING_STARTED + ARTIFACT_POLICY + KEYLESS + KMS + TEST_SH_SBOM)
def test_tutorial_commands_are_valid(text: str) -> None:
    a = parse_command(text)
    assert a.valid, [i.to_dict() for i in a.issues]
    assert not a.warnings, [i.to_dict() for i in a.warnings]


def test_getting_started_meaning() -> None:
    run, sign, verify = (parse_command(t) for t in GETTING_STARTED)
    assert run.step == "build"
    assert run.command == ["go", "build", "-o=testapp", "."]
    assert run.attestors == ["product", "material", "command-run"]
    assert run.exported[0]["file"] == "test-att.json-slsa.json"
    assert run.signer_provider == "file" and run.signer_key == "testkey.pem"
    assert sign.infile == "policy.json" and sign.outfile == "policy-signed.json"
    assert sign.datatype == "https://witness.testifysec.com/policy/v0.1"
    assert verify.policy == "policy-signed.json" and verify.publickey == "testpub.pem"
    assert verify.attestation_files == ["test-att.json"] and verify.artifactfile == "testapp"


def test_artifact_policy_command_is_one_bash_argument() -> None:
    run = parse_command(ARTIFACT_POLICY[0])
    assert run.command == ["bash", "-c", "echo 'hello' > hello.txt"]
    assert run.attestors == ["product", "material", "command-run", "environment"]
    assert run.shell_redirects == []


def test_keyless_redirect_applies_to_witness() -> None:
    run = parse_command(KEYLESS[0])
    assert run.signer_provider == "fulcio"
    assert run.command == ["echo", "hello"]
    assert run.shell_redirects == ["> test.txt"]
    assert run.flags["timestamp-servers"] == ["https://freetsa.org/tsr"]


TEST_SH_WITH_CONFIG = [
    "witness -c test.yaml sign -f policy.json",
    "witness -c test.yaml run -o build.attestation.json -- go build -o=testapp .",
    "witness -c test.yaml run -s package -k ./testkey2.pem -o package.attestation.json -- "
    "tar czf ./testapp.tar.tgz ./testapp",
    "witness -c test.yaml verify",
]


@pytest.mark.parametrize("text", TEST_SH_WITH_CONFIG)
def test_test_sh_with_real_config_is_valid(text: str) -> None:
    a = parse_command(text, config=TEST_YAML)
    assert a.valid, [i.to_dict() for i in a.issues]
    assert a.config_applied and a.config_file == "test.yaml"
    assert not [i for i in a.issues if i.severity != "note"]


@pytest.mark.parametrize("text", TEST_SH_WITH_CONFIG)
def test_test_sh_without_config_content_only_notes(text: str) -> None:
    a = parse_command(text)
    assert a.valid
    assert "config-not-seen" in {i.code for i in a.notes}


def test_config_values_and_command_line_precedence() -> None:
    build = parse_command(TEST_SH_WITH_CONFIG[1], config=TEST_YAML)
    assert build.step == "build" and build.signer_key == "testkey.pem"
    assert build.flag_sources["step"] == "config" and build.flag_sources["outfile"] == "command"
    assert build.flags["trace"] is True
    assert build.attestors == ["product", "material", "command-run", "environment", "git"]
    package = parse_command(TEST_SH_WITH_CONFIG[2], config=TEST_YAML)
    assert package.step == "package" and package.signer_key == "./testkey2.pem"
    verify = parse_command(TEST_SH_WITH_CONFIG[3], config=parse_config_yaml(TEST_YAML))
    assert verify.attestation_files == ["build.attestation.json", "package.attestation.json"]
    assert verify.policy == "policy-signed.json" and verify.artifactfile == "testapp"
    sign = parse_command(TEST_SH_WITH_CONFIG[0], config=TEST_YAML)
    assert sign.outfile == "policy-signed.json"


def test_real_test_yaml_has_no_config_issues() -> None:
    for name in ("test.yaml", "test-mac.yaml"):
        cfg = parse_config_yaml((FIXTURES / name).read_text())
        assert cfg.issues == []
        assert set(cfg.values) == {"run", "sign", "verify"}
