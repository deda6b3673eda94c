"""Whether mlx and mlx-lm can be used here (imported by the config checks and the mlx backend)."""

from __future__ import annotations


def mlx_available() -> tuple[bool, str]:
    """(True, version) when mlx and mlx-lm import, else (False, why)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        import mlx.core  # noqa: F401
        import mlx_lm  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        return False, f"mlx/mlx-lm not importable ({exc}); pip install 'witness-evals[mlx]'"
    try:
        return True, f"mlx {version('mlx')}, mlx-lm {version('mlx-lm')}"
    except PackageNotFoundError:  # pragma: no cover
        return True, "mlx (version unknown)"
