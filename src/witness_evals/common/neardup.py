"""Near-duplicate text primitives shared by witness-bench decontamination and the generator's split check.

Text is normalised (casefold, punctuation and `_` to spaces, whitespace collapsed) and cut into word
`shingle`-grams hashed with numpy (each distinct word hashed once with blake2b, a shingle's hash a
polynomial of its words' hashes). MinHash LSH candidates (datasketch, `SEED`, bands from `lsh_params`)
are confirmed with the true Jaccard of the two shingle sets (`jaccard`).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np

SEED = 1
LSH_RECALL = 0.99  # chance that a pair exactly at the threshold becomes a candidate
_PUNCT = re.compile(r"[^\w\s]|_")
_MULT = np.uint64(0x100000001B3)  # FNV-64 prime: mixes word hashes position by position


_ASCII_PUNCT = str.maketrans({c: " " for c in map(chr, range(128)) if not (c.isalnum() or c.isspace())})


def normalize(text: str) -> str:
    """Casefold, turn punctuation (and `_`) into spaces, collapse whitespace."""
    folded = text.casefold().translate(_ASCII_PUNCT)
    if not folded.isascii():
        folded = _PUNCT.sub(" ", folded)
    return " ".join(folded.split())


class Shingler:
    """Word-shingle hashes (uint32, unique, sorted); each distinct word is hashed once."""

    def __init__(self, shingle: int) -> None:
        if shingle < 1:
            raise ValueError("shingle must be at least 1")
        self.shingle = shingle
        self._index: dict[str, int] = {}
        self._hashes = np.empty(1024, dtype=np.uint64)

    def _add(self, word: str) -> int:
        known = self._index.get(word)  # a new word may occur twice in one prompt
        if known is not None:
            return known
        i = len(self._index)
        if i == len(self._hashes):
            self._hashes = np.concatenate([self._hashes, np.empty_like(self._hashes)])
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
        self._hashes[i] = int.from_bytes(digest, "little")
        self._index[word] = i
        return i

    def __call__(self, normalized: str) -> np.ndarray:
        words = normalized.split()
        if not words:
            return np.empty(0, dtype=np.uint32)
        ids = list(map(self._index.get, words))
        if None in ids:
            ids = [self._add(w) if i is None else i for w, i in zip(words, ids, strict=True)]
        w = self._hashes[np.asarray(ids, dtype=np.intp)]
        s = min(self.shingle, len(w))
        m = len(w) - s + 1
        h = np.zeros(m, dtype=np.uint64)
        for j in range(s):
            h = h * _MULT + w[j : j + m]  # uint64 arithmetic wraps: a polynomial hash mod 2^64
        folded = ((h >> np.uint64(32)) ^ h) & np.uint64(0xFFFFFFFF)
        return np.unique(folded.astype(np.uint32))


def lsh_params(threshold: float, num_perm: int, recall: float = LSH_RECALL) -> tuple[int, int]:
    """(bands, rows) with the most rows per band (fewest false candidates) whose chance of making a
    pair of Jaccard `threshold` a candidate, `1 - (1 - t^r)^b`, is at least `recall`.

    datasketch's own choice balances false positives and negatives: at threshold 0.8 with 128
    permutations it finds only ~40% of the pairs at exactly 0.8. Here every candidate is checked
    against the true Jaccard anyway, so recall is what matters."""
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if 1.0 - (1.0 - threshold**rows) ** bands >= recall:
            return bands, rows
    return num_perm, 1


def identity(x: Any) -> Any:
    """The MinHash hash function for values that are already hashes."""
    return x


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if not len(a) and not len(b):
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)
