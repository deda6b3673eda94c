"""Second audit of the hand-written policy/review tasks (tag: policy): one regression test per fix.

Each test scores an answer that the old task scored wrongly: a wrong answer that used to pass, or a
right one that used to fail (see docs/bench.md, suite versions).
"""

from __future__ import annotations

import base64
import re
from functools import cache

import pytest

from witness_evals.bench.scorers import ScoreContext, score
from witness_evals.bench.suites import load_suite
from witness_evals.bench.task import Task


@cache
def _tasks() -> dict[str, Task]:
    return {t.id: t for t in load_suite("hand")}


def _outcome(task_id: str, answer: str) -> str:
    with ScoreContext() as ctx:
        return score(_tasks()[task_id].check, answer, ctx).outcome


def _edit(task_id: str, old: str, new: str) -> str:
    ref = _tasks()[task_id].reference
    assert old in ref
    return ref.replace(old, new)


@pytest.mark.parametrize(
    ("task_id", "old", "new"),
    [
        # "must be dead from 1 October 2026 00:00 UTC": the tampered run at 00:00:30 let 29 s through
        ("hand/policy/expiry-end-of-q3", "2026-09-30T23:59:59Z", "2026-10-01T00:00:29Z"),
        # "it has to stop verifying after that day" (2026-11-30)
        ("hand/review/expiry-2099-review-cycle", "2026-11-30T23:59:59Z", "2026-12-01T00:00:29Z"),
        # "expire at the start of 2028 (UTC)": nothing bounded the expiry from above
        ("hand/policy/one-step-ed25519", "2028-01-01T00:00:00Z", "2029-01-01T00:00:00Z"),
        ("hand/policy/one-step-ed25519", "2028-01-01T00:00:00Z", "2027-12-31T12:00:00Z"),
    ],
)
def test_expiry_asked_is_enforced(task_id: str, old: str, new: str) -> None:
    assert _outcome(task_id, _edit(task_id, old, new)) != "pass"


def test_exported_slsa_requires_every_attestation_in_the_collection() -> None:
    """The prompt asks for every attestation build.att.json holds; material and command-run are in
    every collection, so no hidden run can tell their absence: the check requires them."""
    tid = "hand/policy/exported-slsa-not-in-collection"
    answer = re.sub(
        r'\s*\{"type": "https://witness\.dev/attestations/(material|command-run)/v0\.1", "regopolicies": \[\]\},',
        "",
        _tasks()[tid].reference,
    )
    assert "material/v0.1" not in answer
    assert _outcome(tid, answer) != "pass"


_ENV_RUNNER_REGO = """package witness.environment.runner

import rego.v1

deny contains msg if {
\tobject.get(input.variables, "RUNNER_OS", "") != "Linux"
\tmsg := "not a Linux runner"
}

deny contains msg if {
\tobject.get(input.variables, "USER", "") != "runner"
\tmsg := "job not run as the runner user"
}

deny contains msg if {
\tobject.get(input.variables, "RUNNER_ENVIRONMENT", "") != "github-hosted"
\tmsg := "not a GitHub-hosted runner"
}
"""


def test_hosted_runner_check_on_runner_variables_passes() -> None:
    """A Rego check on the variables the runner exports (RUNNER_OS, USER, RUNNER_ENVIRONMENT) rejects
    a self-hosted Mac or a root job just as a check on `os`/`username` does: the tampered runs used to
    keep the hosted Linux runner's variables (RUNNER_OS=Linux, USER=runner) next to os=darwin/root."""
    tid = "hand/policy/rego-environment-hosted-linux-runner"
    ref = _tasks()[tid].reference
    module = re.search(r'"module": "([A-Za-z0-9+/=]+)"', ref)
    assert module is not None
    b64 = base64.b64encode(_ENV_RUNNER_REGO.encode()).decode()
    answer = f"```rego\n{_ENV_RUNNER_REGO}```\n\n" + ref[ref.index("```json") :].replace(module.group(1), b64)
    assert _outcome(tid, answer) == "pass"
