"""OPA's sprintf = Go fmt.Sprintf over OPA-converted arguments (witness/rego/gofmt.py)."""

from __future__ import annotations

from typing import Any

import pytest

from witness_evals.witness.rego import RegoSandbox, evaluate_deny
from witness_evals.witness.rego.gofmt import opa_sprintf, rego_text


@pytest.mark.parametrize(
    ("fmt", "args", "want"),
    [
        # argument-count mismatches: Go never fails
        ("x %v %v", ["a"], "x a %!v(MISSING)"),
        ("%v", [], "%!v(MISSING)"),
        ("x", ["foo"], "x%!(EXTRA string=foo)"),
        ("a", [1, 2.5, "s"], "a%!(EXTRA int=1, float64=2.5, string=s)"),
        ("a", [18446744073709551615], "a%!(EXTRA *big.Int=18446744073709551615)"),
        ("%[2]v %[1]v", ["a", "b"], "b a"),
        ("%[3]v", ["a"], "%!v(BADINDEX)"),
        ("%", [], "%!(NOVERB)"),
        ("%5%", [], "%"),
        # bad verbs print the Go type and the %v text (with the verb's flags)
        ("%d", ["foo"], "%!d(string=foo)"),
        ("%s", [1], "%!s(int=1)"),
        ("%d", [1.5], "%!d(float64=1.5)"),
        ("%f", [2], "%!f(int=2)"),
        ("%5d", ["ab"], "%!d(string=   ab)"),
        ("%c", [18446744073709551615], "%!c(big.Int=18446744073709551615)"),
        # integers
        ("%5d|%-5d|%05d|%+d|% d|%-05d|", [42, 42, 42, 42, 42, 42], "   42|42   |00042|+42| 42|42   |"),
        ("%x %X %#x %o %#o %b %O", [255, 255, 255, 8, 8, 5, 8], "ff FF 0xff 10 010 101 0o10"),
        ("%08.3d|%.0d|%5.0d|%#08x|%05d", [7, 0, 0, 255, -42], "     007||     |0x000000ff|-0042"),
        ("%c %U %#U %q", [65, 65, 0x1F600, 97], "A U+0041 U+1F600 '😀' 'a'"),
        ("%*d|%-*d|%.*f", [5, 3, 4, 1, 2, 3.14159], "    3|1   |3.14"),
        ("%+v %v", [5, 9223372036854775808], "5 9223372036854775808"),
        # floats (float64): %v is strconv 'g' shortest, exponent from 1e+06 / below 1e-04
        (
            "%v %v %v %v %v",
            [1.5, 1234567.5, 100000.5, 0.00001, 0.0001],
            "1.5 1.2345675e+06 100000.5 1e-05 0.0001",
        ),
        (
            "%f %.2f %e %E %g %.3g",
            [1.5, 3.14159, 1234.5678, 1234.5678, 0.000012345, 1234.5678],
            "1.500000 3.14 1.234568e+03 1.234568E+03 1.2345e-05 1.23e+03",
        ),
        (
            "%08.3f|%-8.2f|%+.1e|% .1f|%F",
            [-3.14159, 2.5, 12345.5, 2.5, 0.5],
            "-003.142|2.50    |+1.2e+04| 2.5|0.500000",
        ),
        ("%#g|%#.3x|%x|%b", [1.5, 1.5, 1.5, 0.5], "1.50000|0x1.800p+00|0x1.8p+00|4503599627370496p-53"),
        # strings
        (
            "%5s|%-5s|%.2s|%05s|%q|%+q|%#q|%x|% X",
            ["ab", "ab", "abc", "ab", 'a"b\n', "é", "x", "hi", "hi"],
            '   ab|ab   |ab|   ab|"a\\"b\\n"|"\\u00e9"|`x`|6869|68 69',
        ),
        ("%T %T %T", ["a", 1, 1.5], "string int float64"),
        # non-number, non-string Rego values arrive as their Rego text (Go strings)
        ("%t|%v|%s", [True, False, None], "%!t(string=true)|false|null"),
        ("%v", [[1, "a", None, [True]]], '[1, "a", null, [true]]'),
        ("%v", [{"b": 1, "a": {"x"}}], '{"a": {"x"}, "b": 1}'),
        ("%v %v %v %v", [{"b", "a", 2}, set(), {}, []], '{2, "a", "b"} set() {} []'),
        ("%q", [["x"]], '"[\\"x\\"]"'),
        ("%v", [{"k": "tab\there"}], '{"k": "tab\\there"}'),
    ],
)
def test_go_fmt(fmt: str, args: list[Any], want: str) -> None:
    assert opa_sprintf(fmt, args) == want


def test_rego_text_orders_like_opa() -> None:
    value = {3: "n", "s": [None, False, 1.5], "a": {"z", "y"}}
    assert rego_text(value) == '{3: "n", "a": {"y", "z"}, "s": [null, false, 1.5]}'
    assert rego_text([{"b": 1}, {"a": 2}, [2], [1, 0]]) == '[{"b": 1}, {"a": 2}, [2], [1, 0]]'
    assert rego_text({1.5, 1, False, None, "a"}) == '{null, false, 1, 1.5, "a"}'


def test_operands_are_checked() -> None:
    with pytest.raises(TypeError, match="operand 2 must be array"):
        opa_sprintf("%v", "a")


MISSING = {"m": 'package m\ndeny[msg] { a := "a"; msg := sprintf("x %v %v", [a]) }\n'}
EXTRA = {"e": 'package e\ndeny[msg] { msg := sprintf("bad value", [input.v]) }\n'}
MIXED = {"t": 'package t\ndeny[msg] { msg := sprintf("%d %v %s", [input.n, input.o, input.s]) }\n'}


def test_engine_deny_with_missing_argument_yields_go_text() -> None:
    """regorus' builtin raised "no argument specified for format verb 1" here; OPA denies."""
    out = evaluate_deny(MISSING, {})
    assert (out.status, out.deny) == ("ok", ["x a %!v(MISSING)"])
    out = evaluate_deny(EXTRA, {"v": "foo"})
    assert (out.status, out.deny) == ("ok", ["bad value%!(EXTRA string=foo)"])
    out = evaluate_deny(MIXED, {"n": 3, "o": {"z": [1, 2], "a": None}, "s": True})
    assert out.deny == ['3 {"a": null, "z": [1, 2]} true']


def test_sandbox_workers_use_the_same_sprintf() -> None:
    with RegoSandbox(1, timeout=5) as sb:
        out = sb.evaluate(MISSING, {})
        assert (out.status, out.deny) == ("ok", ["x a %!v(MISSING)"])
        out = sb.evaluate(EXTRA, {"v": 1.5})
        assert out.deny == ["bad value%!(EXTRA float64=1.5)"]
