"""OPA's `sprintf` (v1/topdown/strings.go `builtinSprintf`): Go's `fmt.Sprintf` over converted arguments.

regorus' own `sprintf` fails with an eval error when the verbs and the arguments disagree in number;
OPA (and so go-witness) never fails: Go's fmt writes ``%!v(MISSING)`` for a missing argument and appends
``%!(EXTRA string=foo)`` for unused ones. `opa_sprintf` emulates that, and is registered as the
`sprintf` extension of every regorus Engine (engine.py `_new_engine`).

Argument conversion, as OPA does it: a number becomes a Go ``int`` when it fits int64, else a
``*big.Int`` when integral, else a ``float64``; a string stays a Go string; anything else (bool,
null, array, object, set) becomes its Rego text (`ast.Term.String()`), a Go string: so ``%t`` of a
Rego ``true`` is ``%!t(string=true)`` and ``%v`` of an array is ``["a", 1]``.

Go fmt emulated (fmt/print.go `doPrintf`, fmt/format.go, strconv): flags ``+ - # 0 space``, width and
precision (also ``*`` and ``[n]`` argument indexes), verbs ``v s q x X d b o O c U e E f F g G T %``,
``%!v(MISSING)``, ``%!(EXTRA ...)``, ``%!d(string=foo)`` bad verbs, ``%!(NOVERB)``, ``%!v(BADINDEX)``,
``%!(BADWIDTH)``, ``%!(BADPREC)``.

Known gaps (documented choices): ``%p`` is not emulated (Go prints an address or ``%!p(...)``);
the '0' flag is ignored for strings (Go >= 1.23: "ignored for strings, byte slices and byte arrays");
``%+v`` of a number prints no '+' (Go moves '+' to plusV for %v). regorus hands numbers over as Python
int/float, so a Rego ``1.0`` arrives as int 1 (OPA: float64 1, same ``%v`` text, but ``%d`` differs),
numbers beyond uint64 or float64 integers beyond int64 (``1e30``) fail in regorus' conversion before
this function runs, a set holding arrays/objects/sets cannot be handed to Python (unhashable);
those calls end in an eval error, as every regorus `sprintf` failure did before. (A Python set also
merges ``true`` with ``1`` and ``false`` with ``0``.)
"""

from __future__ import annotations

import math
import struct
from decimal import Decimal
from functools import cmp_to_key
from typing import Any

from witness_evals.witness.gocompat import go_quote, go_quote_rune

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_MAX_RUNE = 0x10FFFF


# ---------------------------------------------------------------- Rego text (OPA ast String())


def _type_order(v: Any) -> int:
    """OPA sort order of value kinds: null < boolean < number < string < array < object < set."""
    if v is None:
        return 0
    if isinstance(v, bool):
        return 1
    if isinstance(v, int | float):
        return 2
    if isinstance(v, str):
        return 3
    if isinstance(v, list | tuple):
        return 6
    if isinstance(v, dict):
        return 7
    return 8


def _cmp(a: Any, b: Any) -> int:
    """OPA ast.Compare on Rego values (as regorus hands them to Python)."""
    ta, tb = _type_order(a), _type_order(b)
    if ta != tb:
        return -1 if ta < tb else 1
    if ta in (1, 2, 3):
        return (a > b) - (a < b)
    if ta == 0:
        return 0
    if ta == 7:
        ka, kb = _sorted(a.keys()), _sorted(b.keys())
        for x, y in zip(ka, kb, strict=False):
            c = _cmp(x, y) or _cmp(a[x], b[y])
            if c:
                return c
        return (len(ka) > len(kb)) - (len(ka) < len(kb))
    la = list(a) if ta == 6 else _sorted(a)
    lb = list(b) if ta == 6 else _sorted(b)
    for x, y in zip(la, lb, strict=False):
        c = _cmp(x, y)
        if c:
            return c
    return (len(la) > len(lb)) - (len(la) < len(lb))


def _sorted(values: Any) -> list[Any]:
    return sorted(values, key=cmp_to_key(_cmp))


def rego_text(v: Any) -> str:
    """OPA `ast.Term.String()`: strings Go-quoted, arrays `[a, b]`, objects and sets sorted, `set()`."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _format_float(v, "g", -1)  # ast.FloatNumberTerm: strconv.FormatFloat(f, 'g', -1, 64)
    if isinstance(v, str):
        return go_quote(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(rego_text(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{rego_text(k)}: {rego_text(v[k])}" for k in _sorted(v.keys())) + "}"
    if isinstance(v, set | frozenset):
        return "{" + ", ".join(rego_text(x) for x in _sorted(v)) + "}" if v else "set()"
    return str(v)


def go_arg(v: Any) -> str | int | float:
    """The Go value OPA's builtinSprintf passes to fmt for one element of the argument array."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool) or v is None:
        return rego_text(v)
    if isinstance(v, int | float):
        return v
    return rego_text(v)


