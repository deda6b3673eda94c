"""Raw grammar data of the released `witness` CLIs (v0.10.x, v0.11.0, v0.12.0; `versions.py`).

Flag rows are `(long, short, type, default, description)` copied from witness `docs/commands.md`
at v0.10.2 and v0.11.0 (REFERENCE.md §2). `default` is the value as cobra renders it, or None when
there is none. Rows that only some releases have are chosen by the release profile
(`signer_flags(version)`, `kms_flags(...)`, `global_flags(version)`, `attestor_rows(version)`);
`grammar.py` turns them into typed, indexed lookup tables per release.
"""

from __future__ import annotations

from typing import Final

from witness_evals.witness import versions
from witness_evals.witness.versions import NETWORK_TRACE_TYPE, WitnessVersion

FlagRow = tuple[str, str, str, str | None, str]

FLAG_TYPES: Final = ("string", "strings", "stringArray", "bool", "int", "duration")


def global_flags(version: WitnessVersion) -> tuple[FlagRow, ...]:
    """The persistent flags; `-c` defaults to `.witness.yaml` up to witness v0.10.x."""
    config: FlagRow = ("config", "c", "string", version.config_default, "Path to the witness config file")
    return (config, *GLOBAL_FLAGS[1:])


GLOBAL_FLAGS: Final[tuple[FlagRow, ...]] = (
    ("config", "c", "string", "", "Path to the witness config file"),
    ("log-level", "l", "string", "info", "Level of logging to output (debug, info, warn, error)"),
    (
        "debug-cpu-profile-file",
        "",
        "string",
        "",
        "Path to store the CPU profile. Profiling will be enabled if this is non-empty",
    ),
    (
        "debug-mem-profile-file",
        "",
        "string",
        "",
        "Path to store the Memory profile. Profiling will be enabled if this is non-empty",
    ),
)

ARCHIVISTA_FLAGS: Final[tuple[FlagRow, ...]] = (
    (
        "archivista-headers",
        "",
        "stringArray",
        None,
        "Headers to provide to the Archivista client when making requests",
    ),
    (
        "archivista-server",
        "",
        "string",
        "https://archivista.testifysec.io",
        "URL of the Archivista server to store or retrieve attestations",
    ),
    ("enable-archivista", "", "bool", "false", "Use Archivista to store or retrieve attestations"),
)

# Deprecated + hidden aliases on run and verify (REFERENCE.md §2.6): (row, replacement long name).
HIDDEN_ARCHIVIST_FLAGS: Final[tuple[tuple[FlagRow, str], ...]] = (
    (
        ("enable-archivist", "", "bool", "false", "Use Archivist to store or retrieve attestations"),
        "enable-archivista",
    ),
    (
        (
            "archivist-server",
            "",
            "string",
            "https://archivista.testifysec.io",
            "URL of the Archivist server to store or retrieve attestations",
        ),
        "archivista-server",
    ),
)

_VAULT_ADDR = (
    "Address of the vault instance to connect to. Defaults to the environment variable VAULT_ADDR if unset"
)
_VAULT_TOKEN_FILE = "File to read the Vault token from for token auth. Token will be read from the environment variable VAULT_TOKEN if unset"
_SA_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"
_REMOTE_VERIFY = "verify signature using AWS KMS remote verification. If false, the public key will be pulled from AWS KMS and verification will take place locally"


def kms_flags(
    prefix: str, hash_type_help: str, *, hashivault: bool = True, gcp_credential_types: bool = True
) -> tuple[FlagRow, ...]:
    """The KMS provider flags, as `--signer-kms-*` (run/sign) or `--verifier-kms-*` (verify): 18 since
    go-witness v0.10.0 (witness v0.11), 9 before (no HashiCorp Vault provider, no GCP credential types)."""
    p = f"{prefix}-kms-"
    rows = _kms_rows(p, hash_type_help)
    return tuple(
        r
        for r in rows
        if (hashivault or "-kms-hashivault-" not in r[0])
        and (gcp_credential_types or not r[0].endswith(("gcp-authorized-user", "gcp-service-account")))
    )


