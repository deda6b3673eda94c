"""Overlap between the benchmark suite and a training set: exact and near-duplicate prompts.

A prompt is all user turns of a conversation, joined by newlines. Both sides are normalised (casefold,
punctuation replaced by spaces, whitespace collapsed) and then compared two ways:

* exact: identical normalised text;
* near: Jaccard similarity of the sets of word `shingle`-grams at or above `threshold`. Candidates come
  from MinHash LSH (datasketch; `num_perm` permutations, fixed seed, bands chosen for 99% recall at the
  threshold, see `lsh_params`); each candidate is then checked against the true Jaccard of the two
  shingle sets, so LSH false positives are never reported. Pairs that are exact duplicates are listed
  only under `exact`. Note that one changed word removes `shingle` shingles: with 5-shingles a prompt
  needs about 50 words before a one-word edit stays above 0.8.

The suite (hundreds of prompts) is indexed; the training files (tens of thousands of prompts) are
streamed through it, so memory stays small. Shingles are hashed with numpy: each distinct word is
hashed once (blake2b, cached), a shingle's hash is a polynomial of its words' hashes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH

from witness_evals.common.errors import InputError
from witness_evals.common.jsonio import iter_jsonl
from witness_evals.common.neardup import SEED, Shingler, identity, jaccard, lsh_params, normalize

SPLIT_FILES = ("train.jsonl", "valid.jsonl", "test.jsonl")
MAX_MATCHES_PER_TASK = 20
ESTIMATE_MARGIN = 0.15  # candidates whose MinHash estimate is this far below the threshold are dropped
BATCH = 512


def dataset_files(paths: Sequence[Path]) -> list[Path]:
    """Expand DATASET arguments: a directory means its train/valid/test.jsonl (else all *.jsonl)."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = [p / name for name in SPLIT_FILES if (p / name).is_file()]
            if not found:
                found = sorted(q for q in p.glob("*.jsonl") if q.is_file())
            if not found:
                raise InputError(
                    "no train.jsonl, valid.jsonl, test.jsonl or other .jsonl file", source=str(p)
                )
            files += found
        elif p.is_file():
            files.append(p)
        else:
            raise InputError("no such file or directory", source=str(p))
    return files


def iter_user_prompts(path: Path) -> Iterator[tuple[int, str]]:
    """Stream a chat JSONL file: (line number, user turns joined) for lines that have user turns."""
    source = str(path)
    for lineno, record in iter_jsonl(path):
        where = f"line {lineno}"
        messages = record.get("messages") if isinstance(record, dict) else None
        if not isinstance(messages, list):
            raise InputError('expected an object with a "messages" list', source=source, location=where)
        users = []
        for i, msg in enumerate(messages):
            if not isinstance(msg, dict) or not isinstance(msg.get("content"), str):
                raise InputError(
                    "message must be an object with a string content",
                    source=source,
                    location=f"{where}: messages[{i}]",
                )
            if msg.get("role") == "user":
                users.append(msg["content"])
        if users:
            yield lineno, "\n".join(users)


def _batches(files: Sequence[Path], size: int) -> Iterator[list[tuple[str, int, str]]]:
    batch: list[tuple[str, int, str]] = []
    for f in files:
        for lineno, prompt in iter_user_prompts(f):
            batch.append((str(f), lineno, prompt))
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


