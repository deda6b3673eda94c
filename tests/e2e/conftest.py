"""Fixtures of the end-to-end tests."""

from __future__ import annotations

import pytest
from e2e_world import E2E, make_e2e


@pytest.fixture(scope="session")
def e2e() -> E2E:
    return make_e2e()
