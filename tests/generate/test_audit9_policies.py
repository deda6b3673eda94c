"""Regressions from audit 9 (policies and config families): each test fails on the generator before its fix.

Sources (go-witness v0.12.0, witness CLI v0.12.0 = the in-toto/witness mirror's HEAD):

* attestation/github/github.go:109 reads the token URL from `ACTIONS_ID_TOKEN_REQUEST_URL`, :142-145 fails
  the attestor when the token cannot be fetched, and go-witness runs abort on any attestor error; GitHub
  sets that variable only for a job granted `id-token: write`. Policy prompts showed GitHub workflows whose
  steps run `-a github` without that permission (107 of the 20,000 default examples), so the runs the
  answers wrote policies for could never have produced a github attestation.
  `test_github_workflows_that_record_github_grant_id_token`.
* policy/rego.go:35-45 passes `RegoPolicy.Name` to `ast.ParseModule` as the module's file name, "" included:
  a regopolicies entry without `name` is valid, yet the policies check failed such a policy ("a regopolicies
  entry has no name"). A real name collision (OPA's `rego.ParsedModule` keys modules by file name, so the
  later module replaces the earlier) is still caught by the verify worlds.
  `test_rego_module_without_name_passes`, `test_rego_modules_sharing_a_name_still_fail`.
* attestation/git/git.go:134, 202 records `branch` as go-git's `head.Name().Short()`, which is `HEAD` on a
  detached checkout (GitLab CI and Jenkins check out one by default): the user's branch Rego then denies the
  genuine run. The policies answers that embed a branch rule (127 of 20,000) never said so; they now carry the
  CI's detached-HEAD note (`rego_reqs_source.detached_note`). `test_branch_rules_warn_about_detached_head`.
* witness cmd/config.go:32-35: `-c <file>` that does not exist stops witness (`config file <f> does not exist`).
  The config checks compared `-c` paths after `lstrip("./")` and by base name, so `-c .witness.yaml` passed for
  `witness.yaml` and `-c witness.yaml` for `ci/witness.yaml`; the `.witness.yaml` check accepted any `-c` file.
  `test_config_write_needs_the_named_file`, `test_dotwitness_needs_the_file_it_is_in`.
"""

from __future__ import annotations

import base64
import json
import random
import re
from typing import Any

import pytest

from witness_evals.bench import answers
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.generate.families import config as C
from witness_evals.generate.families import policies as P
from witness_evals.witness import versions

V12 = versions.get("0.12")
GITHUB_RUN = re.compile(r"witness run[^\n]*(?:-a|--attestations)[ =][^\n]*\bgithub\b")


def _texts(ex: Any) -> list[str]:
    return [ex.question, *(h["content"] for h in (ex.history or []) if h["role"] == "user")]


def test_github_workflows_that_record_github_grant_id_token() -> None:
    found = 0
    for seed in range(120):
        ex = P.make(random.Random(seed), V12)
        for text in _texts(ex):
            for lang, body in answers.code_blocks(text):
                if lang == "yaml" and "runs-on:" in body and GITHUB_RUN.search(body):
                    found += 1
                    assert "id-token: write" in body, (seed, body)
    assert found >= 3


def _rego_example() -> Any:
    for seed in range(600):
        ex = P.make(random.Random(seed), V12)
        if ex.meta["sub"] == "rego" and ex.check.get("rego"):
            return ex
    raise AssertionError("no rego example")


def _entry(answer: str, name: str) -> re.Match[str]:
    q = re.escape(json.dumps(name))
    m = re.search(r'\{\s*"name": ' + q + r',\s*"module": "[^"]*"\s*\}', answer) or re.search(
        r'\{\s*"module": "[^"]*",\s*"name": ' + q + r"\s*\}", answer
    )
    assert m, answer
    return m


def test_rego_module_without_name_passes(ctx: ScoreContext) -> None:
    ex = _rego_example()
    assert P.score(ex.answer, ex.check, ctx).ok
    m = _entry(ex.answer, ex.check["rego"]["name"])
    module = re.search(r'"module": "([^"]*)"', m.group(0))
    assert module
    nameless = ex.answer[: m.start()] + json.dumps({"module": module.group(1)}) + ex.answer[m.end() :]
    res = P.score(nameless, ex.check, ctx)
    assert res.ok, res.reason
    # two modules under one name still fail: the later replaces the user's module, the violating run passes
    name = ex.check["rego"]["name"]
    noop = base64.b64encode(
        b'package other.rule\n\nimport rego.v1\n\ndeny contains msg if {\n\tfalse\n\tmsg := "never"\n}\n'
    ).decode()
    masked = ex.answer[: m.end()] + ", " + json.dumps({"name": name, "module": noop}) + ex.answer[m.end() :]
    assert not P.score(masked, ex.check, ctx).ok
    other = (
        ex.answer[: m.end()]
        + ", "
        + json.dumps({"name": "other.rego", "module": noop})
        + ex.answer[m.end() :]
    )
    assert P.score(other, ex.check, ctx).ok


def test_branch_rules_warn_about_detached_head() -> None:
    seen: set[str] = set()
    for seed in range(400):
        ex = P.make(random.Random(seed), V12)
        r = ex.check.get("rego")
        if not r or r["kind"] != "branch":
            continue
        ci = ex.check["pipe"]["ci"]
        seen.add(ci)
        assert "detached" in ex.answer and "`HEAD`" in ex.answer, ex.answer
        if ci == "gitlab":
            assert "git checkout -B" in ex.answer
        if ci == "jenkins":
            assert "LocalBranch" in ex.answer
        if ci == "github":
            assert "pull_request" in ex.answer
    assert {"gitlab", "jenkins", "github"} <= seen


def _config(kind: str, pred: Any) -> Any:
    for seed in range(5000):
        ex = C.make(random.Random(seed), V12)
        if ex.meta["kind"] == kind and pred(ex):
            return ex
    raise AssertionError(kind)


def _swap_file(answer: str, old: str, new: str) -> str:
    out = answer.replace(f"-c {old}", f"-c {new}").replace(f"--config {old}", f"--config {new}")
    assert out != answer
    return out


@pytest.mark.parametrize(
    ("file", "wrong"), [("witness.yaml", ".witness.yaml"), ("ci/witness.yaml", "witness.yaml")]
)
def test_config_write_needs_the_named_file(file: str, wrong: str, ctx: ScoreContext) -> None:
    ex = _config("write", lambda e: e.check["file"] == file and e.check["commands"] == ["run"])
    assert C.score(ex.answer, ex.check, ctx).ok
    assert C.score(_swap_file(ex.answer, file, f"./{file}"), ex.check, ctx).ok
    assert not C.score(_swap_file(ex.answer, file, wrong), ex.check, ctx).ok


def test_dotwitness_needs_the_file_it_is_in(ctx: ScoreContext) -> None:
    ex = _config("dotwitness", lambda e: True)
    assert C.score(ex.answer, ex.check, ctx).ok
    other = _swap_file(ex.answer, ".witness.yaml", "witness-config.yaml")
    assert not C.score(other, ex.check, ctx).ok
    renamed = other.replace("```bash\n", "```bash\nmv .witness.yaml witness-config.yaml\n", 1)
    assert C.score(renamed, ex.check, ctx).ok
