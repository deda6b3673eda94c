"""Verified examples -> a dataset directory: dedup, split by group, chat JSONL, hidden checks, stats.

Layout of `<out>/`:
- `train.jsonl`, `valid.jsonl`, `test.jsonl`: one `{"messages": [...]}` per line (OpenAI chat format);
- `train.meta.jsonl` ... : line-aligned `{"id", "family", "template", "group", "check"}` (the hidden tests);
- `stats.json`, `stats.png`, `manifest.json` (settings and sha256 of every file).
Nothing in the files depends on the clock or the number of workers: same settings, same bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from witness_evals.generate import families
from witness_evals.generate.build import (
    FORMAT_VERSION,
    Made,
    PartStore,
    derived_rng,
    iter_made,
    normalize_mix,
    run_key,
)
from witness_evals.generate.example import Example
from witness_evals.witness.errors import InputError
from witness_evals.witness.jsonio import write_atomic

SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class DatasetSpec:
    """What to generate; every field changes the output, none depends on the machine."""

    n: int = 20_000
    seed: int = 0
    mix: Mapping[str, float] = field(default_factory=lambda: dict(families.DEFAULT_MIX))
    valid: float = 0.05
    test: float = 0.05
    max_per_group: int = 3

    def check(self) -> None:
        if self.n < 1:
            raise InputError("n must be at least 1", source="generate", location="n")
        if not (0 <= self.valid < 1 and 0 <= self.test < 1 and self.valid + self.test < 1):
            raise InputError(
                "valid and test fractions must be in [0, 1) with a sum below 1", source="generate"
            )
        if self.max_per_group < 1:
            raise InputError("max_per_group must be at least 1", source="generate", location="max_per_group")
        normalize_mix(self.mix)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "n": self.n,
            "seed": self.seed,
            "mix": {k: self.mix[k] for k in sorted(self.mix) if self.mix[k] > 0},
            "valid": self.valid,
            "test": self.test,
            "max_per_group": self.max_per_group,
        }


def split_of(seed: int, group: str, valid: float, test: float) -> str:
    """The split of a group: a seeded hash, so paraphrases of one task never straddle splits."""
    u = derived_rng(seed, "split", group).random()
    return "test" if u < test else "valid" if u < test + valid else "train"


_PUNCT = re.compile(r"[^\w\s]")
_WS = re.compile(r"\s+")


def normalize_question(text: str) -> str:
    """Lower case, punctuation and repeated spaces removed: the dedup key of a question."""
    return _WS.sub(" ", _PUNCT.sub(" ", text.lower())).strip()


def example_id(seed: int, index: int, ex: Example) -> str:
    return f"{ex.family}-{seed}-{index:07d}"


def approx_tokens(text: str) -> int:
    """A tokenizer-free length estimate (≈ 3.6 characters per token for this English/code mix)."""
    return max(1, round(len(text) / 3.6))


@dataclass
class _Tally:
    kept: dict[str, list[tuple[str, Example]]] = field(default_factory=lambda: {s: [] for s in SPLITS})
    seen_questions: set[str] = field(default_factory=set)
    per_group: Counter[str] = field(default_factory=Counter)
    group_split: dict[str, str] = field(default_factory=dict)
    rejected: Counter[str] = field(default_factory=Counter)
    reject_samples: list[str] = field(default_factory=list)
    duplicates: int = 0
    group_capped: int = 0
    made: int = 0

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.kept.values())


def _accept(spec: DatasetSpec, tally: _Tally, made: Made) -> None:
    tally.made += 1
    ex = made.example
    if ex is None:
        tally.rejected[made.family] += 1
        if len(tally.reject_samples) < 20:
            tally.reject_samples.append(f"#{made.index} {made.family}: {made.rejected}")
        return
    key = normalize_question(ex.question)
    if key in tally.seen_questions:
        tally.duplicates += 1
        return
    if tally.per_group[ex.group] >= spec.max_per_group:
        tally.group_capped += 1
        return
    tally.seen_questions.add(key)
    tally.per_group[ex.group] += 1
    split = tally.group_split.setdefault(ex.group, split_of(spec.seed, ex.group, spec.valid, spec.test))
    tally.kept[split].append((example_id(spec.seed, made.index, ex), ex))


def check_output_dir(out: Path, spec: DatasetSpec, *, overwrite: bool = False) -> None:
    """Refuse an output path the dataset must not be written to (InputError naming it).

    Usable: a missing directory, an empty one, one holding only `.parts/` (an interrupted run to
    resume), or one whose `manifest.json` has exactly `spec`'s settings (the same dataset, made
    again byte for byte). Anything else (another dataset, or other files) needs `overwrite`."""
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a directory", source=str(out))
    if not out.is_dir() or overwrite:
        return
    try:
        entries = sorted(p.name for p in out.iterdir() if p.name != ".parts")
    except OSError as exc:
        raise InputError(
            f"cannot read the output directory: {exc.strerror or exc}", source=str(out)
        ) from None
    if not entries:
        return
    ours = spec.to_json()
    try:
        theirs = json.loads((out / "manifest.json").read_text("utf-8"))["spec"]
    except (OSError, ValueError, KeyError, TypeError):
        shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
        raise InputError(
            f"is not empty and holds no dataset ({shown}); choose an empty directory or pass --overwrite",
            source=str(out),
        ) from None
    if theirs == ours:
        return
    changed = [
        f"{k}: {json.dumps(theirs.get(k)) if isinstance(theirs, dict) else '?'} -> {json.dumps(ours[k])}"
        for k in ours
        if not isinstance(theirs, dict) or theirs.get(k) != ours[k]
    ]
    raise InputError(
        f"holds a dataset made with other settings ({'; '.join(changed)}); "
        "pass --overwrite to replace it, or choose another directory",
        source=str(out),
    )


def build_dataset(
    spec: DatasetSpec,
    out: Path,
    *,
    workers: int = 1,
    resume: bool = True,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Generate `spec.n` verified, deduplicated examples into `out`; return the stats (also in stats.json).

    `out` must be usable for `spec` (see `check_output_dir`; `overwrite` replaces another dataset).
    The returned stats also hold `_seconds` and `_warnings` (e.g. stats.png skipped), not written."""
    spec.check()
    if workers < 1:
        raise InputError("workers must be at least 1", source="generate", location="workers")
    check_output_dir(out, spec, overwrite=overwrite)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the output directory: {exc.strerror or exc}", source=str(out)
        ) from None
    key = run_key(spec.seed, normalize_mix(spec.mix))
    if not resume:
        shutil.rmtree(out / ".parts" / key, ignore_errors=True)
    store = PartStore(out, key)
    tally = _Tally()
    started = time.perf_counter()
    budget = max(10 * spec.n, 10_000)  # a mix that cannot yield n distinct examples must stop, not spin
    for made in iter_made(spec.seed, spec.mix, workers=workers, store=store):
        _accept(spec, tally, made)
        if progress and tally.made % 64 == 0:
            progress(tally.total, tally.made)
        if tally.total >= spec.n or tally.made >= budget:
            break
    if progress:
        progress(tally.total, tally.made)
    if tally.total < spec.n:
        raise InputError(
            f"only {tally.total} distinct examples after {tally.made} attempts; lower n or max_per_group",
            source="generate",
        )
    stats = dataset_stats(spec, tally)
    warnings = _write(out, spec, tally, stats)
    shutil.rmtree(out / ".parts", ignore_errors=True)
    stats["_seconds"] = round(time.perf_counter() - started, 2)  # for the caller only, not written
    stats["_warnings"] = warnings
    return stats


