"""One training example and the hidden test that any answer to its question must pass.

An `Example` is a question, a reference answer and a `check`: a JSON-able description of what a
correct answer must contain or do (a command meaning, a policy that must verify a pipeline, a Rego
module that must deny one input and allow another...). The family that made the example scores
answers against the check; the generator writes an example only if its own reference answer
passes, and witness-bench reuses the same checks on model answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Example:
    """A question/answer pair with its hidden test."""

    family: str
    """Name of the family that made it (`witness_evals.generate.families`)."""
    group: str
    """Split key: examples with the same group always land in the same split."""
    template: str
    """Id of the question template (diversity statistics)."""
    question: str
    answer: str
    check: dict[str, Any]
    """JSON-able hidden test, read back by the family's `score`."""
    system: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, str]] = field(default_factory=list)
    """Earlier turns of a multi-turn conversation (`{"role", "content"}`), before `question`."""

    def messages(self) -> list[dict[str, str]]:
        """OpenAI chat messages: optional system, earlier turns, user question, assistant answer."""
        out = [{"role": "system", "content": self.system}] if self.system else []
        out += [dict(m) for m in self.history]
        out.append({"role": "user", "content": self.question})
        out.append({"role": "assistant", "content": self.answer})
        return out