def _kms_rows(p: str, hash_type_help: str) -> tuple[FlagRow, ...]:
    return (
        (
            p + "aws-config-file",
            "",
            "string",
            None,
            "The shared configuration file to use with the AWS KMS signer provider",
        ),
        (
            p + "aws-credentials-file",
            "",
            "string",
            None,
            "The shared credentials file to use with the AWS KMS signer provider",
        ),
        (
            p + "aws-insecure-skip-verify",
            "",
            "bool",
            "false",
            "Skip verification of the server's certificate chain and host name",
        ),
        (
            p + "aws-profile",
            "",
            "string",
            None,
            "The shared configuration profile to use with the AWS KMS signer provider",
        ),
        (p + "aws-remote-verify", "", "bool", "true", _REMOTE_VERIFY),
        (
            p + "gcp-authorized-user",
            "",
            "bool",
            "false",
            "Set if the credentials file's type is an authorized user",
        ),
        (
            p + "gcp-credentials-file",
            "",
            "string",
            None,
            "The credentials file to use with the GCP KMS signer provider",
        ),
        (
            p + "gcp-service-account",
            "",
            "bool",
            "false",
            "Set if the credentials file's type is a service account",
        ),
        (p + "hashType", "", "string", "sha256", hash_type_help),
        (p + "hashivault-addr", "", "string", None, _VAULT_ADDR),
        (
            p + "hashivault-auth-method",
            "",
            "string",
            "token",
            "Method to use to authenticate with Vault. Currently supported methods are token and kubernetes",
        ),
        (
            p + "hashivault-kubernetes-auth-mount-path",
            "",
            "string",
            "kubernetes",
            "Path where the kubernetes auth endpoint is mounted on the vault server",
        ),
        (
            p + "hashivault-kubernetes-service-account-token-path",
            "",
            "string",
            _SA_TOKEN,
            "Path to the file containing the token for the kubernetes service account when using the kubernetes auth method",
        ),
        (
            p + "hashivault-role",
            "",
            "string",
            None,
            "Role name to use when authenticating with the kubernetes auth method",
        ),
        (p + "hashivault-token-file", "", "string", None, _VAULT_TOKEN_FILE),
        (
            p + "hashivault-transit-secret-engine-path",
            "",
            "string",
            "transit",
            "Path to the Vault Transit secret engine to use",
        ),
        (p + "keyVersion", "", "string", None, "The key version to use for signing"),
        (p + "ref", "", "string", None, "The KMS Reference URI to use for connecting to the KMS service"),
    )


PASSPHRASE_FLAG: Final[FlagRow] = (
    "signer-file-key-passphrase",
    "",
    "string",
    None,
    "Passphrase to decrypt the private key (prefer key-passphrase-path).",
)
"""Only witness v0.10.x (go-witness v0.9.1 string option; a `*string` the CLI never registers since)."""


def signer_flags(version: WitnessVersion) -> tuple[FlagRow, ...]:
    """The signer flags of run/sign in `version`."""
    rows = [r for r in _SIGNER_BASE if version.fulcio_use_http_flag or r[0] != "signer-fulcio-use-http"]
    if version.passphrase_flag:
        rows.append(PASSPHRASE_FLAG)
    rows += kms_flags(
        "signer",
        "The hash type to use for signing",
        hashivault=version.kms_hashivault,
        gcp_credential_types=version.kms_gcp_credential_types,
    )
    rows += _SIGNER_TAIL
    return tuple(rows)


