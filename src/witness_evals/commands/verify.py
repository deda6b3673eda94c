"""`witness-evals verify`: `witness verify` on files, modelled by `witness_evals.witness.verify`.

Exit codes: 0 PASS, 1 FAIL (reasons printed one per line), 2 bad input (a file that cannot be read
or parsed, or a flag-group error; one line naming the file and the place) or a Rego module nested
too deeply for the engine (no verdict: witness-evals cannot tell what witness would answer).
`--witness-version` picks the release modelled (`0.12` default, `0.11`, `0.10`; `versions.py`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from witness_evals.witness.errors import InputError

_KEY_GROUP = "at least one of the flags in the group [publickey policy-ca policy-ca-roots policy-ca-intermediates verifier-kms-ref] is required"
_SUBJECT_GROUP = "at least one of the flags in the group [artifactfile subjects] is required"
_NO_ATTESTATIONS = "must either specify attestation file paths or enable archivista as an attestation source"


def split_strings(values: list[str] | None) -> list[str]:
    """pflag `strings` semantics: each occurrence is comma separated (CSV), occurrences accumulate."""
    from witness_evals.witness.cli_spec_values import split_csv

    out: list[str] = []
    for value in values or []:
        row = split_csv(value)
        if row is None:
            raise InputError(f"invalid argument {value!r}: not a valid comma-separated list")
        out.extend(row)
    return out


def _file_sha256(path: str) -> str:
    import hashlib

    p = Path(path)
    try:
        if p.is_dir():
            raise InputError("is a directory", source=path)
        h = hashlib.sha256()
        with p.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    except FileNotFoundError:
        raise InputError("no such file", source=path) from None
    except PermissionError:
        raise InputError("permission denied", source=path) from None
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), source=path) from None


def directory_digest(path: str) -> str:
    """go-witness `CalculateDigestSetFromDir` (dirHash over every regular file, `/`-separated paths)."""
    from witness_evals.witness.digests import dir_hash_of_digests

    root = Path(path)
    if not root.is_dir():
        raise InputError("not a directory", source=path)
    digests: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in filenames:
            full = Path(dirpath) / name
            if not full.is_file() or full.is_symlink():
                continue
            digests[full.relative_to(root).as_posix()] = _file_sha256(str(full))
    return dir_hash_of_digests(digests)


def load_policy_envelope(path: str, *, allow_unsigned: bool) -> Any:
    """Read `-p` like witness's LoadPolicy: a DSSE envelope; a bare policy decodes to one without signatures.

    With `allow_unsigned`, a bare policy JSON becomes the payload of an unsigned envelope.
    """
    from witness_evals.witness import dsse, jsonio
    from witness_evals.witness.policy import MAX_POLICY_BYTES, POLICY_PAYLOAD_TYPE

    data = jsonio.read_bytes(path, max_bytes=MAX_POLICY_BYTES)
    obj = jsonio.loads(data, source=path)
    if isinstance(obj, dict):
        keys = {k.casefold() for k in obj}
        if not keys & {"payload", "payloadtype", "signatures"}:  # a bare policy
            if allow_unsigned:
                return dsse.Envelope(data, POLICY_PAYLOAD_TYPE, ())
            return dsse.Envelope(b"", "", ())
    return dsse.Envelope.from_json(obj, source=path)


def _cert(path: str) -> Any:
    from witness_evals.witness import jsonio
    from witness_evals.witness.x509 import load_certificate

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
    from witness_evals.witness import jsonio, versions
    from witness_evals.witness.crypto import Verifier
    from witness_evals.witness.rego.outcome import RegoEngineLimitError
    from witness_evals.witness.verify import PolicySignerConstraints, SourceCollection, VerifyOptions, verify

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
    roots = [_cert(p) for p in policy_ca_roots]
    intermediates = [_cert(p) for p in policy_ca_intermediates]
    if version.policy_ca_intermediates_replace_roots and intermediates:
        # witness v0.10.x cmd/verify.go:146 `policyRoots = append(policyIntermediates, cert)`: the last
        # intermediate becomes the only root and no intermediates are passed on
        roots, intermediates = [intermediates[-1]], []
    tsas = [_cert(p) for p in policy_timestamp_servers]
    envelope = load_policy_envelope(policy, allow_unsigned=allow_unsigned_policy)

    digests: list[str] = []
    if directory_path:
        digests.append(directory_digest(directory_path))
    if artifactfile:
        digests.append(_file_sha256(artifactfile))
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


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""

    @app.command("verify")
    def verify_cmd(
        policy: Annotated[
            str | None, typer.Option("--policy", "-p", help="Path to the policy to verify")
        ] = None,
        publickey: Annotated[
            str | None, typer.Option("--publickey", "-k", help="Path to the policy signer's public key")
        ] = None,
        attestations: Annotated[
            list[str] | None,
            typer.Option("--attestations", "-a", help="Attestation files to test against the policy"),
        ] = None,
        artifactfile: Annotated[
            str | None, typer.Option("--artifactfile", "-f", help="Path to the artifact subject to verify")
        ] = None,
        subjects: Annotated[
            list[str] | None,
            typer.Option("--subjects", "-s", help="Additional subjects to lookup attestations"),
        ] = None,
        directory_path: Annotated[
            str | None, typer.Option("--directory-path", help="Path to the directory subject to verify")
        ] = None,
        policy_ca: Annotated[
            list[str] | None,
            typer.Option("--policy-ca", help="Deprecated alias of --policy-ca-roots", hidden=True),
        ] = None,
        policy_ca_roots: Annotated[
            list[str] | None,
            typer.Option(
                "--policy-ca-roots", help="Paths to CA root certificates for an x.509-signed policy"
            ),
        ] = None,
        policy_ca_intermediates: Annotated[
            list[str] | None,
            typer.Option("--policy-ca-intermediates", help="Paths to CA intermediate certificates"),
        ] = None,
        policy_timestamp_servers: Annotated[
            list[str] | None,
            typer.Option(
                "--policy-timestamp-servers",
                help="Paths to TSA CA certificates (not URLs) for the policy signature",
            ),
        ] = None,
        policy_commonname: Annotated[
            str, typer.Option("--policy-commonname", help="Common name an x.509 policy signer must have")
        ] = "*",
        policy_dns_names: Annotated[
            list[str] | None,
            typer.Option(
                "--policy-dns-names", help="DNS names an x.509 policy signer must have (default: *)"
            ),
        ] = None,
        policy_emails: Annotated[
            list[str] | None,
            typer.Option("--policy-emails", help="emails an x.509 policy signer must have (default: *)"),
        ] = None,
        policy_organizations: Annotated[
            list[str] | None,
            typer.Option(
                "--policy-organizations", help="organizations an x.509 policy signer must have (default: *)"
            ),
        ] = None,
        policy_uris: Annotated[
            list[str] | None,
            typer.Option("--policy-uris", help="URIs an x.509 policy signer must have (default: *)"),
        ] = None,
        allow_unsigned_policy: Annotated[
            bool,
            typer.Option(
                "--allow-unsigned-policy",
                help="Accept a bare (unsigned) policy; its signature is not checked",
            ),
        ] = False,
        witness_version: Annotated[
            str,
            typer.Option(
                "--witness-version",
                help="witness release to model: 0.12 (latest, go-witness v0.12.0), 0.11 or 0.10",
            ),
        ] = "0.12",
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
    ) -> None:
        """Verify attestations against a signed witness policy, like `witness verify`.

        Exit 0 = PASS, 1 = FAIL (reasons printed), 2 = bad input.
        """

        def default_star(values: list[str] | None) -> list[str]:
            got = split_strings(values)
            return got if values is not None else ["*"]

        if policy_ca:
            sys.stderr.write(
                "warning: The flag `--policy-ca` is deprecated and will be removed in a future release. "
                "Please use `--policy-ca-root` and `--policy-ca-intermediate` instead.\n"
            )
        result = run_verify(
            policy=policy,
            publickey=publickey,
            attestations=split_strings(attestations),
            artifactfile=artifactfile,
            subjects=split_strings(subjects),
            directory_path=directory_path,
            policy_ca_roots=split_strings(policy_ca) + split_strings(policy_ca_roots),
            policy_ca_intermediates=split_strings(policy_ca_intermediates),
            policy_timestamp_servers=split_strings(policy_timestamp_servers),
            policy_commonname=policy_commonname,
            policy_dns_names=default_star(policy_dns_names),
            policy_emails=default_star(policy_emails),
            policy_organizations=default_star(policy_organizations),
            policy_uris=default_star(policy_uris),
            allow_unsigned_policy=allow_unsigned_policy,
            witness_version=witness_version,
        )
        for w in result.warnings:
            sys.stderr.write(f"warning: {w}\n")
        if as_json:
            sys.stdout.write(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(result.text() + "\n")
        sys.stdout.flush()
        raise typer.Exit(0 if result.passed else 1)
