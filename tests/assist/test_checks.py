"""The checker: every policy, Rego module and command of an answer, against the model of witness."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from witness_evals.assist import Checker, Pipeline, guess_attestor
from witness_evals.bench import suites
from witness_evals.bench.scorers.context import NOW


@pytest.fixture(scope="module")
def checker() -> Iterator[Checker]:
    with Checker(now=NOW) as c:
        yield c


def policy_task(task_id: str = "hand/policy/makefile-build-package-two-keys"):
    return next(t for t in suites.load_suite("hand") if t.id == task_id)


def by_name(report, fragment: str):
    return [c for c in report.checks if fragment in c.name]


def test_a_reference_policy_passes_and_verifies_on_its_pipeline(checker: Checker) -> None:
    from witness_evals.bench.worlds import world_for

    task = policy_task()
    world = world_for(task.check["pipeline"], task.check["keys"], task.check.get("pki"), {})
    report = Checker(now=NOW, pipeline=Pipeline(world.collections, world.subjects)).check(task.reference)
    assert report.passed, report.lines()
    assert report.artifacts["policy"] == 1
    verify = by_name(report, "witness verify")
    assert verify and verify[0].ok is True and verify[0].reason.startswith("PASS")
    tampered = world_for(task.check["pipeline"], task.check["keys"], None, {"tamper": "package"})
    bad = Checker(now=NOW, pipeline=Pipeline(tampered.collections, tampered.subjects)).check(task.reference)
    assert not bad.passed and by_name(bad, "witness verify")[0].reason.startswith("FAIL")


def test_a_planted_policy_error_is_a_cross_with_the_reason(checker: Checker) -> None:
    task = policy_task()
    report = checker.check(task.planted)
    assert not report.passed
    line = report.failed[0].line()
    assert line.startswith("✗ policy: every setting takes effect") and "artifacts_from" in line


def test_a_policy_written_by_a_script_from_the_pasted_keys_is_checked(checker: Checker) -> None:
    """An answer may derive the key ids from the files the user pasted (sha256sum, base64 -w0) in a script
    that writes the policy: the checker reads the policy the script writes, and a wrong file name leaves no
    policy to pass. (The generator's own answers compute the ids; the script here is built from one.)"""
    import base64
    import hashlib
    import random
    import re

    from witness_evals.generate.families import policies

    ex = next(
        e
        for e in (policies.make(random.Random(seed)) for seed in range(300))
        if e.check.get("files") and not e.history
    )
    text = re.findall(r"```json\n(.*?)\n```", ex.answer, re.S)[0]
    lines = []
    for i, (name, pem) in enumerate(sorted(ex.check["files"].items())):
        keyid, b64 = hashlib.sha256(pem.encode()).hexdigest(), base64.b64encode(pem.encode()).decode()
        text = text.replace(keyid, f"${{K{i}_ID}}").replace(b64, f"${{K{i}_KEY}}")
        lines += [f"K{i}_ID=$(sha256sum {name} | cut -d' ' -f1)", f"K{i}_KEY=$(base64 -w0 {name})"]
    script = "```bash\n" + "\n".join(lines) + f"\ncat > policy.json <<EOF\n{text}\nEOF\n```"
    answer = re.sub(r"```json\n.*?\n```", lambda _m: script, ex.answer, count=1, flags=re.S)
    report = checker.check(answer, ex.question)
    assert report.artifacts["policy"] == 1 and report.passed, report.lines()
    name = sorted(ex.check["files"])[0]
    renamed = answer.replace(f"sha256sum {name} ", "sha256sum elsewhere.pub ")
    assert checker.check(renamed, ex.question).artifacts["policy"] == 0
    assert checker.check(answer).artifacts["policy"] == 0  # nothing pasted: nothing to read


def test_rego_modules_compile_define_deny_and_evaluate(checker: Checker) -> None:
    good = '```rego\npackage git\n\nimport rego.v1\n\ndeny contains msg if {\n  input.branch != "main"\n  msg := "not main"\n}\n```'
    report = checker.check(good)
    assert report.passed, report.lines()
    assert [c.ok for c in report.checks] == [True, True, True]
    assert "example git predicate" in report.checks[2].name
    no_deny = "```rego\npackage git\n\nallow := true\n```"
    assert by_name(checker.check(no_deny), "defines deny")[0].ok is False
    wrong_type = "```rego\npackage commandrun\n\ndeny = 5\n```"
    failed = checker.check(wrong_type).failed
    assert failed and "evaluates on an example command-run predicate" in failed[0].name
    broken = "```rego\npackage git\n\ndeny[msg] {\n  input.branch ==\n}\n```"
    assert checker.check(broken).failed[0].name.startswith("compiles")
    unknown = '```rego\npackage mycorp.rules\n\ndeny[msg] { false; msg := "x" }\n```'
    notes = [c for c in checker.check(unknown).checks if c.ok is None]
    assert "no attestor" in notes[0].reason and "OPA v1" in notes[1].reason


def test_attestor_hints() -> None:
    assert guess_attestor("package commandrun.exitcode\n") == "command-run"
    assert guess_attestor("package policy\n", "Require the GitHub attestor's workflow") == "github"
    assert guess_attestor("package x\n", "check input of https://witness.dev/attestations/git/v0.1") == "git"
    assert guess_attestor("package x\n", "nothing here") is None


def test_commands_grammar_and_meaning(checker: Checker) -> None:
    report = checker.check(
        "`witness run -s build -k key.pem -o out.json -- make` then `witness verfy -p p.json`"
    )
    ok, bad = report.checks
    assert ok.ok is True and "records step `build`" in ok.reason
    assert bad.ok is False and "did you mean `witness verify`" in bad.reason
    assert report.render().splitlines()[-1] == "1 of 2 checks fail"


def test_a_subcommand_named_in_prose_is_not_a_command(checker: Checker) -> None:
    prose = checker.check("When the command fails, `witness run` writes nothing; `witness` exits 1.")
    assert prose.artifacts["command"] == 0 and prose.passed
    typo = checker.check("Then `witness verfy` it.")
    assert typo.artifacts["command"] == 1 and not typo.passed
    block = checker.check("Run:\n\n```bash\nwitness run\nwitness\n```\n")
    assert block.artifacts["command"] == 2 and "-s/--step` is required" in block.failed[0].reason
    assert "no subcommand" in block.failed[1].reason


@pytest.mark.parametrize(
    "answer",
    [
        "",
        "no artifacts here",
        '```json\n{"steps": ' + "[" * 5000 + "\n```",
        "```rego\npackage a\n" + "[" * 40 + "\n```",
        "`witness " + "-a " * 30000 + "`",
    ],
)
def test_untrusted_answers_never_raise(checker: Checker, answer: str) -> None:
    report = checker.check(answer)
    assert isinstance(report.lines(), list)
    if "[" * 40 in answer and "rego" in answer:
        assert not report.passed


def test_unknown_witness_version_is_an_input_error() -> None:
    from witness_evals.common.errors import InputError

    with pytest.raises(InputError):
        Checker(witness_version="9.9")
    assert Checker(witness_version="0.11").version.release.startswith("v0.11")