_SIGNER_BASE: Final[tuple[FlagRow, ...]] = (
    (
        "signer-file-cert-path",
        "",
        "string",
        None,
        "Path to the file containing the certificate for the private key",
    ),
    (
        "signer-file-intermediate-paths",
        "",
        "strings",
        None,
        "Paths to files containing intermediates required to establish trust of the signer's certificate to a root",
    ),
    (
        "signer-file-key-passphrase-path",
        "",
        "string",
        None,
        "Path to a file containing the private key passphrase.",
    ),
    ("signer-file-key-path", "k", "string", None, "Path to the file containing the private key"),
    ("signer-fulcio-oidc-client-id", "", "string", None, "OIDC client ID to use for authentication"),
    ("signer-fulcio-oidc-issuer", "", "string", None, "OIDC issuer to use for authentication"),
    (
        "signer-fulcio-oidc-redirect-url",
        "",
        "string",
        None,
        "OIDC redirect URL (Optional). The default oidc-redirect-url is 'http://localhost:0/auth/callback'.",
    ),
    (
        "signer-fulcio-token",
        "",
        "string",
        None,
        "Raw token string to use for authentication to fulcio (cannot be used in conjunction with --fulcio-token-path)",
    ),
    (
        "signer-fulcio-token-path",
        "",
        "string",
        None,
        "Path to the file containing a raw token to use for authentication to fulcio (cannot be used in conjunction with --fulcio-token)",
    ),
    ("signer-fulcio-url", "", "string", None, "Fulcio address to sign with"),
    ("signer-fulcio-use-http", "", "bool", "false", "HTTP/REST mode for Fulcio"),
)
_SIGNER_TAIL: Final[tuple[FlagRow, ...]] = (
    ("signer-spiffe-socket-path", "", "string", None, "Path to the SPIFFE Workload API Socket"),
    (
        "signer-vault-altnames",
        "",
        "strings",
        None,
        "Alt names to use for the generated certificate. All alt names must be allowed by the vault role policy",
    ),
    (
        "signer-vault-commonname",
        "",
        "string",
        None,
        "Common name to use for the generated certificate. Must be allowed by the vault role policy",
    ),
    ("signer-vault-namespace", "", "string", None, "Vault namespace to use"),
    (
        "signer-vault-pki-secrets-engine-path",
        "",
        "string",
        "pki",
        "Path to the Vault PKI Secrets Engine to use",
    ),
    ("signer-vault-role", "", "string", None, "Name of the Vault role to generate the certificate for"),
    ("signer-vault-token", "", "string", None, "Token to use to connect to Vault"),
    (
        "signer-vault-ttl",
        "",
        "duration",
        None,
        "Time to live for the generated certificate. Defaults to the vault role policy's configured TTL if not provided",
    ),
    ("signer-vault-url", "", "string", None, "Base url of the Vault instance to connect to"),
)

SIGNER_FLAGS: Final[tuple[FlagRow, ...]] = signer_flags(versions.get())
"""The signer flags of the default (latest) release."""

_GLOB_HELP = "Pattern to use when recording products. Files that match this pattern will be {} as subjects on the attestation."

# `--attestor-<name>-<option>` flags of `witness run`: (attestor name, row).
ATTESTOR_OPTION_FLAGS: Final[tuple[tuple[str, FlagRow], ...]] = (
    (
        "aws",
        (
            "attestor-aws-region-cert",
            "",
            "string",
            None,
            "A public x509 certificate used to verify the AWS instance identity document signature.",
        ),
    ),
    (
        "k8smanifest",
        (
            "attestor-k8smanifest-context",
            "",
            "string",
            None,
            "The kubernetes context that this step applies to (if not set in the kubeconfig)",
        ),
    ),
    (
        "k8smanifest",
        (
            "attestor-k8smanifest-ignore-annotations",
            "",
            "strings",
            None,
            "Additional ephemeral annotations to remove, e.g. witness.dev/another-ephemeral",
        ),
    ),
    (
        "k8smanifest",
        (
            "attestor-k8smanifest-ignore-fields",
            "",
            "strings",
            None,
            "Additional ephemeral fields to remove (dot-separated), e.g., metadata.annotations.myorg",
        ),
    ),
    (
        "k8smanifest",
        (
            "attestor-k8smanifest-kubeconfig",
            "",
            "string",
            "$HOME/.kube/config",
            "Path to the kubeconfig file (used during server-side dry-run)",
        ),
    ),
    (
        "k8smanifest",
        (
            "attestor-k8smanifest-record-cluster-information",
            "",
            "bool",
            "true",
            "Record information about the cluster that the client has a connection to",
        ),
    ),
    (
        "k8smanifest",
        (
            "attestor-k8smanifest-server-side-dry-run",
            "",
            "bool",
            "false",
            "Perform a server-side dry-run to normalize resource defaults before hashing",
        ),
    ),
    (
        "link",
        ("attestor-link-export", "", "bool", "false", "Export the Link predicate in its own attestation"),
    ),
    (
        "maven",
        (
            "attestor-maven-pom-path",
            "",
            "string",
            "pom.xml",
            "The path to the Project Object Model (POM) XML file used for task being attested.",
        ),
    ),
    ("product", ("attestor-product-exclude-glob", "", "string", None, _GLOB_HELP.format("excluded"))),
    ("product", ("attestor-product-include-glob", "", "string", "*", _GLOB_HELP.format("included"))),
    (
        "sbom",
        ("attestor-sbom-export", "", "bool", "false", "Export the SBOM predicate in its own attestation"),
    ),
    (
        "secretscan",
        (
            "attestor-secretscan-allowlist-regex",
            "",
            "string",
            None,
            "Regex pattern for content to ignore (can be specified multiple times)",
        ),
    ),
    (
        "secretscan",
        (
            "attestor-secretscan-allowlist-stopword",
            "",
            "string",
            None,
            "Specific string to ignore (can be specified multiple times)",
        ),
    ),
    (
        "secretscan",
        (
            "attestor-secretscan-config-path",
            "",
            "string",
            None,
            "Path to custom Gitleaks configuration file",
        ),
    ),
    (
        "secretscan",
        (
            "attestor-secretscan-fail-on-detection",
            "",
            "bool",
            "false",
            "Fail the attestation process if secrets are detected",
        ),
    ),
    (
        "secretscan",
        (
            "attestor-secretscan-max-decode-layers",
            "",
            "int",
            "3",
            "Maximum number of encoding layers to decode when searching for secrets",
        ),
    ),
    (
        "secretscan",
        (
            "attestor-secretscan-max-file-size-mb",
            "",
            "int",
            "10",
            "Maximum file size to scan in megabytes",
        ),
    ),
    (
        "slsa",
        (
            "attestor-slsa-export",
            "",
            "bool",
            "false",
            "Export the SLSA provenance predicate in its own attestation",
        ),
    ),
)

