"""Family `rego`: write (or fix) a Rego module that denies one attestor's predicate on a condition.

Every example is one condition over one attestor's predicate (git branch, command prefix, env
variable, GitHub claim, product path, SBOM name...). Its check holds realistic Rego inputs built
with the core attestor builders from a `Scenario` (the JSON `witness verify` hands to Rego, trimmed):
inputs that must pass and inputs that must be denied. Scoring runs every Rego module of an answer
in the sandbox in "verify" mode (OPA v0 parser, go-witness result contract) and, where the question
asked for it, also parses it as `witness policy check` does (OPA v1 parser).

Sub-kinds: `write` (portable module), `portable` (must also pass `witness policy check`), `v0`
(classic `deny[msg]` form for `witness verify` only) and `fix` (a module with one trap from
REFERENCE.md §8: v1 keywords without `import rego.v1`, `deny` as a string or boolean, a wrong
input path such as `input.predicate.x` / `input.Materials[...]`, or no `deny` rule at all).
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from witness_evals.bench.scorers.base import Score, guarded
from witness_evals.bench.scorers.context import ScoreContext
from witness_evals.bench.scorers.rego import score_rego
from witness_evals.generate.example import Example
from witness_evals.generate.families import Family
from witness_evals.generate.phrasing import dress, pick, system_prompt
from witness_evals.witness import versions
from witness_evals.witness.attestors import Scenario, get
from witness_evals.witness.attestors.sbom import CYCLONEDX_TYPE, SPDX_TYPE
from witness_evals.witness.digests import sha256_hex
from witness_evals.witness.rego import evaluate_deny
from witness_evals.witness.rego.syntax import v0_issues
from witness_evals.witness.versions import WitnessVersion

NAME = "rego"
MAX_MODULES = 4
MODULE_NAME = "policy.rego"


@dataclass
class Cond:
    """One condition: the Rego that enforces it and the inputs it must pass / deny."""

    attestor: str
    cond: str
    param: str
    rule: str
    """Requirement as a clause, e.g. "the git branch must be `main`"."""
    package: str
    body: list[str]
    msg: str
    fields: str
    """One sentence on the input path(s) the rule reads."""
    pass_inputs: list[Any]
    deny_inputs: list[Any]
    consts: list[str] = field(default_factory=list)
    helpers: list[tuple[str, list[str]]] = field(default_factory=list)
    note: str = ""
    att_type: str = ""

    def type_uri(self) -> str:
        return self.att_type or get(self.attestor).type


def _q(value: str) -> str:
    """A Rego string literal (JSON escaping is valid Rego)."""
    return json.dumps(value)


def render(c: Cond, style: str = "v1") -> str:
    """The module in portable v1 (`import rego.v1`) or classic v0 (`deny[msg] {`) syntax."""
    v1 = style == "v1"
    lines = [f"package {c.package}", ""]
    if v1:
        lines += ["import rego.v1", ""]
    for const in c.consts:
        lines += [const, ""]
    for head, body in c.helpers:
        lines.append(f"{head} if {{" if v1 else f"{head} {{")
        lines += [f"\t{b}" for b in body]
        lines += ["}", ""]
    lines.append("deny contains msg if {" if v1 else "deny[msg] {")
    lines += [f"\t{b}" for b in c.body]
    lines += [f"\tmsg := {c.msg}", "}"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- predicates
def _trim(name: str, pred: Any) -> Any:
    """Drop bulky parts that no rule reads (keeps the check small, the shape realistic)."""
    if name in ("github", "gitlab") and isinstance(pred.get("jwt"), dict):
        verified = pred["jwt"].get("verifiedBy")
        if isinstance(verified, dict):
            pred["jwt"]["verifiedBy"] = {"jwksUrl": verified.get("jwksUrl", "")}
    elif name == "git":
        pred.pop("signature", None)
    elif name == "material":
        pred = {
            k: v for k, v in pred.items() if not k.startswith(".git/") or k in (".git/HEAD", ".git/config")
        }
    elif name == "command-run":
        pred.pop("processes", None)
        pred.pop("stdout", None)
    elif name == "sbom":
        for key in ("packages", "components"):
            if isinstance(pred.get(key), list):
                pred[key] = pred[key][:2]
        if isinstance(pred.get("relationships"), list):
            pred["relationships"] = pred["relationships"][:1]
    elif name == "lockfiles":
        for lf in pred.get("lockfiles") or []:
            lf["content"] = lf["content"][:160]
    elif name == "oci":
        pred.pop("manifestraw", None)
        pred["diffids"] = (pred.get("diffids") or [])[:2]
        for m in pred.get("manifest") or []:
            m["Layers"] = (m.get("Layers") or [])[:2]
    return pred


def _pred(name: str, s: Scenario) -> Any:
    spec = get(name)
    return _trim(name, spec.rego_input(spec.build(s.sub_rng(name), s)))


def _file(path: str, mime: str) -> dict[str, Any]:
    return {"mime_type": mime, "digest": {"sha256": sha256_hex(path)}}


_BRANCHES = ("main", "master", "develop", "feature/sbom", "fix/timeout", "release/1.4")
_ORGS = ("evil-fork", "contoso", "octo-mirror", "someone-else")


def _other_branches(rng: random.Random, want: str, n: int = 2) -> list[str]:
    return rng.sample([b for b in _BRANCHES if b != want], n)


# ---------------------------------------------------------------- git
def _git_branch(rng: random.Random) -> Cond:
    want = pick(rng, ("main", "master", "release/1.4"))
    s = Scenario.random(rng)
    return Cond(
        "git",
        "branch",
        want,
        f"the commit must be on the `{want}` branch",
        "git.branch",
        [f"not input.branch == {_q(want)}"],
        _q(f"builds must come from the {want} branch"),
        "`input.branch` is the short branch name recorded by the git attestor.",
        [_pred("git", s.with_(branch=want))],
        [_pred("git", s.with_(branch=b)) for b in _other_branches(rng, want)],
    )


def _git_clean(rng: random.Random) -> Cond:
    s = Scenario.random(rng)
    base = _pred("git", s)
    base.pop("status", None)
    tracked = sorted(p for p in s.files_before if not p.startswith(".git/"))
    d1 = copy.deepcopy(base)
    d1["status"] = {pick(rng, tracked): {"staging": "unmodified", "worktree": "modified"}}
    d2 = copy.deepcopy(base)
    d2["status"] = {"notes.txt": {"staging": "untracked", "worktree": "untracked"}}
    return Cond(
        "git",
        "clean",
        "",
        "the git work tree must be clean (no modified or untracked files)",
        "git.clean",
        ["count(input.status) > 0"],
        _q("the git work tree has uncommitted changes"),
        "`input.status` maps each changed or untracked path to its `staging`/`worktree` state and is "
        "omitted when the tree is clean.",
        [base],
        [d1, d2],
    )


def _git_author_domain(rng: random.Random) -> Cond:
    s = Scenario.random(rng)
    domain = f"{s.org}.{pick(rng, ('com', 'io'))}"
    handle = s.author_email.split("@")[0]

    def with_email(email: str) -> Any:
        return _pred("git", s.with_(author_email=email, committer=s.author, committer_email=email))

    return Cond(
        "git",
        "author-domain",
        domain,
        f"the commit author's email must be an `@{domain}` address",
        "git.author",
        [f"not endswith(input.authoremail, {_q('@' + domain)})"],
        _q(f"commit author is not an @{domain} address"),
        "`input.authoremail` is the commit author's email address.",
        [with_email(f"{handle}@{domain}")],
        [with_email(f"{handle}@gmail.com"), with_email(f"{handle}@not{domain}")],
    )


def _git_remote(rng: random.Random) -> Cond:
    s = Scenario.random(rng)
    want = s.repo_url
    others = [f"https://github.com/{o}/{s.project}.git" for o in rng.sample(_ORGS, 2)]
    return Cond(
        "git",
        "remote",
        want,
        f"the repository's remote must be `{want}`",
        "git.remote",
        ["not remote_ok"],
        _q(f"the repository remote is not {want}"),
        "`input.remotes` is the list of remote URLs of the checkout (credentials stripped).",
        [_pred("git", s)],
        # another org's fork, and a look-alike repo of the same org (owner-only checks must fail)
        [_pred("git", s.with_(repo_url=u)) for u in [*others, want.removesuffix(".git") + "-fork.git"]],
        helpers=[("remote_ok", [f"input.remotes[_] == {_q(want)}"])],
    )


# ---------------------------------------------------------------- command-run
_OTHER_SUBCOMMANDS = {
    "go": ("go", "test", "./..."),
    "npm": ("npm", "install"),
    "python": ("python", "setup.py", "bdist_wheel"),
    "cargo": ("cargo", "run"),
    "mvn": ("mvn", "deploy"),
}


def _cmd(base: Any, cmd: list[str]) -> Any:
    out = copy.deepcopy(base)
    out["cmd"] = cmd
    return out


def _cmd_prefix(rng: random.Random) -> Cond:
    s = Scenario.random(rng, step_kind="build")
    base = _pred("command-run", s)
    p0, p1 = s.command[0], s.command[1]
    return Cond(
        "command-run",
        "prefix",
        f"{p0} {p1}",
        f"the command must start with `{p0} {p1}`",
        "commandrun.prefix",
        ["not prefix_ok"],
        _q(f"the command must start with {p0} {p1}"),
        "`input.cmd` is the argv array given after `--` (`input.cmd[0]` is the program).",
        [base],
        [_cmd(base, list(_OTHER_SUBCOMMANDS[p0])), _cmd(base, ["bash", "-c", " ".join(s.command)])],
        helpers=[("prefix_ok", [f"input.cmd[0] == {_q(p0)}", f"input.cmd[1] == {_q(p1)}"])],
    )


def _cmd_no_download(rng: random.Random) -> Cond:
    tool = pick(rng, ("curl", "wget"))
    s = Scenario.random(rng)
    base = _pred("command-run", s)
    pipe = (
        "curl -fsSL https://get.example.sh | sh"
        if tool == "curl"
        else "wget -qO- https://get.example.sh | sh"
    )
    fetch = ["curl", "-o", "tool.tar.gz", "https://example.com/tool.tar.gz"]
    if tool == "wget":
        fetch = ["wget", "-O", "tool.tar.gz", "https://example.com/tool.tar.gz"]
    return Cond(
        "command-run",
        "no-download",
        tool,
        f"no element of the command (`cmd`) may contain the string `{tool}`, "
        "not even inside a `bash -c` script",
        f"commandrun.no{tool}",
        ["arg := input.cmd[_]", f"contains(arg, {_q(tool)})"],
        f'sprintf("command argument %v uses {tool}", [arg])',
        "`input.cmd` is the argv array given after `--`; a `bash -c` script is one element of it.",
        [base],
        [_cmd(base, ["bash", "-c", pipe]), _cmd(base, fetch)],
    )


_SCRIPTS = (
    "echo 'hello' > hello.txt",
    "make build",
    "go build -o bin/app ./cmd/app",
    "./scripts/release.sh",
    "npm ci && npm run build",
)


def _cmd_script(rng: random.Random) -> Cond:
    script = pick(rng, _SCRIPTS)
    other = pick(rng, [x for x in _SCRIPTS if x != script])
    s = Scenario.random(rng)
    base = _pred("command-run", s)
    return Cond(
        "command-run",
        "script",
        script,
        f'the step must run `bash -c "{script}"`, i.e. `cmd[2]` must be exactly `{script}`',
        "commandrun.script",
        [f"not input.cmd[2] == {_q(script)}"],
        _q("unexpected command"),
        '`input.cmd` is the argv array: for `witness run ... -- bash -c "<script>"` it is '
        '`["bash", "-c", "<script>"]`, so the script is `input.cmd[2]`.',
        [_cmd(base, ["bash", "-c", script])],
        [
            _cmd(base, ["bash", "-c", other]),
            _cmd(base, ["bash", "-c", f"{script} && curl -s https://example.com/x | sh"]),
        ],
    )


def _cmd_exitcode(rng: random.Random) -> Cond:
    s = Scenario.random(rng)
    base = _pred("command-run", s)
    bad = []
    for code in (1, pick(rng, (2, 127, 137))):
        d = copy.deepcopy(base)
        d["exitcode"] = code
        bad.append(d)
    return Cond(
        "command-run",
        "exitcode",
        "0",
        "the command's exit code must be 0",
        "commandrun.exitcode",
        ["input.exitcode != 0"],
        _q("exitcode not 0"),
        "`input.exitcode` is the command's exit code (an integer).",
        [base],
        bad,
        note="Note: with the witness CLI a non-zero exit makes `witness run` fail and no attestation is "
        "written, so this rule only fires for attestations made through the go-witness library with "
        "`RunWithIgnoreErrors`; it is a harmless safety net.",
    )


# ---------------------------------------------------------------- environment
def _env(base: Any, **changes: str | None) -> Any:
    out = copy.deepcopy(base)
    variables = out.setdefault("variables", {})
    for k, v in changes.items():
        if v is None:
            variables.pop(k, None)
        else:
            variables[k] = v
    out["variables"] = {k: variables[k] for k in sorted(variables)}
    return out


def _env_set(rng: random.Random) -> Cond:
    ci = pick(rng, ("github", "gitlab", "jenkins"))
    var = pick(
        rng,
        {"github": ("CI", "GITHUB_ACTIONS"), "gitlab": ("CI", "GITLAB_CI"), "jenkins": ("JENKINS_URL",)}[ci],
    )
    s = Scenario.random(rng, ci=ci)
    base = _pred("environment", s)
    return Cond(
        "environment",
        "var-set",
        var,
        f"the environment variable `{var}` must be set",
        "environment.required",
        [f"not input.variables[{_q(var)}]"],
        _q(f"{var} is not set"),
        "`input.variables` maps variable names to values (sensitive ones show as `******`).",
        [base],
        [_env(base, **{var: None})],
    )


_FORBIDDEN_VARS = (
    ("LD_PRELOAD", "/tmp/libhook.so"),
    ("NODE_OPTIONS", "--require /tmp/hook.js"),
    ("DYLD_INSERT_LIBRARIES", "/tmp/libhook.dylib"),
    ("BASH_ENV", "/tmp/.bashrc"),
    ("LD_LIBRARY_PATH", "/tmp/lib"),
)


def _env_unset(rng: random.Random) -> Cond:
    var, value = pick(rng, _FORBIDDEN_VARS)
    s = Scenario.random(rng)
    base = _pred("environment", s)
    return Cond(
        "environment",
        "var-unset",
        var,
        f"the environment variable `{var}` must not be set",
        "environment.forbidden",
        [f"input.variables[{_q(var)}]"],
        _q(f"{var} must not be set"),
        "`input.variables` maps variable names to values.",
        [base],
        [_env(base, **{var: value}), _env(base, **{var: ""})],
    )


_EXPECTED_VARS = {
    "go": (("CGO_ENABLED", "0", "1"), ("GOFLAGS", "-mod=readonly", "-mod=mod")),
    "node": (("NODE_ENV", "production", "development"),),
    "python": (("PYTHONDONTWRITEBYTECODE", "1", "0"), ("PIP_NO_CACHE_DIR", "1", "0")),
    "java": (("MAVEN_OPTS", "-Xmx1g", "-Xmx4g -Dmaven.test.skip=true"),),
}


def _env_equals(rng: random.Random) -> Cond:
    lang = pick(rng, sorted(_EXPECTED_VARS))
    var, want, wrong = pick(rng, _EXPECTED_VARS[lang])
    s = Scenario.random(rng, language=lang)
    base = _pred("environment", s)
    return Cond(
        "environment",
        "var-equals",
        f"{var}={want}",
        f"the environment variable `{var}` must be set to exactly `{want}` (a missing variable is a violation too)",
        "environment.pinned",
        [f"not input.variables[{_q(var)}] == {_q(want)}"],
        _q(f"{var} must be {want}"),
        "`input.variables` maps variable names to values; `not ... == ...` also fires when the variable is absent.",
        [base],
        [_env(base, **{var: wrong}), _env(base, **{var: None})],
    )


def _env_os(rng: random.Random) -> Cond:
    s = Scenario.random(rng)
    good = _pred("environment", s.with_(os="linux"))
    bad = []
    for os_name in ("darwin", "windows"):
        d = copy.deepcopy(good)
        d["os"] = os_name
        bad.append(d)
    return Cond(
        "environment",
        "os",
        "linux",
        "the step must have run on Linux",
        "environment.os",
        ['input.os != "linux"'],
        _q("step did not run on linux"),
        "`input.os` is Go's GOOS of the machine that ran `witness run` (`linux`, `darwin`, `windows`).",
        [good],
        bad,
    )


def _env_not_root(rng: random.Random) -> Cond:
    s = Scenario.random(rng, ci=pick(rng, ("github", "jenkins", "none")))
    user = s.username if s.username != "root" else "builder"
    good = _env(_pred("environment", s.with_(username=user)), USER=user)
    bad = _env(copy.deepcopy(good), USER="root", HOME="/root")
    bad["username"] = "root"
    return Cond(
        "environment",
        "not-root",
        "root",
        "the step must not have run as the `root` user",
        "environment.user",
        ['input.username == "root"'],
        _q("the step ran as root"),
        "`input.username` is the user that ran `witness run`.",
        [good],
        [bad],
    )


# ---------------------------------------------------------------- github / gitlab / jenkins
def _claims(pred: Any, **changes: str) -> Any:
    out = copy.deepcopy(pred)
    out["jwt"]["claims"].update(changes)
    return out


def _gh_ref(rng: random.Random) -> Cond:
    want = pick(rng, ("main", "master"))
    s = Scenario.random(rng, ci="github")
    ref = f"refs/heads/{want}"
    return Cond(
        "github",
        "ref",
        ref,
        f"the GitHub Actions run must be for the ref `{ref}`",
        "github.ref",
        [f"not input.jwt.claims.ref == {_q(ref)}"],
        _q(f"workflow did not run on {ref}"),
        "`input.jwt.claims` holds the verified GitHub OIDC token claims; `ref` is the full git ref.",
        [_pred("github", s.with_(branch=want))],
        [_pred("github", s.with_(branch=b)) for b in _other_branches(rng, want)],
    )


def _gh_repo(rng: random.Random) -> Cond:
    s = Scenario.random(rng, ci="github")
    return Cond(
        "github",
        "repository",
        s.repo_slug,
        f"the GitHub Actions run must come from the repository `{s.repo_slug}`",
        "github.repository",
        [f"not input.jwt.claims.repository == {_q(s.repo_slug)}"],
        _q(f"workflow did not run in {s.repo_slug}"),
        "`input.jwt.claims.repository` is the `owner/name` of the repository (from the OIDC token).",
        [_pred("github", s)],
        [_pred("github", s.with_(org=o)) for o in rng.sample(_ORGS, 2)]
        + [_pred("github", s.with_(project=f"{s.project}-fork"))],
    )


def _gh_event(rng: random.Random) -> Cond:
    s = Scenario.random(rng, ci="github")
    base = _pred("github", s)
    return Cond(
        "github",
        "event",
        "push",
        "only GitHub Actions runs triggered by a `push` event are allowed",
        "github.event",
        ['not input.jwt.claims.event_name == "push"'],
        _q("workflow was not triggered by push"),
        "`input.jwt.claims.event_name` is the event that triggered the workflow.",
        [_claims(base, event_name="push")],
        [_claims(base, event_name="pull_request"), _claims(base, event_name="workflow_dispatch")],
    )


def _gh_actor(rng: random.Random) -> Cond:
    s = Scenario.random(rng, ci="github")
    base = _pred("github", s)
    allowed = sorted(rng.sample(["alice.martin", "bob.nguyen", "hana.sato", "glima", "farah", "dmitri"], 2))
    intruder = pick(rng, ("mallory", "eve-bot", "octocat"))
    return Cond(
        "github",
        "actor",
        ",".join(allowed),
        f"the workflow must have been triggered by the GitHub user `{allowed[0]}` or `{allowed[1]}`",
        "github.actor",
        ["not allowed_actors[input.jwt.claims.actor]"],
        _q("workflow triggered by an unexpected actor"),
        "`input.jwt.claims.actor` is the GitHub login that triggered the run.",
        [_claims(base, actor=allowed[0]), _claims(base, actor=allowed[1])],
        [_claims(base, actor=intruder)],
        consts=[f"allowed_actors := {{{_q(allowed[0])}, {_q(allowed[1])}}}"],
    )


def _gh_workflow(rng: random.Random) -> Cond:
    s = Scenario.random(rng, ci="github")
    base = _pred("github", s)

    def workflow(name: str) -> Any:
        out = copy.deepcopy(base)
        claims = out["jwt"]["claims"]
        claims["workflow"] = name
        for key in ("workflow_ref", "job_workflow_ref"):
            claims[key] = claims[key].replace("/build.yml@", f"/{name}.yml@")
        out["pipelinename"] = name
        out["ciconfigpath"] = out["ciconfigpath"].replace("/build.yml@", f"/{name}.yml@")
        return out

    return Cond(
        "github",
        "workflow",
        "release",
        "the run must come from the GitHub Actions workflow named `release`",
        "github.workflow",
        ['not input.jwt.claims.workflow == "release"'],
        _q("not built by the release workflow"),
        "`input.jwt.claims.workflow` is the workflow name (also in `input.pipelinename`).",
        [workflow("release")],
        [workflow("build"), workflow("nightly")],
    )


_GL_JWT_NOTE = (
    "Caveat: the gitlab attestor records `jwt` only when the `CI_JOB_JWT` variable is set, and GitLab removed "
    "that variable in 17.0 (witness reads no other token variable); without it `input.jwt` is absent and this "
    "rule denies every attestation (it fails closed)."
)


def _gl_ref(rng: random.Random) -> Cond:
    want = pick(rng, ("main", "master"))
    s = Scenario.random(rng, ci="gitlab")
    return Cond(
        "gitlab",
        "ref",
        want,
        f"the GitLab pipeline must run for the branch `{want}`",
        "gitlab.ref",
        [f"not input.jwt.claims.ref == {_q(want)}"],
        _q(f"pipeline did not run on {want}"),
        "`input.jwt.claims` holds the claims of the verified GitLab job JWT; `ref` is the branch name.",
        [_pred("gitlab", s.with_(branch=want))],
        [_pred("gitlab", s.with_(branch=b)) for b in _other_branches(rng, want)],
        note=_GL_JWT_NOTE,
    )


def _gl_project(rng: random.Random) -> Cond:
    s = Scenario.random(rng, ci="gitlab")
    return Cond(
        "gitlab",
        "project",
        s.repo_slug,
        f"the GitLab pipeline must belong to the project `{s.repo_slug}`",
        "gitlab.project",
        [f"not input.jwt.claims.project_path == {_q(s.repo_slug)}"],
        _q(f"pipeline is not from {s.repo_slug}"),
        "`input.jwt.claims.project_path` is the `group/project` path from the job JWT.",
        [_pred("gitlab", s)],
        [_pred("gitlab", s.with_(org=o)) for o in rng.sample(_ORGS, 2)]
        + [_pred("gitlab", s.with_(project=f"{s.project}-fork"))],
        note=_GL_JWT_NOTE + " On GitLab 17+ compare `input.projecturl` (from `CI_PROJECT_URL`) instead.",
    )


def _gl_source(rng: random.Random) -> Cond:
    s = Scenario.random(rng, ci="gitlab")
    base = _pred("gitlab", s)
    return Cond(
        "gitlab",
        "pipeline-source",
        "push",
        "only GitLab pipelines started by a `push` are allowed",
        "gitlab.source",
        ['not input.jwt.claims.pipeline_source == "push"'],
        _q("pipeline was not started by a push"),
        "`input.jwt.claims.pipeline_source` says what started the pipeline (`push`, `web`, `schedule`...).",
        [_claims(base, pipeline_source="push")],
        [_claims(base, pipeline_source="schedule"), _claims(base, pipeline_source="web")],
        note=_GL_JWT_NOTE,
    )


def _gl_stage(rng: random.Random) -> Cond:
    s = Scenario.random(rng, ci="gitlab")
    base = _pred("gitlab", s)
    want = pick(rng, ("build", "package"))

    def stage(name: str) -> Any:
        out = copy.deepcopy(base)
        out["jobstage"] = name
        out["jobname"] = f"{name}-{s.project}"
        return out

    return Cond(
        "gitlab",
        "stage",
        want,
        f"the GitLab job must be in the `{want}` stage",
        "gitlab.stage",
        [f"not input.jobstage == {_q(want)}"],
        _q(f"job is not in the {want} stage"),
        "`input.jobstage` is the job's stage (`CI_JOB_STAGE`).",
        [stage(want)],
        [stage(x) for x in ("test", "deploy")],
    )


def _jk_node(rng: random.Random) -> Cond:
    s = Scenario.random(rng, ci="jenkins")
    base = _pred("jenkins", s)
    good = copy.deepcopy(base)
    good["nodename"] = pick(rng, ("linux-agent-1", "k8s-agent-x7h2p", "docker-agent"))
    bad = copy.deepcopy(base)
    bad["nodename"] = "built-in"
    return Cond(
        "jenkins",
        "node",
        "built-in",
        "the Jenkins build must not run on the `built-in` (controller) node",
        "jenkins.node",
        ['input.nodename == "built-in"'],
        _q("build ran on the Jenkins controller"),
        "`input.nodename` is the Jenkins node (`NODE_NAME`) that ran the build.",
        [good],
        [bad],
    )


def _jk_url(rng: random.Random) -> Cond:
    s = Scenario.random(rng, ci="jenkins")
    want = f"https://{s.ci_host}/"
    others = [f"https://jenkins-{x}.{s.org}.com/" for x in ("old", "dev")]
    return Cond(
        "jenkins",
        "url",
        want,
        f"the build must come from the Jenkins instance `{want}`",
        "jenkins.instance",
        [f"not input.jenkinsurl == {_q(want)}"],
        _q("build is not from the trusted Jenkins"),
        "`input.jenkinsurl` is the Jenkins URL (`JENKINS_URL`).",
        [_pred("jenkins", s)],
        [_pred("jenkins", s.with_(ci_host=u.removeprefix("https://").rstrip("/"))) for u in others],
    )


def _jk_job(rng: random.Random) -> Cond:
    s = Scenario.random(rng, ci="jenkins")
    want = f"{s.project}/main"
    return Cond(
        "jenkins",
        "job",
        want,
        f"the Jenkins job name must be `{want}`",
        "jenkins.job",
        [f"not input.jobname == {_q(want)}"],
        _q(f"unexpected Jenkins job (want {want})"),
        "`input.jobname` is the Jenkins `JOB_NAME`.",
        [_pred("jenkins", s.with_(branch="main"))],
        [_pred("jenkins", s.with_(branch=b)) for b in ("develop", "feature/sbom")],
    )


# ---------------------------------------------------------------- product / material
def _prod_has(rng: random.Random) -> Cond:
    s = Scenario.random(rng, step_kind="build")
    base = _pred("product", s)
    want = sorted(base)[0]
    rest = {k: v for k, v in base.items() if k != want}
    rest["build.log"] = _file(f"{s.token}:build.log", "text/plain; charset=utf-8")
    return Cond(
        "product",
        "has-file",
        want,
        f"the step's products must include the file `{want}`",
        "product.required",
        [f"not input[{_q(want)}]"],
        _q(f"{want} was not produced"),
        'The product predicate is a bare map `{path: {mime_type, digest}}`, so a product is `input["<path>"]` '
        "(there is no `Products` wrapper).",
        [base],
        [rest, {}],
    )


_SUFFIX_FILES = {
    ".pem": ("certs/server.pem", "text/plain; charset=utf-8"),
    ".key": ("deploy/tls.key", "text/plain; charset=utf-8"),
    ".env": ("config/prod.env", "text/plain; charset=utf-8"),
    ".p12": ("signing/release.p12", "application/octet-stream"),
}


def _prod_no_suffix(rng: random.Random) -> Cond:
    sfx = pick(rng, sorted(_SUFFIX_FILES))
    path, mime = _SUFFIX_FILES[sfx]
    s = Scenario.random(rng, step_kind="build")
    base = _pred("product", s)
    bad = copy.deepcopy(base)
    bad[path] = _file(f"{s.token}:{path}", mime)
    return Cond(
        "product",
        "no-suffix",
        sfx,
        f"no product may be a `*{sfx}` file",
        "product.forbidden",
        ["input[path]", f"endswith(path, {_q(sfx)})"],
        'sprintf("product %v must not be published", [path])',
        "The product predicate is a bare map keyed by path, so `input[path]` iterates over the products.",
        [base],
        [bad, {f"leak{sfx}": _file(f"{s.token}:leak", mime)}],
    )


def _prod_mime(rng: random.Random) -> Cond:
    s = Scenario.random(rng, step_kind="build")
    base = _pred("product", s)
    allowed = sorted({p["mime_type"] for p in base.values()})
    extra, extra_mime = ("debug.log", "text/plain; charset=utf-8")
    if extra_mime in allowed:
        extra, extra_mime = ("core.dump", "application/octet-stream")
    bad = copy.deepcopy(base)
    bad[extra] = _file(f"{s.token}:{extra}", extra_mime)
    listed = ", ".join(f"`{m}`" for m in allowed)
    return Cond(
        "product",
        "mime",
        "|".join(allowed),
        f"every product must have one of these mime types: {listed}",
        "product.mime",
        ["p := input[path]", "not allowed_mime_types[p.mime_type]"],
        'sprintf("product %v has mime type %v", [path, p.mime_type])',
        "The product predicate is a bare map `{path: {mime_type, digest}}`.",
        [base],
        [bad],
        consts=["allowed_mime_types := {" + ", ".join(_q(m) for m in allowed) + "}"],
    )


def _mat_lockfile(rng: random.Random) -> Cond:
    s = Scenario.random(rng, language=pick(rng, ("go", "node", "python", "rust")))
    base = _pred("material", s)
    lock = next(n for n in ("go.sum", "package-lock.json", "poetry.lock", "Cargo.lock") if n in base)
    without = {k: v for k, v in base.items() if k != lock}
    nested = dict(without)
    nested[f"examples/{lock}"] = base[lock]
    return Cond(
        "material",
        "lockfile",
        lock,
        f"the lock file `{lock}` (at the top of the working directory) must be among the step's materials",
        "material.lockfile",
        [f"not input[{_q(lock)}]"],
        _q(f"{lock} is missing from the materials"),
        "The material predicate is a bare map `{path: DigestSet}` (no `Materials` wrapper), so the file is "
        f'`input["{lock}"]`.',
        [base],
        [without, nested],
    )


# ---------------------------------------------------------------- images / sbom / others
def _oci_tags(base: Any, tags: list[str]) -> Any:
    out = copy.deepcopy(base)
    out["imagetags"] = tags
    for m in out.get("manifest") or []:
        m["RepoTags"] = list(tags)
    return out


def _oci_latest(rng: random.Random) -> Cond:
    s = Scenario.random(rng, step_kind="image")
    base = _pred("oci", s)
    repo = s.image.rsplit(":", 1)[0]
    return Cond(
        "oci",
        "no-latest",
        "latest",
        "no image tag may be `:latest`",
        "oci.tags",
        ["tag := input.imagetags[_]", 'endswith(tag, ":latest")'],
        'sprintf("image tag %v uses latest", [tag])',
        "`input.imagetags` lists the tags from the image tarball's manifest.",
        [base],
        [_oci_tags(base, [f"{repo}:latest"]), _oci_tags(base, [s.image, f"{repo}:latest"])],
    )


def _oci_tag(rng: random.Random) -> Cond:
    s = Scenario.random(rng, step_kind="image")
    base = _pred("oci", s)
    repo = s.image.rsplit(":", 1)[0]
    return Cond(
        "oci",
        "tag",
        s.image,
        f"the image must be tagged `{s.image}`",
        "oci.tag",
        ["not tag_ok"],
        _q(f"image is not tagged {s.image}"),
        "`input.imagetags` lists the tags from the image tarball's manifest.",
        [base],
        [_oci_tags(base, [f"{repo}:latest"]), _oci_tags(base, [f"{repo}:0.0.0-dev"])],
        helpers=[("tag_ok", [f"input.imagetags[_] == {_q(s.image)}"])],
    )


def _docker_refs(base: Any, refs: list[str]) -> Any:
    out = copy.deepcopy(base)
    for p in (out.get("products") or {}).values():
        p["imagereferences"] = list(refs)
    return out


def _docker_latest(rng: random.Random) -> Cond:
    s = Scenario.random(rng, step_kind="image")
    base = _pred("docker", s)
    repo = s.image.rsplit(":", 1)[0]
    return Cond(
        "docker",
        "no-latest",
        "latest",
        "no image reference in the docker attestation may use the `:latest` tag",
        "docker.tags",
        ["ref := input.products[_].imagereferences[_]", 'endswith(ref, ":latest")'],
        'sprintf("image reference %v uses latest", [ref])',
        "`input.products` maps each image digest to `{materials, imagereferences, imagedigest}`.",
        [base],
        [_docker_refs(base, [f"{repo}:latest"])],
    )


def _docker_registry(rng: random.Random) -> Cond:
    s = Scenario.random(rng, step_kind="image")
    base = _pred("docker", s)
    prefix = s.image.rsplit("/", 1)[0] + "/"
    name = s.image.rsplit("/", 1)[1]
    return Cond(
        "docker",
        "registry",
        prefix,
        f"every image reference must start with `{prefix}`",
        "docker.registry",
        ["ref := input.products[_].imagereferences[_]", f"not startswith(ref, {_q(prefix)})"],
        'sprintf("image %v is outside the allowed registry", [ref])',
        "`input.products` maps each image digest to `{materials, imagereferences, imagedigest}`.",
        [base],
        [
            _docker_refs(base, [f"docker.io/randomuser/{name}"]),
            _docker_refs(base, [s.image, f"quay.io/x/{name}"]),
        ],
    )


def _sbom_doc(s: Scenario) -> Any:
    return _pred("sbom", s)


def _spdx_name(rng: random.Random) -> Cond:
    s = Scenario.random(rng, step_kind="sbom", sbom_kind="spdx")
    base = _sbom_doc(s)
    bad = copy.deepcopy(base)
    bad["name"] = pick(rng, [p for p in ("api", "ledger", "catalog", "payments") if p != s.project])
    return Cond(
        "sbom",
        "spdx-name",
        s.project,
        f"the SPDX document's name must be `{s.project}`",
        "sbom.name",
        [f"not input.name == {_q(s.project)}"],
        _q(f"SBOM is not for {s.project}"),
        "The sbom predicate is the raw SPDX document, so its name is `input.name`.",
        [base],
        [bad],
        att_type=SPDX_TYPE,
    )


def _spdx_creator(rng: random.Random) -> Cond:
    s = Scenario.random(rng, step_kind="sbom", sbom_kind="spdx")
    base = _sbom_doc(s)
    bad = copy.deepcopy(base)
    bad["creationInfo"]["creators"] = ["Organization: Aqua Security", "Tool: trivy-0.50.1"]
    return Cond(
        "sbom",
        "spdx-creator",
        "syft",
        "the SPDX document must have been created by syft (a `Tool: syft-...` entry in `creationInfo.creators`)",
        "sbom.creator",
        ["not made_by_syft"],
        _q("SBOM was not generated by syft"),
        "The sbom predicate is the raw SPDX document; creators are in `input.creationInfo.creators`.",
        [base],
        [bad],
        helpers=[
            (
                "made_by_syft",
                ["creator := input.creationInfo.creators[_]", 'startswith(creator, "Tool: syft-")'],
            )
        ],
        att_type=SPDX_TYPE,
    )


def _cdx_name(rng: random.Random) -> Cond:
    s = Scenario.random(rng, step_kind="sbom", sbom_kind="cyclonedx")
    base = _sbom_doc(s)
    bad = copy.deepcopy(base)
    bad["metadata"]["component"]["name"] = pick(
        rng, [p for p in ("api", "ledger", "catalog") if p != s.project]
    )
    return Cond(
        "sbom",
        "cdx-name",
        s.project,
        f"the CycloneDX BOM's main component (`metadata.component.name`) must be `{s.project}`",
        "sbom.component",
        [f"not input.metadata.component.name == {_q(s.project)}"],
        _q(f"SBOM is not for {s.project}"),
        "The sbom predicate is the raw CycloneDX document.",
        [base],
        [bad],
        att_type=CYCLONEDX_TYPE,
    )


def _lockfiles_has(rng: random.Random) -> Cond:
    s = Scenario.random(rng, language=pick(rng, ("go", "node", "python", "rust")))
    base = _pred("lockfiles", s)
    lock = base["lockfiles"][0]["filename"]
    other = copy.deepcopy(base)
    other["lockfiles"][0]["filename"] = "yarn.lock" if lock != "yarn.lock" else "pnpm-lock.yaml"
    return Cond(
        "lockfiles",
        "has-lockfile",
        lock,
        f"the lockfiles attestation must contain `{lock}`",
        "lockfiles.required",
        ["not has_lock"],
        _q(f"{lock} was not recorded"),
        "`input.lockfiles` is a list of `{filename, content, digest}`.",
        [base],
        [{"lockfiles": []}, other],
        helpers=[("has_lock", [f"input.lockfiles[_].filename == {_q(lock)}"])],
    )


def _secretscan_clean(rng: random.Random) -> Cond:
    s = Scenario.random(rng, step_kind="build")
    path = pick(rng, s.product_paths() or ["dist/app"])
    finding = {
        "ruleId": pick(rng, ("generic-api-key", "aws-access-token", "github-pat", "private-key")),
        "description": "Detected a secret.",
        "location": path,
        "startLine": rng.randint(1, 200),
        "secret": {"sha256": sha256_hex(f"{s.token}:secret")},
        "match": 'api_key = "[SENSITIVE-VALUE]"',
        "entropy": 4.5,
    }
    return Cond(
        "secretscan",
        "no-findings",
        "",
        "the secret scan must have no findings",
        "secretscan.clean",
        ["count(input.findings) > 0"],
        'sprintf("%v secret(s) found", [count(input.findings)])',
        "`input.findings` is the list of gitleaks findings (secrets are recorded as digests only).",
        [{"findings": []}],
        [{"findings": [finding]}],
    )


CONDITIONS: tuple[Callable[[random.Random], Cond], ...] = (
    _git_branch,
    _git_clean,
    _git_author_domain,
    _git_remote,
    _cmd_prefix,
    _cmd_no_download,
    _cmd_script,
    _cmd_exitcode,
    _env_set,
    _env_unset,
    _env_equals,
    _env_os,
    _env_not_root,
    _gh_ref,
    _gh_repo,
    _gh_event,
    _gh_actor,
    _gh_workflow,
    _gl_ref,
    _gl_project,
    _gl_source,
    _gl_stage,
    _jk_node,
    _jk_url,
    _jk_job,
    _prod_has,
    _prod_no_suffix,
    _prod_mime,
    _mat_lockfile,
    _oci_latest,
    _oci_tag,
    _docker_latest,
    _docker_registry,
    _spdx_name,
    _spdx_creator,
    _cdx_name,
    _lockfiles_has,
    _secretscan_clean,
)

# ---------------------------------------------------------------- questions
SUBKINDS = ("write", "write", "portable", "v0", "fix", "fix")

WRITE_TEMPLATES = (
    "Write a Rego module for a witness policy step that enforces this on the `{att}` attestation: {rule}.",
    "I need a witness Rego policy for the `{type}` attestation that denies when this is violated: {rule}. "
    "What should the module look like?",
    'How do I express "{rule}" as a Rego rule in my witness policy? It applies to the `{att}` attestor\'s data.',
    "Give me a `deny` rule in Rego for witness: {rule}. The check runs against the `{att}` attestation.",
    "Our security team wants this enforced in the witness policy: {rule}. Write the Rego module for the "
    "`{att}` attestation.",
    "Can you write the Rego for a witness `regopolicies` entry on the `{att}` attestation so that verification "
    "fails when this rule is broken: {rule}?",
)
PORTABLE_TEMPLATES = (
    "Write a witness Rego policy for the `{att}` attestation that is accepted by both `witness policy check` "
    "and `witness verify`: {rule}.",
    "Requirement: {rule}. I want the Rego module for the `{att}` attestation to be valid for "
    "`witness policy check` as well as at `witness verify` time. How?",
    "Please write a portable Rego module (it must parse for `witness policy check` and `witness verify`) for "
    "the `{type}` attestation: {rule}.",
    "Our pipeline lints policies with `witness policy check` before signing them. Write the Rego for the "
    "`{att}` attestation that enforces: {rule}.",
    "Which Rego module enforces '{rule}' on the `{att}` attestation and works with both the v0 parser of "
    "`witness verify` and the v1 parser of `witness policy check`?",
    "Write Rego (for a witness policy, `{att}` attestor) that denies unless this holds: {rule}. "
    "It has to pass `witness policy check` too.",
)
V0_TEMPLATES = (
    "We only run `witness verify` (never `witness policy check`). Write a classic-syntax Rego module for the "
    "`{att}` attestation: {rule}.",
    "Write a Rego policy in the classic `deny[msg]` style for `witness verify`, on the `{att}` attestation: {rule}.",
    "For `witness verify` only: give me the Rego module (old-style syntax is fine) enforcing this on the "
    "`{type}` attestation: {rule}.",
    "Using the style of the witness artifact-policy tutorial (`deny[msg] {{ ... }}`), write a Rego module for "
    "the `{att}` attestation: {rule}.",
    "Our policies are only evaluated by `witness verify`. How do I write the Rego rule for the `{att}` "
    "attestation? Requirement: {rule}.",
    "Classic Rego v0 please, evaluated by `witness verify` against the `{att}` attestation. Requirement: {rule}.",
)
FIX_TEMPLATES = (
    "My witness Rego policy for the `{att}` attestation should enforce that {rule}, but {symptom}. "
    "What's wrong?\n\n```rego\n{module}```",
    "This Rego module in my witness policy (`{type}`) doesn't work: {symptom}. It should enforce: {rule}. "
    "Please fix it.\n\n```rego\n{module}```",
    "Fix my Rego for witness. Goal: {rule} (on the `{att}` attestation). Problem: {symptom}.\n\n"
    "```rego\n{module}```",
    "```rego\n{module}```\nThis is in `regopolicies` for the `{att}` attestation and {symptom}. "
    "It must enforce that {rule}. How do I fix it?",
    "Why does my witness Rego rule misbehave? {Symptom}. Intended rule: {rule}.\n\n```rego\n{module}```",
    "Can you correct this witness Rego module? It targets the `{att}` attestation and should enforce that "
    "{rule}, but {symptom}.\n\n```rego\n{module}```",
)
TRAPS = ("no-import", "string", "bool", "path", "no-deny")

WHERE = (
    "Put it in the step's `regopolicies` for the attestation of type `{type}`: "
    '`{{"name": "{name}", "module": "<base64 of the file>"}}` (standard padded base64, e.g. `base64 -w0 {name}`).'
)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _broken(c: Cond, trap: str) -> str:
    """The module with one trap applied."""
    if trap == "no-import":
        return render(c, "v1").replace("import rego.v1\n\n", "")
    if trap == "string":
        src = render(c, "v0")
        return src.replace("deny[msg] {", "deny = msg {")
    if trap == "bool":
        src = render(c, "v1")
        lines = [line for line in src.splitlines() if not line.startswith("\tmsg := ")]
        return "\n".join(lines).replace("deny contains msg if {", "deny if {") + "\n"
    if trap == "path":
        src = render(c, "v1")
        if c.attestor in ("material", "product"):
            wrapper = "Materials" if c.attestor == "material" else "Products"
            return src.replace("input[", f"input.{wrapper}[")
        return src.replace("input.", "input.predicate.")
    return render(c, "v1").replace("deny contains msg if", "violation contains msg if")


def _symptom(c: Cond, module: str) -> str:
    """What `witness verify` does with the broken module (computed with the trusted in-process engine)."""
    issues = v0_issues(module)
    if issues:  # what OPA's v0 parser rejects (checked statically: no regorus warnings on stderr)
        return f"`witness verify` fails with `rego_parse_error: {issues[0].message}`"
    mods = {MODULE_NAME: module}
    for inp in (c.deny_inputs[0], c.pass_inputs[0]):
        out = evaluate_deny(mods, inp)
        if out.status == "ok":
            continue
        if out.kind == "parse" and "rego_parse_error: " in out.error:
            return f"`witness verify` fails with `rego_parse_error: {out.error.split('rego_parse_error: ', 1)[1]}`"
        if out.kind == "invalid_data":
            return f"`witness verify` fails with `{out.error}`"
        return "`witness verify` fails with a Rego error"
    if any(evaluate_deny(mods, i).deny for i in c.pass_inputs):
        return "it rejects every attestation, even compliant ones"
    return "every attestation passes, even ones that clearly violate the rule"


_FIX_EXPLAIN = {
    "no-import": "`deny contains msg if {{ ... }}` is Rego v1 syntax, but `witness verify` parses modules with "
    "OPA's v0 parser, which only accepts `contains`/`if` after `import rego.v1` (or the matching "
    "`future.keywords` imports). Add the import:",
    "string": "`deny = msg` makes `deny` a single string. Witness reads `{pkg}` and requires a set (or array) of "
    "strings, each one a denial reason, so declare `deny` as a partial set rule:",
    "bool": "`deny if {{ ... }}` makes `deny` a boolean. Witness reads `{pkg}` and requires a set (or array) of "
    "strings, each one a denial reason:",
    "path": "The Rego `input` is the attestor's predicate itself, not the in-toto statement, so there is no "
    "`input.predicate` wrapper: `input.predicate...` is undefined. {fields} Read the fields directly:",
    "path-map": "`input.{wrapper}[...]` is undefined: the `{wrapper}` wrapper exists only in the published JSON "
    "schema of the {att} attestor, not in the predicate Rego sees. {fields} Fixed:",
    "no-deny": "Witness only queries `{pkg}`; a package without a `deny` rule is silently a pass, so "
    "`violation` is never looked at. Rename the rule to `deny`:",
}


@dataclass
class _Built:
    template: str
    question: str
    answer: str
    check: dict[str, Any]


def _where(c: Cond) -> str:
    return WHERE.format(type=c.type_uri(), name=f"{c.package.replace('.', '-')}.rego")


def _explain(c: Cond) -> str:
    text = c.fields
    if c.note:
        text += " " + c.note
    return text


def _build(rng: random.Random, c: Cond, kind: str) -> _Built:
    fmt = {"att": c.attestor, "type": c.type_uri(), "rule": c.rule}
    check: dict[str, Any] = {
        "kind": "rego",
        "attestor": c.attestor,
        "type": c.type_uri(),
        "cond": c.cond,
        "param": c.param,
        "policy_check": kind == "portable",
        "pass_inputs": c.pass_inputs,
        "deny_inputs": c.deny_inputs,
    }
    v1 = render(c, "v1")
    if kind in ("write", "portable"):
        templates = WRITE_TEMPLATES if kind == "write" else PORTABLE_TEMPLATES
        idx = rng.randrange(len(templates))
        question = templates[idx].format(**fmt)
        lead = (
            "Use `import rego.v1` with `deny contains msg if { ... }`: `witness verify` parses with OPA's v0 parser "
            "and `witness policy check` with the v1 parser, and this form is valid for both. `deny` must be a set "
            "of strings."
        )
        answer = f"{_explain(c)} {lead}\n\n```rego\n{v1}```\n\n{_where(c)}"
        return _Built(f"rego/{kind}/{idx}", question, answer, check)
    if kind == "v0":
        idx = rng.randrange(len(V0_TEMPLATES))
        question = V0_TEMPLATES[idx].format(**fmt)
        answer = (
            f"{_explain(c)} `witness verify` parses modules with OPA's v0 parser, so the classic form works "
            f"(`deny` is a set of strings):\n\n```rego\n{render(c, 'v0')}```\n\n{_where(c)}\n\n"
            "If you later lint with `witness policy check` (Rego v1 parser), it rejects `deny[msg] { ... }`; the "
            "portable form is `import rego.v1` plus `deny contains msg if { ... }`."
        )
        return _Built(f"rego/v0/{idx}", question, answer, check)
    trap = pick(rng, TRAPS)
    broken = _broken(c, trap)
    symptom = _symptom(c, broken)
    idx = rng.randrange(len(FIX_TEMPLATES))
    question = FIX_TEMPLATES[idx].format(symptom=symptom, Symptom=_cap(symptom), module=broken, **fmt)
    key = trap
    wrapper = ""
    if trap == "path" and c.attestor in ("material", "product"):
        key = "path-map"
        wrapper = "Materials" if c.attestor == "material" else "Products"
    explain = _FIX_EXPLAIN[key].format(
        pkg=f"data.{c.package}.deny", fields=c.fields, att=c.attestor, wrapper=wrapper
    )
    if c.note:
        explain += f"\n\n{c.note}"
    answer = f"{explain}\n\n```rego\n{v1}```\n\n{_where(c)}"
    check["broken"] = broken
    check["trap"] = trap
    return _Built(f"rego/fix/{trap}/{idx}", question, answer, check)


def make(rng: random.Random, version: WitnessVersion = versions.LATEST) -> Example:
    del version  # nothing in this family differs between witness releases
    c = pick(rng, CONDITIONS)(rng)
    kind = pick(rng, SUBKINDS)
    built = _build(rng, c, kind)
    param = re.sub(r"\s+", "_", c.param)[:80]
    return Example(
        family=NAME,
        group=f"rego/{c.attestor}/{c.cond}/{param}",
        template=built.template,
        question=dress(rng, built.question),
        answer=built.answer,
        check=built.check,
        system=system_prompt(rng),
        meta={"subkind": kind, "attestor": c.attestor, "cond": c.cond},
    )


# ---------------------------------------------------------------- scoring
@guarded
def score(answer: str, check: dict[str, Any], ctx: ScoreContext) -> Score:
    return score_rego(answer, check, ctx).score()


FAMILY = Family(
    name=NAME,
    description="Rego modules that deny one attestor's predicate on a condition (write, portable, v0, fix).",
    make=make,
    score=score,
)
