"""Generated examples agree with what git records on a GitLab or Jenkins checkout.

go-witness v0.12.0 attestation/git/git.go:134, 202 records `branch` as `head.Name().Short()`: `HEAD` on the
detached checkout GitLab CI and Jenkins start from. A world whose policy pins the branch has its job check
the branch out (`worlds.BRANCH_CHECKOUT`), and the job the question shows says so; a diagnosis that says
"the git attestation recorded branch `X`" is never told for a detached run.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from witness_evals.bench import answers
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate import worlds as W
from witness_evals.generate.families import diagnose as D
from witness_evals.generate.families import policies as P
from witness_evals.generate.traps_requests import _block
from witness_evals.generate.worlds.policy import draw_policy_spec, policy_world
from witness_evals.witness import attestors as A
from witness_evals.witness import versions

V12 = versions.get("0.12")
GIT = A.get("git").type


def _recorded_branch(world: W.World, step: str) -> str:
    git = next(a for a in world.results[step].collection.attestations if a.type == GIT)
    branch: str = git.attestation["branch"]
    return branch


def test_policies_branch_rules_on_gitlab_and_jenkins_check_the_branch_out(ctx: ScoreContext) -> None:
    shown: set[str] = set()
    for seed in range(250):
        ex = P.make(random.Random(seed), V12)
        r: dict[str, Any] = ex.check.get("rego") or {}
        ci = ex.check["pipe"]["ci"]
        if r.get("kind") != "branch" or ci not in ("gitlab", "jenkins"):
            continue
        pipe = W.Pipeline.from_json(ex.check["pipe"])
        world = W.run(pipe, P._first(P._funcs(ex.check)))
        branch = world.scenarios[r["step"]].branch
        assert _recorded_branch(world, r["step"]) == branch != "HEAD"
        assert P.score(ex.answer, ex.check, ctx).ok
        for lang, body in answers.code_blocks(ex.question):
            if (lang, ci) in (("yaml", "gitlab"), ("groovy", "jenkins")) and "witness run" in body:
                assert W.BRANCH_CHECKOUT[ci] in body, body
                shown.add(ci)
    assert "gitlab" in shown
    _, jenkinsfile = W.ci_config("jenkins", "api", [("build", "witness run -s build -- make")],
                                 checkout=W.BRANCH_CHECKOUT["jenkins"])  # fmt: skip
    assert jenkinsfile.index("LocalBranch") < jenkinsfile.index("witness run")


def test_traps_jobs_that_meet_a_branch_rule_check_the_branch_out() -> None:
    spec = draw_policy_spec(random.Random(4), rego="branch", steps=2)
    for ci in ("gitlab", "jenkins"):
        w = policy_world(replace(spec, ci=ci))
        assert w.rego is not None and f'"{w.scenarios[w.steps[0]].branch}"' in w.rego.conditions[0]
        assert _recorded_branch(w.runs, w.steps[0]) == w.scenarios[w.steps[0]].branch
        block = _block(ci, w, [f"witness run -s {s} -k k.pem -o {s}.json -- make" for s in w.steps])
        assert block is not None and W.BRANCH_CHECKOUT[ci] in block
        plain = policy_world(replace(spec, ci=ci, rego=""))
        assert _recorded_branch(plain.runs, plain.steps[0]) == "HEAD"
        block = _block(ci, plain, [f"witness run -s {s} -k k.pem -o {s}.json -- make" for s in plain.steps])
        assert block is not None and "checkout" not in block


def test_diagnose_branch_mismatches_are_not_told_for_detached_runs() -> None:
    detached = 0
    for seed in range(150):
        w = D._world(random.Random(seed), version=versions.LATEST)
        fault = D._f_rego_deny(random.Random(seed))
        if w.scenario(0).ci in ("gitlab", "jenkins"):
            detached += 1
            assert fault.variant != "branch", seed
    assert detached >= 20
