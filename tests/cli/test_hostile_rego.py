"""Hostile Rego (unbounded recursion, a 10^10-element comprehension, parser-smashing nesting) through
`check rego`, `check policy` and `verify`: a bounded, located answer, and the process stays healthy.

Exit codes follow each command's contract: `check rego` exits 1 when a module does not compile or its
evaluation fails; `check policy` exits 1 on findings; `verify` exits 1 (FAIL) when a step's Rego
cannot be evaluated, as witness does. None of these is exit 2: the module is the thing judged.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from cli_helpers import TIME_LIMIT_S, Result, World, live_children, run_subprocess

Runner = Callable[..., Result]


def assert_healthy(world: World, cli: Runner) -> None:
    """Same process, right after: a good module still evaluates and no worker is left running."""
    res = cli("check", "rego", world["ok.rego"], "--input", world["input.json"])
    assert res.code == 0, res.text
    assert json.loads(res.out) == ["x is 1"]
    assert live_children() == []


@pytest.mark.parametrize(
    ("name", "with_input", "message"),
    [
        ("recursion", True, r"worker died \(signal SIGSEGV\)|recursion"),
        ("mutual", True, "recursion detected when evaluating rule"),
        ("comprehension", True, r"evaluation exceeded 2(\.0)?s and was killed"),
        ("nesting", False, r"worker died|nesting|too deep"),
        ("nesting", True, r"worker died|nesting|too deep"),
    ],
)
def test_check_rego_hostile_module(
    name: str, with_input: bool, message: str, world: World, cli: Runner
) -> None:
    import re

    path = world[f"{name}.rego"]
    extra = ["--input", world["input.json"]] if with_input else []
    res = cli("check", "rego", path, *extra)
    assert "Traceback" not in res.text
    assert res.code == 1, res.text
    lines = res.out.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}: error: "), res.out
    assert re.search(message, lines[0]), lines[0]
    assert res.seconds < TIME_LIMIT_S
    assert_healthy(world, cli)


def test_check_policy_with_a_module_that_crashes_the_parser(world: World, cli: Runner) -> None:
    path = world["policy-nesting.json"]
    res = cli("check", "policy", path)
    assert "Traceback" not in res.text
    assert res.code == 1, res.text
    loc = "steps.build.attestations[0].regopolicies[0].module"
    assert f"{path}:{loc}: error: Rego module 'nesting' could not be compiled safely (crash)" in res.out
    assert res.seconds < TIME_LIMIT_S
    assert_healthy(world, cli)


@pytest.mark.parametrize("name", ["recursion", "mutual", "comprehension"])
def test_check_policy_with_modules_that_only_explode_when_evaluated(
    name: str, world: World, cli: Runner
) -> None:
    """check policy compiles modules but never evaluates them on attestations, so it answers quickly.

    Known gap (reported): OPA rejects recursive rules at compile time (rego_recursion_error), regorus
    does not, so `recursion`/`mutual` are not yet flagged here; the exit code is therefore not pinned.
    """
    res = cli("check", "policy", world[f"policy-{name}.json"])
    assert "Traceback" not in res.text
    assert res.code in (0, 1), res.text
    assert res.out.splitlines()[-1].startswith(world[f"policy-{name}.json"] + ": policy ")
    assert res.seconds < TIME_LIMIT_S
    assert_healthy(world, cli)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("recursion", r"worker died \(signal SIGSEGV\)|recursion"),
        ("mutual", "recursion detected when evaluating rule"),
        ("comprehension", r"evaluation exceeded 2(\.0)?s and was killed"),
        ("nesting", r"worker died|nesting|too deep"),
    ],
)
def test_verify_with_hostile_rego_in_the_policy_fails_the_step(
    name: str, reason: str, world: World, cli: Runner
) -> None:
    import re

    args = ["verify", "-p", world[f"policy-{name}-signed.json"], "-k", world["pub.pem"]]
    args += ["-a", world["build.json"], "-a", world["package.json"], "-f", world["artifact"]]
    res = cli(*args)
    assert "Traceback" not in res.text
    assert res.code == 1, res.text
    lines = res.out.splitlines()
    assert lines[0] == "Verification failed"
    assert lines[1] == "collection rejected: build, Reason: collection validation failed:", res.out
    assert re.search(reason, lines[2]), res.out
    assert res.seconds < TIME_LIMIT_S
    assert_healthy(world, cli)


def test_verify_hostile_rego_subprocess(world: World) -> None:
    """The real process: killed Rego worker, FAIL with the reason, exit 1, nothing on stderr."""
    args = ["verify", "-p", world["policy-comprehension-signed.json"], "-k", world["pub.pem"]]
    args += ["-a", world["build.json"], "-a", world["package.json"], "-f", world["artifact"]]
    res = run_subprocess(*args, cwd=world.dir)
    assert res.code == 1, res.text
    assert "Traceback" not in res.text and res.err == ""
    assert "evaluation exceeded" in res.out
    assert res.seconds < TIME_LIMIT_S
