"""Audit fixes (policies / commands / facts): a step a person also signs by hand records no CI- or
cloud-bound attestor; verify output is quoted as witness prints it; edit answers keep the user's flag
spelling and their leads do not point at a block on the wrong side; sign + verify requests name the
policy file the answer signs."""

from __future__ import annotations

import random
import re
import shlex
from pathlib import Path

import pytest

from witness_evals.bench import answers
from witness_evals.generate import teach
from witness_evals.generate.build import derived_rng
from witness_evals.generate.example import Example
from witness_evals.generate.families import cli_usage as fam
from witness_evals.generate.families import policies as P
from witness_evals.generate.families.cli_usage import fix, pair
from witness_evals.generate.families.cli_usage.spec import one_line
from witness_evals.witness import versions
from witness_evals.witness.cli import grammar, parse_command

# ----------------------------------------------------------------------- policies: multi-functionary


PLATFORM = {"github", "gitlab", "jenkins", "aws-codebuild", "aws", "gcp-iit"}
"""Attestors that fail off their CI or cloud platform (go-witness attestation/<name>)."""


def test_platform_attestors_cover_ci_and_cloud() -> None:
    assert PLATFORM <= P.PLATFORM_ATTESTORS


def _multi_functionary(seeds: int) -> list[Example]:
    """The multi-functionary examples among `seeds` policies-family draws."""
    made = (P.make(derived_rng(0, "audit-multi-functionary", seed)) for seed in range(seeds))
    return [ex for ex in made if ex.check["sub"] == "multi-functionary"]


def test_the_step_a_person_also_signs_records_no_platform_attestor() -> None:
    """go-witness aborts a run whose attestor fails, and the CI/cloud attestors fail off their platform
    (aws-codebuild without CODEBUILD_BUILD_ID, ...): the fallback signer "runs the same command" by hand."""
    examples = _multi_functionary(400)
    for ex in examples:
        s0 = ex.check["pipe"]["steps"][0]
        assert not set(s0["a"]) & PLATFORM, (s0, ex.question)
        assert len(ex.check["funcs"][s0["name"]]) == 2
    assert len(examples) >= 30


def test_the_second_signer_is_not_contradicted_by_an_own_key_rule() -> None:
    """ "Each step may only be signed by its own key" next to "`build` may be signed by either key" asks for
    two things at once: after the second signer only the *other* steps keep their own keys."""
    examples = _multi_functionary(300)
    for ex in examples:
        assert not any(own in ex.question for own in P._OWN_KEYS), ex.question
    assert len(examples) >= 20


# ----------------------------------------------------------------------- commands: verify output


def _make(kind: str, seed: int) -> Example | None:
    """An example of `kind`, or None where the maker refuses its draw (the build draws again)."""
    try:
        return fam.make_kind(random.Random(f"{kind}:{seed}"), kind, versions.LATEST)
    except AssertionError:
        return None


def _fixes(mid: str, n: int = 800) -> list[Example]:
    out = []
    for s in range(n):
        ex = _make("fix", s)
        if ex is not None and ex.check.get("mistake") == mid:
            out.append(ex)
    return out


@pytest.mark.parametrize("version", sorted(versions.PROFILES))
def test_no_collection_lines_come_from_the_core(version: str) -> None:
    lines = fix.no_collection_lines("test", versions.get(version))
    assert lines == (
        "verification failure: Reason: predicate type  is not a collection predicate type",
        "verification failure: Reason: no verifiers present to validate against collection verifiers",
        "verification failure: Reason: failed to verify artifacts for step test: no passed collections present",
    )


def test_digest_prefix_fix_quotes_only_what_witness_prints() -> None:
    exs = _fixes("verify-digest-prefix")
    assert len(exs) >= 5
    quoted = 0
    for ex in exs:
        assert "no collections found" not in ex.question  # go-witness's placeholder error, never printed
        for q in re.findall(r"`([^`]*Reason: [^`]*)`", ex.question):
            quoted += 1
            m = re.search(r"for step (\S+?):", q)
            assert q in fix.no_collection_lines(m.group(1) if m else "any", versions.LATEST)
            assert "placeholder" in ex.answer  # the answer says what the quoted lines mean
    assert quoted


def test_sbom_type_misconception_quotes_no_fake_message() -> None:
    from witness_evals.generate import facts_misconceptions as FM

    src = Path(FM.__file__).read_text(encoding="utf-8")
    assert "no collections found" not in src


# ----------------------------------------------------------------------- commands: edit answers


def _chunks(line: str) -> list[tuple[str, ...]]:
    """The flag chunks (flag token and its values) of a witness command, before `--`."""
    toks = shlex.split(one_line(line))[2:]
    if "--" in toks:
        toks = toks[: toks.index("--")]
    out: list[list[str]] = []
    for t in toks:
        if t.startswith("-") or not out:
            out.append([t])
        else:
            out[-1].append(t)
    return [tuple(c) for c in out]


def _long(token: str, sub: str) -> str:
    name = token.lstrip("-").split("=", 1)[0]
    if token.startswith("--"):
        return name
    table = grammar(versions.LATEST).long_flags[sub]
    return next(n for n, f in table.items() if f.short == name)


def _old_line(ex: Example) -> str:
    shown = "\n\n".join([*(m["content"] for m in ex.history), ex.question])
    m = re.search(r"witness run[^`]*", shown)
    assert m, shown
    return m.group(0).strip()


def _new_line(ex: Example) -> str:
    return next(
        b for lang, b in answers.code_blocks(ex.answer) if lang == "bash" and b.startswith("witness run")
    )


@pytest.mark.parametrize("kind", ["edit", "followup"])
def test_edit_answers_keep_the_users_flag_spelling(kind: str) -> None:
    v = versions.LATEST
    checked = 0
    for s in range(150):
        ex = _make(kind, s)
        if ex is None:
            continue
        old, new = _old_line(ex), _new_line(ex)
        before, after = (
            parse_command(one_line(old), version=v).flags,
            parse_command(one_line(new), version=v).flags,
        )
        new_chunks = _chunks(new)
        for chunk in _chunks(old):
            name = _long(chunk[0], "run")
            if name in after and after[name] == before.get(name):  # a flag the change left alone
                checked += 1
                assert chunk in new_chunks, (chunk, old, new)
    assert checked > 200


def test_edit_leads_do_not_point_at_the_block() -> None:
    for s in range(300):
        ex = _make("edit", s)
        if ex is None:
            continue
        assert " is below" not in ex.answer and "Only the new flags differ" not in ex.answer, ex.answer
        if ex.template.startswith("commands/edit/kms/"):
            assert "replaces `-k`" not in ex.answer


def test_teach_keeps_a_lead_that_points_down_before_the_artifact() -> None:
    lesson = teach.Lesson(
        why=["Replace `make` in the job with the line below."], artifact="```bash\nwitness run\n```"
    )
    for s in range(60):
        out = teach.render(random.Random(s), lesson)
        assert out.index("line below") < out.index("```bash"), out


# ----------------------------------------------------------------------- commands: sign + verify pairs


def test_pair_questions_name_the_policy_file_they_sign() -> None:
    v = versions.LATEST
    forms = set()
    for s in range(300):
        ex = _make("pair", s)
        assert ex is not None
        forms.add(ex.template)
        signs = [c for c in answers.commands(ex.answer) if c.startswith("witness sign")]
        assert signs, ex.answer
        infile = parse_command(signs[0], version=v).infile
        assert infile and f"`{infile}`" in ex.question, (infile, ex.question)
    assert len(forms) == len(pair.FORMS)
