"""Hostile input never raises, is bounded in time, and the analysis is deterministic."""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from witness_evals.witness.cli import (
    COMMANDS,
    MAX_INPUT_CHARS,
    CommandAnalysis,
    parse_command,
    parse_config_yaml,
)

_FLAG_WORDS = sorted(
    {f"--{f.name}" for c in COMMANDS.values() for f in c.flags} | {"-k", "-s", "-a", "-rh", "-f"}
)
_WORDS = [
    "witness",
    "run",
    "sign",
    "verify",
    "policy",
    "check",
    "attestors",
    "schema",
    "--",
    "-c",
    "=",
    "'",
    '"',
    "\\",
    "\n",
    "|",
    "&&",
    ">",
    "#",
    "$",
    "slsa",
    "commandrun",
    "true",
    "false",
    "x.json",
    ",",
    "-step",
    "-key",
    "--key",
    "1h",
    "0x1f",
    "sha512",
]
_token = st.one_of(st.sampled_from(_FLAG_WORDS), st.sampled_from(_WORDS), st.text(max_size=12))
_commandish = st.lists(_token, max_size=30).map(
    lambda ts: " ".join(ts) if not ts or ts[0] == "witness" else "witness " + " ".join(ts)
)


def _check(a: CommandAnalysis) -> None:
    assert isinstance(a, CommandAnalysis)
    assert not any(i.code == "internal-error" for i in a.issues)
    json.dumps(a.to_dict())  # always serialisable
    for issue in a.issues:
        assert issue.severity in ("error", "warning", "note")
        assert -1 <= issue.token_index < max(len(a.tokens), 1)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text: str) -> None:
    _check(parse_command(text))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_commandish, st.one_of(st.none(), st.text(max_size=200)))
def test_witness_like_text_never_raises(text: str, config: str | None) -> None:
    a = parse_command(text, config=config)
    _check(a)
    assert parse_command(text, config=config).to_dict() == a.to_dict()  # deterministic


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_config_never_raises(text: str) -> None:
    cfg = parse_config_yaml(text)
    assert all(i.severity in ("error", "warning") for i in cfg.issues)


def test_input_cap_and_pathological_inputs_are_fast() -> None:
    big = parse_command("witness run " + "x" * MAX_INPUT_CHARS)
    assert [i.code for i in big.issues] == ["input-too-long"]
    cases = [
        "witness run " + "--zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz " * 1500,
        "witness run " + "-" + "q" * 60000,
        "witness run -a " + ",".join(["nosuchattestor"] * 6000),
        "witness run " + "'" * 60001,
        "witness " + "\\\n" * 30000,
        "witness run -s " + "a" * 65000,
        "witness -c c.yaml run " + "--step=x " * 7000,
    ]
    for text in cases:
        start = time.perf_counter()
        a = parse_command(text[:MAX_INPUT_CHARS])
        assert time.perf_counter() - start < 2.0, text[:40]
        _check(a)
        assert len(a.issues) <= 201
    deep = "run:\n  step: " + "[" * 5000 + "]" * 5000
    assert parse_config_yaml(deep).issues  # deep nesting is an issue, not a crash


def test_non_string_input() -> None:
    a = parse_command(b"witness version")  # type: ignore[arg-type]
    assert not a.valid and a.issues[0].code == "bad-input"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab-=./ \t\r\n'\"\\;|&<>()#$~*\x0b\xa0é")), max_size=60))
def test_tokenize_fast_path_agrees_with_shlex(text: str) -> None:
    import shlex

    from witness_evals.witness.cli.shell import tokenize

    lex = shlex.shlex(text, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = ""
    try:
        expected = (list(lex), True)
    except ValueError:
        expected = (text.split(), False)
    assert tokenize(text) == expected
