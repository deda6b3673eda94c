"""Rego answers: every module is compiled and evaluated in the sandbox on compliant and violating inputs.

check = {"pass_inputs": [...], "deny_inputs": [...], "policy_check": bool, "broken": "<module>"?}.
Modules run in `witness verify` mode (OPA v0 parser, go-witness's result contract: `deny` must be a
set/array of strings); with `policy_check` they must also parse as `witness policy check` parses
(OPA v1). An answer that only repeats the `broken` module of a fix-it task fails. Nothing is ever
evaluated outside the sandbox's killable worker processes.
"""

from __future__ import annotations

from typing import Any

from witness_evals.bench import answers
from witness_evals.bench.scorers.base import Check, Outcome, one_line
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.witness.rego import RegoJob
from witness_evals.witness.rego.syntax import tokenize

MAX_MODULES = 4
MODULE_NAME = "policy.rego"
MAX_DEPTH = 16
"""Deeper bracket nesting is refused before the sandbox: regorus parses nested arrays in exponential time."""


def _normalize(src: str) -> str:
    return "\n".join(line.strip() for line in src.strip().splitlines() if line.strip())


def other_artifacts(answer: str) -> dict[str, int]:
    """How many modules, policies and witness commands an answer holds (for the taxonomy)."""
    docs = [d for d in answers.json_documents(answer) if isinstance(d, dict)]
    return {
        "rego": len(answers.rego_modules(answer)),
        "policy": sum(1 for d in docs if "steps" in {str(k).lower() for k in d}),
        "command": len(answers.commands(answer)),
    }


def _missing(artifacts: dict[str, int], want: str, what: str) -> Outcome:
    if any(n for kind, n in artifacts.items() if kind != want):
        found = ", ".join(f"{n} {k}" for k, n in artifacts.items() if n)
        return Outcome("wrong_artifact", f"no {what} in the answer (found {found})", artifacts=artifacts)
    return Outcome("no_artifact", f"no {what} in the answer", artifacts=artifacts)


def score_rego(answer: str, check: dict[str, Any], ctx: ScoreContext) -> Outcome:
    """Compile every Rego module of `answer`, then evaluate it on the check's inputs."""
    pass_inputs = check.get("pass_inputs")
    deny_inputs = check.get("deny_inputs")
    if not isinstance(pass_inputs, list) or not isinstance(deny_inputs, list) or not deny_inputs:
        return Outcome("invalid", "malformed check")
    artifacts = other_artifacts(answer)
    modules = answers.rego_modules(answer)
    broken = check.get("broken")
    if isinstance(broken, str):
        original = _normalize(broken)
        modules = [m for m in modules if _normalize(m) != original]
        if not modules and artifacts["rego"]:
            return Outcome("invalid", "answer only repeats the broken module", artifacts=artifacts)
    modules = [m for m in modules if m.strip()][:MAX_MODULES]
    if not modules:
        return _missing(artifacts, "rego", "Rego module")
    modes = ["verify", "policy-check"] if check.get("policy_check") else ["verify"]
    checks: list[Check] = []
    for mi, module in enumerate(modules):
        label = f"module {mi + 1}" if len(modules) > 1 else "module"
        depth = max((t.depth for t in tokenize(module)), default=0)
        if depth > MAX_DEPTH:
            why = f"{label} nests brackets {depth} deep (limit {MAX_DEPTH})"
            return Outcome("invalid", why, (Check("compiles", False, why),), artifacts)
        for mode in modes:  # compile first: one sandbox job per module, stop at the first failure
            res = ctx.rego.check({MODULE_NAME: module}, mode)
            where = "witness verify" if mode == "verify" else "witness policy check"
            if not res.ok:
                reason = one_line(res.error or res.status)
                why = f"{label} is rejected by {where} ({res.kind or res.status}): {reason}"
                return Outcome("invalid", why, (*checks, Check(f"parses in {where}", False, why)), artifacts)
            checks.append(Check(f"{label} parses in {where}", True))
    inputs = [("pass", i) for i in pass_inputs] + [("deny", i) for i in deny_inputs]
    jobs = [RegoJob({MODULE_NAME: m}, inp, "verify") for m in modules for _, inp in inputs]
    outcomes = ctx.rego.evaluate_many(jobs)
    if len(outcomes) != len(jobs):
        return Outcome("invalid", "rego evaluation incomplete", tuple(checks), artifacts)
    n = len(inputs)
    first_failure = ""
    errors = 0
    for mi in range(len(modules)):
        label = f"module {mi + 1}" if len(modules) > 1 else "module"
        for j, (want, _inp) in enumerate(inputs):
            out = outcomes[mi * n + j]
            k = j + 1 if want == "pass" else j - len(pass_inputs) + 1
            name = f"{label} allows compliant input {k}" if want == "pass" else f"{label} denies input {k}"
            why = ""
            if out.status != "ok":
                errors += 1
                why = f"{label} fails in witness verify ({out.kind or out.status}): {one_line(out.error or out.status)}"
            elif want == "pass" and out.deny:
                why = f"{label} denies a compliant attestation: {out.deny[0][:120]}"
            elif want == "deny" and not out.deny:
                why = f"{label} does not deny a non-compliant attestation (deny input {k})"
            checks.append(Check(name, not why, why))
            first_failure = first_failure or why
    if not first_failure:
        return Outcome(
            "pass",
            f"{len(modules)} module(s) pass {len(pass_inputs)} and deny {len(deny_inputs)} inputs",
            tuple(checks),
            artifacts,
        )
    if errors == len(jobs):  # compiles but never evaluates (e.g. deny of the wrong type)
        return Outcome("invalid", first_failure, tuple(checks), artifacts)
    return Outcome("partial", first_failure, tuple(checks), artifacts)
