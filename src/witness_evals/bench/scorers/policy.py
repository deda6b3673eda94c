"""Policy answers: the policy is loaded and checked, signed, and run by the verifier on hidden pipelines.

check = {"pipeline": PIPELINE, "keys": {...}, "pki": {...}, "policy_key": NAME, "genuine": [VARIANT...],
"tampered": [{"label": ..., VARIANT...}], "expires_after": RFC3339?, "expires_before": RFC3339?,
"steps": [names]?, "require": {step: [attestation types]}?, "artifacts_from": {step: [steps]}?,
"files": {name: pasted text}?} (see `bench.worlds`).
The answer's last complete policy (JSON object with `steps` and `expires`) is checked like
`witness-evals check policy` (keyids recomputed, Rego compiled), signed with the task's policy key,
then verified against every genuine variant (must PASS) and every tampered one (must FAIL), with the
behaviour of the witness release being scored (`ScoreContext.version(check)`).

Some requirements a prompt states cannot be probed by a hidden run (`witness run` always records
material, command-run and product), so they are checked on the policy itself: `expires_after` <
`expires` <= `expires_before`; every type in `require[step]` is among that step's `attestations`
(go-witness `Step.validateAttestations` matches types as exact strings); every step in
`artifacts_from[step]` is in that step's `artifactsFrom`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from witness_evals.bench import answers
from witness_evals.bench.material import material_for
from witness_evals.bench.scorers.base import Check, Outcome, one_line
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.bench.scorers.rego import other_artifacts
from witness_evals.bench.worlds import world_for
from witness_evals.common.errors import WitnessError
from witness_evals.witness import simulate
from witness_evals.witness import verify as wverify
from witness_evals.witness.policy import Policy, Step, decode_policy, iter_rego, parse_rfc3339
from witness_evals.witness.policy_check import check_policy
from witness_evals.witness.rego.outcome import RegoEngineLimitError

MAX_POLICY_CHARS = 200_000


def _keys(doc: dict[Any, Any]) -> set[str]:
    return {k.lower() for k in doc if isinstance(k, str)}


def policy_documents(answer: str, files: Mapping[str, bytes] | None = None) -> list[dict[str, Any]]:
    """Every JSON object with `steps` in the answer; with `files` (name -> content the user pasted, e.g.
    public keys), also those a script in the answer writes from them (`answers.scripted_json`)."""
    found = answers.json_documents(answer)
    if files:
        found += answers.scripted_json(answer, files)
    return [d for d in found if isinstance(d, dict) and "steps" in _keys(d)]


def find_policy(answer: str, files: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """The answer's policy: the last complete one (`steps` and `expires`), so that an update answer
    that first quotes the current policy is graded on its result; else the first with `steps`.
    `files`: name -> text the user pasted (`policy_documents`)."""
    docs = policy_documents(answer, {n: t.encode("utf-8") for n, t in (files or {}).items()})
    complete = [d for d in docs if "expires" in _keys(d)]
    if complete:
        return complete[-1]
    return docs[0] if docs else None


def broken_policy_block(answer: str) -> str | None:
    """Why the answer's first JSON block that looks like a policy (mentions `"steps"`) does not parse,
    or None: an answer whose policy is there but malformed (or cut off) is invalid, not the wrong artifact."""
    return next((why for body, why in answers.json_errors(answer) if '"steps"' in body), None)


def has_rego(data: bytes) -> bool:
    """Does the policy embed any Rego module (then checks and verify need the sandbox)?"""
    try:
        return any(True for _ in iter_rego(decode_policy(data).policy))
    except WitnessError:
        return False


def _step(policy: Policy, name: str) -> Step | None:
    """The policy's step `name`: by map key, else the one whose `name` field is `name`."""
    if name in policy.steps:
        return policy.steps[name]
    return next((st for st in policy.steps.values() if st.name == name), None)


def structure_checks(policy: Policy, check: Mapping[str, Any]) -> list[Check]:
    """Failed checks of what the policy must contain: `require` (attestation types each step must
    require) and `artifacts_from` (steps each step must take its artifacts from). A step the policy
    lacks is left to the `steps` check and to verification."""
    out: list[Check] = []
    require = check.get("require")
    for name, types in (require if isinstance(require, dict) else {}).items():
        st = _step(policy, name)
        if st is None:
            continue
        have = set(st.attestation_types)
        missing = [t for t in types if t not in have]
        if missing:
            out.append(
                Check(
                    f"{name} requires every attestation asked",
                    False,
                    f"step {name} does not require {', '.join(missing)}",
                )
            )
    froms = check.get("artifacts_from")
    for name, wanted in (froms if isinstance(froms, dict) else {}).items():
        st = _step(policy, name)
        if st is None:
            continue
        missing = [f for f in wanted if f not in st.artifacts_from]
        if missing:
            out.append(
                Check(
                    f"{name} takes artifactsFrom {', '.join(wanted)}",
                    False,
                    f"step {name} has no artifactsFrom {', '.join(missing)}",
                )
            )
    return out


