"""The witness CLI releases this model knows, each a small declarative profile (REFERENCE.md §0.1).

A profile says how one released `witness` binary behaves where releases differ: the go-witness
verification rules it embeds (reference §4, "[HEAD]" vs "[v0.10.0 differs]"), its flag set,
its config-file default, `witness policy check` and a few CLI bugs. Code asks the profile
(`version.zero_step_fails`), never compares version strings.

| profile | witness CLI | go-witness | released |
| --- | --- | --- | --- |
| `0.12` (default) | v0.12.0, the latest release | v0.12.0 (security fixes of go-witness PR #784) | 2026-07-10 |
| `0.11` | v0.11.0 | v0.10.0 | 2026-04-14 |
| `0.10` | v0.10.2 (the last 0.10.x; v0.10.0/v0.10.1 lack `policy check`) | v0.9.1 | 2026-01-13 |

Every field was read from the sources at these tags; `SOURCES` names the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Final

from witness_evals.common.errors import InputError

NETWORK_TRACE_TYPE: Final = "https://witness.dev/attestations/network-trace/v0.1"

# Error texts that exist only in some releases (verbatim).
EMPTY_ATTESTATIONS_ERROR: Final = (
    "step {step} declares no required attestations; an empty attestations list is not a valid gate"
)
NO_ARTIFACT_OVERLAP_ERROR: Final = (
    "no artifacts in common between the step's materials and the referenced step's artifacts"
)
DOTWITNESS_ERROR: Final = (
    "default use of .witness.yaml is deprecated, please specify the config file with --config or -c"
)
TSA_NO_SINGLE_SIGNER: Final = "timestamp token has no single signing certificate"
TSA_EKU_ERROR: Final = (
    "timestamp signing certificate must carry the id-kp-timeStamping extended key usage as its only EKU"
)
TSA_EKU_NOT_CRITICAL: Final = (
    "timestamp signing certificate extended key usage extension must be marked critical"
)
TSA_CHAIN_ERROR: Final = "timestamp certificate chain is not valid for timestamping: {error}"


@dataclass(frozen=True)
class WitnessVersion:
    """How one witness CLI release behaves where releases differ."""

    name: str
    """Profile name as given to `--witness-version` (`0.12`)."""
    release: str
    """The witness CLI release modelled (`v0.12.0`)."""
    releases: str
    """Every release the profile stands for (`v0.10.0-v0.10.2`)."""
    go_witness: str
    """The go-witness library the release embeds (its go.mod)."""
    opa: str
    released: str

    # ---- go-witness verification (reference §4: True = "[HEAD]" behaviour)
    zero_step_fails: bool
    """A policy without steps fails (older: passes vacuously)."""
    empty_attestations_fails: bool
    """A step whose `attestations` list is empty fails (`EMPTY_ATTESTATIONS_ERROR`)."""
    artifacts_need_overlap: bool
    """An `artifactsFrom` edge needs >= 1 shared path (`NO_ARTIFACT_OVERLAP_ERROR`) and the search goes on
    past a non-matching upstream candidate (older: vacuous pass, search stops at the first mismatch)."""
    rego_on_every_attestation: bool
    """Rego runs on every attestation of a required type (older: only the last one)."""
    strongest_digest: bool
    """DigestSet equality needs the strongest digest size present on either side to be shared."""
    exact_collection_name: bool
    """A collection named "" no longer matches every step."""
    dedupe_results: bool
    """Step results are de-duplicated across search depths (statement + signer key ids)."""
    x509_policy_signer_needs_constraints: bool
    """The library refuses an x509 policy signer unless CN/SAN or Fulcio constraints were given (the
    CLI always gives them: `--policy-*` default `*`)."""
    failed_policy_verifiers_ignored: bool
    """A policy verifier whose signature check failed never confers trust (older: once any signature
    verified, every checked key verifier passed its functionary)."""
    tsa_requires_eku: bool
    """RFC 3161: the TSA certificate needs timeStamping as its only, critical EKU, and the chain must
    be valid for timestamping at the token's time."""
    policy_root_intermediates: bool
    """Intermediates of the policy's `roots` are used to verify collections (go-witness v0.9.1
    drops them: `intermediates = append(intermediates, intermediates...)`)."""
    network_trace: bool
    """The experimental, Linux-only `network-trace` attestor is compiled in."""

    # ---- witness CLI
    passphrase_flag: bool
    """`--signer-file-key-passphrase` exists on run/sign."""
    fulcio_use_http_flag: bool
    """`--signer-fulcio-use-http` exists."""
    kms_hashivault: bool
    """The HashiCorp Vault KMS flags (`--signer-kms-hashivault-*`, `--verifier-kms-hashivault-*`)."""
    kms_gcp_credential_types: bool
    """`--*-kms-gcp-authorized-user` and `--*-kms-gcp-service-account`."""
    config_default: str
    """Default of `-c/--config` ("" = none)."""
    dotwitness_error: bool
    """A `.witness.yaml` in the working directory without `-c` is a hard error (older: it is read)."""
    policy_check_note: str
    """Said about `witness policy check` in this profile ("" = nothing to say)."""
    policy_check_validates_keys: bool
    """`witness policy check` parses every `publickeys[*].key`."""
    policy_ca_intermediates_replace_roots: bool
    """CLI bug: each `--policy-ca-intermediates` certificate REPLACES the policy roots (the last one
    becomes the only root; no intermediates are passed)."""

    @property
    def label(self) -> str:
        """`witness v0.12` as prose names the release line."""
        return f"witness v{self.name}"

    def __str__(self) -> str:
        return self.name


