"""Static policy checks: everything that can be judged without attestations (REFERENCE.md §2.5, §3, §8).

`check_policy` extends `witness policy check` (witness:cmd/policy_check.go): besides its checks
(JSON, expiry, Rego compiles, certConstraint roots exist, root/TSA certificates) it recomputes key
ids, spots base64(DER) keys, checks step names, functionary references, attestation type URIs,
`artifactsFrom`, the rules the latest release enforces (§4.11: steps, attestations) and Rego
portability between the two OPA parsers (`witness verify` = v0 parser, `witness policy check` = v1).
Findings that depend on the witness release say which release (`version`, default the latest).

`mode="verify"` judges the policy as `witness verify` will use it; `mode="policy-check"` also
fails what `witness policy check` rejects (classic `deny[msg] { ... }` Rego).
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from witness_evals.common.errors import InputError
from witness_evals.witness import versions
from witness_evals.witness.constraints import ALLOW_ALL, FULCIO_EXTENSION_FIELDS, GlobError, glob_match
from witness_evals.witness.intoto import COLLECTION_TYPE
from witness_evals.witness.policy import (
    POLICY_PAYLOAD_TYPE,
    DecodedPolicy,
    Functionary,
    Policy,
    PublicKey,
    Root,
    decode_policy,
    format_rfc3339,
    looks_like_der,
)

if TYPE_CHECKING:
    from witness_evals.witness.rego import RegoCheck, RegoSandbox

CheckMode = Literal["verify", "policy-check"]
CHECK_MODES: tuple[str, ...] = ("verify", "policy-check")
EXPIRY_WARNING_DAYS = 30

PORTABLE_REGO_EXAMPLE = (
    "package commandrun.exitcode\n\nimport rego.v1\n\ndeny contains msg if {\n"
    '\tinput.exitcode != 0\n\tmsg := "exitcode not 0"\n}\n'
)

# Plausible but wrong attestation types (traps 1-3) -> what to write instead.
TYPE_TRAPS: dict[str, str] = {
    "https://witness.dev/attestations/sbom/v0.1": (
        "a real collection carries the SBOM's own type: require https://spdx.dev/Document (SPDX) or "
        "https://cyclonedx.org/bom (CycloneDX)"
    ),
    "https://slsa.dev/provenance/v1": "the slsa attestor type is https://slsa.dev/provenance/v1.0",
    "https://slsa.dev/provenance/v0.2": "the slsa attestor type is https://slsa.dev/provenance/v1.0",
    "https://witness.dev/attestations/k8smanifest/v0.1": (
        "the k8smanifest attestor type is https://witness.dev/attestations/k8smanifest/v0.2"
    ),
    "https://witness.dev/attestations/link/v0.1": "the link attestor type is https://in-toto.io/attestation/link/v0.3",
    "https://witness.dev/attestations/link/v0.3": "the link attestor type is https://in-toto.io/attestation/link/v0.3",
    "https://witness.dev/attestations/vex/v0.1": "the vex attestor type is https://openvex.dev/ns (no version)",
    COLLECTION_TYPE: "this is the collection's predicate type, not an attestation inside it; list attestor types",
    "https://witness.dev/attestation-collection/v0.1": (
        "this is not an attestation type (and the collection type is "
        "https://witness.testifysec.com/attestation-collection/v0.1); list attestor types"
    ),
    "https://witness.dev/attestations/policyverify/v0.1": (
        "policyverify is produced by witness verify (https://slsa.dev/verification_summary/v1), "
        "not by witness run"
    ),
}


@dataclass(frozen=True)
class Finding:
    """One error or warning: witness's `ValidationError` shape."""

    category: str
    message: str
    suggestion: str = ""
    location: str = ""

    def to_json(self) -> dict[str, str]:
        out = {"category": self.category, "message": self.message}
        if self.suggestion:
            out["suggestion"] = self.suggestion
        if self.location:
            out["location"] = self.location
        return out

    def line(self, severity: str, source: str = "") -> str:
        """`source:location: severity: message (suggestion)` on one line."""
        text = " ".join(f"{severity}: {self.message}".split())
        if self.suggestion:
            text += " (" + " ".join(self.suggestion.split()) + ")"
        where = ":".join(p for p in (source, self.location) if p) or "<policy>"
        return f"{where}: {text}"


