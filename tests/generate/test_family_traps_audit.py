"""Family `traps`, audit fixes: user text without generator labels, runnable `witness run` lines, CI-specific
detached-HEAD advice, verifier errors quoted as witness prints them."""

from __future__ import annotations

import functools
import random

from witness_evals.generate import traps_requests as R
from witness_evals.generate.example import Example
from witness_evals.generate.families import traps as T
from witness_evals.generate.rego_reqs_source import DETACHED_NOTE, detached_note
from witness_evals.generate.traps_broken import snake_case_tag
from witness_evals.generate.worlds import K8S_NO_CLUSTER
from witness_evals.generate.worlds import policy as W
from witness_evals.witness import versions
from witness_evals.witness.cli import parse_command

RELEASE = versions.get(versions.DEFAULT)


@functools.cache
def example(seed: int) -> Example:
    return T.make(random.Random(seed), RELEASE)


def test_snake_case_cert_constraint_is_what_a_user_would_write() -> None:
    """REFERENCE §8 trap 11: a user writes `cert_constraint`; the key is dropped, so Roots is empty,
    go-witness policy/step.go rejects the signer (`no trusted roots provided in functionary`) and the step
    has no verifier that matches a functionary."""
    w = W.policy_world(W.draw_policy_spec(random.Random(3), signing="x509"))
    seen = 0
    for seed in range(40):
        case = snake_case_tag(random.Random(seed), w, RELEASE)
        if case.trap != "snake-case-tag/cert_constraint":
            assert "cert_constraint_trap" not in case.trap
            continue
        seen += 1
        fns = [f for st in case.shown["steps"].values() for f in st["functionaries"]]
        assert any("cert_constraint" in f for f in fns) and not any("cert_constraint_trap" in f for f in fns)
        assert case.forbid == ['"cert_constraint"']
        res = W.verify_policy(case.shown, W.genuine(w), RELEASE)
        assert not res.passed
        assert "no verifiers matched with allowed functionaries" in "\n".join(res.reasons)
        assert any('unknown key "cert_constraint"' in x and "certConstraint" in x for x in res.warnings)
    assert seen


def test_k8smanifest_runs_on_a_step_that_renders_manifests_without_a_cluster() -> None:
    """go-witness k8smanifest/k8s.go: record-cluster-information defaults to true and loads a kubeconfig
    (failing the run without one), and a `go build` writes no manifests to read."""
    for seed in range(6):
        w = W.policy_world(W.draw_policy_spec(random.Random(seed), extra="k8smanifest"))
        files = R.draw_files(random.Random(seed), w)
        steps = [s for s in w.steps if "k8smanifest" in w.attestors[s]]
        assert len(steps) == 1
        sc = w.scenarios[steps[0]]
        assert any(p.endswith((".yaml", ".yml")) for p in sc.product_paths()), sc.command
        assert W.TYPE_OF["k8smanifest"] in w.step_types(steps[0])
        for style in (0, 1):
            line = R.run_line(random.Random(0), w, files, steps[0], style)
            assert K8S_NO_CLUSTER in line.split(" -- ")[0], line
            a = parse_command(line)
            assert a.valid and not [i for i in a.issues if "k8smanifest" in i.message], a.issues
        assert W.verify_policy(w.policy, W.genuine(w), RELEASE).passed


def test_detached_note_fits_the_ci() -> None:
    github, jenkins, gitlab = detached_note("github"), detached_note("jenkins"), detached_note("gitlab")
    assert "actions/checkout" in github and "LocalBranch" not in github and "CI_COMMIT" not in github
    assert "LocalBranch" in jenkins and "CI_COMMIT" not in jenkins and "GitHub" not in jenkins
    assert "CI_COMMIT_REF_NAME" in gitlab and "LocalBranch" not in gitlab and "GitHub" not in gitlab
    assert detached_note("none") == detached_note() == DETACHED_NOTE


def test_traps_detached_advice_follows_the_ci_the_question_shows() -> None:
    seen: set[str] = set()
    for seed in range(160):
        ex = example(seed)
        if "The git attestor records `branch`" not in ex.answer:
            continue
        if "    steps:\n      - name:" in ex.question:  # a GitHub Actions workflow
            seen.add("github")
            assert "actions/checkout" in ex.answer
            assert "LocalBranch" not in ex.answer and "CI_COMMIT_REF_NAME" not in ex.answer
        elif "pipeline {" in ex.question:  # a Jenkinsfile
            seen.add("jenkins")
            assert "LocalBranch" in ex.answer and "CI_COMMIT_REF_NAME" not in ex.answer
        elif "  stage: " in ex.question:  # .gitlab-ci.yml
            seen.add("gitlab")
            assert "CI_COMMIT_REF_NAME" in ex.answer and "LocalBranch" not in ex.answer
    assert "github" in seen


def test_expired_policy_error_is_quoted_as_witness_prints_it() -> None:
    """witness prints `attestor policyverify failed: failed to verify policy: policy expired on ...`
    (verify.py `_fail`); the answer quotes that line, not the inner fragment as the whole error."""
    seen = 0
    for seed in range(120):
        ex = example(seed)
        if ex.check["trap"] != "weak/far-expiry":
            continue
        seen += 1
        assert "`attestor policyverify failed: failed to verify policy: policy expired on " in ex.answer
        assert "(`failed to verify policy: policy expired" not in ex.answer
    assert seen
