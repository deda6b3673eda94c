"""Family `rego`: what a review of generated examples found stays fixed.

- a pasted module's code fence opens on a line of its own, even behind a polite lead
  ("Could you help with this? ```rego" was generated);
- no requirement pins the github predicate's `ciconfigpath` (GITHUB_ACTION_PATH in go-witness, empty in
  a plain `run:` step): the workflow is in the OIDC token's claims.
"""

from __future__ import annotations

import random
import re
from typing import Any

from witness_evals.generate import phrasing
from witness_evals.generate.families import rego

INLINE_FENCE = re.compile(r"[^\n]```")


def test_questions_open_fences_on_their_own_line() -> None:
    glued = 0
    for seed in range(3000):
        if seed >= 600 and glued:
            break
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


# --------------------------------------------------------------------------- review D


def test_gcp_iit_inputs_have_the_one_shape_v012_writes() -> None:
    """go-witness v0.12 gcp-iit panics when the token has a `google` claim (it reads `google.zone` one level
    too high), so a written attestation has no `jwt.claims.google`, a metadata-path `zone` and empty
    confidentiality/creation/licence fields; `project_id`/`project_number` come from the token's email."""
    from witness_evals.generate.rego_inputs import bases
    from witness_evals.witness.attestors.gcp_iit import project_fields as gcp_project_fields

    for seed in range(40):
        for p in bases(random.Random(seed), "gcp-iit"):
            assert "google" not in p["jwt"]["claims"]
            assert re.fullmatch(r"projects/\d+/zones/[a-z]+-[a-z]+\d-[a-z]", p["zone"])
            assert p["instance_confidentiality"] == "" and p["licence_id"] is None
            assert (p["project_id"], p["project_number"]) == gcp_project_fields(p["jwt"]["claims"]["email"])
    assert gcp_project_fields("b@acme-build-123.iam.gserviceaccount.com") == ("123", "acme-build")


def test_gcp_iit_rules_read_only_fields_v012_fills_and_fail_closed() -> None:
    from witness_evals.generate.rego_model import render
    from witness_evals.generate.rego_reqs_platform import MAKERS

    unset = ("jwt.claims.google", "instance_confidentiality", "instance_creation_timestamp", "licence_id")
    unset += ("input.project_id", "input.project_number")  # parsed from the email domain in v0.12
    for mk in MAKERS["gcp-iit"]:
        for seed in range(6):
            req = mk(random.Random(seed))
            module = render(req, "v1")
            assert not any(u in module for u in unset), (req.rid, module)
            assert rego._outcomes(req, module) == ([], [], ""), req.rid
            assert rego._outcomes(req, render(req, "v0")) == ([], [], ""), req.rid
    # the zone rules also deny an attestation whose zone lookup failed (no fail-open on a missing value)
    for rid in ("region", "project"):
        req = next(mk(random.Random(1)) for mk in MAKERS["gcp-iit"] if mk(random.Random(1)).rid == rid)
        assert any(inp["zone"] == "" for inp in req.deny_inputs())


def test_branch_rules_deny_detached_head_and_say_how_ci_gets_a_branch() -> None:
    """go-witness v0.12 git.go records `branch` = `head.Name().Short()`: `HEAD` on a detached checkout
    (Jenkins' and GitLab's default), not an absent field."""
    from witness_evals.generate.rego_reqs_source import git_branch, git_branch_glob

    for mk in (git_branch, git_branch_glob):
        req = mk(random.Random(3))
        assert any(inp.get("branch") == "HEAD" for inp in req.deny_inputs())
        assert all("branch" in inp for inp in req.deny_inputs())
        assert "omitted" not in req.fields
        assert "LocalBranch" in req.note and "git checkout -B" in req.note
    from witness_evals.witness import versions

    # every answer whose module pins the branch says how a detached CI checkout gets onto one
    for seed in range(60):
        rng = random.Random(seed)
        req = (git_branch, git_branch_glob)[seed % 2](rng)
        intent = ("write", "portable", "v0", "translate")[seed % 4]
        built = rego._write(rng, req, intent, versions.LATEST)
        assert "LocalBranch" in built.answer, built.template
        other = rego._partner(rng, req)
        if other is not None:
            assert "LocalBranch" in rego._combo(rng, req, other, versions.LATEST).answer


def _turns(ex: Any) -> list[str]:
    return [ex.answer] + [m["content"] for m in ex.history if m["role"] == "assistant"]


