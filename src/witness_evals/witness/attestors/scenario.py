"""A build-step scenario: everything the attestors of one `witness run` would observe.

`Scenario.random(rng)` draws a realistic step (a go/node/python/rust/java project at some commit, a
CI system, a command, the working-directory files before and after it). Attestor builders read
the scenario, so the predicates of one scenario agree with each other (the product digest of the
SBOM file is the sha256 of the very bytes the sbom attestor embeds, git and CI share the commit...).
Everything is a pure function of the rng: the same seed gives the same scenario.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from witness_evals.witness.attestors import workdir
from witness_evals.witness.attestors.step import run_step
from witness_evals.witness.digests import sha256_hex

LANGUAGES = ("go", "node", "python", "rust", "java")
CI_SYSTEMS = ("none", "github", "gitlab", "jenkins", "aws-codebuild")
SBOM_KINDS = ("none", "spdx", "cyclonedx")
STEP_KINDS = ("build", "test", "package", "sbom", "image", "deploy", "scan")

_ORGS = (
    "acme",
    "globex",
    "initech",
    "umbrella-corp",
    "hooli",
    "stark-ind",
    "wayne-ent",
    "cyberdyne",
    "tyrell",
)
PROJECTS = (
    "api",
    "billing-service",
    "auth-gateway",
    "inventory",
    "web-frontend",
    "payments",
    "notifier",
    "search-indexer",
    "ledger",
    "edge-proxy",
    "catalog",
    "scheduler",
)
_PEOPLE = (
    ("Alice Martin", "alice.martin"),
    ("Bob Nguyen", "bob.nguyen"),
    ("Carol Okafor", "carol.okafor"),
    ("Dmitri Ivanov", "dmitri"),
    ("Eva Schmidt", "eva.schmidt"),
    ("Farah Haddad", "farah"),
    ("Gustavo Lima", "glima"),
    ("Hana Sato", "hana.sato"),
    ("Ibrahim Diallo", "ibrahim.d"),
    ("Julia Kowalska", "jkowalska"),
)
_MESSAGES = (
    "Fix race in cache invalidation",
    "Add retry with backoff to upstream client",
    "Bump dependencies",
    "Refactor config loading",
    "Handle empty payloads in webhook handler",
    "Add metrics for request latency",
    "Update README with release steps",
    "Pin base image digest",
    "Remove deprecated endpoint",
    "Improve error messages for invalid input",
)
_BRANCHES = ("main", "main", "main", "master", "develop", "release/1.4", "feature/sbom", "fix/timeout")
DETACHED_CI = frozenset({"gitlab", "jenkins"})
"""CI systems whose job starts on a detached HEAD: the GitLab runner checks out the pipeline's commit
(`git checkout -f -q <sha>`), Jenkins' Git plugin the build's revision unless the job adds the
"Check out to matching local branch" behaviour (GitHub's actions/checkout puts a push run on its branch)."""
_HOSTS = ("build-01", "ip-10-0-3-17", "runner-7f9c2", "fv-az123-456", "ci-worker-3", "jenkins-agent-2")
_USERS = ("runner", "root", "builder", "jenkins", "gitlab-runner", "codebuild-user", "ci")
_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")


_HEX = "0123456789abcdef"
_TOP_BYTE_HEX = bytes(ord(_HEX[b >> 3]) if b < 128 else 0 for b in range(256))
"""A word's top byte -> the hex digit `choice` picks from its top 5 bits."""
_REJECTED = bytes(range(128, 256))
"""Top bytes whose 5-bit value is >= 16: `choice` draws another word."""


def _hex_id_slow(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_HEX) for _ in range(n))


