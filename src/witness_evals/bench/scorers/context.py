"""Shared, lazily created resources for scoring answers (one per process)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from witness_evals.witness.rego.sandbox import RegoSandbox

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
"""The fixed 'now' of every generated scenario and check (keeps output independent of the clock)."""


class ScoreContext:
    """Holds the Rego sandbox (started on first use), the fixed clock and the verify behaviour; close() when done."""

    def __init__(
        self, *, rego_workers: int = 1, rego_timeout: float = 2.0, verify_mode: str = "head"
    ) -> None:
        self._rego: RegoSandbox | None = None
        self._workers = rego_workers
        self._timeout = rego_timeout
        self.now = NOW
        self.verify_mode = verify_mode
        """The `witness verify` behaviour policies are scored under ("head" = witness v0.12.0, the latest)."""

    @property
    def rego(self) -> RegoSandbox:
        if self._rego is None:
            self._rego = RegoSandbox(workers=self._workers, timeout=self._timeout)
            self._rego.start()
        return self._rego

    def close(self) -> None:
        if self._rego is not None:
            self._rego.close()
            self._rego = None

    def __enter__(self) -> ScoreContext:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
