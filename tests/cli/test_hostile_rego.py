"""Hostile Rego (unbounded recursion, a 10^10-element comprehension, parser-smashing nesting, calls
the engine must not run) through `check rego`, `check policy` and `verify`: a bounded, located,
truthful answer, and the process stays healthy.

Exit codes follow each command's contract: `check rego` exits 1 when a module does not compile or its
evaluation fails; `check policy` exits 1 on findings; `verify` exits 1 (FAIL) when a step's Rego
cannot be evaluated, as witness does. The exception is a module nested too deeply for the engine:
OPA would parse it, this checker cannot, so every command answers one `error:` line and exit 2
(an error of the checker, not a verdict on the policy).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from cli_helpers import TIME_LIMIT_S, Result, World, assert_input_error, live_children, run_subprocess

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
        ("httpsend", False, r":4: builtin function http\.send is refused: OPA would send the HTTP request"),
        ("httpsend", True, r":4: builtin function http\.send is refused"),
        ("runtime", True, r":4: builtin function opa\.runtime is refused: OPA would return witness' own"),
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


@pytest.mark.parametrize("name", ["nesting", "deep30"])
@pytest.mark.parametrize("command", ["check rego", "check rego --input", "check policy", "verify"])
def test_module_too_deep_for_the_engine_is_an_error_of_the_checker(
    name: str, command: str, world: World, cli: Runner
) -> None:
    """200,000 nested brackets (regorus overflows its stack) and a harmless 30-deep literal (regorus
    would parse it in exponential time: 26.8 s at depth 20 with backtraces on) are refused before the
    engine sees them: one line naming the module, its depth and the limit, exit 2, within a second."""
    if command.startswith("check rego"):
        path = world[f"{name}.rego"]
        extra = ["--input", world["input.json"]] if command.endswith("--input") else []
        res = cli("check", "rego", path, *extra)
        where = f"{path}: "
    elif command == "check policy":
        path = world[f"policy-{name}.json"]
        res = cli("check", "policy", path)
        where = f"{path}:steps.build.attestations[0].regopolicies[0].module: Rego module '{name}': "
    else:
        path = world[f"policy-{name}-signed.json"]
        args = ["verify", "-p", path, "-k", world["pub.pem"], "-a", world["build.json"]]
        res = cli(*args, "-a", world["package.json"], "-f", world["artifact"])
        where = f"{path}: the Rego policy of attestation https://"
    depth = 200_000 if name == "nesting" else 30
    line = assert_input_error(res, path, rf"too deeply nested for the engine \(depth {depth} > limit 16\)")
    assert line.startswith(f"error: {where}"), line
    assert "cannot judge this module" in line
    assert res.out == ""
    assert res.seconds < 5
    assert_healthy(world, cli)


@pytest.mark.parametrize(
    ("name", "explanation"),
    [
        ("recursion", r"is recursive \(rules referring to themselves: module 'recursion': f\): OPA rejects"),
        ("mutual", r"is recursive \(rules referring to themselves: module 'mutual': a, b\): OPA rejects"),
        ("comprehension", r"could not be evaluated .* \(timeout: .*\); its rules are not recursive"),
        ("doubling", r"could not be evaluated .* \((timeout|memory): .*\); its rules are not recursive"),
    ],
)
def test_check_policy_explains_modules_that_only_explode_when_evaluated(
    name: str, explanation: str, world: World, cli: Runner
) -> None:
    """check policy evaluates each entry once on an empty input; a module that breaks there is an
    error whose explanation matches its cause: "recursive" only when a rule really refers to itself
    (OPA's compile-time rego_recursion_error), otherwise too slow / too big for the engine."""
    import re

    path = world[f"policy-{name}.json"]
    res = cli("check", "policy", path)
    assert "Traceback" not in res.text
    assert res.code == 1, res.text
    errors = [ln for ln in res.out.splitlines() if ": error: " in ln]
    assert len(errors) == 1, res.out
    assert errors[0].startswith(f"{path}:steps.build.attestations[0].regopolicies: error: "), errors[0]
    assert re.search(explanation, errors[0]), errors[0]
    if name in ("comprehension", "doubling"):
        assert "remove the recursion" not in errors[0] and "rego_recursion_error" not in errors[0]
    assert res.out.splitlines()[-1].startswith(path + ": policy validation failed")
    assert res.seconds < TIME_LIMIT_S
    assert_healthy(world, cli)


@pytest.mark.parametrize(("name", "builtin"), [("httpsend", "http.send"), ("runtime", "opa.runtime")])
def test_check_policy_reports_refused_builtins(name: str, builtin: str, world: World, cli: Runner) -> None:
    path = world[f"policy-{name}.json"]
    res = cli("check", "policy", path)
    assert res.code == 1, res.text
    loc = "steps.build.attestations[0].regopolicies[0].module"
    want = f"{path}:{loc}: error: Rego module '{name}' cannot be verified here: {name}:4: builtin function {builtin} is refused"
    assert any(ln.startswith(want) for ln in res.out.splitlines()), res.out


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("recursion", r"worker died \(signal SIGSEGV\)|recursion"),
        ("mutual", "recursion detected when evaluating rule"),
        ("comprehension", r"evaluation exceeded 2(\.0)?s and was killed"),
        # these two used to PASS: regorus' http.send / opa.runtime stubs evaluate to undefined
        (
            "httpsend",
            r"^ - httpsend:4: builtin function http\.send is refused: OPA would send the HTTP request",
        ),
        ("runtime", r"^ - runtime:4: builtin function opa\.runtime is refused"),
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
