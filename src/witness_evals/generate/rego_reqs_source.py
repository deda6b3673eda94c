"""Rego requirements on what a step started from and ran: git, command-run, environment, material,
lockfiles, maven, omnitrail, system-packages.

Each maker draws its parameters from the rng and returns a `Req` whose inputs are core-built
predicates (REFERENCE §1.4 field names); see `rego_model` for how inputs follow from a requirement.
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
from witness_evals.witness.digests import sha256_hex

Maker = Callable[[random.Random], Req]

_BRANCHES = ("main", "master", "develop", "feature/sbom", "fix/timeout", "release/1.4", "trunk")
_FORKS = ("evil-fork", "contoso", "octo-mirror", "someone-else")


def _others(rng: random.Random, want: str, pool: tuple[str, ...], n: int = 2) -> list[str]:
    return rng.sample([b for b in pool if b != want], n)


# ---------------------------------------------------------------------------------------------- git


_DETACHED_HEAD = (
    "The git attestor records `branch` from HEAD (go-git `head.Name().Short()`), so a detached checkout "
    "gives `HEAD` and the rule denies it."
)
_DETACHED_CI = {
    "github": "For a push to a branch, `actions/checkout` checks out that branch (`git checkout -B <branch>`), so "
    "`branch` is its name; `pull_request` runs check out the detached merge commit "
    "(`refs/remotes/pull/<n>/merge`) and tag pushes the tag, so those runs record `HEAD` and the rule denies them.",
    "jenkins": "Jenkins' Git plugin checks out a detached HEAD by default: add the \"Check out to matching local "
    "branch\" behaviour (`[$class: 'LocalBranch', localBranch: '**']`) to the checkout.",
    "gitlab": "GitLab CI checks out a detached HEAD (the pipeline's commit): run "
    '`git checkout -B "$CI_COMMIT_REF_NAME" "$CI_COMMIT_SHA"` before `witness run`.',
    "": "Whether the checkout is on a branch depends on the CI: Jenkins' Git plugin and GitLab CI check out a "
    "detached HEAD by default, and so do GitHub `pull_request` runs (`actions/checkout` puts push runs on their "
    'branch). In Jenkins add the "Check out to matching local branch" behaviour '
    "(`[$class: 'LocalBranch', localBranch: '**']`); in GitLab CI run "
    '`git checkout -B "$CI_COMMIT_REF_NAME" "$CI_COMMIT_SHA"` before `witness run`.',
}


def detached_note(ci: str = "") -> str:
    """Branch rules deny detached checkouts; how to get the checkout of `ci` (github, gitlab, jenkins;
    anything else: unknown) onto the branch."""
    return f"{_DETACHED_HEAD} {_DETACHED_CI.get(ci, _DETACHED_CI[''])}"


DETACHED_NOTE = detached_note()
"""The note for an unknown CI system (the rego family's branch rules)."""


def git_branch(rng: random.Random) -> Req:
    want = pick(rng, ("main", "master", "trunk", "release/1.4"))
    wrong = _others(rng, want, _BRANCHES)
    return Req(
        attestor="git",
        rid="branch",
        param=want,
        rule=f"the commit must be on the `{want}` branch",
        ask=f"only accept builds from the `{want}` branch",
        control=f"Release artifacts SHALL be built from the `{want}` branch.",
        package="git.branch",
        rules=(Rule((f"not input.branch == {q(want)}",), q(f"builds must come from the {want} branch")),),
        fields="`input.branch` is the short name of the ref HEAD points to when the git attestor ran; on a "
        "detached HEAD it is the literal `HEAD`, which this rule denies.",
        note=DETACHED_NOTE,
        bases=bases(rng, "git"),
        good=setp("branch", value=want),
        bads=(setp("branch", value=wrong[0]), setp("branch", value=wrong[1]), setp("branch", value="HEAD")),
        bad_desc=(
            f"a build from `{wrong[0]}`",
            f"a build from `{wrong[1]}`",
            "a detached-HEAD checkout (`branch` is `HEAD`)",
        ),
        touches=frozenset({"branch"}),
        paths=(("input.branch", "the short name of the checked-out branch"),),
        bugs=(
            Bug(
                "ref-not-branch",
                f"not input.branch == {q(want)}",
                f"not input.branch == {q('refs/heads/' + want)}",
                f"`branch` holds the short name (`{want}`), not the full ref `refs/heads/{want}`; the "
                "full refs are in `input.refs`.",
            ),
        ),
        story=(
            f"Twice this year somebody kicked off the release job from a topic branch (`{wrong[0]}` the last "
            f"time) and the artifacts went out. Releases may only be built from `{want}`.",
            f"Our rule is simple: anything we ship is built from `{want}`. A build from `{wrong[1]}` or any "
            "other branch, or from a detached checkout, should not verify.",
        ),
    )


def git_branch_glob(rng: random.Random) -> Req:
    prefix = pick(rng, ("release/", "hotfix/", "rel/"))
    main = pick(rng, ("main", "master"))
    return Req(
        attestor="git",
        rid="branch-glob",
        param=f"{main}|{prefix}*",
        rule=f"the branch must be `{main}` or a `{prefix}*` branch (exactly one path level below "
        f"`{prefix.rstrip('/')}`)",
        ask=f"allow builds from `{main}` and from `{prefix}*` branches only",
        control=f"Builds SHALL originate from `{main}` or from a `{prefix}<version>` branch.",
        package="git.branches",
        rules=(
            Rule(
                ("not allowed_branch",),
                f'sprintf("branch %v is not allowed", [{got("input.branch")}])',
            ),
        ),
        helpers=(
            ("allowed_branch", (f"input.branch == {q(main)}",)),
            ("allowed_branch", (f'glob.match({q(prefix + "*")}, ["/"], input.branch)',)),
        ),
        fields="`input.branch` is the short branch name (the literal `HEAD` on a detached checkout); "
        "`glob.match` with `/` as delimiter keeps `*` from matching across path levels, and two "
        "`allowed_branch` bodies make an OR.",
        note=DETACHED_NOTE,
        bases=bases(rng, "git"),
        good=setp("branch", value=main),
        extra_pass=(setp("branch", value=f"{prefix}2.3"),),
        bads=(
            setp("branch", value="develop"),
            setp("branch", value=f"feature/{prefix}2.3"),
            setp("branch", value=f"{prefix}2.3/wip"),
            setp("branch", value=f"{main}-old"),
            setp("branch", value="HEAD"),
        ),
        bad_desc=(
            "a build from `develop`",
            f"a build from `feature/{prefix}2.3`",
            f"a build from `{prefix}2.3/wip`",
            f"a build from `{main}-old`",
            "a detached-HEAD checkout (`branch` is `HEAD`)",
        ),
        touches=frozenset({"branch"}),
        paths=(("input.branch", "the short name of the checked-out branch"),),
        bugs=(
            Bug(
                "contains",
                f'glob.match({q(prefix + "*")}, ["/"], input.branch)',
                f"contains(input.branch, {q(prefix)})",
                f"`contains` matches `{prefix}` anywhere in the name, so `feature/{prefix}2.3` passes; anchor "
                "the match at the start and keep it to one path level.",
            ),
        ),
        story=(
            f"We build from `{main}` and from release branches named `{prefix}<version>` (like "
            f"`{prefix}2.3`). A branch such as `feature/{prefix}2.3` or `{prefix}2.3/wip` must not count as a "
            "release branch, and neither should anything else.",
        ),
    )


def git_clean(rng: random.Random) -> Req:
    return Req(
        attestor="git",
        rid="clean-tracked",
        param="tracked",
        rule="no tracked file may be modified, staged, added, deleted or renamed in the work tree "
        "(untracked files are fine)",
        ask="reject builds from a work tree with uncommitted changes to tracked files, while tolerating "
        "untracked files",
        control="Builds SHALL be produced from a committed state: no uncommitted changes to tracked files.",
        package="git.clean",
        consts=('ok_states := {"unmodified", "untracked"}',),
        rules=(
            Rule(
                (("st := input.status[path]", "some path, st in input.status"), "not ok_states[st.staging]"),
                f'sprintf("%v has a staged change (%v)", [path, {got("st.staging")}])',
            ),
            Rule(
                (("st := input.status[path]", "some path, st in input.status"), "not ok_states[st.worktree]"),
                f'sprintf("%v was changed in the work tree (%v)", [path, {got("st.worktree")}])',
            ),
        ),
        fields="`input.status` maps every path that is not clean to `{staging, worktree}` (values such as "
        "`modified`, `added`, `deleted`, `untracked`) and is absent for a clean checkout.",
        bases=bases(rng, "git"),
        good=delp("status"),
        extra_pass=(setp("status", value={"notes.txt": {"staging": "untracked", "worktree": "untracked"}}),),
        bads=(
            setp("status", value={"Makefile": {"staging": "unmodified", "worktree": "modified"}}),
            setp("status", value={"cmd/new.go": {"staging": "added", "worktree": "unmodified"}}),
            setp(
                "status",
                value={
                    "README.md": {"staging": "unmodified", "worktree": "deleted"},
                    "notes.txt": {"staging": "untracked", "worktree": "untracked"},
                },
            ),
        ),
        bad_desc=("a modified `Makefile`", "a staged new file", "a deleted `README.md`"),
        touches=frozenset({"status"}),
        paths=(("input.status", "a map from each unclean path to its `staging`/`worktree` state"),),
        bugs=(
            Bug(
                "only-worktree-modified",
                "not ok_states[st.staging]",
                'st.staging == "modified"',
                "the first rule only looks for `modified` in the index, so files that were staged as "
                "`added` slip through; compare against the allowed states instead.",
            ),
        ),
        story=(
            "One of our release binaries contained a local edit that was never committed. I want builds rejected "
            "when tracked files were modified, staged, deleted or renamed at build time. Untracked junk that "
            "the runner drops into the workspace is fine and must not fail the build.",
        ),
    )


def git_author_domain(rng: random.Random) -> Req:
    org = pick(rng, _ORGS)
    domain = f"{org}.{pick(rng, ('com', 'io', 'dev'))}"
    handle = pick(rng, ("alice.martin", "dmitri", "n.okoye", "pvargas", "farah"))
    return Req(
        attestor="git",
        rid="author-domain",
        param=domain,
        rule=f"the commit author's email must be an `@{domain}` address",
        ask=f"only accept commits authored with an `@{domain}` email address",
        control=f"Commits entering a release SHALL be authored under the corporate `@{domain}` domain.",
        package="git.author",
        rules=(
            Rule(
                (f"not endswith(input.authoremail, {q('@' + domain)})",),
                'sprintf("commit author %v is not an @'
                + domain
                + f' address", [{got("input.authoremail")}])',
            ),
        ),
        fields="`input.authoremail` is the commit author's email; matching on `@domain` (with the `@`) "
        "keeps look-alike domains out.",
        bases=bases(rng, "git"),
        good=setp("authoremail", value=f"{handle}@{domain}"),
        bads=(
            setp("authoremail", value=f"{handle}@gmail.com"),
            setp("authoremail", value=f"{handle}@not{domain}"),
        ),
        bad_desc=("a commit by a gmail address", f"a commit from `@not{domain}`"),
        touches=frozenset({"authoremail"}),
        paths=(("input.authoremail", "the commit author's email address"),),
        bugs=(
            Bug(
                "no-at",
                f"not endswith(input.authoremail, {q('@' + domain)})",
                f"not endswith(input.authoremail, {q(domain)})",
                f"without the `@`, an address at `not{domain}` also ends with `{domain}`.",
            ),
        ),
        story=(
            f"Only employees may author code that reaches production, and every employee commits as "
            f"`<name>@{domain}`. Contributions from personal addresses have to be re-authored by a maintainer "
            f"first. Make sure a look-alike such as `@not{domain}` doesn't slip through.",
            f"Our compliance team needs every production build to trace back to a commit written by someone "
            f"with an `@{domain}` address (for example `{handle}@{domain}`).",
        ),
    )


def git_remote(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "git")
    want = scen[0].repo_url
    forks = [f"https://github.com/{o}/{scen[0].project}.git" for o in rng.sample(_FORKS, 2)]
    lookalike = want.removesuffix(".git") + "-fork.git"
    return Req(
        attestor="git",
        rid="remote",
        param=want,
        rule=f"one of the checkout's remotes must be `{want}`",
        ask=f"make sure the build came from a checkout of `{want}`",
        control=f"Builds SHALL be made from the canonical repository `{want}`.",
        package="git.remote",
        rules=(Rule(("not remote_ok",), q(f"the repository remote is not {want}")),),
        helpers=(("remote_ok", (f"input.remotes[_] == {q(want)}",)),),
        fields="`input.remotes` lists the remote URLs of the checkout (credentials stripped); the helper is "
        "true when any of them is the expected one.",
        bases=base,
        good=setp("remotes", value=[want]),
        extra_pass=(
            setp("remotes", value=[want, f"https://github.com/{scen[0].org}/{scen[0].project}-mirror.git"]),
        ),
        bads=tuple(setp("remotes", value=[u]) for u in (*forks, lookalike)),
        bad_desc=(
            f"a checkout of `{forks[0]}`",
            f"a checkout of `{forks[1]}`",
            f"a checkout of `{lookalike}`",
        ),
        touches=frozenset({"remotes"}),
        paths=(("input.remotes", "the list of remote URLs of the checkout"),),
        bugs=(
            Bug(
                "iter-neq",
                "not remote_ok",
                f"input.remotes[_] != {q(want)}",
                "`input.remotes[_] != x` is true as soon as *one* remote differs, and false when the list is "
                "empty; keep the helper that is true when some remote matches and deny on `not remote_ok`.",
            ),
        ),
        story=(
            f"A contractor built a release from their own fork and it looked legitimate. Our canonical "
            f"repository is `{want}`; the checkout a build uses has to have that remote.",
        ),
    )


def git_semver_tag(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "git")
    version = scen[0].version
    when = scen[0].commit_time.strftime("%Y-%m-%dT%H:%M:%SZ")

    def tags(*names: str) -> Any:
        return setp(
            "tags",
            value=[
                {
                    "name": n,
                    "taggername": scen[0].author,
                    "taggeremail": scen[0].author_email,
                    "when": when,
                    "pgpsignature": "",
                    "message": f"Release {n}\n",
                }
                for n in names
            ],
        )

    return Req(
        attestor="git",
        rid="semver-tag",
        param="vX.Y.Z",
        rule="the built commit must carry a release tag of the form `vMAJOR.MINOR.PATCH` (e.g. "
        f"`v{version}`)",
        ask=f"only let tagged releases through, i.e. the commit has a tag like `v{version}`",
        control="Released artifacts SHALL be built from a commit tagged with a semantic version "
        "(`vMAJOR.MINOR.PATCH`).",
        package="git.release_tag",
        rules=(Rule(("not release_tag",), q("the commit has no vMAJOR.MINOR.PATCH tag")),),
        helpers=(
            ("release_tag", ("tag := input.tags[_]", r"regex.match(`^v[0-9]+\.[0-9]+\.[0-9]+$`, tag.name)")),
        ),
        fields="`input.tags` lists the annotated tags pointing at the commit as objects (`name`, `taggername`, "
        "`when`, ...): the git attestor reads tag objects, so a lightweight tag (`git tag v1.2.3` without `-a` "
        "or `-s`) is not there. It is absent when there is none, which the `not release_tag` form also denies.",
        bases=base,
        good=tags(f"v{version}"),
        extra_pass=(tags("nightly", f"v{version}"),),
        bads=(
            delp("tags"),
            tags("nightly"),
            tags(f"v{version.rsplit('.', 1)[0]}"),
            tags(f"release-{version}"),
            tags(f"v{version}-rc.1"),
        ),
        bad_desc=(
            "an untagged commit",
            "a commit tagged only `nightly`",
            f"a commit tagged `v{version.rsplit('.', 1)[0]}`",
            f"a commit tagged `release-{version}`",
            f"a commit tagged only with the release candidate `v{version}-rc.1`",
        ),
        touches=frozenset({"tags"}),
        paths=(("input.tags[_].name", "the name of each annotated tag on the commit"),),
        bugs=(
            Bug(
                "unanchored",
                r"regex.match(`^v[0-9]+\.[0-9]+\.[0-9]+$`, tag.name)",
                r"regex.match(`v[0-9]+\.[0-9]+`, tag.name)",
                "the pattern is not anchored and stops after MINOR, so `v1.2` or `release-v1.2.3` match too; "
                "anchor it with `^...$` and require all three numbers.",
            ),
        ),
        story=(
            f"Releases are cut by tagging the commit `vMAJOR.MINOR.PATCH` (our latest is `v{version}`). People "
            "keep triggering the release job on untagged commits or on commits that only carry a nightly tag. "
            "The build has to fail verification unless the commit has a proper release tag; other tags next to "
            "it are fine.",
        ),
    )


_SIGNATURES = {
    "pgp": "-----BEGIN PGP SIGNATURE-----\n\niHUEABYKAB0WIQR2\n-----END PGP SIGNATURE-----\n",
    "ssh": "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQAAADMAAAAL\n-----END SSH SIGNATURE-----\n",
    "x509": "-----BEGIN SIGNED MESSAGE-----\nMIIEJQYJKoZIhvcNAQcCoIIEFjCC\n-----END SIGNED MESSAGE-----\n",
}
_SIGNED_KINDS = {
    "any": ("-----BEGIN ", "a signature of any kind (GPG, SSH or x509/gitsign)", ("pgp", "ssh", "x509"), ()),
    "pgp": ("-----BEGIN PGP SIGNATURE-----", "a GPG (PGP) signature", ("pgp",), ("ssh",)),
    "ssh": ("-----BEGIN SSH SIGNATURE-----", "an SSH signature", ("ssh",), ("pgp",)),
}


def git_signed(rng: random.Random) -> Req:
    base = bases(rng, "git")
    kind = pick(rng, ("any", "any", "pgp", "ssh"))
    armor, what, ok, wrong = _SIGNED_KINDS[kind]
    tag_only = setp(
        "tags",
        value=[
            {
                "name": "v1.0.0",
                "taggername": "Release Bot",
                "taggeremail": "release-bot@example.com",
                "when": "2025-06-02T09:00:00Z",
                "pgpsignature": _SIGNATURES["pgp"],
                "message": "Release v1.0.0\n",
            }
        ],
    )
    return Req(
        attestor="git",
        rid="signed",
        param=kind,
        rule=f"the built commit must carry {what}",
        ask="reject builds of unsigned commits" + ("" if kind == "any" else f" (only {what} counts)"),
        control="Only signed commits SHALL be built for release."
        + (
            ""
            if kind == "any"
            else f" Commit signatures SHALL be {what.removeprefix('a ').removeprefix('an ')}s."
        ),
        package="git.signed",
        rules=(
            Rule(("not signed",), q("the commit is not signed" + ("" if kind == "any" else f" with {what}"))),
        ),
        helpers=(("signed", (f"startswith(input.signature, {q(armor)})",)),),
        fields="`input.signature` holds the commit's armored signature text (PGP, SSH or x509) and is omitted for "
        "an unsigned commit; a signed tag does not count (that is `input.tags[_].pgpsignature`). Witness records "
        "the signature but does not check it cryptographically.",
        bases=base,
        good=setp("signature", value=_SIGNATURES[ok[0]]),
        extra_pass=tuple(setp("signature", value=_SIGNATURES[k]) for k in ok[1:]),
        bads=(
            delp("signature"),
            chain(delp("signature"), tag_only),
            *(setp("signature", value=_SIGNATURES[k]) for k in wrong),
        ),
        bad_desc=(
            "an unsigned commit",
            "an unsigned commit under a signed tag",
            *(f"a commit with a {k.upper()} signature" for k in wrong),
        ),
        touches=frozenset({"signature", "tags"}),
        paths=(("input.signature", "the commit's armored GPG/SSH signature, if any"),),
        story=(
            "Branch protection requires signed commits, but admins can bypass it. As a second line of defence "
            "I'd like verification to fail when the commit that was built has no signature. Checking the "
            "signature cryptographically isn't needed, only that there is one"
            + ("." if kind == "any" else f", and it must be {what}."),
            "We sign every commit"
            + (" (some people use GPG, others SSH keys)" if kind == "any" else f" with {what}")
            + ". A build of an unsigned commit (a signed tag on top of it doesn't help) should not verify.",
        ),
    )


def git_no_merge(rng: random.Random) -> Req:
    return Req(
        attestor="git",
        rid="no-merge",
        param="parents<=1",
        rule="the built commit must not be a merge commit (it must have at most one parent)",
        ask="refuse to attest builds of merge commits",
        control="Release builds SHALL be made from linear history (no merge commits).",
        package="git.linear",
        rules=(
            Rule(
                ("count(input.parenthashes) > 1",),
                'sprintf("commit has %d parents (merge commit)", [count(input.parenthashes)])',
            ),
        ),
        fields="`input.parenthashes` is the list of parent commit hashes; a merge commit has two or more.",
        bases=bases(rng, "git"),
        good=setp("parenthashes", value=[sha256_hex("parent-a")[:40]]),
        bads=(setp("parenthashes", value=[sha256_hex("parent-a")[:40], sha256_hex("parent-b")[:40]]),),
        bad_desc=("a merge commit with two parents",),
        touches=frozenset({"parenthashes"}),
        paths=(("input.parenthashes", "the parent commit hashes"),),
        bugs=(
            Bug(
                "off-by-one",
                "count(input.parenthashes) > 1",
                "count(input.parenthashes) > 2",
                "`> 2` only catches octopus merges; an ordinary merge commit has exactly two parents.",
            ),
        ),
        story=(
            "We keep a linear history on the release branch and squash everything. A merge commit slipped in "
            "through an admin override and got built. From now on, a build of a merge commit must fail "
            "verification.",
        ),
    )


def git_no_web_commits(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "git")
    return Req(
        attestor="git",
        rid="no-web-commit",
        param="noreply@github.com",
        rule="the commit must not have been created in the GitHub web UI (committer `noreply@github.com`)",
        ask="reject commits that were made through the GitHub web editor or merge button",
        control="Changes SHALL NOT be committed through the hosting platform's web editor.",
        package="git.committer",
        rules=(
            Rule(
                ('input.committeremail == "noreply@github.com"',),
                q("commit was created in the GitHub web UI"),
            ),
        ),
        fields="`input.committeremail` is the committer's email; GitHub's web UI commits with "
        "`noreply@github.com` as committer (the author stays the user).",
        bases=base,
        good=chain(
            setp("committeremail", value=scen[0].author_email), setp("committername", value=scen[0].author)
        ),
        bads=(
            chain(setp("committeremail", value="noreply@github.com"), setp("committername", value="GitHub")),
        ),
        bad_desc=("a commit made with GitHub's merge button",),
        touches=frozenset({"committeremail", "committername"}),
        paths=(("input.committeremail", "the committer's email address"),),
    )


def git_ticket(rng: random.Random) -> Req:
    key = pick(rng, ("PROJ", "SEC", "OPS", "PAY", "CORE"))
    return Req(
        attestor="git",
        rid="ticket",
        param=key,
        rule=f"the commit message must start with a `{key}-<number>` ticket reference",
        ask=f"require every built commit message to begin with a `{key}-123`-style ticket id",
        control=f"Every change SHALL reference an approved `{key}` ticket in its commit message.",
        package="git.ticket",
        rules=(
            Rule(
                (f"not regex.match(`^{key}-[0-9]+`, input.commitmessage)",),
                q(f"commit message does not start with a {key} ticket"),
            ),
        ),
        fields="`input.commitmessage` is the full commit message (with its trailing newline).",
        bases=bases(rng, "git"),
        good=setp("commitmessage", value=f"{key}-4121: Fix race in cache invalidation\n"),
        bads=(
            setp("commitmessage", value="Fix race in cache invalidation\n"),
            setp("commitmessage", value=f"Fix race (see {key}-4121)\n"),
        ),
        bad_desc=("a message without a ticket", "a message mentioning the ticket only at the end"),
        touches=frozenset({"commitmessage"}),
        paths=(("input.commitmessage", "the commit message"),),
        story=(
            f"Every commit we build must start with its `{key}-<number>` ticket id (e.g. `{key}-812: ...`), so "
            "auditors can map changes to approvals. A commit message that only mentions the ticket at the end "
            "doesn't count.",
        ),
    )


# ---------------------------------------------------------------------------------------------- command-run


def _cmd(cmd: list[str]) -> Any:
    return setp("cmd", value=cmd)


_PREFIXES = (
    ("go", "build", ["go", "build", "-o", "bin/app", "./cmd/app"], ["go", "run", "./cmd/app"]),
    ("npm", "ci", ["npm", "ci"], ["npm", "install"]),
    ("cargo", "build", ["cargo", "build", "--release"], ["cargo", "run"]),
    ("mvn", "package", ["mvn", "package", "-B"], ["mvn", "deploy"]),
    ("make", "release", ["make", "release"], ["make", "clean"]),
)


def cmd_prefix(rng: random.Random) -> Req:
    p0, p1, good, other = pick(rng, _PREFIXES)
    return Req(
        attestor="command-run",
        rid="prefix",
        param=f"{p0} {p1}",
        rule=f"the attested command must start with `{p0} {p1}`",
        ask=f"check that the step really ran `{p0} {p1}`",
        control=f"The build step SHALL be executed with `{p0} {p1}`.",
        package="commandrun.prefix",
        rules=(
            Rule(
                ("not prefix_ok",), f'sprintf("unexpected command %v", [concat(" ", {got("input.cmd", [])})])'
            ),
        ),
        helpers=(("prefix_ok", (f"input.cmd[0] == {q(p0)}", f"input.cmd[1] == {q(p1)}")),),
        fields="`input.cmd` is the argv array given after `--` (`input.cmd[0]` is the program); a shell "
        "wrapper such as `bash -c` shows up as the program.",
        bases=bases(rng, "command-run"),
        good=_cmd(good),
        bads=(_cmd(other), _cmd(["bash", "-c", " ".join(good)])),
        bad_desc=(f"`{' '.join(other)}`", f'`bash -c "{" ".join(good)}"`'),
        touches=frozenset({"cmd"}),
        paths=(("input.cmd", "the argv array of the command after `--`"),),
        bugs=(
            Bug(
                "program-only",
                f"\tinput.cmd[1] == {q(p1)}\n",
                "",
                f"the helper only checks the program, so `{' '.join(other)}` passes as well; also compare "
                "`input.cmd[1]`.",
            ),
        ),
        story=(
            f"The build step is supposed to run `{p0} {p1}` directly. Someone wrapped it in a shell script and "
            f"someone else ran `{' '.join(other)}` instead. I want verification to check what was actually run.",
        ),
    )


def cmd_no_download(rng: random.Random) -> Req:
    tool = pick(rng, ("curl", "wget"))
    pipe = (
        "curl -fsSL https://get.example.sh | sh"
        if tool == "curl"
        else "wget -qO- https://get.example.sh | sh"
    )
    fetch = [tool, "-o" if tool == "curl" else "-O", "tool.tar.gz", "https://example.com/tool.tar.gz"]
    return Req(
        attestor="command-run",
        rid="no-download",
        param=tool,
        rule=f"no element of the command may contain `{tool}`, not even inside a `bash -c` script",
        ask=f"make sure the attested command never invokes `{tool}`, including inside shell scripts",
        control=f"Build steps SHALL NOT download code with `{tool}`.",
        package=f"commandrun.no{tool}",
        rules=(
            Rule(
                ("arg := input.cmd[_]", f"contains(arg, {q(tool)})"),
                f'sprintf("command uses {tool}: %v", [arg])',
            ),
        ),
        fields="`input.cmd` is the argv array; a `bash -c` script is a single element, so each element is "
        "searched as a string.",
        bases=bases(rng, "command-run"),
        good=_cmd(["make", "build"]),
        bads=(_cmd(["bash", "-c", pipe]), _cmd(fetch)),
        bad_desc=(f'`bash -c "{pipe}"`', f"`{' '.join(fetch)}`"),
        touches=frozenset({"cmd"}),
        paths=(("input.cmd[_]", "each argument of the command"),),
        bugs=(
            Bug(
                "program-only",
                f"contains(arg, {q(tool)})",
                f"arg == {q(tool)}",
                f"comparing whole arguments with `==` misses `{tool}` inside a `bash -c` script; search each "
                "argument with `contains`.",
            ),
        ),
        story=(
            f"We found a build step that fetched an installer with `{tool}` and piped it into a shell. The rule "
            f"now: the recorded command must not use `{tool}` anywhere, including inside `bash -c` strings.",
        ),
    )


def cmd_program_allowlist(rng: random.Random) -> Req:
    allowed = sorted(rng.sample(["make", "go", "npm", "cargo", "mvn", "gradle", "docker"], 3))
    return Req(
        attestor="command-run",
        rid="program-allowlist",
        param=",".join(allowed),
        rule=f"the program run must be one of {md_list(allowed)} (no shells)",
        ask=f"only allow {md_list(allowed)} as the attested program, so nobody wraps the build in a shell",
        control=f"Build steps SHALL invoke an approved build tool ({', '.join(allowed)}) directly.",
        package="commandrun.program",
        consts=(f"allowed_programs := {rset(allowed)}",),
        rules=(
            Rule(
                ("not allowed_programs[input.cmd[0]]",),
                f'sprintf("program %v is not allowed", [{got("input.cmd[0]")}])',
            ),
        ),
        fields="`input.cmd[0]` is the program of the attested command (the first word after `--`).",
        bases=bases(rng, "command-run"),
        good=_cmd([allowed[0], "build"]),
        extra_pass=(_cmd([allowed[1], "test"]),),
        bads=(_cmd(["bash", "-c", f"{allowed[0]} build"]), _cmd(["sh", "./build.sh"])),
        bad_desc=(f'`bash -c "{allowed[0]} build"`', "`sh ./build.sh`"),
        touches=frozenset({"cmd"}),
        paths=(("input.cmd[0]", "the program that was run"),),
    )


def cmd_forbidden_flags(rng: random.Random) -> Req:
    tool, good, flags, badcmd = pick(
        rng,
        (
            (
                "mvn",
                ["mvn", "-B", "verify"],
                ["-DskipTests", "-Dmaven.test.skip=true"],
                ["mvn", "-B", "package"],
            ),
            ("go", ["go", "test", "./..."], ["-short", "-failfast"], ["go", "test"]),
            ("npm", ["npm", "ci"], ["--ignore-scripts", "--force"], ["npm", "ci"]),
            (
                "git",
                ["git", "push", "origin", "main"],
                ["--no-verify", "--force"],
                ["git", "push", "origin", "main"],
            ),
        ),
    )
    return Req(
        attestor="command-run",
        rid="forbidden-flags",
        param=f"{tool}:{','.join(flags)}",
        rule=f"the command must not use {md_list(flags)}",
        ask=f"fail verification when someone adds {md_list(flags)} to the `{tool}` command",
        control=f"The `{tool}` invocation SHALL NOT use {', '.join(flags)}.",
        package="commandrun.flags",
        consts=(f"forbidden_args := {rset(flags)}",),
        rules=(
            Rule(("arg := input.cmd[_]", "forbidden_args[arg]"), 'sprintf("forbidden argument %v", [arg])'),
        ),
        fields="`input.cmd` is the argv array, so each flag is one element and set membership finds it.",
        bases=bases(rng, "command-run"),
        good=_cmd(good),
        bads=(_cmd([*badcmd, flags[0]]), _cmd([*badcmd, flags[1]])),
        bad_desc=(f"`{' '.join([*badcmd, flags[0]])}`", f"`{' '.join([*badcmd, flags[1]])}`"),
        touches=frozenset({"cmd"}),
        paths=(("input.cmd[_]", "each argument of the command"),),
        story=(
            f"People keep adding {md_list(flags)} to the `{tool}` command to get a build out faster. The policy "
            "should reject the step if either of them appears in the command that was run.",
        ),
    )


def cmd_exact(rng: random.Random) -> Req:
    want = pick(
        rng,
        (
            ["make", "release"],
            ["npm", "run", "build"],
            ["go", "build", "./..."],
            ["just", "dist"],
            ["cargo", "build", "--release", "--locked"],
            ["mvn", "-B", "package"],
            ["./gradlew", "assemble"],
            ["python", "-m", "build"],
            ["goreleaser", "release", "--clean"],
            ["pnpm", "build"],
        ),
    )
    return Req(
        attestor="command-run",
        rid="exact",
        param=" ".join(want),
        rule=f"the command must be exactly `{' '.join(want)}` (no extra arguments)",
        ask=f"pin the build step to exactly `{' '.join(want)}`",
        control=f"The release step SHALL run exactly `{' '.join(want)}`.",
        package="commandrun.exact",
        rules=(
            Rule(
                (f"not input.cmd == {rarr(want)}",), f'sprintf("unexpected command %v", [{got("input.cmd")}])'
            ),
        ),
        fields="`input.cmd` is the argv array; comparing it with an array literal checks every element and "
        "the length.",
        bases=bases(rng, "command-run"),
        good=_cmd(want),
        bads=(_cmd([*want, "SKIP_TESTS=1"]), _cmd(want[:1]), _cmd(["sh", "-c", " ".join(want)])),
        bad_desc=(
            f"`{' '.join([*want, 'SKIP_TESTS=1'])}`",
            f"`{want[0]}` alone",
            f'`sh -c "{" ".join(want)}"`',
        ),
        touches=frozenset({"cmd"}),
        paths=(("input.cmd", "the argv array of the command after `--`"),),
        bugs=(
            Bug(
                "argv-string",
                f"not input.cmd == {rarr(want)}",
                f"input.cmd != {q(' '.join(want))}",
                f"`input.cmd` is the argv array (`{rarr(want)}`), not the command line as one string: an array "
                f"never equals the string `{' '.join(want)}`, so `!=` holds for every attestation and the rule "
                "denies even the exact command. Compare it with the array literal.",
            ),
        ),
        story=(
            f"Our release step runs `{' '.join(want)}` and nothing else. Someone once appended extra arguments "
            "to skip a check, and another time it ran through a `sh -c` wrapper. Verification should only accept "
            "that exact command.",
            f"I want the policy to pin the command of the release step to `{' '.join(want)}`: no extra arguments, "
            "no other target, no shell wrapper.",
        ),
    )


def cmd_exitcode(rng: random.Random) -> Req:
    return Req(
        attestor="command-run",
        rid="exitcode",
        param="0",
        rule="the command's exit code must be 0",
        ask="deny attestations of commands that exited with a non-zero status",
        control="Only successful build executions SHALL be accepted.",
        package="commandrun.exitcode",
        rules=(Rule(("input.exitcode != 0",), 'sprintf("command exited with %d", [input.exitcode])'),),
        fields="`input.exitcode` is the command's exit status (a number).",
        bases=bases(rng, "command-run"),
        good=setp("exitcode", value=0),
        bads=(setp("exitcode", value=1), setp("exitcode", value=137)),
        bad_desc=("an exit code of 1", "an exit code of 137"),
        touches=frozenset({"exitcode"}),
        note="With the witness CLI a non-zero exit makes `witness run` fail and no attestation is written, so "
        "this rule only fires for attestations made through the go-witness library with errors ignored; it "
        "is a harmless safety net.",
        paths=(("input.exitcode", "the command's exit status"),),
        story=(
            "We embed witness as a library in our build tool and I'm not sure a failed command stops the "
            "attestation from being written. To be safe, the policy should reject any step whose command did "
            "not exit with status 0.",
        ),
    )


_SCRIPTS = (  # (required part, the CI's `bash -c` script, the same script without it, a direct run without it)
    ("make test", "set -euo pipefail; make test && make release", "set -euo pipefail; make release", "make release"),
    ("go test ./...", "go vet ./... && go test ./... && go build -o bin/app ./cmd/app", "go build -o bin/app ./cmd/app",
     "go build -o bin/app ./cmd/app"),
    ("npm test", "npm ci && npm test && npm run build", "npm ci && npm run build", "npm run build"),
    ("cargo test --locked", "cargo test --locked && cargo build --release --locked", "cargo build --release --locked",
     "cargo build --release --locked"),
    ("pytest -q", "pip install -r requirements.txt && pytest -q && python -m build", "python -m build",
     "python -m build"),
)  # fmt: skip


def cmd_script_contains(rng: random.Random) -> Req:
    needed, script, skipped, direct = pick(rng, _SCRIPTS)
    shell = pick(rng, ("bash", "sh"))
    return Req(
        attestor="command-run",
        rid="script-contains",
        param=needed,
        rule=f"the recorded command line must include `{needed}`, also when it runs inside a `{shell} -c` script",
        ask=f"make sure the build script the step ran includes `{needed}`",
        control=f"Every release build SHALL run `{needed}` before packaging.",
        package="commandrun.script",
        rules=(
            Rule(
                ("not script_ok",),
                f'sprintf("command does not run the tests: %v", [concat(" ", {got("input.cmd", [])})])',
            ),
        ),
        helpers=(("script_ok", (f'contains(concat(" ", input.cmd), {q(needed)})',)),),
        fields=f"`input.cmd` is the argv array: a `{shell} -c` script is one element, so join the array with "
        '`concat(" ", input.cmd)` and search the joined string.',
        bases=bases(rng, "command-run"),
        good=_cmd([shell, "-c", script]),
        extra_pass=(_cmd(needed.split()),),
        bads=(_cmd([shell, "-c", skipped]), _cmd(direct.split())),
        bad_desc=(f'`{shell} -c "{skipped}"`', f"`{direct}`"),
        touches=frozenset({"cmd"}),
        paths=(('concat(" ", input.cmd)', "the whole command line as one string"),),
        bugs=(
            Bug(
                "element-equality",
                f'contains(concat(" ", input.cmd), {q(needed)})',
                f"input.cmd[_] == {q(needed)}",
                f"comparing each argument with `==` never matches: `{needed}` sits inside the `{shell} -c` script, "
                'one argument among others; search the joined command line with `contains(concat(" ", input.cmd), '
                "...)`.",
            ),
        ),
        story=(
            f'Our CI runs the build as `witness run ... -- {shell} -c "{script}"`. Last week someone removed '
            f"`{needed}` from that script and the release still verified. The policy should reject a build whose "
            "command line does not run it.",
        ),
    )


# ---------------------------------------------------------------------------------------------- environment


def _var(name: str, value: str | None) -> Any:
    return delp("variables", name) if value is None else setp("variables", name, value=value)


def env_set(rng: random.Random) -> Req:
    ci, var = pick(
        rng,
        (("github", "GITHUB_ACTIONS"), ("gitlab", "GITLAB_CI"), ("jenkins", "JENKINS_URL"), ("github", "CI")),
    )
    base = bases(rng, "environment", ci=ci)
    return Req(
        attestor="environment",
        rid="var-set",
        param=var,
        rule=f"the environment variable `{var}` must be set",
        ask=f"check that `{var}` was set when the step ran",
        control=f"Builds SHALL run on the CI system (the `{var}` variable is present).",
        package="environment.required",
        rules=(Rule((f"not input.variables[{q(var)}]",), q(f"{var} is not set")),),
        fields="`input.variables` maps variable names to values (sensitive ones show as `******`).",
        bases=base,
        good=_var(var, "true" if var != "JENKINS_URL" else "https://jenkins.example.com/"),
        bads=(_var(var, None),),
        bad_desc=(f"a run without `{var}`",),
        touches=frozenset({f"variables.{var}"}),
        paths=(("input.variables", "a map from environment variable name to value"),),
        story=(
            f"Release builds must come from CI, never from a laptop. Our CI always sets `{var}`. Can the policy "
            "reject builds where it wasn't set?",
        ),
    )


_FORBIDDEN_VARS = (
    ("LD_PRELOAD", "/tmp/libhook.so"),
    ("NODE_OPTIONS", "--require /tmp/hook.js"),
    ("DYLD_INSERT_LIBRARIES", "/tmp/libhook.dylib"),
    ("BASH_ENV", "/tmp/.bashrc"),
    ("LD_LIBRARY_PATH", "/tmp/lib"),
    ("GIT_SSL_NO_VERIFY", "true"),
    ("NODE_TLS_REJECT_UNAUTHORIZED", "0"),
    ("PYTHONPATH", "/tmp/site"),
)


def env_unset(rng: random.Random) -> Req:
    var, value = pick(rng, _FORBIDDEN_VARS)
    return Req(
        attestor="environment",
        rid="var-unset",
        param=var,
        rule=f"the environment variable `{var}` must not be set (not even to an empty value)",
        ask=f"deny any build where `{var}` was present in the environment",
        control=f"The build environment SHALL NOT define `{var}`.",
        package="environment.forbidden",
        rules=(Rule((f"input.variables[{q(var)}]",), q(f"{var} must not be set")),),
        fields='`input.variables` maps variable names to values; `input.variables["X"]` is defined whenever '
        "the key exists, whatever its value.",
        bases=bases(rng, "environment"),
        good=_var(var, None),
        bads=(_var(var, value), _var(var, "")),
        bad_desc=(f"`{var}={value}`", f"`{var}` set to an empty string"),
        touches=frozenset({f"variables.{var}"}),
        paths=(("input.variables", "a map from environment variable name to value"),),
        bugs=(
            Bug(
                "truthy-value",
                f"input.variables[{q(var)}]",
                f'input.variables[{q(var)}] != ""',
                f'comparing with `""` lets `{var}=` (empty) through, and that is still set; test for the key.',
            ),
        ),
        story=(
            f"There is no legitimate reason for `{var}` to be set on our builders; it's a classic way to hook "
            "the toolchain. If it is present at all (even empty) the build should fail verification.",
            f"Hardening task: builds whose environment defines `{var}` (for instance `{var}={value}`) must be "
            "rejected. Being set to an empty string counts as set.",
        ),
    )


_EXPECTED_VARS = {
    "go": (
        ("CGO_ENABLED", "0", "1"),
        ("GOFLAGS", "-mod=readonly", "-mod=mod"),
        ("GOPROXY", "https://proxy.golang.org", "direct"),
        ("GOTOOLCHAIN", "local", "auto"),
    ),
    "node": (
        ("NODE_ENV", "production", "development"),
        ("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org/", "http://localhost:4873/"),
    ),
    "python": (
        ("PYTHONDONTWRITEBYTECODE", "1", "0"),
        ("PIP_NO_CACHE_DIR", "1", "0"),
        ("PIP_INDEX_URL", "https://pypi.org/simple", "https://pypi.example-mirror.net/simple"),
    ),
    "java": (("MAVEN_OPTS", "-Xmx1g", "-Xmx4g -Dmaven.test.skip=true"),),
    "rust": (("CARGO_INCREMENTAL", "0", "1"), ("RUSTFLAGS", "-D warnings", "-A warnings")),
}


def env_equals(rng: random.Random) -> Req:
    lang = pick(rng, sorted(_EXPECTED_VARS))
    var, want, wrong = pick(rng, _EXPECTED_VARS[lang])
    return Req(
        attestor="environment",
        rid="var-equals",
        param=f"{var}={want}",
        rule=f"the environment variable `{var}` must be exactly `{want}` (a missing variable is a violation too)",
        ask=f"require `{var}={want}` in the build environment",
        control=f"Builds SHALL run with `{var}` set to `{want}`.",
        package="environment.pinned",
        rules=(Rule((f"not input.variables[{q(var)}] == {q(want)}",), q(f"{var} must be {want}")),),
        fields="`input.variables` maps variable names to values; `not ... == ...` also fires when the "
        "variable is absent.",
        bases=bases(rng, "environment", language=lang),
        good=_var(var, want),
        bads=(_var(var, wrong), _var(var, None)),
        bad_desc=(f"`{var}={wrong}`", f"a run without `{var}`"),
        touches=frozenset({f"variables.{var}"}),
        paths=(("input.variables", "a map from environment variable name to value"),),
        story=(
            f"Our builds must run with `{var}={want}`. A developer changed it to `{wrong}` in a pipeline to work "
            "around an issue and it went unnoticed for weeks. A run where it's missing is just as bad.",
        ),
    )


def env_os(rng: random.Random) -> Req:
    return Req(
        attestor="environment",
        rid="os",
        param="linux",
        rule="the step must have run on Linux",
        ask="make sure the step ran on a Linux machine",
        control="Release builds SHALL run on Linux build hosts.",
        package="environment.os",
        rules=(Rule(('input.os != "linux"',), 'sprintf("step ran on %v, not linux", [input.os])'),),
        fields="`input.os` is Go's GOOS of the machine that ran `witness run` (`linux`, `darwin`, `windows`).",
        bases=bases(rng, "environment"),
        good=setp("os", value="linux"),
        bads=(setp("os", value="darwin"), setp("os", value="windows")),
        bad_desc=("a run on macOS", "a run on Windows"),
        touches=frozenset({"os"}),
        paths=(("input.os", "the operating system (Go GOOS) of the build machine"),),
        bugs=(
            Bug(
                "case",
                'input.os != "linux"',
                'input.os != "Linux"',
                "`os` holds Go's lowercase GOOS value (`linux`), so comparing with `Linux` denies every Linux run.",
            ),
        ),
        story=(
            "We produce release binaries only on Linux build hosts; a macOS build once went out by accident and "
            "behaved differently. Builds made on any other OS should fail verification.",
        ),
    )


def env_not_root(rng: random.Random) -> Req:
    user = pick(rng, ("runner", "builder", "jenkins", "ci"))
    return Req(
        attestor="environment",
        rid="not-root",
        param="root",
        rule="the step must not have run as the `root` user",
        ask="reject builds that ran as root",
        control="Build processes SHALL NOT run with root privileges.",
        package="environment.user",
        rules=(Rule(('input.username == "root"',), q("the step ran as root")),),
        fields="`input.username` is the user that ran `witness run`.",
        bases=bases(rng, "environment"),
        good=chain(setp("username", value=user), _var("USER", user)),
        bads=(chain(setp("username", value="root"), _var("USER", "root"), _var("HOME", "/root")),),
        bad_desc=("a run as `root`",),
        touches=frozenset({"username", "variables.USER", "variables.HOME"}),
        paths=(("input.username", "the user that ran the step"),),
        story=(
            f"Our runners use an unprivileged `{user}` account. A misconfigured runner executed the build as "
            "root for a week. I want any build that ran as root to fail verification.",
        ),
    )


def env_hostname(rng: random.Random) -> Req:
    prefix = pick(rng, ("ci-runner-", "build-", "gha-runner-"))
    return Req(
        attestor="environment",
        rid="hostname",
        param=f"{prefix}*",
        rule=f"the build host's name must match `{prefix}*`",
        ask=f"only accept builds from our runner fleet, whose hostnames all start with `{prefix}`",
        control=f"Builds SHALL execute on managed build hosts (hostnames `{prefix}*`).",
        package="environment.host",
        rules=(
            Rule(
                (f"not startswith(input.hostname, {q(prefix)})",),
                f'sprintf("unmanaged build host %v", [{got("input.hostname")}])',
            ),
        ),
        fields="`input.hostname` is the hostname of the machine that ran `witness run`.",
        bases=bases(rng, "environment"),
        good=setp("hostname", value=f"{prefix}17"),
        bads=(setp("hostname", value="dev-laptop"), setp("hostname", value=f"old-{prefix}17")),
        bad_desc=("a build on `dev-laptop`", f"a build on `old-{prefix}17`"),
        touches=frozenset({"hostname"}),
        paths=(("input.hostname", "the build machine's hostname"),),
        bugs=(
            Bug(
                "contains",
                f"not startswith(input.hostname, {q(prefix)})",
                f"not contains(input.hostname, {q(prefix)})",
                f"`contains` accepts `{prefix}` anywhere in the name (e.g. `old-{prefix}17`); match at the start.",
            ),
        ),
        story=(
            f"All of our managed runners have hostnames starting with `{prefix}`. Builds from anywhere else "
            "(developer laptops, rogue machines) should be rejected.",
        ),
    )


def env_secrets_masked(rng: random.Random) -> Req:
    var = pick(rng, ("GITHUB_TOKEN", "NPM_TOKEN", "REGISTRY_PASSWORD", "AWS_SECRET_ACCESS_KEY"))
    return Req(
        attestor="environment",
        rid="secrets-masked",
        param=var,
        rule="no variable whose name contains `TOKEN`, `SECRET` or `PASSWORD` may appear with a clear-text value "
        "(it must be masked as `******`)",
        ask="make sure no secret-looking variable leaked into the attestation unmasked",
        control="Attestations SHALL NOT contain credential values from the build environment.",
        package="environment.secrets",
        rules=(
            Rule(
                (
                    ("value := input.variables[name]", "some name, value in input.variables"),
                    'regex.match("TOKEN|SECRET|PASSWORD", name)',
                    'value != "******"',
                ),
                'sprintf("%v is recorded in clear text", [name])',
            ),
        ),
        fields="`input.variables` maps names to values; witness replaces sensitive values by `******` unless "
        "the run used `--env-allow-sensitive-key` or `--env-disable-default-sensitive-vars`.",
        bases=bases(rng, "environment"),
        good=edit(lambda p: p.setdefault("variables", {}).update({var: "******"})),
        bads=(_var(var, "ghp_R3alL00kingT0kenValue0000000000000"),),
        bad_desc=(f"`{var}` recorded in clear text",),
        touches=frozenset({f"variables.{var}"}),
        paths=(("input.variables", "a map from environment variable name to value"),),
    )


def env_path_safe(rng: random.Random) -> Req:
    return Req(
        attestor="environment",
        rid="path-safe",
        param="PATH",
        rule="every entry of `PATH` must be an absolute directory outside `/tmp`",
        ask="catch builds whose `PATH` contains a relative entry or something under `/tmp`",
        control="The build `PATH` SHALL contain only absolute, non-temporary directories.",
        package="environment.path",
        rules=(
            Rule(
                ('entry := split(input.variables.PATH, ":")[_]', 'not startswith(entry, "/")'),
                'sprintf("relative PATH entry %q", [entry])',
            ),
            Rule(
                ('entry := split(input.variables.PATH, ":")[_]', 'startswith(entry, "/tmp")'),
                'sprintf("PATH entry %v is under /tmp", [entry])',
            ),
        ),
        fields='`input.variables.PATH` is the `PATH` string; `split(..., ":")` turns it into an array to '
        "iterate over.",
        bases=bases(rng, "environment"),
        good=_var("PATH", "/usr/local/bin:/usr/bin:/bin"),
        bads=(_var("PATH", ".:/usr/local/bin:/usr/bin:/bin"), _var("PATH", "/tmp/tools/bin:/usr/bin:/bin")),
        bad_desc=("a `PATH` starting with `.`", "a `PATH` with `/tmp/tools/bin`"),
        touches=frozenset({"variables.PATH"}),
        paths=(("input.variables.PATH", "the `PATH` value of the build"),),
    )


# ---------------------------------------------------------------------------------------------- material


def mat_lockfile(rng: random.Random) -> Req:
    lang = pick(rng, ("go", "node", "python", "rust"))
    base = bases(rng, "material", language=lang)
    lock = next(n for n in ("go.sum", "package-lock.json", "poetry.lock", "Cargo.lock") if n in base[0])
    digest = dict(base[0][lock])
    return Req(
        attestor="material",
        rid="lockfile",
        param=lock,
        rule=f"the lock file `{lock}` (at the top of the working directory) must be among the step's materials",
        ask=f"make sure `{lock}` was present when the build started",
        control=f"Builds SHALL use a committed `{lock}` at the repository root.",
        package="material.lockfile",
        rules=(Rule((f"not input[{q(lock)}]",), q(f"{lock} is missing from the materials")),),
        fields="The material predicate is a bare map `{path: DigestSet}` (no `Materials` wrapper), so the file "
        f'is `input["{lock}"]`.',
        bases=base,
        good=setp(lock, value=digest),
        bads=(delp(lock), chain(delp(lock), setp(f"examples/{lock}", value=digest))),
        bad_desc=(f"a checkout without `{lock}`", f"a checkout with only `examples/{lock}`"),
        touches=frozenset({lock, f"examples/{lock}"}),
        paths=(('input["<path>"]', "the DigestSet of a material file (bare map keyed by path)"),),
        story=(
            f"We had a build with no `{lock}` at the repository root and it happily resolved whatever versions "
            f"it liked. The build step should be rejected if `{lock}` wasn't there when it started; a copy in a "
            "subfolder like `examples/` doesn't count.",
        ),
    )


def mat_pinned(rng: random.Random) -> Req:
    s_rng = random.Random(rng.random())
    base = bases(s_rng, "material")
    candidates = sorted(
        p for p in base[0] if not p.startswith(".git/") and "/" not in p and p not in (".gitignore",)
    )
    path = pick(rng, candidates or sorted(base[0]))
    want = base[0][path]["sha256"]
    other = sha256_hex(f"{path}:tampered")
    return Req(
        attestor="material",
        rid="pinned",
        param=f"{path}@{want[:12]}",
        rule=f"the step's `{path}` must be the reviewed version with sha256 `{want}`",
        ask=f"pin `{path}` to the reviewed version (sha256 `{want}`)",
        control=f"`{path}` SHALL match its reviewed digest `{want}` at build time.",
        package="material.pinned",
        rules=(
            Rule(
                (f"not input[{q(path)}].sha256 == {q(want)}",),
                q(f"{path} is not the reviewed version"),
            ),
        ),
        fields='Each material is `input["<path>"]`, a DigestSet such as `{"sha256": "..."}`; `not ... ==` '
        "also denies when the file is missing.",
        bases=base,
        good=setp(path, value={"sha256": want}),
        bads=(setp(path, value={"sha256": other}), delp(path)),
        bad_desc=(f"a changed `{path}`", f"a checkout without `{path}`"),
        touches=frozenset({path}),
        paths=(('input["<path>"].sha256', "the sha256 digest of a material file"),),
    )


def mat_no_suffix(rng: random.Random) -> Req:
    sfx = pick(rng, (".env", ".pem", ".key", ".p12"))
    leak = {
        ".env": "config/prod.env",
        ".pem": "certs/server.pem",
        ".key": "deploy/tls.key",
        ".p12": "signing/release.p12",
    }[sfx]
    return Req(
        attestor="material",
        rid="no-suffix",
        param=sfx,
        rule=f"no `*{sfx}` file may be present in the working directory when the step starts",
        ask=f"fail the build's verification if any `*{sfx}` file was in the checkout",
        control=f"Build inputs SHALL NOT include `*{sfx}` files.",
        package="material.forbidden",
        rules=(
            Rule(("input[path]", f"endswith(path, {q(sfx)})"), 'sprintf("forbidden input file %v", [path])'),
        ),
        fields="The material predicate is a bare map keyed by path, so `input[path]` iterates over every "
        "material.",
        bases=bases(rng, "material"),
        good=edit(lambda p: [p.pop(k) for k in [k for k in p if k.endswith(sfx)]]),
        bads=(setp(leak, value={"sha256": sha256_hex(leak)}),),
        bad_desc=(f"a checkout containing `{leak}`",),
        touches=frozenset({f"*{sfx}"}),
        paths=(("input[path]", "iterates over material paths (bare map)"),),
        story=(
            f"A `*{sfx}` file once got committed and ended up in a build workspace. I'd like a tripwire: if any "
            f"`*{sfx}` file is in the checkout when the step starts, verification fails.",
        ),
    )


# ---------------------------------------------------------------------------------------------- lockfiles


def lock_has(rng: random.Random) -> Req:
    lang = pick(rng, ("go", "node", "python", "rust"))
    base = bases(rng, "lockfiles", language=lang)
    entry = dict(base[0]["lockfiles"][0])
    lock = entry["filename"]

    def renamed(name: str) -> Any:
        return edit(lambda p: p.update({"lockfiles": [{**e, "filename": name} for e in p["lockfiles"]]}))

    other = "yarn.lock" if lock != "yarn.lock" else "pnpm-lock.yaml"
    return Req(
        attestor="lockfiles",
        rid="has-lockfile",
        param=lock,
        rule=f"the lockfiles attestation must contain `{lock}`",
        ask=f"require that `{lock}` was captured by the lockfiles attestor",
        control=f"Dependency resolution SHALL be locked by a committed `{lock}`.",
        package="lockfiles.required",
        rules=(Rule(("not has_lock",), q(f"{lock} was not recorded")),),
        helpers=(("has_lock", (f"input.lockfiles[_].filename == {q(lock)}",)),),
        fields="`input.lockfiles` is a list of `{filename, content, digest}` (base names only).",
        bases=base,
        good=setp("lockfiles", value=[entry]),
        bads=(setp("lockfiles", value=[]), renamed(other)),
        bad_desc=("an empty lockfiles list", f"only a `{other}`"),
        touches=frozenset({"lockfiles"}),
        paths=(("input.lockfiles", "the list of lock files found, each `{filename, content, digest}`"),),
        story=(
            f"Our security team requires that every install step is locked, and for this project that means "
            f"`{lock}`. If the attestation shows no `{lock}` (or only a `{other}`), the step should fail.",
        ),
    )


def lock_pinned(rng: random.Random) -> Req:
    lang = pick(rng, ("go", "node", "python", "rust"))
    base = bases(rng, "lockfiles", language=lang)
    entry = dict(base[0]["lockfiles"][0])
    lock, want = entry["filename"], entry["digest"]["sha256"]
    changed = {**entry, "digest": {"sha256": sha256_hex(f"{lock}:changed")}}
    return Req(
        attestor="lockfiles",
        rid="pinned",
        param=f"{lock}@{want[:12]}",
        rule=f"the recorded `{lock}` must have sha256 `{want}` (the reviewed lock file)",
        ask=f"make verification fail if `{lock}` differs from the reviewed one (sha256 `{want}`)",
        control=f"The dependency lock file `{lock}` SHALL match its approved digest `{want}`.",
        package="lockfiles.pinned",
        rules=(
            Rule(
                ("lf := input.lockfiles[_]", f"lf.filename == {q(lock)}", f"lf.digest.sha256 != {q(want)}"),
                'sprintf("%v changed (sha256 %v)", [lf.filename, lf.digest.sha256])',
            ),
            Rule(("not pinned_present",), q(f"{lock} was not recorded")),
        ),
        helpers=(("pinned_present", (f"input.lockfiles[_].filename == {q(lock)}",)),),
        fields='`input.lockfiles` lists `{filename, content, digest}`; `digest` is always `{"sha256": ...}` '
        "of the file content.",
        bases=base,
        good=setp("lockfiles", value=[entry]),
        bads=(setp("lockfiles", value=[changed]), setp("lockfiles", value=[])),
        bad_desc=(f"a modified `{lock}`", "no lock file at all"),
        touches=frozenset({"lockfiles"}),
        paths=(("input.lockfiles[_].digest.sha256", "the sha256 of each recorded lock file"),),
    )


def lock_single_manager(rng: random.Random) -> Req:
    base = bases(rng, "lockfiles", language="node")
    entry = dict(base[0]["lockfiles"][0])
    yarn = {
        "filename": "yarn.lock",
        "content": "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n",
        "digest": {"sha256": sha256_hex("yarn.lock")},
    }
    return Req(
        attestor="lockfiles",
        rid="single-manager",
        param="npm-only",
        rule="`package-lock.json` and `yarn.lock` must not both be present (one package manager only)",
        ask="flag builds where both `package-lock.json` and `yarn.lock` were captured",
        control="A project SHALL use exactly one JavaScript package manager lock file.",
        package="lockfiles.single",
        rules=(
            Rule(
                (
                    "names := {lf.filename | lf := input.lockfiles[_]}",
                    'names["package-lock.json"]',
                    'names["yarn.lock"]',
                ),
                q("both package-lock.json and yarn.lock were recorded"),
            ),
        ),
        fields="`input.lockfiles` lists `{filename, content, digest}`; a set comprehension collects the names.",
        bases=base,
        good=setp("lockfiles", value=[{**entry, "filename": "package-lock.json"}]),
        bads=(setp("lockfiles", value=[{**entry, "filename": "package-lock.json"}, yarn]),),
        bad_desc=("a checkout with both lock files",),
        touches=frozenset({"lockfiles"}),
        paths=(("input.lockfiles[_].filename", "the base name of each lock file"),),
    )


# ---------------------------------------------------------------------------------------------- maven


def _deps(*extra: dict[str, str]) -> Any:
    return edit(lambda p: p.update({"dependencies": [*p.get("dependencies", []), *extra]}))


def _dep(g: str, a: str, v: str, scope: str = "") -> dict[str, str]:
    return {"groupid": g, "artifactid": a, "version": v, "scope": scope}


def maven_groupid(rng: random.Random) -> Req:
    org = pick(rng, ("acme", "globex", "initech", "hooli"))
    want = f"com.{org}"
    return Req(
        attestor="maven",
        rid="groupid",
        param=want,
        rule=f"the Maven project's groupId must be `{want}`",
        ask=f"check that the POM we built belongs to `{want}`",
        control=f"Only artifacts under the `{want}` groupId SHALL be released from this pipeline.",
        package="maven.groupid",
        rules=(
            Rule(
                (f"not input.groupid == {q(want)}",),
                'sprintf("groupId %v is not ' + want + f'", [{got("input.groupid")}])',
            ),
        ),
        fields="The maven attestor records the POM's coordinates as `input.groupid`, `input.artifactid`, "
        "`input.version` (all lowercase keys).",
        bases=bases(rng, "maven", language="java"),
        good=setp("groupid", value=want),
        bads=(setp("groupid", value="org.example"), setp("groupid", value=f"com.{org}.sandbox")),
        bad_desc=("groupId `org.example`", f"groupId `com.{org}.sandbox`"),
        touches=frozenset({"groupid"}),
        paths=(("input.groupid", "the POM's groupId"),),
    )


def maven_no_snapshot(rng: random.Random) -> Req:
    return Req(
        attestor="maven",
        rid="no-snapshot",
        param="-SNAPSHOT",
        rule="the project version must not be a `-SNAPSHOT` version",
        ask="stop SNAPSHOT versions from passing release verification",
        control="Released Maven artifacts SHALL NOT carry a SNAPSHOT version.",
        package="maven.release",
        rules=(
            Rule(
                ('endswith(input.version, "-SNAPSHOT")',),
                'sprintf("version %v is a snapshot", [input.version])',
            ),
        ),
        fields="`input.version` is the project version from the POM.",
        bases=bases(rng, "maven", language="java"),
        good=setp("version", value="2.4.1"),
        bads=(setp("version", value="2.5.0-SNAPSHOT"),),
        bad_desc=("version `2.5.0-SNAPSHOT`",),
        touches=frozenset({"version"}),
        paths=(("input.version", "the POM's version"),),
    )


_BANNED = (
    ("log4j", "log4j", "1.2.17"),
    ("commons-collections", "commons-collections", "3.2.1"),
    ("org.codehaus.jackson", "jackson-mapper-asl", "1.9.13"),
)


def maven_banned_dep(rng: random.Random) -> Req:
    g, a, v = pick(rng, _BANNED)
    return Req(
        attestor="maven",
        rid="banned-dependency",
        param=f"{g}:{a}",
        rule=f"the project must not depend on `{g}:{a}` in any version",
        ask=f"block any build that pulls in `{g}:{a}`",
        control=f"The dependency `{g}:{a}` SHALL NOT be used.",
        package="maven.banned",
        rules=(
            Rule(
                ("dep := input.dependencies[_]", f"dep.groupid == {q(g)}", f"dep.artifactid == {q(a)}"),
                'sprintf("banned dependency %v:%v:%v", [dep.groupid, dep.artifactid, dep.version])',
            ),
        ),
        fields="`input.dependencies` lists `{groupid, artifactid, version, scope}` for each POM dependency.",
        bases=bases(rng, "maven", language="java"),
        good=edit(
            lambda p: p.update(
                {"dependencies": [d for d in p.get("dependencies", []) if d["artifactid"] != a]}
            )
        ),
        bads=(_deps(_dep(g, a, v)), _deps(_dep(g, a, v, "test"))),
        bad_desc=(f"a compile dependency on `{g}:{a}:{v}`", f"a test-scoped `{g}:{a}`"),
        touches=frozenset({"dependencies"}),
        paths=(("input.dependencies", "the POM dependencies as `{groupid, artifactid, version, scope}`"),),
    )


def maven_min_version(rng: random.Random) -> Req:
    g, a, floor, old, ok, prop = pick(
        rng,
        (
            ("org.apache.logging.log4j", "log4j-core", "2.17.1", "2.9.1", "2.23.1", "log4j2.version"),
            (
                "com.fasterxml.jackson.core",
                "jackson-databind",
                "2.13.4",
                "2.9.10",
                "2.17.0",
                "jackson.version",
            ),
            ("org.springframework", "spring-webmvc", "5.3.18", "5.3.9", "6.1.5", "spring.version"),
        ),
    )
    unresolved = "${" + prop + "}"

    def pin(version: str) -> Mut:
        return edit(
            lambda p: p.update(
                {
                    "dependencies": [d for d in p.get("dependencies", []) if d["artifactid"] != a]
                    + [_dep(g, a, version)]
                }
            )
        )

    return Req(
        attestor="maven",
        rid="min-version",
        param=f"{a}>={floor}",
        rule=f"any dependency on `{g}:{a}` must pin a plain MAJOR.MINOR.PATCH version `{floor}` or newer",
        ask=f"reject builds that depend on `{a}` older than `{floor}`",
        control=f"`{g}:{a}` SHALL be at version {floor} or later.",
        package="maven.minversion",
        rules=(
            Rule(
                (
                    "dep := input.dependencies[_]",
                    f"dep.groupid == {q(g)}",
                    f"dep.artifactid == {q(a)}",
                    "semver.is_valid(dep.version)",
                    f"semver.compare(dep.version, {q(floor)}) < 0",
                ),
                'sprintf("%v %v is older than ' + floor + '", [dep.artifactid, dep.version])',
            ),
            Rule(
                (
                    "dep := input.dependencies[_]",
                    f"dep.groupid == {q(g)}",
                    f"dep.artifactid == {q(a)}",
                    "not semver.is_valid(dep.version)",
                ),
                'sprintf("%v version %q is not a plain MAJOR.MINOR.PATCH version, so it cannot be checked '
                "against " + floor + f'", [dep.artifactid, {got("dep.version", "")}])',
            ),
        ),
        fields="`input.dependencies` lists `{groupid, artifactid, version, scope}` with each version exactly as "
        "written in the POM; `semver.compare` orders MAJOR.MINOR.PATCH versions numerically (a plain string "
        "comparison would put 2.9 after 2.13).",
        note="`semver.compare` only accepts strict semantic versions. The maven attestor reads the raw POM, so a "
        f"version can be an unresolved property such as `{unresolved}`, empty (managed by a parent or BOM), or "
        "something like `2.3` or `2.0-beta9`; on such a value `semver.compare` raises an error, and because "
        "witness evaluates Rego without strict builtin errors the expression is just undefined and that `deny` "
        "rule never fires. The `not semver.is_valid(dep.version)` rule denies those versions instead of "
        "letting them through, so pin an explicit version in the POM.",
        bases=bases(rng, "maven", language="java"),
        good=pin(ok),
        extra_pass=(pin(floor),),
        bads=(pin(old), pin(unresolved), pin("")),
        bad_desc=(
            f"`{a}` {old}",
            f"`{a}` at the unresolved property `{unresolved}`",
            f"`{a}` with no version",
        ),
        touches=frozenset({"dependencies"}),
        paths=(("input.dependencies[_].version", "each dependency's version"),),
        bugs=(
            Bug(
                "string-compare",
                f"semver.compare(dep.version, {q(floor)}) < 0",
                f"dep.version < {q(floor)}",
                f'`<` on strings compares character by character, so `{old}` is not "less" than `{floor}` in the '
                "way versions are; use `semver.compare`.",
            ),
        ),
    )


def maven_no_system_scope(rng: random.Random) -> Req:
    return Req(
        attestor="maven",
        rid="no-system-scope",
        param="system",
        rule="no dependency may use the `system` scope (jars from the local filesystem)",
        ask="forbid `system`-scoped dependencies in the POM",
        control="Dependencies SHALL be resolved from a repository, never from local `system`-scope paths.",
        package="maven.scope",
        rules=(
            Rule(
                ("dep := input.dependencies[_]", 'dep.scope == "system"'),
                'sprintf("%v:%v uses system scope", [dep.groupid, dep.artifactid])',
            ),
        ),
        fields="`input.dependencies` lists `{groupid, artifactid, version, scope}`; `scope` is empty for the "
        "default compile scope.",
        bases=bases(rng, "maven", language="java"),
        good=edit(
            lambda p: p.update(
                {"dependencies": [d for d in p.get("dependencies", []) if d["scope"] != "system"]}
            )
        ),
        bads=(_deps(_dep("com.oracle", "ojdbc8", "19.3.0.0", "system")),),
        bad_desc=("a `system`-scoped `ojdbc8` jar",),
        touches=frozenset({"dependencies"}),
        paths=(("input.dependencies[_].scope", "each dependency's scope"),),
    )


# ---------------------------------------------------------------------------------------------- omnitrail


def omni_has_file(rng: random.Random) -> Req:
    base = bases(rng, "omnitrail")
    name = pick(rng, ("Dockerfile", "go.sum", "Makefile", "package-lock.json"))

    def with_file(p: Any) -> None:
        mapping = p["Envelope"]["mapping"]
        root = min(mapping, key=len)
        mapping[f"{root}/{name}"] = {
            "type": "file",
            "sha1": sha256_hex(name)[:40],
            "sha256": sha256_hex(name),
        }

    def without(p: Any) -> None:
        mapping = p["Envelope"]["mapping"]
        for k in [k for k in mapping if k.endswith("/" + name)]:
            del mapping[k]

    return Req(
        attestor="omnitrail",
        rid="has-file",
        param=name,
        rule=f"a file named `{name}` must appear in the omnitrail mapping",
        ask=f"make sure `{name}` is part of the omnitrail record of the step",
        control=f"The build's file trail SHALL include `{name}`.",
        package="omnitrail.file",
        rules=(Rule(("not has_file",), q(f"{name} is not in the omnitrail mapping")),),
        helpers=(
            (
                "has_file",
                (
                    ("input.Envelope.mapping[path]", "some path, _ in input.Envelope.mapping"),
                    f"endswith(path, {q('/' + name)})",
                ),
            ),
        ),
        fields="The omnitrail predicate has a single key `Envelope` (capital E); `Envelope.mapping` maps absolute "
        "paths to `{type, sha1, sha256, gitoid:...}`.",
        bases=base,
        good=edit(with_file),
        bads=(edit(without),),
        bad_desc=(f"a trail without `{name}`",),
        touches=frozenset({"Envelope"}),
        paths=(("input.Envelope.mapping", "absolute path -> {type, sha1, sha256, gitoid digests}"),),
        bugs=(
            Bug(
                "lowercase-envelope",
                "input.Envelope.mapping",
                "input.envelope.mapping",
                "Rego keys are case-sensitive and the omnitrail predicate's key is `Envelope` (capital E), so "
                "`input.envelope` is undefined.",
            ),
        ),
    )


def omni_all_hashed(rng: random.Random) -> Req:
    base = bases(rng, "omnitrail")

    def unhashed(p: Any) -> None:
        mapping = p["Envelope"]["mapping"]
        root = min(mapping, key=len)
        mapping[f"{root}/build.sh"] = {"type": "file"}

    def all_hashed(p: Any) -> None:
        mapping = p["Envelope"]["mapping"]
        for k in [k for k, v in mapping.items() if v.get("type") == "file" and not v.get("sha256")]:
            del mapping[k]

    return Req(
        attestor="omnitrail",
        rid="all-hashed",
        param="sha256",
        rule="every file entry in the omnitrail mapping must carry a sha256 digest",
        ask="verify that each file recorded by omnitrail has a sha256",
        control="Every recorded build input file SHALL have a SHA-256 digest.",
        package="omnitrail.hashed",
        rules=(
            Rule(
                (
                    ("entry := input.Envelope.mapping[path]", "some path, entry in input.Envelope.mapping"),
                    'entry.type == "file"',
                    "not entry.sha256",
                ),
                'sprintf("%v has no sha256", [path])',
            ),
        ),
        fields="`input.Envelope.mapping` maps each path to `{type, sha1, sha256, ...}`; `type` is `file` or "
        "`directory`.",
        bases=base,
        good=edit(all_hashed),
        bads=(edit(unhashed),),
        bad_desc=("a file entry without digests",),
        touches=frozenset({"Envelope"}),
        paths=(("input.Envelope.mapping[path].sha256", "the sha256 of a recorded file"),),
    )


# ---------------------------------------------------------------------------------------------- system-packages


def syspkg_distro(rng: random.Random) -> Req:
    allowed = pick(rng, (("ubuntu", "debian"), ("debian",), ("ubuntu",)))
    return Req(
        attestor="system-packages",
        rid="distribution",
        param=",".join(allowed),
        rule=f"the build image's distribution must be {md_list(list(allowed))}",
        ask=f"only accept builds on {md_list(list(allowed))} images",
        control=f"Build images SHALL be based on {' or '.join(allowed)}.",
        package="syspkg.distro",
        consts=(f"allowed_distros := {rset(list(allowed))}",),
        rules=(
            Rule(
                ("not allowed_distros[input.distribution]",),
                f'sprintf("distribution %v is not allowed", [{got("input.distribution")}])',
            ),
        ),
        fields="The system-packages predicate has `os`, `distribution`, `version`, `packages` (`{name, version}`) "
        "and a `digest` of the whole predicate (marshalled with an empty digest).",
        bases=bases(rng, "system-packages"),
        good=setp("distribution", value=allowed[0]),
        bads=(setp("distribution", value="fedora"), setp("distribution", value="centos")),
        bad_desc=("a Fedora image", "a CentOS image"),
        touches=frozenset({"distribution"}),
        paths=(("input.distribution", "the Linux distribution id of the build environment"),),
    )


def syspkg_banned(rng: random.Random) -> Req:
    banned = sorted(rng.sample(["telnet", "netcat-traditional", "rsh-client", "ftp", "nmap"], 2))
    return Req(
        attestor="system-packages",
        rid="banned-packages",
        param=",".join(banned),
        rule=f"none of the packages {md_list(banned)} may be installed in the build environment",
        ask=f"fail verification if {md_list(banned)} is installed on the build machine",
        control=f"Build environments SHALL NOT contain the packages {', '.join(banned)}.",
        package="syspkg.banned",
        consts=(f"banned_packages := {rset(banned)}",),
        rules=(
            Rule(
                ("pkg := input.packages[_]", "banned_packages[pkg.name]"),
                'sprintf("banned package %v %v is installed", [pkg.name, pkg.version])',
            ),
        ),
        fields="`input.packages` lists the installed packages as `{name, version}`.",
        bases=bases(rng, "system-packages"),
        good=edit(lambda p: p.update({"packages": [x for x in p["packages"] if x["name"] not in banned]})),
        bads=(edit(lambda p: p["packages"].append({"name": banned[0], "version": "0.17-44build1"})),),
        bad_desc=(f"an image with `{banned[0]}` installed",),
        touches=frozenset({"packages"}),
        paths=(("input.packages", "installed packages as `{name, version}`"),),
    )


def syspkg_required(rng: random.Random) -> Req:
    name = pick(rng, ("ca-certificates", "openssl", "tzdata"))
    return Req(
        attestor="system-packages",
        rid="required-package",
        param=name,
        rule=f"the package `{name}` must be installed in the build environment",
        ask=f"require `{name}` to be present on the build machine",
        control=f"Build environments SHALL have `{name}` installed.",
        package="syspkg.required",
        rules=(Rule(("not installed",), q(f"{name} is not installed")),),
        helpers=(("installed", (f"input.packages[_].name == {q(name)}",)),),
        fields="`input.packages` lists the installed packages as `{name, version}`.",
        bases=bases(rng, "system-packages"),
        good=edit(
            lambda p: p.update(
                {
                    "packages": [x for x in p["packages"] if x["name"] != name]
                    + [{"name": name, "version": "1.0"}]
                }
            )
        ),
        bads=(edit(lambda p: p.update({"packages": [x for x in p["packages"] if x["name"] != name]})),),
        bad_desc=(f"an image without `{name}`",),
        touches=frozenset({"packages"}),
        paths=(("input.packages[_].name", "each installed package's name"),),
    )


def syspkg_version(rng: random.Random) -> Req:
    allowed = pick(rng, (("22.04", "24.04"), ("24.04",)))
    return Req(
        attestor="system-packages",
        rid="os-version",
        param=",".join(allowed),
        rule=f"the build image must be Ubuntu {' or '.join(allowed)}",
        ask=f"only accept Ubuntu {' or '.join(allowed)} build images",
        control=f"Build hosts SHALL run a supported Ubuntu LTS release ({', '.join(allowed)}).",
        package="syspkg.release",
        consts=(f"supported := {rset(list(allowed))}",),
        rules=(
            Rule(
                ('not input.distribution == "ubuntu"',),
                f'sprintf("distribution %v is not ubuntu", [{got("input.distribution")}])',
            ),
            Rule(
                ("not supported[input.version]",),
                f'sprintf("ubuntu %v is not supported", [{got("input.version")}])',
            ),
        ),
        fields="`input.distribution` and `input.version` are the distribution id and release of the build "
        "environment (from `/etc/os-release`).",
        bases=bases(rng, "system-packages"),
        good=chain(setp("distribution", value="ubuntu"), setp("version", value=allowed[-1])),
        bads=(
            chain(setp("distribution", value="ubuntu"), setp("version", value="20.04")),
            setp("distribution", value="debian"),
        ),
        bad_desc=("Ubuntu 20.04", "a Debian image"),
        touches=frozenset({"distribution", "version"}),
        paths=(("input.version", "the distribution release"),),
    )


_ORGS = ("vandelay", "soylent", "cyberdyne", "oscorp", "aperture", "gringotts", "nakatomi", "monarch")


def git_committer_domain(rng: random.Random) -> Req:
    org = pick(rng, _ORGS)
    domain = f"{org}.{pick(rng, ('com', 'io', 'dev', 'net'))}"
    handle = pick(rng, ("ops-bot", "release.eng", "kim.lee", "r.ortega", "build"))
    return Req(
        attestor="git",
        rid="committer-domain",
        param=domain,
        rule=f"the commit's committer email must be an `@{domain}` address",
        ask=f"only accept commits whose committer uses an `@{domain}` email address",
        control=f"Commits SHALL be committed (not only authored) under the corporate `@{domain}` domain.",
        package="git.committer_domain",
        rules=(
            Rule(
                (f"not endswith(input.committeremail, {q('@' + domain)})",),
                'sprintf("committer %v is not an @' + domain + f' address", [{got("input.committeremail")}])',
            ),
        ),
        fields="`input.committeremail` is the committer's email (`input.authoremail` is the author's); the two "
        "differ for cherry-picks, rebases and commits made through a hosting platform's web UI, which uses "
        "`noreply@github.com` as committer on GitHub.",
        bases=bases(rng, "git"),
        good=setp("committeremail", value=f"{handle}@{domain}"),
        bads=(
            setp("committeremail", value="noreply@github.com"),
            setp("committeremail", value=f"{handle}@{domain}.mail-relay.net"),
            setp("committeremail", value=f"{handle}@gmail.com"),
        ),
        bad_desc=(
            "a commit made with GitHub's web UI",
            f"a committer at `{domain}.mail-relay.net`",
            "a committer with a gmail address",
        ),
        touches=frozenset({"committeremail"}),
        paths=(("input.committeremail", "the committer's email address"),),
        bugs=(
            Bug(
                "contains",
                f"not endswith(input.committeremail, {q('@' + domain)})",
                f"not contains(input.committeremail, {q(domain)})",
                f"`contains` also accepts `{handle}@{domain}.mail-relay.net`; the address has to end with "
                f"`@{domain}`.",
            ),
        ),
        story=(
            f"Our merge policy says only the release engineers (all on `@{domain}` addresses) may land commits "
            "on the release line; authors can be anyone, including outside contributors. Last month a build "
            "ran on a commit someone had pushed from a personal account. I want the verification to fail "
            f"whenever the person who committed isn't an `@{domain}` address.",
            f"We rebase contributor patches ourselves before building, so the committer is always one of us "
            f"(`@{domain}`), while the author stays the contributor. A build of a commit whose committer is "
            "somebody else means the process was skipped and should be rejected.",
        ),
    )


def git_remote_org(rng: random.Random) -> Req:
    scen, base = scenario_bases(rng, "git")
    org, project = pick(rng, _ORGS), scen[0].project
    https, ssh = f"https://github.com/{org}/", f"git@github.com:{org}/"
    fork = pick(rng, _FORKS)
    return Req(
        attestor="git",
        rid="remote-org",
        param=org,
        rule=f"every remote of the checkout must be a repository of the `{org}` GitHub organisation "
        f"(`{https}...` or `{ssh}...`), and there must be at least one",
        ask=f"reject checkouts that have no remote or any remote outside the `{org}` GitHub organisation "
        f"(https `{https}...` and ssh `{ssh}...` both count)",
        control=f"Builds SHALL only be made from checkouts of repositories owned by the `{org}` organisation.",
        package="git.remote_org",
        consts=(f"org_prefixes := {rarr([https, ssh])}",),
        rules=(
            Rule(("not has_remote",), q("the checkout has no remote")),
            Rule(
                ("url := input.remotes[_]", "not org_remote(url)"),
                f'sprintf("remote %v is outside the {org} organisation", [url])',
            ),
        ),
        helpers=(
            ("has_remote", ("input.remotes[_]",)),
            ("org_remote(url)", ("prefix := org_prefixes[_]", "startswith(url, prefix)")),
        ),
        fields="`input.remotes` lists the remote URLs of the checkout, with any user or token part of a URL-form "
        "remote removed (scp-like `git@host:org/repo` stays as written), and is absent when the clone has none; the prefixes end with `/` so an organisation whose "
        f"name merely starts with `{org}` does not match.",
        bases=base,
        good=setp("remotes", value=[f"{https}{project}.git"]),
        extra_pass=(
            setp("remotes", value=[f"{ssh}{project}.git"]),
            setp("remotes", value=[f"{https}{project}.git", f"{ssh}{project}-tools.git"]),
        ),
        bads=(
            setp("remotes", value=[f"https://github.com/{fork}/{project}.git"]),
            setp("remotes", value=[f"https://github.com/{org}-archive/{project}.git"]),
            setp("remotes", value=[f"{https}{project}.git", f"git@github.com:{fork}/{project}.git"]),
            delp("remotes"),
        ),
        bad_desc=(
            f"a checkout of `{fork}/{project}`",
            f"a checkout of `{org}-archive/{project}`",
            f"a checkout with a second remote in `{fork}`",
            "a checkout without any remote",
        ),
        touches=frozenset({"remotes"}),
        paths=(("input.remotes[_]", "each remote URL of the checkout"),),
        bugs=(
            Bug(
                "no-slash",
                f"org_prefixes := {rarr([https, ssh])}",
                f"org_prefixes := {rarr([https.rstrip('/'), ssh.rstrip('/')])}",
                f"without the trailing `/` the prefix `{https.rstrip('/')}` also matches "
                f"`https://github.com/{org}-archive/...`, another organisation.",
            ),
        ),
        story=(
            f"Somebody ran our release job on a clone of their own fork of `{project}`; the attestation looked "
            f"perfectly normal. Everything we ship lives in the `{org}` organisation on GitHub. Some runners "
            f"clone over https (`{https}{project}.git`), others over ssh (`{ssh}{project}.git`). Every remote "
            "the checkout has must point into that organisation, and a checkout with no remote at all is not "
            "acceptable either.",
            f"We want proof that builds come from our own org's repos (`{org}` on GitHub), not from forks. Our "
            f"clones use `{https}<repo>.git` or `{ssh}<repo>.git`. If any remote points elsewhere, or there is "
            "no remote, the build should be rejected.",
        ),
    )


def git_tree_pristine(rng: random.Random) -> Req:
    stray = pick(rng, ("notes.txt", ".env.local", "scratch/patch.diff", "debug.out"))
    changed = pick(rng, ("main.go", "src/app.py", "pkg/server/server.go", "Makefile", "package.json"))
    return Req(
        attestor="git",
        rid="clean-strict",
        param="status-empty",
        rule="the work tree must be completely clean: no modified, staged, deleted or even untracked file",
        ask="reject any build whose checkout had anything in `git status`, untracked files included",
        control="Release builds SHALL be made from a pristine checkout (empty `git status`).",
        package="git.pristine",
        rules=(
            Rule(
                (("st := input.status[path]", "some path, st in input.status"),),
                'sprintf("%v is not clean (staging: %v, worktree: %v)", [path, st.staging, st.worktree])',
            ),
        ),
        fields="`input.status` maps every path that is not clean to `{staging, worktree}` (`modified`, "
        "`added`, `deleted`, `untracked`, ...); it is absent for a clean checkout, so any entry at all is a "
        "violation.",
        bases=bases(rng, "git"),
        good=delp("status"),
        bads=(
            setp("status", value={stray: {"staging": "untracked", "worktree": "untracked"}}),
            setp("status", value={changed: {"staging": "unmodified", "worktree": "modified"}}),
            setp("status", value={changed: {"staging": "deleted", "worktree": "unmodified"}}),
        ),
        bad_desc=(f"an untracked `{stray}`", f"a modified `{changed}`", f"a staged deletion of `{changed}`"),
        touches=frozenset({"status"}),
        paths=(("input.status", "a map from each unclean path to its `staging`/`worktree` state"),),
        story=(
            f"A release once shipped with a stray `{stray}` baked into the archive because the runner reused "
            "a dirty workspace. From now on the checkout has to be spotless when the build starts: nothing "
            "modified, nothing staged, and no untracked files either.",
            f"Reproducibility requirement from our auditors: the build must start from exactly the committed "
            f"tree. If `git status` would show anything at all (a changed `{changed}`, an untracked file, a "
            "staged delete), verification should fail.",
        ),
    )


_ALLOWED_BRANCH_SETS = (
    ("main", "develop"),
    ("main", "staging", "production"),
    ("master", "release/3.2"),
    ("trunk", "stable"),
    ("main", "release/2025.10", "release/2025.11"),
)


def git_branch_allowlist(rng: random.Random) -> Req:
    allowed = list(pick(rng, _ALLOWED_BRANCH_SETS))
    wrong = pick(rng, ("feature/login", "fix/cve-patch", "dependabot/npm/lodash-4.17.21", "wip"))
    return Req(
        attestor="git",
        rid="branch-allowlist",
        param=",".join(allowed),
        rule=f"the branch must be one of {md_list(allowed)}",
        ask=f"only accept builds from the branches {md_list(allowed, 'and')}",
        control=f"Builds SHALL originate from an approved branch ({', '.join(allowed)}).",
        package="git.branch_allowlist",
        consts=(f"allowed_branches := {rset(allowed)}",),
        rules=(
            Rule(
                ('branch := object.get(input, "branch", "")', "not allowed_branches[branch]"),
                'sprintf("branch %q is not an approved branch", [branch])',
            ),
        ),
        fields="`input.branch` is the short name of the checked-out branch (the literal `HEAD` on a detached "
        "checkout); a set lookup `allowed_branches[branch]` is the allow-list test.",
        note=DETACHED_NOTE,
        bases=bases(rng, "git"),
        good=setp("branch", value=allowed[0]),
        extra_pass=tuple(setp("branch", value=b) for b in allowed[1:]),
        bads=(
            setp("branch", value=wrong),
            setp("branch", value=f"{allowed[0]}-backup"),
            setp("branch", value="HEAD"),
        ),
        bad_desc=(
            f"a build from `{wrong}`",
            f"a build from `{allowed[0]}-backup`",
            "a detached-HEAD checkout",
        ),
        touches=frozenset({"branch"}),
        paths=(("input.branch", "the short name of the checked-out branch"),),
        story=(
            f"Only {md_list(allowed, 'and')} are allowed to produce artifacts that leave the building. We "
            f"found a build that came from `{wrong}` in our registry last week. Can the policy reject any other "
            "branch?",
            f"Branch discipline: builds from {md_list(allowed)} are fine, anything else (feature branches, "
            "bot branches, detached checkouts) must fail verification.",
        ),
    )


_FETCH_URLS = (
    "https://get.example-tools.io/install.sh",
    "https://downloads.example.org/cli/latest/cli-linux-amd64",
    "https://raw.githubusercontent.com/someone/scripts/main/setup.sh",
)


def cmd_no_fetch(rng: random.Random) -> Req:
    url = pick(rng, _FETCH_URLS)
    build = pick(
        rng, (["make", "build"], ["go", "build", "./..."], ["npm", "run", "build"], ["cargo", "build"])
    )
    return Req(
        attestor="command-run",
        rid="no-fetch",
        param="curl,wget",
        rule="the attested command must not run `curl` or `wget`, as the program or inside a shell script "
        "(a word merely containing those letters is fine)",
        ask="reject steps whose command downloads anything with `curl` or `wget`, including inside a "
        "`bash -c` script",
        control="Build steps SHALL NOT fetch code or tools from the network with `curl` or `wget`.",
        package="commandrun.nofetch",
        consts=("fetch_tool := `(^|[^A-Za-z0-9_.-])(curl|wget)([^A-Za-z0-9_.-]|$)`",),
        rules=(
            Rule(
                ("arg := input.cmd[_]", "regex.match(fetch_tool, arg)"),
                'sprintf("command downloads with curl/wget: %v", [arg])',
            ),
        ),
        fields="`input.cmd` is the argv array after `--`; a `bash -c` script is one element, so every element "
        "is searched, and the pattern needs a non-word character (or the string's edge) around the tool name so "
        "`/usr/bin/curl` matches while `curling` does not.",
        bases=bases(rng, "command-run"),
        good=_cmd(build),
        extra_pass=(
            _cmd(["bash", "-c", f"{' '.join(build)} && ./scripts/curling-stats.sh"]),
            _cmd(["sh", "-c", "sha256sum -c checksums.txt"]),
        ),
        bads=(
            _cmd(["curl", "-fsSLO", url]),
            _cmd(["bash", "-c", f"wget -qO- {url} | sh && {' '.join(build)}"]),
            _cmd(["/usr/bin/curl", "-o", "tool", url]),
            _cmd(["sh", "-c", f"{' '.join(build)};curl -sL {url} -o x"]),
        ),
        bad_desc=(
            f"`curl -fsSLO {url}`",
            "a `bash -c` script that pipes `wget` into `sh`",
            "`/usr/bin/curl` called by path",
            "a `sh -c` script ending in a `curl` download",
        ),
        touches=frozenset({"cmd"}),
        paths=(("input.cmd[_]", "each argument of the command"),),
        bugs=(
            Bug(
                "program-only",
                "arg := input.cmd[_]",
                "arg := input.cmd[0]",
                "only the program (`input.cmd[0]`) is looked at, so a download inside a `bash -c` script "
                "passes; search every element.",
            ),
        ),
        story=(
            f"Every build step of ours is supposed to be hermetic: tools come from the image, not from the "
            f"internet. Someone recently added a `wget ... | sh` to a `bash -c` wrapper and nobody noticed. "
            f"Whenever the recorded command uses `curl` or `wget` (even buried in a shell script or called as "
            f"`/usr/bin/curl`), verification should fail. Our build runs `{' '.join(build)}`.",
            "Our supply-chain rule: no downloads during the build. I'd like the check to look at the exact "
            "command witness recorded and refuse it if `curl` or `wget` shows up anywhere in it, including "
            "`sh -c` scripts.",
        ),
    )


_RUNNER_VARS = (
    ("github", "RUNNER_ENVIRONMENT", "github-hosted", "self-hosted", "GitHub-hosted runners"),
    ("github", "RUNNER_OS", "Linux", "macOS", "Linux runners"),
    ("github", "RUNNER_ARCH", "X64", "ARM64", "x64 runners"),
    ("gitlab", "CI_SERVER_HOST", "gitlab.com", "gitlab.staging.example.net", "jobs from gitlab.com"),
    ("gitlab", "CI_RUNNER_EXECUTABLE_ARCH", "linux/amd64", "linux/arm64", "linux/amd64 runners"),
)


def env_runner(rng: random.Random) -> Req:
    ci, var, want, wrong, who = pick(rng, _RUNNER_VARS)
    base = bases(rng, "environment", ci=ci)
    return Req(
        attestor="environment",
        rid="runner-var",
        param=f"{var}={want}",
        rule=f"the CI variable `{var}` must be exactly `{want}` (missing counts as a violation)",
        ask=f"only accept builds from {who}, i.e. `{var}` is `{want}`",
        control=f"Release builds SHALL run on {who} (`{var}={want}`).",
        package="environment.runner",
        rules=(
            Rule(
                (f"not input.variables[{q(var)}] == {q(want)}",),
                f'sprintf("{var} is %q, expected {want}", [{got(f"input.variables[{q(var)}]", "(unset)")}])',
            ),
        ),
        fields=f"`input.variables` maps each environment variable of the step to its value (a string), so the "
        f'runner variable is `input.variables["{var}"]`; `not ... == ...` also fires when it is missing.',
        bases=base,
        good=_var(var, want),
        bads=(_var(var, wrong), _var(var, None)),
        bad_desc=(f"`{var}={wrong}`", f"a run without `{var}`"),
        touches=frozenset({f"variables.{var}"}),
        paths=((f'input.variables["{var}"]', f"the `{var}` value the CI system set"),),
        bugs=(
            Bug(
                "neq-missing",
                f"not input.variables[{q(var)}] == {q(want)}",
                f"input.variables[{q(var)}] != {q(want)}",
                f"`!=` is undefined when `{var}` is missing, so a run outside that CI passes; "
                f"`not ... == {q(want)}` denies it.",
            ),
        ),
        story=(
            f"We only trust {who} for release builds. The CI sets `{var}` to `{want}` there and to something "
            f"else (`{wrong}`, say) elsewhere. Can verification refuse anything that didn't run there, "
            "including runs where the variable isn't there at all?",
            f"Someone registered their own machine as a runner and it picked up our release job. Going forward "
            f"only {who} count: `{var}` has to be `{want}` when the step runs.",
        ),
    )


_FLAG_VARS = (
    ("GITHUB_ACTIONS", "true", "false", "github"),
    ("GITLAB_CI", "true", "false", "gitlab"),
    ("CI", "true", "false", "github"),
    ("CARGO_NET_OFFLINE", "true", "false", ""),
    ("NPM_CONFIG_IGNORE_SCRIPTS", "true", "false", ""),
    ("DOCKER_BUILDKIT", "1", "0", ""),
)


def env_flag_string(rng: random.Random) -> Req:
    var, want, off, ci = pick(rng, _FLAG_VARS)
    base = bases(rng, "environment", ci=ci) if ci else bases(rng, "environment")
    literal = "true" if want == "true" else "1"
    return Req(
        attestor="environment",
        rid="flag-string",
        param=f"{var}={want}",
        rule=f"`{var}` must be set to `{want}` in the build environment",
        ask=f"require `{var}={want}` when the step runs",
        control=f"Builds SHALL run with `{var}` enabled (`{want}`).",
        package="environment.flag",
        rules=(Rule((f"not input.variables[{q(var)}] == {q(want)}",), q(f"{var} is not {want}")),),
        fields=f'`input.variables` holds every value as a string, so the comparison is with `"{want}"`: the '
        f"boolean or number `{literal}` never equals it.",
        note=f'Environment values are strings: `input.variables["{var}"] == {literal}` (without quotes) is '
        "never true, so such a rule either denies every run or none.",
        bases=base,
        good=_var(var, want),
        bads=(_var(var, off), _var(var, None)),
        bad_desc=(f"`{var}={off}`", f"a run without `{var}`"),
        touches=frozenset({f"variables.{var}"}),
        paths=(("input.variables", "a map from environment variable name to its string value"),),
        bugs=(
            Bug(
                "bool-vs-string",
                f"not input.variables[{q(var)}] == {q(want)}",
                f"not input.variables[{q(var)}] == {literal}",
                f'environment values are strings: `"{want}"` is a string, `{literal}` without quotes is a '
                f"{'boolean' if want == 'true' else 'number'}, and the two are never equal, so every run is "
                "denied. Compare with the quoted string.",
            ),
        ),
        story=(
            f"Our builds are meant to run with `{var}={want}`. I tried a rule comparing it with {literal} and "
            "now every single build fails verification, even the good ones. What should the check be?",
            f"We need proof that `{var}` was `{want}` during the build (someone switched it to `{off}` to get "
            "a release out quicker). A run where it is missing must fail too.",
        ),
    )


def env_hostname_regex(rng: random.Random) -> Req:
    org = pick(rng, _ORGS)
    prefix = pick(rng, ("build", "ci", "runner"))
    domain = f"{org}.internal"
    escaped = domain.replace(".", "\\.")
    pattern = f"^{prefix}-[0-9]+\\.ci\\.{escaped}$"
    good_host = f"{prefix}-{rng.randint(2, 60)}.ci.{domain}"
    return Req(
        attestor="environment",
        rid="hostname-regex",
        param=pattern,
        rule=f"the build host's name must be `{prefix}-<number>.ci.{domain}` (regex `{pattern}`)",
        ask=f"only accept builds from hosts named `{prefix}-<number>.ci.{domain}`",
        control=f"Builds SHALL run on managed hosts named `{prefix}-<n>.ci.{domain}`.",
        package="environment.hostname",
        rules=(
            Rule(
                (f"not regex.match(`{pattern}`, input.hostname)",),
                f'sprintf("build host %v is not a managed runner", [{got("input.hostname")}])',
            ),
        ),
        fields="`input.hostname` is the hostname of the machine that ran `witness run`; the regex is anchored "
        "at both ends so a look-alike suffix or prefix does not match.",
        bases=bases(rng, "environment"),
        good=setp("hostname", value=good_host),
        bads=(
            setp("hostname", value=f"{good_host}.attacker.net"),
            setp("hostname", value=f"{prefix}-dev.ci.{domain}"),
            setp("hostname", value="laptop-marta"),
        ),
        bad_desc=(f"`{good_host}.attacker.net`", f"`{prefix}-dev.ci.{domain}`", "a laptop"),
        touches=frozenset({"hostname"}),
        paths=(("input.hostname", "the build machine's hostname"),),
        bugs=(
            Bug(
                "unanchored",
                f"not regex.match(`{pattern}`, input.hostname)",
                f"not regex.match(`{pattern.rstrip('$')}`, input.hostname)",
                f"without `$` the pattern also matches `{good_host}.attacker.net`; anchor both ends.",
            ),
        ),
        story=(
            f"Our build fleet is named `{prefix}-<number>.ci.{domain}` (e.g. `{good_host}`). A release was "
            "produced on someone's laptop last quarter. Only hosts following that naming scheme should pass.",
        ),
    )


_ROOT_FILES = (
    ("Makefile", "go", ("tools/Makefile", "docs/Makefile")),
    ("Dockerfile", "go", ("build/Dockerfile", "examples/Dockerfile")),
    ("go.mod", "go", ("tools/go.mod", "examples/hello/go.mod")),
    ("package.json", "node", ("packages/ui/package.json", "e2e/package.json")),
    ("pyproject.toml", "python", ("docs/pyproject.toml", "plugins/x/pyproject.toml")),
    ("Cargo.toml", "rust", ("crates/core/Cargo.toml", "fuzz/Cargo.toml")),
    ("LICENSE", "go", ("third_party/LICENSE", "vendor/github.com/pkg/errors/LICENSE")),
)


def mat_root_file(rng: random.Random) -> Req:
    name, lang, subs = pick(rng, _ROOT_FILES)
    base = bases(rng, "material", language=lang)
    digest = {"sha256": sha256_hex(f"{name}:reviewed")}
    sub = pick(rng, subs)
    return Req(
        attestor="material",
        rid="root-file",
        param=name,
        rule=f"`{name}` must exist at the root of the working directory when the step starts (a copy in a "
        "subdirectory does not count)",
        ask=f"reject the step if there was no top-level `{name}` among its materials",
        control=f"Builds SHALL start from a checkout with a top-level `{name}`.",
        package="material.rootfile",
        rules=(Rule((f"not input[{q(name)}]",), q(f"no {name} at the root of the working directory")),),
        fields="The material predicate is a bare map from path (relative to the working directory) to its "
        f'digests, recorded before the command runs; the top-level file is exactly the key `"{name}"`, while '
        f"`{sub}` would be its own key.",
        bases=base,
        good=setp(name, value=digest),
        bads=(delp(name), chain(delp(name), setp(sub, value=digest))),
        bad_desc=(f"a checkout without `{name}`", f"a checkout with only `{sub}`"),
        touches=frozenset({name, sub}),
        paths=(('input["<path>"]', "the DigestSet of a material file (bare map keyed by path)"),),
        bugs=(
            Bug(
                "suffix",
                f"not input[{q(name)}]",
                f"count([p | input[p]; endswith(p, {q(name)})]) == 0",
                f"matching on the suffix accepts `{sub}` as well; the root file is the exact key `{q(name)}`.",
            ),
        ),
        story=(
            f"Our build assumes a `{name}` at the top of the repository. One pipeline ran in the wrong "
            f"directory and only found `{sub}`, and it still produced an artifact. I'd like the build step to "
            f"be rejected unless `{name}` was there at the root when the command started.",
            f"Witness records the files present before the command runs, right? Then I want the policy to "
            f"require a root-level `{name}`. A `{name}` in a subfolder such as `{sub}` must not satisfy it.",
        ),
    )


_NPM_MIRRORS = (
    "https://nexus.{org}.io/repository/npm-proxy/",
    "https://artifactory.{org}.com/api/npm/npm-remote/",
    "https://npm.pkg.{org}.dev/",
    "https://verdaccio.{org}.net/",
)
_NPM_PKGS = (
    ("express", "4.19.2"),
    ("lodash", "4.17.21"),
    ("react", "18.3.1"),
    ("axios", "1.7.2"),
    ("zod", "3.23.8"),
    ("chalk", "5.3.0"),
)


def _npm_lock(name: str, deps: list[tuple[str, str, str]]) -> dict[str, Any]:
    """A package-lock.json (lockfileVersion 3) entry as the lockfiles attestor records it."""
    packages: dict[str, Any] = {"": {"name": name, "version": "1.0.0"}}
    for pkg, version, url in deps:
        packages[f"node_modules/{pkg}"] = {
            "version": version,
            "resolved": url,
            "integrity": "sha512-" + sha256_hex(f"{pkg}@{version}")[:44] + "==",
        }
    content = json.dumps(
        {"name": name, "version": "1.0.0", "lockfileVersion": 3, "requires": True, "packages": packages},
        indent=2,
    )
    content += "\n"
    return {"filename": "package-lock.json", "content": content, "digest": {"sha256": sha256_hex(content)}}


def _tarball(registry: str, pkg: str, version: str) -> str:
    return f"{registry}{pkg}/-/{pkg}-{version}.tgz"


def lock_registry(rng: random.Random) -> Req:
    org = pick(rng, _ORGS)
    public = "https://registry.npmjs.org/"
    mirror = pick(rng, _NPM_MIRRORS).format(org=org)
    allowed = [public, mirror]
    scen, base = scenario_bases(rng, "lockfiles", language="node")
    project = scen[0].project
    deps = rng.sample(_NPM_PKGS, 3)

    def lock(*urls: str) -> Any:
        entries = [(p, v, u) for (p, v), u in zip(deps, urls, strict=True)]
        return setp("lockfiles", value=[_npm_lock(project, entries)])

    ok = [_tarball(public, p, v) for p, v in deps]
    via_mirror = [_tarball(mirror, p, v) for p, v in deps]
    p2, v2 = deps[2]
    return Req(
        attestor="lockfiles",
        rid="registry-allowlist",
        param=mirror,
        rule=f"every `resolved` URL in the recorded `package-lock.json` must start with `{public}` or `{mirror}`",
        ask=f"only allow npm packages resolved from `{public}` or our mirror `{mirror}`",
        control=f"npm dependencies SHALL only be fetched from approved registries ({public}, {mirror}).",
        package="lockfiles.registries",
        consts=(f"allowed_registries := {rarr(allowed)}",),
        rules=(
            Rule(
                (
                    "lf := input.lockfiles[_]",
                    'lf.filename == "package-lock.json"',
                    "lock := json.unmarshal(lf.content)",
                    ("pkg := lock.packages[name]", "some name, pkg in lock.packages"),
                    "url := pkg.resolved",
                    "not approved_registry(url)",
                ),
                'sprintf("%v is resolved from %v", [name, url])',
            ),
        ),
        helpers=(("approved_registry(url)", ("prefix := allowed_registries[_]", "startswith(url, prefix)")),),
        fields="`input.lockfiles` lists `{filename, content, digest}`; `content` is the whole file as text, so "
        "`json.unmarshal` turns `package-lock.json` into an object whose `packages` map holds each dependency's "
        "`resolved` URL (the root package has none and is skipped).",
        bases=base,
        good=lock(*ok),
        extra_pass=(lock(*via_mirror), lock(ok[0], via_mirror[1], ok[2])),
        bads=(
            lock(ok[0], ok[1], _tarball("http://registry.npmjs.org/", p2, v2)),
            lock(ok[0], ok[1], f"git+ssh://git@github.com/{org}/{p2}.git#{sha256_hex(p2)[:40]}"),
            lock(ok[0], ok[1], _tarball("https://registry.npmjs.org.cdn-cache.io/", p2, v2)),
            lock(ok[0], ok[1], _tarball("https://registry.yarnpkg.com/", p2, v2)),
        ),
        bad_desc=(
            f"`{p2}` fetched over plain http",
            f"`{p2}` as a git+ssh dependency",
            f"`{p2}` from a look-alike host",
            f"`{p2}` from the yarn registry",
        ),
        touches=frozenset({"lockfiles"}),
        paths=(("input.lockfiles[_].content", "the full text of each recorded lock file"),),
        bugs=(
            Bug(
                "no-slash",
                f"allowed_registries := {rarr(allowed)}",
                f"allowed_registries := {rarr([a.rstrip('/') for a in allowed])}",
                "without the trailing `/` the prefix `https://registry.npmjs.org` also matches a host such as "
                "`registry.npmjs.org.cdn-cache.io`.",
            ),
        ),
        story=(
            f"Security asked us to prove that the install step only pulled npm packages from the public "
            f"registry (`{public}`) or our proxy (`{mirror}`). No plain http, no git dependencies, no other "
            "hosts. We already record `-a lockfiles` on that step. Is this enforceable?",
            f"After a dependency-confusion scare we route all npm traffic through `{mirror}`, with "
            f"`{public}` still allowed for a few teams. I want verification to fail when the recorded "
            "`package-lock.json` resolves any package from somewhere else.",
        ),
    )


MAKERS: dict[str, tuple[Maker, ...]] = {
    "git": (
        git_branch,
        git_branch_glob,
        git_clean,
        git_author_domain,
        git_remote,
        git_semver_tag,
        git_signed,
        git_no_merge,
        git_no_web_commits,
        git_ticket,
        git_committer_domain,
        git_remote_org,
        git_tree_pristine,
        git_branch_allowlist,
    ),
    "command-run": (
        cmd_prefix,
        cmd_no_download,
        cmd_program_allowlist,
        cmd_forbidden_flags,
        cmd_exact,
        cmd_exitcode,
        cmd_no_fetch,
        cmd_script_contains,
    ),
    "environment": (
        env_set,
        env_unset,
        env_equals,
        env_os,
        env_not_root,
        env_hostname,
        env_secrets_masked,
        env_path_safe,
        env_runner,
        env_flag_string,
        env_hostname_regex,
    ),
    "material": (mat_lockfile, mat_pinned, mat_no_suffix, mat_root_file),
    "lockfiles": (lock_has, lock_pinned, lock_single_manager, lock_registry),
    "maven": (maven_groupid, maven_no_snapshot, maven_banned_dep, maven_min_version, maven_no_system_scope),
    "omnitrail": (omni_has_file, omni_all_hashed),
    "system-packages": (syspkg_distro, syspkg_banned, syspkg_required, syspkg_version),
}
