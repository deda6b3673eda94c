"""Family `config`: determinism, reference answers pass, wrong and garbage answers fail."""

from __future__ import annotations

import dataclasses
import json
import random
from typing import Any

import pytest

from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate.families import config as C
from witness_evals.generate.families import get


def _example(kind: str, pred: Any = None) -> Any:
    for seed in range(3000):
        ex = C.make(random.Random(seed))
        if ex.meta["kind"] == kind and (pred is None or pred(ex)):
            return ex
    raise AssertionError(kind)


def test_registered() -> None:
    assert get("config") is C.FAMILY


@pytest.mark.parametrize("seed", [0, 3, 42, 1000, 65537])
def test_deterministic(seed: int) -> None:
    assert dataclasses.asdict(C.make(random.Random(seed))) == dataclasses.asdict(C.make(random.Random(seed)))


def test_reference_answers_pass(ctx: ScoreContext) -> None:
    kinds: set[str] = set()
    templates: set[str] = set()
    for seed in range(300):
        ex = C.make(random.Random(seed))
        assert json.loads(json.dumps(ex.check)) == ex.check
        assert len(json.dumps(ex.check)) < 3000
        res = C.score(ex.answer, ex.check, ctx)
        assert res.ok, (seed, res.reason, ex.answer)
        kinds.add(ex.meta["kind"])
        templates.add(ex.template)
    assert kinds == {"write", "dotwitness", "badkey"}
    assert len(templates) >= 18


def _run_write() -> Any:
    return _example("write", lambda e: list(e.check["settings"]) == ["run"])


def test_write_wrong_answers(ctx: ScoreContext) -> None:
    ex = _run_write()
    check = ex.check
    file = check["file"]
    run = check["settings"]["run"]
    good_yaml = C._yaml(check["settings"])

    def ans(yaml_text: str, cmd: str) -> str:
        return f"```yaml\n{yaml_text}```\n\n```bash\n{cmd}\n```"

    assert C.score(ans(good_yaml, f"witness -c {file} run -- make"), check, ctx).ok
    assert C.score(ans(good_yaml, f"witness run --config={file} -- make"), check, ctx).ok
    # stale key `key` instead of signer-file-key-path
    stale = good_yaml.replace("signer-file-key-path:", "key:")
    res = C.score(ans(stale, f"witness -c {file} run -- make"), check, ctx)
    assert not res.ok and "key" in res.reason
    # relying on .witness.yaml auto-loading: no -c
    res = C.score(ans(good_yaml, "witness run -- make"), check, ctx)
    assert not res.ok and "-c" in res.reason
    # wrong file name
    res = C.score(ans(good_yaml, "witness -c other.yaml run -- make"), check, ctx)
    assert not res.ok
    # wrong step value
    wrong = good_yaml.replace(f"step: {run['step']}", "step: wrong-step")
    res = C.score(ans(wrong, f"witness -c {file} run -- make"), check, ctx)
    assert not res.ok and "step" in res.reason
    # command line overrides the configured step
    res = C.score(ans(good_yaml, f"witness -c {file} run -s other -- make"), check, ctx)
    assert not res.ok and "overrides" in res.reason
    # flat JSON-ish / no subcommand section
    res = C.score(ans("signer-file-key-path: key.pem\n", f"witness -c {file} run -- make"), check, ctx)
    assert not res.ok
    # two signers via config + command
    res = C.score(
        ans(good_yaml, f"witness -c {file} run --signer-kms-ref awskms:///alias/x -- make"), check, ctx
    )
    assert not res.ok


def test_dotwitness_wrong_answers(ctx: ScoreContext) -> None:
    ex = _example("dotwitness", lambda e: e.check["sub"] == "run")
    assert C.score(ex.answer, ex.check, ctx).ok
    wrong = (
        "Rename it to `witness.yaml`; witness picks it up automatically:\n\n```bash\nwitness run -- make\n```"
    )
    res = C.score(wrong, ex.check, ctx)
    assert not res.ok and "-c" in res.reason
    res = C.score("```bash\nwitness -c .witness.yaml verify\n```", ex.check, ctx)
    assert not res.ok


