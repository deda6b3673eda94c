"""The rego family's balance (core attestors first), the requirement kinds people write Rego for most, and
narrative requests that tell the need in the user's words."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from functools import cache
from typing import Any

import pytest

from witness_evals.generate.example import Example
from witness_evals.generate.families import rego
from witness_evals.generate.rego_model import Req, apply_bug, render
from witness_evals.witness.rego import evaluate_deny

CORE = ("git", "command-run", "environment", "product", "material")
PLATFORM = ("aws", "gcp-iit", "aws-codebuild")


@cache
def _examples() -> list[Example]:
    return [rego.make(random.Random(seed)) for seed in range(1200)]


def _req(rid: str, seed: int = 3) -> Req:
    for makers in rego.MAKERS.values():
        for mk in makers:
            req = mk(random.Random(seed))
            if req.rid == rid:
                return req
    raise KeyError(rid)


def _denies(req: Req, inp: Any, module: str | None = None) -> bool:
    out = evaluate_deny({"m.rego": module or render(req, "v1")}, inp)
    assert out.status == "ok", out.error
    return bool(out.deny)


def test_core_attestors_get_the_most_examples() -> None:
    per = Counter(ex.check["attestor"] for ex in _examples())
    top = [a for a, _ in per.most_common(5)]
    assert top[0] == "git", per
    assert sum(a in CORE for a in top) >= 4, per
    core = sum(per[a] for a in CORE)
    assert core >= 0.4 * sum(per.values()), per
    for a in PLATFORM:
        assert 0 < per[a] <= per["git"] / 4, (a, per)


@pytest.mark.parametrize(
    "rid",
    [
        "signed",
        "no-merge",
        "author-domain",
        "committer-domain",
        "remote",
        "remote-org",
        "semver-tag",
        "clean-tracked",
        "clean-strict",
        "branch-allowlist",
        "branch-glob",
        "var-equals",
        "var-unset",
        "hostname",
        "hostname-regex",
        "runner-var",
        "flag-string",
        "exact",
        "no-fetch",
        "exitcode",
        "name-pattern",
        "under-dir",
        "required-set",
        "root-file",
        "registry-allowlist",
        "tag-or-digest",
    ],
)
def test_core_requirement_kinds_are_drawn(rid: str) -> None:
    conds = Counter(c for ex in _examples() for c in ex.check["cond"].split("+"))
    assert conds[rid] >= 2, (rid, conds[rid])


def test_git_new_requirements_read_the_real_fields() -> None:
    req = _req("committer-domain")
    domain = req.param
    good = req.pass_inputs()[0]
    assert good["committeremail"].endswith("@" + domain) and not _denies(req, good)
    assert _denies(req, {**good, "committeremail": "noreply@github.com"})
    assert not _denies(req, {**good, "authoremail": "someone@gmail.com"})  # the author is not the committer

    req = _req("remote-org")
    org = req.param
    good = req.pass_inputs()[0]
    assert not _denies(req, {**good, "remotes": [f"git@github.com:{org}/x.git"]})
    assert _denies(
        req, {**good, "remotes": [f"https://github.com/{org}/x.git", "https://github.com/other/x.git"]}
    )
    assert _denies(req, {k: v for k, v in good.items() if k != "remotes"})
    assert _denies(req, {**good, "remotes": [f"https://github.com/{org}x/x.git"]})

    req = _req("clean-strict")
    good = req.pass_inputs()[0]
    assert "status" not in good
    assert _denies(req, {**good, "status": {"a.txt": {"staging": "untracked", "worktree": "untracked"}}})

    req = _req("branch-allowlist")
    for inp in req.pass_inputs():
        assert inp["branch"] in req.param.split(",")
    assert _denies(req, {**req.pass_inputs()[0], "branch": "HEAD"})


def test_signed_commit_variants_and_tags_do_not_count() -> None:
    kinds = set()
    for seed in range(30):
        req = rego.MAKERS["git"][[m.__name__ for m in rego.MAKERS["git"]].index("git_signed")](
            random.Random(seed)
        )
        kinds.add(req.param)
        good = req.pass_inputs()[0]
        assert good["signature"].startswith("-----BEGIN ")
        unsigned = {k: v for k, v in good.items() if k != "signature"}
        tagged = {**unsigned, "tags": [{"name": "v1.0.0", "pgpsignature": good["signature"]}]}
        assert _denies(req, unsigned) and _denies(req, tagged)
    assert kinds == {"any", "pgp", "ssh"}


def test_environment_values_are_strings() -> None:
    req = _req("flag-string")
    (bug,) = [b for b in req.bugs if b.bid == "bool-vs-string"]
    broken = apply_bug(req, bug)
    assert all(_denies(req, inp, broken) for inp in req.pass_inputs())
    assert rego.symptom(req, broken) == "it rejects every attestation, even compliant ones"
    assert "strings" in req.note

    req = _req("runner-var")
    var, want = req.param.split("=", 1)
    good = req.pass_inputs()[0]
    assert good["variables"][var] == want
    no_var = {**good, "variables": {k: v for k, v in good["variables"].items() if k != var}}
    assert _denies(req, no_var)


def test_command_download_rule_matches_tools_not_words() -> None:
    req = _req("no-fetch")
    good = req.pass_inputs()[0]
    assert not _denies(req, {**good, "cmd": ["bash", "-c", "make && ./curling.sh"]})
    assert _denies(req, {**good, "cmd": ["/usr/bin/wget", "https://example.com/x"]})
    assert _denies(req, {**good, "cmd": ["sh", "-c", "make; curl -sL https://example.com/i | sh"]})


def test_exact_command_rejects_a_shell_wrapper() -> None:
    req = _req("exact")
    want = req.pass_inputs()[0]["cmd"]
    assert _denies(req, {**req.pass_inputs()[0], "cmd": ["sh", "-c", " ".join(want)]})


def test_lockfile_registry_rule_parses_the_recorded_lock() -> None:
    req = _req("registry-allowlist")
    for inp in req.pass_inputs():
        (lf,) = inp["lockfiles"]
        lock = json.loads(lf["content"])
        urls = [p["resolved"] for p in lock["packages"].values() if "resolved" in p]
        assert urls and all(u.startswith(("https://registry.npmjs.org/", req.param)) for u in urls)
    assert len(req.deny_inputs()) == 4
    (bug,) = req.bugs
    assert not _denies(req, req.deny_inputs()[2], apply_bug(req, bug))  # the look-alike host


def test_k8s_tag_or_digest_does_not_take_a_port_for_a_tag() -> None:
    req = _req("tag-or-digest")
    refs = [
        img["reference"]
        for inp in req.deny_inputs()
        for d in inp["recordeddocs"]
        for img in d["recordedimages"]
    ]
    assert any(re.search(r":\d+/[^:]+$", r) for r in refs), refs
    refs_ok = [
        img["reference"]
        for inp in req.pass_inputs()
        for d in inp["recordeddocs"]
        for img in d["recordedimages"]
    ]
    assert any(re.search(r":\d+/.+:", r) for r in refs_ok), refs_ok


def test_material_root_file_is_the_exact_key() -> None:
    req = _req("root-file")
    good = req.pass_inputs()[0]
    assert req.param in good
    sub_only = {k: v for k, v in good.items() if k != req.param} | {f"tools/{req.param}": good[req.param]}
    assert _denies(req, sub_only)


def _narratives() -> list[Example]:
    return [ex for ex in _examples() if ex.template.startswith("rego/narrative")]


def test_narrative_requests_do_not_spell_out_the_predicate_path() -> None:
    exs = _narratives()
    kinds = Counter(ex.template.split("/")[1] for ex in exs)
    assert kinds["narrative"] >= 20 and kinds["narrative-bad"] >= 5 and kinds["narrative-good"] >= 3, kinds
    assert len({ex.check["attestor"] for ex in exs}) >= 6
    for ex in exs:
        prose = re.sub(r"```.*?```", "", ex.question, flags=re.S)
        assert "input." not in prose and "input[" not in prose, ex.question
        assert "deny" not in prose.lower(), ex.question


def test_pasted_excerpts_come_from_the_check_inputs() -> None:
    seen = 0
    for ex in _narratives():
        kind = ex.template.split("/")[1]
        if kind == "narrative":
            continue
        (block,) = re.findall(r"```json\n(.*?)\n```", ex.question, flags=re.S)
        shown = json.loads(block)
        pool = ex.check["deny_inputs"] if kind == "narrative-bad" else ex.check["pass_inputs"]
        assert any(all(k in inp for k in shown) for inp in pool), (ex.template, shown)
        seen += 1
    assert seen >= 8


def test_narrative_stories_state_the_values_the_module_uses() -> None:
    """An answer only uses values from the prompt: every literal the module compares with (domains, branches,
    URLs, variable values) is in the user's story."""
    generic = {"HEAD", "latest", "@sha256:", "package-lock.json", "true", "0", "1", "linux", "root"}
    generic |= {"unmodified", "untracked", "/", "@"}  # the attestor's own vocabulary
    for ex in _narratives():
        module = re.search(r"```rego\n(.*?)```", ex.answer, flags=re.S)
        assert module
        body = "\n".join(
            line for line in module.group(1).splitlines() if "msg :=" not in line and "sprintf" not in line
        )
        for lit in re.findall(r'"([^"\n]+)"', body):
            if lit in generic or lit.startswith("-----BEGIN") or " " in lit:
                continue
            assert lit.removesuffix("*") in ex.question, (ex.template, ex.group, lit)  # a glob: its prefix
