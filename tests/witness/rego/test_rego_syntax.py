"""Token-level pre-check that aligns regorus' v0 mode with OPA's v0 parser."""

from __future__ import annotations

import pytest

from witness_evals.witness.rego.syntax import enabled_keywords, tokenize, v0_issues


def test_strings_and_comments_are_ignored() -> None:
    src = 'package p\n# deny contains msg if\nx := "deny contains y"\nr := `contains\nif`\n'
    assert v0_issues(src) == []


def test_contains_keyword_flagged_at_statement_line() -> None:
    issues = v0_issues('package p\n\ndeny contains msg if {\n\tmsg := "a"\n}\n')
    assert [(i.line, i.message) for i in issues] == [(3, "var cannot be used for rule name")]


def test_contains_as_builtin_or_field_is_fine() -> None:
    assert v0_issues('package p\nallow = contains("ab", "a")\nx = input.contains\n') == []


def test_multiline_head_and_continuations_are_fine() -> None:
    src = "package p\nallow\n{\n  true\n}\nx :=\n  y\ndefault z = false\n"
    assert v0_issues(src) == []


def test_imports_enable_keywords() -> None:
    assert enabled_keywords(tokenize("package p\nimport rego.v1\n")) == (
        {"contains", "if", "in", "every"},
        True,
    )
    assert enabled_keywords(tokenize("package p\nimport future.keywords.in\n")) == ({"in"}, False)
    assert v0_issues("package p\nimport future.keywords.if\nallow if { true }\n") == []


def test_line_numbers_follow_raw_strings() -> None:
    src = "package p\nx := `a\nb\nc`\nallow\n"
    assert [i.line for i in v0_issues(src)] == [5]


# --------------------------------------------------------------------------- nesting pre-check


def _nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + "1" + close * depth


def test_nesting_depth_skips_strings_comments_and_counts_lines() -> None:
    from witness_evals.witness.rego.syntax import nesting

    src = 'package p\n# [[[[[[[[[[[[[[[[[[[[\nx := "[[[[[[[[[[[[[[[[[[[["\ny := `\n[[[[[[[[[[[[[[[[[[[[`\nz := [[1]]\n'
    found = nesting(src)
    assert (found.depth, found.depth_line) == (2, 6)
    assert nesting("package p\nx := " + _nested(30)).depth == 30
    # an unterminated string hides the rest of its line (the parser fails there anyway)
    assert nesting('package p\nx := "[[[[[[[[[[[[[[[[[[[[[[[\n').depth == 0


def test_nesting_cost_counts_backtracking_only() -> None:
    from witness_evals.witness.rego.syntax import nesting

    # read once: 16 brackets; with the first element of each re-parsed: 2^16 - 1
    assert nesting("x := " + _nested(16)).cost == 2**16 - 1 - 16
    flat = "x := [" + ", ".join(f"[{i}]" for i in range(100_000)) + "]"
    assert nesting(flat).cost == 1  # long flat literals cost nothing: only nesting does
    assert nesting("x := " + "count(" * 16 + "1" + ")" * 16).cost == 0  # parentheses are read once
    assert nesting("x := [" + ", ".join("[[[[1]]]]" for _ in range(60_000)) + "]").cost > 2**17  # 0.54 s


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("package p\nx := " + _nested(17), r"depth 17 > limit 16"),
        ("package p\nx := " + _nested(200_000), r"depth 200000 > limit 16"),
        ("package p\n\nx := " + _nested(20, '{"a": ', "}"), r"depth 20 > limit 16"),
    ],
)
def test_too_deep_modules_are_named(source: str, message: str) -> None:
    import re

    from witness_evals.witness.rego.syntax import nesting_problem

    problem = nesting_problem(source)
    assert problem is not None and re.search(message, problem[1]), problem
    assert problem[1].startswith("too deeply nested for the engine (")


def test_bushy_literals_under_the_depth_limit_are_refused_by_cost() -> None:
    from witness_evals.witness.rego.syntax import MAX_NESTING, nesting, nesting_problem

    def tree(d: int) -> str:
        return "1" if d == 0 else "[" + tree(d - 1) + ", " + tree(d - 1) + "]"

    src = "package p\n\nx := " + tree(14)  # regorus: 2.4 s; 16,384 leaves, 14 deep
    assert nesting(src).depth <= MAX_NESTING
    problem = nesting_problem(src)
    assert problem is not None and problem[0] == 3 and "estimated parser backtracking steps" in problem[1]
    assert nesting_problem("package p\nx := " + tree(8)) is None


def test_ordinary_policies_are_far_below_the_limits() -> None:
    from witness_evals.witness.rego.syntax import nesting

    src = (
        'package commandrun.cmd\nimport rego.v1\n\nallowed := {"go", "make"}\n\n'
        "deny contains msg if {\n\tnot input.cmd[0] in allowed\n"
        '\tmsg := sprintf("unexpected cmd %v", [concat(" ", input.cmd)])\n}\n'
    )
    found = nesting(src)
    assert found.depth <= 4 and found.cost < 100


# --------------------------------------------------------------------------- refused built-ins


def test_refused_calls_are_found_by_tokens_not_by_text() -> None:
    from witness_evals.witness.rego.syntax import refused_calls

    src = (
        "package p\n"
        'a := http.send({"method": "get", "url": "https://x"})\n'  # 2: a call
        "# http.send(x) in a comment\n"
        'b := "opa.runtime() in a string"\n'
        "c := opa . runtime()\n"  # 5: spaces do not hide it
        "d := input.http.send(1)\n"  # a field of the input, not the built-in
        'e := net.lookup_ip_addr("example.com")\n'  # 7
        'f := net.cidr_contains("10.0.0.0/8", "10.1.2.3")\n'  # pure: allowed
        "g := http.sender(1)\n"
    )
    assert refused_calls(src) == [(2, "http.send"), (5, "opa.runtime"), (7, "net.lookup_ip_addr")]


# --------------------------------------------------------------------------- recursion


@pytest.mark.parametrize(
    ("source", "rules"),
    [
        ("package p\nf(x) := y if { y := f(x) }\n", ["f"]),
        ("package p\na if b\nb if a\n", ["a", "b"]),
        ("package p\ng(x) := 1 if {\n  x > 0\n} else := g(x)\n", ["g"]),
        ("package p\na := [1]\nb := array.concat(a, a)\nc := array.concat(b, b)\n", []),
        ('package p\ndeny[msg] {\n  not allow\n  msg := "x"\n}\nallow {\n  input.ok\n}\n', []),
        ("package p\nx := input.x.x\n", []),
    ],
    ids=["self", "mutual", "else", "doubling", "deny-allow", "field"],
)
def test_recursive_rules(source: str, rules: list[str]) -> None:
    from witness_evals.witness.rego.syntax import recursive_rules

    assert recursive_rules(source) == rules
