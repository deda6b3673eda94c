"""`witness verify` as its command runs it (cmd/verify.go): flag groups, the files it reads, the verdict.

`run_verify` takes the flag values, checks the required flag groups like cobra, reads every file
(policy envelope, keys, certificates, attestations, subjects; `InputError` naming the file on bad
input) and calls `verify.verify` with them.
"""

from __future__ import annotations

from typing import Any

from witness_evals.common import jsonio
from witness_evals.common.errors import InputError
from witness_evals.witness import dsse, versions
from witness_evals.witness.crypto import Verifier
from witness_evals.witness.digests import directory_digest, file_sha256
from witness_evals.witness.policy import MAX_POLICY_BYTES, POLICY_PAYLOAD_TYPE
from witness_evals.witness.rego.outcome import RegoEngineLimitError
from witness_evals.witness.verify import PolicySignerConstraints, SourceCollection, VerifyOptions, verify
from witness_evals.witness.x509 import load_certificate

_KEY_GROUP = "at least one of the flags in the group [publickey policy-ca policy-ca-roots policy-ca-intermediates verifier-kms-ref] is required"
_SUBJECT_GROUP = "at least one of the flags in the group [artifactfile subjects] is required"
_NO_ATTESTATIONS = "must either specify attestation file paths or enable archivista as an attestation source"


def load_policy_envelope(path: str, *, allow_unsigned: bool) -> Any:
    """Read `-p` like witness's LoadPolicy: a DSSE envelope; a bare policy decodes to one without signatures.

    With `allow_unsigned`, a bare policy JSON becomes the payload of an unsigned envelope.
    """
    data = jsonio.read_bytes(path, max_bytes=MAX_POLICY_BYTES)
    obj = jsonio.loads(data, source=path)
    if isinstance(obj, dict):
        keys = {k.casefold() for k in obj}
        if not keys & {"payload", "payloadtype", "signatures"}:  # a bare policy
            if allow_unsigned:
                return dsse.Envelope(data, POLICY_PAYLOAD_TYPE, ())
            return dsse.Envelope(b"", "", ())
    return dsse.Envelope.from_json(obj, source=path)


def load_certificate_file(path: str) -> Any:
    """An x509 certificate (PEM or DER) from a file of at most 1 MiB."""
    return load_certificate(jsonio.read_bytes(path, max_bytes=1 << 20), source=path)


def run_verify(
    *,
    policy: str | None,
    publickey: str | None,
    attestations: list[str],
    artifactfile: str | None,
    subjects: list[str],
    directory_path: str | None,
    policy_ca_roots: list[str],
    policy_ca_intermediates: list[str],
    policy_timestamp_servers: list[str],
    policy_commonname: str,
    policy_dns_names: list[str],
    policy_emails: list[str],
    policy_organizations: list[str],
    policy_uris: list[str],
    allow_unsigned_policy: bool,
    witness_version: str,
) -> Any:
    """Validate flags like witness, load every file (InputError on bad input) and verify."""
    try:
        version = versions.get(witness_version)
    except InputError as exc:
        raise exc.at(source="--witness-version") from None
    if not artifactfile and not subjects:
        raise InputError(_SUBJECT_GROUP)
    if not (publickey or policy_ca_roots or policy_ca_intermediates):
        raise InputError(_KEY_GROUP)
    if not attestations:
        raise InputError(_NO_ATTESTATIONS)
    if not policy:
        raise InputError("failed to open policy file: open : no such file or directory")

    verifiers = []
    if publickey:
        verifiers.append(Verifier.from_pem(jsonio.read_bytes(publickey, max_bytes=1 << 20), source=publickey))
    roots = [load_certificate_file(p) for p in policy_ca_roots]
    intermediates = [load_certificate_file(p) for p in policy_ca_intermediates]
    if version.policy_ca_intermediates_replace_roots and intermediates:
        # witness v0.10.x cmd/verify.go:146 `policyRoots = append(policyIntermediates, cert)`: the last
        # intermediate becomes the only root and no intermediates are passed on
        roots, intermediates = [intermediates[-1]], []
    tsas = [load_certificate_file(p) for p in policy_timestamp_servers]
    envelope = load_policy_envelope(policy, allow_unsigned=allow_unsigned_policy)

    digests: list[str] = []
    if directory_path:
        digests.append(directory_digest(directory_path))
    if artifactfile:
        digests.append(file_sha256(artifactfile))
    digests.extend(subjects)

    seen: set[str] = set()
    collections = []
    for path in attestations:
        if path in seen:
            raise InputError(
                f"failed to load attestation file: references may only appear once in a memory source: {path}",
                source=path,
            )
        seen.add(path)
        collections.append(SourceCollection.load(jsonio.read_bytes(path), path, version=version))

    constraints = PolicySignerConstraints(
        common_name=policy_commonname,
        dns_names=tuple(policy_dns_names),
        emails=tuple(policy_emails),
        organizations=tuple(policy_organizations),
        uris=tuple(policy_uris),
    )
    options = VerifyOptions(
        version=version,
        policy_verifiers=verifiers,
        policy_roots=roots,
        policy_intermediates=intermediates,
        policy_timestamp_authorities=tsas,
        policy_constraints=constraints,  # the CLI always passes them (`*` by default)
        allow_unsigned_policy=allow_unsigned_policy,
    )
    try:
        return verify(envelope, collections, digests, options)
    except RegoEngineLimitError as exc:  # no verdict: a module the engine cannot parse (exit 2)
        raise exc.at(source=policy) from None
