"""Shared helpers for the policy tests: real fixture paths and small policy builders."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "witness-test"
POLICY_JSON = FIXTURES / "policy.json"
SBOM_POLICY_JSON = FIXTURES / "spdx-sbom-policy.json"
ED25519_KEYID = "ae2dcc989ea9c109a36e8eba5c4bc16d8fafcfe8e1a614164670d50aedacd647"
RSA_KEYID = "5e8c57df8ae58fe9a29b29f9993e2fc3b25bd75eb2754f353880bad4b9ebfdb3"

PORTABLE_REGO = """package commandrun.exitcode

import rego.v1

deny contains msg if {
	input.exitcode != 0
	msg := "exitcode not 0"
}
"""


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def real_policy() -> dict[str, Any]:
    return json.loads(POLICY_JSON.read_text())


def good_policy() -> dict[str, Any]:
    """A policy valid for every check (portable Rego, known types, embedded ed25519 key)."""
    pub = (FIXTURES / "testpub.pem").read_bytes()
    return {
        "expires": "2035-12-17T23:57:40-05:00",
        "steps": {
            "build": {
                "name": "build",
                "attestations": [
                    {"type": "https://witness.dev/attestations/material/v0.1", "regopolicies": []},
                    {
                        "type": "https://witness.dev/attestations/command-run/v0.1",
                        "regopolicies": [{"name": "exit code", "module": b64(PORTABLE_REGO)}],
                    },
                    {"type": "https://witness.dev/attestations/product/v0.1", "regopolicies": []},
                ],
                "functionaries": [{"type": "publickey", "publickeyid": ED25519_KEYID}],
            }
        },
        "publickeys": {ED25519_KEYID: {"keyid": ED25519_KEYID, "key": b64(pub)}},
    }
