"""Statistics of a witness-bench run: pass@k, confidence intervals, breakdowns and the failure taxonomy.

Each tier (bare, context) is reported on its own, never pooled; the headline is tier "bare".

* pass@1 is the mean over tasks of c/n (c passes among the n samples of a task); pass@k uses the
  unbiased estimator of Chen et al. 2021, `1 - C(n-c, k)/C(n, k)` averaged over tasks, computed in
  the stable product form, for each k no larger than the fewest samples any task of the tier has.
* 95% intervals: when every task has one sample, the Wilson score interval on (passed tasks, tasks);
  otherwise a percentile bootstrap over tasks (2000 resamples, fixed seed: deterministic). The
  method used is recorded under `ci_method`.
* Rates are fractions in [0, 1], rounded to 4 decimals; keys are sorted when written.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from witness_evals.common.errors import InputError
from witness_evals.common.jsonio import iter_jsonl, write_atomic

OUTCOMES = ("no_artifact", "wrong_artifact", "invalid", "partial", "pass")
NO_ANSWER = "no_answer"
"""The outcome of a request the backend never answered (an error, a run cut short): not the model's
answer, so it is kept apart from the taxonomy and counted only where it occurs."""
KINDS = ("rego", "policy", "command", "diagnose", "review", "qa")
TIERS = ("bare", "context")
SOURCES = ("hand", "generated")
HEADLINE_TIER = "bare"
NO_ATTESTOR = "(none)"
Z95 = 1.959963984540054
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20210707  # Chen et al. 2021 (arXiv:2107.03374)
DIGITS = 4
MAX_SAMPLES_BYTES = 2 * 1024 * 1024 * 1024

SUMMARY_FILE = "summary.json"
SAMPLES_FILE = "samples.jsonl"
RUN_FILE = "run.json"


# ---------------------------------------------------------------------------------------------
# estimators


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one task with `c` correct among `n` samples (Chen et al. 2021)."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    # 1 - C(n-c, k) / C(n, k) = 1 - prod_{i=n-c+1}^{n} (1 - k/i)
    prod = 1.0
    for i in range(n - c + 1, n + 1):
        prod *= 1.0 - k / i
    return 1.0 - prod


def wilson_interval(successes: float, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (`(0, 1)` when there are no trials)."""
    if trials <= 0:
        return (0.0, 1.0)
    p = successes / trials
    denom = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def bootstrap_interval(
    values: Sequence[float],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of per-task values (seeded: deterministic)."""
    if not values:
        return (0.0, 1.0)
    arr = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = np.empty(resamples, dtype=np.float64)
    chunk = max(1, 2_000_000 // len(arr))  # bound the index matrix to ~16 MB
    for start in range(0, resamples, chunk):
        stop = min(resamples, start + chunk)
        idx = rng.integers(0, len(arr), size=(stop - start, len(arr)))
        means[start:stop] = arr[idx].mean(axis=1)
    alpha = (1.0 - level) / 2
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return (float(low), float(high))


# ---------------------------------------------------------------------------------------------
# per-task aggregation


@dataclass
class _Task:
    kind: str
    source: str
    attestor: str
    n: int = 0
    c: int = 0


@dataclass
class _Tier:
    tasks: dict[str, _Task] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    outcomes_by_kind: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    samples: int = 0
    errors: int = 0
    cut: Counter[str] = field(default_factory=Counter)  # failed answers that hit their budget, by kind
    seconds: float = 0.0
    tokens: list[int] = field(default_factory=list)


def _rnd(x: float | None) -> float | None:
    return None if x is None else round(float(x), DIGITS)


def _ordered(keys: Iterable[str], preferred: Sequence[str]) -> list[str]:
    """Known keys in their canonical order, then the others sorted."""
    ks = set(keys)
    return [k for k in preferred if k in ks] + sorted(ks - set(preferred))


def _interval(tasks: Sequence[_Task], per_task: Sequence[float]) -> tuple[str, float, float]:
    if all(t.n == 1 for t in tasks):
        low, high = wilson_interval(sum(per_task), len(per_task))
        return "wilson", low, high
    low, high = bootstrap_interval(per_task)
    return "bootstrap", low, high


def _group(tasks: Sequence[_Task]) -> dict[str, Any]:
    """n_tasks, passed (sum of c/n), pass@1 and its 95% interval for a set of tasks."""
    if not tasks:
        return {"n_tasks": 0, "passed": 0.0, "pass@1": None, "ci_low": None, "ci_high": None}
    per_task = [t.c / t.n for t in tasks]
    _, low, high = _interval(tasks, per_task)
    return {
        "n_tasks": len(tasks),
        "passed": _rnd(sum(per_task)),
        "pass@1": _rnd(sum(per_task) / len(per_task)),
        "ci_low": _rnd(low),
        "ci_high": _rnd(high),
    }


def _breakdown(tasks: Sequence[_Task], key: Any, order: Sequence[str] = ()) -> dict[str, Any]:
    groups: dict[str, list[_Task]] = defaultdict(list)
    for t in tasks:
        groups[key(t)].append(t)
    return {k: _group(groups[k]) for k in _ordered(groups, order)}


def _outcome_counts(counter: Mapping[str, int]) -> dict[str, int]:
    out = {NO_ANSWER: int(counter[NO_ANSWER])} if counter.get(NO_ANSWER) else {}
    out |= {o: int(counter.get(o, 0)) for o in OUTCOMES}
    for o in sorted(set(counter) - set(OUTCOMES) - {NO_ANSWER}):
        out[o] = int(counter[o])
    return out


def _tier_summary(tier: _Tier, k_values: Sequence[int]) -> dict[str, Any]:
    names = sorted(tier.tasks)
    tasks = [tier.tasks[name] for name in names]
    per_task = [t.c / t.n for t in tasks]
    method, low, high = _interval(tasks, per_task)
    n_min = min(t.n for t in tasks)
    pass_k: dict[str, Any] = {}
    for k in sorted(set(k_values)):
        if k > n_min:
            continue
        vals = [pass_at_k(t.n, t.c, k) for t in tasks]
        if k == 1:
            k_low, k_high = low, high
        else:
            k_low, k_high = bootstrap_interval(vals)
        pass_k[str(k)] = {
            "value": _rnd(sum(vals) / len(vals)),
            "ci_low": _rnd(k_low),
            "ci_high": _rnd(k_high),
        }
    return {
        "n_tasks": len(tasks),
        "n_samples": tier.samples,
        "samples_per_task": {"min": n_min, "max": max(t.n for t in tasks)},
        "ci_method": method,
        "passed": _rnd(sum(per_task)),
        "pass@1": _rnd(sum(per_task) / len(per_task)),
        "ci_low": _rnd(low),
        "ci_high": _rnd(high),
        "pass@k": pass_k,
        "by_kind": _breakdown(tasks, lambda t: t.kind, KINDS),
        "by_attestor": _breakdown(tasks, lambda t: t.attestor),
        "by_source": _breakdown(tasks, lambda t: t.source, SOURCES),
        "by_kind_source": _breakdown(
            tasks,
            lambda t: f"{t.kind}/{t.source}",
            [f"{k}/{s}" for k in KINDS for s in SOURCES],
        ),
        "outcomes": {
            "overall": _outcome_counts(tier.outcomes),
            "by_kind": {
                k: _outcome_counts(tier.outcomes_by_kind[k]) for k in _ordered(tier.outcomes_by_kind, KINDS)
            },
        },
        "completion_tokens_mean": _rnd(sum(tier.tokens) / len(tier.tokens)) if tier.tokens else None,
        "cut": {
            "overall": sum(tier.cut.values()),
            "by_kind": {k: tier.cut[k] for k in _ordered(tier.cut, KINDS)},
        },
        "errors": tier.errors,
        "seconds": _rnd(tier.seconds),
    }


def summarize(
    samples: Iterable[Mapping[str, Any]], run_info: Mapping[str, Any], k_values: Sequence[int] = (1, 5, 10)
) -> dict[str, Any]:
    """Summarise scored samples (see module docstring); `run_info` is the run's run.json."""
    tiers: dict[str, _Tier] = defaultdict(_Tier)
    for s in samples:
        tier = tiers[str(s["tier"])]
        name = str(s["task"])
        task = tier.tasks.get(name)
        if task is None:
            attestor = s.get("attestor")
            task = tier.tasks[name] = _Task(
                kind=str(s["kind"]),
                source=str(s["source"]),
                attestor=NO_ATTESTOR if attestor in (None, "") else str(attestor),
            )
        passed = bool(s["passed"])
        task.n += 1
        task.c += int(passed)
        outcome = str(s.get("outcome") or ("pass" if passed else "invalid"))
        tier.outcomes[outcome] += 1
        tier.outcomes_by_kind[task.kind][outcome] += 1
        tier.samples += 1
        tier.errors += int(s.get("error") is not None)
        if s.get("cut"):
            tier.cut[task.kind] += 1
        seconds = s.get("seconds")
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
            tier.seconds += float(seconds)
        tokens = s.get("completion_tokens")
        if isinstance(tokens, int) and not isinstance(tokens, bool):
            tier.tokens.append(tokens)

    tier_out = {name: _tier_summary(tiers[name], k_values) for name in _ordered(tiers, TIERS)}
    headline_tier = HEADLINE_TIER if HEADLINE_TIER in tier_out else next(iter(tier_out), None)
    headline: dict[str, Any] | None = None
    if headline_tier is not None:
        t = tier_out[headline_tier]
        headline = {
            "tier": headline_tier,
            "n_tasks": t["n_tasks"],
            "pass@1": t["pass@1"],
            "ci_low": t["ci_low"],
            "ci_high": t["ci_high"],
        }
    all_tokens = [x for t in tiers.values() for x in t.tokens]
    settings = run_info.get("settings") or {}
    return _rounded(
        {
            "suite": run_info.get("suite"),
            "suite_version": run_info.get("suite_version"),
            "model": run_info.get("model"),
            "label": run_info.get("label") or run_info.get("model"),
            "backend": run_info.get("backend"),
            "hardware": run_info.get("hardware"),
            "settings": settings,
            "started": run_info.get("started"),
            "finished": run_info.get("finished"),
            "ci": {
                "level": 0.95,
                "methods": {
                    "wilson": "Wilson score interval on tasks (one sample per task)",
                    "bootstrap": f"percentile bootstrap over tasks ({BOOTSTRAP_RESAMPLES} resamples, "
                    f"seed {BOOTSTRAP_SEED})",
                },
            },
            "headline": headline,
            "tiers": tier_out,
            "totals": {
                "samples": sum(t.samples for t in tiers.values()),
                "errors": sum(t.errors for t in tiers.values()),
                "seconds": sum(t.seconds for t in tiers.values()),
                "completion_tokens_mean": sum(all_tokens) / len(all_tokens) if all_tokens else None,
            },
        }
    )


def _rounded(obj: Any) -> Any:
    """Round every float to DIGITS decimals, recursively (so the JSON is stable)."""
    if isinstance(obj, float):
        return round(obj, DIGITS) if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _rounded(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_rounded(v) for v in obj]
    return obj


# ---------------------------------------------------------------------------------------------
# files

_REQUIRED: dict[str, tuple[type, ...]] = {
    "task": (str,),
    "kind": (str,),
    "source": (str,),
    "tier": (str,),
    "passed": (bool,),
}


def iter_samples(path: Path) -> Iterator[dict[str, Any]]:
    """Stream and validate samples.jsonl; a bad line raises `InputError` naming file and line."""
    source = str(path)
    for lineno, record in iter_jsonl(path, max_bytes=MAX_SAMPLES_BYTES):
        where = f"line {lineno}"
        if not isinstance(record, dict):
            raise InputError("expected a JSON object", source=source, location=where)
        for key, types in _REQUIRED.items():
            if not isinstance(record.get(key), types):
                raise InputError(
                    f'"{key}" missing or not a {types[0].__name__}', source=source, location=where
                )
        outcome = record.get("outcome")
        if outcome is not None and outcome not in (NO_ANSWER, *OUTCOMES):
            raise InputError(
                f"unknown outcome {outcome!r} (expected one of {', '.join((NO_ANSWER, *OUTCOMES))})",
                source=source,
                location=where,
            )
        yield record


def read_samples(path: Path) -> list[dict[str, Any]]:
    """All samples of a samples.jsonl file (validated; see `iter_samples`)."""
    return list(iter_samples(path))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON value {name}")


def read_run_info(run_dir: Path) -> dict[str, Any]:
    """The run's run.json (an object), or `InputError` naming the file."""
    path = run_dir / RUN_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(getattr(exc, "strerror", None) or str(exc), source=str(path)) from None
    try:
        info = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg}", source=str(path), location=f"{exc.lineno}:{exc.colno}"
        ) from None
    except ValueError as exc:
        raise InputError(f"invalid JSON: {exc}", source=str(path)) from None
    if not isinstance(info, dict):
        raise InputError("expected a JSON object", source=str(path))
    return info


