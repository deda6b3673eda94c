"""Make verified examples: seeded per index, checked by their family, in parallel, resumable.

Example `i` of a run depends only on (seed, i) and the witness release: its family is drawn from the
mix with an RNG derived from both, and the family's `make` gets another plus the release profile
(`--witness-version`, default 0.12). So the output is identical whatever the number of workers. Every
example's check records the release it was verified under (`check["witness_version"]`). Every example is scored by its own family before it is kept; one whose
reference answer fails its check is rejected and counted (a generator bug, reported in stats).

Work is cut into chunks of `CHUNK` indices; each finished chunk is written atomically under
`<out>/.parts/`, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import math
import multiprocessing as mp
import random
import sys
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.common.errors import InputError
from witness_evals.common.jsonio import write_atomic
from witness_evals.generate import families
from witness_evals.generate.example import Example
from witness_evals.witness import versions

CHUNK = 128
FORMAT_VERSION = 1
GC_THRESHOLD = (700, 10, 1000)
"""Collector thresholds while examples are made (Python's default: 700, 10, 10). The per-process caches
(keys, worlds, compiled policies) hold hundreds of thousands of long-lived objects: at the default, the
full collections that rescan them take about a tenth of the time; here they come after 1000 instead of
10 middle-generation collections. Nothing made depends on when the collector runs."""


def derived_rng(seed: int, *parts: object) -> random.Random:
    """An RNG that depends only on `seed` and `parts` (stable across processes and Python runs)."""
    text = ":".join(str(p) for p in (FORMAT_VERSION, seed, *parts))
    return random.Random(int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big"))


def normalize_mix(mix: Mapping[str, float]) -> list[tuple[str, float]]:
    """Validated (family, cumulative weight) pairs in registry order."""
    unknown = sorted(set(mix) - set(families.NAMES))
    if unknown:
        raise InputError(f"unknown family {unknown[0]!r} (known: {', '.join(families.NAMES)})", source="mix")
    weights = [(name, float(mix.get(name, 0.0))) for name in families.NAMES]
    total = sum(w for _, w in weights)
    if any(not math.isfinite(w) or w < 0 for _, w in weights) or not (0 < total < math.inf):
        raise InputError("family weights must be finite numbers >= 0 with a positive sum", source="mix")
    out: list[tuple[str, float]] = []
    acc = 0.0
    for name, w in weights:
        if w > 0:
            acc += w / total
            out.append((name, acc))
    return out


def family_for(seed: int, index: int, cumulative: list[tuple[str, float]]) -> str:
    u = derived_rng(seed, "family", index).random()
    for name, edge in cumulative:
        if u < edge:
            return name
    return cumulative[-1][0]


@dataclass(frozen=True)
class Made:
    """Outcome for one index: an example, or why it was rejected."""

    index: int
    family: str
    example: Example | None
    rejected: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "family": self.family,
            "example": _fields_of(self.example) if self.example else None,
            "rejected": self.rejected,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Made:
        ex = obj["example"]
        return cls(obj["index"], obj["family"], Example(**ex) if ex else None, obj["rejected"])


def _fields_of(example: Example) -> dict[str, Any]:
    """`dataclasses.asdict(example)` without its deep copy (an Example holds only JSON values, and the
    dict is serialized at once)."""
    return {f.name: getattr(example, f.name) for f in fields(example)}


_CTX: ScoreContext | None = None


def _context() -> ScoreContext:
    global _CTX
    if _CTX is None:
        _CTX = ScoreContext()
    return _CTX


def make_one(seed: int, index: int, family_name: str, witness_version: str = versions.DEFAULT) -> Made:
    """Make example `index` with its family for the witness release `witness_version`, recording the
    release in its check; keep it only if its reference answer passes that check."""
    family = families.get(family_name)
    version = versions.get(witness_version)
    try:
        ex = family.make(derived_rng(seed, "example", index), version)
        ex = replace(ex, check={**ex.check, "witness_version": version.name})
        json.dumps(ex.check)  # the hidden test must be storable
        score = family.score(ex.answer, ex.check, _context())
    except Exception as exc:  # a family bug must not kill a long run: record it, keep going
        last = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(last.filename).name}:{last.lineno}"
        return Made(index, family_name, None, f"{type(exc).__name__} at {where}: {exc}"[:300])
    if not score.ok:
        return Made(index, family_name, None, f"reference answer failed its check: {score.reason}"[:300])
    return Made(index, family_name, ex)


def make_chunk(
    args: tuple[int, int, int, list[tuple[str, float]], str] | tuple[int, int, int, list[tuple[str, float]]],
) -> list[Made]:
    """Examples `start`..`stop` of a run: (seed, start, stop, cumulative mix[, witness release])."""
    seed, start, stop, cumulative = args[:4]
    witness_version = str(args[4]) if len(args) > 4 else versions.DEFAULT
    return [make_one(seed, i, family_for(seed, i, cumulative), witness_version) for i in range(start, stop)]


def close_context() -> None:
    """Stop this process's scoring context (its Rego sandbox workers), if one was started."""
    global _CTX
    if _CTX is not None:
        _CTX.close()
        _CTX = None


def pool_context() -> Any:
    """Workers are forked on Linux (they share the parent's imported modules instead of importing
    everything again); elsewhere, and where fork is unavailable, they are spawned."""
    if sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods():
        return mp.get_context("fork")
    return mp.get_context("spawn")


@contextlib.contextmanager
def _gc_tuned() -> Iterator[None]:
    """`GC_THRESHOLD` while the block runs, then the thresholds from before."""
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _worker_init() -> None:
    import atexit

    global _CTX
    _CTX = None  # a forked worker starts its own scoring context, never the parent's sandbox
    gc.freeze()  # what it inherited (modules...) is never scanned, nor copied on write, by the collector
    gc.set_threshold(*GC_THRESHOLD)
    atexit.register(close_context)


class PartStore:
    """Finished chunks as JSONL files under `<out>/.parts/<run key>/` (atomic, for resuming)."""

    def __init__(self, root: Path, run_key: str) -> None:
        self.dir = root / ".parts" / run_key
        self.dir.mkdir(parents=True, exist_ok=True)

    def path(self, chunk: int) -> Path:
        return self.dir / f"chunk-{chunk:06d}.jsonl"

    def load(self, chunk: int) -> list[Made] | None:
        p = self.path(chunk)
        if not p.exists():
            return None
        try:
            return [Made.from_json(json.loads(line)) for line in p.read_text("utf-8").splitlines()]
        except (ValueError, KeyError, TypeError):
            return None  # a damaged part is simply made again

    def save(self, chunk: int, made: list[Made]) -> None:
        text = "".join(json.dumps(m.to_json(), ensure_ascii=False) + "\n" for m in made)  # key order kept
        write_atomic(self.path(chunk), text)


def run_key(seed: int, mix: list[tuple[str, float]], witness_version: str = versions.DEFAULT) -> str:
    settings: dict[str, Any] = {"v": FORMAT_VERSION, "seed": seed, "mix": mix}
    if witness_version != versions.DEFAULT:  # keeps the key of default runs as it was
        settings["witness_version"] = witness_version
    text = json.dumps(settings, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def iter_made(
    seed: int,
    mix: Mapping[str, float],
    *,
    workers: int = 1,
    store: PartStore | None = None,
    on_chunk: Callable[[list[Made]], None] | None = None,
    witness_version: str = versions.DEFAULT,
) -> Iterator[Made]:
    """Examples for indices 0, 1, 2, ... in order (endless: stop consuming when you have enough)."""
    cumulative = normalize_mix(mix)
    release = versions.get(witness_version).name

    def job(c: int) -> tuple[int, int, int, list[tuple[str, float]], str]:
        return (seed, c * CHUNK, (c + 1) * CHUNK, cumulative, release)

    def finish(c: int, made: list[Made] | None, fresh: bool) -> list[Made]:
        if made is None:  # not stored, or a damaged part: make it here
            made, fresh = make_chunk(job(c)), True
        if store and fresh:
            store.save(c, made)
        if on_chunk:
            on_chunk(made)
        return made

    if workers <= 1:
        try:
            with _gc_tuned():
                c = 0
                while True:
                    stored = store.load(c) if store else None
                    yield from finish(c, stored, stored is None)
                    c += 1
        finally:
            close_context()
        return
    for name, _ in cumulative:  # imported once here: forked workers start with them
        families.get(name)
    with pool_context().Pool(workers, initializer=_worker_init) as pool, _gc_tuned():
        pending: deque[tuple[int, Any]] = deque()
        submitted = 0
        while True:
            while len(pending) < 2 * workers:  # a bounded window keeps memory flat on endless runs
                c = submitted
                submitted += 1
                on_disk = store is not None and store.path(c).exists()
                pending.append((c, None if on_disk else pool.apply_async(make_chunk, (job(c),))))
            c, result = pending.popleft()
            if result is None:
                yield from finish(c, store.load(c) if store else None, False)
            else:
                yield from finish(c, result.get(), True)
