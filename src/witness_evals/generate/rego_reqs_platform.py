"""Rego requirements on where a step ran: github, gitlab, jenkins, aws, aws-codebuild, gcp-iit.

The CI attestors embed the verified OIDC/job token as `jwt` (`{claims, verifiedBy}`, the `jwt`
attestor's predicate); the cloud attestors record the instance identity (REFERENCE §1.4).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from witness_evals.generate.phrasing import pick
from witness_evals.generate.rego_inputs import bases, scenario_bases
from witness_evals.generate.rego_model import (
    Bug,
    Mut,
    Req,
    Rule,
    chain,
    delp,
    edit,
    got,
    md_list,
    q,
    rarr,
    rset,
    setp,
)
from witness_evals.witness.attestors import gcp_iit, jenkins

Maker = Callable[[random.Random], Req]

_ORGS = ("evil-fork", "contoso", "octo-mirror", "someone-else")
_BRANCHES = ("main", "master", "develop", "feature/sbom", "release/1.4")

GH_JWT = (
    "`input.jwt.claims` holds the claims of the GitHub Actions OIDC token that witness verified against "
    "GitHub's JWKS (the `jwt` attestor's predicate embedded in the github attestation)."
)
GL_JWT_NOTE = (
    "Caveat: the gitlab attestor records `jwt` only when the `CI_JOB_JWT` variable is set, and GitLab removed "
    "that variable in 17.0 (witness reads no other token variable); without it `input.jwt` is absent and this "
    "rule denies every attestation (it fails closed)."
)

_GL_NO_JWT = "a pipeline recorded without a job token (no `jwt`)"
"""The deny input of every rule on the gitlab `jwt` claims: go-witness v0.12.0 leaves `JWT` nil when no token
variable is set (attestation/gitlab/gitlab.go, `json:"jwt,omitempty"`), and `GL_JWT_NOTE` says the rule denies."""


def claims(**changes: Any) -> Mut:
    return edit(lambda p: p["jwt"]["claims"].update(changes))


def _build(**changes: str) -> Mut:
    """Another Jenkins build: url/job/number/node changed, the fields Jenkins derives following."""
    return lambda p: jenkins.rebuilt(p, **changes)


def _claims_drop(key: str) -> Mut:
    return edit(lambda p: p["jwt"]["claims"].pop(key, None))


# ---------------------------------------------------------------------------------------------- github


def gh_ref(rng: random.Random) -> Req:
    want = pick(rng, ("main", "master"))
    ref = f"refs/heads/{want}"
    wrong = rng.sample([b for b in _BRANCHES if b != want], 2)
    return Req(
        attestor="github",
        rid="ref",
        param=ref,
        rule=f"the GitHub Actions run must be for the ref `{ref}`",
        ask=f"only accept workflow runs on `{ref}`",
        control=f"Release workflows SHALL run on `{ref}` only.",
        package="github.ref",
        rules=(
            Rule(
                (f"not input.jwt.claims.ref == {q(ref)}",),
                f'sprintf("workflow ran on %v", [{got("input.jwt.claims.ref")}])',
            ),
        ),
        fields=GH_JWT + " `ref` is the full git ref (`refs/heads/...`, `refs/tags/...`).",
        bases=bases(rng, "github", ci="github"),
        good=claims(ref=ref),
        bads=(*(claims(ref=f"refs/heads/{b}") for b in wrong), claims(ref="refs/pull/42/merge")),
        bad_desc=(f"a run on `{wrong[0]}`", f"a run on `{wrong[1]}`", "a pull request run"),
        touches=frozenset({"jwt.ref"}),
        paths=(("input.jwt.claims.ref", "the full git ref of the workflow run"),),
        bugs=(
            Bug(
                "short-name",
                f"not input.jwt.claims.ref == {q(ref)}",
                f"not input.jwt.claims.ref == {q(want)}",
                f"the `ref` claim is the full ref `{ref}`, never the short name `{want}`.",
            ),
        ),
        story=(
            f"Our release workflow can be started from any branch through the Actions UI, and someone ran it "
            f"from `{wrong[0]}`. Only runs for `{want}` (ref `{ref}`) should be able to produce release "
            "attestations that verify.",
        ),
    )


def gh_repo(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "github", ci="github")
    slug = scen[0].repo_slug
    orgs = rng.sample(_ORGS, 2)
    return Req(
        attestor="github",
        rid="repository",
        param=slug,
        rule=f"the GitHub Actions run must come from the repository `{slug}`",
        ask=f"make sure the attestation was produced by a workflow in `{slug}`",
        control=f"Artifacts SHALL be built by workflows of the repository `{slug}`.",
        package="github.repository",
        rules=(
            Rule(
                (f"not input.jwt.claims.repository == {q(slug)}",),
                f'sprintf("workflow ran in %v", [{got("input.jwt.claims.repository")}])',
            ),
        ),
        fields=GH_JWT + " `repository` is `owner/name`.",
        bases=base,
        good=claims(repository=slug, repository_owner=scen[0].org),
        bads=(
            claims(repository=f"{orgs[0]}/{scen[0].project}", repository_owner=orgs[0]),
            claims(repository=f"{orgs[1]}/{scen[0].project}", repository_owner=orgs[1]),
            claims(repository=f"{slug}-fork"),
        ),
        bad_desc=(
            f"a run in `{orgs[0]}/{scen[0].project}`",
            f"a run in `{orgs[1]}/{scen[0].project}`",
            f"a run in `{slug}-fork`",
        ),
        touches=frozenset({"jwt.repository", "jwt.repository_owner"}),
        paths=(("input.jwt.claims.repository", "`owner/name` of the repository that ran the workflow"),),
        bugs=(
            Bug(
                "prefix",
                f"not input.jwt.claims.repository == {q(slug)}",
                f"not startswith(input.jwt.claims.repository, {q(slug)})",
                f"a prefix match also accepts look-alike repositories such as `{slug}-fork`; compare the whole "
                "`owner/name`.",
            ),
        ),
        story=(
            f"A copy of our workflow in another repository produced an artifact that looked like ours. Builds "
            f"must come from GitHub Actions runs of `{slug}` and no other repository, forks included.",
        ),
    )


def gh_event(rng: random.Random) -> Req:
    allowed = pick(rng, (("push",), ("push", "release"), ("push", "workflow_dispatch")))
    return Req(
        attestor="github",
        rid="event",
        param=",".join(allowed),
        rule=f"the workflow must have been triggered by {md_list(list(allowed))}",
        ask=f"only accept runs triggered by {md_list(list(allowed))}",
        control=f"Release workflows SHALL only be triggered by {', '.join(allowed)} events.",
        package="github.event",
        consts=(f"allowed_events := {rset(list(allowed))}",),
        rules=(
            Rule(
                ("not allowed_events[input.jwt.claims.event_name]",),
                f'sprintf("workflow triggered by %v", [{got("input.jwt.claims.event_name")}])',
            ),
        ),
        fields=GH_JWT + " `event_name` is the event that triggered the workflow.",
        bases=bases(rng, "github", ci="github"),
        good=claims(event_name=allowed[0]),
        extra_pass=tuple(claims(event_name=e) for e in allowed[1:]),
        bads=(claims(event_name="pull_request"), claims(event_name="pull_request_target")),
        bad_desc=("a `pull_request` run", "a `pull_request_target` run"),
        touches=frozenset({"jwt.event_name"}),
        paths=(("input.jwt.claims.event_name", "the event that triggered the workflow"),),
        story=(
            f"Our release workflow should only ever run because of {md_list(list(allowed))}. A `pull_request` "
            "run once produced something that ended up in the registry. Other triggers must fail verification.",
        ),
    )


def gh_actor(rng: random.Random) -> Req:
    allowed = sorted(rng.sample(["alice.martin", "bob.nguyen", "hana.sato", "glima", "farah", "dmitri"], 2))
    intruder = pick(rng, ("mallory", "eve-bot", "octocat"))
    return Req(
        attestor="github",
        rid="actor",
        param=",".join(allowed),
        rule=f"the workflow must have been triggered by `{allowed[0]}` or `{allowed[1]}`",
        ask=f"only let release runs started by `{allowed[0]}` or `{allowed[1]}` pass",
        control=f"Only the release managers ({', '.join(allowed)}) SHALL trigger release workflows.",
        package="github.actor",
        consts=(f"release_managers := {rset(allowed)}",),
        rules=(
            Rule(
                ("not release_managers[input.jwt.claims.actor]",),
                f'sprintf("run started by %v", [{got("input.jwt.claims.actor")}])',
            ),
        ),
        fields=GH_JWT + " `actor` is the GitHub login that triggered the run.",
        bases=bases(rng, "github", ci="github"),
        good=claims(actor=allowed[0]),
        extra_pass=(claims(actor=allowed[1]),),
        bads=(claims(actor=intruder),),
        bad_desc=(f"a run started by `{intruder}`",),
        touches=frozenset({"jwt.actor"}),
        paths=(("input.jwt.claims.actor", "the login that triggered the run"),),
    )


def gh_hosted(rng: random.Random) -> Req:
    return Req(
        attestor="github",
        rid="github-hosted",
        param="github-hosted",
        rule="the job must have run on a GitHub-hosted runner (not self-hosted)",
        ask="reject runs on self-hosted runners",
        control="Release builds SHALL run on ephemeral GitHub-hosted runners.",
        package="github.runner",
        rules=(
            Rule(
                ('not input.jwt.claims.runner_environment == "github-hosted"',),
                f'sprintf("runner environment %v", [{got("input.jwt.claims.runner_environment", "unknown")}])',
            ),
        ),
        fields=GH_JWT + " `runner_environment` is `github-hosted` or `self-hosted`.",
        bases=bases(rng, "github", ci="github"),
        good=claims(runner_environment="github-hosted"),
        bads=(claims(runner_environment="self-hosted"), _claims_drop("runner_environment")),
        bad_desc=("a self-hosted runner", "a token without `runner_environment`"),
        touches=frozenset({"jwt.runner_environment"}),
        paths=(("input.jwt.claims.runner_environment", "`github-hosted` or `self-hosted`"),),
        bugs=(
            Bug(
                "neq-missing",
                'not input.jwt.claims.runner_environment == "github-hosted"',
                'input.jwt.claims.runner_environment != "github-hosted"',
                "`x != v` is undefined when the claim is missing, so a token without `runner_environment` is "
                "never denied; `not x == v` is true in that case.",
            ),
        ),
        story=(
            "We only trust GitHub's own hosted runners for releases; a self-hosted box someone registered "
            "picked up the release job last month. Anything whose runner environment isn't `github-hosted` "
            "should be rejected.",
        ),
    )


def gh_protected(rng: random.Random) -> Req:
    return Req(
        attestor="github",
        rid="ref-protected",
        param="true",
        rule="the ref the workflow ran on must be protected",
        ask="only accept runs on protected branches or tags",
        control="Release workflows SHALL only run on protected refs.",
        package="github.protected",
        rules=(
            Rule(
                ('not input.jwt.claims.ref_protected == "true"',),
                f'sprintf("ref %v is not protected", [{got("input.jwt.claims.ref")}])',
            ),
        ),
        fields=GH_JWT + ' `ref_protected` is a *string*, `"true"` or `"false"`.',
        bases=bases(rng, "github", ci="github"),
        good=claims(ref_protected="true"),
        bads=(claims(ref_protected="false"),),
        bad_desc=("a run on an unprotected branch",),
        touches=frozenset({"jwt.ref_protected"}),
        paths=(("input.jwt.claims.ref_protected", 'the string "true" or "false"'),),
        bugs=(
            Bug(
                "bool",
                'not input.jwt.claims.ref_protected == "true"',
                "not input.jwt.claims.ref_protected == true",
                'the claim is the string `"true"`, and in Rego the boolean `true` is not equal to the string '
                '`"true"`, so every run is denied.',
            ),
        ),
    )


def gh_tag_release(rng: random.Random) -> Req:
    return Req(
        attestor="github",
        rid="semver-tag-ref",
        param="refs/tags/vX.Y.Z",
        rule="the run must be for a tag of the form `refs/tags/vMAJOR.MINOR.PATCH`",
        ask="only accept release runs for semantic-version tags like `v1.8.0`",
        control="Release artifacts SHALL be built from `vMAJOR.MINOR.PATCH` tags.",
        package="github.release_tag",
        rules=(
            Rule(
                (r"not regex.match(`^refs/tags/v[0-9]+\.[0-9]+\.[0-9]+$`, input.jwt.claims.ref)",),
                f'sprintf("ref %v is not a release tag", [{got("input.jwt.claims.ref")}])',
            ),
        ),
        fields=GH_JWT + " `ref` is the full ref; for a tag push it is `refs/tags/<tag>`.",
        bases=bases(rng, "github", ci="github"),
        good=claims(ref="refs/tags/v1.8.0", ref_type="tag"),
        extra_pass=(claims(ref="refs/tags/v2.10.3", ref_type="tag"),),
        bads=(
            claims(ref="refs/heads/main", ref_type="branch"),
            claims(ref="refs/tags/nightly", ref_type="tag"),
            claims(ref="refs/tags/v1.8.0-rc1", ref_type="tag"),
        ),
        bad_desc=("a run on `main`", "a `nightly` tag", "a `v1.8.0-rc1` tag"),
        touches=frozenset({"jwt.ref", "jwt.ref_type"}),
        paths=(("input.jwt.claims.ref", "the full git ref of the workflow run"),),
        bugs=(
            Bug(
                "prefix-only",
                r"not regex.match(`^refs/tags/v[0-9]+\.[0-9]+\.[0-9]+$`, input.jwt.claims.ref)",
                'not startswith(input.jwt.claims.ref, "refs/tags/")',
                "checking only the `refs/tags/` prefix lets any tag through (`nightly`, `v1.8.0-rc1`).",
            ),
        ),
        story=(
            "Releases are published by pushing a `vMAJOR.MINOR.PATCH` tag, which starts the workflow. Runs for "
            "branches, or for tags such as `v2.0.0-beta` or `nightly`, must not produce anything that verifies.",
        ),
    )


def gh_reusable_workflow(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "github", ci="github")
    org = scen[0].org
    want = f"{org}/.github/.github/workflows/release.yml@refs/heads/main"
    return Req(
        attestor="github",
        rid="job-workflow",
        param=want,
        rule=f"the job must run the central reusable workflow `{want}`",
        ask=f"require that the build job came from our shared workflow `{want}`",
        control=f"Release jobs SHALL be defined by the organisation's reviewed workflow `{want}`.",
        package="github.job_workflow",
        rules=(
            Rule(
                (f"not input.jwt.claims.job_workflow_ref == {q(want)}",),
                f'sprintf("job defined by %v", [{got("input.jwt.claims.job_workflow_ref")}])',
            ),
        ),
        fields=GH_JWT + " `job_workflow_ref` names the workflow file that defined the job "
        "(`owner/repo/path@ref`), which for a reusable workflow is the called one.",
        bases=base,
        good=claims(job_workflow_ref=want),
        bads=(
            claims(job_workflow_ref=f"{scen[0].repo_slug}/.github/workflows/build.yml@refs/heads/main"),
            claims(job_workflow_ref=f"{org}/.github/.github/workflows/release.yml@refs/heads/dev"),
        ),
        bad_desc=(
            "a job defined in the repository's own workflow",
            "the shared workflow from a `dev` branch",
        ),
        touches=frozenset({"jwt.job_workflow_ref"}),
        paths=(
            (
                "input.jwt.claims.job_workflow_ref",
                "`owner/repo/path@ref` of the workflow that defined the job",
            ),
        ),
        story=(
            f"All our repositories are supposed to build releases through the central reusable workflow "
            f"`{want}`. Some teams copy-pasted it and changed it. Only runs of the central workflow should verify.",
        ),
    )


def gh_owner_id(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "github", ci="github")
    owner_id = str(rng.randint(10**6, 10**8))
    return Req(
        attestor="github",
        rid="owner-id",
        param=owner_id,
        rule=f"the repository owner's numeric id must be `{owner_id}` (so a renamed or re-registered "
        f"`{scen[0].org}` account does not pass)",
        ask=f"pin the repository owner by its immutable id `{owner_id}`, not just by name",
        control=f"Builds SHALL come from repositories owned by the account with id `{owner_id}`.",
        package="github.owner",
        rules=(
            Rule(
                (f"not input.jwt.claims.repository_owner_id == {q(owner_id)}",),
                f'sprintf("repository owner id %v", [{got("input.jwt.claims.repository_owner_id")}])',
            ),
        ),
        fields=GH_JWT + " `repository_owner_id` is the owner's numeric id as a string; unlike the name it "
        "never changes.",
        bases=base,
        good=claims(repository_owner_id=owner_id, repository_owner=scen[0].org),
        bads=(claims(repository_owner_id=str(int(owner_id) + 7919), repository_owner=scen[0].org),),
        bad_desc=(f"a look-alike `{scen[0].org}` account with another id",),
        touches=frozenset({"jwt.repository_owner_id", "jwt.repository_owner"}),
        paths=(
            ("input.jwt.claims.repository_owner_id", "the repository owner's immutable numeric id (string)"),
        ),
        bugs=(
            Bug(
                "number",
                f"not input.jwt.claims.repository_owner_id == {q(owner_id)}",
                f"not input.jwt.claims.repository_owner_id == {owner_id}",
                "the claim is a string; the number literal never equals it, so every run is denied.",
            ),
        ),
    )


def gh_runner_os(rng: random.Random) -> Req:
    return Req(
        attestor="github",
        rid="runner-os",
        param="Linux",
        rule="the job must have run on a Linux runner",
        ask="make sure the job ran on a Linux runner",
        control="Release jobs SHALL run on Linux runners.",
        package="github.runner_os",
        rules=(Rule(('input.runneros != "Linux"',), 'sprintf("job ran on %v", [input.runneros])'),),
        fields="`input.runneros` is the runner's `RUNNER_OS` (`Linux`, `Windows`, `macOS`); `input.runnerarch` "
        "is `RUNNER_ARCH`.",
        bases=bases(rng, "github", ci="github"),
        good=setp("runneros", value="Linux"),
        bads=(setp("runneros", value="Windows"), setp("runneros", value="macOS")),
        bad_desc=("a Windows runner", "a macOS runner"),
        touches=frozenset({"runneros"}),
        paths=(("input.runneros", "the runner OS (`RUNNER_OS`)"),),
        bugs=(
            Bug(
                "case",
                'input.runneros != "Linux"',
                'input.runneros != "linux"',
                "`RUNNER_OS` is capitalised (`Linux`), so comparing with `linux` denies every run.",
            ),
        ),
    )


# ---------------------------------------------------------------------------------------------- gitlab


def gl_ref(rng: random.Random) -> Req:
    want = pick(rng, ("main", "master"))
    wrong = rng.sample([b for b in _BRANCHES if b != want], 2)
    return Req(
        attestor="gitlab",
        rid="ref",
        param=want,
        rule=f"the GitLab pipeline must run for the branch `{want}`",
        ask=f"only accept pipelines on `{want}`",
        control=f"Release pipelines SHALL run on `{want}`.",
        package="gitlab.ref",
        rules=(Rule((f"not input.jwt.claims.ref == {q(want)}",), q(f"pipeline did not run on {want}")),),
        fields="`input.jwt.claims` holds the claims of the verified GitLab job JWT; `ref` is the short branch "
        "or tag name.",
        bases=bases(rng, "gitlab", ci="gitlab"),
        good=claims(ref=want),
        bads=(*(claims(ref=b) for b in wrong), delp("jwt")),
        bad_desc=(*(f"a pipeline on `{b}`" for b in wrong), _GL_NO_JWT),
        touches=frozenset({"jwt.ref"}),
        note=GL_JWT_NOTE,
        paths=(("input.jwt.claims.ref", "the branch or tag name of the pipeline"),),
        story=(
            f"In GitLab, anyone with developer access can run the release job on their branch. Only pipelines "
            f"for `{want}` should produce attestations that pass verification.",
        ),
    )


def gl_project(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "gitlab", ci="gitlab")
    slug = scen[0].repo_slug
    orgs = rng.sample(_ORGS, 2)
    return Req(
        attestor="gitlab",
        rid="project",
        param=slug,
        rule=f"the GitLab pipeline must belong to the project `{slug}`",
        ask=f"check that the pipeline ran in `{slug}`",
        control=f"Artifacts SHALL be built by pipelines of the project `{slug}`.",
        package="gitlab.project",
        rules=(
            Rule((f"not input.jwt.claims.project_path == {q(slug)}",), q(f"pipeline is not from {slug}")),
        ),
        fields="`input.jwt.claims.project_path` is the `group/project` path from the job JWT.",
        bases=base,
        good=claims(project_path=slug, namespace_path=scen[0].org),
        bads=(
            claims(project_path=f"{orgs[0]}/{scen[0].project}", namespace_path=orgs[0]),
            claims(project_path=f"{slug}-fork"),
            delp("jwt"),
        ),
        bad_desc=(f"a pipeline in `{orgs[0]}/{scen[0].project}`", f"a pipeline in `{slug}-fork`", _GL_NO_JWT),
        touches=frozenset({"jwt.project_path", "jwt.namespace_path"}),
        note=GL_JWT_NOTE + " On GitLab 17+ compare `input.projecturl` (from `CI_PROJECT_URL`) instead.",
        paths=(("input.jwt.claims.project_path", "`group/project` of the pipeline"),),
        story=(
            f"A fork of our GitLab project ran the same pipeline and produced an identical-looking artifact. "
            f"Only pipelines of `{slug}` may count.",
        ),
    )


def gl_source(rng: random.Random) -> Req:
    return Req(
        attestor="gitlab",
        rid="pipeline-source",
        param="push",
        rule="only GitLab pipelines started by a `push` are allowed",
        ask="reject scheduled, manual (web) and API-triggered pipelines",
        control="Release pipelines SHALL only be started by pushes.",
        package="gitlab.source",
        rules=(
            Rule(
                ('not input.jwt.claims.pipeline_source == "push"',),
                f'sprintf("pipeline started by %v", [{got("input.jwt.claims.pipeline_source")}])',
            ),
        ),
        fields="`input.jwt.claims.pipeline_source` says what started the pipeline (`push`, `web`, `schedule`, "
        "`api`, ...).",
        bases=bases(rng, "gitlab", ci="gitlab"),
        good=claims(pipeline_source="push"),
        bads=(claims(pipeline_source="schedule"), claims(pipeline_source="web"), delp("jwt")),
        bad_desc=("a scheduled pipeline", "a pipeline started from the web UI", _GL_NO_JWT),
        touches=frozenset({"jwt.pipeline_source"}),
        note=GL_JWT_NOTE,
        paths=(("input.jwt.claims.pipeline_source", "what started the pipeline"),),
    )


def gl_stage(rng: random.Random) -> Req:
    want = pick(rng, ("build", "package", "release"))
    return Req(
        attestor="gitlab",
        rid="stage",
        param=want,
        rule=f"the GitLab job must be in the `{want}` stage",
        ask=f"make sure the attestation came from a job of the `{want}` stage",
        control=f"Release artifacts SHALL be produced in the `{want}` stage.",
        package="gitlab.stage",
        rules=(
            Rule(
                (f"not input.jobstage == {q(want)}",),
                f'sprintf("job is in stage %v", [{got("input.jobstage")}])',
            ),
        ),
        fields="`input.jobstage` is the job's stage (`CI_JOB_STAGE`); `input.jobname` is `CI_JOB_NAME`.",
        bases=bases(rng, "gitlab", ci="gitlab"),
        good=setp("jobstage", value=want),
        bads=(setp("jobstage", value="test"), setp("jobstage", value="deploy")),
        bad_desc=("a job in the `test` stage", "a job in the `deploy` stage"),
        touches=frozenset({"jobstage"}),
        paths=(("input.jobstage", "the job's stage (`CI_JOB_STAGE`)"),),
        story=(
            f"The attestation we verify for releases must come from a job in the `{want}` stage of our "
            "`.gitlab-ci.yml`; jobs from other stages (tests, linters) shouldn't be usable for that step.",
        ),
    )


def gl_image_digest(rng: random.Random) -> Req:
    image = pick(rng, ("golang:1.22", "node:20-alpine", "maven:3.9-eclipse-temurin-17", "python:3.12-slim"))
    digest = "sha256:" + "".join(pick(rng, "0123456789abcdef") for _ in range(64))
    return Req(
        attestor="gitlab",
        rid="job-image-digest",
        param=image,
        rule="the job's container image must be pinned by digest (`image@sha256:...`)",
        ask="only accept jobs whose image is referenced by digest",
        control="CI job images SHALL be referenced by immutable digest.",
        package="gitlab.image",
        rules=(
            Rule(
                ('not contains(input.jobimage, "@sha256:")',),
                f'sprintf("job image %v is not pinned by digest", [{got("input.jobimage")}])',
            ),
        ),
        fields="`input.jobimage` is the job's image as written in `.gitlab-ci.yml` (`CI_JOB_IMAGE`).",
        bases=bases(rng, "gitlab", ci="gitlab"),
        good=setp("jobimage", value=f"{image}@{digest}"),
        bads=(setp("jobimage", value=image), setp("jobimage", value=image.split(":")[0] + ":latest")),
        bad_desc=(f"image `{image}`", f"image `{image.split(':')[0]}:latest`"),
        touches=frozenset({"jobimage"}),
        paths=(("input.jobimage", "the job's container image (`CI_JOB_IMAGE`)"),),
        story=(
            f"Our GitLab jobs use `image: {image}`, and that tag moved under us once. I'd like verification to "
            "fail whenever the job ran in an image that wasn't pinned by a `@sha256:` digest.",
        ),
    )


def gl_server(rng: random.Random) -> Req:
    org = pick(rng, ("acme", "globex", "initech", "hooli"))
    want = f"https://gitlab.{org}.com"
    return Req(
        attestor="gitlab",
        rid="server",
        param=want,
        rule=f"the pipeline must have run on our self-managed GitLab at `{want}`",
        ask=f"only accept pipelines from our GitLab instance `{want}`",
        control=f"Builds SHALL run on the organisation's GitLab instance `{want}`.",
        package="gitlab.instance",
        rules=(
            Rule(
                (f"not input.ciserverurl == {q(want)}",),
                f'sprintf("pipeline ran on %v", [{got("input.ciserverurl")}])',
            ),
        ),
        fields="`input.ciserverurl` is the GitLab instance URL (`CI_SERVER_URL`), `input.cihost` its host.",
        bases=bases(rng, "gitlab", ci="gitlab"),
        good=setp("ciserverurl", value=want),
        bads=(
            setp("ciserverurl", value="https://gitlab.com"),
            setp("ciserverurl", value=f"https://gitlab.{org}.com.attacker.io"),
        ),
        bad_desc=("a pipeline on gitlab.com", f"a pipeline on `gitlab.{org}.com.attacker.io`"),
        touches=frozenset({"ciserverurl"}),
        paths=(("input.ciserverurl", "the GitLab instance URL (`CI_SERVER_URL`)"),),
        bugs=(
            Bug(
                "prefix",
                f"not input.ciserverurl == {q(want)}",
                f"not startswith(input.ciserverurl, {q(want)})",
                f"a prefix match accepts `{want}.attacker.io`; compare the whole URL.",
            ),
        ),
    )


# ---------------------------------------------------------------------------------------------- jenkins


def jk_node(rng: random.Random) -> Req:
    node = pick(rng, ("linux-agent-1", "k8s-agent-x7h2p", "docker-agent"))
    return Req(
        attestor="jenkins",
        rid="node",
        param="built-in",
        rule="the Jenkins build must not run on the `built-in` (controller) node",
        ask="reject builds that ran on the Jenkins controller itself",
        control="Builds SHALL NOT execute on the Jenkins controller.",
        package="jenkins.node",
        rules=(Rule(('input.nodename == "built-in"',), q("build ran on the Jenkins controller")),),
        fields="`input.nodename` is the Jenkins node (`NODE_NAME`) that ran the build; the controller is "
        "`built-in`.",
        bases=bases(rng, "jenkins", ci="jenkins"),
        good=_build(node=node),
        bads=(_build(node="built-in"),),
        bad_desc=("a build on the controller",),
        touches=frozenset({"nodename"}),
        paths=(("input.nodename", "the Jenkins node that ran the build (`NODE_NAME`)"),),
        story=(
            "Builds must never run on the Jenkins controller itself, only on agents (we had a job with no "
            "agent label that quietly ran on the controller). Reject anything built on the `built-in` node.",
        ),
    )


def jk_url(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "jenkins", ci="jenkins")
    want = f"https://{scen[0].ci_host}/"
    others = [f"https://jenkins-{x}.{scen[0].org}.com/" for x in ("old", "dev")]
    return Req(
        attestor="jenkins",
        rid="url",
        param=want,
        rule=f"the build must come from the Jenkins instance `{want}`",
        ask=f"only trust builds from `{want}`",
        control=f"Builds SHALL be produced by the managed Jenkins at `{want}`.",
        package="jenkins.instance",
        rules=(
            Rule(
                (f"not input.jenkinsurl == {q(want)}",),
                f'sprintf("build is from %v", [{got("input.jenkinsurl")}])',
            ),
        ),
        fields="`input.jenkinsurl` is the Jenkins URL (`JENKINS_URL`, with its trailing slash).",
        bases=base,
        good=_build(url=want),
        bads=tuple(_build(url=u) for u in others),
        bad_desc=tuple(f"a build from `{u}`" for u in others),
        touches=frozenset({"jenkinsurl"}),
        paths=(("input.jenkinsurl", "the Jenkins URL (`JENKINS_URL`)"),),
    )


def jk_folder(rng: random.Random) -> Req:
    folder = pick(rng, ("release", "prod", "platform"))
    return Req(
        attestor="jenkins",
        rid="folder",
        param=f"{folder}/",
        rule=f"the Jenkins job must live in the `{folder}` folder (job name `{folder}/...`)",
        ask=f"only accept jobs from the `{folder}` folder",
        control=f"Release builds SHALL run from jobs in the controlled `{folder}` folder.",
        package="jenkins.folder",
        rules=(
            Rule(
                (f"not startswith(input.jobname, {q(folder + '/')})",),
                'sprintf("job %v is outside the ' + folder + f' folder", [{got("input.jobname")}])',
            ),
        ),
        fields="`input.jobname` is the full Jenkins `JOB_NAME`, folders included (`folder/job/branch`).",
        bases=bases(rng, "jenkins", ci="jenkins"),
        good=_build(job=f"{folder}/payments/main"),
        bads=(
            _build(job="sandbox/payments/main"),
            _build(job=f"{folder}-old/payments/main"),
        ),
        bad_desc=("a job in `sandbox/`", f"a job in `{folder}-old/`"),
        touches=frozenset({"jobname"}),
        paths=(("input.jobname", "the full Jenkins job name (`JOB_NAME`)"),),
        bugs=(
            Bug(
                "no-slash",
                f"not startswith(input.jobname, {q(folder + '/')})",
                f"not startswith(input.jobname, {q(folder)})",
                f"without the trailing `/` the prefix also matches `{folder}-old/...`.",
            ),
        ),
        story=(
            f"On our Jenkins, only jobs inside the `{folder}` folder (job names `{folder}/...`) are locked down "
            "(restricted config, approved credentials). A release built by a job outside that folder must not "
            "verify.",
        ),
    )


# ---------------------------------------------------------------------------------------------- aws


def _aws(**changes: Any) -> Mut:
    """Change identity-document fields and keep `rawiid` (the signed document) consistent."""

    def run(p: Any) -> None:
        p.update(changes)
        raw = json.loads(p["rawiid"])
        raw.update({k: v for k, v in changes.items() if k in raw})
        p["rawiid"] = json.dumps(raw, indent=2)

    return edit(run)


def aws_account(rng: random.Random) -> Req:
    account = str(rng.randint(10**11, 10**12 - 1))
    return Req(
        attestor="aws",
        rid="account",
        param=account,
        rule=f"the build instance must belong to AWS account `{account}`",
        ask=f"make sure the EC2 builder ran in account `{account}`",
        control=f"Release builds SHALL run in the build account `{account}`.",
        package="aws.account",
        rules=(
            Rule(
                (f"not input.accountId == {q(account)}",),
                f'sprintf("instance is in account %v", [{got("input.accountId")}])',
            ),
        ),
        fields="The aws predicate carries the EC2 instance identity document fields at the top level "
        "(camelCase): `accountId`, `region`, `instanceType`, `imageId`, ...",
        bases=bases(rng, "aws"),
        good=_aws(accountId=account),
        bads=(_aws(accountId=str(int(account) + 1)),),
        bad_desc=("an instance in another account",),
        touches=frozenset({"accountId"}),
        paths=(("input.accountId", "the AWS account id of the instance"),),
        bugs=(
            Bug(
                "snake-case",
                f"not input.accountId == {q(account)}",
                f"not input.account_id == {q(account)}",
                "the fields keep AWS's camelCase names (`accountId`); `account_id` is undefined, so every "
                "attestation is denied.",
            ),
        ),
    )


def aws_region(rng: random.Random) -> Req:
    allowed = sorted(rng.sample(["eu-west-1", "eu-central-1", "us-east-1", "us-west-2"], 2))
    other = pick(rng, [r for r in ("ap-southeast-2", "sa-east-1", "eu-north-1") if r not in allowed])
    return Req(
        attestor="aws",
        rid="region",
        param=",".join(allowed),
        rule=f"the instance must run in {md_list(allowed)}",
        ask=f"restrict builds to the regions {md_list(allowed)}",
        control=f"Builds SHALL run in approved regions only ({', '.join(allowed)}).",
        package="aws.region",
        consts=(f"allowed_regions := {rset(allowed)}",),
        rules=(
            Rule(
                ("not allowed_regions[input.region]",),
                f'sprintf("instance ran in %v", [{got("input.region")}])',
            ),
        ),
        fields="`input.region` is the instance's region from the identity document (`availabilityZone` "
        "adds the zone letter).",
        bases=bases(rng, "aws"),
        good=_aws(region=allowed[0], availabilityZone=allowed[0] + "a"),
        extra_pass=(_aws(region=allowed[1], availabilityZone=allowed[1] + "b"),),
        bads=(_aws(region=other, availabilityZone=other + "a"),),
        bad_desc=(f"an instance in `{other}`",),
        touches=frozenset({"region", "availabilityZone"}),
        paths=(("input.region", "the AWS region of the instance"),),
        story=(
            f"Data-residency rules say our release builders run in {md_list(allowed)} only. A builder in "
            f"`{other}` produced an artifact by mistake; that should fail verification.",
        ),
    )


def aws_instance_family(rng: random.Random) -> Req:
    fams = sorted(rng.sample(["m5.", "m6i.", "c6i.", "c7g.", "r6i."], 2))
    return Req(
        attestor="aws",
        rid="instance-family",
        param=",".join(fams),
        rule=f"the instance type must be from the {md_list([f + '*' for f in fams])} families",
        ask=f"only accept builders of the {md_list([f.rstrip('.') for f in fams])} instance families",
        control=f"Build instances SHALL be of the approved families ({', '.join(f.rstrip('.') for f in fams)}).",
        package="aws.instance",
        rules=(
            Rule(
                (f"not strings.any_prefix_match(input.instanceType, {rarr(fams)})",),
                f'sprintf("instance type %v is not approved", [{got("input.instanceType")}])',
            ),
        ),
        fields="`input.instanceType` is the EC2 instance type (e.g. `m5.large`); matching the family prefix "
        "with its dot avoids `m5` also matching `m5a`.",
        bases=bases(rng, "aws"),
        good=_aws(instanceType=f"{fams[0]}large"),
        extra_pass=(_aws(instanceType=f"{fams[1]}2xlarge"),),
        bads=(_aws(instanceType="t3.micro"), _aws(instanceType=fams[0].rstrip(".") + "a.large")),
        bad_desc=("a `t3.micro`", f"an `{fams[0].rstrip('.')}a.large`"),
        touches=frozenset({"instanceType"}),
        paths=(("input.instanceType", "the EC2 instance type"),),
    )


def aws_ami(rng: random.Random) -> Req:
    amis = sorted("ami-" + "".join(pick(rng, "0123456789abcdef") for _ in range(17)) for _ in range(2))
    return Req(
        attestor="aws",
        rid="ami",
        param=",".join(amis),
        rule=f"the instance must have booted one of the hardened images {md_list(amis)}",
        ask=f"only accept builders started from our golden AMIs {md_list(amis)}",
        control=f"Build instances SHALL boot an approved golden image ({', '.join(amis)}).",
        package="aws.ami",
        consts=(f"golden_amis := {rset(amis)}",),
        rules=(
            Rule(
                ("not golden_amis[input.imageId]",),
                f'sprintf("instance booted %v", [{got("input.imageId")}])',
            ),
        ),
        fields="`input.imageId` is the AMI the instance was launched from.",
        bases=bases(rng, "aws"),
        good=_aws(imageId=amis[0]),
        extra_pass=(_aws(imageId=amis[1]),),
        bads=(_aws(imageId="ami-0abcdef1234567890"),),
        bad_desc=("an instance from another AMI",),
        touches=frozenset({"imageId"}),
        paths=(("input.imageId", "the AMI id the instance booted"),),
    )


def aws_arch(rng: random.Random) -> Req:
    want = pick(rng, ("arm64", "x86_64"))
    other = "x86_64" if want == "arm64" else "arm64"
    return Req(
        attestor="aws",
        rid="architecture",
        param=want,
        rule=f"the build instance's architecture must be `{want}`",
        ask=f"make sure the artifact was built on an `{want}` instance",
        control=f"Builds for this product SHALL run on `{want}` instances.",
        package="aws.arch",
        rules=(
            Rule(
                (f"input.architecture != {q(want)}",),
                'sprintf("instance architecture %v", [input.architecture])',
            ),
        ),
        fields="`input.architecture` is the instance architecture from the identity document (`x86_64` or "
        "`arm64`).",
        bases=bases(rng, "aws"),
        good=_aws(architecture=want),
        bads=(_aws(architecture=other),),
        bad_desc=(f"an `{other}` instance",),
        touches=frozenset({"architecture"}),
        paths=(("input.architecture", "the instance architecture"),),
    )


# ---------------------------------------------------------------------------------------------- aws-codebuild


def _cb(**changes: Any) -> Mut:
    return edit(lambda p: p["build_info"].update(changes))


def _cb_drop(*keys: str) -> Mut:
    return edit(lambda p: [p["build_info"].pop(k, None) for k in keys])


def _cb_project(project: str) -> Mut:
    """The build of CodeBuild project `project`: `CODEBUILD_BUILD_ID` (and the build ARN) is `<project>:<uuid>`.
    `project_name` is dropped: go-witness v0.12.0 reads it from `CODEBUILD_PROJECT_NAME` (attestation/aws-codebuild
    aws-codebuild.go), which CodeBuild does not set (its variables name the project only in `CODEBUILD_BUILD_ID`,
    `CODEBUILD_BUILD_ARN` and `CODEBUILD_PROJECT_ARN`), and the field is `omitempty`."""

    def run(p: Any) -> None:
        info = p["build_info"]
        uuid = info["build_id"].split(":", 1)[-1]
        info["build_id"] = f"{project}:{uuid}"
        if "build_arn" in info:
            info["build_arn"] = info["build_arn"].rsplit("/", 1)[0] + f"/{project}:{uuid}"
        info.pop("project_name", None)

    return edit(run)


def cb_project(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "aws-codebuild", ci="aws-codebuild")
    want = f"{scen[0].project}-release"
    return Req(
        attestor="aws-codebuild",
        rid="project",
        param=want,
        rule=f"the CodeBuild project must be exactly `{want}`",
        ask=f"only accept builds of the CodeBuild project `{want}`",
        control=f"Release artifacts SHALL be built by the CodeBuild project `{want}`.",
        package="codebuild.project",
        rules=(
            Rule(
                (f"not startswith(input.build_info.build_id, {q(want + ':')})",),
                f'sprintf("build %v is not from project {want}", [{got("input.build_info.build_id")}])',
            ),
        ),
        fields="The aws-codebuild attestor puts the `CODEBUILD_*` values in `input.build_info` (snake_case keys "
        "such as `build_id`, `initiator`, `source_version`, `webhook_event`), all but `build_id` omitted when "
        "empty. `build_id` is `CODEBUILD_BUILD_ID`, `<project>:<build uuid>`, so the project is the part before "
        "the colon.",
        note="Don't compare `input.build_info.project_name`: witness fills it from `CODEBUILD_PROJECT_NAME`, a "
        "variable CodeBuild does not set, so it is missing unless you export it in the buildspec.",
        bases=base,
        good=_cb_project(want),
        bads=(_cb_project(f"{want}-test"), _cb_project(scen[0].project)),
        bad_desc=(f"project `{want}-test`", f"project `{scen[0].project}`"),
        touches=frozenset({"build_info.build_id", "build_info.build_arn", "build_info.project_name"}),
        paths=(("input.build_info.build_id", "the CodeBuild build id, `<project>:<build uuid>`"),),
        bugs=(
            Bug(
                "no-colon",
                f"not startswith(input.build_info.build_id, {q(want + ':')})",
                f"not startswith(input.build_info.build_id, {q(want)})",
                f"without the `:` the prefix also matches builds of `{want}-test` and any other project whose name "
                f"starts with `{want}`.",
            ),
        ),
    )


def cb_initiator(rng: random.Random) -> Req:
    return Req(
        attestor="aws-codebuild",
        rid="initiator",
        param="codepipeline/",
        rule="the build must have been started by CodePipeline (initiator `codepipeline/...`)",
        ask="reject CodeBuild runs that someone started by hand instead of the pipeline",
        control="Release builds SHALL only be started by the release pipeline.",
        package="codebuild.initiator",
        rules=(
            Rule(
                ('not startswith(input.build_info.initiator, "codepipeline/")',),
                f'sprintf("build started by %v", [{got("input.build_info.initiator", "(unknown)")}])',
            ),
        ),
        fields="`input.build_info.initiator` is `CODEBUILD_INITIATOR`: `codepipeline/<pipeline>` for pipeline "
        "runs, an IAM user or role name for manual starts.",
        bases=bases(rng, "aws-codebuild", ci="aws-codebuild"),
        good=_cb(initiator="codepipeline/release-pipeline"),
        bads=(_cb(initiator="root"), _cb(initiator="ops-admin"), _cb_drop("initiator")),
        bad_desc=(
            "a build started by `root`",
            "a build started by `ops-admin`",
            "a build without `initiator`",
        ),
        touches=frozenset({"build_info.initiator"}),
        paths=(("input.build_info.initiator", "who started the build (`CODEBUILD_INITIATOR`)"),),
    )


def cb_webhook_push(rng: random.Random) -> Req:
    branch = pick(rng, ("main", "master"))
    ref = f"refs/heads/{branch}"
    return Req(
        attestor="aws-codebuild",
        rid="webhook-push",
        param=ref,
        rule=f"the build must come from a webhook `PUSH` event on `{ref}`",
        ask=f"only accept CodeBuild runs started by a push to `{branch}` through the webhook",
        control=f"Release builds SHALL be triggered by pushes to `{branch}` only.",
        package="codebuild.webhook",
        rules=(
            Rule(
                ('not input.build_info.webhook_event == "PUSH"',),
                f'sprintf("webhook event %v", [{got("input.build_info.webhook_event")}])',
            ),
            Rule(
                (f"not input.build_info.webhook_head_ref == {q(ref)}",),
                f'sprintf("webhook ref %v", [{got("input.build_info.webhook_head_ref")}])',
            ),
        ),
        fields="`input.build_info.webhook_event` and `webhook_head_ref` come from `CODEBUILD_WEBHOOK_EVENT` "
        "and `CODEBUILD_WEBHOOK_HEAD_REF`; both are omitted for builds not started by a webhook, which "
        "`not ... ==` denies too.",
        bases=bases(rng, "aws-codebuild", ci="aws-codebuild"),
        good=_cb(webhook_event="PUSH", webhook_head_ref=ref),
        bads=(
            _cb_drop("webhook_event", "webhook_head_ref"),
            _cb(webhook_event="PULL_REQUEST_UPDATED", webhook_head_ref="refs/heads/feature/x"),
            _cb(webhook_event="PUSH", webhook_head_ref="refs/heads/develop"),
        ),
        bad_desc=("a manual start without webhook data", "a pull request build", "a push to `develop`"),
        touches=frozenset({"build_info.webhook_event", "build_info.webhook_head_ref"}),
        paths=(
            ("input.build_info.webhook_event", "the webhook event (`CODEBUILD_WEBHOOK_EVENT`)"),
            ("input.build_info.webhook_head_ref", "the webhook's head ref"),
        ),
        bugs=(
            Bug(
                "case",
                'not input.build_info.webhook_event == "PUSH"',
                'not input.build_info.webhook_event == "push"',
                "CodeBuild reports webhook events in upper case (`PUSH`, `PULL_REQUEST_CREATED`, ...), so "
                "comparing with `push` denies every build.",
            ),
        ),
    )


def cb_source_repo(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "aws-codebuild", ci="aws-codebuild")
    want = scen[0].repo_url
    return Req(
        attestor="aws-codebuild",
        rid="source-repo",
        param=want,
        rule=f"the CodeBuild source repository must be `{want}`",
        ask=f"check that CodeBuild checked out `{want}`",
        control=f"Builds SHALL use the source repository `{want}`.",
        package="codebuild.source",
        rules=(
            Rule(
                (f"not input.build_info.source_repo == {q(want)}",),
                f'sprintf("source repository %v", [{got("input.build_info.source_repo")}])',
            ),
        ),
        fields="`input.build_info.source_repo` is `CODEBUILD_SOURCE_REPO_URL`; `source_version` is the commit "
        "or ref.",
        bases=base,
        good=_cb(source_repo=want),
        bads=(
            _cb(source_repo=f"https://github.com/{pick(rng, _ORGS)}/{scen[0].project}.git"),
            _cb_drop("source_repo"),
        ),
        bad_desc=("a build of a fork", "a build without `source_repo`"),
        touches=frozenset({"build_info.source_repo"}),
        paths=(("input.build_info.source_repo", "the source repository URL"),),
    )


# ---------------------------------------------------------------------------------------------- gcp-iit


_GCP_SHAPE = (
    "witness v0.12 only writes a gcp-iit attestation when the identity token has no `google` claim (it "
    "reads `google.zone` etc. one level too high and panics otherwise), so `input.jwt.claims.google` is "
    "never there. "
)


def _zone(project_number: str | None = None, zone: str | None = None) -> Mut:
    """Set the metadata-path `zone` (`projects/<number>/zones/<zone>`), keeping the part not given."""

    def change(p: Any) -> None:
        _, number, _, old = p["zone"].split("/")
        p["zone"] = f"projects/{project_number or number}/zones/{zone or old}"

    return edit(change)


def _gsa(email: str) -> Mut:
    """Set the token's `email` and the `project_id`/`project_number` v0.12 derives from it."""

    def change(p: Any) -> None:
        p["jwt"]["claims"]["email"] = email
        p["project_id"], p["project_number"] = gcp_iit.project_fields(email)

    return edit(change)


