"""REFERENCE.md §8 traps about commands: each as a failing example and its corrected form."""

from __future__ import annotations

import pytest

from witness_evals.witness.cli import CommandAnalysis, parse_command

RUN_OK = "witness run -s build -k key.pem -o build.json"


def codes(a: CommandAnalysis, severity: str | None = None) -> set[str]:
    return {i.code for i in a.issues if severity is None or i.severity == severity}


def messages(a: CommandAnalysis) -> str:
    return "\n".join(i.message for i in a.issues)


# (wrong command, expected issue code, expected severity, text the message must contain, corrected command)
TRAPS = [
    # trap 2: wrong CLI attestor names / versions
    (f"{RUN_OK} -a commandrun -- make", "unknown-attestor", "error", "`command-run`", f"{RUN_OK} -- make"),
    (
        f"{RUN_OK} -a k8s -- make",
        "unknown-attestor",
        "error",
        "`k8smanifest`",
        f"{RUN_OK} -a k8smanifest -- make",
    ),
    (f"{RUN_OK} -a gcp -- make", "unknown-attestor", "error", "`gcp-iit`", f"{RUN_OK} -a gcp-iit -- make"),
    (f"{RUN_OK} -a aws-iid -- make", "unknown-attestor", "error", "`aws`", f"{RUN_OK} -a aws -- make"),
    (
        f"{RUN_OK} -a https://slsa.dev/provenance/v1 -- make",
        "unknown-attestor",
        "error",
        "https://slsa.dev/provenance/v1.0",
        f"{RUN_OK} -a https://slsa.dev/provenance/v1.0 -- make",
    ),
    (
        f"{RUN_OK} -a https://witness.dev/attestations/k8smanifest/v0.1 -- make",
        "unknown-attestor",
        "error",
        "k8smanifest/v0.2",
        f"{RUN_OK} -a https://witness.dev/attestations/k8smanifest/v0.2 -- make",
    ),
    (
        f"{RUN_OK} -a command-run -- make",
        "attestor-builtin",
        "warning",
        "'command-run' is a builtin attestor and cannot be called with --attestations flag",
        f"{RUN_OK} -- make",
    ),
    # trap 16: short flags mean different things per subcommand
    (
        "witness run -s build -k key.pem -f out.json -- make",
        "short-flag-of-other-subcommand",
        "error",
        "`--artifactfile`",
        "witness run -s build -k key.pem -o out.json -- make",
    ),
    (
        "witness verify -p p.json -k pub.pem -a att.json -o out.json -f app",
        "short-flag-of-other-subcommand",
        "error",
        "`-o` is not a flag of `witness verify`",
        "witness verify -p p.json -k pub.pem -a att.json -f app",
    ),
    (
        "witness verify -p p.json -k testkey.pem -a att.json -f app",
        "short-flag-meaning",
        "warning",
        "PUBLIC key",
        "witness verify -p p.json -k testpub.pem -a att.json -f app",
    ),
    (
        "witness verify -p p.json -k pub.pem -a slsa -f app",
        "short-flag-meaning",
        "warning",
        "attestation FILES",
        "witness verify -p p.json -k pub.pem -a build.json -f app",
    ),
    (
        "witness verify -p p.json -k pub.pem -a att.json -s build",
        "short-flag-meaning",
        "warning",
        "subject digests",
        "witness verify -p p.json -k pub.pem -a att.json -s " + "ab" * 32,
    ),
    (
        "witness sign -k key.pem -f p.json -o s.json -t https://freetsa.org/tsr",
        "short-flag-meaning",
        "warning",
        "`--datatype`",
        "witness sign -k key.pem -f p.json -o s.json --timestamp-servers https://freetsa.org/tsr",
    ),
    (
        "witness verify -p p.json -k pub.pem -a att.json -f app --policy-timestamp-servers https://freetsa.org/tsr",
        "timestamp-path-expected",
        "warning",
        "paths to TSA CA certificate files",
        "witness verify -p p.json -k pub.pem -a att.json -f app --policy-timestamp-servers freetsa.pem",
    ),
    (
        f"{RUN_OK} -t freetsa.pem -- make",
        "timestamp-url-expected",
        "warning",
        "TSA URLs",
        f"{RUN_OK} -t https://freetsa.org/tsr -- make",
    ),
    # trap 17: flags that do not exist
    (
        "witness run -s build --key key.pem -- make",
        "nonexistent-flag",
        "error",
        "`-k/--signer-file-key-path`",
        "witness run -s build -k key.pem -- make",
    ),
    (
        f"{RUN_OK} --signer-file-key-passphrase secret -- make",
        "nonexistent-flag",
        "error",
        "--signer-file-key-passphrase-path",
        f"{RUN_OK} --signer-file-key-passphrase-path pass.txt -- make",
    ),
    (
        "witness run -s build --insecure -- make",
        "nonexistent-flag",
        "error",
        "no unsigned mode",
        f"{RUN_OK} -- make",
    ),
    (
        "witness run -s build -k key.pem --certificate cert.pem -- make",
        "nonexistent-flag",
        "error",
        "--signer-file-cert-path",
        "witness run -s build -k key.pem --signer-file-cert-path cert.pem -- make",
    ),
    (
        "witness verify -p p.json --policy-ca-root ca.pem -a att.json -f app",
        "nonexistent-flag",
        "error",
        "--policy-ca-roots",
        "witness verify -p p.json --policy-ca-roots ca.pem -a att.json -f app",
    ),
    (
        "witness verify -p p.json -k pub.pem -a att.json --artifacthash " + "ab" * 32,
        "nonexistent-flag",
        "error",
        "--subjects",
        "witness verify -p p.json -k pub.pem -a att.json -s " + "ab" * 32,
    ),
    (
        f"{RUN_OK} --attestor-command-run-trace-backend ebpf -- make",
        "nonexistent-flag",
        "error",
        "in no witness release",
        f"{RUN_OK} --trace -- make",
    ),
    (
        f"{RUN_OK} --rekor-server https://rekor.sigstore.dev -- make",
        "nonexistent-flag",
        "error",
        "Rekor",
        f"{RUN_OK} -- make",
    ),
    (
        "witness run -s build --spiffe-socket /tmp/agent.sock -- make",
        "nonexistent-flag",
        "error",
        "--signer-spiffe-socket-path",
        "witness run -s build --signer-spiffe-socket-path /tmp/agent.sock -- make",
    ),
    # trap 18: required flag combinations
    (
        "witness sign -f p.json -k key.pem",
        "required-together",
        "error",
        "missing [outfile]",
        "witness sign -f p.json -k key.pem -o p-signed.json",
    ),
    (
        "witness verify -p p.json -k pub.pem -a att.json --directory-path node_modules/example",
        "required-group",
        "error",
        "[artifactfile subjects]",
        "witness verify -p p.json -k pub.pem -a att.json -f app --directory-path node_modules/example",
    ),
    (
        "witness verify -p p.json -a att.json -f app",
        "required-group",
        "error",
        "[publickey policy-ca policy-ca-roots policy-ca-intermediates verifier-kms-ref]",
        "witness verify -p p.json -a att.json -f app --verifier-kms-ref awskms:///arn:aws:kms:us-east-1:1:key/k",
    ),
    (
        "witness verify -p p.json -k pub.pem -f app",
        "missing-attestations",
        "error",
        "enable archivista",
        "witness verify -p p.json -k pub.pem -f app --enable-archivista",
    ),
    (
        "witness run -k key.pem -o out.json -- make",
        "missing-step",
        "error",
        "step name is required",
        "witness run -s build -k key.pem -o out.json -- make",
    ),
    (
        "witness run -s build -o out.json -- make",
        "missing-signer",
        "error",
        "failed to load any signers",
        "witness run -s build -o out.json --signer-kms-ref gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k -- make",
    ),
    (
        "witness run -s build -k key.pem --signer-fulcio-url https://fulcio.sigstore.dev -- make",
        "multiple-signers",
        "error",
        "only one signer is supported",
        "witness run -s build --signer-fulcio-url https://fulcio.sigstore.dev "
        "--signer-fulcio-oidc-client-id sigstore --signer-fulcio-oidc-issuer https://oauth2.sigstore.dev/auth -- make",
    ),
    (
        "witness verify -k pub.pem -a att.json -f app",
        "missing-policy",
        "error",
        "`-p/--policy`",
        "witness verify -k pub.pem -a att.json -f app -p policy-signed.json",
    ),
]


