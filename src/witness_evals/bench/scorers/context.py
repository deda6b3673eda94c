"""Shared, lazily created resources for scoring answers (one per process)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from witness_evals.witness import versions
from witness_evals.witness.rego.sandbox import RegoSandbox
from witness_evals.witness.versions import WitnessVersion

REGO_MEMO = 4096
"""Replies the sandbox keeps for repeated Rego jobs: scoring checks the same modules and inputs again
and again (paraphrases of one task, worlds that share steps)."""
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
"""The fixed 'now' of every generated scenario and check (keeps output independent of the clock)."""


def version_of(check: Any, override: str | WitnessVersion | None = None) -> WitnessVersion:
    """The witness release to score `check` under: `override` if given, else the release the check
    records (`"witness_version"`, written by the generator), else the latest release."""
    if override is not None:
        return versions.get(override)
    recorded = check.get("witness_version") if isinstance(check, dict) else None
    return versions.get(recorded if isinstance(recorded, str) else None)


class ScoreContext:
    """Holds the Rego sandbox (started on first use), the fixed clock and the witness release; close() when done."""

    def __init__(
        self,
        *,
        rego_workers: int = 1,
        rego_timeout: float = 2.0,
        witness_version: str | WitnessVersion | None = None,
    ) -> None:
        self._rego: RegoSandbox | None = None
        self._workers = rego_workers
        self._timeout = rego_timeout
        self.now = NOW
        self.witness_version = None if witness_version is None else versions.get(witness_version)
        """The witness release every answer is scored under (witness-bench `--witness-version`); None:
        each check's own recorded release, else the latest (`version(check)`)."""

    def version(self, check: Any) -> WitnessVersion:
        """The release to score `check` under."""
        return version_of(check, self.witness_version)

    @property
    def rego(self) -> RegoSandbox:
        if self._rego is None:
            self._rego = RegoSandbox(workers=self._workers, timeout=self._timeout, memo_size=REGO_MEMO)
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
