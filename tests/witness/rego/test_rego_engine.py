"""go-witness policy/rego.go semantics on regorus (in-process engine)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from witness_evals.witness.rego import RegorusEngine, evaluate_deny, rego_failed_message

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "witness-test"

PORTABLE = """package commandrun.exitcode

import rego.v1

deny contains msg if {
	input.exitcode != 0
	msg := "exitcode not 0"
}
"""
CLASSIC = 'package commandrun.exitcode\n\ndeny[msg] {\n\tinput.exitcode != 0\n\tmsg := "exitcode not 0"\n}\n'
BARE_V1 = 'package commandrun.exitcode\n\ndeny contains msg if {\n\tinput.exitcode != 0\n\tmsg := "exitcode not 0"\n}\n'


def policy_modules() -> dict[str, dict[str, str]]:
    """step name -> {module name: source} from witness' test/policy.json."""
    policy = json.loads((FIXTURES / "policy.json").read_text())
    out: dict[str, dict[str, str]] = {}
    for step, body in policy["steps"].items():
        for att in body["attestations"]:
            for rp in att.get("regopolicies", []):
                out.setdefault(step, {})[rp["name"]] = base64.b64decode(rp["module"]).decode()
    return out


def test_real_policy_modules_accept_and_deny() -> None:
    mods = policy_modules()
    build = mods["build"]
    assert evaluate_deny(build, {"cmd": ["go", "build", "-o=testapp", "."], "exitcode": 0}).passed
    out = evaluate_deny(build, {"cmd": ["go", "build", "."], "exitcode": 0})
    assert (out.status, out.deny) == ("ok", ["unexpected cmd"])
    package = mods["package"]
    assert evaluate_deny(package, {"cmd": ["tar", "czf", "./testapp.tar.tgz", "./testapp"]}).passed
    assert evaluate_deny(package, {"cmd": ["go", "build", "-o=testapp", "."]}).deny == ["unexpected cmd"]


@pytest.mark.parametrize(
    ("value", "go_type"),
    [
        ('"not allowed"', "string"),
        ("true", "bool"),
        ('{"a": 1}', "map[string]interface {}"),
        ("3", "json.Number"),
        ("null", "<nil>"),
    ],
)
def test_deny_of_wrong_type_gives_go_error_text(value: str, go_type: str) -> None:
    out = evaluate_deny({"m": f"package witness.test\ndeny = {value}\n"}, {})
    assert out.status == "error"
    assert out.kind == "invalid_data"
    assert (
        out.error
        == f"invalid data from rego at data.witness.test.deny, expected []interface{{}} but got {go_type}"
    )


def test_deny_false_fails_the_query_and_passes() -> None:
    # OPA: an expression that is false makes the query undefined -> no result -> pass.
    assert evaluate_deny({"m": "package p\ndeny = false\n"}, {}).passed


def test_non_string_element_reports_whole_array_type() -> None:
    # go-witness TestInvalidDeny: msg := 0 -> ErrRegoInvalidData; Actual is the whole deny value.
    src = 'package witness.test\ndeny[msg] {\n\tinput.commithash != "123abc"\n\tmsg := 0\n}\n'
    out = evaluate_deny({"invalid deny": src}, {"commithash": "123"})
    assert (
        out.error
        == "invalid data from rego at data.witness.test.deny, expected string but got []interface {}"
    )
    assert evaluate_deny({"invalid deny": src}, {"commithash": "123abc"}).passed


@pytest.mark.parametrize("element", ['{"msg": m}', "[m]", "{m}"], ids=["object", "array", "set"])
def test_set_of_composite_elements_is_invalid_data(element: str) -> None:
    # regorus cannot hand such a set to Python (unhashable); go-witness sees an array whose element is
    # not a string: ErrRegoInvalidData, not an evaluation error and never a denial.
    src = f"package witness.test\ndeny[{element}] {{\n\tm := input.x[_]\n}}\n"
    out = evaluate_deny({"m": src}, {"x": ["a", "b"]})
    assert (out.status, out.kind) == ("error", "invalid_data")
    assert (
        out.error
        == "invalid data from rego at data.witness.test.deny, expected string but got []interface {}"
    )
    assert evaluate_deny({"m": src}, {"x": []}).passed


def test_package_without_deny_passes_and_masks_other_packages() -> None:
    denies = 'package a\ndeny[msg] { msg := "from a" }\n'
    no_deny = "package b\nallow = true\n"
    assert evaluate_deny({"a": denies}, {}).deny == ["from a"]
    assert evaluate_deny({"b": no_deny}, {}).passed
    # conjunctive query: data.b.deny undefined => no result at all => silent pass
    assert evaluate_deny({"a": denies, "b": no_deny}, {}).passed