def decontaminate(
    suite_prompts: Mapping[str, str],
    dataset_paths: Sequence[Path],
    *,
    threshold: float = 0.8,
    num_perm: int = 128,
    shingle: int = 5,
    max_matches: int = MAX_MATCHES_PER_TASK,
) -> dict[str, Any]:
    """Exact and near duplicates of suite prompts (task id -> prompt) in chat JSONL training files.

    `exact` and `near` keep at most `max_matches` pairs per task (the most similar, then file order);
    `per_task` has the full counts. Rates are shares of suite prompts with at least one match."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")
    files = dataset_files(dataset_paths)
    shingler = Shingler(shingle)
    tasks = sorted(suite_prompts)
    by_text: dict[str, list[str]] = defaultdict(list)
    suite_sets: dict[str, np.ndarray] = {}
    bands, rows = lsh_params(threshold, num_perm)
    lsh = MinHashLSH(num_perm=num_perm, params=(bands, rows))
    mh_args: dict[str, Any] = {"num_perm": num_perm, "seed": SEED, "hashfunc": identity}
    normalized = {t: normalize(suite_prompts[t]) for t in tasks}
    for t in tasks:
        by_text[normalized[t]].append(t)
        suite_sets[t] = shingler(normalized[t])
    indexed = [t for t in tasks if len(suite_sets[t])]
    signatures: dict[str, np.ndarray] = {}
    suite_minhashes = MinHash.generator((suite_sets[t].tolist() for t in indexed), **mh_args)
    for t, m in zip(indexed, suite_minhashes, strict=True):
        lsh.insert(t, m)
        signatures[t] = m.hashvalues

    exact: dict[str, list[tuple[str, int]]] = defaultdict(list)
    near: dict[str, list[tuple[float, str, int]]] = defaultdict(list)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"exact": 0, "near": 0})
    file_counts: dict[str, int] = dict.fromkeys(map(str, files), 0)
    n_train = 0
    for batch in _batches(files, BATCH):
        n_train += len(batch)
        norms = [normalize(p) for _, _, p in batch]
        sets = [shingler(n) for n in norms]
        keep = [i for i, s in enumerate(sets) if len(s)]
        minhashes = MinHash.generator((sets[i].tolist() for i in keep), **mh_args)
        for fname, _, _ in batch:
            file_counts[fname] += 1
        for i, m in zip(keep, minhashes, strict=True):
            fname, lineno, _ = batch[i]
            same = by_text.get(norms[i], ())
            for t in sorted(lsh.query(m)):
                if t in same or float(np.mean(signatures[t] == m.hashvalues)) < threshold - ESTIMATE_MARGIN:
                    continue
                j = jaccard(suite_sets[t], sets[i])
                if j >= threshold:
                    counts[t]["near"] += 1
                    near[t].append((j, fname, lineno))
        for i, norm in enumerate(norms):
            for t in by_text.get(norm, ()) if norm else ():
                counts[t]["exact"] += 1
                exact[t].append((batch[i][0], batch[i][1]))

    exact_rows = [
        {"task": t, "train_file": f, "line": line}
        for t in sorted(exact)
        for f, line in exact[t][:max_matches]  # already in file order
    ]
    near_rows = [
        {"task": t, "train_file": f, "line": line, "jaccard": round(j, 4)}
        for t in sorted(near)
        for j, f, line in sorted(near[t], key=lambda x: (-x[0], x[1], x[2]))[:max_matches]
    ]
    n_suite = len(tasks)
    contaminated = sorted(set(exact) | set(near))
    return {
        "suite_prompts": n_suite,
        "train_prompts": n_train,
        "train_files": [{"path": f, "prompts": n} for f, n in file_counts.items()],
        "settings": {
            "threshold": threshold,
            "num_perm": num_perm,
            "shingle": shingle,
            "seed": SEED,
            "lsh_bands": bands,
            "lsh_rows": rows,
        },
        "exact": exact_rows,
        "near": near_rows,
        "exact_rate": round(len(exact) / n_suite, 4) if n_suite else 0.0,
        "near_rate": round(len(near) / n_suite, 4) if n_suite else 0.0,
        "contaminated_rate": round(len(contaminated) / n_suite, 4) if n_suite else 0.0,
        "contaminated": contaminated,
        "per_task": {t: dict(counts[t]) for t in contaminated},
    }


def format_decontamination(result: Mapping[str, Any], max_rows: int = 40) -> str:
    """A plain-text account of `decontaminate`'s result for the terminal."""
    s = result.get("settings") or {}
    n_suite = int(result["suite_prompts"])
    lines = [
        f"decontamination: {n_suite} suite prompts vs {int(result['train_prompts']):,} training prompts "
        f"({len(result.get('train_files') or [])} files)",
        f"exact duplicates (normalised text):   {_share(result, 'exact')}",
        f"near duplicates (Jaccard >= {s.get('threshold', '?')} on word {s.get('shingle', '?')}-shingles, "
        f"MinHash LSH): {_share(result, 'near')}",
    ]
    per_task: Mapping[str, Mapping[str, int]] = result.get("per_task") or {}
    if not per_task:
        lines.append("no overlap found")
        return "\n".join(lines)
    best: dict[str, tuple[float, str]] = {}
    for row in result.get("exact", []):
        best.setdefault(row["task"], (1.0, f"{row['train_file']}:{row['line']}"))
    for row in result.get("near", []):
        if row["task"] not in best or row["jaccard"] > best[row["task"]][0]:
            best[row["task"]] = (row["jaccard"], f"{row['train_file']}:{row['line']}")
    tasks = sorted(per_task, key=lambda t: (-best.get(t, (0.0, ""))[0], t))
    width = max(len("task"), *(len(t) for t in tasks[:max_rows]))
    lines.append("")
    lines.append(f"{'task'.ljust(width)}  exact   near  best J  example")
    for t in tasks[:max_rows]:
        j, where = best.get(t, (0.0, ""))
        c = per_task[t]
        lines.append(f"{t.ljust(width)}  {c.get('exact', 0):5d}  {c.get('near', 0):5d}  {j:6.3f}  {where}")
    if len(tasks) > max_rows:
        lines.append(f"… and {len(tasks) - max_rows} more tasks")
    return "\n".join(lines)


def _share(result: Mapping[str, Any], key: str) -> str:
    n_suite = int(result["suite_prompts"])
    tasks = len({row["task"] for row in result.get(key, [])})
    rate = float(result.get(f"{key}_rate", 0.0))
    return f"{tasks} of {n_suite} suite prompts ({100 * rate:.1f}%)"
