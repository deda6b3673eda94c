"""Prompts quote `witness verify` as witness prints it (the core's result through `witness_output`)."""

from __future__ import annotations

import functools
import json
import re
import shlex

import pytest

from witness_evals.bench.material import material_for
from witness_evals.bench.scorers.context import NOW
from witness_evals.bench.suites import load_suite
from witness_evals.bench.task import Task
from witness_evals.bench.worlds import world_for
from witness_evals.witness import simulate, versions
from witness_evals.witness import verify as wverify
from witness_evals.witness.verify_output import witness_output

FENCE = re.compile(r"```[a-z]*\n(.*?)```", re.S)
LOG_LINE = re.compile(r"^(ERROR   |INFO    |level=(error|info) msg=)")


@functools.cache
def _tasks() -> tuple[Task, ...]:
    return tuple(load_suite("default"))


def _prompt(task: Task) -> str:
    return "\n".join(m["content"] for m in task.messages if m["role"] == "user")


def _output_blocks(text: str) -> list[tuple[int, str]]:
    """(end offset, witness's lines) of each fenced block quoting what `witness verify` printed."""
    out = []
    for m in FENCE.finditer(text):
        lines = m.group(1).rstrip("\n").split("\n")
        k = next((i for i, line in enumerate(lines) if LOG_LINE.match(line)), None)
        if k is not None and any(
            "failed to verify policy" in line or "Verification" in line for line in lines
        ):
            out.append((m.end(), "\n".join(lines[k:])))
    return out


def test_no_prompt_quotes_the_projects_own_summary() -> None:
    quoted = 0
    for task in _tasks():
        text = _prompt(task)
        assert "caused by:" not in text, task.id
        for m in FENCE.finditer(text):
            block = m.group(1)
            if "Verification failed" in block:
                quoted += 1
                # a policy-level failure is only the error witness returns: no per-step results
                assert re.search(r"^(ERROR   |level=error msg=\")Step: ", block, re.M), task.id
                assert not re.search(r"^Verification failed$", block, re.M), task.id
    assert quoted >= 40  # hand tasks and the generated policy failures


def _verify_refs(text: str, before: int) -> list[str] | None:
    """The `-a` files of the last `witness verify` command written before offset `before`."""
    refs = None
    for m in re.finditer(r"^(?:\$ )?(witness verify .*)$", text[:before], re.M):
        argv = shlex.split(m.group(1))
        refs = [
            r
            for i, a in enumerate(argv[:-1])
            if a in ("-a", "--attestations")
            for r in argv[i + 1].split(",")
        ]
    return refs


def _reproducible() -> list[Task]:
    return [
        t
        for t in _tasks()
        if t.check.get("type") == "policy" and _output_blocks(_prompt(t)) and "steps" in _prompt(t)
    ]


@pytest.mark.parametrize("task", _reproducible(), ids=lambda t: t.id)
def test_quoted_output_is_what_witness_prints_for_the_tasks_world(task: Task) -> None:
    """Sign the prompt's broken policy, verify it on the task's pipeline: the quote is witness's output."""
    text, check = _prompt(task), task.check
    (at, quoted), *_ = _output_blocks(text)
    policies = [m for m in FENCE.finditer(text) if '"steps"' in m.group(1)]
    before = [m for m in policies if m.start() < at]
    policy = json.loads((before[-1] if before else policies[0]).group(1))  # the one shown nearest
    material = material_for(check["keys"], check["pki"])
    world = world_for(check["pipeline"], check["keys"], check["pki"], {})
    refs = _verify_refs(text, at) or []
    steps = [s["name"] for s in check["pipeline"]["steps"]]
    cols = [
        wverify.SourceCollection.load(
            world.runs[s].dumps().encode(), refs[i] if i < len(refs) else f"{s}.json"
        )
        for i, s in enumerate(steps)
    ]
    key = check.get("policy_key", "policy")
    res = wverify.verify(
        simulate.sign_policy(policy, material.signer(key)),
        cols,
        world.subjects,
        version=versions.get("0.12"),
        policy_verifiers=[material.signer(key).verifier()],
        rego=wverify.TRUSTED_REGO,
        now=world.at or NOW,
    )
    assert not res.passed
    printed = (witness_output(res, tty=True), witness_output(res, tty=False))
    if task.source == "generated":
        assert quoted in printed, task.id
    else:  # a person may leave out go-witness's INFO lines of the policyverify attestor run
        assert quoted in (*printed, *(_without_attestor_run(p) for p in printed)), task.id


def _without_attestor_run(printed: str) -> str:
    """`printed` from the line after `Completed verify attestors stage...` on."""
    return printed.split("Completed verify attestors stage...", 1)[1].split("\n", 1)[1]


def test_generated_failures_use_both_output_forms() -> None:
    forms = {
        "tty" if quoted.startswith(("ERROR", "INFO")) else "ci"
        for t in _tasks()
        if t.source == "generated" and "fix:policy" in t.tags
        for _, quoted in _output_blocks(_prompt(t))
    }
    assert forms == {"tty", "ci"}