def gcp_project(rng: random.Random) -> Req:
    project = f"{pick(rng, ('acme', 'globex', 'hooli'))}-build-{rng.randint(100, 999)}"
    number = str(rng.randint(10**11, 10**12 - 1))
    other = str(int(number) + rng.randint(1, 10**6))
    return Req(
        attestor="gcp-iit",
        rid="project",
        param=number,
        rule=f"the build VM must belong to the GCP project `{project}` (project number `{number}`)",
        ask=f"make sure the builder VM ran in the project `{project}` (number `{number}`)",
        control=f"Builds SHALL run on VMs of the build project `{project}` (number `{number}`).",
        package="gcp.project",
        rules=(
            Rule(
                (
                    'zone := object.get(input, "zone", "")',
                    f"not startswith(zone, {q('projects/' + number + '/zones/')})",
                ),
                'sprintf("VM zone %v is outside the build project", [zone])',
            ),
        ),
        fields=_GCP_SHAPE + "The top-level `zone` comes from the metadata server as "
        "`projects/<project number>/zones/<zone>`, which is what pins the project. `project_id` and "
        "`project_number` are not usable: v0.12 parses them from the token's `email` domain (splitting "
        "`acme-build-123` into `123` and `acme-build`).",
        bases=bases(rng, "gcp-iit"),
        good=_zone(project_number=number),
        bads=(_zone(project_number=other), setp("zone", value="")),
        bad_desc=("a VM in another project", "an attestation whose zone lookup failed (empty `zone`)"),
        touches=frozenset({"zone"}),
        paths=(("input.zone", "the metadata path `projects/<number>/zones/<zone>`"),),
    )


