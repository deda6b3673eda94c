"""Verified examples -> a dataset directory: dedup, split by template (or group), chat JSONL, checks, stats.

Layout of `<out>/`:
- `train.jsonl`, `valid.jsonl`, `test.jsonl`: one `{"messages": [...]}` per line (OpenAI chat format);
- `train.meta.jsonl` ... : line-aligned `{"id", "family", "template", "group", "check"}` (the hidden tests);
- `data/<split>-00000-of-00001.parquet` and `README.md` (a Hugging Face dataset card), see `parquet`;
- `stats.json`, `stats.png`, `manifest.json` (settings and sha256 of every file).
With `paraphrase` set, a seeded share of the user prompts is rewritten by an LLM and verified on the
way to the files (`witness_evals.generate.paraphrase`); its counts go to stats.json and manifest.json.
Nothing in the files depends on the clock or the number of workers: same settings, same bytes.

Assembly streams: examples are written as they are accepted; what stays in memory is 64-bit hashes
(questions, groups) and per-family counters, so memory does not grow with the examples' size.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import re
import shutil
import time
from array import array
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from witness_evals.common.errors import InputError
from witness_evals.common.jsonio import write_atomic
from witness_evals.generate import families
from witness_evals.generate.build import (
    CHUNK,
    FORMAT_VERSION,
    Made,
    PartStore,
    derived_rng,
    iter_made,
    normalize_mix,
    pool_context,
    run_key,
)
from witness_evals.generate.example import Example
from witness_evals.generate.leakage import leakage_report, scan_leakage, split_leakage
from witness_evals.generate.paraphrase import Paraphraser, ParaphraseSettings, ReplyCache, cache_path, connect
from witness_evals.generate.splits import SPLITS, hash64, normalize_question
from witness_evals.inference import Backend
from witness_evals.witness import versions

SPLIT_BY = ("template", "group")
PLAN_SAMPLE_CHUNKS = 16
"""Template split: template frequencies are estimated on the first min(n, 16 * CHUNK) indices."""
LEAKAGE_WORKERS = 4
"""At most this many processes share the leakage check (each one indexes the held-out splits again)."""


@dataclass(frozen=True)
class DatasetSpec:
    """What to generate; every field changes the output, none depends on the machine."""

    n: int = 20_000
    seed: int = 0
    mix: Mapping[str, float] = field(default_factory=lambda: dict(families.DEFAULT_MIX))
    valid: float = 0.05
    test: float = 0.05
    max_per_group: int = 3
    split_by: str = "template"
    """`template`: each question template in one split (held-out phrasings); `group`: each task in one."""
    witness_version: str = versions.DEFAULT
    """The witness release every answer is written and verified for (`witness.versions`)."""
    paraphrase: str | None = None
    """`openai:BASE_URL#MODEL`: rewrite a share of the user prompts through that server, verified."""
    paraphrase_share: float = 0.5
    paraphrase_temperature: float = 0.7

    def paraphrase_settings(self) -> ParaphraseSettings | None:
        if self.paraphrase is None:
            return None
        return ParaphraseSettings(
            self.paraphrase, self.paraphrase_share, self.paraphrase_temperature, seed=self.seed
        )

    def check(self) -> None:
        if self.n < 1:
            raise InputError("n must be at least 1", source="generate", location="n")
        if not (0 <= self.valid < 1 and 0 <= self.test < 1 and self.valid + self.test < 1):
            raise InputError(
                "valid and test fractions must be in [0, 1) with a sum below 1", source="generate"
            )
        if self.max_per_group < 1:
            raise InputError("max_per_group must be at least 1", source="generate", location="max_per_group")
        if self.split_by not in SPLIT_BY:
            raise InputError(
                f"split_by must be one of {', '.join(SPLIT_BY)}, got {self.split_by!r}",
                source="generate",
                location="split_by",
            )
        if self.witness_version not in versions.NAMES:
            raise InputError(
                f"witness_version must be one of {', '.join(versions.NAMES)}, got {self.witness_version!r}",
                source="generate",
                location="witness_version",
            )
        normalize_mix(self.mix)
        settings = self.paraphrase_settings()
        if settings is not None:
            settings.check()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "n": self.n,
            "seed": self.seed,
            "mix": {k: self.mix[k] for k in sorted(self.mix) if self.mix[k] > 0},
            "valid": self.valid,
            "test": self.test,
            "max_per_group": self.max_per_group,
            "split_by": self.split_by,
            "witness_version": self.witness_version,
        }
        if self.paraphrase is not None:  # absent otherwise: manifests of plain runs stay as they were
            out["paraphrase"] = {
                "model": self.paraphrase,
                "share": self.paraphrase_share,
                "temperature": self.paraphrase_temperature,
            }
        return out


def split_of(seed: int, group: str, valid: float, test: float) -> str:
    """The split of a group: a seeded hash, so paraphrases of one task (or phrasings of one fact) never
    straddle splits."""
    u = derived_rng(seed, "split", group).random()
    return "test" if u < test else "valid" if u < test + valid else "train"


def plan_templates(
    seed: int, counts: Mapping[tuple[str, str], int], valid: float, test: float
) -> dict[str, str]:
    """Template -> split from (family, template) -> example counts of a sample.

    Within each family the templates, in the order of a seeded hash of their id, go to test while test
    holds less than its share of the family's examples (counting half of the template), then likewise to
    valid, else to train: the held-out shares hold by example count and in every family (within half a
    template), not just by template count; a template too big for a held-out share stays in train."""
    by_family: dict[str, list[tuple[float, str, int]]] = defaultdict(list)
    for (family, template), n in counts.items():
        by_family[family].append((derived_rng(seed, "template-split", template).random(), template, n))
    plan: dict[str, str] = {}
    for rows in by_family.values():
        total = sum(n for _, _, n in rows)
        room = {"test": test * total, "valid": valid * total}
        for _, template, n in sorted(rows):
            split = next((s for s in ("test", "valid") if n / 2 <= room[s]), "train")
            if split != "train":
                room[split] -= n
            plan[template] = split
    return plan


def template_split(seed: int, template: str, valid: float, test: float, plan: Mapping[str, str]) -> str:
    """The split of a question template: from `plan`, else (a template the sample missed) a seeded hash."""
    return plan.get(template) or split_of(seed, f"template:{template}", valid, test)


def group_cap(spec: DatasetSpec, ex: Example) -> int:
    """Paraphrases of `ex.group` to keep: `spec.max_per_group`, unless `ex`'s family sets its own
    (`Family.max_per_group`)."""
    cap = families.get(ex.family).max_per_group
    return spec.max_per_group if cap is None else max(1, cap(ex.group, spec.max_per_group))


def example_id(seed: int, index: int, ex: Example) -> str:
    return f"{ex.family}-{seed}-{index:07d}"


def approx_tokens(text: str) -> int:
    """A tokenizer-free length estimate (≈ 3.6 characters per token for this English/code mix)."""
    return max(1, round(len(text) / 3.6))


_SPLIT_INDEX = {s: i for i, s in enumerate(SPLITS)}


@dataclass
class _Tally:
    """What assembly keeps in memory: hashes and counters, never the examples themselves."""

    seen_questions: set[int] = field(default_factory=set)
    groups: dict[int, int] = field(default_factory=dict)
    """64-bit hash of a group -> 4 * (examples kept) + index of its split in SPLITS."""
    kept: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """(family, template, split) -> examples written."""
    lengths: dict[str, array[int]] = field(default_factory=lambda: defaultdict(lambda: array("I")))
    rejected: Counter[str] = field(default_factory=Counter)
    reject_samples: list[str] = field(default_factory=list)
    duplicates: int = 0
    group_capped: int = 0
    group_split_dropped: int = 0
    made: int = 0
    total: int = 0


def meta_row(ident: str, ex: Example, *, paraphrased: bool = False) -> dict[str, Any]:
    """The line of `<split>.meta.jsonl` for one example (`paraphrased` only when its prompt was)."""
    row = {"id": ident, "family": ex.family, "template": ex.template, "group": ex.group, "check": ex.check}
    return {**row, "paraphrased": True} if paraphrased else row


_TEMP = re.compile(r"^\.[\w.-]+\.tmp(\d+)$")
"""A temporary sibling (`_Writer`, `write_atomic`): `.NAME.tmpPID`."""


def _remove_stale_temps(out: Path) -> None:
    """Remove the temporary files that a killed run (a process no longer alive) left in `out`."""
    for p in out.iterdir():
        m = _TEMP.match(p.name)
        if m and int(m.group(1)) != os.getpid() and p.is_file():
            try:
                os.kill(int(m.group(1)), 0)
            except ProcessLookupError:
                p.unlink(missing_ok=True)
            except OSError:
                pass  # alive under another user: not ours to remove


class _Writer:
    """The JSONL files of the splits, written line by line to temporary siblings, renamed at the end."""

    def __init__(self, out: Path, lengths: dict[str, array[int]]) -> None:
        self.out = out
        self.lengths = lengths
        """Family -> approximate tokens of each example written (as written: paraphrased or not)."""
        _remove_stale_temps(out)
        self._tmp: dict[str, Path] = {}
        self._fh: dict[str, Any] = {}
        self._sha: dict[str, Any] = {}
        for split in SPLITS:
            for name in (f"{split}.jsonl", f"{split}.meta.jsonl"):
                self._tmp[name] = out / f".{name}.tmp{os.getpid()}"
                self._fh[name] = self._tmp[name].open("wb")
                self._sha[name] = hashlib.sha256()

    def _put(self, name: str, row: dict[str, Any]) -> None:
        raw = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
        self._fh[name].write(raw)
        self._sha[name].update(raw)

    def write(self, split: str, ident: str, ex: Example, *, paraphrased: bool = False) -> None:
        self.lengths[ex.family].append(approx_tokens(ex.question) + approx_tokens(ex.answer))
        self._put(f"{split}.jsonl", {"messages": ex.messages()})
        self._put(f"{split}.meta.jsonl", meta_row(ident, ex, paraphrased=paraphrased))

    def commit(self) -> dict[str, str]:
        """Flush, sync and rename every file into place; their sha256 by name."""
        for name, fh in self._fh.items():
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
            os.replace(self._tmp[name], self.out / name)
        return {name: sha.hexdigest() for name, sha in self._sha.items()}

    def abort(self) -> None:
        for name, fh in self._fh.items():
            fh.close()
            self._tmp[name].unlink(missing_ok=True)


def _accept(
    spec: DatasetSpec, tally: _Tally, made: Made, plan: Mapping[str, str], writer: _Writer | Paraphraser
) -> None:
    tally.made += 1
    ex = made.example
    if ex is None:
        tally.rejected[made.family] += 1
        if len(tally.reject_samples) < 20:
            tally.reject_samples.append(f"#{made.index} {made.family}: {made.rejected}")
        return
    key = hash64(normalize_question(ex.question))
    if key in tally.seen_questions:
        tally.duplicates += 1
        return
    group = hash64(ex.group)
    state = tally.groups.get(group, 0)
    if state >> 2 >= group_cap(spec, ex):
        tally.group_capped += 1
        return
    if spec.split_by == "template":
        split = template_split(spec.seed, ex.template, spec.valid, spec.test, plan)
    else:
        split = split_of(spec.seed, ex.group, spec.valid, spec.test)
    if state and SPLITS[state & 3] != split and ex.family not in families.GROUPS_SPAN_SPLITS:
        # the task is already in another split: its paraphrases never straddle splits
        tally.group_split_dropped += 1
        return
    tally.seen_questions.add(key)
    tally.groups[group] = ((state >> 2) + 1) << 2 | _SPLIT_INDEX[split]
    tally.kept[ex.family, ex.template, split] += 1
    tally.total += 1
    writer.write(split, example_id(spec.seed, made.index, ex), ex)


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
        entries = sorted(p.name for p in out.iterdir() if p.name != ".parts" and not _TEMP.match(p.name))
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
    paraphraser: Backend | None = None,
) -> dict[str, Any]:
    """Generate `spec.n` verified, deduplicated examples into `out`; return the stats (also in stats.json).

    `out` must be usable for `spec` (see `check_output_dir`; `overwrite` replaces another dataset).
    With `spec.paraphrase`, `paraphraser` is its server's backend (connected here when None).
    The returned stats also hold `_seconds` and `_warnings` (e.g. stats.png skipped) and, when
    paraphrasing, `_paraphrase` (requests sent, replies from the cache, first errors), not written."""
    spec.check()
    if workers < 1:
        raise InputError("workers must be at least 1", source="generate", location="workers")
    check_output_dir(out, spec, overwrite=overwrite)
    para_settings = spec.paraphrase_settings()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the output directory: {exc.strerror or exc}", source=str(out)
        ) from None
    key = run_key(spec.seed, normalize_mix(spec.mix), spec.witness_version)
    if not resume:
        shutil.rmtree(out / ".parts" / key, ignore_errors=True)
        if para_settings is not None:
            cache_path(out, para_settings).unlink(missing_ok=True)
    store = PartStore(out, key)
    tally = _Tally()
    started = time.perf_counter()
    budget = max(10 * spec.n, 10_000)  # a mix that cannot yield n distinct examples must stop, not spin
    made_iter = iter_made(
        spec.seed, spec.mix, workers=workers, store=store, witness_version=spec.witness_version
    )
    own_backend = para_settings is not None and paraphraser is None
    if para_settings is not None and paraphraser is None:
        paraphraser = connect(para_settings.model)  # InputError before any work when unreachable
    writer = _Writer(out, tally.lengths)
    para: Paraphraser | None = None
    try:
        if para_settings is not None and paraphraser is not None:
            cache = ReplyCache(cache_path(out, para_settings))
            para = Paraphraser(para_settings, paraphraser, writer, cache, tally.seen_questions)
        sample, plan = _plan(spec, made_iter, progress)
        for made in itertools.chain(_drain(sample), made_iter):
            _accept(spec, tally, made, plan, para or writer)
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
        if para is not None:
            para.flush()
    except BaseException:
        writer.abort()
        raise
    finally:
        cast(Generator[Made, None, None], made_iter).close()  # stops the workers and sandboxes
        if para is not None:
            para.close()
        if own_backend and paraphraser is not None:
            paraphraser.close()
    digests = writer.commit()
    stats = dataset_stats(spec, tally, plan)
    if para is not None:
        stats["paraphrase"] = para.summary()
    lengths = dict(tally.lengths)
    del tally  # the hashes of questions and groups: not needed any more
    with _leakage_check(out, workers=min(workers, LEAKAGE_WORKERS)) as leakage:
        warnings = _write(out, spec, stats, lengths, digests, leakage)
    shutil.rmtree(out / ".parts", ignore_errors=True)
    stats["_seconds"] = round(time.perf_counter() - started, 2)  # for the caller only, not written
    stats["_warnings"] = warnings
    if para is not None:
        stats["_paraphrase"] = {"requests": para.requests, "cached": para.cached, "errors": para.errors}
    return stats


def _plan(
    spec: DatasetSpec, made: Iterator[Made], progress: Callable[[int, int], None] | None
) -> tuple[deque[Made], dict[str, str]]:
    """For the template split: the first min(n, PLAN_SAMPLE_CHUNKS * CHUNK) made examples (to be
    assembled next) and the template plan made from their counts; for the group split: nothing."""
    sample: deque[Made] = deque()
    if spec.split_by != "template":
        return sample, {}
    size = min(-(-spec.n // CHUNK), PLAN_SAMPLE_CHUNKS) * CHUNK
    for m in itertools.islice(made, size):
        sample.append(m)
        if progress and len(sample) % 64 == 0:
            progress(0, len(sample))
    counts: Counter[tuple[str, str]] = Counter()
    seen: set[int] = set()
    per_group: Counter[str] = Counter()
    for m in sample:  # count what assembly would keep: duplicates and extra paraphrases left out
        ex = m.example
        if ex is None or per_group[ex.group] >= group_cap(spec, ex):
            continue
        key = hash64(normalize_question(ex.question))
        if key not in seen:
            seen.add(key)
            per_group[ex.group] += 1
            counts[ex.family, ex.template] += 1
    return sample, plan_templates(spec.seed, counts, spec.valid, spec.test)


def _drain(items: deque[Made]) -> Iterator[Made]:
    while items:
        yield items.popleft()


@contextlib.contextmanager
def _leakage_check(out: Path, *, workers: int) -> Iterator[Callable[[], dict[str, Any]]]:
    """Yields a function returning `split_leakage(out, SPLITS)`. With several workers, the check runs in
    that many child processes from the start (each scans a share of train: `scan_leakage`), while
    the caller exports the Parquet files and the figure."""
    if workers <= 1:
        yield lambda: split_leakage(out, SPLITS)
        return
    with pool_context().Pool(workers) as pool:
        scans = [
            pool.apply_async(scan_leakage, (out, SPLITS), {"part": k, "parts": workers})
            for k in range(workers)
        ]
        yield lambda: leakage_report([scan.get() for scan in scans])


def _write(
    out: Path,
    spec: DatasetSpec,
    stats: dict[str, Any],
    lengths: Mapping[str, array[int]],
    digests: dict[str, str],
    leakage: Callable[[], dict[str, Any]],
) -> list[str]:
    """Write the files made from the split files (Parquet, card, stats, figure, manifest), with
    `stats["leakage"]` from `leakage()` (asked for once the Parquet files and the figure are made);
    returns warnings (what was skipped)."""
    warnings: list[str] = []

    def put(name: str, text: str) -> None:
        write_atomic(out / name, text)
        digests[name] = hashlib.sha256(text.encode("utf-8")).hexdigest()

    card: Callable[[dict[str, Any]], str] | None = None
    try:
        from witness_evals.generate.parquet import dataset_card, write_parquet
    except ImportError:  # pyarrow missing: the JSONL files are the dataset
        warnings.append("data/*.parquet and README.md not written: pyarrow is not installed")
    else:
        digests.update(write_parquet(out, SPLITS))
        card = dataset_card
    png: bytes | None = None
    try:
        from witness_evals.generate.plot import plot_stats

        png = plot_stats(stats, lengths)  # the figure shows no leakage numbers
    except ImportError:  # matplotlib missing: the numbers are in stats.json
        pass
    stats["leakage"] = {"split_by": spec.split_by, **leakage()}
    if card is not None:
        put("README.md", card(stats))
    put("stats.json", json.dumps(stats, indent=1, sort_keys=True) + "\n")
    if png is not None:
        write_atomic(out / "stats.png", png)
    else:
        (out / "stats.png").unlink(missing_ok=True)  # never leave an older dataset's figure
        warnings.append("stats.png not written: matplotlib is not installed (the figures are in stats.json)")
    manifest = {"spec": spec.to_json(), "files": dict(sorted(digests.items()))}
    if "paraphrase" in stats:
        manifest["paraphrase"] = stats["paraphrase"]
    write_atomic(out / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return warnings


def _length_summary(values: Any) -> dict[str, float]:
    if not len(values):
        return {}
    v = sorted(values)
    pick = lambda q: v[min(len(v) - 1, int(q * len(v)))]  # noqa: E731
    return {"mean": round(sum(v) / len(v), 1), "p50": pick(0.5), "p90": pick(0.9), "max": v[-1]}


def dataset_stats(spec: DatasetSpec, tally: _Tally, plan: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Counts per split and family, diversity, lengths, rejects (`leakage` is added from the files)."""
    by_family: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SPLITS, 0))
    templates: dict[str, set[str]] = defaultdict(set)
    template_splits: dict[str, set[str]] = {s: set() for s in SPLITS}
    for (family, template, split), n in tally.kept.items():
        by_family[family][split] += n
        templates[family].add(template)
        template_splits[split].add(template)
    groups = Counter(SPLITS[state & 3] for state in tally.groups.values())
    all_lengths = [n for v in tally.lengths.values() for n in v]
    return {
        "spec": spec.to_json(),
        "examples": {s: sum(v[s] for v in by_family.values()) for s in SPLITS},
        "families": {f: dict(v) for f, v in sorted(by_family.items())},
        "templates": {f: len(v) for f, v in sorted(templates.items())},
        "template_splits": {s: len(template_splits[s]) for s in SPLITS},
        "test_templates": sorted(template_splits["test"]),
        "groups": {s: groups[s] for s in SPLITS},
        "distinct_questions": len(tally.seen_questions),
        "approx_tokens": {
            "all": _length_summary(all_lengths),
            **{f: _length_summary(v) for f, v in sorted(tally.lengths.items())},
        },
        "attempted": tally.made,
        "duplicates_removed": tally.duplicates,
        "group_capped": tally.group_capped,
        "group_split_dropped": tally.group_split_dropped,
        "template_plan": {s: sum(1 for v in (plan or {}).values() if v == s) for s in SPLITS},
        "rejected": dict(sorted(tally.rejected.items())),
        "reject_samples": tally.reject_samples,
    }