def test_modules_sharing_a_package_are_merged_and_packages_concatenated() -> None:
    mods = {
        "one": 'package a\ndeny[m] { m := "z from one" }\n',
        "other": 'package b\ndeny[m] { m := "b" }\n',
        "two": 'package a\ndeny[m] { m := "a from two" }\n',
    }
    engine = RegorusEngine()
    assert engine.compile(mods).query == "data.a.deny\ndata.b.deny\n"
    # sets come out sorted (OPA sorts set members), packages in first-appearance order
    assert engine.evaluate(mods, {}) == ["a from two", "z from one", "b"]


def test_quoted_package_path_uses_opa_ref_format() -> None:
    out = evaluate_deny({"m": 'package a["b-c"]\ndeny = "x"\n'}, {})
    assert out.error == 'invalid data from rego at data.a["b-c"].deny, expected []interface{} but got string'


@pytest.mark.parametrize(
    ("source", "verify_ok", "check_ok"),
    [
        (CLASSIC, True, False),  # classic v0: verify accepts, policy check (v1 parser) rejects
        (BARE_V1, False, True),  # v1 keywords without import: verify rejects, policy check accepts
        (PORTABLE, True, True),  # import rego.v1: valid for both
    ],
)
def test_parser_per_mode(source: str, verify_ok: bool, check_ok: bool) -> None:
    deny = {"exitcode": 1}
    for mode, ok in (("verify", verify_ok), ("policy-check", check_ok)):
        out = evaluate_deny({"exitcode": source}, deny, mode)
        if ok:
            assert (out.status, out.deny) == ("ok", ["exitcode not 0"]), (mode, out)
            assert evaluate_deny({"exitcode": source}, {"exitcode": 0}, mode).passed
        else:
            assert out.status == "error" and out.kind == "parse", (mode, out)
            assert out.error.startswith("1 error occurred: exitcode:")


def test_parse_error_texts() -> None:
    v0 = evaluate_deny({"exitcode": BARE_V1}, {}, "verify")
    assert v0.error == "1 error occurred: exitcode:3: rego_parse_error: var cannot be used for rule name"
    v1 = evaluate_deny({"exitcode": CLASSIC}, {}, "policy-check")
    assert (
        v1.error
        == "1 error occurred: exitcode:3: rego_parse_error: `if` keyword is required before rule body"
    )


@pytest.mark.parametrize(
    ("source", "ok"),
    [
        ('package p\ndeny contains "x"\n', False),  # regorus alone would accept this in v0 mode
        ('package p\nimport future.keywords.if\ndeny contains "x" if { true }\n', False),
        (
            'package p\nimport future.keywords.contains\nimport future.keywords.if\ndeny contains "x" if { true }\n',
            True,
        ),
        ('package p\nimport future.keywords\ndeny contains "x" if { true }\n', True),
        ("package p\nallow if { true }\n", False),  # bare `allow` statement in OPA v0
        ("package p\nallow\n", False),
        ('package p\nimport rego.v1\ndeny[msg] { msg := "a" }\n', False),  # rego.v1 demands `if`
        ('package p\nimport future.keywords.if\ndeny[msg] { msg := "a" }\n', True),
        ('package p\ndeny[msg] { contains(input.s, "x"); msg := "contains x" }\n', True),
    ],
)
def test_verify_mode_matches_opa_v0_parser(source: str, ok: bool) -> None:
    out = evaluate_deny({"m": source}, {"s": "xyz"}, "verify")
    assert (out.status == "ok") is ok, out


def test_garbage_module_is_a_parse_error() -> None:
    out = evaluate_deny({"junk": "\x00\x01\xff garbage ((("}, {})
    assert out.status == "error" and out.kind == "parse"
    out = evaluate_deny({"junk": "}}}{{{"}, {})
    assert out.status == "error" and out.kind == "parse"


def test_unknown_builtin_surfaces_when_the_rule_runs() -> None:
    src = 'package p\ndeny[msg] {\n\tinput.x == 1\n\tcrypto.x509.parse_certificates(input.pem)\n\tmsg := "x"\n}\n'
    assert evaluate_deny({"m": src}, {"x": 2}).passed  # rule body stops before the call
    out = evaluate_deny({"m": src}, {"x": 1, "pem": "abc"})
    assert out.status == "error" and out.kind == "unsupported"
    assert "crypto.x509.parse_certificates" in out.error


def test_undefined_function_is_an_error() -> None:
    out = evaluate_deny({"m": "package p\ndeny[m] { m := no.such_fn(1) }\n"}, {})
    assert out.error == "1 error occurred: m:2: rego_type_error: undefined function no.such_fn"


