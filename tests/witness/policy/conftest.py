"""Fixtures of the policy tests (plain helpers live in policy_helpers.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from policy_helpers import real_policy


@pytest.fixture
def policy_obj() -> dict[str, Any]:
    """A deep copy of witness's own test/policy.json."""
    return copy.deepcopy(real_policy())
