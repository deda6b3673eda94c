"""Builders of the generated suite: each turns a seeded RNG into one `Task`.

A builder module exposes `BUILDER = Builder(name, kind, count, build)`; `build(rng, task_id)` must use
only `rng` so a task depends on its id alone. Prompt wording and parameter values are the bench's
own (disjoint from the training generator's templates), checked by `witness-evals bench decontaminate`.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass

from witness_evals.bench.task import Task


@dataclass(frozen=True)
class Builder:
    name: str
    kind: str
    count: int
    """How many tasks of this builder the generated suite holds."""
    build: Callable[[random.Random, str], Task]


MODULES: tuple[str, ...] = ("rego_fields", "cli_intents", "facts", "pipelines", "failures")
"""Builder modules under this package, in suite order."""


def all_builders() -> list[Builder]:
    return [importlib.import_module(f"{__name__}.{m}").BUILDER for m in MODULES]
