"""`verify_output.witness_output`: the core's verify results as witness's logrus formatter prints them."""

from __future__ import annotations

import functools
import json
import random
import re
from datetime import UTC, datetime
from typing import Any

from witness_evals.witness import crypto, simulate, versions
from witness_evals.witness.dsse import Envelope
from witness_evals.witness.gocompat import go_quote as _go_quote
from witness_evals.witness.verify import SourceCollection, VerifyResult, verify
from witness_evals.witness.verify_output import _go_float, witness_output

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@functools.cache
def _keys() -> tuple[crypto.Signer, ...]:
    return tuple(crypto.Signer(crypto.generate_private_key("ed25519", seed=s)) for s in (31, 32, 33, 34))


@functools.cache
def _pipe() -> simulate.Pipeline:
    build, package, _policy, _other = _keys()
    return simulate.pipeline(random.Random(5), {"build": build, "package": package})


def _verify(
    policy: dict[str, Any] | Envelope, steps: dict[str, simulate.RunResult] | None = None
) -> VerifyResult:
    pipe = _pipe()
    policy_key = _keys()[2]
    env = policy if isinstance(policy, Envelope) else simulate.sign_policy(policy, policy_key)
    cols = [
        SourceCollection.load(r.envelope.dumps().encode(), f"att/{name}.json")
        for name, r in (steps or pipe.steps).items()
    ]
    return verify(env, cols, [pipe.artifact_digest], policy_verifiers=[policy_key.verifier()],
                  version=versions.get("0.12"), now=NOW)  # fmt: skip


def _policy(**kw: Any) -> dict[str, Any]:
    build, package, _policy, _other = _keys()
    return simulate.policy_for(_pipe(), {"build": [build.verifier()], "package": [package.verifier()]}, **kw)


START = ["INFO    Starting verify attestors stage...", "INFO    Starting policyverify attestor..."]
"""go-witness attestation/context.go: the verify stage and the policyverify attestor start."""
SIGNED = "INFO    policy signature verified"
COMPLETED = "INFO    Completed verify attestors stage..."
FINISHED = re.compile(r"INFO    Finished policyverify attestor\.\.\. \((0\.\d{1,9})s\)")
"""runAttestor's `Finished %v attestor... (%vs)`: Go `%v` of a float64 seconds value."""


def _split(out: str) -> tuple[list[str], list[str]]:
    """(the attestor-run INFO lines, the rest) of a terminal rendering."""
    lines = out.splitlines()
    end = lines.index(COMPLETED) + 1
    return lines[:end], lines[end:]


def _attestor_run(seconds: bool, *, signed: bool = True) -> list[str]:
    return [*START, *([SIGNED] if signed else []), *(["FINISHED"] if seconds else []), COMPLETED]


def _shape(run: list[str]) -> list[str]:
    return ["FINISHED" if FINISHED.fullmatch(line) else line for line in run]


def test_a_pass_is_logged_at_info_level() -> None:
    res = _verify(_policy())
    assert res.passed
    run, rest = _split(witness_output(res))
    assert _shape(run) == _attestor_run(True)
    assert rest == [
        "INFO    Verification succeeded",
        "INFO    Evidence:",
        "INFO    Step: build",
        "INFO    0: att/build.json",
        "INFO    Step: package",
        "INFO    1: att/package.json",
    ]
    assert witness_output(res, tty=False).splitlines()[5:9] == [
        'level=info msg="Verification succeeded"',
        'level=info msg="Evidence:"',
        'level=info msg="Step: build"',
        'level=info msg="0: att/build.json"',
    ]


def test_a_policy_level_failure_is_only_the_returned_error() -> None:
    res = _verify(_policy(expires="2026-01-31T00:00:00Z"))
    want = (
        "failed to verify policy: attestors failed with error messages\n"
        "attestor policyverify failed: failed to verify policy: policy expired on 2026-01-31 00:00:00 +0000 UTC"
    )
    # the signature verified, then Policy.Verify's expiry check made the attestor fail: no `Finished`
    assert witness_output(res).splitlines() == [*START, SIGNED, COMPLETED, *f"ERROR   {want}".splitlines()]
    assert witness_output(res, tty=False).splitlines() == [
        'level=info msg="Starting verify attestors stage..."',
        'level=info msg="Starting policyverify attestor..."',
        'level=info msg="policy signature verified"',
        'level=info msg="Completed verify attestors stage..."',
        f"level=error msg={_go_quote(want)}",
    ]
    assert "Verification failed" not in witness_output(res) and "caused by" not in witness_output(res)
    # ... while the project's own summary has the extra lines witness does not print
    assert res.text().startswith("Verification failed\n")


def test_an_unsigned_policy_is_a_policy_level_failure() -> None:
    out = witness_output(_verify(Envelope(b"", "", ())))
    run, rest = _split(out)
    assert run == _attestor_run(False, signed=False)
    assert "\n".join(rest).startswith(
        "ERROR   failed to verify policy: attestors failed with error messages\n"
    )
    assert out.endswith("could not verify policy: no signatures in dsse envelope")


