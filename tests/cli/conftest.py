"""Fixtures of the CLI tests (plain helpers live in cli_helpers.py)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_helpers import Result, World, build_world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("bad-input"))


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run `witness-evals <args>` in-process through the real `main()` (its error path included)."""
    from witness_evals import cli as cli_module

    def run(*args: str | Path) -> Result:
        monkeypatch.setattr(sys, "argv", ["witness-evals", *map(str, args)])
        capsys.readouterr()
        start = time.monotonic()
        code = 0
        try:
            cli_module.main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        seconds = time.monotonic() - start
        out, err = capsys.readouterr()
        return Result(code, out, err, seconds)

    return run