def gcp_region(rng: random.Random) -> Req:
    region = pick(rng, ("europe-west1", "europe-west4", "us-central1"))
    other = pick(rng, ("asia-northeast1", "us-east4", "southamerica-east1"))
    pattern = f"^projects/[0-9]+/zones/{region}-[a-z]$"
    return Req(
        attestor="gcp-iit",
        rid="region",
        param=region,
        rule=f"the VM's zone must be in the region `{region}`",
        ask=f"keep builds inside `{region}`",
        control=f"Builds SHALL run in the `{region}` region.",
        package="gcp.region",
        rules=(
            Rule(
                ('zone := object.get(input, "zone", "")', f"not regex.match(`{pattern}`, zone)"),
                'sprintf("VM zone %v", [zone])',
            ),
        ),
        fields=_GCP_SHAPE + "The VM's zone is the top-level `zone`, the metadata path "
        "`projects/<number>/zones/<zone>` (e.g. `projects/123456789012/zones/europe-west1-b`), so match "
        "the zone at the end of that path rather than a bare region prefix.",
        bases=bases(rng, "gcp-iit"),
        good=_zone(zone=f"{region}-b"),
        bads=(_zone(zone=f"{other}-a"), _zone(zone=f"{region}0-a"), setp("zone", value="")),
        bad_desc=(
            f"a VM in `{other}-a`",
            f"a VM in `{region}0-a`",
            "an attestation whose zone lookup failed (empty `zone`)",
        ),
        touches=frozenset({"zone"}),
        paths=(("input.zone", "the metadata path `projects/<number>/zones/<zone>`"),),
    )


