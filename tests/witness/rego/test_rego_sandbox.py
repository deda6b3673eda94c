"""The process sandbox: same answers as in-process, and hostile modules never hurt the caller."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from witness_evals.witness.rego import RegoJob, RegoOutcome, RegoSandbox, evaluate_deny

GOOD = {
    "cmd": 'package commandrun.cmd\n\ndeny[msg] {\n\tinput.cmd != ["go", "build"]\n\tmsg := "unexpected cmd"\n}\n'
}
SLOW = {
    "slow": "package p\ndeny[msg] {\n\tn := count([1 | numbers.range(1, 4000)[_]; numbers.range(1, 4000)[_]])\n"
    '\tmsg := sprintf("%v", [n])\n}\n'
}
RECURSIVE = {"rec": 'package p\nf(x) = y { y := f(x) }\ndeny[msg] { f(1); msg := "r" }\n'}
HUGE = {
    "huge": 'package p\ndeny[msg] { a := numbers.range(1, 400000000); msg := sprintf("%v", [count(a)]) }\n'
}


REGO_TOKENS = [
    "deny",
    "[msg]",
    "{",
    "}",
    "msg",
    ":=",
    '"x"',
    "if",
    "contains",
    "\n",
    "input.x",
    "==",
    "1",
    "import",
    "rego.v1",
    "future.keywords",
    "default",
    "=",
    "[",
    "]",
    "(",
    ")",
    "some",
    "in",
    "every",
    "not",
    "count(",
    "numbers.range(1, 50)",
    "[_]",
    "f(x)",
    "else",
    "true",
    "false",
    "null",
    ";",
    "|",
]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RegoSandbox]:
    with RegoSandbox(2, timeout=0.5, memory_limit=512 << 20) as sb:
        yield sb


def assert_healthy(sb: RegoSandbox) -> None:
    assert sb.evaluate(GOOD, {"cmd": ["go", "build"]}).passed
    out = sb.evaluate(GOOD, {"cmd": ["make"]})
    assert (out.status, out.deny) == ("ok", ["unexpected cmd"])


def test_matches_in_process_engine_in_job_order(sandbox: RegoSandbox) -> None:
    rng = random.Random(7)
    other = {"e": 'package e\ndeny[m] { input.exitcode != 0; m := sprintf("exit %v", [input.exitcode]) }\n'}
    bad = {"b": 'package b\ndeny = "x"\n'}
    jobs = []
    for _ in range(300):
        mods = rng.choice([GOOD, other, {**GOOD, **other}, bad])
        inp = {"cmd": rng.choice([["go", "build"], ["make"]]), "exitcode": rng.choice([0, 1, 2])}
        jobs.append(RegoJob(mods, inp))
    expected = [evaluate_deny(j.modules, j.input) for j in jobs]
    assert sandbox.evaluate_many(jobs) == expected
    assert sandbox.evaluate_many(jobs) == expected  # deterministic, cache-warm


def test_timeout_kills_only_that_job(sandbox: RegoSandbox) -> None:
    start = time.monotonic()
    outs = sandbox.evaluate_many([(GOOD, {"cmd": ["x"]}), (SLOW, {}), (GOOD, {"cmd": ["go", "build"]})])
    assert [o.status for o in outs] == ["ok", "timeout", "ok"]
    assert outs[0].deny == ["unexpected cmd"] and outs[2].passed
    assert time.monotonic() - start < 10
    assert_healthy(sandbox)


def test_recursion_crash_is_contained(sandbox: RegoSandbox) -> None:
    out = sandbox.evaluate(RECURSIVE, {})
    assert out.status in ("crash", "error", "timeout"), out
    assert_healthy(sandbox)


def test_memory_hog_is_contained(sandbox: RegoSandbox) -> None:
    out = sandbox.evaluate(HUGE, {})
    assert out.status in ("memory", "crash"), out
    assert_healthy(sandbox)


def test_errors_come_back_as_outcomes(sandbox: RegoSandbox) -> None:
    garbage = sandbox.evaluate({"junk": "\x00\xff((("}, {})
    assert garbage.status == "error" and garbage.kind == "parse"
    builtin = sandbox.evaluate(
        {"m": 'package p\ndeny[m] { crypto.x509.parse_certificates(input.c); m := "x" }\n'}, {"c": "a"}
    )
    assert builtin.status == "error" and builtin.kind == "unsupported"
    wrong = sandbox.evaluate({"m": "package p\ndeny = true\n"}, {})
    assert wrong.error == "invalid data from rego at data.p.deny, expected []interface{} but got bool"


def test_limits_are_checked_before_sending() -> None:
    with RegoSandbox(1, max_module_bytes=100, max_input_bytes=50) as sb:
        big = sb.evaluate({"m": "package p\n" + "#" * 200}, {})
        assert big.status == "error" and big.kind == "limit"
        assert sb.evaluate(GOOD, {"cmd": ["x" * 100]}).kind == "limit"
        assert sb.evaluate(GOOD, {"cmd": {1, 2}}).kind == "limit"  # not JSON
        assert sb.evaluate(GOOD, {"cmd": ["y"]}).deny == ["unexpected cmd"]


def test_check_compiles_without_running(sandbox: RegoSandbox) -> None:
    res = sandbox.check({**GOOD, "x": "package other\nallow = true\n"})
    assert res.ok and res.packages == {"data.commandrun.cmd": True, "data.other": False}
    bad = sandbox.check({"v1": 'package p\ndeny contains msg if { msg := "a" }\n'}, "verify")
    assert bad.status == "error" and "var cannot be used for rule name" in bad.error
    assert sandbox.check({"v1": 'package p\ndeny contains msg if { msg := "a" }\n'}, "policy-check").ok
    assert sandbox.check(SLOW).ok  # compile only: the slow rule never runs


def test_memo_repeats_verdicts_but_never_timeouts() -> None:
    with RegoSandbox(1, timeout=0.5, memo_size=8) as sb:
        first = sb.evaluate(GOOD, {"cmd": ["make"]})
        first.deny.append("changed by the caller")
        assert sb.evaluate(GOOD, {"cmd": ["make"]}) == RegoOutcome("ok", ["unexpected cmd"])  # a fresh copy
        assert sb.evaluate(GOOD, {"cmd": ["go", "build"]}).passed  # another input: another answer
        before = sb.respawns
        assert [sb.evaluate(SLOW, {}).status for _ in range(2)] == ["timeout", "timeout"]
        assert sb.respawns == before + 2  # run (and killed) both times


def test_tiny_cache_still_correct() -> None:
    a = {"a": 'package a\ndeny[m] { m := "a" }\n'}
    b = {"b": 'package b\ndeny[m] { m := "b" }\n'}
    with RegoSandbox(1, cache_size=1) as sb:
        outs = sb.evaluate_many([(a, {}), (b, {}), (a, {}), (a, {}), (b, {})])
    assert [o.deny for o in outs] == [["a"], ["b"], ["a"], ["a"], ["b"]]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(max_size=200),
        st.lists(st.sampled_from(REGO_TOKENS), max_size=40).map(" ".join),
    ),
    st.sampled_from(["verify", "policy-check"]),
)
def test_random_modules_never_crash_the_caller(sandbox: RegoSandbox, text: str, mode: str) -> None:
    out = sandbox.evaluate({"random": "package fuzz\n" + text}, {"x": 1}, mode)
    assert out.status in ("ok", "error", "timeout", "crash", "memory")
    assert all(isinstance(d, str) for d in out.deny)
    assert sandbox.evaluate(GOOD, {"cmd": ["go", "build"]}).passed


def test_module_pairs_with_repeated_names(sandbox: RegoSandbox) -> None:
    pairs = [("same", 'package a\ndeny[m] { m := "a" }\n'), ("same", 'package b\ndeny[m] { m := "b" }\n')]
    assert sandbox.evaluate(pairs, {}) == evaluate_deny(pairs, {})
    assert sandbox.evaluate(pairs, {}).passed


def test_too_deep_module_is_answered_without_killing_the_worker(sandbox: RegoSandbox) -> None:
    deep = {"m": "package p\nx := " + "[" * 200_000 + "1" + "]" * 200_000 + "\n"}
    before = sandbox.respawns
    out = sandbox.evaluate(deep, {})
    assert out.status == "error" and out.kind == "too_deep", out
    check = sandbox.check(deep)
    assert check.status == "error" and check.kind == "too_deep"
    assert sandbox.respawns == before  # refused by the pre-check: no stack overflow
    assert_healthy(sandbox)
