"""`verify_output.witness_output`: the core's verify results as witness's logrus formatter prints them."""

from __future__ import annotations

import functools
import random
from datetime import UTC, datetime
from typing import Any

from witness_evals.witness import crypto, simulate, versions
from witness_evals.witness.dsse import Envelope
from witness_evals.witness.verify import SourceCollection, VerifyResult, verify
from witness_evals.witness.verify_output import _go_quote, witness_output

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


def test_a_pass_is_logged_at_info_level() -> None:
    res = _verify(_policy())
    assert res.passed
    assert witness_output(res).splitlines() == [
        "INFO    Verification succeeded",
        "INFO    Evidence:",
        "INFO    Step: build",
        "INFO    0: att/build.json",
        "INFO    Step: package",
        "INFO    1: att/package.json",
    ]
    assert witness_output(res, tty=False).splitlines()[:4] == [
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
    assert witness_output(res) == f"ERROR   {want}"
    assert witness_output(res, tty=False) == f"level=error msg={_go_quote(want)}"
    assert "Verification failed" not in witness_output(res) and "caused by" not in witness_output(res)
    # ... while the project's own summary has the extra lines witness does not print
    assert res.text().startswith("Verification failed\n")


def test_an_unsigned_policy_is_a_policy_level_failure() -> None:
    out = witness_output(_verify(Envelope(b"", "", ())))
    assert out.startswith("ERROR   failed to verify policy: attestors failed with error messages\n")
    assert out.endswith("could not verify policy: no signatures in dsse envelope")


def test_a_step_failure_lists_every_step_and_no_caused_by() -> None:
    pipe = _pipe()
    other = _keys()[3]
    bad = simulate.run_step("package", pipe.scenarios["package"], other)
    res = _verify(_policy(), {"build": pipe.steps["build"], "package": bad})
    assert not res.passed and any("caused by:" in r for r in res.reasons)
    tty = witness_output(res).splitlines()
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
    assert ci[3] == 'level=info msg="Passed with evidence: att/build.json"'
    # witness: log.Errorf("collection rejected: %s, Reason: %s ", ...) keeps its trailing space
    assert (
        'level=error msg="collection rejected: package, Reason: no verifiers present to validate against collection verifiers "'
        in ci
    )
    assert not any("caused by" in line for line in [*tty, *ci])


def test_logfmt_values_are_quoted_like_go() -> None:
    assert _go_quote('a "b" \\ c\n\td\x01é') == '"a \\"b\\" \\\\ c\\n\\td\\x01é"'
    plain = VerifyResult(False, {}, [], "boom", ["error: boom-1.2/x@y"])
    assert witness_output(plain, tty=False) == "level=error msg=boom-1.2/x@y"
    assert witness_output(plain) == "ERROR   boom-1.2/x@y"