def gcp_service_account(rng: random.Random) -> Req:
    project = f"{pick(rng, ('acme', 'globex', 'hooli'))}-ci-{rng.randint(100, 999)}"
    want = f"witness-builder@{project}.iam.gserviceaccount.com"
    return Req(
        attestor="gcp-iit",
        rid="service-account",
        param=want,
        rule=f"the identity token must have been issued to the service account `{want}`",
        ask=f"only accept builds whose GCP identity token was issued to `{want}`",
        control=f"Build VMs SHALL run as the dedicated service account `{want}`.",
        package="gcp.serviceaccount",
        rules=(
            Rule(
                (f"not input.jwt.claims.email == {q(want)}",),
                f'sprintf("token issued to %v", [{got("input.jwt.claims.email")}])',
            ),
        ),
        fields=_GCP_SHAPE
        + "`input.jwt.claims.email` is the service account the identity token was issued to "
        "(with `email_verified`); `input.jwt` is the embedded `jwt` predicate of the verified token.",
        bases=bases(rng, "gcp-iit"),
        good=chain(_gsa(want), claims(email_verified=True)),
        bads=(
            _gsa("123456789-compute@developer.gserviceaccount.com"),
            _gsa(f"other@{project}.iam.gserviceaccount.com"),
        ),
        bad_desc=("the default compute service account", "another service account of the project"),
        touches=frozenset({"jwt.email"}),
        paths=(("input.jwt.claims.email", "the service account of the identity token"),),
        bugs=(
            Bug(
                "suffix",
                f"not input.jwt.claims.email == {q(want)}",
                f"not endswith(input.jwt.claims.email, {q('@' + project + '.iam.gserviceaccount.com')})",
                "a domain suffix accepts every service account of the project; compare the full address.",
            ),
        ),
    )