def _hex_id_fast(rng: random.Random, n: int) -> str:
    """`_hex_id_slow` for a plain `random.Random`, drawing the same 32-bit words in batches.

    `rng.choice(_HEX)` takes the top 5 bits of one Mersenne Twister word and rejects values >= 16
    (`_randbelow_with_getrandbits`); `getrandbits(32 * k)` returns the next k words, the first one
    least significant (`workdir.word_top_bytes`). A batch never holds more words than the slow path
    would still draw, so the generator ends in the same state."""
    out = b""
    while (need := n - len(out)) > 0:
        out += workdir.word_top_bytes(rng, need).translate(_TOP_BYTE_HEX, _REJECTED)
    return out.decode("ascii")


def _fast_hex_matches() -> bool:
    """Whether this Python's `Random.choice` draws like `_hex_id_fast` assumes (checked at import)."""
    a, b = random.Random(20240601), random.Random(20240601)
    return (
        all(_hex_id_fast(a, n) == _hex_id_slow(b, n) for n in (1, 16, 40, 64, 7)) and a.random() == b.random()
    )


_FAST_HEX = _fast_hex_matches()


def hex_id(rng: random.Random, n: int = 40) -> str:
    """n lowercase hex characters (`rng.choice` per character; batched for a plain `random.Random`)."""
    if _FAST_HEX and type(rng) is random.Random:
        return _hex_id_fast(rng, n)
    return _hex_id_slow(rng, n)


