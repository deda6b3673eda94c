"""Regressions from an audit of generated examples (rego and commands families): each test fails on the
generator before its fix."""

from __future__ import annotations

import json
import random
import re

import pytest

from witness_evals.generate import teach
from witness_evals.generate.families import cli_usage as fam
from witness_evals.generate.families import rego
from witness_evals.generate.families.cli_usage import edit, fix, run_plan, workloads
from witness_evals.generate.rego_model import apply_bug, render
from witness_evals.generate.rego_reqs_artifacts import link_material, link_name, prod_checksums
from witness_evals.generate.rego_reqs_platform import gcp_service_account
from witness_evals.generate.rego_reqs_source import env_hostname, maven_min_version
from witness_evals.witness import versions
from witness_evals.witness.rego import evaluate_deny

_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


@pytest.mark.parametrize("seed", range(6))
def test_rego_maven_min_version_denies_versions_semver_compare_cannot_read(seed: int) -> None:
    """OPA's semver.compare errors on a non-semver string and go-witness (no StrictBuiltinErrors) turns that into
    an undefined expression: the floor rule alone lets `${prop}` and BOM-managed (empty) versions pass."""
    req = maven_min_version(random.Random(seed))
    deny = req.deny_inputs()
    versions_ = [
        d["version"]
        for inp in deny
        for d in inp["dependencies"]
        if d["artifactid"] in req.param.split(">=")[0]
    ]
    assert any(v.startswith("${") for v in versions_), versions_
    assert "" in versions_
    assert any(not _SEMVER.match(v) for v in versions_)
    for style, mode in (("v1", "verify"), ("v1", "policy-check"), ("v0", "verify")):
        src = render(req, style)
        assert "not semver.is_valid(dep.version)" in src
        for inp in deny:
            out = evaluate_deny({"p.rego": src}, inp, mode)
            assert out.status == "ok" and out.deny, (style, mode, out)
        for inp in req.pass_inputs():
            out = evaluate_deny({"p.rego": src}, inp, mode)
            assert out.status == "ok" and not out.deny, (style, mode, out)
    assert "strict builtin errors" in req.note and "semver.is_valid" in req.note


def test_rego_regorus_errors_where_opa_is_undefined_on_invalid_semver() -> None:
    """Documents the known divergence: regorus raises on `semver.compare("${x}", ...)` where OPA (non-strict,
    as go-witness runs it) is undefined; the generated module guards the call so both agree."""
    mod = 'package t\n\ndeny[msg] {\n\tsemver.compare(input.v, "1.0.0") < 0\n\tmsg := "old"\n}\n'
    out = evaluate_deny({"p.rego": mod}, {"v": "${x}"})
    assert out.status == "error" and "invalid semver" in out.error


def _unasked_export_answers(kind: str, n: int) -> list[tuple[str, str, str]]:
    v = versions.get("0.12")
    out = []
    for s in range(n):
        ex = fam.make_kind(random.Random(f"{kind}:{s}"), kind, v)
        asked_text = " ".join([ex.question, *(m["content"] for m in ex.history)])
        for x in run_plan.ALWAYS_EXPORTED:
            flag = f"--attestor-{x}-export"
            asked = any(
                w in asked_text.lower()
                for w in ("export", "separate", "own file", "on its own", "standalone")
            )
            if flag in ex.answer and not asked and flag not in asked_text:
                out.append((x, ex.question, ex.answer))
    return out


@pytest.mark.parametrize("kind", ["run", "ci", "ci-line", "followup"])
def test_command_unasked_export_always_says_why(kind: str) -> None:
    """An export flag the user did not ask for moves the predicate out of the collection into
    `<outfile>-<name>.json` (go-witness run.go): the answer must always say so and why."""
    found = _unasked_export_answers(kind, 160)
    assert found, kind
    for x, _, answer in found:
        assert "didn't ask" in answer and f"-{x}.json" in answer and "witness verify" in answer, answer


def test_command_export_reason_is_a_must_keep_note() -> None:
    pr = workloads.draw(random.Random(3))
    for s in range(200):
        p = run_plan.plan(random.Random(s), pr, out="build.json")
        exported = [x for x in run_plan.ALWAYS_EXPORTED if (f"attestor-{x}-export", True) in p.flags]
        unasked = [x for x in exported if not any(f"{x} " in a or f" {x}" in a for a in p.asks)]
        if unasked:
            assert any("didn't ask" in m for m in p.must), (s, p.must)


def test_command_step_named_inside_the_command_is_still_told() -> None:
    """`sbom` inside `spdx-json=sbom.spdx.json` is not the question naming the step `sbom`."""
    v = versions.get("0.12")
    seen = 0
    for s in range(400):
        rng = random.Random(f"turn:{s}")
        pr, old, signer, plan = edit._base(rng, v)
        cmd = " ".join(pr.work.command)
        if not re.search(rf"(?<![\w`]){re.escape(pr.step)}(?![\w`])", cmd) and pr.step not in cmd:
            continue
        question, _ = edit._first_turn(rng, v, pr, old, signer, plan)
        seen += 1
        assert f"`{pr.step}`" in question or f" {pr.step}" in question.replace(cmd, ""), (pr.step, question)
    assert seen