def _go_type(a: str | int | float) -> str:
    if isinstance(a, str):
        return "string"
    if isinstance(a, float):
        return "float64"
    return "int" if _INT64_MIN <= a <= _INT64_MAX else "*big.Int"


# ---------------------------------------------------------------- strconv.FormatFloat


def _shortest(v: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of |v| (as Go's and Python's repr) and decimal point position."""
    if v == 0:
        return "", 0
    _, digits, exp = Decimal(repr(abs(v))).as_tuple()
    d = "".join(map(str, digits))
    return d.rstrip("0"), len(d) + int(exp)


def _fmt_e(neg: bool, d: str, dp: int, prec: int, ch: str) -> str:
    first = d[0] if d else "0"
    frac = d[1:] if prec < 0 else (d[1:] + "0" * prec)[:prec]
    exp = dp - 1 if d else 0
    body = first + ("." + frac if frac else "")
    return ("-" if neg else "") + body + ch + ("-" if exp < 0 else "+") + f"{abs(exp):02d}"


def _fmt_f(neg: bool, d: str, dp: int, prec: int) -> str:
    intpart = (d[:dp] + "0" * (dp - len(d)) if dp > 0 else "0") or "0"
    frac = ""
    for i in range(prec):
        j = dp + i
        frac += d[j] if 0 <= j < len(d) else "0"
    return ("-" if neg else "") + intpart + ("." + frac if prec > 0 else "")


def _format_float(v: float, verb: str, prec: int) -> str:
    """strconv.FormatFloat(v, verb, prec, 64) for verbs e E f g G b x X (no Inf/NaN: JSON has none)."""
    if verb in "bxX":
        return _format_float_bits(v, verb, prec)
    neg = math.copysign(1.0, v) < 0
    if prec >= 0:  # correctly rounded in both; Python's %g trims zeros and switches to %e as Go does
        return f"{v:.{prec}{verb}}"
    d, dp = _shortest(v)
    if verb in "eE":
        return _fmt_e(neg, d, dp, -1, verb)
    if verb == "f":
        return _fmt_f(neg, d, dp, max(len(d) - dp, 0))
    exp = dp - 1
    if d and (exp < -4 or exp >= 6):  # shortest %g: precision 6 decides (strconv ftoa.go)
        return _fmt_e(neg, d, dp, -1, "e" if verb == "g" else "E")
    return _fmt_f(neg, d, dp, max(len(d) - dp, 0))


def _format_float_bits(v: float, verb: str, prec: int) -> str:
    """strconv fmtB / fmtX on the IEEE-754 bits."""
    bits = struct.unpack(">Q", struct.pack(">d", v))[0]
    neg = bool(bits >> 63)
    exp = (bits >> 52) & 0x7FF
    mant = bits & ((1 << 52) - 1)
    if exp == 0:
        exp += 1
    else:
        mant |= 1 << 52
    exp -= 1023
    sign = "-" if neg else ""
    if verb == "b":
        e = exp - 52
        return f"{sign}{mant}p{'+' if e >= 0 else ''}{e}"
    if mant == 0:
        exp = 0
    mant <<= 8
    while mant and not mant & (1 << 60):
        mant <<= 1
        exp -= 1
    if 0 <= prec < 15:
        shift = prec * 4
        extra = (mant << shift) & ((1 << 60) - 1)
        mant >>= 60 - shift
        if extra | (mant & 1) > 1 << 59:
            mant += 1
        mant <<= 60 - shift
        if mant & (1 << 61):
            mant >>= 1
            exp += 1
    digits = "0123456789abcdef" if verb == "x" else "0123456789ABCDEF"
    out = sign + "0" + verb + str((mant >> 60) & 1)
    mant = (mant << 4) & ((1 << 64) - 1)
    if prec < 0 and mant:
        out += "."
        while mant:
            out += digits[(mant >> 60) & 15]
            mant = (mant << 4) & ((1 << 64) - 1)
    elif prec > 0:
        out += "."
        for _ in range(prec):
            out += digits[(mant >> 60) & 15]
            mant = (mant << 4) & ((1 << 64) - 1)
    out += "p" if verb == "x" else "P"
    return out + ("-" if exp < 0 else "+") + f"{abs(exp):02d}"


# ---------------------------------------------------------------- fmt


class _Printer:
    """State of one fmt.Sprintf call (pp + fmt of Go's fmt package)."""

    def __init__(self, args: list[str | int | float]) -> None:
        self.args = args
        self.buf: list[str] = []
        self.clear()

    def clear(self) -> None:
        self.wid = self.prec = 0
        self.wid_present = self.prec_present = False
        self.minus = self.plus = self.sharp = self.space = self.zero = False
        self.plus_v = self.sharp_v = False

    # -- padding (format.go)
    def padding(self, n: int, zero: bool | None = None) -> str:
        if n <= 0:
            return ""
        z = self.zero if zero is None else zero
        return ("0" if z and not self.minus else " ") * n

    def pad(self, s: str, zero: bool | None = None) -> None:
        if not self.wid_present or self.wid == 0:
            self.buf.append(s)
            return
        fill = self.padding(self.wid - len(s), zero)
        self.buf.append(s + fill if self.minus else fill + s)

    # -- printArg (print.go)
    def print_arg(self, arg: str | int | float, verb: str) -> None:
        if verb == "T":
            self.pad(_go_type(arg))
            return
        if isinstance(arg, str):
            self.fmt_string(arg, verb)
        elif isinstance(arg, float):
            self.fmt_float(arg, verb)
        elif _INT64_MIN <= arg <= _INT64_MAX:
            self.fmt_integer(arg, verb)
        else:
            self.fmt_big(arg, verb)

    def bad_verb(self, arg: str | int | float, verb: str) -> None:
        self.buf.append(f"%!{verb}({_go_type(arg)}=")
        self.print_arg(arg, "v")
        self.buf.append(")")

    def fmt_string(self, s: str, verb: str) -> None:
        if verb not in "vsxXq" or len(verb) != 1:
            self.bad_verb(s, verb)
            return
        if verb in "xX":
            self.fmt_sx(s, verb)
            return
        if self.prec_present:
            s = s[: self.prec]
        if verb == "q" or (verb == "v" and self.sharp_v):
            if (
                self.sharp
                and "`" not in s
                and all(c == "\t" or (c.isprintable() and c != "\ufeff") for c in s)
            ):
                s = "`" + s + "`"  # strconv.CanBackquote
            else:
                s = go_quote(s, ascii_only=self.plus)
        self.pad(s, zero=False)

    def fmt_sx(self, s: str, verb: str) -> None:
        data = s.encode("utf-8", "replace")
        n = min(len(data), self.prec) if self.prec_present else len(data)
        if n == 0:
            if self.wid_present:
                self.buf.append(self.padding(self.wid, zero=False))
            return
        prefix = "0" + verb if self.sharp else ""
        spec = "{:02x}" if verb == "x" else "{:02X}"
        parts = [spec.format(b) for b in data[:n]]
        text = (" " + prefix).join(parts) if self.space else "".join(parts)
        text = prefix + text
        fill = self.padding(self.wid - len(text), zero=False) if self.wid_present else ""
        self.buf.append(text + fill if self.minus else fill + text)

    def fmt_integer(self, v: int, verb: str) -> None:
        bases = {"v": 10, "d": 10, "b": 2, "o": 8, "O": 8, "x": 16, "X": 16}
        if verb in bases and len(verb) == 1:
            self.fmt_int(v, bases[verb], verb)
        elif verb == "c":
            c = v if 0 <= v <= _MAX_RUNE and not 0xD800 <= v <= 0xDFFF else 0xFFFD
            self.pad(chr(c), zero=self.zero)
        elif verb == "q" and 0 <= v <= _MAX_RUNE:
            self.pad(go_quote_rune(v, self.plus))
        elif verb == "U":
            u = v & ((1 << 64) - 1)
            p = self.prec if self.prec_present and self.prec > 4 else 4
            s = f"U+{u:0{p}X}"
            if self.sharp and u <= _MAX_RUNE and not 0xD800 <= u <= 0xDFFF and chr(u).isprintable():
                s += f" '{chr(u)}'"
            self.pad(s, zero=False)
        else:
            self.bad_verb(v, verb)

    def fmt_int(self, v: int, base: int, verb: str) -> None:
        """format.go fmtInteger."""
        negative = v < 0
        u = abs(v)
        prec = 0
        if self.prec_present:
            prec = self.prec
            if prec == 0 and u == 0:
                self.buf.append(self.padding(self.wid, zero=False) if self.wid_present else "")
                return
        elif self.zero and not self.minus and self.wid_present:
            prec = self.wid
            if negative or self.plus or self.space:
                prec -= 1
        digits = {10: "{:d}", 2: "{:b}", 8: "{:o}", 16: "{:x}"}[base].format(u)
        if verb == "X":
            digits = digits.upper()
        digits = digits.rjust(prec, "0")
        if self.sharp:
            if base == 2:
                digits = "0b" + digits
            elif base == 8 and digits[0] != "0":
                digits = "0" + digits
            elif base == 16:
                digits = "0" + verb + digits
        if verb == "O":
            digits = "0o" + digits
        if negative:
            digits = "-" + digits
        elif self.plus:
            digits = "+" + digits
        elif self.space:
            digits = " " + digits
        self.pad(digits, zero=False)

    def fmt_big(self, v: int, verb: str) -> None:
        """math/big (*Int).Format."""
        bases = {"b": 2, "o": 8, "O": 8, "d": 10, "s": 10, "v": 10, "x": 16, "X": 16}
        if verb not in bases or len(verb) != 1:
            self.buf.append(f"%!{verb}(big.Int={v})")
            return
        sign = "-" if v < 0 else "+" if self.plus or self.plus_v else " " if self.space else ""
        prefix = ""
        if self.sharp or self.sharp_v:
            prefix = {"b": "0b", "o": "0", "x": "0x", "X": "0X"}.get(verb, "")
        if verb == "O":
            prefix = "0o"
        base = bases[verb]
        digits = {10: "{:d}", 2: "{:b}", 8: "{:o}", 16: "{:x}"}[base].format(abs(v))
        if verb == "X":
            digits = digits.upper()
        zeros = left = right = 0
        if self.prec_present:
            if len(digits) < self.prec:
                zeros = self.prec - len(digits)
            elif digits == "0" and self.prec == 0:
                return
        length = len(sign) + len(prefix) + zeros + len(digits)
        if self.wid_present and length < self.wid:
            d = self.wid - length
            if self.minus:
                right = d
            elif self.zero and not self.prec_present:
                zeros = d
            else:
                left = d
        self.buf.append(" " * left + sign + prefix + "0" * zeros + digits + " " * right)

    def fmt_float(self, v: float, verb: str) -> None:
        """print.go fmtFloat + format.go fmtFloat."""
        if verb == "v":
            verb, prec = "g", -1
        elif verb in "bgGxX" and len(verb) == 1:
            prec = -1
        elif verb in "feEF" and len(verb) == 1:
            verb, prec = ("f" if verb == "F" else verb), 6
        else:
            self.bad_verb(v, verb)
            return
        if self.prec_present and verb != "b":
            prec = self.prec
        num = _format_float(v, verb, prec if verb != "b" else 0)
        num = num if num[0] in "+-" else "+" + num
        if self.space and num[0] == "+" and not self.plus:
            num = " " + num[1:]
        if self.sharp and verb != "b":
            num = _sharp_float(num, verb, prec)
        if self.plus or num[0] != "+":
            if self.zero and not self.minus and self.wid_present and self.wid > len(num):
                self.buf.append(num[0] + self.padding(self.wid - len(num)) + num[1:])
                return
            self.pad(num)
            return
        self.pad(num[1:])


def _sharp_float(num: str, verb: str, prec: int) -> str:
    """format.go: '#' forces a decimal point and keeps %g trailing zeros."""
    digits = (6 if prec == -1 else prec) if verb in "vgGx" else 0
    tail = ""
    has_point = saw_nonzero = False
    i = 1
    while i < len(num):
        c = num[i]
        if c == ".":
            has_point = True
        elif c in "pP" or (c in "eE" and verb not in "xX"):
            tail, num = num[i:], num[:i]
            break
        else:
            if c != "0":
                saw_nonzero = True
            if saw_nonzero:
                digits -= 1
        i += 1
    if not has_point:
        if len(num) == 2 and num[1] == "0":
            digits -= 1
        num += "."
    return num + "0" * max(digits, 0) + tail


def _parsenum(s: str, i: int, end: int) -> tuple[int, bool, int]:
    """print.go parsenum: a decimal number at s[i:end]; overflow (> 1e6) consumes the rest."""
    num, isnum = 0, False
    while i < end and "0" <= s[i] <= "9":
        if num > 1_000_000:
            return 0, False, end
        num = num * 10 + ord(s[i]) - 48
        isnum = True
        i += 1
    return num, isnum, i


def go_sprintf(fmt: str, args: list[str | int | float]) -> str:
    """Go's fmt.Sprintf(fmt, args...) for args of Go type string, int / *big.Int (Python int), float64."""
    p = _Printer(args)
    buf = p.buf
    end = len(fmt)
    arg_num = 0
    reordered = False
    i = 0

    def arg_number(arg_num: int, i: int) -> tuple[int, int, bool, bool]:
        """(argNum, i, found, ok) of a `[n]` index at fmt[i]."""
        nonlocal reordered
        if i >= end or fmt[i] != "[":
            return arg_num, i, False, True
        reordered = True
        index, wid, ok = -1, 1, False
        if end - i >= 3:
            j = fmt.find("]", i + 1)
            if j >= 0:
                n, isnum, newi = _parsenum(fmt, i + 1, j)
                wid = j - i + 1
                if isnum and newi == j:
                    index, ok = n - 1, True
        if ok and 0 <= index < len(args):
            return index, i + wid, True, True
        return arg_num, i + wid, ok, False

    while i < end:
        good = True
        j = fmt.find("%", i)
        if j < 0:
            buf.append(fmt[i:])
            break
        buf.append(fmt[i:j])
        i = j + 1
        p.clear()
        while i < end and fmt[i] in "#0+- ":
            c = fmt[i]
            if c == "#":
                p.sharp = True
            elif c == "0":
                p.zero = True
            elif c == "+":
                p.plus = True
            elif c == "-":
                p.minus = True
            else:
                p.space = True
            i += 1
        arg_num, i, after_index, ok = arg_number(arg_num, i)
        good = good and ok
        if i < end and fmt[i] == "*":
            i += 1
            p.wid, p.wid_present, arg_num = _int_from_arg(args, arg_num)
            if not p.wid_present:
                buf.append("%!(BADWIDTH)")
            if p.wid < 0:
                p.wid, p.minus = -p.wid, True
            after_index = False
        else:
            p.wid, p.wid_present, i = _parsenum(fmt, i, end)
            if after_index and p.wid_present:
                good = False
        if i + 1 < end and fmt[i] == ".":
            i += 1
            if after_index:
                good = False
            arg_num, i, after_index, ok = arg_number(arg_num, i)
            good = good and ok
            if i < end and fmt[i] == "*":
                i += 1
                p.prec, p.prec_present, arg_num = _int_from_arg(args, arg_num)
                if p.prec < 0:
                    p.prec, p.prec_present = 0, False
                if not p.prec_present:
                    buf.append("%!(BADPREC)")
                after_index = False
            else:
                p.prec, p.prec_present, i = _parsenum(fmt, i, end)
                if not p.prec_present:
                    p.prec, p.prec_present = 0, True
        if not after_index:
            arg_num, i, after_index, ok = arg_number(arg_num, i)
            good = good and ok
        if i >= end:
            buf.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "%":
            buf.append("%")
        elif not good:
            buf.append(f"%!{verb}(BADINDEX)")
        elif arg_num >= len(args):
            buf.append(f"%!{verb}(MISSING)")
        else:
            if verb == "v":
                p.sharp_v, p.sharp = p.sharp, False
                p.plus_v, p.plus = p.plus, False
            p.print_arg(args[arg_num], verb)
            arg_num += 1
    if not reordered and arg_num < len(args):
        p.clear()
        extra = []
        for a in args[arg_num:]:
            sub = _Printer([])
            sub.print_arg(a, "v")
            extra.append(f"{_go_type(a)}={''.join(sub.buf)}")
        buf.append("%!(EXTRA " + ", ".join(extra) + ")")
    return "".join(buf)


def _int_from_arg(args: list[str | int | float], arg_num: int) -> tuple[int, bool, int]:
    """print.go intFromArg: a `*` width or precision taken from an int argument."""
    if arg_num >= len(args):
        return 0, False, arg_num
    a = args[arg_num]
    if isinstance(a, int) and _INT64_MIN <= a <= _INT64_MAX and -1_000_000 <= a <= 1_000_000:
        return a, True, arg_num + 1
    return 0, False, arg_num + 1


def opa_sprintf(fmt: str, args: Any) -> str:
    """OPA's `sprintf(fmt, args)`: each Rego value converted as builtinSprintf does, then Go fmt.Sprintf."""
    if not isinstance(fmt, str):
        raise TypeError(f"sprintf: operand 1 must be string but got {type(fmt).__name__}")
    if not isinstance(args, list):
        raise TypeError(f"sprintf: operand 2 must be array but got {type(args).__name__}")
    return go_sprintf(fmt, [go_arg(a) for a in args])
