"""Parquet copies of a dataset's splits and a Hugging Face dataset card (`README.md` with a YAML header).

`data/<split>-00000-of-00001.parquet` holds one row per example, streamed from `<split>.jsonl` and its
line-aligned `<split>.meta.jsonl`: `messages` (list of {role, content}), `id`, `family`, `template`,
`group`, `check` (the hidden test, a JSON string) and `witness_version` where the examples record one
(in the meta row or in the check).
The split `valid` is called `validation` there (the Hugging Face name). `datasets.load_dataset(DIR)`
reads the card's `configs` and loads the three splits from the Parquet files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from witness_evals.generate.splits import iter_split

HF_SPLIT = {"train": "train", "valid": "validation", "test": "test"}
ROWS_PER_GROUP = 1024
_MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
_COLUMNS = ("id", "family", "template", "group", "check")


def parquet_name(split: str) -> str:
    return f"data/{HF_SPLIT.get(split, split)}-00000-of-00001.parquet"


def _schema(with_version: bool) -> pa.Schema:
    fields = [pa.field("messages", pa.list_(_MESSAGE))] + [pa.field(c, pa.string()) for c in _COLUMNS]
    if with_version:
        fields.append(pa.field("witness_version", pa.string()))
    return pa.schema(fields)


def _version(row: dict[str, Any]) -> str | None:
    """The witness release an example was verified under (meta row, else its check), if recorded."""
    check = row.get("check")
    found = row.get("witness_version") or (check.get("witness_version") if isinstance(check, dict) else None)
    return None if found is None else str(found)


def _has_version(out: Path, splits: tuple[str, ...]) -> bool:
    for split in splits:
        for row, _ in iter_split(out, split):
            return _version(row) is not None
    return False


def _batches(out: Path, split: str, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    cols: dict[str, list[Any]] = {name: [] for name in schema.names}

    def flush() -> pa.RecordBatch:
        batch = pa.record_batch([pa.array(cols[n], type=schema.field(n).type) for n in schema.names], schema)
        for v in cols.values():
            v.clear()
        return batch

    for row, messages in iter_split(out, split):
        cols["messages"].append(
            [{"role": str(m.get("role", "")), "content": str(m.get("content", ""))} for m in messages]
        )
        for c in _COLUMNS:
            value = row.get(c)
            cols[c].append(json.dumps(value, ensure_ascii=False) if c == "check" else value)
        if "witness_version" in cols:
            cols["witness_version"].append(_version(row))
        if len(cols["id"]) >= ROWS_PER_GROUP:
            yield flush()
    if cols["id"]:
        yield flush()


def write_parquet(out: Path, splits: tuple[str, ...]) -> dict[str, str]:
    """Write `data/<split>-00000-of-00001.parquet` for every non-empty split (streamed, zstd); removes
    Parquet files of splits not written. Returns sha256 by path relative to `out`."""
    schema = _schema(_has_version(out, splits))
    data = out / "data"
    data.mkdir(exist_ok=True)
    digests: dict[str, str] = {}
    for split in splits:
        rel = parquet_name(split)
        path = out / rel
        tmp = path.with_name(f".{path.name}.tmp")
        writer: pq.ParquetWriter | None = None
        try:
            for batch in _batches(out, split, schema):
                if writer is None:
                    writer = pq.ParquetWriter(tmp, schema, compression="zstd")
                writer.write_batch(batch)
        finally:
            if writer is not None:
                writer.close()
        if writer is None:  # empty split: no file (the card lists only the splits that exist)
            path.unlink(missing_ok=True)
            continue
        tmp.replace(path)
        sha = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                sha.update(block)
        digests[rel] = sha.hexdigest()
    for stale in data.glob("*.parquet"):
        if f"data/{stale.name}" not in digests:
            stale.unlink()
    return digests


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < limit:
            return name
    return "100K<n<1M" if n < 1_000_000 else "1M<n<10M"


def dataset_card(stats: dict[str, Any]) -> str:
    """`README.md` for the dataset directory: YAML header (configs, license, ...) and a short description."""
    from witness_evals.generate import families

    counts: dict[str, int] = stats["examples"]
    total = sum(counts.values())
    splits = [s for s in ("train", "valid", "test") if counts.get(s)]
    header = [
        "---",
        "license: apache-2.0",
        "language:",
        "- en",
        "pretty_name: witness-evals verified chat data (in-toto/witness)",
        "task_categories:",
        "- text-generation",
        "- question-answering",
        "tags:",
        "- in-toto",
        "- witness",
        "- supply-chain-security",
        "- attestations",
        "- rego",
        "- synthetic",
        "size_categories:",
        f"- {_size_category(total)}",
        "configs:",
        "- config_name: default",
        "  data_files:",
    ]
    for s in splits:
        header += [f"  - split: {HF_SPLIT[s]}", f"    path: data/{HF_SPLIT[s]}-*.parquet"]
    header.append("---")
    spec = stats["spec"]
    leak = stats.get("leakage", {})
    near = leak.get("near_duplicates_test_train", {})
    lines = [
        "",
        "# witness-evals: verified chat data about in-toto/witness",
        "",
        f"{total:,} synthetic question/answer conversations about the "
        "[in-toto/witness](https://github.com/in-toto/witness) CLI, its policies and Rego rules, made by "
        "`witness-evals generate` (seed "
        f"{spec['seed']}, split by {spec.get('split_by', 'group')}). Every example carries a **hidden check**: "
        "a small JSON description of what any correct answer must contain or do (a command's meaning "
        "under the CLI grammar, a policy that must verify a pipeline and fail on tampered ones, a Rego "
        "module that must deny one input and allow another...). An example is kept only if its own "
        "reference answer passes its check, and the same checks score model answers "
        "(`witness-evals validate`). Nothing in an answer is ever executed.",
        "",
        "| family | what is asked | " + " | ".join(HF_SPLIT[s] for s in splits) + " |",
        "| --- | --- | " + " | ".join("---:" for _ in splits) + " |",
    ]
    for fam, per in stats["families"].items():
        try:
            desc = families.get(fam).description.rstrip(".")
        except KeyError:
            desc = ""
        lines.append(f"| `{fam}` | {desc} | " + " | ".join(f"{per.get(s, 0):,}" for s in splits) + " |")
    lines.append("| **all** | | " + " | ".join(f"**{counts[s]:,}**" for s in splits) + " |")
    lines += [
        "",
        "Columns: `messages` (OpenAI chat format: optional system, user, assistant), `id`, `family`, "
        "`template` (question template), `group` (underlying task), `check` (the hidden test, JSON).",
        "",
    ]
    if spec.get("split_by") == "template":
        lines.append(
            "**Held-out phrasing.** Every question template belongs to one split, so test questions use "
            "phrasings never seen in train, and no task (group) is in two splits. Facts are the exception by "
            "design: a fact is taught in train and asked in test in phrasings train never has."
        )
    else:
        lines.append("**Held-out tasks.** No task (group) is in two splits; templates are shared.")
    if near:
        lines.append(
            f"Templates shared between splits: {leak.get('shared_templates', 0)}; groups shared: "
            f"{leak.get('shared_groups', 0)}; facts asked in several splits: {leak.get('shared_facts', 0)}; "
            "test prompts with a near duplicate in train (value-masked, "
            f"word 5-shingle Jaccard >= 0.8): {near['near_duplicates']} of {near['test_prompts']} "
            f"({100 * near['rate']:.1f}%)."
        )
    lines += [
        "",
        "```python",
        "from datasets import load_dataset",
        'ds = load_dataset("path/to/this/directory")  # train, validation, test',
        "```",
        "",
        "The same data is in `train.jsonl`, `valid.jsonl`, `test.jsonl` with the checks in the "
        "line-aligned `*.meta.jsonl`; `stats.json` has the statistics and `manifest.json` the settings "
        "and checksums. License: Apache-2.0.",
        "",
    ]
    return "\n".join(header + lines)