@dataclass(frozen=True)
class Scenario:
    """One build step as the attestors see it. Paths are relative to the working directory."""

    token: str
    step: str
    step_kind: str
    language: str
    org: str
    project: str
    version: str
    repo_url: str
    commit: str
    parents: tuple[str, ...]
    tree: str
    branch: str
    tags: tuple[str, ...]
    author: str
    author_email: str
    committer: str
    committer_email: str
    commit_time: datetime
    commit_message: str
    ci: str
    ci_run_id: str
    ci_job_id: str
    ci_host: str
    pipeline_url: str
    job_url: str
    project_url: str
    command: tuple[str, ...]
    stdout: str
    files_before: dict[str, bytes]
    files_after: dict[str, bytes]
    image: str
    image_digest: str
    sbom_kind: str
    os: str
    arch: str
    hostname: str
    username: str
    env: dict[str, str]
    region: str
    start_time: datetime
    end_time: datetime
    hashes: tuple[str, ...] = ("sha256",)
    extras: dict[str, Any] = field(default_factory=dict)
    """Facts of some scenarios only: `node_entry`, a node build's entry point other than `workdir.NODE_ENTRY`."""
    detached: bool = False
    """HEAD points at the commit, not at `branch` (the CI checked out the commit and nothing in the job
    ran `git checkout <branch>`); `branch` still names the branch the CI built (its variables carry it)."""

    # ---------- derived views ----------
    def materials(self) -> dict[str, dict[str, str]]:
        """Digest sets of every file before the command (what the material attestor records)."""
        return {p: workdir.file_digest(b, self.hashes) for p, b in sorted(self.files_before.items())}

    def product_paths(self) -> list[str]:
        """Files that are new or changed after the command, sorted."""
        return sorted(p for p, b in self.files_after.items() if self.files_before.get(p) != b)

    def products(self) -> dict[str, dict[str, Any]]:
        """Product attestor view: path -> {mime_type, digest}."""
        return {
            p: {
                "mime_type": workdir.mime_type(p, self.files_after[p]),
                "digest": workdir.file_digest(self.files_after[p], self.hashes),
            }
            for p in self.product_paths()
        }

    def sbom_path(self) -> str | None:
        """Path of the SBOM product, if the step produced one."""
        for p in self.product_paths():
            if workdir.mime_type(p, self.files_after[p]) in workdir.SBOM_MIME_TYPES:
                return p
        return None

    @property
    def repo_slug(self) -> str:
        return f"{self.org}/{self.project}"

    @property
    def head_name(self) -> str:
        """What the git attestor records as `branch`: go-git's `head.Name().Short()` (go-witness v0.12.0
        attestation/git/git.go:134, 202), the literal `HEAD` when HEAD is detached."""
        return "HEAD" if self.detached else self.branch

    def sub_rng(self, purpose: str) -> random.Random:
        """A deterministic rng for one attestor, independent of the others."""
        return random.Random(f"{self.token}:{purpose}")

    def with_(self, **changes: Any) -> Self:
        """A copy with `changes`: what `dataclasses.replace` makes, without running `__init__` over all
        the fields again (a frozen dataclass sets each one through `object.__setattr__`: 20x slower, and
        every simulated run makes several copies). A Scenario holds nothing but its fields."""
        unknown = changes.keys() - _FIELDS
        if unknown:
            raise TypeError(f"Scenario has no field {min(unknown)!r}")
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__, **changes)
        return new

    # ---------- generation ----------
    @classmethod
    def random(cls, rng: random.Random, **overrides: Any) -> Scenario:
        """Draw a realistic scenario; keyword overrides fix fields (e.g. `ci="github"`, `sbom_kind="spdx"`),
        and `node_entry="build/main.js"` moves a node project's compiled entry point (no draw is added)."""
        token = hex_id(rng, 16)
        language = overrides.pop("language", None) or rng.choice(LANGUAGES)
        ci = overrides.pop("ci", None) or rng.choice(CI_SYSTEMS)
        step_kind = overrides.pop("step_kind", None) or rng.choice(STEP_KINDS)
        sbom_kind = overrides.pop("sbom_kind", None)
        if sbom_kind is None:
            sbom_kind = rng.choice(("spdx", "cyclonedx")) if step_kind == "sbom" else "none"
        if step_kind == "sbom" and sbom_kind == "none":
            sbom_kind = "spdx"
        org = rng.choice(_ORGS)
        project = rng.choice(PROJECTS)
        version = f"{rng.randint(0, 3)}.{rng.randint(0, 19)}.{rng.randint(0, 30)}"
        host_kind = "gitlab" if ci == "gitlab" else "github"
        repo_url = f"https://{host_kind}.com/{org}/{project}.git"
        commit = hex_id(rng)
        parents = (hex_id(rng),) if rng.random() < 0.9 else (hex_id(rng), hex_id(rng))
        author, handle = rng.choice(_PEOPLE)
        email_domain = rng.choice((f"{org}.com", f"{org}.io", "users.noreply.github.com"))
        author_email = f"{handle}@{email_domain}"
        committer, committer_email = (author, author_email)
        if rng.random() < 0.2:
            committer, committer_email = ("GitHub", "noreply@github.com")
        start = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 300 * 86400))
        start = start.replace(microsecond=rng.randint(0, 999_999))
        commit_time = (start - timedelta(minutes=rng.randint(2, 600))).replace(microsecond=0)
        duration = timedelta(seconds=rng.randint(1, 900), microseconds=rng.randint(0, 999_999))
        branch = rng.choice(_BRANCHES)
        tags = (f"v{version}",) if rng.random() < 0.3 else ()
        run_id = str(rng.randint(10**9, 10**10 - 1))
        job_id = str(rng.randint(10**8, 10**9 - 1))
        ci_host, pipeline_url, job_url, project_url = _ci_urls(rng, ci, org, project, run_id, job_id, branch)
        if ci == "gitlab":  # the runner clones from the instance it runs on (gitlab.com or self-hosted)
            repo_url = f"{project_url}.git"
        hostname, username = _host_user(rng, ci)
        region = rng.choice(_REGIONS)
        image_repo = rng.choice(
            (
                f"ghcr.io/{org}/{project}",
                f"registry.gitlab.com/{org}/{project}",
                f"{rng.randint(10**11, 10**12 - 1)}.dkr.ecr.{region}.amazonaws.com/{project}",
                f"docker.io/{org}/{project}",
            )
        )
        image = f"{image_repo}:{version}"
        node_entry = overrides.pop("node_entry", workdir.NODE_ENTRY)
        files_before = workdir.project_files(
            rng, language, org, project, version, commit, branch, repo_url, detached=ci in DETACHED_CI,
            node_entry=node_entry,
        )  # fmt: skip
        base = cls(
            token=token,
            step=overrides.pop("step", None) or step_kind,
            step_kind=step_kind,
            language=language,
            org=org,
            project=project,
            version=version,
            repo_url=repo_url,
            commit=commit,
            parents=parents,
            tree=hex_id(rng),
            branch=branch,
            tags=tags,
            author=author,
            author_email=author_email,
            committer=committer,
            committer_email=committer_email,
            commit_time=commit_time,
            commit_message=rng.choice(_MESSAGES) + "\n",
            ci=ci,
            ci_run_id=run_id,
            ci_job_id=job_id,
            ci_host=ci_host,
            pipeline_url=pipeline_url,
            job_url=job_url,
            project_url=project_url,
            command=(),
            stdout="",
            files_before=files_before,
            files_after=dict(files_before),
            image=image,
            image_digest=sha256_hex(f"{token}:{image}"),
            sbom_kind=sbom_kind,
            os=rng.choice(("linux",) * 8 + ("darwin", "windows")),
            arch=rng.choice(("amd64", "amd64", "arm64")),
            hostname=hostname,
            username=username,
            env={},
            region=region,
            start_time=start,
            end_time=start + duration,
            detached=ci in DETACHED_CI,
            extras={"node_entry": node_entry} if node_entry != workdir.NODE_ENTRY else {},
        )
        scenario = run_step(rng, base)
        env = _environment(rng, scenario)
        scenario = scenario.with_(env=env, hostname=env["HOSTNAME"])
        return scenario.with_(**overrides) if overrides else scenario