V0_10: Final = WitnessVersion(
    name="0.10",
    release="v0.10.2",
    releases="v0.10.0-v0.10.2",
    go_witness="v0.9.1",
    opa="v1.12.2",
    released="2026-01-13",
    zero_step_fails=False,
    empty_attestations_fails=False,
    artifacts_need_overlap=False,
    rego_on_every_attestation=False,
    strongest_digest=False,
    exact_collection_name=False,
    dedupe_results=False,
    x509_policy_signer_needs_constraints=False,
    failed_policy_verifiers_ignored=False,
    tsa_requires_eku=False,
    policy_root_intermediates=False,
    network_trace=False,
    passphrase_flag=True,
    fulcio_use_http_flag=False,
    kms_hashivault=False,
    kms_gcp_credential_types=False,
    config_default=".witness.yaml",
    dotwitness_error=False,
    policy_check_note="`witness policy check` exists since witness v0.10.2; v0.10.0 and v0.10.1 answer "
    '`unknown command "policy" for "witness"`',
    policy_check_validates_keys=False,
    policy_ca_intermediates_replace_roots=True,
)

V0_11: Final = replace(
    V0_10,
    name="0.11",
    release="v0.11.0",
    releases="v0.11.0",
    go_witness="v0.10.0",
    opa="v1.15.2",
    released="2026-04-14",
    policy_root_intermediates=True,
    passphrase_flag=False,
    fulcio_use_http_flag=True,
    kms_hashivault=True,
    kms_gcp_credential_types=True,
    config_default="",
    dotwitness_error=True,
    policy_check_note="",
    policy_check_validates_keys=True,
    policy_ca_intermediates_replace_roots=False,
)
"""v0.11.0: what changed since v0.10.x; everything else as V0_10."""

V0_12: Final = replace(
    V0_11,
    name="0.12",
    release="v0.12.0",
    releases="v0.12.0",
    go_witness="v0.12.0",
    released="2026-07-10",
    zero_step_fails=True,
    empty_attestations_fails=True,
    artifacts_need_overlap=True,
    rego_on_every_attestation=True,
    strongest_digest=True,
    exact_collection_name=True,
    dedupe_results=True,
    x509_policy_signer_needs_constraints=True,
    failed_policy_verifiers_ignored=True,
    tsa_requires_eku=True,
    network_trace=True,
)
"""v0.12.0: what changed since v0.11.0; everything else as V0_11."""

PROFILES: Final[dict[str, WitnessVersion]] = {v.name: v for v in (V0_10, V0_11, V0_12)}
"""Every profile, oldest first."""
NAMES: Final = tuple(PROFILES)
DEFAULT: Final = "0.12"
"""The latest release: what a user who installs witness today gets."""
LATEST: Final = PROFILES[DEFAULT]

BEHAVIOURS: Final = tuple(f.name for f in fields(WitnessVersion) if f.type == "bool")
"""Names of the yes/no behaviours of a profile, in declaration order."""