RUN_OWN_FLAGS: Final[tuple[FlagRow, ...]] = (
    (
        "attestations",
        "a",
        "strings",
        "[environment,git]",
        "Attestations to record ('product' and 'material' are always recorded)",
    ),
    (
        "dirhash-glob",
        "",
        "strings",
        None,
        "Dirhash glob can be used to collapse material and product hashes on matching directory matches.",
    ),
    (
        "env-add-sensitive-key",
        "",
        "strings",
        None,
        "Add keys or globs (e.g. '*TEXT') to the list of sensitive environment keys.",
    ),
    (
        "env-allow-sensitive-key",
        "",
        "strings",
        None,
        "Allow specific keys from the list of sensitive environment keys. Note: This does not support globs.",
    ),
    (
        "env-disable-default-sensitive-vars",
        "",
        "bool",
        "false",
        "Disable the default list of sensitive vars and only use the items mentioned by --add-sensitive-key.",
    ),
    (
        "env-filter-sensitive-vars",
        "",
        "bool",
        "false",
        "Switch from obfuscate to filtering variables which removes them from the output completely.",
    ),
    ("hashes", "", "strings", "[sha256]", "Hashes selected for digest calculation. Defaults to SHA256"),
    ("outfile", "o", "string", None, "File to write signed data to"),
    ("step", "s", "string", None, "Name of the step being run"),
    ("timestamp-servers", "t", "strings", None, "Timestamp Authority Servers to use when signing envelope"),
    ("trace", "r", "bool", "false", "Enable tracing for the command"),
    ("workingdir", "d", "string", None, "Directory from which commands will run"),
)

SIGN_OWN_FLAGS: Final[tuple[FlagRow, ...]] = (
    (
        "datatype",
        "t",
        "string",
        "https://witness.testifysec.com/policy/v0.1",
        "The URI reference to the type of data being signed. Defaults to the Witness policy type",
    ),
    ("infile", "f", "string", None, "Witness policy file to sign"),
    ("outfile", "o", "string", None, "File to write signed data. Defaults to stdout"),
    ("timestamp-servers", "", "strings", None, "Timestamp Authority Servers to use when signing envelope"),
)

_X509_HELP = "The {} to use when verifying a policy signed with x.509"

