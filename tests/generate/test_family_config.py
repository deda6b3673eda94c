"""Family `config`: determinism, reference answers pass, complete YAML and commands without placeholders,
varied requests, wrong and garbage answers fail."""

from __future__ import annotations

import dataclasses
import json
import random
import re
from typing import Any

import pytest

from witness_evals.bench import answers
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate.families import config as C
from witness_evals.generate.families import get
from witness_evals.witness import cli as cli_spec
from witness_evals.witness import versions

PLACEHOLDER = re.compile(r"<[a-z][a-z _/-]*>|…|(?<![./])\.\.\.(?!/)", re.I)


def _example(kind: str, pred: Any = None, version: str = "0.12") -> Any:
    for seed in range(3000):
        ex = C.make(random.Random(seed), versions.get(version))
        if ex.meta["kind"] == kind and (pred is None or pred(ex)):
            return ex
    raise AssertionError(kind)


def _examples(n: int, version: str = "0.12") -> list[Any]:
    return [C.make(random.Random(seed), versions.get(version)) for seed in range(n)]


def test_registered() -> None:
    assert get("config") is C.FAMILY


@pytest.mark.parametrize("seed", [0, 3, 42, 1000, 65537])
def test_deterministic(seed: int) -> None:
    assert dataclasses.asdict(C.make(random.Random(seed))) == dataclasses.asdict(C.make(random.Random(seed)))


@pytest.mark.parametrize("version", versions.NAMES)
def test_reference_answers_pass(version: str, ctx: ScoreContext) -> None:
    kinds: set[str] = set()
    templates: set[str] = set()
    for ex in _examples(300, version):
        assert json.loads(json.dumps(ex.check)) == ex.check
        assert len(json.dumps(ex.check)) < 3000
        res = C.score(ex.answer, {**ex.check, "witness_version": version}, ctx)
        assert res.ok, (res.reason, ex.answer)
        kinds.add(ex.meta["kind"])
        templates.add(ex.template)
    assert kinds == {"write", "override", "dotwitness", "badkey"}
    assert len(templates) >= 22


def test_answers_are_complete_and_placeholder_free() -> None:
    for ex in _examples(300):
        assert not PLACEHOLDER.search(ex.answer.replace("./...", "")), (
            PLACEHOLDER.search(ex.answer),
            ex.answer,
        )
        assert ex.answer.count("```") % 2 == 0
        assert len(ex.answer) >= 150
        for lang, body in answers.code_blocks(ex.answer):
            if lang == "yaml":  # every YAML shown is a whole, valid witness config
                cfg = cli_spec.parse_config_yaml(body)
                assert cfg.values and not cfg.issues, (body, cfg.issues)


def test_version_dependent_statements_name_their_release() -> None:
    for ex in _examples(200, "0.10") + _examples(200, "0.12"):
        if ".witness.yaml" in ex.answer:
            assert re.search(r"v0\.1[01]", ex.answer), ex.answer


def test_requests_vary() -> None:
    exs = _examples(400)
    firsts = {re.split(r"(?<=[.?!:])\s|\n", ex.question.strip(), maxsplit=1)[0] for ex in exs}
    assert len(firsts) >= 120, len(firsts)
    assert len({ex.answer[:40] for ex in exs}) >= 80


def test_yaml_styles_vary_but_mean_the_same() -> None:
    styles = set()
    for ex in _examples(200):
        if ex.meta["kind"] != "write":
            continue
        body = next(b for lang, b in answers.code_blocks(ex.answer) if lang == "yaml")
        styles.add(("[" in body, '"' in body, "\n    " in body))
    assert len(styles) >= 4, styles


def _run_write() -> Any:
    return _example("write", lambda e: list(e.check["settings"]) == ["run"])


