"""Family `commands`: the request forms added for the tuned-model failures (analysis 2026-12-05 §5 items 4-6):
only the witness line of a CI step, sign + verify pairs, `--dirhash-glob`, "change X in my current line",
two-turn follow-ups, `verify -s sha256:<hex>` and `--policy-ca` fixes, varied wording for sign/policy check."""

from __future__ import annotations

import random
import re
import shlex

from witness_evals.bench import answers
from witness_evals.bench.scorers.command import meaning
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate.example import Example
from witness_evals.generate.families import cli_usage as fam
from witness_evals.witness import versions
from witness_evals.witness.cli import parse_command


def _examples(kind: str, n: int, version: str = "0.12") -> list[Example]:
    v = versions.get(version)
    return [fam.make_kind(random.Random(f"{kind}:{s}"), kind, v) for s in range(n)]


def _bash(answer: str) -> list[str]:
    return [body for lang, body in answers.code_blocks(answer) if lang == "bash"]


def _command_answer(command: str) -> str:
    return f"Here:\n\n```bash\n{command}\n```\n"


# --------------------------------------------------------------------------- CI: only the witness line


def test_ci_line_answers_are_one_bash_command_not_the_file(ctx: ScoreContext) -> None:
    systems = set()
    for ex in _examples("ci-line", 120):
        systems.add(ex.template.split("/")[2])
        pasted = [lang for lang, _ in answers.code_blocks(ex.question)]
        assert pasted and pasted[0] in ("yaml", "groovy"), ex.question
        blocks = answers.code_blocks(ex.answer)
        assert all(lang == "bash" for lang, _ in blocks), ex.answer  # no rewritten CI file
        first = blocks[0][1]
        assert first.startswith("witness run") and "witness-evals" not in first, ex.answer
        assert fam.score(ex.answer, ex.check, ctx).ok
        # the unwrapped command, or the line without the step, is not an answer
        plain = shlex.join(ex.check["expect"]["command"])
        assert not fam.score(_command_answer(plain), ex.check, ctx).ok
    assert systems == {"github", "gitlab", "jenkins", "codebuild"}


def test_ci_line_key_path_is_the_one_the_pasted_file_writes() -> None:
    n = 0
    for ex in _examples("ci-line", 200):
        pasted = answers.code_blocks(ex.question)[0][1]
        key = ex.check["expect"]["flags"].get("signer-file-key-path")
        if ex.template.startswith("commands/ci-line/github/") and key:
            n += 1
            assert f'> "{key}"' in pasted, (key, pasted)
            assert "signer-file-key-path" not in ex.check.get("any_value", [])
        if ex.template.startswith("commands/ci-line/jenkins/"):
            var = key.lstrip("$")
            assert f"variable: '{var}'" in pasted, pasted
    assert n > 10


def test_ci_whole_file_answers_stay_for_file_requests() -> None:
    whole = sum(
        any(lang in ("yaml", "groovy", "makefile") for lang, _ in answers.code_blocks(ex.answer))
        for ex in _examples("ci", 60)
    )
    assert whole >= 50


def test_ci_line_github_attestor_asks_for_id_token_permission() -> None:
    seen = 0
    for ex in _examples("ci-line", 300):
        if "github" in ex.check["expect"]["attestors"]:
            seen += 1
            assert "id-token: write" in ex.answer, ex.answer
    assert seen


# --------------------------------------------------------------------------- sign + verify


def test_pair_answers_sign_then_verify_the_signed_file(ctx: ScoreContext) -> None:
    for ex in _examples("pair", 80):
        entries = ex.check["commands"]
        assert [e["subcommand"] for e in entries] == ["sign", "verify"]
        sign, verify = (e["expect"]["flags"] for e in entries)
        assert verify["policy"] == sign["outfile"] != sign["infile"]
        text = answers.commands(ex.answer)
        subs = [parse_command(t).subcommand for t in text]
        assert subs.index("sign") < subs.index("verify")
        assert fam.score(ex.answer, ex.check, ctx).ok
        # only one of the two commands is not enough
        body = _bash(ex.answer)[0]
        only_verify = "\n\n".join(p for p in body.split("\n\n") if p.startswith("witness verify"))
        assert not fam.score(_command_answer(only_verify), ex.check, ctx).ok
        # verifying against the raw (unsigned) policy is wrong
        raw = "\n\n".join(
            p.replace(verify["policy"], sign["infile"]) if p.startswith("witness verify") else p
            for p in body.split("\n\n")
        )
        assert not fam.score(_command_answer(raw), ex.check, ctx).ok


def test_pair_verify_key_matches_the_signer() -> None:
    for ex in _examples("pair", 80):
        sign, verify = (e["expect"]["flags"] for e in ex.check["commands"])
        if "signer-kms-ref" in sign:
            assert verify["verifier-kms-ref"] == sign["signer-kms-ref"]
        elif "signer-file-cert-path" in sign:
            assert "policy-ca-roots" in verify and "publickey" not in verify
        else:
            assert verify["publickey"] != sign["signer-file-key-path"]
            assert f"`{verify['publickey']}`" in ex.question


# --------------------------------------------------------------------------- --dirhash-glob


