"""Split hygiene of a written dataset: shared templates, groups and questions, and near-duplicate prompts.

Everything is read back from the files (`<split>.jsonl` and the line-aligned `<split>.meta.jsonl`), so
the numbers check what was written, not what the generator meant to write. The small splits (valid,
test) are indexed and train is streamed through the index: memory grows with the held-out splits only.
Processes can share train, each streaming consecutive lines (`scan_leakage`); their scans, merged in
order (`leakage_report`), give the same report as one pass.

Near duplicates: a prompt (all user turns) is *value-masked* first (PEM blocks, URLs, quoted strings and
inline code, paths, base64, hex, numbers become placeholder words), so two prompts that differ only in
their values (keys, digests, names, paths) compare as equal. Prompts are then compared as sets of word
5-shingles: MinHash LSH proposes candidates (datasketch, bands tuned for 99% recall at the threshold) and
each candidate is confirmed with the true Jaccard similarity of the two shingle sets.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH

from witness_evals.common.neardup import SEED, Shingler, identity, jaccard, lsh_params, normalize
from witness_evals.generate.families import GROUPS_SPAN_SPLITS
from witness_evals.generate.splits import count_lines, hash64, iter_split, normalize_question

THRESHOLD = 0.8
NUM_PERM = 128
SHINGLE = 5
BATCH = 512
MAX_EXAMPLES = 10

_MASKS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?-----END [A-Z0-9 ]+-----", re.S), " pemblock ", "-----BEGIN "),
    (re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'`<>)\]]+"), " urlvalue ", "://"),
    (re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"'), " strvalue ", '"'),
    (re.compile(r"'(?<![\w']')[^'\n]*'(?![\w'])"), " strvalue ", "'"),
    (re.compile(r"`(?<!``)[^`\n]+`(?!`)"), " strvalue ", "`"),
    (re.compile(r"(?<![\w/])(?:~|\.{1,2})?/?(?:[\w.@+-]+/)+[\w.@+-]*"), " pathvalue ", "/"),
    (re.compile(r"[A-Za-z0-9+/]{20,}={0,2}"), " b64value ", ""),
    (re.compile(r"[0-9a-fA-F](?<!\w[0-9a-fA-F])[0-9a-fA-F]{7,}\b"), " hexvalue ", ""),
    (re.compile(r"\d+"), " numvalue ", ""),
)
r"""(pattern, placeholder, text every match contains): a text without it is left as it is, unsearched.
Patterns start with a character (class) rather than an assertion, the lookbehind that would come first
placed after that character (over two characters), and a double-quoted string is unrolled (no
alternation per character): the regex engine then skips positions that cannot start a match quickly.
Each is equivalent to its plain form: `'(?<![\w']')` is `(?<![\w'])'`, and the hex value starts with
`\b[0-9a-fA-F]`."""


def mask_values(text: str) -> str:
    """`text` with its values replaced by placeholder words (see the module docstring)."""
    for pattern, repl, needed in _MASKS:
        if needed in text:
            text = pattern.sub(repl, text)
    return text


def user_prompt(messages: list[dict[str, Any]]) -> str:
    """All user turns of a conversation, joined by newlines."""
    return "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")


class NearDuplicates:
    """Index prompts, then stream others through: the first match (Jaccard >= threshold) of each indexed
    prompt. A matched prompt leaves the index, so a stream of near-identical prompts costs no more than
    the index size in exact comparisons."""

    def __init__(self, *, threshold: float = THRESHOLD, num_perm: int = NUM_PERM, shingle: int = SHINGLE):
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle = shingle
        self._shingler = Shingler(shingle)
        self._bands, self._rows = lsh_params(threshold, num_perm)
        self._lsh = MinHashLSH(num_perm=num_perm, params=(self._bands, self._rows))
        self._sets: dict[str, np.ndarray] = {}
        self._sigs: dict[str, np.ndarray] = {}
        self.best: dict[str, tuple[float, str]] = {}
        self.indexed = 0
        self.streamed = 0
        self._mh = {"num_perm": num_perm, "seed": SEED, "hashfunc": identity}

    def _sets_of(self, prompts: list[str]) -> list[np.ndarray]:
        return [self._shingler(normalize(mask_values(p))) for p in prompts]

    def index(self, items: Iterable[tuple[str, str]]) -> None:
        """Add (key, prompt) pairs to the index."""
        for batch in _batched(items, BATCH):
            sets = self._sets_of([p for _, p in batch])
            keep = [i for i, s in enumerate(sets) if len(s)]
            self.indexed += len(batch)
            for i, m in zip(
                keep, MinHash.generator((sets[i].tolist() for i in keep), **self._mh), strict=True
            ):
                key = batch[i][0]
                self._lsh.insert(key, m)
                self._sets[key] = sets[i]
                self._sigs[key] = m.hashvalues

    def stream(self, items: Iterable[tuple[str, str]]) -> None:
        """Compare (key, prompt) pairs with the index; records the first match of every indexed prompt."""
        for batch in _batched(items, BATCH):
            self.streamed += len(batch)
            sets = self._sets_of([p for _, p in batch])
            keep = [i for i, s in enumerate(sets) if len(s)]
            for i, m in zip(
                keep, MinHash.generator((sets[i].tolist() for i in keep), **self._mh), strict=True
            ):
                for key in self._lsh.query(m):
                    if float(np.mean(self._sigs[key] == m.hashvalues)) < self.threshold - 0.15:
                        continue  # the estimate is far below: not worth the exact Jaccard
                    j = jaccard(self._sets[key], sets[i])
                    if j >= self.threshold:
                        self.best[key] = (j, batch[i][0])
                        self._lsh.remove(key)
                        del self._sets[key], self._sigs[key]

    def settings(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "num_perm": self.num_perm,
            "shingle": self.shingle,
            "lsh_bands": self._bands,
            "lsh_rows": self._rows,
            "masked": True,
        }


def _batched(items: Iterable[tuple[str, str]], size: int) -> Iterator[list[tuple[str, str]]]:
    batch: list[tuple[str, str]] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


SHARED = ("templates", "groups", "questions", "facts")
"""What splits may share: question templates, tasks (groups), normalised questions, and facts (the groups of
the families in `GROUPS_SPAN_SPLITS`, asked in other words in another split by design)."""


def _group_kind(row: dict[str, Any]) -> str:
    return "facts" if row.get("family") in GROUPS_SPAN_SPLITS else "groups"


@dataclass
class LeakageScan:
    """What one pass over the files found: the small splits' keys and, for its share of the big split's
    lines, what they share with them and the first near duplicate of each test prompt."""

    keys: dict[str, dict[str, set[Any]]]
    """Small split -> templates, group hashes, question hashes."""
    shared: dict[str, dict[str, set[Any]]]
    """`big/small` -> what of the small split's keys the big split's lines hold."""
    best: dict[str, tuple[float, str]]
    """Test id -> (Jaccard, train id) of its first near duplicate in these lines, in the order found."""
    test_meta: dict[str, tuple[str, str]]
    indexed: int
    streamed: int
    settings: dict[str, Any]


def split_leakage(out: Path, splits: tuple[str, ...] = ("train", "valid", "test")) -> dict[str, Any]:
    """Templates, groups and normalised questions shared between splits, and near-duplicate prompts
    test -> train, read from the dataset files in `out` (`splits[0]` is streamed, the others indexed)."""
    return leakage_report([scan_leakage(out, splits)])


def scan_leakage(
    out: Path, splits: tuple[str, ...] = ("train", "valid", "test"), *, part: int = 0, parts: int = 1
) -> LeakageScan:
    """The small splits indexed, and part `part` of `parts` (consecutive, equal shares of its lines) of
    `splits[0]` streamed through them: scans of all parts, in order, make `split_leakage`'s report
    (`leakage_report`), and can run in parallel."""
    big, *small = splits
    keys: dict[str, dict[str, set[Any]]] = {}
    near = NearDuplicates()
    test_meta: dict[str, tuple[str, str]] = {}
    for split in small:
        k: dict[str, set[Any]] = {what: set() for what in SHARED}
        prompts: list[tuple[str, str]] = []
        for row, messages in iter_split(out, split):
            prompt = user_prompt(messages)
            k["templates"].add(row.get("template", ""))
            k[_group_kind(row)].add(hash64(row.get("group", "")))
            k["questions"].add(hash64(normalize_question(prompt)))
            if split == "test":
                prompts.append((row["id"], prompt))
                test_meta[row["id"]] = (row.get("family", ""), row.get("template", ""))
        if split == "test":
            near.index(prompts)
        keys[split] = k
    shared: dict[str, dict[str, set[Any]]] = {f"{big}/{s}": {what: set() for what in SHARED} for s in small}

    def train_prompts() -> Iterator[tuple[str, str]]:
        n = count_lines(out, big)
        stop = (part + 1) * n // parts if part + 1 < parts else None  # the last part reads to the end
        for row, messages in iter_split(out, big, part * n // parts, stop):  # only what is shared is kept
            prompt = user_prompt(messages)
            values = {
                "templates": row.get("template", ""),
                _group_kind(row): hash64(row.get("group", "")),
                "questions": hash64(normalize_question(prompt)),
            }
            for s in small:
                for what, value in values.items():
                    if value in keys[s][what]:
                        shared[f"{big}/{s}"][what].add(value)
            yield row["id"], prompt

    near.stream(train_prompts())
    return LeakageScan(keys, shared, near.best, test_meta, near.indexed, near.streamed, near.settings())


def leakage_report(scans: Sequence[LeakageScan]) -> dict[str, Any]:
    """The report of `split_leakage` from the scans of all parts of the big split, in order."""
    first = scans[0]
    keys = first.keys
    small = list(keys)
    shared = {
        pair: {what: set().union(*(sc.shared[pair][what] for sc in scans)) for what in c}
        for pair, c in first.shared.items()
    }
    best: dict[str, tuple[float, str]] = {}
    for sc in scans:  # a test prompt's first near duplicate is in the first part that has one
        for key, hit in sc.best.items():
            best.setdefault(key, hit)
    test_meta = first.test_meta
    streamed = sum(sc.streamed for sc in scans)
    pairs: dict[str, dict[str, int]] = {
        pair: {f"shared_{what}": len(c[what]) for what in SHARED} for pair, c in shared.items()
    }
    for i, a in enumerate(small):
        for b in small[i + 1 :]:
            pairs[f"{a}/{b}"] = {f"shared_{what}": len(keys[a][what] & keys[b][what]) for what in SHARED}
    n_test = first.indexed
    by_family: Counter[str] = Counter(test_meta[k][0] for k in best)
    family_totals: Counter[str] = Counter(f for f, _ in test_meta.values())
    top = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:MAX_EXAMPLES]
    return {
        "pairs": pairs,
        "shared_templates": sum(p["shared_templates"] for p in pairs.values()),
        "shared_groups": sum(p["shared_groups"] for p in pairs.values()),
        "shared_questions": sum(p["shared_questions"] for p in pairs.values()),
        "shared_facts": sum(p["shared_facts"] for p in pairs.values()),
        "near_duplicates_test_train": {
            "test_prompts": n_test,
            "train_prompts": streamed,
            "near_duplicates": len(best),
            "rate": round(len(best) / n_test, 4) if n_test else 0.0,
            "by_family": {f: {"test": family_totals[f], "near": by_family[f]} for f in sorted(family_totals)},
            "top_templates": dict(Counter(test_meta[k][1] for k in best).most_common(MAX_EXAMPLES)),
            "examples": [{"test": k, "train": t, "jaccard": round(j, 4)} for k, (j, t) in top],
            "settings": first.settings,
        },
    }