def gcp_cluster(rng: random.Random) -> Req:
    want = f"{pick(rng, ('acme', 'globex', 'hooli'))}-ci"
    return Req(
        attestor="gcp-iit",
        rid="cluster",
        param=want,
        rule=f"the build must run on a node of the GKE cluster `{want}`",
        ask=f"make sure the runner pod was on the `{want}` cluster",
        control=f"Builds SHALL run on the dedicated GKE cluster `{want}`.",
        package="gcp.cluster",
        rules=(
            Rule(
                (f"not input.cluster_name == {q(want)}",),
                'sprintf("node belongs to cluster %v", [object.get(input, "cluster_name", "(none)")])',
            ),
        ),
        fields="`input.cluster_name`, `cluster_uid` and `cluster_location` come from the GKE node's metadata.",
        bases=bases(rng, "gcp-iit"),
        good=setp("cluster_name", value=want),
        bads=(setp("cluster_name", value=f"{want}-staging"),),
        bad_desc=(f"a node of `{want}-staging`",),
        touches=frozenset({"cluster_name"}),
        paths=(("input.cluster_name", "the GKE cluster of the node"),),
    )


MAKERS: dict[str, tuple[Maker, ...]] = {
    "github": (
        gh_ref,
        gh_repo,
        gh_event,
        gh_actor,
        gh_hosted,
        gh_protected,
        gh_tag_release,
        gh_reusable_workflow,
        gh_owner_id,
        gh_runner_os,
    ),
    "gitlab": (gl_ref, gl_project, gl_source, gl_stage, gl_image_digest, gl_server),
    "jenkins": (jk_node, jk_url, jk_folder),
    "aws": (aws_account, aws_region, aws_instance_family, aws_ami, aws_arch),
    "aws-codebuild": (cb_project, cb_initiator, cb_webhook_push, cb_source_repo),
    "gcp-iit": (gcp_project, gcp_region, gcp_service_account, gcp_cluster),
}
"""Requirement makers per attestor."""
