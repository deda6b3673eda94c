"""Answers that teach: why, then the complete artifact, then how to check it — in varied shapes.

A family fills a `Lesson` with what is true for its example (the reasons, the whole policy/module/
command, the commands that confirm it) and `render` lays it out in one of several structures with
varied connective wording, so that no two families' answers share a fixed opening and a model
learns the content rather than a frame. Nothing here adds facts: every sentence that says something
about Witness comes from the family.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from witness_evals.generate.phrasing import pick


@dataclass(frozen=True)
class Lesson:
    """The parts of a teaching answer; `artifact` is a complete fenced block (or blocks)."""

    why: Sequence[str]
    """One to three sentences: what the artifact does and the Witness behaviour it relies on."""
    artifact: str = ""
    """The whole policy / module / command, fenced with its language; never a fragment."""
    check: Sequence[str] = field(default_factory=tuple)
    """Commands (one per line, no fence) that confirm the artifact works, e.g. `witness verify ...`."""
    check_intro: str = ""
    """What the check commands show (optional; a neutral lead is chosen otherwise)."""
    notes: Sequence[str] = field(default_factory=tuple)
    """Extra sentences after the artifact (pitfalls, version differences)."""
    check_lang: str = "bash"
    """The fence language of the check commands (`powershell` for lines only PowerShell runs)."""


_CHECK_LEADS: tuple[str, ...] = (
    "To check it:",
    "How to confirm it works:",
    "You can verify this with:",
    "Check it before you rely on it:",
    "To test it:",
    "Then confirm with:",
    "Try it:",
)
_NOTE_LEADS: tuple[str, ...] = ("", "", "Note: ", "Also: ", "One more thing: ")
_CONNECTIVES: tuple[str, ...] = (
    "Another option",
    "Alternatively",
    "Also",
    "If ",
    "Or ",
    "Note",
    "One more",
    "Checked with",
)
_ARTIFACT_LEADS: tuple[str, ...] = ("", "", "", "Here it is:", "Complete version:", "The full file:")
_FILE_FENCES: tuple[str, ...] = ("```json", "```yaml", "```yml", "```rego")


def _artifact_lead(rng: random.Random, artifact: str) -> str:
    """A short lead before the artifact: none when the artifact brings its own words, and "The full
    file:" only before a file (a policy, module or config), never before a command."""
    lead = pick(rng, _ARTIFACT_LEADS)
    if not artifact.startswith("```"):
        return ""
    if lead == "The full file:" and not artifact.startswith(_FILE_FENCES):
        return "Complete version:"
    return lead


def _paragraph(sentences: Sequence[str]) -> str:
    return " ".join(s.strip() for s in sentences if s.strip())


_ANALYSER = "witness-evals check command "
"""How the analyser's lines for an inline command start: they check the answer's command, so an answer without
one gets none (a check of the user's own file, e.g. `witness-evals check policy FILE`, stays)."""
_A_REPLACES = re.compile(
    r"(?:`-a`|`--attestations`|\battestations\b)[^.]*\breplaces?\b|\breplaces?\b[^.]*`-a`"
)
"""A sentence about `-a` replacing the default attestors (only useful next to an answer that sets `-a`)."""
_SETS_A = re.compile(
    r"(?m)(?:^|\s)(?:-a|--attestations)(?:[ =]|$)|^\s*-?\s*attestations\s*:|\battestations:\s"
)
"""An artifact that selects attestors: a witness command with `-a`/`--attestations`, or a config/CI file with an
`attestations:` key."""


_POINTS_DOWN = re.compile(r"\b(?:below|as follows|the following)\b", re.I)
"""Reasons that point at an artifact after them ("the line below"): never laid out after the artifact."""


def _checks(lesson: Lesson) -> list[str]:
    """The check commands worth showing: the analyser's inline-command lines only where the answer has an
    artifact (a command or a file) for them to check."""
    if lesson.artifact.strip():
        return list(lesson.check)
    return [c for c in lesson.check if not c.lstrip().startswith(_ANALYSER)]


def _check_block(rng: random.Random, lesson: Lesson) -> str:
    checks = _checks(lesson)
    if not checks:
        return ""
    lead = lesson.check_intro or pick(rng, _CHECK_LEADS)
    return f"{lead}\n\n```{lesson.check_lang}\n" + "\n".join(checks) + "\n```"


def _relevant(sentences: Sequence[str], artifact: str) -> list[str]:
    """`sentences` without the "`-a` replaces the default ..." remark when the artifact selects no attestors."""
    kept = [s for s in sentences if "replace" not in s or not _A_REPLACES.search(s)]  # both branches need it
    if len(kept) == len(sentences) or _SETS_A.search(artifact):  # the (long) artifact only when it matters
        return list(sentences)
    return kept


def _notes(rng: random.Random, lesson: Lesson) -> str:
    if not lesson.notes:
        return ""
    if len(lesson.notes) > 1 and rng.random() < 0.5:
        return "\n".join(f"- {n}" for n in lesson.notes)
    lead = pick(rng, _NOTE_LEADS)
    text = _paragraph(lesson.notes)
    if text.startswith(_CONNECTIVES):  # "Also: Another option is ..." reads as two leads
        lead = ""
    return lead + text


def render(rng: random.Random, lesson: Lesson) -> str:
    """`lesson` as Markdown in one of several layouts (seeded). A remark that `-a` replaces the default attestors
    is kept only when the artifact sets `-a` (or `attestations:`), and the analyser's `witness-evals check` lines
    only when there is an artifact to check."""
    why_kept = _relevant(lesson.why, lesson.artifact) or list(lesson.why)
    lesson = replace(lesson, why=why_kept, notes=_relevant(lesson.notes, lesson.artifact))
    why = _paragraph(lesson.why)
    artifact = lesson.artifact.strip()
    check = _check_block(rng, lesson)
    notes = _notes(rng, lesson)
    layout = rng.randrange(4) if artifact else 0
    if layout == 2 and _POINTS_DOWN.search(why):  # "the line below" needs the artifact after it
        layout = 0
    if layout == 1 and len(lesson.why) > 1:
        # a one-line lead, the artifact, then the reasons as bullets
        head, *rest = lesson.why
        bullets = "\n".join(f"- {s.strip()}" for s in rest)
        if notes.startswith("- "):  # one list, not two lists split by a blank line
            bullets, notes = bullets + "\n" + notes, ""
        parts = [head.strip(), artifact, bullets, notes, check]
    elif layout == 2:
        # artifact first, reasons after
        parts = [artifact, ("Why: " if rng.random() < 0.5 else "") + why, notes, check]
    elif layout == 3:
        parts = [why, _artifact_lead(rng, artifact), artifact, check, notes]
    else:
        parts = [why, artifact, notes, check]
    return "\n\n".join(p for p in parts if p).strip() + "\n"
