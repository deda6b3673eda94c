"""Go value semantics used by the witness CLI analyser: strconv/time parsing, pflag CSV, suggestions."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from typing import Any, Final

from witness_evals.common.errors import InputError

BOOL_WORDS: Final = frozenset(
    {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}
)
TRUE_WORDS: Final = frozenset({"1", "t", "T", "TRUE", "true", "True"})


def clean_path(path: str | None) -> str:
    """A path flag's value as Go's `filepath.Clean` leaves it (posixpath.normpath; empty or unset is `.`),
    so `./dist/`, `dist//` and `dist` name the same file."""
    return posixpath.normpath(path or ".")


def parse_go_bool(text: str) -> bool | None:
    """strconv.ParseBool; None when Go would reject the text."""
    if text in BOOL_WORDS:
        return text in TRUE_WORDS
    return None


def parse_go_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64); None when Go would reject it."""
    s = text
    sign = 1
    if s[:1] in ("+", "-"):
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    if not s:
        return None
    base, digits = 10, s
    low = s[:2].lower()
    if low in ("0x", "0o", "0b"):
        base, digits = {"0x": 16, "0o": 8, "0b": 2}[low], s[2:]
        if digits.startswith("_"):
            digits = digits[1:]
    elif s[0] == "0" and len(s) > 1:
        base, digits = 8, s[1:].lstrip("_") if s[1] == "_" else s[1:]
    if not digits or digits.startswith("_") or digits.endswith("_") or "__" in digits:
        return None
    allowed = "0123456789abcdef"[:base]
    if any(c not in allowed for c in digits.replace("_", "").lower()):
        return None
    value = sign * int(digits.replace("_", ""), base)
    return value if -(2**63) <= value < 2**63 else None


_DURATION_UNITS: Final = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}


def parse_go_duration(text: str) -> int | None:
    """time.ParseDuration in nanoseconds; None when Go would reject the text (linear scan)."""
    s = text
    neg = False
    if s[:1] in ("+", "-"):
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        return None
    total = 0.0
    i, n = 0, len(s)
    while i < n:
        start = i
        while i < n and s[i].isascii() and s[i].isdigit():
            i += 1
        whole = s[start:i]
        frac = ""
        if i < n and s[i] == ".":
            i += 1
            fstart = i
            while i < n and s[i].isascii() and s[i].isdigit():
                i += 1
            frac = s[fstart:i]
        if not whole and not frac:
            return None
        ustart = i
        while i < n and not (s[i] == "." or (s[i].isascii() and s[i].isdigit())):
            i += 1
        unit = _DURATION_UNITS.get(s[ustart:i])
        if unit is None:
            return None
        total += float(f"{whole or '0'}.{frac or '0'}") * unit
        if total > 2**63 - 1:
            return None
    return int(-total if neg else total)


def split_csv(value: str) -> list[str] | None:
    """pflag stringSlice parsing (encoding/csv, one record); None on a quoting error."""
    if value == "":
        return []
    if '"' not in value:
        return value.split(",")
    out: list[str] = []
    i, n = 0, len(value)
    while True:
        if i < n and value[i] == '"':
            i += 1
            buf: list[str] = []
            while True:
                j = value.find('"', i)
                if j < 0:
                    return None
                buf.append(value[i:j])
                if j + 1 < n and value[j + 1] == '"':
                    buf.append('"')
                    i = j + 2
                    continue
                i = j + 1
                break
            out.append("".join(buf))
            if i < n and value[i] != ",":
                return None
        else:
            j = value.find(",", i)
            end = n if j < 0 else j
            if '"' in value[i:end]:
                return None
            out.append(value[i:end])
            i = end
        if i >= n:
            return out
        i += 1  # skip the comma
        if i == n:
            out.append("")
            return out


# --------------------------------------------------------------------------- suggestions


def _bounded_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or limit + 1 as soon as it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        best = i
        for j, cb in enumerate(b, 1):
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            cur.append(v)
            best = min(best, v)
        if best > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate: same letters in another case, a `-word` suffix, edit distance, prefix."""
    if not word or len(word) > 64:
        return None
    cands = tuple(candidates)
    low = word.lower()
    for c in cands:
        if c.lower() == low:
            return c
    limit = 1 if len(word) <= 4 else 2 if len(word) <= 10 else 3
    best: tuple[int, int, str] | None = None
    for c in cands:
        d = _bounded_distance(low, c.lower(), limit)
        if d <= limit and (best is None or (d, len(c), c) < best):
            best = (d, len(c), c)
    if best is not None:
        return best[2]
    if len(word) >= 3:
        ends = [c for c in cands if c.endswith("-" + word)]
        if ends:
            return min(ends, key=lambda c: (len(c), c))
        starts = [c for c in cands if c.startswith(word)]
        if starts:
            return min(starts, key=lambda c: (len(c), c))
    return None


def convert_value(flag_type: str, value: str) -> tuple[Any, str | None]:
    """Typed value of a flag and the Go error text when a bool/int/duration flag rejects it."""
    if flag_type == "bool":
        b = parse_go_bool(value)
        return b, None if b is not None else f'strconv.ParseBool: parsing "{value}": invalid syntax'
    if flag_type == "int":
        i = parse_go_int(value)
        return i, None if i is not None else f'strconv.ParseInt: parsing "{value}": invalid syntax'
    if flag_type == "duration":
        ok = parse_go_duration(value) is not None
        return value, None if ok else f'time: invalid duration "{value}"'
    return value, None


def split_strings(values: list[str] | None) -> list[str]:
    """pflag `strings` semantics: each occurrence is comma separated (CSV), occurrences accumulate."""
    out: list[str] = []
    for value in values or []:
        row = split_csv(value)
        if row is None:
            raise InputError(f"invalid argument {value!r}: not a valid comma-separated list")
        out.extend(row)
    return out