VERIFY_OWN_FLAGS: Final[tuple[FlagRow, ...]] = (
    ("artifactfile", "f", "string", None, "Path to the artifact subject to verify"),
    ("attestations", "a", "strings", None, "Attestation files to test against the policy"),
    ("directory-path", "", "string", None, "Path to the directory subject to verify"),
    ("policy", "p", "string", None, "Path to the policy to verify"),
    (
        "policy-ca",
        "",
        "strings",
        None,
        "Paths to CA certificates to use for verifying the policy (deprecated: use --policy-ca-roots instead)",
    ),
    (
        "policy-ca-intermediates",
        "",
        "strings",
        None,
        "Paths to CA intermediate certificates to use for verifying a policy signed with x.509",
    ),
    (
        "policy-ca-roots",
        "",
        "strings",
        None,
        "Paths to CA root certificates to use for verifying a policy signed with x.509",
    ),
    ("policy-commonname", "", "string", "*", _X509_HELP.format("common name")),
    ("policy-dns-names", "", "strings", "[*]", _X509_HELP.format("DNS names")),
    ("policy-emails", "", "strings", "[*]", _X509_HELP.format("DNS names")),
    ("policy-fulcio-build-trigger", "", "string", None, "Event or action that initiated the build."),
    (
        "policy-fulcio-oidc-issuer",
        "",
        "string",
        None,
        "The OIDC issuer expected in a valid Fulcio certificate, e.g. https://token.actions.githubusercontent.com "
        "or https://oauth2.sigstore.dev/auth. Either --certificate-oidc-issuer or --certificate-oidc-issuer-regexp "
        "must be set for keyless flows.",
    ),
    (
        "policy-fulcio-run-invocation-uri",
        "",
        "string",
        None,
        "Run Invocation URL to uniquely identify the build execution.",
    ),
    (
        "policy-fulcio-source-repository-digest",
        "",
        "string",
        None,
        "Immutable reference to a specific version of the source code that the build was based upon.",
    ),
    (
        "policy-fulcio-source-repository-identifier",
        "",
        "string",
        None,
        "Immutable identifier for the source repository the workflow was based upon.",
    ),
    (
        "policy-fulcio-source-repository-ref",
        "",
        "string",
        None,
        "Source Repository Ref that the build run was based upon.",
    ),
    ("policy-organizations", "", "strings", "[*]", _X509_HELP.format("organizations")),
    (
        "policy-timestamp-servers",
        "",
        "strings",
        None,
        "Paths to the CA certificates for Timestamp Authority Servers to use when verifying policy signed with x.509",
    ),
    ("policy-uris", "", "strings", "[*]", _X509_HELP.format("URIs")),
    ("publickey", "k", "string", None, "Path to the policy signer's public key"),
    ("subjects", "s", "strings", None, "Additional subjects to lookup attestations"),
    *kms_flags("verifier", "The hash type used for verifying"),
)


def verify_own_flags(version: WitnessVersion) -> tuple[FlagRow, ...]:
    """`witness verify`'s own flags in `version` (the KMS set differs)."""
    base = tuple(r for r in VERIFY_OWN_FLAGS if not r[0].startswith("verifier-kms-"))
    return base + kms_flags(
        "verifier",
        "The hash type used for verifying",
        hashivault=version.kms_hashivault,
        gcp_credential_types=version.kms_gcp_credential_types,
    )


POLICY_CHECK_FLAGS: Final[tuple[FlagRow, ...]] = (
    ("verbose", "v", "bool", "false", "Show detailed validation progress"),
    ("quiet", "q", "bool", "false", "Only show errors, no success messages"),
    ("json", "", "bool", "false", "Output results in JSON format"),
)

