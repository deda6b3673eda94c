"""How many tokens a model may write for one task.

One cap for every answer either fails right answers that are long or lets short ones run on: the
reference answer of a three-step policy with its keys is over 1,500 tokens in SmolLM2's and Gemma 3's
tokenizers (up to 2,678), a fact is a sentence. With `BUDGETS[0]` ("reference", the default) a task
gets `BASE_TOKENS`, raised for a long reference to the reference's tokens (estimated from its length at
`CHARS_PER_TOKEN`, below every tokenizer measured) plus `PROSE_TOKENS` for the words around it, and
never more than the run's `max_new_tokens`. With "fixed" every task gets `max_new_tokens` (every run
made before this setting existed: 1,536 tokens).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI reads the constants at start-up; the task module is slow to import
    from witness_evals.bench.task import Task

BUDGETS: tuple[str, ...] = ("reference", "fixed")
LEGACY_BUDGET = "fixed"
"""What a run.json without a `budget` setting was run with."""
DEFAULT_MAX_TOKENS = 4096
"""The default cap (`--max-new-tokens`): the largest reference budget of the default suite."""
BASE_TOKENS = 1536
"""A task's budget when its reference is short (the fixed cap of the runs before budgets)."""
CHARS_PER_TOKEN = 1.5
"""Characters per token of reference answers: fewest measured 1.66 (SmolLM2), 1.82 (Gemma 3 270M)."""
PROSE_TOKENS = 768
"""Room for the explanation around the artifact."""
STEP = 256


def answer_budget(task: Task, max_tokens: int = DEFAULT_MAX_TOKENS, rule: str = BUDGETS[0]) -> int:
    """New tokens an answer to `task` may have under `rule`, at most `max_tokens`."""
    if rule == "fixed":
        return max_tokens
    if rule != "reference":
        raise ValueError(f"budget rule must be one of {', '.join(BUDGETS)}, got {rule!r}")
    needed = math.ceil(len(task.reference) / CHARS_PER_TOKEN) + PROSE_TOKENS
    return min(max_tokens, max(BASE_TOKENS, math.ceil(needed / STEP) * STEP))