SOURCES: Final[dict[str, str]] = {
    "zero_step_fails": "go-witness v0.12.0 policy/policy.go:289 `pass := len(p.Steps) > 0` "
    "(v0.10.0 policy/policy.go:283 `pass := true`)",
    "empty_attestations_fails": "go-witness v0.12.0 policy/step.go:170-173",
    "artifacts_need_overlap": "go-witness v0.12.0 policy/policy.go:541 + errors.go:100 (overlap), "
    "policy.go:504 `continue` (search on); v0.10.0 policy/policy.go:382 `break`",
    "rego_on_every_attestation": "go-witness v0.12.0 policy/step.go:193 "
    "(v0.10.0 policy/step.go:165 keeps the last attestation per type)",
    "strongest_digest": "go-witness v0.12.0 cryptoutil/digestset.go:135-185 "
    "(v0.10.0 cryptoutil/digestset.go:128-144)",
    "exact_collection_name": "go-witness v0.12.0 policy/step.go:152 (v0.10.0 policy/step.go:149)",
    "dedupe_results": "go-witness v0.12.0 policy/policy.go:268-269 (v0.10.0 policy/policy.go:262)",
    "x509_policy_signer_needs_constraints": "go-witness v0.12.0 internal/policy/policy.go:161 "
    "(v0.10.0 internal/policy/policy.go:72 defaults the constraints to `*`); the CLI always passes "
    "them: witness v0.11.0 cmd/verify.go:214",
    "failed_policy_verifiers_ignored": "go-witness v0.12.0 internal/policy/policy.go:141 "
    "(v0.10.0 dsse/verify.go returns failed verifiers too, internal/policy/policy.go accepts them)",
    "tsa_requires_eku": "go-witness v0.12.0 timestamp/tsp.go:180-224",
    "policy_root_intermediates": "go-witness v0.9.1 attestation/policyverify/policyverify.go:179 "
    "(fixed in v0.10.0, same line)",
    "network_trace": "go-witness v0.12.0 import_linux.go:22, attestation/networktrace/networktrace.go:33,118",
    "passphrase_flag": "go-witness v0.9.1 signer/file/file.go:46 (string option); v0.10.0 "
    "signer/file/file.go:45 makes it a *string option the CLI never registers",
    "fulcio_use_http_flag": "go-witness v0.10.0 signer/fulcio/fulcio.go:146",
    "kms_hashivault": "go-witness v0.10.0 signer/kms/hashivault/options.go (absent in v0.9.1)",
    "kms_gcp_credential_types": "go-witness v0.10.0 signer/kms/gcp/client.go:148,175",
    "config_default": 'witness v0.10.2 options/root.go:29 `.witness.yaml`; v0.11.0 options/root.go:29 `""`',
    "dotwitness_error": "witness v0.11.0 cmd/config.go:38 (v0.10.2 cmd/config.go:36 just reads on)",
    "policy_check_note": "witness v0.10.2 cmd/root.go:53 adds `policy`; v0.10.1 cmd/root.go:47-52 has none",
    "policy_check_validates_keys": "witness v0.11.0 cmd/policy_check.go:281",
    "policy_ca_intermediates_replace_roots": "witness v0.10.2 cmd/verify.go:146 "
    "(fixed in v0.11.0 cmd/verify.go:146)",
}


def get(name: str | WitnessVersion | None = None) -> WitnessVersion:
    """The profile for `name` (`0.12`, `v0.12`, `0.12.0`, `v0.10.2`...; None: the default)."""
    if isinstance(name, WitnessVersion):
        return name
    if name is None:
        return PROFILES[DEFAULT]
    text = str(name).strip().lower().removeprefix("witness").strip().removeprefix("v")
    parts = text.split(".")
    key = ".".join(parts[:2]) if len(parts) >= 2 else text
    if len(parts) == 3 and not parts[2].isdigit():
        key = ""
    profile = PROFILES.get(key)
    if profile is None:
        raise InputError(f"unknown witness version {name!r} (choose one of {', '.join(NAMES)})")
    return profile


def first_with(attribute: str) -> WitnessVersion | None:
    """The oldest profile where the boolean `attribute` holds, if it holds from there on."""
    for i, v in enumerate(PROFILES.values()):
        if getattr(v, attribute):
            later = list(PROFILES.values())[i:]
            return v if all(getattr(w, attribute) for w in later) else None
    return None


def since(attribute: str) -> str:
    """Which releases a version-dependent statement applies to, as prose (`since witness v0.11`)."""
    holds = [v for v in PROFILES.values() if getattr(v, attribute)]
    if not holds:
        return "in no witness release"
    if len(holds) == len(PROFILES):
        return "in every witness release"
    first = first_with(attribute)
    if first is not None:
        return f"since {first.label}"
    return "only in " + " and ".join(v.label for v in holds)


def until(attribute: str) -> str:
    """Where the boolean `attribute` does NOT hold yet, as prose (`up to witness v0.11`)."""
    lacking = [v for v in PROFILES.values() if not getattr(v, attribute)]
    if not lacking:
        return "in no witness release"
    return f"up to {lacking[-1].label}"


__all__ = [
    "DEFAULT",
    "NAMES",
    "PROFILES",
    "SOURCES",
    "WitnessVersion",
    "get",
    "since",
]
