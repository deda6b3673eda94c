"""jwt: verified JWT claims (go-witness attestation/jwt); embedded by github, gitlab and gcp-iit."""

from __future__ import annotations

import base64
import random
from typing import Any

from witness_evals.common.errors import InputError
from witness_evals.witness.attestors.base import AttestorSpec
from witness_evals.witness.attestors.gotypes import OBJ, STR, CustomT, F, S, _json_kind
from witness_evals.witness.attestors.scenario import Scenario, hex_id

TYPE = "https://witness.dev/attestations/jwt/v0.1"
KEY_TYPES = ("RSA", "EC", "OKP", "oct")


def _check_jwk(value: Any, path: str) -> None:
    """go-jose JSONWebKey.UnmarshalJSON: an RFC 7517 object with a known `kty`."""
    if not isinstance(value, dict):
        raise InputError(
            f"json: cannot unmarshal {_json_kind(value)} into Go value of type jose.rawJSONWebKey",
            location=path,
        )
    kty = value.get("kty", "")
    if kty not in KEY_TYPES:
        raise InputError(f"go-jose/go-jose: unknown json web key type '{kty}'", location=path)


JWK = CustomT("jose.JSONWebKey", _check_jwk)
VERIFICATION_INFO = S("jwt.VerificationInfo", F("jwksUrl", STR), F("jwk", JWK))
SHAPE = S("jwt.Attestor", F("claims", OBJ), F("verifiedBy", VERIFICATION_INFO, True))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rsa_jwk(rng: random.Random) -> dict[str, Any]:
    """A JWK as go-jose marshals an RSA public key (random 2048-bit modulus with the top bit set)."""
    n = rng.getrandbits(2048) | (1 << 2047) | 1
    return {
        "use": "sig",
        "kty": "RSA",
        "kid": hex_id(rng, 40),
        "alg": "RS256",
        "n": _b64url(n.to_bytes(256, "big")),
        "e": "AQAB",
    }


def github_claims(rng: random.Random, s: Scenario) -> dict[str, Any]:
    """Claims of a GitHub Actions OIDC token for the scenario's run."""
    iat = int(s.start_time.timestamp()) - rng.randint(5, 120)
    ref = f"refs/heads/{s.branch}"
    wf = f"{s.repo_slug}/.github/workflows/build.yml@{ref}"
    return {
        "actor": s.author_email.split("@")[0],
        "actor_id": str(rng.randint(10**5, 10**8)),
        "aud": "witness",
        "base_ref": "",
        "event_name": rng.choice(("push", "workflow_dispatch", "pull_request")),
        "exp": iat + 300,
        "head_ref": "",
        "iat": iat,
        "iss": "https://token.actions.githubusercontent.com",
        "job_workflow_ref": wf,
        "job_workflow_sha": s.commit,
        "jti": f"{hex_id(rng, 8)}-{hex_id(rng, 4)}-{hex_id(rng, 4)}-{hex_id(rng, 4)}-{hex_id(rng, 12)}",
        "nbf": iat - 20,
        "ref": ref,
        "ref_protected": "true" if s.branch in ("main", "master") else "false",
        "ref_type": "branch",
        "repository": s.repo_slug,
        "repository_id": str(rng.randint(10**7, 10**9)),
        "repository_owner": s.org,
        "repository_owner_id": str(rng.randint(10**6, 10**8)),
        "repository_visibility": rng.choice(("private", "public", "internal")),
        "run_attempt": "1",
        "run_id": s.ci_run_id,
        "run_number": str(int(s.ci_run_id) % 3000),
        "runner_environment": "github-hosted",
        "sha": s.commit,
        "sub": f"repo:{s.repo_slug}:ref:{ref}",
        "workflow": "build",
        "workflow_ref": wf,
        "workflow_sha": s.commit,
    }


def gitlab_claims(rng: random.Random, s: Scenario) -> dict[str, Any]:
    """Claims of a GitLab CI ID token (CI_JOB_JWT_V2 style)."""
    iat = int(s.start_time.timestamp()) - rng.randint(5, 120)
    return {
        "aud": f"https://{s.ci_host}",
        "exp": iat + 3600,
        "iat": iat,
        "iss": f"https://{s.ci_host}",
        "job_id": s.ci_job_id,
        "jti": f"{hex_id(rng, 8)}-{hex_id(rng, 4)}-{hex_id(rng, 4)}-{hex_id(rng, 4)}-{hex_id(rng, 12)}",
        "namespace_id": str(rng.randint(10**6, 10**8)),
        "namespace_path": s.org,
        "nbf": iat - 5,
        "pipeline_id": s.ci_run_id,
        "pipeline_source": rng.choice(("push", "web", "schedule")),
        "project_id": str(rng.randint(10**6, 10**8)),
        "project_path": s.repo_slug,
        "ref": s.branch,
        "ref_protected": "true" if s.branch in ("main", "master") else "false",
        "ref_type": "branch",
        "runner_environment": "gitlab-hosted",
        "runner_id": rng.randint(10**5, 10**7),
        "sha": s.commit,
        "sub": f"project_path:{s.repo_slug}:ref_type:branch:ref:{s.branch}",
        "user_email": s.author_email,
        "user_id": str(rng.randint(10**5, 10**7)),
        "user_login": s.author_email.split("@")[0],
    }


def make(claims: dict[str, Any], jwks_url: str, rng: random.Random) -> dict[str, Any]:
    return {"claims": claims, "verifiedBy": {"jwksUrl": jwks_url, "jwk": rsa_jwk(rng)}}


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    if s.ci == "gitlab":
        return make(gitlab_claims(rng, s), f"https://{s.ci_host}/oauth/discovery/keys", rng)
    return make(github_claims(rng, s), "https://token.actions.githubusercontent.com/.well-known/jwks", rng)


SPEC = AttestorSpec(
    name="jwt", type=TYPE, run_type="prematerial", selection="opt-in", builder=build, shape=SHAPE
)