def test_badkey_wrong_answers(ctx: ScoreContext) -> None:
    ex = _example("badkey", lambda e: e.check["bad"] == "key" and e.check["sub"] == "run")
    assert C.score(ex.answer, ex.check, ctx).ok
    res = C.score("Yes, `run.key: key.pem` works.", ex.check, ctx)
    assert not res.ok
    # a plain "no, use <sub>.<good>" is a complete answer; a bare long flag name is not the config key
    assert C.score("No, it's ignored; use `run.signer-file-key-path`.", ex.check, ctx).ok
    res = C.score("No, it's ignored; use the `--signer-file-key-path` flag instead.", ex.check, ctx)
    assert not res.ok and "run.signer-file-key-path" in res.reason
    res = C.score(
        "No, it's ignored. Use `run.signer-file-key-path`:\n\n```yaml\nrun:\n  signer-file-key-path: key.pem\n"
        "  key: key.pem\n```",
        ex.check,
        ctx,
    )
    assert not res.ok
    res = C.score("It is not valid. Use:\n\n```yaml\nrun:\n  private-key: key.pem\n```", ex.check, ctx)
    assert not res.ok


def test_badkey_value_only_required_when_shown(ctx: ScoreContext) -> None:
    """Templates that do not show the user's value accept any value for the corrected key."""
    check = {"kind": "badkey", "sub": "run", "bad": "fulcio-url", "good": "signer-fulcio-url"}
    other = "No. Use:\n\n```yaml\nrun:\n  signer-fulcio-url: https://fulcio.example.com\n```"
    assert C.score(other, {**check, "value": "https://fulcio.sigstore.dev"}, ctx).ok
    shown = {**check, "value": "https://fulcio.sigstore.dev", "value_shown": True}
    res = C.score(other, shown, ctx)
    assert not res.ok and "question" in res.reason
    assert C.score(other.replace("example.com", "sigstore.dev"), shown, ctx).ok
    for seed in range(600):
        ex = C.make(random.Random(seed))
        if ex.meta["kind"] == "badkey":
            shows = ex.template.rsplit("/", 1)[1] in ("2", "5")
            assert ex.check["value_shown"] is shows


def test_badkey_run_attestations_are_attestor_names(ctx: ScoreContext) -> None:
    """`run.attestations` holds attestor names; a file name there fails with `attestor not found`."""
    pairs = [p for p in C.BAD_PAIRS if p[0] == "run" and p[2] == "attestations"]
    assert pairs
    for _sub, _bad, _good, value in pairs:
        assert (
            isinstance(value, list) and "environment" in value and not any(v.endswith(".json") for v in value)
        )
    ex = _example("badkey", lambda e: e.check["sub"] == "run" and e.check["good"] == "attestations")
    assert "build.json" not in ex.answer and "- slsa" in ex.answer
    assert C.score(ex.answer, ex.check, ctx).ok
    wrong = "No, it's ignored. Use:\n\n```yaml\nrun:\n  attestations:\n    - build.json\n```"
    assert not C.score(wrong, {**ex.check, "value_shown": True}, ctx).ok


def test_badkey_no_env_var_values() -> None:
    """viper does not expand `$VAR`, so no corrected config may carry one."""
    assert all(not (isinstance(v, str) and v.startswith("$")) for *_, v in C.BAD_PAIRS)


def test_badkey_artifacthash_accepts_subjects(ctx: ScoreContext) -> None:
    ex = _example("badkey", lambda e: e.check["bad"] == "artifacthash")
    assert C.score(ex.answer, ex.check, ctx).ok
    subj = "No, `artifacthash` is stale. Use:\n\n```yaml\nverify:\n  subjects:\n    - 54c5b3dd\n```"
    assert C.score(subj, ex.check, ctx).ok
    assert C.score("No: use `verify.subjects` with the digest.", ex.check, ctx).ok


GARBAGE = [
    "",
    "no idea",
    "lorem ipsum " * 2000,
    "x" * 300_000,
    "```yaml\n" + "- " * 20000 + "\n```",
    "```yaml\n" + "[" * 3000 + "]" * 3000 + "\n```",
    "```yaml\na: &a [*a, *a]\nb: !!python/object:os.system 'ls'\n```",
    "```yaml\nrun: {step: [1, {x: y}], signer-file-key-path: {a: b}}\n```\n```bash\nwitness -c a run\n```",
    "```\n\x00\x01\x02 :: - ? !!binary\n```",
]


@pytest.mark.parametrize("garbage", GARBAGE)
def test_garbage_fails(ctx: ScoreContext, garbage: str) -> None:
    for seed in range(0, 200, 9):
        ex = C.make(random.Random(seed))
        assert not C.score(garbage, ex.check, ctx).ok


def test_bad_checks_do_not_raise(ctx: ScoreContext) -> None:
    assert not C.score("x", {}, ctx).ok
    assert not C.score("x", {"kind": "write"}, ctx).ok
    assert not C.score("x", {"kind": "badkey", "sub": 1}, ctx).ok
