"""Teaching answers: the layouts say nothing false about the artifact they introduce."""

from __future__ import annotations

import random

import pytest

from witness_evals.generate.teach import Lesson, render

POLICY = '```json\n{"expires": "2027-01-01T00:00:00Z", "steps": {}}\n```'
COMMAND = "```bash\nwitness run -s build -k key.pem -o build.json -- make\n```"
LED = "Run this instead:\n\n" + COMMAND


def _answers(artifact: str, n: int = 300) -> list[str]:
    lesson = Lesson(why=("Why one.", "Why two."), artifact=artifact, notes=("A note.", "Another."))
    return [render(random.Random(i), lesson) for i in range(n)]


def test_the_full_file_lead_comes_only_before_a_file() -> None:
    assert any("The full file:" in a for a in _answers(POLICY))
    assert not any("The full file:" in a for a in _answers(COMMAND))


def test_an_artifact_with_its_own_lead_gets_no_second_one() -> None:
    for answer in _answers(LED):
        before = answer.split("Run this instead:")[0]
        assert not before.rstrip().endswith(("Here it is:", "Complete version:", "The full file:"))


def test_layouts_vary_and_keep_the_artifact_whole() -> None:
    answers = _answers(POLICY)
    assert all(POLICY in a for a in answers)
    assert len({a.splitlines()[0] for a in answers}) >= 3


@pytest.mark.parametrize(
    "note", ["Another option is to re-sign the policy.", "Checked with the verifier: it fails."]
)
def test_a_note_that_opens_with_its_own_lead_gets_no_second_one(note: str) -> None:
    lesson = Lesson(why=("Why.",), artifact=COMMAND, notes=(note,))
    start = note.split()[0]
    for i in range(200):
        answer = render(random.Random(i), lesson)
        assert note in answer
        assert not any(f"{lead}{start}" in answer for lead in ("Note: ", "Also: ", "One more thing: "))


ANALYSER = "witness-evals check command 'witness run -s build -k key.pem -o build.json -- make'"


def test_analyser_lines_only_follow_an_artifact() -> None:
    pure = Lesson(why=("A fact.", "Its reason."), check=(ANALYSER, "witness run --help"))
    with_artifact = Lesson(why=("A fact.",), artifact=COMMAND, check=(ANALYSER,))
    for i in range(100):
        answer = render(random.Random(i), pure)
        assert "witness-evals check" not in answer
        assert "witness run --help" in answer  # other check commands stay
        assert ANALYSER in render(random.Random(i), with_artifact)
    assert "witness-evals" not in render(random.Random(0), Lesson(why=("Fact.",), check=(ANALYSER,)))


A_NOTE = "`-a` replaces the default `environment,git` list, which is why both stay in the list."


@pytest.mark.parametrize(
    ("artifact", "kept"),
    [
        (COMMAND, False),
        ("```bash\nwitness run -s build -k key.pem -a environment,git,sbom -o build.json -- make\n```", True),
        (
            "```bash\nwitness run -s build -k key.pem --attestations=environment,git,slsa -o b.json -- make\n```",
            True,
        ),
        ("```yaml\nrun:\n    attestations:\n        - environment\n        - git\n```", True),
        (POLICY, False),
    ],
)
def test_the_a_replaces_note_needs_an_artifact_that_sets_a(artifact: str, kept: bool) -> None:
    lesson = Lesson(why=("Why one.", A_NOTE), artifact=artifact, notes=(A_NOTE, "A note."))
    for i in range(50):
        answer = render(random.Random(i), lesson)
        assert ("replaces the default" in answer) is kept
        assert "A note." in answer and "Why one." in answer


def test_a_why_made_only_of_the_a_note_is_kept() -> None:
    answer = render(random.Random(0), Lesson(why=(A_NOTE,), artifact=COMMAND))
    assert A_NOTE in answer