@dataclass
class PolicyReport:
    """Result of `check_policy` (witness's `ValidationResult`, plus warnings as findings)."""

    source: str
    mode: str
    witness_version: str = versions.DEFAULT
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    checks_performed: int = 0
    checks_passed: int = 0
    expires: datetime | None = None
    envelope: bool = False
    policy: Policy | None = None

    @property
    def valid(self) -> bool:
        return not self.errors

    def check(self, ok: bool) -> bool:
        self.checks_performed += 1
        if ok:
            self.checks_passed += 1
        return ok

    def error(self, category: str, message: str, suggestion: str = "", location: str = "") -> None:
        self.errors.append(Finding(category, message, suggestion, location))

    def warn(self, category: str, message: str, suggestion: str = "", location: str = "") -> None:
        self.warnings.append(Finding(category, message, suggestion, location))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"valid": self.valid}
        if self.errors:
            out["errors"] = [f.to_json() for f in self.errors]
        if self.warnings:
            out["warnings"] = [f.to_json() for f in self.warnings]
        out["checks_performed"] = self.checks_performed
        out["checks_passed"] = self.checks_passed
        out["policy_file"] = self.source
        if self.expires is not None:
            out["policy_expiration"] = format_rfc3339(self.expires)
        out["mode"] = self.mode
        out["witness_version"] = self.witness_version
        return out


# --------------------------------------------------------------------------------------------


def check_policy(
    data: bytes | str,
    *,
    source: str = "<policy>",
    now: datetime | None = None,
    mode: CheckMode | str = "verify",
    rego: RegoSandbox | None = None,
    version: str | versions.WitnessVersion | None = None,
) -> PolicyReport:
    """Check a policy (bare JSON or DSSE envelope) statically.

    Raises `InputError` only when the input is not JSON at all (exit 2 at the CLI); everything else
    is a finding. `rego`: a running sandbox to compile modules in (one is started when needed).
    `version`: the witness release the findings speak about (default: the latest).
    """
    if mode not in CHECK_MODES:
        raise ValueError(f"unknown mode {mode!r} (expected one of {', '.join(CHECK_MODES)})")
    release = versions.get(version)
    now = now or datetime.now(UTC)
    try:
        decoded = decode_policy(data, source=source)
    except InputError as exc:
        raise _with_yaml_hint(exc, data) from None
    report = PolicyReport(
        source=source,
        mode=str(mode),
        witness_version=release.name,
        envelope=decoded.envelope,
        policy=decoded.policy,
    )
    policy = decoded.policy
    report.expires = policy.expires
    _check_structure(report, decoded)
    _check_signature_form(report, decoded)
    _check_expiry(report, policy, now)
    _check_steps(report, policy, str(mode), release)
    _check_keys(report, policy)
    _check_roots(report, policy, now)
    _check_rego(report, policy, str(mode), rego)
    return report