# The 26 attestors compiled into every release (REFERENCE.md §1.3; `attestor_rows` adds per release):
# (name, predicate type, run type, selection, extra type aliases accepted by GetAttestor).
ATTESTOR_ROWS: Final[tuple[tuple[str, str, str, str, tuple[str, ...]], ...]] = (
    ("aws-codebuild", "https://witness.dev/attestations/aws-codebuild/v0.1", "prematerial", "opt-in", ()),
    ("aws", "https://witness.dev/attestations/aws/v0.1", "prematerial", "opt-in", ()),
    (
        "command-run",
        "https://witness.dev/attestations/command-run/v0.1",
        "execute",
        "always-with-command",
        (),
    ),
    ("docker", "https://witness.dev/attestations/docker/v0.1", "postproduct", "opt-in", ()),
    ("environment", "https://witness.dev/attestations/environment/v0.1", "prematerial", "default", ()),
    ("gcp-iit", "https://witness.dev/attestations/gcp-iit/v0.1", "prematerial", "opt-in", ()),
    ("git", "https://witness.dev/attestations/git/v0.1", "prematerial", "default", ()),
    ("github", "https://witness.dev/attestations/github/v0.1", "prematerial", "opt-in", ()),
    ("gitlab", "https://witness.dev/attestations/gitlab/v0.1", "prematerial", "opt-in", ()),
    ("jenkins", "https://witness.dev/attestations/jenkins/v0.1", "prematerial", "opt-in", ()),
    ("jwt", "https://witness.dev/attestations/jwt/v0.1", "prematerial", "opt-in", ()),
    ("k8smanifest", "https://witness.dev/attestations/k8smanifest/v0.2", "postproduct", "opt-in", ()),
    ("link", "https://in-toto.io/attestation/link/v0.3", "postproduct", "opt-in", ()),
    ("lockfiles", "https://witness.dev/attestations/lockfiles/v0.1", "prematerial", "opt-in", ()),
    ("material", "https://witness.dev/attestations/material/v0.1", "material", "always", ()),
    ("maven", "https://witness.dev/attestations/maven/v0.1", "prematerial", "opt-in", ()),
    ("oci", "https://witness.dev/attestations/oci/v0.1", "postproduct", "opt-in", ()),
    ("omnitrail", "https://witness.dev/attestations/omnitrail/v0.1", "prematerial", "opt-in", ()),
    ("policyverify", "https://slsa.dev/verification_summary/v1", "verify", "verify-only", ()),
    ("product", "https://witness.dev/attestations/product/v0.1", "product", "always", ()),
    ("sarif", "https://witness.dev/attestations/sarif/v0.1", "postproduct", "opt-in", ()),
    (
        "sbom",
        "https://witness.dev/attestations/sbom/v0.1",
        "postproduct",
        "opt-in",
        ("https://spdx.dev/Document", "https://cyclonedx.org/bom"),
    ),
    ("secretscan", "https://witness.dev/attestations/secretscan/v0.1", "postproduct", "opt-in", ()),
    ("slsa", "https://slsa.dev/provenance/v1.0", "postproduct", "opt-in", ()),
    ("system-packages", "https://witness.dev/attestations/system-packages/v0.1", "prematerial", "opt-in", ()),
    ("vex", "https://openvex.dev/ns", "postproduct", "opt-in", ()),
)

NETWORK_TRACE_ROW: Final = ("network-trace", NETWORK_TRACE_TYPE, "execute", "opt-in", ())
"""witness v0.12 (go-witness v0.12.0, Linux builds only; experimental, no options)."""


def attestor_rows(version: WitnessVersion) -> tuple[tuple[str, str, str, str, tuple[str, ...]], ...]:
    """The attestors compiled into `version`, by CLI name."""
    if not version.network_trace:
        return ATTESTOR_ROWS
    at = next(i for i, r in enumerate(ATTESTOR_ROWS) if r[0] == "oci")
    return (*ATTESTOR_ROWS[:at], NETWORK_TRACE_ROW, *ATTESTOR_ROWS[at:])


DEFAULT_ATTESTORS: Final = ("environment", "git")
ALWAYS_RUN_ATTESTORS: Final = ("product", "material")
EXPORTERS: Final = ("link", "slsa", "sbom")

# Attestors that fail outside their environment (REFERENCE.md §1.2): name -> (severity, explanation).
ATTESTOR_ENVIRONMENT: Final[dict[str, tuple[str, str]]] = {
    "github": (
        "warning",
        "fails outside GitHub Actions (`not in a github ci job`; needs GITHUB_ACTIONS=true and an OIDC token)",
    ),
    "gitlab": ("warning", "fails outside GitLab CI (needs GITLAB_CI=true)"),
    "jenkins": ("warning", "fails outside Jenkins (needs JENKINS_URL)"),
    "aws": ("warning", "needs the EC2 instance metadata service; fails elsewhere"),
    "aws-codebuild": ("warning", "needs an AWS CodeBuild build environment; fails elsewhere"),
    "gcp-iit": (
        "warning",
        "needs the GCP metadata server (instance identity token); fails elsewhere, and crashes witness "
        "(a Go panic) when the token has a `google` claim, as a plain GCE VM's full-format token does: it "
        "records only from a token without one (e.g. under GKE Workload Identity)",
    ),
    "jwt": (
        "error",
        "always fails from the CLI: there is no way to pass it a token (it is used embedded inside github/gitlab/gcp-iit)",
    ),
    "git": ("note", "fails outside a git work tree"),
    "network-trace": (
        "note",
        "is experimental and compiled into Linux builds only (elsewhere: `attestor not found: network-trace`)",
    ),
}

