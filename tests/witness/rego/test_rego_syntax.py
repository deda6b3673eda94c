"""Token-level pre-check that aligns regorus' v0 mode with OPA's v0 parser."""

from __future__ import annotations

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