def test_dirhash_glob_is_requested_and_explained(ctx: ScoreContext) -> None:
    seen = 0
    for kind in ("run", "edit"):
        for ex in _examples(kind, 400):
            globs = ex.check["expect"]["flags"].get("dirhash-glob")
            if not globs:
                continue
            seen += 1
            assert f"`{globs[0]}`" in ex.question
            assert "dirHash" in ex.answer and f"`{globs[0]}/`" in ex.answer
            flags = {k: v for k, v in ex.check["expect"]["flags"].items() if k != "dirhash-glob"}
            words = [
                f"--{k}={','.join(v) if isinstance(v, list) else v}"
                for k, v in flags.items()
                if v is not True
            ]
            words += [f"--{k}" for k, v in flags.items() if v is True]
            without = "witness run " + " ".join(shlex.quote(w) for w in words)
            without += " -a " + ",".join(
                a for a in ex.check["expect"]["attestors"] if a not in ("product", "material", "command-run")
            )
            without += " -- " + shlex.join(ex.check["expect"]["command"])
            assert not fam.score(_command_answer(without), ex.check, ctx).ok
    assert seen >= 10


# --------------------------------------------------------------------------- current line + one change


def _current_line(ex: Example) -> str:
    inline = re.search(r"`(witness run [^`]+)`", ex.question)
    if inline:
        return inline.group(1)
    return answers.code_blocks(ex.question)[0][1]


def test_edit_echoing_the_current_line_fails(ctx: ScoreContext) -> None:
    keys = set()
    for ex in _examples("edit", 150):
        keys.add(ex.template.split("/")[2])
        current = _current_line(ex)
        assert current.startswith("witness run"), ex.question
        assert not fam.score(_command_answer(current), ex.check, ctx).ok, ex.question
        assert fam.score(ex.answer, ex.check, ctx).ok
    assert {"trace", "exclude", "secretscan-fail", "dirhash", "kms"} <= keys
    assert len(keys) >= 8, keys


def test_edit_secretscan_and_export_keep_the_defaults() -> None:
    for ex in _examples("edit", 200):
        flags = ex.check["expect"]["flags"]
        attestors = ex.check["expect"]["attestors"]
        if "attestor-secretscan-fail-on-detection" in flags:
            assert "secretscan" in attestors
        for x in ("link", "slsa"):
            if f"attestor-{x}-export" in flags:
                assert x in attestors
        before = meaning(parse_command(_current_line(ex)))["attestors"]
        assert set(before) <= set(attestors), (before, attestors)  # a change never drops an attestor


def test_edit_wording_varies() -> None:
    exs = _examples("edit", 200)
    trace = {ex.question for ex in exs if ex.template.startswith("commands/edit/trace/")}
    sentences = set()
    for q in trace:
        sentences |= {s for s in re.split(r"(?<=[.?!])\s", q) if "trac" in s.lower()}
    assert len(sentences) >= 5, sentences


# --------------------------------------------------------------------------- two turns


def test_followup_has_two_turns_and_turn_two_changes_turn_one(ctx: ScoreContext) -> None:
    for ex in _examples("followup", 100):
        assert [m["role"] for m in ex.history] == ["user", "assistant"]
        first = [t for t in answers.commands(ex.history[1]["content"]) if t.startswith("witness run")]
        assert first, ex.history[1]["content"]
        # the turn-1 command does not answer turn 2; the complete new command does
        assert not fam.score(_command_answer(first[0]), ex.check, ctx).ok, ex.question
        assert fam.score(ex.answer, ex.check, ctx).ok
        messages = ex.messages()
        assert [m["role"] for m in messages][-4:] == ["user", "assistant", "user", "assistant"]
        assert "witness run" not in ex.question  # turn 2 refers back instead of repeating the line


def test_followup_kms_swap_drops_the_key_file() -> None:
    seen = 0
    for ex in _examples("followup", 300):
        if ex.template.startswith("commands/followup/kms/"):
            seen += 1
            flags = ex.check["expect"]["flags"]
            assert "signer-kms-ref" in flags and "signer-file-key-path" not in flags
    assert seen


# --------------------------------------------------------------------------- fixes


def _fixes(mid: str, n: int = 600) -> list[Example]:
    return [ex for ex in _examples("fix", n) if ex.check.get("mistake") == mid]


def test_fix_verify_digest_prefix(ctx: ScoreContext) -> None:
    exs = _fixes("verify-digest-prefix")
    assert len(exs) >= 5
    for ex in exs:
        (digest,) = ex.check["expect"]["flags"]["subjects"]
        assert re.fullmatch(r"[0-9a-f]{64}", digest)
        assert f"sha256:{digest}" in ex.question
        assert fam.score(ex.answer, ex.check, ctx).ok
        prefixed = ex.answer.replace(f" {digest}", f" sha256:{digest}").replace(
            f"={digest}", f"=sha256:{digest}"
        )
        assert not fam.score(prefixed, ex.check, ctx).ok


def test_fix_deprecated_policy_ca(ctx: ScoreContext) -> None:
    exs = _fixes("verify-policy-ca")
    assert len(exs) >= 5
    for ex in exs:
        assert "--policy-ca " in ex.question
        flags = ex.check["expect"]["flags"]
        assert "policy-ca-roots" in flags and "policy-ca" not in flags
        assert fam.score(ex.answer, ex.check, ctx).ok
        assert not fam.score(ex.answer.replace("--policy-ca-roots", "--policy-ca"), ex.check, ctx).ok


# --------------------------------------------------------------------------- right subcommand, natural wording


def test_sign_and_policy_check_requests_do_not_all_name_the_subcommand() -> None:
    signs = [ex.question for ex in _examples("sign", 200)]
    assert sum("witness sign" not in q for q in signs) >= 100
    checks = [
        ex.question
        for ex in _examples("other", 400)
        if ex.template.startswith("commands/other/policy-check/")
    ]
    plain = [q for q in checks if not re.search(r"\b(lint|validat|policy check)", q, re.I)]
    assert len(plain) >= 10, len(plain)
