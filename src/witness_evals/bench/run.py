"""Run witness-bench: ask a model every task (per tier and sample), score the answers, summarise.

A run directory holds `run.json` (suite, version, fingerprint, model, settings), `answers.jsonl`
(appended as each answer arrives), `samples.jsonl` (appended as each answer is scored) and
`summary.json`. A killed run resumes with `resume=True`: answers and scores already on disk are kept,
nothing is asked or scored twice, and a run directory made with another suite or other settings is
refused. Answers are untrusted text: scoring never executes them.

With `fix` > 0 (`bench --fix N`) each answer goes through the assistant's fix rounds (a `Fixer`
passed in by the caller; see `bench.fix_rounds`): answers.jsonl holds every round (`ID#fixK`), each
sample row records every round and its score, and summary.json gets pass@1 after 0..N rounds.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from witness_evals.bench import suites
from witness_evals.bench.budget import BUDGETS, DEFAULT_MAX_TOKENS, LEGACY_BUDGET, answer_budget
from witness_evals.bench.fix_rounds import (
    MAX_FIX_ROUNDS,
    Fixed,
    Fixer,
    fix_summary,
    round_id,
    sample_fields,
    split_round,
)
from witness_evals.bench.scorers import ScoreContext, score
from witness_evals.bench.summary import NO_ANSWER
from witness_evals.bench.task import Task
from witness_evals.bench.tiers import TIERS, messages_for
from witness_evals.common.errors import InputError
from witness_evals.common.jsonio import write_atomic
from witness_evals.inference import Backend, Completion, GenerationSettings, Request
from witness_evals.witness import versions

WITNESS_VERSIONS: tuple[str, ...] = versions.NAMES
"""witness CLI releases answers can be scored under (`witness.versions` profiles; default 0.12)."""
SETTINGS_THAT_MUST_MATCH = (
    "suite",
    "samples",
    "temperature",
    "max_new_tokens",
    "budget",
    "tiers",
    "limit",
    "seed",
    "witness_version",
    "fix",
)


@dataclass(frozen=True)
class BenchOptions:
    """What to run: suite, sampling, tiers, scoring behaviour."""

    suite: str = "default"
    limit: int | None = None
    samples: int = 1
    temperature: float = 0.0
    max_new_tokens: int = DEFAULT_MAX_TOKENS  # the most any answer may have
    budget: str = BUDGETS[0]  # "reference": 1,536, more (up to max_new_tokens) for a long reference
    tiers: tuple[str, ...] = TIERS
    witness_version: str = versions.DEFAULT
    seed: int = 0
    label: str | None = None
    score_workers: int = 1
    fix: int = 0

    def validate(self) -> None:
        if self.samples < 1:
            raise InputError("--samples must be at least 1")
        if self.samples > 1 and self.temperature <= 0:
            raise InputError("--samples > 1 needs --temperature > 0 (greedy answers are all the same)")
        if not 0 <= self.temperature <= 5:
            raise InputError("--temperature must be between 0 and 5")
        if self.limit is not None and self.limit < 1:
            raise InputError("--limit must be at least 1")
        if not 1 <= self.max_new_tokens <= 32768:
            raise InputError("--max-new-tokens must be between 1 and 32768")
        if self.budget not in BUDGETS:
            raise InputError(f"--budget: choose from {', '.join(BUDGETS)}")
        bad = [t for t in self.tiers if t not in TIERS]
        if bad or not self.tiers:
            raise InputError(f"--tiers: choose from {', '.join(TIERS)}")
        if self.witness_version not in WITNESS_VERSIONS:
            raise InputError(f"--witness-version: choose one of {', '.join(WITNESS_VERSIONS)}")
        if not 1 <= self.score_workers <= 4 * (os.cpu_count() or 1):
            raise InputError("--workers must be between 1 and 4 x the number of cores")
        if not 0 <= self.fix <= MAX_FIX_ROUNDS:
            raise InputError(f"--fix must be between 0 and {MAX_FIX_ROUNDS}")


def request_id(task: str, tier: str, sample: int) -> str:
    return f"{task}|{tier}|{sample}"


def select_tasks(options: BenchOptions) -> list[Task]:
    tasks = suites.load_suite(options.suite)
    if options.limit is not None and options.limit < len(tasks):
        tasks = suites.quick_subset(tasks, options.limit)
    return tasks


# ----------------------------------------------------------------------------- run directory


def _read_jsonl(path: Path, key: str) -> dict[str, dict[str, Any]]:
    """Rows of an append-only JSONL file by `key`; a torn last line (killed mid-write) is cut off."""
    rows: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return rows
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
        with path.open("r+b") as fh:
            fh.truncate(len(data))
    for lineno, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            rows[str(row[key])] = row
        except (ValueError, KeyError, TypeError):
            raise InputError("corrupt line", source=str(path), location=f"line {lineno}") from None
    return rows


def _append(path: Path, row: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.flush()


def _run_mismatch(old: dict[str, Any], info: dict[str, Any], ignore: tuple[str, ...] = ()) -> str | None:
    """Why run `old` (its run.json) is not this run's suite and settings (but those in `ignore`), or None."""
    if old.get("suite_version") != info["suite_version"] or old.get("fingerprint") != info["fingerprint"]:
        return (
            f"made with another suite (version {old.get('suite_version')}, fingerprint "
            f"{str(old.get('fingerprint'))[:12]}; this one: {info['suite_version']}, {info['fingerprint'][:12]})"
        )
    settings = {"budget": LEGACY_BUDGET, **(old.get("settings") or {})}
    for key in SETTINGS_THAT_MUST_MATCH:
        if key not in ignore and settings.get(key) != info["settings"].get(key):
            return f"was run with {key}={settings.get(key)!r}, not {info['settings'].get(key)!r}"
    return None


