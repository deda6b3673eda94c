"""Silencing file descriptor 2 around the in-process Rego engine, which prints parser warnings there."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence fd 2 while the generator's or the bench's OWN Rego is compiled in-process (regorus prints
    warnings such as "`if` will be treated as identifier" there); a no-op where fd 2 cannot be duplicated."""
    try:
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        yield
        return
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


__all__ = ["quiet_stderr"]
