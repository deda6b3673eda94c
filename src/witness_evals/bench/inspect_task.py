"""witness-bench as an inspect_ai task: `inspect eval witness_evals/witness_bench --model ...`.

The same tasks, tiers and executed checks as `witness-evals bench`, exposed through inspect_ai's
Task / Solver / Scorer so any model inspect can reach (its OpenAI, Anthropic, vLLM, Ollama, llama.cpp
providers...) is scored by witness-bench, with inspect's logs and viewer. Each sample's score value
is C (the answer passed every check) or I, with the failure class and reason as the explanation and
metadata. Requires `pip install inspect_ai` (the `inspect` extra); nothing else in the package
imports this module.

Task parameters (`-T name=value`): `suite` (default, hand, generated, quick or a .yaml task file),
`tier` (bare or context), `witness_version` (0.12, 0.11, 0.10), `limit` (a stratified subset),
`max_tokens` (4096) and `budget` (reference: each answer gets 1,536 tokens, more up to `max_tokens`
for a task whose reference answer is long, as `witness-evals bench` does; fixed: `max_tokens` for every
task).
"""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageSystem, ChatMessageUser
from inspect_ai.scorer import CORRECT, INCORRECT, Score, Scorer, Target, accuracy, scorer, stderr
from inspect_ai.solver import Generate, Solver, TaskState, solver

from witness_evals.bench import suites
from witness_evals.bench.budget import BUDGETS, DEFAULT_MAX_TOKENS, answer_budget
from witness_evals.bench.scorers import score as score_answer
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.bench.task import Task as BenchTask
from witness_evals.bench.tiers import messages_for
from witness_evals.witness import versions

_MESSAGE_TYPES: dict[str, type[ChatMessage]] = {
    "system": ChatMessageSystem,
    "user": ChatMessageUser,
    "assistant": ChatMessageAssistant,
}


def _sample(t: BenchTask, tier: str, budget: int) -> Sample:
    messages = [_MESSAGE_TYPES[m["role"]](content=m["content"]) for m in messages_for(t, tier)]
    meta = {"task_id": t.id, "kind": t.kind, "source": t.source, "attestor": t.attestor, "tier": tier}
    return Sample(
        id=f"{t.id}|{tier}", input=messages, target=t.reference, metadata={**meta, "budget": budget}
    )


def samples(
    suite: str = "default",
    tier: str = "bare",
    limit: int | None = None,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    budget: str = BUDGETS[0],
) -> list[Sample]:
    """The inspect samples of a witness-bench suite in one tier (target: the reference answer; metadata
    `budget`: the answer's token budget)."""
    tasks = suites.load_suite(suite)
    if limit is not None and limit < len(tasks):
        tasks = suites.quick_subset(tasks, limit)
    return [_sample(t, tier, answer_budget(t, max_tokens, budget)) for t in tasks]


@solver
def budgeted_generate() -> Solver:
    """inspect's `generate` with the sample's answer budget as `max_tokens`."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        return await generate(state, max_tokens=int(state.metadata["budget"]))

    return solve


@scorer(metrics=[accuracy(), stderr()])
def witness_check(suite: str = "default", witness_version: str | None = None) -> Scorer:
    """Score the model's last answer by running the task's hidden check (never by similarity)."""
    checks = {t.id: t.check for t in suites.load_suite(suite)}
    ctx = ScoreContext(witness_version=witness_version)

    async def run(state: TaskState, target: Target) -> Score:
        task_id = str(state.metadata["task_id"])
        outcome = score_answer(checks[task_id], state.output.completion, ctx)
        meta: dict[str, Any] = {"outcome": outcome.outcome, "checks": [c.to_json() for c in outcome.checks]}
        return Score(
            value=CORRECT if outcome.passed else INCORRECT,
            answer=state.output.completion,
            explanation=f"{outcome.outcome}: {outcome.reason}",
            metadata=meta,
        )

    return run


@task
def witness_bench(
    suite: str = "default",
    tier: str = "bare",
    witness_version: str | None = None,
    limit: int | None = None,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    budget: str = BUDGETS[0],
) -> Task:
    """witness-bench: Witness tasks whose answers are checked by executing them."""
    if witness_version is not None:
        witness_version = versions.get(witness_version).name
    return Task(
        dataset=MemoryDataset(
            samples(suite, tier, limit, int(max_tokens), budget), name=f"witness-bench-{suite}-{tier}"
        ),
        solver=budgeted_generate(),
        scorer=witness_check(suite, witness_version),
        version=suites.SUITE_VERSION,
    )