def _prepare_dir(out: Path, info: dict[str, Any], resume: bool) -> None:
    run_file = out / "run.json"
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a directory", source=str(out))
    if run_file.exists():
        if not resume:
            raise InputError(
                "holds a run already: pass --resume to continue it, or choose another --out", source=str(out)
            )
        try:
            old = json.loads(run_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"unreadable run file: {exc}", source=str(run_file)) from None
        mismatch = _run_mismatch(old, info)
        if mismatch:
            raise InputError(mismatch, source=str(run_file))
        if old.get("model") != info["model"]:
            raise InputError(
                f"was run with model {old.get('model')!r}, not {info['model']!r}", source=str(run_file)
            )
        info["started"] = old.get("started", info["started"])
    elif out.exists() and any(out.iterdir()):
        raise InputError("is not empty and holds no witness-bench run: choose another --out", source=str(out))
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(run_file, json.dumps(info, indent=1, sort_keys=True) + "\n")


def _first_answers(source: Path, info: dict[str, Any]) -> list[dict[str, Any]]:
    """The round-0 answers of run `source` (same suite, model and settings but `fix`), checked before
    this run writes anything; `InputError` naming the file when the runs do not match."""
    run_file = source / "run.json"
    try:
        old = json.loads(run_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"not a witness-bench run ({type(exc).__name__})", source=str(run_file)) from None
    if not isinstance(old, dict):
        raise InputError("not a witness-bench run", source=str(run_file))
    if old.get("model") != info["model"]:
        raise InputError(
            f"answers of model {old.get('model')!r}, not {info['model']!r}", source=str(run_file)
        )
    mismatch = _run_mismatch(old, info, ignore=("fix",))
    if mismatch:
        raise InputError(mismatch, source=str(run_file))
    if not (source / "answers.jsonl").is_file():
        raise InputError("no answers.jsonl in this run", source=str(source))
    rows = _read_jsonl(source / "answers.jsonl", "id").items()
    return [row for rid, row in rows if split_round(rid)[1] == 0 and not row.get("error")]


# ----------------------------------------------------------------------------- scoring


def _cut(result: Mapping[str, Any], tokens: Any, budget: int) -> bool:
    """Whether a failed answer stopped at its token budget (its artifact may be unfinished)."""
    return not result.get("passed") and isinstance(tokens, int) and tokens >= budget


_WORKER_CTX: ScoreContext | None = None
_WORKER_TASKS: dict[str, Task] = {}


def _init_worker(tasks: dict[str, Task], witness_version: str) -> None:
    global _WORKER_CTX, _WORKER_TASKS
    _WORKER_CTX = ScoreContext(witness_version=witness_version)
    _WORKER_TASKS = tasks


def _score_one(item: tuple[str, str]) -> tuple[str, dict[str, Any]]:
    rid, answer = item
    assert _WORKER_CTX is not None
    task = _WORKER_TASKS[rid.split("|", 1)[0]]
    out = score(task.check, answer, _WORKER_CTX)
    return rid, {
        "outcome": out.outcome,
        "passed": out.passed,
        "reason": out.reason,
        "checks": [c.to_json() for c in out.checks],
        "artifacts": out.artifacts,
    }