@pytest.mark.parametrize(("bad", "code", "severity", "text", "good"), TRAPS)
def test_trap_failing_and_corrected(bad: str, code: str, severity: str, text: str, good: str) -> None:
    wrong = parse_command(bad)
    found = [i for i in wrong.issues if i.code == code]
    assert found, (bad, [i.to_dict() for i in wrong.issues])
    assert any(i.severity == severity and text in i.message for i in found), messages(wrong)
    assert wrong.valid == (severity != "error")
    right = parse_command(good)
    assert right.valid, (good, [i.to_dict() for i in right.issues])
    assert code not in codes(right), (good, messages(right))


def test_trap_16_short_flag_meaning_is_explained_per_subcommand() -> None:
    a = parse_command("witness sign -s build -f p.json -o s.json -k key.pem")
    issue = next(i for i in a.issues if i.code == "short-flag-of-other-subcommand")
    assert "`witness run` it is `--step`" in issue.message
    assert "`witness verify` it is `--subjects`" in issue.message
    assert a.tokens[issue.token_index] == "-s"


def test_trap_17_flag_of_another_subcommand() -> None:
    a = parse_command("witness verify -p p.json --signer-file-key-path key.pem -a att.json -f app")
    issue = next(i for i in a.issues if i.code == "flag-of-other-subcommand")
    assert "`witness run`" in issue.message and "-k/--publickey" in issue.message