K8S_CLUSTER_INFO: Final = (
    "`-a k8smanifest` records the cluster by default (`--attestor-k8smanifest-record-cluster-information` "
    "defaults to true): it loads the kubeconfig (`--attestor-k8smanifest-kubeconfig`, default ~/.kube/config) "
    "and the run fails on a runner without one, without a current context, or where that context's name is "
    "not also a cluster name in it; pass `--attestor-k8smanifest-record-cluster-information=false` there"
)
"""go-witness attestation/k8smanifest/k8s.go: Attest calls runRecordClusterInfo (clientcmd.LoadFromFile,
then `kubernetes context not set`, then the context name looked up in `config.Clusters`: `unable to find
context ...`) whenever the step has products and the option is on."""

# Misspelled attestor names seen in the wild -> correct CLI name (REFERENCE.md §8 trap 2).
ATTESTOR_MISSPELLINGS: Final[dict[str, str]] = {
    "commandrun": "command-run",
    "command_run": "command-run",
    "cmd": "command-run",
    "k8s": "k8smanifest",
    "k8s-manifest": "k8smanifest",
    "kubernetes": "k8smanifest",
    "gcp": "gcp-iit",
    "gcp_iit": "gcp-iit",
    "gcpiit": "gcp-iit",
    "aws-iid": "aws",
    "aws-iit": "aws",
    "aws_iid": "aws",
    "ec2": "aws",
    "codebuild": "aws-codebuild",
    "awscodebuild": "aws-codebuild",
    "env": "environment",
    "environ": "environment",
    "provenance": "slsa",
    "slsa-provenance": "slsa",
    "spdx": "sbom",
    "cyclonedx": "sbom",
    "cdx": "sbom",
    "secret-scan": "secretscan",
    "secrets": "secretscan",
    "gitleaks": "secretscan",
    "systempackages": "system-packages",
    "system_packages": "system-packages",
    "packages": "system-packages",
    "lockfile": "lockfiles",
    "github-actions": "github",
    "gha": "github",
    "gitlab-ci": "gitlab",
    "openvex": "vex",
    "policy-verify": "policyverify",
    "vsa": "policyverify",
    "materials": "material",
    "products": "product",
    "in-toto-link": "link",
    "intoto-link": "link",
    "oci-image": "oci",
}

VERSIONED_ATTESTORS: Final[dict[str, tuple[str, str]]] = {
    "network-trace": (NETWORK_TRACE_TYPE, "network_trace"),
}
"""Attestors only some releases have: name -> (type, `WitnessVersion` attribute that says so)."""

