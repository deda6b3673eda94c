"""What an intent builder hands back: the request, the reference command and the lesson around it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from witness_evals.generate.teach import Lesson


@dataclass
class Built:
    kind: str
    template: str
    """`commands/<kind>/<request form>`: one id per way of asking (the `--split-by template` unit)."""
    question: str
    """The request itself, before `phrasing.dress` adds who asks and how."""
    command: str
    """The reference witness command exactly as the artifact shows it."""
    lesson: Lesson
    extra_check: dict[str, Any] = field(default_factory=dict)
    """`loose` / `any_value` / `mistake` entries of the check."""
    group: str = ""
    """Extra text that keeps otherwise equal checks apart (e.g. the CI system)."""
    history: list[dict[str, str]] = field(default_factory=list)
    """Earlier turns (`{"role", "content"}`) of a follow-up conversation, already dressed and answered."""
    dress: bool = True
    """Whether `phrasing.dress` adds a persona around `question` (not for a follow-up turn: that person is
    already talking)."""