def test_trap_20_attestations_replace_the_default() -> None:
    a = parse_command(f"{RUN_OK} -a slsa -- go build -o=testapp .")
    assert a.valid
    assert "environment" not in a.attestors and "git" not in a.attestors
    assert a.attestors == ["product", "material", "command-run", "slsa"]
    assert any("NOT recorded" in m for m in a.meaning)
    default = parse_command(f"{RUN_OK} -- make")
    assert default.attestors == ["product", "material", "command-run", "environment", "git"]
    no_cmd = parse_command(RUN_OK)
    assert "command-run" not in no_cmd.attestors
    both = parse_command(f"{RUN_OK} -a environment -a git,slsa -- make")
    assert both.attestors == ["product", "material", "command-run", "environment", "git", "slsa"]


def test_trap_22_exporters_leave_the_collection() -> None:
    a = parse_command(
        "witness run --step build -k k.pem -o test-att.json -a slsa --attestor-slsa-export -- go build ."
    )
    assert a.valid
    assert "slsa" not in a.attestors
    assert a.exported == [
        {"name": "slsa", "type": "https://slsa.dev/provenance/v1.0", "file": "test-att.json-slsa.json"}
    ]
    unused = parse_command(f"{RUN_OK} --attestor-slsa-export -- make")
    assert "attestor-option-unused" in codes(unused, "warning")
    assert unused.exported == []


def test_trap_2_attestor_selected_by_type_uri() -> None:
    a = parse_command(f"{RUN_OK} -a https://spdx.dev/Document,https://slsa.dev/provenance/v1.0 -- make")
    assert a.valid
    assert a.attestors[-2:] == ["sbom", "slsa"]


def test_trap_9_hashes() -> None:
    bad = parse_command(f"{RUN_OK} --hashes sha512 -- make")
    assert "failed to parse hash: unsupported hash function: sha512" in messages(bad)
    assert not bad.valid
    sha1 = parse_command(f"{RUN_OK} --hashes sha1 -- make")
    assert sha1.valid and "no-sha256" in codes(sha1, "warning")
    gitoid = parse_command(f"{RUN_OK} --hashes sha256,gitoid:sha256 -- make")
    assert gitoid.valid and "hash-downgraded" in codes(gitoid, "warning")
    assert gitoid.hashes == ["sha256", "gitoid:sha256"]


def test_trap_14_yaml_policy() -> None:
    a = parse_command("witness sign -f policy.yaml -o p.json -k key.pem")
    assert "yaml-policy" in codes(a, "warning")


def test_attestors_that_fail_from_the_cli() -> None:
    jwt = parse_command(f"{RUN_OK} -a jwt -- make")
    assert not jwt.valid and "attestor-environment" in codes(jwt, "error")
    gh = parse_command(f"{RUN_OK} -a github -- make")
    assert gh.valid and "attestor-environment" in codes(gh, "warning")
    pv = parse_command(f"{RUN_OK} -a policyverify -- make")
    assert not pv.valid and "attestors of type verify cannot be run" in messages(pv)


def test_attestor_list_with_space_after_comma() -> None:
    a = parse_command(f'{RUN_OK} -a "environment, git" -- make')
    assert not a.valid
    assert "without the space" in messages(a)
    assert parse_command(f"{RUN_OK} -a environment,git -- make").valid


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("witness attest -s build", "witness run"),
        ("witness keygen", "openssl"),
        ("witness policy sign -f p.json", "witness sign -f policy.json"),
        ("witness policy create", "write the policy JSON"),
        ("witness inspect att.json", "base64 -d"),
        ("witness verfy -p p.json", "`witness verify`"),
        ("witness attestors lst", "`witness attestors list`"),
    ],
)
def test_unknown_subcommands(text: str, hint: str) -> None:
    a = parse_command(text)
    assert not a.valid
    issue = next(i for i in a.issues if i.code == "unknown-subcommand")
    assert hint in issue.message


def test_deprecated_flags_are_warnings() -> None:
    a = parse_command("witness verify -p p.json --policy-ca ca.pem -a att.json -f app")
    assert a.valid
    issue = next(i for i in a.issues if i.code == "deprecated-flag")
    assert issue.severity == "warning" and "--policy-ca-roots" in issue.message
    hidden = parse_command(f"{RUN_OK} --enable-archivist -- make")
    assert hidden.valid and hidden.flags["enable-archivista"] is True
    assert "Flag --enable-archivist has been deprecated" in messages(hidden)


def test_k8smanifest_without_cluster_flag_warns() -> None:
    """go-witness k8smanifest/k8s.go: record-cluster-information defaults to true and loads a kubeconfig
    (clientcmd.LoadFromFile), so the run fails on a runner without one."""
    a = parse_command(f"{RUN_OK} -a environment,git,k8smanifest -- kustomize build . -o m.yaml")
    assert a.valid and "attestor-environment" in codes(a, "warning")
    assert "record-cluster-information=false" in messages(a)
    off = parse_command(
        f"{RUN_OK} -a environment,git,k8smanifest --attestor-k8smanifest-record-cluster-information=false "
        "-- kustomize build . -o m.yaml"
    )
    assert "record-cluster-information" not in messages(off)
    kubeconfig = parse_command(
        f"{RUN_OK} -a k8smanifest --attestor-k8smanifest-kubeconfig ci/kubeconfig -- kustomize build . -o m.yaml"
    )
    assert "record-cluster-information" not in messages(kubeconfig)
