"""environment: OS, host, user and (obfuscated) environment variables (go-witness attestation/environment)."""

from __future__ import annotations

import fnmatch
import functools
import random
from typing import Any

from witness_evals.witness.attestors.base import AttestorSpec
from witness_evals.witness.attestors.gotypes import STR, STRMAP, F, S
from witness_evals.witness.attestors.scenario import Scenario

TYPE = "https://witness.dev/attestations/environment/v0.1"
OBFUSCATED = "******"

SENSITIVE_GLOBS = ("*TOKEN*", "*SECRET*", "*API_KEY*", "*PASSWORD*", "*JWT*", "*sshKey*", "*passphrase*")
"""Glob part of the default sensitive list (REFERENCE.md §1.4, go-witness HEAD; gobwas globs are case-sensitive)."""
SENSITIVE_KEYS = frozenset(
    {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AMAZON_AWS_ACCESS_KEY_ID",
        "AMAZON_AWS_SECRET_ACCESS_KEY",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_USERNAME",
        "AZURE_PASSWORD",
        "MSI_ENDPOINT",
        "MSI_SECRET",
        "CF_PASSWORD",
        "CF_USERNAME",
        "DOCKER_EMAIL",
        "DOCKER_PASSWORD",
        "DOCKER_USERNAME",
        "DOCKERHUB_PASSWORD",
        "FACEBOOK_APP_ID",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "GOOGLE_API_KEY",
        "CI_DEPLOY_USER",
        "CI_DEPLOY_PASSWORD",
        "GITLAB_USER_LOGIN",
        "CI_JOB_JWT",
        "CI_JOB_JWT_V2",
        "CI_JOB_TOKEN",
        "HEROKU_API_USER",
        "OKTA_CLIENT_ORGURL",
        "OS_USERNAME",
        "OS_PASSWORD",
        "SAUCE_ACCESS_KEY",
        "SAUCE_USERNAME",
        "STRIPE_DEVICE_NAME",
        "SURGE_LOGIN",
        "TWILIO_ACCOUNT_SID",
        "CONSUMER_KEY",
        "CONSUMER_SECRET",
        "TRAVIS_SUDO",
        "TRAVIS_OS_NAME",
        "TRAVIS_SECURE_ENV_VARS",
        "VAULT_CLIENT_KEY",
        "TOKEN",
        "VULTR_ACCESS",
        "VULTR_SECRET",
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    }
)
"""Part of go-witness's explicit default list (environment/sensitive_env_vars.go)."""

SHAPE = S(
    "environment.Attestor", F("os", STR), F("hostname", STR), F("username", STR), F("variables", STRMAP, True)
)


@functools.lru_cache(maxsize=8192)
def is_sensitive(key: str) -> bool:
    """Whether the default sensitive list matches the variable name."""
    return key in SENSITIVE_KEYS or any(fnmatch.fnmatchcase(key, g) for g in SENSITIVE_GLOBS)


def obfuscate(env: dict[str, str], *, filter_sensitive: bool = False) -> dict[str, str]:
    """Default mode replaces sensitive values by `******`; `--env-filter-sensitive-vars` drops them."""
    out: dict[str, str] = {}
    for k, v in env.items():
        if is_sensitive(k):
            if not filter_sensitive:
                out[k] = OBFUSCATED
        else:
            out[k] = v
    return out


def build(rng: random.Random, s: Scenario) -> dict[str, Any]:
    variables = obfuscate(s.env, filter_sensitive=rng.random() < 0.2)
    return {
        "os": s.os,
        "hostname": s.hostname,
        "username": s.username,
        "variables": {k: variables[k] for k in sorted(variables)},
    }


SPEC = AttestorSpec(
    name="environment", type=TYPE, run_type="prematerial", selection="default", builder=build, shape=SHAPE
)