def score_policy(answer: str, check: dict[str, Any], ctx: ScoreContext) -> Outcome:
    """Check, sign and verify the answer's policy against the task's hidden pipelines."""
    artifacts = other_artifacts(answer)
    doc = find_policy(answer, check.get("files"))
    if doc is None:
        broken = broken_policy_block(answer)
        if broken is not None:
            return Outcome("invalid", f"the policy is not valid JSON: {broken}", artifacts=artifacts)
        if any(artifacts.values()):
            found = ", ".join(f"{n} {k}" for k, n in artifacts.items() if n)
            return Outcome(
                "wrong_artifact", f"no JSON policy in the answer (found {found})", artifacts=artifacts
            )
        return Outcome(
            "no_artifact", "no JSON policy (object with `steps`) in the answer", artifacts=artifacts
        )
    data = (json.dumps(doc, indent=2) + "\n").encode("utf-8")
    if len(data) > MAX_POLICY_CHARS:
        return Outcome("invalid", "policy too large", artifacts=artifacts)
    rego = has_rego(data)
    report = check_policy(data, now=ctx.now, rego=ctx.rego if rego else None)
    checks = [
        Check(
            "loads, keyids and Rego check",
            not report.errors,
            report.errors[0].line("error") if report.errors else "",
        )
    ]
    if report.errors or report.policy is None:
        return Outcome("invalid", "policy check: " + checks[0].reason, tuple(checks), artifacts)
    policy = report.policy
    after = check.get("expires_after")
    if after and (policy.expires is None or policy.expires <= parse_rfc3339(after)):
        why = f"expires must be after {after}"
        checks.append(Check("expiry as asked", False, why))
    before = check.get("expires_before")
    if before and policy.expires is not None and policy.expires > parse_rfc3339(before):
        checks.append(Check("expiry as asked", False, f"expires must not be after {before}"))
    checks += structure_checks(policy, check)
    want_steps = check.get("steps")
    if want_steps and sorted(policy.steps) != sorted(want_steps):
        checks.append(
            Check("steps as asked", False, f"policy steps {sorted(policy.steps)} != {sorted(want_steps)}")
        )
    material = material_for(check.get("keys"), check.get("pki"))
    signer = material.signer(check.get("policy_key", "policy"))
    env = simulate.sign_policy(data, signer)
    key = signer.verifier()
    runs = [("genuine", v, True) for v in check.get("genuine") or [{}]]
    runs += [("tampered", v, False) for v in check.get("tampered") or []]
    for kind, variant, must_pass in runs:
        label = variant.get("label") or ("genuine pipeline" if must_pass else "tampered pipeline")
        world = world_for(check["pipeline"], check.get("keys") or {}, check.get("pki"), variant)
        try:
            res = wverify.verify(
                env,
                world.collections,
                world.subjects,
                wverify.VerifyOptions(
                    version=ctx.version(check),
                    policy_verifiers=[key],
                    rego=ctx.rego if rego else None,
                    now=world.at or ctx.now,
                ),
            )
        except RegoEngineLimitError as exc:  # cannot be judged: the module is beyond the engine
            return Outcome("invalid", f"Rego module refused: {one_line(exc)}", tuple(checks), artifacts)
        if res.passed == must_pass:
            checks.append(Check(f"{'PASS' if must_pass else 'FAIL'}: {label}", True))
            continue
        if must_pass:
            why = one_line((res.reasons or [res.error or "?"])[0].splitlines()[0])
            checks.append(
                Check(f"PASS: {label}", False, f"verify FAILS the {kind} pipeline ({label}): {why}")
            )
        else:
            checks.append(Check(f"FAIL: {label}", False, f"verify PASSES a bad pipeline: {label}"))
    failed = [c for c in checks if not c.ok]
    if not failed:
        return Outcome("pass", f"passes {len(runs)} verifications", tuple(checks), artifacts)
    return Outcome("partial", failed[0].reason, tuple(checks), artifacts)