def _with_yaml_hint(exc: InputError, data: bytes | str) -> InputError:
    text = data[:4096].decode("utf-8", "replace") if isinstance(data, bytes) else data[:4096]
    first = next((ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
    if first.startswith("-----BEGIN "):  # a PEM file (key or certificate), not YAML
        return InputError(
            exc.message + " (this is a PEM file, not a witness policy)",
            source=exc.source,
            location=exc.location,
        )
    if exc.message.startswith("invalid JSON") and (
        first.startswith("---") or first.split(":")[0].strip().isidentifier()
    ):
        return InputError(
            exc.message + " (this looks like YAML: witness policies must be JSON, convert with `yq -o=json`)",
            source=exc.source,
            location=exc.location,
        )
    return exc


def _check_structure(report: PolicyReport, decoded: DecodedPolicy) -> None:
    go_error = decoded.go_error
    report.check(go_error is None)
    for e in decoded.errors:
        first = e is go_error
        suggestion = {
            "base64": "[]byte fields (key, certificate, intermediates, module) must be standard base64 with padding "
            "of the raw bytes, e.g. `base64 -w0 < file`",
            "time": "expires must be RFC3339 with a time and zone, e.g. 2030-01-01T00:00:00Z",
            "type": "fix the JSON type of this field (see the go-witness policy structs)",
        }.get(e.kind, "")
        prefix = "failed to parse policy JSON: " if first else "also: "
        report.error("Policy File", prefix + e.message, suggestion, e.location)
    for w in decoded.warnings:
        report.warn("Ignored Key", w.message, "", w.location)


def _check_signature_form(report: PolicyReport, decoded: DecodedPolicy) -> None:
    if not decoded.envelope:
        report.warn(
            "Signature",
            "policy is not signed: witness verify only accepts a DSSE envelope (a bare policy fails with "
            "`no signatures in dsse envelope`)",
            "sign it: witness sign -f policy.json -o policy-signed.json -k key.pem",
        )
        return
    report.warn("Signature", "DSSE envelope: its payload was checked, its signature was not", "", "payload")
    if decoded.payload_type != POLICY_PAYLOAD_TYPE:
        report.warn(
            "Signature",
            f"envelope payloadType is {decoded.payload_type!r}, witness sign writes {POLICY_PAYLOAD_TYPE!r} "
            "(verify does not check it)",
            "",
            "payloadType",
        )


def _check_expiry(report: PolicyReport, policy: Policy, now: datetime) -> None:
    expires = policy.expires
    if not report.check(expires is not None and now <= expires):
        if expires is None:
            report.error(
                "Policy Expiration",
                "policy has no expiry: a missing or null 'expires' is Go's zero time, so the policy is always "
                "expired (`policy expired on 0001-01-01 00:00:00 +0000 UTC`)",
                "set 'expires' to a future RFC3339 time, e.g. 2030-01-01T00:00:00Z",
                "expires",
            )
        else:
            report.error(
                "Policy Expiration",
                f"Policy expired on {format_rfc3339(expires)}",
                "Update the 'expires' field to a future date",
                "expires",
            )
        return
    assert expires is not None
    left = expires - now
    if left < timedelta(days=EXPIRY_WARNING_DAYS):
        report.warn("Policy Expiration", f"Policy expires in {left.days} days", "", "expires")


# --------------------------------------------------------------------------------------------
# steps, functionaries, attestation types, artifactsFrom
# --------------------------------------------------------------------------------------------


def _registry() -> tuple[Any, list[str]] | None:
    try:
        from witness_evals.witness.attestors import ATTESTORS, by_type
    except ImportError:
        return None
    types: list[str] = []
    for spec in ATTESTORS.values():
        types.append(spec.type)
        types.extend(spec.aliases)
    return by_type, types


def _check_steps(report: PolicyReport, policy: Policy, mode: str, release: versions.WitnessVersion) -> None:
    if not report.check(bool(policy.steps)):
        since = versions.since("zero_step_fails")
        report.error(
            "Steps",
            f"policy has no steps: {release.label} fails it (every release {since} does)"
            if release.zero_step_fails
            else f"policy has no steps: {release.label} passes it vacuously, so it verifies nothing "
            f"(it fails {since})",
            "add at least one step",
            "steps",
        )
    x509_steps = [
        k
        for k, st in policy.steps.items()
        if any(f.cert_constraint and f.cert_constraint.roots for f in st.functionaries)
    ]
    if x509_steps and not policy.timestamp_authorities:
        report.warn(
            "Timestamp Authority",
            f"steps {x509_steps} accept certificate signers but the policy has no timestampauthorities: "
            "certificates are then checked at verification time, and Fulcio certificates expire after ~10 minutes",
            "add the TSA's CA under 'timestampauthorities' and sign with --timestamp-servers",
            "timestampauthorities",
        )
    registry = _registry()
    if registry is None:
        report.warn("Attestation Type", "attestor registry unavailable: attestation types not checked")
    for key, step in policy.steps.items():
        loc = f"steps.{key}"
        if not report.check(step.name == key):
            got = "has no name" if not step.name else f"has name {step.name!r}"
            report.error(
                "Step",
                f"step {key!r} {got}: the map key and 'name' must be identical (search uses the key, "
                "validation compares the collection name with 'name'), so no collection can ever pass",
                f'set "name": "{key}" (and run witness run --step {key})',
                f"{loc}.name",
            )
        if not report.check(bool(step.attestations)):
            text = versions.EMPTY_ATTESTATIONS_ERROR.format(step=key)
            since = versions.since("empty_attestations_fails")
            report.error(
                "Step",
                f"{text} ({release.label} fails verification with exactly this text)"
                if release.empty_attestations_fails
                else f"{text} ({release.label} accepts it and checks nothing; it fails {since})",
                "list the attestation types the step must carry, e.g. material, command-run, product",
                f"{loc}.attestations",
            )
        if not report.check(bool(step.functionaries)):
            report.error(
                "Functionary",
                f"step {key} has no functionaries: no signer can ever be accepted",
                "add a functionary with a publickeyid from 'publickeys' or a certConstraint with roots",
                f"{loc}.functionaries",
            )
        seen: set[str] = set()
        for i, att in enumerate(step.attestations):
            aloc = f"{loc}.attestations[{i}].type"
            if att.type in seen:
                report.warn(
                    "Attestation Type", f"attestation type {att.type} is listed twice in step {key}", "", aloc
                )
            seen.add(att.type)
            if registry is not None:
                _check_type(report, att.type, aloc, registry, release)
        for i, f in enumerate(step.functionaries):
            _check_functionary(report, policy, key, f, f"{loc}.functionaries[{i}]", mode)
        _check_artifacts_from(report, policy, key, step.artifacts_from, f"{loc}.artifactsFrom")


def _check_type(
    report: PolicyReport,
    uri: str,
    loc: str,
    registry: tuple[Any, list[str]],
    release: versions.WitnessVersion,
) -> None:
    by_type, known = registry
    if uri == versions.NETWORK_TRACE_TYPE:
        if report.check(release.network_trace):
            return
        report.error(
            "Attestation Type",
            f"{release.label} has no network-trace attestor (it exists {versions.since('network_trace')}, "
            "experimental, Linux builds): a collection carrying this type does not even load",
            f"require it only when verifying with witness v{versions.first_with('network_trace')} or later",
            loc,
        )
        return
    trap = TYPE_TRAPS.get(uri)
    spec = None if trap else by_type(uri)
    if report.check(spec is not None):
        return
    if not uri:
        report.error("Attestation Type", "attestation type is empty", "use an attestor type URI", loc)
        return
    if trap is None:
        close = difflib.get_close_matches(uri, known, n=1, cutoff=0.75)
        trap = f"did you mean {close[0]}?" if close else "types are compared by exact string equality"
    report.error(
        "Attestation Type",
        f"no witness attestor produces type {uri}: a collection carrying it cannot exist, so the step never passes",
        trap,
        loc,
    )


_PARTIAL = ("dns_names", "emails", "organizations", "uris")


def _check_functionary(
    report: PolicyReport, policy: Policy, step: str, f: Functionary, loc: str, mode: str = "verify"
) -> None:
    keyids = {pk.keyid for pk in policy.public_keys.values()}
    cc = f.cert_constraint
    x509_usable = cc is not None and bool(cc.roots)
    if f.publickeyid:
        if not report.check(f.publickeyid in keyids):
            near = difflib.get_close_matches(f.publickeyid, sorted(keyids), n=1, cutoff=0.6)
            report.error(
                "Functionary",
                f"functionary publickeyid {f.publickeyid} is not the keyid of any key in 'publickeys': only keys "
                "embedded in the policy verify signatures, so it can never match"
                + (" (it may still match an x509 signer through certConstraint)" if x509_usable else ""),
                (
                    f"publickeys has it as a map key, but that entry's keyid is {policy.public_keys[f.publickeyid].keyid!r}"
                    if f.publickeyid in policy.public_keys
                    else f"did you mean {near[0]}?"
                    if near
                    else "embed the public key under 'publickeys' with this keyid"
                ),
                f"{loc}.publickeyid",
            )
    elif not report.check(cc is not None):
        report.error(
            "Functionary",
            "functionary has neither a publickeyid nor a certConstraint: it can never accept a signer",
            'add "publickeyid": "<keyid>" or a certConstraint with roots',
            loc,
        )
    if cc is None:
        return
    cloc = f"{loc}.certConstraint"
    if not report.check(bool(cc.roots) or bool(f.publickeyid)):
        report.error(
            "Functionary",
            "certConstraint has no roots: go-witness rejects every x509 signer "
            "(`is an x509 verifier, but no trusted roots provided in functionary`)",
            'add "roots": ["<root id from the policy roots>"] (or ["*"])',
            f"{cloc}.roots",
        )
    for rid in cc.roots:
        ok = rid in policy.roots or (rid == ALLOW_ALL and len(cc.roots) == 1 and bool(policy.roots))
        if ok and rid not in policy.roots and mode == "policy-check":
            report.check(False)
            report.error(
                "Functionary",
                f"Functionary references root '{rid}' in step '{step}' but it doesn't exist",
                'witness policy check compares root ids literally and reports ["*"], although witness verify '
                "treats it as any policy root; name the root ids to satisfy both",
                f"{cloc}.roots",
            )
            continue
        if not report.check(ok):
            report.error(
                "Functionary",
                f"Functionary references root '{rid}' in step '{step}' but it doesn't exist",
                f"Add root '{rid}' to the policy's 'roots' section or use one of: {sorted(policy.roots)}",
                f"{cloc}.roots",
            )
    for attr in _PARTIAL:
        values: list[str] = getattr(cc, attr)
        tag = attr.replace("_", "")
        bad = [v for v in values if "*" in v and values != [ALLOW_ALL]]
        if not report.check(not bad):
            report.error(
                "Functionary",
                f'certConstraint {tag} {bad!r}: only ["*"] as the sole element is a wildcard; other values '
                "are compared literally (no partial globs), so this never matches a real certificate",
                'use ["*"] or list the exact values; use "extensions" globs for patterns',
                f"{cloc}.{tag}",
            )
    if "*" in cc.common_name and cc.common_name != ALLOW_ALL:
        report.error(
            "Functionary",
            f'certConstraint commonname {cc.common_name!r} is compared literally (only "*" alone is a wildcard)',
            'use "*" or the exact common name',
            f"{cloc}.commonname",
        )
    if cc.roots and not cc.emails and not cc.uris:
        report.warn(
            "Functionary",
            "certConstraint omits both emails and uris: that means the certificate must have none, but Fulcio "
            "certificates always carry an email or URI SAN",
            'set "emails": ["*"] / "uris": ["*"] or the exact identity',
            cloc,
        )
    tags = dict(FULCIO_EXTENSION_FIELDS)
    for go_name, pattern in cc.extensions.items():
        try:
            glob_match(pattern, "")
            ok = True
        except GlobError as exc:
            ok = False
            report.error(
                "Functionary",
                f"extensions.{tags.get(go_name, go_name)}: invalid glob {pattern!r} ({exc}); go-witness would "
                "panic compiling it",
                "fix the pattern (gobwas/glob syntax: * ? [a-z] [!x] {a,b})",
                f"{cloc}.extensions.{tags.get(go_name, go_name)}",
            )
        report.check(ok)


def _check_artifacts_from(
    report: PolicyReport, policy: Policy, step: str, names: list[str], loc: str
) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            report.warn("Artifacts", f"artifactsFrom lists {name!r} twice", "", f"{loc}[{i}]")
        seen.add(name)
        if not report.check(name != step):
            report.error(
                "Artifacts",
                f"step {step} takes artifacts from itself",
                "artifactsFrom names the upstream steps whose products this step consumes",
                f"{loc}[{i}]",
            )
            continue
        if not report.check(name in policy.steps):
            close = difflib.get_close_matches(name, list(policy.steps), n=1, cutoff=0.6)
            report.error(
                "Artifacts",
                f"artifactsFrom names {name!r}, which is not a step of this policy: the step always fails "
                "(`failed to verify artifacts`)",
                f"did you mean {close[0]!r}?" if close else f"steps are: {sorted(policy.steps)}",
                f"{loc}[{i}]",
            )


# --------------------------------------------------------------------------------------------
# keys and certificates
# --------------------------------------------------------------------------------------------


def _b64_hint(data: bytes, what: str) -> str:
    if looks_like_der(data):
        return (
            f"the {what} holds base64 of DER (MII.../MCow...), not base64 of the PEM text; witness fails with "
            "`invalid pem block`: store base64 of the whole PEM file (it starts with LS0tLS1CRUdJTi)"
        )
    if data.lstrip().startswith(b"LS0tLS1CRUdJTi"):
        return f"the {what} is base64-encoded twice: decode once and store base64 of the PEM text"
    return f"the {what} must be base64 of PEM text (-----BEGIN ...-----)"


def _check_keys(report: PolicyReport, policy: Policy) -> None:
    from witness_evals.witness import crypto

    for mkey, pk in policy.public_keys.items():
        loc = f"publickeys.{mkey}"
        if pk.is_kms:
            report.warn(
                "Public Key",
                f"keyid {pk.keyid} is a KMS reference: witness contacts the KMS and ignores the embedded key; "
                "it cannot be checked offline",
                "",
                f"{loc}.keyid",
            )
            continue
        if mkey != pk.keyid:
            report.warn(
                "Public Key",
                f"map key {mkey!r} differs from keyid {pk.keyid!r}: witness ignores the map key; functionaries must "
                "reference the keyid",
                "",
                loc,
            )
        try:
            parsed = crypto.parse_pem(pk.key, source=loc)
        except InputError as exc:
            report.check(False)
            report.error(
                "Public Key", f"public key {mkey}: {exc.message}", _b64_hint(pk.key, "key"), f"{loc}.key"
            )
            continue
        if not report.check(parsed.kind != "private"):
            report.error(
                "Public Key",
                f"publickeys.{mkey}.key holds a PRIVATE key: never embed private keys in a policy (witness cannot "
                "use it either: `unsupported key type`)",
                "embed the public key: openssl pkey -in key.pem -pubout",
                f"{loc}.key",
            )
            continue
        if parsed.kind == "certificate":
            report.warn(
                "Public Key",
                f"publickeys.{mkey}.key is a certificate: it is used as an x509 verifier, not a plain key",
                "embed the public key (openssl x509 -in cert.pem -pubkey -noout) or put the CA under 'roots'",
                f"{loc}.key",
            )
        _check_keyid(report, pk, parsed.key, loc)


def _check_keyid(report: PolicyReport, pk: PublicKey, key: Any, loc: str) -> None:
    from witness_evals.witness import crypto

    try:
        actual = crypto.keyid(key)
    except Exception as exc:  # unsupported key type
        report.check(False)
        report.error(
            "Public Key", f"public key {pk.keyid}: {exc}", "use an ed25519, ECDSA or RSA key", f"{loc}.key"
        )
        return
    if report.check(actual == pk.keyid):
        return
    candidates = {
        "the DER bytes": hashlib.sha256(crypto.public_der(key)).hexdigest(),
        "the PEM text as stored (not Go's canonical PKIX PEM)": hashlib.sha256(pk.key).hexdigest(),
        "the base64 string": hashlib.sha256(pk.to_json()["key"].encode()).hexdigest(),
    }
    how = next((what for what, h in candidates.items() if h == pk.keyid.lower()), None)
    reason = f"; it looks like sha256 of {how}" if how else ""
    report.error(
        "Public Key",
        f"public key in policy has expected key id {pk.keyid} but got {actual} (witness verify aborts){reason}",
        f"keyid = sha256 of the canonical PKIX PUBLIC KEY PEM: set keyid to {actual} (and update functionaries)",
        f"{loc}.keyid",
    )


def _load_cert(report: PolicyReport, data: bytes, category: str, what: str, loc: str) -> Any:
    from witness_evals.witness import crypto, x509

    block = crypto.first_pem_block(data)
    if not report.check(block is not None):
        report.error(category, f"{what} is not a valid PEM block", _b64_hint(data, "certificate"), loc)
        return None
    try:
        cert = x509.load_certificate(data, source=loc)
    except InputError as exc:
        report.check(False)
        report.error(category, f"{what} is not a valid x509 certificate: {exc.message}", "", loc)
        return None
    report.check(True)
    return cert


def _is_ca(cert: Any) -> bool:
    from cryptography import x509 as cx509

    try:
        return bool(cert.extensions.get_extension_for_class(cx509.BasicConstraints).value.ca)
    except Exception:  # no extension, or malformed extensions (parsed lazily)
        return False


def _self_signed(cert: Any) -> bool:
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:
        return False
    return True


def _check_roots(report: PolicyReport, policy: Policy, now: datetime) -> None:
    for rid, root in policy.roots.items():
        _check_root(report, policy, rid, root, now, tsa=False)
    for rid, root in policy.timestamp_authorities.items():
        _check_root(report, policy, rid, root, now, tsa=True)


def _check_root(
    report: PolicyReport, policy: Policy, rid: str, root: Root, now: datetime, *, tsa: bool
) -> None:
    category = "Timestamp Authority" if tsa else "Root Certificate"
    section = "timestampauthorities" if tsa else "roots"
    what = f"Timestamp authority certificate '{rid}'" if tsa else f"Root certificate '{rid}'"
    loc = f"{section}.{rid}"
    cert = _load_cert(report, root.certificate, category, what, f"{loc}.certificate")
    if cert is not None:
        if not report.check(_is_ca(cert)):
            report.error(
                category,
                f"{what} is not a CA certificate",
                "Root certificates must have CA:TRUE in the Basic Constraints extension",
                loc,
            )
        not_after = cert.not_valid_after_utc
        if not report.check(now <= not_after):
            report.error(
                category,
                f"{what} expired on {format_rfc3339(not_after)}",
                "Replace with a valid certificate",
                loc,
            )
        if not tsa:
            if not report.check(_self_signed(cert)):
                report.error(
                    category,
                    f"{what} has invalid signature (not self-signed)",
                    "roots must be self-signed CA certificates; put intermediates under 'intermediates'",
                    loc,
                )
            if not report.check(policy.expires is None or not_after >= policy.expires):
                report.error(
                    category,
                    f"{what} expires before the policy",
                    "The certificate must be valid for at least as long as the policy",
                    loc,
                )
    for i, inter in enumerate(root.intermediates):
        icert = _load_cert(
            report, inter, category, f"intermediate {i} of '{rid}'", f"{loc}.intermediates[{i}]"
        )
        if icert is not None and not report.check(_is_ca(icert)):
            report.error(
                category,
                f"intermediate {i} of '{rid}' is not a CA certificate",
                "",
                f"{loc}.intermediates[{i}]",
            )


# --------------------------------------------------------------------------------------------
# Rego
# --------------------------------------------------------------------------------------------


@contextmanager
def _sandbox(rego: RegoSandbox | None) -> Iterator[RegoSandbox]:
    if rego is not None:
        yield rego
        return
    from witness_evals.witness.rego import RegoSandbox

    with RegoSandbox() as box:
        yield box


def _check_rego(report: PolicyReport, policy: Policy, mode: str, rego: RegoSandbox | None) -> None:
    entries: list[tuple[str, str, dict[str, str], list[str]]] = []  # (location, type, modules, module locs)
    for skey, step in policy.steps.items():
        for ai, att in enumerate(step.attestations):
            if not att.rego_policies:
                continue
            modules: dict[str, str] = {}
            locs: list[str] = []
            aloc = f"steps.{skey}.attestations[{ai}].regopolicies"
            for ri, rp in enumerate(att.rego_policies):
                mloc = f"{aloc}[{ri}]"
                try:
                    text = rp.module.decode("utf-8")
                except UnicodeDecodeError as exc:
                    report.check(False)
                    report.error(
                        "Rego Policy",
                        f"Rego module '{rp.name}' is not UTF-8 text (byte {exc.start})",
                        "",
                        f"{mloc}.module",
                    )
                    continue
                name = rp.name or f"module{ri}"
                if not rp.name:
                    report.warn(
                        "Rego Policy",
                        "Rego module has no name (the name is its file name in errors)",
                        "",
                        f"{mloc}.name",
                    )
                if name in modules:
                    report.warn(
                        "Rego Policy",
                        f"two Rego modules named {name!r} in one attestation",
                        "",
                        f"{mloc}.name",
                    )
                    name = f"{name}#{ri}"
                modules[name] = text
                locs.append(mloc)
            if modules:
                entries.append((aloc, att.type, modules, locs))
    if not entries:
        return
    jobs: list[tuple[dict[str, str], str]] = []
    for _, _, modules, _ in entries:
        for name, text in modules.items():
            jobs.append(({name: text}, "verify"))
            jobs.append(({name: text}, "policy-check"))
        jobs.append((modules, "verify"))
    with _sandbox(rego) as box:
        results: list[RegoCheck] = box.check_many(jobs)
        _raise_engine_limit(report.source, entries, results)
        probes = _probe_deny_types(entries, results, box)
    it = iter(results)
    for aloc, att_type, modules, locs in entries:
        all_v0 = True
        for (name, _text), mloc in zip(modules.items(), locs, strict=True):
            v0, v1 = next(it), next(it)
            all_v0 = _judge_module(report, name, mloc, v0, v1, mode) and all_v0
        together = next(it)
        probe = probes.get(aloc)
        if probe is not None and probe[0] == "invalid_data" and not report.check(False):
            report.error(
                "Rego Policy",
                f"deny of attestation {att_type} is not a set of strings: {probe[1]}",
                "deny must be a partial set rule: deny contains msg if { ... } (a string or boolean deny is rejected)",
                aloc,
            )
        elif probe is not None and probe[0] == "recursive" and not report.check(False):
            report.error(
                "Rego Policy",
                f"the Rego of attestation {att_type} is recursive ({probe[1]}): OPA rejects recursive rules "
                "at compile time (rego_recursion_error), so witness verify fails on it",
                "remove the recursion",
                aloc,
            )
        elif probe is not None and not report.check(False):
            report.error(
                "Rego Policy",
                f"the Rego of attestation {att_type} could not be evaluated on an empty input within "
                f"witness-evals' limits ({probe[1]}); its rules are not recursive",
                "make the rules cheaper: witness evaluates them at every verification",
                aloc,
            )
        if all_v0 and together.ok:
            for pkg, has_deny in together.packages.items():
                if not report.check(has_deny):
                    report.error(
                        "Rego Policy",
                        f"package {pkg} (attestation {att_type}) defines no deny rule: {pkg}.deny is undefined, the "
                        "query has no result and the check passes silently, masking the other packages",
                        "define deny (import rego.v1; deny contains msg if { ... })",
                        aloc,
                    )
        elif all_v0:
            report.check(False)
            report.error(
                "Rego Policy",
                f"the modules of attestation {att_type} do not compile together: {together.error}",
                "",
                aloc,
            )


def _probe_deny_types(
    entries: list[tuple[str, str, dict[str, str], list[str]]], results: list[RegoCheck], box: RegoSandbox
) -> dict[str, tuple[str, str]]:
    """Evaluate each compiling entry on an empty input: a constant string/boolean deny shows up as
    go-witness' `invalid data from rego` error (trap 6); recursion ("recursive", told by the rules'
    tokens), a crash, a timeout or a memory blow-up on an empty input breaks every evaluation
    ("broken"). Other errors depend on the input."""
    from witness_evals.witness.rego.syntax import recursive_rules

    todo: list[tuple[str, dict[str, str]]] = []
    i = 0
    for aloc, _type, modules, _locs in entries:
        i += 2 * len(modules)
        together = results[i]
        i += 1
        if together.ok and together.packages and all(together.packages.values()):
            todo.append((aloc, modules))
    if not todo:
        return {}
    outcomes = box.evaluate_many([(modules, {}, "verify") for _, modules in todo])
    found: dict[str, tuple[str, str]] = {}
    for (aloc, modules), o in zip(todo, outcomes, strict=True):
        if o.kind == "invalid_data":
            found[aloc] = ("invalid_data", o.error)
        elif o.status in ("timeout", "crash", "memory") or "recursion detected" in o.error:
            # say "recursion" only when a rule really refers to itself (tokens), never for a module
            # that is merely slow (an exponential but non-recursive rule set times out too)
            cycles = {name: recursive_rules(text) for name, text in modules.items()}
            where = "; ".join(f"module '{n}': {', '.join(r)}" for n, r in cycles.items() if r)
            if where:
                found[aloc] = ("recursive", f"rules referring to themselves: {where}")
            else:
                found[aloc] = ("broken", f"{o.status}: {o.error}" if o.error else o.status)
    return found


def _raise_engine_limit(
    source: str, entries: list[tuple[str, str, dict[str, str], list[str]]], results: list[RegoCheck]
) -> None:
    """A module nested too deeply for the engine: no finding can be true, so the check stops with
    one `RegoEngineLimitError` line (exit 2) naming the module."""
    from witness_evals.witness.rego import TOO_DEEP, RegoEngineLimitError

    it = iter(results)
    for _aloc, _type, modules, locs in entries:
        for name, mloc in zip(modules, locs, strict=True):
            for outcome in (next(it), next(it)):
                if outcome.kind == TOO_DEEP:
                    raise RegoEngineLimitError(
                        f"Rego module '{name}': {outcome.error}", source=source, location=f"{mloc}.module"
                    )
        next(it)  # the modules together: each was seen alone above


def _judge_module(report: PolicyReport, name: str, loc: str, v0: RegoCheck, v1: RegoCheck, mode: str) -> bool:
    """Record findings for one module; True if `witness verify` can parse it."""
    mloc = f"{loc}.module"
    for outcome in (v0, v1):
        if outcome.status in ("timeout", "crash", "memory"):
            report.check(False)
            report.error(
                "Rego Policy",
                f"Rego module '{name}' could not be compiled safely ({outcome.status}): {outcome.error}",
                "",
                mloc,
            )
            return False
    if v0.ok and v1.ok:
        report.check(True)
        return True
    refused = next((o for o in (v0, v1) if o.kind == "unsupported"), None)
    if refused is not None:  # a call of http.send, net.lookup_ip_addr or opa.runtime
        report.check(False)
        report.error(
            "Rego Policy",
            f"Rego module '{name}' cannot be verified here: {refused.error}",
            "remove the call: a verification that depends on the network or on the engine's environment "
            "is not reproducible",
            mloc,
        )
        return False
    if not v0.ok and not v1.ok:
        report.check(False)
        report.error(
            "Rego Policy",
            f"Rego module '{name}' is invalid: {v0.error}",
            "Check Rego syntax: a 'package' declaration, deny rules, comparison operators",
            mloc,
        )
        return False
    if v0.ok:  # only the v0 parser accepts it: classic deny[msg] { ... }
        message = (
            f"Rego module '{name}' uses v0-only syntax: witness verify accepts it, but witness policy check "
            f"(OPA v1 parser) rejects it: {v1.error}"
        )
        suggestion = "portable form: import rego.v1 and `deny contains msg if { ... }`"
        if mode == "policy-check":
            report.check(False)
            report.error("Rego Policy", message, suggestion, mloc)
        else:
            report.check(True)
            report.warn("Rego Policy", message, suggestion, mloc)
        return True
    report.check(False)
    report.error(
        "Rego Policy",
        f"Rego module '{name}' uses Rego v1 syntax without `import rego.v1`: witness verify (OPA v0 parser) "
        f"fails on it: {v0.error}",
        "add `import rego.v1` after the package line",
        mloc,
    )
    return False


# --------------------------------------------------------------------------------------------
# single Rego module (`witness-evals check rego`)
# --------------------------------------------------------------------------------------------


@dataclass
class RegoReport:
    """Result of `check_rego`: compile outcome in the chosen mode, portability, optional deny set."""

    name: str
    mode: str
    compiled: bool
    error: str = ""
    packages: dict[str, bool] = field(default_factory=dict)
    other_mode_error: str = ""
    deny: list[str] | None = None
    eval_error: str = ""
    error_kind: str = ""
    """`RegoCheck.kind` of `error` (`too_deep`: the engine cannot judge the module at all)."""


def check_rego(
    module: str,
    *,
    name: str = "module.rego",
    mode: str = "verify",
    input: Any = None,
    rego: RegoSandbox | None = None,
) -> RegoReport:
    """Compile one untrusted module in the sandbox (both parsers); evaluate deny when `input` is given."""
    if mode not in CHECK_MODES:
        raise ValueError(f"unknown mode {mode!r}")
    other = "policy-check" if mode == "verify" else "verify"
    with _sandbox(rego) as box:
        main, alt = box.check_many([({name: module}, mode), ({name: module}, other)])
        report = RegoReport(
            name=name,
            mode=mode,
            compiled=main.ok,
            error=main.error,
            packages=dict(main.packages),
            error_kind=main.kind,
        )
        if not alt.ok:
            report.other_mode_error = alt.error
        if main.ok and input is not None:
            outcome = box.evaluate({name: module}, input, mode)
            if outcome.status == "ok":
                report.deny = list(outcome.deny)
            else:
                report.eval_error = outcome.error or outcome.status
                if outcome.status in ("crash", "timeout", "memory") or "recursion detected" in outcome.error:
                    from witness_evals.witness.rego.syntax import recursive_rules

                    cycle = recursive_rules(module)
                    if cycle:
                        report.eval_error += (
                            f" (rules referring to themselves: {', '.join(cycle)}; OPA rejects recursive "
                            "rules at compile time with rego_recursion_error)"
                        )
    return report