def test_write_wrong_answers(ctx: ScoreContext) -> None:
    ex = _run_write()
    check = ex.check
    file = check["file"]
    run = check["settings"]["run"]
    argv = " ".join(check["argv"])
    good_yaml = C.to_yaml(check["settings"])

    def ans(yaml_text: str, cmd: str) -> str:
        return f"```yaml\n{yaml_text}```\n\n```bash\n{cmd}\n```"

    assert C.score(ans(good_yaml, f"witness -c {file} run -- {argv}"), check, ctx).ok
    assert C.score(ans(good_yaml, f"witness run --config={file} -- {argv}"), check, ctx).ok
    # a different wrapped command
    res = C.score(ans(good_yaml, f"witness -c {file} run -- make all"), check, ctx)
    assert not res.ok and "wraps" in res.reason
    # stale key `key` instead of signer-file-key-path
    if "signer-file-key-path" in run:
        stale = good_yaml.replace("signer-file-key-path:", "key:")
        res = C.score(ans(stale, f"witness -c {file} run -- {argv}"), check, ctx)
        assert not res.ok and "key" in res.reason
    # relying on .witness.yaml auto-loading: no -c
    res = C.score(ans(good_yaml, f"witness run -- {argv}"), check, ctx)
    assert not res.ok and "-c" in res.reason
    # wrong file name
    res = C.score(ans(good_yaml, f"witness -c other.yaml run -- {argv}"), check, ctx)
    assert not res.ok
    # wrong step value
    wrong = good_yaml.replace(f"step: {run['step']}", "step: wrong-step")
    res = C.score(ans(wrong, f"witness -c {file} run -- {argv}"), check, ctx)
    assert not res.ok and "step" in res.reason
    # command line overrides the configured step
    res = C.score(ans(good_yaml, f"witness -c {file} run -s other -- {argv}"), check, ctx)
    assert not res.ok and "overrides" in res.reason
    # flat / no subcommand section
    res = C.score(ans("signer-file-key-path: key.pem\n", f"witness -c {file} run -- {argv}"), check, ctx)
    assert not res.ok
    # two signers via config + command
    res = C.score(
        ans(good_yaml, f"witness -c {file} run --signer-spiffe-socket-path unix:///x.sock -- {argv}"),
        check,
        ctx,
    )
    assert not res.ok


def test_write_yaml_in_any_style_passes(ctx: ScoreContext) -> None:
    ex = _run_write()
    check = ex.check
    argv = " ".join(check["argv"])
    for style in (
        {"indent": 4, "flow": True, "quote": True, "comment": "# x"},
        {"indent": 2, "flow": False, "quote": False, "comment": ""},
    ):
        text = C.to_yaml(check["settings"], style)
        assert C.score(
            f"```yaml\n{text}```\n\n```bash\nwitness -c {check['file']} run -- {argv}\n```", check, ctx
        ).ok


def test_override_answers(ctx: ScoreContext) -> None:
    ex = _example("override")
    check = ex.check
    argv = " ".join(check["argv"])
    step, out, file = check["expect"]["step"], check["expect"]["outfile"], check["file"]
    assert C.score(f"`witness run --config {file} --step {step} --outfile {out} -- {argv}`", check, ctx).ok
    # forgetting the override keeps the config's step
    res = C.score(f"`witness -c {file} run -o {out} -- {argv}`", check, ctx)
    assert not res.ok and "--step" in res.reason
    # dropping -c loses the signer
    res = C.score(f"`witness run -s {step} -o {out} -- {argv}`", check, ctx)
    assert not res.ok
    # a second config file is another answer than the one asked
    res = C.score(f"`witness -c other.yaml run -s {step} -o {out} -- {argv}`", check, ctx)
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


def test_dotwitness_answer_follows_the_release() -> None:
    old = _example("dotwitness", version="0.10")
    assert old.answer.startswith("Yes") or "Yes, in witness v0.10.x" in old.answer
    assert "default use of .witness.yaml is deprecated" in old.answer  # what v0.11+ will say
    new = _example("dotwitness", version="0.12")
    assert "Since witness v0.11" in new.answer or "v0.11 dropped" in new.answer


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


def test_badkey_corrected_file_keeps_the_other_settings(ctx: ScoreContext) -> None:
    ex = _example("badkey", lambda e: len(e.check["settings"][e.check["sub"]]) >= 2)
    sub, good, value = ex.check["sub"], ex.check["good"], ex.check["value"]
    kept = dict(ex.check["settings"][sub])
    full = C.to_yaml({sub: {**kept, good: value}})
    assert C.score(f"No, it does not exist.\n\n```yaml\n{full}```", ex.check, ctx).ok
    dropped = dict(kept)
    dropped.pop(next(iter(dropped)))
    partial = C.to_yaml({sub: {**dropped, good: value}})
    res = C.score(f"No, it does not exist.\n\n```yaml\n{partial}```", ex.check, ctx)
    assert not res.ok and "drops" in res.reason


def test_badkey_value_only_required_when_shown(ctx: ScoreContext) -> None:
    """Checks that do not show the user's value accept any value for the corrected key."""
    check = {"kind": "badkey", "sub": "run", "bad": "fulcio-url", "good": "signer-fulcio-url"}
    other = "No. Use:\n\n```yaml\nrun:\n  signer-fulcio-url: https://fulcio.example.com\n```"
    assert C.score(other, {**check, "value": "https://fulcio.sigstore.dev"}, ctx).ok
    shown = {**check, "value": "https://fulcio.sigstore.dev", "value_shown": True}
    res = C.score(other, shown, ctx)
    assert not res.ok and "question" in res.reason
    assert C.score(other.replace("example.com", "sigstore.dev"), shown, ctx).ok


