"""Shared fixtures of the generator tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from witness_evals.bench.scorers.context import ScoreContext


@pytest.fixture(scope="module")
def ctx() -> Iterator[ScoreContext]:
    """One scoring context (its Rego sandbox) per test module, closed afterwards."""
    with ScoreContext() as c:
        yield c