def test_command_sign_no_outfile_names_the_output_after_the_input() -> None:
    v = versions.get("0.12")
    for s in range(40):
        m = fix._sign_no_outfile(random.Random(s), v)
        infile, outfile = m.fixed.get("infile"), m.fixed.get("outfile")
        stem = infile.rsplit(".", 1)[0]
        assert outfile.startswith(stem), (infile, outfile)
        assert outfile == fix.signed_name(infile)
    assert fix.signed_name("policies/release.json") == "policies/release.signed.json"
    assert fix.signed_name("policy") == "policy.signed"


def test_command_powershell_completion_is_fenced_as_powershell() -> None:
    v = versions.get("0.12")
    hits = 0
    for s in range(300):
        ex = fam.make_kind(random.Random(f"other:{s}"), "other", v)
        if "completion powershell" not in ex.answer:
            continue
        hits += 1
        assert "```bash" not in ex.answer, ex.answer
        assert "```powershell\nwitness completion powershell" in ex.answer, ex.answer
    assert hits
    lesson = teach.Lesson(
        why=["x"], artifact="```powershell\nwitness completion powershell\n```", check=["a"]
    )
    assert "```bash" in teach.render(random.Random(0), lesson)


def _records(x: object) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    if isinstance(x, dict):
        if "mime_type" in x or "digest" in x:
            out.append(x)
        for v in x.values():
            out += _records(v)
    elif isinstance(x, list):
        for v in x:
            out += _records(v)
    return out


def test_rego_excerpt_keeps_product_and_material_records_whole() -> None:
    """go-witness writes `digest` for every product/material (attestation/context.go, no omitempty)."""
    shown = 0
    for _, makers in rego.MAKERS.items():
        for maker in makers:
            for seed in range(4):
                req = maker(random.Random(seed))
                for i in range(4):
                    _which, text = rego.excerpt(req, random.Random(i))
                    if not text:
                        continue
                    for rec in _records(json.loads(text)):
                        shown += 1
                        if "mime_type" in rec:
                            assert "digest" in rec, (req.key, text)
    assert shown


def test_rego_checksum_rule_covers_every_archive_kind_its_control_names() -> None:
    for seed in range(5):
        req = prod_checksums(random.Random(seed))
        src = render(req, "v1")
        for suffix in (".tar.gz", ".tgz", ".zip", ".tar.xz"):
            assert suffix in req.control and suffix in src
            bad = {f"dist/app{suffix}": {"mime_type": "application/octet-stream", "digest": {"sha256": "00"}}}
            assert evaluate_deny({"p.rego": src}, bad).deny, suffix
        assert len(req.deny_inputs()) == 2
        for inp in req.deny_inputs():
            assert evaluate_deny({"p.rego": src}, inp).deny
        for inp in req.pass_inputs():
            assert not evaluate_deny({"p.rego": src}, inp).deny
        (bug,) = req.bugs
        broken = apply_bug(req, bug)
        assert any(not evaluate_deny({"p.rego": broken}, inp).deny for inp in req.deny_inputs())


def test_rego_hostname_prefix_accepts_fully_qualified_runner_names() -> None:
    """`glob.match(p, [], h)`: an empty delimiter list means OPA's default `["."]`, so `*` stops at a dot and
    `ci-runner-7.build.internal` was denied although its name starts with the prefix."""
    for seed in range(6):
        req = env_hostname(random.Random(seed))
        prefix = req.param.rstrip("*")
        src = render(req, "v1")
        assert "glob.match" not in src
        base = req.pass_inputs()[0]
        fqdn = {**base, "hostname": f"{prefix}7.build.internal"}
        assert not evaluate_deny({"p.rego": src}, fqdn).deny
        assert evaluate_deny({"p.rego": src}, {**base, "hostname": f"old-{prefix}7.build.internal"}).deny


def test_rego_gcp_service_account_carries_the_token_shape_caveat() -> None:
    """go-witness v0.12 gcp-iit panics on a plain GCE VM's token (a `google` claim): the requirement must not
    promise VMs and must say when an attestation exists at all."""
    req = gcp_service_account(random.Random(0))
    assert "VM" not in req.ask
    assert "`google` claim" in req.fields


def test_rego_link_questions_show_links_witness_verify_can_load() -> None:
    """A non-exported link that carries environment variables (a protobuf Struct) cannot be read back by
    go-witness (link.go MarshalJSON/UnmarshalJSON over plain encoding/json): the sample links have none and
    the note says when the rule runs at all."""
    for maker in (link_name, link_material):
        for seed in range(4):
            req = maker(random.Random(seed))
            assert all("environment" not in b for b in req.bases)
            assert "environment" in req.note and "export" in req.note
