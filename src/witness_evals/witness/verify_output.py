"""What `witness verify` prints for a `VerifyResult`: its log lines through witness's logrus formatter.

At the default `--log-level info` (witness options/root.go) go-witness, given witness's logger
(cmd/root.go), first logs its run of the policyverify attestor (attestation/context.go, policyverify.go):
`Starting verify attestors stage...`, `Starting policyverify attestor...`, `policy signature verified`
once the policy signature checked out, `Finished policyverify attestor... (<seconds>s)` only when the
attestor returned no error (a pass or a step failure), and always `Completed verify attestors stage...`.
Then witness's cmd/verify.go logs `Verification failed` / `Evidence:` / `Step: <name>` and each
rejection (`collection rejected: <name>, Reason: <reason> `) only when the policy itself was accepted
and a step failed; after a policy-level failure (signature, expiry, key ids...) the only other line is
the returned `failed to verify policy: ...` error. cmd/log.go prints entries with timestamps off and the
level padded: `ERROR   msg` in a terminal, `level=error msg="..."` (logfmt) in a CI log. The
`witness-evals` summary (`VerifyResult.text()`, with its `caused by:` details) is not what witness prints.
"""

from __future__ import annotations

from witness_evals.witness.gocompat import go_quote
from witness_evals.witness.verify import VerifyResult

_LOGFMT_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._/@^+")
"""Characters logrus's text formatter leaves unquoted in a logfmt value."""


def _attestor_log(result: VerifyResult) -> list[str]:
    """The INFO lines go-witness logs while running the policyverify attestor (attestation/context.go)."""
    lines = ["Starting verify attestors stage...", "Starting policyverify attestor..."]
    if result.policy_signature_verified:
        lines.append("policy signature verified")
    if result.attestor_seconds is not None:
        lines.append(f"Finished policyverify attestor... ({_go_float(result.attestor_seconds)}s)")
    return [*lines, "Completed verify attestors stage..."]


def _go_float(x: float) -> str:
    """Go `%v` of a float64: the shortest repr, as Python's for 1e-4 <= x < 1e16 (both switch to an
    exponent below 1e-4)."""
    return repr(x)


def _entries(result: VerifyResult) -> list[tuple[str, str]]:
    """(level, message) of every line witness logs for `result`, in order."""
    out = [("info", msg) for msg in _attestor_log(result)]
    for entry in result.log:
        level = "info" if result.passed or entry.startswith("Passed with evidence") else "error"
        msg = entry[len("error: ") :] if entry.startswith("error: ") else entry
        if msg.startswith("collection rejected: "):
            msg += " "  # witness: log.Errorf("collection rejected: %s, Reason: %s ", ...)
        out.append((level, msg))
    return out


def _format(level: str, msg: str, tty: bool) -> str:
    """One line through logrus's TextFormatter (DisableTimestamp, PadLevelText, DisableLevelTruncation):
    the level padded to 7 (`WARNING`) and the message (its `%-44s` padding trimmed) in a terminal;
    logfmt `level=... msg=...` otherwise."""
    if tty:
        return f"{level.upper():<7} {msg}".rstrip()
    value = msg if msg and all(c in _LOGFMT_PLAIN for c in msg) else go_quote(msg)
    return f"level={level} msg={value}"


def witness_output(result: VerifyResult, *, tty: bool = True) -> str:
    """What `witness verify` prints (on stderr) for `result`: go-witness's INFO lines of the attestor run,
    then witness's, through its logrus text formatter (timestamps off, padded level). `tty=True`: as in
    a terminal (`ERROR   msg`); False: as in a CI log (`level=error msg="..."`). The final line is the
    error `witness` exits with."""
    return "\n".join(_format(level, msg, tty) for level, msg in _entries(result))
