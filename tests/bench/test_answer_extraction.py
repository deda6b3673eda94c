"""Extraction of commands, JSON and Rego from free-text answers (never executed)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from witness_evals.bench import answers


def test_commands_from_fenced_block_with_prompt_and_continuation() -> None:
    text = "Run this:\n```bash\n$ witness run -s build \\\n  -k key.pem -o out.json -- make\n# comment\nls\n```\n"
    assert answers.commands(text) == ["witness run -s build -k key.pem -o out.json -- make"]


def test_commands_fall_back_to_inline_code_then_lines() -> None:
    assert answers.commands("Use `witness verify -p p.json` here.") == ["witness verify -p p.json"]
    assert answers.commands("witness sign -f a -o b\nthen done") == ["witness sign -f a -o b"]
    assert answers.commands("witnesses run") == []


def test_unclosed_fence_still_counts() -> None:
    assert answers.code_blocks('```json\n{"a": 1}') == [("json", '{"a": 1}')]


_LAZY_FENCE = re.compile(r"```([A-Za-z0-9_+.-]*)[ \t]*\n(.*?)(?:\n```|\Z)", re.S)


@given(
    st.lists(
        st.sampled_from(["```", "`", "\n", "\n```", "bash", "json ", "\t", "x", " ", "```rego\n"]),
        max_size=30,
    )
)
def test_code_blocks_end_where_the_lazy_dotall_pattern_ends(parts: list[str]) -> None:
    text = "".join(parts)
    plain = [(m.group(1).lower(), m.group(2)) for m in _LAZY_FENCE.finditer(text)]
    assert answers.code_blocks(text) == plain


def test_json_documents_skip_bad_blocks_and_other_languages() -> None:
    text = '```json\n{"steps": {}}\n```\n```bash\n{"x": 1}\n```\n```\nnot json\n```'
    assert answers.json_documents(text) == [{"steps": {}}]
    assert answers.json_documents('  {"a": [1]}  ') == [{"a": [1]}]


def test_rego_modules_tagged_or_starting_with_package() -> None:
    text = "```rego\npackage a\n```\n```\npackage b\ndeny[m] { m := 1 }\n```\n```python\npackage c\n```"
    assert answers.rego_modules(text) == ["package a\n", "package b\ndeny[m] { m := 1 }\n"]


def test_huge_answer_is_capped() -> None:
    text = "```bash\nwitness version\n```\n" + "x" * (answers.MAX_ANSWER_CHARS * 2)
    assert answers.commands(text) == ["witness version"]


def test_deeply_nested_json_is_skipped_not_raised() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    assert answers.json_documents(f"```json\n{deep}\n```") == []
    assert answers.json_documents(deep) == []


def test_commands_inside_ci_configuration() -> None:
    text = (
        "```yaml\nsteps:\n  - run: witness run -s build -k k.pem -o a.json -- make\n"
        "script:\n  - WITNESS_KEY_PASSPHRASE=x witness run -s c -k k.pem -o c.json -- go build\n```\n"
        "```groovy\nsh 'witness verify -p p.json -k p.pub -f app'\n```"
    )
    assert answers.commands(text) == [
        "witness run -s build -k k.pem -o a.json -- make",
        "witness run -s c -k k.pem -o c.json -- go build",
        "witness verify -p p.json -k p.pub -f app",
    ]


PEM = b"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAXLmMaTgRr5Pay+rxOzRpHKdS+0Dbl8r+rLmmjJgp/K0=\n-----END PUBLIC KEY-----\n"
SCRIPT = """Run this next to your key:

```bash
BUILD_ID=$(sha256sum keys/build.pub | cut -d' ' -f1)
BUILD_KEY=$(base64 -w0 keys/build.pub)
cat > policy.json <<EOF
{"publickeys": {"${BUILD_ID}": {"keyid": "$BUILD_ID", "key": "${BUILD_KEY}"}}}
EOF
```
"""


def test_a_script_that_derives_key_ids_from_pasted_files_is_evaluated_without_a_shell() -> None:
    keyid = hashlib.sha256(PEM).hexdigest()
    (doc,) = answers.scripted_json(SCRIPT, {"keys/build.pub": PEM})
    assert doc == {"publickeys": {keyid: {"keyid": keyid, "key": base64.b64encode(PEM).decode()}}}
    awk = SCRIPT.replace("cut -d' ' -f1", "awk '{print $1}'")
    assert answers.scripted_json(awk, {"keys/build.pub": PEM}) == [doc]


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s.replace("keys/build.pub | cut", "keys/other.pub | cut"),  # a file the user never pasted
        lambda s: s.replace('"$BUILD_ID"', '"$HOME"'),  # a variable the script never set
        lambda s: s.replace("sha256sum keys/build.pub", "curl -s https://example.com/x"),  # another command
        lambda s: s.replace('"key": "${BUILD_KEY}"', '"key": "$(cat keys/build.pub)"'),  # substitution inside
        lambda s: s.replace("\nEOF\n```", "\n```"),  # never terminated
    ],
)
def test_a_script_doing_anything_else_yields_no_document(edit: Callable[[str], str]) -> None:
    assert answers.scripted_json(edit(SCRIPT), {"keys/build.pub": PEM}) == []


def test_a_quoted_heredoc_is_taken_literally() -> None:
    (doc,) = answers.scripted_json(SCRIPT.replace("<<EOF", "<<'EOF'"), {"keys/build.pub": PEM})
    assert doc["publickeys"] == {"${BUILD_ID}": {"keyid": "$BUILD_ID", "key": "${BUILD_KEY}"}}


def test_pasted_files_are_named_by_the_file_name_before_their_block() -> None:
    text = (
        "Keys:\n`keys/build.pub` (Ed25519):\n```\n" + PEM.decode().strip() + "\n```\n"
        "and `ci/package.pem`:\n```text\n" + PEM.decode().strip() + "\n```\n"
        "```\n" + PEM.decode().strip() + "\n```\n"  # no name of its own: not a file
        "`notes.txt`\n```\nnot a key\n```\n"
    )
    assert answers.pasted_files(text) == {"keys/build.pub": PEM, "ci/package.pem": PEM}
    plain = "The runner signs with this key (build.pub):\n```\n" + PEM.decode().strip() + "\n```\n"
    assert answers.pasted_files(plain) == {"build.pub": PEM}  # a name in prose counts too


def test_pasted_file_names_may_start_with_a_dot() -> None:
    """`./keys/ci.pub`, `../ci.pem` and a dot directory (`.witness/ci-signer.pub.pem`) name their blocks too.
    Failed before: `.witness/ci-signer.pub.pem` named nothing, so a script deriving its id read no policy."""
    block = "\n```\n" + PEM.decode().strip() + "\n```\n"
    for name in ("./keys/ci.pub", "../ci.pem", ".witness/ci-signer.pub.pem"):
        assert answers.pasted_files(f"`{name}` (Ed25519):" + block) == {name: PEM}, name