def score_items(
    tasks: dict[str, Task], items: Sequence[tuple[str, str]], witness_version: str, workers: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Score (request id, answer) pairs; results in input order, whatever the number of workers."""
    if workers <= 1 or len(items) < 8:
        _init_worker(tasks, witness_version)
        try:
            for item in items:
                yield _score_one(item)
        finally:
            if _WORKER_CTX is not None:
                _WORKER_CTX.close()
        return
    ctx = multiprocessing.get_context("spawn" if os.name != "posix" else "fork")
    with ctx.Pool(workers, initializer=_init_worker, initargs=(tasks, witness_version)) as pool:
        yield from pool.imap(_score_one, items, chunksize=4)


# ----------------------------------------------------------------------------- the run


def hardware(backend: dict[str, Any]) -> str:
    """Where the answers were made: the backend's device (GPU name) or this machine's CPU."""
    import platform

    device = str(backend.get("device_name") or backend.get("device") or "")
    if device and device != "cpu":
        return device
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"CPU: {cpu}, {os.cpu_count()} cores"
        if not backend.get("base_url")
        else f"server {backend.get('base_url')}"
    )


Progress = Callable[[str, int, int], None]


class _RecordedBackend:
    """The run's model behind answers.jsonl: an answer on disk is returned, never asked again; a new
    one is appended as it arrives. The model loads on the first request that is not on disk."""

    def __init__(
        self,
        model: str,
        backend_options: dict[str, Any],
        answered: dict[str, dict[str, Any]],
        out: Path,
        info: dict[str, Any],
        progress: Progress | None,
    ) -> None:
        self.spec = model
        self._options = backend_options
        self._answered = answered
        self._out = out
        self._info = info
        self._progress = progress
        self._backend: Backend | None = None

    def describe(self) -> dict[str, Any]:
        return self._backend.describe() if self._backend is not None else {"kind": "recorded"}

    def _load(self) -> Backend:
        if self._backend is None:
            from witness_evals.inference import load_backend

            self._backend = load_backend(self.spec, **self._options)
            self._info["backend"] = self._backend.describe()
            self._info["hardware"] = hardware(self._info["backend"])
            write_atomic(self._out / "run.json", json.dumps(self._info, indent=1, sort_keys=True) + "\n")
        return self._backend

    def generate(
        self,
        requests: Sequence[Request],
        settings: GenerationSettings,
        on_done: Callable[[Completion], None] | None = None,
    ) -> list[Completion]:
        todo = [r for r in requests if r.id not in self._answered]
        if todo:
            k = split_round(todo[0].id)[1]
            phase = "answer" if k == 0 else f"fix {k}"
            done = 0

            def record(c: Completion) -> None:
                nonlocal done
                rid, index = split_round(c.id)
                task, tier, sample = rid.split("|")
                row = {
                    "id": c.id,
                    "task": task,
                    "tier": tier,
                    "sample": int(sample),
                    "round": index,
                    "answer": c.text,
                    "prompt_tokens": c.prompt_tokens,
                    "completion_tokens": c.completion_tokens,
                    "seconds": round(c.seconds, 4),
                    "error": c.error,
                }
                _append(self._out / "answers.jsonl", row)
                self._answered[c.id] = row
                done += 1
                if self._progress:
                    self._progress(phase, done, len(todo))
                if on_done is not None:
                    on_done(c)

            self._load().generate(todo, settings, record)
        return [_completion(self._answered[r.id]) for r in requests]

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()


def _completion(row: Mapping[str, Any]) -> Completion:
    return Completion(
        str(row["id"]),
        str(row.get("answer") or ""),
        row.get("prompt_tokens"),
        row.get("completion_tokens"),
        float(row.get("seconds") or 0.0),
        row.get("error"),
    )


def run_bench(
    model: str,
    out: Path,
    options: BenchOptions = BenchOptions(),
    *,
    resume: bool = False,
    backend_options: dict[str, Any] | None = None,
    progress: Progress | None = None,
    fixer: Fixer | None = None,
    first_answers: Path | None = None,
) -> dict[str, Any]:
    """Answer, score and summarise; returns the summary (also written to `out/summary.json`).

    With `options.fix > 0`, `fixer` (e.g. `witness_evals.assist.bench_fixer(...)`) runs the fix
    rounds; every round is recorded and the summary gets pass@1 after each round (`fix_rounds`).
    `first_answers`: a run of the same model, suite and generation settings whose answers are taken
    as this run's first answers (round 0), so `--fix N` after a plain run only asks the fix rounds;
    requests it has no answer for (a run cut short) are asked as usual.
    """
    from witness_evals.bench.summary import write_summary
    from witness_evals.inference import parse_spec

    options.validate()
    if options.fix and fixer is None:
        raise ValueError("options.fix > 0 needs a fixer (witness_evals.assist.bench_fixer)")
    parse_spec(model)  # a bad spec fails before any file is written
    tasks = select_tasks(options)
    by_id = {t.id: t for t in tasks}
    settings = asdict(options)
    settings["tiers"] = list(options.tiers)
    info: dict[str, Any] = {
        "suite": options.suite,
        "suite_version": suites.SUITE_VERSION,
        "fingerprint": suites.fingerprint(tasks),
        "n_tasks": len(tasks),
        "model": model,
        "label": options.label,
        "settings": settings,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    first = _first_answers(first_answers, info) if first_answers is not None else []
    _prepare_dir(out, info, resume)
    answers_file, samples_file = out / "answers.jsonl", out / "samples.jsonl"
    answered = _read_jsonl(answers_file, "id")
    for row in first:
        if row["id"] not in answered:
            _append(answers_file, row)
            answered[row["id"]] = row
    scored = _read_jsonl(samples_file, "id")
    wanted = [
        (t, tier, s, request_id(t.id, tier, s))
        for t in tasks
        for tier in options.tiers
        for s in range(options.samples)
    ]
    gen = GenerationSettings(
        max_new_tokens=options.max_new_tokens, temperature=options.temperature, seed=options.seed
    )
    backend = _RecordedBackend(model, backend_options or {}, answered, out, info, progress)

    def budget(task: Task) -> int:
        return answer_budget(task, options.max_new_tokens, options.budget)

    def ask(task: Task, tier: str, rid: str) -> Request:
        return Request(rid, messages_for(task, tier), budget(task))

    fixed: dict[str, Fixed] = {}
    try:
        if options.fix:
            assert fixer is not None
            open_ = [ask(t, tier, rid) for t, tier, _s, rid in wanted if rid not in scored]
            if open_:
                results = fixer(backend, open_, gen, options.fix)
                fixed = {r.id: f for r, f in zip(open_, results, strict=True)}
        else:
            pending = [ask(t, tier, rid) for t, tier, _s, rid in wanted if rid not in answered]
            if pending:
                backend.generate(pending, gen)
    finally:
        backend.close()

    def base_row(rid: str) -> dict[str, Any]:
        a = answered[rid]
        task = by_id[a["task"]]
        return {
            "id": rid,
            "task": task.id,
            "kind": task.kind,
            "source": task.source,
            "attestor": task.attestor,
            "tier": a["tier"],
            "sample": a["sample"],
            "budget": budget(task),
            "prompt": messages_for(task, a["tier"]),
        }

    def keep(row: dict[str, Any], n: int, total: int) -> None:
        _append(samples_file, row)
        scored[row["id"]] = row
        if progress:
            progress("score", n, total)

    release = options.witness_version
    if options.fix:
        items = [
            (round_id(rid, r.index), r.text)
            for _t, _tier, _s, rid in wanted
            if rid in fixed
            for r in fixed[rid].rounds
        ]
        scores: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
        for n, (item_id, result) in enumerate(score_items(by_id, items, release, options.score_workers), 1):
            rid, index = split_round(item_id)
            scores[rid][index] = result
            if len(scores[rid]) == len(fixed[rid].rounds):
                tokens = {
                    r.index: answered[round_id(rid, r.index)].get("prompt_tokens") for r in fixed[rid].rounds
                }
                row = {**base_row(rid), **sample_fields(fixed[rid], options.fix, scores.pop(rid), tokens)}
                keep(row, n, len(items))
    else:
        todo = [
            (rid, str(answered[rid].get("answer") or ""))
            for _t, _tier, _s, rid in wanted
            if rid not in scored and rid in answered
        ]
        for n, (rid, result) in enumerate(score_items(by_id, todo, release, options.score_workers), 1):
            a = answered[rid]
            if a.get("error"):  # the backend gave no answer: not the model's failure to make an artifact
                result = {**result, "outcome": NO_ANSWER, "reason": f"no answer: {a['error']}"}
            written = a.get("completion_tokens")
            base = base_row(rid)
            row = {
                **base,
                "answer": a["answer"],
                **result,
                "cut": _cut(result, written, base["budget"]),
                "completion_tokens": written,
                "seconds": a.get("seconds"),
                "error": a.get("error"),
            }
            keep(row, n, len(todo))
    order = {rid: i for i, (_t, _tier, _s, rid) in enumerate(wanted)}
    rows = sorted((r for r in scored.values() if r["id"] in order), key=lambda r: order[r["id"]])
    write_atomic(samples_file, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    info["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    write_atomic(out / "run.json", json.dumps(info, indent=1, sort_keys=True) + "\n")
    summary = write_summary(out)
    if options.fix:
        summary["fix"] = fix_summary(rows, options.fix)
        write_atomic(out / "summary.json", json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return summary