def test_no_modules_means_no_denial() -> None:
    assert evaluate_deny({}, {"anything": 1}).passed


def test_check_reports_packages_and_deny_presence() -> None:
    check = RegorusEngine().check({"a": CLASSIC, "b": "package other\nallow = true\n"})
    assert check.ok and check.packages == {"data.commandrun.exitcode": True, "data.other": False}
    bad = RegorusEngine().check({"a": BARE_V1}, "verify")
    assert not bad.ok and bad.kind == "parse"


def test_compiled_policy_is_reused_across_inputs() -> None:
    engine = RegorusEngine()
    mods = {"m": 'package p\ndeny[msg] { input.v > 2; msg := sprintf("v=%v", [input.v]) }\n'}
    assert [engine.evaluate(mods, {"v": v}) for v in range(5)] == [[], [], [], ["v=3"], ["v=4"]]
    assert engine.compile(mods) is engine.compile(dict(mods))


def test_failure_message_text() -> None:
    assert (
        rego_failed_message("https://witness.dev/attestations/command-run/v0.1", ["a", "b"])
        == "rego policy evaluation failed for attestor type https://witness.dev/attestations/command-run/v0.1: "
        "policy was denied due to: a, b"
    )


def test_duplicate_module_names_replace_like_opa_parsed_modules() -> None:
    # OPA's rego.ParsedModule keeps a map keyed by file name: the later module wins, while
    # go-witness' query still lists the first module's package -> undefined -> silent pass.
    first = ("same", 'package a\ndeny[m] { m := "from a" }\n')
    second = ("same", 'package b\ndeny[m] { m := "from b" }\n')
    assert evaluate_deny([first, second], {}).passed
    engine = RegorusEngine()
    assert engine.compile([first, second]).query == "data.a.deny\ndata.b.deny\n"
    assert engine.check([first, second]).packages == {"data.a": False, "data.b": True}
    # same package under the same name: only the later module's rules count
    again = ("same", 'package a\ndeny[m] { m := "later" }\n')
    assert evaluate_deny([first, again], {}).deny == ["later"]
    # distinct names are merged as usual
    assert evaluate_deny([first, ("other", again[1])], {}).deny == ["from a", "later"]


@pytest.mark.parametrize("mode", ["verify", "policy-check"])
@pytest.mark.parametrize(
    ("call", "builtin"),
    [
        (
            'r := http.send({"method": "get", "url": "https://example.com/ok"})\n\tr.status_code != 200',
            "http.send",
        ),
        ('opa.runtime().env.CI != "true"', "opa.runtime"),
        ('count(net.lookup_ip_addr("example.com")) == 0', "net.lookup_ip_addr"),
    ],
)
def test_refused_builtins_never_evaluate_silently(call: str, builtin: str, mode: str) -> None:
    """regorus evaluates http.send / opa.runtime to undefined, so this module used to pass; now it
    fails to compile with an error naming the built-in, whatever the input."""
    src = f'package p\n\nimport rego.v1\n\ndeny contains "denied" if {{\n\t{call}\n}}\n'
    out = evaluate_deny({"m": src}, {}, mode)
    assert out.status == "error" and out.kind == "unsupported", out
    assert out.error.startswith(f"m:6: builtin function {builtin} is refused: OPA would ")
    assert "cannot pass" in out.error
    check = RegorusEngine().check({"m": src}, mode)
    assert not check.ok and check.kind == "unsupported"


def test_pure_net_builtins_still_evaluate() -> None:
    src = 'package p\nimport rego.v1\ndeny contains "in range" if net.cidr_contains("10.0.0.0/8", input.ip)\n'
    assert evaluate_deny({"m": src}, {"ip": "10.1.2.3"}).deny == ["in range"]


@pytest.mark.parametrize("depth", [17, 30, 200_000])
def test_too_deep_module_is_refused_before_regorus_parses_it(depth: int) -> None:
    import time

    src = "package p\n\nx := " + "[" * depth + "1" + "]" * depth + "\n"
    start = time.monotonic()
    out = evaluate_deny({"m": src}, {})
    assert time.monotonic() - start < 1.0  # regorus alone: exponential, or a stack overflow
    assert out.status == "error" and out.kind == "too_deep", out
    assert out.error.startswith(f"m:3: too deeply nested for the engine (depth {depth} > limit 16)")


def test_depth_at_the_limit_still_compiles() -> None:
    src = (
        "package p\nimport rego.v1\nx := "
        + "[" * 16
        + "1"
        + "]" * 16
        + '\ndeny contains "deep" if count(x) == 1\n'
    )
    assert evaluate_deny({"m": src}, {}).deny == ["deep"]