def _jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n" for r in rows)


def _write(out: Path, spec: DatasetSpec, tally: _Tally, stats: dict[str, Any]) -> list[str]:
    """Write every file of the dataset; returns warnings (what was skipped)."""
    digests: dict[str, str] = {}
    warnings: list[str] = []

    def put(name: str, text: str) -> None:
        write_atomic(out / name, text)
        digests[name] = hashlib.sha256(text.encode("utf-8")).hexdigest()

    for split in SPLITS:
        rows = tally.kept[split]
        put(f"{split}.jsonl", _jsonl([{"messages": ex.messages()} for _, ex in rows]))
        put(
            f"{split}.meta.jsonl",
            _jsonl(
                [
                    {
                        "id": i,
                        "family": ex.family,
                        "template": ex.template,
                        "group": ex.group,
                        "check": ex.check,
                    }
                    for i, ex in rows
                ]
            ),
        )
    put("stats.json", json.dumps(stats, indent=1, sort_keys=True) + "\n")
    try:
        from witness_evals.generate.plot import plot_stats

        png = plot_stats(stats, tally.kept)
        write_atomic(out / "stats.png", png)
    except ImportError:  # matplotlib missing: the numbers are in stats.json
        (out / "stats.png").unlink(missing_ok=True)  # never leave an older dataset's figure
        warnings.append("stats.png not written: matplotlib is not installed (the figures are in stats.json)")
    manifest = {"spec": spec.to_json(), "files": digests}
    write_atomic(out / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return warnings


def _length_summary(values: list[int]) -> dict[str, float]:
    if not values:
        return {}
    v = sorted(values)
    pick = lambda q: v[min(len(v) - 1, int(q * len(v)))]  # noqa: E731
    return {"mean": round(sum(v) / len(v), 1), "p50": pick(0.5), "p90": pick(0.9), "max": v[-1]}


def dataset_stats(spec: DatasetSpec, tally: _Tally) -> dict[str, Any]:
    """Counts per split and family, diversity, lengths, leakage checks, rejects."""
    by_family: dict[str, dict[str, int]] = defaultdict(lambda: {s: 0 for s in SPLITS})
    templates: dict[str, set[str]] = defaultdict(set)
    groups: dict[str, set[str]] = {s: set() for s in SPLITS}
    questions: dict[str, set[str]] = {s: set() for s in SPLITS}
    lengths: dict[str, list[int]] = defaultdict(list)
    for split in SPLITS:
        for _, ex in tally.kept[split]:
            by_family[ex.family][split] += 1
            templates[ex.family].add(ex.template)
            groups[split].add(ex.group)
            questions[split].add(normalize_question(ex.question))
            lengths[ex.family].append(approx_tokens(ex.question) + approx_tokens(ex.answer))
    leaks = {
        f"{a}/{b}": {
            "shared_groups": len(groups[a] & groups[b]),
            "shared_questions": len(questions[a] & questions[b]),
        }
        for a, b in (("train", "valid"), ("train", "test"), ("valid", "test"))
    }
    all_lengths = [n for v in lengths.values() for n in v]
    return {
        "spec": spec.to_json(),
        "examples": {s: len(tally.kept[s]) for s in SPLITS},
        "families": {f: dict(v) for f, v in sorted(by_family.items())},
        "templates": {f: len(v) for f, v in sorted(templates.items())},
        "groups": {s: len(groups[s]) for s in SPLITS},
        "distinct_questions": sum(len(q) for q in questions.values()),
        "leakage": leaks,
        "approx_tokens": {
            "all": _length_summary(all_lengths),
            **{f: _length_summary(v) for f, v in sorted(lengths.items())},
        },
        "attempted": tally.made,
        "duplicates_removed": tally.duplicates,
        "group_capped": tally.group_capped,
        "rejected": dict(sorted(tally.rejected.items())),
        "reject_samples": tally.reject_samples,
    }
