"""The installed witness-evals version, as the CLI prints it and exports record it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_version() -> str:
    """The installed distribution's version (package metadata), `unknown` when not installed."""
    try:
        return version("witness-evals")
    except PackageNotFoundError:
        return "unknown"
