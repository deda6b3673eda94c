"""What `witness verify` prints for a `VerifyResult`: its log lines through witness's logrus formatter.

witness's cmd/verify.go logs `Verification failed` / `Evidence:` / `Step: <name>` and each rejection
(`collection rejected: <name>, Reason: <reason> `) only when the policy itself was accepted and a step
failed; a policy-level failure (signature, expiry, key ids...) is just the returned
`failed to verify policy: ...` error. cmd/log.go prints entries with timestamps off and the level
padded: `ERROR   msg` in a terminal, `level=error msg="..."` (logfmt) in a CI log. The `witness-evals`
summary (`VerifyResult.text()`, with its `caused by:` details) is not what witness prints.
"""

from __future__ import annotations

from witness_evals.witness.verify import VerifyResult


def _go_quote(s: str) -> str:
    """Go `%q` of a string (strconv.Quote) for the text witness logs."""
    out = []
    for ch in s:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


_LOGFMT_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._/@^+")
"""Characters logrus's text formatter leaves unquoted in a logfmt value."""


def witness_output(result: VerifyResult, *, tty: bool = True) -> str:
    """What `witness verify` prints (on stderr) for `result`: its log lines through witness's logrus
    text formatter (timestamps off, padded level). `tty=True`: as in a terminal (`ERROR   msg`);
    False: as in a CI log (`level=error msg="..."`). The final line is the error `witness` exits with."""
    lines: list[str] = []
    for entry in result.log:
        level = "info" if result.passed or entry.startswith("Passed with evidence") else "error"
        msg = entry[len("error: ") :] if entry.startswith("error: ") else entry
        if msg.startswith("collection rejected: "):
            msg += " "  # witness: log.Errorf("collection rejected: %s, Reason: %s ", ...)
        if tty:
            lines.append((f"{level.upper():<7} {msg}").rstrip())
        else:
            value = msg if msg and all(c in _LOGFMT_PLAIN for c in msg) else _go_quote(msg)
            lines.append(f"level={level} msg={value}")
    return "\n".join(lines)
