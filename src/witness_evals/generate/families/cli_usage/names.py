"""File names and locations people give witness: keys, attestation files, policies, certificates, TSAs.

Wide on purpose (flat files, `keys/` and `secrets/` folders, absolute mounts, per-step and per-project
names, several extensions), so that no default name becomes part of the skill.
"""

from __future__ import annotations

import random

from witness_evals.generate.phrasing import pick

KEYS = (
    "key.pem",
    "testkey.pem",
    "keys/build.pem",
    "keys/{step}.pem",
    "keys/{step}-ed25519.pem",
    "{project}-key.pem",
    "ci-signing.pem",
    "witness-key.pem",
    "signing/ecdsa-p256.pem",
    "signing/rsa-3072.key",
    ".keys/attestor.pem",
    "/secrets/witness/signing-key.pem",
    "/run/secrets/witness_key",
    "/etc/witness/{project}.pem",
    "certs/{org}-build.key",
    "build-signer.key",
)
OUTFILES = (
    "{step}.attestation.json",
    "{step}.att.json",
    "{step}.json",
    "{step}-attestation.json",
    "attestations/{step}.json",
    "out/{project}-{step}.att.json",
    "{step}.witness.json",
    "witness/{step}.dsse.json",
    "build/attestations/{step}.json",
    ".attestations/{project}/{step}.json",
    "provenance/{step}.intoto.json",
    "{project}.{step}.attestation.json",
)
POLICIES = (
    "policy.json",
    "policy/policy.json",
    "{project}-policy.json",
    "witness-policy.json",
    "policies/release.json",
    "policies/{project}.json",
    "supply-chain/policy.json",
    "release-policy.json",
)
SIGNED = (
    "policy-signed.json",
    "policy.signed.json",
    "{project}-policy.signed.json",
    "signed/policy.json",
    "policies/release.signed.json",
    "dist/policy.dsse.json",
    "policy-{project}-signed.json",
)
POLICY_KEYS = (
    "policy-key.pem",
    "keys/policy.pem",
    "policykey.pem",
    "/secrets/policy-signing.pem",
    "keys/{org}-policy-ed25519.pem",
    "security/policy-signer.key",
)
POLICY_PUBS = (
    "policy-pub.pem",
    "keys/policy.pub.pem",
    "policypublic.pem",
    "pub.pem",
    "policy_pub.pem",
    "keys/{org}-policy.pub",
    "security/policy-signer.pub",
    "testpub.pem",
)
TSAS = (
    "https://freetsa.org/tsr",
    "http://timestamp.digicert.com",
    "https://timestamp.sigstore.dev/api/v1/timestamp",
    "https://tsa.{org}.internal/tsr",
)
CERTS = (
    "certs/signer.crt",
    "signer-cert.pem",
    "keys/{step}.crt",
    "pki/{project}-build.pem",
    "certs/leaf.pem",
)
INTERMEDIATES = ("certs/intermediate.pem", "intermediate-ca.pem", "certs/issuing-ca.pem", "pki/sub-ca.pem")
ROOTS = ("root-ca.pem", "certs/root.pem", "ca/root-ca.crt", "pki/{org}-root.pem", "trust/root.crt")
WORKDIRS = ("services/{project}", "src", "app", "{project}", "packages/{project}", "apps/{project}")
PASSFILES = (
    "key-passphrase.txt",
    "/run/secrets/witness-passphrase",
    "secrets/key.pass",
    "keys/{step}.pass",
    "/etc/witness/passphrase",
)
ARCHIVISTAS = (
    "https://archivista.{org}.internal",
    "https://archivista.platform.{org}.io",
    "http://archivista.ci.svc:8082",
)
FULCIOS = ("https://fulcio.sigstore.dev", "https://fulcio.{org}.internal")
SENSITIVE = (
    "DOCKER_AUTH_CONFIG",
    "*_CREDENTIALS",
    "*_PRIVATE_KEY",
    "KUBE_CONFIG",
    "SIGNING_KEY",
    "REGISTRY_AUTH",
)
"""Keys a request asks `--env-add-sensitive-key` for, saying they are not on witness's list: none is matched by
go-witness v0.12.0's default list (environment/sensitive_env_vars.go: globs `*TOKEN*`, `*SECRET*`,
`*API_KEY*`, `*PASSWORD*`, `*JWT*`, `*sshKey*`, `*passphrase*` plus explicit names; obfuscate.go matches them
with gobwas globs), unlike `NPM_TOKEN`, `SONAR_TOKEN`, `ARTIFACTORY_API_KEY`, `*_PASSWORD`, `*_SECRET`."""


def fill(
    rng: random.Random, options: tuple[str, ...], *, step: str = "", project: str = "", org: str = ""
) -> str:
    """One of `options` with `{step}`, `{project}` and `{org}` filled in."""
    return pick(rng, options).format(step=step, project=project, org=org)


_PROJECT_FILES = frozenset({"package.json", "composer.json", "tsconfig.json", "manifest.json", "lint.json"})


def outfile(rng: random.Random, *, step: str, project: str, org: str) -> str:
    """An attestation file name that never overwrites a project file (a `package` step's `package.json`)."""
    out = fill(rng, OUTFILES, step=step, project=project, org=org)
    if out.rsplit("/", 1)[-1] in _PROJECT_FILES:
        out = f"{step}.att.json"
    return out