_FIELDS = frozenset(f.name for f in fields(Scenario))
"""What `Scenario.with_` may change."""


def _ci_urls(
    rng: random.Random, ci: str, org: str, project: str, run_id: str, job_id: str, branch: str
) -> tuple[str, str, str, str]:
    """(ci host, pipeline url, job url, project url) for the CI system (Jenkins: the build of `branch`)."""
    if ci == "gitlab":
        host = "gitlab.com" if rng.random() < 0.7 else f"gitlab.{org}.com"
        proj = f"https://{host}/{org}/{project}"
        return host, f"{proj}/-/pipelines/{run_id}", f"{proj}/-/jobs/{job_id}", proj
    if ci == "jenkins":
        host = f"jenkins.{org}.com"
        build = jenkins_build_url(host, project, branch, jenkins_build_number(run_id))
        return host, build, build, f"https://github.com/{org}/{project}"
    if ci == "aws-codebuild":
        region = rng.choice(_REGIONS)
        host = f"{region}.console.aws.amazon.com"
        url = f"https://{host}/codesuite/codebuild/projects/{project}/build/{project}:{_uuid(rng)}"
        return host, url, url, f"https://github.com/{org}/{project}"
    # github (and "none": values only used if a CI attestor is built anyway)
    proj = f"https://github.com/{org}/{project}"
    return "github.com", f"{proj}/actions/runs/{run_id}", f"{proj}/actions/runs/{run_id}/job/{job_id}", proj


def _host_user(rng: random.Random, ci: str) -> tuple[str, str]:
    """Runner hostname and user typical of the CI system."""
    if ci == "github":
        return f"fv-az{rng.randint(100, 999)}-{rng.randint(100, 999)}", "runner"
    if ci == "gitlab":
        return f"runner-{hex_id(rng, 8)}-project-{rng.randint(10**6, 10**8)}-concurrent-0", "root"
    if ci == "jenkins":
        return rng.choice(("jenkins-agent-2", "build-01", "linux-agent-1")), "jenkins"
    if ci == "aws-codebuild":
        return f"ip-10-0-{rng.randint(0, 255)}-{rng.randint(1, 254)}", "root"
    return rng.choice(_HOSTS), rng.choice(_USERS)


