"""`witness-evals verify`: `witness verify` on files, modelled by `witness_evals.witness.verify`.

Exit codes: 0 PASS, 1 FAIL (reasons printed one per line), 2 bad input (a file that cannot be read
or parsed, or a flag-group error; one line naming the file and the place) or a Rego module nested
too deeply for the engine (no verdict: witness-evals cannot tell what witness would answer).
`--witness-version` picks the release modelled (`0.12` default, `0.11`, `0.10`; `versions.py`).
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer


def verify_cmd(
    policy: Annotated[str | None, typer.Option("--policy", "-p", help="Path to the policy to verify")] = None,
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
        typer.Option("--policy-ca-roots", help="Paths to CA root certificates for an x.509-signed policy"),
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
        typer.Option("--policy-dns-names", help="DNS names an x.509 policy signer must have (default: *)"),
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
    from witness_evals.witness.cli.values import split_strings
    from witness_evals.witness.verify_command import run_verify

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


def register(app: typer.Typer, check_app: typer.Typer) -> None:
    """Add this area's commands to the CLI."""
    app.command("verify")(verify_cmd)
