"""Builder `rego_fields`: a requirement on one real field of an attestor, enforced by a Rego module.

Every requirement names the attestor, the field(s) it reads, compliant and violating inputs (the
predicate `witness run` would record in a seeded scenario, via `example_input`, then changed where the
requirement needs it) and the deny rule. The reference module is correct (portable `import rego.v1` +
`deny contains msg if`, or classic `deny[msg]` where the prompt says only `witness verify` reads it);
the planted answer carries one realistic mistake (a wrong field path, an inverted condition, `deny` as
a string or boolean, v1 keywords without the import, an `input.predicate.` prefix, a misnamed rule, or
classic syntax where `witness policy check` must accept the module).
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from witness_evals.bench.builders import Builder
from witness_evals.bench.builders._common import (
    assemble,
    cap,
    compact_json,
    fenced,
    join_words,
    names,
    opening,
    pick,
)
from witness_evals.bench.task import Task, example_input, task_from_mapping
from witness_evals.witness import attestors
from witness_evals.witness.attestors import jenkins

NAME = "rego_fields"
COUNT = 172


def q(text: str) -> str:
    """A Rego string literal (JSON string syntax is valid Rego)."""
    return json.dumps(text)


def ex(att: str, seed: int, scen: dict[str, Any] | None = None, sets: dict[str, Any] | None = None) -> Any:
    spec: dict[str, Any] = {"$example": att, "$seed": seed}
    if scen:
        spec["$scenario"] = scen
    if sets:
        spec["$set"] = sets
    out = copy.deepcopy(example_input(spec))
    if att == "command-run" and isinstance(out, dict):
        out.pop("processes", None)
    return out


@dataclass
class Req:
    attestor: str
    pkg: str
    rules: list[str]
    """The requirement in words (alternatives; one is used in the prompt)."""
    body: list[str]
    msg: str
    passes: list[Any]
    denies: list[Any]
    note: str
    """One or two sentences on the field(s) the rule reads (reference answer)."""
    helpers: list[tuple[str, list[str]]] = field(default_factory=list)
    consts: list[str] = field(default_factory=list)
    wrong: list[list[tuple[str, str]]] = field(default_factory=list)
    """Alternative wrong field paths: each a list of (old, new) text replacements of the module."""
    invert: int | None = None
    edge: Any = None
    """An extra violating input where the field is missing (used when the prompt says so)."""
    edge_text: list[str] = field(default_factory=list)
    view: list[str] | None = None
    """Top-level keys shown when the prompt pastes an excerpt of the attestation (None: all)."""
    scope: str = ""
    """Where the attestation comes from, for the prompt (e.g. 'our GitHub Actions build')."""


# ------------------------------------------------------------------------------ rendering


def render(r: Req, style: str, body: list[str] | None = None) -> str:
    v1 = style == "v1"
    lines = [f"package {r.pkg}", ""]
    if v1:
        lines += ["import rego.v1", ""]
    for c in r.consts:
        lines.append(c)
    if r.consts:
        lines.append("")
    for head, hb in r.helpers:
        lines.append(f"{head} if {{" if v1 else f"{head} {{")
        lines += [f"\t{x}" for x in hb]
        lines += ["}", ""]
    lines.append("deny contains msg if {" if v1 else "deny[msg] {")
    lines += [f"\t{x}" for x in (body if body is not None else r.body)]
    lines.append(f"\tmsg := {r.msg}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _toggle(line: str) -> str:
    return line[4:] if line.startswith("not ") else f"not {line}"


MISTAKES: dict[str, int] = {
    "wrong-field": 4,
    "inverted": 2,
    "predicate-prefix": 2,
    "v1-without-import": 2,
    "deny-string": 1,
    "deny-boolean": 1,
    "rule-name": 1,
}


def planted_module(r: Req, mistake: str, rng: random.Random) -> str:
    if mistake == "wrong-field":
        src = render(r, "v1")
        for old, new in pick(rng, r.wrong):
            src = src.replace(old, new)
        return src
    if mistake == "inverted":
        assert r.invert is not None
        body = list(r.body)
        body[r.invert] = _toggle(body[r.invert])
        return render(r, "v1", body)
    if mistake == "predicate-prefix":
        return render(r, "v1").replace("input.", "input.predicate.").replace("input[", "input.predicate[")
    if mistake == "v1-without-import":
        return render(r, "v1").replace("import rego.v1\n\n", "")
    if mistake == "deny-string":
        return render(r, "v0").replace("deny[msg] {", "deny = msg {")
    if mistake == "deny-boolean":
        src = render(r, "v1").replace("deny contains msg if {", "deny if {")
        return "\n".join(x for x in src.splitlines() if not x.startswith("\tmsg := ")) + "\n"
    if mistake == "rule-name":
        return render(r, "v1").replace(
            "deny contains msg if", pick(rng, ("violation", "denied", "deny_reasons")) + " contains msg if"
        )
    if mistake == "classic-syntax":
        return render(r, "v0")
    raise ValueError(mistake)


# ------------------------------------------------------------------------------ requirements


def _git(seed: int, **sets: Any) -> Any:
    return ex("git", seed, None, sets or None)


def r_git_branch(rng: random.Random, seed: int) -> Req:
    want = pick(rng, ("main", "master", "trunk", "stable", "release/3.x"))
    others = [
        b
        for b in ("develop", "feature/oauth", "hotfix/cve-1234", "main-backup", "renovate/deps", "mainline")
        if b != want
    ]
    bad = rng.sample(others, 2)
    edge = _git(seed + 2, branch=want)
    edge.pop("branch", None)
    return Req(
        "git",
        pick(rng, ("git.branch", "release.branch", "scm.branch_gate")),
        [
            f"only builds from the `{want}` branch may go out",
            f"the commit has to be on `{want}` — nothing from other branches",
            f"we refuse anything whose recorded branch isn't `{want}`",
        ],
        [f"not input.branch == {q(want)}"],
        q(f"built from a branch other than {want}"),
        [_git(seed, branch=want), _git(seed + 1, branch=want)],
        [_git(seed, branch=b) for b in bad],
        "The git attestor stores the short branch name in `branch`.",
        wrong=[
            [("input.branch", "input.refs[0]")],
            [("input.branch", "input.git.branch")],
            [("input.branch", "input.ref")],
        ],
        invert=0,
        edge=edge,
        edge_text=["A collection with no `branch` field at all must be refused as well."],
        view=["commithash", "branch", "refs"],
    )


def r_git_clean(rng: random.Random, seed: int) -> Req:
    clean = [_git(seed), _git(seed + 1)]
    for c in clean:
        c.pop("status", None)
    dirty1, dirty2 = _git(seed), _git(seed + 3)
    dirty1["status"] = {
        pick(rng, ("src/config.yaml", "Makefile", "go.mod", "package.json")): {
            "staging": "unmodified",
            "worktree": "modified",
        }
    }
    dirty2["status"] = {
        pick(rng, ("notes.txt", "debug.log", "tmp/patch.diff")): {
            "staging": "untracked",
            "worktree": "untracked",
        }
    }
    return Req(
        "git",
        pick(rng, ("git.clean_tree", "scm.worktree")),
        [
            "the checkout must be pristine: no modified or untracked files at build time",
            "we only accept builds from a clean work tree",
            "a dirty working copy (anything listed in the git status) has to fail verification",
        ],
        ["count(input.status) > 0"],
        q("work tree had uncommitted changes at build time"),
        clean,
        [dirty1, dirty2],
        "`status` maps every changed or untracked path to its staging/worktree state and is left out when the tree is clean.",
        wrong=[
            [("input.status", "input.worktree")],
            [("input.status", "input.changes")],
            [("count(input.status) > 0", "input.status != {}")],
        ],
        invert=0,
        view=["commithash", "branch", "status"],
    )


def r_git_author(rng: random.Random, seed: int) -> Req:
    domain = pick(rng, ("northwind.dev", "contoso.com", "fabrikam.io", "tailspin.net"))
    who = pick(rng, ("maria", "k.osei", "jdoe", "li.wei"))
    ok = [_git(seed, author_email=f"{who}@{domain}"), _git(seed + 1, author_email=f"build-bot@{domain}")]
    bad = [_git(seed, author_email=f"{who}@gmail.com"), _git(seed + 2, author_email=f"{who}@not{domain}")]
    return Req(
        "git",
        pick(rng, ("git.author", "scm.author_domain")),
        [
            f"commits must be authored with an `@{domain}` address",
            f"the author e-mail of the built commit has to be on `{domain}` (so `x@not{domain}` doesn't count)",
            f"outside contributors' commits can't be released directly: author address must end in `@{domain}`",
        ],
        [f"not endswith(input.authoremail, {q('@' + domain)})"],
        'sprintf("commit authored by %v", [input.authoremail])',
        ok,
        bad,
        "`authoremail` is the commit author's address (`committeremail` is the committer's).",
        wrong=[
            [("input.authoremail", "input.author")],
            [("input.authoremail", "input.author.email")],
            [("input.authoremail", "input.committer_email")],
        ],
        invert=0,
        view=["commithash", "author", "authoremail", "committeremail"],
    )


def r_git_signed(rng: random.Random, seed: int) -> Req:
    sig = (
        "-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEE"
        + f"{rng.getrandbits(64):016x}"
        + "\n-----END PGP SIGNATURE-----\n"
    )
    ok = [_git(seed), _git(seed + 1)]
    for o in ok:
        o["signature"] = sig
    # an unsigned commit has no `signature` key at all: go-witness `Signature string
    # json:"signature,omitempty"` (attestation/git/git.go), and Rego's input is json.Marshal(attestor)
    no1 = _git(seed + 2)
    no1.pop("signature", None)
    no2 = _git(seed + 3)
    no2.pop("signature", None)
    return Req(
        "git",
        pick(rng, ("git.signed", "scm.signed_commits")),
        [
            "the commit that was built must carry a PGP signature",
            "unsigned commits are not allowed to reach a release",
            "reject a build when the git attestation shows no commit signature (empty or absent)",
        ],
        ['object.get(input, "signature", "") == ""'],
        q("commit is not signed"),
        ok,
        [no1, no2],
        "`signature` holds the commit's armored PGP signature; it is omitted for unsigned commits, so read it with a default.",
        wrong=[
            [('object.get(input, "signature", "")', 'object.get(input, "pgpsignature", "x")')],
            [('object.get(input, "signature", "")', 'object.get(input, "commitsignature", "x")')],
        ],
        view=["commithash", "signature"],
    )


def r_git_remote(rng: random.Random, seed: int) -> Req:
    base = _git(seed)
    want = base["remotes"][0]
    ok = [base, _git(seed, branch="main")]
    fork = _git(seed)
    fork["remotes"] = [
        want.replace("https://github.com/", "https://github.com/someone-").replace(
            "https://gitlab.com/", "https://gitlab.com/someone-"
        )
    ]
    if fork["remotes"][0] == want:
        fork["remotes"] = [want.replace(".git", "-fork.git")]
    none = _git(seed)
    none["remotes"] = []
    return Req(
        "git",
        pick(rng, ("git.origin", "scm.remote")),
        [
            f"the checkout has to come from `{want}` and not from a fork",
            f"the repository remote recorded in the attestation must be exactly `{want}`",
        ],
        ["not origin_ok"],
        q(f"repository remote is not {want}"),
        ok,
        [fork, none],
        "`remotes` lists the remote URLs of the checkout (credentials stripped).",
        helpers=[("origin_ok", [f"input.remotes[_] == {q(want)}"])],
        wrong=[
            [("input.remotes[_]", "input.remote")],
            [("input.remotes[_]", "input.repository")],
            [("input.remotes[_]", "input.origin.url")],
        ],
        view=["commithash", "remotes", "branch"],
    )


def r_git_merge(rng: random.Random, seed: int) -> Req:
    one = [_git(seed), _git(seed + 1)]
    for o in one:
        o["parenthashes"] = o["parenthashes"][:1]
    two = _git(seed + 2)
    two["parenthashes"] = [two["commithash"][::-1], two["treehash"]]
    three = _git(seed + 3)
    three["parenthashes"] = [three["treehash"], three["commithash"][::-1], three["commithash"][1:] + "a"]
    return Req(
        "git",
        pick(rng, ("git.linear", "scm.no_merges")),
        [
            "release builds must be made from a non-merge commit (exactly one parent)",
            "merge commits are not allowed as build inputs; linear history only",
        ],
        ["count(input.parenthashes) > 1"],
        'sprintf("commit has %d parents", [count(input.parenthashes)])',
        one,
        [two, three],
        "`parenthashes` lists the parent commit ids of the built commit.",
        wrong=[[("input.parenthashes", "input.parents")], [("input.parenthashes", "input.parenthash")]],
        invert=0,
        view=["commithash", "parenthashes"],
    )


def r_git_tag(rng: random.Random, seed: int) -> Req:
    prefix = pick(rng, ("v", "release-"))
    ok = [
        _git(seed, tags=[f"{prefix}1.{rng.randint(0, 9)}.0"]),
        _git(seed + 1, tags=["nightly", f"{prefix}2.0.{rng.randint(1, 9)}"]),
    ]
    bad = [_git(seed + 2, tags=[]), _git(seed, tags=["nightly-2025-06-01"])]
    return Req(
        "git",
        pick(rng, ("git.tagged", "release.tag")),
        [
            f"only tagged commits get released, and the tag must start with `{prefix}`",
            f"the built commit needs at least one tag named `{prefix}*`",
        ],
        ["not has_release_tag"],
        q(f"commit carries no {prefix}* tag"),
        ok,
        bad,
        "`tags` lists the tags pointing at the commit as objects with a `name` (plus tagger and message).",
        helpers=[("has_release_tag", [f"startswith(input.tags[_].name, {q(prefix)})"])],
        wrong=[[("input.tags[_].name", "input.tags[_]")], [("input.tags[_].name", "input.tag")]],
        view=["commithash", "refs", "tags"],
    )


def _gh(seed: int, **sets: Any) -> Any:
    return ex("github", seed, {"ci": "github"}, sets or None)


def _claims(pred: Any, **changes: Any) -> Any:
    out = copy.deepcopy(pred)
    out["jwt"]["claims"].update(changes)
    return out


def r_gh_ref(rng: random.Random, seed: int) -> Req:
    want = pick(rng, ("main", "release"))
    ok = [_gh(seed, branch=want), _gh(seed + 1, branch=want)]
    bad = [
        _gh(seed, branch="dependabot/npm/lodash-4.17.21"),
        _claims(_gh(seed + 2, branch=want), ref="refs/tags/v0.0.1-rc1"),
    ]
    return Req(
        "github",
        pick(rng, ("github.ref", "gha.ref_gate")),
        [
            f"the Actions workflow must have run for `refs/heads/{want}`",
            f"only workflow runs on the `{want}` branch (full ref `refs/heads/{want}`) are trusted",
        ],
        [f"not input.jwt.claims.ref == {q('refs/heads/' + want)}"],
        q(f"workflow did not run for refs/heads/{want}"),
        ok,
        bad,
        "The github attestation embeds the verified OIDC token; its claims are under `jwt.claims` (`ref` is the full git ref).",
        wrong=[
            [("input.jwt.claims.ref", "input.ref")],
            [("input.jwt.claims.ref", "input.claims.ref")],
            [("input.jwt.claims.ref", "input.jwt.ref")],
        ],
        invert=0,
        view=["jwt", "pipelineurl"],
        scope="GitHub Actions",
    )


def r_gh_repo(rng: random.Random, seed: int) -> Req:
    base = _gh(seed)
    slug = base["jwt"]["claims"]["repository"]
    ok = [base, _gh(seed, branch="main")]
    bad = [
        _claims(base, repository=slug + "-fork"),
        _claims(base, repository="evil-" + slug.split("/")[0] + "/" + slug.split("/")[1]),
    ]
    return Req(
        "github",
        pick(rng, ("github.repository", "gha.repo")),
        [
            f"the workflow must have run in the repository `{slug}` itself",
            f"runs from any repository other than `{slug}` (forks included) get rejected",
        ],
        [f"not input.jwt.claims.repository == {q(slug)}"],
        'sprintf("workflow ran in %v", [input.jwt.claims.repository])',
        ok,
        bad,
        "`jwt.claims.repository` is the `owner/name` of the repository the workflow ran in.",
        wrong=[
            [("input.jwt.claims.repository", "input.repository")],
            [("input.jwt.claims.repository", "input.projecturl")],
        ],
        invert=0,
        view=["jwt", "projecturl"],
        scope="GitHub Actions",
    )


def r_gh_event(rng: random.Random, seed: int) -> Req:
    allowed = sorted(rng.sample(["push", "workflow_dispatch", "release", "schedule"], 2))
    bad_events = ["pull_request_target", "pull_request", "issue_comment"]
    ok = [_claims(_gh(seed), event_name=allowed[0]), _claims(_gh(seed + 1), event_name=allowed[1])]
    bad = [_claims(_gh(seed), event_name=e) for e in rng.sample(bad_events, 2)]
    return Req(
        "github",
        pick(rng, ("github.trigger", "gha.events")),
        [
            f"only runs triggered by {join_words([f'`{e}`' for e in allowed], 'or')} count",
            f"the triggering event of the workflow has to be one of: {', '.join(allowed)}",
        ],
        ["not allowed_events[input.jwt.claims.event_name]"],
        'sprintf("workflow triggered by %v", [input.jwt.claims.event_name])',
        ok,
        bad,
        "`jwt.claims.event_name` names the event that triggered the workflow run.",
        consts=["allowed_events := {" + ", ".join(q(e) for e in allowed) + "}"],
        wrong=[
            [("input.jwt.claims.event_name", "input.event_name")],
            [("input.jwt.claims.event_name", "input.jwt.claims.event")],
        ],
        invert=0,
        view=["jwt"],
        scope="GitHub Actions",
    )


def r_gh_runner(rng: random.Random, seed: int) -> Req:
    ok = [_gh(seed), _gh(seed + 1)]
    bad = [
        _claims(_gh(seed), runner_environment="self-hosted"),
        _claims(_gh(seed + 2), runner_environment=""),
    ]
    return Req(
        "github",
        pick(rng, ("github.runner", "gha.hosted")),
        [
            "the job must have run on a GitHub-hosted runner, never a self-hosted one",
            "self-hosted runners are out: `runner_environment` in the token has to say `github-hosted`",
        ],
        ['not input.jwt.claims.runner_environment == "github-hosted"'],
        q("job did not run on a GitHub-hosted runner"),
        ok,
        bad,
        "The OIDC claim `runner_environment` (under `jwt.claims`) is `github-hosted` or `self-hosted`.",
        wrong=[
            [("input.jwt.claims.runner_environment", "input.runneros")],
            [("input.jwt.claims.runner_environment", "input.runner_environment")],
        ],
        invert=0,
        view=["jwt", "runnerid", "runneros"],
        scope="GitHub Actions",
    )


def _workflow(pred: Any, slug: str, wf: str) -> Any:
    """`pred` as if workflow file `wf` of repository `slug` had run (the OIDC token's workflow claims)."""
    claims = pred["jwt"]["claims"]
    ref = claims["ref"]
    return _claims(
        pred,
        workflow=wf.rsplit(".", 1)[0],
        workflow_ref=f"{slug}/.github/workflows/{wf}@{ref}",
        job_workflow_ref=f"{slug}/.github/workflows/{wf}@{ref}",
    )


def r_gh_workflow(rng: random.Random, seed: int) -> Req:
    # The workflow identity comes from the verified OIDC token. `ciconfigpath` is not it: go-witness
    # fills it from GITHUB_ACTION_PATH, which GitHub only sets inside composite actions, so a plain
    # `run:` step records "" (the excerpt shows it, the wrong-path answer reads it).
    wf = pick(rng, ("release.yml", "publish.yaml", "ship.yml"))
    base = _gh(seed)
    slug = base["jwt"]["claims"]["repository"]
    good = _workflow(base, slug, wf)
    good2 = _workflow(_gh(seed, branch="main"), slug, wf)
    bad1 = copy.deepcopy(base)
    bad2 = _workflow(base, slug, f"{wf}.bak")  # a copy of the file: the `@` ends the name in the prefix
    prefix = f"{slug}/.github/workflows/{wf}@"
    return Req(
        "github",
        pick(rng, ("github.workflow", "gha.workflow_file")),
        [
            f"the artifact must come from the `{wf}` workflow of `{slug}` (its workflow reference starts with `{prefix}`)",
            f"only `.github/workflows/{wf}` in `{slug}` is allowed to produce it",
        ],
        [f"not startswith(input.jwt.claims.workflow_ref, {q(prefix)})"],
        'sprintf("unexpected workflow %v", [input.jwt.claims.workflow_ref])',
        [good, good2],
        [bad1, bad2],
        "The OIDC claim `workflow_ref` (under `jwt.claims`) is `owner/repo/.github/workflows/<file>@<ref>`; "
        "`ciconfigpath` is GITHUB_ACTION_PATH, empty outside composite actions.",
        wrong=[
            [("input.jwt.claims.workflow_ref", "input.ciconfigpath")],
            [("input.jwt.claims.workflow_ref", "input.pipelinename")],
            [("input.jwt.claims.workflow_ref", "input.workflow_ref")],
        ],
        invert=0,
        view=["jwt", "ciconfigpath", "pipelinename"],
        scope="GitHub Actions",
    )


def _gl(seed: int, **sets: Any) -> Any:
    return ex("gitlab", seed, {"ci": "gitlab"}, sets or None)


def r_gl_protected(rng: random.Random, seed: int) -> Req:
    ok = [_claims(_gl(seed), ref_protected="true"), _claims(_gl(seed + 1), ref_protected="true")]
    bad = [
        _claims(_gl(seed), ref_protected="false"),
        _claims(_gl(seed + 2), ref_protected="false", ref="wip"),
    ]
    return Req(
        "gitlab",
        pick(rng, ("gitlab.protected", "glci.ref")),
        [
            "the GitLab pipeline must have run on a protected ref",
            "pipelines on unprotected branches must not be able to produce releasable artifacts",
        ],
        ['not input.jwt.claims.ref_protected == "true"'],
        q("pipeline ran on an unprotected ref"),
        ok,
        bad,
        'The GitLab ID token claims sit under `jwt.claims`; `ref_protected` is the string `"true"` or `"false"`.',
        wrong=[
            [("input.jwt.claims.ref_protected", "input.ref_protected")],
            [('input.jwt.claims.ref_protected == "true"', "input.jwt.claims.ref_protected == true")],
        ],
        invert=0,
        view=["jwt", "pipelineurl"],
        scope="GitLab CI",
    )


def r_gl_source(rng: random.Random, seed: int) -> Req:
    allowed = sorted(rng.sample(["push", "schedule", "web"], 2))
    ok = [_claims(_gl(seed), pipeline_source=allowed[0]), _claims(_gl(seed + 1), pipeline_source=allowed[1])]
    bad = [
        _claims(_gl(seed), pipeline_source="merge_request_event"),
        _claims(_gl(seed + 3), pipeline_source="trigger"),
    ]
    return Req(
        "gitlab",
        pick(rng, ("gitlab.source", "glci.pipeline_source")),
        [
            f"pipelines may only be started by {join_words(allowed, 'or')} (GitLab's pipeline source)",
            f"merge-request and API-triggered pipelines are not trusted; accepted sources: {', '.join(allowed)}",
        ],
        ["not allowed_sources[input.jwt.claims.pipeline_source]"],
        'sprintf("pipeline source %v is not allowed", [input.jwt.claims.pipeline_source])',
        ok,
        bad,
        "`jwt.claims.pipeline_source` says what started the pipeline (push, schedule, web, merge_request_event...).",
        consts=["allowed_sources := {" + ", ".join(q(x) for x in allowed) + "}"],
        wrong=[
            [("input.jwt.claims.pipeline_source", "input.pipeline_source")],
            [("input.jwt.claims.pipeline_source", "input.jobstage")],
        ],
        invert=0,
        view=["jwt", "jobstage"],
        scope="GitLab CI",
    )


def r_gl_image(rng: random.Random, seed: int) -> Req:
    digest = f"{rng.getrandbits(256):064x}"
    b1, b2 = _gl(seed), _gl(seed + 1)
    img = b1["jobimage"].split("@")[0]
    ok1, ok2 = copy.deepcopy(b1), copy.deepcopy(b2)
    ok1["jobimage"] = f"{img}@sha256:{digest}"
    ok2["jobimage"] = f"{b2['jobimage'].split('@')[0]}@sha256:{digest[::-1]}"
    bad1 = copy.deepcopy(b1)
    bad1["jobimage"] = img
    bad2 = copy.deepcopy(b2)
    bad2["jobimage"] = img.split(":")[0] + ":latest"
    return Req(
        "gitlab",
        pick(rng, ("gitlab.image", "glci.pinned_image")),
        [
            "the job image must be pinned by digest (`@sha256:`), not by a tag",
            "tag-only job images like `golang:1.22` are not acceptable; the image reference must include `@sha256:`",
        ],
        ['not contains(input.jobimage, "@sha256:")'],
        'sprintf("job image %v is not pinned by digest", [input.jobimage])',
        [ok1, ok2],
        [bad1, bad2],
        "`jobimage` is the container image the GitLab job ran in.",
        wrong=[[("input.jobimage", "input.image")], [("input.jobimage", "input.jwt.claims.job_image")]],
        invert=0,
        view=["jobimage", "jobname", "jobstage"],
        scope="GitLab CI",
    )


def r_gl_project(rng: random.Random, seed: int) -> Req:
    base = _gl(seed)
    path = base["jwt"]["claims"]["project_path"]
    ok = [base, _gl(seed, branch="main")]
    bad = [
        _claims(base, project_path=path + "-sandbox"),
        _claims(base, project_path="forks/" + path.split("/")[1]),
    ]
    return Req(
        "gitlab",
        pick(rng, ("gitlab.project", "glci.project")),
        [
            f"only pipelines of the GitLab project `{path}` are trusted",
            f"the `project_path` in the job token must be `{path}`",
        ],
        [f"not input.jwt.claims.project_path == {q(path)}"],
        'sprintf("pipeline belongs to %v", [input.jwt.claims.project_path])',
        ok,
        bad,
        "`jwt.claims.project_path` is the `namespace/project` of the pipeline.",
        wrong=[
            [("input.jwt.claims.project_path", "input.projecturl")],
            [("input.jwt.claims.project_path", "input.project_path")],
        ],
        invert=0,
        view=["jwt", "projecturl"],
        scope="GitLab CI",
    )


def _jk(seed: int) -> Any:
    return ex("jenkins", seed, {"ci": "jenkins"})


def r_jk_url(rng: random.Random, seed: int) -> Req:
    base = _jk(seed)
    want = base["jenkinsurl"]
    ok = [base, jenkins.rebuilt(base, number=str(int(base["buildnumber"]) + 7))]
    bad1 = jenkins.rebuilt(base, url=want.replace("https://jenkins.", "https://jenkins-legacy."))
    bad2 = jenkins.rebuilt(base, url="http://10.0.4.12:8080/")
    return Req(
        "jenkins",
        pick(rng, ("jenkins.instance", "ci.jenkins_controller")),
        [
            f"builds must come from our production controller `{want}`",
            f"any Jenkins other than `{want}` is untrusted",
        ],
        [f"not input.jenkinsurl == {q(want)}"],
        'sprintf("built on %v", [input.jenkinsurl])',
        ok,
        [bad1, bad2],
        "`jenkinsurl` is the controller URL (`JENKINS_URL`) the build ran under.",
        wrong=[[("input.jenkinsurl", "input.pipelineurl")], [("input.jenkinsurl", "input.jenkins_url")]],
        invert=0,
        view=["jenkinsurl", "pipelineurl", "nodename"],
        scope="Jenkins",
    )


def r_jk_node(rng: random.Random, seed: int) -> Req:
    ok = [_jk(seed), _jk(seed + 1)]
    ok = [
        jenkins.rebuilt(o, node="linux-agent-1") if o["nodename"] in ("built-in", "master") else o for o in ok
    ]
    bad1 = jenkins.rebuilt(_jk(seed), node="built-in")
    bad2 = jenkins.rebuilt(_jk(seed + 2), node="master")
    return Req(
        "jenkins",
        pick(rng, ("jenkins.agents", "ci.no_controller_builds")),
        [
            "nothing may be built on the Jenkins controller itself (node `built-in`, or `master` on old installs)",
            "builds must run on an agent; the controller node (`built-in`/`master`) is off limits",
        ],
        ["controller_nodes[input.nodename]"],
        'sprintf("built on the controller node %v", [input.nodename])',
        ok,
        [bad1, bad2],
        "`nodename` is the Jenkins node (agent) the build ran on.",
        consts=['controller_nodes := {"built-in", "master"}'],
        wrong=[[("input.nodename", "input.node")], [("input.nodename", "input.executornumber")]],
        invert=0,
        view=["nodename", "executornumber", "jobname"],
        scope="Jenkins",
    )


def r_jk_job(rng: random.Random, seed: int) -> Req:
    base = _jk(seed)
    folder = base["jobname"].split("/")[0]
    prefix = f"{folder}/"
    ok = [base, jenkins.rebuilt(base, job=f"{folder}/release-2.x")]
    bad1 = jenkins.rebuilt(base, job=f"sandbox/{folder}")
    bad2 = jenkins.rebuilt(base, job=f"{folder}-experiments/main")
    return Req(
        "jenkins",
        pick(rng, ("jenkins.job", "ci.job_folder")),
        [
            f"the Jenkins job must live in the `{folder}` folder (job name starts with `{prefix}`)",
            f"only jobs under `{prefix}` may produce it — `{folder}-experiments/...` doesn't count",
        ],
        [f"not startswith(input.jobname, {q(prefix)})"],
        'sprintf("job %v is outside the allowed folder", [input.jobname])',
        ok,
        [bad1, bad2],
        "`jobname` is the full Jenkins job name (`folder/job`).",
        wrong=[[("input.jobname", "input.buildtag")], [("input.jobname", "input.job")]],
        invert=0,
        view=["jobname", "buildtag"],
        scope="Jenkins",
    )


def _env(seed: int, scen: dict[str, Any] | None = None, **sets: Any) -> Any:
    return ex("environment", seed, scen, sets or None)


def r_env_os(rng: random.Random, seed: int) -> Req:
    ok = [_env(seed, os="linux"), _env(seed + 1, os="linux")]
    bad = [_env(seed, os="darwin"), _env(seed + 2, os="windows")]
    return Req(
        "environment",
        pick(rng, ("env.platform", "runner.os")),
        [
            "release binaries must be built on Linux machines",
            "a build that ran on macOS or Windows must not pass",
        ],
        ['not input.os == "linux"'],
        'sprintf("step ran on %v", [input.os])',
        ok,
        bad,
        "`os` is Go's GOOS of the machine that ran `witness run` (`linux`, `darwin`, `windows`).",
        wrong=[
            [("input.os", "input.variables.OS")],
            [("input.os", "input.platform")],
            [('input.os == "linux"', 'input.os == "Linux"')],
        ],
        invert=0,
        view=["os", "hostname", "username"],
    )


def r_env_user(rng: random.Random, seed: int) -> Req:
    user = pick(rng, ("builder", "ci", "runner"))
    ok = [_env(seed, username=user), _env(seed + 1, username=pick(rng, ("jenkins", "svc-build")))]
    bad = [_env(seed, username="root"), _env(seed + 3, username="root")]
    return Req(
        "environment",
        pick(rng, ("env.user", "runner.nonroot")),
        [
            "the step must not run as `root`",
            "running the build as the superuser (`root`) should fail the gate",
        ],
        ['input.username == "root"'],
        q("step ran as root"),
        ok,
        bad,
        "`username` is the user that ran `witness run`.",
        wrong=[[("input.username", "input.variables.USER_NAME")], [("input.username", "input.user")]],
        invert=0,
        view=["os", "hostname", "username"],
    )


_FORBIDDEN_VARS = (
    ("LD_PRELOAD", "/tmp/libhook.so"),
    ("NODE_OPTIONS", "--require /tmp/x.js"),
    ("GIT_SSL_NO_VERIFY", "1"),
    ("PIP_INDEX_URL", "http://10.1.2.3/simple"),
)


def r_env_forbidden(rng: random.Random, seed: int) -> Req:
    var, val = pick(rng, _FORBIDDEN_VARS)
    ok = [_env(seed, env={var: None}), _env(seed + 1, env={var: None})]
    bad = [_env(seed, env={var: val}), _env(seed + 2, env={var: ""})]
    return Req(
        "environment",
        pick(rng, ("env.forbidden", "runner.env_hygiene")),
        [
            f"`{var}` must not be set at all in the build environment (even an empty value is suspicious)",
            f"if the environment variable `{var}` is present, reject the build",
        ],
        [f"input.variables[{q(var)}]"],
        q(f"{var} is set in the build environment"),
        ok,
        bad,
        "`variables` maps each environment variable of the step to its value (sensitive ones obfuscated).",
        wrong=[
            [("input.variables", "input.env")],
            [("input.variables", "input.environment")],
            [(f"\tinput.variables[{q(var)}]\n", f'\tinput.variables[{q(var)}] != ""\n')],
        ],
        invert=0,
        view=["os", "variables"],
    )


def r_env_required(rng: random.Random, seed: int) -> Req:
    var, val = pick(
        rng, (("SOURCE_DATE_EPOCH", "1717200000"), ("BUILD_REPRODUCIBLE", "1"), ("GOFLAGS", "-trimpath"))
    )
    ok = [_env(seed, env={var: val}), _env(seed + 1, env={var: val})]
    bad = [_env(seed, env={var: None}), _env(seed + 2, env={var: "0" if val != "0" else "1"})]
    return Req(
        "environment",
        pick(rng, ("env.reproducible", "runner.required_env")),
        [
            f"`{var}` must be set to exactly `{val}` during the build",
            f"reproducibility check: the recorded environment needs `{var}={val}`; unset or any other value is a violation",
        ],
        [f"not input.variables[{q(var)}] == {q(val)}"],
        q(f"{var} is not {val}"),
        ok,
        bad,
        "`variables` maps the step's environment variables to their values; `not x == v` also fires when the variable is missing.",
        wrong=[
            [("input.variables", "input.env")],
            [(f"not input.variables[{q(var)}] == {q(val)}", f"input.variables[{q(var)}] != {q(val)}")],
        ],
        view=["variables"],
    )


def r_env_host(rng: random.Random, seed: int) -> Req:
    prefix = pick(rng, ("ci-", "build-", "gha-"))
    ok = [
        _env(seed, hostname=f"{prefix}worker-{rng.randint(1, 40)}"),
        _env(seed + 1, hostname=f"{prefix}{rng.randint(100, 999)}"),
    ]
    bad = [
        _env(seed, hostname="dev-laptop-" + str(rng.randint(1, 99))),
        _env(seed + 2, hostname=f"x{prefix}host"),
    ]
    return Req(
        "environment",
        pick(rng, ("env.host", "runner.fleet")),
        [
            f"only machines of the CI fleet (hostname starting with `{prefix}`) may produce release builds",
            f"builds from hosts whose name doesn't begin with `{prefix}` (laptops, ad-hoc VMs) are rejected",
        ],
        [f"not startswith(input.hostname, {q(prefix)})"],
        'sprintf("unexpected build host %v", [input.hostname])',
        ok,
        bad,
        "`hostname` is the host name of the machine that ran the step.",
        wrong=[[("input.hostname", "input.variables.HOSTNAME")], [("input.hostname", "input.host")]],
        invert=0,
        view=["hostname", "os"],
    )


def r_env_secrets(rng: random.Random, seed: int) -> Req:
    marker = pick(rng, ("TOKEN", "SECRET"))
    ok = [_env(seed, {"ci": "github"}), _env(seed + 1, {"ci": "github"})]
    leaked = f"NPM_{marker}" if marker == "TOKEN" else "CLIENT_SECRET"
    bad1 = _env(seed, {"ci": "github"})
    bad1["variables"][leaked] = f"{rng.getrandbits(128):032x}"
    bad2 = _env(seed + 2, {"ci": "github"})
    bad2["variables"][f"DEPLOY_{marker}_VALUE"] = "plain-" + f"{rng.getrandbits(32):08x}"
    return Req(
        "environment",
        pick(rng, ("env.secrets", "runner.obfuscation")),
        [
            f"every variable whose name contains `{marker}` must show up obfuscated (`******`), never in clear text",
            f"a `{marker}`-like variable recorded with a real value means the sensitive-var settings were loosened: deny it",
        ],
        ["some name", "value := input.variables[name]", f"contains(name, {q(marker)})", 'value != "******"'],
        'sprintf("variable %v is recorded in clear text", [name])',
        ok,
        [bad1, bad2],
        "`variables` holds the environment; witness replaces sensitive values with `******` unless told otherwise.",
        wrong=[
            [("input.variables[name]", "input.env[name]")],
            [('value != "******"', 'value != "[REDACTED]"')],
        ],
        invert=3,
        view=["variables"],
    )


def _cr(seed: int, **sets: Any) -> Any:
    return ex("command-run", seed, None, sets or None)


def r_cr_program(rng: random.Random, seed: int) -> Req:
    prog, args = pick(
        rng,
        (
            ("make", ["release"]),
            ("bazel", ["build", "//..."]),
            ("goreleaser", ["release", "--clean"]),
            ("./gradlew", ["assemble"]),
        ),
    )
    ok = [_cr(seed, command=[prog, *args]), _cr(seed + 1, command=[prog, *args[:1], "-j4"])]
    bad = [
        _cr(seed, command=["bash", "-c", f"{prog} {' '.join(args)}"]),
        _cr(seed + 2, command=["sh", "build.sh"]),
    ]
    return Req(
        "command-run",
        pick(rng, ("cmd.entrypoint", "step.program")),
        [
            f"the step has to be driven by `{prog}` directly (first argv element), not by a wrapper shell",
            f"we only trust runs whose program is `{prog}`; `bash -c ...` wrappers don't count",
        ],
        [f"not input.cmd[0] == {q(prog)}"],
        'sprintf("unexpected program %v", [input.cmd[0]])',
        ok,
        bad,
        "`cmd` is the argv array given after `--`; `cmd[0]` is the program.",
        wrong=[
            [("input.cmd[0]", "input.command[0]")],
            [("input.cmd[0]", "input.cmd")],
            [("input.cmd[0]", "input.processes[0].program")],
        ],
        invert=0,
        view=["cmd", "exitcode"],
    )


def r_cr_fetch(rng: random.Random, seed: int) -> Req:
    tools = sorted(rng.sample(["curl", "wget", "nc"], 2))
    ok = [_cr(seed, command=["make", "dist"]), _cr(seed + 1, command=["npm", "run", "build"])]
    bad = [
        _cr(seed, command=["bash", "-c", f"{tools[0]} -fsSL https://get.example.sh | sh && make"]),
        _cr(seed + 2, command=[tools[1], "-O", "vendor.tgz", "https://mirror.example.net/v.tgz"]),
    ]
    return Req(
        "command-run",
        pick(rng, ("cmd.no_fetch", "step.offline")),
        [
            f"the build command must not call {join_words([f'`{t}`' for t in tools], 'or')} anywhere, including inside a `bash -c` script",
            f"no network download tools ({', '.join(tools)}) in any argument of the command",
        ],
        ["arg := input.cmd[_]", "tool := fetch_tools[_]", "contains(arg, tool)"],
        'sprintf("command uses %v", [tool])',
        ok,
        bad,
        "`cmd` is the argv array; a `bash -c` script is a single element, so test every element with `contains`.",
        consts=["fetch_tools := [" + ", ".join(q(t) for t in tools) + "]"],
        wrong=[[("input.cmd[_]", "input.command[_]")], [("contains(arg, tool)", "arg == tool")]],
        invert=2,
        view=["cmd"],
    )


def r_cr_skiptests(rng: random.Random, seed: int) -> Req:
    flags = pick(
        rng, (["-DskipTests", "-Dmaven.test.skip=true"], ["--no-verify", "--skip-checks"], ["-x", "test"])
    )
    if flags == ["-x", "test"]:
        good = [["./gradlew", "build"], ["./gradlew", "-x", "javadoc", "test"]]
        badc = [["./gradlew", "build", "-x", "test"], ["./gradlew", "assemble", "-x", "test", "--no-daemon"]]
        body = ["some i", 'input.cmd[i] == "-x"', 'input.cmd[i + 1] == "test"']
        words = [
            "the Gradle build must not exclude the test task (`-x test`)",
            "no `-x test` in the Gradle invocation",
        ]
        msg = q("tests were excluded with -x test")
        inv = 2
        wrong = [[("input.cmd[i]", "input.cmd[_]"), ("input.cmd[i + 1]", "input.cmd[i]")]]
    else:
        good = (
            [["mvn", "-B", "verify"], ["mvn", "-B", "package"]]
            if flags[0].startswith("-D")
            else [["npm", "publish"], ["npm", "run", "release"]]
        )
        badc = [[*good[0], flags[0]], [*good[1][:1], flags[1], *good[1][1:]]]
        body = ["arg := input.cmd[_]", "skip_flags[arg]"]
        words = [
            f"tests and checks can't be skipped: neither {' nor '.join(f'`{f}`' for f in flags)} may appear in the command",
            f"reject runs that pass {join_words([f'`{f}`' for f in flags], 'or')}",
        ]
        msg = 'sprintf("command skips checks with %v", [arg])'
        inv = 1
        wrong = [[("input.cmd[_]", "input.cmd")], [("input.cmd[_]", "input.args[_]")]]
    consts = [] if flags == ["-x", "test"] else ["skip_flags := {" + ", ".join(q(f) for f in flags) + "}"]
    return Req(
        "command-run",
        pick(rng, ("cmd.tests", "step.no_skip")),
        words,
        body,
        msg,
        [_cr(seed, command=good[0]), _cr(seed + 1, command=good[1])],
        [_cr(seed, command=badc[0]), _cr(seed + 2, command=badc[1])],
        "`cmd` is the argv array exactly as given after `--`.",
        consts=consts,
        wrong=wrong,
        invert=inv,
        view=["cmd"],
    )


def r_cr_exact(rng: random.Random, seed: int) -> Req:
    want = pick(
        rng,
        (
            ["make", "release"],
            ["cargo", "build", "--release", "--locked"],
            ["python", "-m", "build", "--wheel"],
            ["go", "build", "-trimpath", "./..."],
        ),
    )
    ok = [_cr(seed, command=want), _cr(seed + 1, command=want)]
    bad = [_cr(seed, command=[*want, "EXTRA=1"]), _cr(seed + 2, command=want[:-1])]
    return Req(
        "command-run",
        pick(rng, ("cmd.exact", "step.pinned_command")),
        [
            f"the recorded command must be exactly `{' '.join(want)}` — no extra or missing arguments",
            f"pin the build invocation: argv has to equal `{json.dumps(want)}`",
        ],
        [f"input.cmd != {json.dumps(want)}"],
        'sprintf("unexpected command %v", [concat(" ", input.cmd)])',
        ok,
        bad,
        "`cmd` is the argv array; comparing it with an array literal checks every argument.",
        wrong=[[("input.cmd !=", "input.command !=")], [("input.cmd !=", "input.cmd[0] !=")]],
        invert=0,
        view=["cmd", "exitcode"],
    )


def r_cr_exit(rng: random.Random, seed: int) -> Req:
    ok = [_cr(seed), _cr(seed + 1)]
    bad1, bad2 = _cr(seed), _cr(seed + 2)
    bad1["exitcode"] = pick(rng, (1, 2, 137))
    bad2["exitcode"] = 127
    return Req(
        "command-run",
        pick(rng, ("cmd.exit", "step.success")),
        [
            "the wrapped command must have exited with status 0 (our library-based runner keeps going on errors)",
            "a non-zero exit code of the recorded command has to be denied",
        ],
        ["input.exitcode != 0"],
        'sprintf("command exited with %v", [input.exitcode])',
        ok,
        [bad1, bad2],
        "`exitcode` is the command's exit status (an integer). The witness CLI itself never writes an attestation for a failing command, so this matters for library runs with ignored errors.",
        wrong=[
            [("input.exitcode", "input.exitCode")],
            [("input.exitcode", "input.exit_code")],
            [("input.exitcode != 0", 'input.exitcode != "0"')],
        ],
        invert=0,
        view=["cmd", "exitcode"],
    )


def _prod(seed: int, kind: str = "build", lang: str | None = None) -> Any:
    scen: dict[str, Any] = {"step_kind": kind}
    if lang:
        scen["language"] = lang
    return ex("product", seed, scen)


def _file(rng: random.Random, mime: str) -> dict[str, Any]:
    return {"mime_type": mime, "digest": {"sha256": f"{rng.getrandbits(256):064x}"}}


def r_prod_required(rng: random.Random, seed: int) -> Req:
    lang = pick(rng, ("go", "rust", "java", "python", "node"))
    base = _prod(seed, "build", lang)
    path = sorted(base)[0]
    ok1 = copy.deepcopy(base)
    ok2 = copy.deepcopy(base)
    ok2["build.log"] = _file(rng, "text/plain; charset=utf-8")
    bad1 = {k: v for k, v in base.items() if k != path}
    bad1["build.log"] = _file(rng, "text/plain; charset=utf-8")
    bad2 = {f"{path}.partial": base[path]}
    return Req(
        "product",
        pick(rng, ("product.required", "outputs.expected")),
        [
            f"the step must have produced `{path}`",
            f"if `{path}` is not among the step's products, fail verification",
        ],
        [f"not input[{q(path)}]"],
        q(f"{path} was not produced"),
        [ok1, ok2],
        [bad1, bad2],
        "The product predicate is a bare map from each product path to `{mime_type, digest}` — there is no `Products` wrapper.",
        wrong=[[("input[", "input.Products[")], [("input[", "input.products[")]],
        invert=0,
        view=None,
    )


def r_prod_mime(rng: random.Random, seed: int) -> Req:
    kind = pick(rng, ("build", "package", "sbom", "test"))
    base = _prod(seed, kind)
    allowed = sorted(
        {v["mime_type"] for v in base.values()}
        | {pick(rng, ("application/gzip", "application/json", "text/plain; charset=utf-8"))}
    )
    ok2 = copy.deepcopy(base)
    extra = pick(rng, ("application/x-sharedlib", "text/x-shellscript", "application/x-executable"))
    if extra in allowed:
        extra = "application/x-msdownload"
    bad1 = copy.deepcopy(base)
    bad1["tools/postinstall.sh"] = _file(rng, extra)
    bad2 = {p: {**v, "mime_type": "application/octet-stream"} for p, v in base.items()}
    return Req(
        "product",
        pick(rng, ("product.types", "outputs.mime")),
        [
            f"every product must have one of these MIME types: {', '.join(f'`{m}`' for m in allowed)}",
            f"the only product types we expect from this step are {join_words(allowed, 'or')}; anything else is denied",
        ],
        ["some path", "p := input[path]", "not allowed_types[p.mime_type]"],
        'sprintf("product %v has type %v", [path, p.mime_type])',
        [base, ok2],
        [bad1, bad2],
        "The product predicate maps each path to `{mime_type, digest}`; iterate its keys.",
        consts=["allowed_types := {" + ", ".join(q(m) for m in allowed) + "}"],
        wrong=[
            [("input[path]", "input.Products[path]")],
            [("p.mime_type", "p.mimetype")],
            [("p.mime_type", "p.type")],
        ],
        invert=2,
        view=None,
    )


def r_prod_forbidden(rng: random.Random, seed: int) -> Req:
    base = _prod(seed, pick(rng, ("build", "package")))
    prefix = pick(rng, ("secrets/", ".env", "id_rsa"))
    bad1 = copy.deepcopy(base)
    bad1[f"{prefix}prod.yaml" if prefix.endswith("/") else prefix] = _file(rng, "text/plain; charset=utf-8")
    bad2 = copy.deepcopy(base)
    bad2[f"{prefix}creds.json" if prefix.endswith("/") else prefix + ".bak"] = _file(rng, "application/json")
    ok2 = copy.deepcopy(base)
    ok2[f"docs/{prefix.strip('./')}-howto.md"] = _file(rng, "text/plain; charset=utf-8")
    return Req(
        "product",
        pick(rng, ("product.leaks", "outputs.no_secrets")),
        [
            f"no product path may start with `{prefix}`",
            f"fail when the step wrote anything whose path begins with `{prefix}` into the outputs",
        ],
        ["some path", "input[path]", f"startswith(path, {q(prefix)})"],
        'sprintf("forbidden product %v", [path])',
        [base, ok2],
        [bad1, bad2],
        "The product predicate is a map keyed by product path.",
        wrong=[
            [("input[path]", "input.Products[path]")],
            [(f"startswith(path, {q(prefix)})", f"contains(path, {q(prefix + 'x')})")],
        ],
        invert=2,
        view=None,
    )


def _mat(seed: int, lang: str) -> Any:
    return ex("material", seed, {"language": lang})


_LOCKS = {"go": "go.sum", "node": "package-lock.json", "rust": "Cargo.lock", "python": "poetry.lock"}


def r_mat_lock(rng: random.Random, seed: int) -> Req:
    lang = pick(rng, sorted(_LOCKS))
    lock = _LOCKS[lang]
    ok = [_mat(seed, lang), _mat(seed + 1, lang)]
    bad1 = {k: v for k, v in _mat(seed, lang).items() if k != lock}
    bad2 = {k: v for k, v in _mat(seed + 2, lang).items() if k != lock}
    bad2[f"old/{lock}"] = ok[0][lock]
    return Req(
        "material",
        pick(rng, ("material.lockfile", "inputs.lock")),
        [
            f"`{lock}` at the root of the working directory must be one of the step's materials",
            f"a build without `{lock}` among its recorded inputs is not reproducible; deny it",
        ],
        [f"not input[{q(lock)}]"],
        q(f"{lock} is not among the materials"),
        ok,
        [bad1, bad2],
        "The material predicate is a bare map from relative path to digest set (no `Materials` wrapper).",
        wrong=[[("input[", "input.Materials[")], [("input[", "input.materials[")]],
        invert=0,
        view=None,
    )


def r_mat_pinned(rng: random.Random, seed: int) -> Req:
    lang = pick(rng, ("go", "node", "rust", "python", "java"))
    base = _mat(seed, lang)
    path = pick(rng, sorted(p for p in base if not p.startswith(".git/")))
    digest = base[path]["sha256"]
    ok2 = copy.deepcopy(base)
    ok2["CHANGELOG.md"] = {"sha256": f"{rng.getrandbits(256):064x}"}
    bad1 = copy.deepcopy(base)
    bad1[path] = {"sha256": f"{rng.getrandbits(256):064x}"}
    bad2 = {k: v for k, v in base.items() if k != path}
    return Req(
        "material",
        pick(rng, ("material.pinned", "inputs.pinned_file")),
        [
            f"the input file `{path}` must be exactly the reviewed version, sha256 `{digest}`",
            f"`{path}` has to be present among the materials with sha256 {digest}",
        ],
        [f"not input[{q(path)}].sha256 == {q(digest)}"],
        q(f"{path} is missing or differs from the reviewed version"),
        [base, ok2],
        [bad1, bad2],
        'Each material is `path -> {"sha256": ...}` in a bare map.',
        wrong=[[("input[", "input.Materials[")], [(".sha256 ==", ".digest.sha256 ==")]],
        invert=0,
        view=None,
    )


def r_mat_vendor(rng: random.Random, seed: int) -> Req:
    lang = pick(rng, ("go", "node", "python"))
    base = _mat(seed, lang)
    vdir = {"go": "vendor/", "node": "node_modules/", "python": ".venv/"}[lang]
    bad1 = copy.deepcopy(base)
    bad1[
        f"{vdir}lib/evil.js"
        if lang == "node"
        else f"{vdir}github.com/x/y/z.go"
        if lang == "go"
        else f"{vdir}lib/site.py"
    ] = {"sha256": f"{rng.getrandbits(256):064x}"}
    bad2 = copy.deepcopy(base)
    bad2[f"{vdir}README"] = {"sha256": f"{rng.getrandbits(256):064x}"}
    ok2 = copy.deepcopy(base)
    ok2[f"docs/{vdir.strip('./')}.md"] = {"sha256": f"{rng.getrandbits(256):064x}"}
    return Req(
        "material",
        pick(rng, ("material.no_vendor", "inputs.clean_checkout")),
        [
            f"the checkout must not contain a pre-populated `{vdir}` directory when the build starts",
            f"materials under `{vdir}` mean someone built from a polluted workspace — reject",
        ],
        ["some path", "input[path]", f"startswith(path, {q(vdir)})"],
        'sprintf("unexpected material %v", [path])',
        [base, ok2],
        [bad1, bad2],
        "The material predicate is a bare map keyed by relative path.",
        wrong=[
            [("input[path]", "input.Materials[path]")],
            [(f"startswith(path, {q(vdir)})", f"path == {q(vdir)}")],
        ],
        invert=2,
        view=None,
    )


def _spdx(seed: int) -> Any:
    return ex("sbom", seed, {"step_kind": "sbom", "sbom_kind": "spdx"})


def _cdx(seed: int) -> Any:
    return ex("sbom", seed, {"step_kind": "sbom", "sbom_kind": "cyclonedx"})


def r_spdx_name(rng: random.Random, seed: int) -> Req:
    base = _spdx(seed)
    want = base["name"]
    ok2 = copy.deepcopy(base)
    ok2["documentNamespace"] = ok2["documentNamespace"] + "-rebuild"
    bad1, bad2 = copy.deepcopy(base), copy.deepcopy(base)
    bad1["name"] = want + "-test"
    bad2["name"] = "."
    return Req(
        "sbom",
        pick(rng, ("sbom.spdx_name", "bom.document")),
        [
            f"the SPDX document must describe `{want}` (document name)",
            f"an SBOM whose SPDX `name` isn't `{want}` was generated for the wrong thing; deny it",
        ],
        [f"not input.name == {q(want)}"],
        'sprintf("SBOM describes %v", [input.name])',
        [base, ok2],
        [bad1, bad2],
        "The sbom attestation's predicate is the raw SPDX JSON document, so its top-level `name` is `input.name` (no `SBOMDocument` wrapper).",
        wrong=[
            [("input.name", "input.SBOMDocument.name")],
            [("input.name", "input.documentName")],
            [("input.name", "input.packages[0].name")],
        ],
        invert=0,
        view=["spdxVersion", "name", "documentNamespace"],
    )


def r_spdx_version(rng: random.Random, seed: int) -> Req:
    ok = [_spdx(seed), _spdx(seed + 1)]
    bad1, bad2 = _spdx(seed), _spdx(seed + 2)
    bad1["spdxVersion"] = "SPDX-2.2"
    bad2["spdxVersion"] = "SPDX-2.1"
    return Req(
        "sbom",
        pick(rng, ("sbom.spdx_version", "bom.format")),
        [
            "we only accept SBOMs in SPDX 2.3 (`spdxVersion` = `SPDX-2.3`)",
            "older SPDX versions than 2.3 are rejected by our ingestion, so the gate should refuse them too",
        ],
        ['not input.spdxVersion == "SPDX-2.3"'],
        'sprintf("unsupported %v", [input.spdxVersion])',
        ok,
        [bad1, bad2],
        "The predicate is the SPDX document itself; `spdxVersion` is a top-level field.",
        wrong=[
            [("input.spdxVersion", "input.SBOMDocument.spdxVersion")],
            [("input.spdxVersion", "input.specVersion")],
        ],
        invert=0,
        view=["spdxVersion", "dataLicense", "name"],
    )


def r_spdx_license(rng: random.Random, seed: int) -> Req:
    base = _spdx(seed)
    for p in base["packages"]:
        if "GPL" in str(p.get("licenseDeclared", "")):
            p["licenseDeclared"] = "MIT"
    lic = pick(rng, ("GPL-3.0-only", "AGPL-3.0-or-later", "LGPL-2.1-only"))
    bad1 = copy.deepcopy(base)
    bad1["packages"].append(
        {
            "name": "libcopyleft",
            "SPDXID": "SPDXRef-Package-libcopyleft",
            "versionInfo": "1.0.3",
            "downloadLocation": "NOASSERTION",
            "licenseDeclared": lic,
        }
    )
    bad2 = copy.deepcopy(base)
    bad2["packages"][0]["licenseDeclared"] = f"MIT OR {lic}"
    ok2 = copy.deepcopy(base)
    ok2["packages"][-1]["licenseDeclared"] = "Apache-2.0"
    return Req(
        "sbom",
        pick(rng, ("sbom.licenses", "bom.copyleft")),
        [
            "no package in the SPDX SBOM may declare a GPL-family licence (GPL, LGPL, AGPL — any expression mentioning GPL)",
            "legal wants a hard stop whenever a component's declared licence contains `GPL`",
        ],
        ["pkg := input.packages[_]", 'contains(pkg.licenseDeclared, "GPL")'],
        'sprintf("package %v declares %v", [pkg.name, pkg.licenseDeclared])',
        [base, ok2],
        [bad1, bad2],
        "The predicate is the SPDX document; each entry of `packages` has a `licenseDeclared` expression.",
        wrong=[
            [("input.packages[_]", "input.SBOMDocument.packages[_]")],
            [("pkg.licenseDeclared", "pkg.license")],
            [("pkg.licenseDeclared", "pkg.licenseConcluded")],
        ],
        invert=1,
        view=["name", "packages"],
    )


def r_spdx_tool(rng: random.Random, seed: int) -> Req:
    ok = [_spdx(seed), _spdx(seed + 1)]
    bad1, bad2 = _spdx(seed), _spdx(seed + 2)
    bad1["creationInfo"]["creators"] = ["Organization: Aqua Security", "Tool: trivy-0.50.1"]
    bad2["creationInfo"]["creators"] = ["Person: someone"]
    return Req(
        "sbom",
        pick(rng, ("sbom.generator", "bom.tooling")),
        [
            "the SBOM has to be produced by syft (a `Tool: syft-...` creator entry)",
            "only syft-generated SPDX documents are accepted; check the document's creators",
        ],
        ["not made_by_syft"],
        q("SBOM was not generated by syft"),
        ok,
        [bad1, bad2],
        "`creationInfo.creators` lists strings such as `Tool: syft-1.18.0`.",
        helpers=[("made_by_syft", ['startswith(input.creationInfo.creators[_], "Tool: syft-")'])],
        wrong=[
            [("input.creationInfo.creators[_]", "input.creators[_]")],
            [("input.creationInfo.creators[_]", "input.SBOMDocument.creationInfo.creators[_]")],
        ],
        view=["creationInfo", "name"],
    )


def r_cdx_component(rng: random.Random, seed: int) -> Req:
    base = _cdx(seed)
    want = base["metadata"]["component"]["name"]
    ok2 = copy.deepcopy(base)
    ok2["metadata"]["component"]["version"] = "9.9.9"
    bad1, bad2 = copy.deepcopy(base), copy.deepcopy(base)
    bad1["metadata"]["component"]["name"] = f"{want}-base-image"
    del bad2["metadata"]["component"]
    return Req(
        "sbom",
        pick(rng, ("sbom.cdx_subject", "bom.main_component")),
        [
            f"the CycloneDX BOM's main component (`metadata.component`) has to be `{want}`",
            f"a BOM not describing `{want}` as its primary component (or lacking one) must be rejected",
        ],
        [f"not input.metadata.component.name == {q(want)}"],
        q(f"BOM main component is not {want}"),
        [base, ok2],
        [bad1, bad2],
        "With a CycloneDX product the sbom predicate is the BOM itself; the primary component is `metadata.component`.",
        wrong=[
            [("input.metadata.component.name", "input.components[0].name")],
            [("input.metadata.component.name", "input.SBOMDocument.metadata.component.name")],
            [("input.metadata.component.name", "input.name")],
        ],
        invert=0,
        view=["bomFormat", "specVersion", "metadata"],
    )


def r_cdx_banned(rng: random.Random, seed: int) -> Req:
    base = _cdx(seed)
    banned = pick(rng, ("event-stream", "colors", "node-ipc", "ua-parser-js", "log4j-core"))
    base["components"] = [c for c in base.get("components", []) if c.get("name") != banned]
    bad1 = copy.deepcopy(base)
    bad1["components"].append({"type": "library", "name": banned, "version": "1.0.0"})
    bad2 = copy.deepcopy(base)
    bad2["components"].insert(0, {"type": "library", "name": banned, "version": "2.14.1"})
    ok2 = copy.deepcopy(base)
    ok2["components"].append({"type": "library", "name": f"{banned}-types", "version": "0.1.0"})
    return Req(
        "sbom",
        pick(rng, ("sbom.banned", "bom.denylist")),
        [
            f"the component `{banned}` must not appear in the CycloneDX BOM at any version",
            f"deny whenever a BOM component is named exactly `{banned}` (similar names are fine)",
        ],
        ["c := input.components[_]", f"c.name == {q(banned)}"],
        'sprintf("banned component %v@%v", [c.name, c.version])',
        [base, ok2],
        [bad1, bad2],
        "The sbom predicate is the CycloneDX BOM; `components` lists the detected components.",
        wrong=[
            [("input.components[_]", "input.SBOMDocument.components[_]")],
            [("input.components[_]", "input.packages[_]")],
            [(f"c.name == {q(banned)}", f"contains(c.purl, {q(banned + '@')})")],
        ],
        invert=1,
        view=["bomFormat", "components"],
    )


def r_cdx_spec(rng: random.Random, seed: int) -> Req:
    ok = [_cdx(seed), _cdx(seed + 1)]
    ok[1]["specVersion"] = "1.6"
    bad1, bad2 = _cdx(seed), _cdx(seed + 2)
    bad1["specVersion"] = "1.4"
    bad2["specVersion"] = "1.2"
    return Req(
        "sbom",
        pick(rng, ("sbom.cdx_version", "bom.spec")),
        [
            "CycloneDX BOMs must use spec version 1.5 or 1.6",
            "reject BOMs whose `specVersion` is anything other than 1.5/1.6",
        ],
        ["not supported_specs[input.specVersion]"],
        'sprintf("unsupported CycloneDX spec %v", [input.specVersion])',
        ok,
        [bad1, bad2],
        "`specVersion` is a top-level string of the CycloneDX BOM, which is the whole predicate.",
        consts=['supported_specs := {"1.5", "1.6"}'],
        wrong=[
            [("input.specVersion", "input.spdxVersion")],
            [("input.specVersion", "input.metadata.specVersion")],
        ],
        invert=0,
        view=["bomFormat", "specVersion", "serialNumber"],
    )


def _oci(seed: int) -> Any:
    return ex("oci", seed, {"step_kind": "image"})


def r_oci_latest(rng: random.Random, seed: int) -> Req:
    ok = [_oci(seed), _oci(seed + 1)]
    bad1, bad2 = _oci(seed), _oci(seed + 2)
    repo = bad1["imagetags"][0].rsplit(":", 1)[0]
    bad1["imagetags"] = [*bad1["imagetags"], f"{repo}:latest"]
    bad2["imagetags"] = [bad2["imagetags"][0].rsplit(":", 1)[0] + ":latest"]
    return Req(
        "oci",
        pick(rng, ("oci.tags", "image.no_latest")),
        [
            "the image tarball must not be tagged `latest`",
            "a `:latest` tag on the built image is forbidden; versioned tags only",
        ],
        ["tag := input.imagetags[_]", 'endswith(tag, ":latest")'],
        'sprintf("image tagged %v", [tag])',
        ok,
        [bad1, bad2],
        "The oci attestation lists the tarball's tags in `imagetags`.",
        wrong=[
            [("input.imagetags[_]", "input.manifest[_].RepoTags")],
            [("input.imagetags[_]", "input.tags[_]")],
        ],
        invert=1,
        view=["imagetags", "imageid"],
    )


def r_oci_registry(rng: random.Random, seed: int) -> Req:
    base = _oci(seed)
    reg = base["imagetags"][0].split("/")[0]
    ok2 = copy.deepcopy(base)
    ok2["imagetags"].append(base["imagetags"][0].rsplit(":", 1)[0] + ":stable")
    bad1, bad2 = copy.deepcopy(base), copy.deepcopy(base)
    bad1["imagetags"] = [*base["imagetags"], "docker.io/someone/" + base["imagetags"][0].split("/")[-1]]
    bad2["imagetags"] = [f"{reg}.evil.example/" + base["imagetags"][0].split("/", 1)[1]]
    return Req(
        "oci",
        pick(rng, ("oci.registry", "image.registry")),
        [
            f"every tag of the image has to point at our registry `{reg}`",
            f"image tags outside `{reg}/` are not allowed",
        ],
        ["tag := input.imagetags[_]", f"not startswith(tag, {q(reg + '/')})"],
        'sprintf("tag %v is outside the registry", [tag])',
        [base, ok2],
        [bad1, bad2],
        "`imagetags` lists the tags recorded from the image tarball.",
        wrong=[
            [("input.imagetags[_]", "input.imagetag")],
            [("input.imagetags[_]", "input.manifest.RepoTags[_]")],
        ],
        invert=1,
        view=["imagetags"],
    )


def r_oci_layers(rng: random.Random, seed: int) -> Req:
    limit = rng.randint(4, 8)
    base = _oci(seed)

    def layers(n: int) -> Any:
        out = copy.deepcopy(base)
        out["diffids"] = [{"sha256": f"{rng.getrandbits(256):064x}"} for _ in range(n)]
        return out

    return Req(
        "oci",
        pick(rng, ("oci.layers", "image.slim")),
        [
            f"the image may have at most {limit} layers",
            f"images with more than {limit} layers mean someone skipped the multi-stage build; deny them",
        ],
        [f"count(input.diffids) > {limit}"],
        'sprintf("image has %d layers", [count(input.diffids)])',
        [layers(limit), layers(max(1, limit - 2))],
        [layers(limit + 1), layers(limit + 5)],
        "`diffids` holds one digest set per layer of the image.",
        wrong=[[("input.diffids", "input.layers")], [("input.diffids", "input.diffIDs")]],
        invert=0,
        view=["diffids", "imagetags"],
    )


def _docker(seed: int) -> Any:
    return ex("docker", seed, {"step_kind": "image"})


def r_docker_refs(rng: random.Random, seed: int) -> Req:
    base = _docker(seed)
    key = next(iter(base["products"]))
    ref = base["products"][key]["imagereferences"][0]
    reg = ref.split("/")[0]
    # go-witness records one reference per image: buildx's `image.name`, which joins several `-t`
    # tags with commas (attestation/docker/docker.go; buildx build/opt.go `strings.Join(tags, ",")`).
    ok2 = copy.deepcopy(base)
    ok2["products"][key]["imagereferences"] = [ref + "," + ref.rsplit(":", 1)[0] + ":candidate"]
    bad1, bad2 = copy.deepcopy(base), copy.deepcopy(base)
    bad1["products"][key]["imagereferences"] = [ref + ",quay.io/someone/" + ref.split("/")[-1]]
    bad2["products"][key]["imagereferences"] = ["localhost:5000/" + ref.split("/")[-1]]
    return Req(
        "docker",
        pick(rng, ("docker.push", "image.refs")),
        [
            f"every image reference in the docker build metadata must be under `{reg}/`",
            f"the build may only push to `{reg}`; any other registry in the image references is a violation",
        ],
        [
            "refs := input.products[_].imagereferences[_]",
            'ref := split(refs, ",")[_]',
            f"not startswith(ref, {q(reg + '/')})",
        ],
        'sprintf("image reference %v is outside the registry", [ref])',
        [base, ok2],
        [bad1, bad2],
        "The docker predicate maps each built image under `products` to its `imagereferences`, `imagedigest` and base-image `materials`; "
        "an image's reference is one string, its `-t` tags joined with commas.",
        wrong=[
            [("input.products[_].imagereferences[_]", "input.imagereferences[_]")],
            [("input.products[_].imagereferences[_]", "input.products.imagereferences[_]")],
        ],
        invert=2,
        view=["products"],
    )


def _image_name(uri: str) -> str:
    """`pkg:docker/gcr.io/distroless/static@nonroot?platform=...` -> `pkg:docker/gcr.io/distroless/static`."""
    body = uri.split("?")[0].split("@")[0]
    head, _, last = body.rpartition("/")
    return f"{head}/{last.split(':')[0]}"


def r_docker_bases(rng: random.Random, seed: int) -> Req:
    base = _docker(seed)
    key = next(iter(base["products"]))
    allowed = sorted(
        {_image_name(m["uri"]) for arch in base["products"][key]["materials"].values() for m in arch}
    )
    ok2 = copy.deepcopy(base)
    bad1, bad2 = copy.deepcopy(base), copy.deepcopy(base)
    arch = next(iter(bad1["products"][key]["materials"]))
    bad1["products"][key]["materials"][arch].append(
        {
            "uri": "pkg:docker/someuser/toolbox:1.0?platform=linux%2Famd64",
            "architecture": arch,
            "digest": {"sha256": f"{rng.getrandbits(256):064x}"},
        }
    )
    bad2["products"][key]["materials"][arch][0]["uri"] = "pkg:docker/unknown/base:edge?platform=linux%2Famd64"
    consts = ["allowed_bases := [" + ", ".join(q(a) for a in allowed) + "]"]
    return Req(
        "docker",
        pick(rng, ("docker.bases", "image.base_images")),
        [
            f"base images of the docker build must come from this list only: {', '.join(f'`{a}`' for a in allowed)} (compare the material URI before its tag/digest)",
            f"any base image whose package URI doesn't start with one of {join_words([f'`{a}`' for a in allowed], 'or')} must be denied",
        ],
        ["m := input.products[_].materials[_][_]", "not approved(m.uri)"],
        'sprintf("unapproved base image %v", [m.uri])',
        [base, ok2],
        [bad1, bad2],
        "Each built image under `products` has `materials`: architecture -> list of `{uri, architecture, digest}` base images.",
        helpers=[("approved(uri)", ["startswith(uri, allowed_bases[_])"])],
        consts=consts,
        wrong=[
            [("input.products[_].materials[_][_]", "input.products[_].materials[_]")],
            [("input.products[_].materials[_][_]", "input.materials[_][_]")],
        ],
        invert=1,
        view=["products"],
    )


def _k8s(seed: int) -> Any:
    return ex("k8smanifest", seed, {"step_kind": "deploy"})


def r_k8s_namespace(rng: random.Random, seed: int) -> Req:
    base = _k8s(seed)
    ns = base["recordeddocs"][0]["data"]["metadata"].get("namespace", "prod")
    for d in base["recordeddocs"]:
        d["data"]["metadata"]["namespace"] = ns
    ok2 = copy.deepcopy(base)
    ok2["recordeddocs"] = ok2["recordeddocs"][:1]
    bad1, bad2 = copy.deepcopy(base), copy.deepcopy(base)
    bad1["recordeddocs"][-1]["data"]["metadata"]["namespace"] = "kube-system"
    del bad2["recordeddocs"][0]["data"]["metadata"]["namespace"]
    return Req(
        "k8smanifest",
        pick(rng, ("k8s.namespace", "deploy.namespace")),
        [
            f"every rendered manifest must target the `{ns}` namespace explicitly",
            f"a manifest that sets no namespace or any namespace other than `{ns}` is a violation",
        ],
        ["doc := input.recordeddocs[_]", f"not doc.data.metadata.namespace == {q(ns)}"],
        'sprintf("%v %v is not in the expected namespace", [doc.kind, doc.name])',
        [base, ok2],
        [bad1, bad2],
        "The k8smanifest attestation lists each document in `recordeddocs` with its `kind`, `name` and the full object under `data`.",
        wrong=[
            [("input.recordeddocs[_]", "input.documents[_]")],
            [("doc.data.metadata.namespace", "doc.metadata.namespace")],
            [("doc.data.metadata.namespace", "doc.namespace")],
        ],
        invert=1,
        view=["recordeddocs"],
    )


def r_k8s_pinned(rng: random.Random, seed: int) -> Req:
    base = _k8s(seed)
    ok2 = copy.deepcopy(base)
    bad1, bad2 = copy.deepcopy(base), copy.deepcopy(base)
    with_imgs = [d for d in bad1["recordeddocs"] if d.get("recordedimages")]
    if with_imgs:
        img = with_imgs[0]["recordedimages"][0]
        img["reference"] = img["reference"].split("@")[0] + ":latest"
    else:
        bad1["recordeddocs"][0]["recordedimages"] = [{"reference": "nginx:1.25", "digest": {}}]
    bad2["recordeddocs"][0]["recordedimages"] = [
        *(bad2["recordeddocs"][0].get("recordedimages") or []),
        {"reference": "busybox:stable", "digest": {}},
    ]
    return Req(
        "k8smanifest",
        pick(rng, ("k8s.digests", "deploy.pinned_images")),
        [
            "every container image referenced by the manifests must be pinned by digest (`@sha256:`)",
            "no tag-only image references in what we deploy",
        ],
        ["img := input.recordeddocs[_].recordedimages[_]", 'not contains(img.reference, "@sha256:")'],
        'sprintf("image %v is not pinned by digest", [img.reference])',
        [base, ok2],
        [bad1, bad2],
        "For each recorded document the attestor lists the images it found in `recordedimages` (`reference`, `digest`).",
        wrong=[
            [("input.recordeddocs[_].recordedimages[_]", "input.recordedimages[_]")],
            [("input.recordeddocs[_].recordedimages[_]", "input.recordeddocs[_].images[_]")],
        ],
        invert=1,
        view=["recordeddocs"],
    )


def r_k8s_kinds(rng: random.Random, seed: int) -> Req:
    base = _k8s(seed)
    kinds = sorted(
        rng.sample(
            ["ClusterRoleBinding", "ClusterRole", "PodSecurityPolicy", "MutatingWebhookConfiguration"], 2
        )
    )
    bad1, bad2 = copy.deepcopy(base), copy.deepcopy(base)
    bad1["recordeddocs"].append(
        {
            "filepath": "manifests.yaml",
            "kind": kinds[0],
            "name": "ops-admin",
            "data": {"kind": kinds[0], "metadata": {"name": "ops-admin"}},
            "subjectkey": f"k8smanifest:manifests.yaml:{kinds[0]}:ops-admin",
            "recordedimages": [],
        }
    )
    bad2["recordeddocs"][0]["kind"] = kinds[1]
    ok2 = copy.deepcopy(base)
    return Req(
        "k8smanifest",
        pick(rng, ("k8s.kinds", "deploy.rbac")),
        [
            f"the deploy step must not ship cluster-scoped privileges: no {join_words([f'`{k}`' for k in kinds], 'or')} objects",
            f"manifests of kind {' / '.join(kinds)} are reserved for the platform team; deny them here",
        ],
        ["doc := input.recordeddocs[_]", "forbidden_kinds[doc.kind]"],
        'sprintf("forbidden %v %v", [doc.kind, doc.name])',
        [base, ok2],
        [bad1, bad2],
        "`recordeddocs` lists every manifest document with its `kind` and `name`.",
        consts=["forbidden_kinds := {" + ", ".join(q(k) for k in kinds) + "}"],
        wrong=[
            [("input.recordeddocs[_]", "input.manifests[_]")],
            [("forbidden_kinds[doc.kind]", "forbidden_kinds[doc.data.Kind]")],
        ],
        invert=1,
        view=["recordeddocs"],
    )


def r_k8s_replicas(rng: random.Random, seed: int) -> Req:
    base = _k8s(seed)
    mn = rng.choice((2, 3))
    for d in base["recordeddocs"]:
        if d["kind"] == "Deployment":
            d["data"]["spec"]["replicas"] = mn + 1
    ok2 = copy.deepcopy(base)
    for d in ok2["recordeddocs"]:
        if d["kind"] == "Deployment":
            d["data"]["spec"]["replicas"] = mn
    bad1, bad2 = copy.deepcopy(base), copy.deepcopy(base)
    for d in bad1["recordeddocs"]:
        if d["kind"] == "Deployment":
            d["data"]["spec"]["replicas"] = 1
    bad2["recordeddocs"].append(
        {
            "filepath": "worker.yaml",
            "kind": "Deployment",
            "name": "worker",
            "data": {"kind": "Deployment", "metadata": {"name": "worker"}, "spec": {"replicas": mn - 1}},
            "subjectkey": "k8smanifest:worker.yaml:Deployment:worker",
            "recordedimages": [],
        }
    )
    return Req(
        "k8smanifest",
        pick(rng, ("k8s.replicas", "deploy.ha")),
        [
            f"every Deployment must ask for at least {mn} replicas",
            f"Deployments with fewer than {mn} replicas aren't highly available; deny them",
        ],
        ["doc := input.recordeddocs[_]", 'doc.kind == "Deployment"', f"doc.data.spec.replicas < {mn}"],
        'sprintf("deployment %v has too few replicas", [doc.name])',
        [base, ok2],
        [bad1, bad2],
        "Each entry of `recordeddocs` has the manifest object under `data` (so replicas are at `data.spec.replicas`).",
        wrong=[
            [("doc.data.spec.replicas", "doc.spec.replicas")],
            [("doc.data.spec.replicas", "doc.replicas")],
        ],
        invert=2,
        view=["recordeddocs"],
    )


def _locks(seed: int, lang: str) -> Any:
    return ex("lockfiles", seed, {"language": lang})


def r_lock_present(rng: random.Random, seed: int) -> Req:
    lang = pick(rng, sorted(_LOCKS))
    lock = _LOCKS[lang]
    ok = [_locks(seed, lang), _locks(seed + 1, lang)]
    bad1: dict[str, Any] = {"lockfiles": []}
    bad2 = copy.deepcopy(ok[0])
    bad2["lockfiles"][0]["filename"] = lock + ".orig"
    return Req(
        "lockfiles",
        pick(rng, ("lockfiles.present", "deps.locked")),
        [
            f"the lockfiles attestation must include `{lock}`",
            f"builds without a recorded `{lock}` are not reproducible — deny",
        ],
        ["not has_lock"],
        q(f"{lock} was not recorded"),
        ok,
        [bad1, bad2],
        "`lockfiles` is a list of `{filename, content, digest}` for the lock files found in the working directory.",
        helpers=[("has_lock", [f"input.lockfiles[_].filename == {q(lock)}"])],
        wrong=[
            [("input.lockfiles[_].filename", "input.lockfiles[_].name")],
            [("input.lockfiles[_].filename", "input.lockfiles[_]")],
            [("input.lockfiles[_].filename", f"input[{q(lock)}].filename")],
        ],
        view=None,
    )


def r_lock_http(rng: random.Random, seed: int) -> Req:
    lang = pick(rng, ("node", "python", "go", "rust"))
    ok = [_locks(seed, lang), _locks(seed + 1, lang)]
    for o in ok:
        for lf in o["lockfiles"]:
            lf["content"] = lf["content"].replace("http://", "https://")
    bad1, bad2 = copy.deepcopy(ok[0]), copy.deepcopy(ok[1])
    bad1["lockfiles"][0]["content"] += '\n# resolved "http://registry.internal.example/pkg/-/pkg-1.0.0.tgz"\n'
    bad2["lockfiles"][0]["content"] = (
        'source = "http://mirror.example.org/simple"\n' + bad2["lockfiles"][0]["content"]
    )
    return Req(
        "lockfiles",
        pick(rng, ("lockfiles.tls", "deps.https")),
        [
            "no lock file may resolve anything over plain `http://`",
            "if any recorded lock file contains an `http://` URL, the dependencies were fetched without TLS: deny",
        ],
        ["lf := input.lockfiles[_]", 'contains(lf.content, "http://")'],
        'sprintf("%v references a plain-http source", [lf.filename])',
        ok,
        [bad1, bad2],
        "Each entry of `lockfiles` carries the full file text in `content`.",
        wrong=[[("lf.content", "lf.data")], [("input.lockfiles[_]", "input.lockfiles")]],
        invert=1,
        view=None,
    )


def _finding(rng: random.Random, rule: str, loc: str) -> dict[str, Any]:
    return {
        "ruleId": rule,
        "description": "Detected a potential secret",
        "location": f"product:{loc}",  # go-witness: "product:<path>" (or "attestation:<name>")
        "startLine": rng.randint(1, 120),
        "secret": {"sha256": f"{rng.getrandbits(256):064x}"},
        "match": 'key = "[SENSITIVE-VALUE]"',
        "entropy": round(rng.uniform(3.6, 5.2), 4),
    }


def _ss(seed: int) -> Any:
    return ex("secretscan", seed, {"step_kind": "build"})


def r_ss_none(rng: random.Random, seed: int) -> Req:
    ok = [_ss(seed), _ss(seed + 1)]
    for o in ok:
        o["findings"] = []
    bad1, bad2 = copy.deepcopy(ok[0]), copy.deepcopy(ok[1])
    bad1["findings"] = [_finding(rng, "generic-api-key", "dist/config.js")]
    bad2["findings"] = [
        _finding(rng, "aws-access-token", "build/.env"),
        _finding(rng, "private-key", "build/id_ed25519"),
    ]
    return Req(
        "secretscan",
        pick(rng, ("secrets.none", "scan.clean")),
        [
            "the secret scan of the products must come back empty — any finding fails",
            "zero tolerance: a single secretscan finding on the outputs blocks the release",
        ],
        ["count(input.findings) > 0"],
        'sprintf("%d secret(s) found in the products", [count(input.findings)])',
        ok,
        [bad1, bad2],
        "The secretscan attestation lists gitleaks results in `findings` (secrets only as digests).",
        wrong=[[("input.findings", "input.results")], [("input.findings", "input.secrets")]],
        invert=0,
        view=None,
    )


def r_ss_rules(rng: random.Random, seed: int) -> Req:
    blocked = sorted(rng.sample(["private-key", "aws-access-token", "github-pat"], 2))
    ok1, ok2 = _ss(seed), _ss(seed + 1)
    ok1["findings"] = [_finding(rng, "generic-api-key", "docs/example.md")]
    ok2["findings"] = []
    bad1, bad2 = copy.deepcopy(ok1), copy.deepcopy(ok2)
    bad1["findings"].append(_finding(rng, blocked[0], "release/bundle.tgz"))
    bad2["findings"] = [_finding(rng, blocked[1], "dist/app.js")]
    return Req(
        "secretscan",
        pick(rng, ("secrets.critical", "scan.blocking_rules")),
        [
            f"findings of the rules {join_words([f'`{b}`' for b in blocked])} are blocking (other rules are only informational)",
            f"deny if the secret scan reports a `{blocked[0]}` or `{blocked[1]}` finding",
        ],
        ["f := input.findings[_]", "blocking_rules[f.ruleId]"],
        'sprintf("%v finding in %v", [f.ruleId, f.location])',
        [ok1, ok2],
        [bad1, bad2],
        "Each entry of `findings` has the gitleaks `ruleId`, the `location` (`product:<path>`) and the secret's digest.",
        consts=["blocking_rules := {" + ", ".join(q(b) for b in blocked) + "}"],
        wrong=[
            [("f.ruleId", "f.rule")],
            [("f.ruleId", "f.RuleID")],
            [("input.findings[_]", "input.results[_]")],
        ],
        invert=1,
        view=None,
    )


def _mvn(seed: int) -> Any:
    return ex("maven", seed, {"language": "java"})


def r_mvn_group(rng: random.Random, seed: int) -> Req:
    base = _mvn(seed)
    prefix = base["groupid"]
    ok2 = copy.deepcopy(base)
    ok2["groupid"] = prefix + ".tools"
    bad1, bad2, bad3 = copy.deepcopy(base), copy.deepcopy(base), copy.deepcopy(base)
    bad1["groupid"] = "org.example"
    bad2["groupid"] = "io." + prefix.split(".", 1)[1]
    bad3["groupid"] = prefix + "labs"  # shares the text prefix, yet is another group: a bare startswith fails
    return Req(
        "maven",
        pick(rng, ("maven.group", "java.coordinates")),
        [
            f"the Maven project must belong to our `{prefix}` group (or a sub-group of it)",
            f"a POM whose groupId is neither `{prefix}` nor under `{prefix}.` is someone else's project",
        ],
        ["not in_group"],
        'sprintf("unexpected groupId %v", [input.groupid])',
        [base, ok2],
        [bad1, bad2, bad3],
        "The maven attestation records the POM's `groupid`, `artifactid`, `version` and `dependencies`; "
        f"a sub-group starts with `{prefix}.` (a bare prefix test would also admit `{prefix}labs`).",
        helpers=[
            ("in_group", [f"input.groupid == {q(prefix)}"]),
            ("in_group", [f"startswith(input.groupid, {q(prefix + '.')})"]),
        ],
        wrong=[[("input.groupid", "input.groupId")], [("input.groupid", "input.project.groupid")]],
        invert=0,
        view=["groupid", "artifactid", "version"],
    )


def r_mvn_snapshot(rng: random.Random, seed: int) -> Req:
    base = _mvn(seed)
    ok2 = copy.deepcopy(base)
    ok2["version"] = "3.0.0-SNAPSHOT"
    bad1, bad2 = copy.deepcopy(base), copy.deepcopy(base)
    bad1["dependencies"].append(
        {"groupid": "com.example", "artifactid": "utils", "version": "1.4.0-SNAPSHOT", "scope": ""}
    )
    bad2["dependencies"][0]["version"] = "2.0-SNAPSHOT"
    return Req(
        "maven",
        pick(rng, ("maven.snapshots", "java.release_deps")),
        [
            "no dependency may be a `-SNAPSHOT` version (the project's own version doesn't matter)",
            "release builds must not depend on snapshot artifacts",
        ],
        ["dep := input.dependencies[_]", 'endswith(dep.version, "-SNAPSHOT")'],
        'sprintf("snapshot dependency %v:%v:%v", [dep.groupid, dep.artifactid, dep.version])',
        [base, ok2],
        [bad1, bad2],
        "`dependencies` lists `{groupid, artifactid, version, scope}` from the POM.",
        wrong=[[("input.dependencies[_]", "input.dependencies")], [("dep.version", "input.version")]],
        invert=1,
        view=["groupid", "version", "dependencies"],
    )


def r_mvn_banned(rng: random.Random, seed: int) -> Req:
    base = _mvn(seed)
    bad_versions = sorted(rng.sample(["2.14.1", "2.15.0", "2.16.0", "2.0-beta9"], 2))
    ok2 = copy.deepcopy(base)
    ok2["dependencies"].append(
        {"groupid": "org.apache.logging.log4j", "artifactid": "log4j-core", "version": "2.23.1", "scope": ""}
    )
    bad1, bad2 = copy.deepcopy(base), copy.deepcopy(base)
    bad1["dependencies"].append(
        {
            "groupid": "org.apache.logging.log4j",
            "artifactid": "log4j-core",
            "version": bad_versions[0],
            "scope": "",
        }
    )
    bad2["dependencies"].insert(
        0,
        {
            "groupid": "org.apache.logging.log4j",
            "artifactid": "log4j-core",
            "version": bad_versions[1],
            "scope": "runtime",
        },
    )
    return Req(
        "maven",
        pick(rng, ("maven.log4shell", "java.vulnerable_deps")),
        [
            f"`org.apache.logging.log4j:log4j-core` at versions {join_words(bad_versions, 'or')} must not be a dependency",
            f"block the known-bad log4j-core releases {', '.join(bad_versions)}; newer ones are fine",
        ],
        [
            "dep := input.dependencies[_]",
            'dep.groupid == "org.apache.logging.log4j"',
            'dep.artifactid == "log4j-core"',
            "bad_versions[dep.version]",
        ],
        'sprintf("vulnerable log4j-core %v", [dep.version])',
        [base, ok2],
        [bad1, bad2],
        "`dependencies` lists the POM's dependencies with lower-case keys `groupid`, `artifactid`, `version`, `scope`.",
        consts=["bad_versions := {" + ", ".join(q(v) for v in bad_versions) + "}"],
        wrong=[
            [("dep.groupid", "dep.groupId"), ("dep.artifactid", "dep.artifactId")],
            [("input.dependencies[_]", "input.deps[_]")],
        ],
        invert=3,
        view=["groupid", "dependencies"],
    )


def _cb(seed: int) -> Any:
    return ex("aws-codebuild", seed, {"ci": "aws-codebuild"})


def r_cb_project(rng: random.Random, seed: int) -> Req:
    """The CodeBuild project, read from `build_id` (`<project>:<build uuid>`): go-witness v0.12.0 fills
    `project_name` from `CODEBUILD_PROJECT_NAME` (aws-codebuild.go:45, 157), which CodeBuild does not set, so a
    rule on `project_name` denies every real build (the attestations here have none, as witness writes them)."""
    base = _cb(seed)
    build_id = base["build_info"]["build_id"]
    want, uuid = build_id.split(":", 1)

    def with_id(b: Any, bid: str) -> Any:
        b["build_info"]["build_id"] = bid
        b["build_info"]["build_arn"] = b["build_info"]["build_arn"].rsplit("/", 1)[0] + "/" + bid
        return b

    ok2 = copy.deepcopy(base)
    ok2["build_info"]["build_number"] = str(int(ok2["build_info"].get("build_number") or 1) + 3)
    with_id(ok2, f"{want}:{uuid[::-1]}")
    bad1 = with_id(copy.deepcopy(base), f"{want}-adhoc:{uuid}")
    bad2 = with_id(copy.deepcopy(base), f"sandbox:{uuid}")
    return Req(
        "aws-codebuild",
        pick(rng, ("codebuild.project", "aws.build_project")),
        [
            f"the artifact must have been built by the CodeBuild project `{want}`",
            f"builds from any CodeBuild project other than `{want}` are rejected",
        ],
        [f"not startswith(input.build_info.build_id, {q(want + ':')})"],
        'sprintf("built by CodeBuild build %v", [input.build_info.build_id])',
        [base, ok2],
        [bad1, bad2],
        "The aws-codebuild attestation nests everything under `build_info` (snake_case keys); the project is the "
        "part of `build_id` (`<project>:<build uuid>`) before the colon. `project_name` stays empty on CodeBuild, "
        "which does not set the `CODEBUILD_PROJECT_NAME` variable witness reads it from.",
        wrong=[
            [("input.build_info.build_id", "input.build_id")],
            [("input.build_info.build_id", "input.buildInfo.buildId")],
        ],
        invert=0,
        view=["build_info"],
        scope="AWS CodeBuild",
    )


def r_cb_region(rng: random.Random, seed: int) -> Req:
    base = _cb(seed)
    allowed = sorted({base["build_info"]["region"], pick(rng, ("eu-west-1", "us-east-1", "eu-central-1"))})
    ok2 = copy.deepcopy(base)
    ok2["build_info"]["region"] = allowed[-1]
    bad1, bad2 = copy.deepcopy(base), copy.deepcopy(base)
    bad1["build_info"]["region"] = "ap-northeast-3"
    bad2["build_info"]["region"] = "sa-east-1"
    return Req(
        "aws-codebuild",
        pick(rng, ("codebuild.region", "aws.residency")),
        [
            f"data residency: CodeBuild builds must run in {join_words([f'`{a}`' for a in allowed], 'or')}",
            f"only these regions may build it: {', '.join(allowed)}",
        ],
        ["not allowed_regions[input.build_info.region]"],
        'sprintf("built in region %v", [input.build_info.region])',
        [base, ok2],
        [bad1, bad2],
        "`build_info.region` is the AWS region the CodeBuild build ran in.",
        consts=["allowed_regions := {" + ", ".join(q(a) for a in allowed) + "}"],
        wrong=[
            [("input.build_info.region", "input.region")],
            [("input.build_info.region", "input.build_info.aws_region")],
        ],
        invert=0,
        view=["build_info"],
        scope="AWS CodeBuild",
    )


def _sp(seed: int) -> Any:
    return ex("system-packages", seed)


def r_sp_distro(rng: random.Random, seed: int) -> Req:
    allowed = sorted(rng.sample(["debian", "ubuntu", "rhel", "fedora"], 2))
    ok1, ok2 = _sp(seed), _sp(seed + 1)
    ok1["distribution"], ok2["distribution"] = allowed[0], allowed[1]
    bad1, bad2 = _sp(seed), _sp(seed + 2)
    rest = [d for d in ("debian", "ubuntu", "rhel", "fedora", "arch") if d not in allowed]
    bad1["distribution"], bad2["distribution"] = rest[0], rest[-1]
    return Req(
        "system-packages",
        pick(rng, ("sys.distro", "host.base_os")),
        [
            f"build hosts must run {join_words(allowed, 'or')}",
            f"the OS distribution recorded by system-packages has to be one of {', '.join(allowed)}",
        ],
        ["not allowed_distros[input.distribution]"],
        'sprintf("unsupported distribution %v", [input.distribution])',
        [ok1, ok2],
        [bad1, bad2],
        "The system-packages attestation records `os`, `distribution`, `version` and the installed `packages`.",
        consts=["allowed_distros := {" + ", ".join(q(a) for a in allowed) + "}"],
        wrong=[[("input.distribution", "input.os")], [("input.distribution", "input.distro")]],
        invert=0,
        view=["os", "distribution", "version"],
    )


def r_sp_xz(rng: random.Random, seed: int) -> Req:
    name = pick(rng, ("xz-utils", "liblzma5"))
    ok1, ok2 = _sp(seed), _sp(seed + 1)
    ok1["packages"].append({"name": name, "version": "5.4.5-0.3"})
    bad1, bad2 = _sp(seed), _sp(seed + 2)
    bad1["packages"].append({"name": name, "version": "5.6.0-0.1"})
    bad2["packages"].insert(0, {"name": name, "version": "5.6.1-1"})
    return Req(
        "system-packages",
        pick(rng, ("sys.xz", "host.cve_2024_3094")),
        [
            f"the build host must not have `{name}` 5.6.0 or 5.6.1 installed (the backdoored releases); other versions are fine",
            f"deny when `{name}` is installed at a version starting with `5.6.0` or `5.6.1`",
        ],
        ["p := input.packages[_]", f"p.name == {q(name)}", "backdoored(p.version)"],
        'sprintf("%v %v is installed", [p.name, p.version])',
        [ok1, ok2],
        [bad1, bad2],
        "`packages` lists `{name, version}` of the installed OS packages.",
        helpers=[
            ("backdoored(v)", ['startswith(v, "5.6.0")']),
            ("backdoored(v)", ['startswith(v, "5.6.1")']),
        ],
        wrong=[[("input.packages[_]", "input.installed[_]")], [("p.name ==", "p.package ==")]],
        invert=2,
        view=None,
    )


def r_sp_required(rng: random.Random, seed: int) -> Req:
    pkgname = pick(rng, ("ca-certificates", "openssl", "tzdata"))
    ok1, ok2 = _sp(seed), _sp(seed + 1)
    for o in (ok1, ok2):
        if not any(p["name"] == pkgname for p in o["packages"]):
            o["packages"].append({"name": pkgname, "version": "2024.2"})
    bad1 = copy.deepcopy(ok1)
    bad1["packages"] = [p for p in bad1["packages"] if p["name"] != pkgname]
    bad2 = copy.deepcopy(ok2)
    bad2["packages"] = [{"name": f"{pkgname}-legacy", "version": "1"}]
    return Req(
        "system-packages",
        pick(rng, ("sys.required", "host.baseline")),
        [
            f"the build host must have the `{pkgname}` package installed",
            f"hosts lacking `{pkgname}` don't meet our baseline image; deny",
        ],
        ["not installed"],
        q(f"{pkgname} is not installed"),
        [ok1, ok2],
        [bad1, bad2],
        "`packages` lists every installed OS package as `{name, version}`.",
        helpers=[("installed", [f"input.packages[_].name == {q(pkgname)}"])],
        wrong=[
            [("input.packages[_].name", "input.packages[_]")],
            [("input.packages[_].name", f"input.packages[{q(pkgname)}].name")],
        ],
        view=None,
    )


def _vex(seed: int) -> Any:
    return ex("vex", seed, {"step_kind": "scan"})


def r_vex_affected(rng: random.Random, seed: int) -> Req:
    ok1, ok2 = _vex(seed), _vex(seed + 1)
    for o in (ok1, ok2):
        for s in o["vexDocument"]["statements"]:
            if s.get("status") == "affected":
                s["status"] = "fixed"
    bad1, bad2 = copy.deepcopy(ok1), copy.deepcopy(ok2)
    bad1["vexDocument"]["statements"][0]["status"] = "affected"
    bad2["vexDocument"]["statements"].append(
        {  # no "products" key: go-vex v0.2.8 `Products []Product json:"products,omitempty"`
            "vulnerability": {"name": "CVE-2024-3094"},
            "status": "affected",
            "action_statement": "upgrade",
        }
    )
    return Req(
        "vex",
        pick(rng, ("vex.affected", "vuln.status")),
        [
            "the VEX document must not contain any statement with status `affected`",
            "if OpenVEX says we are affected by any vulnerability, stop the release",
        ],
        ["st := input.vexDocument.statements[_]", 'st.status == "affected"'],
        'sprintf("affected by %v", [st.vulnerability.name])',
        [ok1, ok2],
        [bad1, bad2],
        "The vex attestation keeps the OpenVEX document under `vexDocument`; each statement has a `status`.",
        wrong=[
            [("input.vexDocument.statements[_]", "input.statements[_]")],
            [("input.vexDocument.statements[_]", "input.document.statements[_]")],
        ],
        invert=1,
        view=["vexDocument"],
    )


def _sarif(seed: int) -> Any:
    return ex("sarif", seed, {"step_kind": "scan"})


def r_sarif_errors(rng: random.Random, seed: int) -> Req:
    ok1, ok2 = _sarif(seed), _sarif(seed + 1)
    for o in (ok1, ok2):
        for run in o["report"]["runs"]:
            for res in run.get("results", []):
                if res.get("level") == "error":
                    res["level"] = "warning"
    bad1, bad2 = copy.deepcopy(ok1), copy.deepcopy(ok2)
    bad1["report"]["runs"][0].setdefault("results", []).append(
        {"ruleId": "sql-injection", "level": "error", "message": {"text": "tainted input reaches query"}}
    )
    bad2["report"]["runs"][0]["results"] = [
        {"ruleId": "hardcoded-secret", "level": "error", "message": {"text": "secret in source"}}
    ]
    return Req(
        "sarif",
        pick(rng, ("sarif.errors", "scan.blocking")),
        [
            "the SARIF report may contain warnings but no result with level `error`",
            "deny when the static-analysis report has any `error`-level result",
        ],
        ["res := input.report.runs[_].results[_]", 'res.level == "error"'],
        'sprintf("error-level finding %v", [res.ruleId])',
        [ok1, ok2],
        [bad1, bad2],
        "The sarif attestation embeds the SARIF document under `report` (`runs[].results[]`).",
        wrong=[
            [("input.report.runs[_].results[_]", "input.runs[_].results[_]")],
            [("input.report.runs[_].results[_]", "input.report.results[_]")],
        ],
        invert=1,
        view=None,
    )


_SARIF_TOOLS = ("CodeQL", "Semgrep OSS", "Trivy", "gosec", "Checkov", "Bandit")


def r_sarif_tool(rng: random.Random, seed: int) -> Req:
    ok1, ok2 = _sarif(seed), _sarif(seed + 1)
    tool = ok1["report"]["runs"][0]["tool"]["driver"]["name"]
    others = [t for t in _SARIF_TOOLS if t != tool]
    for run in ok2["report"]["runs"]:
        run["tool"]["driver"]["name"] = tool
    bad1, bad2 = copy.deepcopy(ok1), copy.deepcopy(ok2)
    bad1["report"]["runs"][0]["tool"]["driver"]["name"] = pick(rng, others)
    extra = copy.deepcopy(ok2["report"]["runs"][0])
    extra["tool"]["driver"]["name"] = pick(rng, others)
    bad2["report"]["runs"].append(extra)
    return Req(
        "sarif",
        pick(rng, ("sarif.tool", "scan.scanner")),
        [
            f"every run in the SARIF report must come from `{tool}`, the scanner we approved",
            f"a SARIF run produced by any tool other than `{tool}` is a violation",
        ],
        ["run := input.report.runs[_]", "not allowed_tools[run.tool.driver.name]"],
        'sprintf("SARIF run from unapproved tool %v", [run.tool.driver.name])',
        [ok1, ok2],
        [bad1, bad2],
        "The sarif attestation embeds the SARIF document under `report`; each of its `runs` names its scanner in `tool.driver.name`.",
        consts=[f"allowed_tools := {{{q(tool)}}}"],
        wrong=[
            [("input.report.runs[_]", "input.runs[_]")],
            [("run.tool.driver.name", "run.tool.name")],
        ],
        invert=1,
        view=None,
    )


def r_vex_author(rng: random.Random, seed: int) -> Req:
    ok1, ok2 = _vex(seed), _vex(seed + 1)
    author = ok1["vexDocument"]["author"]
    ok2["vexDocument"]["author"] = author
    bad1, bad2 = copy.deepcopy(ok1), copy.deepcopy(ok2)
    domain = author.partition("@")[2]
    bad1["vexDocument"]["author"] = f"{pick(rng, ('dev', 'ci-bot', 'build'))}@{domain or 'example.org'}"
    bad2["vexDocument"]["author"] = ""
    return Req(
        "vex",
        pick(rng, ("vex.author", "vuln.issuer")),
        [
            f"the OpenVEX document must be authored by `{author}`",
            f"only VEX documents issued by `{author}` are trusted; any other author is a violation",
        ],
        [f"not input.vexDocument.author == {q(author)}"],
        q(f"VEX document not issued by {author}"),
        [ok1, ok2],
        [bad1, bad2],
        "The vex attestation keeps the OpenVEX document under `vexDocument`; its `author` says who issued it.",
        wrong=[
            [("input.vexDocument.author", "input.author")],
            [("input.vexDocument.author", "input.vexDocument.metadata.author")],
        ],
        invert=0,
        view=["vexDocument"],
    )


REQUIREMENTS: tuple[Callable[[random.Random, int], Req], ...] = (
    r_git_branch,
    r_git_clean,
    r_git_author,
    r_git_signed,
    r_git_remote,
    r_git_merge,
    r_git_tag,
    r_gh_ref,
    r_gh_repo,
    r_gh_event,
    r_gh_runner,
    r_gh_workflow,
    r_gl_protected,
    r_gl_source,
    r_gl_image,
    r_gl_project,
    r_jk_url,
    r_jk_node,
    r_jk_job,
    r_env_os,
    r_env_user,
    r_env_forbidden,
    r_env_required,
    r_env_host,
    r_env_secrets,
    r_cr_program,
    r_cr_fetch,
    r_cr_skiptests,
    r_cr_exact,
    r_cr_exit,
    r_prod_required,
    r_prod_mime,
    r_prod_forbidden,
    r_mat_lock,
    r_mat_pinned,
    r_mat_vendor,
    r_spdx_name,
    r_spdx_version,
    r_spdx_license,
    r_spdx_tool,
    r_cdx_component,
    r_cdx_banned,
    r_cdx_spec,
    r_oci_latest,
    r_oci_registry,
    r_oci_layers,
    r_docker_refs,
    r_docker_bases,
    r_k8s_namespace,
    r_k8s_pinned,
    r_k8s_kinds,
    r_k8s_replicas,
    r_lock_present,
    r_lock_http,
    r_ss_none,
    r_ss_rules,
    r_mvn_group,
    r_mvn_snapshot,
    r_mvn_banned,
    r_cb_project,
    r_cb_region,
    r_sp_distro,
    r_sp_xz,
    r_sp_required,
    r_sarif_tool,
    r_vex_author,
    r_vex_affected,
    r_sarif_errors,
)

# ------------------------------------------------------------------------------ prompt

_ATT_REFS = (
    "the `{name}` attestation",
    "the `{name}` attestor's predicate",
    "the attestation of type `{type}`",
    "what the {name} attestor records",
    "our `{name}` attestations",
)
_ASKS = (
    "Can you draft the Rego module for that?",
    "What would the module look like?",
    "I need the deny rule for it.",
    "Please produce the .rego file that goes into the step's regopolicies.",
    "Give me a module I can base64 into the policy.",
    "How would you express that check in Rego?",
    "Need the Rego for it.",
    "What Rego do I put in the policy for this?",
    "Could you write up that module?",
    "Show me the module.",
)
_LEADS = (
    "Rule to enforce on {ref}: {rule}.",
    "Requirement for {ref} — {rule}.",
    "We want {ref} checked: {rule}.",
    "New control: {rule}. It reads {ref}.",
    "The policy step that verifies {ref} should enforce this: {rule}.",
    "{Rule}; the data comes from {ref} of our {scope}build step.",
)
_PORTABLE = (
    "We run `witness policy check` on every policy before signing it, so the module has to pass that as well.",
    "It must also be accepted by `witness policy check` (v1 parser), not only by `witness verify`.",
    "Our CI lints policies with `witness policy check`; make sure the Rego parses there too.",
    "Needs to work for both `witness verify` and `witness policy check`.",
)
_CLASSIC_OK = (
    "Only `witness verify` evaluates it, so the classic `deny[msg]` style is fine.",
    "Old-style syntax is OK — we never run `witness policy check` on this one.",
    "Feel free to use classic Rego syntax; it only ever runs inside `witness verify`.",
)
_EXTRAS = (
    "Put the offending value in the message if you can.",
    "Use package `{pkg}`.",
    "",
    "",
    "",
    "Keep the denial message human readable.",
)
_SNIPPET_INTROS = (
    "Here's an excerpt of one of our attestations:",
    "For reference, the predicate looks like this (trimmed):",
    "Sample from a real collection:",
    "This is what the attestor recorded last time:",
)
_PLACEMENT = (
    "Add it base64-encoded to the `regopolicies` of the `{type}` entry in the step: "
    '`{{"name": "{file}", "module": "<base64 of {file}>"}}`.',
    "In the policy it goes under the step's attestation `{type}` as a `regopolicies` item whose `module` is the base64 of this file.",
    "Embed it (standard base64) in `regopolicies` of the `{type}` attestation of the step that records it.",
)
_PORTABLE_NOTE = (
    "`import rego.v1` with `deny contains msg if` parses under both `witness verify` (OPA v0 parser) and `witness policy check` (v1 parser); `deny` is a set of strings.",
    "The `import rego.v1` form is accepted by `witness verify` and by `witness policy check`, and `deny` stays a set of strings as witness requires.",
)
_CLASSIC_NOTE = (
    "`witness verify` uses OPA's v0 parser, so the classic `deny[msg] { ... }` partial set rule works.",
    "Classic syntax is fine for `witness verify`: `deny` is a partial set of strings.",
)


_SIMPLE_EQ = re.compile(r"^not input\.([A-Za-z_][\w.]*) == ")
_EDGE_TEXTS = (
    "A missing field counts as a violation too.",
    "If the attestation doesn't have that field at all, deny as well.",
    "Treat an absent value the same as a wrong one.",
)


def _derive_edge(r: Req) -> None:
    """For a `not input.a.b == v` rule whose message does not read the input: a violating input
    where the field is absent (a correct `not ... == ...` rule denies it, a `!=` rule does not)."""
    m = _SIMPLE_EQ.match(r.body[0]) if len(r.body) == 1 else None
    if m is None or "input." in r.msg:
        return
    edge = copy.deepcopy(r.passes[0])
    node = edge
    *parents, last = m.group(1).split(".")
    for key in parents:
        node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return
    if last not in node:
        return
    del node[last]
    r.edge = edge
    r.edge_text = list(_EDGE_TEXTS)


def _excerpt(value: Any, view: list[str] | None) -> Any:
    if isinstance(value, dict) and view:
        return {k: value[k] for k in view if k in value}
    return value


def build(rng: random.Random, task_id: str) -> Task:
    idx = int(task_id.rsplit("/", 1)[1])
    factory = REQUIREMENTS[idx % len(REQUIREMENTS)]
    seed = rng.randrange(1, 50_000)
    r = factory(rng, seed)
    spec = attestors.get(r.attestor)
    ptype = spec.type
    if r.attestor == "sbom":
        ptype = "https://cyclonedx.org/bom" if "bomFormat" in r.passes[0] else "https://spdx.dev/Document"
    nm = names(rng)
    mode = rng.choices(("portable", "classic", "plain"), (35, 20, 45))[0]
    if r.edge is None:
        _derive_edge(r)
    use_edge = r.edge is not None and rng.random() < 0.6
    denies = list(r.denies) + ([r.edge] if use_edge else [])
    ref_style = "v0" if mode == "classic" and rng.random() < 0.7 else "v1"
    reference_module = render(r, ref_style)
    mistakes = dict(MISTAKES)
    if not r.wrong:
        mistakes.pop("wrong-field")
    if r.invert is None:
        mistakes.pop("inverted")
    if mode == "portable":
        mistakes["classic-syntax"] = 3
    kinds = sorted(mistakes)
    mistake = rng.choices(kinds, [mistakes[k] for k in kinds])[0]
    bad_module = planted_module(r, mistake, rng)

    rule = pick(rng, r.rules)
    ref = pick(rng, _ATT_REFS).format(name=r.attestor, type=ptype)
    scope = f"{r.scope} " if r.scope else ""
    lead = pick(rng, _LEADS).format(ref=ref, rule=rule, Rule=cap(rule), scope=scope)
    constraints: list[str] = []
    if mode == "portable":
        constraints.append(pick(rng, _PORTABLE))
    elif mode == "classic":
        constraints.append(pick(rng, _CLASSIC_OK))
    if use_edge:
        constraints.append(pick(rng, r.edge_text))
    constraints.append(pick(rng, _EXTRAS).format(pkg=r.pkg))
    snippet = None
    if rng.random() < 0.3:
        snippet = fenced(compact_json(_excerpt(r.passes[0], r.view)), "json")
    prompt = assemble(
        rng,
        opening_text=opening(rng, nm),
        facts=[lead],
        request=pick(rng, _ASKS),
        constraints=constraints,
        snippet=snippet,
        snippet_intro=pick(rng, _SNIPPET_INTROS),
    )
    file = r.pkg.replace(".", "-") + ".rego"
    note = pick(rng, _PORTABLE_NOTE if ref_style == "v1" else _CLASSIC_NOTE)
    reference = f"{r.note} {note}\n\n{fenced(reference_module, 'rego')}\n\n" + pick(rng, _PLACEMENT).format(
        type=ptype, file=file
    )
    planted = f"{pick(rng, ('Here you go:', 'Something like this:', 'This should do it:'))}\n\n{fenced(bad_module, 'rego')}\n"
    raw = {
        "id": task_id,
        "kind": "rego",
        "attestor": r.attestor,
        "prompt": prompt,
        "check": {
            "type": "rego",
            "pass": r.passes,
            "deny": denies,
            "policy_check": mode == "portable",
        },
        "reference": reference,
        "planted": planted,
        "tags": ["generated", f"req:{factory.__name__[2:]}", f"mistake:{mistake}", f"mode:{mode}"]
        + (["edge-missing"] if use_edge else []),
        "title": f"{r.attestor}: {rule}"[:160],
    }
    return task_from_mapping(raw, source="generated")


BUILDER = Builder(NAME, "rego", COUNT, build)