def test_a_step_failure_lists_every_step_and_no_caused_by() -> None:
    pipe = _pipe()
    other = _keys()[3]
    bad = simulate.run_step("package", pipe.scenarios["package"], other)
    res = _verify(_policy(), {"build": pipe.steps["build"], "package": bad})
    assert not res.passed and any("caused by:" in r for r in res.reasons)
    run, tty = _split(witness_output(res))
    assert _shape(run) == _attestor_run(True)  # the attestor returned no error: the policy failed
    assert tty == [
        "ERROR   Verification failed",
        "ERROR   Evidence:",
        "ERROR   Step: build",
        "INFO    Passed with evidence: att/build.json",
        "ERROR   Step: package",
        *tty[5:-1],
        "ERROR   failed to verify policy: policy verification failed",
    ]
    rejected = tty[5:-1]
    assert rejected and all(line.startswith("ERROR   ") and line == line.rstrip() for line in rejected)
    assert (
        "ERROR   collection rejected: package, Reason: no verifiers present to validate against collection verifiers"
        in rejected
    )
    ci = witness_output(res, tty=False).splitlines()
    assert ci[8] == 'level=info msg="Passed with evidence: att/build.json"'
    # witness: log.Errorf("collection rejected: %s, Reason: %s ", ...) keeps its trailing space
    assert (
        'level=error msg="collection rejected: package, Reason: no verifiers present to validate against collection verifiers "'
        in ci
    )
    assert not any("caused by" in line for line in [*tty, *ci])


def test_logfmt_values_are_quoted_like_go() -> None:
    assert _go_quote('a "b" \\ c\n\td\x01é') == '"a \\"b\\" \\\\ c\\n\\td\\x01é"'
    plain = VerifyResult(False, {}, [], "boom", ["error: boom-1.2/x@y"])
    assert witness_output(plain, tty=False).splitlines()[-1] == "level=error msg=boom-1.2/x@y"
    assert witness_output(plain).splitlines()[-1] == "ERROR   boom-1.2/x@y"


def _rekeyed(policy: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """`policy` with the key id `old` written as `new` everywhere (a `keyid` that is not the key's)."""
    out: dict[str, Any] = json.loads(json.dumps(policy).replace(old, new))
    return out


def test_the_attestor_run_is_logged_before_the_result() -> None:
    """go-witness logs its run of the policyverify attestor at INFO (attestation/context.go
    RunAttestors/runAttestor, policyverify.go): `policy signature verified` only once the signature checked
    out, `Finished ...` only when the attestor returned no error; `Completed ...` always."""
    pipe = _pipe()
    build, _package, _policy_key, other = _keys()
    failing_step = {
        "build": pipe.steps["build"],
        "package": simulate.run_step("package", pipe.scenarios["package"], other),
    }
    bad_signature = simulate.sign_policy(_policy(), other)  # verified with `policy_key`: does not check out
    wrong_keyid = _rekeyed(_policy(), build.verifier().keyid, "0" * 64)
    cases: list[tuple[VerifyResult, list[str], str]] = [
        (_verify(_policy()), _attestor_run(True), "INFO    Verification succeeded"),
        (_verify(_policy(), failing_step), _attestor_run(True), "ERROR   Verification failed"),
        (
            _verify(_policy(expires="2026-01-31T00:00:00Z")),
            _attestor_run(False),
            "ERROR   failed to verify policy",
        ),
        (_verify(wrong_keyid), _attestor_run(False), "ERROR   failed to verify policy"),
        (_verify(bad_signature), _attestor_run(False, signed=False), "ERROR   failed to verify policy"),
    ]
    for res, want, after in cases:
        run, rest = _split(witness_output(res))
        assert _shape(run) == want, witness_output(res)
        assert rest[0].startswith(after), rest
    assert "expected key id" in (cases[3][0].error or "")
    assert "policy signature" in (cases[4][0].error or "")


def test_the_attestor_duration_is_go_float_seconds_from_the_inputs() -> None:
    pipe = _pipe()
    first, again = witness_output(_verify(_policy())), witness_output(_verify(_policy()))
    assert first == again  # never the clock
    m = next(FINISHED.fullmatch(line) for line in first.splitlines() if FINISHED.fullmatch(line))
    assert m is not None and 0.0006 <= float(m.group(1)) < 0.06
    renewed = witness_output(_verify(_policy(expires="2027-03-01T00:00:00Z"), pipe.steps))
    assert renewed == first  # a future `expires` changes nothing (results are memoised on that)
    build, package, _policy_key, other = _keys()
    other_policy = simulate.policy_for(
        pipe, {"build": [build.verifier(), other.verifier()], "package": [package.verifier()]}
    )
    assert witness_output(_verify(other_policy)) != first  # another policy, another (still fixed) duration
    assert _go_float(0.001482513) == "0.001482513" and _go_float(0.00148251) == "0.00148251"
    assert _go_float(0.01) == "0.01" and _go_float(0.000123) == "0.000123"


def test_a_ci_log_has_the_attestor_run_at_info_level() -> None:
    ci = witness_output(_verify(_policy()), tty=False).splitlines()
    assert ci[:3] == [
        'level=info msg="Starting verify attestors stage..."',
        'level=info msg="Starting policyverify attestor..."',
        'level=info msg="policy signature verified"',
    ]
    assert re.fullmatch(r'level=info msg="Finished policyverify attestor\.\.\. \(0\.\d+s\)"', ci[3]), ci[3]
    assert ci[4] == 'level=info msg="Completed verify attestors stage..."'