def _uuid(rng: random.Random) -> str:
    h = hex_id(rng, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{rng.choice('89ab')}{h[17:20]}-{h[20:]}"


def _environment(rng: random.Random, s: Scenario) -> dict[str, str]:
    """Process environment of the step (before sensitive-value obfuscation)."""
    home = "/root" if s.username == "root" else f"/home/{s.username}"
    workdir = f"{home}/work/{s.project}"
    env = {
        "HOME": home,
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "PWD": workdir,
        "SHELL": "/bin/bash",
        "USER": s.username,
        "LANG": "C.UTF-8",
        "HOSTNAME": s.hostname,
    }
    lang_env = {
        "go": {"GOPATH": f"{home}/go", "GOFLAGS": "-mod=readonly", "CGO_ENABLED": "0"},
        "node": {"NODE_ENV": "production", "npm_config_cache": f"{home}/.npm"},
        "python": {"PYTHONDONTWRITEBYTECODE": "1", "PIP_NO_CACHE_DIR": "1"},
        "rust": {"CARGO_HOME": f"{home}/.cargo", "RUSTUP_HOME": f"{home}/.rustup"},
        "java": {"JAVA_HOME": "/usr/lib/jvm/java-17-openjdk-amd64", "MAVEN_OPTS": "-Xmx1g"},
    }[s.language]
    env.update(lang_env)
    if s.ci == "github":
        env.update(
            {
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                "GITHUB_REPOSITORY": s.repo_slug,
                "GITHUB_RUN_ID": s.ci_run_id,
                "GITHUB_SHA": s.commit,
                "GITHUB_REF": f"refs/heads/{s.branch}",
                "GITHUB_WORKFLOW": "build",
                "GITHUB_SERVER_URL": "https://github.com",
                "RUNNER_OS": "Linux",
                "RUNNER_ARCH": "X64" if s.arch == "amd64" else "ARM64",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": hex_id(rng, 32),
                "ACTIONS_ID_TOKEN_REQUEST_URL": f"https://pipelines.actions.githubusercontent.com/{hex_id(rng, 20)}",
                "GITHUB_TOKEN": "ghs_" + hex_id(rng, 36),
            }
        )
    elif s.ci == "gitlab":
        env.update(
            {
                "CI": "true",
                "GITLAB_CI": "true",
                "CI_PROJECT_PATH": s.repo_slug,
                "CI_PIPELINE_ID": s.ci_run_id,
                "CI_JOB_ID": s.ci_job_id,
                "CI_COMMIT_SHA": s.commit,
                "CI_COMMIT_REF_NAME": s.branch,
                "CI_SERVER_URL": f"https://{s.ci_host}",
                "CI_JOB_TOKEN": hex_id(rng, 20),
            }
        )
    elif s.ci == "jenkins":
        env.update(jenkins_env(s))
        if env["NODE_NAME"] == "built-in":  # the controller's container runs the step as its own account
            env = {
                k: JENKINS_CONTROLLER_HOME + v[len(home) :] if v.startswith(home) else v
                for k, v in env.items()
            }
            env["HOSTNAME"] = hex_id(s.sub_rng("jenkins-controller"), 12)  # a container's hostname: its id
        env["GIT_COMMIT"] = s.commit
        env["PWD"] = env["WORKSPACE"]  # a pipeline's `sh` step runs in the workspace
        env.setdefault("JAVA_HOME", JENKINS_JAVA_HOME)
    elif s.ci == "aws-codebuild":
        env.update(
            {
                "CODEBUILD_BUILD_ID": f"{s.project}:{s.pipeline_url.rsplit(':', 1)[-1]}",
                "CODEBUILD_RESOLVED_SOURCE_VERSION": s.commit,
                "CODEBUILD_SOURCE_REPO_URL": s.repo_url,
                "AWS_REGION": s.region,
                "AWS_SECRET_ACCESS_KEY": hex_id(rng, 40),
            }
        )
    if rng.random() < 0.3:
        env["NPM_TOKEN" if s.language == "node" else "REGISTRY_PASSWORD"] = hex_id(rng, 24)
    return env


# ---------------------------------------------------------------------------------------------- Jenkins

JENKINS_NODES = ("built-in", "linux-agent-1", "k8s-agent-x7h2p", "docker-agent")
"""`NODE_NAME`s: the controller (`built-in`) or an agent."""
JENKINS_CONTROLLER_HOME = "/var/jenkins_home"
"""`HOME` (and `JENKINS_HOME`) of the jenkins/jenkins image's `jenkins` account: a step on the `built-in` node."""
JENKINS_JAVA_HOME = "/opt/java/openjdk"
"""`JAVA_HOME` of the jenkins/jenkins and jenkins/inbound-agent images (a java project's own JDK wins)."""
_JENKINS_ENV_ORDER = (
    "JENKINS_URL", "JOB_NAME", "BRANCH_NAME", "BUILD_NUMBER", "BUILD_ID", "BUILD_TAG", "BUILD_URL",
    "NODE_NAME", "EXECUTOR_NUMBER", "WORKSPACE",
)  # fmt: skip
"""The variables `jenkins_env` sets, in the order the scenario's environment lists them."""
_NAME_ESCAPES = str.maketrans({c: f"%{ord(c):02X}" for c in "#%/?[]\\"})
_UNSAFE_PATH = re.compile(r"(%[0-9A-F]{2}|[^a-zA-Z0-9\-_.])+")
_RAW_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!@$&*()-_=+',.")


def jenkins_build_number(run_id: str) -> str:
    """`BUILD_NUMBER` of the scenario's run."""
    return str(int(run_id) % 5000)


def jenkins_branch_item(branch: str) -> str:
    """The item name of `branch`'s job in a multibranch project: branch-api `NameEncoder.encode`
    (`/` -> `%2F`, also `#%?[]\\`), so `JOB_NAME` of `feature/sbom` in `api` is `api/feature%2Fsbom`."""
    return branch.translate(_NAME_ESCAPES)


def _raw_encode(segment: str) -> str:
    """Jenkins `Util.rawEncode`: one URL path segment, `%XX` for all but alphanumerics and `!@$&*()-_=+',.`."""
    return "".join(chr(b) if b in _RAW_SAFE else f"%{b:02X}" for b in segment.encode())


def jenkins_build_url(host: str, project: str, branch: str, number: str) -> str:
    """`BUILD_URL` of build `number` of `branch`'s job in multibranch project `project` (`feature%252Fsbom`)."""
    return _jenkins_run_url(f"https://{host}/", f"{project}/{jenkins_branch_item(branch)}", number)


def _jenkins_run_url(jenkins_url: str, job: str, number: str) -> str:
    """`BUILD_URL`: root URL + `Run.getUrl()`, each item name of the job's full name `rawEncode`d."""
    return jenkins_url + "".join(f"job/{_raw_encode(item)}/" for item in job.split("/")) + f"{number}/"


def _jenkins_workspace(node: str, job_name: str) -> str:
    """`WORKSPACE`: branch-api `WorkspaceLocatorImpl` names a branch job's directory after `JOB_NAME`
    with each run of `%XX` escapes and other unsafe characters as `_`, under the node's workspace root."""
    root = (
        "/var/jenkins_home/workspace" if node in ("built-in", "master") else "/home/jenkins/agent/workspace"
    )
    return f"{root}/{_UNSAFE_PATH.sub('_', job_name)}"


def _jenkins_executor(s: Scenario) -> tuple[str, str]:
    """(`NODE_NAME`, `EXECUTOR_NUMBER`) of the build, from `s.sub_rng("jenkins")` (no other draw shifts)."""
    rng = s.sub_rng("jenkins")
    return rng.choice(JENKINS_NODES), str(rng.randint(0, 3))


def jenkins_job_vars(jenkins_url: str, job: str, number: str, node: str) -> dict[str, str]:
    """The variables Jenkins derives for build `number` of the job named `job` (its full name, items
    `/`-separated) on `node`: `BUILD_TAG` "jenkins-${JOB_NAME}-${BUILD_NUMBER}" with `/` as `-`
    (`Run.getCharacteristicEnvVars`), `BUILD_URL` = `JENKINS_URL` + `Run.getUrl()` (each item
    `rawEncode`d), `BUILD_ID`, and the branch job's `WORKSPACE`."""
    return {
        "JENKINS_URL": jenkins_url,
        "JOB_NAME": job,
        "BUILD_NUMBER": number,
        "BUILD_ID": number,
        "BUILD_TAG": f"jenkins-{job.replace('/', '-')}-{number}",
        "BUILD_URL": _jenkins_run_url(jenkins_url, job, number),
        "NODE_NAME": node,
        "WORKSPACE": _jenkins_workspace(node, job),
    }


def jenkins_env(s: Scenario, executor: tuple[str, str] | None = None) -> dict[str, str]:
    """What a Jenkins multibranch pipeline build of `s.branch` sets, on `executor` (node, number; drawn
    if None): all that the jenkins attestor reads but `JAVA_HOME`, which comes from the agent. Jenkins
    core: `JOB_NAME` = the job's full name, `BUILD_ID` = `BUILD_NUMBER`, `BUILD_TAG` =
    "jenkins-${JOB_NAME}-${BUILD_NUMBER}" with `/` as `-` (`Run.getCharacteristicEnvVars`), `BUILD_URL`
    and `JENKINS_URL` (`CoreEnvironmentContributor`); branch-api: `BRANCH_NAME`, the workspace."""
    host = s.ci_host if s.ci == "jenkins" else f"jenkins.{s.org}.com"
    job = f"{s.project}/{jenkins_branch_item(s.branch)}"
    node, slot = executor or _jenkins_executor(s)
    env = jenkins_job_vars(f"https://{host}/", job, jenkins_build_number(s.ci_run_id), node)
    env |= {"BRANCH_NAME": s.branch, "EXECUTOR_NUMBER": slot}
    return {k: env[k] for k in _JENKINS_ENV_ORDER}


def checked_out(s: Scenario, branch: str) -> Scenario:
    """`s` whose job checked `branch` out: HEAD is on it even where the CI starts detached, so git records
    its name (`Scenario.head_name`); the CI variables that named the old branch (`GITHUB_REF`,
    `CI_COMMIT_REF_NAME`, ...) name the new one, and Jenkins' variables follow it (`with_jenkins_branch`)."""
    ref_old, ref_new = f"refs/heads/{s.branch}", f"refs/heads/{branch}"
    env = {k: ref_new if v == ref_old else branch if v == s.branch else v for k, v in s.env.items()}
    head = workdir.git_head_files(s.commit, branch, detached=False)  # .git/HEAD names the branch checked out
    before, after = {**s.files_before, **head}, {**s.files_after, **head}
    return with_jenkins_branch(
        s.with_(branch=branch, detached=False, env=env, files_before=before, files_after=after)
    )


def with_jenkins_branch(s: Scenario) -> Scenario:
    """`s` with its Jenkins variables and build URL following `s.branch` (after a branch change), on the
    same node and executor; `PWD` follows `WORKSPACE` where it was the workspace. Unchanged outside Jenkins."""
    if s.ci != "jenkins":
        return s
    node, slot = s.env.get("NODE_NAME"), s.env.get("EXECUTOR_NUMBER")
    env = {**s.env, **jenkins_env(s, (node, slot) if node and slot else None)}
    if s.env.get("PWD") == s.env.get("WORKSPACE"):
        env["PWD"] = env["WORKSPACE"]
    return s.with_(env=env, pipeline_url=env["BUILD_URL"], job_url=env["BUILD_URL"])
