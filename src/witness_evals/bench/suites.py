"""Suites of tasks: the hand-written tasks shipped as YAML, the generated ones, and fixed subsets.

`default` = hand-written + generated; `hand`; `generated`; `quick` = a fixed stratified 100 for CPU
runs. A suite has a version and a fingerprint (sha256 of its tasks): a run directory records both, and
resuming a run made with another suite is refused.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from witness_evals.bench.builders import all_builders
from witness_evals.bench.scorers import ScoreContext, score
from witness_evals.bench.task import Task, seeded, task_from_mapping
from witness_evals.common.errors import InputError

SUITE_VERSION = "18"
SUITES: tuple[str, ...] = ("default", "hand", "generated", "quick")
QUICK_SIZE = 100
MAX_SUITE_BYTES = 20_000_000


def _load_yaml(text: str, source: str) -> list[Task]:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        raise InputError(
            f"invalid YAML: {' '.join(str(exc).split())[:200]}", source=source, location=where
        ) from None
    if not isinstance(raw, list):
        raise InputError("a task file is a YAML list of tasks", source=source)
    tasks = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise InputError("each task is a mapping", source=source, location=f"task {i + 1}")
        where = f"task {i + 1} ({item.get('id', '?')})"
        try:
            tasks.append(task_from_mapping(item))
        except InputError as exc:
            raise exc.at(source, where) from None
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"malformed task: {exc}", source=source, location=where) from None
    return tasks


@functools.lru_cache(maxsize=1)
def hand_tasks() -> tuple[Task, ...]:
    """Every hand-written task shipped in the package (`bench/tasks/hand/*.yaml`), in file order."""
    root = resources.files("witness_evals.bench") / "tasks" / "hand"
    tasks: list[Task] = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yaml", ".yml")):
            tasks += _load_yaml(entry.read_text(encoding="utf-8"), f"bench/tasks/hand/{entry.name}")
    _check_unique(tasks, "hand-written suite")
    return tuple(tasks)


@functools.lru_cache(maxsize=1)
def generated_tasks() -> tuple[Task, ...]:
    """The generated suite: every builder's tasks, each a function of its id only."""
    tasks: list[Task] = []
    for b in all_builders():
        for i in range(b.count):
            tid = f"gen/{b.name}/{i:04d}"
            tasks.append(b.build(seeded(tid), tid))
    _check_unique(tasks, "generated suite")
    return tuple(tasks)


def _check_unique(tasks: Sequence[Task], what: str) -> None:
    seen: set[str] = set()
    for t in tasks:
        if t.id in seen:
            raise InputError(f"duplicate task id {t.id!r} in the {what}")
        seen.add(t.id)


def quick_subset(tasks: Sequence[Task], n: int = QUICK_SIZE) -> list[Task]:
    """A fixed stratified subset: every (kind, source) stratum gets its share (at least one), chosen by a
    hash of the task id, so the subset only changes when the suite does."""
    strata: dict[tuple[str, str], list[Task]] = defaultdict(list)
    for t in tasks:
        strata[(t.kind, t.source)].append(t)
    for members in strata.values():
        members.sort(key=lambda t: hashlib.sha256(t.id.encode()).hexdigest())
    total = len(tasks)
    share = {k: max(1, round(n * len(v) / total)) for k, v in strata.items()} if total else {}
    while sum(share.values()) > n:
        biggest = max(share, key=lambda k: (share[k], k))
        share[biggest] -= 1
    chosen = {t.id for k, v in strata.items() for t in v[: share[k]]}
    return [t for t in tasks if t.id in chosen]


def load_suite(name: str) -> list[Task]:
    """Tasks of a named suite, or of a YAML task file given by path."""
    if name == "hand":
        return list(hand_tasks())
    if name == "generated":
        return list(generated_tasks())
    if name == "default":
        return list(hand_tasks()) + list(generated_tasks())
    if name == "quick":
        return quick_subset(list(hand_tasks()) + list(generated_tasks()))
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.exists():
        if path.stat().st_size > MAX_SUITE_BYTES:
            raise InputError("task file too large", source=str(path))
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read: {exc}", source=str(path)) from None
        return _load_yaml(text, str(path))
    raise InputError(f"unknown suite {name!r} (choose one of {', '.join(SUITES)} or a .yaml task file)")


def fingerprint(tasks: Sequence[Task]) -> str:
    """sha256 of the tasks' JSON: what the model sees and what is checked."""
    h = hashlib.sha256()
    for t in tasks:
        h.update(json.dumps(t.to_json(), sort_keys=True, separators=(",", ":")).encode())
    return h.hexdigest()


def validate(tasks: Sequence[Task], ctx: ScoreContext) -> list[dict[str, Any]]:
    """Problems of the tasks themselves: a reference answer that fails or a planted error that passes."""
    problems = []
    for t in tasks:
        ref = score(t.check, t.reference, ctx)
        if not ref.passed:
            problems.append(
                {"task": t.id, "answer": "reference", "outcome": ref.outcome, "reason": ref.reason}
            )
        bad = score(t.check, t.planted, ctx)
        if bad.passed:
            problems.append({"task": t.id, "answer": "planted", "outcome": bad.outcome, "reason": bad.reason})
    return problems
