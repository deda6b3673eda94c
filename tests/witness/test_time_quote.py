"""Go's time.ParseError quotes with the time package's own `quote`, not strconv.Quote: every byte of a
non-ASCII or control rune as `\\xNN` (Go's time/format.go), so an `expires` with a newline or an `é`
fails with the bytes witness prints."""

from __future__ import annotations

import pytest

from witness_evals.witness.gocompat import go_time_quote
from witness_evals.witness.policy import TimeParseError, parse_rfc3339


def test_time_quote_escapes_bytes() -> None:
    assert go_time_quote('a"b\\c') == '"a\\"b\\\\c"'
    assert go_time_quote("é\n") == '"\\xc3\\xa9\\x0a"'
    assert go_time_quote("\x7f") == '"\x7f"'
    assert go_time_quote("\ud800") == '"\\xef\\xbf\\xbd"'


def test_parse_error_quotes_like_go() -> None:
    with pytest.raises(TimeParseError) as err:
        parse_rfc3339("2026-01-01\n00:00:00Z")
    assert str(err.value) == (
        'parsing time "2026-01-01\\x0a00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse "\\x0a00:00:00Z" as "T"'
    )