def test_answers_give_the_base64_instruction_once() -> None:
    for seed in range(500):
        ex = rego.make(random.Random(seed))
        for text in _turns(ex):
            assert text.count("base64 -w0") <= 1, (ex.template, text)
            sentences = [s.strip() for s in re.split(r"(?<=[.:])\s+", text) if len(s.strip()) > 40]
            dup = [s for s in set(sentences) if sentences.count(s) > 1 and "```" not in s]
            assert not dup, (ex.template, dup)


def test_follow_up_turns_do_not_repeat_the_parser_warning() -> None:
    checked = 0
    for seed in range(1500):
        ex = rego.make(random.Random(seed))
        if not ex.template.startswith("rego/extend/"):
            continue
        first = ex.history[-1]["content"]
        for note in (*rego._V0_NOTE, *(p for p in rego._PLACE)):
            if "{" not in note and note in first:
                checked += 1
                assert note not in ex.answer, ex.template
    assert checked


# --------------------------------------------------------------------------- review F


def _deny(req: Any, inp: Any) -> set[str]:
    from witness_evals.generate.rego_model import render
    from witness_evals.witness.rego import evaluate_deny

    out = set()
    for style, mode in (("v1", "verify"), ("v1", "policy-check"), ("v0", "verify")):
        res = evaluate_deny({"p.rego": render(req, style)}, inp, mode)
        assert res.status == "ok", res.error
        out |= {f"{style}/{mode}:{m}" for m in res.deny}
    return out


def test_secretscan_location_rules_use_the_product_prefix() -> None:
    """go-witness secretscan writes `location` as `product:<path>` (findings.go setProductLocation) or
    `attestation:<name>`: a fixtures rule must test `product:<dir>`, or it denies the tolerated findings too."""
    import copy

    from witness_evals.generate.rego_reqs_artifacts import ss_clean, ss_entropy, ss_testdata

    for seed in range(12):
        for maker in (ss_clean, ss_entropy, ss_testdata):
            req = maker(random.Random(seed))
            for inp in req.pass_inputs() + req.deny_inputs():
                for f in inp["findings"]:
                    assert f["location"].startswith(("product:", "attestation:")), f
        req = ss_testdata(random.Random(seed))
        assert "product:" in req.fields
        inp = copy.deepcopy(req.pass_inputs()[0])
        inp["findings"] = [
            {**f, "location": f"product:{req.param}creds.env"} for f in req.deny_inputs()[0]["findings"]
        ]
        assert not _deny(req, inp), "a finding under the tolerated directory is denied"
        inp["findings"][0]["location"] = "attestation:environment"
        assert _deny(req, inp)


def test_replica_rule_denies_a_deployment_without_replicas() -> None:
    """Kubernetes runs 1 replica when `spec.replicas` is omitted; `undefined < 2` must not let it through."""
    from witness_evals.generate.rego_reqs_artifacts import k8s_replicas

    for seed in range(6):
        req = k8s_replicas(random.Random(seed))
        inp = req.pass_inputs()[0]
        deps = [d for d in inp["recordeddocs"] if d["kind"] == "Deployment"]
        assert deps
        for d in deps:
            d["data"]["spec"].pop("replicas")
        assert _deny(req, inp)
        assert any(
            all("replicas" not in d["data"]["spec"] for d in i["recordeddocs"] if d["kind"] == "Deployment")
            for i in req.deny_inputs()
        )


def test_cyclonedx_version_rule_fails_closed_and_questions_name_cyclonedx() -> None:
    from witness_evals.generate.rego_reqs_artifacts import cdx_banned_purl, cdx_version

    for seed in range(6):
        req = cdx_version(random.Random(seed))
        inp = req.pass_inputs()[0]
        del inp["metadata"]["component"]
        assert _deny(req, inp), "a BOM without metadata.component passes"
        for maker in (cdx_version, cdx_banned_purl):
            assert "CycloneDX" in maker(random.Random(seed)).ask


def test_ci_snippet_writes_the_stated_attestation_file() -> None:
    from witness_evals.generate.rego_reqs_artifacts import ss_clean

    req = ss_clean(random.Random(1))
    for seed in range(40):
        names = rego.Names("test", "attestations/test.json", "policy.json", "", frozenset({"att_file"}))
        ci = rego._ci(random.Random(seed), req, names)
        assert "-o attestations/test.json" in ci or "--outfile attestations/test.json" in ci, ci
        assert "-o test.json" not in ci