def write_summary(run_dir: Path, k_values: Sequence[int] = (1, 5, 10)) -> dict[str, Any]:
    """Summarise RUN/samples.jsonl with RUN/run.json and write RUN/summary.json atomically."""
    run_dir = Path(run_dir)
    info = read_run_info(run_dir)
    summary = summarize(iter_samples(run_dir / SAMPLES_FILE), info, k_values)
    write_atomic(run_dir / SUMMARY_FILE, json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return summary


# ---------------------------------------------------------------------------------------------
# terminal table


def _pct(x: float | None) -> str:
    return "  -  " if x is None else f"{100 * x:5.1f}"


def _cell(group: Mapping[str, Any] | None) -> str:
    if not group or group.get("pass@1") is None:
        return "-"
    return f"{_pct(group['pass@1'])}% [{_pct(group['ci_low']).strip()}–{_pct(group['ci_high']).strip()}] n={group['n_tasks']}"


def format_table(summary: Mapping[str, Any]) -> str:
    """A compact plain-text table: kinds × pass@1 [95% CI] per tier, then hand/generated and pass@k."""
    tiers: dict[str, Any] = summary.get("tiers") or {}
    names = list(tiers)
    settings = summary.get("settings") or {}
    title = (
        f"witness-bench  suite {summary.get('suite')} v{summary.get('suite_version')}  "
        f"model {summary.get('label') or summary.get('model')}"
    )
    if settings:
        title += f"  (samples {settings.get('samples')}, temperature {settings.get('temperature')})"
    if not names:
        return title + "\nno samples"
    kinds = _ordered({k for t in tiers.values() for k in t["by_kind"]}, KINDS)
    rows: list[list[str]] = [["", *[f"{n} pass@1 [95% CI]" for n in names]]]
    rows += [[k, *[_cell(tiers[n]["by_kind"].get(k)) for n in names]] for k in kinds]
    rows.append(["all", *[_cell(tiers[n]) for n in names]])
    for src in _ordered({s for t in tiers.values() for s in t["by_source"]}, SOURCES):
        rows.append([src, *[_cell(tiers[n]["by_source"].get(src)) for n in names]])
    ks = sorted({int(k) for t in tiers.values() for k in t["pass@k"]} - {1})
    for k in ks:
        cells = []
        for n in names:
            pk = tiers[n]["pass@k"].get(str(k))
            cells.append(
                "-"
                if pk is None
                else f"{_pct(pk['value'])}% [{_pct(pk['ci_low']).strip()}–{_pct(pk['ci_high']).strip()}]"
            )
        rows.append([f"pass@{k}", *cells])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [title]
    sep_after = {0, len(kinds), len(kinds) + 1}
    for i, row in enumerate(rows):
        lines.append(
            "  ".join(
                cell.ljust(w) if j == 0 else cell.rjust(w)
                for j, (cell, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if i in sep_after:
            lines.append("  ".join("-" * w for w in widths))
    for n in names:
        cut = (tiers[n].get("cut") or {}).get("overall")
        if cut:
            lines.append(
                f"{n}: {cut} failed answers stopped at their token budget (--budget, --max-new-tokens)"
            )
    methods = sorted({t["ci_method"] for t in tiers.values()})
    errors = (summary.get("totals") or {}).get("errors", 0)
    lines.append(f"CI: {', '.join(methods)}" + (f"   backend errors: {errors}" if errors else ""))
    return "\n".join(lines)
