"""Family `rego`: what a review of generated examples found stays fixed.

- a pasted module's code fence opens on a line of its own, even behind a polite lead
  ("Could you help with this? ```rego" was generated);
- no requirement pins the github predicate's `ciconfigpath` (GITHUB_ACTION_PATH in go-witness, empty in
  a plain `run:` step): the workflow is in the OIDC token's claims.
"""

from __future__ import annotations

import random
import re

from witness_evals.generate import phrasing
from witness_evals.generate.families import rego

INLINE_FENCE = re.compile(r"[^\n]```")


def test_questions_open_fences_on_their_own_line() -> None:
    glued = 0
    for seed in range(600):
        ex = rego.make(random.Random(seed))
        turns = [ex.question] + [m["content"] for m in ex.history if m["role"] == "user"]
        for text in turns:
            assert not INLINE_FENCE.search(text), text[:200]
            glued += any(text.startswith(lead.strip() + "\n\n```") for lead in phrasing.POLITE_LEADS)
    assert glued  # the case the review found (a polite lead before a pasted module) does occur


def test_dress_keeps_a_leading_fence_on_its_own_line() -> None:
    question = "```rego\npackage x\n```\n\nWhat's wrong?"
    for seed in range(400):
        raw = phrasing.dress(random.Random(seed), question)
        fixed = rego._dress(random.Random(seed), question)
        assert not INLINE_FENCE.search(fixed), fixed[:120]
        assert fixed.replace("\n", "").replace(" ", "") == raw.replace("\n", "").replace(" ", "")


def test_no_requirement_reads_ciconfigpath() -> None:
    for seed in range(300):
        ex = rego.make(random.Random(seed))
        assert "ciconfigpath" not in ex.answer, ex.template
