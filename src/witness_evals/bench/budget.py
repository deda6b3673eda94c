"""How many tokens a model may write for one task.

A fixed cap fails right answers that are long: the reference answer of a three-step policy with its keys
is over 1,500 tokens in SmolLM2's and Gemma 3's tokenizers (up to 2,678), so under a 1,536-token cap
no model could pass it. With `BUDGETS[0]` ("reference", the default) each task gets the run's
`max_new_tokens`, raised for a long reference to the reference's tokens (estimated from its length at
`CHARS_PER_TOKEN`, below every tokenizer measured) plus `PROSE_TOKENS` for the words around it. With
"fixed" every task gets `max_new_tokens` (every run made before this setting existed).
"""

from __future__ import annotations

import math

from witness_evals.bench.task import Task

BUDGETS: tuple[str, ...] = ("reference", "fixed")
LEGACY_BUDGET = "fixed"
"""What a run.json without a `budget` setting was run with."""
CHARS_PER_TOKEN = 1.5
"""Characters per token of reference answers: fewest measured 1.66 (SmolLM2), 1.82 (Gemma 3 270M)."""
PROSE_TOKENS = 768
"""Room for the explanation around the artifact."""
STEP = 256


def answer_budget(task: Task, floor: int, rule: str = BUDGETS[0]) -> int:
    """New tokens an answer to `task` may have under `rule`: `floor`, or more for a long reference."""
    if rule == "fixed":
        return floor
    if rule != "reference":
        raise ValueError(f"budget rule must be one of {', '.join(BUDGETS)}, got {rule!r}")
    needed = math.ceil(len(task.reference) / CHARS_PER_TOKEN) + PROSE_TOKENS
    return max(floor, math.ceil(needed / STEP) * STEP)
