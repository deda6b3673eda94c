"""Small pieces of Go's standard library whose exact behaviour and error texts Witness exposes.

`go_b64decode` is `base64.StdEncoding.DecodeString` (how encoding/json reads `[]byte` fields: keys,
certificates, Rego modules, DSSE payloads and signatures); `go_json_kind` is the JSON type name in
encoding/json's `cannot unmarshal <kind> into ...` errors; `go_json_marshal` is `json.Marshal`'s output
for a value whose keys are already in struct-field order; `go_quote`, `go_quote_ascii` and `go_quote_rune`
are strconv's `Quote`, `QuoteToASCII` and `QuoteRune(ToASCII)` (the `%q`/`%+q` verbs).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any


class Base64Error(ValueError):
    """Go's `base64.CorruptInputError`."""

    def __init__(self, offset: int) -> None:
        self.offset = offset
        super().__init__(f"illegal base64 data at input byte {offset}")


_B64_ALPHABET = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


# Canonical padded base64 is alphabet characters, at most two `=` at the end, and a length that is a
# multiple of 4. A single-character-class repeat keeps `re` linear and stackless; the former
# `(?:[...]{4})*` grouping kept one backtracking frame per quantum (1.6 GB, 4.8 s for a 54 MB payload).
_B64_CANONICAL = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def go_b64decode(text: str) -> bytes:
    """`base64.StdEncoding.DecodeString`: padded standard alphabet, CR/LF ignored, non-strict tail bits.

    Raises `Base64Error` (`illegal base64 data at input byte N`) with Go's offset."""
    if len(text) % 4 == 0 and _B64_CANONICAL.fullmatch(text):  # the usual case (what Go writes): C
        return binascii.a2b_base64(text)
    src = text.encode("utf-8", errors="surrogatepass")
    clean = bytearray()
    n = len(src)
    si = 0
    while si < n:
        quantum = bytearray()
        j = 0
        while j < 4:
            if si == n:
                if j == 0:
                    return _finish(clean)
                raise Base64Error(si - j)
            ch = src[si]
            si += 1
            if ch in _B64_ALPHABET:
                quantum.append(ch)
                j += 1
                continue
            if ch in (0x0A, 0x0D):
                continue
            if ch != 0x3D:  # '='
                raise Base64Error(si - 1)
            if j in (0, 1):
                raise Base64Error(si - 1)
            if j == 2:
                while si < n and src[si] in (0x0A, 0x0D):
                    si += 1
                if si == n:
                    raise Base64Error(n)
                if src[si] != 0x3D:
                    raise Base64Error(si - 1)
                si += 1
            while si < n and src[si] in (0x0A, 0x0D):
                si += 1
            if si < n:
                raise Base64Error(si)
            clean += quantum + b"=" * (4 - j)
            return _finish(clean)
        clean += quantum
    return _finish(clean)


def _finish(clean: bytearray) -> bytes:
    try:
        return base64.b64decode(bytes(clean), validate=False)
    except binascii.Error as exc:  # pragma: no cover - the scan above already validated
        raise ValueError(str(exc)) from None


def go_json_kind(value: Any) -> str:
    """The JSON type name Go's encoding/json puts in `cannot unmarshal <type> into ...` errors."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


_GO_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def go_json_marshal(value: Any) -> bytes:
    """Go's `json.Marshal`: compact, UTF-8, with `<`, `>`, `&`, U+2028 and U+2029 escaped (its HTML-safe
    default); map and struct keys in the order `value` has them."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _GO_HTML_ESCAPES[m.group()], text).encode()


_MAX_RUNE = 0x10FFFF
_NAMED_ESCAPES = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v"}


def go_quote(s: str, ascii_only: bool = False) -> str:
    """strconv.Quote / QuoteToASCII: Go escapes, printable runes kept (unicode.IsPrint ~ str.isprintable)."""
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif 0xD800 <= c <= 0xDFFF:
            out.append("\\ufffd")  # Go strings cannot hold surrogates: invalid UTF-8 -> RuneError
        elif ch.isprintable() and (c < 0x80 or not ascii_only):
            out.append(ch)
        else:
            out.append(_go_escape(c))
    out.append('"')
    return "".join(out)


def go_time_quote(s: str) -> str:
    """The `quote` of Go's time package (time.ParseError's values and layouts): `"` and `\\` escaped,
    every byte of a non-ASCII or control rune (below space) as `\\xNN`; DEL is kept as it is."""
    out = ['"']
    for ch in s:
        c = ord(ch)
        if 0x20 <= c < 0x80:
            out.append("\\" + ch if ch in ('"', "\\") else ch)
        else:
            raw = "\ufffd" if 0xD800 <= c <= 0xDFFF else ch  # a Go string holds U+FFFD for a lone surrogate
            out.extend(f"\\x{b:02x}" for b in raw.encode())
    out.append('"')
    return "".join(out)


def go_quote_ascii(s: str) -> str:
    """Go's `strconv.QuoteToASCII` (the `%+q` verb on a string)."""
    return go_quote(s, ascii_only=True)


def _go_escape(c: int) -> str:
    if c in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[c]
    if c < 0x20 or c == 0x7F:
        return f"\\x{c:02x}"
    if c < 0x10000:
        return f"\\u{c:04x}"
    return f"\\U{c:08x}"


def go_quote_rune(c: int, ascii_only: bool) -> str:
    """strconv.QuoteRune(ToASCII): like Quote but single quotes; invalid runes become U+FFFD."""
    if c > _MAX_RUNE or c < 0 or 0xD800 <= c <= 0xDFFF:
        c = 0xFFFD
    ch = chr(c)
    if ch in ("'", "\\"):
        body = "\\" + ch
    elif ch.isprintable() and (c < 0x80 or not ascii_only):
        body = ch
    else:
        body = _go_escape(c)
    return "'" + body + "'"