# Flags that do not exist in this CLI (REFERENCE.md §2.6, §8 trap 17): name -> explanation.
NONEXISTENT_FLAGS: Final[dict[str, str]] = {
    "key": "`--key` does not exist (stale docs/concepts/config.md); the signing key is `-k/--signer-file-key-path` "
    "in run/sign, and in verify `-k/--publickey` is the policy signer's public key",
    "certificate": "`--certificate` does not exist (stale docs); use `--signer-file-cert-path`",
    "intermediates": "`--intermediates` does not exist (stale docs); use `--signer-file-intermediate-paths`",
    "spiffe-socket": "`--spiffe-socket` does not exist (stale docs); use `--signer-spiffe-socket-path`",
    "rekor-server": "`--rekor-server` does not exist (stale docs); witness has no Rekor flag",
    "artifacthash": "`--artifacthash` does not exist (stale docs); verify takes `-f/--artifactfile <file>` "
    "or `-s/--subjects <digest>`",
    "signer-file-key-passphrase": "`--signer-file-key-passphrase` exists only in witness v0.10.x; since "
    "witness v0.11 the CLI no longer registers it: use `--signer-file-key-passphrase-path <file>` or the "
    "WITNESS_KEY_PASSPHRASE environment variable",
    "insecure": "`--insecure` does not exist; witness has no unsigned mode, a signer is always required",
    "policy-ca-root": "`--policy-ca-root` (singular, named in the CLI's own deprecation warning) does not exist; "
    "use `--policy-ca-roots`",
    "policy-ca-intermediate": "`--policy-ca-intermediate` (singular, named in the CLI's own deprecation warning) "
    "does not exist; use `--policy-ca-intermediates`",
    "attestor-command-run-trace-backend": "`--attestor-command-run-trace-backend` is in no witness release "
    "(only go-witness main after v0.12.0); tracing is `-r/--trace`",
    "private-key": "`--private-key` does not exist; use `-k/--signer-file-key-path`",
    "public-key": "`--public-key` does not exist; verify takes `-k/--publickey`",
    "pubkey": "`--pubkey` does not exist; verify takes `-k/--publickey`",
    "attestor": "`--attestor` does not exist; use `-a/--attestations`",
    "attestation": "`--attestation` does not exist; use `-a/--attestations`",
    "output": "`--output` does not exist in this CLI; use `-o/--outfile`",
    "out": "`--out` does not exist; use `-o/--outfile`",
    "subject": "`--subject` does not exist; verify takes `-s/--subjects`",
    "artifact": "`--artifact` does not exist; verify takes `-f/--artifactfile`",
    "policy-file": "`--policy-file` does not exist; verify takes `-p/--policy`",
    "working-dir": "`--working-dir` does not exist; use `-d/--workingdir`",
    "tsa": "`--tsa` does not exist; use `--timestamp-servers <url>` (run/sign)",
    "timestamp-server": "`--timestamp-server` does not exist; use `--timestamp-servers` (plural)",
    "fulcio-url": "`--fulcio-url` does not exist; use `--signer-fulcio-url`",
    "fulcio-token": "`--fulcio-token` does not exist (named in a help text); use `--signer-fulcio-token`",
    "fulcio-token-path": "`--fulcio-token-path` does not exist (named in a help text); use `--signer-fulcio-token-path`",
    "certificate-oidc-issuer": "`--certificate-oidc-issuer` is a cosign flag (named in a witness help text); "
    "verify uses `--policy-fulcio-oidc-issuer`",
    "certificate-oidc-issuer-regexp": "`--certificate-oidc-issuer-regexp` is a cosign flag; witness has no regexp form",
    "add-sensitive-key": "`--add-sensitive-key` (named in a help text) does not exist; use `--env-add-sensitive-key`",
    "kms-ref": "`--kms-ref` does not exist; use `--signer-kms-ref` (run/sign) or `--verifier-kms-ref` (verify)",
    "ca-roots": "`--ca-roots` does not exist; verify takes `--policy-ca-roots`",
    "yes": "`--yes` does not exist; witness never prompts",
}

NONEXISTENT_FLAG_PREFIXES: Final[dict[str, str]] = {
    "attestor-network-trace-": "no witness release has `--attestor-network-trace-*` flags (only go-witness main "
    "after v0.12.0); witness v0.12 has the `network-trace` attestor itself, without options",
}

# Subcommands that do not exist (REFERENCE.md §2.1): path -> explanation.
NONEXISTENT_COMMANDS: Final[dict[str, str]] = {
    "attest": "there is no `witness attest`; record a step with `witness run -s <step> -k <key> -o <out> -- <cmd>`",
    "keygen": "there is no `witness keygen`; make keys with openssl, e.g. "
    "`openssl genpkey -algorithm ed25519 -out key.pem` and `openssl pkey -in key.pem -pubout -out pub.pem`",
    "inspect": "there is no `witness inspect`; decode an envelope with `jq -r .payload file.json | base64 -d | jq`",
    "generate": "there is no `witness generate`; write the policy JSON yourself and sign it with `witness sign`",
    "init": "there is no `witness init`; pass a config file explicitly with `-c <file>`",
    "policy sign": "there is no `witness policy sign`; sign a policy with `witness sign -f policy.json -o policy-signed.json -k key.pem`",
    "policy create": "there is no `witness policy create`; write the policy JSON yourself, check it with "
    "`witness policy check`, sign it with `witness sign`",
    "policy verify": "there is no `witness policy verify`; use `witness verify -p policy-signed.json -k pub.pem -a att.json -f artifact`",
    "policy validate": "there is no `witness policy validate`; use `witness policy check <policy file>`",
    "attestors show": "there is no `witness attestors show`; use `witness attestors schema <name>`",
    "attestors get": "there is no `witness attestors get`; use `witness attestors schema <name>`",
}

LOG_LEVELS: Final = ("debug", "info", "warn", "error")
COMPLETION_SHELLS: Final = ("bash", "zsh", "fish", "powershell")