def test_badkey_run_attestations_are_attestor_names(ctx: ScoreContext) -> None:
    """`run.attestations` holds attestor names; a file name there fails with `attestor not found`."""
    pairs = [p for p in C.BAD_PAIRS if p[0] == "run" and p[2] == "attestations"]
    assert pairs
    for _sub, _bad, _good, value in pairs:
        assert (
            isinstance(value, list) and "environment" in value and not any(v.endswith(".json") for v in value)
        )
    ex = _example("badkey", lambda e: e.check["sub"] == "run" and e.check["good"] == "attestations")
    corrected = next(b for lang, b in answers.code_blocks(ex.answer) if lang == "yaml")
    assert ".json" not in corrected.split("attestations:")[1].split(":")[0] and "slsa" in corrected
    assert C.score(ex.answer, ex.check, ctx).ok
    wrong = "No, it's ignored. Use:\n\n```yaml\nrun:\n  attestations:\n    - build.json\n```"
    assert not C.score(wrong, ex.check, ctx).ok


def test_badkey_no_env_var_values() -> None:
    """viper does not expand `$VAR`, so no corrected config may carry one."""
    assert all(not (isinstance(v, str) and v.startswith("$")) for *_, v in C.BAD_PAIRS)


def test_badkey_artifacthash_accepts_subjects(ctx: ScoreContext) -> None:
    ex = _example("badkey", lambda e: e.check["bad"] == "artifacthash")
    assert C.score(ex.answer, ex.check, ctx).ok
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
    assert not C.score("x", {"kind": "override"}, ctx).ok


# --------------------------------------------------------------------------- review C: defect classes


def _all(n: int = 600) -> list[Any]:
    return [ex for v in versions.NAMES for ex in _examples(n, v)]


def _fences_well_formed(text: str) -> bool:
    """Every fence line is an opening ```lang or a bare closing ```; no text glued after a closing fence."""
    open_ = False
    for line in text.splitlines():
        if "```" not in line:
            continue
        if not open_:
            if not re.fullmatch(r"```[a-z]*", line):
                return False
            open_ = True
        else:
            if line != "```":
                return False
            open_ = False
    return not open_


def test_prompts_never_glue_text_to_a_closing_fence() -> None:
    for ex in _all():
        assert _fences_well_formed(ex.question), ex.question
        assert _fences_well_formed(ex.answer), ex.answer


def test_badkey_answers_fit_the_question() -> None:
    for ex in _all():
        if ex.meta["kind"] != "badkey":
            continue
        t = int(ex.template.rsplit("/", 1)[1])
        if ex.answer.startswith("No:"):
            assert t in C.YES_NO_FORMS, ex.question
        bad = ex.check["bad"]
        first = ex.answer.split("\n\n")[0]
        assert first.count(f"`--{bad}` does not exist") <= 1, first
        if "docs/concepts/config.md) list" in ex.question:
            assert bad in C.STALE_DOC_KEYS, ex.question
        if ex.check["good"] == "signer-file-intermediate-paths":  # ignored without the certificate
            assert "signer-file-cert-path" in ex.check["settings"][ex.check["sub"]], ex.answer


def test_k8smanifest_configs_do_not_record_the_cluster() -> None:
    seen = 0
    for ex in _all():
        run = (ex.check.get("settings") or {}).get("run", {})
        if "k8smanifest" in run.get("attestations", []):
            seen += 1
            assert run.get("attestor-k8smanifest-record-cluster-information") is False, ex.answer
            assert "attestor-k8smanifest-record-cluster-information: false" in ex.answer
    assert seen >= 3


# --------------------------------------------------------------------------- review D


def test_sign_and_verify_in_one_config_use_the_same_policy_file() -> None:
    seen = 0
    for ex in _examples(600):
        settings = ex.check.get("settings") or {}
        if "sign" in settings and "verify" in settings:
            seen += 1
            assert settings["verify"]["policy"] == settings["sign"]["outfile"], ex.template
    assert seen


def test_keyless_run_settings_carry_a_timestamp_server() -> None:
    for seed in range(400):
        s = C._settings(random.Random(seed), "run", C.workloads.draw(random.Random(seed)))
        if "signer-fulcio-url" in s:
            assert s.get("timestamp-servers"), s


def test_override_why_agrees_in_number() -> None:
    """config-0-0009057: "the signer stay as in `...`"."""
    seen = 0
    for ex in _all(300):
        if ex.meta["kind"] == "override":
            assert "the signer stay " not in ex.answer, ex.answer
            seen += "the signer stays as in" in ex.answer
    assert seen


def test_dotwitness_reason_reads_in_any_layout() -> None:
    """config-0-0003789: the lead-in "So point `-c` at it." came out as a bullet after the fixed command."""
    for ex in _all(300):
        if ex.meta["kind"] == "dotwitness":
            assert "So point `-c` at it" not in ex.answer, ex.answer
