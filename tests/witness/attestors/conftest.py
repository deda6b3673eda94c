"""Shared helpers for the attestor tests."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture(scope="session")
def spdx_statement() -> dict[str, Any]:
    """The decoded statement of witness:test/spdx-att.json (a real CLI-produced collection)."""
    env = json.loads((FIXTURES / "witness-test" / "spdx-att.json").read_text())
    statement: dict[str, Any] = json.loads(base64.b64decode(env["payload"]))
    return statement
